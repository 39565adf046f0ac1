"""Re-analysis: `varmatch diff`, `varmatch rerun` and `varmatch cohort --diff`.

The knowledgebase change is real: a copy of knowledgebase/ with one AKT1 E17K row removed
(VM0007, ipatasertib) and another's level lowered (VM0006, capivasertib, C -> D), restamped.
Only the AKT1 E17K patient (NPC) may show option changes; the PIK3CA/PTEN breast patient sees
only the new knowledgebase version.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES

from varmatch import diff as diffmod
from varmatch.kb import write_manifest

NPC = SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz"
BREAST = SAMPLES / "breast_pik3ca_pten.snpeff.GRCh37.vcf"


def vm(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "varmatch", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def changed_kb(tmp_path_factory) -> Path:
    kb = tmp_path_factory.mktemp("kb") / "knowledgebase"
    shutil.copytree(REPO / "knowledgebase", kb)
    ev = (kb / "evidence.yaml").read_text()
    start = ev.index("- id: VM0007")
    end = ev.index("- id:", start + 5)
    ev = ev[:start] + ev[end:]  # drop ipatasertib for AKT1 E17K
    start = ev.index("- id: VM0006")
    level = ev.index("  level: C", start)
    assert level < ev.index("- id:", start + 5)
    ev = ev[:level] + "  level: D" + ev[level + len("  level: C"):]
    (kb / "evidence.yaml").write_text(ev)
    write_manifest(kb, "2099.01.01")
    return kb


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("results")
    for path, tumor in ((NPC, "NPC"), (BREAST, "BREAST")):
        p = vm("run", path, "-t", tumor, "--out", out, "--formats", "json,alterations")
        assert p.returncode == 0, p.stderr
    return out


def test_rerun_against_a_changed_kb_names_changed_options_for_the_akt1_patient_only(
        results, changed_kb, tmp_path):
    p = vm("rerun", results, "--kb", changed_kb, "--out", tmp_path / "new")
    assert p.returncode == diffmod.EXIT_CLINICAL == 20, p.stderr
    npc, breast = p.stdout.split("NPC-017-T (NPC):")[1], p.stdout.split("NPC-017-T (NPC):")[0]
    assert breast.startswith("BRCA-042 (BREAST): provenance only")
    assert "VM000" not in breast and "option" not in breast
    assert "knowledgebase version" in breast and "-> 2099.01.01" in breast
    assert npc.startswith(" clinically relevant change")
    assert "- option removed: ipatasertib [VM0007] for AKT1 p.E17K: Tier II, level D" in npc
    assert ("~ tier changed: capivasertib [VM0006] for AKT1 p.E17K: Tier II (level C) -> "
            "Tier II (level D)") in npc
    assert "before: Tier II (level C)" in npc and "after:  Tier II (level D)" in npc
    # the new results and the diff are written
    d = json.loads((tmp_path / "new/rerun.diff.json").read_text())
    by = {s["sample"]: s for s in d["samples"]}
    assert by["NPC-017-T"]["status"] == "clinically relevant change"
    assert [o["evidence_id"] for o in by["NPC-017-T"]["options_removed"]] == ["VM0007"]
    assert [c["evidence_id"] for c in by["NPC-017-T"]["tier_changes"]] == ["VM0006"]
    assert by["BRCA-042"]["status"] == "provenance only" and not by["BRCA-042"]["options_removed"]
    new = json.loads((tmp_path / "new/NPC-017-T.varmatch.json").read_text())
    assert new["knowledgebase"]["version"] == "2099.01.01"
    assert "VM0007" not in {m["evidence_id"] for m in new["matches"]}


def test_rerun_with_the_same_kb_reproduces_every_result(results, tmp_path):
    p = vm("rerun", results, "--out", tmp_path / "same", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    d = json.loads(p.stdout)
    assert {s["sample"]: s["status"] for s in d["samples"]} == {
        "NPC-017-T": "unchanged", "BRCA-042": "unchanged"}


def test_rerun_reads_an_alterations_table_without_json(results, tmp_path):
    only = tmp_path / "only"
    only.mkdir()
    shutil.copy(results / "NPC-017-T.varmatch.alterations.tsv", only)
    p = vm("rerun", only, "-t", "NPC", "--out", tmp_path / "o")
    assert p.returncode == 0, p.stderr
    assert "NPC-017-T (NPC): new sample" in p.stdout
    d = json.loads((tmp_path / "o/NPC-017-T.varmatch.json").read_text())
    assert {m["evidence_id"] for m in d["matches"]} >= {"VM0006", "VM0007"}


def test_diff_two_json_results(results, changed_kb, tmp_path):
    new = tmp_path / "new.json"
    p = vm("run", NPC, "-t", "NPC", "--kb", changed_kb, "-o", new, "--formats", "json")
    assert p.returncode == 0, p.stderr
    p = vm("diff", results / "NPC-017-T.varmatch.json", new, "--json")
    assert p.returncode == 20
    s = json.loads(p.stdout)["samples"][0]
    assert s["options_removed"][0]["therapy"] == "ipatasertib"
    assert s["tier_changes"][0]["old_why"] != s["tier_changes"][0]["new_why"]
    p = vm("diff", results / "NPC-017-T.varmatch.json", results / "NPC-017-T.varmatch.json")
    assert p.returncode == 0 and "NPC-017-T (NPC): unchanged" in p.stdout


def test_provenance_only_change_exits_21(results, tmp_path):
    d = json.loads((results / "BRCA-042.varmatch.json").read_text())
    d["varmatch_version"] = "0.0.9"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(d))
    p = vm("diff", old, results / "BRCA-042.varmatch.json")
    assert p.returncode == 21, p.stdout
    assert "provenance only" in p.stdout and "varmatch 0.0.9 -> " in p.stdout


def test_diff_of_a_non_result_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    p = vm("diff", bad, bad)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        f"varmatch: error: {bad}: not a varmatch result: expected an object with 'sample' and "
        "'matches' (varmatch run --formats json)"]


def test_new_resistance_and_counter_evidence_are_clinical():
    base = {"sample": "S", "tumor_type": {"code": "NPC"}, "knowledgebase": {"version": "1"},
            "alterations": [{"id": "AKT1:E17K", "alteration": "AKT1 p.E17K"}],
            "matches": [{"evidence_id": "VM1", "therapy": "capivasertib", "tier": "II",
                         "level": "C", "alterations": ["AKT1:E17K"], "why": "w"}],
            "resistance": []}
    new = json.loads(json.dumps(base))
    new["resistance"] = [{"evidence_id": "VM9", "therapy": "alpelisib", "tier": "II",
                          "level": "D", "alterations": ["AKT1:E17K"], "why": "r"}]
    new["matches"][0]["qualifiers"] = [{"evidence_id": "CIVIC:EID1", "direction": "counter-evidence",
                                        "summary": "no response in 3 patients"}]
    d = diffmod.diff_results(base, new)
    assert d.status == diffmod.CLINICAL
    assert d.resistance_added[0]["alterations"] == ["AKT1 p.E17K"]
    text = diffmod.text_report([d])
    assert "+ resistance: alpelisib [VM9] for AKT1 p.E17K" in text
    assert "+ counter-evidence for capivasertib [VM1]: CIVIC:EID1 no response in 3 patients" in text
    assert diffmod.diff_results(base, base).status == diffmod.UNCHANGED


def test_cohort_diff_flags_the_changed_patient(changed_kb, tmp_path):
    sheet = tmp_path / "sheet.tsv"
    sheet.write_text(f"sample\tvcf\ttumor_type\nNPC-017\t{NPC}\tNPC\nBREAST-1\t{BREAST}\tBREAST\n")
    p = vm("cohort", sheet, "--out", tmp_path / "jan", "-j", "1")
    assert p.returncode == 0, p.stderr
    p = vm("cohort", sheet, "--out", tmp_path / "feb", "-j", "1", "--kb", changed_kb,
           "--diff", tmp_path / "jan")
    assert p.returncode == 20, p.stderr
    text = (tmp_path / "feb/cohort.diff.txt").read_text()
    assert "NPC-017 (NPC): clinically relevant change" in text
    assert "BREAST-1 (BREAST): provenance only" in text
    assert text.count("option removed") == 1


def test_new_approval_at_the_same_tier_is_a_change():
    old = {"sample": "S", "tumor_type": {"code": "BREAST"}, "alterations": [],
           "matches": [{"evidence_id": "VM1", "therapy": "capivasertib + fulvestrant", "tier": "I",
                        "level": "A", "alterations": ["PIK3CA:H1047R"], "why": "w",
                        "regulatory_status": "not approved"}], "resistance": []}
    new = json.loads(json.dumps(old))
    new["matches"][0]["regulatory_status"] = "approved in this tumor type"
    d = diffmod.diff_results(old, new)
    assert d.status == diffmod.CLINICAL
    assert "regulatory status: not approved -> approved in this tumor type" in diffmod.text_report([d])
