"""Offline variant annotation from transcript models: genomic allele -> gene-level alteration.

Takes a :class:`~varmatch.models.Variant` (VCF coordinates, GRCh37 or GRCh38) and gives one
:class:`~varmatch.models.Alteration` per overlapping gene: SO consequence, HGVS c. (3'-shifted on
the transcript strand), HGVS p. as a :class:`~varmatch.models.ProteinChange`, exon and model
transcript.

Two sources of models:

* :meth:`TranscriptDB.bundled` - the tables built by ``scripts/build_transcript_tables.py`` into
  ``varmatch/data`` (one model per pathway gene and build; see ``varmatch/data/TRANSCRIPTS.md``).
  Genes with bundled sequence get full c./p. annotation; the one model without sequence (RICTOR)
  gets what coordinates and the VCF alleles give (c. position, exon, frameshift or in frame,
  splice class).
* :meth:`TranscriptDB.from_gtf` - a user GTF/GFF3 plus FASTA: any gene, one canonical transcript
  each (MANE Select / Ensembl canonical tag, else the longest CDS).

The VCF REF is checked against the known sequence; a disagreement raises
:class:`~varmatch.errors.ReferenceMismatchError` (almost always the wrong genome build).
:func:`detect_build` tells the build from VCF header contig lengths and reference names.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol

from varmatch import normalize
from varmatch.annotate.hgvs import c_variant, protein_change, revcomp
from varmatch.errors import InputError, ReferenceMismatchError
from varmatch.models import Alteration, Build, Consequence, ProteinChange, Variant

FLANK = 5000  # regions() and up/downstream annotation reach this far beyond the transcript
SPLICE_SITE = 2  # intronic bases of the donor/acceptor dinucleotide
SPLICE_REGION_INTRON = 8
SPLICE_REGION_EXON = 3
_DNA = re.compile(r"^[ACGTN]+$")


def norm_chrom(chrom: str) -> str:
    """'chr14' -> '14', 'chrM' -> 'MT', 'NC_000014.9' -> '14'."""
    from varmatch.readers.contigs import chrom_name

    c = chrom[3:] if chrom[:3].lower() == "chr" else chrom_name(chrom)
    return "MT" if c in ("M", "m") else c


# --------------------------------------------------------------------------------------------------
# Sequence sources
class Sequence(Protocol):
    label: str

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Forward-strand bases ``start..end`` (1-based inclusive), upper case, ``N`` if unknown."""
        ...


class SegmentSequence:
    """Known stretches of a genome (the bundled exon +- 60 bp segments); ``N`` elsewhere."""

    def __init__(self, segments: dict[str, list[tuple[int, str]]], label: str):
        self.label = label
        self._starts = {c: [s for s, _ in sorted(v)] for c, v in segments.items()}
        self._seqs = {c: [q for _, q in sorted(v)] for c, v in segments.items()}

    @classmethod
    def from_fasta_gz(cls, path, label: str) -> SegmentSequence:
        segs: dict[str, list[tuple[int, str]]] = {}
        with gzip.open(path, "rt") as fh:
            text = fh.read()
        for block in text.split(">")[1:]:
            header, _, body = block.partition("\n")
            chrom, span = header.split()[0].split(":")
            segs.setdefault(chrom, []).append((int(span.split("-")[0]), body.replace("\n", "")))
        return cls(segs, label)

    def fetch(self, chrom: str, start: int, end: int) -> str:
        starts = self._starts.get(chrom)
        out = ["N"] * (end - start + 1)
        if not starts or end < start:
            return "".join(out)
        i = max(bisect.bisect_right(starts, start) - 1, 0)
        seqs = self._seqs[chrom]
        while i < len(starts) and starts[i] <= end:
            s, q = starts[i], seqs[i]
            lo, hi = max(start, s), min(end, s + len(q) - 1)
            if lo <= hi:
                out[lo - start:hi - start + 1] = q[lo - s:hi - s + 1]
            i += 1
        return "".join(out)


class FastaSequence:
    """A user FASTA (``pysam.FastaFile`` or path); contig names matched with or without 'chr'."""

    def __init__(self, fasta) -> None:
        import pysam

        self._fa = fasta if hasattr(fasta, "fetch") else pysam.FastaFile(str(fasta))
        self.label = str(getattr(self._fa, "filename", b"FASTA"), "utf-8", "replace") \
            if isinstance(getattr(self._fa, "filename", None), bytes) else str(fasta)
        self._names = {norm_chrom(n): (n, ln) for n, ln in
                       zip(self._fa.references, self._fa.lengths)}

    def fetch(self, chrom: str, start: int, end: int) -> str:
        hit = self._names.get(norm_chrom(chrom))
        if hit is None or end < start:
            return "N" * max(end - start + 1, 0)
        name, length = hit
        lo, hi = max(start, 1), min(end, length)
        if lo > hi:
            return "N" * (end - start + 1)
        seq = self._fa.fetch(name, lo - 1, hi).upper()
        return "N" * (lo - start) + seq + "N" * (end - hi)


class _Overlay:
    """A sequence with the VCF REF filled in where the sequence itself is unknown."""

    def __init__(self, seq: Sequence, chrom: str, pos: int, ref: str):
        self.seq, self.chrom, self.pos, self.ref = seq, chrom, pos, ref
        self.label = seq.label

    def fetch(self, chrom: str, start: int, end: int) -> str:
        got = self.seq.fetch(chrom, start, end)
        if chrom != self.chrom or end < self.pos or start > self.pos + len(self.ref) - 1:
            return got
        chars = list(got)
        for i in range(max(start, self.pos), min(end, self.pos + len(self.ref) - 1) + 1):
            if chars[i - start] == "N":
                chars[i - start] = self.ref[i - self.pos]
        return "".join(chars)


# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Loc:
    """Where a genomic position falls on a transcript."""

    kind: str  # exon | intron | up | down
    k: int = 0  # exon (or intron after exon) index in transcript order, 0-based
    t: int = 0  # transcript index (exon) / distance (up, down)
    d5: int = 0  # intron: distance from the 5' exon's last base
    d3: int = 0  # intron: distance to the 3' exon's first base

    @property
    def region(self) -> tuple[str, int]:
        return (self.kind, self.k)


@dataclass
class Transcript:
    """One coding transcript model: ascending exons, CDS bounds (stop included)."""

    gene: str
    chrom: str
    strand: str
    name: str  # the RefSeq (or Ensembl) name reported as Alteration.transcript
    exons: tuple[tuple[int, int], ...]
    cds_start: int
    cds_end: int
    sequence: str = "genome"  # genome | cds | none (what the bundled data know)
    _tx_exons: list[tuple[int, int]] = field(default_factory=list, repr=False)
    _offsets: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.chrom = norm_chrom(self.chrom)
        self.exons = tuple(sorted(self.exons))
        self._tx_exons = list(self.exons) if self.strand == "+" else list(self.exons)[::-1]
        off = 0
        for s, e in self._tx_exons:
            self._offsets.append(off)
            off += e - s + 1
        self.tx_len = off
        first, last = (self.cds_start, self.cds_end) if self.strand == "+" else (
            self.cds_end, self.cds_start)
        t0, t1 = self.locate(first), self.locate(last)
        if t0.kind != "exon" or t1.kind != "exon":
            raise ValueError(f"{self.name}: CDS bounds not in exons")
        self.cds_t0, self.cds_t1 = t0.t, t1.t
        self._spliced: dict[str, str] = {}

    @property
    def start(self) -> int:
        return self.exons[0][0]

    @property
    def end(self) -> int:
        return self.exons[-1][1]

    @property
    def cds_len(self) -> int:
        return self.cds_t1 - self.cds_t0 + 1

    def locate(self, g: int) -> _Loc:
        n = len(self.exons)
        plus = self.strand == "+"
        if g < self.exons[0][0]:
            return _Loc("up" if plus else "down", t=self.exons[0][0] - g)
        if g > self.exons[-1][1]:
            return _Loc("down" if plus else "up", t=g - self.exons[-1][1])
        i = bisect.bisect_right(self.exons, (g, float("inf"))) - 1
        s, e = self.exons[i]
        if s <= g <= e:
            k = i if plus else n - 1 - i
            t = self._offsets[k] + (g - s if plus else e - g)
            return _Loc("exon", k, t)
        nxt = self.exons[i + 1][0]
        if plus:
            return _Loc("intron", i, d5=g - e, d3=nxt - g)
        return _Loc("intron", n - 2 - i, d5=nxt - g, d3=g - e)

    def _t2c(self, t: int) -> str:
        if t < self.cds_t0:
            return f"-{self.cds_t0 - t}"
        if t <= self.cds_t1:
            return str(t - self.cds_t0 + 1)
        return f"*{t - self.cds_t1}"

    def cpos(self, g: int) -> str:
        """HGVS c. position of a genomic base: ``49``, ``-12``, ``*30``, ``123+5``, ``124-2``."""
        loc = self.locate(g)
        if loc.kind == "exon":
            return self._t2c(loc.t)
        if loc.kind == "up":
            return self._t2c(-loc.t)
        if loc.kind == "down":
            return self._t2c(self.tx_len - 1 + loc.t)
        if loc.d5 <= loc.d3:
            return f"{self._t2c(self._offsets[loc.k + 1] - 1)}+{loc.d5}"
        return f"{self._t2c(self._offsets[loc.k + 1])}-{loc.d3}"

    def genomic(self, c: str) -> int:
        """Genomic position of an HGVS c. position (``49``, ``-12``, ``*30``, ``123+5``,
        ``124-2``): the inverse of :meth:`cpos`. Raises ValueError outside the transcript."""
        m = re.fullmatch(r"([-*]?)(\d+)(?:([+-])(\d+))?", c)
        if not m:
            raise ValueError(f"not an HGVS c. position: {c!r}")
        n = int(m.group(2))
        t = {"": self.cds_t0 + n - 1, "-": self.cds_t0 - n, "*": self.cds_t1 + n}[m.group(1)]
        if not 0 <= t < self.tx_len:
            raise ValueError(f"c.{c} lies outside {self.name}")
        k = bisect.bisect_right(self._offsets, t) - 1
        s, e = self._tx_exons[k]
        plus = self.strand == "+"
        g = s + (t - self._offsets[k]) if plus else e - (t - self._offsets[k])
        if m.group(3):
            d = int(m.group(4)) * (1 if m.group(3) == "+" else -1)
            g += d if plus else -d
        return g

    def spliced(self, seq: Sequence) -> str:
        """The transcript sequence 5'->3' (``N`` where unknown)."""
        key = seq.label
        if key not in self._spliced:
            text = "".join(seq.fetch(self.chrom, s, e) for s, e in self.exons)
            self._spliced[key] = text if self.strand == "+" else revcomp(text)
        return self._spliced[key]


# --------------------------------------------------------------------------------------------------
class TranscriptDB:
    """Model transcripts of one build, their sequence, and the annotator."""

    def __init__(self, transcripts: Iterable[Transcript], sequence: Sequence, build: Build,
                 source: str = "varmatch"):
        self.build = build
        self.sequence = sequence
        self.source = source
        self.transcripts = sorted(transcripts, key=lambda t: (t.chrom, t.start))
        self._by_chrom: dict[str, list[Transcript]] = {}
        for t in self.transcripts:
            self._by_chrom.setdefault(t.chrom, []).append(t)
        self._starts = {c: [t.start - FLANK for t in ts] for c, ts in self._by_chrom.items()}
        self._maxlen = {c: max(t.end - t.start + 2 * FLANK for t in ts)
                        for c, ts in self._by_chrom.items()}
        # (chrom, start, end, gene) of pathway genes with no model (data/gene_regions.tsv)
        self.gene_regions: list[tuple[str, int, int, str]] = []

    # ---- construction ----------------------------------------------------------------------------
    @classmethod
    def bundled(cls, build: Build) -> TranscriptDB:
        """The models shipped in ``varmatch/data`` for ``build`` (loaded once, then cached)."""
        return _bundled(Build(build))

    def with_fasta(self, fasta) -> TranscriptDB:
        """The same models read against a user FASTA (``--fasta``): full c./p. annotation also
        for genes whose sequence is not bundled (RICTOR)."""
        db = TranscriptDB(self.transcripts, FastaSequence(fasta), self.build, self.source)
        db.gene_regions = self.gene_regions
        return db

    @classmethod
    def from_gtf(cls, path: str | Path, fasta, build: Build) -> TranscriptDB:
        """Models from a GTF or GFF3 (optionally gzipped), sequence from ``fasta`` (a
        ``pysam.FastaFile`` or a path; ``None`` for coordinates-only annotation)."""
        seq: Sequence = FastaSequence(fasta) if fasta is not None else SegmentSequence({}, "none")
        txs = _read_gtf(Path(path), seq if fasta is not None else None)
        if not txs:
            raise InputError("no coding transcript found", path)
        return cls(txs, seq, Build(build), source="varmatch")

    # ---- queries ---------------------------------------------------------------------------------
    def regions(self) -> list[tuple[str, int, int, str]]:
        """``(chrom, start, end, gene)`` per gene: the model span +- 5 kb, 1-based inclusive."""
        return ([(t.chrom, max(1, t.start - FLANK), t.end + FLANK, t.gene) for t in self.transcripts]
                + [(c, max(1, s - FLANK), e + FLANK, g) for c, s, e, g in self.gene_regions])

    def region_only_gene(self, chrom: str, pos: int, end: int) -> str | None:
        """The model-less pathway gene (gene span only) that ``chrom:pos-end`` falls in, if any."""
        c = norm_chrom(chrom)
        return next((g for gc, s, e, g in self.gene_regions if gc == c and s <= end and pos <= e),
                    None)

    def _candidates(self, chrom: str, pos: int, end: int) -> list[Transcript]:
        c = norm_chrom(chrom)
        starts = self._starts.get(c)
        if not starts:
            return []
        hi = bisect.bisect_right(starts, end)
        lo = bisect.bisect_left(starts, pos - self._maxlen[c])
        return [t for t in self._by_chrom[c][lo:hi]
                if t.start - FLANK <= end and pos <= t.end + FLANK]

    def overlaps(self, chrom: str, pos: int, end: int | None = None) -> bool:
        """Does ``chrom:pos-end`` touch any model's span +- 5 kb, or the span of a pathway gene
        bundled without a model? (cheap interval test)"""
        end = pos if end is None else end
        return bool(self._candidates(chrom, pos, end)) or any(
            gc == norm_chrom(chrom) and s - FLANK <= end and pos <= e + FLANK
            for gc, s, e, _g in self.gene_regions)

    def has_model(self, chrom: str, pos: int, end: int) -> bool:
        """Does ``chrom:pos-end`` touch a transcript model (+- 5 kb)?"""
        return bool(self._candidates(chrom, pos, end))

    def genes(self) -> list[str]:
        return [t.gene for t in self.transcripts]

    def transcript(self, gene: str) -> Transcript | None:
        return next((t for t in self.transcripts if t.gene == gene), None)

    # ---- REF check -------------------------------------------------------------------------------
    def check_ref(self, variant: Variant) -> None:
        """Raise :class:`ReferenceMismatchError` when REF disagrees with the known sequence."""
        ref = variant.ref.upper()
        if not ref or not self._candidates(variant.chrom, variant.pos, variant.pos + len(ref) - 1):
            return
        found = self.sequence.fetch(norm_chrom(variant.chrom), variant.pos,
                                    variant.pos + len(ref) - 1)
        for i, (want, got) in enumerate(zip(ref, found)):
            if got != "N" and want != "N" and want != got:
                path, line = _source(variant.source)
                raise ReferenceMismatchError(
                    f"{variant.chrom}:{variant.pos + i}: the {self.build} reference has {got} "
                    f"where the VCF REF ({ref} at {variant.chrom}:{variant.pos}) has {want} "
                    f"(expected {found}, found {ref}; {self.sequence.label}); wrong genome "
                    f"build? try --genome GRCh37/GRCh38 (read as {self.build})", path, line)

    def normalize(self, variant: Variant) -> Variant:
        """The variant trimmed and left-aligned in VCF space on the known sequence."""
        c = norm_chrom(variant.chrom)
        return normalize.normalize_variant(
            variant, lambda p: self.sequence.fetch(c, p, p))

    # ---- annotation ------------------------------------------------------------------------------
    def annotate(self, variant: Variant) -> list[Alteration]:
        """One :class:`Alteration` per gene whose model (+- 5 kb) the variant touches."""
        ref, alt = variant.ref.upper(), variant.alt.upper()
        end = variant.pos + max(len(ref), 1) - 1
        txs = self._candidates(variant.chrom, variant.pos, end)
        if not txs:
            return []
        if not ref or not _DNA.match(alt) or not _DNA.match(ref):
            return []  # symbolic, spanning-deletion or missing ALT: nothing to name
        self.check_ref(variant)
        chrom = norm_chrom(variant.chrom)
        seq = _Overlay(self.sequence, chrom, variant.pos, ref)
        pos, r, a = normalize.trim(variant.pos, ref, alt)
        if not r and not a:
            return []
        out = []
        for tx in txs:
            alteration = self._annotate_tx(tx, variant, seq, pos, r, a)
            if alteration is not None:
                out.append(alteration)
        return out

    def _annotate_tx(self, tx: Transcript, variant: Variant, seq: Sequence, pos: int, ref: str,
                     alt: str) -> Alteration | None:
        def base(p: int) -> str:
            return seq.fetch(tx.chrom, p, p)

        # HGVS 3' rule: of the equivalent placements, the most 3' on the transcript strand that
        # lies within one region (exon / intron / flank). A repeat that spans an intron/exon
        # junction is therefore named where HGVS puts it, e.g. EGFR c.2284-5_2290dup is the
        # in-frame p.A763_Y764insFQEA, not an intronic insertion.
        options = normalize.placements(pos, ref, alt, base) if not (ref and alt) else [
            (pos, ref, alt)]
        ordered = options if tx.strand == "+" else options[::-1]  # 5' -> 3' on the transcript
        single = [o for o in ordered if len(self._regions(tx, *o)) == 1]
        pos, ref, alt = single[-1] if single else ordered[0]

        if ref:
            positions = list(range(pos, pos + len(ref)))
        else:
            positions = [pos - 1, pos]
        locs = [tx.locate(g) for g in positions]
        if all(loc.kind in ("up", "down") and loc.t > FLANK for loc in locs):
            return None
        consequences: set[Consequence] = set()
        exon = next((loc.k + 1 for loc in locs if loc.kind == "exon"), None)
        self._splice(tx, ref, locs, consequences)
        exonic = [loc for loc in locs if loc.kind == "exon"]
        in_cds = [loc for loc in exonic if tx.cds_t0 <= loc.t <= tx.cds_t1]
        coding = (len(in_cds) == len(locs)) if not ref else bool(in_cds)
        protein: ProteinChange | None = None
        if coding and len(exonic) == len(locs):
            cons, protein = self._coding(tx, seq, locs, ref, alt)
            consequences.add(cons)
        elif coding:
            if not consequences:
                consequences.add(Consequence.PROTEIN_ALTERING)
        for loc in locs:
            if loc.kind == "exon" and loc.t < tx.cds_t0:
                consequences.add(Consequence.UTR5)
            elif loc.kind == "exon" and loc.t > tx.cds_t1:
                consequences.add(Consequence.UTR3)
            elif loc.kind == "intron":
                consequences.add(Consequence.INTRON)
            elif loc.kind == "up":
                consequences.add(Consequence.UPSTREAM)
            elif loc.kind == "down":
                consequences.add(Consequence.DOWNSTREAM)
        consequence = min(consequences, key=lambda c: c.rank)
        if consequence in (Consequence.SPLICE_ACCEPTOR, Consequence.SPLICE_DONOR) and not (
                protein and protein.kind in ("start_lost",)):
            protein = None
        return Alteration(
            gene=tx.gene, consequence=consequence, protein=protein,
            hgvs_c=self._hgvs_c(tx, seq, pos, ref, alt), transcript=tx.name, exon=exon,
            variant=variant, annotation_source=self.source,
        )

    @staticmethod
    def _regions(tx: Transcript, pos: int, ref: str, alt: str) -> set[tuple[str, int]]:
        if ref:
            return {tx.locate(pos).region, tx.locate(pos + len(ref) - 1).region}
        return {tx.locate(pos - 1).region, tx.locate(pos).region}

    @staticmethod
    def _splice(tx: Transcript, ref: str, locs: list[_Loc], out: set[Consequence]) -> None:
        last_exon = len(tx.exons) - 1

        def exon_edge(loc: _Loc) -> bool:
            off = loc.t - tx._offsets[loc.k]
            length = tx._tx_exons[loc.k][1] - tx._tx_exons[loc.k][0] + 1
            return (loc.k > 0 and off < SPLICE_REGION_EXON) or (
                loc.k < last_exon and length - off <= SPLICE_REGION_EXON)

        if ref:
            for loc in locs:
                if loc.kind == "intron":
                    if loc.d5 <= SPLICE_SITE:
                        out.add(Consequence.SPLICE_DONOR)
                    elif loc.d3 <= SPLICE_SITE:
                        out.add(Consequence.SPLICE_ACCEPTOR)
                    elif min(loc.d5, loc.d3) <= SPLICE_REGION_INTRON:
                        out.add(Consequence.SPLICE_REGION)
                elif loc.kind == "exon" and exon_edge(loc):
                    out.add(Consequence.SPLICE_REGION)
            return
        a, b = locs  # insertion between two adjacent bases
        if a.kind == "intron" and b.kind == "intron":
            if max(a.d5, b.d5) <= SPLICE_SITE:
                out.add(Consequence.SPLICE_DONOR)
            elif max(a.d3, b.d3) <= SPLICE_SITE:
                out.add(Consequence.SPLICE_ACCEPTOR)
            elif min(a.d5, b.d5, a.d3, b.d3) <= SPLICE_REGION_INTRON:
                out.add(Consequence.SPLICE_REGION)
        elif (a.kind == "exon") != (b.kind == "exon"):
            if "intron" in (a.kind, b.kind):
                out.add(Consequence.SPLICE_REGION)
        elif a.kind == "exon" and exon_edge(a) and exon_edge(b):
            out.add(Consequence.SPLICE_REGION)

    def _coding(self, tx: Transcript, seq: Sequence, locs: list[_Loc], ref: str,
                alt: str) -> tuple[Consequence, ProteinChange | None]:
        ts = [loc.t for loc in locs]
        if ref:
            ta, tb = min(ts), max(ts) + 1
        else:
            ta = tb = max(ts)
        ref_o = ref if tx.strand == "+" else revcomp(ref)
        alt_o = alt if tx.strand == "+" else revcomp(alt)
        c0 = tx.cds_t0
        touches_start = (ta <= c0 + 2 and tb - 1 >= c0) if ref else (c0 < ta <= c0 + 2)
        if touches_start:
            return Consequence.START_LOST, ProteinChange("M", 1, 1, "?", "start_lost")
        # the spliced reference comes from the DB sequence (cached per transcript); the VCF REF
        # is put in at [ta, tb) below, so unknown bases under the variant are filled from it
        spliced = tx.spliced(self.sequence) if tx.sequence != "none" or not isinstance(
            self.sequence, SegmentSequence) else "N" * tx.tx_len
        ref_tx = spliced[:ta] + ref_o + spliced[tb:]
        alt_tx = spliced[:ta] + alt_o + spliced[tb:]
        first = (ta - c0) // 3 + 1 if ref else (ta - 1 - c0) // 3 + 1
        last = (max(tb - 1, ta) - c0) // 3 + 1
        delta = len(alt) - len(ref)
        cons, protein = protein_change(ref_tx[c0:], alt_tx[c0:], first, last, delta % 3 != 0,
                                       delta == 0)
        if protein is None and cons is Consequence.PROTEIN_ALTERING:
            # coordinates only: length tells frameshift / in frame; the stop codon is known
            if delta % 3:
                cons = Consequence.FRAMESHIFT
            elif max(tb - 1, ta) >= tx.cds_t1 - 2 and (ref or ta <= tx.cds_t1):
                cons = Consequence.STOP_LOST
            elif delta < 0:
                cons = Consequence.INFRAME_DELETION
            elif delta > 0:
                cons = Consequence.INFRAME_INSERTION
        return cons, protein

    @staticmethod
    def _hgvs_c(tx: Transcript, seq: Sequence, pos: int, ref: str, alt: str) -> str:
        plus = tx.strand == "+"
        ref_o = ref if plus else revcomp(ref)
        alt_o = alt if plus else revcomp(alt)
        if ref:
            first, last = (pos, pos + len(ref) - 1) if plus else (pos + len(ref) - 1, pos)
            if len(ref) == 1 and len(alt) == 1:
                kind = "snv"
            elif not alt:
                kind = "del"
            else:
                kind = "delins"
            return c_variant(kind, tx.cpos(first), tx.cpos(last), ref_o, alt_o)
        n = len(alt)
        if plus:
            before = seq.fetch(tx.chrom, pos - n, pos - 1)
            dup_first, dup_last = pos - n, pos - 1
            left, right = pos - 1, pos
        else:
            before = revcomp(seq.fetch(tx.chrom, pos, pos + n - 1))
            dup_first, dup_last = pos + n - 1, pos
            left, right = pos, pos - 1
        if before == alt_o and "N" not in before:
            return c_variant("dup", tx.cpos(dup_first), tx.cpos(dup_last), "", alt_o)
        return c_variant("ins", tx.cpos(left), tx.cpos(right), "", alt_o)


def _source(source: str) -> tuple[str | None, int | None]:
    if not source:
        return None, None
    path, _, line = source.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return source, None


# --------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def _bundled(build: Build) -> TranscriptDB:
    data = resources.files("varmatch.data")
    seq = SegmentSequence.from_fasta_gz(data / f"genome_{build.value}.fa.gz",
                                        f"bundled {build.value} exon segments")
    txs = []
    header: list[str] | None = None
    for line in (data / "transcripts.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            continue
        row = dict(zip(header, cols))
        if row["build"] != build.value:
            continue
        exons = tuple(zip(map(int, row["exon_starts"].split(",")),
                          map(int, row["exon_ends"].split(","))))
        txs.append(Transcript(row["gene"], row["chrom"], row["strand"],
                              row["refseq"] or row["transcript"], exons, int(row["cds_start"]),
                              int(row["cds_end"]), row["sequence"]))
    db = TranscriptDB(txs, seq, build)
    for line in (data / "gene_regions.tsv").read_text().splitlines():
        cols = line.split("\t")
        if line.startswith("#") or cols[0] == "gene" or len(cols) < 5 or cols[1] != build.value:
            continue
        db.gene_regions.append((cols[2], int(cols[3]), int(cols[4]), cols[0]))
    return db


# --------------------------------------------------------------------------------------------------
_ATTR_GTF = re.compile(r'(\S+)\s+"([^"]*)"')


def _attrs(text: str, gff3: bool) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if gff3:
        for part in text.strip().strip(";").split(";"):
            if "=" in part:
                k, v = part.strip().split("=", 1)
                out.setdefault(k, []).extend(v.split(","))
    else:
        for k, v in _ATTR_GTF.findall(text):
            out.setdefault(k, []).append(v)
    return out


def _read_gtf(path: Path, seq: Sequence | None) -> list[Transcript]:
    """One canonical coding transcript per gene from a GTF/GFF3."""
    opener = gzip.open if path.suffix == ".gz" else open
    gff3 = ".gff" in path.name.lower()
    tx: dict[str, dict] = {}
    gene_names: dict[str, str] = {}
    with opener(path, "rt") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                if line.startswith("##gff-version"):
                    gff3 = True
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 9:
                continue
            chrom, feature, start, end, strand, attr = f[0], f[2], int(f[3]), int(f[4]), f[6], f[8]
            a = _attrs(attr, gff3)
            if gff3:
                if "ID" in a and ("Name" in a or "gene_name" in a or "gene" in a) and (
                        feature in ("gene", "ncRNA_gene", "pseudogene")):
                    gene_names[a["ID"][0]] = (a.get("gene_name") or a.get("Name")
                                              or a.get("gene"))[0]
                if feature in ("mRNA", "transcript"):
                    rec = tx.setdefault(a["ID"][0], {"exons": [], "cds": []})
                    rec.update(chrom=chrom, strand=strand, parent=a.get("Parent", [""])[0],
                               name=(a.get("transcript_id") or a["ID"])[0].removeprefix(
                                   "transcript:"),
                               gene=(a.get("gene_name") or a.get("gene") or [""])[0],
                               tags=set(a.get("tag", [])) | set(a.get("Dbxref", [])))
                    if "version" in a and "." not in rec["name"]:
                        rec["name"] += "." + a["version"][0]
                    continue
                parents = a.get("Parent", [])
            else:
                if "transcript_id" not in a:
                    continue
                parents = a["transcript_id"]
                rec = tx.setdefault(parents[0], {"exons": [], "cds": []})
                name = parents[0]
                if "transcript_version" in a and "." not in name:
                    name += "." + a["transcript_version"][0]
                rec.update(chrom=chrom, strand=strand, name=name,
                           gene=(a.get("gene_name") or a.get("gene_id") or [""])[0])
                rec.setdefault("tags", set()).update(a.get("tag", []))
            for p in parents:
                rec = tx.setdefault(p, {"exons": [], "cds": []})
                if feature == "exon":
                    rec["exons"].append((start, end))
                elif feature in ("CDS", "stop_codon"):
                    rec["cds"].append((start, end))
    best: dict[str, tuple[tuple, Transcript]] = {}
    for tid, rec in tx.items():
        if not rec["cds"] or not rec["exons"] or "chrom" not in rec:
            continue
        gene = rec.get("gene") or gene_names.get(rec.get("parent", ""), "") or tid
        cds_lo = min(s for s, _ in rec["cds"])
        cds_hi = max(e for _, e in rec["cds"])
        exons = _merge(rec["exons"])
        cds_len = sum(min(e, cds_hi) - max(s, cds_lo) + 1 for s, e in exons
                      if min(e, cds_hi) >= max(s, cds_lo))
        try:
            t = Transcript(gene, rec["chrom"], rec["strand"], rec["name"], tuple(exons), cds_lo,
                           cds_hi, "genome" if seq is not None else "none")
        except ValueError:
            continue
        if seq is not None:
            t = _with_stop(t, seq)
        tags = {x.lower() for x in rec.get("tags", set())}
        rank = ("mane_select" in tags, "ensembl_canonical" in tags or "canonical" in tags,
                t.cds_len % 3 == 0, cds_len, t.tx_len, -len(rec["name"]))
        if gene not in best or rank > best[gene][0]:
            best[gene] = (rank, t)
    return [t for _, t in best.values()]


def _merge(exons: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(set(exons)):
        if out and s <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _with_stop(t: Transcript, seq: Sequence) -> Transcript:
    """GTF CDS records exclude the stop codon: extend the CDS by 3 when the next codon is one."""
    cds = t.spliced(seq)[t.cds_t0:t.cds_t1 + 1]
    if cds[-3:] in ("TAA", "TAG", "TGA"):
        return t
    after = t.spliced(seq)[t.cds_t1 + 1:t.cds_t1 + 4]
    if after in ("TAA", "TAG", "TGA"):
        g = [p for p in range(t.cds_start - 3, t.cds_end + 4) if t.locate(p).kind == "exon"]
        ext = t.cds_t1 + 3
        hit = next((p for p in g if t.locate(p).t == ext), None)
        if hit is not None:
            lo, hi = (t.cds_start, hit) if t.strand == "+" else (hit, t.cds_end)
            return Transcript(t.gene, t.chrom, t.strand, t.name, t.exons, lo, hi, t.sequence)
    return t


# --------------------------------------------------------------------------------------------------
_LENGTHS = {
    "1": (249250621, 248956422), "3": (198022430, 198295559), "7": (159138663, 159345973),
    "10": (135534747, 133797422), "12": (133851895, 133275309), "14": (107349540, 107043718),
    "17": (81195210, 83257441), "19": (59128983, 58617616), "X": (155270560, 156040895),
    "2": (243199373, 242193529), "5": (180915260, 181538259), "9": (141213431, 138394717),
}
_LIFTED = re.compile(r"(?:hg19|hg38|grch37|grch38)_?to_?(hg19|hg38|grch37|grch38)", re.I)
_NAMES = (
    (Build.GRCh38, re.compile(r"hg38|grch38|hs38|assembly38|gca_000001405\.15|b38", re.I)),
    (Build.GRCh37, re.compile(r"hg19|grch37|b37|hs37|assembly19|g1k_v37|v37", re.I)),
)


def detect_build(contigs: dict[str, int | None], header_text: str) -> Build | None:
    """GRCh37 or GRCh38 from ``##contig`` lengths, else from reference/assembly names; None if
    neither tells."""
    votes = {Build.GRCh37: 0, Build.GRCh38: 0}
    for name, length in contigs.items():
        pair = _LENGTHS.get(norm_chrom(name))
        if pair and length:
            if length == pair[0]:
                votes[Build.GRCh37] += 1
            elif length == pair[1]:
                votes[Build.GRCh38] += 1
    if votes[Build.GRCh37] != votes[Build.GRCh38]:
        return max(votes, key=votes.__getitem__)
    lifted = _LIFTED.search(header_text)  # e.g. a CrossMap "hg19Tohg38.over.chain": the target
    if lifted:
        return Build.GRCh38 if lifted.group(1).endswith("38") else Build.GRCh37
    ref_lines = [ln for ln in header_text.splitlines()
                 if ln.lower().startswith(("##reference", "##assembly", "##genome", "##contig"))]
    for text in ("\n".join(ref_lines), header_text):
        hits = {b: len(rx.findall(text)) for b, rx in _NAMES}
        if hits[Build.GRCh37] != hits[Build.GRCh38]:
            return max(hits, key=hits.__getitem__)
    return None
