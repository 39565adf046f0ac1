"""Re-analysis: what changed for a patient between two results, and re-matching stored results.

Takes result dicts (the JSON output, ``json_writer.result_dict``) and gives a :class:`SampleDiff`
per patient: therapy options added or removed, tier or level changes (with both "why" sentences),
new or gone resistance and counter-evidence, alterations found or lost, and provenance
(knowledgebase version/checksum, varmatch version). :func:`rerun` re-matches the alterations stored
in ``*.varmatch.json`` files (or ``*.varmatch.alterations.tsv``) against the current knowledgebase
without the original VCFs.

Exit codes (README "Exit codes"): 0 nothing changed, :data:`EXIT_CLINICAL` when anything that can
change care changed, :data:`EXIT_PROVENANCE` when only the knowledgebase or varmatch version
changed (the report would be re-stamped, not re-read).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from varmatch.errors import InputError, UsageError
from varmatch.models import Alteration, AlterationType, Build, Consequence, ProteinChange, Variant

log = logging.getLogger(__name__)

EXIT_UNCHANGED = 0
EXIT_CLINICAL = 20  # an option, tier/level, resistance, counter-evidence or alteration changed
EXIT_PROVENANCE = 21  # only the knowledgebase version/checksum or varmatch version changed

CLINICAL, PROVENANCE, UNCHANGED, NEW, MISSING = (
    "clinically relevant change", "provenance only", "unchanged", "new sample", "missing sample")


@dataclass
class SampleDiff:
    sample: str
    tumor_type: str
    added: list[dict] = field(default_factory=list)  # sensitivity options
    removed: list[dict] = field(default_factory=list)
    tier_changes: list[dict] = field(default_factory=list)
    resistance_added: list[dict] = field(default_factory=list)
    resistance_removed: list[dict] = field(default_factory=list)
    counter_added: list[dict] = field(default_factory=list)  # qualifiers of shared options
    counter_removed: list[dict] = field(default_factory=list)
    alterations_added: list[str] = field(default_factory=list)
    alterations_removed: list[str] = field(default_factory=list)
    tumor_type_change: str = ""
    provenance: list[str] = field(default_factory=list)
    only: str = ""  # NEW or MISSING when the sample is on one side only

    @property
    def status(self) -> str:
        if self.only:
            return self.only
        if (self.added or self.removed or self.tier_changes or self.resistance_added
                or self.resistance_removed or self.counter_added or self.counter_removed
                or self.alterations_added or self.alterations_removed or self.tumor_type_change):
            return CLINICAL
        return PROVENANCE if self.provenance else UNCHANGED

    def to_dict(self) -> dict:
        return {
            "sample": self.sample, "tumor_type": self.tumor_type, "status": self.status,
            "options_added": self.added, "options_removed": self.removed,
            "tier_changes": self.tier_changes, "resistance_added": self.resistance_added,
            "resistance_removed": self.resistance_removed,
            "counter_evidence_added": self.counter_added,
            "counter_evidence_removed": self.counter_removed,
            "alterations_added": self.alterations_added,
            "alterations_removed": self.alterations_removed,
            "tumor_type_change": self.tumor_type_change or None,
            "provenance": self.provenance,
        }


def _key(m: dict) -> tuple:
    return (m.get("evidence_id"), tuple(sorted(m.get("alterations", []))))


def _brief(m: dict, names: dict[str, str]) -> dict:
    return {k: m.get(k) for k in ("evidence_id", "therapy", "tier", "level", "biomarker",
                                  "why")} | {
        "alterations": [names.get(a, a) for a in m.get("alterations", [])],
        "citations": [c.get("id") if isinstance(c, dict) else c for c in m.get("citations", [])]}


def _qualifiers(matches: Iterable[dict]) -> dict[tuple, dict]:
    """Resistance / counter-evidence rows qualifying each option (``qualifiers`` field)."""
    out = {}
    for m in matches:
        for q in m.get("qualifiers") or []:
            if isinstance(q, dict):
                out[(_key(m), q.get("evidence_id"), q.get("direction"))] = q | {
                    "qualifies": m.get("evidence_id"), "therapy_of_option": m.get("therapy")}
    return out


def _alt_names(d: dict) -> dict[str, str]:
    return {str(a.get("id")): str(a.get("alteration", a.get("id"))) for a in d.get("alterations", [])}


def diff_results(old: dict, new: dict) -> SampleDiff:
    """What changed between two results of one sample."""
    tumor = (new.get("tumor_type") or {}).get("code", "")
    sd = SampleDiff(str(new.get("sample", old.get("sample", ""))), str(tumor))
    old_tumor = (old.get("tumor_type") or {}).get("code", "")
    if old_tumor != tumor:
        sd.tumor_type_change = f"tumor type {old_tumor} -> {tumor}"
    oa, na = _alt_names(old), _alt_names(new)
    om = {_key(m): m for m in old.get("matches", [])}
    nm = {_key(m): m for m in new.get("matches", [])}
    sd.added = [_brief(nm[k], na) for k in nm if k not in om]
    sd.removed = [_brief(om[k], oa) for k in om if k not in nm]
    for k in nm.keys() & om.keys():
        a, b = om[k], nm[k]
        # regulatory_status (when present) changes with a new approval even at the same tier
        if any(a.get(k) != b.get(k) for k in ("tier", "level", "regulatory_status")):
            sd.tier_changes.append({
                "evidence_id": b.get("evidence_id"), "therapy": b.get("therapy"),
                "alterations": [na.get(x, x) for x in b.get("alterations", [])],
                "old_tier": a.get("tier"), "new_tier": b.get("tier"),
                "old_level": a.get("level"), "new_level": b.get("level"),
                "old_regulatory_status": a.get("regulatory_status"),
                "new_regulatory_status": b.get("regulatory_status"),
                "old_why": a.get("why"), "new_why": b.get("why")})
    sd.tier_changes.sort(key=lambda c: str(c["evidence_id"]))
    orr = {_key(m): m for m in old.get("resistance", [])}
    nr = {_key(m): m for m in new.get("resistance", [])}
    sd.resistance_added = [_brief(nr[k], na) for k in nr if k not in orr]
    sd.resistance_removed = [_brief(orr[k], oa) for k in orr if k not in nr]
    oq, nq = _qualifiers(old.get("matches", [])), _qualifiers(new.get("matches", []))
    sd.counter_added = [nq[k] for k in nq if k not in oq]
    sd.counter_removed = [oq[k] for k in oq if k not in nq]
    sd.alterations_added = [na[k] for k in na if k not in oa]
    sd.alterations_removed = [oa[k] for k in oa if k not in na]
    okb, nkb = old.get("knowledgebase") or {}, new.get("knowledgebase") or {}
    if okb.get("version") != nkb.get("version"):
        sd.provenance.append(f"knowledgebase version {okb.get('version')} -> {nkb.get('version')}")
    if okb.get("checksum") != nkb.get("checksum"):
        sd.provenance.append(f"knowledgebase checksum {str(okb.get('checksum'))[:12]} -> "
                             f"{str(nkb.get('checksum'))[:12]}")
    if old.get("varmatch_version") != new.get("varmatch_version"):
        sd.provenance.append(f"varmatch {old.get('varmatch_version')} -> "
                             f"{new.get('varmatch_version')}")
    return sd


def exit_code(diffs: Iterable[SampleDiff]) -> int:
    statuses = {d.status for d in diffs}
    if CLINICAL in statuses:
        return EXIT_CLINICAL
    return EXIT_PROVENANCE if PROVENANCE in statuses else EXIT_UNCHANGED


# --------------------------------------------------------------------------------------------------
def load_results(path: str | Path) -> list[dict]:
    """The result dicts of one ``*.varmatch.json`` file (one sample or a list)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", p) from None
    except ValueError as exc:
        raise InputError(f"not JSON ({exc}); expected a varmatch result (*.varmatch.json)",
                         p) from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(d, dict) and "sample" in d and "matches" in d
                            for d in items):
        raise InputError("not a varmatch result: expected an object with 'sample' and 'matches' "
                         "(varmatch run --formats json)", p)
    return items


def diff_sets(old: Iterable[dict], new: Iterable[dict]) -> list[SampleDiff]:
    """Pair results by sample name; samples on one side only are listed as new or missing."""
    o = {str(d["sample"]): d for d in old}
    n = {str(d["sample"]): d for d in new}
    out = []
    for s in sorted(o.keys() | n.keys()):
        if s not in o:
            out.append(SampleDiff(s, str((n[s].get("tumor_type") or {}).get("code", "")), only=NEW))
        elif s not in n:
            out.append(SampleDiff(s, str((o[s].get("tumor_type") or {}).get("code", "")),
                                  only=MISSING))
        else:
            out.append(diff_results(o[s], n[s]))
    return out


def results_in(folder: str | Path) -> list[dict]:
    """Every result in ``*.varmatch.json`` files of a folder (and its ``samples/`` subfolder, the
    layout of ``varmatch cohort``)."""
    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder of varmatch results")
    files = sorted(root.glob("*.varmatch.json")) + sorted(root.glob("samples/*.varmatch.json"))
    return [d for f in files for d in load_results(f)]


# --------------------------------------------------------------------------------------------------
def _opt(mark: str, m: dict) -> str:
    alts = ", ".join(m.get("alterations") or [])
    return (f"  {mark} {m.get('therapy')} [{m.get('evidence_id')}] for {alts}: Tier {m.get('tier')}, "
            f"level {m.get('level')}" + (f"\n      {m['why']}" if m.get("why") else ""))


def text_report(diffs: list[SampleDiff]) -> str:
    """The readable summary, one block per patient."""
    lines = []
    for d in diffs:
        lines.append(f"{d.sample} ({d.tumor_type or 'tumor type unknown'}): {d.status}")
        if d.tumor_type_change:
            lines.append(f"  ! {d.tumor_type_change}")
        lines += [_opt("+ option added:", m) for m in d.added]
        lines += [_opt("- option removed:", m) for m in d.removed]
        for c in d.tier_changes:
            lines.append(f"  ~ tier changed: {c['therapy']} [{c['evidence_id']}] for "
                         f"{', '.join(c['alterations'] or [])}: Tier {c['old_tier']} (level "
                         f"{c['old_level']}) -> Tier {c['new_tier']} (level {c['new_level']})")
            if c["old_regulatory_status"] != c["new_regulatory_status"]:
                lines.append(f"      regulatory status: {c['old_regulatory_status']} -> "
                             f"{c['new_regulatory_status']}")
            lines.append(f"      before: {c['old_why']}")
            lines.append(f"      after:  {c['new_why']}")
        lines += [_opt("+ resistance:", m) for m in d.resistance_added]
        lines += [_opt("- resistance gone:", m) for m in d.resistance_removed]
        lines += [f"  + {q.get('direction', 'counter-evidence')} for {q.get('therapy_of_option')} "
                  f"[{q.get('qualifies')}]: {q.get('evidence_id')} {q.get('summary') or ''}".rstrip()
                  for q in d.counter_added]
        lines += [f"  - {q.get('direction', 'counter-evidence')} gone for "
                  f"{q.get('therapy_of_option')} [{q.get('qualifies')}]: {q.get('evidence_id')}"
                  for q in d.counter_removed]
        lines += [f"  + alteration found: {a}" for a in d.alterations_added]
        lines += [f"  - alteration no longer found: {a}" for a in d.alterations_removed]
        lines += [f"  . {p}" for p in d.provenance]
    n = {s: sum(1 for d in diffs if d.status == s) for s in (CLINICAL, PROVENANCE, UNCHANGED)}
    lines.append(f"{len(diffs)} sample(s): {n[CLINICAL]} with clinically relevant changes, "
                 f"{n[PROVENANCE]} provenance only, {n[UNCHANGED]} unchanged")
    return "\n".join(lines) + "\n"


def json_report(diffs: list[SampleDiff]) -> dict:
    from varmatch import RESEARCH_USE, __version__

    return {"varmatch_version": __version__, "disclaimer": RESEARCH_USE,
            "exit_code": exit_code(diffs), "samples": [d.to_dict() for d in diffs]}


# --------------------------------------------------------------------------------------------------
def alteration_from_dict(a: dict, sample: str) -> Alteration:
    """Rebuild an :class:`~varmatch.models.Alteration` from its JSON form (``alteration_dict``)."""
    v = a.get("variant")
    variant = None
    if isinstance(v, dict):
        variant = Variant(str(v["chrom"]), int(v["pos"]), str(v["ref"]), str(v["alt"]),
                          Build(v["build"]) if v.get("build") else None, v.get("depth"),
                          v.get("alt_depth"), v.get("vaf"), tuple(v.get("filters") or ()),
                          str(v.get("source") or ""))
    return Alteration(
        gene=str(a["gene"]), type=AlterationType(a.get("type", "mutation")),
        consequence=Consequence(a["consequence"]) if a.get("consequence") else None,
        protein=ProteinChange.parse(a["hgvs_p"]) if a.get("hgvs_p") else None,
        hgvs_c=a.get("hgvs_c"), transcript=a.get("transcript"), exon=a.get("exon"),
        variant=variant, copy_number=a.get("copy_number"), partner=a.get("partner"),
        annotation_source=str(a.get("annotation_source") or ""), sample=sample)


def rerun(results_dir: str | Path, opts) -> tuple[list, list[SampleDiff]]:
    """Re-match every stored result of ``results_dir`` with ``opts`` (its ``kb_path`` is the
    current knowledgebase); returns the new results and the diffs against the stored ones.

    Reads ``*.varmatch.json`` (alterations and tumor type) and, for samples with no JSON,
    ``*.varmatch.alterations.tsv`` (tumor type from ``opts.tumor_type``; nothing to diff against).
    """
    from varmatch.pipeline import Engine
    from varmatch.readers import SampleCalls

    root = Path(results_dir)
    old = results_in(root)
    tables = sorted(root.glob("*.varmatch.alterations.tsv")) + sorted(
        root.glob("samples/*.varmatch.alterations.tsv"))
    if not old and not tables:
        raise UsageError(f"{root}: no *.varmatch.json or *.varmatch.alterations.tsv results to "
                         "re-match")
    engine = Engine(opts)
    new = []
    for d in old:
        sample = str(d["sample"])
        try:
            alts = [alteration_from_dict(a, sample) for a in d.get("alterations", [])]
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"sample {sample}: an alteration cannot be read back ({exc}); "
                             "re-run from the input file instead", d.get("input")) from None
        sc = SampleCalls(sample=sample, source=str(d.get("input") or ""),
                         build=_build(d.get("genome_build")), alterations=alts)
        tumor = (d.get("tumor_type") or {}).get("code") or opts.tumor_type
        new.append(engine.result(sc, str(d.get("input") or ""), tumor))
    seen = {str(d["sample"]) for d in old}
    for t in tables:
        for sc in engine.samples(t, _table_opts(opts)):
            if sc.sample not in seen:
                new.append(engine.result(sc, str(t), opts.tumor_type))
    from varmatch.writers.json_writer import result_dict

    return new, diff_sets(old, [result_dict(r) for r in new])


def _build(text):
    return Build(text) if text in ("GRCh37", "GRCh38") else None


def _table_opts(opts):
    from dataclasses import replace

    return replace(opts, input_format="table")
