"""TSV writers: one row per match (``tsv``), and the alterations alone (``alterations``).

Columns are stable and documented in the README. An alteration with no match still gets one row
(therapy columns empty, tier III or IV) so the table lists every pathway alteration found.
"""

from __future__ import annotations

import csv

from varmatch.models import Alteration, SampleResult
from varmatch.tiers import alteration_tier
from varmatch.writers import register
from varmatch.writers.json_writer import evidence_relation, regulatory_status, rule_id

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


def escape(text: str) -> str:
    """A cell that cannot split a row: tab, CR, LF and every other control character become a
    visible backslash escape (``\\r``, ``\\x1b``), so a sample name like ``"S1\\rS2"`` stays one cell."""
    return text.translate(_CONTROL)


def _alt_cells(r: SampleResult, a: Alteration) -> dict:
    return {
        "sample": r.sample, "tumor_type": r.tumor_type, "gene": a.gene, "alteration": str(a),
        "hgvs_c": a.hgvs_c, "consequence": a.consequence, "transcript": a.transcript,
        "vaf": a.vaf, "depth": a.depth, "oncogenicity": a.oncogenicity, "hotspot": a.hotspot,
        "flags": "; ".join(a.flags),
    }


@register("tsv", "tsv", "one row per match (and per unmatched alteration), stable columns")
def write_tsv(results: list[SampleResult], fh) -> None:
    w = csv.writer(fh, delimiter="\t", lineterminator="\n")
    w.writerow(MATCH_COLUMNS)
    for r in results:
        matches = list(r.matches)
        for a in r.alterations:
            used = [m for m in matches if a in m.alterations]
            if not used:
                row = _alt_cells(r, a) | {"tier": alteration_tier(a, matches)}
                w.writerow([_fmt(row.get(c)) for c in MATCH_COLUMNS])
            for m in used:
                ev = m.evidence
                row = _alt_cells(r, a) | {
                    "tier": m.tier, "level": m.level, "direction": ev.direction,
                    "therapy": ev.therapy, "drugs": ",".join(ev.drugs),
                    "partners": ",".join(ev.partners), "evidence_kind": ev.kind,
                    "evidence_level": ev.level, "evidence_tumor_type": ev.tumor_type,
                    "regulatory_status": regulatory_status(m, matches),
                    "evidence_relation": evidence_relation(m), "rung": m.rung,
                    "requirements": "; ".join(ev.requirements),
                    "citations": ",".join(c.id for c in ev.citations), "rule": rule_id(m),
                    "why": m.why, "evidence_id": ev.id, "oncokb_level": m.oncokb_level,
                    "escat_tier": m.escat_tier,
                    "qualifiers": "; ".join(f"{q.evidence.id} ({q.evidence.direction}, level "
                                            f"{q.level})" for q in m.qualifiers),
                    "sources": ",".join(m.sources or (ev.layer,)),
                    "requirement_status": "; ".join(f"{s.requirement}: {s.status} ({s.reason})"
                                                    for s in m.requirement_status),
                }
                w.writerow([_fmt(row.get(c)) for c in MATCH_COLUMNS])


@register("alterations", "alterations.tsv", "the annotated alterations, one row each (input of `varmatch match`)")
def write_alterations(results: list[SampleResult], fh) -> None:
    fh.write("#varmatch alterations v1\n")
    w = csv.writer(fh, delimiter="\t", lineterminator="\n")
    w.writerow(ALTERATION_COLUMNS)
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
            w.writerow([_fmt(row.get(c)) for c in ALTERATION_COLUMNS])
