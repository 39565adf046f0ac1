"""Benchmark runner: varmatch against reference commands, side by side in the same run.

Needs the inputs of ``benchmarks/generate.py`` (default ``/tmp/varmatch-bench``), ``bcftools`` and
``bgzip`` on PATH. For each case the reference and varmatch run alternately, ``--repeat`` times
each (default 5), under ``/usr/bin/time -v`` (or ``getrusage`` when that is missing); the table
gives n, min and median wall time of both, peak RSS, and the ratios varmatch / reference of the
medians and of the minima, against the targets of issue 15:

==========================  ===============================================  ===========
case                        reference                                        target
==========================  ===============================================  ===========
unindexed 2M-record VCF     ``bgzip -dc FILE | wc -l`` (decompression floor)  ratio ≤ 3
(same file, for context)    ``bcftools view -H FILE | wc -l``                 –
2M-record VCF with VEP CSQ  ``bcftools +split-vep -f '%SYMBOL %Consequence    ratio ≤ 0.8
                            %HGVSp\\n' -d``
indexed 2M-record VCF       varmatch on the 50-record panel VCF              ratio < 2
panel VCF, cold CLI         ``python -c "import cyvcf2, pandas"``            ratio < 1.5
==========================  ===============================================  ===========

The cohort cases (``--only maf``; 1M-row MAF) are measured by the cohort engineer and reported in
``docs/benchmarks_cohort.md``; they are not run by default.

varmatch runs as ``python -m varmatch`` from this checkout (``--varmatch CMD`` to change).

Usage: ``python benchmarks/run.py [BENCH_DIR] [--repeat N] [--only CASE ...] [--markdown FILE]``
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Timing:
    times: list[float]
    rss_mb: float  # peak of the summed RSS of the whole process tree (main + workers)
    rc: int
    cpu: list[float] = field(default_factory=list)  # user + system s, children included

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def seconds(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)


def _tree_rss_kb(root: int) -> int:
    """Summed VmRSS (kB) of ``root`` and all its descendants, from /proc."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p and c not in tree]
        tree.update(kids)
        frontier.extend(kids)
    total = 0
    for pid in tree:
        try:
            m = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
            total += int(m.group(1)) if m else 0
        except OSError:
            continue
    return total


def measure(cmd: str, env: dict[str, str], repeat: int, sample_tree: bool = False) -> Timing:
    """Wall times and max peak RSS (MB) of a shell command over ``repeat`` runs.

    GNU time reports the largest single process; ``sample_tree`` also polls the summed RSS of
    the process tree every 0.1 s (for multi-process runs such as the cohort)."""
    out = Timing([], 0.0, 0)
    for _ in range(repeat):
        _once(cmd, env, sample_tree, out)
    return out


def pair(ref_cmd: str, cmd: str, env: dict[str, str], repeat: int) -> tuple[Timing, Timing]:
    """Reference and varmatch alternately, so both see the same machine load."""
    ref, got = Timing([], 0.0, 0), Timing([], 0.0, 0)
    for _ in range(repeat):
        _once(ref_cmd, env, False, ref)
        _once(cmd, env, False, got)
    return ref, got


def _once(cmd: str, env: dict[str, str], sample_tree: bool, into: Timing) -> None:
    gnu_time = Path("/usr/bin/time").exists()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-v", "-o", tf.name, "bash", "-c", cmd] if gnu_time \
            else ["bash", "-c", cmd]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        proc = subprocess.Popen(full, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        tree_peak = 0
        if sample_tree:
            while proc.poll() is None:
                tree_peak = max(tree_peak, _tree_rss_kb(proc.pid))
                time.sleep(0.1)
        _out, err = proc.communicate()
        into.times.append(time.perf_counter() - t)
        into.rc = into.rc or proc.returncode
        if proc.returncode != 0:
            print(f"run: command failed ({proc.returncode}): {cmd}\n{err[-2000:]}",
                  file=sys.stderr)
        if gnu_time:
            report = tf.read()
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
            rss = max(int(m.group(1)) if m else 0, tree_peak) / 1024
            cpu = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", report)
            if len(cpu) == 2:
                into.cpu.append(float(cpu[0]) + float(cpu[1]))
        else:  # only a lower bound: the max over all children so far
            rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        into.rss_mb = max(into.rss_mb, rss)


def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    bcf = subprocess.run(["bcftools", "--version"], capture_output=True, text=True).stdout
    return {"nproc": str(os.cpu_count()), "ram": ram, "cpu": cpu,
            "python": platform.python_version(), "bcftools": bcf.splitlines()[0] if bcf else "-",
            "os": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", nargs="?", default="/tmp/varmatch-bench",
                    help="folder written by benchmarks/generate.py")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--varmatch", default=f"{shlex.quote(sys.executable)} -m varmatch",
                    help="command that runs varmatch")
    ap.add_argument("--only", action="append",
                    choices=["vcf", "csq", "indexed", "cold", "maf"], help="cases to run")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cohort workers")
    ap.add_argument("--markdown", help="also write the table (Markdown) to this file")
    args = ap.parse_args(argv)
    b = Path(args.bench)
    if not (b / "panel.vcf").exists():
        print(f"run: {b} has no inputs; run benchmarks/generate.py {b} first", file=sys.stderr)
        return 2
    for tool in ("bcftools", "bgzip"):
        if not shutil.which(tool):
            print(f"run: {tool} is needed on PATH", file=sys.stderr)
            return 2
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    vm = args.varmatch
    out = Path(tempfile.mkdtemp(prefix="varmatch-bench-out-"))
    cases = args.only or ["vcf", "csq", "indexed", "cold"]
    n = args.repeat
    # (case, command, varmatch timing, reference name, reference timing, target, test)
    rows: list[tuple[str, str, Timing, str, Timing | None, str, object]] = []

    for f in b.glob("*"):  # warm the page cache so the first command is not charged for disk
        if f.is_file():
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass

    def vm_run(path: Path, tag: str) -> str:
        return f"{vm} -q run {shlex.quote(str(path))} -t NPC --out {shlex.quote(str(out / tag))}"

    if "vcf" in cases:
        f = b / "big.noindex.vcf.gz"
        ref, got = pair(f"bgzip -dc {f} | wc -l", vm_run(f, "vcf"), env, n)
        rows.append(("unindexed 2M-record VCF (bgzip, no index)", vm_run(f, "vcf"), got,
                     f"bgzip -dc {f.name} | wc -l", ref, "≤ 3", lambda r: r <= 3))
        ref2, got2 = pair(f"bcftools view -H {f} | wc -l", vm_run(f, "vcf"), env, n)
        rows.append(("(same file, for context)", vm_run(f, "vcf"), got2,
                     f"bcftools view -H {f.name} | wc -l", ref2, "–", None))
    if "csq" in cases:
        f = b / "big.csq.noindex.vcf.gz"
        ref_cmd = (f"bcftools +split-vep -f '%SYMBOL\\t%Consequence\\t%HGVSp\\n' -d {f} "
                   "> /dev/null")
        ref, got = pair(ref_cmd, vm_run(f, "csq"), env, n)
        rows.append(("2M-record VCF with VEP CSQ (no index)", vm_run(f, "csq"), got,
                     f"bcftools +split-vep -f '%SYMBOL\\t%Consequence\\t%HGVSp\\n' -d "
                     f"{f.name}", ref, "≤ 0.8", lambda r: r <= 0.8))
    if "indexed" in cases:
        ref, got = pair(vm_run(b / "panel.vcf", "panel"), vm_run(b / "big.vcf.gz", "idx"), env, n)
        rows.append(("indexed 2M-record VCF (.tbi)", vm_run(b / "big.vcf.gz", "idx"), got,
                     "varmatch run on the 50-record panel.vcf", ref, "< 2", lambda r: r < 2))
    if "cold" in cases:
        py = shlex.quote(sys.executable)
        ref, got = pair(f'{py} -c "import cyvcf2, pandas"', vm_run(b / "panel.vcf", "cold"), env, n)
        rows.append(("50-record panel VCF, cold CLI", vm_run(b / "panel.vcf", "cold"), got,
                     'python -c "import cyvcf2, pandas"', ref, "< 1.5", lambda r: r < 1.5))
    if "maf" in cases:
        def cohort(maf: Path, tag: str) -> str:
            return (f"{vm} -q cohort {shlex.quote(str(maf))} --clinical "
                    f"{b / 'cohort.clinical.tsv'} --out {shlex.quote(str(out / tag))} "
                    f"--jobs {args.jobs}")

        got = measure(cohort(b / "cohort.maf", "maf"), env, 1, sample_tree=True)
        rows.append(("1M-row MAF cohort (≈10k samples)", cohort(b / "cohort.maf", "maf"), got,
                     "– (see docs/benchmarks_cohort.md)", None, "–", None))

    info = machine()
    lines = [f"machine: {info['nproc']} cores, {info['ram']} RAM, {info['cpu']}; Python "
             f"{info['python']}; {info['bcftools']}; {info['os']}; load average at the end "
             f"{os.getloadavg()[0]:.1f}", "",
             "| case | n | varmatch min / median s | varmatch CPU s | peak RSS MB | reference "
             "| reference min / median s | reference CPU s | ratio of medians | ratio of minima "
             "| CPU ratio | target | met |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for case, _cmd, got, refname, ref, target, test in rows:
        med = got.seconds / ref.seconds if ref else None
        best = got.best / ref.best if ref else None
        cpu = got.cpu_median / ref.cpu_median if ref else None
        if got.rc != 0:
            status = f"**failed (exit {got.rc})**"
        elif test is None or med is None:
            status = "–"
        else:
            status = "yes" if test(med) else "**no**"
        refname = refname.replace("|", "\\|")
        lines.append(
            f"| {case} | {len(got.times)} | {got.best:.2f} / {got.seconds:.2f} "
            f"| {got.cpu_median:.2f} | {got.rss_mb:.0f} | `{refname}` "
            f"| {'' if ref is None else f'{ref.best:.2f} / {ref.seconds:.2f}'} "
            f"| {'' if ref is None else f'{ref.cpu_median:.2f}'} "
            f"| {'' if med is None else f'{med:.2f}'} | {'' if best is None else f'{best:.2f}'} "
            f"| {'' if cpu is None else f'{cpu:.2f}'} | {target} | {status} |")
    lines += ["", "Commands (varmatch side):", ""]
    lines += [f"- {case}: `{cmd.replace(str(out), 'OUT').replace(sys.executable, 'python')}`"
              for case, cmd, *_ in rows]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
