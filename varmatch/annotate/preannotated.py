"""Read consequence annotations already present in a VCF (VEP, SnpEff, ANNOVAR, Ion Reporter).

The flavour is recognised from the VCF *header*, never from a tag name alone:

* **VEP** -- any INFO whose Description says ``Consequence annotations from Ensembl VEP. Format:
  A|B|...`` (``CSQ``, but also ``vep``, ``ANN`` or any other name); the column order is read from
  the ``Format:`` list.
* **SnpEff** -- INFO with ``Functional annotations: 'Allele | Annotation | ...'`` (``ANN``).
* **SnpEff-EFF** -- the legacy ``EFF`` tag, ``Effect ( Effect_Impact | ... )``.
* **ANNOVAR** -- ``Func.<db>`` / ``Gene.<db>`` / ``ExonicFunc.<db>`` / ``AAChange.<db>`` INFO fields
  written by ``table_annovar.pl -vcfinput`` (``refGene`` preferred over ``ensGene`` and others).
* **IonReporter** -- the Ion Reporter export's ``FUNC`` INFO, a Python-literal-like list of dicts.

VEP wins when several are present, then SnpEff ANN, EFF, ANNOVAR and Ion Reporter.

:func:`detect_annotation` returns an :class:`AnnotationParser` whose
:meth:`~AnnotationParser.alterations` turns one record's annotation for one ALT allele into at
most one :class:`~varmatch.models.Alteration` per gene (the chosen transcript). A malformed
annotation entry is skipped and logged at DEBUG; nothing here raises on annotation content.
"""

from __future__ import annotations

import abc
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from varmatch.models import Alteration, Consequence, ProteinChange, Variant

log = logging.getLogger(__name__)

InfoGetter = Callable[[str], object]
Preferred = Mapping[str, Iterable[str]]

__all__ = [
    "AnnotationParser",
    "AnnovarParser",
    "IonReporterParser",
    "SnpEffAnnParser",
    "SnpEffEffParser",
    "VepParser",
    "consequence_from_terms",
    "detect_annotation",
]

# --------------------------------------------------------------------------------------------------
# Consequence vocabulary. Every Consequence value (VEP's SO term) maps to itself; the aliases below
# cover SnpEff ANN/EFF, ANNOVAR and Ion Reporter wording. Keys are normalised by _norm_term.
_C = Consequence
_ALIASES: dict[str, Consequence | None] = {
    # SO / SnpEff ANN terms that Consequence does not list under the same name
    "conservative_inframe_insertion": _C.INFRAME_INSERTION,
    "disruptive_inframe_insertion": _C.INFRAME_INSERTION,
    "conservative_inframe_deletion": _C.INFRAME_DELETION,
    "disruptive_inframe_deletion": _C.INFRAME_DELETION,
    "feature_ablation": _C.TRANSCRIPT_ABLATION,
    "transcript_deleted": _C.TRANSCRIPT_ABLATION,
    "bidirectional_gene_fusion": _C.FUSION,
    "feature_fusion": _C.FUSION,
    # start codon changed into another start codon: no residue changes (VEP start_retained)
    "initiator_codon_variant": _C.SYNONYMOUS,
    "start_retained": _C.SYNONYMOUS,
    "start_retained_variant": _C.SYNONYMOUS,
    "splice_donor_5th_base_variant": _C.SPLICE_REGION,
    "splice_donor_region_variant": _C.SPLICE_REGION,
    "splice_polypyrimidine_tract_variant": _C.SPLICE_REGION,
    "splice_branch_variant": _C.INTRON,
    "rare_amino_acid_variant": _C.PROTEIN_ALTERING,
    "5_prime_utr_premature_start_codon_gain_variant": _C.UTR5,
    "5_prime_utr_truncation": _C.UTR5,
    "3_prime_utr_truncation": _C.UTR3,
    "conserved_intron_variant": _C.INTRON,
    "non_coding_transcript_exon_variant": _C.NON_CODING,
    "non_coding_exon_variant": _C.NON_CODING,
    "mature_mirna_variant": _C.NON_CODING,
    "intergenic_region": _C.INTERGENIC,
    "conserved_intergenic_variant": _C.INTERGENIC,
    # SnpEff legacy EFF effect names
    "non_synonymous_coding": _C.MISSENSE,
    "synonymous_coding": _C.SYNONYMOUS,
    "non_synonymous_start": _C.SYNONYMOUS,
    "synonymous_start": _C.SYNONYMOUS,
    "synonymous_stop": _C.STOP_RETAINED,
    "non_synonymous_stop": _C.STOP_LOST,
    "frame_shift": _C.FRAMESHIFT,
    "codon_insertion": _C.INFRAME_INSERTION,
    "codon_change_plus_codon_insertion": _C.INFRAME_INSERTION,
    "codon_deletion": _C.INFRAME_DELETION,
    "codon_change_plus_codon_deletion": _C.INFRAME_DELETION,
    "codon_change": _C.PROTEIN_ALTERING,
    "rare_amino_acid": _C.PROTEIN_ALTERING,
    "splice_site_acceptor": _C.SPLICE_ACCEPTOR,
    "splice_site_donor": _C.SPLICE_DONOR,
    "splice_site_region": _C.SPLICE_REGION,
    "splice_site_branch": _C.INTRON,
    "splice_site_branch_u12": _C.INTRON,
    "utr_5_prime": _C.UTR5,
    "utr_5_deleted": _C.UTR5,
    "start_gained": _C.UTR5,
    "utr_3_prime": _C.UTR3,
    "utr_3_deleted": _C.UTR3,
    "intron": _C.INTRON,
    "intron_conserved": _C.INTRON,
    "upstream": _C.UPSTREAM,
    "downstream": _C.DOWNSTREAM,
    "intergenic": _C.INTERGENIC,
    "intergenic_conserved": _C.INTERGENIC,
    "exon": _C.NON_CODING,  # EFF 'EXON': a variant in an exon of a non-coding transcript
    "gene_fusion": _C.FUSION,
    # ANNOVAR Func / ExonicFunc (spaces are underscores in its VCF output)
    "nonsynonymous_snv": _C.MISSENSE,
    "synonymous_snv": _C.SYNONYMOUS,
    "stopgain": _C.STOP_GAINED,
    "stoploss": _C.STOP_LOST,
    "startloss": _C.START_LOST,
    "frameshift_insertion": _C.FRAMESHIFT,
    "frameshift_deletion": _C.FRAMESHIFT,
    "frameshift_substitution": _C.FRAMESHIFT,
    "frameshift_block_substitution": _C.FRAMESHIFT,
    "nonframeshift_insertion": _C.INFRAME_INSERTION,
    "nonframeshift_deletion": _C.INFRAME_DELETION,
    "nonframeshift_substitution": _C.PROTEIN_ALTERING,
    "nonframeshift_block_substitution": _C.PROTEIN_ALTERING,
    "utr5": _C.UTR5,
    "utr3": _C.UTR3,
    "intronic": _C.INTRON,
    "ncrna_exonic": _C.NON_CODING,
    "ncrna_intronic": _C.NON_CODING,
    "ncrna_splicing": _C.NON_CODING,
    "ncrna_utr5": _C.NON_CODING,
    "ncrna_utr3": _C.NON_CODING,
    "ncrna": _C.NON_CODING,
    # Ion Reporter 'function' / 'location'
    "missense": _C.MISSENSE,
    "nonsense": _C.STOP_GAINED,
    "synonymous": _C.SYNONYMOUS,
    "frameshiftdeletion": _C.FRAMESHIFT,
    "frameshiftinsertion": _C.FRAMESHIFT,
    "frameshiftblocksubstitution": _C.FRAMESHIFT,
    "nonframeshiftdeletion": _C.INFRAME_DELETION,
    "nonframeshiftinsertion": _C.INFRAME_INSERTION,
    "nonframeshiftblocksubstitution": _C.PROTEIN_ALTERING,
    "startlost": _C.START_LOST,
    "stoplost": _C.STOP_LOST,
    "splicesite_5": _C.SPLICE_DONOR,
    "splicesite_3": _C.SPLICE_ACCEPTOR,
    "utr_5": _C.UTR5,
    "utr_3": _C.UTR3,
    "exonic_nc": _C.NON_CODING,
    "intronic_nc": _C.NON_CODING,
}
_TERMS: dict[str, Consequence | None] = {c.value.lower(): c for c in Consequence}
_TERMS.update(_ALIASES)
_TERM_SPLIT = re.compile(r"\\x3b|[&+,;/]")


def _norm_term(term: str) -> str:
    return re.sub(r"[\s\-]+", "_", term.strip()).lower()


def consequence_from_terms(text: str | None) -> Consequence | None:
    """The most severe known consequence among ``&``/``,``/``;``-joined terms of any flavour.

    >>> consequence_from_terms("splice_region_variant&missense_variant")
    <Consequence.MISSENSE: 'missense_variant'>
    """
    best: Consequence | None = None
    for raw in _TERM_SPLIT.split(text or ""):
        term = _norm_term(raw)
        if not term:
            continue
        found = _TERMS.get(term)
        if found is None:
            if term not in _TERMS:
                log.debug("unmapped consequence term %r", raw)
            continue
        if best is None or found.rank < best.rank:
            best = found
    return best


# --------------------------------------------------------------------------------------------------
# Small helpers shared by the flavours.
def _text(value: object) -> str:
    """An INFO value as one string (cyvcf2 gives str, tuple, int, float or bool)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (tuple, list)):
        return ",".join("" if v is None else str(v) for v in value)
    return str(value)


def _safe_get(info_get: InfoGetter, tag: str) -> str:
    try:
        return _text(info_get(tag))
    except Exception:  # an unknown key may raise in some readers
        return ""


def _base_id(transcript: str | None) -> str:
    return (transcript or "").split(".", 1)[0]


def _normalise_preferred(preferred: Preferred | None) -> dict[str, frozenset[str]]:
    if not preferred:
        return {}
    return {gene: frozenset(_base_id(t) for t in ids if t) for gene, ids in preferred.items()}


def _first_int(text: str | None) -> int | None:
    m = re.match(r"\s*(?:exon)?(\d+)", text or "")
    return int(m.group(1)) if m else None


_EMPTY = {"", ".", "-"}


def _after_colon(text: str) -> str:
    """``ENST0001.3:c.49G>A`` -> ``c.49G>A``; ``c.49G>A`` unchanged."""
    text = text.strip()
    if ":" in text:
        prefix, _, rest = text.partition(":")
        if not prefix.startswith(("c.", "p.", "n.")):
            return rest.strip()
    return text


_ANNOVAR_SNV_C = re.compile(r"^c\.([ACGTN])(-?\d+)([ACGTN])$")


def _clean_hgvs_c(text: str | None) -> str | None:
    """Keep a nucleotide HGVS (``c.`` or ``n.``) without its transcript prefix.

    ANNOVAR's legacy ``c.A3140G`` becomes ``c.3140A>G``.
    """
    if not text or text.strip() in _EMPTY:
        return None
    value = _after_colon(text.replace("%3D", "="))
    m = _ANNOVAR_SNV_C.match(value)
    if m:
        return f"c.{m.group(2)}{m.group(1)}>{m.group(3)}"
    return value if value.startswith(("c.", "n.")) else None


def _parse_protein(text: str | None) -> ProteinChange | None:
    if not text:
        return None
    value = _after_colon(text.replace("%3D", "=").replace("%3d", "="))
    if value in _EMPTY or value in ("p.?", "p.(?)", "p.=", "p.(=)", "p.0", "p.0?"):
        return None
    try:
        return ProteinChange.parse(value)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        log.debug("unparsable protein change %r: %s", text, exc)
        return None


def _split_entries(value: str, n_fields: int, sep: str = "|") -> list[str]:
    """Split a comma-joined annotation list, re-joining entries broken by commas inside a field.

    Some VEP plugins (LoF's LoF_info) write commas inside a field; a fragment is glued back onto
    the previous entry when together they do not exceed the expected number of separators.
    """
    entries: list[str] = []
    for frag in value.split(","):
        pipes = frag.count(sep)
        if entries and (pipes == 0 or entries[-1].count(sep) + pipes <= n_fields - 1):
            entries[-1] += "," + frag
        else:
            entries.append(frag)
    return [e for e in entries if e.strip()]


def _symbolic(allele: str) -> bool:
    return allele.startswith("<") or "[" in allele or "]" in allele


@dataclass
class _Entry:
    """One transcript-level annotation, before a transcript is chosen for its gene."""

    gene: str
    transcript: str | None
    consequence: Consequence | None
    protein: str | None
    hgvs_c: str | None
    exon: int | None
    order: int
    pick: bool = False
    mane: bool = False
    canonical: bool = False


# --------------------------------------------------------------------------------------------------
class AnnotationParser(abc.ABC):
    """Reads one annotation flavour from INFO. Subclasses fill :meth:`_entries`.

    ``preferred`` maps a gene symbol to transcript ids (versions ignored) to choose when the
    annotation itself does not single one out (MANE / canonical tables bundled with varmatch).
    """

    name: str = ""
    #: rank transcripts of one gene by consequence severity before falling back to file order
    use_severity: bool = False

    def __init__(self, tag: str, fields: Sequence[str] = (), preferred: Preferred | None = None):
        self.tag = tag
        self.fields = tuple(fields)
        self.preferred = _normalise_preferred(preferred)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tag={self.tag!r})"

    def _column(self, *names: str | int, default: int | None = None) -> int | None:
        """Index of the first of ``names`` among the header's fields (case-insensitive), else
        ``default``; a trailing int in ``names`` is taken as the default."""
        if names and isinstance(names[-1], int):
            *names, default = names  # type: ignore[assignment]
        lowered = [f.lower() for f in self.fields]
        for name in names:
            if str(name).lower() in lowered:
                return lowered.index(str(name).lower())
        return default

    def set_preferred(self, preferred: Preferred | None) -> None:
        self.preferred = _normalise_preferred(preferred)

    def alterations(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        genes: frozenset[str] | None = None,
        *,
        alts: Sequence[str] | None = None,
    ) -> list[Alteration]:
        """At most one alteration per gene for ALT ``alt`` (0-based ``alt_index``).

        ``alts`` (all ALT alleles of the record) is optional; when given it makes VEP allele
        matching exact for multi-allelic indels and tells Ion Reporter whether the record is
        single-ALT.
        """
        try:
            entries = self._entries(info_get, alt, alt_index, variant, alts)
        except Exception as exc:  # never let one odd annotation stop a run
            log.debug("%s annotation of %s skipped: %s", self.name, variant, exc)
            return []
        by_gene: dict[str, list[_Entry]] = {}
        for entry in entries:
            if genes is not None and entry.gene not in genes:
                continue
            by_gene.setdefault(entry.gene, []).append(entry)
        out = []
        for candidates in by_gene.values():
            chosen = min(candidates, key=self._rank)
            out.append(self._build(chosen, variant))
        return out

    # ----------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]: ...

    def _is_preferred(self, entry: _Entry) -> bool:
        ids = self.preferred.get(entry.gene)
        return bool(ids) and _base_id(entry.transcript) in ids

    def _rank(self, entry: _Entry) -> tuple:
        severity = entry.consequence.rank if entry.consequence is not None else len(Consequence)
        return (
            not entry.pick,
            not entry.mane,
            not entry.canonical,
            not self._is_preferred(entry),
            severity if self.use_severity else 0,
            entry.order,
        )

    def _build(self, entry: _Entry, variant: Variant) -> Alteration:
        protein = _parse_protein(entry.protein)
        if (
            protein is not None
            and entry.consequence is Consequence.SYNONYMOUS
            and protein.kind == "start_lost"
        ):
            # SnpEff writes p.Met1? for a start codon turned into another start codon
            protein = None
        return Alteration(
            gene=entry.gene,
            consequence=entry.consequence,
            protein=protein,
            hgvs_c=entry.hgvs_c,
            transcript=entry.transcript or None,
            exon=entry.exon,
            variant=variant,
            annotation_source=self.name,
        )


# --------------------------------------------------------------------------------------------------
class VepParser(AnnotationParser):
    """Ensembl VEP ``CSQ``-style annotation (any INFO name), columns from the header."""

    name = "VEP"
    use_severity = True

    def _col(self, name: str) -> int | None:
        try:
            return self.fields.index(name)
        except ValueError:
            return None

    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]:
        raw = _safe_get(info_get, self.tag)
        if not raw:
            return []
        n = len(self.fields)
        rows = []
        for chunk in _split_entries(raw, n):
            values = chunk.split("|")
            if len(values) < 2:
                log.debug("VEP entry with too few columns at %s: %r", variant, chunk[:80])
                continue
            rows.append(dict(zip(self.fields, values, strict=False)))
        rows = self._for_allele(rows, variant.ref, alt, alt_index, alts)
        gene_col = "SYMBOL" if "SYMBOL" in self.fields else "Gene"
        out = []
        for order, row in enumerate(rows):
            gene = row.get(gene_col, "").strip()
            if not gene:
                continue
            feature = row.get("Feature", "").strip()
            hgvsc = row.get("HGVSc", "")
            out.append(
                _Entry(
                    gene=gene,
                    transcript=self._versioned(feature, hgvsc),
                    consequence=consequence_from_terms(row.get("Consequence")),
                    protein=row.get("HGVSp") or None,
                    hgvs_c=_clean_hgvs_c(hgvsc),
                    exon=_first_int(row.get("EXON")),
                    order=order,
                    pick=row.get("PICK", "").strip() == "1",
                    mane=bool(row.get("MANE_SELECT", "").strip() or row.get("MANE", "").strip()),
                    canonical=row.get("CANONICAL", "").strip().upper() == "YES",
                )
            )
        return out

    @staticmethod
    def _versioned(feature: str, hgvsc: str) -> str | None:
        """``Feature`` with the version HGVSc carries when Feature itself has none."""
        if not feature:
            return None
        if "." not in feature and ":" in hgvsc:
            prefix = hgvsc.split(":", 1)[0].strip()
            if _base_id(prefix) == feature:
                return prefix
        return feature

    def _for_allele(
        self,
        rows: list[dict[str, str]],
        ref: str,
        alt: str,
        alt_index: int,
        alts: Sequence[str] | None,
    ) -> list[dict[str, str]]:
        numbered = [r for r in rows if r.get("ALLELE_NUM", "").strip().isdigit()]
        if numbered and len(numbered) == len(rows):
            return [r for r in rows if int(r["ALLELE_NUM"]) == alt_index + 1]
        present = {r.get("Allele", "") for r in rows}
        for form in vep_allele_forms(ref, alt, alts):
            if form in present:
                return [r for r in rows if r.get("Allele", "") == form]
        log.debug("no VEP entry for allele %s (have %s)", alt, sorted(present))
        return []


def vep_allele_forms(ref: str, alt: str, alts: Sequence[str] | None = None) -> list[str]:
    """How VEP writes ``alt`` in its Allele column, most likely form first.

    VEP drops the first base of every allele when the record holds an indel and REF and all ALTs
    share that base (``-`` for an empty allele). With ``alts`` unknown the single-ALT rule comes
    first and the other form second.
    """
    if _symbolic(alt) or alt == "*":
        return [alt]
    stripped = alt[1:] or "-"
    others = [a for a in (alts if alts else [alt]) if not _symbolic(a) and a != "*"]
    is_indel = any(len(a) != len(ref) for a in others)
    shared = len({s[:1] for s in (ref, *others)}) == 1
    primary = stripped if is_indel and shared else alt
    forms = [primary]
    if alt[:1] == ref[:1]:
        forms.append(alt if primary == stripped else stripped)
    return forms


# --------------------------------------------------------------------------------------------------
_SNPEFF_ANN_DEFAULT = (
    "Allele",
    "Annotation",
    "Annotation_Impact",
    "Gene_Name",
    "Gene_ID",
    "Feature_Type",
    "Feature_ID",
    "Transcript_BioType",
    "Rank",
    "HGVS.c",
    "HGVS.p",
    "cDNA.pos / cDNA.length",
    "CDS.pos / CDS.length",
    "AA.pos / AA.length",
    "Distance",
    "ERRORS / WARNINGS / INFO",
)
_INTRONIC_C = re.compile(r"\d[+-]\d")


class SnpEffAnnParser(AnnotationParser):
    """SnpEff ≥ 4.1 ``ANN``: the ALT is the Allele; cancer-mode ``G-C`` entries are skipped."""

    name = "SnpEff"

    def __init__(self, tag: str, fields: Sequence[str] = (), preferred: Preferred | None = None):
        super().__init__(tag, fields or _SNPEFF_ANN_DEFAULT, preferred)
        col = self._column
        self._allele = col("Allele", 0)
        self._annotation = col("Annotation", 1)
        self._gene = col("Gene_Name", 3)
        self._feature_type = col("Feature_Type", 5)
        self._feature = col("Feature_ID", 6)
        self._rank_col = col("Rank", 8)
        self._hgvs_c = col("HGVS.c", 9)
        self._hgvs_p = col("HGVS.p", 10)
        self._errors = col("ERRORS / WARNINGS / INFO", 15)

    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]:
        raw = _safe_get(info_get, self.tag)
        if not raw:
            return []
        out = []
        for order, chunk in enumerate(_split_entries(raw, len(self.fields))):
            values = [v.strip() for v in chunk.split("|")]
            if len(values) <= max(self._gene, self._annotation):
                log.debug("SnpEff entry with too few fields at %s: %r", variant, chunk[:80])
                continue

            def get(i: int, values: list[str] = values) -> str:
                return values[i] if i < len(values) else ""

            allele = get(self._allele)
            if allele != alt:
                # includes cancer-mode 'G-C' (somatic G derived from germline C): not this ALT
                continue
            if "ERROR_" in get(self._errors):
                log.debug(
                    "SnpEff entry with an error skipped at %s: %s", variant, get(self._errors)
                )
                continue
            gene = get(self._gene)
            consequence = consequence_from_terms(get(self._annotation))
            if (
                not gene
                or consequence is Consequence.INTERGENIC
                or get(self._feature_type) == "intergenic_region"
            ):
                continue
            hgvs_c = _clean_hgvs_c(get(self._hgvs_c))
            exon = None
            if consequence is not Consequence.INTRON and not _INTRONIC_C.search(hgvs_c or ""):
                exon = _first_int(get(self._rank_col))  # Rank is an intron rank for intronic hits
            out.append(
                _Entry(
                    gene=gene,
                    transcript=get(self._feature) or None,
                    consequence=consequence,
                    protein=get(self._hgvs_p) or None,
                    hgvs_c=hgvs_c,
                    exon=exon,
                    order=order,
                )
            )
        return out


# --------------------------------------------------------------------------------------------------
_EFF_DEFAULT = (
    "Effect_Impact",
    "Functional_Class",
    "Codon_Change",
    "Amino_Acid_Change",
    "Amino_Acid_length",
    "Gene_Name",
    "Transcript_BioType",
    "Gene_Coding",
    "Transcript_ID",
    "Exon_Rank",
    "Genotype_Number",
    "ERRORS",
    "WARNINGS",
)
_EFF_ITEM = re.compile(r"([A-Za-z0-9_+&.\-]+)\(([^()]*)\)")


class SnpEffEffParser(AnnotationParser):
    """SnpEff legacy ``EFF``: ``EFFECT(Impact|Class|Codon|AA|...|Gene|...|Transcript|Exon|GT)``."""

    name = "SnpEff-EFF"

    def __init__(self, tag: str, fields: Sequence[str] = (), preferred: Preferred | None = None):
        super().__init__(tag, fields or _EFF_DEFAULT, preferred)
        col = self._column
        self._aa = col("Amino_Acid_Change", "Amino_Acid_change")
        self._gene = col("Gene_Name")
        self._transcript = col("Transcript_ID")
        self._exon = col("Exon_Rank", "Exon", "Exon_ID")
        self._genotype = col("Genotype_Number", "Genotype")
        self._errors = col("ERRORS")

    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]:
        raw = _safe_get(info_get, self.tag)
        out = []
        for order, (effect, inner) in enumerate(_EFF_ITEM.findall(raw)):
            values = [v.strip() for v in inner.split("|")]

            def get(i: int | None, values: list[str] = values) -> str:
                return values[i] if i is not None and i < len(values) else ""

            genotype = get(self._genotype)
            if "-" in genotype:
                continue  # cancer-mode derived allele
            if genotype and genotype not in (str(alt_index + 1), alt):
                continue
            if get(self._errors).startswith("ERROR"):
                continue
            gene = get(self._gene)
            consequence = consequence_from_terms(effect)
            if not gene or consequence is Consequence.INTERGENIC:
                continue
            protein, hgvs_c = None, None
            for part in get(self._aa).split("/"):
                part = part.strip()
                if part.startswith("c."):
                    hgvs_c = _clean_hgvs_c(part)
                elif part:
                    protein = protein or part
            out.append(
                _Entry(
                    gene=gene,
                    transcript=get(self._transcript) or None,
                    consequence=consequence,
                    protein=protein,
                    hgvs_c=hgvs_c,
                    exon=_first_int(get(self._exon))
                    if consequence is not Consequence.INTRON
                    else None,
                    order=order,
                )
            )
        return out


# --------------------------------------------------------------------------------------------------
def _annovar_unescape(text: str) -> str:
    return text.replace("\\x3b", ";").replace("\\x3d", "=").replace("\\x2c", ",")


_SPLICE_OFFSET = re.compile(r"c\.[-*]?\d+([+-])(\d+)")


class AnnovarParser(AnnotationParser):
    """``table_annovar.pl -vcfinput`` fields ``Func.<db>``, ``Gene.<db>``, ``GeneDetail.<db>``,
    ``ExonicFunc.<db>``, ``AAChange.<db>`` (``GENE:NM_x:exonN:c.A3140G:p.H1047R,...``).

    ANNOVAR writes a multi-allelic record's alleles as repeated INFO blocks that a VCF reader
    collapses to the first, so only the first ALT of such a record is annotated.
    """

    name = "ANNOVAR"

    def __init__(self, tag: str, fields: Sequence[str] = (), preferred: Preferred | None = None):
        # tag is the database suffix, e.g. "refGene"
        super().__init__(tag, fields, preferred)

    def _get(self, info_get: InfoGetter, prefix: str) -> str:
        value = _annovar_unescape(_safe_get(info_get, f"{prefix}.{self.tag}")).strip()
        return "" if value in _EMPTY else value

    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]:
        if alt_index > 0:
            log.debug("ANNOVAR: only the first ALT of %s carries a readable annotation", variant)
            return []
        funcs = [f for f in re.split(r"[;,]", self._get(info_get, "Func")) if f.strip()]
        genes = [g for g in re.split(r"[;,]", self._get(info_get, "Gene")) if g.strip()]
        exonic_func = self._get(info_get, "ExonicFunc")
        detail = self._get(info_get, "GeneDetail")
        aachanges = [a for a in self._get(info_get, "AAChange").split(",") if a.strip()]
        if any(_norm_term(f) == "intergenic" for f in funcs):
            return []
        by_gene: dict[str, list[list[str]]] = {}
        for item in aachanges:
            parts = item.strip().split(":")
            if len(parts) < 2:
                log.debug("ANNOVAR AAChange item %r skipped", item)
                continue
            by_gene.setdefault(parts[0], []).append(parts)
        for gene in by_gene:
            if gene not in genes:
                genes.append(gene)
        out = []
        for order, gene in enumerate(genes):
            gene_funcs = funcs
            if len(funcs) == len(genes) > 1:
                gene_funcs = [funcs[order]]  # 'upstream;downstream' pairs with 'G1;G2'
            consequence = self._consequence(gene_funcs, exonic_func, detail)
            items = by_gene.get(gene, [])
            if not items:
                out.append(
                    _Entry(
                        gene=gene,
                        transcript=self._detail_transcript(detail, genes),
                        consequence=consequence,
                        protein=None,
                        hgvs_c=self._detail_c(detail, genes),
                        exon=None,
                        order=order,
                    )
                )
                continue
            for k, parts in enumerate(items):
                hgvs_c = next((p for p in parts[2:] if p.startswith("c.")), None)
                hgvs_p = next((p for p in parts[2:] if p.startswith("p.")), None)
                exon = next((p for p in parts[2:] if p.startswith("exon")), "")
                out.append(
                    _Entry(
                        gene=gene,
                        transcript=parts[1] or None,
                        consequence=consequence,
                        protein=hgvs_p,
                        hgvs_c=_clean_hgvs_c(hgvs_c),
                        exon=_first_int(exon),
                        order=order * 1000 + k,
                    )
                )
        return out

    @staticmethod
    def _consequence(funcs: list[str], exonic_func: str, detail: str) -> Consequence | None:
        found: list[Consequence] = []
        for func in funcs:
            term = _norm_term(func)
            if term == "exonic":
                c = consequence_from_terms(exonic_func)
            elif term == "splicing":
                c = Consequence.SPLICE_REGION
                m = _SPLICE_OFFSET.search(detail)
                if m and int(m.group(2)) <= 2:
                    c = (
                        Consequence.SPLICE_DONOR
                        if m.group(1) == "+"
                        else Consequence.SPLICE_ACCEPTOR
                    )
            else:
                c = consequence_from_terms(func)
            if c is not None:
                found.append(c)
        return min(found, key=lambda c: c.rank) if found else None

    @staticmethod
    def _detail_transcript(detail: str, genes: list[str]) -> str | None:
        if len(genes) != 1 or not detail or detail.startswith("dist="):
            return None
        first = re.split(r"[;,]", detail)[0].split(":")[0]
        return first if re.match(r"^[A-Z]{2}_\d|^ENST", first) else None

    @staticmethod
    def _detail_c(detail: str, genes: list[str]) -> str | None:
        if len(genes) != 1:
            return None
        m = re.search(r"c\.[^:;,]+", detail)
        return _clean_hgvs_c(m.group(0)) if m else None


# --------------------------------------------------------------------------------------------------
_FUNC_DICT = re.compile(r"\{([^{}]*)\}")
_FUNC_PAIR = re.compile(r"""['"]([^'"]+)['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,}]+))""")


def _parse_func(raw: str) -> list[dict[str, str]]:
    """Ion Reporter ``[{'gene':'TSC1','protein':'p.Met322Thr',...},{...}]`` -> list of dicts."""
    items = []
    for body in _FUNC_DICT.findall(raw):
        item = {}
        for key, v1, v2, v3 in _FUNC_PAIR.findall(body):
            item[key.strip()] = (v1 or v2 or v3 or "").strip()
        if item:
            items.append(item)
    return items


class IonReporterParser(AnnotationParser):
    """Ion Reporter ``FUNC``: gene, transcript, location, function, coding, protein, exon, and
    origAlt / normalizedAlt for the allele (absent on hotspot-only and intronic entries)."""

    name = "IonReporter"
    use_severity = True

    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]:
        raw = _safe_get(info_get, self.tag)
        if not raw:
            return []
        n_alts = len(alts) if alts else self._count_alts(info_get)
        out = []
        for order, item in enumerate(_parse_func(raw)):
            gene = item.get("gene", "")
            if not gene:
                continue
            alleles = {item.get("origAlt"), item.get("normalizedAlt")} - {None, ""}
            if alleles:
                if alt not in alleles:
                    continue
            elif not (n_alts == 1 or (n_alts is None and alt_index == 0)):
                continue
            found = [
                c
                for c in (
                    consequence_from_terms(item.get("function")),
                    consequence_from_terms(item.get("location")),
                )
                if c is not None
            ]
            consequence = min(found, key=lambda c: c.rank) if found else None
            coding, protein = item.get("coding"), item.get("protein")
            if consequence is None and not coding and not protein:
                continue  # a hotspot-position record: nothing allele-specific to report
            if consequence is Consequence.INTERGENIC:
                continue
            out.append(
                _Entry(
                    gene=gene,
                    transcript=item.get("transcript") or None,
                    consequence=consequence,
                    protein=protein,
                    hgvs_c=_clean_hgvs_c(coding),
                    exon=_first_int(item.get("exon")),
                    order=order,
                )
            )
        return out

    @staticmethod
    def _count_alts(info_get: InfoGetter) -> int | None:
        """Torrent Variant Caller's per-ALT INFO (OMAPALT, TYPE are Number=A)."""
        for tag in ("OMAPALT", "TYPE"):
            value = _safe_get(info_get, tag)
            if value:
                return len(value.split(","))
        return None


# --------------------------------------------------------------------------------------------------
_INFO_LINE = re.compile(r"^##INFO=<(?P<body>.*)>\s*$")
_INFO_ID = re.compile(r"(?:^|,)ID=([^,>]+)")
_INFO_DESC = re.compile(r'Description="((?:[^"\\]|\\.)*)"')
_ANNOVAR_ID = re.compile(r"^(Func|Gene|GeneDetail|ExonicFunc|AAChange)\.(.+)$")


def _info_descriptions(header_text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in header_text.splitlines():
        m = _INFO_LINE.match(line.strip())
        if not m:
            continue
        body = m["body"]
        mid = _INFO_ID.search(body)
        if not mid:
            continue
        mdesc = _INFO_DESC.search(body)
        found.setdefault(mid.group(1).strip(), mdesc.group(1) if mdesc else "")
    return found


def _vep_fields(description: str) -> list[str] | None:
    if "Consequence annotations from Ensembl VEP" not in description:
        return None
    m = re.search(r"Format:\s*(.+)$", description)
    if not m:
        return None
    fields = [f.strip() for f in m.group(1).strip().strip("'\"").split("|")]
    return fields if len(fields) > 1 else None


def _snpeff_ann_fields(description: str) -> list[str] | None:
    m = re.search(r"Functional annotations:\s*'([^']*)'", description)
    if not m:
        return None
    return [f.strip() for f in m.group(1).split("|")]


def _eff_fields(description: str) -> list[str] | None:
    m = re.search(r"Effect\s*\((.*)\)", description)
    if not m:
        return None
    inner = m.group(1).replace("[", "|").replace("]", "|")
    return [f.strip() for f in inner.split("|") if f.strip()]


def _annovar_suffix(ids: Iterable[str]) -> str | None:
    kinds: dict[str, set[str]] = {}
    for info_id in ids:
        m = _ANNOVAR_ID.match(info_id)
        if m:
            kinds.setdefault(m.group(2), set()).add(m.group(1))
    usable = [s for s, k in kinds.items() if "Func" in k and ("Gene" in k or "AAChange" in k)]
    if not usable:
        return None

    def priority(suffix: str) -> tuple[int, str]:
        for i, stem in enumerate(("refgene", "ensgene", "knowngene")):
            if suffix.lower().startswith(stem):
                return (i, suffix)
        return (3, suffix)

    return min(usable, key=priority)


def detect_annotation(
    header_text: str, preferred: Preferred | None = None
) -> AnnotationParser | None:
    """The parser for the annotation this VCF header declares, or None when there is none.

    VEP is preferred over SnpEff ANN, then SnpEff EFF, ANNOVAR and Ion Reporter FUNC.
    """
    infos = _info_descriptions(header_text or "")
    vep = [(i, f) for i, d in infos.items() if (f := _vep_fields(d))]
    if vep:
        tag, fields = next(((i, f) for i, f in vep if i == "CSQ"), vep[0])
        return VepParser(tag, fields, preferred)
    ann = [(i, f) for i, d in infos.items() if (f := _snpeff_ann_fields(d))]
    if ann:
        tag, fields = next(((i, f) for i, f in ann if i == "ANN"), ann[0])
        return SnpEffAnnParser(tag, fields, preferred)
    eff = [
        (i, f)
        for i, d in infos.items()
        if (i == "EFF" or "Predicted effects" in d) and (f := _eff_fields(d))
    ]
    if eff:
        tag, fields = next(((i, f) for i, f in eff if i == "EFF"), eff[0])
        return SnpEffEffParser(tag, fields, preferred)
    suffix = _annovar_suffix(infos)
    if suffix:
        return AnnovarParser(suffix, (), preferred)
    if "FUNC" in infos:
        return IonReporterParser("FUNC", (), preferred)
    return None
