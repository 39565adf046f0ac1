"""Oncogenicity of one alteration from bundled, citable facts only: hotspots and gene roles.

The hotspot table (``varmatch/data/hotspots.tsv``, built by ``scripts/build_hotspots.py``) holds
the cancerhotspots.org v2 residues of the pathway genes (Chang et al. 2016 and 2018; ODbL) and the
3D hotspot residues (Gao et al. 2017). :func:`classify` turns an
:class:`~varmatch.models.Alteration` into ``(Oncogenicity, reason, is_hotspot)`` with the rules
documented on it. The rules are deliberately conservative: nothing is called oncogenic without a
recurrent, observed change at a hotspot, and anything the bundled facts do not cover is a VUS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from varmatch.models import (
    Alteration,
    AlterationType,
    Consequence,
    Oncogenicity,
    ProteinChange,
)

SINGLE = "single residue"
INDEL = "in-frame indel"
SPLICE = "splice site"
THREE_D = "3d"

#: An observed alternative must have been seen in at least this many tumors at a hotspot residue
#: for the change to be called ONCOGENIC (seen once only: LIKELY_ONCOGENIC).
MIN_TUMORS_ONCOGENIC = 2

#: Consequences that leave the protein sequence unchanged.
NO_PROTEIN_CHANGE = frozenset({
    Consequence.SYNONYMOUS, Consequence.STOP_RETAINED, Consequence.UTR5, Consequence.UTR3,
    Consequence.INTRON, Consequence.UPSTREAM, Consequence.DOWNSTREAM, Consequence.NON_CODING,
    Consequence.INTERGENIC,
})
_INFRAME_KINDS = frozenset({"deletion", "insertion", "delins", "duplication"})
_TRUNCATING_KINDS = frozenset({"nonsense", "frameshift", "start_lost"})
ONCOGENE = "oncogene"
TUMOR_SUPPRESSOR = "tumor_suppressor"


@dataclass(frozen=True)
class HotspotRecord:
    """One row of the hotspot table."""

    gene: str
    residue: str  # cancerhotspots name: E17, 439-470 (indel range), X582 (splice site)
    start: int
    end: int
    ref_aa: str
    type: str  # single residue | in-frame indel | splice site | 3d
    alt_counts: dict[str, int]  # observed alternative -> tumors (AA, indel change, or "sp")
    q_value: float | None
    p_value: float | None
    tumor_count: int
    class_3d: str
    source: str

    def count(self, alt: str) -> int:
        """Tumors in which ``alt`` (an amino acid, or an indel change such as E746_A750del) was
        seen."""
        return self.alt_counts.get(alt, 0)

    @property
    def label(self) -> str:
        kind = {SINGLE: "hotspot residue", INDEL: "in-frame indel hotspot",
                SPLICE: "splice-site hotspot", THREE_D: "3D hotspot residue"}[self.type]
        return f"{kind} {self.residue}"


class Hotspots:
    """Hotspot lookups by gene and protein position."""

    def __init__(self, records: list[HotspotRecord]):
        self.records = tuple(records)
        self._by_gene: dict[str, list[HotspotRecord]] = {}
        for rec in records:
            self._by_gene.setdefault(rec.gene, []).append(rec)

    @classmethod
    def from_text(cls, text: str) -> Hotspots:
        """Parse the TSV written by ``scripts/build_hotspots.py``."""
        lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
        header = lines[0].split("\t")
        records = []
        for line in lines[1:]:
            row = dict(zip(header, line.split("\t"), strict=True))
            records.append(HotspotRecord(
                gene=row["gene"], residue=row["residue"], start=int(row["start"]),
                end=int(row["end"]), ref_aa=row["ref_aa"], type=row["type"],
                alt_counts=_parse_alts(row["alt_aas"]), q_value=_float(row["q_value"]),
                p_value=_float(row["p_value"]), tumor_count=int(row["tumor_count"]),
                class_3d=row["class_3d"], source=row["source"],
            ))
        return cls(records)

    # ----------------------------------------------------------------------------------------------
    def genes(self) -> frozenset[str]:
        return frozenset(self._by_gene)

    def at(self, gene: str, pos: int, types: tuple[str, ...] = (SINGLE, INDEL, SPLICE, THREE_D)
           ) -> list[HotspotRecord]:
        """Every record of ``gene`` whose residue range covers ``pos``, of the given types."""
        records = self._by_gene.get(gene, ())
        return [r for r in records if r.type in types and r.start <= pos <= r.end]

    def residue(self, gene: str, pos: int) -> HotspotRecord | None:
        """The residue-level record at ``pos``: the cancerhotspots single residue if there is one,
        else the 3D hotspot residue, else None."""
        for kind in (SINGLE, THREE_D):
            hits = self.at(gene, pos, (kind,))
            if hits:
                return hits[0]
        return None

    def indel(self, gene: str, start: int, end: int) -> HotspotRecord | None:
        """The in-frame indel hotspot overlapping residues ``start``..``end``, if any."""
        for rec in self._by_gene.get(gene, ()):
            if rec.type == INDEL and rec.start <= end and start <= rec.end:
                return rec
        return None

    def splice(self, gene: str, pos: int) -> HotspotRecord | None:
        """The splice-site hotspot at codon ``pos`` (cancerhotspots ``X582``), if any."""
        hits = self.at(gene, pos, (SPLICE,))
        return hits[0] if hits else None

    def is_hotspot(self, gene: str, protein: ProteinChange | None) -> bool:
        """True for a missense change at a cancerhotspots single-residue hotspot (reference residue
        agreeing) or an in-frame indel overlapping an in-frame indel hotspot. 3D-only residues,
        truncating and synonymous changes are not hotspot hits."""
        return self._hit(gene, protein) is not None

    def _hit(self, gene: str, protein: ProteinChange | None) -> HotspotRecord | None:
        if protein is None:
            return None
        if _is_missense(protein):
            rec = self.residue(gene, protein.start)
            if rec is not None and rec.type == SINGLE and _ref_agrees(rec, protein):
                return rec
            return None
        if protein.kind in _INFRAME_KINDS:
            return self.indel(gene, protein.start, protein.end)
        return None


@lru_cache(maxsize=1)
def load_hotspots() -> Hotspots:
    """The bundled hotspot table (read once, then cached)."""
    text = resources.files("varmatch.data").joinpath("hotspots.tsv").read_text(encoding="utf-8")
    return Hotspots.from_text(text)


# --------------------------------------------------------------------------------------------------
def classify(alt: Alteration, roles: dict[str, str],
             hotspots: Hotspots | None = None) -> tuple[Oncogenicity, str, bool]:
    """Class one alteration: ``(oncogenicity, one-sentence reason, is_hotspot)``.

    ``roles`` maps a gene to ``'oncogene'`` or ``'tumor_suppressor'``. The rules, first match wins:

    1. **Fusion** -> VUS: no curated list of known fusions is bundled, so none is called known.
    2. **Amplification** of an oncogene -> LIKELY_ONCOGENIC; of any other gene -> VUS.
    3. **Deep deletion** (``AlterationType.DELETION``) of a tumor suppressor -> LIKELY_ONCOGENIC;
       of any other gene -> VUS.
    4. **No protein change** (synonymous, stop retained, intronic, UTR, up/downstream,
       non-coding, intergenic; or a ``p.X=`` protein change) -> BENIGN.
    5. **Missense at a cancerhotspots v2 single-residue hotspot** (reference residue agreeing):
       the alternative amino acid observed there in >= :data:`MIN_TUMORS_ONCOGENIC` tumors ->
       ONCOGENIC; observed in one tumor or never -> LIKELY_ONCOGENIC. Hotspot flag set.
    6. **In-frame indel overlapping a cancerhotspots in-frame indel hotspot** (e.g. the PIK3R1
       iSH2 ranges, EGFR exon 19, ERBB2 exon 20): the exact change observed in
       >= :data:`MIN_TUMORS_ONCOGENIC` tumors -> ONCOGENIC; otherwise LIKELY_ONCOGENIC. Hotspot
       flag set. In-frame indels elsewhere are not called from this table.
    7. **Missense at a 3D hotspot residue** (no single-residue hotspot there) with an alternative
       observed in the 3D data -> LIKELY_ONCOGENIC (hotspot flag not set); unobserved -> falls
       through.
    8. **Truncating** (stop gained, frameshift, splice donor/acceptor, start lost, transcript
       ablation) in a tumor suppressor -> LIKELY_ONCOGENIC, wherever the truncation lies; a stop
       gained at a single-residue hotspot where cancerhotspots observed the stop (PTEN R130*,
       ``*`` in 38 tumors) also sets the hotspot flag
       (no exon/NMD model is used, so no truncation is called ONCOGENIC). A splice-site change at a
       cancerhotspots splice hotspot (when the alteration carries the codon) says so in the
       reason. Truncating changes in an oncogene or a gene of unknown role -> VUS.
    9. Everything else -> VUS: not a known hotspot; no functional evidence bundled.
    """
    table = hotspots if hotspots is not None else load_hotspots()
    gene = alt.gene
    role = roles.get(gene, "")

    if alt.type is AlterationType.FUSION:
        return (Oncogenicity.VUS,
                f"{alt}: fusion; varmatch bundles no curated list of known fusions, so it is not "
                "called oncogenic.", False)
    if alt.type is AlterationType.AMPLIFICATION:
        if role == ONCOGENE:
            return (Oncogenicity.LIKELY_ONCOGENIC,
                    f"amplification of {gene}, an oncogene (gain of function by copy number).",
                    False)
        return Oncogenicity.VUS, f"amplification of {gene}, which is not an oncogene.", False
    if alt.type is AlterationType.DELETION:
        if role == TUMOR_SUPPRESSOR:
            return (Oncogenicity.LIKELY_ONCOGENIC,
                    f"deep deletion of {gene}, a tumor suppressor (loss of function).", False)
        return Oncogenicity.VUS, f"deep deletion of {gene}, which is not a tumor suppressor.", False

    protein = alt.protein
    consequence = alt.consequence
    if (protein is not None and protein.kind == "synonymous") or (
        protein is None and consequence in NO_PROTEIN_CHANGE
    ):
        return Oncogenicity.BENIGN, f"{alt}: no protein change.", False

    hit = table._hit(gene, protein)
    if hit is not None and protein is not None:
        return _hotspot_call(gene, protein, hit)

    if protein is not None and _is_missense(protein):
        rec3d = table.residue(gene, protein.start)
        if (rec3d is not None and rec3d.type == THREE_D and _ref_agrees(rec3d, protein)
                and rec3d.count(protein.alt) > 0):
            n = rec3d.count(protein.alt)
            return (Oncogenicity.LIKELY_ONCOGENIC,
                    f"3D hotspot residue {gene} {rec3d.residue} (Gao et al. 2017; "
                    f"{protein.alt} observed in {_tumors(n)}).", False)

    if _is_truncating(alt):
        if role == TUMOR_SUPPRESSOR:
            extra, hot = "", False
            if (consequence in (Consequence.SPLICE_DONOR, Consequence.SPLICE_ACCEPTOR)
                    and protein is not None):
                sp = table.splice(gene, protein.start)
                if sp is not None:
                    extra = (f" at cancerhotspots v2 splice-site hotspot {sp.residue} "
                             f"({_tumors(sp.tumor_count)})")
            elif protein is not None and protein.kind == "nonsense":
                # a stop at a hotspot residue where cancerhotspots observed the stop (PTEN R130*)
                rec = table.residue(gene, protein.start)
                if rec is not None and rec.type == SINGLE and rec.count("*") > 0:
                    extra = (f" at cancerhotspots v2 hotspot residue {rec.residue}, where the stop "
                             f"was observed in {_tumors(rec.count('*'))}")
                    hot = True
            return (Oncogenicity.LIKELY_ONCOGENIC,
                    f"truncating change in {gene}, a tumor suppressor{extra} "
                    "(loss of function).", hot)
        what = "an oncogene" if role == ONCOGENE else "a gene of unknown role"
        return (Oncogenicity.VUS,
                f"truncating change in {gene}, {what}; no functional evidence bundled.", False)

    return (Oncogenicity.VUS,
            f"{alt}: not a known hotspot; no functional evidence bundled.", False)


# --------------------------------------------------------------------------------------------------
def _hotspot_call(gene: str, protein: ProteinChange,
                  rec: HotspotRecord) -> tuple[Oncogenicity, str, bool]:
    if rec.type == SINGLE:
        n = rec.count(protein.alt)
        where = f"cancerhotspots v2 hotspot residue {gene} {rec.residue}"
        if n >= MIN_TUMORS_ONCOGENIC:
            return (Oncogenicity.ONCOGENIC, f"{where} ({protein.alt} observed in {_tumors(n)}).",
                    True)
        seen = f"observed in only {_tumors(n)}" if n else "not observed there"
        return (Oncogenicity.LIKELY_ONCOGENIC,
                f"{where} (mutated in {_tumors(rec.tumor_count)}; {protein.alt} {seen}).", True)
    change = str(protein)
    n = rec.count(change)
    where = f"cancerhotspots v2 in-frame indel hotspot {gene} {rec.residue}"
    if n >= MIN_TUMORS_ONCOGENIC:
        return (Oncogenicity.ONCOGENIC, f"{where} ({change} observed in {_tumors(n)}).", True)
    seen = f"observed in only {_tumors(n)}" if n else "not itself observed there"
    return (Oncogenicity.LIKELY_ONCOGENIC,
            f"{where} (mutated in {_tumors(rec.tumor_count)}; {change} {seen}).", True)


def _is_missense(protein: ProteinChange) -> bool:
    """A single amino-acid substitution (incl. a one-residue delins and a start-codon missense)."""
    if protein.start != protein.end or len(protein.alt) != 1 or protein.alt in ("*", "?"):
        return False
    if protein.alt == protein.ref:
        return False
    return protein.kind in ("missense", "delins", "start_lost")


def _ref_agrees(rec: HotspotRecord, protein: ProteinChange) -> bool:
    return not rec.ref_aa or not protein.ref or rec.ref_aa == protein.ref


def _is_truncating(alt: Alteration) -> bool:
    if alt.consequence is not None and alt.consequence.is_truncating:
        return True
    return alt.protein is not None and alt.protein.kind in _TRUNCATING_KINDS


def _tumors(n: int) -> str:
    return f"{n} tumor" if n == 1 else f"{n} tumors"


def _parse_alts(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in text.split("|") if text else ():
        name, _, count = item.rpartition(":")
        out[name] = int(count)
    return out


def _float(text: str) -> float | None:
    if not text:
        return None
    value = float(text)
    return None if math.isnan(value) else value
