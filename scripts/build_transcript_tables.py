"""Build varmatch's bundled transcript tables from the shared reference data.

Takes the read-only data set described in ``/work/shared/data/SOURCES.md`` (LRG-derived models and
gene slices, the Ensembl TARK KRAS models, the Ensembl v75 genePred models and their GRCh38
liftover, the LRG_344/LRG_724 CDS sequences) and gives compact, derived files in ``varmatch/data/``:

* ``transcripts.tsv``  one model transcript per gene and build: exons, CDS bounds, the RefSeq name,
  what sequence is bundled (``genome`` = exons +-60 bp, ``cds`` = coding exons only, ``none``) and
  the provenance / check of each row (header comments say which source file each fact came from);
* ``cds.fa.gz``        the CDS of each model with sequence (build independent);
* ``genome_GRCh37.fa.gz`` / ``genome_GRCh38.fa.gz``  forward-strand genomic segments, only what the
  annotator needs: exons +-60 bp for the LRG genes, the coding exons for KRAS, ERBB2, AKT2, AKT3
  and PIK3R1.

AKT2 and AKT3 have no sequence in the shared data; their CDS comes from ``scripts/sources/
lrg_extra_cds.tsv`` (transcribed from the public LRG_1391 / LRG_1396 XML records, provenance in the
file) and is placed on the Ensembl v75 model only after the LRG exons, mapped to each build through
the LRG's own assembly mapping, are shown to be the model's coding exons. PIK3R1 (no LRG exists) takes
its CDS from ``scripts/sources/genome_slice_cds.tsv``: spliced from a public GRCh38 chr5 slice along the
GRCh38 model's coding exons, it must translate to the full UniProt protein and is placed on the GRCh37
model only if every coding-exon length agrees.

Every derived fact is checked before it is written (CDS rebuilt from the genome segments equals the
LRG cDNA-derived CDS, translates from M to a single terminal stop; hotspot codons) and the results
are written to ``varmatch/data/TRANSCRIPTS.md``. The script fails loudly if a check fails.

Usage: ``python scripts/build_transcript_tables.py [--shared /work/shared/data] [--out DIR]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

PAD = 60  # bp of intron kept on each side of each exon (splice sites, left-alignment, REF checks)
FLANK = 5000  # gene span +- this many bp is what TranscriptDB.regions() reports

CODE = {
    a + b + c: "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"[i]
    for i, (a, b, c) in enumerate(
        (x, y, z) for x in "TCAG" for y in "TCAG" for z in "TCAG"
    )
}
COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def revcomp(s: str) -> str:
    return s.translate(COMP)[::-1]


def translate(cds: str) -> str:
    return "".join(CODE.get(cds[i:i + 3], "X") for i in range(0, len(cds) - 2, 3))


def read_fasta(path: Path) -> dict[str, tuple[str, str]]:
    """{first word of header: (full header, sequence)}"""
    out: dict[str, tuple[str, str]] = {}
    name = header = ""
    chunks: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            if name:
                out[name] = (header, "".join(chunks).upper())
            header = line[1:]
            name = header.split()[0]
            chunks = []
        else:
            chunks.append(line.strip())
    if name:
        out[name] = (header, "".join(chunks).upper())
    return out


@dataclass
class Model:
    gene: str
    build: str
    chrom: str
    strand: str
    transcript: str
    refseq: str
    ensembl: str
    exon_starts: list[int]
    exon_ends: list[int]
    cds_start: int
    cds_end: int
    cds_len: int
    sequence: str  # genome | cds | none
    source: str
    check: str = ""

    @property
    def tx_start(self) -> int:
        return self.exon_starts[0]

    @property
    def tx_end(self) -> int:
        return self.exon_ends[-1]

    def cds_blocks(self) -> list[tuple[int, int]]:
        """Coding parts of exons, in transcript order (5'->3')."""
        blocks = []
        for s, e in zip(self.exon_starts, self.exon_ends):
            s2, e2 = max(s, self.cds_start), min(e, self.cds_end)
            if s2 <= e2:
                blocks.append((s2, e2))
        return blocks if self.strand == "+" else blocks[::-1]


class Slices:
    """Forward-strand genome slices: fetch(chrom, start, end) 1-based inclusive."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, int, str]] = []

    def add(self, chrom: str, start: int, seq: str) -> None:
        self.parts.append((chrom, start, seq))

    def fetch(self, chrom: str, start: int, end: int) -> str:
        for c, s, seq in self.parts:
            if c == chrom and s <= start and end < s + len(seq):
                return seq[start - s:end - s + 1]
        raise KeyError(f"{chrom}:{start}-{end} not in slices")


def spliced_cds(m: Model, fetch) -> str:
    seq = "".join(fetch(m.chrom, s, e) for s, e in sorted(m.cds_blocks()))
    return seq if m.strand == "+" else revcomp(seq)


# residues UniProt annotates on the canonical isoform (phosphorylation sites of the activation loop and
# the hydrophobic motif) and its length: the LRG protein must carry them at these positions
UNIPROT_FACTS = {"P31751": (481, {17: "E", 309: "T", 474: "S"}),
                 "Q9Y243": (479, {17: "E", 305: "T", 472: "S"})}


def check_lrg_extra(x: dict[str, str], m: Model, protein: str) -> str:
    """Check an LRG extra against the model it is placed on; return the provenance sentence."""
    assert protein.rstrip("*") == x["protein"], (m.gene, "CDS does not translate to the LRG protein")
    n_aa, residues = UNIPROT_FACTS[x["uniprot"]]
    assert len(x["protein"]) == n_aa, (m.gene, len(x["protein"]), n_aa)
    for pos, aa in residues.items():
        assert x["protein"][pos - 1] == aa, (m.gene, pos, aa)
    chrom, span, other, strand = x[f"{m.build}_mapping"].split(":")
    lrg_lo = int(span.split("-")[0])
    o_lo, o_hi = (int(v) for v in other.split("-"))
    assert chrom == m.chrom and strand == ("-1" if m.strand == "-" else "1"), (m.gene, m.build)

    def to_genome(p: int) -> int:
        return o_hi - (p - lrg_lo) if strand == "-1" else o_lo + (p - lrg_lo)

    blocks = [tuple(sorted((to_genome(int(a)), to_genome(int(b)))))
              for a, b in (ex.split("-") for ex in x["coding_exons_lrg"].split(","))]
    assert blocks == m.cds_blocks(), (m.gene, m.build, blocks, m.cds_blocks())
    return (f"CDS of {x['lrg_transcript']} ({x['refseq']}) placed on model: {len(protein) - 1} aa "
            f"+ stop, starts M, no internal stop, == LRG protein; length and E17/"
            f"{'/'.join(f'{aa}{p}' for p, aa in residues.items() if p != 17)} as UniProt "
            f"{x['uniprot']}; all {len(blocks)} LRG coding exons mapped to {m.build} "
            f"({x[f'{m.build}_mapping']}) == the model's coding exons")


UNIPROT_LENGTH = {"P27986": 724}


def check_slice_extra(x: dict[str, str], m: Model, protein: str) -> str:
    """Check a genome-slice CDS against the model it is placed on; return the provenance sentence."""
    assert protein.rstrip("*") == x["protein"], (m.gene, m.build, "CDS does not translate to UniProt")
    assert len(x["protein"]) == UNIPROT_LENGTH[x["uniprot"]], (m.gene, len(x["protein"]))
    blocks = [tuple(int(v) for v in b.split("-")) for b in x["GRCh38_coding_blocks"].split(",")]
    slice_build, chrom, span = x["slice"].split(":")
    lo, hi = (int(v) for v in span.split("-"))
    assert chrom == m.chrom and lo <= blocks[0][0] and blocks[-1][1] <= hi, (m.gene, x["slice"])
    ours = sorted(m.cds_blocks())
    if m.build == slice_build:
        assert blocks == ours, (m.gene, m.build, blocks, ours)
        placed = f"spliced from the {slice_build} slice {x['slice']} along this model's coding exons"
    else:
        assert [e - s for s, e in blocks] == [e - s for s, e in ours], (m.gene, m.build)
        placed = (f"placed on this model: all {len(ours)} coding-exon lengths == those of the "
                  f"{slice_build} model it was spliced along")
    return (f"CDS of {x['transcript']} (= MANE {x['refseq']}) {placed}: {len(protein) - 1} aa + "
            f"stop, starts M, no internal stop, == UniProt {x['uniprot']} (all "
            f"{len(x['protein'])} aa)")



def _gzip_text(path: Path):
    """A gzip text file whose bytes depend only on its content (header mtime 0): a rebuild that
    changes nothing leaves the bundled .gz files unchanged."""
    return io.TextIOWrapper(gzip.GzipFile(path, "wb", compresslevel=9, mtime=0), encoding="utf-8")

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default="/work/shared/data", type=Path)
    ap.add_argument("--out", default=Path(__file__).resolve().parents[1] / "varmatch" / "data",
                    type=Path)
    ap.add_argument("--extra", default=Path(__file__).resolve().parent / "sources" /
                    "lrg_extra_cds.tsv", type=Path,
                    help="CDS of LRG records for genes without sequence in --shared")
    ap.add_argument("--slices", default=Path(__file__).resolve().parent / "sources" /
                    "genome_slice_cds.tsv", type=Path,
                    help="CDS cut from public genome slices for genes without sequence in --shared")
    args = ap.parse_args(argv)
    d: Path = args.shared
    out: Path = args.out
    log: list[str] = []

    summary = list(csv.DictReader(open(d / "transcripts/SUMMARY_models_per_gene_and_build.tsv"),
                                  delimiter="\t"))
    lrg_rows = list(csv.DictReader(open(d / "transcripts/lrg_transcript_models.tsv"),
                                   delimiter="\t"))
    ens_rows = list(csv.DictReader(
        open(d / "transcripts/ensembl75_transcript_models_GRCh37_and_lifted_GRCh38.tsv"),
        delimiter="\t"))
    tark_rows = list(csv.DictReader(open(d / "transcripts/kras_tark_models.tsv"), delimiter="\t"))
    msk37 = {r[0]: r[2] for r in csv.reader(
        open(d / "ids/vcf2maf_isoform_overrides_at_mskcc.subset.tsv"), delimiter="\t")
        if r and not r[0].startswith("#")}
    msk38 = {r[0]: r[2] for r in csv.reader(
        open(d / "ids/vcf2maf_isoform_overrides_at_mskcc_grch38.subset.tsv"), delimiter="\t")
        if r and not r[0].startswith("#")}

    lrg_cds = read_fasta(d / "sequences/lrg_cds.fa")
    lrg_prot = read_fasta(d / "sequences/lrg_protein.fa")
    kras = read_fasta(d / "sequences/KRAS_LRG_344_cds_protein.fa")
    erbb2 = read_fasta(d / "sequences/ERBB2_LRG_724_cds_protein.fa")
    slices = {b: Slices() for b in ("GRCh37", "GRCh38")}
    for b in slices:
        for name, (_h, seq) in read_fasta(d / f"sequences/{b}_gene_regions_from_LRG.fa").items():
            chrom, span = name.split(":")
            start, end = (int(x) for x in span.split("-"))
            assert end - start + 1 == len(seq), name
            slices[b].add(chrom, start, seq)
    extra = {r["gene"]: r for r in csv.DictReader(
        (line for line in open(args.extra) if not line.startswith("#")), delimiter="\t")}
    slice_extra = {r["gene"]: r for r in csv.DictReader(
        (line for line in open(args.slices) if not line.startswith("#")), delimiter="\t")}
    seg_fa = {**read_fasta(d / "sequences/KRAS_CDS_exon_segments_GRCh37_GRCh38.fa"),
              **read_fasta(d / "sequences/ERBB2_CDS_exon_segments_GRCh37_GRCh38.fa")}

    def ints(text: str) -> list[int]:
        return [int(x) for x in text.strip(",").split(",")]

    models: list[Model] = []
    cds_out: dict[str, tuple[str, str]] = {}
    for row in summary:
        gene, build = row["gene"], row["build"]
        model_id = row["model_transcript"]
        if model_id == "MISSING":
            log.append(f"* {gene} {build}: no model in the shared data (ids only) - not bundled.")
            continue
        if row["model_file"].endswith("lrg_transcript_models.tsv"):
            tid = model_id.split()[0]
            (r,) = [x for x in lrg_rows if x["transcript"] == tid and x["build"] == build]
            m = Model(gene, build, r["chrom"], r["strand"], tid, r["refseq"], row[
                "ensembl75_canonical"] if gene != "AKT1" else "", ints(r["exon_starts"]),
                ints(r["exon_ends"]), int(r["cds_start"]), int(r["cds_end"]), int(r["cds_len"]),
                "genome", f"lrg/{tid.split('t')[0]}.xml via transcripts/lrg_transcript_models.tsv")
            cds = lrg_cds[tid][1]
            prot = lrg_prot[tid.replace("t", "p")][1] if tid.replace("t", "p") in lrg_prot else ""
            from_genome = spliced_cds(m, slices[build].fetch)
            diffs = [i for i, (a, b) in enumerate(zip(cds, from_genome)) if a != b]
            assert len(from_genome) == m.cds_len == len(cds), (gene, build)
            p = translate(from_genome)
            assert p[0] == "M" and p[-1] == "*" and "*" not in p[:-1], (gene, build)
            if prot:
                assert translate(cds).rstrip("*") == prot.rstrip("*"), gene
            allowed = 1 if gene == "EGFR" else 0
            assert len(diffs) == allowed, (gene, build, diffs)
            m.check = (f"CDS from genome slice ({build}_gene_regions_from_LRG.fa) + model: "
                       f"{len(p) - 1} aa + stop, starts M, no internal stop; == lrg_cds.fa "
                       + ("except 1 base (assembly base kept; synonymous)" if diffs else "exactly"))
            cds_out[tid] = (f"{tid} gene={gene} refseq={m.refseq} source=sequences/lrg_cds.fa",
                            cds)
        elif gene == "KRAS":
            refseq = model_id.split()[0]
            (r,) = [x for x in tark_rows if x["transcript"] == refseq and x["build"] == build]
            m = Model(gene, build, r["chrom"], r["strand"], "LRG_344t1", refseq, "ENST00000311936",
                      ints(r["exon_starts"]), ints(r["exon_ends"]), int(r["cds_start"]),
                      int(r["cds_end"]), int(r["cds_len"]), "cds",
                      "transcripts/kras_tark_models.tsv (Ensembl TARK via SACGF/cdot); CDS "
                      "sequences/KRAS_LRG_344_cds_protein.fa")
            cds = kras["LRG_344t1"][1]
            cds_out["LRG_344t1"] = ("LRG_344t1 gene=KRAS refseq=NM_004985 source=sequences/"
                                    "KRAS_LRG_344_cds_protein.fa", cds)
        elif gene == "ERBB2" or row["cds_sequence_file"] == "MISSING":
            tid = model_id
            bkey = "GRCh37" if build == "GRCh37" else "GRCh38_lifted"
            (r,) = [x for x in ens_rows if x["transcript"] == tid and x["build"] == bkey]
            enst = tid.split(".")[0]
            refseq = (msk37 if build == "GRCh37" else msk38).get(enst, "")
            if gene == "ERBB2":
                refseq = "NM_004448.3"  # LRG_724t2, whose CDS the LRG says equals ENST00000269571
            x = extra.get(gene)
            sx = slice_extra.get(gene)
            if x or sx:
                # the RefSeq the LRG transcript is (its NCBI mapping), or the MANE RefSeq of the
                # Ensembl transcript whose CDS was cut from the genome slice
                refseq = (x or sx)["refseq"]
            m = Model(gene, build, r["chrom"], r["strand"], tid, refseq, tid,
                      ints(r["exon_starts"]), ints(r["exon_ends"]), int(r["cds_start"]),
                      int(r["cds_end"]), int(r["cds_len"]),
                      "cds" if gene == "ERBB2" or x or sx else "none",
                      "transcripts/ensembl75_transcript_models_GRCh37_and_lifted_GRCh38.tsv"
                      + (" (lifted)" if build == "GRCh38" else ""))
            if x:
                cds = x["cds"]
                m.transcript = x["lrg_transcript"]
                m.source += f"; CDS {x['lrg_transcript']} from scripts/sources/lrg_extra_cds.tsv"
                cds_out[m.transcript] = (f"{m.transcript} gene={gene} refseq={refseq} "
                                         f"source={x['source'].split(' (')[0]}", cds)
            if sx:
                cds = sx["cds"]
                m.source += (f"; CDS {sx['transcript']} from scripts/sources/genome_slice_cds.tsv "
                             f"({sx['slice']} of {sx['source'].split(' (')[0]})")
                cds_out[m.transcript] = (f"{m.transcript} gene={gene} refseq={refseq} source="
                                         f"{sx['source'].split(' (')[0]}", cds)
            if gene == "ERBB2":
                cds = erbb2["LRG_724t2"][1]
                m.transcript = "LRG_724t2"
                cds_out["LRG_724t2"] = ("LRG_724t2 gene=ERBB2 refseq=NM_004448.3 source=sequences/"
                                        "ERBB2_LRG_724_cds_protein.fa", cds)
        else:
            raise SystemExit(f"unexpected summary row {gene} {build}")
        assert sum(e - s + 1 for s, e in m.cds_blocks()) == m.cds_len, (gene, build)
        if m.sequence == "cds":
            # place the CDS on the model; cross-check with the shared exon-segment FASTA, or for
            # the LRG extras with the LRG's own exons and assembly mapping
            assert len(cds) == m.cds_len
            p = translate(cds)
            assert p[0] == "M" and p[-1] == "*" and "*" not in p[:-1]
            x = extra.get(gene)
            sx = slice_extra.get(gene)
            if x:
                m.check = check_lrg_extra(x, m, p)
            if sx:
                m.check = check_slice_extra(sx, m, p)
            pos = 0
            n_seg = 0
            for s, e in m.cds_blocks():
                piece = cds[pos:pos + e - s + 1]
                pos += e - s + 1
                fwd = piece if m.strand == "+" else revcomp(piece)
                if not x and not sx:
                    key = f"{m.chrom}:{s}-{e}"
                    hdrs = [k for k, (h, _s) in seg_fa.items()
                            if k == key and f"build={build}" in h]
                    assert hdrs and seg_fa[hdrs[0]][1] == fwd, (gene, build, key)
                n_seg += 1
                slices[build].add(m.chrom, s, fwd)
            if not x and not sx:
                m.check = (f"CDS placed on model: {len(p) - 1} aa + stop, starts M, no internal "
                           f"stop; all {n_seg} coding-exon segments equal the shared "
                           "*_CDS_exon_segments_*.fa")
        if m.sequence == "none":
            m.check = ("no sequence in shared data: coordinates only (CDS length "
                       f"{m.cds_len} = {m.cds_len // 3} codons incl. stop)")
        models.append(m)

    # ---- hotspot codon checks (positions from the task brief / checks/codon_checks_LRG_models.tsv)
    def codon_at(gene: str, build: str, codon: int) -> tuple[str, str]:
        (m,) = [x for x in models if x.gene == gene and x.build == build]
        positions = [p for s, e in m.cds_blocks()
                     for p in (range(s, e + 1) if m.strand == "+" else range(e, s - 1, -1))]
        gpos = positions[(codon - 1) * 3:(codon - 1) * 3 + 3]
        bases = "".join(slices[build].fetch(m.chrom, p, p) for p in gpos)
        if m.strand == "-":
            bases = bases.translate(COMP)
        return bases, f"{m.chrom}:{min(gpos)}-{max(gpos)}"

    expected = [("AKT1", 17, "GAG"), ("PIK3CA", 545, "GAG"), ("PIK3CA", 542, "GAA"),
                ("PIK3CA", 1047, "CAT"), ("PTEN", 130, "CGA"), ("PTEN", 233, "CGA"),
                ("BRAF", 600, "GTG"), ("EGFR", 858, "CTG"), ("EGFR", 790, "ACG"),
                ("KRAS", 12, "GGT"), ("KRAS", 13, "GGC"), ("KRAS", 61, "CAA"),
                ("ERBB2", 310, "TCC"), ("ERBB2", 755, "TTG"),
                ("AKT2", 17, "GAA"), ("AKT3", 17, "GAA"),
                ("PIK3R1", 376, "GGA"), ("PIK3R1", 564, "AAC")]
    codon_checks = []
    for build in ("GRCh37", "GRCh38"):
        for gene, codon, want in expected:
            got, where = codon_at(gene, build, codon)
            assert got == want, (gene, build, codon, got, want)
            codon_checks.append(f"| {build} | {gene} | {codon} | {got} ({CODE[got]}) | {where} |")
    # the extras against an independent source of GRCh37 coordinates: cancerhotspots.org v2
    # (reference codon and genomic position of each hotspot)
    for row in csv.DictReader(open(d / "hotspots/cancerhotspots_v2_snv_moalmanac.subset.tsv"),
                              delimiter="\t"):
        if (row["Hugo_Symbol"] not in {**extra, **slice_extra}
                or not row["Amino_Acid_Position"].isdigit()):
            continue
        gene, codon = row["Hugo_Symbol"], int(row["Amino_Acid_Position"])
        got, where = codon_at(gene, "GRCh37", codon)
        want = {c.split("/")[0].upper() for c in re.findall(r"[ACGTacgt]{3}/", row["Codon_Change"])}
        chrom, pos = row["Genomic_Position"].split("_")[0].split(":")
        lo, hi = (int(v) for v in where.split(":")[1].split("-"))
        assert want == {got} and chrom == where.split(":")[0] and lo <= int(pos) <= hi, (
            gene, codon, got, want, where, row["Genomic_Position"])
        line = (f"| GRCh37 | {gene} | {codon} | {got} ({CODE[got]}) | {where} (cancerhotspots v2: "
                f"{row['Codon_Change'].split(':')[0]} at {row['Genomic_Position'].split('_')[0]}) |")
        if line not in codon_checks:  # one row per variant amino acid in the file
            codon_checks.append(line)

    # ---- genome segments: exons +- PAD for the LRG genes (merged), coding exons for KRAS/ERBB2
    out.mkdir(parents=True, exist_ok=True)
    seg_counts = {}
    for build in ("GRCh37", "GRCh38"):
        spans: dict[str, list[tuple[int, int]]] = {}
        for m in models:
            if m.build != build or m.sequence == "none":
                continue
            if m.sequence == "genome":
                for s, e in zip(m.exon_starts, m.exon_ends):
                    spans.setdefault(m.chrom, []).append((s - PAD, e + PAD))
            else:
                for s, e in m.cds_blocks():
                    spans.setdefault(m.chrom, []).append((s, e))
        records = []
        for chrom, items in sorted(spans.items()):
            items.sort()
            merged: list[list[int]] = []
            for s, e in items:
                if merged and s <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            for s, e in merged:
                records.append((chrom, s, e, slices[build].fetch(chrom, s, e)))
        seg_counts[build] = (len(records), sum(len(r[3]) for r in records))
        with _gzip_text(out / f"genome_{build}.fa.gz") as fh:
            for chrom, s, e, seq in records:
                fh.write(f">{chrom}:{s}-{e}\n")
                for i in range(0, len(seq), 100):
                    fh.write(seq[i:i + 100] + "\n")

    with _gzip_text(out / "cds.fa.gz") as fh:
        for _tid, (header, seq) in sorted(cds_out.items()):
            fh.write(f">{header}\n")
            for i in range(0, len(seq), 100):
                fh.write(seq[i:i + 100] + "\n")

    cols = ["gene", "build", "chrom", "strand", "transcript", "refseq", "ensembl", "tx_start",
            "tx_end", "cds_start", "cds_end", "cds_len", "exon_starts", "exon_ends", "sequence",
            "source", "check"]
    with open(out / "transcripts.tsv", "w") as fh:
        fh.write("# varmatch model transcripts (one per gene and build), derived by "
                 "scripts/build_transcript_tables.py from /work/shared/data "
                 "(see TRANSCRIPTS.md).\n")
        fh.write("# 1-based inclusive coordinates, no 'chr'; exon_starts/ends ascending; "
                 "cds_start/end = lowest/highest coding base incl. stop codon.\n")
        fh.write(f"# sequence: genome = exons +-{PAD} bp in genome_<build>.fa.gz; cds = coding "
                 "exons only; none = coordinates only.\n")
        fh.write("\t".join(cols) + "\n")
        for m in models:
            vals = [m.gene, m.build, m.chrom, m.strand, m.transcript, m.refseq, m.ensembl,
                    m.tx_start, m.tx_end, m.cds_start, m.cds_end, m.cds_len,
                    ",".join(map(str, m.exon_starts)), ",".join(map(str, m.exon_ends)),
                    m.sequence, m.source, m.check]
            fh.write("\t".join(str(v) for v in vals) + "\n")

    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())
             if p.name.startswith(("genome_", "cds.", "transcripts."))}
    write_md(out / "TRANSCRIPTS.md", models, codon_checks, seg_counts, sizes, log)
    print(f"wrote {len(models)} models; sizes {sizes}")
    return 0


def write_md(path: Path, models: list[Model], codon_checks: list[str],
             seg_counts: dict[str, tuple[int, int]], sizes: dict[str, int], log: list[str]) -> None:
    lines = [
        "# Bundled transcript models (varmatch/data)",
        "",
        "Generated by `scripts/build_transcript_tables.py` from the shared reference data set",
        "(`/work/shared/data`, described in its `SOURCES.md`). Only derived, compact tables are",
        "shipped; re-run the script to rebuild them. Coordinates are 1-based inclusive.",
        "",
        "## Files",
        f"* `transcripts.tsv` ({sizes.get('transcripts.tsv', 0)} B): one model per gene and build,"
        " with its source file and the check it passed in the `source` / `check` columns.",
        f"* `cds.fa.gz` ({sizes.get('cds.fa.gz', 0)} B): CDS of every model that has sequence "
        "(LRG cDNA-derived; KRAS from LRG_344, ERBB2 from LRG_724, AKT2 from LRG_1391, AKT3 from "
        "LRG_1396; PIK3R1 cut from a GRCh38 genome slice, see below).",
        f"* `genome_GRCh37.fa.gz` ({sizes.get('genome_GRCh37.fa.gz', 0)} B, "
        f"{seg_counts['GRCh37'][0]} segments, {seg_counts['GRCh37'][1]} bp) and "
        f"`genome_GRCh38.fa.gz` ({sizes.get('genome_GRCh38.fa.gz', 0)} B, "
        f"{seg_counts['GRCh38'][0]} segments, {seg_counts['GRCh38'][1]} bp): forward-strand "
        f"assembly sequence of the exons +-{PAD} bp (LRG genes; from "
        "`sequences/GRCh3{7,8}_gene_regions_from_LRG.fa`, which are the LRG sequence with the "
        "assembly diffs applied) and of the coding exons (KRAS, ERBB2; the CDS placed on the "
        "model, identical to `sequences/*_CDS_exon_segments_GRCh37_GRCh38.fa`; AKT2, AKT3: the "
        "LRG CDS placed on the Ensembl v75 model, see Bundled LRG sequence below; PIK3R1: the "
        "genome-slice CDS placed on the Ensembl v75 model, see Bundled genome-slice sequence).",
        "",
        "## Models",
        "| gene | build | chrom | strand | model | RefSeq | sequence | source | check |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in models:
        lines.append(f"| {m.gene} | {m.build} | {m.chrom} | {m.strand} | {m.transcript} | "
                     f"{m.refseq or '-'} | {m.sequence} | {m.source} | {m.check} |")
    lines += [
        "",
        "Notes on the transcript names:",
        "* LRG genes: the RefSeq is the one the LRG record names for the fixed transcript (2015",
        "  snapshot). SOURCES.md states the CDS equals MANE for PIK3CA, PTEN, AKT1 (NM_005163.2 vs",
        "  MANE NM_001382430.1, same 480 aa), MTOR, TSC1, TSC2, STK11, EGFR and BRAF.",
        "* BRAF uses NM_004333 (clinical V600 numbering), not MANE Select NM_001374258.1.",
        "* KRAS: NM_004985.3 (GRCh37) / NM_004985.5 (GRCh38) from Ensembl TARK; CDS = LRG_344t1",
        "  (KRAS4B, 188 aa).",
        "* ERBB2: Ensembl v75 ENST00000269571.5 exons (GRCh38 lifted with the vcf2maf chain); CDS ="
        " LRG_724t2 = NM_004448.3 (1255 aa).",
        "* RICTOR: RefSeq by the ENST <-> RefSeq pairs of vcf2maf's MSK isoform overrides",
        "  (`ids/vcf2maf_isoform_overrides_at_mskcc*.subset.tsv`). No verifiable sequence was found",
        "  for it: annotation from coordinates only (plus VCF REF/ALT) unless the user passes",
        "  --gtf/--fasta.",
        "* PIK3R1: Ensembl v75 model ENST00000521381 (the MSK isoform) carrying its own CDS, cut",
        "  from a GRCh38 genome slice; the RefSeq column names NM_181523.3, its MANE Select pair",
        "  (`ids/vcf2maf_isoform_overrides_mane_grch38.subset.tsv`); MSK's GRCh37 overrides name",
        "  NM_181523.2 for the same ENST. UTR exons are the v75 model's.",
        "* AKT2, AKT3: Ensembl v75 models (ENST00000392038, ENST00000366539) carrying the CDS of",
        "  LRG_1391t1 (NM_001626.6) and LRG_1396t1 (NM_005465.7); the RefSeq column names the",
        "  transcript whose CDS is bundled. UTR exons are the v75 model's, so c.-N/c.*N positions",
        "  follow Ensembl v75, not the RefSeq UTRs.",
        "",
        "## Bundled LRG sequence (AKT2, AKT3)",
        "Source: `scripts/sources/lrg_extra_cds.tsv`, transcribed from github.com/EBI-LRG/lrg-xml",
        "`LRG_1391.xml` (AKT2, RefSeqGene NG_012038.2, fixed transcript t1 = NM_001626.6) and",
        "`LRG_1396.xml` (AKT3, NG_029764.2, t1 = NM_005465.7), file version",
        "012424ef4c00272ef3268b1577fb994894f1fa6d; the repository is Apache-2.0 and LRG/RefSeqGene",
        "records are public reference data (EMBL-EBI/NCBI). The LRG mappings: AKT2 GRCh37",
        "19:40734224-40796265 (one mismatch, LRG 59024, in the 3' UTR) and GRCh38",
        "19:40228317-40290358; AKT3 GRCh37 1:243649535-244019381 and GRCh38 1:243486233-243856079",
        "(no differences). Checks run by this script (build fails otherwise): CDS length == model",
        "CDS length; translation starts M, one terminal stop, == the LRG protein; protein length and",
        "UniProt-annotated residues (P31751: 481 aa, E17, T309, S474; Q9Y243: 479 aa, E17, T305,",
        "S472) - the full UniProt strings were not available offline, so this is a partial UniProt",
        "check; every LRG coding exon mapped through the LRG assembly mapping == the model's coding",
        "exon in both builds; codon 17 == GAA; cancerhotspots.org v2 reference codon and GRCh37",
        "position agree (AKT3 E17: Gaa at 1:243859016). Outside this script: AKT3 CDS 1-1352 equals",
        "an independent AKT3 mRNA copy found by exact-match search (50-nt tiles), and the",
        "MAGI3-AKT3 breakpoint REF in ../shared/real_inputs/vcf/panel_iontorrent/moma_oca.vcf",
        "(hg19 1:243859018 C) equals the bundled base (tests/test_annotator.py).",
        "",
        "## Bundled genome-slice sequence (PIK3R1)",
        "Source: `scripts/sources/genome_slice_cds.tsv`: the CDS of ENST00000521381 spliced along",
        "the GRCh38 model's 15 coding exons from github.com/hartwigmedical/hmftools",
        "`pave-reverse/src/test/resources/tinygenome/chr5_part_68.txt` (GRCh38 chr5",
        "68,000,000-68,999,999, one character per base; snapshot",
        "f292edd581861da29c88ba0e93be92143e5fec9b, file last changed in",
        "2f379fccf87bda00420c20faf0ef7523f2c0a714). The repository is GPL-3.0; the content is",
        "GRCh38 reference sequence (public). No LRG exists for PIK3R1. Checks run by this script",
        "(build fails otherwise): CDS length == model CDS length (2175); translation starts M, one",
        "terminal stop, == UniProt P27986 over all 724 aa (the full sequence, version 2, is in the",
        "source file with where it was found; it also equals the Ensembl translation of",
        "ENST00000521381 in the same hmftools commit); the coding blocks the CDS was spliced along",
        "== the GRCh38 model's; every GRCh37 coding-exon length == the GRCh38 one; codons 376 (GGA)",
        "and 564 (AAC) in both builds; cancerhotspots.org v2 reference codon and GRCh37 position of",
        "every PIK3R1 hotspot in the file (R348, G376, K379, Y452, D560, N564, K567). Checked outside this",
        "script when it was made: every internal coding-exon boundary of the slice reads AG...GT;",
        "the hmftools Ensembl exon table for ENST00000521381 (GRCh38) has the same coding exons and",
        "CDS bounds as the lifted v75 model (only the first, non-coding exon start differs); all 30",
        "PIK3R1 coding REF alleles of the real hg19 Oncomine VCF",
        "(`real_inputs/vcf/panel_iontorrent/moma_oca.vcf`, up to 31 bp long) equal the CDS placed",
        "on the GRCh37 model (tests/test_annotator.py); an independent hg19 snippet",
        "(chr5:67590887-67591126, a reference string in a public script found by exact-match search,",
        "index file id 19841864474; 151 coding bases) agrees base for base, its AG acceptor at the",
        "exon start included.",
        "",
        "## Codon checks (genome segment + model, transcript strand)",
        "| build | gene | codon | bases (aa) | genomic span |",
        "|---|---|---|---|---|",
        *codon_checks,
        "",
        "## Not bundled",
        *log,
        "* MTOR GRCh38: SOURCES.md flags one possibly wrong intronic base (1:11207693); it lies "
        + ("inside" if any(m.gene == "MTOR" and m.build == "GRCh38" and any(
            s - PAD <= 11207693 <= e + PAD for s, e in zip(m.exon_starts, m.exon_ends))
            for m in models) else "outside")
        + " the bundled exon +-60 bp segments.",
        "",
    ]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
