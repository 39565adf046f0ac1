"""Tier stage: a candidate match + the patient's tumor type → AMP/ASCO/CAP 2017 tier, with reasons.

The rules (each has an id that the output names, and the README documents):

=================  =================================================  ======  =====
rule               when                                               level   tier
=================  =================================================  ======  =====
``on-label``       patient's tumor type is the row's or below it      row's   A/B→I, C/D→II
``off-label-AB``   another tumor type, row level A or B               C       II
``off-label-CD``   another tumor type, row level C or D               D       II
=================  =================================================  ======  =====

AMP/ASCO/CAP 2017 (Li et al., PMID 27993330) puts "FDA-approved therapies for different tumor
types" at level C; we also lower small studies (level C) from another tumor type to D, because
for the patient's tumor type they are no more than a few reports without consensus. Rows whose
tumor type is the OncoTree root (TISSUE) or MIXED (tumor-agnostic approvals, basket trials that
enrolled on the biomarker across tumor types, e.g. NCI-MATCH) are on-label for every tumor type
within the population the source enrolled (``population``, e.g. solid tumours only); their level
already says how strong that tumor-agnostic evidence is. Siblings are not on-label: HNSC evidence is off-label for NPC even though
both sit under HEAD_NECK.

Alongside, the OncoKB-style level and the ESCAT tier where the mapping is defined
(:func:`oncokb_level`, :func:`escat_tier`); resistance rows are tiered the same way but reported
on their own axis and never mixed into the sensitivity ranking.
"""

from __future__ import annotations

from varmatch.kb.oncotree import OncoTree
from varmatch.match import Candidate
from varmatch.models import (
    Alteration,
    Direction,
    EvidenceKind,
    EvidenceLevel,
    Match,
    Oncogenicity,
    Tier,
    TumorRelation,
)

ROOT = "TISSUE"
TUMOR_AGNOSTIC = frozenset({ROOT, "MIXED"})

_KIND_PHRASE = {
    EvidenceKind.REGULATORY: "a regulatory approval",
    EvidenceKind.GUIDELINE: "a professional guideline",
    EvidenceKind.PHASE3: "a phase III trial",
    EvidenceKind.PHASE2: "a phase II trial",
    EvidenceKind.BASKET: "a basket trial",
    EvidenceKind.PHASE1: "a phase I study",
    EvidenceKind.RETROSPECTIVE: "a retrospective study",
    EvidenceKind.CASE_REPORT: "a case report",
    EvidenceKind.PRECLINICAL: "preclinical studies",
}
_CLINICAL = frozenset(EvidenceKind) - {EvidenceKind.PRECLINICAL}


def relation(patient: str, evidence_type: str, tree: OncoTree,
             population: tuple[str, ...] = ()) -> TumorRelation:
    """On-label when the patient's tumor type is the row's (or below it in OncoTree). A row with
    an enrolled ``population`` (OncoTree codes, e.g. the solid tumours of a basket) is on-label
    only within one of those codes, whatever its tumor type; without one, a tumor-agnostic row
    (TISSUE/MIXED) is on-label everywhere."""
    if population:
        scope = population
    else:
        scope = (ROOT,) if evidence_type in TUMOR_AGNOSTIC else (evidence_type,)
    if any(code == ROOT or tree.is_within(patient, code) for code in scope):
        return TumorRelation.ON_LABEL
    return TumorRelation.OFF_LABEL


def population_text(population: tuple[str, ...], tree: OncoTree) -> str:
    """'BRCA, IBC, MBC', or for a list of nearly all tissues 'every tissue except Hematopoietic'."""
    tissues = set(tree.children(ROOT))
    missing = tissues - set(population)
    if set(population) <= tissues and 0 < len(missing) <= 3:
        return "every tissue except " + ", ".join(tree.name(c) for c in sorted(missing))
    return ", ".join(population)


def level_for_patient(row_level: EvidenceLevel, rel: TumorRelation) -> tuple[EvidenceLevel, str]:
    if rel is TumorRelation.ON_LABEL:
        return row_level, "on-label"
    if row_level in (EvidenceLevel.A, EvidenceLevel.B):
        return EvidenceLevel.C, "off-label-AB"
    return EvidenceLevel.D, "off-label-CD"


def tier_of(level: EvidenceLevel) -> Tier:
    return Tier.I if level in (EvidenceLevel.A, EvidenceLevel.B) else Tier.II


def oncokb_level(c: Candidate, rel: TumorRelation) -> str:
    """OncoKB-style therapeutic level (1, 2, 3A, 3B, 4, R1, R2) where the mapping is defined."""
    ev = c.evidence
    if ev.direction is Direction.COUNTER_EVIDENCE:
        return ""
    clinical = ev.kind in _CLINICAL and ev.kind is not EvidenceKind.CASE_REPORT
    if ev.direction is Direction.RESISTANCE:
        if rel is TumorRelation.ON_LABEL and ev.level in (EvidenceLevel.A, EvidenceLevel.B):
            return "R1"
        return "R2" if clinical else ""
    if rel is TumorRelation.ON_LABEL:
        if ev.level is EvidenceLevel.A:
            return "1" if ev.kind is EvidenceKind.REGULATORY else "2"
        if ev.level in (EvidenceLevel.B, EvidenceLevel.C) and clinical:
            return "3A"
        return "4"
    return "3B" if clinical else "4"


def escat_tier(c: Candidate, rel: TumorRelation) -> str:
    """ESCAT tier (Mateo et al. 2018) where the mapping is defined; '' otherwise."""
    ev = c.evidence
    if ev.direction is not Direction.SENSITIVITY or ev.kind is EvidenceKind.CASE_REPORT:
        return ""
    if ev.kind is EvidenceKind.PRECLINICAL:
        return "IV-A"
    if rel is TumorRelation.OFF_LABEL:
        return "III-A"
    return {
        EvidenceKind.REGULATORY: "I-A",
        EvidenceKind.GUIDELINE: "I-A",
        EvidenceKind.PHASE3: "I-A",
        EvidenceKind.PHASE2: "I-B",
        EvidenceKind.BASKET: "I-C",
        EvidenceKind.PHASE1: "II-A",
        EvidenceKind.RETROSPECTIVE: "II-A",
    }.get(ev.kind, "")


def tier_candidate(c: Candidate, patient: str, tree: OncoTree) -> Match:
    ev = c.evidence
    rel = relation(patient, ev.tumor_type, tree, ev.population)
    level, rule = level_for_patient(ev.level, rel)
    tier = tier_of(level)
    why = explain(c, patient, rel, level, tier, rule, tree)
    return Match(c.alterations, ev, c.rung, rel, tier, level, rule, why,
                 oncokb_level(c, rel), escat_tier(c, rel))


def explain(c: Candidate, patient: str, rel: TumorRelation, level: EvidenceLevel, tier: Tier,
            rule: str, tree: OncoTree) -> str:
    ev = c.evidence
    source = _KIND_PHRASE[ev.kind]
    if ev.regulatory:
        source += f" ({ev.regulatory})"
    where = f"{tree.name(ev.tumor_type)} ({ev.tumor_type})"
    alts = ", ".join(str(a) for a in c.alterations)
    effect = {Direction.SENSITIVITY: "response to", Direction.RESISTANCE: "resistance to",
              Direction.COUNTER_EVIDENCE: "no benefit from"}[ev.direction]
    head = (f"Tier {tier} (level {level}): {source} links {ev.biomarker} to {effect} "
            f"{ev.therapy} in {where}; {alts} meets it at the {c.rung} rung.")
    if rule == "on-label":
        if ev.population:
            rel_text = (f"{patient} lies within the population the source covers "
                        f"({population_text(ev.population, tree)}), so the row's level {ev.level} "
                        "stands.")
        elif ev.tumor_type in TUMOR_AGNOSTIC:
            rel_text = "The evidence is tumor-agnostic, so it applies to this tumor type."
        elif patient == ev.tumor_type:
            rel_text = f"This is the patient's tumor type ({patient}), so the row's level {ev.level} stands."
        else:
            rel_text = (f"{patient} lies within {ev.tumor_type} in OncoTree, so the row's level "
                        f"{ev.level} stands.")
    elif ev.population:
        rel_text = (f"{patient} is outside the population the source covers "
                    f"({population_text(ev.population, tree)}): level-{ev.level} evidence is no more than "
                    f"level {level} for this tumor type.")
        broader = [c for c in ev.population if patient != ROOT and tree.is_within(c, patient)]
        if broader:
            rel_text += (f" {patient} is broader than {', '.join(broader)}: if the tumor is one "
                         "of those, give that OncoTree code.")
    elif rule == "off-label-AB":
        rel_text = (f"{patient} is not within {ev.tumor_type}: level-{ev.level} evidence from another "
                    "tumor type is level C for this one (AMP/ASCO/CAP 2017).")
    else:
        rel_text = (f"{patient} is not within {ev.tumor_type}: level-{ev.level} evidence from another "
                    "tumor type is no more than level D for this one.")
    return f"{head} {rel_text}"


def tier_all(candidates: list[Candidate], patient: str, tree: OncoTree) -> list[Match]:
    """Tier every candidate. Rows not tied to their biomarker (``biomarker_restricted: false``,
    e.g. a histology approval that did not select on any gene) give no biomarker level and no
    tier: a biomarker level comes only from evidence that selected on, or analysed, the
    biomarker. They are left out of the ranked options; such a source belongs in the tumor
    type's clinical context (context.yaml), where the report shows it whatever the genotype."""
    kept = [c for c in candidates if c.evidence.biomarker_restricted]
    kept = [c for c in kept if not any(_supersedes(o, c) for o in kept)]
    matches = [tier_candidate(c, patient, tree) for c in kept]
    return sorted(matches, key=Match.sort_key)


def _supersedes(a: Candidate, b: Candidate) -> bool:
    """``a`` makes ``b`` redundant for these alterations: the same source (a shared citation) says
    something more specific (a narrower rung) and at least as strong (level) about the same
    therapy, direction and population - e.g. a label row listing its companion test's variants
    supersedes the same source's lower row for variants outside that list."""
    ea, eb = a.evidence, b.evidence
    return (ea.id != eb.id and a.alterations == b.alterations
            and (ea.drugs, ea.partners, ea.direction, ea.tumor_type, ea.population)
            == (eb.drugs, eb.partners, eb.direction, eb.tumor_type, eb.population)
            and a.rung.rank < b.rung.rank and ea.level.rank <= eb.level.rank
            and bool({c.id for c in ea.citations} & {c.id for c in eb.citations}))


def alteration_tier(alt: Alteration, matches: list[Match]) -> Tier:
    """Best sensitivity tier among the matches that use ``alt``; else III (VUS or oncogenic
    without bundled therapy evidence) or IV (benign / no protein change)."""
    tiers = [m.tier for m in matches
             if m.evidence.direction is Direction.SENSITIVITY and alt in m.alterations]
    if tiers:
        return min(tiers, key=lambda t: t.rank)
    if alt.oncogenicity is Oncogenicity.BENIGN:
        return Tier.IV
    return Tier.III
