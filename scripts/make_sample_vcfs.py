#!/usr/bin/env python3
"""Write the bundled sample VCFs in sample_vcfs/ and check every pathway REF allele.

Each pathway variant's REF is checked against the LRG-derived genomic slices in
../shared/data/sequences/GRCh3{7,8}_gene_regions_from_LRG.fa (see that folder's SOURCES.md), so the
samples sit at correct coordinates on their build. Non-pathway background variants (TP53) are
placed at their published coordinates (TP53 R273H c.818G>A: GRCh37 17:7577120, GRCh38 17:7673802)
and are not checked here (no TP53 sequence is bundled). Run from the repository root:

    python scripts/make_sample_vcfs.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

# Variants: (build, chrom, pos, ref, alt, what) — coordinates derived from the LRG codon checks in
# ../shared/data/checks/codon_checks_LRG_models.tsv.
AKT1_E17K = {"GRCh38": ("14", 104780214, "C", "T"), "GRCh37": ("14", 105246551, "C", "T")}
PIK3CA_H1047R = {"GRCh37": ("3", 178952085, "A", "G"), "GRCh38": ("3", 179234297, "A", "G")}
PIK3CA_E545 = {"GRCh38": ("3", 179218303, "G", "A")}  # c.1633G>A p.E545K (G>C = p.E545Q)
PTEN_R130X = {"GRCh38": ("10", 87933147, "C", "T"), "GRCh37": ("10", 89692904, "C", "T")}
PTEN_R233X = {"GRCh37": ("10", 89717672, "C", "T")}

CONTIGS = {
    "GRCh38": {"1": 248956422, "3": 198295559, "10": 133797422, "14": 107043718, "17": 83257441},
    "GRCh37": {"1": 249250621, "3": 198022430, "10": 135534747, "14": 107349540, "17": 81195210},
}


def load_slices(shared: Path, build: str) -> list[tuple[str, int, str]]:
    out, chrom, start, buf = [], None, 0, []
    for line in (shared / f"data/sequences/{build}_gene_regions_from_LRG.fa").read_text().splitlines():
        if line.startswith(">"):
            if chrom:
                out.append((chrom, start, "".join(buf)))
            m = re.match(r">(\w+):(\d+)-(\d+)", line)
            chrom, start, buf = m.group(1), int(m.group(2)), []
        else:
            buf.append(line.strip())
    out.append((chrom, start, "".join(buf)))
    return out


def check_ref(slices, chrom: str, pos: int, ref: str) -> None:
    for c, start, seq in slices:
        if c == chrom and start <= pos < start + len(seq):
            found = seq[pos - start: pos - start + len(ref)].upper()
            if found != ref:
                raise SystemExit(f"REF mismatch at {chrom}:{pos}: file {ref}, reference {found}")
            return
    raise SystemExit(f"{chrom}:{pos} is outside the bundled slices")


def contig_lines(build: str, chr_prefix: bool = True) -> str:
    p = "chr" if chr_prefix else ""
    return "".join(f"##contig=<ID={p}{c},length={n},assembly={build}>\n"
                   for c, n in CONTIGS[build].items())


MUTECT2_HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">
##FILTER=<ID=strand_bias,Description="Evidence for alt allele comes from one read direction only">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the order listed">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles in the tumor">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth (reads with MQ=255 or with bad mates are filtered)">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth; some reads may have been filtered">
##INFO=<ID=TLOD,Number=A,Type=Float,Description="Log 10 likelihood ratio score of variant existing versus not existing">
##INFO=<ID=POPAF,Number=A,Type=Float,Description="negative log 10 population allele frequencies of alt alleles">
##GATKCommandLine=<ID=Mutect2,CommandLine="Mutect2 --reference Homo_sapiens_assembly38.fasta --intervals panel.bed {args}",Version="4.2.6.1">
##source=Mutect2
"""


def write(path: Path, text: str) -> None:
    path.write_text(text)
    print(f"wrote {path}")


def bgzip_index(path: Path) -> None:
    subprocess.run(["bgzip", "-f", str(path)], check=True)
    subprocess.run(["tabix", "-f", "-p", "vcf", f"{path}.gz"], check=True)
    print(f"bgzipped and indexed {path}.gz")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared", type=Path)
    ap.add_argument("--out", default="sample_vcfs", type=Path)
    a = ap.parse_args()
    out: Path = a.out
    out.mkdir(exist_ok=True)
    s38, s37 = load_slices(a.shared, "GRCh38"), load_slices(a.shared, "GRCh37")
    for table, slices in ((AKT1_E17K["GRCh38"], s38), (AKT1_E17K["GRCh37"], s37),
                          (PIK3CA_H1047R["GRCh37"], s37), (PIK3CA_E545["GRCh38"], s38),
                          (PTEN_R130X["GRCh38"], s38), (PTEN_R233X["GRCh37"], s37)):
        check_ref(slices, *table[:3])

    # 1. NPC, tumor-only Mutect2, GRCh38, unannotated; bgzip + tabix.
    c, p, r, x = AKT1_E17K["GRCh38"]
    pc, pp, pr, px = PTEN_R130X["GRCh38"]
    body = (
        "##tumor_sample=NPC-017-T\n##tumor_type=NPC\n"
        + contig_lines("GRCh38")
        + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNPC-017-T\n"
        + f"chr{pc}\t{pp}\t.\t{pr}\t{px}\t.\tweak_evidence\tDP=412;TLOD=3.1;POPAF=6.0\tGT:AD:AF:DP\t0/1:405,7:0.017:412\n"
        + f"chr{c}\t{p}\t.\t{r}\t{x}\t.\tPASS\tDP=688;TLOD=612.4;POPAF=6.0\tGT:AD:AF:DP\t0/1:474,214:0.311:688\n"
        + "chr17\t7673802\t.\tC\tT\t.\tPASS\tDP=530;TLOD=455.0;POPAF=6.0\tGT:AD:AF:DP\t0/1:281,249:0.470:530\n"
    )
    f = out / "npc_akt1_e17k.mutect2.GRCh38.vcf"
    write(f, MUTECT2_HEADER.format(args="--tumor-sample NPC-017-T") + body)
    bgzip_index(f)

    # 2. The same NPC calls, VEP-annotated (CSQ), hand-written in VEP's layout. AKT1 HGVSp is
    #    written without a protein accession: we could not verify the ENSP IDs offline.
    fmt = ("Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|"
           "HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|"
           "Existing_variation|DISTANCE|STRAND|FLAGS|SYMBOL_SOURCE|HGNC_ID|CANONICAL|MANE_SELECT|PICK")
    akt1 = ("T|missense_variant|MODERATE|AKT1|ENSG00000142208|Transcript|ENST00000649815|protein_coding|"
            "2/14||ENST00000649815.2:c.49G>A|p.Glu17Lys||49|17|E/K|Gag/Aag|"
            "||-1||HGNC|HGNC:391|YES|NM_001382430.1|1,"
            "T|missense_variant|MODERATE|AKT1|ENSG00000142208|Transcript|ENST00000407796|protein_coding|"
            "3/15||ENST00000407796.4:c.49G>A|p.Glu17Lys||49|17|E/K|Gag/Aag|"
            "||-1||HGNC|HGNC:391||||")
    tp53 = ("T|missense_variant|MODERATE|TP53|ENSG00000141510|Transcript|ENST00000269305|protein_coding|"
            "8/11||ENST00000269305:c.818G>A|ENSP00000269305:p.Arg273His||818|273|R/H|cGt/cAt|"
            "||-1||HGNC|HGNC:11998|YES|NM_000546.6|1")
    pten = ("T|stop_gained|HIGH|PTEN|ENSG00000171862|Transcript|ENST00000371953|protein_coding|"
            "5/9||ENST00000371953:c.388C>T|ENSP00000361021:p.Arg130Ter||388|130|R/*|Cga/Tga|"
            "||1||HGNC|HGNC:9588|YES|NM_000314.8|1")
    vep = (MUTECT2_HEADER.format(args="--tumor-sample NPC-017-T")
           + f'##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: {fmt}">\n'
           + "##VEP=\"v110\" cache=\"homo_sapiens/110_GRCh38\" assembly=\"GRCh38\"\n"
           + body.replace("POPAF=6.0\tGT", "POPAF=6.0;CSQ=@\tGT"))
    lines = vep.splitlines()
    csqs = iter([pten, akt1, tp53])
    vep = "\n".join(ln.replace("CSQ=@", "CSQ=" + next(csqs)) if "CSQ=@" in ln else ln for ln in lines) + "\n"
    write(out / "npc_akt1_e17k.vep.GRCh38.vcf", vep)

    # 3. Breast, SnpEff-annotated, GRCh37: PIK3CA H1047R and PTEN R233*.
    c1, p1, r1, x1 = PIK3CA_H1047R["GRCh37"]
    c2, p2, r2, x2 = PTEN_R233X["GRCh37"]
    ann_hdr = ("##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | "
               "Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
               "Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / "
               "CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">\n")
    snpeff = (
        "##fileformat=VCFv4.1\n##source=VarDict_v1.8.2\n##reference=GRCh37\n##tumor_type=BRCA\n"
        "##SnpEffVersion=\"5.1d (build 2022-04-19 15:49), by Pablo Cingolani\"\n"
        "##SnpEffCmd=\"SnpEff  -hgvs1LetterAa GRCh37.p13 breast.vcf \"\n"
        + ann_hdr
        + "##FILTER=<ID=PASS,Description=\"All filters passed\">\n"
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
        "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Total Depth\">\n"
        "##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths for the ref and alt alleles\">\n"
        "##FORMAT=<ID=AF,Number=A,Type=Float,Description=\"Allele Frequency\">\n"
        + contig_lines("GRCh37", chr_prefix=False)
        + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tBRCA-042\n"
        + f"{c1}\t{p1}\t.\t{r1}\t{x1}\t.\tPASS\tANN={x1}|missense_variant|MODERATE|PIK3CA|PIK3CA|"
        "transcript|NM_006218.2|protein_coding|21/21|c.3140A>G|p.H1047R||3140/3207|1047/1068||"
        "\tGT:DP:AD:AF\t0/1:523:361,162:0.31\n"
        + f"{c2}\t{p2}\t.\t{r2}\t{x2}\t.\tPASS\tANN={x2}|stop_gained|HIGH|PTEN|PTEN|transcript|"
        "NM_000314.4|protein_coding|7/9|c.697C>T|p.R233*||697/1212|233/403||"
        "\tGT:DP:AD:AF\t0/1:298:190,108:0.362\n"
    )
    write(out / "breast_pik3ca_pten.snpeff.GRCh37.vcf", snpeff)

    # 4. HNSC tumor/normal (tumor in the second column), multi-allelic PIK3CA E545 record.
    c, p, r, x = PIK3CA_E545["GRCh38"]
    tn = (
        MUTECT2_HEADER.format(args="-I tumor.bam -I normal.bam -normal HN-088-N")
        + "##normal_sample=HN-088-N\n##tumor_sample=HN-088-T\n"
        + contig_lines("GRCh38")
        + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tHN-088-N\tHN-088-T\n"
        + f"chr{c}\t{p}\t.\t{r}\tA,C\t.\tPASS\tDP=402;TLOD=98.2,0.4;POPAF=6.0,6.0\tGT:AD:AF:DP"
        "\t0/0:130,0,1:0.003,0.007:131\t0/1:186,85,0:0.314,0.002:271\n"
        + f"chr{PTEN_R130X['GRCh38'][0]}\t{PTEN_R130X['GRCh38'][1]}\t.\tC\tT\t.\tPASS\t"
        "DP=310;TLOD=0.0;POPAF=6.0\tGT:AD:AF:DP\t0/1:70,64:0.478:134\t0/0:176,0:0.000:176\n"
    )
    write(out / "hnsc_tumor_normal.mutect2.GRCh38.vcf", tn)


if __name__ == "__main__":
    main()
