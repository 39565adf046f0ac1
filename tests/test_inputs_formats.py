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
