"""Cohort benchmarks (issue 15): ``varmatch cohort`` on the synthetic MAFs of ``generate.py``.

Cases, run interleaved ``--repeat`` times so that all of them see the same machine load:

==============================  =============================================================
``j1``                          1M-row MAF (10k samples), per-sample JSON+TSV, ``-j 1``
``j2``                          the same, ``-j 2``                    (goal ≤ 5 s, ≤ 0.6 × j1)
``j2-tmpfs``                    ``j2`` writing to ``/dev/shm`` (what the filesystem costs)
``j2-summary``                  ``-j 2 --summary-only`` (no per-sample files)
``j2-unsorted``                 ``j2`` on the same rows shuffled (the fallback path)
``base-j2``                     ``j2`` with the code at ``--baseline DIR`` (e.g. ../main)
``10m-summary``                 10M-row MAF (10k samples) ``-j 2 --summary-only`` (RSS flat)
==============================  =============================================================

Wall time is the median (and min) over the repeats; peak RSS is the largest summed RSS of the
whole process tree (main + workers), sampled every 0.05 s from /proc. A file-creation probe
reports what one atomic file write (create, write 3 KB, rename) costs on the output filesystem,
because the per-sample outputs are 20,000 such files.

Usage::

    python benchmarks/generate.py /tmp/varmatch-bench --only maf
    python benchmarks/generate.py /tmp/varmatch-bench-10m --only maf --maf-rows 10000000
    python benchmarks/cohort_bench.py /tmp/varmatch-bench [--big /tmp/varmatch-bench-10m/cohort.maf]
        [--repeat 3] [--baseline ../main] [--markdown docs/benchmarks_cohort.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def tree_rss_kb(pid: int) -> int:
    """Summed RSS (kB) of ``pid`` and all its descendants."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").glob("[0-9]*"):
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            status = (d / "status").read_text()
        except OSError:
            continue
        p = int(d.name)
        parent[p] = int(stat[1])
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[p] = int(line.split()[1])
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += [c for c, pp in parent.items() if pp == p]
    return total


def bytecode_env(*trees: Path | None) -> dict[str, str]:
    """The environment for the runs, with each code tree compiled to bytecode first: an installed
    package runs from bytecode (pip compiles it), and this machine sets PYTHONDONTWRITEBYTECODE,
    which made every run (and every worker's late imports) compile the modules again."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for tree in trees:
        if tree is not None:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "varmatch")],
                           env=env, check=True)
    return env


def page_in(path: str) -> None:
    """Read ``path`` once, so that every run starts with its input in the page cache (this VM
    dropped the 191 MB MAF from the cache between sessions: a cold read took 2.6 s)."""
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak process-tree RSS (MB) and CPU seconds (user + system, all processes)
    of one run; fails loudly on an error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kb(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode not in (0, 2):
        sys.exit(f"cohort_bench: failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, peak / 1024, cpu


def create_probe(directory: Path, n: int = 2000) -> float:
    """Microseconds for one create + 3 KB write + rename in ``directory``."""
    d = Path(tempfile.mkdtemp(dir=directory))
    data = b"x" * 3000
    t = time.perf_counter()
    for i in range(n):
        tmp = d / f".f{i}.tmp"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        os.write(fd, data)
        os.close(fd)
        os.replace(tmp, d / f"f{i}.json")
    us = (time.perf_counter() - t) / n * 1e6
    shutil.rmtree(d)
    return us


def shuffled(src: Path, dst: Path) -> None:
    lines = src.read_text().splitlines(keepends=True)
    body = [ln for ln in lines if not ln.startswith("#")]
    head, rows = body[0], body[1:]
    random.Random(5).shuffle(rows)
    dst.write_text("".join(ln for ln in lines if ln.startswith("#")) + head + "".join(rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", nargs="?", default="/tmp/varmatch-bench")
    ap.add_argument("--big", help="the 10M-row MAF (generate.py --maf-rows 10000000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", help="a varmatch checkout to compare with (run from source)")
    ap.add_argument("--only", action="append", help="cases to run (default all)")
    ap.add_argument("--markdown", help="write the table to this file")
    args = ap.parse_args(argv)
    bench = Path(args.bench)
    maf, clinical = bench / "cohort.maf", bench / "cohort.clinical.tsv"
    if not maf.exists():
        sys.exit(f"cohort_bench: {maf} is missing; run benchmarks/generate.py {bench} --only maf")
    scratch = Path(tempfile.mkdtemp(prefix="cohort-bench-", dir="/tmp"))
    shm = Path(tempfile.mkdtemp(prefix="cohort-bench-", dir="/dev/shm")) \
        if Path("/dev/shm").is_dir() else None
    unsorted = scratch / "cohort.unsorted.maf"
    env = bytecode_env(REPO, Path(args.baseline) if args.baseline else None)

    def cohort(code: Path, inp: Path, *extra: str) -> list[str]:
        return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(code)!r}); "
                "from varmatch.cli import main; sys.argv[0] = 'varmatch'; main()",
                "-q", "cohort", str(inp), "--clinical", str(clinical), *extra]

    cases: dict[str, tuple[list[str], Path]] = {}
    for name, code, inp, out_root, extra in (
        ("j1", REPO, maf, scratch, ["-j", "1"]),
        ("j2", REPO, maf, scratch, ["-j", "2"]),
        ("j2-tmpfs", REPO, maf, shm, ["-j", "2"]),
        ("j2-summary", REPO, maf, scratch, ["-j", "2", "--summary-only"]),
        ("j2-unsorted", REPO, unsorted, scratch, ["-j", "2"]),
        ("base-j2", Path(args.baseline).resolve() if args.baseline else None, maf, scratch,
         ["-j", "2"]),
        ("10m-summary", REPO, Path(args.big) if args.big else None, scratch,
         ["-j", "2", "--summary-only"]),
    ):
        if code is None or inp is None or out_root is None or (args.only and name not in args.only):
            continue
        out = out_root / f"out-{name}"
        cases[name] = (cohort(code, inp, *extra, "--out", str(out)), out)
    if "j2-unsorted" in cases:
        shuffled(maf, unsorted)

    results: dict[str, list[tuple[float, float, float]]] = {n: [] for n in cases}
    load = []
    # every run writes into a new folder, all removed at the end: removing 20,000 files right
    # before a run made this VM's ext4 (mounted with discard) create files 10-15x slower for a
    # while (686 vs 47 us per atomic write), which measured the cleanup, not varmatch
    outs: list[Path] = []
    for i in range(args.repeat):
        for name, (cmd, out) in cases.items():
            run_out = out.with_name(f"{out.name}-{i}")
            outs.append(run_out)
            cmd = [*cmd[:-1], str(run_out)]
            load.append(os.getloadavg()[0])
            page_in(cmd[5])  # the input MAF
            results[name].append(run(cmd, env))
            wall, rss, cpu = results[name][-1]
            print(f"cohort_bench: {name} {wall:.2f} s {rss:.0f} MB {cpu:.2f} CPU s",
                  file=sys.stderr)
    probe = {"/tmp (ext4)": create_probe(scratch)}
    if shm:
        probe["/dev/shm (tmpfs)"] = create_probe(shm)
    for run_out in outs:
        shutil.rmtree(run_out, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    if shm:
        shutil.rmtree(shm, ignore_errors=True)

    med = {n: statistics.median(t for t, _r, _c in v) for n, v in results.items()}
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}; load average during the run "
        f"{min(load):.1f}–{max(load):.1f} (shared with other work: compare ratios within this "
        f"table only). n = {args.repeat} runs per case, interleaved.",
        "",
        "| case | median s | min s | median CPU s (user+sys, all processes) | peak RSS MB "
        "(process tree) |",
        "|---|---|---|---|---|",
    ]
    for name, v in results.items():
        lines.append(f"| {name} | {med[name]:.2f} | {min(t for t, _r, _c in v):.2f} | "
                     f"{statistics.median(c for _t, _r, c in v):.2f} | "
                     f"{max(r for _t, r, _c in v):.0f} |")
    lines.append("")
    if "j1" in med and "j2" in med:
        lines.append(f"- `-j 2` / `-j 1` = {med['j2'] / med['j1']:.2f} (goal ≤ 0.6)")
    if "j2" in med and "base-j2" in med:
        lines.append(f"- this branch / baseline at `-j 2` = {med['j2'] / med['base-j2']:.2f}")
    if "j2" in med and "j2-tmpfs" in med:
        lines.append(f"- per-sample files on ext4 vs tmpfs at `-j 2`: {med['j2']:.2f} s vs "
                     f"{med['j2-tmpfs']:.2f} s")
    for where, us in probe.items():
        lines.append(f"- one atomic file write (create + 3 KB + rename) on {where}: {us:.0f} µs; "
                     f"20,000 of them: {us * 20000 / 1e6:.1f} s of one core")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
