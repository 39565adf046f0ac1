"""Shared pieces of the pre-annotation parsers: consequence vocabulary, field helpers and
the :class:`AnnotationParser` base class that picks one transcript per gene."""

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
