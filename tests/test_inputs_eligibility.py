"""Issue 12, eligibility outside the pathway: ERBB2 and ESR1 are read from every input as context
genes and checked against row requirements ("HR-positive, HER2-negative" on the alpelisib,
capivasertib and inavolisib breast labels, VM0001-VM0003)."""

from __future__ import annotations

from pathlib import Path

from varmatch.eligibility import assess, concepts
from varmatch.models import Alteration, AlterationType, ProteinChange, RequirementState
from varmatch.pipeline import Options, run_file

FIXTURES = Path(__file__).parent / "fixtures"
LABELS = ("VM0001", "VM0002", "VM0003")


def _status(result, evidence_id):
    """The requirement entry (the row's own wording) that names HER2/HR, and its reason."""
    m = next(m for m in result.matches if m.evidence.id == evidence_id)
    return next(s for s in m.requirement_status if "HER2" in s.requirement
                or "positive" in s.requirement)


def test_requirement_concepts_are_read_from_the_row_wording():
    assert concepts(["HR-positive, HER2-negative, advanced or metastatic breast cancer"]) == [
        "HER2-negative", "HR-positive"]
    assert concepts(["ER-positive metastatic breast cancer"]) == ["HR-positive"]
    assert concepts(["HR+/HER2- advanced breast cancer"]) == ["HER2-negative", "HR-positive"]
    assert concepts(["HER2-positive gastric cancer"]) == ["HER2-positive"]
    assert concepts(["metastatic tumor progressed on standard treatment"]) == []


def test_foundation_report_erbb2_amplification_contradicts_her2_negative_labels():
    # f1_report.xml reports ERBB2 amplification at 24 copies beside PIK3CA H1047R
    (r,) = run_file(FIXTURES / "f1_report.xml", Options(tumor_type="BREAST"))
    for ev in LABELS:
        st = _status(r, ev)
        assert st.requirement.startswith("HR-positive, HER2-negative")  # the label's wording
        assert st.status is RequirementState.CONTRADICTED
        assert "HER2-negative: ERBB2 amplification (copy number 24, FoundationOne)" in st.reason
        assert "HR-positive: DNA does not show hormone-receptor status" in st.reason
        # the label's other requirements are listed too, as not assessed
        m = next(m for m in r.matches if m.evidence.id == ev)
        assert len(m.requirement_status) == len(m.evidence.requirements)
    # ERBB2 is context, not a pathway finding: not listed or matched itself
    assert "ERBB2" not in {a.gene for a in r.alterations}
    assert not any("ERBB2" in {a.gene for a in m.alterations} for m in r.matches)


def test_tso500_erbb2_amplification_contradicts_her2_negative(tmp_path):
    text = (FIXTURES / "tso500_CombinedVariantOutput.tsv").read_text()
    text = text.replace("AKT3\t3.12", "AKT3\t3.12\t\t\t\t\t\t\t\t\t\nERBB2\t6.10")
    p = tmp_path / "CombinedVariantOutput.tsv"
    p.write_text(text)
    (r,) = run_file(p, Options(tumor_type="BREAST"))
    st = _status(r, "VM0002")  # alpelisib + fulvestrant, met by PIK3CA E545K
    assert st.status is RequirementState.CONTRADICTED
    assert "HER2-negative: ERBB2 amplification" in st.reason
    # the unedited report has no ERBB2 amplification: not assessed, never "supported"
    (r0,) = run_file(FIXTURES / "tso500_CombinedVariantOutput.tsv", Options(tumor_type="BREAST"))
    st0 = _status(r0, "VM0002")
    assert st0.status is RequirementState.NOT_ASSESSED
    assert "HER2-negative: no ERBB2 amplification in this input" in st0.reason


def test_alteration_table_esr1_hotspot_supports_hr_positive_erbb2_mutation_is_not_her2(tmp_path):
    p = tmp_path / "alts.tsv"
    p.write_text("gene\tprotein_change\nPIK3CA\tp.H1047R\nESR1\tp.Y537S\nERBB2\tp.L755S\n")
    (r,) = run_file(p, Options(tumor_type="BREAST"))
    st = _status(r, "VM0002")
    assert st.status is RequirementState.NOT_ASSESSED  # HER2 open, so not supported as a whole
    assert "HR-positive: ESR1 p.Y537S (ESR1 ligand-binding-domain hotspot" in st.reason
    assert "ERBB2 p.L755S is a mutation, not HER2 overexpression" in st.reason
    assert assess("HR-positive", [a for a in _context(p) if a.gene == "ESR1"]).status \
        is RequirementState.SUPPORTED


def _context(path):
    from varmatch.pipeline import Engine

    engine = Engine(Options(tumor_type="BREAST"))
    (sc,) = engine.samples(path)
    engine.annotator.annotate_sample(sc)
    return sc.context


def test_assess_statuses_for_amplification_and_non_hotspot_esr1():
    amp = Alteration("ERBB2", AlterationType.AMPLIFICATION, copy_number=12.0,
                     annotation_source="FoundationOne")
    s = assess("HER2-negative", [amp])
    assert s.status is RequirementState.CONTRADICTED
    assert s.reason.startswith("ERBB2 amplification (copy number 12, FoundationOne)")
    assert assess("HER2-positive", [amp]).status is RequirementState.SUPPORTED
    esr1_other = Alteration("ESR1", protein=ProteinChange("A", 100, 100, "T", "missense"))
    assert assess("HR-positive", [esr1_other]).status is RequirementState.NOT_ASSESSED


def test_requirement_status_is_written_to_json_and_tsv():
    import io

    from varmatch.writers.json_writer import result_dict
    from varmatch.writers.tsv import write_tsv

    (r,) = run_file(FIXTURES / "f1_report.xml", Options(tumor_type="BREAST"))
    m = next(m for m in result_dict(r)["matches"] if m["evidence_id"] == "VM0002")
    assert m["requirement_status"][0]["requirement"].startswith("HR-positive, HER2-negative")
    assert m["requirement_status"][0]["status"] == "contradicted"
    buf = io.StringIO()
    write_tsv([r], buf)
    rows = [ln.split("\t") for ln in buf.getvalue().splitlines()]
    col = rows[0].index("requirement_status")
    cell = next(row[col] for row in rows[1:] if row[rows[0].index("evidence_id")] == "VM0002")
    assert cell.startswith("HR-positive, HER2-negative, advanced or metastatic breast cancer: "
                           "contradicted (HER2-negative: ERBB2 amplification (copy number 24")
