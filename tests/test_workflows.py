"""Pipeline packaging: the Snakemake workflow (run for real), the nf-core-style Nextflow module,
the Dockerfile and the conda environment (checked statically: no Nextflow runtime and no Docker
daemon on this machine; see workflows/nextflow/README.md)."""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SMK = REPO / "workflows" / "snakemake"
NF_MODULE = REPO / "workflows" / "nextflow" / "modules" / "local" / "varmatch"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _has_cohort_command() -> bool:
    proc = subprocess.run([sys.executable, "-m", "varmatch", "cohort", "--help"], env=_env(),
                          capture_output=True)
    return proc.returncode == 0


# --------------------------------------------------------------------------------------------------
# Snakemake
def test_snakemake_workflow_bundled_samples(tmp_path):
    pytest.importorskip("snakemake", reason="pip install snakemake (the test extra) to run this")
    if not _has_cohort_command():
        pytest.skip("`varmatch cohort` is not in cli.py yet")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SMK / "Snakefile"), "--cores", "2",
           "--directory", str(tmp_path), "--configfile", str(SMK / "config.yaml"),
           "--config", f"varmatch={sys.executable} -m varmatch", "formats=tsv,html", "--quiet"]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = tmp_path / "results"
    with open(SMK / "samples.tsv") as fh:
        names = [r["sample"] for r in csv.DictReader(fh, delimiter="\t")]
    for name in names:
        for ext in ("json", "tsv", "html"):  # json always; tsv and html from the formats key
            assert (res / "samples" / f"{name}.varmatch.{ext}").stat().st_size > 0
    assert sorted(p.name for p in (res / "samples").iterdir()) == sorted(
        f"{n}.varmatch.{e}" for n in names for e in ("json", "tsv", "html"))  # nothing else left
    npc = json.loads((res / "samples" / "NPC-017.varmatch.json").read_text())
    assert npc["tumor_type"]["code"] == "NPC"
    assert npc["sample"] == "NPC-017"  # the samplesheet's name, not the VCF's tumor column
    with open(res / "cohort" / "cohort.samples.tsv") as fh:
        assert sorted(r["sample"] for r in csv.DictReader(fh, delimiter="\t")) == sorted(names)
    with open(res / "cohort" / "cohort.matrix.tsv") as fh:
        assert sorted(fh.readline().rstrip("\n").split("\t")[2:]) == sorted(names)
    assert any(a["gene"] == "AKT1" and a["hgvs_p"] == "p.E17K" for a in npc["alterations"])
    tsv = (res / "samples" / "NPC-017.varmatch.tsv").read_text()
    assert "AKT1\tAKT1 p.E17K" in tsv
    for f in ("html", "matrix.tsv", "counts.tsv", "actionable.tsv", "samples.tsv", "summary.json"):
        assert (res / "cohort" / f"cohort.{f}").stat().st_size > 0
    assert "AKT1 p.E17K" in (res / "cohort" / "cohort.matrix.tsv").read_text()
    html = (res / "cohort" / "cohort.html").read_text()
    assert "<svg" in html and "AKT1" in html


def _sheet(tmp_path: Path, n: int) -> Path:
    vcf = REPO / "sample_vcfs" / "npc_akt1_e17k.vep.GRCh38.vcf"
    sheet = tmp_path / "sheet.tsv"
    sheet.write_text("sample\tvcf\ttumor_type\n" + "".join(
        f"S{i:04d}\t{vcf}\t{'NPC' if i % 2 else ''}\n" for i in range(n)))
    return sheet


def _dry_run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    pytest.importorskip("snakemake", reason="pip install snakemake (the test extra) to run this")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SMK / "Snakefile"), "--directory",
           str(tmp_path / "work"), "--config", f"samples={_sheet(tmp_path, 1000)}",
           "formats=json,html", *extra]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _job_stats(text: str) -> dict[str, int]:
    block = text[text.index("Job stats:"):]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M)
            if m.group(1) != "total"}


def test_snakemake_dry_run_of_1000_samples_builds_one_job_per_sample(tmp_path):
    dag = _dry_run(tmp_path, "--dag").stdout
    nodes = dict(re.findall(r"^\s*(\d+)\[label = \"([^\"]+)\"", dag, re.M))
    edges = re.findall(r"^\s*(\d+) -> (\d+)", dag, re.M)
    samples = {k: v.split("sample: ")[1] for k, v in nodes.items() if v.startswith("varmatch_sample")}
    assert sorted(samples.values()) == [f"S{i:04d}" for i in range(1000)]
    cohort = [k for k, v in nodes.items() if v == "cohort_summary"]
    top = [k for k, v in nodes.items() if v == "all"]
    assert len(cohort) == 1 and len(top) == 1 and len(nodes) == 1002
    # every sample job feeds the cohort summary (and the final target); nothing else connects
    assert {(a, b) for a, b in edges if b == cohort[0]} == {(k, cohort[0]) for k in samples}
    assert {a for a, b in edges if b == top[0]} == set(samples) | set(cohort)
    assert len(edges) == 2 * 1000 + 1

    text = _dry_run(tmp_path, "--dry-run", "--printshellcmds").stdout
    assert _job_stats(text) == {"varmatch_sample": 1000, "cohort_summary": 1, "all": 1}
    cmds = [ln for ln in text.splitlines() if " run " in ln and "--name" in ln]
    assert len(cmds) == 1000
    s0001 = next(c for c in cmds if "--name S0001 " in c)
    assert "--tumor-type NPC" in s0001 and "--formats json,html" in s0001
    s0000 = next(c for c in cmds if "--name S0000 " in c)
    assert "--tumor-type" not in s0000  # empty tumor_type: varmatch's own default applies
    assert not [c for c in cmds if " mv " in c]
    assert "results/samples/S0999.varmatch.html" in text


def test_snakemake_slurm_profile_dry_run(tmp_path):
    """The example cluster profile parses and drives the same graph (Snakemake's dryrun
    executor stands in for SLURM, whose plugin is not installed here)."""
    text = _dry_run(tmp_path, "--profile", str(SMK / "profiles" / "slurm"), "--executor",
                    "dryrun", "--dry-run").stdout
    assert _job_stats(text) == {"varmatch_sample": 1000, "cohort_summary": 1, "all": 1}
    assert "slurm_partition=short" in text and "mem_mb=2000" in text
    profile = yaml.safe_load((SMK / "profiles" / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm" and profile["group-components"] == ["samples=50"]


def test_snakemake_formats_match_varmatch_writers():
    from varmatch import writers

    text = (SMK / "Snakefile").read_text()
    suffix = ast.literal_eval(re.search(r"^SUFFIX = (\{.*?\})$", text, re.M | re.S).group(1))
    assert {"json", "tsv", "html", "vcf"} <= set(suffix)
    assert suffix == {name: writers.get(name).suffix for name in suffix}


def test_snakemake_samplesheet_points_at_bundled_vcfs():
    with open(SMK / "samples.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert {"sample", "vcf", "tumor_type"} <= set(rows[0])
    for r in rows:
        assert (SMK / r["vcf"]).resolve().is_file(), r["vcf"]
    assert yaml.safe_load((SMK / "config.yaml").read_text())["samples"] == "samples.tsv"


# --------------------------------------------------------------------------------------------------
# Nextflow module (nf-core layout). The schema below states the rules of nf-core's
# modules/meta-schema.json that a meta.yml must meet (required keys, element types, URL forms).
_ELEMENT = {
    "type": "object", "minProperties": 1, "maxProperties": 1,
    "additionalProperties": {
        "type": "object", "required": ["type", "description"],
        "properties": {
            "type": {"enum": ["map", "file", "directory", "string", "integer", "float", "boolean",
                              "list"]},
            "description": {"type": "string"}, "pattern": {"type": "string"},
            "ontologies": {"type": "array", "items": {"type": "object", "additionalProperties": {
                "type": "string", "pattern": "^(http|https)://"}}},
        },
    },
}
META_SCHEMA = {
    "type": "object",
    "required": ["name", "description", "keywords", "authors", "output", "tools"],
    "properties": {
        "name": {"type": "string"}, "description": {"type": "string"},
        "keywords": {"type": "array", "minItems": 3, "uniqueItems": True,
                     "items": {"type": "string", "not": {"const": "example"}}},
        "authors": {"type": "array", "items": {"type": "string"}},
        "maintainers": {"type": "array", "items": {"type": "string"}},
        "input": {"type": "array", "items": {"type": "array", "items": _ELEMENT}},
        "output": {"type": "array", "items": {"type": "object", "additionalProperties": {
            "type": "array", "items": _ELEMENT}}},
        "tools": {"type": "array", "items": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["description"],
            "anyOf": [{"required": [k]} for k in ("homepage", "documentation", "tool_dev_url",
                                                   "doi")],
            "properties": {
                "homepage": {"type": "string", "pattern": "^(http|https)://"},
                "documentation": {"type": "string", "pattern": "^(http|https|ftp)://"},
                "tool_dev_url": {"type": "string", "pattern": "^(http|https)://"},
                "licence": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "identifier": {"type": "string", "pattern": "^(biotools:.*)?$"},
            }}}},
    },
}


def _meta() -> dict:
    return yaml.safe_load((NF_MODULE / "meta.yml").read_text())


def test_nextflow_meta_yml_follows_nf_core_schema():
    meta = _meta()
    jsonschema.validate(meta, META_SCHEMA)
    assert meta["name"] == "varmatch"
    assert [list(e)[0] for e in meta["input"][0]] == ["meta", "vcf"]


def test_nextflow_main_nf_matches_meta_yml():
    nf = (NF_MODULE / "main.nf").read_text()
    assert re.search(r"^process VARMATCH \{", nf, re.M)
    assert re.search(r"^\s*tag\s+\"\$meta\.id\"", nf, re.M)
    assert re.search(r"^\s*label\s+'process_\w+'", nf, re.M)
    assert re.search(r"^\s*conda\s+\S", nf, re.M) and re.search(r"^\s*container\s+\S", nf, re.M)
    assert re.search(r"tuple val\(meta\), path\(vcf\)", nf)
    assert "task.ext.args" in nf and "task.ext.prefix" in nf and "task.ext.when" in nf
    emits = set(re.findall(r"emit:\s*(\w+)", nf))
    declared = {list(o)[0] for o in _meta()["output"]}
    assert declared == emits == {"json", "tsv", "html", "versions"}
    for out in _meta()["output"]:
        (name, elems), = out.items()
        for elem in elems:
            (key, spec), = elem.items()
            if spec["type"] == "file":  # the file pattern meta.yml documents is the one emitted
                assert f'path "{key}"' in nf or f'path("{key}")' in nf, key
    assert "versions.yml" in nf and "varmatch --version" in nf
    script = nf[nf.index("script:"):nf.index("stub:")]
    assert "--name ${prefix}" in script and not re.search(r"^\s*(mv|for)\b", script, re.M)
    assert re.search(r"^\s*stub:", nf, re.M)
    conda = re.search(r'conda\s+"([^"]+)"', nf).group(1)
    env = conda.replace("${moduleDir}", str(NF_MODULE))
    assert Path(os.path.normpath(env)) == REPO / "environment.yml"


@pytest.mark.skipif(shutil.which("nextflow") is None,
                    reason="Nextflow is not installable here (its launcher downloads the runtime "
                           "from outside the package registries); see workflows/nextflow/README.md")
def test_nextflow_module_lints(tmp_path):
    proc = subprocess.run(["nextflow", "lint", str(NF_MODULE / "main.nf")], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------------------
# Container and conda environment (no Docker daemon or conda registry here: static checks)
def test_dockerfile_essentials():
    lines = [ln.strip() for ln in (REPO / "Dockerfile").read_text().splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    text = "\n".join(lines)
    assert lines[0] == "FROM python:3.11-slim"
    assert re.search(r"^COPY \. /src$", text, re.M)
    assert re.search(r"pip install /src", text)
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"useradd .*\b" + re.escape(user[-1]) + r"\b", text)
    entry = re.search(r"^ENTRYPOINT (.+)$", text, re.M).group(1)
    assert json.loads(entry) == ["varmatch"]


def test_environment_yml():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"][:2] == ["conda-forge", "bioconda"]
    names = {re.split(r"[<>=!~ ]", d)[0].lower() for d in env["dependencies"] if isinstance(d, str)}
    assert {"python", "cyvcf2", "pysam", "pandas", "click", "pyyaml", "jsonschema", "jinja2",
            "requests", "pip"} <= names
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == ["."]  # this repository (the file sits at its root)


# --------------------------------------------------------------------------------------------------
# `varmatch run --name`: what both workflows use instead of renaming files
def test_run_name_sets_file_names_and_sample_column(tmp_path):
    from click.testing import CliRunner

    from varmatch.cli import cli

    vcf = REPO / "sample_vcfs" / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz"
    res = CliRunner().invoke(cli, ["run", str(vcf), "--name", "NPC-017", "--formats", "json,tsv",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["NPC-017.varmatch.json",
                                                          "NPC-017.varmatch.tsv"]
    doc = json.loads((tmp_path / "NPC-017.varmatch.json").read_text())
    assert doc["sample"] == "NPC-017"
    assert any("reported as 'NPC-017' (--name)" in n for n in doc["notes"])
    assert any(a["gene"] == "AKT1" and a["hgvs_p"] == "p.E17K" for a in doc["alterations"])
    rows = list(csv.DictReader((tmp_path / "NPC-017.varmatch.tsv").open(), delimiter="\t"))
    assert rows and {r["sample"] for r in rows} == {"NPC-017"}


def test_run_name_refuses_an_input_with_many_samples(tmp_path):
    maf = REPO.parent / "shared" / "real_inputs" / "maf" / "genomenexus_data_mutations_extended_100.txt"
    if not maf.exists():
        pytest.skip(f"{maf} is missing (../shared)")
    proc = subprocess.run([sys.executable, "-m", "varmatch", "run", str(maf), "--prefix", "X",
                           "--out", str(tmp_path / "o")], env=_env(), capture_output=True, text=True)
    assert proc.returncode == 3  # usage error
    assert "--name needs an input with one sample" in proc.stderr and str(maf) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()  # nothing half-written
