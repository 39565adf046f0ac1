"""Issue 4: the TCGA breast VCF gives the same alterations on GRCh37 and on GRCh38.

The shared data has the TCGA breast sample on GRCh37 only (the raw multicaller VCF and the VEP-
annotated PCGR 2017 one). The GRCh38 copies are built here with the small chain liftover in
``tests/liftover.py`` and the shared GRCh37->GRCh38 chain: POS is lifted, REF/ALT are kept, records
that do not lift (or lift to another chromosome, the minus strand, across a gap) are dropped and
counted, and the copy gets GRCh38 ``##contig`` lengths and ``##reference=GRCh38``.

Both files are then run through ``varmatch run`` and must agree: build read from the header,
(gene, hgvs_p, hgvs_c, consequence) of every alteration, and the therapy matches (evidence id +
tier + level). The lifted REF alleles of the pathway records must equal the bundled GRCh38
sequence, so the GRCh38 run is a real check of the GRCh38 models, not a pass-through.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REAL, REPO, SHARED, need
from liftover import GRCH38_LENGTHS, ChainMap, lift_vcf

from varmatch.annotate.transcripts import TranscriptDB, norm_chrom
from varmatch.errors import ReferenceMismatchError
from varmatch.models import Build, Variant

CHAIN = SHARED / "data/liftover/GRCh37_to_GRCh38.chain"
RAW37 = REAL / "vcf/unannotated_multicaller/pcgr_T001-BRCA.grch37.vcf.gz"
VEP37 = REAL / "vcf/vep_csq/pcgr2017_tumor_sample.BRCA.pcgr.vcf.gz"

# PIK3CA c.3140 (p.H1047) on both builds (NM_006218 / ENST00000263171)
PIK3CA_37, PIK3CA_38 = ("3", 178952085), ("3", 179234297)
EXPECTED = [("PIK3CA", "p.H1047R", "c.3140A>G", "missense_variant")]


# ------------------------------------------------------------------------------------ helpers
def varmatch_json(path) -> tuple[dict, str]:
    p = subprocess.run([sys.executable, "-m", "varmatch", "run", str(path), "-t", "BREAST",
                        "-o", "-", "--formats", "json"], capture_output=True, cwd=REPO,
                       timeout=300)
    err = p.stderr.decode()
    assert p.returncode == 0, err
    assert "ReferenceMismatch" not in err and "reference has" not in err, err
    return json.loads(p.stdout), err


def alterations(d: dict) -> list[tuple[str, str, str, str]]:
    return sorted((a["gene"], a["hgvs_p"], a["hgvs_c"], a["consequence"])
                  for a in d["alterations"])


def matches(d: dict) -> list[tuple[str, str, str]]:
    return sorted((m["evidence_id"], m["tier"], m["level"]) for m in d["matches"])


def pathway_refs_checked(moves, build: Build) -> int:
    """Compare each lifted pathway record's REF with the bundled sequence of ``build``; the number
    of bases compared (``N``, i.e. not bundled, is not compared)."""
    db = TranscriptDB.bundled(build)
    compared = 0
    for chrom, _old, pos, ref in moves:
        end = pos + len(ref) - 1
        if not db.overlaps(chrom, pos, end):
            continue
        known = db.sequence.fetch(norm_chrom(chrom), pos, end)
        for i, (want, got) in enumerate(zip(ref.upper(), known)):
            if got != "N" and want != "N":
                assert want == got, f"{chrom}:{pos + i} REF {want}, bundled {build} has {got}"
                compared += 1
    return compared


@pytest.fixture(scope="module")
def chain() -> ChainMap:
    return ChainMap.from_file(need(CHAIN))


# ------------------------------------------------------------------------- the liftover itself
def test_chain_parser_and_point_lifter_on_a_small_chain():
    text = """\
chain 10 1 1000 + 0 300 1 1000 + 0 310 1
100 0 10
200

chain 10 2 1000 + 0 100 5 1000 + 0 100 2
100

chain 10 3 1000 + 0 10 3 50 - 5 15 3
10
"""
    cm = ChainMap.parse(text.splitlines())
    assert len(cm.chains) == 3
    # inside the blocks, at their edges, in the query gap, outside the chain
    assert [cm.lift("1", p).pos for p in (1, 100, 101, 300)] == [1, 100, 111, 310]
    assert cm.lift("1", 301) is None and cm.lift("1", 0) is None
    assert cm.lift("chr1", 50).pos == 50  # a 'chr' name finds the Ensembl-named chain
    # minus query strand: forward position = qSize - 1 - q (0-based)
    assert (cm.lift("3", 1).pos, cm.lift("3", 10).pos, cm.lift("3", 1).strand) == (45, 36, "-")
    with pytest.raises(ValueError):  # blocks that do not add up to the header's span
        ChainMap.parse(["chain 1 1 100 + 0 50 1 100 + 0 50 9", "40"])


def test_target_gap_is_not_lifted():
    cm = ChainMap.parse(["chain 1 1 1000 + 0 120 1 1000 + 0 100 1", "50 20 0", "50"])
    assert cm.lift("1", 50).pos == 50 and cm.lift("1", 71).pos == 51
    assert [cm.lift("1", p) for p in (51, 60, 70)] == [None, None, None]


def test_lift_vcf_drops_and_counts(tmp_path):
    cm = ChainMap.parse("""\
chain 10 1 1000 + 0 300 1 1000 + 0 310 1
100 0 10
200
chain 10 2 1000 + 0 100 5 1000 + 0 100 2
100
chain 10 3 1000 + 0 10 3 50 - 5 15 3
10
""".splitlines())
    src = tmp_path / "in.vcf"
    rows = [("1", 150, "A"), ("1", 50, "A"), ("1", 100, "AC"), ("1", 500, "A"), ("2", 5, "A"),
            ("3", 2, "A")]
    src.write_text("##fileformat=VCFv4.2\n##reference=GRCh37\n##contig=<ID=1,length=9>\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   + "".join(f"{c}\t{p}\t.\t{r}\tG\t.\tPASS\t.\n" for c, p, r in rows))
    res = lift_vcf(src, tmp_path / "out.vcf", cm, lengths={"1": 1000, "2": 2000, "3": 50})
    assert res.lifted == 2
    assert dict(res.dropped) == {"span_not_contiguous": 1, "unmapped": 1, "other_chromosome": 1,
                                 "minus_strand": 1}
    text = res.path.read_text()
    assert "##reference=GRCh38" in text and "GRCh37" not in text
    assert "##contig=<ID=1,length=1000>" in text and "##contig=<ID=3,length=50>" in text
    body = [ln.split("\t")[:2] for ln in text.splitlines() if not ln.startswith("#")]
    assert body == [["1", "50"], ["1", "160"]]  # sorted, 150 -> 160 past the 10-base query gap


def test_known_pik3ca_coordinate_lifts(chain):
    hit = chain.lift(*PIK3CA_37)
    assert (hit.chrom, hit.pos, hit.strand) == (*PIK3CA_38, "+")
    # the GRCh38 lengths written to ##contig are the chain's query sizes
    sizes = chain.query_sizes()
    assert {c: sizes[c] for c in GRCH38_LENGTHS} == GRCH38_LENGTHS


def test_bundled_grch38_sequence_backs_the_ref_check():
    db = TranscriptDB.bundled(Build.GRCh38)
    db.check_ref(Variant(*PIK3CA_38, "A", "G", source="lifted.vcf:1"))
    with pytest.raises(ReferenceMismatchError):
        db.check_ref(Variant(*PIK3CA_38, "C", "G", source="lifted.vcf:1"))


# --------------------------------------------------------------------------- the real BRCA VCFs
def lifted_pair(src, chain, tmp_path_factory):
    res = lift_vcf(need(src), tmp_path_factory.mktemp("grch38") / (src.name + ".GRCh38.vcf"),
                   chain)
    d37, _ = varmatch_json(src)
    d38, err38 = varmatch_json(res.path)
    return res, d37, d38, err38


@pytest.fixture(scope="module")
def raw(chain, tmp_path_factory):
    return lifted_pair(RAW37, chain, tmp_path_factory)


@pytest.fixture(scope="module")
def vep(chain, tmp_path_factory):
    return lifted_pair(VEP37, chain, tmp_path_factory)


def test_raw_brca_lifts_completely(raw):
    res, *_ = raw
    assert (res.lifted, sum(res.dropped.values())) == (196, 0)
    assert ("3", 178952085, 179234297, "A") in res.moves
    header = [ln for ln in res.path.read_text().splitlines() if ln.startswith("##")]
    assert "##reference=GRCh38" in header and "##contig=<ID=1,length=248956422>" in header
    assert not any("hg19" in ln.lower() or "grch37" in ln.lower() for ln in header)


@pytest.mark.parametrize("which", ["raw", "vep"])
def test_grch37_and_lifted_grch38_give_the_same_result(which, request):
    res, d37, d38, _ = request.getfixturevalue(which)
    assert (d37["genome_build"], d38["genome_build"]) == ("GRCh37", "GRCh38")
    assert alterations(d37) == alterations(d38) == EXPECTED
    assert matches(d37) == matches(d38) and matches(d37)
    v37, v38 = d37["alterations"][0]["variant"], d38["alterations"][0]["variant"]
    assert (v37["chrom"], v37["pos"]) == PIK3CA_37 and (v38["chrom"], v38["pos"]) == PIK3CA_38
    assert (v37["ref"], v37["alt"]) == (v38["ref"], v38["alt"]) == ("A", "G")
    # the lifted pathway REFs are the bundled GRCh38 bases (and PIK3CA c.3140 is among them)
    assert pathway_refs_checked(res.moves, Build.GRCh38) >= 1


def test_vep_brca_lifts_cleanly_and_its_csq_agrees_on_grch38(vep):
    res, d37, d38, err38 = vep
    # three non-pathway records do not lift: one unmapped (1:142621039, RP11-417J8.3) and two on
    # minus-strand chains (21:11038968 BAGE2, X:151895990 MAGEA12); none near a pathway gene
    assert res.lifted == 196 and dict(res.dropped) == {"unmapped": 1, "minus_strand": 2}
    db37 = TranscriptDB.bundled(Build.GRCh37)
    assert not [r for r in res.dropped_records if db37.overlaps(r[0], r[1], r[1] + len(r[2]) - 1)]
    # the CSQ was kept: it agreed with what the GRCh38 coordinates say
    assert [a["annotation_source"] for a in d38["alterations"]] == ["VEP"]
    assert [a["annotation_source"] for a in d37["alterations"]] == ["VEP"]
    assert "disagrees with the coordinates" not in err38
