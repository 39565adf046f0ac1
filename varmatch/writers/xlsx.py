"""Excel writer (format ``xlsx``): one workbook per sample, for people who filter in a spreadsheet.

Sheets: ``options`` (sensitivity, resistance and counter-evidence matches, one row each), ``alterations``,
``excluded`` (calls left out, with the reason), ``trials`` (the trials check, when the run made
one), ``notes`` (research-use statement, versions, knowledgebase checksum, notes and clinical
context). The rows are the JSON form of the result (:func:`~varmatch.writers.json_writer.result_dict`),
so the workbook says what the JSON says. Needs openpyxl (``pip install 'varmatch[xlsx]'``); text
that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``) is stored as text.
"""

from __future__ import annotations

from typing import Any

from varmatch.models import SampleResult
from varmatch.writers import register
from varmatch.writers.json_writer import result_dict

OPTION_COLUMNS = [
    "sample", "direction", "tier", "level", "therapy", "drugs", "partners", "alterations",
    "biomarker", "regulatory_status", "evidence_relation", "evidence_kind", "evidence_level",
    "evidence_tumor_type", "rung", "rule", "requirements", "citations", "why", "summary",
    "qualifiers", "evidence_id", "oncokb_level", "escat_tier",
]
ALTERATION_COLUMNS = [
    "sample", "gene", "type", "alteration", "hgvs_p", "hgvs_c", "consequence", "transcript", "exon",
    "chrom", "pos", "ref", "alt", "build", "vaf", "depth", "alt_depth", "oncogenicity",
    "oncogenicity_reason", "hotspot", "tier", "copy_number", "partner", "flags", "source",
]
EXCLUDED_COLUMNS = ["sample", "call", "reason", "source"]
TRIAL_COLUMNS = ["sample", "nct_id", "title", "phases", "status", "match_kind", "alterations",
                 "matched_terms", "conditions", "interventions", "countries", "caution", "url"]
WIDTHS = {"why": 80, "summary": 60, "oncogenicity_reason": 50, "requirements": 40, "title": 50,
          "reason": 60, "call": 30, "therapy": 28, "alterations": 24, "citations": 30,
          "qualifiers": 40, "note": 100, "biomarker": 30}


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_cell(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)


def _qualifier_text(q: dict[str, Any]) -> str:
    alts = ", ".join(q.get("alterations", []))
    return f"{q.get('direction', '')}: {alts} -> {q.get('therapy', '')} ({q.get('evidence_id', '')})"


def _option_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    names = {a["id"]: a["alteration"] for a in d["alterations"]}
    rows = []
    for m in d["matches"] + d["resistance"] + (d.get("counter_evidence") or []):
        rows.append(m | {
            "sample": d["sample"],
            "alterations": [names.get(a, a) for a in m["alterations"]],
            "citations": [c["id"] for c in m["citations"]],
            "qualifiers": [_qualifier_text(q) for q in m.get("qualifiers") or []],
        })
    return rows


def _alteration_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for a in d["alterations"]:
        v = a.get("variant") or {}
        rows.append(a | {k: v.get(k) for k in ("chrom", "pos", "ref", "alt", "build", "vaf",
                                                  "depth", "alt_depth", "source")}
                    | {"sample": d["sample"], "build": v.get("build") or d["genome_build"]})
    return rows


def _trial_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    trials = d.get("trials")
    if not trials:
        return []
    return [t | {"sample": d["sample"]} for t in trials.get("studies", [])]


def _notes(d: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("disclaimer", d["disclaimer"]), ("sample", d["sample"]),
        ("tumor type", f"{d['tumor_type']['code']} ({d['tumor_type']['name']})"),
        ("genome build", d["genome_build"]), ("input", d["input"]),
        ("varmatch", d["varmatch_version"]), ("JSON schema", d["schema_version"]),
        ("knowledgebase", d["knowledgebase"]["version"]),
        ("knowledgebase checksum", d["knowledgebase"]["checksum"]),
    ]
    trials = d.get("trials") or {}
    rows.append(("trials", ("checked: " if trials.get("checked") else "")
                 + (trials.get("reason") or "not checked")))
    rows += [("note", n) for n in d["notes"]]
    rows += [("clinical context", c) for c in d["clinical_context"]]
    return rows


def _sheet(wb, title: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(columns)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(row.get(col)) for col in columns])
    for r in ws.iter_rows(min_row=2):
        for c in r:
            if isinstance(c.value, str):
                if c.value[:1] in ("=", "+", "-", "@"):
                    c.data_type = "s"  # text, never a formula
                c.alignment = Alignment(wrap_text=len(c.value) > 40, vertical="top")
    for i, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(col, max(10, len(col) + 2))
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = ws.dimensions


@register("xlsx", "xlsx", "Excel workbook: options, alterations, excluded, trials, notes "
          "(needs varmatch[xlsx])", binary=True, requires="openpyxl")
def write_xlsx(results: list[SampleResult], fh) -> None:
    try:
        from openpyxl import Workbook
    except ImportError as exc:  # parse_formats checks first; this guards direct callers
        from varmatch.errors import UsageError

        raise UsageError("the xlsx format needs openpyxl: pip install 'varmatch[xlsx]'") from exc
    data = [result_dict(r) for r in results]
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "options", OPTION_COLUMNS, [row for d in data for row in _option_rows(d)])
    _sheet(wb, "alterations", ALTERATION_COLUMNS, [row for d in data for row in _alteration_rows(d)])
    _sheet(wb, "excluded", EXCLUDED_COLUMNS,
           [e | {"sample": d["sample"]} for d in data for e in d["excluded"]])
    _sheet(wb, "trials", TRIAL_COLUMNS, [row for d in data for row in _trial_rows(d)])
    _sheet(wb, "notes", ["sample", "item", "value"],
           [{"sample": d["sample"], "item": k, "value": v} for d in data for k, v in _notes(d)])
    wb.save(fh)
