"""The cohort page at 10,000 samples: bounded weight, links, and (in headless chromium) search,
filters and paging with no console error; readable with JavaScript disabled.

The 10,000 records are the real results of the bundled samples (NPC AKT1 E17K, breast PIK3CA/PTEN,
HNSC), each repeated under new sample names with its own tumor type, plus pathway-negative and
failed samples, so the page shows real tiers and drugs at cohort scale."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from test_cohort import _sheet
from test_report import CHROMIUM_ARGS, unavailable

from varmatch.cohort import CohortSummary, SampleRecord, run_cohort, write_summary
from varmatch.pipeline import Options
from varmatch.writers.cohort_html import MAX_DRUGS, TIER_ORDER, ranked_drugs
from varmatch.writers.html import TIER_COLORS

N = 10_000
MAX_BYTES = 4_000_000  # "a few MB" at 10k samples


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[Path, CohortSummary]:
    tmp = tmp_path_factory.mktemp("cohort10k")
    real = run_cohort(_sheet(tmp), tmp / "real", Options(), jobs=1, summary_only=True)
    assert not real.failed and len(real.records) == 4
    s = CohortSummary(tmp / "page", kb_version=real.kb_version, report_suffix="html")
    for i in range(N):
        base = real.records[i % 4]
        if i % 5 == 4:
            s.add(SampleRecord(sample=f"P{i:05d}-NEG", tumor_type="LUAD"))  # no pathway call
        elif i % 997 == 0:
            s.add(SampleRecord(sample=f"P{i:05d}-BAD", tumor_type="NPC",
                               error="x.vcf:3: not a VCF; fix the file"))
        else:
            s.add(replace(base, sample=f"P{i:05d}-{base.sample}"))
    s.out_dir.mkdir()
    write_summary(s)
    return s.out_dir / "cohort.html", s


def test_page_weight_and_content(big):
    page, s = big
    html = page.read_text()
    size = page.stat().st_size
    assert size < MAX_BYTES, f"cohort.html is {size} bytes for {N} samples"
    assert html.count("<tr data-g=") == N  # every sample is in the page (readable without JS)
    assert 'href="samples/P00001-NPC-017-VEP.varmatch.html"' in html
    assert "P00997-BAD" in html and 'href="samples/P00997-BAD' not in html  # failed: no report
    # long CIViC-era drug lists are cut to the strongest few per row; the rest are counted
    breast = next(r for r in s.records if r.sample.endswith("BREAST-001"))
    drugs = ranked_drugs(breast)
    if len(drugs) > MAX_DRUGS:
        assert f"(+{len(drugs) - MAX_DRUGS} more)" in html
    tiers = {d: min(TIER_ORDER[a.tier] for a in breast.actionable if d in a.drugs) for d in drugs}
    assert [tiers[d] for d in drugs] == sorted(tiers[d] for d in drugs)  # strongest tier first
    # one tier palette with the sample report
    for tier, colour in TIER_COLORS.items():
        assert f".t-{tier} {{ background: {colour}" in html
    assert "<script src" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert re.search(r'<svg[^>]*class="oncoprint"', html)
    assert "tumor type" in html and ">NPC</span>" in html  # the tumor-type track legend


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


def _visible_rows(page) -> list[str]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#samples tbody tr'))
        .filter(r => !r.hidden).map(r => r.cells[0].textContent + '|' + r.cells[2].textContent
        + '|' + r.cells[3].textContent + '|' + r.cells[1].textContent)""")


def test_page_loads_filters_and_pages_in_chromium(browser, big, tmp_path, capsys):
    path, s = big
    shots = Path(os.environ.get("VARMATCH_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    assert page.locator("#controls").is_visible()
    rows = _visible_rows(page)
    assert len(rows) == 100 and rows[0].startswith("P00000-BAD")
    assert "of 10000 matching" in page.locator("#f-info").inner_text()
    page.screenshot(path=str(shots / "cohort_1366.png"))
    # next page
    page.click("#f-next")
    assert _visible_rows(page)[0].startswith("P00100-")
    # filter by gene: every row shown carries it, and the count is the cohort's
    page.select_option("#f-gene", "AKT1")
    rows = _visible_rows(page)
    n_akt1 = sum(1 for r in s.records if any(g == "AKT1" for g, _a, _t in r.alterations))
    assert f"of {n_akt1} matching" in page.locator("#f-info").inner_text()
    assert rows and all("AKT1 p.E17K" in r.split("|")[1] for r in rows)
    # and by best tier and tumor type together
    page.select_option("#f-tier", "II")
    page.select_option("#f-tumor", "NPC")
    rows = _visible_rows(page)
    assert rows and all(r.endswith("|II|NPC") for r in rows)
    # free-text search for one sample
    page.select_option("#f-gene", "")
    page.select_option("#f-tier", "")
    page.select_option("#f-tumor", "")
    page.fill("#f-q", "P04321-")
    page.wait_for_function("document.getElementById('f-info').textContent.includes('of 1 matching')")
    assert _visible_rows(page)[0].startswith("P04321-")
    page.fill("#f-q", "no-such-sample")
    page.wait_for_function("document.getElementById('f-info').textContent.includes('no sample')")
    assert _visible_rows(page) == []
    page.fill("#f-q", "")
    # no horizontal scrolling of the page at 1024 or 390 px (wide tables scroll in their box)
    for width in (1024, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
    page.screenshot(path=str(shots / "cohort_390.png"))
    assert not errors, errors
    assert requests == [path.as_uri()]  # nothing else is loaded
    page.close()
    with capsys.disabled():
        print(f"\ncohort page: {path} ({path.stat().st_size} bytes, {N} samples)\nscreenshots: "
              f"{shots / 'cohort_1366.png'} {shots / 'cohort_390.png'}")


def test_page_reads_without_javascript(browser, big):
    path, _s = big
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(path.as_uri())
    assert not page.locator("#controls").is_visible()  # no dead controls
    assert page.locator("#samples tbody tr").count() == N
    assert page.locator("#samples tbody tr").last.is_visible()
    ctx.close()
