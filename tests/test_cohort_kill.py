"""Cohorts that survive a kill: workers die with the parent, and ``--resume`` after SIGKILL at
several points loses no sample, redoes none that was finished, and leaves no partial file.

These tests start real ``varmatch cohort`` processes and SIGKILL them; they time nothing (the
waits are upper bounds for the processes to react, not performance goals)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from varmatch.cohort import RESUME_DIR

REPO = Path(__file__).resolve().parents[1]
VCFS = [("npc_akt1_e17k.vep.GRCh38.vcf", "NPC"), ("breast_pik3ca_pten.snpeff.GRCh37.vcf", "BREAST"),
        ("hnsc_tumor_normal.mutect2.GRCh38.vcf", "HNSC")]
N = 72

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")


def _sheet(tmp_path: Path, n: int = N) -> Path:
    path = tmp_path / "samples.tsv"
    lines = ["sample\tvcf\ttumor_type"]
    for i in range(n):
        f, t = VCFS[i % len(VCFS)]
        lines.append(f"S{i:03d}-{t}\t{REPO / 'sample_vcfs' / f}\t{t}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _cmd(sheet: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "varmatch", "-q", "cohort", str(sheet), "--out", str(out),
            "-j", "2", *extra]


def _journal(out: Path) -> dict[str, dict]:
    """Finished samples as the journal records them (complete lines only)."""
    entries = {}
    for p in (out / RESUME_DIR).glob("journal-*.jsonl"):
        for line in p.read_text(errors="replace").splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            entries[d["sample"]] = d
    return entries


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited and only waits to be reaped


def _kill_after(cmd: list[str], out: Path, finished: int, timeout: float = 120) -> list[int]:
    """Start ``cmd``; once the journal holds ``finished`` samples, SIGKILL the main process.
    Returns the worker pids seen just before the kill."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    workers: list[int] = []
    while len(_journal(out)) < finished:
        if proc.poll() is not None:
            pytest.fail(f"the cohort ended (rc {proc.returncode}) before {finished} samples: "
                        + proc.stderr.read().decode()[-2000:])
        assert time.monotonic() < deadline, "the cohort made no progress"
        workers = _children(proc.pid) or workers
        time.sleep(0.01)
    workers = _children(proc.pid) or workers
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    return workers


def _assert_no_partial_outputs(out: Path) -> None:
    """Every named output is complete (temporary files of a killed run may remain beside them)."""
    for p in (out / "samples").glob("*.varmatch.json"):
        assert json.loads(p.read_text())["sample"], p
    for p in (out / "samples").glob("*.varmatch.tsv"):
        text = p.read_text()
        assert text.endswith("\n") and text.splitlines()[0].startswith(("#", "sample")), p


def test_workers_die_with_a_killed_parent(tmp_path):
    out = tmp_path / "out"
    workers = _kill_after(_cmd(_sheet(tmp_path), out), out, finished=3)
    assert len(workers) == 2, f"expected 2 worker processes, saw {workers}"
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [w for w in workers if _alive(w)]
    for w in survivors:  # do not leave them behind even when the test fails
        os.kill(w, signal.SIGKILL)
    assert not survivors, "worker processes outlived the SIGKILLed cohort"
    assert len(_journal(out)) < N  # it really was interrupted


def _table(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_resume_after_sigkill_at_several_points(tmp_path):
    sheet = _sheet(tmp_path)
    out = tmp_path / "out"
    # an uninterrupted run, for comparison
    ref = tmp_path / "ref"
    subprocess.run(_cmd(sheet, ref), check=True, capture_output=True)

    first = True
    for target in (4, 25, 50):  # kill the first run and two resumed runs at these points
        _kill_after(_cmd(sheet, out, *([] if first else ["--resume"])), out, finished=target)
        first = False
        _assert_no_partial_outputs(out)
    finished = _journal(out)
    assert 50 <= len(finished) < N
    before = {p.name: p.stat().st_mtime_ns for p in (out / "samples").glob("*.varmatch.*")}

    proc = subprocess.run(_cmd(sheet, out, "--resume"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    timing = json.loads((out / "cohort.timing.json").read_text())
    # none lost, none redone: every finished sample reused, every other sample run once
    assert timing["samples"] == N
    assert timing["samples_reused"] == len(finished)
    assert timing["samples_run"] == N - len(finished)
    for name in finished:
        for suffix in ("json", "tsv"):
            f = f"{name}.varmatch.{suffix}"
            assert (out / "samples" / f).stat().st_mtime_ns == before[f], f"{f} was rewritten"
    # no partial or temporary file remains, and every sample has its set
    leftovers = [p.name for p in (out / "samples").iterdir() if p.name.startswith(".")]
    assert not leftovers
    assert len(list((out / "samples").glob("*.varmatch.json"))) == N
    assert len(list((out / "samples").glob("*.varmatch.tsv"))) == N
    _assert_no_partial_outputs(out)
    # the resumed cohort says the same as the uninterrupted one
    for f in ("cohort.samples.tsv", "cohort.matrix.tsv", "cohort.actionable.tsv",
              "cohort.counts.tsv", "cohort.summary.json"):
        assert (out / f).read_text() == (ref / f).read_text(), f
    npc = next(r for r in _table(out / "cohort.actionable.tsv") if r["sample"] == "S000-NPC")
    assert npc["alteration"] == "AKT1 p.E17K" and npc["tier"] == "II"
    # the journal was compacted to one file, one line per sample
    assert len(_journal(out)) == N and len(list((out / RESUME_DIR).iterdir())) == 1


def test_resume_redoes_a_sample_whose_input_or_output_changed(tmp_path):
    sheet = _sheet(tmp_path, 6)
    out = tmp_path / "out"
    subprocess.run(_cmd(sheet, out), check=True, capture_output=True)
    (out / "samples" / "S001-BREAST.varmatch.tsv").unlink()  # an output went missing
    changed = tmp_path / "npc.vcf"
    changed.write_bytes((REPO / "sample_vcfs" / VCFS[0][0]).read_bytes())
    sheet.write_text(sheet.read_text().replace(str(REPO / "sample_vcfs" / VCFS[0][0]),
                                               str(changed), 1))  # S000's input moved
    proc = subprocess.run(_cmd(sheet, out, "--resume", "--formats", "json,tsv"),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    timing = json.loads((out / "cohort.timing.json").read_text())
    assert (timing["samples_reused"], timing["samples_run"]) == (4, 2)
    assert (out / "samples" / "S001-BREAST.varmatch.tsv").exists()
    # other options: nothing is reused
    proc = subprocess.run(_cmd(sheet, out, "--resume", "--include-filtered"), capture_output=True,
                          text=True)
    assert json.loads((out / "cohort.timing.json").read_text())["samples_reused"] == 0
