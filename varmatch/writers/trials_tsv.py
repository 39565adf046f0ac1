"""Trials TSV (``trials`` format, ``<sample>.varmatch.trials.tsv``): one row per clinical trial,
ranked, or one ``not checked`` row saying why the registry was not asked (never an empty table
that could read as "no trials")."""

from __future__ import annotations

import csv

from varmatch.models import SampleResult
from varmatch.trials import NOT_REQUESTED
from varmatch.writers import register

TRIAL_COLUMNS = [
    "sample", "tumor_type", "rank", "nct_id", "url", "match_kind", "alterations", "matched_terms",
    "title", "phases", "status", "conditions", "interventions", "countries", "caution", "checked",
    "note",
]


def _cell(x) -> str:
    if isinstance(x, (list, tuple)):
        x = "; ".join(str(i) for i in x)
    return str(x or "").replace("\t", " ").replace("\n", " ")


@register("trials", "trials.tsv", "clinical trials found with --trials, ranked, one row each")
def write_trials(results: list[SampleResult], fh) -> None:
    w = csv.writer(fh, delimiter="\t", lineterminator="\n")
    w.writerow(TRIAL_COLUMNS)
    for r in results:
        s = r.trials
        head = {"sample": r.sample, "tumor_type": r.tumor_type}
        if s is None or not s.checked or not s.trials:
            note = (NOT_REQUESTED if s is None else s.reason if s.checked
                    else f"trials not checked: {s.reason}")
            row = head | {"checked": "yes" if s and s.checked else "no", "note": note}
            w.writerow([_cell(row.get(c)) for c in TRIAL_COLUMNS])
            continue
        for i, t in enumerate(s.trials, 1):
            row = head | {
                "rank": i, "nct_id": t.nct_id, "url": t.url, "match_kind": t.kind.value,
                "alterations": t.alterations, "matched_terms": t.matched, "title": t.title,
                "phases": t.phases, "status": t.status, "conditions": t.conditions,
                "interventions": t.interventions, "countries": t.countries, "caution": t.caution,
                "checked": "yes",
            }
            w.writerow([_cell(row.get(c)) for c in TRIAL_COLUMNS])
