"""Tests of the offline annotator (varmatch.annotate.transcripts) on the bundled models.

Hotspot positions are from the shared data's codon checks (checks/codon_checks_LRG_models.tsv):
AKT1 codon 17 = 14:105246549-551 (GRCh37) / 104780212-214 (GRCh38), minus strand; PIK3CA 1047 =
3:178952084-086 / 179234296-298; PTEN 130 = 10:89692904-906 / 87933147-149, 233 = 89717672-674 /
87957915-917.
"""

from __future__ import annotations

import pytest

from varmatch import normalize
from varmatch.annotate import transcripts as tmod
from varmatch.annotate.transcripts import TranscriptDB, detect_build
from varmatch.errors import ReferenceMismatchError
from varmatch.models import Build, Consequence, ProteinChange, Variant

B37, B38 = Build.GRCh37, Build.GRCh38


def db(build: Build) -> TranscriptDB:
    return TranscriptDB.bundled(build)


def ref(build: Build, chrom: str, start: int, end: int | None = None) -> str:
    return db(build).sequence.fetch(chrom, start, start if end is None else end)


def one(build: Build, chrom: str, pos: int, r: str, a: str, gene: str | None = None):
    found = db(build).annotate(Variant(chrom, pos, r, a, source="t.vcf:7"))
    if gene:
        found = [x for x in found if x.gene == gene]
    assert len(found) == 1, found
    return found[0]


# ---- hotspots, both builds ----------------------------------------------------------------------
@pytest.mark.parametrize("build,chrom,pos,r,a,gene,protein,hgvs_c,transcript", [
    (B38, "14", 104780214, "C", "T", "AKT1", "E17K", "c.49G>A", "NM_005163.2"),
    (B37, "14", 105246551, "C", "T", "AKT1", "E17K", "c.49G>A", "NM_005163.2"),
    (B37, "3", 178952085, "A", "G", "PIK3CA", "H1047R", "c.3140A>G", "NM_006218.2"),
    (B38, "chr3", 179234297, "A", "G", "PIK3CA", "H1047R", "c.3140A>G", "NM_006218.2"),
    (B37, "3", 178936091, "G", "A", "PIK3CA", "E545K", "c.1633G>A", "NM_006218.2"),
    (B38, "3", 179218303, "G", "A", "PIK3CA", "E545K", "c.1633G>A", "NM_006218.2"),
    (B37, "12", 25398284, "C", "T", "KRAS", "G12D", "c.35G>A", "NM_004985.3"),
    (B38, "12", 25245350, "C", "T", "KRAS", "G12D", "c.35G>A", "NM_004985.5"),
    (B37, "7", 140453136, "A", "T", "BRAF", "V600E", "c.1799T>A", "NM_004333.4"),
    (B38, "7", 55191822, "T", "G", "EGFR", "L858R", "c.2573T>G", "NM_005228.3"),
])
def test_missense_hotspots(build, chrom, pos, r, a, gene, protein, hgvs_c, transcript):
    alt = one(build, chrom, pos, r, a)
    assert (alt.gene, str(alt.protein), alt.hgvs_c, alt.transcript) == (
        gene, protein, hgvs_c, transcript)
    assert alt.consequence is Consequence.MISSENSE
    assert alt.protein.kind == "missense"
    assert alt.annotation_source == "varmatch"
    assert alt.variant.pos == pos


def test_akt1_exon_and_three_letter():
    alt = one(B37, "14", 105246551, "C", "T")
    assert alt.exon == 3  # ordinal exon of NM_005163.2 (LRG label 3)
    assert alt.protein.three_letter == "p.Glu17Lys"


@pytest.mark.parametrize("build,pos,protein,hgvs_c", [
    (B37, 89692904, "R130*", "c.388C>T"),
    (B38, 87933147, "R130*", "c.388C>T"),
    (B37, 89717672, "R233*", "c.697C>T"),
    (B38, 87957915, "R233*", "c.697C>T"),
])
def test_pten_nonsense(build, pos, protein, hgvs_c):
    alt = one(build, "10", pos, "C", "T")
    assert str(alt.protein) == protein and alt.hgvs_c == hgvs_c
    assert alt.consequence is Consequence.STOP_GAINED and alt.protein.kind == "nonsense"
    assert alt.consequence.is_truncating


# ---- indels -------------------------------------------------------------------------------------
def test_pten_frameshift_equivalent_representations():
    # GRCh37 10:89720720 G, then AAAA: inserting one A anywhere in the run is the same event
    # (Genome Nexus / MSK: p.N292Kfs*6)
    assert ref(B37, "10", 89720720, 89720724) == "GAAAA"
    seen = set()
    for pos in range(89720720, 89720725):
        base = ref(B37, "10", pos)
        alt = one(B37, "10", pos, base, base + "A")
        seen.add((str(alt.protein), alt.hgvs_c, alt.consequence))
    assert seen == {("N292Kfs*6", "c.875dup", Consequence.FRAMESHIFT)}
    alt = one(B37, "10", 89720720, "G", "GA")
    assert alt.protein.kind == "frameshift" and alt.protein.fs_stop == 6
    assert alt.protein.three_letter == "p.Asn292LysfsTer6"


def test_pten_frameshift_deletion_both_builds():
    # delete one base of codon 130 (c.388del) in both builds: same protein
    out = set()
    for build, pos in ((B37, 89692904), (B38, 87933147)):
        anchor = ref(build, "10", pos - 1, pos)
        alt = one(build, "10", pos - 1, anchor, anchor[0])
        assert alt.consequence is Consequence.FRAMESHIFT
        out.add((str(alt.protein), alt.hgvs_c))
    assert len(out) == 1
    protein, hgvs_c = out.pop()
    assert protein.startswith("R130") and "fs*" in protein and hgvs_c == "c.388del"


def test_inframe_deletion_and_3prime_rule():
    # PIK3CA codons 542-545 (GRCh37 3:178936082-093) deleted in frame
    r = ref(B37, "3", 178936081, 178936093)
    alt = one(B37, "3", 178936081, r, r[0])
    assert str(alt.protein) == "E542_E545del" and alt.hgvs_c == "c.1624_1635del"
    assert alt.consequence is Consequence.INFRAME_DELETION
    assert ProteinChange.parse("p.Glu542_Glu545del") == alt.protein


def test_inframe_insertion_dup_and_delins():
    dup = one(B37, "3", 178936093, "G", "GGAG")  # an extra GAG after codon 545
    assert (str(dup.protein), dup.hgvs_c) == ("E545dup", "c.1633_1635dup")
    assert dup.consequence is Consequence.INFRAME_INSERTION and dup.protein.kind == "duplication"
    # vcf2maf test MAF: 3:178928219 -> ATA, In_Frame_Ins
    ins = one(B37, "3", 178928219, ref(B37, "3", 178928219), ref(B37, "3", 178928219) + "ATA")
    assert ins.consequence is Consequence.INFRAME_INSERTION
    assert str(ins.protein) == "E469delinsDK" and ins.hgvs_c == "c.1406_1407insTAA"
    # TSC1 in-frame insertion from the pVACtools VEP file (GRCh38, minus strand)
    tsc1 = one(B38, "chr9", 132903703, "A", "ACTTTTATTTGCAGCAAAGTTAGATCACTTCCTT")
    assert str(tsc1.protein) == "L719delinsQGSDLTLLQIKV"


def test_mnv_in_one_codon():
    alt = one(B37, "3", 178952084, "CA", "TG")  # CAT -> TGT
    assert str(alt.protein) == "H1047C" and alt.hgvs_c == "c.3139_3140delinsTG"
    assert alt.consequence is Consequence.MISSENSE
    same = one(B38, "3", 179234296, "CAT", "TGT")  # shared last base trimmed
    assert (str(same.protein), same.hgvs_c) == ("H1047C", "c.3139_3140delinsTG")


def test_synonymous_start_stop():
    syn = one(B37, "3", 178936093, "G", "A")  # GAG -> GAA
    assert str(syn.protein) == "E545=" and syn.consequence is Consequence.SYNONYMOUS
    start = one(B37, "3", 178916614, "A", "G")
    assert str(start.protein) == "M1?" and start.consequence is Consequence.START_LOST
    stop = one(B37, "3", 178952150, "T", "C")  # TAA -> CAA
    assert stop.consequence is Consequence.STOP_LOST and stop.protein.kind == "extension"
    assert str(stop.protein).startswith("*1069Q") or str(stop.protein).startswith("*1069R")


# ---- splicing -----------------------------------------------------------------------------------
def test_splice_sites_pten_exon1():
    t = db(B37).transcript("PTEN")
    e1_end, e2_start = t.exons[0][1], t.exons[1][0]
    donor = one(B37, "10", e1_end + 1, ref(B37, "10", e1_end + 1), "A")
    assert donor.consequence is Consequence.SPLICE_DONOR and donor.protein is None
    assert donor.hgvs_c == "c.79+1G>A"
    acc = one(B37, "10", e2_start - 2, ref(B37, "10", e2_start - 2), "T")
    assert acc.consequence is Consequence.SPLICE_ACCEPTOR and acc.hgvs_c == "c.80-2A>T"
    region = one(B37, "10", e1_end + 5, ref(B37, "10", e1_end + 5), "A")
    assert region.consequence is Consequence.SPLICE_REGION and region.hgvs_c == "c.79+5C>A"
    exonic = one(B37, "10", e1_end - 1, "C", "A")  # last-3 exonic base, synonymous
    assert exonic.consequence is Consequence.SPLICE_REGION and str(exonic.protein) == "T26="
    intron = one(B37, "10", e2_start - 100, "A", "T")
    assert intron.consequence is Consequence.INTRON and intron.hgvs_c == "c.80-100A>T"


def test_splice_minus_strand_akt1():
    t = db(B38).transcript("AKT1")
    # minus strand: the donor of the exon holding codon 17 lies at its lowest genomic base - 1
    exon = next(e for e in t.exons if e[0] <= 104780214 <= e[1])
    g = exon[0] - 1
    base = ref(B38, "14", g)
    other = "A" if base != "A" else "G"
    alt = one(B38, "14", g, base, other)
    assert alt.consequence is Consequence.SPLICE_DONOR
    assert "+1" in alt.hgvs_c and alt.hgvs_c.endswith(f"{tmod.revcomp(base)}>{tmod.revcomp(other)}")


# ---- genes without bundled sequence -------------------------------------------------------------
def test_coordinates_only_gene():
    t = db(B37).transcript("RICTOR")  # minus strand; no sequence bundled (none found, TRANSCRIPTS.md)
    assert t.sequence == "none" and t.name == "NM_152756.3"
    start = one(B37, "5", t.cds_end - 1, "A", "G")  # c.2 of ATG (T>C): bases from the VCF
    assert start.hgvs_c == "c.2T>C" and start.consequence is Consequence.START_LOST
    # cancerhotspots.org v2: RICTOR S1101, codon tCg/tTg at 5:38950648 (and tcG/tcA at 38950647):
    # c. and exon from coordinates, but no protein change without sequence
    snv = one(B37, "5", 38950648, "G", "A")
    assert (snv.hgvs_c, snv.protein, snv.exon) == ("c.3302C>T", None, 31)
    assert one(B37, "5", 38950647, "C", "T").hgvs_c == "c.3303G>A"
    fs = one(B37, "5", 38950648, "G", "GA")
    assert fs.consequence is Consequence.FRAMESHIFT and fs.protein is None


# ---- PIK3R1: CDS of ENST00000521381 cut from a GRCh38 genome slice, placed on both builds --------
MOMA = "../shared/real_inputs/vcf/panel_iontorrent/moma_oca.vcf"
MAF100 = "../shared/real_inputs/maf/genomenexus_data_mutations_extended_100.txt"


def test_pik3r1_frameshift_from_a_real_maf_names_its_protein_change():
    # Genome Nexus MSK MAF, P-0000055-T01-IM3: 5:67589575-67589576 insertion of A, which MSK
    # annotates c.1344dupA / p.L449Ifs*3 on ENST00000521381 (NM_181523.2)
    rows = [line.rstrip("\n").split("\t") for line in open(MAF100)]
    col = {name: i for i, name in enumerate(rows[0])}
    (row,) = [r for r in rows[1:] if r[0] == "PIK3R1" and r[col["Variant_Type"]] == "INS"]
    pos = int(row[col["Start_Position"]])
    assert (pos, row[col["Tumor_Seq_Allele2"]]) == (67589575, "A")
    anchor = ref(B37, "5", pos)
    fs = one(B37, "5", pos, anchor, anchor + "A")
    assert db(B37).transcript("PIK3R1").sequence == "cds"
    assert (fs.hgvs_c, str(fs.protein), fs.consequence) == (
        "c.1344dup", "L449Ifs*3", Consequence.FRAMESHIFT)
    assert row[col["HGVSp_Short"]] == "p." + str(fs.protein)
    assert row[col["HGVSc"]].split(":")[1].startswith(fs.hgvs_c)


def test_pik3r1_bundled_bases_match_every_coding_ref_of_a_real_hg19_file():
    # Oncomine (Ion Reporter) hotspot VCF, hg19: every PIK3R1 record whose REF lies in the CDS
    t = db(B37).transcript("PIK3R1")
    coding = [(s, e) for s, e in t.exons if e >= t.cds_start and s <= t.cds_end]
    checked = 0
    for line in open(MOMA):
        f = line.split("\t")
        if line.startswith("#") or f[0] != "chr5" or f[4].startswith("<"):
            continue
        pos, r = int(f[1]), f[3]
        if any(s <= pos and pos + len(r) - 1 <= min(e, t.cds_end) for s, e in coding):
            assert ref(B37, "5", pos, pos + len(r) - 1) == r, (pos, r)
            checked += 1
    assert checked >= 25  # up to 31 bp REFs over exons 9-14
    # one of them: COSM1069608, REF ATGAACAGCATTAAACCAGACCTTATCCAGC at 67591094 (N564 region)
    assert ref(B37, "5", 67591094, 67591124) == "ATGAACAGCATTAAACCAGACCTTATCCAGC"


@pytest.mark.parametrize("build,pos,r,a,protein,hgvs_c", [
    # cancerhotspots.org v2: G376 Gga/Aga at 5:67589138, N564 Aac/Gac at 5:67591097 (GRCh37)
    (B37, 67589138, "G", "A", "G376R", "c.1126G>A"),
    (B37, 67591097, "A", "G", "N564D", "c.1690A>G"),
    (B38, 68293310, "G", "A", "G376R", "c.1126G>A"),
    (B38, 68295269, "A", "G", "N564D", "c.1690A>G"),
])
def test_pik3r1_hotspots_both_builds(build, pos, r, a, protein, hgvs_c):
    alt = one(build, "5", pos, r, a, "PIK3R1")
    assert (str(alt.protein), alt.hgvs_c, alt.consequence, alt.transcript) == (
        protein, hgvs_c, Consequence.MISSENSE, "NM_181523.3")
    with pytest.raises(ReferenceMismatchError):
        one(build, "5", pos, "T", "C", "PIK3R1")  # a wrong REF is now caught


def test_pik3r1_synonymous_is_named_from_sequence():
    # the VEP record the silent-call test used while PIK3R1 had no sequence: c.345C>T is L115=
    syn = one(B37, "5", 67569228, "C", "T", "PIK3R1")
    assert (syn.hgvs_c, str(syn.protein), syn.consequence) == (
        "c.345C>T", "L115=", Consequence.SYNONYMOUS)


# ---- AKT2 / AKT3: LRG_1391 / LRG_1396 CDS placed on the Ensembl v75 models ------------------------
@pytest.mark.parametrize("build,chrom,pos,gene", [
    (B37, "1", 243859016, "AKT3"),   # cancerhotspots.org v2: AKT3 E17 Gaa at 1:243859016
    (B38, "1", 243695714, "AKT3"),
    (B37, "19", 40762959, "AKT2"),
    (B38, "19", 40257052, "AKT2"),
])
def test_akt2_akt3_e17k(build, chrom, pos, gene):
    t = db(build).transcript(gene)
    assert t.sequence == "cds" and t.strand == "-"
    alt = one(build, chrom, pos, "C", "T", gene)  # minus strand: c.49G>A, GAA -> AAA
    assert (str(alt.protein), alt.hgvs_c, alt.consequence) == (
        "E17K", "c.49G>A", Consequence.MISSENSE)
    assert alt.exon == 3


def test_akt3_bundled_base_matches_a_real_hg19_file():
    # Oncomine (Ion Reporter) VCF: MAGI3-AKT3 breakpoint record "chr1 243859018 ... REF C", the
    # first coding base of AKT3 exon 3 (c.47) in hg19
    path = "../shared/real_inputs/vcf/panel_iontorrent/moma_oca.vcf"
    rec = next(line.split("\t") for line in open(path) if "MAGI3-AKT3.M10A3_2" in line)
    assert (rec[0], rec[1], rec[3]) == ("chr1", "243859018", "C")
    assert ref(B37, "1", 243859018) == "C"
    assert db(B37).transcript("AKT3").cds_end == 244006472  # c.1 (minus strand)


def test_akt2_frameshift_names_its_protein_change():
    # c.100del (T of codon 34, TCC): S34Pfs*19 on NM_001626.6
    fs = one(B37, "19", 40762907, "GA", "G", "AKT2")
    assert (fs.hgvs_c, str(fs.protein), fs.consequence) == (
        "c.100del", "S34Pfs*19", Consequence.FRAMESHIFT)
    with pytest.raises(ReferenceMismatchError):
        one(B37, "19", 40762907, "GT", "G", "AKT2")  # wrong REF is caught by bundled sequence


def test_pik3r1_msk_splice_site():
    # Genome Nexus MAF: PIK3R1 5:67591238 TGTTTTTCAGG>- is Splice_Site (X582_splice, MSK isoform)
    alt = one(B37, "5", 67591237, "NTGTTTTTCAGG", "N")
    assert alt.consequence is Consequence.SPLICE_ACCEPTOR
    # its last REF base is the first coding base of exon 14: the bundled base agrees
    (row,) = [line.split("\t") for line in open(MAF100) if "\t67591238\t67591248\t" in line]
    assert row[0] == "PIK3R1" and row[11] == "TGTTTTTCAGG"
    assert ref(B37, "5", 67591248) == "G" and db(B37).transcript("PIK3R1").exons[13][0] == 67591248


# ---- REF check, speed, regions ------------------------------------------------------------------
def test_reference_mismatch():
    with pytest.raises(ReferenceMismatchError) as err:
        db(B37).annotate(Variant("14", 105246551, "G", "T", source="t.vcf:7"))
    text = str(err.value)
    assert "14:105246551" in text and "wrong genome build? try --genome GRCh37/GRCh38" in text
    assert "has C" in text and "has G" in text and err.value.line == 7
    db(B38).check_ref(Variant("14", 104780214, "C", "T"))  # the right build passes


def test_non_overlapping_calls_annotate_to_nothing():
    # (how fast this is lives in benchmarks/, not in a unit test)
    d = db(B37)
    assert d.annotate(Variant("2", 1_000_000, "A", "G")) == []
    assert not d.overlaps("chr2", 1_000_000, 1_000_000)
    assert d.overlaps("chr14", 105246551, 105246551)


def test_bundled_load_is_cached_and_has_regions():
    tmod._bundled.cache_clear()
    d = TranscriptDB.bundled(B38)
    assert TranscriptDB.bundled(B38) is d
    regions = d.regions()
    genes = {g for *_x, g in regions}
    assert {"AKT1", "AKT2", "AKT3", "PIK3CA", "PIK3R1", "PTEN", "MTOR", "TSC1", "TSC2", "STK11",
            "RICTOR", "ERBB2", "KRAS", "BRAF", "EGFR",
            # gene spans only (data/gene_regions.tsv), no model
            "PIK3CB", "INPP4B", "PDPK1", "RHEB", "RPTOR"} == genes
    akt1 = next(r for r in regions if r[3] == "AKT1")
    assert akt1[0] == "14" and akt1[1] <= 104780214 <= akt1[2]


def test_symbolic_and_far_variants():
    d = db(B37)
    assert d.annotate(Variant("14", 105246551, "C", "<DEL>")) == []
    assert d.annotate(Variant("14", 105246551, "C", "*")) == []
    up = d.annotate(Variant("3", 178866311 - 1000, "A", "G"))
    assert [a.consequence for a in up] == [Consequence.UPSTREAM]


# ---- normalisation ------------------------------------------------------------------------------
def test_normalize_helpers():
    seq = "NNACGTAAAAGTC"  # 1-based: A at 3, run of A at 7-10

    def base(p: int) -> str:
        return seq[p - 1] if 1 <= p <= len(seq) else "N"

    assert normalize.trim(10, "ACGT", "ACT") == (12, "G", "")
    assert normalize.left_align(10, "A", "", base) == (7, "A", "")
    assert [p for p, _r, _a in normalize.placements(9, "", "A", base)] == [7, 8, 9, 10, 11]
    v = normalize.normalize_variant(Variant("1", 9, "AA", "A"), base)
    assert (v.pos, v.ref, v.alt) == (6, "TA", "T")


# ---- build detection ----------------------------------------------------------------------------
@pytest.mark.parametrize("contigs,header,expected", [
    ({"chr1": 249250621}, "", B37),
    ({"1": 248956422}, "", B38),
    ({"chr3": 198295559, "chr14": 107043718}, "", B38),
    ({"10": 135534747}, "", B37),
    ({}, "##reference=file:///ref/hg19.fa\n", B37),
    ({}, "##reference=GRCh38\n", B38),
    ({}, "##reference=human_g1k_v37.fasta\n", B37),
    ({}, "##liftOverChainFile=/x/hg19Tohg38.over.chain.gz\n", B38),
    ({"chr21": None}, "##fileformat=VCFv4.2\n", None),
])
def test_detect_build(contigs, header, expected):
    assert detect_build(contigs, header) is expected


# ---- user GTF + FASTA ---------------------------------------------------------------------------
def test_from_gtf_matches_bundled(tmp_path):
    pysam = pytest.importorskip("pysam")
    bundled = db(B37)
    t = bundled.transcript("PTEN")
    off = t.start - 2001  # write a small contig "10" holding PTEN, shifted by -off
    length = t.end - t.start + 4002
    seq = bundled.sequence.fetch("10", off + 1, off + length)
    fa = tmp_path / "ref.fa"
    fa.write_text(">chr10\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
    pysam.faidx(str(fa))
    rows = []
    for s, e in t.exons:
        rows.append(f"chr10\tt\texon\t{s - off}\t{e - off}\t.\t+\t.\tgene_id \"G\"; "
                    f"transcript_id \"NM_000314\"; gene_name \"PTEN\"; tag \"MANE_Select\";")
        cs, ce = max(s, t.cds_start), min(e, t.cds_end - 3)  # GTF CDS without the stop codon
        if cs <= ce:
            rows.append(f"chr10\tt\tCDS\t{cs - off}\t{ce - off}\t.\t+\t0\tgene_id \"G\"; "
                        f"transcript_id \"NM_000314\"; gene_name \"PTEN\";")
    gtf = tmp_path / "genes.gtf"
    gtf.write_text("\n".join(rows) + "\n")
    user = TranscriptDB.from_gtf(gtf, pysam.FastaFile(str(fa)), B37)
    assert user.transcript("PTEN").cds_len == 1212  # stop codon added back
    for pos, r, a in ((89692904, "C", "T"), (89720720, "G", "GA"), (t.exons[0][1] + 1, "G", "A")):
        mine = one(B37, "10", pos, r, a)
        (theirs,) = user.annotate(Variant("chr10", pos - off, r, a))
        assert (theirs.protein, theirs.hgvs_c, theirs.consequence) == (
            mine.protein, mine.hgvs_c, mine.consequence)
    with pytest.raises(ReferenceMismatchError):
        user.annotate(Variant("10", 89692904 - off, "G", "T"))
