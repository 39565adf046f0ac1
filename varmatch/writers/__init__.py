"""Output writers: a registry keyed by format name, and atomic file output.

A writer is ``fn(results: list[SampleResult], fh) -> None`` writing text to ``fh``. Files are
written to a temporary name beside the target and renamed into place, so an interrupted run never
leaves a half-written file; ``-`` writes to stdout.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from varmatch.errors import UsageError
from varmatch.models import SampleResult


@dataclass(frozen=True)
class WriterSpec:
    name: str
    suffix: str
    write: Callable[[list[SampleResult], object], None]
    description: str


WRITERS: dict[str, WriterSpec] = {}


def register(name: str, suffix: str, description: str):
    def deco(fn):
        WRITERS[name] = WriterSpec(name, suffix, fn, description)
        return fn

    return deco


def _load_builtin() -> None:
    from varmatch.writers import html, json_writer, multiqc, trials_tsv, tsv, va, vcf_out  # noqa: F401  # noqa: F401


def get(name: str) -> WriterSpec:
    _load_builtin()
    if name not in WRITERS:
        raise UsageError(f"unknown output format {name!r}; choose from: {', '.join(sorted(WRITERS))}")
    return WRITERS[name]


def parse_formats(text: str) -> list[str]:
    _load_builtin()
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    for n in names:
        get(n)
    if not names:
        raise UsageError("--formats is empty; give e.g. json,tsv")
    return names


def safe_name(sample: str) -> str:
    """A file-name-safe version of a sample name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", sample).strip("._")
    return name or "sample"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | Path):
    """Open ``path`` for text writing via a temp file renamed into place on success."""
    if str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_outputs(results: list[SampleResult], out_dir: str | Path, formats: list[str]) -> list[Path]:
    """Per-sample files ``<out>/<sample>.varmatch.<suffix>``; returns the paths written."""
    written = []
    for res in results:
        for name in formats:
            spec = get(name)
            path = Path(out_dir) / f"{safe_name(res.sample)}.varmatch.{spec.suffix}"
            with atomic_open(path) as fh:
                spec.write([res], fh)
            written.append(path)
    return written
