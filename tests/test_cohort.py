"""Cohort mode: a samplesheet of the bundled samples, a MAF, and summarising JSON results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from varmatch.cohort import input_kind, read_samplesheet, run_cohort
from varmatch.errors import FormatError, InputError
from varmatch.pipeline import Options

REPO = Path(__file__).resolve().parents[1]
MAF = REPO.parent / "shared" / "real_inputs" / "maf" / "genomenexus_data_mutations_extended_100.txt"

SHEET = [
    ("NPC-017", "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "NPC"),
    ("NPC-017-VEP", "npc_akt1_e17k.vep.GRCh38.vcf", "NPC"),
    ("BREAST-001", "breast_pik3ca_pten.snpeff.GRCh37.vcf", "BREAST"),
    ("HNSC-001", "hnsc_tumor_normal.mutect2.GRCh38.vcf", "HNSC"),
]


def _sheet(tmp_path: Path, rows=SHEET, delim: str = "\t") -> Path:
    path = tmp_path / ("samples.tsv" if delim == "\t" else "samples.csv")
    lines = [delim.join(("sample", "vcf", "tumor_type"))]
    lines += [delim.join((s, str(REPO / "sample_vcfs" / f), t)) for s, f, t in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _tsv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_samplesheet_cohort_npc_akt1_e17k(tmp_path, jobs):
    out = tmp_path / "out"
    summary = run_cohort(_sheet(tmp_path), out, Options(), jobs=jobs)
    assert summary.n_samples == 4 and not summary.failed
    for name in ("NPC-017", "NPC-017-VEP", "BREAST-001", "HNSC-001"):
        assert (out / "samples" / f"{name}.varmatch.json").exists()
        assert (out / "samples" / f"{name}.varmatch.tsv").exists()
    npc = json.loads((out / "samples" / "NPC-017.varmatch.json").read_text())
    assert npc["sample"] == "NPC-017" and npc["tumor_type"]["code"] == "NPC"
    assert any(a["alteration"] == "AKT1 p.E17K" for a in npc["alterations"])
    act = _tsv(out / "cohort.actionable.tsv")
    npc_rows = [r for r in act if r["sample"] == "NPC-017"]
    assert npc_rows and {r["alteration"] for r in npc_rows} == {"AKT1 p.E17K"}
    assert "capivasertib" in {d for r in npc_rows for d in r["drugs"].split(",")}
    # off-label in NPC: never tier I
    assert all(r["tier"] == "II" for r in npc_rows)
    counts = {(r["category"], r["name"]): r for r in _tsv(out / "cohort.counts.tsv")}
    assert counts[("gene", "AKT1")]["samples"] == "2"
    assert counts[("gene", "PIK3CA")]["samples"] == "2"
    assert ("drug", "capivasertib") in counts and ("tier", "II") in counts
    matrix = _tsv(out / "cohort.matrix.tsv")
    akt1 = next(r for r in matrix if r["alteration"] == "AKT1 p.E17K")
    assert akt1["NPC-017"] == "II" and akt1["BREAST-001"] == ""
    html = (out / "cohort.html").read_text()
    assert "<svg" in html and "AKT1" in html
    assert 'href="samples/NPC-017.varmatch.json"' in html  # each sample links to its report
    data = json.loads((out / "cohort.summary.json").read_text())
    assert data["samples"] == 4 and data["samples_with_actionable_alterations"] == 4
    assert "seconds" not in data  # timings live in cohort.timing.json only
    timing = json.loads((out / "cohort.timing.json").read_text())
    assert timing["samples_run"] == 4 and timing["samples_reused"] == 0 and timing["seconds"] >= 0


def test_same_results_serial_and_parallel(tmp_path):
    a = run_cohort(_sheet(tmp_path), tmp_path / "a", Options(), jobs=1, summary_only=True)
    b = run_cohort(_sheet(tmp_path), tmp_path / "b", Options(), jobs=2, summary_only=True)
    assert (tmp_path / "a" / "cohort.matrix.tsv").read_text() == \
        (tmp_path / "b" / "cohort.matrix.tsv").read_text()
    assert a.n_actionable == b.n_actionable
    assert not (tmp_path / "a" / "samples").exists()


def test_csv_samplesheet_and_relative_paths(tmp_path):
    sheet = tmp_path / "sheet.csv"
    link = tmp_path / "npc.vcf"
    link.write_bytes((REPO / "sample_vcfs" / "npc_akt1_e17k.vep.GRCh38.vcf").read_bytes())
    sheet.write_text("sample,vcf,tumor_type\nP1,npc.vcf,NPC\n")
    assert input_kind([str(sheet)]) == "samplesheet"
    rows = read_samplesheet(sheet)
    assert rows[0].path == str(link)
    s = run_cohort(str(sheet), tmp_path / "o", Options(), jobs=1)
    assert s.records[0].sample == "P1" and s.records[0].actionable


def test_escaped_html(tmp_path):
    rows = [("<b>x</b>&", "npc_akt1_e17k.vep.GRCh38.vcf", "NPC")]
    run_cohort(_sheet(tmp_path, rows), tmp_path / "o", Options(), jobs=1)
    html = (tmp_path / "o" / "cohort.html").read_text()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;&amp;" in html


def test_duplicate_rows_are_errors_of_the_sheet(tmp_path):
    dup = _sheet(tmp_path, SHEET[:1] + SHEET[:1])
    with pytest.raises(FormatError, match="listed twice"):
        run_cohort(dup, tmp_path / "o", Options(), jobs=1)
    with pytest.raises(InputError, match="not found"):
        run_cohort(tmp_path / "nope.tsv", tmp_path / "o", Options(), jobs=1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_missing_file_or_bad_tumor_code_fails_that_sample_only(tmp_path, jobs):
    rows = [SHEET[0], ("MISSING", "no_such.vcf", "NPC"), ("BADCODE", SHEET[2][1], "NOT_A_CODE"),
            SHEET[2]]
    sheet = _sheet(tmp_path, rows)
    s = run_cohort(sheet, tmp_path / "o", Options(), jobs=jobs)
    failed = dict(s.failed)
    assert set(failed) == {"MISSING", "BADCODE"}
    assert "no_such.vcf" in failed["MISSING"] and f"{sheet}:3:" in failed["MISSING"]
    assert "NOT_A_CODE" in failed["BADCODE"] and f"{sheet}:4:" in failed["BADCODE"]
    rows = {r["sample"]: r for r in _tsv(tmp_path / "o" / "cohort.samples.tsv")}
    assert list(rows) == ["NPC-017", "MISSING", "BADCODE", "BREAST-001"]  # sheet order kept
    assert rows["NPC-017"]["status"] == "ok" and "AKT1 p.E17K" in rows["NPC-017"]["pathway_alterations"]
    assert rows["BREAST-001"]["status"] == "ok"
    assert rows["MISSING"]["status"].startswith("failed:")
    assert not list((tmp_path / "o" / "samples").glob("MISSING*"))


def test_cli_exit_2_after_a_failed_sample(tmp_path):
    import subprocess
    import sys

    sheet = _sheet(tmp_path, [SHEET[0], ("MISSING", "no_such.vcf", "NPC")])
    proc = subprocess.run([sys.executable, "-m", "varmatch", "cohort", str(sheet), "--out",
                           str(tmp_path / "o"), "-j", "1"], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "MISSING" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "o" / "samples" / "NPC-017.varmatch.json").exists()
    assert (tmp_path / "o" / "cohort.html").exists()


def test_failed_sample_does_not_stop_the_cohort(tmp_path):
    broken = tmp_path / "broken.vcf"
    broken.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\n"
                      "chr14\t104780214\t.\tC\tT\t.\tPASS\t.\n")  # #CHROM lacks INFO
    sheet = _sheet(tmp_path, SHEET[:1])
    sheet.write_text(sheet.read_text() + f"BROKEN\t{broken}\tNPC\n")
    s = run_cohort(sheet, tmp_path / "o", Options(), jobs=2)
    assert [r for r, _e in s.failed] == ["BROKEN"]
    rows = {r["sample"]: r for r in _tsv(tmp_path / "o" / "cohort.samples.tsv")}
    assert rows["NPC-017"]["status"] == "ok" and rows["BROKEN"]["status"].startswith("failed")


def test_summary_from_json_results(tmp_path):
    run_cohort(_sheet(tmp_path), tmp_path / "run", Options(), jobs=1)
    results = [str(tmp_path / "run" / "samples" / f"{s}.varmatch.json") for s, _f, _t in SHEET]
    assert input_kind(results) == "results"
    s = run_cohort(results, tmp_path / "summary", Options())
    assert s.n_samples == 4
    html = (tmp_path / "summary" / "cohort.html").read_text()
    assert 'href="../run/samples/NPC-017.varmatch.json"' in html
    assert (tmp_path / "summary" / "cohort.matrix.tsv").read_text() == \
        (tmp_path / "run" / "cohort.matrix.tsv").read_text()


def test_real_maf_cohort(tmp_path):
    from varmatch import readers

    readers._load_builtin_readers()
    if "maf" not in readers.READERS:
        pytest.skip("the MAF reader (varmatch/readers/maf.py) is not registered yet")
    if not MAF.exists():
        pytest.fail(f"{MAF} is missing: CI runs with ../shared beside the repository")
    assert input_kind([str(MAF)]) == "maf"
    s = run_cohort(MAF, tmp_path / "o", Options(tumor_type="BREAST"), jobs=2)
    barcodes = {ln.split("\t")[16] for ln in MAF.read_text().splitlines()[1:] if ln.strip()}
    assert s.n_samples == len(barcodes) and not s.failed
    assert {r.sample for r in s.records} == barcodes
    assert (tmp_path / "o" / "cohort.html").exists()
    assert len(list((tmp_path / "o" / "samples").glob("*.varmatch.json"))) == len(barcodes)


def test_summary_dict_gives_the_record_of_the_full_result(tmp_path):
    from varmatch.cohort import record_from_dict, summary_dict
    from varmatch.pipeline import run_file
    from varmatch.writers.json_writer import result_dict

    for _s, f, t in SHEET:
        for res in run_file(REPO / "sample_vcfs" / f, Options(tumor_type=t)):
            slim, full = record_from_dict(summary_dict(res)), record_from_dict(result_dict(res))
            assert slim == full and full.alterations
    npc = next(run_file(REPO / "sample_vcfs" / SHEET[0][1], Options(tumor_type="NPC")))
    rec = record_from_dict(summary_dict(npc))
    assert ("AKT1", "AKT1 p.E17K", "II") in rec.alterations
