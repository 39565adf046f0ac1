"""Oncogenicity rules on real pathway alterations, against the bundled cancerhotspots table."""

from __future__ import annotations

import pytest

from varmatch.annotate.oncogenicity import Hotspots, classify, load_hotspots
from varmatch.models import (
    Alteration,
    AlterationType,
    Consequence,
    Oncogenicity,
    ProteinChange,
)

ROLES = {
    "AKT1": "oncogene", "AKT2": "oncogene", "AKT3": "oncogene", "PIK3CA": "oncogene",
    "ERBB2": "oncogene", "EGFR": "oncogene", "KRAS": "oncogene", "BRAF": "oncogene",
    "MTOR": "oncogene", "PTEN": "tumor_suppressor", "TSC1": "tumor_suppressor",
    "TSC2": "tumor_suppressor", "STK11": "tumor_suppressor", "PIK3R1": "tumor_suppressor",
    "INPP4B": "tumor_suppressor",
}


def mutation(gene: str, change: str, consequence: Consequence | None = None) -> Alteration:
    return Alteration(gene, consequence=consequence, protein=ProteinChange.parse(change))


def call(alt: Alteration) -> tuple[Oncogenicity, str, bool]:
    return classify(alt, ROLES)


# -- the table -------------------------------------------------------------------------------------
def test_hotspot_table_is_cached_and_covers_the_pathway():
    table = load_hotspots()
    assert load_hotspots() is table
    assert {"AKT1", "PIK3CA", "PTEN", "PIK3R1", "MTOR", "ERBB2"} <= table.genes()


def test_akt1_e17k_is_hotspot():
    table = load_hotspots()
    assert table.is_hotspot("AKT1", ProteinChange.parse("E17K"))
    rec = table.residue("AKT1", 17)
    assert rec is not None and rec.ref_aa == "E" and rec.count("K") > 100


def test_akt1_e17k_three_letter_spelling_is_the_same_hotspot():
    assert load_hotspots().is_hotspot("AKT1", ProteinChange.parse("p.Glu17Lys"))


def test_pik3ca_h1047_residue_record_matches_cancerhotspots_v2():
    rec = load_hotspots().residue("PIK3CA", 1047)
    assert rec is not None
    assert (rec.residue, rec.ref_aa, rec.type) == ("H1047", "H", "single residue")
    assert rec.count("R") > rec.count("L") > 0
    assert rec.q_value == 0


def test_hotspot_needs_the_reference_residue_to_agree():
    # K17 is not AKT1's residue 17 (E): another transcript or a typo, not a hotspot hit.
    assert not load_hotspots().is_hotspot("AKT1", ProteinChange.parse("K17E"))


def test_no_protein_change_and_missing_protein_are_not_hotspots():
    table = load_hotspots()
    assert not table.is_hotspot("AKT1", None)
    assert not table.is_hotspot("AKT1", ProteinChange.parse("E17="))


def test_residue_outside_any_hotspot_has_no_record():
    assert load_hotspots().residue("AKT1", 200) is None


def test_genes_without_hotspots_have_no_records():
    table = load_hotspots()
    assert table.at("TSC2", 1) == [] and table.residue("INPP4B", 100) is None


# -- rule 5: single-residue hotspots ---------------------------------------------------------------
def test_pik3ca_h1047r_is_oncogenic_hotspot():
    onc, reason, hotspot = call(mutation("PIK3CA", "H1047R", Consequence.MISSENSE))
    assert onc is Oncogenicity.ONCOGENIC and hotspot
    assert reason.startswith("cancerhotspots v2 hotspot residue PIK3CA H1047 (R observed in ")


def test_pik3ca_e545k_is_oncogenic_hotspot():
    onc, _, hotspot = call(mutation("PIK3CA", "p.Glu545Lys"))
    assert onc is Oncogenicity.ONCOGENIC and hotspot


def test_akt1_e17k_is_oncogenic_hotspot():
    onc, reason, hotspot = call(mutation("AKT1", "E17K", Consequence.MISSENSE))
    assert (onc, hotspot) == (Oncogenicity.ONCOGENIC, True)
    assert "AKT1 E17" in reason


def test_pten_r130g_missense_hotspot_is_oncogenic_loss_of_function():
    onc, _, hotspot = call(mutation("PTEN", "R130G", Consequence.MISSENSE))
    assert (onc, hotspot) == (Oncogenicity.ONCOGENIC, True)


def test_pik3ca_h1047_unobserved_alt_is_likely_oncogenic():
    rec = load_hotspots().residue("PIK3CA", 1047)
    assert rec is not None and rec.count("P") == 0
    onc, reason, hotspot = call(mutation("PIK3CA", "H1047P", Consequence.MISSENSE))
    assert (onc, hotspot) == (Oncogenicity.LIKELY_ONCOGENIC, True)
    assert "P not observed there" in reason


def test_alt_seen_in_a_single_tumor_is_only_likely_oncogenic():
    rec = load_hotspots().residue("AKT1", 52)  # L52: R x4, H x1
    assert rec is not None and rec.count("H") == 1
    onc, reason, _ = call(mutation("AKT1", "L52H"))
    assert onc is Oncogenicity.LIKELY_ONCOGENIC
    assert "observed in only 1 tumor" in reason


# -- rule 6: in-frame indel hotspots ---------------------------------------------------------------
def test_pik3r1_ish2_inframe_deletion_is_likely_oncogenic_indel_hotspot():
    # PIK3R1 iSH2 in-frame deletions activate PI3K; the table has the 439-470 indel hotspot.
    onc, reason, hotspot = call(mutation("PIK3R1", "K459del", Consequence.INFRAME_DELETION))
    assert hotspot
    assert onc is Oncogenicity.ONCOGENIC  # K459del itself was seen in 3 tumors
    assert "in-frame indel hotspot PIK3R1 439-470" in reason


def test_pik3r1_unobserved_ish2_deletion_is_likely_oncogenic():
    onc, reason, hotspot = call(mutation("PIK3R1", "Y452_N453del", Consequence.INFRAME_DELETION))
    assert (onc, hotspot) == (Oncogenicity.LIKELY_ONCOGENIC, True)
    assert "not itself observed" in reason


def test_egfr_exon19_e746_a750del_is_oncogenic_indel_hotspot():
    onc, _, hotspot = call(mutation("EGFR", "E746_A750del", Consequence.INFRAME_DELETION))
    assert (onc, hotspot) == (Oncogenicity.ONCOGENIC, True)


def test_erbb2_exon20_y772_a775dup_is_oncogenic_indel_hotspot():
    onc, _, hotspot = call(mutation("ERBB2", "Y772_A775dup", Consequence.INFRAME_INSERTION))
    assert (onc, hotspot) == (Oncogenicity.ONCOGENIC, True)


def test_inframe_deletion_away_from_indel_hotspots_is_vus():
    onc, _, hotspot = call(mutation("AKT1", "E17del", Consequence.INFRAME_DELETION))
    assert (onc, hotspot) == (Oncogenicity.VUS, False)


# -- rule 7: 3D hotspots ---------------------------------------------------------------------------
def test_pten_3d_hotspot_residue_with_observed_alt_is_likely_oncogenic_not_hotspot():
    table = load_hotspots()
    rec = table.residue("PTEN", 123)  # H123: a 3D cluster residue, not a single-residue hotspot
    assert rec is not None and rec.type == "3d" and rec.count("Y") > 0
    onc, reason, hotspot = call(mutation("PTEN", "H123Y", Consequence.MISSENSE))
    assert (onc, hotspot) == (Oncogenicity.LIKELY_ONCOGENIC, False)
    assert reason.startswith("3D hotspot residue PTEN H123")


# -- rule 8: truncating changes --------------------------------------------------------------------
def test_pten_r130_stop_is_likely_oncogenic_truncation_in_tumor_suppressor():
    onc, reason, hotspot = call(mutation("PTEN", "R130*", Consequence.STOP_GAINED))
    # issue 10 §4: R130 is a cancerhotspots residue where the stop itself was seen (38 tumors)
    assert (onc, hotspot) == (Oncogenicity.LIKELY_ONCOGENIC, True)
    assert "truncating change in PTEN, a tumor suppressor" in reason
    assert "hotspot residue R130, where the stop was observed in 38 tumors" in reason
    # a stop at a hotspot residue where no stop was observed is not a hotspot hit (R173: no '*')
    assert call(mutation("PTEN", "R173*", Consequence.STOP_GAINED))[2] is False


def test_tsc2_frameshift_is_likely_oncogenic_truncation():
    onc, _, _ = call(mutation("TSC2", "R1743Gfs*58", Consequence.FRAMESHIFT))
    assert onc is Oncogenicity.LIKELY_ONCOGENIC


def test_stk11_splice_donor_is_likely_oncogenic_even_without_protein_change():
    alt = Alteration("STK11", consequence=Consequence.SPLICE_DONOR, hgvs_c="c.464+1G>A")
    onc, reason, _ = call(alt)
    assert onc is Oncogenicity.LIKELY_ONCOGENIC
    assert "STK11" in reason


def test_pten_splice_at_a_splice_hotspot_names_it():
    alt = Alteration("PTEN", consequence=Consequence.SPLICE_ACCEPTOR,
                     protein=ProteinChange(ref="R", start=70, end=70, alt="", kind="unknown"))
    onc, reason, _ = call(alt)
    assert onc is Oncogenicity.LIKELY_ONCOGENIC
    assert "splice-site hotspot X70" in reason


def test_truncation_in_an_oncogene_is_vus():
    onc, reason, _ = call(mutation("AKT1", "W80*", Consequence.STOP_GAINED))
    assert onc is Oncogenicity.VUS
    assert "an oncogene" in reason


def test_truncation_in_a_gene_of_unknown_role_is_vus():
    onc, _, _ = classify(mutation("RHEB", "Y35*", Consequence.STOP_GAINED), {})
    assert onc is Oncogenicity.VUS


# -- rules 1-3: copy number and fusions ------------------------------------------------------------
def test_pten_deep_deletion_is_likely_oncogenic():
    onc, reason, hotspot = call(Alteration("PTEN", AlterationType.DELETION))
    assert (onc, hotspot) == (Oncogenicity.LIKELY_ONCOGENIC, False)
    assert "tumor suppressor" in reason


def test_deep_deletion_of_an_oncogene_is_vus():
    onc, _, _ = call(Alteration("PIK3CA", AlterationType.DELETION))
    assert onc is Oncogenicity.VUS


@pytest.mark.parametrize("gene", ["AKT1", "AKT2", "AKT3", "PIK3CA", "ERBB2"])
def test_oncogene_amplification_is_likely_oncogenic(gene):
    onc, reason, _ = call(Alteration(gene, AlterationType.AMPLIFICATION, copy_number=12))
    assert onc is Oncogenicity.LIKELY_ONCOGENIC
    assert "oncogene" in reason


def test_tumor_suppressor_amplification_is_vus():
    onc, _, _ = call(Alteration("PTEN", AlterationType.AMPLIFICATION))
    assert onc is Oncogenicity.VUS


def test_fusion_is_vus_because_no_fusion_list_is_bundled():
    onc, reason, hotspot = call(Alteration("AKT3", AlterationType.FUSION, partner="MAGI3"))
    assert (onc, hotspot) == (Oncogenicity.VUS, False)
    assert "no curated list of known fusions" in reason


# -- rules 4 and 9: benign and everything else -----------------------------------------------------
@pytest.mark.parametrize("consequence", [
    Consequence.SYNONYMOUS, Consequence.INTRON, Consequence.UTR3, Consequence.UTR5,
])
def test_no_protein_change_is_benign(consequence):
    onc, reason, hotspot = call(Alteration("PIK3CA", consequence=consequence, hgvs_c="c.1A>G"))
    assert (onc, hotspot) == (Oncogenicity.BENIGN, False)
    assert "no protein change" in reason


def test_synonymous_at_a_hotspot_residue_is_benign():
    onc, _, hotspot = call(mutation("PIK3CA", "H1047=", Consequence.SYNONYMOUS))
    assert (onc, hotspot) == (Oncogenicity.BENIGN, False)


def test_missense_outside_hotspots_is_vus():
    onc, reason, hotspot = call(mutation("PIK3CA", "A200T", Consequence.MISSENSE))
    assert (onc, hotspot) == (Oncogenicity.VUS, False)
    assert reason.endswith("not a known hotspot; no functional evidence bundled.")


def test_splice_region_variant_is_vus_not_benign():
    onc, _, _ = call(Alteration("PTEN", consequence=Consequence.SPLICE_REGION, hgvs_c="c.80-4A>G"))
    assert onc is Oncogenicity.VUS


def test_classify_accepts_an_explicit_table():
    empty = Hotspots([])
    onc, _, hotspot = classify(mutation("PIK3CA", "H1047R"), ROLES, empty)
    assert (onc, hotspot) == (Oncogenicity.VUS, False)
