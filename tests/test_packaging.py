"""A wheel built from the repository carries the knowledgebase and data and runs outside the tree."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile

from conftest import REPO, SAMPLES


def test_wheel_ships_knowledgebase_and_runs_outside_the_source_tree(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-w", str(dist), str(REPO)], check=True, capture_output=True)
    [wheel] = list(dist.glob("varmatch-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("varmatch/knowledgebase/evidence.yaml", "varmatch/knowledgebase/MANIFEST",
                   "varmatch/data/transcripts.tsv", "varmatch/data/oncotree.tsv",
                   "varmatch/data/hotspots.tsv", "varmatch/schemas/result.schema.json",
                   "varmatch/knowledgebase/civic/evidence.json",
                   "varmatch/knowledgebase/civic/doid_oncotree.tsv",
                   "varmatch/data/oncotree_aliases.tsv"):
        assert needed in names, f"{needed} missing from {wheel.name}"

    # a fresh venv that sees the already-installed dependencies, but not the source tree
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--force-reinstall", "-q",
                    str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = subprocess.run([str(env_dir / "bin" / "varmatch"), "run",
                        str(SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz"), "-t", "NPC",
                        "-o", "-", "--formats", "json"], cwd=elsewhere, capture_output=True)
    assert p.returncode == 0, p.stderr.decode()
    data = json.loads(p.stdout)
    assert [a["alteration"] for a in data["alterations"]] == ["AKT1 p.E17K"]
    assert data["civic_release"] == "2024-08-01"  # the installed wheel loads its CIViC layer
    loc = subprocess.run([str(py), "-c", "import varmatch; print(varmatch.__file__)"],
                         cwd=elsewhere, capture_output=True, text=True, check=True).stdout
    assert str(REPO) not in loc, "ran the source tree, not the installed wheel"
    assert data["knowledgebase"]["version"] != "unversioned"
