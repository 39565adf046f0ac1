"""Depth and allele fraction are read right from each caller's own convention, on real files."""

import pytest
from cyvcf2 import VCF

from varmatch.errors import SampleError
from varmatch.readers.vcf import allele_support, choose_sample


def _first(path, chrom=None, pos=None):
    vcf = VCF(str(path))
    import re

    formats = set(re.findall(r"^##FORMAT=<ID=([^,>]+)", vcf.raw_header, re.M))
    for rec in vcf:
        if pos is None or (rec.CHROM == chrom and rec.POS == pos):
            return vcf, rec, formats
    raise AssertionError("record not found")


def test_strelka2_snv_counts_tier1_base_counts(real):
    # demo20:991 C>G, TUMOR: AU 0, CU 5, GU 5, TU 0 (tier 1) -> depth 10, alt 5
    vcf, rec, formats = _first(real("vcf/caller_raw/strelka2_demo_somatic.snvs.vcf.gz"))
    idx = choose_sample(list(vcf.samples), vcf.raw_header, None, "x")
    assert vcf.samples[idx] == "TUMOR"
    assert allele_support(rec, formats, idx, 0) == (10, 5, 0.5)


def test_varscan_freq_percent_and_rd_ad(real):
    # 1:1991014 TUMOR: DP 91, RD 56, AD 35, FREQ 38.46%
    vcf, rec, formats = _first(real("vcf/caller_raw/vcf2maf_test_varscan.vcf"))
    idx = list(vcf.samples).index("TUMOR")
    depth, alt_depth, vaf = allele_support(rec, formats, idx, 0)
    assert (depth, alt_depth) == (91, 35)
    assert vaf == pytest.approx(0.3846)


def test_mutect1_ad_and_fa(real):
    # 1:2453125 TUMOR: AD 175,30  FA 0.146
    vcf, rec, formats = _first(real("vcf/caller_raw/vcf2maf_test_mutect.vcf"))
    idx = list(vcf.samples).index("TUMOR")
    depth, alt_depth, vaf = allele_support(rec, formats, idx, 0)
    assert (depth, alt_depth) == (205, 30)
    assert vaf == pytest.approx(0.146)


def test_freebayes_ao_ro(real):
    vcf, rec, formats = _first(real("vcf/caller_raw/vcfpy_freebayes.vcf"))
    idx = list(vcf.samples).index("NA12878")
    ao = int(rec.format("AO")[idx][0])
    ro = int(rec.format("RO")[idx][0])
    depth, alt_depth, vaf = allele_support(rec, formats, idx, 0)
    assert (depth, alt_depth) == (ro + ao, ao)
    assert vaf == pytest.approx(ao / (ro + ao), abs=1e-6)


def test_pisces_vf_and_ad(real):
    # chr1:11188611 T>C: AD 799,736  DP 1535  VF 0.47948
    vcf, rec, formats = _first(real("vcf/panel_tso500/moma_Lovo_nuc.vcf"), "chr1", 11188611)
    assert allele_support(rec, formats, 0, 0) == (1535, 736, 0.47948)


def test_ion_torrent_prefers_flow_counts(real):
    # chr1:11184568 G>A: AO=2 but FAO=0, FDP=753 -> no flow-corrected support
    vcf, rec, formats = _first(real("vcf/panel_iontorrent/moma_oca.vcf"), "chr1", 11184568)
    depth, alt_depth, vaf = allele_support(rec, formats, 0, 0)
    assert (depth, alt_depth) == (753, 0)
    assert vaf == 0


def test_pcgr_tvaf_and_adt(real):
    # 1:1900265 C>T: ADT 112,32; DPT 144; TVAF 0.2222
    vcf, rec, formats = _first(real("vcf/unannotated_multicaller/pcgr_T001-BRCA.grch37.vcf.gz"))
    depth, alt_depth, vaf = allele_support(rec, formats, 0, 0)
    assert (depth, alt_depth) == (144, 32)
    assert vaf == pytest.approx(0.2222, abs=1e-4)


def test_tumor_hint_picks_second_column(samples):
    vcf = VCF(str(samples / "hnsc_tumor_normal.mutect2.GRCh38.vcf"))
    assert choose_sample(list(vcf.samples), vcf.raw_header, None, "x") == 1


def test_several_samples_without_hint_is_a_clear_error(real):
    vcf = VCF(str(real("vcf/caller_raw/vcfpy_freebayes.vcf")))
    with pytest.raises(SampleError, match="--sample"):
        choose_sample(list(vcf.samples), vcf.raw_header, None, "freebayes.vcf")


def test_unknown_sample_lists_the_samples(real):
    vcf = VCF(str(real("vcf/caller_raw/vcf2maf_test_varscan.vcf")))
    with pytest.raises(SampleError, match="NORMAL, TUMOR"):
        choose_sample(list(vcf.samples), vcf.raw_header, "T1", "varscan.vcf")
