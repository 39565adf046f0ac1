"""Cohort mode: many samples in one process, in parallel across cores, plus a cohort summary.

``varmatch cohort INPUT...`` takes one of:

* a **samplesheet** (TSV or CSV) with columns ``sample``, ``vcf`` (or ``input``) and
  ``tumor_type`` (OncoTree code; may be empty), optionally ``vcf_sample`` (the tumor column in a
  multi-sample VCF). Relative paths are taken from the samplesheet's folder, else from the
  working directory;
* a **MAF** (one sample per ``Tumor_Sample_Barcode``, read by the MAF reader), with tumor types
  from ``--clinical`` (``Options.clinical``; cBioPortal ``data_clinical_sample.txt`` style:
  ``SAMPLE_ID`` and ``ONCOTREE_CODE``), read by the MAF reader;
* one or more ``*.varmatch.json`` **results** (e.g. from ``varmatch run`` in a workflow): only the
  cohort summary is written, nothing is re-run.

Work is spread over ``--jobs`` worker processes; each worker loads the knowledgebase, OncoTree and
transcript models once (pool initializer) and then handles batches of samples. The main process
streams the input, keeps at most a few batches in flight, and keeps only a small summary record per
sample, so memory stays bounded however many samples the input holds.

Outputs under ``--out``: ``samples/<sample>.varmatch.<format>`` per sample (skipped with
``--summary-only``) and the cohort summary:

``cohort.samples.tsv``     one row per sample: tumor type, pathway alterations, best tier, drugs,
                           status (``ok`` or the error that stopped that sample)
``cohort.actionable.tsv``  which samples carry which actionable (tier I/II sensitivity) alterations
``cohort.counts.tsv``      samples per gene / drug / tier
``cohort.matrix.tsv``      alteration-by-sample matrix (cell: the alteration's AMP tier, else empty)
``cohort.summary.json``    the counts and failures, machine-readable
``cohort.html``            a page for 10,000+ samples: searchable, filterable, paged sample table
                           and an oncoprint (``varmatch/writers/cohort_html.py``)
``cohort.timing.json``     the one non-deterministic output: wall-clock seconds, samples run and
                           reused. Every other file is the same for the same inputs.

A sample that fails (missing or unreadable input, unknown tumor code, bad record) is reported in
``cohort.samples.tsv`` and ``cohort.summary.json`` and the run goes on; :attr:`CohortSummary.failed`
lets the CLI exit 2.

**Kill safety.** Worker processes die with the main process: on Linux each worker asks the kernel
for ``SIGKILL`` when its parent dies (``prctl(PR_SET_PDEATHSIG)``), and on every platform a watchdog
thread ends the worker once its parent process is gone.

**Resume.** After each sample's output set is in place, a journal line (its manifest) is appended
to ``<out>/.varmatch-resume/journal-<pid>.jsonl``: the sample, a key over its input (path, size,
mtime), its samplesheet row, the options, the formats, the varmatch version and the knowledgebase
checksum, the size and mtime of each output file, and its summary record. ``--resume`` skips every
sample whose journal key matches and whose output files are all present as recorded, and reports
it as reused; a sample killed before its journal line was written is run again. Leftover temporary
files of a killed run are removed first.

**MAF streaming.** A MAF sorted by ``Tumor_Sample_Barcode`` is dispatched sample by sample while it
is read. When a sample reappears after others (an unsorted MAF) the run says so, and that sample is
redone at the end of the file with all its rows.

cohort_command options (for ``cli.py``)::

    varmatch cohort INPUT...            samplesheet | MAF | *.varmatch.json results
      --out DIR                         output folder (default: cohort)
      -j, --jobs N                      worker processes (default: usable cores; 1 = no pool)
      -t, --tumor-type CODE             tumor type for samples whose sheet/clinical file has none
      --clinical FILE                   MAF only: sample -> ONCOTREE_CODE table
      --formats LIST                    per-sample formats (default json,tsv)
      --summary-only                    no per-sample files, only the cohort summary
      --resume                          reuse samples whose outputs and manifest match
      --genome, --include-filtered, --format, --kb, --gtf, --fasta   as for `varmatch run`

A progress counter goes to stderr only when stderr is a terminal.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import functools
import io
import json
import logging
import os
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from varmatch.errors import FormatError, InputError, UsageError, VarmatchError

log = logging.getLogger(__name__)

SAMPLE_COLS = ("sample", "sample_id", "id")
INPUT_COLS = ("vcf", "input", "path", "file")
TUMOR_COLS = ("tumor_type", "tumour_type", "oncotree_code", "oncotree")
VCF_SAMPLE_COLS = ("vcf_sample", "tumor_sample", "tumour_sample")
ACTIONABLE_TIERS = ("I", "II")
TIER_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}
BATCH = 32  # samples per task sent to a worker
MAX_SVG_SAMPLES = 2000  # oncoprint columns drawn at most (the matrix TSV has every sample)


# --------------------------------------------------------------------------------------------------
# Per-sample summary records (small: what the cohort summary needs, nothing more)
@dataclass(frozen=True)
class Actionable:
    """One actionable (sensitivity, tier I/II) match of one alteration in one sample."""

    gene: str
    alteration: str
    tier: str
    level: str
    therapy: str
    drugs: tuple[str, ...]
    rule: str
    evidence_id: str


@dataclass
class SampleRecord:
    """What the cohort summary keeps of one sample."""

    sample: str
    tumor_type: str = ""
    alterations: list[tuple[str, str, str]] = field(default_factory=list)  # gene, label, tier
    actionable: list[Actionable] = field(default_factory=list)
    n_resistance: int = 0
    error: str | None = None
    trials: str = ""  # --trials: number of trials found, or "not checked: <reason>"

    @property
    def best_tier(self) -> str:
        tiers = [t for _g, _a, t in self.alterations]
        return min(tiers, key=lambda t: TIER_ORDER.get(t, 9)) if tiers else ""

    @property
    def drugs(self) -> list[str]:
        return sorted({d for a in self.actionable for d in a.drugs})


def record_from_dict(d: dict) -> SampleRecord:
    """A :class:`SampleRecord` from a result dict (``json_writer.result_dict`` / a JSON file)."""
    tumor = d.get("tumor_type") or {}
    rec = SampleRecord(sample=str(d.get("sample", "")),
                       tumor_type=str(tumor.get("code", "") if isinstance(tumor, dict) else tumor))
    by_id = {}
    for a in d.get("alterations", []):
        label = str(a.get("alteration", ""))
        by_id[a.get("id")] = a
        rec.alterations.append((str(a.get("gene", "")), label, str(a.get("tier") or "III")))
    for m in d.get("matches", []):
        if m.get("direction", "sensitivity") != "sensitivity" or m.get("tier") not in ACTIONABLE_TIERS:
            continue
        for aid in m.get("alterations", []):
            a = by_id.get(aid, {})
            rec.actionable.append(Actionable(
                gene=str(a.get("gene", aid.split(":")[0] if isinstance(aid, str) else "")),
                alteration=str(a.get("alteration", aid)), tier=str(m.get("tier")),
                level=str(m.get("level", "")), therapy=str(m.get("therapy", "")),
                drugs=tuple(m.get("drugs", [])), rule=str(m.get("rule", "")),
                evidence_id=str(m.get("evidence_id", ""))))
    rec.n_resistance = len(d.get("resistance", []))
    tr = d.get("trials") or {}
    if tr.get("checked"):
        rec.trials = str(len(tr.get("studies", [])))
    elif tr.get("queries") or str(tr.get("reason", "")).startswith("trials not checked"):
        rec.trials = str(tr["reason"])
    return rec


def summary_dict(r) -> dict:
    """The part of ``json_writer.result_dict(r)`` that :func:`record_from_dict` reads, built
    without the citations, qualifiers and texts of every match (a third of a worker's time
    otherwise, with CIViC rows). Same keys and values as the full dict."""
    from varmatch.tiers import alteration_tier
    from varmatch.trials import trials_dict
    from varmatch.writers.json_writer import alteration_id, rule_id

    matches = list(r.matches)
    by_direction: dict[str, list[dict]] = {"sensitivity": [], "resistance": []}
    for m in matches:
        ev = m.evidence
        if ev.direction.value in by_direction:
            by_direction[ev.direction.value].append({
                "evidence_id": ev.id, "therapy": ev.therapy, "drugs": list(ev.drugs),
                "direction": ev.direction.value, "tier": m.tier.value, "level": m.level.value,
                "rule": rule_id(m), "alterations": [alteration_id(a) for a in m.alterations]})
    return {"sample": r.sample, "tumor_type": {"code": r.tumor_type},
            "alterations": [{"id": alteration_id(a), "gene": a.gene, "alteration": str(a),
                             "tier": alteration_tier(a, matches).value} for a in r.alterations],
            "matches": by_direction["sensitivity"], "resistance": by_direction["resistance"],
            "trials": trials_dict(r.trials)}


# --------------------------------------------------------------------------------------------------
# Inputs
@dataclass(frozen=True)
class SheetRow:
    """One samplesheet row: the sample name used for outputs, its input file, its tumor type.

    ``error`` is set when the row cannot run (missing file, unknown tumor code): that sample fails,
    the cohort goes on."""

    sample: str
    path: str
    tumor_type: str | None = None
    vcf_sample: str | None = None
    line: int = 0
    error: str | None = None


def _first_line(path: Path) -> str:
    from varmatch.readers import head_bytes

    text = head_bytes(path, 65536).decode("utf-8", "replace")
    for ln in text.splitlines():
        if ln.strip() and not ln.startswith("#"):
            return ln
    return ""


def input_kind(paths: list[str]) -> str:
    """``results`` (``*.json``), ``samplesheet`` or ``maf``, from names and the header line."""
    if not paths:
        raise UsageError("give a samplesheet, a MAF, or *.varmatch.json result files")
    if all(p.endswith(".json") for p in paths):
        return "results"
    if len(paths) > 1:
        raise UsageError("give one samplesheet or one MAF (several inputs only for *.json results)")
    path = Path(paths[0])
    header = _first_line(path)
    delim = "\t" if "\t" in header else ","
    cols = {c.strip().lower() for c in header.split(delim)}
    if "tumor_sample_barcode" in cols:
        return "maf"
    if cols & set(SAMPLE_COLS) and cols & set(INPUT_COLS):
        return "samplesheet"
    raise FormatError("not a samplesheet (columns sample, vcf, tumor_type) nor a MAF "
                      f"(Tumor_Sample_Barcode); header is: {header[:200]!r}", path, 1)


def read_samplesheet(path: str | Path, tree=None) -> list[SheetRow]:
    """Rows of a TSV/CSV samplesheet. Duplicate sample names are errors of the whole sheet; a
    missing input file or (with ``tree``) an unknown tumor code fails only that row."""
    from varmatch.writers import safe_name

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("samplesheet not found; check the path", p) from None
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1)
             if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise FormatError("empty samplesheet; expected columns sample, vcf, tumor_type", p, 1)
    delim = "\t" if "\t" in lines[0][1] else ","
    rows = list(csv.reader(io.StringIO("\n".join(ln for _i, ln in lines)), delimiter=delim))
    header = [c.strip().lower() for c in rows[0]]

    def col(names: tuple[str, ...]) -> int | None:
        return next((header.index(n) for n in names if n in header), None)

    si, ii, ti, vi = col(SAMPLE_COLS), col(INPUT_COLS), col(TUMOR_COLS), col(VCF_SAMPLE_COLS)
    if si is None or ii is None:
        raise FormatError(f"samplesheet needs columns sample and vcf (or input); found "
                          f"{', '.join(header)}", p, lines[0][0])
    out: list[SheetRow] = []
    seen: dict[str, int] = {}
    names: dict[str, str] = {}
    for (lineno, _ln), row in zip(lines[1:], rows[1:]):
        def cell(i: int | None, row: list[str] = row) -> str:
            return row[i].strip() if i is not None and i < len(row) else ""

        sample, raw = cell(si), cell(ii)
        if not sample or not raw:
            raise FormatError("empty sample or vcf cell", p, lineno)
        if sample in seen:
            raise FormatError(f"sample {sample!r} listed twice (also line {seen[sample]})", p, lineno)
        seen[sample] = lineno
        safe = safe_name(sample)
        if safe in names:
            raise FormatError(f"samples {names[safe]!r} and {sample!r} would write the same file "
                              f"names ({safe}.varmatch.*); rename one", p, lineno)
        names[safe] = sample
        file = Path(raw).expanduser()
        if not file.is_absolute():
            beside = p.parent / file
            file = beside if beside.exists() or not file.exists() else file
        error = None
        if not file.exists():
            error = str(InputError(f"input {raw!r} not found (looked beside the samplesheet and in "
                                   "the working directory); fix the vcf cell", p, lineno))
        tumor = cell(ti) or None
        if error is None and tumor and tree is not None:
            try:
                tree.resolve(tumor)
            except UsageError as exc:
                error = str(FormatError(str(exc), p, lineno))
        out.append(SheetRow(sample, str(file), tumor, cell(vi) or None, lineno, error))
    return out


# --------------------------------------------------------------------------------------------------
# Kill safety: workers die with the main process
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Ask for SIGKILL when the parent dies (Linux), and watch the parent pid (everywhere)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    import threading

    threading.Thread(target=watch, name="varmatch-parent-watch", daemon=True).start()


# --------------------------------------------------------------------------------------------------
# Resume: a journal of finished samples (one JSON line each = that sample's manifest)
RESUME_DIR = ".varmatch-resume"


def _fingerprint(path: str | None) -> list:
    if not path:
        return []
    try:
        st = os.stat(path)
    except OSError:
        return [str(path)]
    return [os.path.abspath(path), st.st_size, st.st_mtime_ns]


def sample_key(base: str, sample: str, source: list, *extra) -> str:
    """The resume key of one sample: ``base`` (options, formats, version, KB checksum) plus its
    input file's fingerprint (:func:`_fingerprint`) and its samplesheet cells."""
    # the same text as json.dumps([base, sample, source, *extra], default=str), with the long
    # ``base`` encoded and hashed once per cohort rather than once per sample
    h = _key_prefix(base).copy()
    for item in (sample, source, *extra):
        h.update((", " + json.dumps(item, default=str)).encode())
    h.update(b"]")
    return h.hexdigest()[:32]


@functools.lru_cache(maxsize=4)
def _key_prefix(base: str):
    import hashlib

    return hashlib.sha256(("[" + json.dumps(base)).encode())


def _rows_of(sc) -> list[int]:
    """How many rows of each kind a MAF sample was read with, for its resume key: an unsorted
    MAF hands a sample on early, in part, and again whole at the end; a run killed in between
    must not let ``--resume`` take the part for the whole (same counts: the same result)."""
    return [len(sc.calls), len(sc.alterations), len(sc.excluded_calls), len(sc.excluded),
            len(sc.context)]


def _record_json(rec: SampleRecord) -> dict:
    return {"sample": rec.sample, "tumor_type": rec.tumor_type,
            "alterations": [list(a) for a in rec.alterations],
            "actionable": [[a.gene, a.alteration, a.tier, a.level, a.therapy, list(a.drugs), a.rule,
                            a.evidence_id] for a in rec.actionable],
            "n_resistance": rec.n_resistance, "trials": rec.trials}


def _record_from_json(d: dict) -> SampleRecord:
    return SampleRecord(
        sample=d["sample"], tumor_type=d["tumor_type"],
        alterations=[tuple(a) for a in d["alterations"]],
        actionable=[Actionable(g, alt, t, lv, th, tuple(dr), ru, ev)
                    for g, alt, t, lv, th, dr, ru, ev in d["actionable"]],
        n_resistance=d["n_resistance"], trials=d.get("trials", ""))


class Journal:
    """Append-only per-process journal files under ``<out>/.varmatch-resume/``.

    A line is written with one ``write`` call after the sample's files are in place, so a kill
    leaves at most an unfinished last line, which :meth:`load` ignores."""

    def __init__(self, out_dir: Path):
        self.dir = Path(out_dir) / RESUME_DIR
        self.fd: int | None = None

    def load(self) -> dict[str, dict]:
        """Sample -> its journal entry. When a sample has several (an unsorted MAF redoes a
        sample; journals of two workers), the one whose outputs are on disk as recorded wins."""
        entries: dict[str, dict] = {}
        samples_dir = self.dir.parent / "samples"
        for path in sorted(self.dir.glob("journal-*.jsonl")):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                    d = json.loads(line)
                    old = entries.get(d["sample"])
                    if old is None or not _outputs_intact(old, samples_dir):
                        entries[d["sample"]] = d
        return entries

    def compact(self, entries: Iterable[dict]) -> None:
        """Replace all journal files by one holding ``entries``."""
        from varmatch.writers import atomic_open

        old = list(self.dir.glob("journal-*.jsonl"))
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.dir / "journal-0.jsonl"
        with atomic_open(target) as fh:
            for d in entries:
                fh.write(json.dumps(d, separators=(",", ":")) + "\n")
        for p in old:
            if p != target:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()

    def clear(self) -> None:
        for p in self.dir.glob("journal-*.jsonl"):
            p.unlink()

    def append(self, entry: dict) -> None:
        if self.fd is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.dir / f"journal-{os.getpid()}.jsonl",
                              os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
            end = os.lseek(self.fd, 0, os.SEEK_END)
            if end and os.pread(self.fd, 1, end - 1) != b"\n":  # a killed writer's last line
                os.write(self.fd, b"\n")
        os.write(self.fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode())


def _outputs_intact(entry: dict, samples_dir: Path) -> bool:
    for name, (size, mtime) in entry.get("outputs", {}).items():
        try:
            st = os.stat(samples_dir / name)
        except OSError:
            return False
        if st.st_size != size or st.st_mtime_ns != mtime:
            return False
    return bool(entry.get("outputs"))


def _remove_temp_files(samples_dir: Path) -> int:
    """Temporary files or staging folders a killed run left behind (``.<name>.<random>.tmp``)."""
    import shutil

    n = 0
    for p in samples_dir.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            n += 1
    return n


# --------------------------------------------------------------------------------------------------
# Worker side: one engine per process, loaded once by the pool initializer
class Engine:
    """The pipeline engine (loaded once per worker) plus where and how to write results."""

    def __init__(self, opts, out_dir: str | None, formats: list[str], summary_only: bool):
        from varmatch.pipeline import Engine as Core

        self.opts = opts
        self.core = Core(opts)
        self.out_dir = Path(out_dir) / "samples" if out_dir else None
        self.formats = formats
        self.summary_only = summary_only
        self.journal = Journal(Path(out_dir)) if out_dir and not summary_only else None

    def samples(self, path: str, sample: str | None = None, **extra) -> Iterator:
        """SampleCalls of one input, read with this engine's gene filter and regions."""
        return self.core.samples(path, replace(self.opts, sample=sample), **extra)

    def result(self, sc, requested: str | None, input_path: str):
        """The :class:`~varmatch.models.SampleResult` of one sample (as ``run_file`` makes it)."""
        if requested is None and not sc.tumor_type:
            requested = self.opts.tumor_type
        return self.core.result(sc, input_path, requested)

    def finish(self, done: list[tuple[object, str | None]]) -> list[SampleRecord]:
        """Write the per-sample files of a batch of ``(result, resume key)`` (one
        ``write_outputs`` call, all-or-nothing per sample), then a journal line per sample."""
        from varmatch.writers import safe_name, write_outputs
        recs = [record_from_dict(summary_dict(res)) for res, _key in done]
        if self.summary_only or self.out_dir is None or not done:
            return recs
        try:
            paths = write_outputs([res for res, _key in done], self.out_dir, self.formats)
        except Exception as exc:  # noqa: BLE001 - e.g. a full disk: these samples fail
            return [_failed(r.sample, r.tumor_type, exc) for r in recs]
        if self.journal is not None:
            by_sample: dict[str, dict[str, list[int]]] = {}
            for p in paths:
                st = os.stat(p)
                by_sample.setdefault(p.name.split(".varmatch.")[0], {})[p.name] = \
                    [st.st_size, st.st_mtime_ns]
            for (_res, key), rec in zip(done, recs):
                outputs = by_sample.get(safe_name(rec.sample))
                if key is not None and outputs:
                    self.journal.append({"sample": rec.sample, "key": key, "outputs": outputs,
                                         "record": _record_json(rec)})
        return recs

    # -- task kinds ---------------------------------------------------------------------------------
    def run_rows(self, rows: list[tuple[SheetRow, str]]) -> list[SampleRecord]:
        out = []
        for row, key in rows:
            try:
                scs = list(self.samples(row.path, row.vcf_sample))
                done = []
                for sc in scs:
                    if len(scs) == 1 and sc.sample != row.sample:
                        sc.notes.append(f"input sample {sc.sample!r} reported as {row.sample!r} "
                                        "(samplesheet)")
                        sc.sample = row.sample
                    done.append((self.result(sc, row.tumor_type, row.path),
                                 key if len(scs) == 1 else None))
                out += self.finish(done)
            except Exception as exc:  # noqa: BLE001 - one bad sample must not stop a cohort
                out.append(_failed(row.sample, row.tumor_type, exc))
        return out

    def run_calls(self, batch: list[tuple[object, str]], input_path: str) -> list[SampleRecord]:
        """Results of a batch of samples, in order; a sample that fails is reported as failed."""
        slots: list[SampleRecord | int] = []
        done = []
        for sc, key in batch:
            try:
                done.append((self.result(sc, None, input_path), key))
                slots.append(len(done) - 1)
            except Exception as exc:  # noqa: BLE001 - one bad sample must not stop a cohort
                slots.append(_failed(sc.sample, sc.tumor_type, exc))
        recs = self.finish(done)
        return [recs[x] if isinstance(x, int) else x for x in slots]


CHUNK_CHARS = 1 << 20  # MAF bytes per worker task (maf_chunks), rounded to whole samples


Piece = bytes | tuple[int, int]  # rows of a gzipped MAF, or (offset, length) in a plain one


class _CannotCut(Exception):
    """The MAF cannot be handed on in byte pieces (see :func:`maf_chunks`)."""


def maf_chunks(path: str, size: int | None = None) -> Iterator[tuple[tuple[int, str], int, Piece]]:
    """A MAF in pieces for workers to read themselves (:func:`piece_lines`): the header line
    (number, text), the first row's line number and about ``size`` bytes of rows. A piece ends
    only where ``Tumor_Sample_Barcode`` changes, so a MAF sorted by sample never splits a sample;
    in an unsorted MAF a sample comes back in a later piece (the caller checks). Nothing is
    yielded for a file without a header or rows (the reader then says what is wrong).

    A plain file is handed on as byte ranges that each worker reads itself, a gzipped one as
    its uncompressed bytes; workers decode them. This process only looks for sample boundaries
    (decoding every row here and sending it through a pipe took 1.5 s of its CPU for a 1M-row
    MAF, while the workers waited). Raises :class:`_CannotCut` when the text before the rows
    does not re-encode to the file's bytes (a byte that is not UTF-8), so offsets are unknown."""
    import gzip

    from varmatch.readers.maf import _columns, open_text

    p = Path(path)
    size = size or CHUNK_CHARS
    with open_text(p) as fh:
        n, start = 0, 0
        for line in fh:
            n += 1
            start += len(line.encode("utf-8"))
            if line.strip() and not line.startswith("#"):
                break
        else:
            return
        plain = isinstance(fh.buffer, io.BufferedReader)
    header = (n, line)
    si = _columns([c.strip() for c in line.rstrip("\r\n").split("\t")], p, n)["Tumor_Sample_Barcode"]
    with open(p, "rb") if plain else gzip.open(p, "rb") as fb:
        if not fb.read(start).endswith(line.encode("utf-8")):
            raise _CannotCut(f"a byte before line {n} is not UTF-8")
        first, buf, known, sample = n + 1, b"", 0, None
        while block := fb.read(size):
            buf += block
            cut, sample = _run_start(buf, known, sample, si)
            if cut:
                yield header, first, (start, cut) if plain else buf[:cut]
                first += _n_lines(buf, cut)
                start += cut
                buf = buf[cut:]
            known = buf.rfind(b"\n") + 1
        if buf:
            yield header, first, (start, len(buf)) if plain else buf


def _n_lines(buf: bytes, end: int) -> int:
    """Lines in ``buf[:end]`` as text-mode reading counts them (``\\n``, ``\\r\\n`` and ``\\r`` end
    a line), so the line numbers of later pieces agree with the file's."""
    n = buf.count(b"\n", 0, end)
    if buf.find(b"\r", 0, end) < 0:  # the usual case; find stops at the first CR, count does not
        return n
    return n + buf.count(b"\r", 0, end) - buf.count(b"\r\n", 0, end)


def _run_start(buf: bytes, known: int, sample: str | None, si: int) -> tuple[int, str | None]:
    """Where the rows of the last sample among the whole lines of ``buf`` begin (0 when all are
    one sample's), and that sample. ``buf[:known]`` is already known to be one run of ``sample``,
    so only the lines after it are read (a sample larger than a piece stays linear). Comment,
    blank and short lines belong to the run around them (the reader judges them). Lines are
    split at ``\\n`` only: where a stray ``\\r`` makes this differ from the reader, a sample may be
    cut in two, which the caller detects and answers by reading the file whole."""
    i, last = buf.rfind(b"\n") + 1, None
    while i > known:
        j = max(buf.rfind(b"\n", known, i - 1) + 1, known)
        line = buf[j:i].decode("utf-8", errors="replace")
        cells = line.split("\t", si + 1)
        if line[:1] != "#" and not line.isspace() and len(cells) > si:
            s = cells[si].strip()
            if last is None:
                last = s
            elif s != last:
                return i, last
        i = j
    if last is None:  # nothing new but comments: still the known run
        return 0, sample
    return (known if known and sample is not None and sample != last else 0), last


def piece_lines(path: str, first: int, piece: Piece) -> Iterator[tuple[int, str]]:
    """The numbered lines of one piece of :func:`maf_chunks`, split as ``open_text`` splits them."""
    if isinstance(piece, bytes):
        data = piece
    else:
        offset, length = piece
        with open(path, "rb") as fb:
            fb.seek(offset)
            data = fb.read(length)
    return enumerate(io.StringIO(data.decode("utf-8", errors="replace"), newline=""), start=first)


def _do_maf_chunk(path: str, header: tuple[int, str], first: int, piece: Piece, base: str,
                  source: list) -> list[SampleRecord]:
    """Read one piece of a MAF (:func:`maf_chunks`) and run its samples."""
    import itertools

    assert _ENGINE is not None
    lines = itertools.chain((header,), piece_lines(path, first, piece))
    batch = [(sc, sample_key(base, sc.sample, source, _rows_of(sc)))
             for sc in _ENGINE.samples(path, lines=lines, stream=True)]
    return _ENGINE.run_calls(batch, path)


def _warn_shared_names(summary: CohortSummary) -> None:
    """Samples whose names differ but give the same file name (``a/b``, ``a_b``)."""
    from varmatch.writers import safe_name

    seen: dict[str, str] = {}
    for rec in summary.records:
        safe = safe_name(rec.sample)
        if seen.get(safe, rec.sample) != rec.sample:
            log.warning("sample %s: a sample with the same file name (%s) was already written; "
                        "its files are overwritten", rec.sample, seen[safe])
        seen[safe] = rec.sample


def _failed(sample: str, tumor_type: str | None, exc: BaseException | str) -> SampleRecord:
    if isinstance(exc, str | VarmatchError):
        msg = str(exc)
    else:
        msg = f"internal error: {exc.__class__.__name__}: {exc}"
        log.debug("sample %s", sample, exc_info=exc)
    log.error("sample %s: %s", sample, msg)
    return SampleRecord(sample=sample, tumor_type=tumor_type or "", error=msg)


_ENGINE: Engine | None = None


def _init_worker(opts, out_dir: str | None, formats: list[str], summary_only: bool,
                 log_level: int, parent_pid: int | None = None) -> None:
    global _ENGINE
    if parent_pid is not None:
        _die_with_parent(parent_pid)
    logging.getLogger().setLevel(log_level)
    _ENGINE = Engine(opts, out_dir, formats, summary_only)


def _do_rows(rows: list) -> list[SampleRecord]:
    assert _ENGINE is not None
    return _ENGINE.run_rows(rows)


def _do_calls(batch: list, input_path: str) -> list[SampleRecord]:
    assert _ENGINE is not None
    return _ENGINE.run_calls(batch, input_path)


# --------------------------------------------------------------------------------------------------
# Aggregation
@dataclass
class CohortSummary:
    """The per-sample records (small) in input order; counts are taken from them at the end.

    A sample added twice (an unsorted MAF redoes a sample at the end) replaces its first record."""

    out_dir: Path
    records: list[SampleRecord] = field(default_factory=list)
    kb_version: str = ""
    seconds: float = 0.0
    reused: int = 0
    replace_repeats: bool = False  # MAF: a sample seen again replaces its first record
    repeats: int = 0  # records replaced that way (an unsorted MAF redoes a sample)
    report_suffix: str | None = None  # the per-sample file the cohort page links to
    result_links: dict[str, str] = field(default_factory=dict)  # *.varmatch.json inputs
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def links(self) -> dict[str, str]:
        """Sample -> relative link to its own report (none for failed samples)."""
        from varmatch.writers import safe_name

        if self.result_links or not self.report_suffix:
            return self.result_links
        return {r.sample: f"samples/{safe_name(r.sample)}.varmatch.{self.report_suffix}"
                for r in self.records if not r.error}

    @property
    def n_samples(self) -> int:
        return len(self.records)

    @property
    def n_actionable(self) -> int:
        return sum(1 for r in self.records if r.actionable)

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [(r.sample, r.error) for r in self.records if r.error]

    def add(self, rec: SampleRecord) -> None:
        i = self._index.get(rec.sample) if self.replace_repeats else None
        if i is None:
            self._index[rec.sample] = len(self.records)
            self.records.append(rec)
        else:
            self.records[i] = rec
            self.repeats += 1

    def counts(self) -> dict[str, collections.Counter]:
        """Samples per gene, per gene with an actionable match, per drug, per best tier, and per
        (gene, alteration)."""
        c = {k: collections.Counter() for k in ("gene", "gene_actionable", "drug", "tier",
                                                "alteration")}
        for rec in self.records:
            c["tier"][rec.best_tier or ("failed" if rec.error else "none")] += 1
            if rec.alterations:  # most samples of a cohort have none (Counter.update is not cheap)
                c["gene"].update({g for g, _a, _t in rec.alterations})
                c["alteration"].update({(g, a) for g, a, _t in rec.alterations})
            if rec.actionable:
                c["gene_actionable"].update({a.gene for a in rec.actionable})
                c["drug"].update(rec.drugs)
        return c


class _Progress:
    """A counter on stderr, only when stderr is a terminal."""

    def __init__(self, total: int | None):
        self.total, self.n, self.on, self._last = total, 0, sys.stderr.isatty(), 0.0

    def step(self, k: int = 1) -> None:
        self.n += k
        now = time.monotonic()
        if self.on and (now - self._last > 0.2 or self.n == self.total):
            self._last = now
            of = f"/{self.total}" if self.total else ""
            sys.stderr.write(f"\rvarmatch cohort: {self.n}{of} samples")
            sys.stderr.flush()

    def close(self) -> None:
        if self.on:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _batched(items: Iterable, n: int) -> Iterator[list]:
    buf: list = []
    for it in items:
        buf.append(it)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


Task = tuple[Callable, tuple] | list[SampleRecord]  # work to do, or records already known


def _run_tasks(tasks: Iterable[Task], init_args: tuple, jobs: int, summary: CohortSummary,
               progress: _Progress,
               check: Callable[[list[SampleRecord]], None] | None = None) -> None:
    """Run ``fn(*args)`` tasks (``args[0]`` a list of samples) in ``jobs`` processes with a bounded
    number in flight; records go to ``summary`` in task order, each task's first through
    ``check`` (which may raise to stop the run)."""
    if jobs <= 1:
        _init_worker(*init_args)
        for task in tasks:
            _collect(task if isinstance(task, list) else task[0](*task[1]), summary, progress, check)
        return
    window: collections.deque[Future | list[SampleRecord]] = collections.deque()
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(*init_args, os.getpid())) as pool:
        for task in tasks:
            window.append(task if isinstance(task, list) else pool.submit(task[0], *task[1]))
            while len(window) >= jobs * 3:
                _collect(window.popleft(), summary, progress, check)
        while window:
            _collect(window.popleft(), summary, progress, check)


def _collect(item: Future | list[SampleRecord], summary: CohortSummary,
             progress: _Progress, check: Callable[[list[SampleRecord]], None] | None = None) -> None:
    recs = item if isinstance(item, list) else item.result()
    if check is not None:
        check(recs)
    for rec in recs:
        summary.add(rec)
    progress.step(len(recs))


def _resume_base(opts, names: list[str], kb_checksum: str) -> str:
    from dataclasses import asdict

    from varmatch import __version__

    return json.dumps([asdict(opts), _fingerprint(opts.clinical), sorted(names), __version__,
                       kb_checksum], default=str, sort_keys=True)


def run_cohort(samplesheet_or_maf: str | Path | list[str], out_dir: str | Path, opts,
               jobs: int | None = None, formats: str | list[str] = "json,tsv",
               summary_only: bool = False, resume: bool = False) -> CohortSummary:
    """Run every sample of a samplesheet or MAF (or summarise ``*.varmatch.json`` results) and
    write per-sample outputs and the cohort summary under ``out_dir``.

    ``opts`` is a :class:`varmatch.pipeline.Options`: its ``tumor_type`` is the default for samples
    without one, its ``clinical`` the MAF clinical table. With ``resume``, samples whose journal
    entry and output files match are reused (:attr:`CohortSummary.reused`). Returns the
    :class:`CohortSummary`.
    """
    from varmatch import kb as kbmod
    from varmatch import writers
    from varmatch.kb.oncotree import OncoTree

    t0 = time.perf_counter()
    paths = [str(p) for p in samplesheet_or_maf] if isinstance(samplesheet_or_maf, list) \
        else [str(samplesheet_or_maf)]
    names = writers.parse_formats(formats) if isinstance(formats, str) else list(formats)
    kind = input_kind(paths)
    if resume and (summary_only or kind == "results"):
        raise UsageError("--resume reuses per-sample outputs; it does not apply with "
                         "--summary-only or to *.varmatch.json inputs")
    tree = OncoTree.bundled()
    if opts.tumor_type:
        tree.resolve(opts.tumor_type)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = CohortSummary(out)
    if not summary_only:
        pick = next((f for f in ("html", "json", "tsv") if f in names), names[0])
        summary.report_suffix = writers.get(pick).suffix
    jobs = jobs or default_jobs()
    init_args = (opts, str(out), names, summary_only, logging.getLogger().level)
    journal = Journal(out)
    done: dict[str, dict] = {}
    if kind != "results" and not summary_only:
        if resume:
            done = journal.load()
            removed = _remove_temp_files(out / "samples")
            if removed:
                log.info("cohort: removed %d temporary files of an interrupted run", removed)
        else:
            journal.clear()
    base = ""
    if kind != "results":
        k = kbmod.get(opts.kb_path)
        summary.kb_version = k.manifest.version
        base = _resume_base(opts, names, k.checksum)  # covers a `kb update`d CIViC layer

    def reused(sample: str, key: str) -> list[SampleRecord] | None:
        entry = done.get(sample)
        if entry is None or entry.get("key") != key or not _outputs_intact(entry, out / "samples"):
            return None
        summary.reused += 1
        return [_record_from_json(entry["record"])]

    if kind == "results":
        progress = _Progress(len(paths))
        seen_names: set[str] = set()
        for p in paths:
            try:
                data = json.loads(Path(p).read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise InputError("result file not found", p) from None
            except json.JSONDecodeError as exc:
                raise FormatError(f"not a varmatch JSON result ({exc.msg})", p, exc.lineno) from None
            for d in data if isinstance(data, list) else [data]:
                rec = record_from_dict(d)
                if rec.sample in seen_names:  # two runs of one VCF sample: name by file
                    rec.sample = Path(p).name.removesuffix(".json").removesuffix(".varmatch")
                seen_names.add(rec.sample)
                summary.add(rec)
                report = Path(p).with_suffix(".html")  # the sample's HTML report, if beside it
                summary.result_links[rec.sample] = urllib.parse.quote(os.path.relpath(
                    os.path.abspath(report if report.exists() else p), os.path.abspath(out)))
                summary.kb_version = summary.kb_version or d.get("knowledgebase", {}).get("version", "")
            progress.step()
        progress.close()
    elif kind == "samplesheet":
        rows = read_samplesheet(paths[0], tree)
        progress = _Progress(len(rows))

        def sheet_tasks() -> Iterator[Task]:
            # one row per task: VCFs differ in size, so small tasks keep both cores busy
            for r in rows:
                if r.error:
                    yield [_failed(r.sample, r.tumor_type, r.error)]
                    continue
                key = sample_key(base, r.sample, _fingerprint(r.path), r.tumor_type, r.vcf_sample)
                yield reused(r.sample, key) or (_do_rows, ([(r, key)],))

        _run_tasks(sheet_tasks(), init_args, jobs, summary, progress)
        progress.close()
    else:  # MAF: the main process streams SampleCalls, workers annotate/match/write
        from varmatch import readers

        readers._load_builtin_readers()
        if opts.input_format is None and "maf" in readers.READERS:
            opts = replace(opts, input_format="maf")  # a MAF also looks like a plain table
            init_args = (opts, *init_args[1:])
        progress = _Progress(None)
        summary.replace_repeats = True
        stream = {"stream": True} if opts.input_format == "maf" else {}
        by_chunks = False
        if opts.input_format == "maf" and jobs > 1 and not resume:
            # workers read runs of whole samples themselves: parsing 1M rows in this process
            # alone kept two workers waiting
            from varmatch.readers.maf import NotSorted

            source = _fingerprint(paths[0])
            chunks = ((_do_maf_chunk, (paths[0], header, first, piece, base, source))
                      for header, first, piece in maf_chunks(paths[0]))
            done_samples: set[str] = set()

            def one_piece_per_sample(recs: list[SampleRecord]) -> None:
                samples = {r.sample for r in recs}
                if samples & done_samples:
                    raise NotSorted(f"{sorted(samples & done_samples)[0]} is in two pieces")
                done_samples.update(samples)

            why = "no rows to hand on"  # the reader below says what is wrong
            try:
                _run_tasks(chunks, init_args, jobs, summary, progress, one_piece_per_sample)
                by_chunks = bool(summary.records)
            except NotSorted as exc:
                # samples cut in two were written and journaled in part: drop those entries
                # before reading the file whole, so a later --resume cannot take a part for the
                # whole (every sample is written again below)
                log.debug("%s: %s", paths[0], exc)
                journal.clear()
                why = "not every sample's rows are together"
            except _CannotCut as exc:  # raised before any piece was handed on
                why = str(exc)
            if by_chunks:
                progress.close()
            else:
                log.info("%s: %s; reading it whole", paths[0], why)
        if not by_chunks:
            reader_engine = Engine(opts, None, names, True)

            def maf_tasks() -> Iterator[Task]:
                source = _fingerprint(paths[0])  # taken before reading: a later change is not missed
                batch: list = []
                for sc in reader_engine.samples(paths[0], **stream):
                    key = sample_key(base, sc.sample, source, _rows_of(sc))
                    ready = reused(sc.sample, key)
                    if ready is not None:
                        yield ready
                        continue
                    batch.append((sc, key))
                    if len(batch) >= BATCH:
                        yield (_do_calls, (batch, paths[0]))
                        batch = []
                if batch:
                    yield (_do_calls, (batch, paths[0]))

            _run_tasks(maf_tasks(), init_args, jobs, summary, progress)
            progress.close()
        _warn_shared_names(summary)

    # one journal file without stale entries. A fresh run's journals hold one entry per sample it
    # wrote, all current, so rewriting them (parsing every line: seconds for 10k samples) is
    # needed only after a resume (old entries) or when an unsorted MAF redid samples
    if kind != "results" and not summary_only and (resume or summary.repeats):
        journal.compact(d for d in _journal_entries(journal, summary))
    if not summary.kb_version:
        with contextlib.suppress(VarmatchError):
            k = kbmod.get(opts.kb_path)
            summary.kb_version = k.manifest.version
    write_summary(summary)
    summary.seconds = time.perf_counter() - t0
    _write_timing(summary, jobs)
    log.info("cohort: %d samples (%d with actionable alterations, %d failed, %d reused) in %.1f s",
             summary.n_samples, summary.n_actionable, len(summary.failed), summary.reused,
             summary.seconds)
    return summary


def _journal_entries(journal: Journal, summary: CohortSummary) -> Iterator[dict]:
    """The journal entries of this cohort's samples (drops samples no longer in the input)."""
    entries = journal.load()
    for rec in summary.records:
        if rec.sample in entries and not rec.error:
            yield entries[rec.sample]


def _write_timing(s: CohortSummary, jobs: int) -> None:
    """``cohort.timing.json``: the run's wall-clock time and reuse counts (not deterministic, so
    kept out of ``cohort.summary.json``)."""
    from varmatch.writers import atomic_open

    with atomic_open(s.out_dir / "cohort.timing.json") as fh:
        json.dump({"seconds": round(s.seconds, 2), "jobs": jobs, "samples": s.n_samples,
                   "samples_reused": s.reused, "samples_run": s.n_samples - s.reused}, fh, indent=2)
        fh.write("\n")


# --------------------------------------------------------------------------------------------------
# Summary files
def _tsv(path: Path, header: list[str], rows: Iterable[Iterable]) -> None:
    from varmatch.writers import atomic_open, tsv_rows

    with atomic_open(path) as fh:
        writerow = tsv_rows(fh)
        writerow(header)
        for row in rows:
            cells = ["" if c is None else c if type(c) is str else str(c) for c in row]
            line = "\t".join(cells)  # tabs and newlines inside a cell become spaces
            if line.count("\t") != len(cells) - 1 or "\n" in line:
                cells = [c.replace("\t", " ").replace("\n", " ") for c in cells]
            writerow(cells)


def _alteration_rows(s: CohortSummary, c: dict) -> list[tuple[str, str]]:
    """(gene, alteration) keys, most frequent gene first, then most frequent alteration."""
    return sorted(c["alteration"], key=lambda k: (-c["gene"][k[0]], k[0], -c["alteration"][k], k[1]))


def summary_data(s: CohortSummary, c: dict) -> dict:
    """The content of ``cohort.summary.json`` (deterministic: no timings)."""
    from varmatch import RESEARCH_USE, __version__

    return {
        "varmatch_version": __version__, "knowledgebase_version": s.kb_version,
        "disclaimer": RESEARCH_USE, "samples": s.n_samples,
        "samples_with_pathway_alterations": sum(1 for r in s.records if r.alterations),
        "samples_with_actionable_alterations": s.n_actionable,
        "genes": {g: {"samples": n, "actionable": c["gene_actionable"].get(g, 0)}
                  for g, n in c["gene"].most_common()},
        "drugs": dict(c["drug"].most_common()),
        "best_tier": {t: c["tier"][t] for t in sorted(c["tier"], key=lambda t: TIER_ORDER.get(t, 9))},
        "failed": [{"sample": a, "error": e} for a, e in s.failed],
        "trials": {r.sample: r.trials for r in s.records if r.trials},
    }


def write_summary(s: CohortSummary) -> list[Path]:
    """Write the cohort summary files; returns their paths."""
    from varmatch.writers import atomic_open
    from varmatch.writers.cohort_html import render_cohort_html

    out = s.out_dir
    c = s.counts()
    paths = [out / f"cohort.{n}" for n in ("samples.tsv", "actionable.tsv", "counts.tsv",
                                           "matrix.tsv", "summary.json", "html")]
    _tsv(paths[0], ["sample", "tumor_type", "pathway_alterations", "best_tier",
                    "actionable_alterations", "drugs", "status", "trials"],
         ([r.sample, r.tumor_type, "; ".join(a for _g, a, _t in r.alterations), r.best_tier,
           "; ".join(sorted({a.alteration for a in r.actionable})), ",".join(r.drugs),
           "ok" if r.error is None else f"failed: {r.error}", r.trials] for r in s.records))
    _tsv(paths[1], ["sample", "tumor_type", "gene", "alteration", "tier", "level", "therapy",
                    "drugs", "rule", "evidence_id"],
         ([r.sample, r.tumor_type, a.gene, a.alteration, a.tier, a.level, a.therapy,
           ",".join(a.drugs), a.rule, a.evidence_id] for r in s.records for a in r.actionable))
    n = max(s.n_samples, 1)
    counts = [("gene", g, k, c["gene_actionable"].get(g, 0)) for g, k in c["gene"].most_common()]
    counts += [("drug", d, k, k) for d, k in c["drug"].most_common()]
    counts += [("tier", t, c["tier"][t], c["tier"][t] if t in ACTIONABLE_TIERS else 0)
               for t in sorted(c["tier"], key=lambda t: TIER_ORDER.get(t, 9))]
    _tsv(paths[2], ["category", "name", "samples", "samples_actionable", "percent_of_cohort"],
         ([cat, name, k, ka, f"{100 * k / n:.1f}"] for cat, name, k, ka in counts))
    keys = _alteration_rows(s, c)
    with atomic_open(paths[3]) as fh:
        fh.write("gene\talteration\t" + "\t".join(r.sample for r in s.records) + "\n")
        index = {k: i for i, k in enumerate(keys)}
        cells = [[""] * len(s.records) for _ in keys]
        for j, r in enumerate(s.records):
            for g, a, t in r.alterations:
                i = index[(g, a)]
                old = cells[i][j]
                if not old or TIER_ORDER.get(t, 9) < TIER_ORDER.get(old, 9):
                    cells[i][j] = t
        for (g, a), row in zip(keys, cells):
            fh.write(f"{g}\t{a}\t" + "\t".join(row) + "\n")
    data = summary_data(s, c)
    with atomic_open(paths[4]) as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    with atomic_open(paths[5]) as fh:
        fh.write(render_cohort_html(s, data, c))
    return paths
