"""Shared fixtures: paths to ../shared (real inputs written by other projects) and sample_vcfs.

Tests that read ../shared need it beside the repository. On a machine without it (a fresh clone
elsewhere) they are skipped with a message naming the missing directory and the rest run; on CI
(``CI`` set to a true value) a missing ../shared is a failure, so CI always runs every test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "real_inputs"
SAMPLES = REPO / "sample_vcfs"


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def shared_missing_message(path: Path | str) -> str:
    return (f"{path} is missing: this test reads ../shared ({SHARED}), which is not beside the "
            "repository")


def need(path: Path) -> Path:
    """A file from ../shared: skipped without it on a developer machine, a failure on CI."""
    if not path.exists():
        if on_ci() or SHARED.is_dir():
            pytest.fail(f"{path} is missing: CI runs with ../shared beside the repository")
        pytest.skip(shared_missing_message(path))
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Without ../shared (and not on CI), a test that failed by reaching into it is reported as
    skipped, naming the directory, instead of failing with FileNotFoundError."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or SHARED.is_dir() or on_ci() or call.excinfo is None:
        return
    if str(SHARED) in str(call.excinfo.value) or str(SHARED) in str(report.longrepr):
        path, line, _ = item.location
        report.outcome = "skipped"
        report.longrepr = (str(item.path), line + 1, f"Skipped: {shared_missing_message(SHARED)}")


@pytest.fixture
def real():
    return lambda rel: need(REAL / rel)


@pytest.fixture
def samples():
    return SAMPLES
