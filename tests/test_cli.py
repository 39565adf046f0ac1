"""The command line end to end: bundled samples, real inputs from other projects, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import REAL, SAMPLES

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "varmatch/schemas/result.schema.json").read_text())


def vm(*args, stdin: bytes | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "varmatch", *map(str, args)], capture_output=True,
                          input=stdin, cwd=cwd, timeout=300)


def run_json(path, *extra) -> dict:
    p = vm("run", path, "-o", "-", "--formats", "json", *extra)
    assert p.returncode == 0, p.stderr.decode()
    data = json.loads(p.stdout)
    jsonschema.validate(data, SCHEMA)
    return data


def therapies(d: dict) -> dict[str, tuple[str, str]]:
    return {m["evidence_id"]: (m["therapy"], m["tier"] + m["level"]) for m in d["matches"]}


# ---------------------------------------------------------------------------------------- samples
def test_npc_mutect2_sample_yields_akt1_e17k_off_label_tiers():
    d = run_json(SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "--tumor-type", "NPC")
    assert [a["alteration"] for a in d["alterations"]] == ["AKT1 p.E17K"]
    akt1 = d["alterations"][0]
    assert akt1["hgvs_c"] == "c.49G>A" and akt1["variant"]["vaf"] == pytest.approx(0.311)
    assert akt1["variant"]["depth"] == 688 and akt1["hotspot"] is True
    assert d["genome_build"] == "GRCh38" and d["tumor_type"]["code"] == "NPC"
    # no Tier I for NPC: nothing is approved in NPC
    assert {m["tier"] for m in d["matches"]} == {"II"}
    drugs = {drug for m in d["matches"] for drug in m["drugs"]}
    assert {"capivasertib", "ipatasertib"} <= drugs
    for m in d["matches"]:
        assert m["citations"] and m["why"]
        if m["evidence_tumor_type"] == "BRCA":
            # curated rows name the population they cover; CIViC rows their OncoTree code
            assert m["evidence_relation"] == "other tumor type"
            assert ("NPC is outside the population" in m["why"] or "NPC is not within BRCA" in m["why"])
        if "capivasertib" in m["drugs"]:
            # FDA label in breast cancer (VM0001), none in NPC
            assert m["regulatory_status"] == "approved in another tumor type"
    # the filtered PTEN call is listed, not silently dropped
    assert any("PTEN" in e["call"] and "FILTER=weak_evidence" in e["reason"] for e in d["excluded"])
    assert any("PD-1" in line or "toripalimab" in line for line in d["clinical_context"])
    assert "research use" in d["disclaimer"]


def test_vep_and_unannotated_npc_samples_agree():
    raw = run_json(SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "-t", "NPC")
    vep = run_json(SAMPLES / "npc_akt1_e17k.vep.GRCh38.vcf", "-t", "NPC")
    assert [a["alteration"] for a in vep["alterations"]] == ["AKT1 p.E17K"]
    assert vep["alterations"][0]["annotation_source"] == "VEP"
    assert therapies(raw) == therapies(vep)


def test_breast_snpeff_sample_is_tier_i_for_pik3ca_h1047r():
    d = run_json(SAMPLES / "breast_pik3ca_pten.snpeff.GRCh37.vcf")
    assert d["tumor_type"]["code"] == "BRCA"  # from ##tumor_type
    assert [a["alteration"] for a in d["alterations"]] == ["PIK3CA p.H1047R", "PTEN p.R233*"]
    tier1 = {m["therapy"] for m in d["matches"] if m["tier"] == "I"}
    assert "alpelisib + fulvestrant" in tier1 and "capivasertib + fulvestrant" in tier1
    assert d["resistance"], "PTEN loss is reported as alpelisib resistance evidence"
    assert all(m["direction"] == "resistance" for m in d["resistance"])


def test_same_variant_is_tier_i_in_breast_and_tier_ii_in_npc():
    breast = run_json(SAMPLES / "breast_pik3ca_pten.snpeff.GRCh37.vcf", "-t", "BRCA")
    npc = run_json(SAMPLES / "breast_pik3ca_pten.snpeff.GRCh37.vcf", "-t", "NPC")
    b = {m["evidence_id"]: m["tier"] for m in breast["matches"]}
    n = {m["evidence_id"]: m["tier"] for m in npc["matches"]}
    assert b["VM0002"] == "I" and n["VM0002"] == "II"
    assert any("overrides the tumor type stated" in note for note in npc["notes"])


def test_tumor_normal_pair_reads_tumor_from_second_column():
    d = run_json(SAMPLES / "hnsc_tumor_normal.mutect2.GRCh38.vcf", "-t", "HNSC")
    assert d["sample"] == "HN-088-T"
    assert [a["alteration"] for a in d["alterations"]] == ["PIK3CA p.E545K"]
    e545k = d["alterations"][0]
    assert (e545k["variant"]["depth"], e545k["variant"]["alt_depth"]) == (271, 85)
    reasons = {e["call"].split(" (")[0]: e["reason"] for e in d["excluded"]}
    # the second ALT (E545Q) and the normal-only PTEN call have no tumor support
    assert "no read support" in reasons["PIK3CA p.E545Q"]
    assert "no read support" in reasons["PTEN p.R130*"]
    temsirolimus = [m for m in d["matches"] if "temsirolimus" in m["drugs"]]
    assert temsirolimus and temsirolimus[0]["evidence_relation"] != "other tumor type"


def test_run_writes_json_tsv_and_html_files(tmp_path):
    p = vm("run", SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "-t", "NPC", "--out", tmp_path)
    assert p.returncode == 0, p.stderr.decode()
    assert sorted(f.name for f in tmp_path.iterdir()) == ["NPC-017-T.varmatch.html",
                                                         "NPC-017-T.varmatch.json",
                                                         "NPC-017-T.varmatch.tsv"]
    assert oct((tmp_path / "NPC-017-T.varmatch.json").stat().st_mode & 0o777) != "0o600"
    header = (tmp_path / "NPC-017-T.varmatch.tsv").read_text().splitlines()[0].split("\t")
    assert header[:4] == ["sample", "tumor_type", "gene", "alteration"] and "why" in header


def test_annotate_then_match_gives_the_same_matches(tmp_path):
    alts = tmp_path / "alts.tsv"
    p = vm("annotate", SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "-o", alts)
    assert p.returncode == 0, p.stderr.decode()
    assert "AKT1" in alts.read_text()
    p = vm("match", alts, "-t", "NPC", "-o", "-", "--formats", "json")
    assert p.returncode == 0, p.stderr.decode()
    direct = run_json(SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "-t", "NPC")
    assert therapies(json.loads(p.stdout)) == therapies(direct)


def test_stdin_input():
    data = (SAMPLES / "npc_akt1_e17k.vep.GRCh38.vcf").read_bytes()
    p = vm("run", "-", "-t", "NPC", "-o", "-", "--formats", "tsv", stdin=data)
    assert p.returncode == 0, p.stderr.decode()
    assert "AKT1 p.E17K" in p.stdout.decode()


# ------------------------------------------------------------------------------------ real inputs
def test_pcgr_vep_breast_sample_yields_only_pik3ca_h1047r():
    d = run_json(REAL / "vcf/vep_csq/pcgr2017_tumor_sample.BRCA.pcgr.vcf.gz", "-t", "BREAST")
    assert [a["alteration"] for a in d["alterations"]] == ["PIK3CA p.H1047R"]


def test_raw_tcga_breast_grch37_finds_the_pathway_variant_from_coordinates():
    d = run_json(REAL / "vcf/unannotated_multicaller/pcgr_T001-BRCA.grch37.vcf.gz", "-t", "BREAST")
    assert d["genome_build"] == "GRCh37"
    assert any(a["gene"] == "PIK3CA" for a in d["alterations"])


REAL_VCFS = sorted(p for p in (REAL / "vcf").rglob("*") if p.is_file() and not p.name.endswith((".tbi", ".csi")))
EDGE_VCFS = sorted(p for p in (REAL / "edge_cases/vcf").glob("*") if not p.name.endswith((".tbi", ".csi")))


@pytest.mark.parametrize("path", REAL_VCFS + EDGE_VCFS, ids=lambda p: p.name)
def test_no_real_input_produces_a_traceback(path, tmp_path):
    p = vm("run", path, "--out", tmp_path / "out")
    err = p.stderr.decode()
    assert "Traceback" not in err and "internal error" not in err, err
    if p.returncode != 0:
        assert p.returncode in (2, 3), err
        assert len(err.strip().splitlines()) == 1, err  # one line naming the file
        assert path.name in err
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -------------------------------------------------------------------------------------- bad input
def test_unknown_tumor_type_suggests_close_codes():
    p = vm("run", SAMPLES / "npc_akt1_e17k.vep.GRCh38.vcf", "-t", "NPCC")
    assert p.returncode == 3
    assert "did you mean NPC" in p.stderr.decode()


def test_missing_file_is_one_line_exit_2(tmp_path):
    p = vm("run", tmp_path / "nope.vcf")
    assert p.returncode == 2
    assert "nope.vcf" in p.stderr.decode() and "not found" in p.stderr.decode()


def test_truncated_record_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.vcf"
    lines = (SAMPLES / "hnsc_tumor_normal.mutect2.GRCh38.vcf").read_text().splitlines()
    lines[-1] = "\t".join(lines[-1].split("\t")[:3])  # cut the record after ID
    bad.write_text("\n".join(lines) + "\n")
    p = vm("run", bad, "--out", tmp_path / "out")
    err = p.stderr.decode()
    assert p.returncode == 2 and f"bad.vcf:{len(lines)}:" in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_ref_mismatch_says_wrong_build(tmp_path):
    # AKT1 c.49 on GRCh38 (chr14:104780214) is C; a VCF saying G there was made on another reference
    text = (SAMPLES / "hnsc_tumor_normal.mutect2.GRCh38.vcf").read_text()
    text = text.replace("chr3\t179218303\t.\tG\tA,C", "chr3\t179218303\t.\tT\tA,C")
    one = tmp_path / "oneref.vcf"  # one bad record of two: excluded with its reason (issue 12)
    one.write_text(text)
    p = vm("run", one, "-t", "HNSC", "-o", "-", "--formats", "json")
    assert p.returncode == 0, p.stderr
    assert "REF does not match the GRCh38 reference" in json.loads(p.stdout)["excluded"][0]["reason"]
    text = text.replace("chr10\t87933147\t.\tC\tT", "chr10\t87933147\t.\tA\tT")
    bad = tmp_path / "wrongref.vcf"  # REF wrong at every pathway position: an error
    bad.write_text(text)
    p = vm("run", bad, "--out", tmp_path / "out")
    err = p.stderr.decode()
    assert p.returncode == 2 and "wrong genome build" in err and "wrongref.vcf" in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_help_explains_itself():
    p = vm("--help")
    assert p.returncode == 0 and b"research use" in p.stdout
    for cmd in ("run", "annotate", "match", "kb"):
        h = vm(cmd, "--help")
        assert h.returncode == 0 and len(h.stdout) > 200, cmd


def test_bcf_input_gives_the_same_result_as_vcf(tmp_path):
    bcf = tmp_path / "hnsc.bcf"
    subprocess.run(["bcftools", "view", "-Ob", "-o", str(bcf),
                    str(SAMPLES / "hnsc_tumor_normal.mutect2.GRCh38.vcf")], check=True)
    a = run_json(bcf, "-t", "HNSC")
    b = run_json(SAMPLES / "hnsc_tumor_normal.mutect2.GRCh38.vcf", "-t", "HNSC")
    assert a["alterations"][0]["alteration"] == "PIK3CA p.E545K"
    assert therapies(a) == therapies(b)


def test_sample_option_reads_the_normal_column_when_asked():
    d = run_json(SAMPLES / "hnsc_tumor_normal.mutect2.GRCh38.vcf", "--sample", "HN-088-N")
    # in the normal: PTEN R130* has 64 reads, PIK3CA E545Q one read, E545K none
    assert [a["alteration"] for a in d["alterations"]] == ["PIK3CA p.E545Q", "PTEN p.R130*"]
    assert any(e["call"].startswith("PIK3CA p.E545K") for e in d["excluded"])


def test_quiet_silences_progress_and_json_logs_are_json(tmp_path):
    p = vm("-q", "run", SAMPLES / "npc_akt1_e17k.vep.GRCh38.vcf", "-t", "NPC", "--out", tmp_path)
    assert p.returncode == 0 and p.stderr == b""
    p = vm("--log-format", "json", "run", tmp_path / "missing.vcf")
    assert p.returncode == 2
    assert json.loads(p.stderr.decode().strip().splitlines()[-1])["level"] == "error"


def test_closed_stdout_pipe_is_not_an_error():
    p = subprocess.run(f"{sys.executable} -m varmatch run {SAMPLES / 'npc_akt1_e17k.vep.GRCh38.vcf'} "
                       "-t NPC -o - --formats html | head -c 10 >/dev/null; echo ${PIPESTATUS[0]}",
                       shell=True, executable="/bin/bash", capture_output=True, text=True)
    assert p.stdout.strip() == "0", p.stderr


def test_fail_on_empty_exit_code(tmp_path):
    p = vm("run", REAL / "vcf/vep_csq/pvactools_protein_altering_variants.vcf", "--fail-on-empty",
           "--out", tmp_path)
    assert p.returncode == 10, p.stderr.decode()


def test_unindexed_copy_reads_the_same_as_the_indexed_file(tmp_path):
    # the indexed file is read by region queries, the copy by the raw-text prefilter
    import shutil

    copy = tmp_path / "npc.vcf.gz"
    shutil.copy(SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", copy)
    a = run_json(copy, "-t", "NPC")
    b = run_json(SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "-t", "NPC")
    assert [x["alteration"] for x in a["alterations"]] == [x["alteration"] for x in b["alterations"]]
    assert a["excluded"][0]["call"] == b["excluded"][0]["call"]
    # line numbers in messages refer to the original file
    assert a["alterations"][0]["variant"]["source"] == "npc.vcf.gz:23"  # zcat | grep -n chr14


def test_snpeff_pten_file_without_header_yields_the_pten_truncation():
    # a sites-only line with no ##fileformat: the header is mended (and said so), the build is
    # inferred from REF, and the 41-bp duplication is a frameshift at Gly129 as SnpEff says
    d = run_json(REAL / "vcf/snpeff/snpeff_pten_frameshift_expectedHGVS.vcf")
    [pten] = d["alterations"]
    assert pten["gene"] == "PTEN" and pten["consequence"] == "frameshift_variant"
    assert pten["hgvs_p"].startswith("p.G129") and pten["hgvs_c"] == "c.340_380dup"
    assert any("no '##fileformat' line" in n for n in d["notes"])
    assert any("GRCh37 inferred from REF" in n for n in d["notes"])


def test_snpeff_cancer_mode_picks_the_somatic_sample_by_name():
    d = run_json(REAL / "vcf/snpeff/snpeff_examples_cancer.ann.vcf")
    assert d["sample"] == "Patient_01_Somatic"
