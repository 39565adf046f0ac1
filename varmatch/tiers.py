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
    evolve,
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
    EvidenceKind.VALIDATED: "a validated association",
    EvidenceKind.CLINICAL: "clinical data",
    EvidenceKind.INFERENTIAL: "inferential evidence",
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


def tier_candidate(c: Candidate, patient: str, tree: OncoTree, memo: dict | None = None) -> Match:
    """``c`` tiered for ``patient``. ``memo`` (owned by a caller that keeps the knowledgebase
    alive, e.g. one engine for a whole cohort) remembers the verdict per row, rung, tumor type
    and alteration names: it depends on nothing else, and a cohort asks the same again and again."""
    ev = c.evidence
    key = None
    if memo is not None:
        key = (id(ev), c.rung, patient, *(str(a) for a in c.alterations))
        hit = memo.get(key)
        if hit is not None:
            return Match(c.alterations, ev, c.rung, *hit, sources=(ev.layer,))
    # an imported row whose disease has no OncoTree code is always another tumor type
    rel = (relation(patient, ev.tumor_type, tree, ev.population) if ev.tumor_type
           else TumorRelation.OFF_LABEL)
    level, rule = level_for_patient(ev.level, rel)
    tier = tier_of(level)
    why = explain(c, patient, rel, level, tier, rule, tree)
    verdict = (rel, tier, level, rule, why, oncokb_level(c, rel), escat_tier(c, rel))
    if key is not None:
        if len(memo) > 500_000:  # a bound, not a policy: a cohort with that many distinct pairs
            memo.clear()
        memo[key] = verdict
    return Match(c.alterations, ev, c.rung, *verdict, sources=(ev.layer,))


def explain(c: Candidate, patient: str, rel: TumorRelation, level: EvidenceLevel, tier: Tier,
            rule: str, tree: OncoTree) -> str:
    ev = c.evidence
    source = _KIND_PHRASE[ev.kind]
    if ev.regulatory:
        source += f" ({ev.regulatory})"
    if ev.layer == "civic":
        source += f" (CIViC {ev.id})"
    where = (f"{tree.name(ev.tumor_type)} ({ev.tumor_type})" if ev.tumor_type
             else f"{ev.disease or 'an unspecified disease'} (no OncoTree code)")
    alts = ", ".join(str(a) for a in c.alterations)
    if ev.direction is Direction.COUNTER_EVIDENCE:
        head = (f"Tier {tier} (level {level}) counter-evidence: {source} does not support "
                f"{ev.biomarker} predicting response to {ev.therapy} in {where}; {alts} meets "
                f"it at the {c.rung} rung.")
    else:
        effect = "response to" if ev.direction is Direction.SENSITIVITY else "resistance to"
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
        rel_text = (f"{patient} is not within {ev.tumor_type or ev.disease}: level-{ev.level} evidence "
                    "from another tumor type is level C for this one (AMP/ASCO/CAP 2017).")
    else:
        rel_text = (f"{patient} is not within {ev.tumor_type or ev.disease}: level-{ev.level} evidence "
                    "from another tumor type is no more than level D for this one.")
    return f"{head} {rel_text}"


def tier_all(candidates: list[Candidate], patient: str, tree: OncoTree,
             memo: dict | None = None) -> list[Match]:
    """Tier every candidate. Rows not tied to their biomarker (``biomarker_restricted: false``,
    e.g. a histology approval that did not select on any gene) give no biomarker level and no
    tier: a biomarker level comes only from evidence that selected on, or analysed, the
    biomarker. They are left out of the ranked options; such a source belongs in the tumor
    type's clinical context (context.yaml), where the report shows it whatever the genotype."""
    kept = [c for c in candidates if c.evidence.biomarker_restricted]
    claims: dict[tuple, list[Candidate]] = {}  # only candidates making the same claim can supersede
    for c in kept:
        claims.setdefault(_claim(c), []).append(c)
    kept = [c for c in kept if not any(_supersedes(o, c) for o in claims[_claim(c)])]
    matches = [tier_candidate(c, patient, tree, memo) for c in kept]
    return sorted(qualify(merge_layers(matches)), key=Match.sort_key)


def _claim(c: Candidate) -> tuple:
    """What a candidate says: these alterations, this therapy, direction and population."""
    ev = c.evidence
    return (c.alterations, ev.drugs, ev.partners, ev.direction, ev.tumor_type, ev.population)


def _supersedes(a: Candidate, b: Candidate) -> bool:
    """``a`` makes ``b`` redundant for these alterations: the same source (a shared citation) says
    something more specific (a narrower rung) and at least as strong (level) about the same
    therapy, direction and population - e.g. a label row listing its companion test's variants
    supersedes the same source's lower row for variants outside that list."""
    ea, eb = a.evidence, b.evidence
    return (ea.id != eb.id and _claim(a) == _claim(b)
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


# --------------------------------------------------------------------------------------------------
# Layers and qualifiers. Curated rows are hand-verified; imported (CIViC) rows are mapped. Where an
# imported row says the same thing as a curated one for this sample (same alterations, direction,
# drugs and tumor type, and a shared citation), the result shows one option citing both. Where an
# imported resistance / counter-evidence row disagrees with a curated sensitivity row for the same
# alterations, drugs and tumor type, the curated row wins and says so (``conflict``).
_AGAINST = (Direction.RESISTANCE, Direction.COUNTER_EVIDENCE)


def _therapy_set(m: Match) -> frozenset[str]:
    return frozenset((*m.evidence.drugs, *m.evidence.partners))


def _ground(m: Match) -> tuple:
    """Two matches on the same ground: same tumor type, therapies and alterations."""
    return (m.evidence.tumor_type, _therapy_set(m), frozenset(x.key for x in m.alterations))


def merge_layers(matches: list[Match]) -> list[Match]:
    """Fold imported matches that repeat a curated one into it; mark curated/imported conflicts."""
    curated: dict[tuple, list[Match]] = {}
    for m in matches:
        if m.evidence.layer == "curated":
            curated.setdefault(_ground(m), []).append(m)
    out: dict[int, Match] = {id(m): m for m in matches}  # tier_candidate set each one's sources
    for imp in (m for m in matches if m.evidence.layer != "curated"):
        cites = {c.id for c in imp.evidence.citations}
        for cur in curated.get(_ground(imp), ()):
            mine = out[id(cur)]
            if (cur.evidence.direction is imp.evidence.direction
                    and cites & {c.id for c in cur.evidence.citations} and id(imp) in out):
                out[id(cur)] = evolve(mine, sources=(*mine.sources, imp.evidence.layer),
                                      merged=(*mine.merged, imp.evidence))
                del out[id(imp)]
                break
            if cur.evidence.direction is Direction.SENSITIVITY and imp.evidence.direction in _AGAINST:
                text = (f"The {imp.evidence.layer} row {imp.evidence.id} ({imp.evidence.direction}, "
                        f"level {imp.evidence.level}) "
                        f"disagrees for the same alteration, therapy and tumor type; the curated "
                        f"row {cur.evidence.id} stands.")
                out[id(cur)] = evolve(mine, conflict=" ".join(filter(None, (mine.conflict, text))))
    return list(out.values())


def _down(level: EvidenceLevel) -> EvidenceLevel:
    return EvidenceLevel("ABCDD"["ABCD".index(level.value) + 1])


def qualify(matches: list[Match]) -> list[Match]:
    """Attach to each sensitivity option the resistance and counter-evidence matches of the same
    sample that share a drug with it, and weigh them (AMP/ASCO/CAP 2017 asks that conflicting
    evidence be weighed): a qualifier that applies to this tumor type (on-label) at a level at least
    as strong as the option's own lowers the option by one level (A->B, B->C, C->D), which can move
    it from Tier I to II; rule ``+conflicting``. An imported qualifier never lowers a curated option
    (the curated row wins; see ``conflict``). Weaker or other-tumor-type qualifiers are shown only.
    """
    against = [(m, _therapy_set(m)) for m in matches if m.evidence.direction in _AGAINST]
    out = []
    for m in matches:
        if m.evidence.direction is not Direction.SENSITIVITY:
            out.append(m)
            continue
        drugs = set(m.evidence.drugs)
        by_id: dict[str, Match] = {}  # one qualifier per row: the match on this option's alteration
        for q, therapies in against:
            if drugs & therapies and (q.evidence.id not in by_id
                                      or set(q.alterations) & set(m.alterations)):
                by_id[q.evidence.id] = q
        quals = tuple(by_id.values())
        if not quals:
            out.append(m)
            continue
        weighty = [q for q in quals
                   if q.relation is TumorRelation.ON_LABEL and q.level.rank <= m.level.rank
                   and not (m.evidence.layer == "curated" and q.evidence.layer != "curated")]
        names = "; ".join(f"{q.evidence.id} ({q.evidence.direction}, {q.evidence.therapy}, "
                          f"level {q.level}, {q.relation})" for q in quals)
        why = f"{m.why} Qualified by {names}."
        level, tier, rule = m.level, m.tier, m.rule
        if weighty:
            level = _down(m.level)
            tier = tier_of(level)
            rule = f"{m.rule}+conflicting"
            ids = ", ".join(q.evidence.id for q in weighty)
            verb = "applies" if len(weighty) == 1 else "apply"
            change = (f"the option drops from level {m.level} to {level}" if level != m.level
                      else f"the option stays at level {level}, the lowest, marked conflicting")
            why += (f" {ids} {verb} to this tumor type at a level at least as strong, so "
                    f"{change}.")
        out.append(evolve(m, qualifiers=quals, level=level, tier=tier, rule=rule, why=why))
    return out
