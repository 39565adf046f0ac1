"""HTML report: one self-contained page a molecular tumor board can read, explore, and print.

The page is rendered from ``templates/report.html.j2`` with Jinja2 (autoescape on: every string
from the input - sample names, INFO text, file names - is escaped). The template data start from
:func:`varmatch.writers.json_writer.result_dict`, so the report shows exactly the fields of the
JSON output (and the optional fields other stages add: ``qualifiers``, ``requirement_status``,
``flags``, ``trials``, rendered when present); this module adds only presentation: grouping by
tier, the at-a-glance summary, links out to public resources, and the geometry of the inline-SVG
lollipop plots (protein domains from ``varmatch/data/domains.tsv``, cancerhotspots residues and
the patient's changes). One small inline script (``templates/explore.js``) makes the tables
sortable and filterable; without it the page reads fully. No external asset, no web font. The
date is the run's (UTC), or ``SOURCE_DATE_EPOCH`` when set, so two runs with the same input and
that variable give byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from varmatch import RESEARCH_USE, __version__
from varmatch.models import Alteration, AlterationType, Citation, SampleResult
from varmatch.writers import register
from varmatch.writers.json_writer import alteration_id, result_dict

log = logging.getLogger(__name__)

TEMPLATE = "report.html.j2"
TIERS = ("I", "II", "III", "IV")

# Protein lengths (amino acids, stop codon excluded) used when varmatch/data/transcripts.tsv has no
# model for a gene. Source: UniProtKB/Swiss-Prot canonical isoform lengths (PIK3CA P42336,
# AKT1 P31749, PTEN P60484, MTOR P42345, TSC1 Q92574, TSC2 P49815, STK11 Q15831, PIK3R1 P27986,
# AKT2 P31751, AKT3 Q9Y243, PIK3CB P42338, RICTOR Q6R327, RPTOR Q8N122, INPP4B O15327,
# PDPK1 O15530, RHEB Q15382, KRAS P01116, ERBB2 P04626, BRAF P15056, EGFR P00533).
PROTEIN_LENGTHS_FALLBACK: dict[str, int] = {
    "PIK3CA": 1068, "AKT1": 480, "PTEN": 403, "MTOR": 2549, "TSC1": 1164, "TSC2": 1807,
    "STK11": 433, "PIK3R1": 724, "AKT2": 481, "AKT3": 479, "PIK3CB": 1070, "RICTOR": 1708,
    "RPTOR": 1335, "INPP4B": 924, "PDPK1": 556, "RHEB": 184, "KRAS": 189, "ERBB2": 1255,
    "BRAF": 766, "EGFR": 1210,
}

ONCOGENICITY_COLORS = {
    "oncogenic": "#b2182b", "likely oncogenic": "#e0712c", "VUS": "#5a7fa8",
    "likely benign": "#8c8c8c", None: "#8c8c8c",
}
# The one tier palette of varmatch's pages (the cohort page imports it).
TIER_COLORS = {"I": "#14532d", "II": "#1d6fa3", "III": "#b7791f", "IV": "#6b6b6b"}
DOMAIN_COLORS = ("#8fb9d8", "#b5d69c", "#e8c47c", "#c9a7d9", "#9fd3c7", "#e5a5a5", "#c8c8a0")
MAX_SUMMARY_ROWS = 6

# Lollipop plot geometry (SVG user units; the SVG scales to the page width).
LP_WIDTH, LP_LEFT, LP_RIGHT = 860, 40, 40
LP_TOP, LP_BACKBONE_H, LP_STICK, LP_LEVEL_STEP, LP_MAX_LEVELS = 40, 14, 38, 22, 6


# --------------------------------------------------------------------------------------------------
def report_date() -> str:
    """ISO date of the report: ``SOURCE_DATE_EPOCH`` (UTC) when set and valid, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date().isoformat()
        except (ValueError, OverflowError, OSError):
            log.warning("SOURCE_DATE_EPOCH=%r is not a Unix time; using today's date", epoch)
    return dt.datetime.now(tz=dt.timezone.utc).date().isoformat()


@lru_cache(maxsize=1)
def protein_lengths() -> dict[str, int]:
    """Gene -> protein length in amino acids: the bundled transcript models (CDS length / 3 - 1,
    the stop codon excluded), completed by :data:`PROTEIN_LENGTHS_FALLBACK`."""
    lengths = dict(PROTEIN_LENGTHS_FALLBACK)
    try:
        text = resources.files("varmatch.data").joinpath("transcripts.tsv").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return lengths
    rows = [ln.split("\t") for ln in text.splitlines() if ln and not ln.startswith("#")]
    if not rows:
        return lengths
    header = rows[0]
    if "gene" not in header or "cds_len" not in header:
        return lengths
    gi, ci = header.index("gene"), header.index("cds_len")
    for row in rows[1:]:
        try:
            cds = int(row[ci])
        except (IndexError, ValueError):
            continue
        if cds >= 6 and cds % 3 == 0:
            lengths[row[gi]] = cds // 3 - 1
    return lengths


@lru_cache(maxsize=1)
def protein_domains() -> dict[str, list[dict[str, Any]]]:
    """Gene -> domains ``{start, end, name, accession, description}`` from the bundled
    ``varmatch/data/domains.tsv`` (see ``scripts/build_domains.py`` for its source)."""
    try:
        text = resources.files("varmatch.data").joinpath("domains.tsv").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    rows = [ln.split("\t") for ln in text.splitlines() if ln and not ln.startswith("#")]
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in (dict(zip(rows[0], r)) for r in rows[1:]):
        out.setdefault(rec["gene"], []).append({
            "start": int(rec["start"]), "end": int(rec["end"]), "name": rec["name"],
            "accession": rec["accession"], "description": rec["description"]})
    return out


def _hotspot_records(gene: str) -> list[Any]:
    """cancerhotspots single-residue and in-frame-indel hotspots of ``gene`` (3D residues left out:
    they would crowd the axis and are not what the oncogenicity flag calls a hotspot)."""
    try:
        from varmatch.annotate.oncogenicity import INDEL, SINGLE, load_hotspots
    except ImportError:  # pragma: no cover - the annotator is part of the package
        return []
    table = load_hotspots()
    return [rec for rec in table.records if rec.gene == gene and rec.type in (SINGLE, INDEL)]


# --------------------------------------------------------------------------------------------------
# Small formatting helpers, also used as Jinja filters.
def fmt_num(x: float) -> str:
    """A coordinate for SVG: one decimal, no trailing ``.0``."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def fmt_vaf(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.1f}%"


def human(text: object) -> str:
    """``regulatory_label`` -> ``regulatory label``."""
    return "" if text is None else str(text).replace("_", " ")


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered; anything else is shown as text."""
    if url and re.match(r"^https?://", url, re.IGNORECASE):
        return url
    return None


_CIVIC_EID = re.compile(r"^(?:CIViC:)?EID(\d+)(?:\.\d+)?$", re.IGNORECASE)
_CIVIC_VID = re.compile(r"^(?:CIViC:)?VID(\d+)$", re.IGNORECASE)


def citation_view(cid: str) -> dict[str, str | None]:
    c = Citation(cid.strip())
    eid = _CIVIC_EID.match(c.id)
    if eid:
        return {"id": c.id, "label": f"CIViC EID{eid[1]}", "url": civic_url("evidence", eid[1])}
    label = "FDA label" if c.scheme == "FDA" else ("EMA label" if c.scheme == "EMA" else c.id)
    return {"id": c.id, "label": label, "url": safe_url(c.url)}


def civic_url(kind: str, number: str) -> str:
    """CIViC's documented short links (``/links/<entity>/<id>`` redirects to the page)."""
    return f"https://civicdb.org/links/{kind}/{number}"


def link(label: str, url: str) -> dict[str, str]:
    return {"label": label, "url": url}


def alteration_links(a: dict[str, Any], build: str | None) -> list[dict[str, str]]:
    """Links out for one alteration (JSON form): OncoKB, cBioPortal, and for a variant with
    coordinates on a known build, ClinVar (by position) and gnomAD (by chrom-pos-ref-alt)."""
    gene = quote(a["gene"])
    change = (a.get("hgvs_p") or "")[2:]
    out = []
    if a["type"] == "mutation" and change:
        out.append(link("OncoKB", f"https://www.oncokb.org/gene/{gene}/{quote(change)}"))
        out.append(link("cBioPortal", f"https://www.cbioportal.org/ln?q={gene}:{quote(change)}"))
    else:
        out.append(link("OncoKB", f"https://www.oncokb.org/gene/{gene}"))
        kind = {"amplification": "AMP", "deletion": "HOMDEL", "fusion": "FUSION"}.get(a["type"], "MUT")
        out.append(link("cBioPortal", f"https://www.cbioportal.org/ln?q={gene}:{kind}"))
    v = a.get("variant")
    vbuild = (v or {}).get("build") or build
    if v and vbuild in ("GRCh37", "GRCh38") and re.fullmatch(r"[ACGTN]+", v["ref"] or "") \
            and re.fullmatch(r"[ACGTN]+", v["alt"] or ""):
        chrom = str(v["chrom"]).removeprefix("chr")
        suffix = "38" if vbuild == "GRCh38" else "37"
        out.append(link("ClinVar", "https://www.ncbi.nlm.nih.gov/clinvar/?term="
                        + quote(f"{chrom}[chr] AND {v['pos']}[chrpos{suffix}]")))
        dataset = "gnomad_r4" if vbuild == "GRCh38" else "gnomad_r2_1"
        out.append(link("gnomAD", f"https://gnomad.broadinstitute.org/variant/"
                        f"{quote(chrom)}-{v['pos']}-{v['ref']}-{v['alt']}?dataset={dataset}"))
    return out


def match_links(m: dict[str, Any]) -> list[dict[str, str]]:
    """CIViC evidence and variant pages for a match that carries a CIViC identifier or URL."""
    out, seen = [], set()
    items = [(k, v) for k, v in m.items() if "civic" in k.lower() or k == "source_url"]
    items += [("merged_evidence_id", v) for v in m.get("merged_evidence_ids") or []]
    for key, value in items:
        if not isinstance(value, (str, int)):
            continue
        text = str(value)
        url = safe_url(text) if "civicdb.org" in text else None
        if url is None:
            eid, vid = _CIVIC_EID.match(text), _CIVIC_VID.match(text)
            if eid:
                url = civic_url("evidence", eid[1])
            elif vid or (key.lower().endswith("variant_id") and text.isdigit()):
                url = civic_url("variant", (vid or re.match(r"(\d+)", text))[1])  # type: ignore[index]
        if url and url not in seen:
            seen.add(url)
            out.append(link("CIViC variant" if "variant" in key.lower() else "CIViC evidence", url))
    eid = _CIVIC_EID.match(str(m.get("evidence_id", "")))
    if eid and civic_url("evidence", eid[1]) not in seen:
        out.append(link("CIViC evidence", civic_url("evidence", eid[1])))
    return out


_CTX_CITES = re.compile(r"^(?P<text>.*?)\s*\[(?P<cites>[^\[\]]+)\]\s*$", re.DOTALL)
_CTX_LINE = re.compile(r"^(?P<line>[^:.]{2,60}):\s+(?P<rest>.+)$", re.DOTALL)
_CITE_ID = re.compile(r"^(?:PMID:\d+|PMC:?\d+|DOI:\S+|NCT\d{8}|(?:FDA|EMA):https?://\S+)$")


def context_view(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Split each clinical-context line into its line-of-therapy label, text and citations."""
    out = []
    for raw in lines:
        text, cites = raw, []
        m = _CTX_CITES.match(raw)
        if m:
            ids = [c.strip() for c in m["cites"].split(",")]
            if ids and all(_CITE_ID.match(c) for c in ids):
                text, cites = m["text"], [citation_view(c) for c in ids]
        label = ""
        lm = _CTX_LINE.match(text)
        if lm:
            label, text = lm["line"], lm["rest"]
        out.append({"label": label, "text": text, "citations": cites})
    return out


# --------------------------------------------------------------------------------------------------
def _match_view(m: dict[str, Any], alt_names: dict[str, str]) -> dict[str, Any]:
    names = [alt_names.get(a, a) for a in m["alterations"]]
    qualifiers = [q | {"alteration_names": [alt_names.get(a, a) for a in q.get("alterations", [])],
                       "citation_links": [citation_view(c["id"] if isinstance(c, dict) else c)
                                          for c in q.get("citations", [])]}
                  for q in m.get("qualifiers") or []]
    return m | {
        "alteration_names": names,
        "genes": sorted({n.split(" ")[0].split("::")[0] for n in names}),
        "citation_links": [citation_view(c["id"]) for c in m["citations"]],
        "links": match_links(m),
        "qualifier_views": qualifiers,
        "contradicted": [r for r in m.get("requirement_status") or []
                         if r.get("status") == "contradicted"],
    }


def qualifier_flag(q: dict[str, Any]) -> str:
    """One line for the summary: ``⚠ resistance: PTEN p.R130* (alpelisib)``."""
    alts = "; ".join(q["alteration_names"]) or "another alteration"
    return f"\u26a0 {q.get('direction', 'resistance')}: {alts} ({q.get('therapy', '')})"


def summary_rows(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The highest-tier options: the matches of the best tier and, within it, the best level,
    one row per therapy (the first, i.e. best-ranked, match of each)."""
    if not matches:
        return []
    best_tier = min(TIERS.index(m["tier"]) for m in matches)
    in_tier = [m for m in matches if TIERS.index(m["tier"]) == best_tier]
    best_level = min(m["level"] for m in in_tier)
    rows, seen = [], set()
    for m in in_tier:
        if m["level"] != best_level or m["therapy"] in seen:
            continue
        seen.add(m["therapy"])
        rows.append(m)
    return rows[:MAX_SUMMARY_ROWS]


def group_by_tier(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"tier": t, "matches": [m for m in matches if m["tier"] == t]}
            for t in TIERS if any(m["tier"] == t for m in matches)]


# --------------------------------------------------------------------------------------------------
def _ticks(length: int) -> list[int]:
    step = next((s for s in (25, 50, 100, 200, 250, 500, 1000) if length / s <= 8), 1000)
    ticks = [1, *range(step, length, step)]
    if length - ticks[-1] < step * 0.4 and len(ticks) > 1:
        ticks.pop()
    return [*ticks, length]


def lollipop_plots(r: SampleResult) -> tuple[list[dict[str, Any]], list[str]]:
    """One plot per gene with positioned protein changes, and the alterations not drawn."""
    by_gene: dict[str, list[Alteration]] = {}
    not_drawn: list[str] = []
    for a in r.alterations:
        if a.type is AlterationType.MUTATION and a.protein is not None and a.protein.start > 0:
            by_gene.setdefault(a.gene, []).append(a)
        else:
            not_drawn.append(str(a))
    plots = [_lollipop(gene, alts) for gene, alts in by_gene.items()]
    return plots, not_drawn


Box = tuple[float, int, float, float, float, float]  # x, level, box lo/hi, text lo/hi
LAYOUT_BUDGET = 20_000  # search steps before settling for the fewest overlaps


def _options(hx: float, text_w: float) -> list[Box]:
    """Where a head at ``hx`` may go, preferred first: lowest level, label right of the head."""
    out = []
    for level in range(LP_MAX_LEVELS):
        for right in (True, False):
            if right:
                tlo, thi = hx + 10, hx + 10 + text_w
                lo, hi = hx - 8, thi
            else:
                tlo, thi = hx - 10 - text_w, hx - 10
                lo, hi = tlo, hx + 8
            if hi <= LP_WIDTH - 2 and lo >= 2:
                out.append((hx, level, lo, hi, tlo, thi))
    return out or [(hx, 0, hx - 8, hx + 10 + text_w, hx + 10, hx + 10 + text_w)]


def _clash(a: Box, b: Box) -> bool:
    """Two heads overlap on one row, or the taller one's stick runs through the lower label."""
    if a[1] == b[1]:
        return a[2] < b[3] + 4 and b[2] - 4 < a[3]
    low, high = (a, b) if a[1] < b[1] else (b, a)
    return low[4] - 2 < high[0] < low[5] + 2


def layout_heads(heads: list[tuple[float, float]]) -> list[Box]:
    """Boxes for heads ``(x, label width)`` (sorted by x) with no clash: a depth-first search over
    each head's options in preference order; past :data:`LAYOUT_BUDGET` steps, each head takes its
    option with the fewest clashes."""
    options = [_options(hx, w) for hx, w in heads]
    chosen: list[Box] = []
    steps = 0

    def search(i: int) -> bool:
        nonlocal steps
        if i == len(options):
            return True
        for box in options[i]:
            steps += 1
            if steps > LAYOUT_BUDGET:
                return False
            if not any(_clash(box, other) for other in chosen):
                chosen.append(box)
                if search(i + 1):
                    return True
                chosen.pop()
        return False

    if search(0):
        return chosen
    chosen = []
    for opts in options:
        chosen.append(min(opts, key=lambda b: sum(_clash(b, o) for o in chosen)))
    return chosen


def _lollipop(gene: str, alts: list[Alteration]) -> dict[str, Any]:
    max_pos = max(a.protein.end for a in alts if a.protein)
    known = protein_lengths().get(gene)
    length = max(known or 0, max_pos)
    length_note = "" if known and known >= max_pos else (
        f"protein length unknown to varmatch; axis drawn to residue {length}" if not known
        else f"a change lies beyond the {known}-residue reference protein; axis extended")
    span = LP_WIDTH - LP_LEFT - LP_RIGHT

    def x(pos: float) -> float:
        return LP_LEFT + (pos - 1) / max(length - 1, 1) * span

    recs = [h for h in _hotspot_records(gene) if h.start <= length]
    # Label the most frequent single residues first, skipping any too close to a label.
    labelled: dict[str, float] = {}
    for h in sorted((h for h in recs if h.start == h.end), key=lambda h: (-h.tumor_count, h.start)):
        if len(labelled) == 4:
            break
        if all(abs(x(h.start) - o) > 34 for o in labelled.values()):
            labelled[h.residue] = x(h.start)
    hotspots = []
    for h in sorted(recs, key=lambda h: (h.start, h.end, h.residue)):
        x1, x2 = x(h.start), x(min(h.end, length))
        kind = "indel" if h.start != h.end else "residue"
        hotspots.append({
            "x": x1, "w": max(x2 - x1, 2.0), "kind": kind,
            "label": h.residue if kind == "residue" and h.residue in labelled else "",
            "title": f"{gene} {h.residue}: cancerhotspots v2 {h.type} hotspot, "
                     f"{h.tumor_count} tumors",
        })

    # Place heads bottom-up so that no label overlaps another label or head, and no stick runs
    # through a label: try each level, label right of the head first, then left of it.
    ordered = sorted(alts, key=lambda a: (a.protein.start, str(a.protein)))  # type: ignore[union-attr]
    changes = [a.protein for a in ordered if a.protein is not None]
    labels = [f"p.{p}" for p in changes]
    boxes = layout_heads([(x(p.start), 7.2 * len(lb)) for p, lb in zip(changes, labels)])
    placed = [(a, p, box[0], lb, box[1], box[4] > box[0])
              for a, p, lb, box in zip(ordered, changes, labels, boxes)]
    top_level = max((pl[4] for pl in placed), default=0)
    backbone_y = LP_TOP + 12 + top_level * LP_LEVEL_STEP + LP_STICK
    heads = []
    for a, p, hx, label, level, right in placed:
        onc = a.oncogenicity.value if a.oncogenicity else None
        heads.append({
            "anchor": "start" if right else "end", "tx": hx + 10 if right else hx - 10,
            "x": hx, "y": backbone_y - LP_STICK - level * LP_LEVEL_STEP, "label": label,
            "color": ONCOGENICITY_COLORS.get(onc, ONCOGENICITY_COLORS[None]),
            "hotspot": a.hotspot, "oncogenicity": onc or "not classified",
            "title": f"{a} ({p.three_letter}): {onc or 'oncogenicity not classified'}"
                     + ("; hotspot" if a.hotspot else "")
                     + (f"; VAF {fmt_vaf(a.vaf)}" if a.vaf is not None else ""),
            "id": alteration_id(a),
        })
    domains = []
    for i, dom in enumerate(d for d in protein_domains().get(gene, []) if d["start"] <= length):
        x1, x2 = x(dom["start"]), x(min(dom["end"], length))
        label = dom["name"].replace("_", " ")
        domains.append({
            "x": x1, "w": max(x2 - x1, 2.0), "color": DOMAIN_COLORS[i % len(DOMAIN_COLORS)],
            "label": label if 6.2 * len(label) + 6 < x2 - x1 else "",
            "title": f"{gene} {dom['start']}-{dom['end']}: {dom['name']} ({dom['accession']}): "
                     f"{dom['description']}",
        })
    axis_y = backbone_y + LP_BACKBONE_H + 32
    return {
        "gene": gene, "length": length, "length_note": length_note,
        "width": LP_WIDTH, "height": axis_y + 24, "x0": LP_LEFT, "x1": LP_WIDTH - LP_RIGHT,
        "backbone_y": backbone_y, "backbone_h": LP_BACKBONE_H, "axis_y": axis_y,
        "ticks": [{"x": x(t), "label": str(t)} for t in _ticks(length)],
        "hotspots": hotspots, "heads": heads, "domains": domains,
    }


# --------------------------------------------------------------------------------------------------
def report_data(r: SampleResult) -> dict[str, Any]:
    """Everything the template shows for one sample."""
    d = result_dict(r)
    alt_names = {a["id"]: a["alteration"] for a in d["alterations"]}
    matches = [_match_view(m, alt_names) for m in d["matches"]]
    resistance = [_match_view(m, alt_names) for m in d["resistance"]]
    counter = [_match_view(m, alt_names) for m in d.get("counter_evidence") or []]
    plots, not_drawn = lollipop_plots(r)
    alterations = [a | {"links": alteration_links(a, d["genome_build"]),
                        "options": sorted({m["therapy"] for m in matches
                                           if a["id"] in m["alterations"]}),
                        "resisted": sorted({m["therapy"] for m in resistance
                                            if a["id"] in m["alterations"]})}
                   for a in d["alterations"]]
    return {
        "d": d,
        "alterations": alterations,
        "matches": matches,
        "summary": summary_rows(matches),
        "filters": {
            "genes": sorted({a["gene"] for a in d["alterations"]}),
            "drugs": sorted({x for m in matches + resistance + counter
                             for x in m["drugs"] + m["partners"]}),
            "tiers": [t for t in TIERS if any(m["tier"] == t for m in matches + resistance + counter)
                      or any(a.get("tier") == t for a in d["alterations"])],
        },
        "tiers": group_by_tier(matches),
        "resistance_tiers": group_by_tier(resistance),
        "resistance": resistance,
        "counter_tiers": group_by_tier(counter),
        "context": context_view(r.context),
        "lollipops": plots,
        "not_drawn": not_drawn,
        "n_oncogenic": sum(1 for a in d["alterations"]
                           if a["oncogenicity"] in ("oncogenic", "likely oncogenic")),
    }


class _BytecodeCache(jinja2.BytecodeCache):
    """The compiled report template, kept in the user cache (``VARMATCH_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/varmatch``, else ``~/.cache/varmatch``; folder ``jinja``): compiling it took
    0.15 s of a 0.6 s panel run. Jinja checks the template's checksum and the Python version on
    load; an unreadable, stale or half-written entry is compiled afresh, and a cache that cannot
    be written is skipped: the report never depends on it."""

    def __init__(self, directory: Path):
        self.dir = directory

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with open(self.dir / f"{bucket.key}.bc", "rb") as fh:
                bucket.load_bytecode(fh)
        except Exception:  # noqa: BLE001 - missing or damaged: compile as if there were no cache
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        import tempfile

        tmp = None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                bucket.write_bytecode(fh)
            os.replace(tmp, self.dir / f"{bucket.key}.bc")  # whole or not at all
            tmp = None
        except OSError:
            log.debug("template cache %s not written", self.dir, exc_info=True)
        finally:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


@lru_cache(maxsize=1)  # one per process: a cohort renders the same template for every sample
def _environment() -> jinja2.Environment:
    from varmatch.kb import cache_dir

    env = jinja2.Environment(
        bytecode_cache=_BytecodeCache(cache_dir() / "jinja"),
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=fmt_num, vaf=fmt_vaf, human=human, flag=qualifier_flag)
    env.globals.update(onc_colors=ONCOGENICITY_COLORS, tier_colors=TIER_COLORS)
    return env


def render_html(results: list[SampleResult]) -> str:
    """The report for one or more samples as one HTML document."""
    template = _environment().get_template(TEMPLATE)
    reports = [report_data(r) for r in results]
    if len(results) == 1:
        title = f"varmatch report: {results[0].sample}"
    else:
        title = f"varmatch report: {len(results)} samples"
    script = (Path(__file__).parent / "templates" / "explore.js").read_text("utf-8")
    return template.render(
        title=title, reports=reports, date=report_date(), version=__version__,
        disclaimer=RESEARCH_USE, script=script,
    )


@register("html", "html", "self-contained HTML report (summary, sortable and filterable tables, "
          "links out, lollipop plots with domains)")
def write_html(results: list[SampleResult], fh) -> None:
    fh.write(render_html(results))
