"""Output writers: a registry keyed by format name, and atomic file output.

A writer is ``fn(results: list[SampleResult], fh) -> None`` writing text to ``fh``. Files are
written to a temporary name beside the target and renamed into place, so an interrupted run never
leaves a half-written file; ``-`` writes to stdout.
"""

from __future__ import annotations

import contextlib
import importlib.util
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
    binary: bool = False  # the writer gets a binary file handle (e.g. xlsx)
    requires: str = ""  # an optional module the format needs, checked before anything is written


WRITERS: dict[str, WriterSpec] = {}


def register(name: str, suffix: str, description: str, binary: bool = False, requires: str = ""):
    def deco(fn):
        WRITERS[name] = WriterSpec(name, suffix, fn, description, binary, requires)
        return fn

    return deco


def _load_builtin() -> None:
    from varmatch.writers import (  # noqa: F401
        html,
        json_writer,
        multiqc,
        trials_tsv,
        tsv,
        va,
        vcf_out,
        xlsx,
    )


def get(name: str) -> WriterSpec:
    _load_builtin()
    if name not in WRITERS:
        raise UsageError(f"unknown output format {name!r}; choose from: {', '.join(sorted(WRITERS))}")
    return WRITERS[name]


def parse_formats(text: str) -> list[str]:
    _load_builtin()
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    for n in names:
        spec = get(n)
        if spec.requires and importlib.util.find_spec(spec.requires) is None:
            raise UsageError(f"--formats {n} needs the Python package {spec.requires!r}, which is "
                             f"not installed: pip install 'varmatch[{n}]' (or pip install "
                             f"{spec.requires})")
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
def atomic_open(path: str | Path, binary: bool = False):
    """Open ``path`` for text (or ``binary``) writing via a temp file renamed into place on
    success."""
    if str(path) == "-":
        out = sys.stdout.buffer if binary else sys.stdout
        yield out
        out.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with (os.fdopen(fd, "wb") if binary
              else os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
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
            with atomic_open(path, spec.binary) as fh:
                spec.write([res], fh)
            written.append(path)
    return written
