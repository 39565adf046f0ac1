"""Annotate stage: raw calls → pathway :class:`~varmatch.models.Alteration` objects with
oncogenicity.

Takes a reader's :class:`~varmatch.readers.SampleCalls`. A call the file already annotated (VEP,
SnpEff, ANNOVAR, Ion Reporter) keeps that annotation unless the bundled transcript models say
otherwise for the same coordinates, in which case we warn and trust the coordinates (annotation
made on another build or transcript). An unannotated call is annotated offline from the bundled
models (or a user's ``--gtf/--fasta``). Every alteration is then classed oncogenic / likely
oncogenic / VUS / benign with its reason. Only genes of the knowledgebase's pathway list are kept.
"""

from __future__ import annotations

import logging

from varmatch.eligibility import CONTEXT_GENES
from varmatch.errors import AnnotationRequiredError, InputError, ReferenceMismatchError
from varmatch.models import Alteration, Build, Consequence, ExcludedCall, evolve
from varmatch.readers import RawCall, SampleCalls

log = logging.getLogger(__name__)

# A documented floor, not a filter: calls below it keep their matches but carry this caveat in
# every output (JSON ``flags``, TSV ``flags`` column, HTML). 5% is about the lowest fraction
# tissue panels validate routinely; below it a call may be a subclone or an artefact.
LOW_VAF = 0.05
LOW_VAF_FLAG = "below 5% VAF: confirm; possible subclone or artefact"


class Annotator:
    """Holds the transcript database per build (loaded once, on first use)."""

    def __init__(self, genes: frozenset[str], roles: dict[str, str], gtf: str | None = None,
                 fasta: str | None = None, preferred: dict[str, set[str]] | None = None,
                 min_vaf: float = 0.0):
        self.genes = genes
        # genes read beside the pathway for eligibility (ERBB2, ESR1), never matched themselves
        self.read_genes = genes | CONTEXT_GENES
        self.roles = roles
        self.preferred = preferred or {}
        self.gtf = gtf
        self.fasta = fasta
        self.min_vaf = min_vaf
        self._dbs: dict[Build, object] = {}

    def db(self, build: Build):
        if build not in self._dbs:
            from varmatch.annotate.transcripts import TranscriptDB

            try:
                if self.gtf:
                    self._dbs[build] = TranscriptDB.from_gtf(self.gtf, self.fasta, build)
                elif self.fasta:
                    self._dbs[build] = TranscriptDB.bundled(build).with_fasta(self.fasta)
                else:
                    self._dbs[build] = TranscriptDB.bundled(build)
            except (OSError, ValueError, KeyError, IndexError) as exc:  # a user's --gtf / --fasta
                if not (self.gtf or self.fasta):
                    raise
                fasta = bool(self.fasta) and (not self.gtf or str(self.fasta) in str(exc))
                raise InputError(
                    f"cannot use this {'--fasta' if fasta else '--gtf'} file ({str(exc).strip()}); "
                    + ("give a FASTA indexed with `samtools faidx`" if fasta else
                       "give a GTF or GFF3 with 9 tab-separated columns"),
                    self.fasta if fasta else self.gtf) from None
        return self._dbs[build]

    def regions(self, build: Build) -> list[tuple[str, int, int, str]]:
        return self.db(build).regions()

    def gene_filter(self, build: Build | None):
        if build is None:
            return None
        db = self.db(build)
        return db.overlaps

    def infer_build(self, calls: list[RawCall]) -> tuple[Build | None, str]:
        """Tell GRCh37 from GRCh38 by the REF alleles, when the header does not say.

        Only calls whose REF falls on bundled sequence count. A build is chosen when every such
        REF matches it and at least one mismatches the other build (or the other has none).
        Returns (build, note); (None, note) when no call touches bundled sequence on either build.
        """
        from varmatch.annotate.transcripts import norm_chrom

        tally: dict[Build, list[int]] = {}
        for build in Build:
            db = self.db(build)
            ok = bad = 0
            for call in calls:
                v = call.variant
                end = v.pos + len(v.ref) - 1
                if not db.overlaps(v.chrom, v.pos, end):
                    continue
                known = db.sequence.fetch(norm_chrom(v.chrom), v.pos, end).upper()
                pairs = [(a, b) for a, b in zip(v.ref.upper(), known) if b != "N" and a != "N"]
                if not pairs:
                    continue
                if all(a == b for a, b in pairs):
                    ok += 1
                else:
                    bad += 1
            tally[build] = [ok, bad]
        fits = [b for b, (ok, bad) in tally.items() if ok and not bad]
        if len(fits) == 1:
            b = fits[0]
            return b, (f"genome build {b} inferred from REF alleles at {tally[b][0]} pathway "
                       "position(s); pass --genome to set it")
        if not any(ok or bad for ok, bad in tally.values()):
            return None, ("genome build unknown and no call falls on bundled pathway-gene sequence "
                          "on either build: nothing to annotate (pass --genome to be sure)")
        return None, ("genome build cannot be told from the header or from REF alleles "
                      f"(GRCh37 matches/mismatches {tally[Build.GRCh37]}, GRCh38 "
                      f"{tally[Build.GRCh38]})")

    # ----------------------------------------------------------------------------------------------
    def annotate_call(self, call: RawCall, build: Build | None, source: str) -> list[Alteration]:
        alts = [a for a in call.annotations if a.gene in self.read_genes]
        if build is None:
            if call.annotations:
                return alts
            raise AnnotationRequiredError(
                "the VCF carries no consequence annotation and its genome build cannot be told "
                "from the header; pass --genome GRCh37 or --genome GRCh38",
                source,
            )
        db = self.db(build)
        v = call.variant
        if not db.overlaps(v.chrom, v.pos, v.pos + len(v.ref) - 1):
            return alts
        own = [a for a in db.annotate(v) if a.gene in self.read_genes]
        if not call.annotations:
            return own
        # Compare the file's annotation with what the coordinates say, gene by gene.
        mine = {a.gene: a for a in own}
        out = []
        for a in alts:
            ours = mine.pop(a.gene, None)
            model = db.transcript(a.gene)
            if (ours is not None and ours.protein is None and a.consequence is not None
                    and model is not None and model.sequence == "none"
                    and not (self.fasta or self.gtf)):
                # no bundled sequence for this gene: the model cannot tell a synonymous or
                # non-coding change from a protein-altering one, the file's annotation can
                out.append(a)
                continue
            if ours is None or ours.protein is None or a.protein is None or str(ours.protein) == str(a.protein):
                out.append(a if a.protein is not None or ours is None else ours)
                continue
            log.warning(
                "%s: %s annotation %s p.%s disagrees with the coordinates on %s (p.%s); "
                "trusting the coordinates (annotation made on another build or transcript?)",
                v.source, a.annotation_source, a.gene, a.protein, build, ours.protein,
            )
            out.append(ours)
        return out

    def check_build(self, sc: SampleCalls) -> None:
        """A --genome that the REF alleles contradict is an error naming the build they fit.

        Used when no call fell in a pathway gene on the given build and the reader probed the
        other build's pathway regions (``sc.probe``)."""
        if not sc.probe or sc.build is None:
            return
        fits, _note = self.infer_build(sc.probe)
        if fits is not None and fits is not sc.build:
            raise ReferenceMismatchError(
                f"read as {sc.build} (--genome), no record falls in a pathway gene, but the REF "
                f"alleles of {len(sc.probe)} record(s) match {fits} at its pathway positions: "
                f"the file looks like {fits}; pass --genome {fits}", sc.source)

    def _too_many_mismatches(self, sc: SampleCalls) -> None:
        """REF disagreeing at most pathway positions means the wrong build: an error naming the
        build the REF alleles fit (one stray record is only excluded). Filtered and unsupported
        records count too: their REF is as telling."""
        if sc.build is None:
            return
        db = self.db(sc.build)
        records = sc.calls + [c for c, _ in sc.excluded_calls]
        checked, bad, seen = 0, [], set()
        for c in records:
            v = c.variant
            if (v.chrom, v.pos, v.ref) in seen or not db.has_model(v.chrom, v.pos,
                                                                   v.pos + len(v.ref) - 1):
                continue
            seen.add((v.chrom, v.pos, v.ref))  # one record, however many ALT alleles
            checked += 1
            try:
                db.check_ref(v)
            except ReferenceMismatchError as exc:
                bad.append(exc)
        if len(bad) < 2 or len(bad) * 2 <= checked:
            return
        other = Build.GRCh37 if sc.build is Build.GRCh38 else Build.GRCh38
        fits, _ = self.infer_build(records)
        likely = (f"the file looks like {fits}; pass --genome {fits}" if fits is other else
                  "check the reference the calls were made on (--genome, or --fasta for another "
                  "assembly)")
        raise ReferenceMismatchError(
            f"REF disagrees with the {sc.build} reference at {len(bad)} of {checked} "
            f"pathway positions (first: {bad[0].message}); {likely}", sc.source)

    def classify(self, alt: Alteration, **changes) -> Alteration:
        """``alt`` with its oncogenicity, hotspot status and flags (and ``changes``), in one copy."""
        from varmatch.annotate.oncogenicity import classify

        onc, reason, hotspot = classify(alt, self.roles)
        flags = alt.flags
        if alt.vaf is not None and alt.vaf < LOW_VAF and LOW_VAF_FLAG not in flags:
            flags = (*flags, LOW_VAF_FLAG)
        return evolve(alt, oncogenicity=onc, oncogenicity_reason=reason, hotspot=hotspot,
                      flags=flags, **changes)

    def below_min_vaf(self, sc: SampleCalls) -> None:
        """Move calls below ``--min-vaf`` to the excluded calls, with the reason."""
        if self.min_vaf <= 0:
            return
        keep = []
        for call in sc.calls:
            vaf = call.variant.vaf
            if vaf is not None and vaf < self.min_vaf:
                sc.excluded_calls.append(
                    (call, f"allele fraction {vaf:.1%} below --min-vaf {self.min_vaf:.1%}"))
            else:
                keep.append(call)
        sc.calls = keep
        low = [a for a in sc.alterations if a.vaf is not None and a.vaf < self.min_vaf]
        for a in low:
            sc.excluded.append(ExcludedCall(f"{a} ({a.variant})", f"allele fraction {a.vaf:.1%} "
                                            f"below --min-vaf {self.min_vaf:.1%}",
                                            a.variant.source if a.variant else ""))
        sc.alterations = [a for a in sc.alterations if a not in low]

    def annotate_sample(self, sc: SampleCalls) -> tuple[list[Alteration], list[ExcludedCall]]:
        """Alterations (pathway genes only, classified, de-duplicated) and the excluded calls
        that fall in pathway genes, with their reasons."""
        found: dict[tuple, Alteration] = {}
        if sc.build is None and any(not c.annotations for c in sc.calls):
            build, note = self.infer_build(sc.calls + [c for c, _ in sc.excluded_calls])
            sc.notes.append(note)
            if build is None and "nothing to annotate" not in note:
                raise AnnotationRequiredError(
                    f"{note}; pass --genome GRCh37 or --genome GRCh38", sc.source)
            if build is None:  # keep only what the file annotated itself
                sc.calls = [c for c in sc.calls if c.annotations]
                sc.excluded_calls = [(c, r) for c, r in sc.excluded_calls if c.annotations]
            sc.build = build
        self.check_build(sc)
        self.below_min_vaf(sc)
        self._too_many_mismatches(sc)
        excluded = list(sc.excluded)
        for call in sc.calls:
            try:
                alts = self.annotate_call(call, sc.build, sc.source)
            except ReferenceMismatchError as exc:
                # one bad record is excluded with its reason; the build check below decides
                # whether the whole file is on another build
                v = call.variant
                excluded.append(ExcludedCall(f"{v.chrom}:{v.pos} {v.ref}>{v.alt}",
                                             f"REF does not match the {sc.build} reference "
                                             f"({exc.message.split('; wrong genome')[0]})", v.source))
                continue
            if not alts and not call.annotations and sc.build is not None:
                v = call.variant
                gene = self.db(sc.build).region_only_gene(v.chrom, v.pos, v.pos + len(v.ref) - 1)
                if gene in self.genes:
                    excluded.append(ExcludedCall(
                        f"{gene} ({v})", f"no bundled transcript model for {gene} (gene span "
                        "only): pass --gtf and --fasta, or give a file annotated by VEP/SnpEff/"
                        "ANNOVAR", v.source))
            for alt in alts:
                alt = self.classify(alt, sample=sc.sample)
                found.setdefault((alt.key, str(alt.variant)), alt)
        for alt in sc.alterations:
            if alt.gene in self.read_genes:
                alt = self.classify(alt, sample=alt.sample or sc.sample)
                found.setdefault((alt.key, str(alt.variant)), alt)
        # context genes (ERBB2, ESR1) go aside for eligibility.py; only protein-altering ones
        sc.context = [a for a in found.values() if a.gene not in self.genes
                      and (a.type.value != "mutation" or a.consequence is None
                           or a.consequence.is_protein_altering)]
        found = {k: a for k, a in found.items() if a.gene in self.genes}
        for key, alt in list(found.items()):
            c = alt.consequence
            if c is None and alt.protein is not None and alt.protein.kind == "synonymous":
                c = Consequence.SYNONYMOUS
            if alt.type.value == "mutation" and c is not None and not c.is_protein_altering:
                # intronic, UTR, synonymous: listed with the reason, never matched
                del found[key]
                src = alt.variant.source if alt.variant else ""
                excluded.append(ExcludedCall(f"{alt} ({alt.variant})" if alt.variant else str(alt),
                                             f"no protein change ({c})", src))
        for call, reason in sc.excluded_calls:
            try:
                alts = self.annotate_call(call, sc.build, sc.source)
            except (AnnotationRequiredError, ReferenceMismatchError):
                alts = []
            for alt in alts:
                if alt.gene in self.genes:
                    excluded.append(ExcludedCall(f"{alt} ({call.variant})", reason,
                                                 call.variant.source))
        ordered = sorted(found.values(), key=lambda a: (a.gene, a.protein.start if a.protein else 0, str(a)))
        return ordered, excluded
