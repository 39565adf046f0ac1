"""Tests for varmatch.annotate.preannotated on real annotated VCFs and on small inline records."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cyvcf2 import VCF

from varmatch.annotate.preannotated import (
    AnnotationParser,
    consequence_from_terms,
    detect_annotation,
    vep_allele_forms,
)
from varmatch.models import Alteration, Consequence, Variant

REAL = Path(__file__).resolve().parents[2] / "shared" / "real_inputs" / "vcf"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="shared real inputs not available")

PATHWAY = frozenset(
    "AKT1 AKT2 AKT3 PIK3CA PIK3CB PIK3R1 PTEN MTOR TSC1 TSC2 STK11 RICTOR RPTOR INPP4B PDPK1 "
    "RHEB".split()
)


# --------------------------------------------------------------------------------------------------
# helpers
def _repaired(src: Path, tmp_path: Path) -> Path:
    """A copy cyvcf2 can open: some SnpEff example files lack ##fileformat or #CHROM, or start
    with a stray log line."""
    lines = src.read_text().splitlines()
    meta = [ln for ln in lines if ln.startswith("##") and not ln.startswith("##fileformat")]
    chrom = [ln for ln in lines if ln.startswith("#CHROM")]
    records = [
        ln
        for ln in lines
        if not ln.startswith("#") and ln.count("\t") >= 7 and ln.split("\t")[1].isdigit()
    ]
    if not chrom:
        chrom = ["#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    out = tmp_path / src.name
    out.write_text("\n".join(["##fileformat=VCFv4.2", *meta, chrom[0], *records]) + "\n")
    return out


def _vcf_from_text(tmp_path: Path, text: str, name: str = "inline.vcf") -> VCF:
    path = tmp_path / name
    path.write_text(text)
    return VCF(str(path))


def _run(
    vcf: VCF, parser: AnnotationParser, genes: frozenset[str] | None = None
) -> Iterator[tuple[Variant, Alteration]]:
    for rec in vcf:
        for i, alt in enumerate(rec.ALT):
            variant = Variant(rec.CHROM, rec.POS, rec.REF, alt)
            for alteration in parser.alterations(
                rec.INFO.get, alt, i, variant, genes, alts=rec.ALT
            ):
                yield variant, alteration


def _at(
    vcf: VCF,
    parser: AnnotationParser,
    chrom: str,
    pos: int,
    alt: str,
    genes: frozenset[str] | None = None,
) -> list[Alteration]:
    return [a for v, a in _run(vcf, parser, genes) if (v.chrom, v.pos, v.alt) == (chrom, pos, alt)]


def _detect(header: str) -> AnnotationParser:
    parser = detect_annotation(header)
    assert parser is not None
    return parser


def _one(alterations: list[Alteration], gene: str) -> Alteration:
    found = [a for a in alterations if a.gene == gene]
    assert len(found) == 1, alterations
    return found[0]


# --------------------------------------------------------------------------------------------------
# VEP on real files
@needs_real
def test_pcgr_brca_vep_yields_only_pik3ca_h1047r() -> None:
    vcf = VCF(str(REAL / "vep_csq" / "pcgr2017_tumor_sample.BRCA.pcgr.vcf.gz"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "VEP" and parser.tag == "CSQ"
    found = list(_run(vcf, parser, PATHWAY))
    assert len(found) == 1
    variant, alt = found[0]
    assert (variant.chrom, variant.pos, variant.ref, variant.alt) == ("3", 178952085, "A", "G")
    assert str(alt) == "PIK3CA p.H1047R"
    assert alt.consequence is Consequence.MISSENSE
    assert alt.transcript == "ENST00000263967.3"  # Feature has no version; HGVSc does
    assert alt.exon == 21
    assert alt.hgvs_c == "c.3140A>G"
    assert alt.annotation_source == "VEP"
    assert alt.variant == variant


@needs_real
def test_pcgr_header_info_consequence_tag_is_not_taken_for_vep() -> None:
    # PCGR also writes INFO/Consequence and INFO/HGVSp for the picked block; only CSQ is VEP's list
    header = VCF(str(REAL / "vep_csq" / "pcgr2017_tumor_sample.BRCA.pcgr.vcf.gz")).raw_header
    assert "##INFO=<ID=Consequence," in header
    parser = detect_annotation(header)
    assert parser is not None and parser.tag == "CSQ"
    assert parser.fields[:4] == ("Allele", "Consequence", "IMPACT", "SYMBOL")
    assert "PICK" in parser.fields


@needs_real
def test_split_vep_chr1_all_records_parse_without_error(caplog: pytest.LogCaptureFixture) -> None:
    vcf = VCF(str(REAL / "vep_csq" / "bcftools_split-vep.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "VEP" and len(parser.fields) == 84
    with caplog.at_level(logging.DEBUG, logger="varmatch.annotate.preannotated"):
        records = 0
        consequences = set()
        for rec in vcf:
            records += 1
            for i, alt in enumerate(rec.ALT):
                variant = Variant(rec.CHROM, rec.POS, rec.REF, alt)
                for a in parser.alterations(rec.INFO.get, alt, i, variant, alts=rec.ALT):
                    consequences.add(a.consequence)
    assert records == 802
    assert not [r for r in caplog.records if "no VEP entry for allele" in r.getMessage()]
    assert {
        Consequence.MISSENSE,
        Consequence.FRAMESHIFT,
        Consequence.SYNONYMOUS,
        Consequence.NON_CODING,
        Consequence.INTRON,
    } <= consequences


@needs_real
def test_split_vep_or4f5_missense_phe113cys() -> None:
    vcf = VCF(str(REAL / "vep_csq" / "bcftools_split-vep.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    alt = _one(_at(vcf, parser, "1", 69428, "G"), "OR4F5")
    assert str(alt.protein) == "F113C"
    assert alt.consequence is Consequence.MISSENSE
    assert alt.transcript == "ENST00000335137.3"
    assert alt.exon == 1
    assert alt.hgvs_c == "c.338T>G"


@needs_real
def test_split_vep_or4f5_synonymous_with_percent_escaped_equals() -> None:
    # VEP writes 'ENSP00000334393.3:p.Ser60%3D'
    vcf = VCF(str(REAL / "vep_csq" / "bcftools_split-vep.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    alt = _one(_at(vcf, parser, "1", 69270, "G"), "OR4F5")
    assert alt.consequence is Consequence.SYNONYMOUS
    assert alt.protein is not None and alt.protein.kind == "synonymous"
    assert str(alt.protein) == "S60="


@needs_real
def test_split_vep_or4f5_deletion_matched_through_dash_allele() -> None:
    # ACAATT>A is written by VEP with Allele '-'
    vcf = VCF(str(REAL / "vep_csq" / "bcftools_split-vep.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    alt = _one(_at(vcf, parser, "1", 69469, "A"), "OR4F5")
    assert alt.consequence is Consequence.FRAMESHIFT
    assert str(alt.protein) == "T127Nfs*38"
    assert alt.hgvs_c == "c.380_384del"


@needs_real
def test_split_vep_wash7p_noncoding_takes_canonical_transcript() -> None:
    vcf = VCF(str(REAL / "vep_csq" / "bcftools_split-vep.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    found = _at(vcf, parser, "1", 14464, "T")
    assert {a.gene for a in found} == {"WASH7P", "DDX11L1"}
    wash = _one(found, "WASH7P")
    assert wash.transcript == "ENST00000438504.2"  # the CANONICAL=YES entry, not the first
    assert wash.consequence is Consequence.NON_CODING
    assert wash.exon == 12 and wash.protein is None and wash.hgvs_c == "n.1682T>A"
    assert _one(found, "DDX11L1").consequence is Consequence.DOWNSTREAM


@needs_real
def test_broken_lof_vep_under_info_vep_with_commas_inside_lof_info() -> None:
    vcf = VCF(str(REAL / "vep_csq" / "bcftools_split-vep.broken-LoF.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "VEP" and parser.tag == "vep"
    found = list(_run(vcf, parser))
    by_alt = {(v.alt, a.gene): a for v, a in found}
    assert len(found) == 4  # two genes x two ALTs; no gene from LoF_info fragments
    snv = by_alt[("A", "FP565260.3")]
    assert str(snv.protein) == "G237R" and snv.transcript == "ENST00000623960.4"
    assert snv.exon == 5 and snv.consequence is Consequence.MISSENSE
    assert str(by_alt[("A", "LOC102723996")].protein) == "G237R"
    assert by_alt[("A", "LOC102723996")].transcript == "NM_001363770.2"
    dup = by_alt[("GGA", "FP565260.3")]  # Allele 'GA' in VEP's convention
    assert dup.consequence is Consequence.FRAMESHIFT
    assert str(dup.protein) == "D240Efs*35"
    assert dup.hgvs_c == "c.718_719dup"


@needs_real
def test_pvactools_tsc1_leu719_delins_from_picked_transcript() -> None:
    vcf = VCF(str(REAL / "vep_csq" / "pvactools_protein_altering_variants.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "VEP"
    found = list(_run(vcf, parser, PATHWAY))
    assert len(found) == 1
    variant, tsc1 = found[0]
    assert (variant.chrom, variant.pos) == ("chr9", 132903703)
    assert tsc1.gene == "TSC1"
    assert tsc1.consequence is Consequence.PROTEIN_ALTERING
    assert tsc1.transcript == "ENST00000298552.8"  # PICK=1
    assert tsc1.exon == 17
    assert tsc1.protein is not None and tsc1.protein.kind == "delins"
    assert str(tsc1.protein) == "L719delinsQGSDLTLLQIKV"
    assert tsc1.hgvs_c == "c.2155_2156insAAGGAAGTGATCTAACTTTGCTGCAAATAAAAG"


# --------------------------------------------------------------------------------------------------
# VEP transcript choice and allele convention (inline)
_VEP_FIELDS = "Allele|Consequence|SYMBOL|Feature|EXON|HGVSc|HGVSp|PICK|MANE_SELECT|CANONICAL"
_VEP_HEADER = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
    f'Format: {_VEP_FIELDS}">'
)
_PIK3CA = Variant("3", 178952085, "A", "G")


def _csq(*rows: dict[str, str]) -> str:
    names = _VEP_FIELDS.split("|")
    return ",".join("|".join(r.get(n, "") for n in names) for r in rows)


def _pik3ca_row(
    feature: str, hgvsp: str, consequence: str = "missense_variant", **flags: str
) -> dict[str, str]:
    return {
        "Allele": "G",
        "Consequence": consequence,
        "SYMBOL": "PIK3CA",
        "Feature": feature,
        "EXON": "21/21",
        "HGVSc": f"{feature}:c.3140A>G",
        "HGVSp": hgvsp,
        **flags,
    }


def test_vep_pick_flag_outranks_mane_and_canonical() -> None:
    parser = detect_annotation(_VEP_HEADER)
    assert parser is not None
    csq = _csq(
        _pik3ca_row("ENST1", "ENSP1:p.His1047Leu", CANONICAL="YES"),
        _pik3ca_row("ENST2", "ENSP2:p.His1047Tyr", MANE_SELECT="NM_006218.4"),
        _pik3ca_row("ENST3", "ENSP3:p.His1047Arg", PICK="1"),
    )
    [alt] = parser.alterations({"CSQ": csq}.get, "G", 0, _PIK3CA)
    assert str(alt) == "PIK3CA p.H1047R" and alt.transcript == "ENST3"


def test_vep_mane_then_canonical_then_preferred_then_severity() -> None:
    parser = detect_annotation(_VEP_HEADER, preferred={"PIK3CA": {"ENST9.1"}})
    assert parser is not None
    get = {
        "CSQ": _csq(
            _pik3ca_row("ENST1", "", consequence="intron_variant"),
            _pik3ca_row("ENST2", "ENSP2:p.His1047Arg", MANE_SELECT="NM_006218.4"),
            _pik3ca_row("ENST3", "ENSP3:p.His1047Leu", CANONICAL="YES"),
        )
    }.get
    assert parser.alterations(get, "G", 0, _PIK3CA)[0].transcript == "ENST2"
    get = {
        "CSQ": _csq(
            _pik3ca_row("ENST9", "ENSP9:p.His1047Tyr"),
            _pik3ca_row("ENST3", "ENSP3:p.His1047Leu", CANONICAL="YES"),
        )
    }.get
    assert parser.alterations(get, "G", 0, _PIK3CA)[0].transcript == "ENST3"
    get = {
        "CSQ": _csq(
            _pik3ca_row("ENST1", "ENSP1:p.His1047Leu"),
            _pik3ca_row("ENST9", "ENSP9:p.His1047Tyr"),  # preferred, given with a version
        )
    }.get
    assert parser.alterations(get, "G", 0, _PIK3CA)[0].transcript == "ENST9"
    get = {
        "CSQ": _csq(
            _pik3ca_row("ENST1", "", consequence="intron_variant"),
            _pik3ca_row("ENST5", "ENSP5:p.His1047Arg", consequence="missense_variant"),
        )
    }.get
    [alt] = parser.alterations(get, "G", 0, _PIK3CA)
    assert alt.transcript == "ENST5" and alt.consequence is Consequence.MISSENSE


def test_vep_most_severe_of_ampersand_terms_and_unparsable_hgvsp() -> None:
    parser = detect_annotation(_VEP_HEADER)
    assert parser is not None
    row = {
        "Allele": "T",
        "Consequence": "splice_acceptor_variant&intron_variant",
        "SYMBOL": "PTEN",
        "Feature": "ENST00000371953",
        "HGVSc": "ENST00000371953.8:c.80-1G>T",
        "HGVSp": "p.?",
    }
    [alt] = parser.alterations({"CSQ": _csq(row)}.get, "T", 0, Variant("10", 89685269, "G", "T"))
    assert alt.consequence is Consequence.SPLICE_ACCEPTOR
    assert alt.protein is None and alt.hgvs_c == "c.80-1G>T"
    assert str(alt) == "PTEN c.80-1G>T"


def test_vep_one_alteration_per_gene_and_genes_filter() -> None:
    parser = detect_annotation(_VEP_HEADER)
    assert parser is not None
    rows = [
        _pik3ca_row("ENST1", "ENSP1:p.His1047Arg"),
        _pik3ca_row("ENST2", "ENSP2:p.His1047Arg"),
        {
            "Allele": "G",
            "Consequence": "upstream_gene_variant",
            "SYMBOL": "GNB4",
            "Feature": "ENST7",
        },
        {"Allele": "G", "Consequence": "regulatory_region_variant", "Feature": "ENSR1"},
    ]
    get = {"CSQ": _csq(*rows)}.get
    assert [a.gene for a in parser.alterations(get, "G", 0, _PIK3CA)] == ["PIK3CA", "GNB4"]
    assert [a.gene for a in parser.alterations(get, "G", 0, _PIK3CA, frozenset({"GNB4"}))] == [
        "GNB4"
    ]
    assert parser.alterations(get, "G", 0, _PIK3CA, frozenset({"AKT1"})) == []


def test_vep_multiallelic_indel_alleles_follow_vep_convention() -> None:
    # REF A, ALT AT,AAT: VEP strips the shared A -> alleles 'T' and 'AT'
    assert vep_allele_forms("A", "AT", ["AT", "AAT"])[0] == "T"
    assert vep_allele_forms("A", "AAT", ["AT", "AAT"])[0] == "AT"
    # REF A, ALT T,AT: first bases differ, VEP keeps the alleles whole
    assert vep_allele_forms("A", "AT", ["T", "AT"])[0] == "AT"
    assert vep_allele_forms("ACAATT", "A") == ["-", "A"]
    assert vep_allele_forms("C", "T") == ["T"]
    parser = detect_annotation(_VEP_HEADER)
    assert parser is not None
    csq = _csq(
        {
            "Allele": "T",
            "Consequence": "frameshift_variant",
            "SYMBOL": "PTEN",
            "Feature": "E1",
            "HGVSp": "p.Lys6Ter",
        },
        {
            "Allele": "AT",
            "Consequence": "inframe_insertion",
            "SYMBOL": "PTEN",
            "Feature": "E1",
            "HGVSp": "p.Lys6_Lys7insIle",
        },
    )
    var = Variant("10", 89624230, "A", "AAT")
    [alt] = parser.alterations({"CSQ": csq}.get, "AAT", 1, var, alts=("AT", "AAT"))
    assert alt.consequence is Consequence.INFRAME_INSERTION


def test_vep_allele_num_column_decides_when_present() -> None:
    header = _VEP_HEADER.replace("CANONICAL", "CANONICAL|ALLELE_NUM")
    parser = detect_annotation(header)
    assert parser is not None
    csq = ",".join(
        [
            "T|missense_variant|AKT1|ENST1|4/14||p.Glu17Lys||||1",
            "G|missense_variant|AKT1|ENST1|4/14||p.Glu17Gly||||2",
        ]
    )
    var = Variant("14", 105246551, "C", "G")
    [alt] = parser.alterations({"CSQ": csq}.get, "G", 1, var)
    assert str(alt) == "AKT1 p.E17G" and alt.exon == 4


def test_vep_written_under_other_info_names_is_detected_from_description() -> None:
    for tag in ("ANN", "vep", "BCSQ"):
        parser = detect_annotation(_VEP_HEADER.replace("ID=CSQ", f"ID={tag}"))
        assert parser is not None and parser.name == "VEP" and parser.tag == tag


# --------------------------------------------------------------------------------------------------
# SnpEff ANN / EFF
@needs_real
def test_snpeff_eff_legacy_mtor_glu2526gln(tmp_path: Path) -> None:
    vcf = VCF(str(_repaired(REAL / "snpeff" / "snpeff_mtor_EFF_legacy.vcf", tmp_path)))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "SnpEff-EFF" and parser.tag == "EFF"
    assert "Amino_Acid_Change" in parser.fields and "Genotype_Number" in parser.fields
    found = list(_run(vcf, parser, PATHWAY))
    assert found and {a.gene for _, a in found} == {"MTOR"}
    assert all(a.annotation_source == "SnpEff-EFF" for _, a in found)
    first = next(a for v, a in found if v.pos == 11168296)
    assert str(first) == "MTOR p.E2526Q"
    assert first.consequence is Consequence.MISSENSE
    assert first.transcript == "NM_004958.3" and first.exon == 57


@needs_real
def test_snpeff_eff_mtor_missense_beats_splice_region_entry(tmp_path: Path) -> None:
    vcf = VCF(str(_repaired(REAL / "snpeff" / "snpeff_mtor_EFF_legacy.vcf", tmp_path)))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    found = _at(vcf, parser, "chr1", 11169706, "A")
    assert len(found) == 2  # the record is duplicated in the file
    assert {str(a) for a in found} == {"MTOR p.I2483F"}
    # the non-coding antisense transcript stays a separate gene, intronic
    vcf = VCF(str(_repaired(REAL / "snpeff" / "snpeff_mtor_EFF_legacy.vcf", tmp_path)))
    both = _at(vcf, parser, "chr1", 11206738, "T")
    assert sorted(str(a) for a in both) == sorted(["MTOR p.Q1561K", "MTOR-AS1 intron_variant"] * 2)
    antisense = next(a for a in both if a.gene == "MTOR-AS1")
    assert antisense.transcript == "NR_046600.1" and antisense.exon is None


@needs_real
def test_snpeff_eff_arid1a_preferred_transcript(tmp_path: Path) -> None:
    vcf = VCF(str(_repaired(REAL / "snpeff" / "snpeff_mtor_EFF_legacy.vcf", tmp_path)))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    first = _at(vcf, parser, "chr1", 27056151, "T")[0]
    assert first.transcript == "NM_139135.2" and str(first) == "ARID1A p.P383S"
    parser.set_preferred({"ARID1A": {"NM_006015"}})
    vcf = VCF(str(_repaired(REAL / "snpeff" / "snpeff_mtor_EFF_legacy.vcf", tmp_path)))
    assert _at(vcf, parser, "chr1", 27056151, "T")[0].transcript == "NM_006015.4"


@needs_real
def test_snpeff_cancer_mode_derived_allele_entries_skipped(tmp_path: Path) -> None:
    src = REAL / "snpeff" / "snpeff_examples_cancer.ann.vcf"
    assert not src.read_text().startswith("##")  # a SnpEff log line precedes the header
    vcf = VCF(str(_repaired(src, tmp_path)))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "SnpEff" and parser.tag == "ANN"
    found = {v.alt: a for v, a in _run(vcf, parser)}
    assert set(found) == {"C", "G"}
    start_lost = found["G"]
    assert start_lost.gene == "OR4F5" and start_lost.consequence is Consequence.START_LOST
    assert start_lost.protein is not None and start_lost.protein.kind == "start_lost"
    assert str(start_lost.protein) == "M1?"  # from 'G', not the derived 'G-C' entry (p.Leu1?)
    assert start_lost.transcript == "ENST00000335137" and start_lost.exon == 1
    # initiator_codon_variant: a start codon turned into another start codon
    retained = found["C"]
    assert retained.consequence is Consequence.SYNONYMOUS
    assert retained.protein is None and retained.hgvs_c == "c.1A>C"


def test_snpeff_only_derived_allele_entry_gives_nothing() -> None:
    header = (
        "##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele "
        "| Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
        "Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | "
        "CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">"
    )
    parser = detect_annotation(header)
    assert parser is not None and parser.name == "SnpEff"
    ann = (
        "G-C|missense_variant|MODERATE|AKT1|AKT1|transcript|NM_005163.2|protein_coding|3/14|"
        "c.49G>A|p.Glu17Lys|||||"
    )
    assert parser.alterations({"ANN": ann}.get, "G", 0, Variant("14", 105246551, "C", "G")) == []


@needs_real
def test_snpeff_pten_expected_hgvs_file_has_no_annotation_header(tmp_path: Path) -> None:
    src = REAL / "snpeff" / "snpeff_pten_frameshift_expectedHGVS.vcf"
    assert src.read_text().startswith("#CHROM")  # no ## lines at all, not even ##fileformat
    vcf = VCF(str(_repaired(src, tmp_path)))
    assert detect_annotation(vcf.raw_header) is None


@needs_real
def test_snpeff_ann_pten_gly129_frameshift_built_from_expected_hgvs(tmp_path: Path) -> None:
    # The file carries SnpEff's expected GENE/TR/HGVSC/HGVSP; wrap them in an ANN entry and use
    # the real ANN header line of SnpEff's cancer example.
    vcf = VCF(str(_repaired(REAL / "snpeff" / "snpeff_pten_frameshift_expectedHGVS.vcf", tmp_path)))
    rec = next(iter(vcf))
    gene, tr = rec.INFO.get("GENE"), rec.INFO.get("TR")
    hgvsc, hgvsp = rec.INFO.get("HGVSC"), rec.INFO.get("HGVSP")
    ann_header = next(
        ln
        for ln in (REAL / "snpeff" / "snpeff_examples_cancer.ann.vcf").read_text().splitlines()
        if ln.startswith("##INFO=<ID=ANN,")
    )
    parser = detect_annotation(ann_header)
    assert parser is not None and parser.name == "SnpEff"
    alt = rec.ALT[0]
    ann = (
        f"{alt}|frameshift_variant|HIGH|{gene}|{gene}|transcript|{tr}|protein_coding|5/9|"
        f"{hgvsc}|{hgvsp}|||||"
    )
    variant = Variant(rec.CHROM, rec.POS, rec.REF, alt)
    [pten] = parser.alterations({"ANN": ann}.get, alt, 0, variant, PATHWAY)
    assert pten.gene == "PTEN" and pten.transcript == "NM_000314.4"
    assert pten.consequence is Consequence.FRAMESHIFT and pten.consequence.is_truncating
    assert pten.protein is not None and pten.protein.kind == "frameshift"
    assert str(pten.protein) == "G129fs"
    assert pten.hgvs_c == "c.340_380dupGAAGATGACAATCATGTTGCAGCAATTCACTGTAAAGCTGG"
    assert pten.exon == 5 and pten.annotation_source == "SnpEff"


def test_snpeff_intronic_rank_is_not_an_exon() -> None:
    header = (
        "##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele "
        "| Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
        "Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | "
        "CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">"
    )
    parser = detect_annotation(header)
    assert parser is not None
    ann = (
        "A|splice_donor_variant&intron_variant|HIGH|PTEN|PTEN|transcript|NM_000314.4|"
        "protein_coding|5/8|c.492+1G>A||||||"
    )
    [alt] = parser.alterations({"ANN": ann}.get, "A", 0, Variant("10", 89717777, "G", "A"))
    assert alt.consequence is Consequence.SPLICE_DONOR and alt.exon is None
    assert alt.hgvs_c == "c.492+1G>A" and alt.protein is None


# --------------------------------------------------------------------------------------------------
# Ion Reporter FUNC
@needs_real
def test_ion_reporter_pathway_calls_are_tsc1_and_akt1_only() -> None:
    vcf = VCF(str(REAL / "panel_iontorrent" / "moma_oca.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "IonReporter" and parser.tag == "FUNC"
    found = list(_run(vcf, parser, PATHWAY))
    # hotspot-position records (FUNC with gene/transcript/exon only), CNV and fusion rows carry
    # nothing allele-specific and give no alteration
    assert {a.gene for _, a in found} == {"TSC1", "AKT1"}
    assert sorted(str(a) for _, a in found if a.protein is not None) == ["TSC1 p.M322T"]


@needs_real
def test_ion_reporter_tsc1_met322thr() -> None:
    vcf = VCF(str(REAL / "panel_iontorrent" / "moma_oca.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    tsc1 = _one(_at(vcf, parser, "chr9", 135786904, "G"), "TSC1")
    assert str(tsc1.protein) == "M322T" and tsc1.consequence is Consequence.MISSENSE
    assert tsc1.hgvs_c == "c.965T>C" and tsc1.transcript == "NM_000368.4" and tsc1.exon == 10
    assert tsc1.annotation_source == "IonReporter"


@needs_real
def test_ion_reporter_tsc1_synonymous_p_equals_without_position() -> None:
    vcf = VCF(str(REAL / "panel_iontorrent" / "moma_oca.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    tsc1 = _one(_at(vcf, parser, "chr9", 135782221, "C"), "TSC1")
    assert tsc1.consequence is Consequence.SYNONYMOUS
    assert tsc1.protein is None  # 'p.(=)' names no residue
    assert tsc1.hgvs_c == "c.1335A>G" and tsc1.exon == 14


@needs_real
def test_ion_reporter_akt1_intronic_entry_without_allele_uses_single_alt() -> None:
    vcf = VCF(str(REAL / "panel_iontorrent" / "moma_oca.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    akt1 = _one(_at(vcf, parser, "chr14", 105253581, "A"), "AKT1")
    assert akt1.consequence is Consequence.INTRON
    assert akt1.transcript == "NM_001014431.1" and akt1.protein is None


@needs_real
def test_ion_reporter_multiallelic_records_match_orig_alt() -> None:
    vcf = VCF(str(REAL / "panel_iontorrent" / "moma_oca.vcf"))
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    found = [
        (v, a)
        for v, a in _run(vcf, parser)
        if (v.chrom, v.pos) in (("chr2", 178098944), ("chr4", 55141050))
    ]
    assert [(v.alt, str(a)) for v, a in found] == [
        ("T", "NFE2L2 p.R34Q"),  # ALT G,T: FUNC origAlt 'T'
        ("AGCCCGGATGGACATGAA", "PDGFRA c.1701A>G"),  # the second of three ALTs
    ]


def test_ion_reporter_func_without_allele_on_multiallelic_record_is_skipped() -> None:
    parser = detect_annotation(
        '##INFO=<ID=FUNC,Number=.,Type=String,Description="Functional Annotations">'
    )
    assert parser is not None and parser.name == "IonReporter"
    func = "[{'transcript':'NM_001014431.1','gene':'AKT1','location':'intronic'}]"
    var = Variant("chr14", 105253581, "G", "A")
    assert parser.alterations({"FUNC": func}.get, "A", 0, var, alts=("A", "T")) == []
    assert parser.alterations({"FUNC": func, "TYPE": ("snp", "snp")}.get, "A", 0, var) == []
    assert len(parser.alterations({"FUNC": func, "TYPE": "snp"}.get, "A", 0, var)) == 1


def test_ion_reporter_frameshift_deletion_function() -> None:
    parser = detect_annotation(
        '##INFO=<ID=FUNC,Number=.,Type=String,Description="Functional Annotations">'
    )
    assert parser is not None
    func = (
        "[{'origPos':'89717774','origRef':'GA','normalizedRef':'GA','gene':'PTEN',"
        "'normalizedPos':'89717774','normalizedAlt':'G','coding':'c.492delA',"
        "'transcript':'NM_000314.4','function':'frameshiftDeletion',"
        "'protein':'p.Lys164fs','location':'exonic','origAlt':'G','exon':'5'}]"
    )
    [alt] = parser.alterations({"FUNC": func}.get, "G", 0, Variant("chr10", 89717774, "GA", "G"))
    assert alt.consequence is Consequence.FRAMESHIFT and str(alt.protein) == "K164fs"


# --------------------------------------------------------------------------------------------------
# ANNOVAR (no real file: records follow table_annovar.pl -vcfinput output)
def _annovar_vcf(tmp_path: Path, records: list[str], db: str = "refGene") -> VCF:
    infos = [
        '##INFO=<ID=ANNOVAR_DATE,Number=1,Type=String,Description="Flag the start of ANNOVAR '
        'annotation for one alternative allele">'
    ]
    for field in ("Func", "Gene", "GeneDetail", "ExonicFunc", "AAChange"):
        infos.append(
            f"##INFO=<ID={field}.{db},Number=.,Type=String,"
            f'Description="{field}.{db} annotation provided by ANNOVAR">'
        )
    infos.append(
        '##INFO=<ID=ALLELE_END,Number=0,Type=Flag,Description="Flag the end of ANNOVAR '
        'annotation for one alternative allele">'
    )
    text = (
        "\n".join(
            [
                "##fileformat=VCFv4.2",
                *infos,
                "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
                *records,
            ]
        )
        + "\n"
    )
    return _vcf_from_text(tmp_path, text, f"annovar_{db}.vcf")


def _annovar_record(
    chrom: str,
    pos: int,
    ref: str,
    alt: str,
    func: str,
    gene: str,
    detail: str,
    exonic: str,
    aachange: str,
    db: str = "refGene",
) -> str:
    info = (
        f"ANNOVAR_DATE=2018-04-16;Func.{db}={func};Gene.{db}={gene};GeneDetail.{db}={detail};"
        f"ExonicFunc.{db}={exonic};AAChange.{db}={aachange};ALLELE_END"
    )
    return f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t{info}"


def test_annovar_pik3ca_nonsynonymous_snv_his1047arg(tmp_path: Path) -> None:
    vcf = _annovar_vcf(
        tmp_path,
        [
            _annovar_record(
                "3",
                178952085,
                "A",
                "G",
                "exonic",
                "PIK3CA",
                ".",
                "nonsynonymous_SNV",
                "PIK3CA:NM_006218:exon21:c.A3140G:p.H1047R",
            )
        ],
    )
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "ANNOVAR" and parser.tag == "refGene"
    [(_, alt)] = list(_run(vcf, parser))
    assert str(alt) == "PIK3CA p.H1047R" and alt.consequence is Consequence.MISSENSE
    assert alt.hgvs_c == "c.3140A>G" and alt.transcript == "NM_006218" and alt.exon == 21
    assert alt.annotation_source == "ANNOVAR"


def test_annovar_pten_stopgain_with_x_and_preferred_transcript(tmp_path: Path) -> None:
    aachange = "PTEN:NM_001304717:exon6:c.C907T:p.R303X,PTEN:NM_000314:exon5:c.C388T:p.R130X"
    record = _annovar_record("10", 89717672, "C", "T", "exonic", "PTEN", ".", "stopgain", aachange)
    vcf = _annovar_vcf(tmp_path, [record])
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    [(_, first)] = list(_run(vcf, parser))
    assert str(first) == "PTEN p.R303*" and first.consequence is Consequence.STOP_GAINED
    parser.set_preferred({"PTEN": {"NM_000314.8"}})
    vcf = _annovar_vcf(tmp_path, [record])
    [(_, chosen)] = list(_run(vcf, parser))
    assert str(chosen) == "PTEN p.R130*" and chosen.transcript == "NM_000314"
    assert chosen.protein is not None and chosen.protein.kind == "nonsense"


def test_annovar_frameshift_deletion_and_splicing_from_gene_detail(tmp_path: Path) -> None:
    vcf = _annovar_vcf(
        tmp_path,
        [
            _annovar_record(
                "10",
                89717774,
                "GA",
                "G",
                "exonic",
                "PTEN",
                ".",
                "frameshift_deletion",
                "PTEN:NM_000314:exon5:c.492delA:p.K164fs",
            ),
            _annovar_record(
                "10", 89717777, "G", "A", "splicing", "PTEN", "NM_000314:exon5:c.492+1G>A", ".", "."
            ),
            _annovar_record(
                "10", 89720650, "A", "G", "splicing", "PTEN", "NM_000314:exon7:c.635-6A>G", ".", "."
            ),
        ],
    )
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    fs, donor, region = (a for _, a in _run(vcf, parser))
    assert fs.consequence is Consequence.FRAMESHIFT and str(fs.protein) == "K164fs"
    assert fs.hgvs_c == "c.492delA"
    assert donor.consequence is Consequence.SPLICE_DONOR and donor.protein is None
    assert donor.hgvs_c == "c.492+1G>A" and donor.transcript == "NM_000314"
    assert region.consequence is Consequence.SPLICE_REGION


def test_annovar_escaped_multi_gene_upstream_downstream(tmp_path: Path) -> None:
    vcf = _annovar_vcf(
        tmp_path,
        [
            _annovar_record(
                "1",
                11322000,
                "C",
                "T",
                "upstream\\x3bdownstream",
                "MTOR\\x3bUBIAD1",
                "dist\\x3d1000\\x3bdist\\x3d2000",
                ".",
                ".",
            ),
            _annovar_record(
                "1",
                12000000,
                "C",
                "T",
                "intergenic",
                "TNFRSF8,TNFRSF1B",
                "dist\\x3d1000\\x3bdist\\x3d2000",
                ".",
                ".",
            ),
        ],
    )
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    found = [a for _, a in _run(vcf, parser)]
    assert [(a.gene, a.consequence) for a in found] == [
        ("MTOR", Consequence.UPSTREAM),
        ("UBIAD1", Consequence.DOWNSTREAM),
    ]
    assert all(a.transcript is None for a in found)


def test_annovar_ensgene_suffix_detected_and_refgene_preferred(tmp_path: Path) -> None:
    vcf = _annovar_vcf(
        tmp_path,
        [
            _annovar_record(
                "14",
                105246551,
                "C",
                "T",
                "exonic",
                "ENSG00000142208",
                ".",
                "nonsynonymous_SNV",
                "ENSG00000142208:ENST00000349310:exon4:c.G49A:p.E17K",
                db="ensGene",
            )
        ],
        db="ensGene",
    )
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None and parser.name == "ANNOVAR" and parser.tag == "ensGene"
    [(_, alt)] = list(_run(vcf, parser))
    assert str(alt.protein) == "E17K" and alt.transcript == "ENST00000349310"
    both = vcf.raw_header + "\n".join(
        f'##INFO=<ID={f}.refGene,Number=.,Type=String,Description="provided by ANNOVAR">'
        for f in ("Func", "Gene", "ExonicFunc", "AAChange")
    )
    assert _detect(both).tag == "refGene"


def test_annovar_second_alt_of_multiallelic_record_is_not_guessed(tmp_path: Path) -> None:
    vcf = _annovar_vcf(
        tmp_path,
        [
            _annovar_record(
                "3",
                178952085,
                "A",
                "G,T",
                "exonic",
                "PIK3CA",
                ".",
                "nonsynonymous_SNV",
                "PIK3CA:NM_006218:exon21:c.A3140G:p.H1047R",
            )
        ],
    )
    parser = detect_annotation(vcf.raw_header)
    assert parser is not None
    assert [(v.alt, str(a)) for v, a in _run(vcf, parser)] == [("G", "PIK3CA p.H1047R")]


# --------------------------------------------------------------------------------------------------
# detection and robustness
def test_detection_prefers_vep_over_snpeff_and_others() -> None:
    snpeff = (
        '##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '
        "'Allele | Annotation | Gene_Name | Feature_ID'\">"
    )
    eff = (
        '##INFO=<ID=EFF,Number=.,Type=String,Description="Predicted effects for this '
        "variant.Format: 'Effect ( Effect_Impact | Amino_Acid_Change | Gene_Name )'\">"
    )
    func = '##INFO=<ID=FUNC,Number=.,Type=String,Description="Functional Annotations">'
    assert _detect("\n".join([func, eff, snpeff, _VEP_HEADER])).name == "VEP"
    assert _detect("\n".join([func, eff, snpeff])).name == "SnpEff"
    assert _detect("\n".join([func, eff])).name == "SnpEff-EFF"
    assert _detect(func).name == "IonReporter"
    plain = '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n#CHROM\tPOS'
    assert detect_annotation(plain) is None
    assert detect_annotation("") is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "|||,,,|",
        17,
        ("a|b", "c"),
        True,
        "T|missense_variant|PIK3CA|E|x/y||p.NotAProtein",
        "EFF(((",
        "[{'gene':}]",
        "G-C|||||",
        "\\x3b\\x3b",
    ],
)
def test_weird_annotation_strings_never_raise(value: object) -> None:
    variant = Variant("3", 178952085, "A", "G")
    headers = [
        _VEP_HEADER,
        '##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '
        "'Allele | Annotation | Annotation_Impact | Gene_Name'\">",
        '##INFO=<ID=EFF,Number=.,Type=String,Description="Predicted effects for this '
        "variant.Format: 'Effect ( Effect_Impact | Amino_Acid_Change | Gene_Name )'\">",
        '##INFO=<ID=Func.refGene,Number=.,Type=String,Description="x">\n'
        '##INFO=<ID=Gene.refGene,Number=.,Type=String,Description="x">',
        '##INFO=<ID=FUNC,Number=.,Type=String,Description="Functional Annotations">',
    ]
    for header in headers:
        parser = detect_annotation(header)
        assert parser is not None
        tags = [
            parser.tag,
            f"Func.{parser.tag}",
            f"Gene.{parser.tag}",
            f"AAChange.{parser.tag}",
            f"ExonicFunc.{parser.tag}",
        ]
        info = {t: value for t in tags}
        result = parser.alterations(info.get, "G", 0, variant)
        assert isinstance(result, list)

    def broken_get(tag: str) -> object:
        raise KeyError(tag)

    assert _detect(_VEP_HEADER).alterations(broken_get, "G", 0, variant) == []


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ("missense_variant&splice_region_variant", Consequence.MISSENSE),
        ("conservative_inframe_insertion", Consequence.INFRAME_INSERTION),
        ("disruptive_inframe_deletion", Consequence.INFRAME_DELETION),
        ("splice_acceptor_variant&intron_variant", Consequence.SPLICE_ACCEPTOR),
        ("NON_SYNONYMOUS_CODING", Consequence.MISSENSE),
        ("STOP_GAINED", Consequence.STOP_GAINED),
        ("FRAME_SHIFT", Consequence.FRAMESHIFT),
        ("SPLICE_SITE_DONOR", Consequence.SPLICE_DONOR),
        ("CODON_CHANGE_PLUS_CODON_DELETION", Consequence.INFRAME_DELETION),
        ("nonsynonymous SNV", Consequence.MISSENSE),
        ("nonsynonymous_SNV", Consequence.MISSENSE),
        ("stopgain", Consequence.STOP_GAINED),
        ("frameshift deletion", Consequence.FRAMESHIFT),
        ("nonframeshift insertion", Consequence.INFRAME_INSERTION),
        ("missense", Consequence.MISSENSE),
        ("nonsense", Consequence.STOP_GAINED),
        ("frameshiftDeletion", Consequence.FRAMESHIFT),
        ("5_prime_UTR_variant", Consequence.UTR5),
        ("non_coding_transcript_exon_variant", Consequence.NON_CODING),
        ("regulatory_region_variant", None),
        ("", None),
    ],
)
def test_consequence_terms_of_every_flavour(terms: str, expected: Consequence | None) -> None:
    assert consequence_from_terms(terms) is expected
