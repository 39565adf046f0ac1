"""VRS ids computed by varmatch.vrs against published values, and the va (VA-Spec) output.

Published vectors (repository, commit, file):
* ga4gh/vrs-python a47b3d92ede02bc4597aba1f48cf5ec810a0bea0 tests/test_vrs.py: the EGFR allele
  NC_000007.14 interbase 55181319-55181320 T (SL._G2K0..., VA.Hy2XU_...) and ClinVar 383650
  (SQ.KEO-4X... 128325834-128325835 T, VA.SZIS2ua7...).
* same commit, notebooks/getting_started/4_Exploring_the_AlleleTranslator.ipynb:
  NC_000005.10:g.80656489C>T -> VA.ebezGL6H...; NC_000005.9:g.79952308C>T (GRCh37) -> VA.hEyB1sGi...
* biocommons/anyvar d0036716e72f61015263b0d91608755afc173e1c README.md:
  NC_000010.11:g.87894077C>T -> VA.K7akyz9P..., SL.01EH5o6V...; tests/data/variations.json:
  BRAF V600E NC_000007.14:g.140753336A>T -> VA.Otc5ovrw..., SL.nhul5x5P...
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import SAMPLES

from varmatch import vrs
from varmatch.models import Build, Variant


def test_sha512t24u_of_empty_input():
    # refget spec example: the digest of the empty sequence
    assert vrs.sha512t24u(b"") == "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXc"


def test_egfr_allele_matches_vrs_python_serialisation_and_ids():
    loc = vrs.location("SQ.F-LrLMe1SRpfUZHkQmvkVKFEGaoDeHul", 55181319, 55181320)
    assert loc["id"] == "ga4gh:SL._G2K0qSioM74l_u3OaKR0mgLYdeTL7Xd"
    assert vrs.allele_from_location(loc, "T")["id"] == "ga4gh:VA.Hy2XU_-rp4IMh6I_1NXNecBo8Qx8n0oE"
    a = vrs.allele(Variant("chr7", 55181320, "A", "T"), Build.GRCh38)
    assert a["id"] == "ga4gh:VA.Hy2XU_-rp4IMh6I_1NXNecBo8Qx8n0oE", "via the bundled chr7 digest"


def test_clinvar_383650_on_chr9():
    a = vrs.allele_from_location(vrs.location("SQ.KEO-4XBcm1cxeo_DIQ8_ofqGUkp4iZhI", 128325834,
                                              128325835), "T")
    assert a["id"] == "ga4gh:VA.SZIS2ua7AL-0YgUTAqyBsFPYK3vE8h_d"
    assert a["location"]["id"] == "ga4gh:SL.TaoXEhpHvA6SdilBUO-AX00YDARv9Uoe"


@pytest.mark.parametrize(("variant", "build", "va", "sl"), [
    (Variant("chr7", 140753336, "A", "T"), "GRCh38", "ga4gh:VA.Otc5ovrw906Ack087o1fhegB4jDRqCAe",
     "ga4gh:SL.nhul5x5P_fKjGEpY9PEkMIekJfZaKom2"),  # BRAF V600E
    (Variant("chr10", 87894077, "C", "T"), "GRCh38", "ga4gh:VA.K7akyz9PHB0wg8wBNVlWAAdvMbJUJJfU",
     "ga4gh:SL.01EH5o6V6VEyNUq68gpeTwKE7xOo-WAy"),
    (Variant("5", 80656489, "C", "T"), "GRCh38", "ga4gh:VA.ebezGL6HoAhtGJyVnB_mE5BH18ntKev4",
     "ga4gh:SL.JiLRuuyS5wefF_6-Vw7m3Yoqqb2YFkss"),
    (Variant("5", 79952308, "C", "T"), "GRCh37", "ga4gh:VA.hEyB1sGiQrdrPFIq4u4CF17uAuUs2Wvx",
     "ga4gh:SL.Y-itBtqe9IwbxyL4EVZ4T_X9TUsdbJ22"),
])
def test_vcf_style_variants_give_published_ids_via_bundled_digests(variant, build, va, sl):
    a = vrs.allele(variant, build)
    assert (a["id"], a["location"]["id"]) == (va, sl)


def test_mnv_is_trimmed_to_the_changed_bases():
    a = vrs.allele(Variant("chr7", 55181319, "GA", "GT"), "GRCh38")
    assert a["id"] == "ga4gh:VA.Hy2XU_-rp4IMh6I_1NXNecBo8Qx8n0oE"


@pytest.mark.parametrize("variant", [
    Variant("chr14", 104780214, "C", "CT"),  # insertion: needs VRS normalisation
    Variant("chr14", 104780214, "CT", "C"),  # deletion
    Variant("chr14", 104780214, "C", "<DEL>"),  # symbolic
    Variant("chr16", 2070000, "C", "T"),  # chr16 digest not bundled
    Variant("chr3", 179234297, "A", "G"),  # GRCh37 chr3 digest not bundled
])
def test_no_id_where_it_cannot_be_computed_correctly(variant):
    build = "GRCh37" if variant.chrom == "chr3" else "GRCh38"
    assert vrs.allele(variant, build) is None
    assert vrs.allele(Variant("chr14", 104780214, "C", "T"), None) is None


def test_every_bundled_digest_is_well_formed_and_unique():
    table = vrs.refget_table()
    assert len(table) >= 20
    digests = [sq for sq, _acc in table.values()]
    assert all(sq.startswith("SQ.") and len(sq) == 35 for sq in digests)
    assert len(set(digests)) == len(digests)
    assert table[("GRCh38", "14")] == ("SQ.eK4D2MosgK_ivBkgi6FVPg5UXs1bYESm", "NC_000014.9")


def test_npc_akt1_e17k_va_statements():
    p = subprocess.run([sys.executable, "-m", "varmatch", "run",
                        SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "-t", "NPC", "-o", "-",
                        "--formats", "va"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert "research use" in d["disclaimer"]
    st = {s["extensions"][0]["value"]: s for s in d["statements"]}
    s = st["VM0006"]
    prop = s["proposition"]
    assert prop["type"] == "VariantTherapeuticResponseProposition"
    assert prop["predicate"] == "predictsSensitivityTo"
    assert prop["objectTherapeutic"] == {"conceptType": "Drug", "name": "capivasertib"}
    assert prop["conditionQualifier"]["primaryCoding"]["code"] == "NPC"
    member = prop["subjectVariant"]["members"][0]
    # AKT1 c.49G>A = chr14:104780214 C>T on GRCh38 (minus strand), interbase 104780213-104780214
    assert member["location"]["start"] == 104780213 and member["state"]["sequence"] == "T"
    assert member["location"]["sequenceReference"]["refgetAccession"] == \
        "SQ.eK4D2MosgK_ivBkgi6FVPg5UXs1bYESm"
    assert member["id"] == vrs.allele(Variant("chr14", 104780214, "C", "T"), "GRCh38")["id"]
    assert {"syntax": "hgvs.c", "value": "NM_005163.2:c.49G>A"} in member["expressions"]
    assert s["classification"]["name"] == "Tier II"
    assert {"type": "Document", "name": "PMID:33377972", "pmid": 33377972,
            "urls": ["https://pubmed.ncbi.nlm.nih.gov/33377972/"]} in s["reportedIn"]
    combo = [x for x in d["statements"] if x["extensions"][0]["value"] == "VM0001"][0]
    assert combo["proposition"]["objectTherapeutic"]["type"] == "TherapyGroup"


def test_grch37_sample_without_bundled_digest_has_no_vrs_id():
    p = subprocess.run([sys.executable, "-m", "varmatch", "run",
                        SAMPLES / "breast_pik3ca_pten.snpeff.GRCh37.vcf", "-t", "BREAST", "-o",
                        "-", "--formats", "va"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    members = [m for s in json.loads(p.stdout)["statements"]
               for m in s["proposition"]["subjectVariant"]["members"]]
    assert members and all("id" not in m and m["type"] == "Variation" for m in members)


def test_counter_evidence_is_a_disputing_sensitivity_statement():
    """CIViC EID231 (AKT1 E17K: no benefit from MK-2206) disputes, never supports, sensitivity."""
    p = subprocess.run([sys.executable, "-m", "varmatch", "run",
                        SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz", "-t", "NPC", "-o", "-",
                        "--formats", "va"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    st = {s["extensions"][0]["value"]: s for s in json.loads(p.stdout)["statements"]}
    assert st["EID231"]["direction"] == "disputes"
    assert st["EID231"]["proposition"]["predicate"] == "predictsSensitivityTo"
    assert st["VM0006"]["direction"] == "supports"
