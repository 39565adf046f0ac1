"""Pipeline packaging: the Snakemake workflow (run for real), the nf-core-style Nextflow module,
the Dockerfile and the conda environment (checked statically: no Nextflow runtime and no Docker
daemon on this machine; see workflows/nextflow/README.md)."""

from __future__ import annotations

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
           "--config", f"varmatch={sys.executable} -m varmatch", "--quiet"]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = tmp_path / "results"
    with open(SMK / "samples.tsv") as fh:
        names = [r["sample"] for r in csv.DictReader(fh, delimiter="\t")]
    for name in names:
        assert (res / "samples" / f"{name}.varmatch.json").stat().st_size > 0
        assert (res / "samples" / f"{name}.varmatch.tsv").stat().st_size > 0
    npc = json.loads((res / "samples" / "NPC-017.varmatch.json").read_text())
    assert npc["tumor_type"]["code"] == "NPC"
    assert any(a["gene"] == "AKT1" and a["hgvs_p"] == "p.E17K" for a in npc["alterations"])
    tsv = (res / "samples" / "NPC-017.varmatch.tsv").read_text()
    assert "AKT1\tAKT1 p.E17K" in tsv
    for f in ("html", "matrix.tsv", "counts.tsv", "actionable.tsv", "samples.tsv", "summary.json"):
        assert (res / "cohort" / f"cohort.{f}").stat().st_size > 0
    assert "AKT1 p.E17K" in (res / "cohort" / "cohort.matrix.tsv").read_text()
    html = (res / "cohort" / "cohort.html").read_text()
    assert "<svg" in html and "AKT1" in html


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
