"""The annotate stage: a file's own annotation checked against the coordinates; a user FASTA."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import SAMPLES
from test_cli import SCHEMA, vm

from varmatch.annotate import Annotator
from varmatch.annotate.transcripts import TranscriptDB, norm_chrom
from varmatch.errors import ReferenceMismatchError
from varmatch.models import Build, Variant
from varmatch.readers import RawCall


class SegmentsAsFasta:
    """A pysam.FastaFile look-alike serving the bundled GRCh38 segments (N elsewhere)."""

    filename = b"segments-as-fasta.fa"
    references = ("14", "3", "10")
    lengths = (107043718, 198295559, 133797422)

    def __init__(self, patch: dict[tuple[str, int], str] | None = None):
        self.seq = TranscriptDB.bundled(Build.GRCh38).sequence
        self.patch = patch or {}

    def fetch(self, reference: str, start: int, end: int) -> str:  # 0-based half-open
        bases = list(self.seq.fetch(norm_chrom(reference), start + 1, end))
        for (chrom, pos), base in self.patch.items():
            if chrom == norm_chrom(reference) and start < pos <= end:
                bases[pos - start - 1] = base
        return "".join(bases)


AKT1_E17K = Variant("chr14", 104780214, "C", "T", Build.GRCh38, source="x.vcf:1")


def test_user_fasta_is_read_for_the_bundled_models():
    db = TranscriptDB.bundled(Build.GRCh38).with_fasta(SegmentsAsFasta())
    [alt] = db.annotate(AKT1_E17K)
    assert (str(alt), alt.hgvs_c) == ("AKT1 p.E17K", "c.49G>A")


def test_user_fasta_disagreeing_with_ref_is_a_wrong_build_error():
    db = TranscriptDB.bundled(Build.GRCh38).with_fasta(SegmentsAsFasta({("14", 104780214): "G"}))
    with pytest.raises(ReferenceMismatchError, match="segments-as-fasta"):
        db.check_ref(AKT1_E17K)


def test_annotation_that_disagrees_with_coordinates_is_replaced_with_a_warning(caplog):
    # a VEP-style annotation claiming p.E17G for the c.49G>A coordinates (made on another build or
    # transcript): the coordinates win, and a warning says so
    from varmatch.models import Alteration, Consequence, ProteinChange

    wrong = Alteration("AKT1", consequence=Consequence.MISSENSE,
                       protein=ProteinChange.parse("p.Glu17Gly"), annotation_source="VEP",
                       variant=AKT1_E17K)
    ann = Annotator(frozenset({"AKT1"}), {"AKT1": "oncogene"})
    with caplog.at_level(logging.WARNING):
        [alt] = ann.annotate_call(RawCall(AKT1_E17K, (wrong,)), Build.GRCh38, "x.vcf")
    assert str(alt) == "AKT1 p.E17K" and alt.annotation_source == "varmatch"
    assert "disagrees with the coordinates" in caplog.text


def test_annotation_that_agrees_keeps_the_file_s_own_source():
    p = vm("run", SAMPLES / "npc_akt1_e17k.vep.GRCh38.vcf", "-t", "NPC", "-o", "-",
           "--formats", "json")
    d = json.loads(p.stdout)
    import jsonschema

    jsonschema.validate(d, SCHEMA)
    assert d["alterations"][0]["annotation_source"] == "VEP"
    assert b"disagrees" not in p.stderr


def _civic_records():
    from conftest import SHARED

    for line in (SHARED / "data/civic/civic_2019-10-08_civic_accepted.GRCh37.vcf").open():
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        info = dict(kv.split("=", 1) for kv in f[7].split(";") if "=" in kv)
        if "." in (f[3], f[4]):
            continue
        yield f[0], int(f[1]), f[3], f[4], info.get("GN", ""), info.get("VT", "")


def test_protein_names_agree_with_civic_for_every_gene_with_bundled_sequence():
    # CIViC names each variant by its protein change (VT=M2327I) at GRCh37 coordinates: an
    # independent peer for the offline annotator
    from varmatch.models import ProteinChange

    db = TranscriptDB.bundled(Build.GRCh37)
    compared, disagree = 0, []
    for chrom, pos, ref, alt, gene, name in _civic_records():
        try:
            expected = str(ProteinChange.parse(name))
        except ValueError:
            continue  # "AMPLIFICATION", "EXON 20 INSERTION", ...
        ours = [a for a in db.annotate(Variant(chrom, pos, ref, alt, Build.GRCh37)) if a.gene == gene]
        if not ours:
            continue
        compared += 1
        if str(ours[0].protein) != expected:
            disagree.append((gene, name, str(ours[0].protein), ours[0].hgvs_c))
    assert compared >= 90
    # AKT3 E17K included (LRG_1396 sequence bundled since issue 12)
    assert disagree == [], disagree


def test_egfr_exon20_insertion_across_the_junction_is_named_in_frame():
    [egfr] = TranscriptDB.bundled(Build.GRCh37).annotate(
        Variant("7", 55248992, "T", "TTCCAGGAAGCCT", Build.GRCh37))
    assert (str(egfr.protein), egfr.hgvs_c) == ("A763_Y764insFQEA", "c.2284-5_2290dup")
