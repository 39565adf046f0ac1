"""Eligibility: row requirements checked against findings outside the pathway.

Some rows hold only for a receptor status that DNA cannot prove but can contradict: the
alpelisib, capivasertib and inavolisib labels are for HR-positive, HER2-negative breast cancer, and
an ERBB2 amplification in the same report makes the tumor likely HER2-positive. Each match whose
row names such a requirement gets one :class:`~varmatch.models.RequirementStatus` per concept:

* ``HER2-negative``: contradicted by an ERBB2 amplification; otherwise not assessed (no
  amplification reported is not a negative HER2 test: IHC/ISH decides).
* ``HER2-positive``: supported by an ERBB2 amplification; otherwise not assessed.
* ``HR-positive`` / ``ER-positive``: supported by an ESR1 ligand-binding-domain hotspot (these
  arise under endocrine therapy in ER-positive disease); otherwise not assessed. DNA never
  contradicts it.

Each requirement text of such a row becomes one entry (the row's wording, a combined status and
each concept's reason; see :func:`requirement_statuses`). An ERBB2 mutation (e.g. L755S) is not HER2 overexpression: it leaves HER2 status not assessed,
with that said. The context genes are read from every input beside the pathway genes
(:data:`CONTEXT_GENES`) but never matched or tiered themselves.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from varmatch.models import (
    Alteration,
    AlterationType,
    Match,
    RequirementState,
    RequirementStatus,
    evolve,
)

CONTEXT_GENES = frozenset({"ERBB2", "ESR1"})

# ESR1 ligand-binding-domain residues recurrently mutated after aromatase inhibitors (E380Q,
# S463P, L536H/P/R, Y537C/N/S, D538G; Toy et al. 2013, Robinson et al. 2013)
ESR1_LBD_HOTSPOTS = frozenset({380, 463, 536, 537, 538})

_HER2_NEG = re.compile(r"\bHER2(?:[- ]?negative|-(?![a-z]))", re.I)
_HER2_POS = re.compile(r"\bHER2(?:[- ]?positive|\+)", re.I)
_HR_POS = re.compile(r"\b(?:HR|ER|hormone[- ]receptor)(?:[- ]?positive|\+)", re.I)

SUP, CON, NA = (RequirementState.SUPPORTED, RequirementState.CONTRADICTED,
                RequirementState.NOT_ASSESSED)


def concepts(requirements: Iterable[str]) -> list[str]:
    """The requirement concepts a row's free-text requirements name, in a fixed order."""
    return list(_concepts(tuple(requirements)))


@functools.lru_cache(maxsize=4096)  # a row's requirements are asked about for every sample
def _concepts(requirements: tuple[str, ...]) -> tuple[str, ...]:
    text = " ; ".join(requirements)
    found = []
    if _HER2_NEG.search(text):
        found.append("HER2-negative")
    if _HER2_POS.search(text):
        found.append("HER2-positive")
    if _HR_POS.search(text):
        found.append("HR-positive")
    return tuple(found)


def _cn(a: Alteration) -> str:
    cn = f"copy number {a.copy_number:g}" if a.copy_number is not None else "amplified"
    src = a.annotation_source if a.annotation_source not in ("", "copy number") else ""
    return f"ERBB2 amplification ({cn}{', ' + src if src else ''})"


def assess(concept: str, context: list[Alteration]) -> RequirementStatus:
    """The status of one requirement concept given the sample's context-gene alterations."""
    amps = [a for a in context if a.gene == "ERBB2" and a.type is AlterationType.AMPLIFICATION]
    erbb2_mut = [a for a in context if a.gene == "ERBB2" and a.type is AlterationType.MUTATION]
    esr1 = [a for a in context if a.gene == "ESR1" and a.type is AlterationType.MUTATION
            and a.protein is not None and a.protein.start in ESR1_LBD_HOTSPOTS]
    if concept in ("HER2-negative", "HER2-positive"):
        if amps:
            status = CON if concept == "HER2-negative" else SUP
            verb = "contradicts" if status is CON else "supports"
            return RequirementStatus(concept, status,
                                     f"{_cn(amps[0])} in this input {verb} it: the tumor is "
                                     "likely HER2-positive; confirm HER2 by IHC/ISH")
        why = "no ERBB2 amplification in this input; HER2 status needs IHC/ISH"
        if erbb2_mut:
            why += (f" ({', '.join(str(a) for a in erbb2_mut)} is a mutation, not HER2 "
                    "overexpression)")
        return RequirementStatus(concept, NA, why)
    if concept == "HR-positive":
        if esr1:
            return RequirementStatus(
                concept, SUP, f"{esr1[0]} (ESR1 ligand-binding-domain hotspot, acquired under "
                "endocrine therapy in ER-positive disease) supports it; receptor status is still "
                "set by IHC")
        return RequirementStatus(concept, NA, "DNA does not show hormone-receptor status (IHC)")
    raise ValueError(concept)


def requirement_statuses(requirements: Iterable[str],
                         context: list[Alteration]) -> tuple[RequirementStatus, ...]:
    """One status per requirement text of a row that names a checkable concept anywhere.

    Each entry keeps the row's own wording (so a report shows the whole requirement) with a
    combined status: contradicted when any concept in it is, supported when every concept in it
    is, else not assessed; the reason lists each concept's finding. Rows naming no concept get
    no entries (their requirements are shown as written)."""
    reqs = list(requirements)
    if not concepts(reqs):
        return ()
    out = []
    for text in reqs:
        found = [assess(c, context) for c in concepts([text])]
        if not found:
            out.append(RequirementStatus(text, NA, "not checked against the sequencing result "
                                                   "(treatment history, assay, stage)"))
            continue
        states = {s.status for s in found}
        status = CON if CON in states else SUP if states == {SUP} else NA
        out.append(RequirementStatus(text, status,
                                     "; ".join(f"{s.requirement}: {s.reason}" for s in found)))
    return tuple(out)


def annotate_matches(matches: list[Match], context: list[Alteration]) -> list[Match]:
    """``matches`` with ``requirement_status`` filled for rows naming a checkable concept."""
    out = []
    for m in matches:
        statuses = requirement_statuses(m.evidence.requirements, context)
        out.append(evolve(m, requirement_status=statuses) if statuses else m)
    return out
