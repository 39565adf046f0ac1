"""Loading the knowledgebase for a run skips the per-row JSON-schema check only when the files are
exactly the ones `kb stamp` validated; any edit brings the check back, and `kb stamp` refuses to
stamp a knowledgebase that fails validation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from varmatch import kb as kbmod

REPO = Path(__file__).resolve().parents[1]


def _vm(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "varmatch", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_a_run_on_the_stamped_bundled_knowledgebase_does_not_import_jsonschema():
    code = ("import sys\n"
            "from varmatch.pipeline import run_file, Options\n"
            "[r] = run_file('sample_vcfs/npc_akt1_e17k.mutect2.GRCh38.vcf.gz', "
            "Options(tumor_type='NPC'))\n"
            "assert any(m.evidence.id == 'VM0006' for m in r.matches)\n"
            "print('jsonschema' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "False"


def _copy(tmp_path: Path) -> Path:
    kb = tmp_path / "knowledgebase"
    shutil.copytree(REPO / "knowledgebase", kb, ignore=shutil.ignore_patterns("__pycache__"))
    return kb


def test_an_edited_row_is_checked_against_the_schema_again(tmp_path):
    kb = _copy(tmp_path)
    ev = kb / "evidence.yaml"
    ev.write_text(ev.read_text().replace("  curated: ", "  colour: red\n  curated: ", 1))
    assert not kbmod._stamped(kb)
    p = _vm("run", REPO / "sample_vcfs/npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "-t", "NPC",
            "--kb", kb, "-o", "-", "--formats", "json")
    assert p.returncode == 4, p.stderr
    assert "colour" in p.stderr


def test_kb_stamp_refuses_a_knowledgebase_that_fails_validation(tmp_path):
    kb = _copy(tmp_path)
    before = (kb / "MANIFEST").read_text()
    ev = kb / "evidence.yaml"
    ev.write_text(ev.read_text().replace("  level: C\n", "  level: Q\n", 1))
    p = _vm("kb", "stamp", "--version", "2099.01.01", "--kb", kb)
    assert p.returncode == 4, p.stderr
    assert (kb / "MANIFEST").read_text() == before
