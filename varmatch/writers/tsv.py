"""TSV writers: one row per match (``tsv``), and the alterations alone (``alterations``).

Columns are stable and documented in the README. An alteration with no match still gets one row
(therapy columns empty, tier III or IV) so the table lists every pathway alteration found.
"""

from __future__ import annotations

import re

from varmatch.models import Alteration, Match, SampleResult
from varmatch.tiers import alteration_tier
from varmatch.writers import PerRow, register, tsv_rows
from varmatch.writers.json_writer import (
    approval_labels,
    evidence_relation,
    regulatory_status,
    rule_id,
)

MATCH_COLUMNS = [
    "sample", "tumor_type", "gene", "alteration", "hgvs_c", "consequence", "transcript", "vaf",
    "depth", "oncogenicity", "hotspot", "tier", "level", "direction", "therapy", "drugs",
    "partners", "evidence_kind", "evidence_level", "evidence_tumor_type", "regulatory_status",
    "evidence_relation", "rung",
    "requirements", "citations", "rule", "why", "evidence_id", "oncokb_level", "escat_tier",
    "qualifiers", "sources", "flags", "requirement_status",
]

ALTERATION_COLUMNS = [
    "sample", "gene", "type", "protein_change", "hgvs_c", "consequence", "transcript", "exon",
    "chrom", "pos", "ref", "alt", "build", "vaf", "depth", "alt_depth", "oncogenicity",
    "oncogenicity_reason", "hotspot", "copy_number", "partner", "annotation_source", "source",
    "flags",
]


def _fmt(x) -> str:
    if type(x) is str:  # the common case first
        return x.translate(_CONTROL) if _NEEDS_ESCAPE(x) else x
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return escape(str(x))


# every control character, and the Unicode line/paragraph separators that line readers split on
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7f, *range(0x80, 0xa0)]}
_CONTROL |= {0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"}
# translate() looks every character up in _CONTROL; most cells need nothing, and a search is cheaper
_NEEDS_ESCAPE = re.compile("[" + "".join(re.escape(chr(c)) for c in _CONTROL) + "]").search


def escape(text: str) -> str:
    """A cell that cannot split a row: tab, CR, LF and every other control character become a
    visible backslash escape (``\\r``, ``\\x1b``), so a sample name like ``"S1\\rS2"`` stays one cell."""
    return text.translate(_CONTROL)


_TIER_AT = MATCH_COLUMNS.index("tier")
_FLAGS_AT = MATCH_COLUMNS.index("flags")


def _alt_row(r: SampleResult, a: Alteration) -> list[str]:
    """The match-table row of ``a`` with only its alteration cells filled (formatted once and
    copied for each of its matches)."""
    row = [""] * len(MATCH_COLUMNS)
    cells = (r.sample, r.tumor_type, a.gene, str(a), a.hgvs_c, a.consequence,  # MATCH_COLUMNS
             a.transcript, a.vaf, a.depth, a.oncogenicity, a.hotspot)          # before "tier"
    for i, x in enumerate(cells):
        row[i] = _fmt(x)
    row[_FLAGS_AT] = _fmt("; ".join(a.flags))
    return row


def _evidence_cells(ev) -> tuple[str, ...]:
    """The match-table cells that come from the knowledgebase row alone, formatted."""
    return tuple(_fmt(x) for x in (
        ev.direction.value, ev.therapy, ",".join(ev.drugs), ",".join(ev.partners), ev.kind.value,
        ev.level.value, ev.tumor_type, "; ".join(ev.requirements),
        ",".join(c.id for c in ev.citations), ev.id))


_EVIDENCE_CELLS = PerRow(_evidence_cells)


def _match_cells(m: Match, labels) -> list[str]:
    """The cells of MATCH_COLUMNS from "tier" to "sources", then "requirement_status"."""
    ev = m.evidence
    direction, therapy, drugs, partners, kind, ev_level, ev_tumor, reqs, cites, ev_id = \
        _EVIDENCE_CELLS(ev)
    return [
        m.tier.value, m.level.value, direction, therapy, drugs, partners, kind, ev_level, ev_tumor,
        regulatory_status(m, labels), evidence_relation(m), m.rung.value, reqs, cites,
        _fmt(rule_id(m)), _fmt(m.why), ev_id, _fmt(m.oncokb_level), _fmt(m.escat_tier),
        _fmt("; ".join(f"{q.evidence.id} ({q.evidence.direction}, level {q.level})"
                       for q in m.qualifiers)),
        _fmt(",".join(m.sources or (ev.layer,))),
        _fmt("; ".join(f"{s.requirement}: {s.status} ({s.reason})" for s in m.requirement_status)),
    ]


@register("tsv", "tsv", "one row per match (and per unmatched alteration), stable columns")
def write_tsv(results: list[SampleResult], fh) -> None:
    writerow = tsv_rows(fh)
    writerow(MATCH_COLUMNS)
    for r in results:
        matches = list(r.matches)
        labels = approval_labels(matches)
        cells: dict[int, list[str]] = {}  # a match that uses several alterations is formatted once
        for a in r.alterations:
            base = _alt_row(r, a)
            used = [m for m in matches if a in m.alterations]
            if not used:
                base[_TIER_AT] = _fmt(alteration_tier(a, matches))
                writerow(base)
            for m in used:
                mc = cells.get(id(m))
                if mc is None:
                    mc = cells[id(m)] = _match_cells(m, labels)
                writerow(base[:_TIER_AT] + mc[:_FLAGS_AT - _TIER_AT] + base[_FLAGS_AT:_FLAGS_AT + 1]
                         + mc[_FLAGS_AT - _TIER_AT:])


@register("alterations", "alterations.tsv", "the annotated alterations, one row each (input of `varmatch match`)")
def write_alterations(results: list[SampleResult], fh) -> None:
    fh.write("#varmatch alterations v1\n")
    writerow = tsv_rows(fh)
    writerow(ALTERATION_COLUMNS)
    for r in results:
        for a in r.alterations:
            v = a.variant
            row = {
                "sample": r.sample, "gene": a.gene, "type": a.type,
                "protein_change": f"p.{a.protein}" if a.protein else None, "hgvs_c": a.hgvs_c,
                "consequence": a.consequence, "transcript": a.transcript, "exon": a.exon,
                "chrom": v.chrom if v else None, "pos": v.pos if v else None,
                "ref": v.ref if v else None, "alt": v.alt if v else None,
                "build": (v.build if v else None) or r.build, "vaf": a.vaf, "depth": a.depth,
                "alt_depth": v.alt_depth if v else None, "oncogenicity": a.oncogenicity,
                "oncogenicity_reason": a.oncogenicity_reason, "hotspot": a.hotspot,
                "copy_number": a.copy_number, "partner": a.partner,
                "annotation_source": a.annotation_source, "source": v.source if v else None,
                "flags": "; ".join(a.flags),
            }
            writerow([_fmt(row.get(c)) for c in ALTERATION_COLUMNS])
