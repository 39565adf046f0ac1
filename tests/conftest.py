"""Shared fixtures: paths to ../shared (real inputs written by other projects) and sample_vcfs."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "real_inputs"
SAMPLES = REPO / "sample_vcfs"


def need(path: Path) -> Path:
    """A file from ../shared; the tests need it (CI has ../shared beside the clone)."""
    if not path.exists():
        pytest.fail(f"{path} is missing: CI runs with ../shared beside the repository")
    return path


@pytest.fixture
def real():
    return lambda rel: need(REAL / rel)


@pytest.fixture
def samples():
    return SAMPLES
