"""GA4GH VA-Spec style output (``va`` format): each match as a study statement.

One JSON document per sample: ``statements`` holds one VA-Spec ``Statement`` per therapy match
(sensitivity and resistance), whose ``proposition`` is a ``VariantTherapeuticResponseProposition``.
The subject is a Cat-VRS ``CategoricalVariant`` named after the knowledgebase biomarker; its
``members`` hold the patient's alleles that matched it as GA4GH VRS 2.0 ``Allele`` objects with
computed ids (:mod:`varmatch.vrs`), or, where no VRS id can be computed correctly, a ``Variation``
described by its expressions only (no id). docs/va.md lists the subset emitted.
"""

from __future__ import annotations

import re

from varmatch import RESEARCH_USE, __version__
from varmatch.models import Alteration, AlterationType, Match, SampleResult
from varmatch.vrs import allele
from varmatch.writers import register
from varmatch.writers.json_writer import json_text

PREDICATE = {"sensitivity": "predictsSensitivityTo", "resistance": "predictsResistanceTo",
             # counter-evidence: the source looked for sensitivity and did not find it, so the
             # statement disputes the sensitivity proposition (VA-Spec Statement.direction)
             "counter-evidence": "predictsSensitivityTo"}
DIRECTION = {"counter-evidence": "disputes"}


def _member(a: Alteration, build) -> dict:
    expressions = []
    if a.hgvs_c and a.transcript:
        expressions.append({"syntax": "hgvs.c", "value": f"{a.transcript}:{a.hgvs_c}"})
    v = a.variant
    if v is not None:
        chrom = v.chrom.removeprefix("chr")
        expressions.append({"syntax": "gnomad", "value": f"{chrom}-{v.pos}-{v.ref}-{v.alt}"})
    vrs = allele(v, v.build or build) if v is not None and a.type is AlterationType.MUTATION else None
    if vrs is not None:
        return vrs | {"name": str(a), "expressions": expressions}
    return {"type": "Variation", "name": str(a), "expressions": expressions,
            "extensions": [{"name": "vrs_id_omitted",
                            "value": "no VRS id: not a substitution with a bundled chromosome "
                                     "digest (see docs/va.md)"}]}


def _document(cid: str, url: str) -> dict:
    scheme, _, value = cid.partition(":")
    doc: dict = {"type": "Document", "name": cid, "urls": [url] if url else []}
    if scheme == "PMID" and value.isdigit():
        doc["pmid"] = int(value)
    elif scheme == "DOI":
        doc["doi"] = value
    return doc


def _therapeutic(m: Match) -> dict:
    drugs = [{"conceptType": "Drug", "name": d} for d in (*m.evidence.drugs, *m.evidence.partners)]
    if len(drugs) == 1:
        return drugs[0]
    return {"type": "TherapyGroup", "therapies": drugs,
            "groupType": {"name": "combination therapy"}}


def statement(r: SampleResult, m: Match, index: int) -> dict:
    ev = m.evidence
    gene = sorted(ev.biomarker.genes)
    sample = re.sub(r"[^A-Za-z0-9._-]+", "_", r.sample)
    return {
        "id": f"varmatch:{sample}:{index}:{ev.id}",
        "type": "Statement",
        "description": ev.summary,
        "proposition": {
            "type": "VariantTherapeuticResponseProposition",
            "subjectVariant": {
                "type": "CategoricalVariant", "name": str(ev.biomarker),
                "members": [_member(a, r.build) for a in m.alterations],
            },
            "predicate": PREDICATE[ev.direction.value],
            "objectTherapeutic": _therapeutic(m),
            "conditionQualifier": {
                "conceptType": "Disease", "name": r.tumor_type_name or r.tumor_type,
                "primaryCoding": {"system": "https://oncotree.mskcc.org", "code": r.tumor_type}},
            **({"geneContextQualifier": {"conceptType": "Gene", "name": gene[0]}}
               if len(gene) == 1 else {}),
            "alleleOriginQualifier": {"name": "somatic"},
        },
        "direction": DIRECTION.get(ev.direction.value, "supports"),
        "strength": {"name": f"AMP/ASCO/CAP level {m.level}",
                     "primaryCoding": {"system": "AMP/ASCO/CAP 2017 (PMID 27993330)",
                                       "code": m.level.value}},
        "classification": {"name": f"Tier {m.tier}",
                           "primaryCoding": {"system": "AMP/ASCO/CAP 2017 (PMID 27993330)",
                                             "code": f"Tier {m.tier}"}},
        "specifiedBy": {"type": "Method", "name": f"varmatch {__version__} tiering rule {m.rule}",
                        "description": m.why},
        "reportedIn": [_document(c.id, c.url) for c in ev.citations],
        "extensions": [
            {"name": "varmatch_evidence_id", "value": ev.id},
            {"name": "evidence_tumor_type", "value": ev.tumor_type},
            {"name": "evidence_level_in_source_tumor_type", "value": ev.level.value},
            {"name": "match_rung", "value": m.rung.value},
            {"name": "tumor_type_relation", "value": m.relation.value},
            {"name": "requirements", "value": list(ev.requirements)},
            {"name": "knowledgebase", "value": f"{r.kb_version} ({r.kb_checksum[:12]})"},
        ],
    }


def va_document(r: SampleResult) -> dict:
    return {
        "sample": r.sample, "disclaimer": RESEARCH_USE, "varmatch_version": __version__,
        "specifications": {"va_spec": "1.0 (subset, see docs/va.md)", "vrs": "2.0"},
        "statements": [statement(r, m, i) for i, m in enumerate(r.matches, 1)],
    }


@register("va", "va.json", "GA4GH VA-Spec study statements with VRS 2.0 allele ids (docs/va.md)")
def write_va(results: list[SampleResult], fh) -> None:
    docs = [va_document(r) for r in results]
    fh.write(json_text(docs[0] if len(docs) == 1 else docs))
