"""A small UCSC-chain liftover for the tests: parse a chain file, lift 1-based points, lift a VCF.

Chain format (https://genome.ucsc.edu/goldenPath/help/chain.html)::

    chain score tName tSize tStrand tStart tEnd qName qSize qStrand qStart qEnd id
    size dt dq
    ...
    size

Coordinates are 0-based half-open. Each block aligns ``[t, t + size)`` of the target (the build we
lift *from*) with ``[q, q + size)`` of the query (the build we lift *to*); ``dt``/``dq`` are the
unaligned gaps before the next block. Query coordinates of a ``-`` strand chain count from the end
of the reverse-complemented query sequence: forward position = ``qSize - 1 - q``.

Only ``+`` target-strand chains are used (UCSC always writes ``+``; any other is skipped). A point
is lifted only when it falls inside an aligned block, never inside a gap. VCF records whose chain is
on the ``-`` query strand are dropped (their REF/ALT would need reverse-complementing and
re-anchoring), and so are records that do not lift, that lift to another chromosome, that span a
gap or a block edge, or that lift to more than one place.
"""

from __future__ import annotations

import bisect
import gzip
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# GRCh38 primary assembly lengths (Ensembl names).
GRCH38_LENGTHS = {
    "1": 248956422, "2": 242193529, "3": 198295559, "4": 190214555, "5": 181538259,
    "6": 170805979, "7": 159345973, "8": 145138636, "9": 138394717, "10": 133797422,
    "11": 135086622, "12": 133275309, "13": 114364328, "14": 107043718, "15": 101991189,
    "16": 90338345, "17": 83257441, "18": 80373285, "19": 58617616, "20": 64444167,
    "21": 46709983, "22": 50818468, "X": 156040895, "Y": 57227415, "MT": 16569,
}


@dataclass(frozen=True)
class Hit:
    """Where a 1-based target position lands: query contig, 1-based forward position, strand."""

    chrom: str
    pos: int
    strand: str
    chain_id: str


@dataclass
class Chain:
    score: float
    t_name: str
    t_size: int
    t_strand: str
    t_start: int
    t_end: int
    q_name: str
    q_size: int
    q_strand: str
    q_start: int
    q_end: int
    chain_id: str
    # aligned blocks: (t_start, q_start, size), 0-based, q on the chain's query strand
    blocks: list[tuple[int, int, int]] = field(default_factory=list)
    _t_starts: list[int] = field(default_factory=list, repr=False)

    def finish(self) -> None:
        """Check that the blocks add up to the header's spans, and index them."""
        if self.blocks:
            t0, q0, n = self.blocks[-1]
            if (t0 + n, q0 + n) != (self.t_end, self.q_end):
                raise ValueError(f"chain {self.chain_id}: blocks end at {t0 + n}/{q0 + n}, "
                                 f"header says {self.t_end}/{self.q_end}")
        self._t_starts = [b[0] for b in self.blocks]

    def lift0(self, t: int) -> int | None:
        """0-based target position -> 0-based forward-strand query position, or None (gap)."""
        if not self.t_start <= t < self.t_end:
            return None
        i = bisect.bisect_right(self._t_starts, t) - 1
        if i < 0:
            return None
        bt, bq, n = self.blocks[i]
        if t >= bt + n:  # in the gap after block i
            return None
        q = bq + (t - bt)
        return q if self.q_strand == "+" else self.q_size - 1 - q


class ChainMap:
    """All chains of a file, looked up by target contig name."""

    def __init__(self, chains: list[Chain]):
        self.chains = chains
        self.skipped_target_minus = 0
        self._by_t: dict[str, list[Chain]] = {}
        for c in chains:
            if c.t_strand != "+":
                self.skipped_target_minus += 1
                continue
            self._by_t.setdefault(c.t_name, []).append(c)

    @classmethod
    def parse(cls, lines) -> ChainMap:
        chains: list[Chain] = []
        cur: Chain | None = None
        t = q = 0
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            f = line.split()
            if f[0] == "chain":
                if cur is not None:
                    cur.finish()
                if len(f) not in (12, 13):
                    raise ValueError(f"bad chain header: {line!r}")
                cur = Chain(float(f[1]), f[2], int(f[3]), f[4], int(f[5]), int(f[6]), f[7],
                            int(f[8]), f[9], int(f[10]), int(f[11]), f[12] if len(f) > 12 else "")
                chains.append(cur)
                t, q = cur.t_start, cur.q_start
                continue
            if cur is None:
                raise ValueError(f"block line before any chain header: {line!r}")
            size = int(f[0])
            cur.blocks.append((t, q, size))
            if len(f) == 3:
                t += size + int(f[1])
                q += size + int(f[2])
            elif len(f) != 1:
                raise ValueError(f"bad block line in chain {cur.chain_id}: {line!r}")
        if cur is not None:
            cur.finish()
        return cls(chains)

    @classmethod
    def from_file(cls, path: str | Path) -> ChainMap:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt") as fh:
            return cls.parse(fh)

    def query_sizes(self) -> dict[str, int]:
        return {c.q_name: c.q_size for c in self.chains}

    def _chains_for(self, chrom: str) -> list[Chain]:
        for name in (chrom, chrom.removeprefix("chr"), "chr" + chrom):
            if name in self._by_t:
                return self._by_t[name]
        return []

    def lift_all(self, chrom: str, pos: int) -> list[Hit]:
        """Every distinct place a 1-based position lands (empty when in no aligned block)."""
        hits = set()
        for c in self._chains_for(chrom):
            q = c.lift0(pos - 1)
            if q is not None:
                hits.add(Hit(c.q_name, q + 1, c.q_strand, c.chain_id))
        return sorted(hits, key=lambda h: (h.chrom, h.pos, h.strand, h.chain_id))

    def lift(self, chrom: str, pos: int) -> Hit | None:
        """The single place a 1-based position lands; None when unmapped or ambiguous."""
        places = {(h.chrom, h.pos, h.strand) for h in self.lift_all(chrom, pos)}
        if len(places) != 1:
            return None
        return self.lift_all(chrom, pos)[0]


@dataclass
class LiftedVcf:
    path: Path
    lifted: int
    dropped: Counter
    # (chrom, old pos, new pos, ref) of every lifted record
    moves: list[tuple[str, int, int, str]]
    # (chrom, pos, ref, reason) of every dropped record
    dropped_records: list[tuple[str, int, str, str]]


def _records_span_hits(chain: ChainMap, chrom: str, pos: int, ref: str) -> tuple[Hit | None, str]:
    """Lift a REF span; (hit of its first base, '') or (None, why it was dropped)."""
    first = chain.lift_all(chrom, pos)
    if not first:
        return None, "unmapped"
    if len({(h.chrom, h.pos, h.strand) for h in first}) > 1:
        return None, "ambiguous"
    hit = first[0]
    if hit.strand != "+":
        return None, "minus_strand"
    if hit.chrom.removeprefix("chr") != chrom.removeprefix("chr"):
        return None, "other_chromosome"
    last = chain.lift(chrom, pos + len(ref) - 1)
    if last is None or (last.chrom, last.pos, last.strand) != (hit.chrom,
                                                               hit.pos + len(ref) - 1, "+"):
        return None, "span_not_contiguous"
    return hit, ""


def lift_vcf(src: str | Path, dst: str | Path, chain: ChainMap,
             lengths: dict[str, int] = GRCH38_LENGTHS, reference: str = "GRCh38") -> LiftedVcf:
    """Lift every record's POS (REF/ALT kept) and write a sorted VCF with new ##contig lines.

    Old ``##contig``, ``##reference`` and liftover provenance lines are replaced; other meta lines
    (INFO/FORMAT definitions, annotation provenance) are kept. Contig IDs are the input's (declared
    contigs first, then record CHROMs, in order of appearance) with the new lengths.
    """
    src, dst = Path(src), Path(dst)
    opener = gzip.open if src.suffix == ".gz" else open
    meta: list[str] = []
    header = ""
    contigs: list[str] = []
    records: list[tuple[int, int, str]] = []
    moves: list[tuple[str, int, int, str]] = []
    dropped: Counter = Counter()
    gone: list[tuple[str, int, str, str]] = []
    stale = ("##contig=", "##reference=", "##liftover", "##new_reference_genome")
    with opener(src, "rt") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("##"):
                if line.startswith("##contig=<"):
                    m = re.search(r"[<,]ID=([^,>]+)", line)
                    if m and m.group(1) not in contigs:
                        contigs.append(m.group(1))
                if not line.lower().startswith(stale):
                    meta.append(line)
                continue
            if line.startswith("#"):
                header = line
                continue
            if not line.strip():
                continue
            cols = line.split("\t")
            chrom, pos, ref = cols[0], int(cols[1]), cols[3]
            if chrom not in contigs:
                contigs.append(chrom)
            hit, why = _records_span_hits(chain, chrom, pos, ref)
            if hit is None:
                dropped[why] += 1
                gone.append((chrom, pos, ref, why))
                continue
            cols[1] = str(hit.pos)
            moves.append((chrom, pos, hit.pos, ref))
            records.append((contigs.index(chrom), hit.pos, "\t".join(cols)))
    missing = [c for c in contigs if c.removeprefix("chr") not in lengths]
    if missing:
        raise ValueError(f"no {reference} length for contig(s) {missing}")
    out = [meta[0] if meta and meta[0].startswith("##fileformat") else "##fileformat=VCFv4.2"]
    out += [m for m in meta if not m.startswith("##fileformat")]
    out.append(f"##reference={reference}")
    out += [f"##contig=<ID={c},length={lengths[c.removeprefix('chr')]}>" for c in contigs]
    out.append(header)
    out += [r for _, _, r in sorted(records, key=lambda r: (r[0], r[1]))]
    dst.write_text("\n".join(out) + "\n")
    return LiftedVcf(dst, len(records), dropped, moves, gone)
