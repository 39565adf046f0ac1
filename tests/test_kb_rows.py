"""Every knowledgebase row, exercised end to end: one concrete alteration per row, classed the way the
annotate stage classes it, matched against the whole bundled knowledgebase, and tiered for at least
two tumor types (the row's own and another, usually the seed context NPC).

A new row in ``knowledgebase/evidence.yaml`` without an entry in :data:`ROWS` fails
``test_every_knowledgebase_row_has_a_case``. Tier/level expectations follow the rules in
``varmatch/tiers.py``: on-label keeps the row's level (A/B -> Tier I, C/D -> Tier II); off-label
A/B -> C and C/D -> D (Tier II); MIXED/TISSUE rows are tumor-agnostic (on-label everywhere).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import pytest

from varmatch import kb as kbmod
from varmatch.annotate.oncogenicity import classify
from varmatch.kb.oncotree import OncoTree
from varmatch.match import match
from varmatch.models import (
    Alteration,
    AlterationType,
    Direction,
    MatchRung,
    Oncogenicity,
    ProteinChange,
    Tier,
    TumorRelation,
)
from varmatch.tiers import alteration_tier, tier_all

KB = kbmod.load(None)
ROLES = KB.gene_roles()
TREE = OncoTree.bundled()


def mutation(gene: str, p: str) -> Alteration:
    """A protein change as the annotate stage would hand it over: consequence from the change,
    oncogenicity and hotspot flag from the bundled hotspot table and gene roles."""
    pc = ProteinChange.parse(p)
    return _classed(Alteration(gene, protein=pc, consequence=pc.consequence))


def copy_number(gene: str, kind: AlterationType) -> Alteration:
    return _classed(Alteration(gene, type=kind))


def _classed(alt: Alteration) -> Alteration:
    onc, reason, hotspot = classify(alt, ROLES)
    return dataclasses.replace(alt, oncogenicity=onc, oncogenicity_reason=reason, hotspot=hotspot)


class Case(NamedTuple):
    alteration: Alteration
    oncogenicity: Oncogenicity  # what the annotate stage must call it
    rung: MatchRung
    tiers: tuple[tuple[str, str, str], ...]  # (patient tumor type, tier, level)


ON = Oncogenicity.ONCOGENIC
LO = Oncogenicity.LIKELY_ONCOGENIC
VUS = Oncogenicity.VUS
EXACT, CODON, CLASS = MatchRung.EXACT, MatchRung.CODON, MatchRung.CLASS
DEL, AMP = AlterationType.DELETION, AlterationType.AMPLIFICATION

AKT1_E17K = mutation("AKT1", "E17K")
PIK3CA_H1047R = mutation("PIK3CA", "H1047R")
PIK3CA_E545K = mutation("PIK3CA", "E545K")
PTEN_R130X = mutation("PTEN", "R130*")
PTEN_FS = mutation("PTEN", "K267Rfs*9")
PTEN_DEL = copy_number("PTEN", DEL)
TSC1_X = mutation("TSC1", "R509*")
TSC2_Q1178X = mutation("TSC2", "Q1178*")
TSC2_DEL = copy_number("TSC2", DEL)
MTOR_S2215Y = mutation("MTOR", "S2215Y")
MTOR_E2014K = mutation("MTOR", "E2014K")
MTOR_F2108L = mutation("MTOR", "F2108L")
PIK3CA_N345K = mutation("PIK3CA", "N345K")
PTEN_R130Q = mutation("PTEN", "R130Q")

#: row id -> the alteration that must meet it, how, and the tier it must get in two or more tumor types.
ROWS: dict[str, Case] = {
    # capivasertib + fulvestrant, FDA label (invasive breast carcinoma, A): AKT1 E17K meets the
    # composite by its AKT1 member. A bare BREAST code is broader than the label: off-label (C).
    "VM0001": Case(AKT1_E17K, ON, CLASS, (("BRCA", "I", "A"), ("IDC", "I", "A"), ("BREAST", "II", "C"),
                                          ("NPC", "II", "C"))),
    # alpelisib + fulvestrant, FDA label: H1047R is on the companion test's list (exact rung)
    "VM0002": Case(PIK3CA_H1047R, ON, EXACT, (("BRCA", "I", "A"), ("IBC", "I", "A"), ("NPC", "II", "C"))),
    # inavolisib + palbociclib + fulvestrant, FDA label: PIK3CA helical-domain hotspot
    "VM0003": Case(PIK3CA_E545K, ON, CLASS, (("BRCA", "I", "A"), ("HNSC", "II", "C"))),
    "VM0005": Case(AKT1_E17K, ON, EXACT, (("BRCA", "II", "C"), ("NPC", "II", "D"))),
    # NCI-MATCH Y and Z1K enrolled solid tumours: on-label for any solid tumour type, off-label for a
    # haematological cancer (Y: C -> D). Z1K cites only its registry entry (no results): level D.
    "VM0006": Case(AKT1_E17K, ON, EXACT, (("NPC", "II", "C"), ("BRCA", "II", "C"), ("AML", "II", "D"))),
    "VM0007": Case(AKT1_E17K, ON, EXACT, (("NPC", "II", "D"), ("PRAD", "II", "D"), ("DLBCLNOS", "II", "D"))),
    "VM0008": Case(PTEN_R130X, LO, CODON, (("BRCA", "II", "C"), ("NPC", "II", "D"))),
    "VM0009": Case(PTEN_DEL, LO, CLASS, (("PRAD", "II", "C"), ("NPC", "II", "D"))),
    # PTEN loss as resistance to alpelisib (own axis)
    "VM0010": Case(PTEN_DEL, LO, CLASS, (("BRCA", "II", "D"), ("NPC", "II", "D"))),
    "VM0011": Case(PTEN_FS, LO, CLASS, (("BRCA", "II", "C"), ("NPC", "II", "D"))),
    # HNSC evidence is a sibling of NPC under HEAD_NECK: off-label for NPC
    "VM0012": Case(PIK3CA_H1047R, ON, CLASS, (("HNSC", "II", "D"), ("NPC", "II", "D"))),
    "VM0017": Case(mutation("MTOR", "S2035F"), VUS, EXACT, (("BRCA", "II", "D"), ("NPC", "II", "D"))),
    "VM0019": Case(MTOR_S2215Y, ON, CLASS, (("RCC", "II", "D"), ("CCRCC", "II", "D"), ("NPC", "II", "D"))),
    "VM0020": Case(TSC2_DEL, LO, CLASS, (("PECOMA", "II", "D"), ("NPC", "II", "D"))),
    "VM0021": Case(TSC1_X, LO, CLASS, (("RCC", "II", "D"), ("NPC", "II", "D"))),
    "VM0022": Case(AKT1_E17K, ON, EXACT, (("BRCA", "II", "C"), ("NPC", "II", "D"))),
    # CAPItello-281: FDA-approved on IHC-defined PTEN deficiency; DNA loss is a surrogate (level C)
    "VM0023": Case(PTEN_DEL, LO, CLASS, (("PRAD", "II", "C"), ("NPC", "II", "D"))),
    "VM0024": Case(copy_number("PIK3CA", AMP), LO, CLASS, (("NPC", "II", "D"), ("BRCA", "II", "D"))),
    "VM0025": Case(PIK3CA_E545K, ON, CLASS, (("STAD", "II", "D"), ("NPC", "II", "D"))),
    # fifth pass: alpelisib for a PIK3CA hotspot outside the companion test's list - level C, not A
    "VM0026": Case(PIK3CA_N345K, ON, CLASS, (("BRCA", "II", "C"), ("BREAST", "II", "D"), ("NPC", "II", "D"))),
    # exceptional responders (everolimus)
    "VM0027": Case(MTOR_E2014K, VUS, EXACT, (("BLCA", "II", "D"), ("UTUC", "II", "D"), ("NPC", "II", "D"))),
    "VM0028": Case(TSC2_Q1178X, LO, EXACT, (("THAP", "II", "D"), ("NPC", "II", "D"))),
    "VM0029": Case(MTOR_F2108L, VUS, EXACT, (("THAP", "II", "D"), ("NPC", "II", "D"))),
    "VM0030": Case(PTEN_DEL, LO, CLASS, (("PRAD", "II", "C"), ("NPC", "II", "D"))),
    "VM0031": Case(PIK3CA_H1047R, ON, CLASS, (("BRCA", "II", "C"), ("NPC", "II", "D"))),
    "VM0032": Case(PTEN_DEL, LO, CLASS, (("BRCA", "II", "C"), ("NPC", "II", "D"))),
    # counter-evidence rows are tiered like the others and reported on their own axis
    "VM0033": Case(PTEN_FS, LO, CLASS, (("UCEC", "II", "C"), ("UEC", "II", "C"), ("NPC", "II", "D"))),
    "VM0034": Case(PTEN_DEL, LO, CLASS, (("UEC", "II", "C"), ("NPC", "II", "D"))),
    "VM0035": Case(copy_number("PIK3CA", AMP), LO, CLASS, (("NPC", "II", "C"), ("AML", "II", "D"))),
    # seed 000 ref 27: everolimus in AKT1-mutant prostate cancer (variant not stated): AKT1 E17K meets
    # it as an activating AKT1 mutation, off-label for NPC
    "VM0036": Case(AKT1_E17K, ON, CLASS, (("PRAD", "II", "D"), ("NPC", "II", "D"))),
    "VM0037": Case(PIK3CA_H1047R, ON, CLASS, (("NPC", "II", "D"), ("AML", "II", "D"))),
    "VM0038": Case(PIK3CA_E545K, ON, CLASS, (("UCEC", "II", "C"), ("NPC", "II", "D"))),
    "VM0039": Case(PTEN_DEL, LO, CLASS, (("UCEC", "II", "C"), ("NPC", "II", "D"))),
    "VM0040": Case(PTEN_DEL, LO, CLASS, (("NPC", "II", "D"), ("PRAD", "II", "D"))),
    "VM0041": Case(PTEN_R130Q, ON, CODON, (("UEC", "II", "D"), ("NPC", "II", "D"))),
    "VM0042": Case(PTEN_DEL, LO, CLASS, (("GB", "II", "D"), ("NPC", "II", "D"))),
    "VM0043": Case(PIK3CA_E545K, ON, EXACT, (("NPC", "II", "D"), ("AML", "II", "D"))),
    "VM0044": Case(PTEN_DEL, LO, CLASS, (("UEC", "II", "D"), ("NPC", "II", "D"))),
    # Tsc1/Tsc2-deficient rodent models (preclinical, D everywhere)
    "VM0045": Case(TSC2_Q1178X, LO, CLASS, (("CCRCC", "II", "D"), ("NPC", "II", "D"))),
    "VM0046": Case(TSC2_DEL, LO, CLASS, (("RCC", "II", "D"), ("PECOMA", "II", "D"))),
    "VM0047": Case(TSC2_Q1178X, LO, CLASS, (("KIDNEY", "II", "D"), ("THAP", "II", "D"))),
    "VM0048": Case(TSC2_DEL, LO, CLASS, (("CCRCC", "II", "D"), ("BLCA", "II", "D"))),
    "VM0049": Case(TSC1_X, LO, CLASS, (("ANGS", "II", "D"), ("BLCA", "II", "D"))),
    # BOLERO-2: everolimus benefit whatever the PIK3CA status (phase III counter-evidence)
    "VM0050": Case(PIK3CA_H1047R, ON, CLASS, (("BRCA", "II", "C"), ("ILC", "II", "C"), ("NPC", "II", "D"))),
    # Iyer 2012: TSC1 truncation in bladder cancer; a TSC1 deletion is not what was sequenced
    "VM0051": Case(TSC1_X, LO, CLASS, (("BLCA", "II", "C"), ("UTUC", "II", "D"), ("NPC", "II", "D"))),
    # ipatasertib. LOTUS (phase II, TNBC): the NGS-altered subgroup (exploratory), C in breast carcinoma;
    # a bare BREAST code is broader than the trial's population (D)
    "VM0052": Case(PIK3CA_E545K, ON, CLASS, (("BRCA", "II", "C"), ("IDC", "II", "C"),
                                             ("BREAST", "II", "D"), ("NPC", "II", "D"))),
    # IPATunity130 cohort A: biomarker-selected phase III, primary endpoint negative: counter-evidence at B
    # (Tier I in breast carcinoma, C off-label)
    "VM0053": Case(AKT1_E17K, ON, CLASS, (("BRCA", "I", "B"), ("IBC", "I", "B"), ("NPC", "II", "C"))),
    # LOTUS PTEN-low by IHC: a DNA deletion is the surrogate that matches
    "VM0054": Case(PTEN_DEL, LO, CLASS, (("BRCA", "II", "C"), ("NPC", "II", "D"))),
    # ipatasertib + atezolizumab + taxane: PIK3CA associated with long PFS (exploratory, single-arm): D
    "VM0055": Case(PIK3CA_H1047R, ON, CLASS, (("BRCA", "II", "D"), ("NPC", "II", "D"))),
    # first-in-human phase I, solid tumours only: stable disease, D everywhere (off-label in AML)
    "VM0056": Case(PTEN_FS, LO, CLASS, (("NPC", "II", "D"), ("PRAD", "II", "D"), ("AML", "II", "D"))),
}


def _pool(row_id: str) -> list:
    """The row with every row except other counter-evidence: each row's own rung and tier, apart
    from the one-level drop that on-label counter-evidence brings (tests/test_civic.py and
    tests/test_overclaims.py check that rule)."""
    return [e for e in KB.evidence
            if e.id == row_id or e.direction is not Direction.COUNTER_EVIDENCE]


def _match_of(row_id: str, alt: Alteration, tumor: str):
    matches = tier_all(match([alt], _pool(row_id), ROLES), tumor, TREE)
    hits = [m for m in matches if m.evidence.id == row_id]
    assert len(hits) == 1, f"{alt} should meet {row_id} exactly once, got {len(hits)}"
    return hits[0]


def test_every_knowledgebase_row_has_a_case():
    assert set(ROWS) == {ev.id for ev in KB.evidence}


@pytest.mark.parametrize("row_id", sorted(ROWS))
def test_row_is_met_by_its_alteration_at_the_expected_rung_and_tiers(row_id):
    case = ROWS[row_id]
    assert case.alteration.oncogenicity is case.oncogenicity, case.alteration.oncogenicity_reason
    assert len(case.tiers) >= 2
    for tumor, tier, level in case.tiers:
        if tier == "-":
            got = tier_all(match([case.alteration], _pool(row_id), ROLES), tumor, TREE)
            assert row_id not in {m.evidence.id for m in got}, f"{row_id} must not match in {tumor}"
            continue
        m = _match_of(row_id, case.alteration, tumor)
        assert m.rung is case.rung
        assert (str(m.tier), str(m.level)) == (tier, level), f"{row_id} in {tumor}: {m.why}"
        assert m.evidence.citations and all(c.id in KB.references for c in m.evidence.citations)


def test_own_tumor_type_keeps_the_rows_level():
    for row_id, case in ROWS.items():
        ev = next(e for e in KB.evidence if e.id == row_id)
        m = _match_of(row_id, case.alteration, ev.tumor_type if ev.tumor_type != "MIXED" else "NPC")
        assert m.relation is TumorRelation.ON_LABEL
        assert m.level == ev.level


# -------------------------------------------------------------------------------------- biology
def test_akt1_e17k_in_nasopharyngeal_carcinoma_gets_only_off_label_or_basket_tiers():
    """The seed scenario: NPC with AKT1 E17K. Every AKT inhibitor with AKT1 evidence is offered,
    and an mTOR inhibitor (everolimus, seed 000 ref 27), none at Tier I; breast evidence is
    off-label, the NCI-MATCH baskets enrolled solid tumours and so apply to NPC."""
    matches = tier_all(match([AKT1_E17K], KB.evidence, ROLES), "NPC", TREE)
    sens = [m for m in matches if m.evidence.direction is Direction.SENSITIVITY]
    assert sens, "AKT1 E17K must meet the AKT-inhibitor rows"
    assert all(m.tier is Tier.II for m in sens)
    assert alteration_tier(AKT1_E17K, matches) is Tier.II
    drugs = {d for m in sens for d in m.evidence.drugs}
    assert drugs == {"capivasertib", "ipatasertib", "everolimus"}
    by_id = {m.evidence.id: m for m in sens}
    assert {"VM0001", "VM0005", "VM0006", "VM0007", "VM0022", "VM0036"} <= set(by_id)
    # FDA breast approval: level C for another tumor type (AMP/ASCO/CAP 2017)
    assert by_id["VM0001"].relation is TumorRelation.OFF_LABEL
    assert str(by_id["VM0001"].level) == "C"
    # breast phase I evidence: no more than level D for NPC
    assert str(by_id["VM0005"].level) == str(by_id["VM0022"].level) == "D"
    # solid-tumour baskets stand at their own level (Y: C; Z1K: D, registry only)
    for basket, level in (("VM0006", "C"), ("VM0007", "D")):
        assert by_id[basket].relation is TumorRelation.ON_LABEL
        assert by_id[basket].evidence.tumor_type == "MIXED"
        assert str(by_id[basket].level) == level
    # the mTOR-inhibitor option: a single prostate case whose AKT1 variant is not stated
    evero = by_id["VM0036"]
    assert (str(evero.tier), str(evero.level), evero.relation) == ("II", "D", TumorRelation.OFF_LABEL)
    assert evero.evidence.kind.value == "case_report"
    assert any("not stated" in r for r in evero.evidence.requirements)
    assert [c.id for c in evero.evidence.citations] == ["DOI:10.2147/OTT.S334205"]
    for m in sens:
        assert m.evidence.citations
        assert all(c.id in KB.references for c in m.evidence.citations)
        assert "Tier II" in m.why


def test_npc_context_places_pathway_drugs_after_platinum_and_pd1():
    lines = KB.context["NPC"]["lines"]
    assert any("off-label" in ln["line"] and "PD-1" in ln["line"] for ln in lines)
    assert all(ln["citation"] in KB.references for ln in lines)


def test_acquired_mtor_f2108l_is_resistance_only_and_never_raises_the_sensitivity_tier():
    # Wagle 2014 (VM0029, restored in the fifth pass with the CIViC PMID): F2108L acquired under
    # everolimus. A VUS with resistance evidence only: it stays Tier III.
    alt = mutation("MTOR", "F2108L")
    matches = tier_all(match([alt], KB.evidence, ROLES), "THAP", TREE)
    assert "VM0029" in {m.evidence.id for m in matches}
    assert all(m.evidence.direction is Direction.RESISTANCE for m in matches)
    assert alteration_tier(alt, matches) is Tier.III


def test_pten_loss_is_both_an_akt_inhibitor_marker_and_alpelisib_resistance_in_breast():
    dels = tier_all(match([PTEN_DEL], KB.evidence, ROLES), "BRCA", TREE)
    muts = tier_all(match([PTEN_FS], KB.evidence, ROLES), "BRCA", TREE)
    resist = lambda ms: {m.evidence.id for m in ms if m.evidence.direction is Direction.RESISTANCE}  # noqa: E731
    sens = lambda ms: {m.evidence.id for m in ms if m.evidence.direction is Direction.SENSITIVITY}  # noqa: E731
    # Juric 2015 saw copy loss: deletion meets it; Razavi 2020 reported mutations only
    assert resist(dels) == {"VM0010"}
    assert resist(muts) == {"VM0010", "VM0011"}
    # the capivasertib label covers PTEN loss; the PTEN-mutant phase I cohort (VM0008) only mutations
    assert "VM0001" in sens(dels) and "VM0008" not in sens(dels)
    assert {"VM0001", "VM0008"} <= sens(muts)


def test_pten_deletion_in_prostate_is_not_tier_one_because_the_label_biomarker_is_ihc():
    matches = tier_all(match([PTEN_DEL], KB.evidence, ROLES), "PRAD", TREE)
    capi = [m for m in matches if m.evidence.id == "VM0023"]
    assert capi and capi[0].tier is Tier.II
    assert any("immunohistochemistry" in r for r in capi[0].evidence.requirements)


def test_rapalog_rcc_cohort_is_split_into_one_row_per_drug():
    rows = [e for e in KB.evidence if e.id in ("VM0019", "VM0021")]
    assert sorted(d for e in rows for d in e.drugs) == ["everolimus", "temsirolimus"]
    assert all(len(e.drugs) == 1 and not e.partners for e in rows)


def test_no_row_lists_two_pathway_drugs_as_if_given_together():
    pathway = {"everolimus", "temsirolimus", "sirolimus", "nab-sirolimus", "capivasertib",
               "ipatasertib", "alpelisib", "inavolisib"}
    for ev in KB.evidence:
        assert len(set(ev.drugs) & pathway) <= 1, ev.id


def test_synonymous_or_vus_changes_do_not_meet_class_rows():
    vus = mutation("PIK3CA", "A2V")
    assert vus.oncogenicity is VUS
    hits = match([vus], KB.evidence, ROLES)
    assert hits == []


def test_other_akt1_codon17_change_does_not_meet_e17k_exact_rows():
    alt = mutation("AKT1", "E17G")
    ids = {c.evidence.id for c in match([alt], KB.evidence, ROLES)}
    assert not ids & {"VM0005", "VM0006", "VM0007", "VM0022"}


def test_ipatasertib_in_pik3ca_mutant_breast_carcinoma_is_weighed_against_ipatunity130():
    """LOTUS (phase II) suggested ipatasertib + paclitaxel helps PIK3CA/AKT1/PTEN-altered TNBC; the
    biomarker-selected phase III IPATunity130 cohort A found no benefit. For PIK3CA E545K in invasive
    breast carcinoma the phase III counter-evidence (B) qualifies the LOTUS option and drops it from C
    to D; in NPC the breast trial is off-label and only shown."""
    brca = {m.evidence.id: m for m in tier_all(match([PIK3CA_E545K], KB.evidence, ROLES), "BRCA", TREE)}
    lotus, ipat130 = brca["VM0052"], brca["VM0053"]
    assert ipat130.evidence.direction is Direction.COUNTER_EVIDENCE and str(ipat130.level) == "B"
    assert "VM0053" in {q.evidence.id for q in lotus.qualifiers}
    assert (str(lotus.tier), str(lotus.level)) == ("II", "D") and lotus.rule.endswith("+conflicting")
    # the Tier I counter-evidence never makes ipatasertib a Tier I option for this alteration
    ipat = [m for m in brca.values() if "ipatasertib" in m.evidence.drugs]
    assert alteration_tier(PIK3CA_E545K, ipat) is Tier.II
    npc = {m.evidence.id: m for m in tier_all(match([PIK3CA_E545K], KB.evidence, ROLES), "NPC", TREE)}
    assert not npc["VM0052"].rule.endswith("+conflicting")
    assert npc["VM0053"].relation is not TumorRelation.ON_LABEL
