"""The CIViC layer (issue 10 §1, §3, §4): mapping of real CIViC 01-Aug-2024 rows, layering with the
curated rows, counter-evidence and resistance as qualifiers, `varmatch kb update civic` against a
real HTTP server on loopback, and the OncoTree alias / suggestion fixes."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from varmatch import kb as kbmod
from varmatch.kb import civic
from varmatch.kb.oncotree import OncoTree
from varmatch.match import match
from varmatch.models import (
    Alteration,
    AlterationType,
    Consequence,
    Direction,
    EvidenceKind,
    EvidenceLevel,
    Oncogenicity,
    ProteinChange,
    Tier,
    TumorRelation,
)
from varmatch.tiers import tier_all

REPO = Path(__file__).resolve().parents[1]
RELEASE_DIR = REPO.parent / "shared" / "data" / "kb_sources" / "civic" / "01-Aug-2024"
KB = kbmod.bundled()
TREE = OncoTree.bundled()
ROLES = KB.gene_roles()
LAYER = json.loads((REPO / "knowledgebase" / "civic" / "evidence.json").read_text())
ROW = {r["id"]: r for r in LAYER["rows"]}
UNMAPPED = {u["eid"]: u for u in LAYER["unmapped"]}
IMPORTED = {e.id: e for e in KB.imported}


def mut(gene, p, onc=Oncogenicity.ONCOGENIC, hotspot=True):
    pc = ProteinChange.parse(p)
    return Alteration(gene, protein=pc, consequence=pc.consequence, oncogenicity=onc, hotspot=hotspot)


def amp(gene):
    return Alteration(gene, type=AlterationType.AMPLIFICATION, consequence=Consequence.AMPLIFICATION,
                      oncogenicity=Oncogenicity.LIKELY_ONCOGENIC, copy_number=12)


# ------------------------------------------------------------------------------------ the import
def test_bundled_layer_is_the_01_aug_2024_release_and_every_row_validates():
    assert LAYER["release"] == "01-Aug-2024" and LAYER["release_date"] == "2024-08-01"
    assert KB.civic_release == "2024-08-01" and KB.civic_source == "bundled"
    # every mapped row became an Evidence row (the loader validates each against the schema)
    assert len(KB.imported) == len(LAYER["rows"]) >= 150
    assert all(e.layer == "civic" and e.source_url.startswith("https://civicdb.org/") for e in KB.imported)
    kbmod.load(None, strict=True)  # curated + CIViC layers, MANIFEST covering both
    # each of the 234 predictive pathway items is imported or listed with a reason
    eids = {r["civic"]["eid"] for r in LAYER["rows"]} | {int(u["eid"][3:]) for u in LAYER["unmapped"]}
    assert len(eids) == 234


def test_regenerating_the_layer_from_the_release_gives_the_bundled_rows(tmp_path):
    dmap = civic.read_disease_map(REPO / "knowledgebase" / "civic" / civic.DISEASE_MAP)
    pathway = {d for d, v in KB.drugs.items() if set(v.get("targets", [])) & set(KB.genes)}
    layer = civic.import_dir(RELEASE_DIR, "01-Aug-2024", genes=KB.genes, disease_map=dmap,
                             known_codes=TREE.codes(), pathway_drugs=pathway)
    assert layer.rows == LAYER["rows"] and layer.unmapped == LAYER["unmapped"]


def test_alpelisib_solar1_rows_keep_level_a_only_for_an_exact_variant():
    # EID7315: PIK3CA E542K, alpelisib + fulvestrant, breast, CIViC level A (SOLAR-1, PMID 31091374)
    e = IMPORTED["EID7315"]
    assert str(e.biomarker) == "PIK3CA p.E542K" and e.drugs == ("alpelisib",)
    assert e.partners == ("fulvestrant",) and e.tumor_type == "BRCA"
    assert (e.level, e.kind) == (EvidenceLevel.A, EvidenceKind.VALIDATED)
    assert {c.id for c in e.citations} == {"PMID:31091374", "NCT02437318"}
    # EID7313: the same trial coded as "PIK3CA Mutation": gene-wide, so level C with the reason
    wide = ROW["EID7313"]
    assert wide["level"] == "C" and "companion test" in wide["note"]
    assert wide["biomarker"] == {"gene": "PIK3CA", "class": "oncogenic_mutation"}


def test_a_mutation_row_never_matches_amplification():
    e = IMPORTED["EID7313"]  # "PIK3CA Mutation"
    assert match([amp("PIK3CA")], [e], ROLES) == []
    assert len(match([mut("PIK3CA", "H1047R")], [e], ROLES)) == 1
    # and an amplification row does not match a mutation
    a = IMPORTED["EID756"]
    assert str(a.biomarker) == "PIK3CA amplification"
    assert match([mut("PIK3CA", "H1047R")], [a], ROLES) == [] and match([amp("PIK3CA")], [a], ROLES)


@pytest.mark.parametrize("eid, expected", [
    ("EID1534", {"gene": "PTEN", "protein_change": "V317fs"}),  # "V317FS"
    ("EID154", {"gene": "TSC1", "class": "frameshift"}),  # "Frameshift Truncation"
    ("EID155", {"gene": "TSC1", "class": "loss_of_function"}),  # "Loss-of-function"
    ("EID1231", {"gene": "PTEN", "class": "deletion"}),
    ("EID138", {"gene": "PIK3CA", "exon": 21}),  # "Exon 21 Mutation" with Ensembl exon coordinates
    ("EID1438", {"all_of": [{"gene": "MTOR", "protein_change": "E2014K"},
                            {"gene": "MTOR", "protein_change": "E2419K"}],
                 "label": "MTOR E2014K AND MTOR E2419K (CIViC)"}),
])
def test_civic_variant_names_map_onto_the_biomarker_grammar(eid, expected):
    assert ROW[eid]["biomarker"] == expected


def test_frameshift_biomarker_meets_any_frameshift_at_its_codon_only():
    e = IMPORTED["EID1534"]  # PTEN V317fs
    assert match([mut("PTEN", "V317Lfs*3")], [e], ROLES)
    assert not match([mut("PTEN", "V317A")], [e], ROLES)
    assert not match([mut("PTEN", "K267Rfs*9")], [e], ROLES)


def test_unmappable_items_are_listed_with_their_reason():
    # PTEN Loss (EID507: temsirolimus, prostate) is an IHC/expression finding, not a DNA call
    assert "not a DNA call" in UNMAPPED["EID507"]["reason"]
    # "Does Not Support" + Resistance says the variant does NOT cause resistance: no direction
    assert "no varmatch direction" in UNMAPPED["EID83"]["reason"]
    # legacy exon numbers without coordinates are not guessed
    assert "exon" in UNMAPPED["EID6191"]["reason"]
    report = (REPO / "knowledgebase" / "civic" / "UNMAPPED.md").read_text()
    assert f"Items not imported: {len(LAYER['unmapped'])}" in report and "| EID507 |" in report


def test_does_not_support_sensitivity_is_counter_evidence_never_sensitivity():
    # EID892: PIK3CA mutation does not predict benefit from ridaforolimus / temsirolimus
    # (substitutes: one row per drug), endometrial cancer, CIViC level B -> C
    for rid, drug in (("EID892.1", "ridaforolimus"), ("EID892.2", "temsirolimus")):
        e = IMPORTED[rid]
        assert e.direction is Direction.COUNTER_EVIDENCE and e.drugs == (drug,)
        assert (e.tumor_type, e.level, e.kind) == ("UCEC", EvidenceLevel.C, EvidenceKind.CLINICAL)
    assert all(r["direction"] != "sensitivity" for r in LAYER["rows"]
               if r["civic"]["direction"] == "Does Not Support")


def test_levels_follow_the_documented_mapping_and_e_is_never_above_d():
    expect = {"A": {"A", "C"}, "B": {"C"}, "C": {"D"}, "D": {"D"}, "E": {"D"}}
    for r in LAYER["rows"]:
        assert r["level"] in expect[r["civic"]["level"]], r["id"]


def test_diseases_map_to_the_narrowest_oncotree_node_or_stay_another_tumor_type():
    assert ROW["EID1361"]["tumor_type"] == "HNSC"  # HNSCC cell lines: not HEAD_NECK, so not NPC
    assert IMPORTED["EID3039"].tumor_type == "" and IMPORTED["EID3039"].disease == "Cancer"
    assert all(r["tumor_type"] not in ("BREAST", "BOWEL", "TISSUE") for r in LAYER["rows"])
    # an unmapped disease is never on-label, whatever the patient's tumor type
    [m] = [m for m in tier_all(match([mut("AKT1", "E17K")], [IMPORTED["EID3039"]], ROLES),
                               "NPC", TREE)]
    assert m.relation is TumorRelation.OFF_LABEL and (m.tier, str(m.level)) == (Tier.II, "D")
    assert "Cancer (no OncoTree code)" in m.why


# ---------------------------------------------------------------------------- layers & qualifiers
def test_curated_and_imported_rows_saying_the_same_thing_give_one_option_citing_both():
    civ = IMPORTED["EID7315"]
    curated = replace(civ, id="VM9901", layer="curated", source_url="")
    [m] = tier_all(match([mut("PIK3CA", "E542K")], [curated, civ], ROLES), "BRCA", TREE)
    assert m.evidence.id == "VM9901" and m.sources == ("curated", "civic")
    assert [e.id for e in m.merged] == ["EID7315"]


def test_conflicting_imported_row_does_not_override_the_curated_row_and_is_named():
    counter = IMPORTED["EID231"]  # AKT1 E17K: no benefit from MK-2206 (breast, preclinical, D)
    curated = replace(counter, id="VM9902", layer="curated", direction=Direction.SENSITIVITY)
    ms = tier_all(match([mut("AKT1", "E17K")], [curated, counter], ROLES), "BRCA", TREE)
    [opt] = [m for m in ms if m.evidence.direction is Direction.SENSITIVITY]
    assert "EID231" in opt.conflict and "curated row VM9902 stands" in opt.conflict
    assert opt.rule == "on-label" and str(opt.level) == "D"  # not lowered by the imported row
    assert [q.evidence.id for q in opt.qualifiers] == ["EID231"]


def test_resistance_in_the_same_sample_qualifies_the_option_sharing_its_drug():
    """PIK3CA H1047R + MTOR F2108L in breast cancer: the everolimus options carry EID1110 (MTOR
    F2108L, everolimus resistance) and the sentence names it."""
    ms = tier_all(match([mut("PIK3CA", "H1047R"), mut("MTOR", "F2108L", hotspot=False)],
                        KB.all_evidence, ROLES), "BRCA", TREE)
    evero = [m for m in ms if m.evidence.direction is Direction.SENSITIVITY
             and "everolimus" in m.evidence.drugs]
    assert evero
    for m in evero:
        assert "EID1110" in {q.evidence.id for q in m.qualifiers}
        assert "EID1110 (resistance, everolimus" in m.why
    others = [m for m in ms if m.evidence.direction is Direction.SENSITIVITY
              and not {"everolimus", "sirolimus"} & set(m.evidence.drugs + m.evidence.partners)]
    assert all("EID1110" not in {q.evidence.id for q in m.qualifiers} for m in others)


def test_on_label_counter_evidence_at_least_as_strong_lowers_the_option_one_level():
    """Endometrial carcinoma with a PIK3CA mutation: an imported temsirolimus sensitivity option at
    level C meets the on-label counter-evidence EID892.2 at level C: it drops to D (+conflicting);
    the same option for another tumor type is not lowered (the qualifier is off-label)."""
    option = replace(IMPORTED["EID892.2"], id="EID9999", direction=Direction.SENSITIVITY)
    alts = [mut("PIK3CA", "H1047R")]
    [m] = [m for m in tier_all(match(alts, [option, IMPORTED["EID892.2"]], ROLES), "UCEC", TREE)
           if m.evidence.id == "EID9999"]
    assert (str(m.level), m.rule) == ("D", "on-label+conflicting")
    assert "EID892.2 applies to this tumor type" in m.why
    [o] = [m for m in tier_all(match(alts, [option, IMPORTED["EID892.2"]], ROLES), "BRCA", TREE)
           if m.evidence.id == "EID9999"]
    assert "+conflicting" not in o.rule and [q.evidence.id for q in o.qualifiers] == ["EID892.2"]


# -------------------------------------------------------------------------------- whole pipeline
class _Res:
    def __init__(self, p: subprocess.CompletedProcess):
        self.exit_code = p.returncode
        self.output = p.stdout + p.stderr


def vm(*args) -> _Res:
    return _Res(subprocess.run([sys.executable, "-m", "varmatch", *map(str, args)],
                               capture_output=True, text=True, timeout=300))


def _run_json(args, tmp_path):
    out = tmp_path / "r.json"
    res = vm(*args, "-o", out, "--formats", "json")
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text())


def test_npc_akt1_e17k_shows_civic_options_with_honest_tiers_and_counter_evidence(tmp_path):
    d = _run_json(["run", str(REPO / "sample_vcfs" / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz"),
                   "-t", "NPC"], tmp_path)
    schema = json.loads((REPO / "varmatch" / "schemas" / "result.schema.json").read_text())
    jsonschema.validate(d, schema)
    assert d["civic_release"] == d["knowledgebase"]["civic_release"] == "2024-08-01"
    civ = {m["evidence_id"]: m for m in d["matches"] if m["layer"] == "civic"}
    # EID3039 (capivasertib, AKT1 E17K basket, disease "Cancer"): another tumor type, level D
    assert civ["EID3039"]["tier"] == "II" and civ["EID3039"]["level"] == "D"
    assert civ["EID3039"]["source_url"] == "https://civicdb.org/links/evidence_items/3039"
    assert all(m["tier"] == "II" for m in d["matches"])  # nothing on-label for NPC reaches Tier I
    # EID231 (CIViC) and VM0053 (IPATunity130 cohort A: AKT1-altered TNBC was in the selection; a
    # breast trial, so off-label for NPC: level B -> C, Tier II, shown and not weighed)
    ce = {m["evidence_id"]: m for m in d["counter_evidence"]}
    assert set(ce) == {"EID231", "VM0053"}
    assert (ce["VM0053"]["tier"], ce["VM0053"]["level"]) == ("II", "C")


def test_tsv_carries_qualifiers_and_sources(tmp_path):
    table = tmp_path / "alts.tsv"
    table.write_text("gene\tprotein_change\nPIK3CA\tH1047R\nMTOR\tF2108L\n")
    out = tmp_path / "r.tsv"
    res = vm("match", table, "-t", "BRCA", "-o", out, "--formats", "tsv")
    assert res.exit_code == 0, res.output
    lines = [ln.split("\t") for ln in out.read_text().splitlines()]
    head = lines[0]
    rows = [dict(zip(head, ln)) for ln in lines[1:]]
    evero = [r for r in rows if r["direction"] == "sensitivity" and "everolimus" in r["drugs"]]
    assert evero and all("EID1110 (resistance, level D)" in r["qualifiers"] for r in evero)
    assert {r["sources"] for r in rows if r["evidence_id"]} <= {"curated", "civic", "curated,civic"}


def test_mtor_s2215y_c1483f_i2500f_each_get_the_mtor_inhibitor_rows(tmp_path):
    """Issue 10 §4: one row (VM0019, rapalogs in RCC, a TSC1-or-MTOR composite) attaches to every
    qualifying MTOR alteration, not only the first."""
    table = tmp_path / "mtor.tsv"
    table.write_text("gene\tprotein_change\nMTOR\tS2215Y\nMTOR\tC1483F\nMTOR\tI2500F\n")
    d = _run_json(["match", str(table), "-t", "CCRCC"], tmp_path)
    hit = {a for m in d["matches"] if m["evidence_id"] == "VM0019" for a in m["alterations"]}
    assert hit == {"MTOR:S2215Y", "MTOR:C1483F", "MTOR:I2500F"}


# --------------------------------------------------------------------------------- OncoTree codes
def test_previous_and_tcga_codes_are_accepted_with_a_note_naming_the_code_used(tmp_path):
    assert TREE.resolve("GBM") == "GB" and TREE.resolve("KIRC") == "CCRCC"
    assert TREE.resolve("TALL") == "TLL"
    table = tmp_path / "a.tsv"
    table.write_text("gene\tprotein_change\nPTEN\tR130*\n")
    d = _run_json(["match", str(table), "-t", "GBM"], tmp_path)
    assert d["tumor_type"]["code"] == "GB"
    assert any(n.startswith("GBM is not a code of oncotree_2026_05_21: using GB") for n in d["notes"])
    # PTEN R130* carries the hotspot flag (cancerhotspots R130, stop seen in 38 tumors)
    [alt] = d["alterations"]
    assert alt["hotspot"] is True


def test_names_suggest_codes():
    with pytest.raises(Exception, match=r"did you mean NPC \(Nasopharyngeal Carcinoma\)"):
        TREE.resolve("NASOPHARYNX")


# ----------------------------------------------------------------------- kb update civic (loopback)
TABLES = ("ClinicalEvidenceSummaries", "MolecularProfileSummaries", "VariantSummaries")


def _serve(httpserver, release, changes=None, status=None, handler=None):
    for t in TABLES:
        body = (RELEASE_DIR / f"01-Aug-2024-{t}.tsv").read_bytes()
        if changes and t in changes:
            body = changes[t](body)
        path = f"/{release}/{release}-{t}.tsv"
        if handler is not None and t == "ClinicalEvidenceSummaries":
            httpserver.expect_request(path).respond_with_handler(handler)
        elif status is not None and t == "ClinicalEvidenceSummaries":
            httpserver.expect_request(path).respond_with_data("oops", status=status)
        else:
            httpserver.expect_request(path).respond_with_data(body, content_type="text/tab-separated-values")


def _update(httpserver, release, *extra):
    return vm("kb", "update", "civic", "--release", release, "--base-url", httpserver.url_for("/"),
              *extra)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VARMATCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("VARMATCH_CIVIC", raising=False)
    kbmod.bundled.cache_clear()
    yield tmp_path / "cache"
    kbmod.bundled.cache_clear()


def test_update_serving_the_bundled_release_changes_nothing_and_is_then_used(httpserver, cache, tmp_path):
    _serve(httpserver, "01-Sep-2024")
    res = _update(httpserver, "01-Sep-2024")
    assert res.exit_code == 0, res.output
    assert f"CIViC 01-Sep-2024: {len(LAYER['rows'])} rows" in res.output
    assert "added: 0" in res.output and "removed: 0" in res.output and "changed: 0" in res.output
    assert (cache / "civic" / "CURRENT").read_text().strip() == "01-Sep-2024"
    # later runs use the cached layer and stamp its date; the checksum says it is another copy
    k = kbmod.load(None)
    assert k.civic_release == "2024-09-01" and k.checksum != KB.checksum
    table = tmp_path / "a.tsv"
    table.write_text("gene\tprotein_change\nAKT1\tE17K\n")
    d = _run_json(["match", str(table), "-t", "NPC"], tmp_path)
    assert d["civic_release"] == "2024-09-01"


def test_update_with_one_changed_row_reports_it(httpserver, cache):
    def downgrade(body: bytes) -> bytes:  # EID7315 (PIK3CA E542K, alpelisib) from level A to B
        lines = body.decode().split("\n")
        head = lines[0].split("\t")
        i_id, i_level = head.index("evidence_id"), head.index("evidence_level")
        for n, line in enumerate(lines):
            f = line.split("\t")
            if len(f) == len(head) and f[i_id] == "7315":
                f[i_level] = "B"
                lines[n] = "\t".join(f)
        return "\n".join(lines).encode()
    _serve(httpserver, "01-Oct-2024", {"ClinicalEvidenceSummaries": downgrade})
    res = _update(httpserver, "01-Oct-2024")
    assert res.exit_code == 0, res.output
    assert "changed: 1: EID7315" in res.output and "added: 0" in res.output
    k = kbmod.load(None)
    e = next(e for e in k.imported if e.id == "EID7315")
    assert (e.level, e.kind) == (EvidenceLevel.C, EvidenceKind.CLINICAL)


@pytest.mark.parametrize("case", ["500", "truncated", "malformed", "timeout", "offline"])
def test_update_failures_keep_the_bundled_layer_with_one_line(httpserver, cache, case):
    release = "01-Nov-2024"
    extra: tuple[str, ...] = ()
    if case == "500":
        _serve(httpserver, release, status=500)
    elif case == "truncated":
        from werkzeug import Response

        full = (RELEASE_DIR / "01-Aug-2024-ClinicalEvidenceSummaries.tsv").read_bytes()

        def cut(request):  # promises the whole file, sends half of it
            return Response(full[: len(full) // 2], headers={"Content-Length": str(len(full))})
        _serve(httpserver, release, handler=cut)
    elif case == "malformed":
        _serve(httpserver, release, {"ClinicalEvidenceSummaries": lambda b: gzip.compress(b)[:2000]})
    elif case == "timeout":
        def slow(request):
            time.sleep(1.0)
            return "late"
        _serve(httpserver, release, handler=slow)
        extra = ("--timeout", "0.2")
    else:
        httpserver.stop()  # nothing listens on the port any more
    try:
        res = _update(httpserver, release, *extra)
    finally:
        if case == "offline":
            httpserver.start()
    assert res.exit_code == 4, res.output
    err = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(err) == 1 and "kept the current CIViC layer" in err[0], res.output
    assert not (cache / "civic" / "CURRENT").exists()
    assert kbmod.load(None).civic_release == "2024-08-01"


def test_pinning_ignores_a_cached_update(httpserver, cache, monkeypatch):
    _serve(httpserver, "01-Sep-2024")
    assert _update(httpserver, "01-Sep-2024").exit_code == 0
    monkeypatch.setenv("VARMATCH_CIVIC", "bundled")
    assert kbmod.load(None).civic_release == "2024-08-01"
    # --kb DIR uses that directory's own civic/ layer
    monkeypatch.delenv("VARMATCH_CIVIC")
    kb_copy = cache.parent / "kbcopy"
    shutil.copytree(REPO / "knowledgebase", kb_copy)
    assert kbmod.load(kb_copy).civic_release == "2024-08-01"


def test_bad_release_name_is_a_usage_error(cache):
    res = vm("kb", "update", "civic", "--release", "August")
    assert res.exit_code == 3 and "DD-Mon-YYYY" in res.output


# ----------------------------------------------------------------- MOAlmanac cross-check (GPL)
MOA = REPO.parent / "shared" / "data" / "kb_sources" / "moalmanac" / "legacy" / "molecular-oncology-almanac.json"


@pytest.mark.skipif(not MOA.is_file(), reason="MOAlmanac snapshot not available")
def test_moalmanac_agrees_with_civic_on_alpelisib_in_breast_carcinoma():
    """MOAlmanac (read at test time only, never bundled) codes alpelisib for PIK3CA-mutant breast
    cancer at OncoTree BRCA as an FDA-approved sensitivity (assertion 456): the same node, drug and
    direction as CIViC EID7315 after our DOID mapping (not the BREAST tissue node)."""
    rows = json.loads(MOA.read_text())
    [moa] = [r for r in rows if r.get("gene") == "PIK3CA" and r.get("therapy_name") == "Alpelisib"]
    assert (moa["oncotree_code"], moa["predictive_implication"], moa["therapy_sensitivity"]) == (
        "BRCA", "FDA-Approved", 1)
    e = IMPORTED["EID7315"]
    assert (e.tumor_type, e.drugs, e.direction) == ("BRCA", ("alpelisib",), Direction.SENSITIVITY)
