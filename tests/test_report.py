"""The report writers: the HTML a tumor board reads (structure, escaping, pictures, checked in a real
headless Chromium), the JSON schema for every bundled sample, the annotated VCF (``bcftools view``),
the MultiQC custom-content table, and byte-identical output for the same input."""

from __future__ import annotations

import csv
import io
import json
import os
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
                    "about-1", "excluded-1", "glance-1", "tier-chart-1", "lollipop-1-AKT1"):
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
    assert "Why this tier:" in text and "off-label" in text and "fulvestrant" in text
    hrefs = [a["href"] for a in page.all("a") if a.get("href", "").startswith("http")]
    assert "https://pubmed.ncbi.nlm.nih.gov/33377972/" in hrefs
    assert "https://clinicaltrials.gov/study/NCT02465060" in hrefs
    assert any(h.startswith("https://dailymed.nlm.nih.gov/") for h in hrefs)
    assert "HR-positive, HER2-negative" in text  # a requirement DNA cannot show
    # alteration table
    assert "p.Glu17Lys" in text and "c.49G>A" in text and "31.1%" in text and "688" in text
    assert "ENST00000649815.2" in text and "cancerhotspots v2 hotspot residue AKT1 E17" in text
    # excluded calls in a collapsible section
    assert page.inside("table", "details") == 1
    assert "PTEN p.R130*" in text and "FILTER=weak_evidence" in text
    # clinical context for NPC, with its citations linked
    assert "toripalimab" in text and "https://clinicaltrials.gov/study/NCT03581786" in hrefs
    # pictures: inline SVG lollipop with the hotspot marked, and the tier chart
    assert len(page.all("svg", class_="lollipop-svg")) == 1
    assert len(page.all("svg", class_="tier-chart-svg")) == 1
    assert page.all("g", class_="alteration")
    assert page.all("path", class_="hotspot") or page.all("rect", class_="hotspot")
    assert "E17" in " ".join(page.text_in.get("svg", []))


def test_html_is_self_contained(npc, breast):
    for res in (npc, breast):
        html = render_html([res]).lower()
        assert "<script" not in html and "<link" not in html and "<img" not in html
        assert "@import" not in html and "url(" not in html and "@font-face" not in html
        assert " src=" not in html
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


def test_script_in_sample_name_and_info_text_renders_as_text(npc):
    hostile = replace(
        npc, sample=XSS, input_path='<img src=x onerror="alert(2)">.vcf',
        excluded=(ExcludedCall("<script>alert(3)</script>", 'INFO text "<b>x</b>" & <i>y</i>'),),
        notes=("<iframe src=javascript:alert(4)>",),
    )
    html = render_html([hostile])
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<iframe" not in lowered
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
    assert "<script" not in html.lower()
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
    for selector in ("svg.lollipop-svg", "svg.tier-chart-svg"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, (selector, box)
    head = page.locator("svg.lollipop-svg g.alteration circle").first.bounding_box()
    assert head and head["width"] > 5
    assert page.locator("svg.lollipop-svg .hotspot").count() >= 1
    assert page.locator("svg.tier-chart-svg rect.bar").count() == 12
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
    assert page.locator("script").count() == 0 and dialogs == []
    page.close()


def test_element_ids_are_unique_in_a_multi_sample_report(npc, breast):
    page = Page(render_html([npc, breast, npc]))
    ids = [a["id"] for _, a, _ in page.elements if "id" in a]
    assert len(ids) == len(set(ids))
