"""Input readers beyond VCF: MAF, copy number, fusions, vendor reports (FoundationOne, TSO500).

Real files come from ../shared/real_inputs (see its README); authored fixtures live in
tests/fixtures (FoundationOne XML, TSO500 CombinedVariantOutput, CNVkit segments, gene-level
copy-number tables, an Arriba file and a cBioPortal clinical sidecar).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from conftest import REAL, REPO, need

from varmatch import kb as kbmod
from varmatch import readers
from varmatch.errors import FormatError, InputError
from varmatch.models import AlterationType, Build, Consequence
from varmatch.readers import SampleCalls, cna, fusion, maf, vendor

FIX = Path(__file__).resolve().parent / "fixtures"
GENES = kbmod.bundled().pathway_genes
MAF100 = "maf/genomenexus_data_mutations_extended_100.txt"
IONTORRENT = "vcf/panel_iontorrent/moma_oca.vcf"


def real(rel: str) -> Path:
    return need(REAL / rel)


def by_sample(path: Path, **opts) -> dict[str, SampleCalls]:
    opts.setdefault("genes", GENES)
    return {sc.sample: sc for sc in readers.read(path, opts.pop("fmt", None), **opts)}


def labels(sc: SampleCalls) -> list[str]:
    return [str(a) for a in sc.alterations]


def one_line_error(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text
    return text


# --------------------------------------------------------------------------------------- sniffing
@pytest.mark.parametrize("rel,fmt", [
    (MAF100, "maf"), ("maf/vcf2maf_test.maf", "maf"),
    ("maf/moalmanac_example_patient.capture.somatic.called.cna.txt", "cna"),
    ("maf/moalmanac_example_patient.capture.somatic.seg.annotated", "cna"),
    ("maf/moalmanac_example_patient.rna.star.fusions.txt", "fusion"),
    ("cna_sv/pcgr_T001-BRCA.grch37.cna.tsv", "cna"),
    ("cna_sv/pcgr_T001-BRCA.grch37.fusions.tsv", "fusion"),
    (IONTORRENT, "vcf"),
])
def test_real_files_are_sniffed_by_content(rel, fmt):
    readers._load_builtin_readers()
    assert readers.sniff(real(rel)) == fmt


@pytest.mark.parametrize("name,fmt", [
    ("f1_report.xml", "foundation"), ("f1_report_qcfail.xml", "foundation"),
    ("tso500_CombinedVariantOutput.tsv", "tso500"), ("sample.cns", "cna"),
    ("sample.call.cns", "cna"), ("panel_cnv_foldchange.tsv", "cna"), ("data_CNA.txt", "cna"),
    ("arriba_fusions.tsv", "fusion"),
])
def test_fixtures_are_sniffed_by_content(name, fmt):
    readers._load_builtin_readers()
    assert readers.sniff(FIX / name) == fmt


def test_maf_with_hgvsp_short_is_not_taken_by_the_table_reader():
    from varmatch.readers import table

    head = real(MAF100).read_bytes()[:65536]
    assert not table._sniff(real(MAF100), head)
    assert maf._sniff(real(MAF100), head)


# -------------------------------------------------------------------------------------------- MAF
def test_genome_nexus_maf_gives_pathway_alterations_per_sample():
    out = by_sample(real(MAF100))
    assert len(out) == 20  # every Tumor_Sample_Barcode, with or without a pathway row
    assert labels(out["P-0000004-T01-IM3"]) == ["AKT1 p.E17K", "TSC2 p.R367Q"]
    assert labels(out["P-0000015-T01-IM3"]) == ["PIK3CA p.E545K"]
    assert labels(out["P-0000060-T01-IM3"]) == ["PIK3CA p.H1047R", "PTEN p.F215L"]
    assert labels(out["P-0000055-T01-IM3"]) == ["PIK3CA p.E81K", "PIK3R1 p.L449Ifs*3"]
    assert out["P-0000023-T01-IM3"].alterations == []  # no pathway row: present, negative
    akt1 = out["P-0000004-T01-IM3"].alterations[0]
    assert akt1.consequence is Consequence.MISSENSE and akt1.annotation_source == "MAF"
    assert akt1.variant.pos == 105246551 and akt1.variant.build is Build.GRCh37
    assert akt1.vaf == pytest.approx(0.547085) and akt1.transcript.startswith("ENST")
    p24 = {str(a): a for a in out["P-0000024-T01-IM3"].alterations}
    assert p24["PTEN p.N292Kfs*6"].consequence is Consequence.FRAMESHIFT
    splice = next(a for a in out["P-0000024-T01-IM3"].alterations if a.gene == "PIK3R1")
    assert splice.protein is None and splice.consequence is Consequence.SPLICE_ACCEPTOR
    every = {a.gene for sc in out.values() for a in sc.alterations}
    assert every == {"AKT1", "PIK3CA", "PIK3R1", "PTEN", "TSC2"}


def test_maf_clinical_sidecar_sets_tumor_type_per_sample():
    out = by_sample(real(MAF100), clinical=str(FIX / "data_clinical_sample.txt"))
    assert out["P-0000004-T01-IM3"].tumor_type == "IDC"
    assert out["P-0000024-T01-IM3"].tumor_type == "UEC"
    assert out["P-0000055-T01-IM3"].tumor_type is None  # NA in the sidecar
    assert out["P-0000060-T01-IM3"].tumor_type is None
    assert any("not in the clinical file" in n for n in out["P-0000060-T01-IM3"].notes)
    assert maf.read_clinical(FIX / "data_clinical_sample.txt")["P-0000015-T01-IM3"] == "ILC"


def test_clinical_without_oncotree_column_is_a_format_error(tmp_path):
    bad = tmp_path / "clin.txt"
    bad.write_text("SAMPLE_ID\tAGE\nS1\t50\n")
    with pytest.raises(FormatError, match="ONCOTREE_CODE") as e:
        maf.read_clinical(bad)
    assert ":1:" in one_line_error(e.value)


def test_coordinates_only_maf_gives_raw_calls_for_the_annotator():
    out = by_sample(real("maf/vcf2maf_test.maf"))
    sc = out["TUMOR"]
    assert sc.build is Build.GRCh37 and sc.alterations == []
    calls = [str(c.variant) for c in sc.calls]
    assert "3:178936091G>A" in calls  # PIK3CA E545K
    assert "3:178928219G>GATA" in calls  # MAF insertion "-" > ATA, anchored on the bundled base
    assert all(c.variant.source.startswith("vcf2maf_test.maf:") for c in sc.calls)


def test_maf_to_vcf_alleles():
    base = {99: "C", 100: "A"}.get
    assert maf.maf_to_vcf(100, "A", "-", lambda p: base(p, "N")) == (99, "CA", "C")
    assert maf.maf_to_vcf(100, "-", "TT", lambda p: base(p, "N")) == (100, "A", "ATT")
    assert maf.maf_to_vcf(100, "G", "T", lambda p: "N") == (100, "G", "T")


MAF_HEADER = ("Hugo_Symbol\tNCBI_Build\tChromosome\tStart_Position\tEnd_Position\t"
              "Variant_Classification\tReference_Allele\tTumor_Seq_Allele1\tTumor_Seq_Allele2\t"
              "Tumor_Sample_Barcode\tMutation_Status\tFILTER\tt_ref_count\tt_alt_count\tHGVSp_Short\n")


def test_maf_failed_and_germline_rows_are_excluded_with_reasons(tmp_path):
    f = tmp_path / "cohort.maf"
    f.write_text("#version 2.4\n" + MAF_HEADER
                 + "PIK3CA\tGRCh37\t3\t178952085\t178952085\tMissense_Mutation\tA\tA\tG\tS1\tSomatic\t"
                   "PASS\t50\t20\tp.H1047R\n"
                 + "PTEN\tGRCh37\t10\t89692904\t89692904\tNonsense_Mutation\tC\tC\tT\tS1\tSomatic\t"
                   "panel_of_normals\t40\t10\tp.R130*\n"
                 + "AKT1\tGRCh37\t14\t105246551\t105246551\tMissense_Mutation\tC\tC\tT\tS2\tGermline\t"
                   "PASS\t30\t30\tp.E17K\n"
                 + "TP53\tGRCh37\t17\t7578406\t7578406\tMissense_Mutation\tC\tC\tT\tS2\tSomatic\t"
                   "PASS\t30\t30\tp.R175H\n")
    out = by_sample(f)
    assert labels(out["S1"]) == ["PIK3CA p.H1047R"]
    assert [(e.description.split(" (")[0], e.reason.split(" (")[0]) for e in out["S1"].excluded] == [
        ("PTEN p.R130*", "FILTER=panel_of_normals")]
    assert out["S2"].alterations == []  # germline AKT1 left out, TP53 is not a pathway gene
    assert "Germline" in out["S2"].excluded[0].reason
    kept = by_sample(f, include_filtered=True)
    assert labels(kept["S1"]) == ["PIK3CA p.H1047R", "PTEN p.R130*"]
    assert kept["S2"].alterations == []  # --include-filtered does not bring back germline calls


def test_maf_streams_large_files_with_bounded_memory(tmp_path):
    f = tmp_path / "big.maf"
    row = ("TTN\tGRCh37\t2\t{pos}\t{pos}\tMissense_Mutation\tC\tC\tT\tS{s}\tSomatic\tPASS\t50\t9\t"
           "p.R{p}H\n")
    with open(f, "w") as fh:
        fh.write(MAF_HEADER)
        for i in range(60_000):
            fh.write(row.format(pos=179390000 + i, s=i % 3000, p=i + 1))
        fh.write("PIK3CA\tGRCh37\t3\t178936091\t178936091\tMissense_Mutation\tG\tG\tA\tS7\tSomatic\t"
                 "PASS\t50\t20\tp.E545K\n")
    tracemalloc.start()
    out = by_sample(f)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(out) == 3000 and labels(out["S7"]) == ["PIK3CA p.E545K"]
    assert sum(len(sc.alterations) for sc in out.values()) == 1
    assert peak < 12 * 2**20  # 6 MB of non-pathway rows never become objects


def test_maf_edge_cases_give_clear_errors():
    readers._load_builtin_readers()
    with pytest.raises(InputError, match="empty") as e:
        list(readers.read(real("edge_cases/maf/genomenexus_empty_format.txt")))
    one_line_error(e.value)
    with pytest.raises(InputError, match="empty"):
        list(readers.read(real("edge_cases/maf/genomenexus_empty_format.txt"), "maf"))
    with pytest.raises(FormatError, match="cannot tell the format") as e:
        list(readers.read(real("edge_cases/maf/genomenexus_invalid_format.txt")))
    assert "genomenexus_invalid_format.txt:1:" in one_line_error(e.value)
    with pytest.raises(FormatError, match="Hugo_Symbol") as e:
        list(readers.read(real("edge_cases/maf/genomenexus_mafMergerTest_invalidHeader1.txt"), "maf"))
    assert "invalidHeader1.txt:4:" in one_line_error(e.value)


def test_maf_bad_position_names_the_line(tmp_path):
    f = tmp_path / "bad.maf"
    f.write_text(MAF_HEADER + "PIK3CA\tGRCh37\t3\tabc\t178936091\tMissense_Mutation\tG\tG\tA\tS1\t"
                 "Somatic\tPASS\t50\t20\tp.E545K\n")
    with pytest.raises(FormatError, match="Start_Position") as e:
        list(readers.read(f, genes=GENES))
    assert "bad.maf:2:" in one_line_error(e.value)


# ------------------------------------------------------------------------------------ copy number
def test_moalmanac_segments_call_nothing_near_diploid_at_default_thresholds():
    path = real("maf/moalmanac_example_patient.capture.somatic.seg.annotated")
    (sc,) = by_sample(path).values()
    assert sc.sample == "example_tumor_profile" and sc.build is Build.GRCh37
    assert sc.alterations == []  # PIK3CA log2 -0.07, PTEN -0.27, TSC1 -0.40: near diploid
    assert any("amplification at copy number >= 5" in n and "<= 0.5" in n for n in sc.notes)
    assert any("CN = 2 x 2^log2" in n for n in sc.notes)


def test_moalmanac_segments_with_lower_thresholds():
    path = real("maf/moalmanac_example_patient.capture.somatic.seg.annotated")
    (sc,) = by_sample(path, amp_threshold=3.0, del_threshold=1.2).values()
    assert labels(sc) == ["AKT3 amplification"]  # log2 0.62 -> CN 3.08 over the whole gene
    assert sc.alterations[0].copy_number == pytest.approx(3.08, abs=0.01)
    assert not any(a.type is AlterationType.DELETION for a in sc.alterations)  # TSC2 CN 1.3 not
    partial = {e.description.split()[0] for e in sc.excluded}
    assert "MTOR" in partial  # CN 3.4 over exons 54-56 only: a partial gain is not amplification
    assert any("amplification at copy number >= 3" in n for n in sc.notes)


def test_moalmanac_gene_level_calls():
    path = real("maf/moalmanac_example_patient.capture.somatic.called.cna.txt")
    (sc,) = by_sample(path, genes=None).values()
    assert sorted(labels(sc)) == ["BRAF amplification", "CDK4 amplification", "CDKN2A deletion",
                                  "FGFR2 deletion", "TP53 deletion"]  # "Wild type" BLM is not
    (sc,) = by_sample(path).values()
    assert sc.alterations == []  # no pathway gene


def test_pcgr_allele_specific_segments_amplify_rictor():
    path = real("cna_sv/pcgr_T001-BRCA.grch37.cna.tsv")
    (sc,) = by_sample(path).values()
    assert labels(sc) == ["RICTOR amplification"]
    assert sc.alterations[0].copy_number == 6.0  # nMajor 5 + nMinor 1
    assert any("build from the file name" in n for n in sc.notes)
    (sc,) = by_sample(path, genes=None).values()
    assert "ERBB2 amplification" in labels(sc)


def test_cnvkit_segments_log2_and_call(tmp_path):
    for name in ("sample.cns", "sample.call.cns"):
        for genome in (None, Build.GRCh37):
            (sc,) = by_sample(FIX / name, genome=genome).values()
            got = {str(a): a.copy_number for a in sc.alterations}
            assert set(got) == {"PTEN deletion", "AKT3 amplification"}, (name, genome)
            # MTOR log2 -0.90 (CN 1.07, cn 1), TSC2 -0.41, PIK3CA +0.05: not called
    (sc,) = by_sample(FIX / "sample.cns").values()
    assert {str(a): a.copy_number for a in sc.alterations} == {
        "PTEN deletion": pytest.approx(0.08, abs=0.01), "AKT3 amplification": pytest.approx(6.94, abs=0.01)}


def test_segment_file_without_build_asks_for_genome(tmp_path):
    f = tmp_path / "tumor.seg"
    f.write_text("ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
                 "T1\t10\t89600000\t89760000\t40\t-3.9\n")
    with pytest.raises(InputError, match="--genome"):
        list(readers.read(f, genes=GENES))
    (sc,) = by_sample(f, genome=Build.GRCh37).values()
    assert labels(sc) == ["PTEN deletion"] and sc.sample == "T1"


def test_gene_level_fold_change_table_caller_calls_count_thresholds_for_the_rest():
    (sc,) = by_sample(FIX / "panel_cnv_foldchange.tsv").values()
    got = {str(a): a.copy_number for a in sc.alterations}
    # PTEN "loss" (one-copy word) at fold change 0.08 = CN 0.16: the threshold calls it deleted;
    # PIK3CA "amplification" at fold change 1.62 = CN 3.24: the caller's call counts, flagged
    assert got == {"PTEN deletion": 0.16, "PIK3CA amplification": 3.24, "AKT2 amplification": 6.8}
    pik3ca = next(a for a in sc.alterations if a.gene == "PIK3CA")
    assert pik3ca.flags == ("the caller's amplification call is used; copy number 3.24 (fold "
                            "change 1.62) does not pass --amp-threshold 5",)
    (ex,) = sc.excluded  # MTOR "loss" at CN 1.62: a one-copy loss, listed, not reported
    assert ex.description == "MTOR loss (copy number 1.62 (fold change 0.81))"
    assert "one-copy change" in ex.reason
    assert any("CN = 2 x fold change" in n for n in sc.notes)
    assert ("PTEN: copy number 0.16 from fold change 0.08 (2 x fold change: ploidy 2, no purity "
            "correction)") in sc.notes


def test_cbioportal_wide_discrete_table_and_clinical():
    out = by_sample(FIX / "data_CNA.txt", clinical=str(FIX / "data_clinical_sample.txt"))
    assert list(out) == ["P-0000004-T01-IM3", "P-0000015-T01-IM3", "P-0000024-T01-IM3"]
    assert out["P-0000004-T01-IM3"].alterations == []  # ERBB2 2 is not a pathway gene
    assert labels(out["P-0000015-T01-IM3"]) == ["PIK3CA amplification"]
    assert labels(out["P-0000024-T01-IM3"]) == ["PTEN deletion"]
    assert out["P-0000024-T01-IM3"].tumor_type == "UEC"


def test_bad_copy_number_value_names_the_line(tmp_path):
    f = tmp_path / "cn.tsv"
    f.write_text("gene\tcopy_number\nPTEN\t0\nAKT1\tmany\n")
    with pytest.raises(FormatError, match="not a number") as e:
        list(readers.read(f, genes=GENES))
    assert "cn.tsv:3:" in one_line_error(e.value)


def test_absolute_copy_number_table_near_diploid_is_not_deleted(tmp_path):
    f = tmp_path / "cn.tsv"
    f.write_text("gene\tcopy_number\nPTEN\t0.4\nMTOR\t1.61\nPIK3CA\t5.0\nAKT1\t2\n")
    (sc,) = by_sample(f).values()
    assert labels(sc) == ["PTEN deletion", "PIK3CA amplification"]


def test_ion_reporter_cnv_records():
    path = real(IONTORRENT)
    out = SampleCalls("MSN30015_v1", str(path), build=Build.GRCh37)
    cna.cnv_from_vcf(path, out, genes=GENES)
    assert out.alterations == []  # MTOR CN 1.61, PTEN 1.88, PIK3CA 3.13: none deep/high
    assert any("deep deletion at <= 0.5" in n for n in out.notes)
    out = SampleCalls("MSN30015_v1", str(path), build=Build.GRCh37)
    cna.cnv_from_vcf(path, out, genes=None, amp_threshold=3.0)
    got = {str(a): a.copy_number for a in out.alterations}
    assert got["CCND1 amplification"] == 13.11 and got["PIK3CA amplification"] == 3.13
    assert "MTOR deletion" not in got


# ----------------------------------------------------------------------------------------- fusion
def test_star_fusion_uses_gene_columns_and_strips_ensembl_ids():
    (sc,) = by_sample(real("maf/moalmanac_example_patient.rna.star.fusions.txt")).values()
    # named 5'::3' (LeftGene is STAR-Fusion's 5' gene), whichever side is the pathway gene
    assert sorted(labels(sc)) == ["DGKQ::TSC2", "FNDC3A::INPP4B"]
    tsc2 = next(a for a in sc.alterations if a.gene == "TSC2")
    assert tsc2.type is AlterationType.FUSION and tsc2.partner == "DGKQ"
    assert tsc2.fusion_role == "TSC2 is the 3' partner (DGKQ 5')"
    (sc,) = by_sample(real("maf/moalmanac_example_patient.rna.star.fusions.txt"), genes=None).values()
    genes = {a.gene for a in sc.alterations}
    assert "CD2AP" in genes and "EML4" not in genes  # LeftGene wins over the FusionName label


def test_pcgr_fusion_list():
    (sc,) = by_sample(real("cna_sv/pcgr_T001-BRCA.grch37.fusions.tsv")).values()
    assert sc.alterations == []
    (sc,) = by_sample(real("cna_sv/pcgr_T001-BRCA.grch37.fusions.tsv"), genes=None).values()
    got = labels(sc)
    assert got.count("EML4::ALK") == 2  # the EML4 and the ALK side, one name: 5'::3'
    assert any(a.gene == "NTRK3" and a.partner is None for a in sc.alterations)  # "--NTRK3"


def test_arriba_low_confidence_is_excluded_with_reason():
    (sc,) = by_sample(FIX / "arriba_fusions.tsv").values()
    assert labels(sc) == ["MAGI3::AKT3", "PTEN::RNLS"]  # intergenic PIK3CA side skipped
    assert [(e.description, e.reason.split(" (")[0]) for e in sc.excluded] == [
        ("TSC2::NTHL1", "Arriba confidence=low")]
    (sc,) = by_sample(FIX / "arriba_fusions.tsv", include_filtered=True).values()
    assert "TSC2::NTHL1" in labels(sc)


def test_ion_reporter_failed_fusions_are_excluded():
    path = real(IONTORRENT)
    out = SampleCalls("MSN30015_v1", str(path), build=Build.GRCh37)
    fusion.fusions_from_vcf(path, out, genes=GENES)
    assert out.alterations == []
    (ex,) = out.excluded
    assert ex.description.startswith("MAGI3::AKT3")  # Oncomine ID MAGI3-AKT3: 5' gene first
    assert "FILTER=FAIL" in ex.reason and "READ_COUNT<=20" in ex.reason


# ----------------------------------------------------------------------------------------- vendor
def test_foundation_one_xml():
    (sc,) = by_sample(FIX / "f1_report.xml").values()
    assert sc.sample == "FIXTURE-F1-01" and sc.build is Build.GRCh37
    assert sc.tumor_type == "Breast invasive ductal carcinoma"
    assert labels(sc) == ["PIK3CA p.H1047R", "PTEN p.R233*", "AKT1 p.E17K", "MTOR p.C1483S",
                          "PTEN deletion", "AKT3 amplification", "MAGI3::AKT3"]
    akt1 = sc.alterations[2]
    assert (akt1.variant.chrom, akt1.variant.pos, akt1.variant.ref, akt1.variant.alt) == (
        "14", 105246551, "C", "T")  # minus-strand c.49G>A
    assert akt1.vaf == 0.08 and akt1.depth == 902 and akt1.hgvs_c == "c.49G>A"
    assert sc.alterations[4].copy_number == 0.0
    notes = "\n".join(sc.notes)
    assert "MTOR p.C1483S: status unknown (VUS per vendor)" in notes
    assert "AKT3 amplification: status likely, equivocal" in notes
    assert "TMB: 8.82 mutations per megabase (intermediate)" in notes and "MSI: MSS" in notes


def test_foundation_one_qc_fail_excludes_everything():
    (sc,) = by_sample(FIX / "f1_report_qcfail.xml").values()
    assert sc.alterations == []
    assert [(e.description, e.reason.split(":")[0]) for e in sc.excluded] == [
        ("PIK3CA p.E545K", "FoundationOne quality-control status Fail")]


def test_foundation_one_malformed(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text('<?xml version="1.0"?>\n<variant-report xmlns="http://foundationmedicine.com/">'
                   "\n<short-variants>\n</variant-report>\n")
    with pytest.raises(FormatError, match="not well-formed") as e:
        list(readers.read(bad, "foundation"))
    assert "broken.xml:4:" in one_line_error(e.value)
    other = tmp_path / "other.xml"
    other.write_text("<ResultsReport><nothing/></ResultsReport>")
    with pytest.raises(FormatError, match="variant-report"):
        list(readers.read(other, "foundation"))


def test_tso500_combined_variant_output():
    (sc,) = by_sample(FIX / "tso500_CombinedVariantOutput.tsv").values()
    assert sc.sample == "FIXTURE-TSO-01-D" and sc.build is Build.GRCh37
    assert labels(sc) == ["PIK3CA p.E545K", "PTEN p.R130*", "AKT3 amplification",
                          "PIK3CA/USP13 fusion (5'/3' order not stated)"]  # "Gene Pair": no order
    e545k = sc.alterations[0]
    assert e545k.vaf == 0.284 and e545k.exon == 10 and str(e545k.variant) == "3:178936091G>A"
    assert sc.alterations[1].consequence is Consequence.STOP_GAINED
    assert sc.alterations[2].copy_number == 6.24  # 2 x fold change 3.12
    notes = "\n".join(sc.notes)
    assert "TMB: 11.02 mutations/Mb" in notes and "MSI: 1.71% unstable" in notes


def test_tso500_gene_pair_split():
    assert vendor.split_gene_pair("KIF5B-RET", None) == (["KIF5B"], ["RET"])
    assert vendor.split_gene_pair("CD74-ROS1;GOPC", None) == (["CD74"], ["ROS1", "GOPC"])
    assert vendor.split_gene_pair("NKX2-1-PIK3CA", GENES) == (["NKX2-1"], ["PIK3CA"])


# ------------------------------------------------------------------------------------ end to end
def _run(path: Path, *extra: str) -> list[dict]:
    p = subprocess.run([sys.executable, "-m", "varmatch", "run", str(path), "-t", "BREAST", "-o", "-",
                        "--formats", "json", *extra], capture_output=True, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stderr.decode()
    data = json.loads(p.stdout)
    if isinstance(data, dict) and "samples" in data:
        return data["samples"]
    return data if isinstance(data, list) else [data]


def test_end_to_end_maf_and_vendor_report():
    results = {d["sample"]: d for d in _run(real(MAF100))}
    assert {a["alteration"] for a in results["P-0000060-T01-IM3"]["alterations"]} == {
        "PIK3CA p.H1047R", "PTEN p.F215L"}
    assert results["P-0000060-T01-IM3"]["matches"]
    (f1,) = _run(FIX / "f1_report.xml")
    got = {a["alteration"] for a in f1["alterations"]}
    assert {"PIK3CA p.H1047R", "PTEN deletion", "MAGI3::AKT3"} <= got


def test_end_to_end_error_is_one_line():
    p = subprocess.run([sys.executable, "-m", "varmatch", "run",
                        str(real("edge_cases/maf/genomenexus_invalid_format.txt")), "-t", "BREAST",
                        "-o", "-", "--formats", "json"], capture_output=True, timeout=300, cwd=REPO)
    err = p.stderr.decode().strip()
    assert p.returncode != 0 and "Traceback" not in err and p.stdout == b""
    assert "genomenexus_invalid_format.txt:1:" in err
