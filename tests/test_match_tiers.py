"""The matching ladder and the AMP/ASCO/CAP tier rules, on small inline evidence rows."""

from datetime import date

import pytest

from varmatch.kb.oncotree import OncoTree
from varmatch.match import match
from varmatch.models import (
    Alteration,
    AlterationClass,
    AlterationType,
    Biomarker,
    Citation,
    Consequence,
    Direction,
    Evidence,
    EvidenceKind,
    EvidenceLevel,
    MatchRung,
    Oncogenicity,
    ProteinChange,
    Tier,
    TumorRelation,
)
from varmatch.tiers import tier_all

ROLES = {"AKT1": "oncogene", "PIK3CA": "oncogene", "PTEN": "tumor_suppressor", "TSC1": "tumor_suppressor"}
TREE = OncoTree.bundled()


def ev(id, biomarker, tumor="BREAST", level="A", kind=EvidenceKind.REGULATORY,
       direction=Direction.SENSITIVITY, drugs=("capivasertib",)):
    return Evidence(id=id, biomarker=biomarker, drugs=drugs, direction=direction,
                    tumor_type=tumor, kind=kind, level=EvidenceLevel(level),
                    citations=(Citation("PMID:1"),), summary="test row", curated=date(2026, 11, 23),
                    regulatory="FDA 2023-11-16" if kind is EvidenceKind.REGULATORY else "")


def mut(gene, p, onc=Oncogenicity.ONCOGENIC, hotspot=True, consequence=None):
    pc = ProteinChange.parse(p)
    return Alteration(gene, protein=pc, consequence=consequence or pc.consequence,
                      oncogenicity=onc, hotspot=hotspot)


E17K = mut("AKT1", "E17K")
E17K_ROW = ev("VM9001", Biomarker(gene="AKT1", protein=ProteinChange.parse("E17K")))


def test_akt1_e17k_exact_row_matches_at_exact_rung():
    [c] = match([E17K], [E17K_ROW], ROLES)
    assert c.rung is MatchRung.EXACT


def test_exact_row_does_not_match_another_change_at_the_same_codon():
    assert match([mut("AKT1", "E17G")], [E17K_ROW], ROLES) == []


def test_codon_row_matches_any_change_at_the_codon():
    row = ev("VM9002", Biomarker(gene="PIK3CA", codon=1047))
    [c] = match([mut("PIK3CA", "H1047L")], [row], ROLES)
    assert c.rung is MatchRung.CODON


def test_synonymous_change_does_not_meet_a_codon_row():
    row = ev("VM9002", Biomarker(gene="PIK3CA", codon=1047))
    assert match([mut("PIK3CA", "H1047=", onc=Oncogenicity.BENIGN, hotspot=False)], [row], ROLES) == []


def test_pten_truncation_meets_loss_of_function_class_but_vus_missense_does_not():
    row = ev("VM9003", Biomarker(gene="PTEN", alteration_class=AlterationClass.LOSS_OF_FUNCTION))
    trunc = mut("PTEN", "R130*", onc=Oncogenicity.LIKELY_ONCOGENIC, hotspot=False)
    deletion = Alteration("PTEN", type=AlterationType.DELETION, oncogenicity=Oncogenicity.LIKELY_ONCOGENIC)
    vus = mut("PTEN", "A121T", onc=Oncogenicity.VUS, hotspot=False)
    got = match([trunc, deletion, vus], [row], ROLES)
    assert {str(c.alterations[0]) for c in got} == {"PTEN p.R130*", "PTEN deletion"}
    assert all(c.rung is MatchRung.CLASS for c in got)


def test_activating_class_needs_an_oncogene():
    row = ev("VM9004", Biomarker(gene="PTEN", alteration_class=AlterationClass.ACTIVATING))
    assert match([mut("PTEN", "R130G")], [row], ROLES) == []


def test_any_of_composite_tiers_each_of_its_alterations():
    """Issue 10 §4: a composite (PIK3CA or AKT1 or PTEN) row meets every qualifying alteration,
    each at its own rung, not only the sample's best one."""
    bm = Biomarker(any_of=(
        Biomarker(gene="PIK3CA", alteration_class=AlterationClass.ACTIVATING),
        Biomarker(gene="AKT1", protein=ProteinChange.parse("E17K")),
        Biomarker(gene="PTEN", alteration_class=AlterationClass.LOSS_OF_FUNCTION),
    ), label="PIK3CA/AKT1/PTEN alteration")
    cands = match([E17K, mut("PIK3CA", "H1047R"),
                   mut("PIK3CA", "V344M", Oncogenicity.VUS, hotspot=False)],
                  [ev("VM9005", bm)], ROLES)
    got = {str(c.alterations[0]): c.rung for c in cands}
    # V344M is a VUS, not activating: no match for it
    assert got == {"AKT1 p.E17K": MatchRung.EXACT, "PIK3CA p.H1047R": MatchRung.CLASS}


def test_all_of_needs_every_member():
    bm = Biomarker(all_of=(Biomarker(gene="AKT1", protein=ProteinChange.parse("E17K")),
                           Biomarker(gene="PIK3CA", codon=1047)))
    row = ev("VM9006", bm)
    assert match([E17K], [row], ROLES) == []
    [c] = match([E17K, mut("PIK3CA", "H1047R")], [row], ROLES)
    assert c.rung is MatchRung.CODON  # the least specific member


def test_akt1_e17k_in_npc_is_tier_ii_off_label_from_a_breast_approval():
    [m] = tier_all(match([E17K], [E17K_ROW], ROLES), "NPC", TREE)
    assert (m.tier, m.level, m.relation, m.rule) == (Tier.II, EvidenceLevel.C,
                                                     TumorRelation.OFF_LABEL, "off-label-AB")
    assert "NPC is not within BREAST" in m.why
    assert m.oncokb_level == "3B" and m.escat_tier == "III-A"


def test_akt1_e17k_in_breast_is_tier_i_on_label():
    [m] = tier_all(match([E17K], [E17K_ROW], ROLES), "BREAST", TREE)
    assert (m.tier, m.level, m.relation) == (Tier.I, EvidenceLevel.A, TumorRelation.ON_LABEL)
    assert m.oncokb_level == "1"


def test_invasive_ductal_carcinoma_is_on_label_for_breast_evidence():
    [m] = tier_all(match([E17K], [E17K_ROW], ROLES), "IDC", TREE)
    assert m.tier is Tier.I and "IDC lies within BREAST" in m.why


def test_hnsc_evidence_is_off_label_for_npc_although_both_are_head_and_neck():
    row = ev("VM9007", Biomarker(gene="PIK3CA", alteration_class=AlterationClass.ACTIVATING),
             tumor="HNSC", level="C", kind=EvidenceKind.PHASE2, drugs=("temsirolimus",))
    [on] = tier_all(match([mut("PIK3CA", "E545K")], [row], ROLES), "HNSC", TREE)
    [off] = tier_all(match([mut("PIK3CA", "E545K")], [row], ROLES), "NPC", TREE)
    assert (on.tier, on.level, on.escat_tier) == (Tier.II, EvidenceLevel.C, "I-B")
    assert (off.tier, off.level, off.rule) == (Tier.II, EvidenceLevel.D, "off-label-CD")


def test_resistance_sorts_after_sensitivity():
    res = ev("VM9008", Biomarker(gene="AKT1", protein=ProteinChange.parse("E17K")),
             direction=Direction.RESISTANCE, level="D", kind=EvidenceKind.PRECLINICAL,
             drugs=("everolimus",))
    ms = tier_all(match([E17K], [res, E17K_ROW], ROLES), "BREAST", TREE)
    assert [m.evidence.direction for m in ms] == [Direction.SENSITIVITY, Direction.RESISTANCE]


@pytest.mark.parametrize("consequence", [Consequence.FRAMESHIFT, Consequence.SPLICE_DONOR])
def test_truncating_class(consequence):
    row = ev("VM9009", Biomarker(gene="TSC1", alteration_class=AlterationClass.TRUNCATING),
             drugs=("everolimus",))
    alt = Alteration("TSC1", consequence=consequence, hgvs_c="c.1A>G",
                     oncogenicity=Oncogenicity.LIKELY_ONCOGENIC)
    assert len(match([alt], [row], ROLES)) == 1
