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


def pair(ref_cmd: str, cmd: str, env: dict[str, str], repeat: int,
         base_cmd: str | None = None) -> tuple[Timing, Timing, Timing | None]:
    """Reference, varmatch (and the baseline varmatch, if any) in turn, so all see the same load."""
    ref, got = Timing([], 0.0, 0), Timing([], 0.0, 0)
    base = Timing([], 0.0, 0) if base_cmd else None
    for _ in range(repeat):
        _once(ref_cmd, env, False, ref)
        _once(cmd, env, False, got)
        if base is not None:
            _once(base_cmd, env, False, base)
    return ref, got, base


def _once(cmd: str, env: dict[str, str], sample_tree: bool, into: Timing) -> None:
    gnu_time = Path("/usr/bin/time").exists()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-v", "-o", tf.name, "bash", "-c", cmd] if gnu_time \
            else ["bash", "-c", cmd]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        # cwd: a scratch folder, so `python -m varmatch` imports the code PYTHONPATH names
        proc = subprocess.Popen(full, env=env, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir(),
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
    ap.add_argument("--baseline", help="another varmatch command (e.g. an older checkout: "
                    "'env PYTHONPATH=/tmp/old python -m varmatch'), run in turn with the others; "
                    "the table then has before/after columns")
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
    # run from bytecode, as an installed package does (pip compiles it); this machine sets
    # PYTHONDONTWRITEBYTECODE, which made every run compile every module it imports
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "varmatch")], env=env,
                   check=True)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    vm = args.varmatch
    out = Path(tempfile.mkdtemp(prefix="varmatch-bench-out-"))
    cases = args.only or ["vcf", "csq", "indexed", "cold"]
    n = args.repeat
    # (case, command, varmatch timing, reference name, reference timing, target, test, baseline)
    rows: list[tuple[str, str, Timing, str, Timing | None, str, object, Timing | None]] = []

    for f in b.glob("*"):  # warm the page cache so the first command is not charged for disk
        if f.is_file():
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass

    def vm_run(prog: str, path: Path, tag: str) -> str:
        return f"{prog} -q run {shlex.quote(str(path))} -t NPC --out {shlex.quote(str(out / tag))}"

    base = args.baseline

    def case(name: str, ref_name: str, ref_cmd: str, path: Path, tag: str, target: str,
             test) -> None:
        cmd = vm_run(vm, path, tag)
        ref, got, old = pair(ref_cmd, cmd, env, n, vm_run(base, path, tag + "-base") if base else None)
        rows.append((name, cmd, got, ref_name, ref, target, test, old))

    if "vcf" in cases:
        f = b / "big.noindex.vcf.gz"
        case("unindexed 2M-record VCF (bgzip, no index)", f"bgzip -dc {f.name} | wc -l",
             f"bgzip -dc {f} | wc -l", f, "vcf", "≤ 3", lambda r: r <= 3)
        case("(same file, for context)", f"bcftools view -H {f.name} | wc -l",
             f"bcftools view -H {f} | wc -l", f, "vcf", "–", None)
    if "csq" in cases:
        f = b / "big.csq.noindex.vcf.gz"
        fmt = "'%SYMBOL\\t%Consequence\\t%HGVSp\\n'"
        case("2M-record VCF with VEP CSQ (no index)", f"bcftools +split-vep -f {fmt} -d {f.name}",
             f"bcftools +split-vep -f {fmt} -d {f} > /dev/null", f, "csq", "≤ 0.8",
             lambda r: r <= 0.8)
    if "indexed" in cases:
        case("indexed 2M-record VCF (.tbi)", "varmatch run on the 50-record panel.vcf",
             vm_run(vm, b / "panel.vcf", "panel"), b / "big.vcf.gz", "idx", "< 2", lambda r: r < 2)
    if "cold" in cases:
        py = shlex.quote(sys.executable)
        case("50-record panel VCF, cold CLI", 'python -c "import cyvcf2, pandas"',
             f'{py} -c "import cyvcf2, pandas"', b / "panel.vcf", "cold", "< 1.5",
             lambda r: r < 1.5)
    if "maf" in cases:
        def cohort(maf: Path, tag: str) -> str:
            return (f"{vm} -q cohort {shlex.quote(str(maf))} --clinical "
                    f"{b / 'cohort.clinical.tsv'} --out {shlex.quote(str(out / tag))} "
                    f"--jobs {args.jobs}")

        got = measure(cohort(b / "cohort.maf", "maf"), env, 1, sample_tree=True)
        rows.append(("1M-row MAF cohort (≈10k samples)", cohort(b / "cohort.maf", "maf"), got,
                     "– (see docs/benchmarks_cohort.md)", None, "–", None, None))

    info = machine()
    lines = [f"machine: {info['nproc']} cores, {info['ram']} RAM, {info['cpu']}; Python "
             f"{info['python']}; {info['bcftools']}; {info['os']}; load average at the end "
             f"{os.getloadavg()[0]:.1f}", ""]
    head = ["case", "n", "varmatch min / median s", "CPU s", "peak RSS MB", "reference",
            "reference min / median s", "CPU s", "ratio of medians", "ratio of minima",
            "CPU ratio", "target", "met"]
    if base:
        head += ["before: min / median s", "before: CPU s", "before: ratio of medians"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def f2(x: float | None) -> str:
        return "" if x is None else f"{x:.2f}"

    for name, _cmd, got, refname, ref, target, test, old in rows:
        med = got.seconds / ref.seconds if ref else None
        if got.rc != 0:
            status = f"**failed (exit {got.rc})**"
        elif test is None or med is None:
            status = "–"
        else:
            status = "yes" if test(med) else "**no**"
        cells = [name, str(len(got.times)), f"{got.best:.2f} / {got.seconds:.2f}",
                 f2(got.cpu_median), f"{got.rss_mb:.0f}", "`" + refname.replace("|", "\\|") + "`",
                 "" if ref is None else f"{ref.best:.2f} / {ref.seconds:.2f}",
                 f2(ref.cpu_median) if ref else "", f2(med),
                 f2(got.best / ref.best) if ref else "",
                 f2(got.cpu_median / ref.cpu_median) if ref else "", target, status]
        if base:
            cells += ["" if old is None else f"{old.best:.2f} / {old.seconds:.2f}",
                          f2(old.cpu_median) if old else "",
                          f2(old.seconds / ref.seconds) if old and ref else ""]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Commands (varmatch side):", ""]
    lines += [f"- {name}: `{cmd.replace(str(out), 'OUT').replace(sys.executable, 'python')}`"
              for name, cmd, *_ in rows]
    if base:
        lines.append(f"- before (baseline): `{base.replace(sys.executable, 'python')}`")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
