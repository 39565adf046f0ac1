"""Match stage: annotated alterations × knowledgebase evidence → candidate matches with their rung.

A biomarker names exactly one thing (a protein change, a codon, a residue range or exon, an
alteration class, or the gene), so an alteration matches a row only as far as the row itself
reaches: an exact-change row never matches a different change at the same codon. Composites:
``any_of`` matches through its most specific member; ``all_of`` needs every member met (by any
alteration of the sample) and carries the least specific rung among them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from varmatch.models import (
    Alteration,
    AlterationClass,
    AlterationType,
    Biomarker,
    Consequence,
    Evidence,
    MatchRung,
    Oncogenicity,
)

_ONCOGENIC = (Oncogenicity.ONCOGENIC, Oncogenicity.LIKELY_ONCOGENIC)


def in_class(alt: Alteration, cls: AlterationClass, role: str) -> bool:
    """Whether ``alt`` belongs to ``cls``. ``role`` is the gene's role in genes.yaml.

    - activating: a mutation in an oncogene that is a hotspot or classed (likely) oncogenic;
    - hotspot: hits a cancerhotspots residue (as classed by the annotate stage);
    - oncogenic: classed oncogenic or likely oncogenic, any mechanism;
    - oncogenic_mutation: a (likely) oncogenic mutation: never a copy-number change or fusion
      (CIViC "MUTATION": the cohorts were sequenced, not copy-number typed);
    - truncating: nonsense, frameshift, splice donor/acceptor, start lost;
    - frameshift: a frameshift only (CIViC "FRAMESHIFT TRUNCATION");
    - loss_of_function: truncating, deep deletion, or a (likely) oncogenic mutation in a tumor
      suppressor (known LoF missense such as PTEN R130G/Q, C124S);
    - amplification / deletion / fusion: the copy-number or structural event itself.
    """
    is_mut = alt.type is AlterationType.MUTATION
    if cls is AlterationClass.ACTIVATING:
        return is_mut and role == "oncogene" and (alt.hotspot or alt.oncogenicity in _ONCOGENIC)
    if cls is AlterationClass.HOTSPOT:
        return is_mut and alt.hotspot
    if cls is AlterationClass.ONCOGENIC:
        return alt.oncogenicity in _ONCOGENIC
    if cls is AlterationClass.ONCOGENIC_MUTATION:
        return is_mut and alt.oncogenicity in _ONCOGENIC
    if cls is AlterationClass.FRAMESHIFT:
        return is_mut and (alt.consequence is Consequence.FRAMESHIFT
                           or (alt.protein is not None and alt.protein.kind == "frameshift"))
    if cls is AlterationClass.TRUNCATING:
        return is_mut and alt.consequence is not None and alt.consequence.is_truncating
    if cls is AlterationClass.LOSS_OF_FUNCTION:
        if alt.type is AlterationType.DELETION:
            return True
        if is_mut and alt.consequence is not None and alt.consequence.is_truncating:
            return True
        return is_mut and role == "tumor_suppressor" and alt.oncogenicity in _ONCOGENIC
    if cls is AlterationClass.AMPLIFICATION:
        return alt.type is AlterationType.AMPLIFICATION
    if cls is AlterationClass.DELETION:
        return alt.type is AlterationType.DELETION
    if cls is AlterationClass.FUSION:
        return alt.type is AlterationType.FUSION
    raise ValueError(cls)  # pragma: no cover - enum is closed


def _protein_altering(alt: Alteration) -> bool:
    return (alt.type is AlterationType.MUTATION and alt.protein is not None
            and alt.protein.kind != "synonymous"
            and alt.consequence not in (Consequence.SYNONYMOUS, Consequence.STOP_RETAINED))


def rung_for(bm: Biomarker, alt: Alteration, roles: dict[str, str]) -> MatchRung | None:
    """The rung at which a simple (non-composite) biomarker matches ``alt``, or None."""
    if bm.gene != alt.gene:
        return None
    if bm.protein is not None:
        if alt.protein is None:
            return None
        if bm.protein.kind == "frameshift" and not bm.protein.alt and bm.protein.fs_stop is None:
            # "V317fs" names the frameshift at codon 317, whatever its new residue and stop
            hit = alt.protein.kind == "frameshift" and alt.protein.start == bm.protein.start
            return MatchRung.EXACT if hit else None
        return MatchRung.EXACT if str(alt.protein) == str(bm.protein) else None
    if bm.codon is not None:
        return MatchRung.CODON if _protein_altering(alt) and bm.codon in alt.protein.codons else None
    if bm.residues is not None:
        lo, hi = bm.residues
        hit = _protein_altering(alt) and alt.protein.start <= hi and alt.protein.end >= lo
        return MatchRung.RANGE if hit else None
    if bm.exon is not None:
        hit = alt.type is AlterationType.MUTATION and alt.exon == bm.exon and (
            _protein_altering(alt) or (alt.consequence is not None and alt.consequence.is_truncating))
        return MatchRung.RANGE if hit else None
    if bm.alteration_class is not None:
        return MatchRung.CLASS if in_class(alt, bm.alteration_class, roles.get(alt.gene, "")) else None
    # gene level: any (likely) oncogenic alteration of the gene; VUS do not count
    return MatchRung.GENE if alt.oncogenicity in _ONCOGENIC else None


@dataclass(frozen=True)
class Candidate:
    """A match before tiering."""

    evidence: Evidence
    alterations: tuple[Alteration, ...]
    rung: MatchRung


def _match(bm: Biomarker, alts: list[Alteration], roles) -> tuple[MatchRung, tuple[Alteration, ...]] | None:
    if bm.any_of:
        best = None
        for sub in bm.any_of:
            m = _match(sub, alts, roles)
            if m and (best is None or m[0].rank < best[0].rank):
                best = m
        return best
    if bm.all_of:
        parts = [_match(sub, alts, roles) for sub in bm.all_of]
        if any(p is None for p in parts):
            return None
        worst = max((p[0] for p in parts), key=lambda r: r.rank)
        used: list[Alteration] = []
        for p in parts:
            used += [a for a in p[1] if a not in used]
        return worst, tuple(used)
    best = None
    for alt in alts:
        r = rung_for(bm, alt, roles)
        if r and (best is None or r.rank < best[0].rank):
            best = (r, (alt,))
    return best


def match(alterations: Iterable[Alteration], evidence: Iterable[Evidence],
          roles: dict[str, str]) -> list[Candidate]:
    """Every (evidence row, alteration) pair that meets the row's biomarker.

    A simple biomarker yields one candidate per matching alteration, and so does an ``any_of``
    composite (each alteration that meets any member, at its own best rung: every qualifying
    alteration is tiered); an ``all_of`` composite yields one candidate for the sample.
    """
    alts = list(alterations)
    if not alts:
        return []
    by_gene: dict[str, list[Alteration]] = {}
    for a in alts:
        by_gene.setdefault(a.gene, []).append(a)
    out: list[Candidate] = []
    for ev in evidence:
        bm = ev.biomarker
        if not (bm.genes & by_gene.keys()):
            continue
        if bm.any_of:
            for alt in alts:
                m = _match(bm, [alt], roles)
                if m:
                    out.append(Candidate(ev, m[1], m[0]))
            continue
        if bm.all_of:
            m = _match(bm, alts, roles)
            if m:
                out.append(Candidate(ev, m[1], m[0]))
            continue
        for alt in by_gene.get(bm.gene, ()):
            r = rung_for(bm, alt, roles)
            if r:
                out.append(Candidate(ev, (alt,), r))
    return out
