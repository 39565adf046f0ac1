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
``cohort.html``            a self-contained page with an oncoprint-style inline SVG

A sample that fails (unreadable VCF, bad record) is reported in ``cohort.samples.tsv`` and
``cohort.summary.json`` and the run goes on; :attr:`CohortSummary.failed` lets the CLI exit 2.

cohort_command options (for ``cli.py``)::

    varmatch cohort INPUT...            samplesheet | MAF | *.varmatch.json results
      --out DIR                         output folder (default: cohort)
      -j, --jobs N                      worker processes (default: usable cores; 1 = no pool)
      -t, --tumor-type CODE             tumor type for samples whose sheet/clinical file has none
      --clinical FILE                   MAF only: sample -> ONCOTREE_CODE table
      --formats LIST                    per-sample formats (default json,tsv)
      --summary-only                    no per-sample files, only the cohort summary
      --genome, --include-filtered, --format, --kb, --gtf, --fasta   as for `varmatch run`

A progress counter goes to stderr only when stderr is a terminal.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import html
import io
import json
import logging
import os
import sys
import time
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


# --------------------------------------------------------------------------------------------------
# Inputs
@dataclass(frozen=True)
class SheetRow:
    """One samplesheet row: the sample name used for outputs, its input file, its tumor type."""

    sample: str
    path: str
    tumor_type: str | None = None
    vcf_sample: str | None = None
    line: int = 0


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


def read_samplesheet(path: str | Path) -> list[SheetRow]:
    """Rows of a TSV/CSV samplesheet; duplicate sample names and missing files are errors."""
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
        from varmatch.writers import safe_name

        safe = safe_name(sample)
        if safe in names:
            raise FormatError(f"samples {names[safe]!r} and {sample!r} would write the same file "
                              f"names ({safe}.varmatch.*); rename one", p, lineno)
        names[safe] = sample
        file = Path(raw).expanduser()
        if not file.is_absolute():
            beside = p.parent / file
            file = beside if beside.exists() or not file.exists() else file
        if not file.exists():
            raise InputError(f"sample {sample!r}: input {raw!r} not found (looked beside the "
                             "samplesheet and in the working directory)", p, lineno)
        out.append(SheetRow(sample, str(file), cell(ti) or None, cell(vi) or None, lineno))
    return out


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

    def samples(self, path: str, sample: str | None = None) -> Iterator:
        """SampleCalls of one input, read with this engine's gene filter and regions."""
        return self.core.samples(path, replace(self.opts, sample=sample))

    def result(self, sc, requested: str | None, input_path: str):
        """The :class:`~varmatch.models.SampleResult` of one sample (as ``run_file`` makes it)."""
        if requested is None and not sc.tumor_type:
            requested = self.opts.tumor_type
        return self.core.result(sc, input_path, requested)

    def finish(self, res) -> SampleRecord:
        """Write the per-sample files (unless summary-only) and keep the summary record."""
        from varmatch.writers import write_outputs
        from varmatch.writers.json_writer import result_dict

        if not self.summary_only and self.out_dir is not None:
            write_outputs([res], self.out_dir, self.formats)
        return record_from_dict(result_dict(res))

    # -- task kinds ---------------------------------------------------------------------------------
    def run_rows(self, rows: list[SheetRow]) -> list[SampleRecord]:
        out = []
        for row in rows:
            try:
                scs = list(self.samples(row.path, row.vcf_sample))
                for sc in scs:
                    if len(scs) == 1 and sc.sample != row.sample:
                        sc.notes.append(f"input sample {sc.sample!r} reported as {row.sample!r} "
                                        "(samplesheet)")
                        sc.sample = row.sample
                    out.append(self.finish(self.result(sc, row.tumor_type, row.path)))
            except Exception as exc:  # noqa: BLE001 - one bad sample must not stop a cohort
                out.append(_failed(row.sample, row.tumor_type, exc))
        return out

    def run_calls(self, batch: list, input_path: str) -> list[SampleRecord]:
        out = []
        for sc in batch:
            try:
                out.append(self.finish(self.result(sc, None, input_path)))
            except Exception as exc:  # noqa: BLE001 - one bad sample must not stop a cohort
                out.append(_failed(sc.sample, sc.tumor_type, exc))
        return out


def _failed(sample: str, tumor_type: str | None, exc: BaseException) -> SampleRecord:
    if isinstance(exc, VarmatchError):
        msg = str(exc)
    else:
        msg = f"internal error: {exc.__class__.__name__}: {exc}"
        log.debug("sample %s", sample, exc_info=exc)
    log.error("sample %s: %s", sample, msg)
    return SampleRecord(sample=sample, tumor_type=tumor_type or "", error=msg)


_ENGINE: Engine | None = None


def _init_worker(opts, out_dir: str | None, formats: list[str], summary_only: bool,
                 log_level: int) -> None:
    global _ENGINE
    logging.getLogger().setLevel(log_level)
    _ENGINE = Engine(opts, out_dir, formats, summary_only)


def _do_rows(rows: list[SheetRow]) -> list[SampleRecord]:
    assert _ENGINE is not None
    return _ENGINE.run_rows(rows)


def _do_calls(batch: list, input_path: str) -> list[SampleRecord]:
    assert _ENGINE is not None
    return _ENGINE.run_calls(batch, input_path)


# --------------------------------------------------------------------------------------------------
# Aggregation
@dataclass
class CohortSummary:
    """Counts over the cohort; per-sample records kept small for the matrix and the plot."""

    out_dir: Path
    records: list[SampleRecord] = field(default_factory=list)
    gene_samples: collections.Counter = field(default_factory=collections.Counter)
    gene_actionable: collections.Counter = field(default_factory=collections.Counter)
    drug_samples: collections.Counter = field(default_factory=collections.Counter)
    tier_samples: collections.Counter = field(default_factory=collections.Counter)
    alteration_samples: collections.Counter = field(default_factory=collections.Counter)
    failed: list[tuple[str, str]] = field(default_factory=list)
    kb_version: str = ""
    seconds: float = 0.0

    @property
    def n_samples(self) -> int:
        return len(self.records)

    @property
    def n_actionable(self) -> int:
        return sum(1 for r in self.records if r.actionable)

    def add(self, rec: SampleRecord) -> None:
        if rec.error:
            self.failed.append((rec.sample, rec.error))
        # keep only what the matrix and plot need
        self.records.append(rec)
        for g in {g for g, _a, _t in rec.alterations}:
            self.gene_samples[g] += 1
        for key in {(g, a) for g, a, _t in rec.alterations}:
            self.alteration_samples[key] += 1
        for g in {a.gene for a in rec.actionable}:
            self.gene_actionable[g] += 1
        for d in rec.drugs:
            self.drug_samples[d] += 1
        self.tier_samples[rec.best_tier or ("failed" if rec.error else "none")] += 1


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


def _run_tasks(tasks: Iterable[tuple[Callable, tuple]], init_args: tuple, jobs: int,
               summary: CohortSummary, progress: _Progress) -> None:
    """Run ``fn(*args)`` tasks in order, ``jobs`` processes, a bounded number in flight."""
    if jobs <= 1:
        _init_worker(*init_args)
        for fn, args in tasks:
            for rec in fn(*args):
                summary.add(rec)
            progress.step(len(args[0]))
        return
    window: collections.deque[tuple[Future, int]] = collections.deque()
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=init_args) as pool:
        for fn, args in tasks:
            window.append((pool.submit(fn, *args), len(args[0])))
            while len(window) >= jobs * 3:
                _collect(window.popleft(), summary, progress)
        while window:
            _collect(window.popleft(), summary, progress)


def _collect(item: tuple[Future, int], summary: CohortSummary, progress: _Progress) -> None:
    fut, n = item
    for rec in fut.result():
        summary.add(rec)
    progress.step(n)


def run_cohort(samplesheet_or_maf: str | Path | list[str], out_dir: str | Path, opts,
               jobs: int | None = None, formats: str | list[str] = "json,tsv",
               summary_only: bool = False) -> CohortSummary:
    """Run every sample of a samplesheet or MAF (or summarise ``*.varmatch.json`` results) and
    write per-sample outputs and the cohort summary under ``out_dir``.

    ``opts`` is a :class:`varmatch.pipeline.Options`: its ``tumor_type`` is the default for samples
    without one, its ``clinical`` the MAF clinical table. Returns the :class:`CohortSummary`.
    """
    from varmatch import writers
    from varmatch.kb.oncotree import OncoTree

    t0 = time.perf_counter()
    paths = [str(p) for p in samplesheet_or_maf] if isinstance(samplesheet_or_maf, list) \
        else [str(samplesheet_or_maf)]
    names = writers.parse_formats(formats) if isinstance(formats, str) else list(formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kind = input_kind(paths)
    summary = CohortSummary(out)
    jobs = jobs or default_jobs()
    tree = OncoTree.bundled()
    if opts.tumor_type:
        tree.resolve(opts.tumor_type)
    init_args = (opts, str(out), names, summary_only, logging.getLogger().level)

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
                summary.kb_version = summary.kb_version or d.get("knowledgebase", {}).get("version", "")
            progress.step()
        progress.close()
    elif kind == "samplesheet":
        rows = read_samplesheet(paths[0])
        for row in rows:  # fail on a bad tumor type before running anything
            if row.tumor_type:
                try:
                    tree.resolve(row.tumor_type)
                except UsageError as exc:
                    raise FormatError(f"sample {row.sample!r}: {exc}", paths[0], row.line) from None
        progress = _Progress(len(rows))
        # one row per task: VCFs differ in size, so small tasks keep both cores busy
        tasks = ((_do_rows, ([r],)) for r in rows)
        _run_tasks(tasks, init_args, jobs, summary, progress)
        progress.close()
    else:  # MAF: the main process streams SampleCalls, workers annotate/match/write
        from varmatch import readers

        readers._load_builtin_readers()
        if opts.input_format is None and "maf" in readers.READERS:
            opts = replace(opts, input_format="maf")  # a MAF also looks like a plain table
            init_args = (opts, *init_args[1:])
        reader_engine = Engine(opts, None, names, True)
        progress = _Progress(None)

        def calls() -> Iterator:
            seen: set[str] = set()
            for sc in reader_engine.samples(paths[0]):
                safe = writers.safe_name(sc.sample)
                if safe in seen:
                    log.warning("sample %s: a sample with the same file name was already "
                                "written; its files are overwritten", sc.sample)
                seen.add(safe)
                yield sc

        tasks = ((_do_calls, (batch, paths[0])) for batch in _batched(calls(), BATCH))
        _run_tasks(tasks, init_args, jobs, summary, progress)
        progress.close()

    if not summary.kb_version:
        from varmatch import kb as kbmod

        with contextlib.suppress(VarmatchError):
            k = kbmod.load(opts.kb_path) if opts.kb_path else kbmod.bundled()
            summary.kb_version = k.manifest.version
    summary.seconds = time.perf_counter() - t0
    write_summary(summary)
    log.info("cohort: %d samples (%d with actionable alterations, %d failed) in %.1f s",
             summary.n_samples, summary.n_actionable, len(summary.failed), summary.seconds)
    return summary


# --------------------------------------------------------------------------------------------------
# Summary files
def _tsv(path: Path, header: list[str], rows: Iterable[Iterable]) -> None:
    from varmatch.writers import atomic_open

    with atomic_open(path) as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if c is None else str(c).replace("\t", " ").replace("\n", " ")
                        for c in row])


def _alteration_rows(s: CohortSummary) -> list[tuple[str, str]]:
    """(gene, alteration) keys, most frequent gene first, then most frequent alteration."""
    return sorted(s.alteration_samples, key=lambda k: (-s.gene_samples[k[0]], k[0],
                                                       -s.alteration_samples[k], k[1]))


def write_summary(s: CohortSummary) -> list[Path]:
    """Write the cohort summary files; returns their paths."""
    from varmatch import RESEARCH_USE, __version__
    from varmatch.writers import atomic_open

    out = s.out_dir
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
    counts = [("gene", g, c, s.gene_actionable.get(g, 0)) for g, c in s.gene_samples.most_common()]
    counts += [("drug", d, c, c) for d, c in s.drug_samples.most_common()]
    counts += [("tier", t, s.tier_samples[t], s.tier_samples[t] if t in ACTIONABLE_TIERS else 0)
               for t in sorted(s.tier_samples, key=lambda t: TIER_ORDER.get(t, 9))]
    _tsv(paths[2], ["category", "name", "samples", "samples_actionable", "percent_of_cohort"],
         ([cat, name, c, ca, f"{100 * c / n:.1f}"] for cat, name, c, ca in counts))
    keys = _alteration_rows(s)
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
    data = {
        "varmatch_version": __version__, "knowledgebase_version": s.kb_version,
        "disclaimer": RESEARCH_USE, "samples": s.n_samples,
        "samples_with_pathway_alterations": sum(1 for r in s.records if r.alterations),
        "samples_with_actionable_alterations": s.n_actionable,
        "genes": {g: {"samples": c, "actionable": s.gene_actionable.get(g, 0)}
                  for g, c in s.gene_samples.most_common()},
        "drugs": dict(s.drug_samples.most_common()),
        "best_tier": {t: s.tier_samples[t] for t in sorted(s.tier_samples,
                                                            key=lambda t: TIER_ORDER.get(t, 9))},
        "failed": [{"sample": a, "error": e} for a, e in s.failed],
        "trials": {r.sample: r.trials for r in s.records if r.trials},
        "seconds": round(s.seconds, 2),
    }
    with atomic_open(paths[4]) as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    with atomic_open(paths[5]) as fh:
        fh.write(render_html(s, data))
    return paths


# --------------------------------------------------------------------------------------------------
# HTML page with an oncoprint-style SVG
TIER_COLORS = {"I": "#b2182b", "II": "#ef8a62", "III": "#67a9cf", "IV": "#bdbdbd"}
TIER_NAMES = {"I": "Tier I (strong clinical significance)",
              "II": "Tier II (potential clinical significance)",
              "III": "Tier III (unknown significance / no bundled therapy evidence)",
              "IV": "Tier IV (benign / no protein change)"}


def oncoprint_svg(s: CohortSummary, max_samples: int = MAX_SVG_SAMPLES) -> tuple[str, int]:
    """An inline SVG: genes as rows (most altered first), altered samples as columns sorted so
    that co-occurring blocks line up (oncoprint order); cells coloured by the best tier. Returns
    the SVG and the number of altered samples not drawn (beyond ``max_samples``)."""
    esc = html.escape
    genes = [g for g, _c in s.gene_samples.most_common()]
    if not genes:
        return "", 0
    grid: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for r in s.records:
        if not r.alterations:
            continue
        per: dict[str, tuple[str, list[str]]] = {}
        for g, a, t in r.alterations:
            best, labels = per.get(g, ("IV", []))
            per[g] = (t if TIER_ORDER.get(t, 9) < TIER_ORDER.get(best, 9) else best, labels + [a])
        grid[r.sample] = per
    rank = {g: i for i, g in enumerate(genes)}

    def key(sample: str) -> tuple:
        per = grid[sample]
        return tuple((0, TIER_ORDER.get(per[g][0], 9)) if g in per else (1, 0) for g in genes) \
            + (sample,)

    order = sorted(grid, key=key)
    hidden = max(0, len(order) - max_samples)
    order = order[:max_samples]
    n = max(s.n_samples, 1)
    label_w, pct_w, top = 90, 50, 10
    cw = max(1.0, min(14.0, 1100.0 / max(len(order), 1)))
    ch, gap = 18, 3
    width = label_w + pct_w + cw * len(order) + 10
    height = top + (ch + gap) * len(genes) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
             f'viewBox="0 0 {width:.0f} {height}" role="img" '
             f'aria-label="Oncoprint of pathway alterations by sample">',
             "<title>Pathway alterations by sample (colour: best AMP/ASCO/CAP tier)</title>"]
    for g in genes:
        y = top + rank[g] * (ch + gap)
        pct = 100 * s.gene_samples[g] / n
        parts.append(f'<text x="{label_w - 6}" y="{y + ch - 5}" text-anchor="end" '
                     f'font-style="italic">{esc(g)}</text>')
        parts.append(f'<text x="{label_w + pct_w - 6}" y="{y + ch - 5}" text-anchor="end">'
                     f"{pct:.1f}%</text>")
        parts.append(f'<rect x="{label_w + pct_w}" y="{y}" width="{cw * len(order):.1f}" '
                     f'height="{ch}" fill="#f0f0f0"/>')
    for j, sample in enumerate(order):
        x = label_w + pct_w + j * cw
        for g, (tier, labels) in grid[sample].items():
            y = top + rank[g] * (ch + gap)
            tip = f"{sample}: {'; '.join(labels)} (tier {tier})"
            parts.append(f'<rect x="{x:.2f}" y="{y}" width="{max(cw - (1 if cw > 3 else 0), 0.5):.2f}"'
                         f' height="{ch}" fill="{TIER_COLORS.get(tier, "#999")}">'
                         f"<title>{esc(tip)}</title></rect>")
    parts.append("</svg>")
    return "\n".join(parts), hidden


def render_html(s: CohortSummary, data: dict) -> str:
    """The self-contained cohort page (no scripts, no external resources; all text escaped)."""
    esc = html.escape
    svg, hidden = oncoprint_svg(s)
    legend = "".join(f'<span class="key"><span class="sw" style="background:{c}"></span>'
                     f"{esc(TIER_NAMES[t])}</span>" for t, c in TIER_COLORS.items())

    def table(header: list[str], rows: Iterable[Iterable]) -> str:
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in r) + "</tr>"
                       for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    n = max(s.n_samples, 1)
    genes = table(["gene", "samples altered", "samples actionable", "% of cohort"],
                  [(g, c, s.gene_actionable.get(g, 0), f"{100 * c / n:.1f}")
                   for g, c in s.gene_samples.most_common()])
    drugs = table(["drug", "samples with a tier I/II match"], s.drug_samples.most_common())
    tiers = table(["best tier", "samples"], data["best_tier"].items())
    shown = [r for r in s.records if r.actionable][:500]
    act = table(["sample", "tumor type", "actionable alterations", "best tier", "drugs"],
                [(r.sample, r.tumor_type, "; ".join(sorted({a.alteration for a in r.actionable})),
                  min((a.tier for a in r.actionable), key=lambda t: TIER_ORDER.get(t, 9)),
                  ", ".join(r.drugs)) for r in shown])
    more = s.n_actionable - len(shown)
    failed = ""
    if s.failed:
        failed = "<h2>Failed samples</h2>" + table(["sample", "error"], s.failed[:200])
    plot = svg or "<p>No pathway alteration in any sample.</p>"
    if hidden:
        plot += (f"<p>{hidden} further altered samples are not drawn; "
                 "<code>cohort.matrix.tsv</code> lists every sample.</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>varmatch cohort summary</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; }}
th {{ background: #f4f4f4; }}
svg {{ font-size: 12px; max-width: 100%; height: auto; }}
.key {{ margin-right: 1.5em; white-space: nowrap; }}
.sw {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }}
.note {{ background: #fff7e6; border-left: 4px solid #f0a500; padding: 0.5em 1em; }}
</style></head><body>
<h1>varmatch cohort summary</h1>
<p class="note">{esc(str(data["disclaimer"]))}</p>
<p>{s.n_samples} samples; {data["samples_with_pathway_alterations"]} with a PI3K/AKT/mTOR-pathway
alteration; {s.n_actionable} with an actionable (tier I/II) alteration; {len(s.failed)} failed.
varmatch {esc(str(data["varmatch_version"]))}, knowledgebase {esc(str(s.kb_version))}.</p>
<h2>Pathway alterations by sample</h2>
<p>{legend}</p>
{plot}
<h2>Genes</h2>{genes}
<h2>Drugs</h2>{drugs}
<h2>Best tier per sample</h2>{tiers}
<h2>Samples with actionable alterations</h2>{act}
{f"<p>{more} more in <code>cohort.actionable.tsv</code>.</p>" if more > 0 else ""}
{failed}
</body></html>
"""
