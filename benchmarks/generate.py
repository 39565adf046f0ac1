"""Synthetic but valid benchmark inputs for varmatch (GRCh38).

Writes, under the directory given on the command line (default ``/tmp/varmatch-bench``):

* ``big.vcf.gz`` (+ ``.tbi``): a bgzipped, tabix-indexed two-sample (NORMAL, TUMOR) Mutect2-style
  VCF with ``--records`` records (default 2,000,000) and realistic FORMAT fields
  (``GT:AD:AF:DP:F1R2:F2R1``); ``big.noindex.vcf.gz``: the same bytes without an index.
* ``big.csq.vcf.gz`` (+ ``.tbi``) and ``big.csq.noindex.vcf.gz``: the same records with an Ensembl
  VEP ``CSQ`` annotation on every record.
* ``panel.vcf``: a 50-record panel VCF (same header; plain text).
* ``cohort.maf`` (``--maf-rows``, default 1,000,000 rows over ≈10,000 samples, sorted by sample),
  ``cohort.clinical.tsv`` (cBioPortal style: SAMPLE_ID, ONCOTREE_CODE) and a quarter-size
  ``cohort_small.maf`` (for checking that memory stays flat as the input grows).

Every input carries a handful of true pathway hotspots at their real GRCh38 positions (AKT1 E17K
chr14:104780214 C>T, PIK3CA H1047R chr3:179234297 A>G, PIK3CA E545K chr3:179218303 G>A, PTEN
R130* chr10:87933147 C>T); every other record sits at a random position outside the pathway-gene
regions (model span ± 5 kb), with a random REF base that need not match the genome because
nothing annotates it.

Usage: ``python benchmarks/generate.py [OUT_DIR] [--records N] [--maf-rows N] [--seed S]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

# GRCh38 primary assembly chromosome lengths (the ##contig lines of any GRCh38 VCF).
GRCH38 = {
    "chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555,
    "chr5": 181538259, "chr6": 170805979, "chr7": 159345973, "chr8": 145138636,
    "chr9": 138394717, "chr10": 133797422, "chr11": 135086622, "chr12": 133275309,
    "chr13": 114364328, "chr14": 107043718, "chr15": 101991189, "chr16": 90338345,
    "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
    "chr21": 46709983, "chr22": 50818468, "chrX": 156040895, "chrY": 57227415,
}

# (chrom, pos, ref, alt, gene, consequence, HGVSc, HGVSp, HGVSp_Short, transcript, class)
HOTSPOTS = [
    ("chr14", 104780214, "C", "T", "AKT1", "missense_variant", "c.49G>A", "p.Glu17Lys", "p.E17K",
     "ENST00000649815", "Missense_Mutation"),
    ("chr3", 179234297, "A", "G", "PIK3CA", "missense_variant", "c.3140A>G", "p.His1047Arg",
     "p.H1047R", "ENST00000263967", "Missense_Mutation"),
    ("chr3", 179218303, "G", "A", "PIK3CA", "missense_variant", "c.1633G>A", "p.Glu545Lys",
     "p.E545K", "ENST00000263967", "Missense_Mutation"),
    ("chr10", 87933147, "C", "T", "PTEN", "stop_gained", "c.388C>T", "p.Arg130Ter", "p.R130*",
     "ENST00000371953", "Nonsense_Mutation"),
]

# Non-pathway genes used for the random records' annotations (symbols only; positions are random).
OTHER_GENES = [
    "TP53", "KRAS", "NRAS", "BRAF", "EGFR", "ERBB2", "APC", "ARID1A", "KMT2D", "KMT2C", "NOTCH1",
    "FAT1", "CDKN2A", "RB1", "SMAD4", "CTNNB1", "ATM", "BRCA1", "BRCA2", "NF1", "MYC", "CCND1",
    "TERT", "IDH1", "GATA3", "MAP3K1", "CDH1", "FGFR3", "SPEN", "ALK", "PDCD1", "TTN", "MUC16",
    "LRP1B", "CSMD3", "SYNE1", "RYR2", "USH2A", "OBSCN", "DNAH5", "ZFHX4", "PCLO", "FLG",
]
CONSEQUENCES = [
    ("missense_variant", "Missense_Mutation", "MODERATE"),
    ("synonymous_variant", "Silent", "LOW"),
    ("intron_variant", "Intron", "MODIFIER"),
    ("stop_gained", "Nonsense_Mutation", "HIGH"),
    ("3_prime_UTR_variant", "3'UTR", "MODIFIER"),
]
AA = "ACDEFGHIKLMNPQRSTVWY"
AA3 = {"A": "Ala", "C": "Cys", "D": "Asp", "E": "Glu", "F": "Phe", "G": "Gly", "H": "His",
       "I": "Ile", "K": "Lys", "L": "Leu", "M": "Met", "N": "Asn", "P": "Pro", "Q": "Gln",
       "R": "Arg", "S": "Ser", "T": "Thr", "V": "Val", "W": "Trp", "Y": "Tyr"}
TUMOR_TYPES = ["BRCA", "LUAD", "COADREAD", "PRAD", "NPC", "HNSC", "UCEC", "GBM", "BLCA", "SKCM"]

CSQ_FIELDS = ("Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|"
              "HGVSc|HGVSp|Protein_position|Amino_acids|STRAND|CANONICAL|MANE_SELECT|PICK")


def pathway_regions() -> dict[str, list[tuple[int, int]]]:
    """Pathway-gene regions on GRCh38 (from varmatch's bundled models), keyed by 'chrN'."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from varmatch.annotate.transcripts import TranscriptDB
        from varmatch.models import Build

        regions = TranscriptDB.bundled(Build("GRCh38")).regions()
    except Exception as exc:  # noqa: BLE001 - fall back to a wide margin around the hotspots
        print(f"generate: bundled regions unavailable ({exc}); using 1 Mb around hotspots",
              file=sys.stderr)
        regions = [(h[0], h[1] - 1_000_000, h[1] + 1_000_000, h[4]) for h in HOTSPOTS]
    out: dict[str, list[tuple[int, int]]] = {}
    for chrom, start, end, _gene in regions:
        name = chrom if chrom.startswith("chr") else f"chr{chrom}"
        # a further 10 kb of margin, so no random record is even near a pathway gene
        out.setdefault(name, []).append((start - 10_000, end + 10_000))
    return out


def random_positions(n: int, rng: random.Random,
                     avoid: dict[str, list[tuple[int, int]]]) -> Iterator[tuple[str, int]]:
    """``n`` sorted (chrom, pos) pairs, spread by chromosome length, outside ``avoid``."""
    total = sum(GRCH38.values())
    left = n
    chroms = list(GRCH38)
    for i, chrom in enumerate(chroms):
        k = left if i == len(chroms) - 1 else round(n * GRCH38[chrom] / total)
        k = min(k, left)
        left -= k
        spans = avoid.get(chrom, [])
        positions: set[int] = set()
        while len(positions) < k:
            p = rng.randint(10_000, GRCH38[chrom] - 10_000)
            if any(s <= p <= e for s, e in spans):
                continue
            positions.add(p)
        for p in sorted(positions):
            yield chrom, p


def vcf_header(with_csq: bool) -> str:
    lines = [
        "##fileformat=VCFv4.2",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">',
        '##FILTER=<ID=strand_bias,Description="Evidence for alt allele comes from one read '
        'direction only">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt '
        'alleles in the order listed">',
        '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles '
        'in the tumor">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
        '##FORMAT=<ID=F1R2,Number=R,Type=Integer,Description="Count of reads in F1R2 pair '
        'orientation supporting each allele">',
        '##FORMAT=<ID=F2R1,Number=R,Type=Integer,Description="Count of reads in F2R1 pair '
        'orientation supporting each allele">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
        '##INFO=<ID=TLOD,Number=A,Type=Float,Description="Log 10 likelihood ratio score of '
        'variant existing versus not existing">',
        '##INFO=<ID=POPAF,Number=A,Type=Float,Description="negative log 10 population allele '
        'frequencies of alt alleles">',
    ]
    lines += [f"##contig=<ID={c},length={n},assembly=GRCh38>" for c, n in GRCH38.items()]
    lines += [
        "##reference=file:///ref/Homo_sapiens_assembly38.fasta",
        "##source=Mutect2",
        "##tumor_sample=TUMOR",
        "##normal_sample=NORMAL",
    ]
    if with_csq:
        lines += [
            '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
            f'Ensembl VEP. Format: {CSQ_FIELDS}">',
            '##VEP="v110" cache="homo_sapiens/110_GRCh38" assembly="GRCh38"',
        ]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR")
    return "\n".join(lines) + "\n"


def _samples_cols(rng: random.Random) -> tuple[str, str, int]:
    dp_n = rng.randint(30, 120)
    dp_t = rng.randint(40, 900)
    alt_t = max(1, int(dp_t * rng.uniform(0.02, 0.6)))
    ref_t = dp_t - alt_t
    f1 = alt_t // 2
    normal = f"0/0:{dp_n},0:0.000:{dp_n}:{dp_n // 2},0:{dp_n - dp_n // 2},0"
    tumor = (f"0/1:{ref_t},{alt_t}:{alt_t / dp_t:.3f}:{dp_t}:{ref_t // 2},{f1}:"
             f"{ref_t - ref_t // 2},{alt_t - f1}")
    return normal, tumor, dp_n + dp_t


def _csq_random(rng: random.Random, ref: str, alt: str) -> str:
    gene = rng.choice(OTHER_GENES)
    cons, _cls, impact = rng.choice(CONSEQUENCES)
    pos = rng.randint(1, 1500)
    a, b = rng.choice(AA), rng.choice(AA)
    hgvsp = f"ENSP{rng.randint(10**10, 10**11 - 1)}:p.{AA3[a]}{pos}{AA3[b]}" \
        if cons == "missense_variant" else ""
    tx = f"ENST{rng.randint(10**10, 10**11 - 1)}"
    return (f"{alt}|{cons}|{impact}|{gene}|ENSG{rng.randint(10**10, 10**11 - 1)}|Transcript|{tx}|"
            f"protein_coding|{rng.randint(1, 20)}/21||{tx}:c.{pos * 3}{ref}>{alt}|{hgvsp}|{pos}|"
            f"{a}/{b}|1|YES||1")


def _csq_hotspot(h: tuple) -> str:
    chrom, pos, ref, alt, gene, cons, hgvsc, hgvsp, _short, tx, _cls = h
    impact = "HIGH" if cons == "stop_gained" else "MODERATE"
    aa_pos = "".join(ch for ch in _short if ch.isdigit())
    return (f"{alt}|{cons}|{impact}|{gene}|ENSG00000000000|Transcript|{tx}|protein_coding|||"
            f"{tx}:{hgvsc}|{hgvsp}|{aa_pos}||1|YES||1")


def vcf_records(n: int, rng: random.Random, avoid, with_csq: bool) -> Iterator[str]:
    """``n`` sorted records: random non-pathway SNVs plus the hotspots at their real positions."""
    order = {c: i for i, c in enumerate(GRCH38)}
    hot = sorted(HOTSPOTS, key=lambda h: (order[h[0]], h[1]))
    bases = "ACGT"
    hi = 0
    for chrom, pos in random_positions(n - len(HOTSPOTS), rng, avoid):
        while hi < len(hot) and (order[hot[hi][0]], hot[hi][1]) < (order[chrom], pos):
            yield _hot_line(hot[hi], rng, with_csq)
            hi += 1
        ref = rng.choice(bases)
        alt = rng.choice(bases.replace(ref, ""))
        normal, tumor, dp = _samples_cols(rng)
        filt = "PASS" if rng.random() < 0.7 else rng.choice(("weak_evidence", "strand_bias"))
        info = f"DP={dp};TLOD={rng.uniform(3, 900):.2f};POPAF={rng.uniform(1, 7.3):.2f}"
        if with_csq:
            info += ";CSQ=" + _csq_random(rng, ref, alt)
        yield f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\t{info}\tGT:AD:AF:DP:F1R2:F2R1\t" \
              f"{normal}\t{tumor}\n"
    for h in hot[hi:]:
        yield _hot_line(h, rng, with_csq)


def _hot_line(h: tuple, rng: random.Random, with_csq: bool) -> str:
    normal, tumor, dp = _samples_cols(rng)
    info = f"DP={dp};TLOD={rng.uniform(50, 900):.2f};POPAF=6.00"
    if with_csq:
        info += ";CSQ=" + _csq_hotspot(h)
    return f"{h[0]}\t{h[1]}\t.\t{h[2]}\t{h[3]}\t.\tPASS\t{info}\tGT:AD:AF:DP:F1R2:F2R1\t" \
           f"{normal}\t{tumor}\n"


def write_bgzip(path: Path, header: str, lines: Iterator[str], index: bool = True) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as out:
        proc = subprocess.Popen(["bgzip", "-c", "-@", "2"], stdin=subprocess.PIPE, stdout=out)
        assert proc.stdin is not None
        proc.stdin.write(header.encode())
        buf: list[str] = []
        for line in lines:
            buf.append(line)
            if len(buf) >= 20_000:
                proc.stdin.write("".join(buf).encode())
                buf.clear()
        proc.stdin.write("".join(buf).encode())
        proc.stdin.close()
        if proc.wait() != 0:
            raise SystemExit(f"bgzip failed for {path}")
    os.replace(tmp, path)
    if index:
        subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)


def link_noindex(src: Path, dst: Path) -> None:
    """The same compressed bytes under a name with no .tbi beside it (the unindexed case)."""
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


MAF_COLUMNS = [
    "Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome", "Start_Position",
    "End_Position", "Strand", "Consequence", "Variant_Classification", "Variant_Type",
    "Reference_Allele", "Tumor_Seq_Allele1", "Tumor_Seq_Allele2", "dbSNP_RS",
    "Tumor_Sample_Barcode", "Matched_Norm_Sample_Barcode", "t_depth", "t_ref_count",
    "t_alt_count", "n_depth", "n_ref_count", "n_alt_count", "HGVSc", "HGVSp", "HGVSp_Short",
    "Transcript_ID", "Protein_position", "FILTER",
]


def write_maf(path: Path, clinical: Path | None, rows: int, samples: int, rng: random.Random,
              avoid) -> None:
    """``rows`` MAF rows over ``samples`` samples, sorted by sample; ~12% carry a hotspot."""
    per = max(1, rows // samples)
    positions = list(random_positions(min(rows, 200_000), rng, avoid))
    tmp = path.with_name(path.name + ".part")
    clin_lines = ["#Sample Identifier\tCancer Type Detailed", "#Sample ID\tOncoTree code",
                  "#STRING\tSTRING", "#1\t1", "SAMPLE_ID\tONCOTREE_CODE"]
    written = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("#version 2.4\n" + "\t".join(MAF_COLUMNS) + "\n")
        for s in range(samples):
            barcode = f"SYN-{s:05d}-T01"
            clin_lines.append(f"{barcode}\t{TUMOR_TYPES[s % len(TUMOR_TYPES)]}")
            n = per if s < samples - 1 else rows - written
            buf = []
            hot = HOTSPOTS[s % len(HOTSPOTS)] if rng.random() < 0.12 else None
            for i in range(n):
                if hot is not None and i == 0:
                    chrom, pos, ref, alt, gene, cons, hgvsc, hgvsp, short, tx, cls = hot
                    chrom = chrom.removeprefix("chr")
                    aa_pos = "".join(ch for ch in short if ch.isdigit())
                else:
                    chrom, pos = rng.choice(positions)
                    chrom = chrom.removeprefix("chr")
                    ref = rng.choice("ACGT")
                    alt = rng.choice("ACGT".replace(ref, ""))
                    gene = rng.choice(OTHER_GENES)
                    cons, cls, _imp = rng.choice(CONSEQUENCES)
                    aa = rng.randint(1, 1500)
                    a, b = rng.choice(AA), rng.choice(AA)
                    tx = f"ENST{rng.randint(10**10, 10**11 - 1)}"
                    hgvsc = f"c.{aa * 3}{ref}>{alt}"
                    aa_pos = str(aa) if cons != "intron_variant" else ""
                    if cons == "missense_variant":
                        hgvsp, short = f"p.{AA3[a]}{aa}{AA3[b]}", f"p.{a}{aa}{b}"
                    elif cons == "synonymous_variant":
                        hgvsp, short = f"p.{AA3[a]}{aa}=", f"p.{a}{aa}="
                    elif cons == "stop_gained":
                        hgvsp, short = f"p.{AA3[a]}{aa}Ter", f"p.{a}{aa}*"
                    else:
                        hgvsp = short = ""
                dp = rng.randint(40, 900)
                ac = max(1, int(dp * rng.uniform(0.03, 0.6)))
                ndp = rng.randint(30, 150)
                buf.append("\t".join((
                    gene, "0", "SYN", "GRCh38", chrom, str(pos), str(pos), "+", cons, cls, "SNP",
                    ref, ref, alt, "", barcode, f"SYN-{s:05d}-N01", str(dp), str(dp - ac),
                    str(ac), str(ndp), str(ndp), "0", f"{tx}:{hgvsc}",
                    hgvsp, short, tx, aa_pos, "PASS",
                )) + "\n")
            fh.write("".join(buf))
            written += n
    os.replace(tmp, path)
    if clinical is not None:
        clinical.write_text("\n".join(clin_lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="/tmp/varmatch-bench", help="output directory")
    ap.add_argument("--records", type=int, default=2_000_000, help="records in the big VCFs")
    ap.add_argument("--maf-rows", type=int, default=1_000_000, help="rows in cohort.maf")
    ap.add_argument("--maf-samples", type=int, default=10_000, help="samples in cohort.maf")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--only", choices=["vcf", "csq", "panel", "maf"], action="append",
                    help="generate only these inputs (repeatable; default all)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    avoid = pathway_regions()
    want = set(args.only or ["vcf", "csq", "panel", "maf"])

    def step(name: str, fn) -> None:
        t = time.perf_counter()
        fn()
        print(f"generate: {name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    if "panel" in want:
        def panel() -> None:
            lines = list(vcf_records(50, random.Random(args.seed), avoid, with_csq=False))
            (out / "panel.vcf").write_text(vcf_header(False) + "".join(lines), encoding="utf-8")
        step("panel.vcf (50 records)", panel)
    if "vcf" in want:
        def big() -> None:
            write_bgzip(out / "big.vcf.gz", vcf_header(False),
                        vcf_records(args.records, random.Random(args.seed), avoid, False))
            link_noindex(out / "big.vcf.gz", out / "big.noindex.vcf.gz")
        step(f"big.vcf.gz ({args.records} records)", big)
    if "csq" in want:
        def csq() -> None:
            write_bgzip(out / "big.csq.vcf.gz", vcf_header(True),
                        vcf_records(args.records, random.Random(args.seed), avoid, True))
            link_noindex(out / "big.csq.vcf.gz", out / "big.csq.noindex.vcf.gz")
        step(f"big.csq.vcf.gz ({args.records} records, VEP CSQ)", csq)
    if "maf" in want:
        step(f"cohort.maf ({args.maf_rows} rows)", lambda: write_maf(
            out / "cohort.maf", out / "cohort.clinical.tsv", args.maf_rows, args.maf_samples,
            random.Random(args.seed), avoid))
        step("cohort_small.maf", lambda: write_maf(
            out / "cohort_small.maf", None, args.maf_rows // 4, max(1, args.maf_samples // 4),
            random.Random(args.seed + 1), avoid))
    print(f"generate: inputs in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
