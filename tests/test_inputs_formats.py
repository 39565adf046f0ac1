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
