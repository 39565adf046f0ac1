"""Issue 10 section 2: every knowledgebase row exactly as strong as its source.

One concrete case per over-claim class (data-driven: each case names the class, the alteration,
the patient's tumor type, the row and what must - or must not - happen), plus invariants that keep
each class fixed for every row, including rows added later.
"""

from __future__ import annotations

import dataclasses
import re
from typing import NamedTuple

import pytest
from test_kb_rows import KB, ROLES, TREE, copy_number, mutation

from varmatch.match import match
from varmatch.models import (
    AlterationType,
    Direction,
    EvidenceKind,
    EvidenceLevel,
    Tier,
    TumorRelation,
)
from varmatch.pipeline import _context_lines
from varmatch.tiers import relation, tier_all

AKT1_E17K = mutation("AKT1", "E17K")


def _tiered(alt, tumor):
    return {m.evidence.id: m for m in tier_all(match([alt], KB.evidence, ROLES), tumor, TREE)}


class Case(NamedTuple):
    overclaim: str
    alteration: object
    tumor: str
    row: str
    expect: tuple[str, str] | None  # (tier, level) the row must get; None: the row must not match


CASES = [
    # Scope of an approval: the capivasertib label is for HR+/HER2- breast *carcinoma*
    Case("scope", AKT1_E17K, "IDC", "VM0001", ("I", "A")),
    Case("scope", AKT1_E17K, "IBC", "VM0001", ("I", "A")),
    Case("scope", AKT1_E17K, "BA", "VM0001", ("II", "C")),     # breast angiosarcoma
    Case("scope", AKT1_E17K, "MPT", "VM0001", ("II", "C")),    # malignant phyllodes tumour
    Case("scope", AKT1_E17K, "DCIS", "VM0001", ("II", "C")),   # ductal carcinoma in situ
    Case("scope", mutation("PIK3CA", "H1047R"), "BA", "VM0002", ("II", "C")),
    # Companion-test lists: H1047R is on the alpelisib test's list, N345K is not
    Case("companion test", mutation("PIK3CA", "H1047R"), "BRCA", "VM0002", ("I", "A")),
    Case("companion test", mutation("PIK3CA", "N345K"), "BRCA", "VM0002", None),
    Case("companion test", mutation("PIK3CA", "N345K"), "BRCA", "VM0026", ("II", "C")),
    Case("companion test", mutation("PIK3CA", "E545D"), "BRCA", "VM0002", ("I", "A")),
    # Histology approvals: nab-sirolimus for PEComa does not select on TSC1/TSC2
    Case("histology", copy_number("TSC2", AlterationType.DELETION), "PECOMA", "VM0020", ("II", "D")),
    # Basket scope: NCI-MATCH Y enrolled solid tumours only
    Case("basket", AKT1_E17K, "NPC", "VM0006", ("II", "C")),
    Case("basket", AKT1_E17K, "AML", "VM0006", ("II", "D")),
    Case("basket", AKT1_E17K, "DLBCLNOS", "VM0006", ("II", "D")),
    # Biomarker breadth: mutation cohorts do not match copy-number events
    Case("breadth", copy_number("PTEN", AlterationType.DELETION), "BRCA", "VM0008", None),
    Case("breadth", mutation("PTEN", "R130*"), "BRCA", "VM0008", ("II", "C")),
    Case("breadth", copy_number("PTEN", AlterationType.DELETION), "BRCA", "VM0011", None),
    Case("breadth", copy_number("PIK3CA", AlterationType.AMPLIFICATION), "HNSC", "VM0012", None),
    Case("breadth", mutation("PIK3CA", "H1047R"), "HNSC", "VM0012", ("II", "D")),
    Case("breadth", copy_number("TSC1", AlterationType.DELETION), "BLCA", "VM0051", None),
    # the alpelisib phase I reported PIK3CA-altered tumours including amplification: it may match
    Case("breadth", copy_number("PIK3CA", AlterationType.AMPLIFICATION), "HNSC", "VM0024", ("II", "D")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.overclaim}-{c.row}-{c.tumor}")
def test_overclaim_is_fixed(case):
    got = _tiered(case.alteration, case.tumor)
    if case.expect is None:
        assert case.row not in got, got[case.row].why if case.row in got else ""
        return
    m = got[case.row]
    assert (str(m.tier), str(m.level)) == case.expect, m.why


# ------------------------------------------------------------------------------------ scope
def test_breast_carcinoma_rows_are_never_on_label_outside_breast_carcinoma():
    for ev in KB.evidence:
        if ev.tumor_type == "BRCA":
            assert set(ev.population) <= {"BRCA", "IBC", "MBC"}, ev.id
            for code in ("BA", "PBS", "PT", "MPT", "DCIS", "LCIS", "BREAST"):
                assert relation(code, ev.tumor_type, TREE, ev.population) is TumorRelation.OFF_LABEL


def test_no_row_sits_on_the_top_breast_node():
    assert not [ev.id for ev in KB.evidence if ev.tumor_type == "BREAST"]


# ---------------------------------------------------------------------------- companion test
def test_alpelisib_label_row_lists_exactly_the_companion_test_variants():
    ev = next(e for e in KB.evidence if e.id == "VM0002")
    listed = {str(b.protein) for b in ev.biomarker.any_of}
    assert listed == {"C420R", "E542K", "E545A", "E545D", "E545G", "E545K", "Q546E", "Q546R",
                      "H1047L", "H1047R", "H1047Y"}
    other = next(e for e in KB.evidence if e.id == "VM0026")
    assert other.level is EvidenceLevel.C
    assert any("would not report" in r for r in other.requirements)


@pytest.mark.parametrize("variant", ["H1047R", "E545K", "C420R"])
def test_a_listed_variant_gets_only_the_level_a_label_row(variant):
    """The lower 'not on the list' row is superseded by the same source's exact-list row."""
    got = _tiered(mutation("PIK3CA", variant), "BRCA")
    assert "VM0002" in got and "VM0026" not in got


# -------------------------------------------------------------------------------- histology
def test_pecoma_tsc2_loss_gets_no_tier_one_and_the_approval_is_tumor_context():
    alt = mutation("TSC2", "Q1178*")
    matches = tier_all(match([alt], KB.evidence, ROLES), "PECOMA", TREE)
    assert all(m.tier is not Tier.I and m.level is not EvidenceLevel.A for m in matches)
    assert not any("nab-sirolimus" in m.evidence.drugs for m in matches)
    context = " ".join(_context_lines(KB, "PECOMA", TREE))
    assert "nab-sirolimus" in context and "biomarker" in context


def test_a_row_not_tied_to_its_biomarker_is_never_tiered():
    """Engine rule: a biomarker level comes only from evidence that selected on, or analysed, the
    biomarker; a row marked biomarker_restricted: false gets no tier in any tumor type."""
    row = next(e for e in KB.evidence if e.id == "VM0020")
    histology = dataclasses.replace(row, id="VM9999", kind=EvidenceKind.REGULATORY,
                                    level=EvidenceLevel.A, biomarker_restricted=False)
    alt = copy_number("TSC2", AlterationType.DELETION)
    for tumor in ("PECOMA", "NPC"):
        ids = {m.evidence.id for m in tier_all(match([alt], [row, histology], ROLES), tumor, TREE)}
        assert ids == {"VM0020"}


def test_every_regulatory_row_selects_on_its_biomarker():
    assert all(ev.biomarker_restricted for ev in KB.evidence if ev.kind is EvidenceKind.REGULATORY)


# ----------------------------------------------------------------------------------- basket
def test_every_clinical_tumor_agnostic_row_says_whom_it_enrolled():
    for ev in KB.evidence:
        if ev.tumor_type in ("MIXED", "TISSUE") and ev.kind is not EvidenceKind.PRECLINICAL:
            assert ev.population, f"{ev.id}: a basket must list its enrolled population"
        for code in ev.population:
            assert TREE.has(code), (ev.id, code)


def test_solid_tumour_population_excludes_every_haematological_code():
    ev = next(e for e in KB.evidence if e.id == "VM0006")
    heme = [c for c in ("AML", "CLLSLL", "DLBCLNOS", "MM", "TALL", "MDS") if TREE.has(c)]
    assert len(heme) >= 3
    for code in heme:
        assert relation(code, ev.tumor_type, TREE, ev.population) is TumorRelation.OFF_LABEL
    for code in ("NPC", "BRCA", "PRAD", "GB", "UEC", "PECOMA"):
        assert relation(code, ev.tumor_type, TREE, ev.population) is TumorRelation.ON_LABEL


def test_the_why_sentence_names_the_enrolled_population():
    m = _tiered(AKT1_E17K, "AML")["VM0006"]
    assert "outside the population the source covers" in m.why


# ---------------------------------------------------------------------------------- breadth
@pytest.mark.parametrize("row_id", ["VM0008", "VM0011", "VM0041"])
def test_pten_mutant_cohorts_do_not_match_pten_deletion(row_id):
    ev = next(e for e in KB.evidence if e.id == row_id)
    assert not match([copy_number("PTEN", AlterationType.DELETION)], [ev], ROLES)
    assert match([mutation("PTEN", "R130Q")], [ev], ROLES)
    assert match([mutation("PTEN", "K267Rfs*9")], [ev], ROLES)


# ------------------------------------------------------------------------------ attribution
_FIGURE = re.compile(r"\d+(\.\d+)?\s*%|\bHR\b|hazard|\bORR\b|\d+(\.\d+)?\s*(vs|versus)\s*\d|months")


def test_vm0002_cites_the_solar1_publication():
    ev = next(e for e in KB.evidence if e.id == "VM0002")
    assert "PMID:31091374" in {c.id for c in ev.citations}
    assert "N Engl J Med" in KB.references["PMID:31091374"]["journal"]


def test_every_result_figure_cites_a_publication_not_only_a_registry_entry():
    for ev in KB.evidence:
        if _FIGURE.search(ev.summary):
            pubs = [c.id for c in ev.citations if not c.id.startswith("NCT")]
            assert pubs, f"{ev.id}: a result figure needs the publication that reports it"


def test_counter_evidence_never_raises_a_sensitivity_tier():
    from varmatch.tiers import alteration_tier

    alt = copy_number("PIK3CA", AlterationType.AMPLIFICATION)
    matches = tier_all(match([alt], KB.evidence, ROLES), "NPC", TREE)
    counter = [m for m in matches if m.evidence.direction is Direction.COUNTER_EVIDENCE]
    assert [m.evidence.id for m in counter] == ["VM0035"]
    assert "does not support" in counter[0].why and "everolimus" in counter[0].why
    assert counter[0].oncokb_level == "" and counter[0].escat_tier == ""
    sens = [m for m in matches if m.evidence.direction is Direction.SENSITIVITY]
    assert alteration_tier(alt, matches) is min((m.tier for m in sens), key=lambda t: t.rank)
