"""Issue 12, "No silent wrong answer": each case below used to exit 0 with a plausible but wrong or
empty result. Records are the real NPC/breast hotspots: AKT1 c.49G>A (p.E17K) at GRCh38
chr14:104780214 C>T and PIK3CA c.3140A>G (p.H1047R) at GRCh38 chr3:179234297 A>G."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from varmatch.models import Build
from varmatch.readers.contigs import aliases, chrom_name, refseq

HEADER = (
    "##fileformat=VCFv4.2\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">\n'
    '##INFO=<ID=X,Number=1,Type=String,Description="free text">\n'
    "{contigs}"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tT\n"
)
CONTIGS38 = ("##contig=<ID=chr14,length=107043718,assembly=GRCh38>\n"
             "##contig=<ID=chr3,length=198295559,assembly=GRCh38>\n")
AKT1 = "chr14\t104780214\t.\tC\tT\t.\tPASS\t.\tGT:AD\t0/1:474,214\n"
PIK3CA = "chr3\t179234297\t.\tA\tG\t.\tPASS\t.\tGT:AD\t0/1:93,70\n"


def _vcf(tmp_path, body: str, contigs: str = "", name: str = "t.vcf"):
    p = tmp_path / name
    p.write_bytes((HEADER.format(contigs=contigs) + body).encode())
    return p


class _Run:
    def __init__(self, p: subprocess.CompletedProcess):
        self.exit_code, self.stdout, self.stderr = p.returncode, p.stdout, p.stderr


def _cli(*args) -> _Run:
    """varmatch as a user runs it: a real process, its exit code and its stderr."""
    return _Run(subprocess.run([sys.executable, "-m", "varmatch", *map(str, args)],
                               capture_output=True, text=True))


def _annotate(path, *args):
    r = _cli("annotate", path, "-o", "-", "--formats", "json", *args)
    doc = None
    if r.exit_code == 0:
        doc = json.loads(r.stdout)
        doc = doc[0] if isinstance(doc, list) else doc
    return r, doc


def _proteins(doc):
    return sorted(a["alteration"] for a in doc["alterations"])


# ---- conflicting --genome ----------------------------------------------------------------------
def test_genome_contradicting_the_header_is_an_error_not_zero_alterations(tmp_path):
    # before: exit 0 with "0 alterations" (the GRCh38 positions fall outside GRCh37 regions)
    p = _vcf(tmp_path, AKT1 + PIK3CA, CONTIGS38)
    r, _ = _annotate(p, "--genome", "GRCh37")
    assert r.exit_code == 2
    assert "--genome GRCh37 contradicts the VCF header, which describes GRCh38" in r.stderr
    assert "Traceback" not in r.stderr
    r, doc = _annotate(p)  # the header's build, no --genome: both hotspots read
    assert r.exit_code == 0
    assert [a["gene"] for a in doc["alterations"]] == ["AKT1", "PIK3CA"]


def test_wrong_genome_on_a_headerless_file_names_the_build_the_ref_alleles_fit(tmp_path):
    p = _vcf(tmp_path, AKT1 + PIK3CA)  # no ##contig: only --genome says the build
    r, _ = _annotate(p, "--genome", "GRCh37")
    assert r.exit_code == 2
    assert "the file looks like GRCh38; pass --genome GRCh38" in r.stderr
    r, doc = _annotate(p, "--genome", "GRCh38")
    assert r.exit_code == 0 and [a["gene"] for a in doc["alterations"]] == ["AKT1", "PIK3CA"]


def test_ref_mismatch_at_most_pathway_positions_is_an_error(tmp_path):
    bad = AKT1.replace("\tC\tT\t", "\tG\tT\t") + PIK3CA.replace("\tA\tG\t", "\tT\tG\t")
    r, _ = _annotate(_vcf(tmp_path, bad, CONTIGS38))
    assert r.exit_code == 2
    assert "REF disagrees with the GRCh38 reference at 2 of 2 pathway positions" in r.stderr


def test_one_ref_mismatch_excludes_that_record_and_reads_the_rest(tmp_path):
    # before: the single bad record (G where GRCh38 has A at chr3:179234300) aborted the file
    stray = "chr3\t179234300\t.\tG\tT\t.\tPASS\t.\tGT:AD\t0/1:93,70\n"
    r, doc = _annotate(_vcf(tmp_path, AKT1 + PIK3CA + stray, CONTIGS38))
    assert r.exit_code == 0, r.stderr
    assert [a["gene"] for a in doc["alterations"]] == ["AKT1", "PIK3CA"]
    ex = [e for e in doc["excluded"] if e["call"] == "chr3:179234300 G>T"]
    assert ex and "REF does not match the GRCh38 reference" in ex[0]["reason"]
    assert ex[0]["source"] == "t.vcf:10"


# ---- unreadable records ------------------------------------------------------------------------
@pytest.mark.parametrize("contigs", ["", CONTIGS38], ids=["build-unknown", "build-known"])
@pytest.mark.parametrize("pos", ["abc", "0", "-5", ""])
def test_bad_pos_is_excluded_with_its_reason_and_later_records_are_read(tmp_path, pos, contigs):
    # before: htslib stopped at 'abc'/'-5' without a word (PIK3CA after it lost) and read 0; with
    # the build known, the region prefilter dropped the record unseen (no position to place it)
    body = AKT1.replace("104780214", pos) + PIK3CA
    r, doc = _annotate(_vcf(tmp_path, body, contigs))
    assert r.exit_code == 0, r.stderr
    assert [a["gene"] for a in doc["alterations"]] == ["PIK3CA"]
    line = 6 + contigs.count("\n")
    assert doc["excluded"] == [{"call": f"chr14:{pos}", "source": f"t.vcf:{line}", "reason":
                                f"POS {pos!r} is not a position (VCF POS is a whole number from 1)"}]
    assert f"t.vcf:{line}: chr14:{pos}: POS" in r.stderr


def test_nul_byte_in_info_excludes_the_record_with_its_reason(tmp_path):
    body = AKT1.replace("PASS\t.\t", "PASS\tX=a\x00b\t") + PIK3CA
    for contigs in ("", CONTIGS38):  # with and without the region prefilter
        r, doc = _annotate(_vcf(tmp_path, body, contigs))
        assert r.exit_code == 0, r.stderr
        assert [a["gene"] for a in doc["alterations"]] == ["PIK3CA"]
        assert doc["excluded"][0]["call"] == "chr14:104780214"
        assert doc["excluded"][0]["reason"].startswith("NUL byte in INFO")


def test_refseq_contig_names_are_read_on_the_build_their_version_names(tmp_path):
    # before: NC_000014.9 matched no region: AKT1 E17K silently absent
    body = (AKT1.replace("chr14", "NC_000014.9") + PIK3CA.replace("chr3", "NC_000003.12"))
    for args in ((), ("--genome", "GRCh38")):
        r, doc = _annotate(_vcf(tmp_path, body), *args)
        assert r.exit_code == 0, r.stderr
        assert _proteins(doc) == ["AKT1 p.E17K", "PIK3CA p.H1047R"]
    r, _ = _annotate(_vcf(tmp_path, body), "--genome", "GRCh37")  # .9 is GRCh38's chr14
    assert r.exit_code == 2 and "contradicts" in r.stderr


def test_refseq_accession_table():
    assert refseq("NC_000014.8") == ("14", Build.GRCh37)
    assert refseq("NC_000014.9") == ("14", Build.GRCh38)
    assert refseq("NC_012920.1") == ("MT", None)
    assert chrom_name("NC_000023.11") == "X" and chrom_name("chr7") == "chr7"
    assert aliases("chr3", Build.GRCh37) == {"3", "chr3", "NC_000003.11"}


def test_breakend_alt_at_a_pathway_position_is_listed_not_dropped(tmp_path):
    body = AKT1.replace("\tC\tT\t", "\tC\tC[chr2:321682[\t") + PIK3CA
    r, doc = _annotate(_vcf(tmp_path, body, CONTIGS38))
    assert r.exit_code == 0, r.stderr
    assert [a["gene"] for a in doc["alterations"]] == ["PIK3CA"]
    ex = doc["excluded"]
    assert ex[0]["call"] == "chr14:104780214 C>C[chr2:321682["
    assert ex[0]["reason"].startswith("breakend ALT (structural rearrangement) in a pathway-gene")


# ---- no tumor type ------------------------------------------------------------------------------
def test_no_tumor_type_warns_on_stderr_and_in_the_notes(tmp_path):
    # before: only a JSON note; nothing on stderr
    p = _vcf(tmp_path, AKT1, CONTIGS38)
    r, doc = _annotate(p)
    note = ("no tumor type given (--tumor-type): every row is treated as evidence from another "
            "tumor type unless it is tumor-agnostic")
    assert f"warning: {note}" in r.stderr
    assert note in doc["notes"]
    r = _cli("run", p, "--tumor-type", "NPC", "-o", "-", "--formats", "json")
    assert r.exit_code == 0 and "no tumor type" not in r.stderr
    assert note not in json.loads(r.stdout)["notes"]


# ---- low allele fraction ------------------------------------------------------------------------
LOW = PIK3CA.replace("0/1:93,70", "0/1:993,7")  # PIK3CA H1047R at 7/1000 = 0.7% VAF
FLAG = "below 5% VAF: confirm; possible subclone or artefact"


def test_low_vaf_call_is_flagged_in_json_tsv_and_html(tmp_path):
    # before: PIK3CA H1047R at 0.7% got alpelisib/capivasertib rows with no caveat
    p = _vcf(tmp_path, AKT1 + LOW, CONTIGS38)
    r = _cli("run", p, "-t", "BREAST", "--out", tmp_path / "out")
    assert r.exit_code == 0, r.stderr
    doc = json.loads((tmp_path / "out" / "T.varmatch.json").read_text())
    flags = {a["alteration"]: a["flags"] for a in doc["alterations"]}
    assert flags == {"AKT1 p.E17K": [], "PIK3CA p.H1047R": [FLAG]}
    rows = (tmp_path / "out" / "T.varmatch.tsv").read_text().splitlines()
    head = rows[0].split("\t")
    cells = [dict(zip(head, row.split("\t"))) for row in rows[1:]]
    pik = [c for c in cells if c["gene"] == "PIK3CA"]
    assert pik and all(c["flags"] == FLAG for c in pik)
    assert any(c["therapy"] == "alpelisib + fulvestrant" for c in pik)  # flagged, not dropped
    assert all(c["flags"] == "" for c in cells if c["gene"] == "AKT1")
    assert FLAG in (tmp_path / "out" / "T.varmatch.html").read_text()


def test_min_vaf_excludes_calls_below_it_with_the_reason(tmp_path):
    p = _vcf(tmp_path, AKT1 + LOW, CONTIGS38)
    r, doc = _annotate(p, "--min-vaf", "0.01")
    assert r.exit_code == 0, r.stderr
    assert [a["alteration"] for a in doc["alterations"]] == ["AKT1 p.E17K"]
    assert doc["excluded"] == [{"call": "PIK3CA p.H1047R (chr3:179234297A>G)",
                                "reason": "allele fraction 0.7% below --min-vaf 1.0%",
                                "source": "t.vcf:9"}]
    r, doc = _annotate(p)  # default 0.0 keeps every call
    assert [a["alteration"] for a in doc["alterations"]] == ["AKT1 p.E17K", "PIK3CA p.H1047R"]


# ---- model-less pathway genes ------------------------------------------------------------------
def test_unannotated_call_in_a_gene_without_a_model_is_listed_not_dropped(tmp_path):
    # PIK3CB has a bundled gene span (GENCODE, data/gene_regions.tsv) but no transcript model:
    # before, an unannotated record there vanished as if it were off-pathway
    rec = "chr3\t138700000\t.\tA\tG\t.\tPASS\t.\tGT:AD\t0/1:60,40\n"
    contigs = CONTIGS38
    r, doc = _annotate(_vcf(tmp_path, AKT1 + rec, contigs))
    assert r.exit_code == 0, r.stderr
    assert [a["gene"] for a in doc["alterations"]] == ["AKT1"]
    ex = [e for e in doc["excluded"] if e["call"].startswith("PIK3CB")]
    assert ex and ex[0]["reason"].startswith("no bundled transcript model for PIK3CB")


def test_gene_regions_cover_every_pathway_gene_on_both_builds():
    from varmatch import kb
    from varmatch.annotate.transcripts import TranscriptDB

    genes = kb.bundled().pathway_genes
    for build in Build:
        covered = {g for *_, g in TranscriptDB.bundled(build).regions()}
        assert genes <= covered, (build, sorted(genes - covered))


# ---- genes without bundled sequence: the file's own annotation for synonymous calls ------------
def test_synonymous_call_in_a_gene_without_sequence_keeps_the_files_annotation(tmp_path):
    # RICTOR has coordinates but no bundled sequence, so the model calls any coding change
    # "protein_altering_variant". Before, that overrode VEP's synonymous_variant and the call was
    # matched as a mutation; now the file's annotation stands and the call is excluded.
    # (This used AKT2, then PIK3R1, until their sequence was bundled.) The record is the
    # synonymous S1101S of cancerhotspots.org v2 (RICTOR tcG/tcA at 5:38950647, minus strand).
    csq = ('##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
           'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|'
           'BIOTYPE|EXON|INTRON|HGVSc|HGVSp|CANONICAL">\n'
           '##contig=<ID=5,length=180915260,assembly=GRCh37>\n')
    ann = ("CSQ=T|synonymous_variant|LOW|RICTOR|ENSG00000164327|Transcript|ENST00000357387|"
           "protein_coding|31/38||ENST00000357387.3:c.3303G>A||YES")
    rec = f"5\t38950647\t.\tC\tT\t.\tPASS\t{ann}\tGT:AD\t0/1:60,40\n"
    r, doc = _annotate(_vcf(tmp_path, rec, csq))
    assert r.exit_code == 0, r.stderr
    assert doc["alterations"] == []
    (ex,) = doc["excluded"]
    assert ex["call"].startswith("RICTOR c.3303G>A") and "no protein change" in ex["reason"]
