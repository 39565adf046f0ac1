"""The data flow in one place: read → normalise/annotate → match → tier → (writers).

Library entry points the CLI calls: :func:`annotate_file` (alterations only) and :func:`run_file`
(alterations, matches, tiers). Each returns one :class:`~varmatch.models.SampleResult` per sample.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from varmatch import kb as kbmod
from varmatch import readers
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


def _samples(path: str | Path, opts: Options, annotator: Annotator):
    return readers.read(
        path,
        opts.input_format,
        sample=opts.sample,
        include_filtered=opts.include_filtered,
        genome=opts.genome,
        clinical=opts.clinical,
        amp_threshold=opts.amp_threshold,
        del_threshold=opts.del_threshold,
        gene_filter_for=annotator.gene_filter,
        regions_for=annotator.regions,
        genes=annotator.genes,
        preferred=annotator.preferred,
    )


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
        if stated_code and stated_code != code:
            notes.append(f"--tumor-type {code} overrides the tumor type stated in the input "
                         f"({stated_code})")
        return code
    if stated_code:
        notes.append(f"tumor type {stated_code} taken from the input file")
        return stated_code
    notes.append("no tumor type given (--tumor-type): every row is treated as evidence from "
                 "another tumor type unless it is tumor-agnostic")
    return ROOT


def run_file(path: str | Path, opts: Options, with_matches: bool = True) -> Iterator[SampleResult]:
    kb = kbmod.load(opts.kb_path) if opts.kb_path else kbmod.bundled()
    tree = OncoTree.bundled()
    if opts.tumor_type:
        tree.resolve(opts.tumor_type)  # fail on a bad code before reading anything
    roles = kb.gene_roles()
    annotator = Annotator(kb.pathway_genes, roles, opts.gtf, opts.fasta, kb.preferred_transcripts())
    for sc in _samples(path, opts, annotator):
        alterations, excluded = annotator.annotate_sample(sc)
        notes = list(sc.notes)
        tumor = resolve_tumor_type(opts.tumor_type, sc.tumor_type, tree, notes)
        matches = []
        if with_matches:
            matches = tier_all(match(alterations, kb.evidence, roles), tumor, tree)
        context = tuple(_context_lines(kb, tumor, tree))
        yield SampleResult(
            sample=sc.sample,
            tumor_type=tumor,
            tumor_type_name=tree.name(tumor),
            build=sc.build,
            input_path=str(path),
            alterations=tuple(alterations),
            matches=tuple(matches),
            excluded=tuple(excluded),
            notes=tuple(notes),
            kb_version=kb.manifest.version,
            kb_checksum=kb.manifest.checksum,
            context=context,
        )


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
