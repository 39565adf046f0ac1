"""Output writers: a registry keyed by format name, and safe file output.

A writer is ``fn(results: list[SampleResult], fh) -> None`` writing text to ``fh``.

Where output goes (README "Outputs"):

* A regular file (or a new name) is written to a temporary name beside it and renamed into place,
  so an interrupted or failed run never leaves a half-written file. A symlink is followed: its
  target is replaced atomically and the link itself is kept.
* A FIFO, a character device (``/dev/null``, a terminal), ``/dev/stdout``, ``/dev/fd/N`` (shell
  process substitution) and anything else under ``/dev`` or ``/proc`` is written *through*: renaming
  over them would break the reader waiting on the other end. ``-`` is stdout.
* A per-sample set (:func:`write_outputs`) is all or nothing: every format is written into a
  temporary directory inside ``out_dir``, then moved in under a lock (``fcntl.flock`` on the folder),
  so two runs into the same folder never leave one run's JSON beside the other's TSV. If any file
  cannot be written or moved, files already moved are put back as they were.

I/O failures become :class:`~varmatch.errors.OutputError` (exit 2) naming the path.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import importlib.util
import io
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from varmatch.errors import OutputError, UsageError
from varmatch.models import SampleResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriterSpec:
    name: str
    suffix: str
    write: Callable[[list[SampleResult], object], None]
    description: str
    binary: bool = False  # the writer gets a binary file handle (e.g. xlsx)
    requires: str = ""  # an optional module the format needs, checked before anything is written


WRITERS: dict[str, WriterSpec] = {}
SPOOLED: dict[str, str] = {}  # "-" -> the temp copy of stdin while a command runs (vcf re-reads it)


class PerRow:
    """``make(row)`` remembered per knowledgebase row object: a cohort writes the same few hundred
    rows for thousands of samples. Keyed by ``id()`` with the row held in the entry, so an id is
    never reused while its entry lives (a new knowledgebase gets new entries, not stale ones)."""

    def __init__(self, make: Callable, limit: int = 8192):
        self.make, self.limit = make, limit
        self._memo: dict[int, tuple[object, object]] = {}

    def __call__(self, row):
        hit = self._memo.get(id(row))
        if hit is not None and hit[0] is row:
            return hit[1]
        if len(self._memo) >= self.limit:
            self._memo.clear()
        value = self.make(row)
        self._memo[id(row)] = (row, value)
        return value


def tsv_rows(fh) -> Callable[[list[str]], None]:
    """``writerow`` for tab-separated rows of several cells, none holding a tab: what
    ``csv.writer(fh, delimiter="\\t", lineterminator="\\n")`` writes, as a plain join (five
    times faster) unless a cell holds a double quote, CR or LF, which the csv module quotes."""
    w = csv.writer(fh, delimiter="\t", lineterminator="\n")
    write = fh.write

    def writerow(row: list[str]) -> None:
        line = "\t".join(row)
        if '"' in line or "\r" in line or "\n" in line:
            w.writerow(row)
        else:
            write(line + "\n")
    return writerow


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


_MAX_NAME = 120  # characters of a sample name kept in a file name (file systems allow 255 bytes)


def safe_name(sample: str) -> str:
    """A file-name-safe version of a sample name; a very long name is cut and given a short hash so
    it stays unique and within the file system's 255-byte limit."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", sample).strip("._")
    if len(name) > _MAX_NAME:
        name = name[:_MAX_NAME].rstrip("._-") + "_" + hashlib.sha1(sample.encode()).hexdigest()[:8]
    return name or "sample"


def suffix_format(path: str) -> str | None:
    """The output format a file name asks for by its suffix (``x.tsv`` -> tsv), else None."""
    _load_builtin()
    name = os.path.basename(path).lower()
    if name.endswith("_mqc.tsv"):
        return "multiqc"
    if name.endswith(".htm"):
        return "html"
    # the longest suffix first: "x.alterations.tsv" is alterations, not tsv
    for spec in sorted(WRITERS.values(), key=lambda w: -len(w.suffix)):
        if name.endswith("." + spec.suffix):
            return spec.name
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def io_error(exc: OSError, path: str | Path, doing: str = "cannot write") -> OutputError:
    """One line for an I/O failure: the path, what went wrong, what to do."""
    hint = {
        errno.ENOSPC: "the disk is full; free space or choose another --out",
        errno.EDQUOT: "the disk quota is exceeded; free space or choose another --out",
        errno.EROFS: "the file system is read-only; choose another --out",
        errno.EACCES: "permission denied; choose a folder you can write to",
        errno.EPERM: "not permitted (an immutable or protected file?); choose another --out",
        errno.ENAMETOOLONG: "the file name is too long; choose a shorter name",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EISDIR: "is a folder; give a file name or use --out",
        errno.ENOENT: "the folder does not exist",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return OutputError(f"{doing} ({hint})", path)


def _write_through(path: str) -> bool:
    """True when ``path`` must be opened and written in place rather than replaced by a rename."""
    if path.startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = os.stat(path).st_mode  # follows symlinks: /dev/stdout -> /proc/self/fd/1 -> pipe
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _open(path: str | Path | int, binary: bool):
    return (open(path, "wb") if binary else  # noqa: SIM115 - the callers close it
            open(path, "w", encoding="utf-8", newline=""))


@contextlib.contextmanager
def atomic_open(path: str | Path, binary: bool = False):
    """Open ``path`` for text (or ``binary``) writing: via a temp file renamed into place on
    success for a regular file (a symlink's target is replaced, the link kept), written through
    for special files (FIFO, device, ``/dev/stdout``, ``/dev/fd/N``); ``-`` is stdout. Binary
    output to a stream is built in memory first (a zip needs to seek). I/O failures raise
    :class:`OutputError` and leave the target as it was."""
    if str(path) == "-" and not binary:
        yield sys.stdout
        sys.stdout.flush()
        return
    if str(path) == "-" or _write_through(str(path)):
        try:
            fh = sys.stdout.buffer if str(path) == "-" else _open(path, binary)
        except OSError as exc:
            raise io_error(exc, path) from None
        try:
            with contextlib.nullcontext(fh) if str(path) == "-" else fh:
                if binary:
                    buf = io.BytesIO()
                    yield buf
                    fh.write(buf.getvalue())
                    fh.flush()
                else:
                    yield fh
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            raise io_error(exc, path) from None
        return
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:60]}.", suffix=".tmp", dir=target.parent)
        with _open(fd, binary) as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise io_error(exc, path) from None
    finally:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _unique_names(results: list[SampleResult]) -> list[str]:
    """File stems for ``results``; samples whose names differ but sanitise alike (``a/b``, ``a_b``,
    ``a:b``) get ``-2``, ``-3``... and a warning, instead of overwriting each other."""
    stems: list[str] = []
    owner: dict[str, str] = {}
    for res in results:
        base = stem = safe_name(res.sample)
        n = 1
        while stem in owner and owner[stem] != res.sample:
            n += 1
            stem = f"{base}-{n}"
        if stem != base:
            log.warning("samples %r and %r share the file name %s; %r is written as %s.varmatch.*",
                        owner[base], res.sample, base, res.sample, stem)
        owner.setdefault(stem, res.sample)
        stems.append(stem)
    return stems


@contextlib.contextmanager
def _folder_lock(out: Path):
    """An exclusive ``flock`` on the output folder itself (no lock file left behind), held only
    while a sample's staged set is moved in; released when the process ends, even by a kill."""
    import fcntl

    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _move_set(files: list[tuple[str, str]], stage: str, tag: str = "") -> None:
    """Rename every ``(staged, target)`` pair into place, all or nothing: old targets are first
    hard-linked into ``stage`` (which also proves each can be replaced), and restored if a later
    rename fails. ``tag`` keeps the backup names of several sets in one stage folder apart."""
    backups: list[tuple[str, str | None]] = []
    for i, (_new, target) in enumerate(files):
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            backups.append((target, None))
            continue
        if stat.S_ISDIR(mode):
            raise OSError(errno.EISDIR, "is a directory", str(target))
        keep = os.path.join(stage, f".old{tag}-{i}")
        try:
            os.link(target, keep, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
                raise OSError(exc.errno, exc.strerror, str(target)) from None
            shutil.copy2(target, keep, follow_symlinks=False)
        backups.append((target, keep))
    done: list[int] = []
    try:
        for i, (new, target) in enumerate(files):
            try:
                os.replace(new, target)
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(target)) from None
            done.append(i)
    except BaseException:
        for i in reversed(done):
            target, keep = backups[i]
            with contextlib.suppress(OSError):
                if keep is None:
                    os.unlink(target)
                else:
                    os.replace(keep, target)
        raise


def write_outputs(results: list[SampleResult], out_dir: str | Path, formats: list[str]) -> list[Path]:
    """Per-sample files ``<out>/<sample>.varmatch.<suffix>``; returns the paths written.

    Each sample's set is all or nothing and all from this call: every set is written into a
    temporary folder inside ``out_dir`` first, then each is moved in, under one lock on the
    folder. An I/O failure raises :class:`OutputError` (exit 2) and leaves the sample's earlier
    files as they were.
    """
    out = Path(out_dir)
    specs = [get(name) for name in formats]
    written: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise io_error(exc, out, "cannot create the output folder") from None
    where = out  # what is being written when an OSError comes, for the message
    try:
        # one staging folder per call (a cohort batch), each sample's set moved in on its own:
        # creating and removing a folder per sample cost more than writing its files
        stage = Path(tempfile.mkdtemp(prefix=".varmatch-", suffix=".tmp", dir=out))
    except OSError as exc:
        raise io_error(exc, out, "cannot create a temporary folder in the output folder") from None
    out_s, stage_s = str(out), str(stage)  # plain strings: Path objects cost more than the I/O
    try:
        sets = []
        for k, (res, stem) in enumerate(zip(results, _unique_names(results), strict=True)):
            files = []
            for spec in specs:
                name = f"{stem}.varmatch.{spec.suffix}"
                where = target = os.path.join(out_s, name)
                staged = os.path.join(stage_s, f"{k}.{name}")
                with _open(staged, spec.binary) as fh:  # open() creates it 0666 & ~umask
                    spec.write([res], fh)
                files.append((staged, target))
            sets.append(files)
        where = out
        with _folder_lock(out):  # taken once per call: each set is still moved in on its own
            for k, files in enumerate(sets):
                _move_set(files, stage_s, str(k))
                written.extend(Path(t) for _s, t in files)
    except OSError as exc:
        raise io_error(exc, exc.filename if where == out and exc.filename else where) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return written
