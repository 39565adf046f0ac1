"""Issue 12, formats to read: tumor-sample hints from callers, older MAFs, TSO500/CRAFT copy-number
tables, ANNOVAR tables. Real public files where they exist (tests/fixtures/README.md and
../shared/real_inputs/README.md give their origin)."""

from __future__ import annotations

from pathlib import Path

import pytest

from varmatch.errors import SampleError
from varmatch.readers.vcf import choose_sample

FIX = Path(__file__).parent / "fixtures"


def _header_and_samples(text: str) -> tuple[str, list[str]]:
    head = [ln for ln in text.splitlines() if ln.startswith("#")]
    return "\n".join(head) + "\n", head[-1].split("\t")[9:]


# ---- tumor-sample hints ----------------------------------------------------------------------
def test_mutect1_header_names_the_tumor_column():
    text = (FIX / "jacquard_case_B.mutect.head.vcf").read_text()
    header, samples = _header_and_samples(text)
    assert samples == ["case_B_normal", "case_B_tumor"]
    assert samples[choose_sample(samples, header, None, Path("x.vcf"))] == "case_B_tumor"
    # the ##MuTect line decides, not the column names: swapped, it picks the other column
    swapped = header.replace("tumor_sample_name=case_B_tumor normal_sample_name=case_B_normal",
                             "tumor_sample_name=case_B_normal normal_sample_name=case_B_tumor")
    assert samples[choose_sample(samples, swapped, None, Path("x.vcf"))] == "case_B_normal"


def test_gatk3_command_line_tumor_sample_name():
    header = ('##GATKCommandLine=<ID=MuTect,Version=3.1-0-g72492bb,CommandLineOptions="analysis_type'
              '=MuTect input_file=[n.bam, t.bam] tumor_sample_name=PT7_T normal_sample_name=PT7_B">\n')
    assert choose_sample(["PT7_B", "PT7_T"], header, None, Path("x.vcf")) == 1


def test_strelka_column_order_when_columns_were_renamed():
    text = (FIX / "jacquard_case_A.strelka.snvs.head.vcf").read_text()
    header, samples = _header_and_samples(text)
    assert samples == ["NORMAL", "TUMOR"]
    assert choose_sample(samples, header, None, Path("x.vcf")) == 1  # by name
    # after `bcftools reheader -s` to lab IDs, Strelka's fixed NORMAL, TUMOR order still tells
    renamed = header.replace("\tNORMAL\tTUMOR", "\tLAB-0042-B\tLAB-0042-A")
    assert choose_sample(["LAB-0042-B", "LAB-0042-A"], renamed, None, Path("x.vcf")) == 1
    # without the ##content line nothing tells: an error listing the samples, not a guess
    bare = renamed.replace("##content=strelka somatic snv calls\n", "")
    with pytest.raises(SampleError, match="choose one with --sample"):
        choose_sample(["LAB-0042-B", "LAB-0042-A"], bare, None, Path("x.vcf"))


def test_vardict_paired_tumor_is_the_first_column():
    # header lines as AstraZeneca-NGS/VarDict var2vcf_paired.pl prints them; columns are the -N
    # names "tumor|normal" in that order
    header = ('##fileformat=VCFv4.1\n'
              '##INFO=<ID=SAMPLE,Number=1,Type=String,Description="Sample name">\n'
              '##INFO=<ID=STATUS,Number=1,Type=String,Description="Somatic or germline status">\n')
    assert choose_sample(["S17-A", "S17-B"], header, None, Path("x.vcf")) == 0
    assert choose_sample(["S17-A", "S17-B"], header, "S17-B", Path("x.vcf")) == 1  # --sample wins


# ---- older / Oncotator MAFs ------------------------------------------------------------------
# Column names of an Oncotator MAF (broadinstitute/oncotator test/testdata/maf/
# Patient0.maf.annotated @ d5ac82f; the file's licence forbids redistribution, so the test writes
# the header and rows itself). The PIK3R1 row is that file's PIK3R1 call; the AKT1 row is the
# GRCh37 AKT1 E17K hotspot (14:105246551 C>T, c.49G>A).
ONCOTATOR_COLS = [
    "Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome", "Start_position",
    "End_position", "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele",
    "Tumor_Seq_Allele1", "Tumor_Seq_Allele2", "dbSNP_RS", "dbSNP_Val_Status",
    "Tumor_Sample_Barcode", "Matched_Norm_Sample_Barcode", "Genome_Change",
    "Annotation_Transcript", "Transcript_Strand", "Transcript_Exon", "Transcript_Position",
    "cDNA_Change", "Codon_Change", "Protein_Change", "t_alt_count", "t_ref_count",
]
ONCOTATOR_ROWS = [
    ["PIK3R1", "5295", "broad.mit.edu", "37", "5", "67569269", "67569269", "+",
     "Missense_Mutation", "SNP", "C", "A", "A", "", "", "Patient0-Tumor", "Patient0-Normal",
     "g.chr5:67569269C>A", "uc003jva.2", "+", "3", "946", "c.386C>A", "c.(385-387)CCG>CAG",
     "p.P129Q", "12", "80"],
    ["AKT1", "207", "broad.mit.edu", "37", "14", "105246551", "105246551", "-",
     "Missense_Mutation", "SNP", "C", "T", "T", "", "", "Patient0-Tumor", "Patient0-Normal",
     "g.chr14:105246551C>T", "uc001ypk.2", "-", "3", "", "c.49G>A", "c.(49-51)GAG>AAG",
     "p.E17K", "30", "70"],
]


def _maf(tmp_path, cols, rows, name="Patient0.maf.annotated"):
    p = tmp_path / name
    p.write_text("## Oncotator v0.5.23.0|GAF 2.1 hg19 Jun2011\n" + "\t".join(cols) + "\n"
                 + "".join("\t".join(r) + "\n" for r in rows))
    return p


def test_oncotator_maf_is_read_with_its_own_column_names(tmp_path):
    from varmatch import readers
    from varmatch.models import Build
    from varmatch.pipeline import Options, run_file

    p = _maf(tmp_path, ONCOTATOR_COLS, ONCOTATOR_ROWS)
    readers._load_builtin_readers()
    assert readers.sniff(p) == "maf"
    (r,) = run_file(p, Options(tumor_type="BREAST"))
    got = {str(a): a for a in r.alterations}
    assert set(got) == {"AKT1 p.E17K", "PIK3R1 p.P129Q"}
    akt1 = got["AKT1 p.E17K"]
    assert akt1.hgvs_c == "c.49G>A" and akt1.vaf == 0.3 and r.build is Build.GRCh37
    assert str(akt1.variant) == "14:105246551C>T"
    assert got["PIK3R1 p.P129Q"].transcript == "uc003jva.2"


def test_maf_column_names_are_case_insensitive(tmp_path):
    from varmatch.pipeline import Options, run_file

    cols = [c.lower() for c in ONCOTATOR_COLS]
    (r,) = run_file(_maf(tmp_path, cols, ONCOTATOR_ROWS), Options(tumor_type="BREAST"))
    assert {str(a) for a in r.alterations} == {"AKT1 p.E17K", "PIK3R1 p.P129Q"}


def test_maf_without_tumor_sample_barcode_says_exactly_that(tmp_path):
    import subprocess
    import sys

    i = ONCOTATOR_COLS.index("Tumor_Sample_Barcode")
    cols = ONCOTATOR_COLS[:i] + ONCOTATOR_COLS[i + 1:]
    rows = [r[:i] + r[i + 1:] for r in ONCOTATOR_ROWS]
    p = _maf(tmp_path, cols, rows)
    # before: sniffed as an alteration table and read as one unnamed sample
    out = subprocess.run([sys.executable, "-m", "varmatch", "annotate", str(p), "-o", "-"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == (f"varmatch: error: {p}:2: this MAF has no Tumor_Sample_Barcode "
                                  "column, so its rows cannot be assigned to a sample; add the "
                                  "column (one sample ID per row)")


# ---- TSO500 / CRAFT copy-number tables ---------------------------------------------------------
# CRAFT calls <DUP>/<DEL> against gene-specific fold-change cutoffs (Illumina TST170 help,
# "Copy Number Variant Calling"): its call is used as made; fold change becomes CN = 2 x FC.
CRAFT = ("Sample\tGene\tStatus\tFoldChange\n"
         "TSO-7\tPTEN\tDEL\t0.30\n"
         "TSO-7\tPIK3CA\tDUP\t2.90\n"
         "TSO-7\tAKT2\tLOSS\t0.30\n"
         "TSO-7\tMTOR\tREF\t1.02\n"
         "TSO-7\tERBB2\tAMP\t6.00\n")


def test_craft_table_the_callers_call_counts(tmp_path):
    from varmatch import readers
    from varmatch.pipeline import Options, run_file

    p = tmp_path / "TSO-7_CopyNumber.tsv"
    p.write_text(CRAFT.replace("REF", "neutral"))
    readers._load_builtin_readers()
    assert readers.sniff(p) == "cna"
    (r,) = run_file(p, Options(tumor_type="BREAST"))
    got = {str(a): a for a in r.alterations}
    # before: 'DEL' was refused as an unknown call; PTEN at FC 0.30 = CN 0.6 was not a deletion
    assert set(got) == {"PTEN deletion", "PIK3CA amplification"}
    pten = got["PTEN deletion"]
    assert pten.copy_number == 0.6
    assert pten.flags == ("the caller's DEL call is used; copy number 0.60 (fold change 0.3) does "
                          "not pass --del-threshold 0.5",)
    assert got["PIK3CA amplification"].copy_number == 5.8 and not got["PIK3CA amplification"].flags
    assert "PTEN: copy number 0.60 from fold change 0.3 (2 x fold change: ploidy 2, no purity " \
           "correction)" in r.notes
    # LOSS is a one-copy call: the thresholds decide, and it is listed, not dropped
    (ex,) = [e for e in r.excluded if e.description.startswith("AKT2")]
    assert ex.description == "AKT2 LOSS (copy number 0.60 (fold change 0.3))"
    # ERBB2 AMP is read as a context gene: the HER2-negative labels are contradicted
    m = next(m for m in r.matches if m.evidence.id == "VM0001")  # capivasertib, PTEN/PIK3CA
    assert m.requirement_status[0].status.value == "contradicted"


def test_craft_table_thresholds_decide_rows_without_an_amp_or_del_call(tmp_path):
    from varmatch.pipeline import Options, run_file

    p = tmp_path / "TSO-7_CopyNumber.tsv"
    p.write_text(CRAFT.replace("REF", "neutral"))
    (r,) = run_file(p, Options(tumor_type="BREAST", del_threshold=0.7))
    got = {str(a): a for a in r.alterations}
    assert set(got) == {"PTEN deletion", "PIK3CA amplification", "AKT2 deletion"}
    assert got["AKT2 deletion"].copy_number == 0.6  # LOSS at CN 0.6 <= --del-threshold 0.7
    assert got["PTEN deletion"].flags == ()  # CN 0.6 now passes the threshold too


# ---- ANNOVAR ---------------------------------------------------------------------------------
def _read(path, **kw):
    from varmatch import readers

    return list(readers.read(path, **kw))


def test_real_table_annovar_output_is_read_with_its_transcripts():
    from varmatch import readers
    from varmatch.models import Build

    (sc,) = _read(FIX / "intervar_myanno.hg19_multianno.txt", genes=None)
    assert readers.sniff(FIX / "intervar_myanno.hg19_multianno.txt") == "annovar"
    assert readers.sniff(FIX / "intervar_ex1.avinput") == "annovar"

    assert sc.build is Build.GRCh37 and sc.sample == "intervar_myanno"
    got = {str(a): a for c in sc.calls for a in c.annotations}
    il23r = got["IL23R p.R381Q"]  # rs11209026, the protective Crohn's allele
    assert (il23r.transcript, il23r.hgvs_c, il23r.consequence.value) == (
        "NM_144701", "c.1142G>A", "missense_variant")
    assert got["GJB2 p.G12fs"].hgvs_c == "c.35delG"  # ANNOVAR's deletion in VCF form
    gjb2 = next(c.variant for c in sc.calls if c.annotations and c.annotations[0].gene == "GJB2")
    assert (gjb2.pos, len(gjb2.ref), gjb2.alt) == (20763685, 2, gjb2.ref[0])
    assert got["NPHP4 c.1279-2T>A"].consequence.value == "splice_acceptor_variant"
    # the 309 kb GJB6 region deletion (Ref 0) is listed, not read as a small variant
    assert [e.reason.split(" (")[0] for e in sc.excluded] == ["not a small variant"]


def test_real_table_annovar_output_has_no_pathway_alteration():
    from varmatch.pipeline import Options, run_file

    (r,) = run_file(FIX / "intervar_myanno.hg19_multianno.txt", Options(tumor_type="NPC"))
    assert r.alterations == () and r.excluded == ()  # no pathway gene in ANNOVAR's example


def test_real_avinput_is_annotated_offline(tmp_path):
    from varmatch.pipeline import Options, run_file

    (r,) = run_file(FIX / "intervar_ex1.avinput", Options(genome=None, tumor_type="NPC"))
    assert r.alterations == ()  # ANNOVAR's example holds no pathway gene: read, nothing found
    # the same form with the GRCh37 AKT1 E17K and PIK3CA H1047R hotspots
    p = tmp_path / "npc.avinput"
    p.write_text("14\t105246551\t105246551\tC\tT\tcomments: AKT1 c.49G>A\n"
                 "3\t178952085\t178952085\tA\tG\tcomments: PIK3CA c.3140A>G\n")
    (r,) = run_file(p, Options(genome=Build37(), tumor_type="NPC"))
    assert [str(a) for a in r.alterations] == ["AKT1 p.E17K", "PIK3CA p.H1047R"]
    assert all(a.annotation_source == "varmatch" for a in r.alterations)


def Build37():
    from varmatch.models import Build

    return Build.GRCh37


# ANNOVAR -vcfinput output: refGene columns, then Otherinfo1-3 (zygosity, QUAL, DP) and the VCF
# record (Otherinfo4-13), as table_annovar.pl writes them since 2018
_VCFINPUT_HEAD = ("Chr\tStart\tEnd\tRef\tAlt\tFunc.refGene\tGene.refGene\tGeneDetail.refGene\t"
                  "ExonicFunc.refGene\tAAChange.refGene\tcosmic70\t"
                  + "\t".join(f"Otherinfo{i}" for i in range(1, 14)))
_VCFINPUT_ROWS = [
    "14\t105246551\t105246551\tC\tT\texonic\tAKT1\t.\tnonsynonymous SNV\t"
    "AKT1:NM_001014431:exon4:c.G49A:p.E17K,AKT1:NM_001014432:exon4:c.G49A:p.E17K,"
    "AKT1:NM_005163:exon3:c.G49A:p.E17K\tID=COSM33765\t"
    "het\t255\t100\t14\t105246551\t.\tC\tT\t255\tPASS\tDP=100\tGT:AD:DP\t0/1:70,30:100",
    "10\t89692904\t89692904\tC\tT\texonic\tPTEN\t.\tstopgain\t"
    "PTEN:NM_000314:exon5:c.C388T:p.R130X\t.\t"
    "het\t40\t60\t10\t89692904\t.\tC\tT\t40\tLowQual\tDP=60\tGT:AD:DP\t0/1:57,3:60",
    "17\t7577120\t7577120\tC\tT\texonic\tTP53\t.\tnonsynonymous SNV\t"
    "TP53:NM_000546:exon8:c.G818A:p.R273H\t.\t"
    "het\t255\t90\t17\t7577120\t.\tC\tT\t255\tPASS\tDP=90\tGT:AD:DP\t0/1:45,45:90",
]


def test_vcfinput_table_uses_the_original_vcf_in_otherinfo(tmp_path):
    from varmatch.pipeline import Options, run_file

    p = tmp_path / "T9.hg19_multianno.txt"
    p.write_text(_VCFINPUT_HEAD + "\n" + "\n".join(_VCFINPUT_ROWS) + "\n")
    (r,) = run_file(p, Options(tumor_type="BREAST"))
    (akt1,) = r.alterations  # TP53 is not a pathway gene; PTEN failed its FILTER
    assert str(akt1) == "AKT1 p.E17K"
    assert akt1.transcript in ("NM_001014431", "NM_001014432", "NM_005163")  # one of AAChange's
    assert (akt1.variant.depth, akt1.variant.alt_depth, akt1.vaf) == (100, 30, 0.3)
    assert akt1.annotation_source == "ANNOVAR"
    (ex,) = r.excluded
    assert ex.description.startswith("PTEN p.R130*")
    assert ex.reason.startswith("FILTER=LowQual")


def test_table_annovar_csv_form(tmp_path):
    import csv
    import io

    from varmatch.pipeline import Options, run_file

    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC)
    for line in [_VCFINPUT_HEAD, *_VCFINPUT_ROWS]:
        w.writerow(line.split("\t"))
    p = tmp_path / "T9.hg19_multianno.csv"
    p.write_text(buf.getvalue())
    (r,) = run_file(p, Options(tumor_type="BREAST"))
    assert [str(a) for a in r.alterations] == ["AKT1 p.E17K"]
    assert r.alterations[0].vaf == 0.3
