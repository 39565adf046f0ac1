#!/usr/bin/env python3
"""Mutation fuzzing of `varmatch run` on real input files; counts outcomes by exit code.

Takes the real files under ../shared/real_inputs (VCF, MAF, CNA, fusion, vendor, HGVS lists, edge
cases), applies 1-3 random mutations per iteration (flip or insert bytes, delete / duplicate /
swap / truncate lines, tabs to spaces, stray quotes and control characters, a repeated header
line, truncation of a gzip stream), runs ``varmatch run FILE --out DIR`` and checks the contract:

* exit 0, or 2 (input) / 3 (usage) with exactly one ``varmatch: error:`` line on stderr;
* never exit 1 ("internal error"), never a traceback, never a hang;
* never a partial output: after a non-zero exit the output folder holds no file.

Each child is a fork of this process with varmatch already imported, so an iteration costs the
run, not the interpreter start (``--subprocess`` runs the installed ``varmatch`` instead). Files
that break the contract are kept in ``--keep`` with the command's stderr, to become regression
tests.

    python scripts/fuzz.py --iterations 2000 --seed 1 --keep /tmp/fuzz-crashers
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUTS = ROOT.parent / "shared" / "real_inputs"
MAX_BYTES = 4 << 20  # larger files are left out: the point is many iterations, not big inputs
SKIP_SUFFIXES = (".tbi", ".csi", ".md")


def corpus(root: Path) -> list[Path]:
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(SKIP_SUFFIXES)
             and p.stat().st_size <= MAX_BYTES and "peer_expected" not in p.parts]
    if not files:
        sys.exit(f"fuzz: no input files under {root}")
    return files


# ------------------------------------------------------------------------------------ mutations
def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if b:
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def insert_bytes(rng: random.Random, data: bytes) -> bytes:
    at = rng.randint(0, len(data))
    junk = rng.choice([b'"', b"\t", b"\r", b"\x00", b"\x1b", b"\xff\xfe", b"#CHROM\t", b";", b",",
                       b"=", b"<", b">", b"\n", b"%", b"\\", "é".encode(), b"-1", b"NaN", b"1e400",
                       bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))])
    return data[:at] + junk + data[at:]


def delete_line(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def duplicate_line(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    # header lines (##, #CHROM, column names) are the interesting ones to repeat
    heads = [k for k, ln in enumerate(lines[:200]) if ln.startswith(b"#") or k == 0]
    if heads and rng.random() < 0.5:
        i = rng.choice(heads)
    lines.insert(rng.randint(0, len(lines)), lines[i])
    return b"".join(lines)


def swap_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randint(0, len(data))]


def tabs_to_spaces(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i] = lines[i].replace(b"\t", b" ")
    return b"".join(lines)


def mangle_field(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    cells = lines[i].split(b"\t")
    k = rng.randrange(len(cells))
    cells[k] = rng.choice([b"", b".", b"-", b"NA", b"0", b"-5", b"999999999999", b"chrUn", b"X" * 300,
                           b"p.", b"p.E17", b"c.49G>A", b"AKT1", b"<DUP>", b"N[chr1:1[", b"\xc3("])
    lines[i] = b"\t".join(cells)
    return b"".join(lines)


MUTATIONS = [flip_bytes, insert_bytes, delete_line, duplicate_line, swap_lines, truncate,
             tabs_to_spaces, mangle_field]


def mutate(rng: random.Random, src: Path) -> tuple[bytes, list[str]]:
    raw = src.read_bytes()
    gz = raw[:2] == b"\x1f\x8b"
    if gz and rng.random() < 0.9:  # mutate the text inside, mostly; sometimes the stream itself
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            gz = False
    else:
        gz = False
    done = []
    for _ in range(rng.randint(1, 3)):
        fn = rng.choice(MUTATIONS)
        raw = fn(rng, raw)
        done.append(fn.__name__)
    return (gzip.compress(raw) if gz else raw), done


# ------------------------------------------------------------------------------------ running
def _child(argv: list[str], err_path: str) -> None:
    """In the forked child: run the CLI with stdout/stderr redirected; never return."""
    code = 1
    try:
        fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        sys.argv = ["varmatch", *argv]
        from varmatch.cli import main

        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - a traceback escaping main() is itself a finding
        import traceback

        traceback.print_exc()
        code = 101
    finally:
        sys.stderr.flush()
        os._exit(code)


def run_one(argv: list[str], err_path: str, timeout: float, use_subprocess: bool) -> int | str:
    if use_subprocess:
        with open(err_path, "wb") as err:
            try:
                return subprocess.run(["varmatch", *argv], stdout=subprocess.DEVNULL, stderr=err,
                                      timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                return "timeout"
    pid = os.fork()
    if pid == 0:
        _child(argv, err_path)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.01)


def verdict(code: int | str, stderr: str, out_dir: Path) -> str | None:
    """What is wrong with this outcome, or None."""
    if code == "timeout":
        return "hang"
    if "Traceback" in stderr:
        return "traceback"
    if code == 1 or code == 101 or (isinstance(code, int) and code < 0):
        return "internal error"
    if code in (2, 3):
        errors = [ln for ln in stderr.splitlines() if ln.startswith(("varmatch: error:", "Error:"))]
        if len(errors) != 1:
            return f"{len(errors)} error lines"
        if out_dir.exists() and any(p for p in out_dir.iterdir()):
            return "partial output"
    elif code != 0:
        return f"undocumented exit {code}"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", "-n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--inputs", type=Path, default=DEFAULT_INPUTS)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per run before 'hang'")
    ap.add_argument("--keep", type=Path, help="folder for inputs that break the contract")
    ap.add_argument("--subprocess", action="store_true",
                    help="run the installed `varmatch` per iteration instead of forking")
    ap.add_argument("--json", type=Path, help="also write the counts as JSON here")
    args = ap.parse_args(argv)

    if not args.subprocess:  # import everything once, before forking: children start warm
        import importlib
        import pkgutil

        import varmatch
        import varmatch.readers

        for mod in pkgutil.walk_packages(varmatch.__path__, "varmatch."):
            if not mod.name.endswith("__main__"):
                importlib.import_module(mod.name)
        varmatch.readers._load_builtin_readers()
        from varmatch import kb
        from varmatch.annotate.transcripts import TranscriptDB
        from varmatch.kb.oncotree import OncoTree
        from varmatch.models import Build

        kb.bundled(), OncoTree.bundled()  # cached: loaded once here, shared by every child
        for build in Build:
            TranscriptDB.bundled(build)
    files = corpus(args.inputs)
    rng = random.Random(args.seed)
    by_code: collections.Counter = collections.Counter()
    problems: collections.Counter = collections.Counter()
    work = Path(tempfile.mkdtemp(prefix="varmatch-fuzz-"))
    start = time.monotonic()
    try:
        for i in range(args.iterations):
            src = rng.choice(files)
            data, how = mutate(rng, src)
            case = work / f"case{i}"
            case.mkdir()
            inp = case / src.name
            inp.write_bytes(data)
            out_dir = case / "out"
            err_path = str(case / "stderr")
            code = run_one(["run", str(inp), "--out", str(out_dir), "--formats", "json,tsv,html"],
                           err_path, args.timeout, args.subprocess)
            stderr = Path(err_path).read_text("utf-8", "replace")
            by_code[str(code)] += 1
            bad = verdict(code, stderr, out_dir)
            if bad:
                problems[bad] += 1
                print(f"[{i}] {bad}: {src.name} after {'+'.join(how)} -> exit {code}: "
                      f"{stderr.strip().splitlines()[-1][:200] if stderr.strip() else ''}",
                      file=sys.stderr)
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(inp, args.keep / f"{i}-{src.name}")
                    (args.keep / f"{i}-{src.name}.stderr").write_text(stderr)
            shutil.rmtree(case, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - start
    report = {"iterations": args.iterations, "seed": args.seed, "files": len(files),
              "exit_codes": dict(sorted(by_code.items())), "contract_violations": dict(problems),
              "seconds": round(seconds, 1)}
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
