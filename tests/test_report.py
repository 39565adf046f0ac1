"""The report writers: the HTML a tumor board reads (structure, escaping, pictures, checked in a real
headless Chromium), the JSON schema for every bundled sample, the annotated VCF (``bcftools view``),
the MultiQC custom-content table, and byte-identical output for the same input."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO, SAMPLES

from varmatch.models import (
    Alteration,
    AlterationType,
    Consequence,
    ExcludedCall,
    Oncogenicity,
    ProteinChange,
    SampleResult,
)
from varmatch.pipeline import Options, run_file
from varmatch.writers import get, write_outputs
from varmatch.writers.html import lollipop_plots, protein_lengths, render_html, report_date
from varmatch.writers.multiqc import COLUMNS
from varmatch.writers.vcf_out import INFO_FIELDS

SCHEMA = json.loads((REPO / "varmatch/schemas/result.schema.json").read_text())
NPC_VCF = SAMPLES / "npc_akt1_e17k.vep.GRCh38.vcf"
BREAST_VCF = SAMPLES / "breast_pik3ca_pten.snpeff.GRCh37.vcf"
XSS = "<script>alert(1)</script>"
EPOCH = "1700000000"  # 2023-11-14 UTC
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def tumor_type_for(path: Path) -> str | None:
    """The tumor type each bundled sample was made for (its file-name prefix)."""
    prefix = path.name.split("_")[0].upper()
    return {"NPC": "NPC", "BREAST": "BRCA", "HNSC": "HNSC"}.get(prefix)


ALL_SAMPLES = sorted(p for p in SAMPLES.iterdir()
                     if p.name.endswith((".vcf", ".vcf.gz", ".bcf")))


def run_one(path: Path, tumor: str | None) -> list[SampleResult]:
    return list(run_file(path, Options(tumor_type=tumor)))


def write(fmt: str, results: list[SampleResult]) -> str:
    buf = io.StringIO()
    get(fmt).write(results, buf)
    return buf.getvalue()


def unavailable(reason: str):
    """Skip on a developer machine without the tool; in CI a missing tool is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run this test: bash scripts/install_browser.sh)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def npc() -> SampleResult:
    (res,) = run_one(NPC_VCF, "NPC")
    return res


@pytest.fixture(scope="module")
def breast() -> SampleResult:
    (res,) = run_one(BREAST_VCF, "BRCA")
    return res


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


# --------------------------------------------------------------------------------------------------
class Page(HTMLParser):
    """Just enough of the DOM for assertions: elements with attributes, ids, text, nesting."""

    VOID = {"meta", "br", "col", "img", "input", "link", "hr", "rect", "line", "circle", "path"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], tuple[str, ...]]] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.text_in: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a, tuple(self.stack)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}, tuple(self.stack)))

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)
        for tag in set(self.stack):
            self.text_in.setdefault(tag, []).append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        out = []
        for t, a, _ in self.elements:
            if t == tag and all(v in a.get(k.rstrip("_"), "").split() or a.get(k.rstrip("_")) == v
                                for k, v in attrs.items()):
                out.append(a)
        return out

    def ids(self) -> set[str]:
        return {a["id"] for _, a, _ in self.elements if "id" in a}

    def inside(self, tag: str, parent: str) -> int:
        return sum(1 for t, _, stack in self.elements if t == tag and parent in stack)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


# ---------------------------------------------------------------------------------------- HTML
def test_npc_report_has_header_summary_tables_context_and_plots(npc):
    html = render_html([npc])
    page = Page(html)
    ids = page.ids()
    for section in ("summary-1", "therapies-1", "resistance-1", "alterations-1", "context-1",
                    "about-1", "excluded-1", "glance-1", "alt-glance-1", "lollipop-1-AKT1"):
        assert section in ids, section
    text = page.plain
    # header
    assert "For research use; not a substitute for clinical judgement." in text
    assert "NPC (Nasopharyngeal Carcinoma)" in text and "GRCh38" in text
    assert str(NPC_VCF) in text and "2023-11-14" in text
    assert npc.kb_checksum in text and npc.kb_version in text
    # summary first: the glance table precedes the therapy table
    assert html.index('id="glance-1"') < html.index('id="therapies-1"')
    assert "capivasertib" in text and "AKT1 p.E17K" in text
    # therapy tables grouped by tier, with the why sentence and linked citations
    assert page.all("table", class_="matches")
    assert "Why this tier:" in text and "fulvestrant" in text
    # regulatory status and evidence relation are two facts; nothing is approved in NPC, and the
    # tumor-agnostic basket evidence (NCI-MATCH Y, VM0006) is never shown as approved here
    assert "on-label" not in text.lower()
    assert "approved in another tumor type" in text and "tumor-agnostic evidence" in text
    assert "other tumor type evidence" in text and not page.all("span", class_="reg-here")
    basket = html[html.index('id="option-1-II-VM0006-'):]
    basket = basket[:basket.index("</tbody>")]
    assert "rel-agnostic" in basket and "reg-here" not in basket
    hrefs = [a["href"] for a in page.all("a") if a.get("href", "").startswith("http")]
    assert "https://pubmed.ncbi.nlm.nih.gov/33377972/" in hrefs
    assert "https://clinicaltrials.gov/study/NCT02465060" in hrefs
    assert any(h.startswith("https://dailymed.nlm.nih.gov/") for h in hrefs)
    assert "HR-positive, HER2-negative" in text  # a requirement DNA cannot show
    # alteration table
    assert "p.Glu17Lys" in text and "c.49G>A" in text and "31.1%" in text and "688" in text
    assert "ENST00000649815.2" in text
    # the reason is a sentence: "hotspot residue AKT1 E17 (K observed in N tumors)"
    assert re.search(r"cancerhotspots v2 hotspot residue AKT1 E17 \(K observed in \d+ tumors\)\.", text)
    # excluded calls in a collapsible section
    assert page.inside("table", "details") == 1
    assert "PTEN p.R130*" in text and "FILTER=weak_evidence" in text
    # clinical context for NPC, with its citations linked
    assert "toripalimab" in text and "https://clinicaltrials.gov/study/NCT03581786" in hrefs
    # links out for AKT1 c.49G>A (GRCh38 chr14:104780214 C>T), all in a new tab
    for url in ("https://www.oncokb.org/gene/AKT1/E17K", "https://www.cbioportal.org/ln?q=AKT1:E17K",
                "https://gnomad.broadinstitute.org/variant/14-104780214-C-T?dataset=gnomad_r4",
                "https://www.ncbi.nlm.nih.gov/clinvar/?term=14%5Bchr%5D%20AND%20104780214"
                "%5Bchrpos38%5D"):
        assert url in hrefs, url
    for a in page.all("a"):
        if a.get("href", "").startswith("http"):
            assert a.get("target") == "_blank" and "noopener" in a.get("rel", ""), a
    # pictures: inline SVG lollipop with domains and the hotspot marked; no tier chart
    assert len(page.all("svg", class_="lollipop-svg")) == 1
    assert not page.all("svg", class_="tier-chart-svg")
    assert page.all("g", class_="alteration") and page.all("g", class_="domain")
    assert "PH_Akt (cd01241)" in text
    assert page.all("path", class_="hotspot") or page.all("rect", class_="hotspot")
    assert "E17" in " ".join(page.text_in.get("svg", []))


def test_html_is_self_contained(npc, breast):
    for res in (npc, breast):
        html = render_html([res]).lower()
        assert html.count("<script") == 1 and "<script>" in html  # our inline script only
        assert "<link" not in html and "<img" not in html
        assert "@import" not in html and "url(" not in html and "@font-face" not in html
        assert " src=" not in html and "fetch(" not in html and "xmlhttprequest" not in html
        assert "@media print" in html


def test_breast_summary_shows_tier_i_and_resistance_apart(breast):
    html = render_html([breast])
    page = Page(html)
    glance = html[html.index('id="glance-1"'):html.index("</table>", html.index('id="glance-1"'))]
    assert "Tier I<" in glance and "Tier II<" not in glance
    assert "alpelisib + fulvestrant" in glance
    resistance = html[html.index('id="resistance-1"'):html.index('id="alterations-1"')]
    therapies = html[html.index('id="therapies-1"'):html.index('id="resistance-1"')]
    res_ids = {m.evidence.id for m in breast.matches if m.evidence.direction.value == "resistance"}
    # a resistance match is a block of its own only in the resistance section (the therapy section
    # may name it as a qualifier of an option sharing its drug)
    assert res_ids and all(f"-{i}-" in resistance and f"-{i}-" not in therapies for i in res_ids)
    assert {a["data-gene"] for a in page.all("figure", class_="lollipop")} == {"PIK3CA", "PTEN"}
    assert [t for t in page.all("table") if t.get("data-tier") == "I"]


def with_agreed_fields(monkeypatch, extra):
    """Render through ``result_dict`` plus the fields other stages add (the shared contract):
    ``extra(d)`` edits the JSON form of each result before the template sees it."""
    import varmatch.writers.html as html_writer

    original = html_writer.result_dict

    def patched(r):
        d = original(r)
        extra(d)
        return d

    monkeypatch.setattr(html_writer, "result_dict", patched)


def option_card(html: str, evidence_id: str) -> str:
    start = html.index(f'-{evidence_id}-')
    return html[html.rindex("<tbody", 0, start):html.index("</tbody>", start)]


def test_qualifiers_flag_the_option_they_qualify_and_the_summary(breast, monkeypatch):
    """Alpelisib (VM0002, PIK3CA H1047R) is a top option for BRCA-042 while the same sample
    carries PTEN R233*, linked to alpelisib resistance (VM0010/VM0011): the flag sits on the
    option and in the summary, not three screens lower."""
    d = json.loads(write("json", [breast]))
    alpelisib = next(m for m in d["matches"] if m["evidence_id"] == "VM0002")
    quals = {q["evidence_id"]: q for q in alpelisib["qualifiers"]}
    assert {"VM0010", "VM0011"} <= set(quals)
    assert all(q["direction"] == "resistance" and q["alterations"][0].startswith("PTEN:R233*")
               for q in quals.values())
    inavolisib = next(m for m in d["matches"] if m["evidence_id"] == "VM0003")
    assert not inavolisib["qualifiers"]

    def add(d):  # the inputs stage's fields
        first = next(m for m in d["matches"] if m["evidence_id"] == "VM0002")
        first["requirement_status"] = [
            {"requirement": first["requirements"][0], "status": "not assessed",
             "reason": "DNA cannot show receptor status"}]
        other = next(m for m in d["matches"] if m["evidence_id"] == "VM0003")
        other["requirement_status"] = [
            {"requirement": "HR-positive", "status": "contradicted", "reason": "ESR1 not expressed"}]
        d["alterations"][0]["flags"] = ["below 5% VAF: confirm; possible subclone or artefact"]

    with_agreed_fields(monkeypatch, add)
    html = render_html([breast])
    glance = html[html.index('id="glance-1"'):html.index("</table>", html.index('id="glance-1"'))]
    therapy = quals["VM0010"]["therapy"]
    assert f"\u26a0 resistance: PTEN p.R233* ({therapy})" in glance
    assert "requirement contradicted: HR-positive" in glance
    card = option_card(html, "VM0002")
    assert 'class="match row-group qualified"' in card and "Qualified by evidence in this sample" in card
    assert "VM0010" in card and "VM0011" in card
    cite = quals["VM0010"]["citations"][0]
    assert cite in card and "href=" in card[card.index("Qualified by"):]
    assert "not assessed" in card and "DNA cannot show receptor status" in card
    assert "Qualified by" not in option_card(html, "VM0003")
    page = Page(html)
    assert page.all("li", class_="req-contradicted")
    assert "below 5% VAF: confirm; possible subclone or artefact" in page.plain


def test_trials_render_once_in_their_slot(npc, monkeypatch):
    """The trials stage's partial fills the report's trials slot: one section, linked studies."""
    study = {"nct_id": "NCT02465060", "url": "https://clinicaltrials.gov/study/NCT02465060",
             "title": "NCI-MATCH", "phases": ["PHASE2"], "status": "ACTIVE_NOT_RECRUITING",
             "conditions": ["Solid tumor"], "interventions": ["capivasertib"],
             "alterations": ["AKT1 p.E17K"], "match_kind": "biomarker", "matched_terms": ["E17K"],
             "countries": ["United States"], "caution": None}
    with_agreed_fields(monkeypatch, lambda d: d.update(
        trials={"checked": True, "reason": "ClinicalTrials.gov API v2", "queries": ["q"],
                "studies": [study]}))
    html = render_html([npc])
    page = Page(html)
    assert html.count('id="trials-1"') == 1 and "Clinical trials" in page.plain
    assert 'href="#trials-1"' in html
    assert "https://clinicaltrials.gov/study/NCT02465060" in [a.get("href") for a in page.all("a")]
    monkeypatch.undo()
    plain = render_html([npc])  # not requested: no section, no dead link
    assert 'id="trials-1"' not in plain and 'href="#trials-1"' not in plain


def test_civic_identifiers_link_to_civic(npc, monkeypatch):
    with_agreed_fields(monkeypatch, lambda d: d["matches"][0].update(
        source_url="https://civicdb.org/evidence/1409/summary", merged_evidence_ids=["EID77.2"],
        civic_variant_url="https://civicdb.org/variants/12/summary"))
    hrefs = [a.get("href") for a in Page(render_html([npc])).all("a")]
    assert "https://civicdb.org/evidence/1409/summary" in hrefs
    assert "https://civicdb.org/links/evidence/77" in hrefs
    assert "https://civicdb.org/variants/12/summary" in hrefs


def test_counter_evidence_gets_its_own_section(npc, monkeypatch):
    def add(d):
        row = dict(d["matches"][0], direction="counter-evidence", evidence_id="EID1409")
        d["counter_evidence"] = [row]

    with_agreed_fields(monkeypatch, add)
    html = render_html([npc])
    section = html[html.index('id="counter-evidence-1"'):html.index('id="alterations-1"')]
    assert "EID1409" in section and "1 row<" in section
    assert "https://civicdb.org/links/evidence/1409" in section


def test_script_in_sample_name_and_info_text_renders_as_text(npc):
    hostile = replace(
        npc, sample=XSS, input_path='<img src=x onerror="alert(2)">.vcf',
        excluded=(ExcludedCall("<script>alert(3)</script>", 'INFO text "<b>x</b>" & <i>y</i>'),),
        notes=("<iframe src=javascript:alert(4)>",),
    )
    html = render_html([hostile])
    lowered = html.lower()
    assert lowered.count("<script") == 1 and "<img" not in lowered and "<iframe" not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = Page(html).plain
    assert XSS in text and '<img src=x onerror="alert(2)">.vcf' in text
    assert 'INFO text "<b>x</b>" & <i>y</i>' in text


def test_script_as_vcf_sample_column_renders_as_text(tmp_path):
    vcf = tmp_path / "hostile.vcf"
    vcf.write_text(NPC_VCF.read_text().replace("NPC-017-T", XSS))
    out = tmp_path / "hostile.html"
    p = subprocess.run([sys.executable, "-m", "varmatch", "run", vcf, "-t", "NPC", "-o", out,
                        "--formats", "html"], capture_output=True, text=True, timeout=300,
                       env=os.environ | {"PYTHONPATH": str(REPO)})
    assert p.returncode == 0, p.stderr
    html = out.read_text()
    assert html.lower().count("<script") == 1
    assert Page(html).all("span", class_="sample-name")
    assert f"varmatch report: {XSS}" in Page(html).plain


def test_lollipop_places_every_change_inside_the_plot_without_overlap(breast):
    alts = []
    for change in ("E542K", "E545K", "E545A", "Q546R", "H1047R", "H1047L", "N345K", "C420R", "M1043I"):
        alts.append(Alteration("PIK3CA", protein=ProteinChange.parse(change),
                               consequence=Consequence.MISSENSE,
                               oncogenicity=Oncogenicity.ONCOGENIC, hotspot=True))
    alts.append(Alteration("PTEN", type=AlterationType.DELETION,
                           oncogenicity=Oncogenicity.LIKELY_ONCOGENIC))
    alts.append(Alteration("AKT1", protein=ProteinChange.parse("E600K"),
                           consequence=Consequence.MISSENSE, oncogenicity=Oncogenicity.VUS))
    res = replace(breast, alterations=tuple(alts), matches=())
    plots, not_drawn = lollipop_plots(res)
    assert not_drawn == ["PTEN deletion"]
    by_gene = {p["gene"]: p for p in plots}
    pik = by_gene["PIK3CA"]
    assert pik["length"] == 1068
    heads = pik["heads"]
    assert len(heads) == 9
    for h in heads:
        assert pik["x0"] <= h["x"] <= pik["x1"] and 0 < h["y"] < pik["backbone_y"]
    # no label overlaps a head or label on its row, and no stick runs through a lower label
    def span(h):
        w = 7.2 * len(h["label"])
        return (h["tx"], h["tx"] + w) if h["anchor"] == "start" else (h["tx"] - w, h["tx"])

    def extent(h):
        lo, hi = span(h)
        return min(lo, h["x"] - 7), max(hi, h["x"] + 7)

    for i, a in enumerate(heads):
        for b in heads[i + 1:]:
            if a["y"] == b["y"]:
                (alo, ahi), (blo, bhi) = extent(a), extent(b)
                assert ahi < blo or bhi < alo, (a["label"], b["label"])
            else:
                low, high = (a, b) if a["y"] > b["y"] else (b, a)
                lo, hi = span(low)
                assert not lo < high["x"] < hi, (low["label"], high["label"])
    labels = {h["label"] for h in pik["hotspots"] if h["label"]}
    assert "H1047" in labels and ("E545" in labels or "E542" in labels)
    # a change past the reference length extends the axis and says so
    akt = by_gene["AKT1"]
    assert akt["length"] == 600 and "beyond" in akt["length_note"]
    html = render_html([res])
    assert html.count('class="alteration"') == 10


def test_protein_lengths_come_from_the_bundled_transcripts():
    lengths = protein_lengths()
    expected = {"PIK3CA": 1068, "AKT1": 480, "PTEN": 403, "MTOR": 2549, "TSC1": 1164,
                "TSC2": 1807, "STK11": 433, "PIK3R1": 724, "AKT2": 481, "AKT3": 479}
    assert {g: lengths[g] for g in expected} == expected


def test_report_date_honours_source_date_epoch(monkeypatch):
    assert report_date() == "2023-11-14"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert len(report_date()) == 10 and report_date().startswith("20")


def test_multi_sample_html_is_one_document(npc, breast):
    page = Page(render_html([npc, breast]))
    assert {"summary-1", "summary-2"} <= page.ids()
    assert len(page.all("article", class_="sample")) == 2
    assert len(page.all("html")) == 1


# ---------------------------------------------------------------------------------------- JSON
@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_json_of_every_bundled_sample_validates_against_the_schema(path):
    results = run_one(path, tumor_type_for(path))
    assert results
    for res in results:
        data = json.loads(write("json", [res]))
        jsonschema.validate(data, SCHEMA)
        assert data["sample"] == res.sample


# ---------------------------------------------------------------------------------------- VCF
def bcftools(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("bcftools")
    if exe is None:
        unavailable("bcftools is not installed (scripts/test.sh installs it)")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.name)
def test_annotated_vcf_passes_bcftools_view(path, tmp_path):
    results = run_one(path, tumor_type_for(path))
    out = tmp_path / "annotated.vcf"
    out.write_text(write("vcf", results))
    view = bcftools("view", str(out))
    assert view.returncode == 0, view.stderr
    assert "[E::" not in view.stderr and "[W::" not in view.stderr, view.stderr
    header = [ln for ln in view.stdout.splitlines() if ln.startswith("##")]
    for rid, *_ in INFO_FIELDS:
        assert any(ln.startswith(f"##INFO=<ID={rid},") for ln in header), rid
    assert "##varmatch_version=" in view.stdout and "##varmatch_kb=" in view.stdout
    n_in = bcftools("view", "-H", str(path))
    assert n_in.returncode == 0, n_in.stderr
    body = [ln for ln in view.stdout.splitlines() if not ln.startswith("#")]
    assert len(body) == len(n_in.stdout.splitlines())  # every input record kept
    annotated = [ln for ln in body if "VM_GENE=" in ln]
    with_coords = {(a.variant.chrom, a.variant.pos) for r in results for a in r.alterations
                   if a.variant}
    assert len(annotated) == len(with_coords)


def test_annotated_vcf_carries_gene_hgvsp_oncogenicity_tier_and_drugs(npc, tmp_path):
    out = tmp_path / "npc.vcf"
    out.write_text(write("vcf", [npc]))
    q = bcftools("query", "-i", 'INFO/VM_GENE="AKT1"', "-f",
                 "%CHROM:%POS\t%VM_HGVSP\t%VM_ONCOGENICITY\t%VM_TIER\t%VM_DRUGS\n", str(out))
    assert q.returncode == 0, q.stderr
    chrom_pos, hgvsp, onc, tier, drugs = q.stdout.strip().split("\t")
    assert (chrom_pos, hgvsp, onc, tier) == ("chr14:104780214", "p.E17K", "oncogenic", "II")
    assert drugs.split("|")[0] == "capivasertib" and "ipatasertib" in drugs.split("|")
    assert "capivasertib+fulvestrant" in drugs.split("|")
    # the filtered PTEN record is kept as it was, without varmatch fields
    q = bcftools("query", "-i", "POS=87933147", "-f", "%FILTER\t%VM_GENE\n", str(out))
    assert q.stdout.strip() == "weak_evidence\t."


def test_non_vcf_input_gives_a_minimal_valid_vcf(npc, tmp_path):
    no_coords = Alteration("PTEN", type=AlterationType.DELETION,
                           oncogenicity=Oncogenicity.LIKELY_ONCOGENIC)
    res = replace(npc, input_path=str(tmp_path / "alterations.tsv"),
                  alterations=(*npc.alterations, no_coords))
    out = tmp_path / "minimal.vcf"
    out.write_text(write("vcf", [res]))
    view = bcftools("view", str(out))
    assert view.returncode == 0 and "[W::" not in view.stderr, view.stderr
    body = [ln.split("\t") for ln in view.stdout.splitlines() if not ln.startswith("#")]
    assert len(body) == 1 and body[0][:5] == ["chr14", "104780214", ".", "C", "T"]
    assert "VM_GENE=AKT1" in body[0][7] and "VM_VAF=0.311" in body[0][7]
    assert "PTEN_deletion" in view.stdout  # named in a ##varmatch_note as not written


# ---------------------------------------------------------------------------------------- MultiQC
def test_multiqc_custom_content_parses(npc, breast, tmp_path):
    paths = write_outputs([npc, breast], tmp_path, ["multiqc"])
    assert [p.name for p in paths] == ["NPC-017-T.varmatch.summary_mqc.tsv",
                                       "BRCA-042.varmatch.summary_mqc.tsv"]
    rows = {}
    for path in paths:
        assert path.name.endswith("_mqc.tsv")  # found by MultiQC without configuration
        lines = path.read_text().splitlines()
        conf = yaml.safe_load("\n".join(ln[2:] for ln in lines if ln.startswith("# ")))
        assert conf["id"] == "varmatch_summary" and conf["plot_type"] == "table"
        assert conf["format"] == "tsv" and "research use" in conf["description"]
        assert set(conf["headers"]) == set(COLUMNS[1:])
        table = list(csv.DictReader([ln for ln in lines if not ln.startswith("#")],
                                    delimiter="\t"))
        assert list(table[0]) == COLUMNS and len(table) == 1
        rows[table[0]["Sample"]] = table[0]
    assert rows["NPC-017-T"]["best_tier"] == "II" and rows["NPC-017-T"]["alterations"] == "1"
    assert rows["NPC-017-T"]["top_therapy"].startswith("capivasertib (Tier II")
    n_res = sum(1 for m in breast.matches if m.evidence.direction.value == "resistance")
    assert n_res >= 2  # curated rows plus the imported CIViC layer
    assert rows["BRCA-042"]["best_tier"] == "I" and rows["BRCA-042"]["resistance_matches"] == str(n_res)


# ---------------------------------------------------------------------------------------- determinism
def test_outputs_are_byte_identical_across_runs(tmp_path):
    formats = "html,json,tsv,vcf,multiqc"
    env = os.environ | {"SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(REPO)}
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        for path in (NPC_VCF, BREAST_VCF):
            p = subprocess.run([sys.executable, "-m", "varmatch", "run", path,
                                "-t", tumor_type_for(path), "--out", out, "--formats", formats],
                               capture_output=True, text=True, timeout=300, env=env)
            assert p.returncode == 0, p.stderr
        runs.append({f.name: f.read_bytes() for f in sorted(out.iterdir())})
    assert len(runs[0]) == 10 and runs[0].keys() == runs[1].keys()
    for name in runs[0]:
        assert runs[0][name] == runs[1][name], f"{name} differs between two runs"
    assert b"2023-11-14" in runs[0]["NPC-017-T.varmatch.html"]


# ---------------------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("playwright is not installed: bash scripts/install_browser.sh")
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(exe).exists():
        unavailable("Debian chromium is not installed: bash scripts/install_browser.sh")
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, timeout=60_000)
        except Error as exc:
            unavailable(f"chromium at {exe} did not start: {exc}")
        yield b
        b.close()


def test_npc_report_renders_in_headless_chromium(browser, npc, tmp_path, capsys):
    report = tmp_path / "NPC-017-T.varmatch.html"
    report.write_text(render_html([npc]), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    assert page.title() == "varmatch report: NPC-017-T"
    # tables are laid out with rows
    assert page.locator("table.glance tbody tr").count() >= 1
    assert page.locator("table.matches").count() >= 1
    assert page.locator("table.alterations-table tbody tr").count() == 1
    assert page.locator("table.alterations-table").is_visible()
    # the collapsed excluded-calls table opens on click
    assert not page.locator("table.excluded-table").is_visible()
    page.locator("details.excluded > summary").click()
    assert page.locator("table.excluded-table").is_visible()
    # the SVG pictures are drawn with a real size
    box = page.locator("svg.lollipop-svg").first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100, box
    head = page.locator("svg.lollipop-svg g.alteration circle").first.bounding_box()
    assert head and head["width"] > 5
    assert page.locator("svg.lollipop-svg .hotspot").count() >= 1
    assert page.locator("svg.lollipop-svg g.domain").count() == 2  # AKT1: PH and kinase
    # nothing but the file itself was loaded (offline, no external assets)
    assert requests == [report.as_uri()]
    shot = tmp_path / "npc_report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # print layout: navigation hidden, and it prints to PDF
    page.emulate_media(media="print")
    assert not page.locator("nav.toc").is_visible()
    pdf = tmp_path / "npc_report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    page.close()
    with capsys.disabled():
        print(f"\nscreenshot: {shot}\nprinted PDF: {pdf}")


def test_script_sample_name_does_not_run_in_chromium(browser, npc, tmp_path):
    report = tmp_path / "hostile.html"
    report.write_text(render_html([replace(npc, sample=XSS)]), encoding="utf-8")
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(report.as_uri())
    page.wait_for_timeout(200)
    assert page.locator("h1 .sample-name").inner_text() == XSS
    assert page.locator("script").count() == 1 and dialogs == []
    page.close()


def test_element_ids_are_unique_in_a_multi_sample_report(npc, breast):
    page = Page(render_html([npc, breast, npc]))
    ids = [a["id"] for _, a, _ in page.elements if "id" in a]
    assert len(ids) == len(set(ids))


SCREENSHOTS = Path(os.environ.get("VARMATCH_SCREENSHOTS", "/tmp/varmatch-screenshots"))


def open_report(browser, html: str, path: Path, width: int, js: bool = True):
    """A page showing ``html`` (written to ``path``), with its console errors collected."""
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=js)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    return page, errors


def visible_rows(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.offsetParent !== null).map(e => e.innerText)")


def test_therapy_and_alteration_tables_sort_and_filter_in_chromium(browser, breast, tmp_path):
    page, errors = open_report(browser, render_html([breast]), tmp_path / "breast.html", 1366)
    options = "#therapies-1 tbody.match"
    n = page.locator(options).count()
    assert n == len([m for m in breast.matches if m.evidence.direction.value == "sensitivity"])
    assert page.locator("#therapies-1 .f-count").inner_text() == f"{n} of {n} shown"
    # filter by drug: only options containing alpelisib stay visible
    page.select_option("#therapies-1 .f-drug", "alpelisib")
    shown = visible_rows(page, f"{options} td.therapy")
    assert shown and all("alpelisib" in t for t in shown)
    page.select_option("#therapies-1 .f-drug", "")
    # filter by tier: only Tier I, and the Tier II heading disappears
    page.select_option("#therapies-1 .f-tier", "I")
    assert len(visible_rows(page, options)) == sum(
        1 for m in breast.matches if m.tier.value == "I" and m.evidence.direction.value == "sensitivity")
    assert not page.locator('#therapies-1 table[data-tier="II"]').is_visible()
    page.select_option("#therapies-1 .f-tier", "")
    # free-text search on the whole option (here the PTEN biomarker)
    page.fill("#therapies-1 .f-text", "p.R233*")
    shown = visible_rows(page, options)
    assert shown and all("PTEN p.R233*" in t for t in shown)
    page.fill("#therapies-1 .f-text", "no such thing")
    assert visible_rows(page, options) == []
    page.fill("#therapies-1 .f-text", "")
    # gene filter on the alteration table
    page.select_option("#alterations-1 .f-gene", "PTEN")
    assert [t.split()[0] for t in visible_rows(page, "#alterations-table-1 tbody tr")] == ["PTEN"]
    page.select_option("#alterations-1 .f-gene", "")
    # sorting: VAF ascending then descending; therapy names within a tier table
    vaf_head = page.locator("#alterations-table-1 th", has_text="VAF")
    vaf_head.locator("button").click()
    assert vaf_head.get_attribute("aria-sort") == "ascending"
    genes = lambda: [t.split()[0] for t in visible_rows(page, "#alterations-table-1 tbody tr")]  # noqa: E731
    assert genes() == ["PIK3CA", "PTEN"]  # VAF 31.0% < 36.2%
    vaf_head.locator("button").click()
    assert genes() == ["PTEN", "PIK3CA"]
    table = page.locator('#therapies-1 table[data-tier="II"]')
    table.locator("th", has_text="Therapy").locator("button").click()
    names = [t.split("\n")[0].strip() for t in visible_rows(page, '#therapies-1 table[data-tier="II"] td.therapy')]
    assert names == sorted(names, key=str.lower) and len(names) > 2
    assert errors == []
    page.context.close()


def test_report_reads_fully_without_javascript(browser, breast, tmp_path):
    page, errors = open_report(browser, render_html([breast]), tmp_path / "nojs.html", 1366, js=False)
    assert not page.locator(".filters").first.is_visible()  # no dead controls
    n = len([m for m in breast.matches if m.evidence.direction.value == "sensitivity"])
    assert len(visible_rows(page, "#therapies-1 tbody.match")) == n
    assert len(visible_rows(page, "#alterations-table-1 tbody tr")) == len(breast.alterations)
    assert errors == []
    page.context.close()


@pytest.mark.parametrize("width", [390, 1024, 1366])
def test_layout_has_no_page_overflow_and_readable_tables(browser, npc, breast, tmp_path, width,
                                                         capsys):
    for res in (npc, breast):
        html = render_html([res])
        path = tmp_path / f"{res.sample}-{width}.html"
        page, errors = open_report(browser, html, path, width)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (res.sample, width, overflow)
        # no cell squeezed to a letter per line: each visible cell is wide enough for its
        # longest word (up to 12 characters, at 5 px a character); therapy options stack at
        # 390 px and the alteration table scrolls inside its box
        narrow = page.eval_on_selector_all(
            "table.matches td, table.alterations-table td, table.glance td",
            "els => els.filter(e => e.offsetParent !== null).map(e => {"
            "  const word = Math.max(0, ...e.innerText.split(/\\s+/).map(w => w.length));"
            "  return [e.innerText.trim().slice(0, 30), e.clientWidth, Math.min(word, 12) * 5]; })"
            "  .filter(([t, w, need]) => w < need)")
        assert narrow == [], (res.sample, width, narrow[:5])
        assert errors == []
        if width in (390, 1366):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOTS / f"{res.sample}-{width}px.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            with capsys.disabled():
                print(f"\nscreenshot {shot} ({shot.stat().st_size} bytes); "
                      f"page {path.stat().st_size} bytes")
        page.context.close()


# ---------------------------------------------------------------------------------------- Excel
def test_xlsx_workbook_has_the_five_sheets_with_the_result(npc, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    hostile = replace(npc, sample="=HYPERLINK(\"http://x\")")
    (path,) = write_outputs([hostile], tmp_path, ["xlsx"])
    assert path.name == "HYPERLINK_http_x.varmatch.xlsx"  # safe_name of the sample
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["options", "alterations", "excluded", "trials", "notes"]
    rows = {ws.title: [[c.value for c in r] for r in ws.iter_rows()] for ws in wb}
    head = rows["options"][0]
    opts = [dict(zip(head, r)) for r in rows["options"][1:]]
    assert len(opts) == len(npc.matches)
    capi = [o for o in opts if o["evidence_id"] == "VM0001"][0]
    assert capi["alterations"] == "AKT1 p.E17K" and capi["tier"] == "II"
    assert capi["regulatory_status"] == "approved in another tumor type"
    assert capi["evidence_relation"] == "other tumor type"
    alt = dict(zip(rows["alterations"][0], rows["alterations"][1]))
    assert (alt["hgvs_p"], alt["hgvs_c"], alt["pos"], alt["build"]) == (
        "p.E17K", "c.49G>A", 104780214, "GRCh38")
    assert abs(alt["vaf"] - 0.311) < 1e-3
    excluded = [dict(zip(rows["excluded"][0], r)) for r in rows["excluded"][1:]]
    assert any("FILTER=weak_evidence" in e["reason"] for e in excluded)
    notes = {r[1]: r[2] for r in rows["notes"][1:]}
    assert notes["disclaimer"] == "For research use; not a substitute for clinical judgement."
    assert notes["knowledgebase checksum"] == npc.kb_checksum and notes["JSON schema"] == "2.0"
    assert notes["trials"].startswith("not requested")
    # a sample name that looks like a formula stays text
    cell = wb["options"]["A2"]
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"


def test_xlsx_to_stdout_and_a_clear_error_without_openpyxl(monkeypatch):
    p = subprocess.run([sys.executable, "-m", "varmatch", "run", NPC_VCF, "-t", "NPC", "-o", "-",
                        "--formats", "xlsx"], capture_output=True, timeout=300,
                       env=os.environ | {"PYTHONPATH": str(REPO)})
    assert p.returncode == 0 and p.stdout[:2] == b"PK", p.stderr  # a zip container
    import importlib.util

    from varmatch.errors import UsageError
    from varmatch.writers import parse_formats

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "openpyxl" else real(name, *a))
    with pytest.raises(UsageError, match=r"pip install 'varmatch\[xlsx\]'"):
        parse_formats("json,xlsx")


def test_compiled_template_cache_is_used_and_never_breaks_the_report(npc, tmp_path, monkeypatch):
    from varmatch.writers import html

    monkeypatch.setenv("VARMATCH_CACHE_DIR", str(tmp_path / "cache"))
    html._environment.cache_clear()  # a new process: the environment reads the cache afresh
    first = render_html([npc])
    entries = list((tmp_path / "cache" / "jinja").glob("*.bc"))
    assert entries, "the compiled report template is kept for the next run"
    assert render_html([npc]) == first  # from the cache: the same page
    for e in entries:  # a damaged entry is compiled afresh, not trusted
        e.write_bytes(e.read_bytes()[:40])
    html._environment.cache_clear()
    assert render_html([npc]) == first
    # a cache that cannot be written (here: a file where the folder should be) is skipped
    shutil.rmtree(tmp_path / "cache")
    (tmp_path / "cache").write_text("not a folder")
    html._environment.cache_clear()
    assert render_html([npc]) == first
    html._environment.cache_clear()  # later tests: the user's cache again


def test_tsv_rows_write_what_the_csv_module_writes():
    """The fast row writer of the TSV outputs and cohort tables gives the csv module's bytes,
    including the quoting of cells with a double quote, CR or LF."""
    import csv
    import io

    from varmatch.writers import tsv_rows

    rows = [["AKT1", "p.E17K", "", "capivasertib + fulvestrant"],
            ["PTEN", 'the row "X" says', "Tier I", "é ü ∆"],
            ["a\rb", "c\nd", "", ""], ["", "", "", ""], ['"', "x", "y", "z"]]
    fast, ref = io.StringIO(), io.StringIO()
    writerow = tsv_rows(fast)
    w = csv.writer(ref, delimiter="\t", lineterminator="\n")
    for r in rows:
        writerow(r)
        w.writerow(r)
    assert fast.getvalue() == ref.getvalue()
    assert fast.getvalue().splitlines()[0] == "AKT1\tp.E17K\t\tcapivasertib + fulvestrant"
