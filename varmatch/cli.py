"""Command line: a thin click group. Subcommands parse options and call library functions.

Logging is configured here and only here. A :class:`~varmatch.errors.VarmatchError` becomes one
line on stderr and its exit code; no traceback for a user mistake.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import click

from varmatch import RESEARCH_USE, __version__
from varmatch.errors import (
    EXIT_EMPTY,
    EXIT_INPUT,
    EXIT_USAGE,
    InputError,
    KnowledgebaseError,
    UsageError,
    VarmatchError,
)

log = logging.getLogger("varmatch")

EPILOG = f"""\b
Exit codes: 0 success (with or without findings), 1 internal error (a bug), 2 input or
I/O error, 3 usage error, 4 knowledgebase error, 10 no actionable finding with
--fail-on-empty; diff, rerun and cohort --diff: 20 clinically relevant change, 21
provenance-only change; 130/143 interrupted.
{RESEARCH_USE}"""


NOTICE = 25  # between INFO and WARNING: what a user sees by default ("wrote results/x.json")
logging.addLevelName(NOTICE, "NOTICE")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"level": record.levelname.lower(), "logger": record.name,
                           "message": record.getMessage()})


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if record.levelno == NOTICE:
            return f"varmatch: {record.getMessage()}"
        return f"varmatch: {record.levelname.lower()}: {record.getMessage()}"


def _setup_logging(verbose: int, quiet: bool, log_format: str) -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else
                                         logging.INFO if verbose else NOTICE)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="varmatch")
@click.option("-v", "--verbose", count=True, help="More log detail on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Log lines as text or as JSON objects (for pipelines).")
def cli(verbose: int, quiet: bool, log_format: str) -> None:
    """varmatch: PI3K/AKT/mTOR-pathway alterations in a tumor's sequencing result, matched to a
    tiered (AMP/ASCO/CAP 2017), cited knowledgebase of targeted therapies.

    Typical use:  varmatch run tumor.vcf.gz --tumor-type NPC --out results/
    """
    _setup_logging(verbose, quiet, log_format)


# --------------------------------------------------------------------------------------------------
def _input_options(f):
    f = click.option("--sample", help="Tumor sample column (default: from header hints, else the only sample).")(f)
    f = click.option("--genome", type=click.Choice(["GRCh37", "GRCh38"]),
                     help="Genome build (default: detected from the header).")(f)
    f = click.option("--include-filtered", is_flag=True,
                     help="Keep calls whose FILTER is not PASS (default: left out, listed as excluded).")(f)
    f = click.option("--format", "input_format",
                     help="Input format (default: sniffed from content): vcf, maf, cna, fusion, "
                          "foundation, tso500, hgvs, table.")(f)
    f = click.option("--clinical", type=click.Path(dir_okay=False),
                     help="MAF clinical sidecar (SAMPLE_ID, ONCOTREE_CODE) for per-sample tumor types.")(f)
    f = click.option("--amp-threshold", type=float, default=5.0, show_default=True,
                     help="Absolute copy number at or above which a gene counts as amplified.")(f)
    f = click.option("--min-vaf", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
                     help="Leave out (listed as excluded) calls whose allele fraction is below "
                          "this (0.02 = 2%); calls below 5% are always flagged.")(f)
    f = click.option("--del-threshold", type=float, default=0.5, show_default=True,
                     help="Absolute copy number at or below which a gene counts as deeply deleted.")(f)
    f = click.option("--kb", "kb_path", type=click.Path(file_okay=False),
                     help="Use another knowledgebase directory.")(f)
    f = click.option("--gtf", type=click.Path(exists=True, dir_okay=False),
                     help="Annotate with your own GTF/GFF3 (needs --fasta).")(f)
    f = click.option("--fasta", type=click.Path(exists=True, dir_okay=False),
                     help="Reference FASTA (indexed) for --gtf or genes without bundled sequence.")(f)
    return f


def _options(tumor_type, sample, genome, include_filtered, input_format, kb_path, gtf, fasta,
             clinical=None, amp_threshold=5.0, del_threshold=0.5, min_vaf=0.0):
    from varmatch.models import Build
    from varmatch.pipeline import Options

    if gtf and not fasta:
        raise UsageError("--gtf needs --fasta (the reference sequence for the models)")
    return Options(tumor_type=tumor_type, sample=sample, genome=Build(genome) if genome else None,
                   include_filtered=include_filtered, input_format=input_format, kb_path=kb_path,
                   gtf=gtf, fasta=fasta, clinical=clinical, amp_threshold=amp_threshold,
                   del_threshold=del_threshold, min_vaf=min_vaf)


def _trial_options(f):
    f = click.option("--trial-near", metavar="LAT,LON,DIST",
                     help="Only trials with a site within DIST (km or mi) of LAT,LON, e.g. "
                          "22.3,114.2,200km.")(f)
    f = click.option("--trial-country", metavar="COUNTRY",
                     help="Only trials with a site in COUNTRY (e.g. 'Hong Kong', 'Germany').")(f)
    f = click.option("--trial-phase", multiple=True, metavar="PHASE",
                     help="Only trials of this phase (1, 2, 3, 4, early1); repeatable.")(f)
    f = click.option("--trials-cache", type=click.Path(file_okay=False),
                     help="Cache directory for registry answers (default: $VARMATCH_CACHE_DIR/"
                          "trials or $XDG_CACHE_HOME/varmatch/trials; fresh for 24 h).")(f)
    f = click.option("--trials-url", metavar="URL",
                     help="ClinicalTrials.gov API v2 base URL (default: $VARMATCH_CTGOV_URL or "
                          "https://clinicaltrials.gov/api/v2).")(f)
    f = click.option("--trials", "want_trials", is_flag=True,
                     help="Search ClinicalTrials.gov for recruiting trials (online; off by "
                          "default). Adds the 'trials' format; offline, the report says "
                          "'trials not checked' and the run still succeeds.")(f)
    return f


def _with_trials(options, formats: str, opts: dict):
    """Options with the --trials config (popped from ``opts``), and the formats with 'trials'."""
    from dataclasses import replace

    from varmatch.trials import config_from_options

    want = opts.pop("want_trials")
    cfg = config_from_options(opts.pop("trials_url"), opts.pop("trials_cache"),
                              opts.pop("trial_phase"), opts.pop("trial_country"),
                              opts.pop("trial_near"))
    if not want:
        return options, formats
    names = [f.strip() for f in formats.split(",") if f.strip()]
    if "trials" not in names:
        names.append("trials")
    return replace(options, trials=cfg), ",".join(names)


def _say(message: str) -> None:
    """A progress line on stderr ("wrote ..."), through logging so --quiet and --log-format apply."""
    log.log(NOTICE, message)


STDIN_NAME = "stdin"  # how messages name an input read from '-'


def _exit_on_signal(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds: `finally` blocks remove temp files


@contextlib.contextmanager
def _input(path: str):
    """The file to read for INPUT. ``-`` (stdin) is copied to ``<tmpdir>/stdin`` so formats can be
    sniffed and indexed; errors then name ``stdin``, not the temp file, and the temp folder is
    removed on success, error, SIGINT and SIGTERM."""
    from varmatch import writers

    old = signal.signal(signal.SIGTERM, _exit_on_signal)
    tmpdir = None
    try:
        if path != "-":
            yield path
            return
        tmpdir = tempfile.mkdtemp(prefix="varmatch-stdin-")
        tmp = os.path.join(tmpdir, STDIN_NAME)
        with open(tmp, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        writers.SPOOLED["-"] = tmp
        try:
            yield tmp
        except InputError as exc:
            if exc.path == tmp:
                exc.path = STDIN_NAME
            exc.message = exc.message.replace(tmp, STDIN_NAME)
            raise
    finally:
        if tmpdir:
            writers.SPOOLED.pop("-", None)
            shutil.rmtree(tmpdir, ignore_errors=True)
        signal.signal(signal.SIGTERM, old)


def _as_given(results, input_path: str) -> list:
    """Results that record the input as the user named it (``-`` for stdin, not a temp path), so
    output from stdin is the same on every run."""
    import dataclasses

    return [r if r.input_path == input_path else dataclasses.replace(r, input_path=input_path)
            for r in results]


def _explicit(name: str) -> bool:
    from click.core import ParameterSource

    src = click.get_current_context().get_parameter_source(name)
    return src is not None and src is not ParameterSource.DEFAULT


def _one_file(output: str | None) -> bool:
    """True when ``-o`` names one file (or stdout) rather than a folder."""
    return bool(output) and (output == "-" or not (output.endswith("/") or os.path.isdir(output)))


def _emit(results, out_dir, output, formats) -> None:
    """Write results: ``-o FILE`` (one format, from --formats if given, else from FILE's suffix),
    ``-o -`` (stdout), ``-o DIR/`` or an existing folder (= --out), else the --out set."""
    from varmatch import writers

    names = writers.parse_formats(formats)
    if output and not _one_file(output):
        if _explicit("out_dir"):
            raise UsageError(f"-o {output} is a folder and --out {out_dir} is given too; use one")
        out_dir, output = output, None
    if output:
        if _explicit("out_dir"):
            raise UsageError("-o (one file) and --out (a folder of files) both given; use one")
        inferred = writers.suffix_format(output) if output != "-" else None
        if _explicit("formats"):
            if len(names) > 1:
                raise UsageError(f"-o writes one file but --formats names {len(names)} formats "
                                 f"({', '.join(names)}); give one, or --out DIR for several")
            if inferred and inferred != names[0]:
                log.warning("writing %s to %s as --formats says, although its suffix says %s",
                            names[0], output, inferred)
        name = names[0]
        # the suffix decides unless --formats did, or it merely matches the default's extension
        # (`annotate -o x.tsv` stays the alterations TSV)
        if inferred and not _explicit("formats") and (
                writers.get(inferred).suffix != writers.get(name).suffix.rsplit(".", 1)[-1]):
            name = inferred
        spec = writers.get(name)
        with writers.atomic_open(output, spec.binary) as fh:
            spec.write(results, fh)
        if output != "-":
            _say(f"wrote {output}")
        return
    for path in writers.write_outputs(results, out_dir, names):
        _say(f"wrote {path}")


def _renamed(results, name: str, input_path: str) -> list:
    """The one result of a one-sample input, reported as ``name`` (as a cohort samplesheet does)."""
    from dataclasses import replace

    if len(results) != 1:
        raise UsageError(f"--name needs an input with one sample; {input_path} has "
                         f"{len(results)}; use --sample or `varmatch cohort`")
    r = results[0]
    if r.sample == name:
        return results
    return [replace(r, sample=name, notes=(*r.notes, f"input sample {r.sample!r} reported as "
                                           f"{name!r} (--name)"))]


@cli.command(epilog=EPILOG)
@click.argument("input_path", metavar="INPUT", type=click.Path(allow_dash=True))
@click.option("-t", "--tumor-type", help="Patient's tumor type, an OncoTree code (e.g. NPC, BREAST). "
              "Default: stated in the input, else unknown (all evidence treated as from another tumor type).")
@click.option("--out", "out_dir", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Directory for <sample>.varmatch.<format> files.")
@click.option("-o", "--output", help="Write one format to this file instead ('-' for stdout).")
@click.option("--formats", default="json,tsv,html", show_default=True,
              help="Comma-separated output formats: json, tsv, html (report), vcf (annotated "
                   "input), multiqc (custom-content table), alterations, trials (with "
                   "--trials), va (GA4GH VA-Spec statements), xlsx (Excel workbook; needs "
                   "varmatch[xlsx]).")
@click.option("--fail-on-empty", is_flag=True, help=f"Exit {EXIT_EMPTY} when nothing is actionable.")
@click.option("--name", "--prefix", "name", metavar="NAME",
              help="Report the sample as NAME and write NAME.varmatch.<format> (inputs with one "
                   "sample; e.g. the samplesheet name in a workflow). Default: the input's name.")
@_input_options
@_trial_options
def run(input_path, tumor_type, out_dir, output, formats, fail_on_empty, name, **opts):
    """Read INPUT (VCF/BCF or alteration table; '-' for stdin), find pathway alterations, match
    them to the knowledgebase and write tiered, cited results."""
    from varmatch.pipeline import run_file

    trial_opts = {k: opts.pop(k) for k in list(opts) if k.startswith(("trial", "want_trial"))}
    options, with_trials = _with_trials(_options(tumor_type, **opts), formats, trial_opts)
    if not _one_file(output):  # -o FILE holds one format; the trials are in its JSON anyway
        formats = with_trials
    with _input(input_path) as path:
        results = _as_given(run_file(path, options), input_path)
        if name:
            results = _renamed(results, name, input_path)
        _emit(results, out_dir, output, formats)  # the vcf writer re-reads the input
    n = sum(1 for r in results for m in r.matches if m.evidence.direction.value == "sensitivity")
    for r in results:
        log.info("%s: %d pathway alteration(s), %d therapy match(es)", r.sample,
                 len(r.alterations), len(r.matches))
    if fail_on_empty and n == 0:
        sys.exit(EXIT_EMPTY)


@cli.command(epilog=EPILOG)
@click.argument("input_path", metavar="INPUT", type=click.Path(allow_dash=True))
@click.option("-o", "--output", default="-", show_default=True,
              help="Output file ('-' for stdout).")
@click.option("--formats", default="alterations", show_default=True,
              help="alterations (TSV, input of `varmatch match`) or json.")
@_input_options
def annotate(input_path, output, formats, **opts):
    """Find and annotate the pathway alterations in INPUT, without matching therapies."""
    from varmatch.pipeline import run_file

    options = _options(None, **opts)
    with _input(input_path) as path:
        results = _as_given(run_file(path, options, with_matches=False), input_path)
        _emit(results, None, output, formats)


@cli.command(epilog=EPILOG)
@click.argument("input_path", metavar="ALTERATIONS", type=click.Path(allow_dash=True))
@click.option("-t", "--tumor-type", help="Patient's tumor type (OncoTree code).")
@click.option("--out", "out_dir", default="results", show_default=True, type=click.Path(file_okay=False))
@click.option("-o", "--output", help="Write one format to this file ('-' for stdout).")
@click.option("--formats", default="json,tsv,html", show_default=True,
              help="Comma-separated: json, tsv, html, vcf, multiqc, alterations.")
@click.option("--kb", "kb_path", type=click.Path(file_okay=False), help="Use another knowledgebase directory.")
def match(input_path, tumor_type, out_dir, output, formats, kb_path):
    """Match an annotated alterations table (from `varmatch annotate`, or gene + protein_change
    columns) to the knowledgebase."""
    from varmatch.pipeline import Options, run_file

    with _input(input_path) as path:
        results = _as_given(run_file(path, Options(tumor_type=tumor_type, input_format="table",
                                                   kb_path=kb_path)), input_path)
        _emit(results, out_dir, output, formats)


# --------------------------------------------------------------------------------------------------
@cli.group()
def kb():
    """Inspect and validate the knowledgebase."""


@kb.command("validate")
@click.option("--strict", is_flag=True, help="Also: manifest checksums, every reference checked and cited.")
@click.option("--kb", "kb_path", type=click.Path(file_okay=False))
def kb_validate(strict, kb_path):
    """Check schema, references, OncoTree codes and citations; list every problem."""
    from varmatch import kb as kbmod

    k = kbmod.load(kb_path, strict=strict, schema=True)
    civic = f" + {len(k.imported)} CIViC {k.civic_release}" if k.imported else ""
    click.echo(f"knowledgebase {k.manifest.version}: {len(k.evidence)} evidence rows{civic}, "
               f"{len(k.references)} references, {len(k.drugs)} drugs, {len(k.genes)} genes: OK")


@kb.command("stamp")
@click.option("--version", "version", required=True, help="Knowledgebase version, e.g. 2026.11.23.")
@click.option("--kb", "kb_path", type=click.Path(file_okay=False), default="knowledgebase", show_default=True)
def kb_stamp(version, kb_path):
    """Validate the knowledgebase, then rewrite MANIFEST (version, date, sha256 of each file).
    Runs skip the per-row schema check while the files match their MANIFEST, so a knowledgebase
    that fails validation is never stamped."""
    from varmatch import kb as kbmod

    kbmod.load(kb_path, schema=True)  # raises KnowledgebaseError (exit 4) listing the problems
    m = kbmod.write_manifest(Path(kb_path), version)
    click.echo(f"MANIFEST: version {m.version}, {len(m.checksums)} files, checksum {m.checksum[:12]}")


@kb.command("list")
@click.option("--kb", "kb_path", type=click.Path(file_okay=False))
def kb_list(kb_path):
    """One line per evidence row."""
    from varmatch import kb as kbmod

    k = kbmod.get(kb_path)
    for ev in k.all_evidence:
        click.echo("\t".join([ev.id, str(ev.biomarker), ev.therapy, ev.direction.value,
                              ev.tumor_type, ev.kind.value, ev.level.value,
                              ",".join(c.id for c in ev.citations)]))


@kb.command("show")
@click.argument("name")
@click.option("--kb", "kb_path", type=click.Path(file_okay=False))
def kb_show(name, kb_path):
    """Evidence rows for a GENE or a DRUG."""
    from varmatch import kb as kbmod

    k = kbmod.get(kb_path)
    key = name.lower()
    rows = [ev for ev in k.all_evidence if name.upper() in ev.biomarker.genes
            or key in ev.drugs or key in ev.partners]
    if not rows:
        raise UsageError(f"no evidence row names {name!r}; genes: {', '.join(sorted(k.genes))}")
    for ev in rows:
        click.echo(f"{ev.id}  {ev.biomarker}  →  {ev.therapy}  [{ev.direction}; {ev.tumor_type}; "
                   f"{ev.kind}; level {ev.level}]\n    {ev.summary}\n    "
                   + ", ".join(c.id for c in ev.citations))


@kb.command("update")
@click.argument("source", type=click.Choice(["civic"]))
@click.option("--release", default="latest", show_default=True,
              help="CIViC release: DD-Mon-YYYY (a monthly release), nightly, or latest (= nightly).")
@click.option("--base-url", default=None, help="Download root (default: https://civicdb.org/downloads).")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per request.")
def kb_update(source, release, base_url, timeout):
    """Download a newer CIViC release into the user cache, map and validate it, and print what
    changed. Later runs use it (its date is in every result); VARMATCH_CIVIC=bundled or --kb pins.
    On any failure the current layer is kept."""
    from varmatch import kb as kbmod
    from varmatch.kb import civic

    k = kbmod.load(None)
    res = civic.update(release, base_url or civic.CIVIC_BASE_URL, k, kbmod.cache_dir(), timeout)
    click.echo(f"CIViC {res.release}: {res.rows} rows ({res.unmapped} items not mapped; see "
               f"{res.folder / 'UNMAPPED.md'})")
    for label, ids in (("added", res.added), ("removed", res.removed), ("changed", res.changed)):
        shown = ", ".join(ids[:20]) + (f" ... (+{len(ids) - 20})" if len(ids) > 20 else "")
        click.echo(f"  {label}: {len(ids)}" + (f": {shown}" if ids else ""))
    click.echo(f"now in use: {res.folder} (set VARMATCH_CIVIC=bundled to pin the bundled layer)")


@kb.command("tumor-types")
@click.argument("query", required=False)
def kb_tumor_types(query):
    """List OncoTree codes (optionally those whose code or name contains QUERY)."""
    from varmatch.kb.oncotree import OncoTree

    tree = OncoTree.bundled()
    for code in tree.codes():
        name = tree.name(code)
        if not query or query.lower() in code.lower() or query.lower() in name.lower():
            click.echo(f"{code}\t{name}\t{tree.parent(code) or ''}")


@cli.command(epilog=EPILOG)
@click.argument("inputs", metavar="SAMPLESHEET|MAF|RESULT.json...", nargs=-1, required=True,
                type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", default="cohort", show_default=True,
              type=click.Path(file_okay=False),
              help="Folder for samples/<sample>.varmatch.* and the cohort.* summary files.")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Worker processes (default: the usable cores; 1 runs in this process).")
@click.option("-t", "--tumor-type",
              help="OncoTree code for samples whose samplesheet row or clinical file gives none.")
@click.option("--formats", default="json,tsv", show_default=True,
              help="Per-sample output formats: json, tsv, html, vcf, multiqc, alterations.")
@click.option("--summary-only", is_flag=True,
              help="Write only the cohort summary, no per-sample files.")
@click.option("--resume", is_flag=True,
              help="Skip samples whose outputs are complete and whose input, options, varmatch "
                   "version and knowledgebase match the last run (e.g. after a killed run).")
@click.option("--diff", "diff_dir", type=click.Path(file_okay=False, exists=True),
              help="Compare each sample with the previous cohort folder DIR (its samples/*.json): "
                   "writes cohort.diff.txt/.json; exit 20 if any patient's options changed, 21 if "
                   "only provenance changed.")
@_input_options
@_trial_options
def cohort(inputs, out_dir, jobs, tumor_type, formats, summary_only, resume, diff_dir, sample,
           **opts):
    """Run many samples (a samplesheet with sample, vcf, tumor_type columns, or a MAF) in
    parallel, or summarise existing *.varmatch.json results, and write a cohort summary:
    actionable alterations per sample, counts per gene/drug/tier, an alteration-by-sample
    matrix and an HTML page with an oncoprint."""
    from varmatch.cohort import run_cohort
    from varmatch.errors import EXIT_INPUT

    if sample:
        raise UsageError("--sample does not apply to a cohort; give a vcf_sample column in the "
                         "samplesheet")
    trial_opts = {k: opts.pop(k) for k in list(opts) if k.startswith(("trial", "want_trial"))}
    options, formats = _with_trials(_options(tumor_type, None, **opts), formats, trial_opts)
    summary = run_cohort(list(inputs), out_dir, options, jobs=jobs, formats=formats,
                         summary_only=summary_only, resume=resume)
    _say(f"wrote {out_dir}/cohort.html: {summary.n_samples} samples, "
         f"{summary.n_actionable} with actionable alterations, {len(summary.failed)} failed"
         + (f", {summary.reused} reused from the last run" if resume else ""))
    if summary.failed:
        sys.exit(EXIT_INPUT)
    if diff_dir:
        from varmatch import diff as diffmod

        if summary_only or "json" not in formats.split(","):
            raise UsageError("--diff compares per-sample JSON results: keep json in --formats "
                             "and drop --summary-only")
        new = diffmod.results_in(out_dir) or [  # summarising JSON results: the inputs
            d for i in inputs if i.endswith(".json") for d in diffmod.load_results(i)]
        diffs = diffmod.diff_sets(diffmod.results_in(diff_dir), new)
        sys.exit(_report_diffs(diffs, False, Path(out_dir) / "cohort"))


# --------------------------------------------------------------------------------------------------
def _report_diffs(diffs, as_json: bool, out_prefix: Path | None = None) -> int:
    """Print the diff (text or JSON), optionally also write <prefix>.diff.txt/.json; exit code."""
    from varmatch import diff as diffmod
    from varmatch.writers import atomic_open

    text, data = diffmod.text_report(diffs), diffmod.json_report(diffs)
    if out_prefix is not None:
        with atomic_open(f"{out_prefix}.diff.txt") as fh:
            fh.write(text)
        with atomic_open(f"{out_prefix}.diff.json") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
        _say(f"wrote {out_prefix}.diff.txt and {out_prefix}.diff.json")
    click.echo(json.dumps(data, indent=2) if as_json else text, nl=False if not as_json else True)
    return diffmod.exit_code(diffs)


DIFF_EPILOG = """\b
Exit codes: 0 nothing changed, 20 a clinically relevant change (therapy option added or
removed, tier or level changed, resistance or counter-evidence added or gone, alteration found
or lost, tumor type changed), 21 only provenance changed (knowledgebase version/checksum or
varmatch version), 2 unreadable result file, 3 usage error."""


@cli.command("diff", epilog=DIFF_EPILOG)
@click.argument("old", type=click.Path(dir_okay=False, exists=True))
@click.argument("new", type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON instead of text.")
def diff_cmd(old, new, as_json):
    """What changed between two results (OLD.json NEW.json, from `varmatch run --formats json`)
    for each patient: options, tiers with both "why" sentences, resistance, provenance."""
    from varmatch import diff as diffmod

    sys.exit(_report_diffs(diffmod.diff_sets(diffmod.load_results(old),
                                             diffmod.load_results(new)), as_json))


@cli.command(epilog=DIFF_EPILOG)
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder for the new results and rerun.diff.* (default: RESULTS_DIR/rerun).")
@click.option("--formats", default="json,tsv", show_default=True,
              help="Formats of the new per-sample results (json is always written).")
@click.option("--kb", "kb_path", type=click.Path(file_okay=False),
              help="Knowledgebase to re-match against (default: the bundled one).")
@click.option("-t", "--tumor-type", help="Tumor type for alterations tables with no JSON beside.")
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON instead of text.")
def rerun(results_dir, out_dir, formats, kb_path, tumor_type, as_json):
    """Re-match stored results (*.varmatch.json, or *.varmatch.alterations.tsv) in RESULTS_DIR
    against the current knowledgebase without the original inputs; write the new results and
    what changed per patient."""
    from varmatch import diff as diffmod
    from varmatch import writers
    from varmatch.pipeline import Options

    out = Path(out_dir) if out_dir else Path(results_dir) / "rerun"
    names = writers.parse_formats(formats)
    if "json" not in names:
        names.insert(0, "json")
    new, diffs = diffmod.rerun(results_dir, Options(tumor_type=tumor_type, kb_path=kb_path))
    for path in writers.write_outputs(new, out, names):
        log.info("wrote %s", path)
    _say(f"re-matched {len(new)} sample(s) into {out}")
    sys.exit(_report_diffs(diffs, as_json, out / "rerun"))


# --------------------------------------------------------------------------------------------------
def _error(message: str) -> None:
    """One error line on stderr, JSON when --log-format json was asked for."""
    if logging.getLogger().handlers:
        log.error(message)
    else:  # failed before logging was set up (bad global option)
        click.echo(f"varmatch: error: {message}", err=True)


def main() -> None:
    try:
        cli.main(standalone_mode=False, prog_name="varmatch")
        sys.stdout.flush()  # inside the try, so a closed pipe is handled below
    except SystemExit as exc:
        from click.utils import PacifyFlushWrapper

        if exc.code == 1 and isinstance(sys.stdout, PacifyFlushWrapper):
            sys.exit(0)  # click's own EPIPE exit (`kb list | head`): a closed stdout is not an error
        raise
    except click.exceptions.Abort:
        click.echo("varmatch: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except KnowledgebaseError as exc:
        _error(str(exc) + "".join(f"\n  {p}" for p in exc.problems))
        sys.exit(exc.exit_code)
    except VarmatchError as exc:
        _error(str(exc))
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        # the reader of our stdout went away (`| head`): not an error; silence the final flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except OSError as exc:  # an I/O failure the user can fix (full disk, permission, read-only...)
        if exc.errno not in _USER_IO_ERRORS:
            _internal(exc)
        from varmatch.writers import io_error

        _error(str(io_error(exc, exc.filename or "?", "cannot read or write")))
        sys.exit(EXIT_INPUT)
    except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, keep details for --debug
        _internal(exc)


_USER_IO_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                   errno.ENAMETOOLONG, errno.ENOTDIR, errno.EISDIR, errno.ENOENT, errno.EFBIG,
                   errno.EIO, errno.ENXIO}


def _internal(exc: BaseException) -> None:
    if os.environ.get("VARMATCH_DEBUG"):
        raise exc
    click.echo(f"varmatch: internal error: {exc.__class__.__name__}: {exc} "
               "(a bug; set VARMATCH_DEBUG=1 for the traceback and report it)", err=True)
    sys.exit(1)
