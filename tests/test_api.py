"""The documented Python API (docs/api.md): its example runs as written, the public names exist,
and the set-up promises hold (tests without ../shared skip with a message, fail on CI)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

import varmatch

API_DOC = REPO / "docs" / "api.md"


def test_api_doc_example_runs(monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", API_DOC.read_text(), re.DOTALL)
    assert len(blocks) == 1
    monkeypatch.chdir(REPO)
    exec(compile(blocks[0], str(API_DOC), "exec"), {"__name__": "api_example"})
    printed = capsys.readouterr().out
    assert printed.startswith("capivasertib II C Tier II (level C)")


def test_public_names_are_documented_and_importable():
    text = API_DOC.read_text()
    for name in ("run_file", "Engine", "Options", "result_dict", "result_schema"):
        assert callable(getattr(varmatch, name)) and f"varmatch.{name}" in text
    assert varmatch.result_schema()["properties"]["schema_version"] == {"const": "2.0"}
    with pytest.raises(AttributeError):
        varmatch.no_such_name  # noqa: B018


CONFTEST_PROBE = '''
import pytest
from conftest import REAL, need

def test_need():
    need(REAL / "vcf/x.vcf")

def test_open():
    (REAL / "vcf/y.vcf").read_text()

@pytest.fixture(scope="module")
def data():
    return (REAL / "z.txt").read_text()

def test_fixture(data):
    assert data

def test_plain():
    assert 1 + 1 == 2
'''


@pytest.mark.parametrize("ci", ["", "true"])
def test_tests_without_shared_skip_naming_it_but_fail_on_ci(tmp_path, ci):
    """tests/conftest.py in a checkout with no ../shared beside it."""
    tests = tmp_path / "repo" / "tests"
    tests.mkdir(parents=True)
    (tests / "conftest.py").write_text((REPO / "tests/conftest.py").read_text())
    (tests / "test_probe.py").write_text(textwrap.dedent(CONFTEST_PROBE))
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": ci} if ci else {})
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                        str(tests)], capture_output=True, text=True, cwd=tmp_path / "repo",
                       env=env, timeout=120)
    if ci:
        assert p.returncode == 1 and "1 passed" in p.stdout, p.stdout
        assert "2 failed" in p.stdout and "1 error" in p.stdout, p.stdout
    else:
        assert p.returncode == 0 and "1 passed, 3 skipped" in p.stdout, p.stdout
        assert p.stdout.count("which is not beside the repository") == 3
        assert str(tmp_path / "shared") in p.stdout
