"""Clinical trials (--trials) against a real HTTP server on loopback (pytest-httpserver).

Two kinds of responses are served: the real ClinicalTrials.gov API v2 answers recorded by BioMCP
(../shared/data/kb_sources/clinicaltrials_api_v2, see its receipts) for paging, filtering and study
text; and answers built here in the same shape for the NPC + AKT1 E17K case. Built studies carry
NCT999xxxxx ids and "(synthetic test record)" titles: they are not real trials.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from conftest import SAMPLES, SHARED, need
from werkzeug import Response

from varmatch.models import Alteration, ProteinChange, TrialMatchKind
from varmatch.trials import (
    Cache,
    Client,
    Terms,
    TrialsConfig,
    TrialsUnavailable,
    classify,
    condition_terms,
    config_from_options,
    retry_after,
    terms_for,
    to_trial,
)

CTGOV = SHARED / "data/kb_sources/clinicaltrials_api_v2"
SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "varmatch/schemas/result.schema.json").read_text())
NPC_VCF = SAMPLES / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz"
KB_DRUGS = {"capivasertib": {"class": "AKT inhibitor (ATP-competitive, pan-AKT)",
                             "synonyms": ["Truqap", "AZD5363"]}}


def recorded(name: str) -> dict:
    return json.loads(need(CTGOV / name).read_text())


def study(nct: str, title: str, *, summary: str = "", eligibility: str = "",
          conditions=("Nasopharyngeal Carcinoma",), interventions=("Capivasertib",),
          status="RECRUITING", study_type="INTERVENTIONAL", phases=("PHASE2",), countries=()) -> dict:
    """A study in the API v2 shape of the recorded files."""
    ps = {
        "identificationModule": {"nctId": nct, "briefTitle": f"{title} (synthetic test record)"},
        "statusModule": {"overallStatus": status},
        "descriptionModule": {"briefSummary": summary},
        "conditionsModule": {"conditions": list(conditions)},
        "designModule": {"studyType": study_type, "phases": list(phases)},
        "armsInterventionsModule": {"interventions": [{"name": i} for i in interventions]},
        "eligibilityModule": {"eligibilityCriteria": eligibility},
    }
    if countries:
        ps["contactsLocationsModule"] = {"locations": [{"country": c} for c in countries]}
    return {"protocolSection": ps}


NPC_STUDIES = [
    study("NCT99900003", "Radiotherapy boost for nasopharyngeal carcinoma",
          interventions=("Radiation",), phases=("PHASE3",)),
    study("NCT99900002", "Capivasertib in head and neck cancers",
          summary="An AKT inhibitor for patients with recurrent disease.", phases=("PHASE1",)),
    study("NCT99900001", "Genotype-directed therapy in nasopharyngeal carcinoma",
          eligibility="Inclusion Criteria:\n* tumor harbours AKT1 E17K\nExclusion Criteria:\n* none",
          phases=("PHASE2",)),
    study("NCT99900004", "Closed study", status="COMPLETED"),
    study("NCT99900005", "Registry of treatment outcomes", study_type="OBSERVATIONAL"),
    study("NCT99900006", "Excludes the mutation", interventions=("Chemotherapy",),
          eligibility="Inclusion Criteria:\n* NPC\nExclusion Criteria:\n* AKT1 p.E17K"),
]
BASKET = [study("NCT99900007", "Basket of AKT1-mutant solid tumors",
                summary="Patients with AKT1 p.Glu17Lys solid tumors receive capivasertib.",
                conditions=("Solid Tumor",), phases=("PHASE2",))]


def cfg(server, tmp_path, **kw) -> TrialsConfig:
    base = dict(base_url=server.url_for("/api/v2"), cache_dir=str(tmp_path / "cache"),
                backoff=0.0, retries=2)
    return TrialsConfig(**(base | kw))


def vm(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "varmatch", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def serve_npc(httpserver) -> list:
    """NPC query -> NPC_STUDIES, solid-tumor query -> BASKET; returns the requests seen."""
    seen = []

    def handler(request):
        seen.append(request)
        body = NPC_STUDIES if "nasopharyngeal" in request.args["query.cond"] else BASKET
        return Response(json.dumps({"studies": body, "totalCount": len(body)}),
                        content_type="application/json")

    httpserver.expect_request("/api/v2/studies").respond_with_handler(handler)
    return seen


# -- the NPC + AKT1 E17K run ------------------------------------------------------------------------
def test_npc_akt1_e17k_run_ranks_biomarker_trials_above_drug_class_and_condition_only(
        httpserver, tmp_path):
    seen = serve_npc(httpserver)
    p = vm("run", NPC_VCF, "-t", "NPC", "--out", tmp_path / "out", "--trials",
           "--trials-url", httpserver.url_for("/api/v2"), "--trials-cache", tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    d = json.loads((tmp_path / "out/NPC-017-T.varmatch.json").read_text())
    jsonschema.validate(d, SCHEMA)
    tr = d["trials"]
    assert tr["checked"] is True
    ids = [s["nct_id"] for s in tr["studies"]]
    # biomarker-named first (phase order within), then drug class, then condition only;
    # completed, observational studies are dropped; the exclusion-only one is condition-only + caution
    assert ids == ["NCT99900001", "NCT99900007", "NCT99900002", "NCT99900003", "NCT99900006"]
    kinds = {s["nct_id"]: s["match_kind"] for s in tr["studies"]}
    assert kinds["NCT99900001"] == kinds["NCT99900007"] == "biomarker"
    assert kinds["NCT99900002"] == "pathway or drug class"
    assert kinds["NCT99900003"] == "condition only"
    first = tr["studies"][0]
    assert first["alterations"] == ["AKT1 p.E17K"] and first["matched_terms"] == ["AKT1 E17K"]
    assert first["url"] == "https://clinicaltrials.gov/study/NCT99900001"
    assert tr["studies"][-1]["caution"] == "its exclusion criteria name AKT1 p.E17K"
    # what was asked: open interventional studies, NPC condition, then widened to solid tumors
    assert [r.args["query.cond"] for r in seen] == ['"nasopharyngeal carcinoma"', '"solid tumor"']
    assert all(r.args["filter.overallStatus"] == "RECRUITING,NOT_YET_RECRUITING" for r in seen)
    assert all("AREA[StudyType]INTERVENTIONAL" in r.args["filter.advanced"] for r in seen)
    assert '"AKT1 E17K"' in seen[0].args["query.term"] and "capivasertib" in seen[0].args["query.term"]
    assert seen[0].headers["User-Agent"].startswith("varmatch/")
    # TSV: own file, same order
    rows = list(csv.DictReader((tmp_path / "out/NPC-017-T.varmatch.trials.tsv").open(),
                               delimiter="\t"))
    assert [r["nct_id"] for r in rows] == ids and rows[0]["rank"] == "1"
    assert rows[0]["match_kind"] == "biomarker" and rows[0]["alterations"] == "AKT1 p.E17K"
    # HTML: a section with linked NCT ids in rank order
    html = (tmp_path / "out/NPC-017-T.varmatch.html").read_text()
    assert "<h2>Clinical trials</h2>" in html
    assert html.index(">NCT99900001</a>") < html.index(">NCT99900002</a>") < html.index(">NCT99900003</a>")
    assert 'href="https://clinicaltrials.gov/study/NCT99900001"' in html


def test_network_unreachable_run_exits_0_and_says_trials_not_checked(tmp_path):
    p = vm("run", NPC_VCF, "-t", "NPC", "--out", tmp_path, "--trials",
           "--trials-url", "http://127.0.0.1:9/api/v2", "--trials-cache", tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    assert "trials not checked: cannot reach http://127.0.0.1:9/api/v2" in p.stderr
    assert "Traceback" not in p.stderr
    d = json.loads((tmp_path / "NPC-017-T.varmatch.json").read_text())
    assert d["trials"]["checked"] is False and d["trials"]["studies"] == []
    assert d["trials"]["reason"].startswith("trials not checked: cannot reach")
    assert d["matches"], "the therapy matches are still written"
    html = (tmp_path / "NPC-017-T.varmatch.html").read_text()
    assert "trials not checked: cannot reach" in html and 'This is not a finding of "no trials"' in html
    tsv = (tmp_path / "NPC-017-T.varmatch.trials.tsv").read_text().splitlines()
    assert len(tsv) == 2 and "\tno\ttrials not checked: cannot reach" in tsv[1]


def test_without_trials_option_json_says_not_requested_and_no_request_is_made(httpserver, tmp_path):
    p = vm("run", NPC_VCF, "-t", "NPC", "-o", "-", "--formats", "json")
    assert p.returncode == 0, p.stderr
    tr = json.loads(p.stdout)["trials"]
    assert tr == {"checked": False, "reason": "not requested (run with --trials to search "
                  "ClinicalTrials.gov)", "queries": [], "studies": []}
    assert not httpserver.log


def test_empty_result_is_checked_and_says_none_found(httpserver, tmp_path):
    httpserver.expect_request("/api/v2/studies").respond_with_json({"studies": [], "totalCount": 0})
    p = vm("run", NPC_VCF, "-t", "NPC", "--out", tmp_path, "--trials", "--formats", "json,html",
           "--trials-url", httpserver.url_for("/api/v2"), "--trials-cache", tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    tr = json.loads((tmp_path / "NPC-017-T.varmatch.json").read_text())["trials"]
    assert tr["checked"] is True and tr["studies"] == [] and "0 recruiting" in tr["reason"]
    assert "no recruiting or not-yet-recruiting interventional study matched" in (
        tmp_path / "NPC-017-T.varmatch.html").read_text()
    tsv = (tmp_path / "NPC-017-T.varmatch.trials.tsv").read_text().splitlines()
    assert "\tyes\tClinicalTrials.gov API v2" in tsv[1]


def test_trial_filters_are_sent_as_api_parameters(httpserver, tmp_path):
    seen = serve_npc(httpserver)
    p = vm("run", NPC_VCF, "-t", "NPC", "-o", "-", "--formats", "json", "--trials",
           "--trials-url", httpserver.url_for("/api/v2"), "--trials-cache", tmp_path / "c",
           "--trial-phase", "2", "--trial-phase", "3", "--trial-country", "Hong Kong",
           "--trial-near", "22.3,114.2,200km")
    assert p.returncode == 0, p.stderr
    assert seen[0].args["filter.advanced"] == ("AREA[StudyType]INTERVENTIONAL AND "
                                               "AREA[Phase](PHASE2 OR PHASE3)")
    assert seen[0].args["query.locn"] == "Hong Kong"
    assert seen[0].args["filter.geo"] == "distance(22.3,114.2,200km)"


def test_bad_trial_option_is_a_usage_error():
    p = vm("run", NPC_VCF, "-t", "NPC", "-o", "-", "--trials", "--trial-near", "Hong Kong")
    assert p.returncode == 3 and "--trial-near 'Hong Kong': give LAT,LON,DISTANCE" in p.stderr
    with pytest.raises(Exception, match="choose from 1, 2, 3, 4"):
        config_from_options(None, None, ["7"])


# -- the HTTP client ----------------------------------------------------------------------------------
def test_paging_follows_next_page_token_of_recorded_responses(httpserver, tmp_path):
    page1, page2 = recorded("search_phelan_limit5_20260811.json"), recorded("search_phelan_next_20260811.json")
    token = page1["nextPageToken"]
    httpserver.expect_ordered_request("/api/v2/studies").respond_with_json(page1)
    httpserver.expect_ordered_request("/api/v2/studies", query_string={"pageToken": token, "pageSize": "5"},
                                      ).respond_with_json(page2)
    studies, capped = Client(cfg(httpserver, tmp_path, page_size=5, max_pages=2)).search({})
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in studies][::5] == [
        "NCT02710084", "NCT05187377"]
    assert len(studies) == 10
    assert capped, "page 2 has its own nextPageToken: the cap of 2 pages left results unread"


def test_paging_stops_at_the_last_page(httpserver, tmp_path):
    httpserver.expect_request("/api/v2/studies").respond_with_json(
        recorded("search_phelan_limit50_20260811.json"))
    studies, capped = Client(cfg(httpserver, tmp_path)).search({})
    assert len(studies) == 3 and not capped


def test_429_with_retry_after_then_success(httpserver, tmp_path):
    waits = []
    httpserver.expect_ordered_request("/api/v2/studies").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "3"}))
    page = recorded("search_melanoma_recruiting_limit3_20260811.json")
    page.pop("nextPageToken")  # one page is enough here
    httpserver.expect_ordered_request("/api/v2/studies").respond_with_json(page)
    client = Client(cfg(httpserver, tmp_path), sleep=waits.append)
    studies, _ = client.search({"query.cond": "melanoma"})
    assert waits == [3.0]
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in studies][0] == "NCT06970236"


def test_429_asking_for_a_long_wait_gives_up(httpserver, tmp_path):
    httpserver.expect_request("/api/v2/studies").respond_with_response(
        Response("", status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(TrialsUnavailable, match="HTTP 429 .*rate limited; asked to wait 3600 s"):
        Client(cfg(httpserver, tmp_path), sleep=lambda s: None).search({})


def test_500_is_retried_with_backoff_then_reported(httpserver, tmp_path):
    waits = []
    httpserver.expect_request("/api/v2/studies").respond_with_data("oops", status=500)
    client = Client(cfg(httpserver, tmp_path, backoff=0.5, retries=2), sleep=waits.append)
    with pytest.raises(TrialsUnavailable, match=r"answered HTTP 500 \(after 3 attempts\)"):
        client.search({})
    assert waits == [0.5, 1.0] and len(httpserver.log) == 3


def test_400_is_not_retried(httpserver, tmp_path):
    httpserver.expect_request("/api/v2/studies").respond_with_data("bad filter", status=400)
    with pytest.raises(TrialsUnavailable, match="HTTP 400: bad filter"):
        Client(cfg(httpserver, tmp_path), sleep=lambda s: None).search({})
    assert len(httpserver.log) == 1


def test_timeout_is_reported(httpserver, tmp_path):
    def slow(request):
        time.sleep(1.0)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/api/v2/studies").respond_with_handler(slow)
    with pytest.raises(TrialsUnavailable, match=r"no answer .* within 0.2 s \(after 1 attempt\)"):
        Client(cfg(httpserver, tmp_path, timeout=0.2, retries=0)).search({})


@pytest.mark.parametrize("body", ["{not json", '["a", "list"]', '{"studies": {"x": 1}}'])
def test_malformed_answers_are_reported(httpserver, tmp_path, body):
    httpserver.expect_request("/api/v2/studies").respond_with_data(body, content_type="application/json")
    with pytest.raises(TrialsUnavailable, match="not JSON|not an API v2 study list"):
        Client(cfg(httpserver, tmp_path)).search({})


def test_cached_answer_is_reused_within_ttl_and_refetched_after(httpserver, tmp_path):
    httpserver.expect_request("/api/v2/studies").respond_with_json(
        recorded("search_keytruda_limit3_20260811.json") | {"nextPageToken": None})
    c = cfg(httpserver, tmp_path)
    Client(c).search({"query.intr": "Keytruda"})
    studies, _ = Client(c).search({"query.intr": "Keytruda"})
    assert len(httpserver.log) == 1 and len(studies) == 3
    Client(c).search({"query.intr": "Pembrolizumab"})  # another query is another entry
    assert len(httpserver.log) == 2
    clock = [time.time() + c.ttl + 1]
    cache = Cache(c.cache_dir, c.ttl, clock=lambda: clock[0])
    assert cache.get("never stored") is None
    client = Client(c)
    client.cache = cache
    client.search({"query.intr": "Keytruda"})
    assert len(httpserver.log) == 3, "a stale entry is fetched again"


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after("7", default=1) == 7
    assert retry_after(None, default=1.5) == 1.5
    assert 0 <= retry_after("Wed, 21 Oct 2015 07:28:00 GMT", default=9) == 0


# -- what a study's text names ------------------------------------------------------------------------
def _alt(gene: str, change: str) -> Alteration:
    return Alteration(gene, protein=ProteinChange.parse(change))


def test_toca6_names_pik3ca_gene_only_so_pik3ca_h1047r_is_pathway_level():
    toca6 = recorded("get_nct02576665_20260811.json")
    kind, found, caution = classify(toca6, terms_for(_alt("PIK3CA", "H1047R"), [], {}))
    assert kind is TrialMatchKind.PATHWAY and found == ["PIK3CA"] and not caution
    assert to_trial(toca6, terms_for(_alt("PIK3CA", "H1047R"), [], {})) is None, "TERMINATED"


def test_recorded_closed_and_observational_studies_are_dropped():
    terms = Terms("EGFR p.L858R", ["EGFR L858R"], ["EGFR"])
    for s in recorded("search_nsclc_egfr_l858r_20260811.json")["studies"]:
        assert to_trial(s, terms) is None  # ACTIVE_NOT_RECRUITING, then OBSERVATIONAL
    open_ = recorded("search_melanoma_recruiting_limit3_20260811.json")["studies"][0]
    t = to_trial(open_, Terms("BRAF p.V600E", ["BRAF V600E"], ["BRAF"]))
    assert t is not None and t.nct_id == "NCT06970236" and t.kind is TrialMatchKind.CONDITION


def test_terms_spell_akt1_e17k_three_ways_and_name_the_drug_class():
    t = terms_for(_alt("AKT1", "E17K"), ["capivasertib"], KB_DRUGS)
    assert t.biomarker == ["AKT1 E17K", "AKT1 p.E17K", "AKT1 Glu17Lys"]
    assert {"capivasertib", "Truqap", "AKT inhibitor", "AKT1"} <= set(t.pathway)
    s = study("NCT99900010", "x", summary="AKT1-E17K positive", interventions=("Drug X",))
    assert classify(s, t)[0] is TrialMatchKind.BIOMARKER
    s = study("NCT99900011", "x", summary="AKT1E17Kx is not the mutation", interventions=("Drug X",))
    assert classify(s, t)[0] is TrialMatchKind.CONDITION


def test_condition_terms_from_oncotree():
    assert condition_terms("NPC", "Nasopharyngeal Carcinoma", "HEAD_NECK") == ["nasopharyngeal carcinoma"]
    assert condition_terms("BREAST", "Breast", "TISSUE") == ["breast cancer"]
    assert condition_terms("TISSUE", "Tissue", None) == []


def test_cohort_trials_counts_trials_per_sample(httpserver, tmp_path):
    serve_npc(httpserver)
    sheet = tmp_path / "sheet.tsv"
    sheet.write_text("sample\tvcf\ttumor_type\n"
                     f"NPC-017\t{NPC_VCF}\tNPC\n"
                     f"HNSC-001\t{SAMPLES / 'hnsc_tumor_normal.mutect2.GRCh38.vcf'}\tHNSC\n")
    p = vm("cohort", sheet, "--out", tmp_path / "c", "-j", "1", "--trials",
           "--trials-url", httpserver.url_for("/api/v2"), "--trials-cache", tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    rows = {r["sample"]: r for r in csv.DictReader((tmp_path / "c/cohort.samples.tsv").open(),
                                                   delimiter="\t")}
    assert rows["NPC-017"]["trials"] == "5"
    assert (tmp_path / "c/samples/NPC-017.varmatch.trials.tsv").exists()
    summary = json.loads((tmp_path / "c/cohort.summary.json").read_text())
    assert summary["trials"]["NPC-017"] == "5"
