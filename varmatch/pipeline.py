"""The data flow in one place: read → normalise/annotate → match → tier → (writers).

Library entry points the CLI calls: :func:`annotate_file` (alterations only) and :func:`run_file`
(alterations, matches, tiers). Each returns one :class:`~varmatch.models.SampleResult` per sample.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from varmatch import eligibility, readers
from varmatch import kb as kbmod
from varmatch.annotate import Annotator
from varmatch.errors import UsageError
from varmatch.kb.oncotree import OncoTree
from varmatch.match import match
from varmatch.models import Build, SampleResult
from varmatch.tiers import ROOT, tier_all

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    tumor_type: str | None = None
    sample: str | None = None
    genome: Build | None = None
    include_filtered: bool = False
    input_format: str | None = None
    kb_path: str | None = None
    gtf: str | None = None
    fasta: str | None = None
    clinical: str | None = None  # MAF clinical sidecar: sample -> ONCOTREE_CODE
    amp_threshold: float = 5.0  # absolute copy number at or above which a gene is amplified
    del_threshold: float = 0.5  # absolute copy number at or below which a gene is deeply deleted
    min_vaf: float = 0.0  # calls below this allele fraction are excluded (0.0 keeps every call)
    trials: object | None = None  # a varmatch.trials.TrialsConfig: search ClinicalTrials.gov


def resolve_tumor_type(requested: str | None, stated: str | None, tree: OncoTree,
                       notes: list[str]) -> str:
    """--tumor-type wins; a conflicting type stated in the file is reported, never silent."""
    stated_code = None
    if stated:
        try:
            stated_code = tree.resolve(stated)
        except UsageError:
            notes.append(f"the input states tumor type {stated!r}, which is not an OncoTree code")
    if requested:
        code = tree.resolve(requested)
        if tree.alias_note(requested):
            notes.append(tree.alias_note(requested))
        if stated_code and stated_code != code:
            notes.append(f"--tumor-type {code} overrides the tumor type stated in the input "
                         f"({stated_code})")
        return code
    if stated_code:
        notes.append(f"tumor type {stated_code} taken from the input file")
        return stated_code
    note = ("no tumor type given (--tumor-type): every row is treated as evidence from another "
            "tumor type unless it is tumor-agnostic")
    log.warning("%s", note)
    notes.append(note)
    return ROOT


class Engine:
    """Knowledgebase, OncoTree and annotator, loaded once; turns inputs into results.

    ``run_file`` uses one engine per call; cohort mode keeps one per worker process.
    """

    def __init__(self, opts: Options):
        self.opts = opts
        self.kb = kbmod.get(opts.kb_path)
        self.tree = OncoTree.bundled()
        self.roles = self.kb.gene_roles()
        self.annotator = Annotator(self.kb.pathway_genes, self.roles, opts.gtf, opts.fasta,
                                   self.kb.preferred_transcripts(), min_vaf=opts.min_vaf)
        self._tiers: dict = {}  # tier_candidate's memo: keys hold id()s of self.kb's rows

    def samples(self, path: str | Path, opts: Options | None = None, **extra) -> Iterator:
        """The :class:`~varmatch.readers.SampleCalls` of one input, read with the pathway filter;
        ``extra`` goes to the reader (e.g. the cohort's streaming MAF hooks)."""
        o = opts or self.opts
        a = self.annotator
        return readers.read(
            path, o.input_format, sample=o.sample, include_filtered=o.include_filtered,
            genome=o.genome, clinical=o.clinical, amp_threshold=o.amp_threshold,
            del_threshold=o.del_threshold, gene_filter_for=a.gene_filter, regions_for=a.regions,
            genes=a.read_genes, preferred=a.preferred, **extra,
        )

    def result(self, sc, input_path: str, tumor_type: str | None = None,
               with_matches: bool = True) -> SampleResult:
        """Annotate, match and tier one sample; ``tumor_type`` overrides what the file states."""
        alterations, excluded = self.annotator.annotate_sample(sc)
        notes = list(sc.notes)  # after annotation: it may add notes (e.g. an inferred build)
        tumor = resolve_tumor_type(tumor_type, sc.tumor_type, self.tree, notes)
        matches = []
        if with_matches:
            matches = tier_all(match(alterations, self.kb.all_evidence, self.roles), tumor, self.tree,
                               self._tiers)
            matches = eligibility.annotate_matches(matches, sc.context)
        result = SampleResult(
            sample=sc.sample, tumor_type=tumor, tumor_type_name=self.tree.name(tumor),
            build=sc.build, input_path=input_path, alterations=tuple(alterations),
            matches=tuple(matches), excluded=tuple(excluded), notes=tuple(notes),
            kb_version=self.kb.manifest.version, kb_checksum=self.kb.checksum,
            civic_release=self.kb.civic_release,
            context=tuple(self.context(tumor)),
        )
        if with_matches and self.opts.trials is not None:
            from varmatch import trials

            result = trials.attach(result, self.opts.trials, self.kb.drugs, self.tree)
        return result

    def context(self, tumor: str) -> list[str]:
        return _context_lines(self.kb, tumor, self.tree)


def run_file(path: str | Path, opts: Options, with_matches: bool = True) -> Iterator[SampleResult]:
    engine = Engine(opts)
    if opts.tumor_type:
        engine.tree.resolve(opts.tumor_type)  # fail on a bad code before reading anything
    for sc in engine.samples(path):
        yield engine.result(sc, str(path), opts.tumor_type, with_matches)


def _context_lines(kb, tumor: str, tree: OncoTree) -> list[str]:
    """Standard lines of therapy for the tumor type (or its nearest ancestor with context)."""
    for code in [tumor, *tree.ancestors(tumor)]:
        ctx = kb.context.get(code)
        if isinstance(ctx, dict):
            out = []
            for line in ctx.get("lines", []):
                if isinstance(line, dict):
                    cites = line.get("citation") or line.get("citations") or []
                    cites = [cites] if isinstance(cites, str) else list(cites)
                    out.append(f"{line.get('line', '')}: {line.get('regimen', '')}"
                               + (f" [{', '.join(cites)}]" if cites else ""))
            if ctx.get("note"):
                out.append(str(ctx["note"]))
            return out
    return []
