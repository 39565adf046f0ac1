"""The cohort page (``cohort.html``): built for 10,000+ samples.

* one table row per sample (label, tumor type, pathway alterations, best tier, drugs, status) with
  a link to that sample's own report under ``samples/``. Every row is in the HTML, so the page
  reads fully with JavaScript disabled; a small inline script (written here, no external assets)
  adds a search box, filters by gene, tier and tumor type, and paging (100 rows a page);
* an oncoprint-style inline SVG: a tumor-type track above one row per gene, altered samples as
  columns (at most ``MAX_SVG_SAMPLES``; ``cohort.matrix.tsv`` has every sample), each column
  linking to the sample's report;
* gene, drug and best-tier count tables.

Tier colours are the sample report's (:data:`varmatch.writers.html.TIER_COLORS`). Page weight is
about 270–360 bytes per sample plus the plot: 2.7 MB for the 10,000-sample benchmark MAF, 3.6 MB
for the test page (``tests/test_cohort_page.py`` keeps it under 4 MB at 10,000 samples).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from varmatch.writers.html import TIER_COLORS

MAX_SVG_SAMPLES = 2000  # oncoprint columns drawn at most
PAGE_ROWS = 100
MAX_DRUGS = 6  # drugs named per sample row (strongest evidence first); the rest are counted
TIER_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}
TIER_NAMES = {"I": "Tier I (strong clinical significance)",
              "II": "Tier II (potential clinical significance)",
              "III": "Tier III (unknown significance / no bundled therapy evidence)",
              "IV": "Tier IV (benign / no protein change)"}
# Tumor-type track: a colour-blind-friendly qualitative palette (Okabe-Ito plus greys)
TRACK_COLORS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                "#000000", "#999999", "#6b4c9a")
_SPECIAL = re.compile("[&<>\"']").search


def esc(text: str) -> str:
    """``html.escape`` (quotes too), skipping its five replacements for text that needs none:
    most cells of a 10,000-sample page."""
    return html.escape(text) if _SPECIAL(text) else text


def _tier_key(t: str) -> int:
    return TIER_ORDER.get(t, 9)


def tumor_colors(records) -> dict[str, str]:
    """A colour per tumor type, most frequent first; types past the palette share grey."""
    counts: dict[str, int] = {}
    for r in records:
        counts[r.tumor_type or "?"] = counts.get(r.tumor_type or "?", 0) + 1
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    return {t: TRACK_COLORS[i] if i < len(TRACK_COLORS) - 1 else "#cccccc"
            for i, t in enumerate(ranked)}


def oncoprint_svg(s, counts: dict, links: dict[str, str], colors: dict[str, str],
                  max_samples: int = MAX_SVG_SAMPLES) -> tuple[str, int]:
    """Genes as rows (most altered first) under a tumor-type track; altered samples as columns
    in oncoprint order; cells coloured by the best tier. Beyond ``max_samples`` altered samples an
    even sample of that order is drawn. Returns the SVG and the number of altered samples not
    drawn."""
    genes = [g for g, _c in counts["gene"].most_common()]
    if not genes:
        return "", 0
    grid: dict[str, dict[str, tuple[str, list[str]]]] = {}
    tumor = {}
    for r in s.records:
        if not r.alterations:
            continue
        per: dict[str, tuple[str, list[str]]] = {}
        for g, a, t in r.alterations:
            best, labels = per.get(g, ("IV", []))
            per[g] = (t if _tier_key(t) < _tier_key(best) else best, labels + [a])
        grid[r.sample] = per
        tumor[r.sample] = r.tumor_type or "?"
    rank = {g: i for i, g in enumerate(genes)}

    def key(sample: str) -> tuple:
        per = grid[sample]
        return tuple((0, _tier_key(per[g][0])) if g in per else (1, 0) for g in genes) + (sample,)

    order = sorted(grid, key=key)
    hidden = max(0, len(order) - max_samples)
    if hidden:  # an even sample of the oncoprint order keeps every gene's share visible
        step = len(order) / max_samples
        order = [order[int(i * step)] for i in range(max_samples)]
    n = max(s.n_samples, 1)
    label_w, pct_w, top, track_h = 90, 50, 8, 10
    cw = min(14.0, 1100.0 / max(len(order), 1))  # the plot stays about 1,250 px wide
    ch, gap = 18, 3
    labels = len(order) <= 60  # sample labels under the columns when they fit
    width = label_w + pct_w + cw * len(order) + 10
    y0 = top + track_h + gap + 2
    height = y0 + (ch + gap) * len(genes) + (110 if labels else 10)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
             f'viewBox="0 0 {width:.0f} {height}" role="img" class="oncoprint" '
             f'aria-label="Oncoprint of pathway alterations by sample">',
             "<title>Pathway alterations by sample (colour: best AMP/ASCO/CAP tier; top track: "
             "tumor type)</title>",
             f'<text x="{label_w + pct_w - 6}" y="{top + track_h - 1}" text-anchor="end" '
             'font-size="10">tumor type</text>']
    for g in genes:
        y = y0 + rank[g] * (ch + gap)
        pct = 100 * counts["gene"][g] / n
        parts.append(f'<text x="{label_w - 6}" y="{y + ch - 5}" text-anchor="end" '
                     f'font-style="italic">{esc(g)}</text>'
                     f'<text x="{label_w + pct_w - 6}" y="{y + ch - 5}" text-anchor="end">'
                     f"{pct:.1f}%</text>"
                     f'<rect x="{label_w + pct_w}" y="{y}" width="{cw * len(order):.1f}" '
                     f'height="{ch}" fill="#f0f0f0"/>')
    w = cw - (1 if cw > 3 else 0)
    for j, sample in enumerate(order):
        x = label_w + pct_w + j * cw
        tip = esc(f"{sample} ({tumor[sample]}): " + "; ".join(
            f"{'; '.join(lb)} (tier {t})" for _g, (t, lb) in grid[sample].items()))
        cells = [f'<rect x="{x:.2f}" y="{top}" width="{w:.2f}" height="{track_h}" '
                 f'fill="{colors.get(tumor[sample], "#cccccc")}"/>']
        for g, (tier, _labels) in grid[sample].items():
            cells.append(f'<rect x="{x:.2f}" y="{y0 + rank[g] * (ch + gap)}" width="{w:.2f}" '
                         f'height="{ch}" fill="{TIER_COLORS.get(tier, "#999")}"/>')
        if labels:
            ly = y0 + (ch + gap) * len(genes) + 4
            cells.append(f'<text transform="translate({x + cw / 2 + 3:.1f},{ly}) rotate(90)" '
                         f'font-size="10">{esc(sample[:18])}</text>')
        body = f"<title>{tip}</title>" + "".join(cells)
        href = links.get(sample)
        parts.append(f'<a href="{esc(href)}" target="_blank" rel="noopener">{body}</a>' if href
                     else f"<g>{body}</g>")
    parts.append("</svg>")
    return "\n".join(parts), hidden


def _table(header: list[str], rows: Iterable[Iterable], cls: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def ranked_drugs(rec) -> list[str]:
    """A sample's tier I/II drugs, strongest evidence first (tier, then level), then by name."""
    best: dict[str, tuple[int, str]] = {}
    for a in rec.actionable:
        for d in a.drugs:
            key = (_tier_key(a.tier), a.level or "Z")
            if d not in best or key < best[d]:
                best[d] = key
    return sorted(best, key=lambda d: (best[d], d))


def _drugs_cell(rec) -> str:
    drugs = ranked_drugs(rec)
    shown = ", ".join(drugs[:MAX_DRUGS])
    return shown + (f" (+{len(drugs) - MAX_DRUGS} more)" if len(drugs) > MAX_DRUGS else "")


def _sample_rows(s, links: dict[str, str]) -> str:
    out = []
    for r in s.records:
        genes = sorted({g for g, _a, _t in r.alterations})
        tier = r.best_tier or ("failed" if r.error else "none")
        name = esc(r.sample)
        href = links.get(r.sample)
        label = (f'<a href="{esc(href)}" target="_blank" rel="noopener">{name}</a>' if href
                 else name)
        status = "ok" if r.error is None else f"failed: {r.error}"
        out.append(f'<tr data-g="{esc(" ".join(genes))}" data-t="{tier}" '
                   f'data-o="{esc(r.tumor_type or "?")}"><td>{label}</td>'
                   f"<td>{esc(r.tumor_type)}</td>"
                   f"<td>{esc('; '.join(a for _g, a, _t in r.alterations))}</td>"
                   f'<td class="tier t-{tier}">{tier}</td><td>{esc(_drugs_cell(r))}</td>'
                   f"<td>{esc(status)}</td></tr>")
    return "\n".join(out)


def _select(name: str, label: str, values: Iterable[str]) -> str:
    opts = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
    return (f'<label>{label} <select id="f-{name}"><option value="">all</option>{opts}'
            "</select></label>")


SCRIPT = """
(function () {
  var table = document.getElementById('samples');
  if (!table || !table.tBodies.length) return;
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var q = document.getElementById('f-q'), fg = document.getElementById('f-gene'),
      ft = document.getElementById('f-tier'), fo = document.getElementById('f-tumor'),
      info = document.getElementById('f-info'), prev = document.getElementById('f-prev'),
      next = document.getElementById('f-next');
  var text = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var size = PAGE, page = 0, hits = rows;
  function filter() {
    var s = q.value.trim().toLowerCase(), g = fg.value, t = ft.value, o = fo.value;
    hits = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (s && text[i].indexOf(s) < 0) continue;
      if (g && (' ' + r.getAttribute('data-g') + ' ').indexOf(' ' + g + ' ') < 0) continue;
      if (t && r.getAttribute('data-t') !== t) continue;
      if (o && r.getAttribute('data-o') !== o) continue;
      hits.push(r);
    }
    page = 0; show();
  }
  function show() {
    var pages = Math.max(1, Math.ceil(hits.length / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    var lo = page * size, hi = Math.min(hits.length, lo + size);
    for (var i = 0; i < rows.length; i++) rows[i].hidden = true;
    for (var j = lo; j < hi; j++) hits[j].hidden = false;
    info.textContent = hits.length ? ('samples ' + (lo + 1) + '\\u2013' + hi + ' of ' +
      hits.length + ' matching (' + rows.length + ' in the cohort), page ' + (page + 1) +
      ' of ' + pages) : ('no sample matches (' + rows.length + ' in the cohort)');
    prev.disabled = page === 0; next.disabled = page >= pages - 1;
  }
  var t0;
  q.addEventListener('input', function () { clearTimeout(t0); t0 = setTimeout(filter, 150); });
  [fg, ft, fo].forEach(function (el) { el.addEventListener('change', filter); });
  prev.addEventListener('click', function () { page--; show(); });
  next.addEventListener('click', function () { page++; show(); });
  document.getElementById('controls').hidden = false;
  filter();
})();
"""


def render_cohort_html(s, data: dict, counts: dict) -> str:
    """The self-contained cohort page (all text escaped; no external resources)."""
    links = s.links()
    colors = tumor_colors(s.records)
    svg, hidden = oncoprint_svg(s, counts, links, colors)
    legend = "".join(f'<span class="key"><span class="sw" style="background:{c}"></span>'
                     f"{esc(TIER_NAMES[t])}</span>" for t, c in TIER_COLORS.items())
    shown_types = [t for t in colors if colors[t] != "#cccccc"]
    track = "".join(f'<span class="key"><span class="sw" style="background:{colors[t]}"></span>'
                    f"{esc(t)}</span>" for t in shown_types)
    if len(colors) > len(shown_types):
        track += '<span class="key"><span class="sw" style="background:#cccccc"></span>other</span>'
    n = max(s.n_samples, 1)
    genes = _table(["gene", "samples altered", "samples actionable", "% of cohort"],
                   [(g, c, counts["gene_actionable"].get(g, 0), f"{100 * c / n:.1f}")
                    for g, c in counts["gene"].most_common()])
    drugs = _table(["drug", "samples with a tier I/II match"], counts["drug"].most_common())
    tiers = _table(["best tier", "samples"], data["best_tier"].items())
    plot = svg or "<p>No pathway alteration in any sample.</p>"
    if hidden:
        plot += (f"<p>{MAX_SVG_SAMPLES} of {MAX_SVG_SAMPLES + hidden} altered samples are drawn "
                 "(an even sample of the plot order, so each gene keeps its share); the sample "
                 "table below and <code>cohort.matrix.tsv</code> list every sample.</p>")
    tier_values = [t for t in ("I", "II", "III", "IV", "none", "failed") if t in counts["tier"]]
    controls = (
        '<div id="controls" class="controls" hidden>'
        '<label>Search <input id="f-q" type="search" placeholder="sample, alteration, drug"></label>'
        + _select("gene", "Gene", [g for g, _c in counts["gene"].most_common()])
        + _select("tier", "Best tier", tier_values)
        + _select("tumor", "Tumor type", sorted(colors))
        + '<span class="pager"><button id="f-prev" type="button">previous</button>'
        '<button id="f-next" type="button">next</button></span>'
        '<p id="f-info" aria-live="polite"></p></div>')
    tier_css = "".join(f".t-{t} {{ background: {c}; color: #fff; }}\n" for t, c in TIER_COLORS.items())
    failed = len(s.failed)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>varmatch cohort summary</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1em 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; position: sticky; top: 0; }}
.scroll {{ max-width: 100%; overflow-x: auto; }}
svg {{ font-size: 12px; }}
.key {{ margin-right: 1.2em; display: inline-block; max-width: 100%; }}
.sw {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }}
.note {{ background: #fff7e6; border-left: 4px solid #f0a500; padding: 0.5em 1em; }}
.controls label {{ margin-right: 1em; white-space: nowrap; display: inline-block; margin-bottom: .3em; }}
.controls input, .controls select, .controls button {{ font: inherit; }}
td.tier {{ text-align: center; font-weight: 600; }}
{tier_css}#samples td {{ overflow-wrap: anywhere; min-width: 4em; }}
@media (max-width: 600px) {{ body {{ margin: 0.5em; }} }}
</style></head><body>
<h1>varmatch cohort summary</h1>
<p class="note">{esc(str(data["disclaimer"]))}</p>
<p>{s.n_samples} samples; {data["samples_with_pathway_alterations"]} with a PI3K/AKT/mTOR-pathway
alteration; {s.n_actionable} with an actionable (tier I/II) alteration; {failed} failed.
varmatch {esc(str(data["varmatch_version"]))}, knowledgebase {esc(str(s.kb_version))}.</p>
<h2>Pathway alterations by sample</h2>
<p>{legend}</p>
<p>Tumor type: {track}</p>
<div class="scroll">{plot}</div>
<h2 id="sample-table">Samples</h2>
<p>Each sample links to its own report. Drugs: up to {MAX_DRUGS} with the strongest tier I/II
evidence, the others counted; every drug is in the sample's report and in
<code>cohort.actionable.tsv</code>. The same rows are in <code>cohort.samples.tsv</code>.</p>
{controls}
<div class="scroll"><table id="samples"><thead><tr><th>sample</th><th>tumor type</th>
<th>pathway alterations</th><th>best tier</th><th>drugs (tier I/II)</th><th>status</th></tr></thead>
<tbody>
{_sample_rows(s, links)}
</tbody></table></div>
<h2>Genes</h2><div class="scroll">{genes}</div>
<h2>Drugs</h2><div class="scroll">{drugs}</div>
<h2>Best tier per sample</h2>{tiers}
<script>{SCRIPT.replace("PAGE", str(PAGE_ROWS))}</script>
</body></html>
"""
