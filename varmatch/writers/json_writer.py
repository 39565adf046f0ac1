"""JSON writer: the full result, validated by ``varmatch/schemas/result.schema.json``."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import orjson

from varmatch import RESEARCH_USE, __version__
from varmatch.models import (
    Alteration,
    Direction,
    Evidence,
    EvidenceKind,
    Match,
    SampleResult,
    TumorRelation,
)
from varmatch.tiers import TUMOR_AGNOSTIC, alteration_tier
from varmatch.trials import trials_dict
from varmatch.writers import PerRow, register

SCHEMA_VERSION = "2.0"

# Two separate ideas that the single word "on-label" used to mix (docs/schema-changes.md).
APPROVED_HERE = "approved in this tumor type"
APPROVED_ELSEWHERE = "approved in another tumor type"
NOT_APPROVED = "not approved"
SAME_TUMOR_TYPE = "same tumor type"
TUMOR_AGNOSTIC_EVIDENCE = "tumor-agnostic"
OTHER_TUMOR_TYPE = "other tumor type"


def evidence_relation(m: Match) -> str:
    """Where the evidence comes from, relative to the patient's tumor type."""
    if m.relation is not TumorRelation.ON_LABEL:  # e.g. a basket whose population excludes it
        return OTHER_TUMOR_TYPE
    return TUMOR_AGNOSTIC_EVIDENCE if m.evidence.tumor_type in TUMOR_AGNOSTIC else SAME_TUMOR_TYPE


_RULE_IDS = {"off-label-AB": "other-tumor-type-AB", "off-label-CD": "other-tumor-type-CD"}


def rule_id(m: Match) -> str:
    """The tiering rule as published (README, Tiers): the tier stage's ``on-label`` becomes
    ``same-tumor-type`` or ``tumor-agnostic`` and ``off-label-*`` becomes ``other-tumor-type-*``,
    so no output calls evidence "on-label"; a suffix (``+...``) is kept."""
    base, plus, rest = m.rule.partition("+")
    if base == "on-label":
        base = "tumor-agnostic" if evidence_relation(m) == TUMOR_AGNOSTIC_EVIDENCE else "same-tumor-type"
    return _RULE_IDS.get(base, base) + plus + rest


def approval_labels(matches) -> list[tuple[frozenset[str], bool]]:
    """The sample's matched regulatory-label sensitivity rows, as (drugs, in this tumor type or
    tumor-agnostic); computed once per sample for :func:`regulatory_status`."""
    return [(frozenset(x.evidence.drugs), evidence_relation(x) != OTHER_TUMOR_TYPE) for x in matches
            if x.evidence.kind is EvidenceKind.REGULATORY
            and x.evidence.direction is Direction.SENSITIVITY]


def regulatory_status(m: Match, labels: list[tuple[frozenset[str], bool]]) -> str:
    """Whether the option's drugs carry a regulatory approval that this sample's alterations meet:
    a regulatory-label row of the knowledgebase (``labels``, from :func:`approval_labels`), for the
    same drugs, matched in this sample, in the patient's tumor type (or tumor-agnostic) or in
    another one. "not approved" means no such label in the knowledgebase for this biomarker, not a
    statement about every jurisdiction."""
    drugs = set(m.evidence.drugs)
    here = [h for label_drugs, h in labels if drugs <= label_drugs]
    if any(here):
        return APPROVED_HERE
    return APPROVED_ELSEWHERE if here else NOT_APPROVED


def alteration_dict(a: Alteration, matches: list[Match] | None = None) -> dict:
    v = a.variant
    d = {
        "id": alteration_id(a),
        "gene": a.gene,
        "type": a.type.value,
        "alteration": str(a),
        "hgvs_p": f"p.{a.protein}" if a.protein else None,
        "hgvs_p_3letter": a.protein.three_letter if a.protein else None,
        "hgvs_c": a.hgvs_c,
        "consequence": a.consequence.value if a.consequence else None,
        "transcript": a.transcript,
        "exon": a.exon,
        "oncogenicity": a.oncogenicity.value if a.oncogenicity else None,
        "oncogenicity_reason": a.oncogenicity_reason,
        "hotspot": a.hotspot,
        "annotation_source": a.annotation_source,
        "copy_number": a.copy_number,
        "partner": a.partner,
        "flags": list(a.flags),
        "fusion_role": a.fusion_role or None,
        "variant": None if v is None else {
            "chrom": v.chrom, "pos": v.pos, "ref": v.ref, "alt": v.alt,
            "build": v.build.value if v.build else None,
            "depth": v.depth, "alt_depth": v.alt_depth, "vaf": v.vaf,
            "filters": list(v.filters), "source": v.source,
        },
    }
    if matches is not None:
        d["tier"] = alteration_tier(a, matches).value
    return d


def alteration_id(a: Alteration) -> str:
    return a.ident


def _evidence_json(ev: Evidence) -> tuple:
    """The parts of a match's JSON that come from its knowledgebase row alone (immutable:
    each result gets its own lists)."""
    return (ev.direction.value, ev.level.value, ev.kind.value, str(ev.biomarker),
            ev.regulatory or None, tuple((c.id, c.url) for c in ev.citations),
            ev.source_url or None)


_EVIDENCE_JSON = PerRow(_evidence_json)


def match_dict(m: Match, labels: list[tuple[frozenset[str], bool]] | None = None,
               quals: dict[int, dict] | None = None) -> dict:
    """One match; ``labels`` (:func:`approval_labels` of all the sample's matches) decide its
    ``regulatory_status``. ``quals`` remembers the qualifier dicts of one result (the same
    resistance row qualifies many options): the dicts are shared, so treat the result as
    read-only, as every writer does."""
    if quals is None:
        quals = {}
    ev = m.evidence
    direction, ev_level, kind, biomarker, regulatory, citations, source_url = _EVIDENCE_JSON(ev)
    return {
        "evidence_id": ev.id,
        "therapy": ev.therapy,
        "drugs": list(ev.drugs),
        "partners": list(ev.partners),
        "direction": direction,
        "tier": m.tier.value,
        "level": m.level.value,
        "evidence_level": ev_level,
        "evidence_kind": kind,
        "evidence_tumor_type": ev.tumor_type,
        "regulatory_status": regulatory_status(m, approval_labels((m,)) if labels is None else labels),
        "evidence_relation": evidence_relation(m),
        "rung": m.rung.value,
        "rule": rule_id(m),
        "why": m.why,
        "biomarker": biomarker,
        "alterations": [alteration_id(a) for a in m.alterations],
        "requirements": list(ev.requirements),
        "regulatory": regulatory,
        "citations": [{"id": cid, "url": url} for cid, url in citations],
        "summary": ev.summary,
        "oncokb_level": m.oncokb_level or None,
        "escat_tier": m.escat_tier or None,
        "layer": ev.layer,
        "source_url": source_url,
        "rating": ev.rating,
        "sources": list(m.sources or (ev.layer,)),
        "merged_evidence_ids": [e.id for e in m.merged],
        "conflict": m.conflict or None,
        "qualifiers": [quals.get(id(q)) or quals.setdefault(id(q), qualifier_dict(q))
                       for q in m.qualifiers],
        "requirement_status": [{"requirement": s.requirement, "status": s.status.value,
                                "reason": s.reason} for s in m.requirement_status],
    }


def qualifier_dict(q: Match) -> dict:
    """A resistance / counter-evidence match as it qualifies a sensitivity option."""
    ev = q.evidence
    return {"evidence_id": ev.id, "direction": ev.direction.value,
            "alterations": [alteration_id(a) for a in q.alterations], "therapy": ev.therapy,
            "tier": q.tier.value, "level": q.level.value, "summary": ev.summary,
            "citations": [c.id for c in ev.citations], "why": q.why}


def result_dict(r: SampleResult) -> dict:
    matches = list(r.matches)
    labels = approval_labels(matches)
    quals: dict[int, dict] = {}  # keyed by id() of matches that r keeps alive meanwhile
    return {
        "schema_version": SCHEMA_VERSION,
        "varmatch_version": __version__,
        "disclaimer": RESEARCH_USE,
        "sample": r.sample,
        "tumor_type": {"code": r.tumor_type, "name": r.tumor_type_name},
        "genome_build": r.build.value if r.build else None,
        "input": r.input_path,
        "knowledgebase": {"version": r.kb_version, "checksum": r.kb_checksum,
                          "civic_release": r.civic_release},
        "civic_release": r.civic_release,
        "alterations": [alteration_dict(a, matches) for a in r.alterations],
        "matches": [match_dict(m, labels, quals) for m in matches
                    if m.evidence.direction.value == "sensitivity"],
        "resistance": [match_dict(m, labels, quals) for m in matches
                       if m.evidence.direction.value == "resistance"],
        "counter_evidence": [match_dict(m, labels, quals) for m in matches
                             if m.evidence.direction.value == "counter-evidence"],
        "excluded": [{"call": e.description, "reason": e.reason, "source": e.source}
                     for e in r.excluded],
        "notes": list(r.notes),
        "clinical_context": list(r.context),
        "trials": trials_dict(r.trials),
    }


@lru_cache(maxsize=1)
def result_schema() -> dict:
    """The JSON schema (draft 2020-12) that every result dict validates against."""
    return json.loads(resources.files("varmatch").joinpath("schemas/result.schema.json")
                      .read_text("utf-8"))


@register("json", "json", "full result as JSON (schema: varmatch/schemas/result.schema.json)")
def write_json(results: list[SampleResult], fh) -> None:
    data = [result_dict(r) for r in results]
    fh.write(json_text(data[0] if len(data) == 1 else data))


def json_text(data) -> str:
    """``data`` as indented JSON text (2 spaces, UTF-8 characters as they are, a final newline).
    orjson writes it ~20x faster than the standard library's pure-Python indenting encoder, which
    led the profile of a per-sample cohort run (docs/benchmarks_cohort.md)."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
