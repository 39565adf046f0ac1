"""MultiQC custom-content writer (format ``multiqc``): one table row per sample.

MultiQC picks up any file whose name ends in ``_mqc.tsv`` with no configuration; the section and
table settings travel in the file as ``#``-prefixed YAML header lines (MultiQC custom-content
"MultiQC-specific data file"). The file is ``<sample>.varmatch.summary_mqc.tsv`` (the writers
name files ``<sample>.varmatch.<suffix>``), one row per sample, these columns:

``Sample`` (the first column: MultiQC's sample name), ``tumor_type``, ``alterations`` (pathway
alterations found), ``oncogenic`` (of them, oncogenic or likely oncogenic), ``best_tier`` (best
AMP/ASCO/CAP tier of any alteration, I-IV, empty when none), ``therapy_matches`` and
``resistance_matches`` (counts), ``top_therapy`` (the best-ranked sensitivity match, with its
tier and level), ``top_biomarker`` (the alteration it matches), ``excluded`` (calls left out).
Sharing one section ``id`` across files makes MultiQC merge the rows of many samples.
"""

from __future__ import annotations

import csv
import re

import yaml

from varmatch import RESEARCH_USE, __version__
from varmatch.models import Direction, SampleResult
from varmatch.tiers import alteration_tier
from varmatch.writers import register
from varmatch.writers.json_writer import approval_labels, evidence_relation, regulatory_status

SECTION_ID = "varmatch_summary"
COLUMNS = [
    "Sample", "tumor_type", "alterations", "oncogenic", "best_tier", "therapy_matches",
    "resistance_matches", "top_therapy", "top_biomarker", "excluded",
]
HEADERS: dict[str, dict[str, object]] = {
    "tumor_type": {"title": "Tumor type", "description": "OncoTree code used for tiering"},
    "alterations": {"title": "Alterations", "description": "PI3K/AKT/mTOR-pathway alterations",
                    "format": "{:,.0f}", "min": 0},
    "oncogenic": {"title": "Oncogenic", "description": "oncogenic or likely oncogenic alterations",
                  "format": "{:,.0f}", "min": 0},
    "best_tier": {"title": "Best tier", "description": "best AMP/ASCO/CAP 2017 tier (I-IV)"},
    "therapy_matches": {"title": "Therapy matches", "description": "sensitivity matches (Tier I/II)",
                        "format": "{:,.0f}", "min": 0},
    "resistance_matches": {"title": "Resistance", "description": "resistance matches",
                           "format": "{:,.0f}", "min": 0},
    "top_therapy": {"title": "Top therapy", "description": "best-ranked sensitivity match"},
    "top_biomarker": {"title": "Top biomarker", "description": "alteration the top therapy matches"},
    "excluded": {"title": "Excluded calls", "description": "calls left out (FILTER, no support)",
                 "format": "{:,.0f}", "min": 0},
}


def _cell(x: object) -> str:
    """One TSV cell: no tabs or line breaks."""
    return re.sub(r"[\t\r\n]+", " ", "" if x is None else str(x)).strip()


def summary_row(r: SampleResult) -> dict[str, object]:
    matches = sorted(r.matches, key=lambda m: m.sort_key())
    sens = [m for m in matches if m.evidence.direction is Direction.SENSITIVITY]
    res = [m for m in matches if m.evidence.direction is Direction.RESISTANCE]
    tiers = [alteration_tier(a, list(r.matches)) for a in r.alterations]
    best = min(tiers, key=lambda t: t.rank).value if tiers else ""
    top = sens[0] if sens else None
    return {
        "Sample": r.sample,
        "tumor_type": r.tumor_type,
        "alterations": len(r.alterations),
        "oncogenic": sum(1 for a in r.alterations if a.oncogenicity is not None
                         and a.oncogenicity.value in ("oncogenic", "likely oncogenic")),
        "best_tier": best,
        "therapy_matches": len(sens),
        "resistance_matches": len(res),
        "top_therapy": (f"{top.evidence.therapy} (Tier {top.tier.value}, level {top.level.value}, "
                        f"{evidence_relation(top)} evidence, {regulatory_status(top, approval_labels(r.matches))})")
                       if top else "",
        "top_biomarker": "; ".join(str(a) for a in top.alterations) if top else "",
        "excluded": len(r.excluded),
    }


def config() -> dict[str, object]:
    """The custom-content configuration written as the file's YAML header."""
    return {
        "id": SECTION_ID,
        "section_name": "varmatch: PI3K/AKT/mTOR actionability",
        "description": (f"Pathway alterations and best-tiered therapy matches per sample "
                        f"(varmatch {__version__}; AMP/ASCO/CAP 2017 tiers). {RESEARCH_USE}"),
        "format": "tsv",
        "plot_type": "table",
        "pconfig": {"id": "varmatch_summary_table", "title": "varmatch: findings per sample",
                    "namespace": "varmatch"},
        "headers": HEADERS,
    }


@register("multiqc", "summary_mqc.tsv", "MultiQC custom-content table: findings per sample")
def write_multiqc(results: list[SampleResult], fh) -> None:
    text = yaml.safe_dump(config(), sort_keys=False, allow_unicode=True, width=1000)
    for line in text.splitlines():
        fh.write(f"# {line}\n")
    w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(COLUMNS)
    for r in results:
        row = summary_row(r)
        w.writerow([_cell(row[c]) for c in COLUMNS])

