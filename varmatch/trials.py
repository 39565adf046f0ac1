"""Clinical trials: ask ClinicalTrials.gov (API v2) for recruiting studies that fit a sample.

Takes a :class:`~varmatch.models.SampleResult` (its actionable alterations and the drugs they
matched) and gives a :class:`~varmatch.models.TrialSearch`: the queries sent and the studies found,
each classified by what its own text names (the alteration > the gene, pathway, drug or drug class
> only the condition) and ranked in that order.

Online and optional: nothing here runs unless ``--trials`` is given. Responses are cached on disk
with a time-to-live; requests have timeouts, retries with backoff and honour HTTP 429
``Retry-After``; paging through ``nextPageToken`` stops at a cap. Any failure (offline, server
error, malformed reply) gives ``TrialSearch(checked=False, reason=...)`` and the run goes on: a
report must never show "no trials" when the registry was not asked.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from varmatch import __version__
from varmatch.errors import UsageError
from varmatch.models import (
    Alteration,
    AlterationType,
    Direction,
    SampleResult,
    Tier,
    Trial,
    TrialMatchKind,
    TrialSearch,
)

if TYPE_CHECKING:  # requests is imported when a search runs (it costs ~0.1 s at start-up)
    import requests

log = logging.getLogger(__name__)

DEFAULT_URL = "https://clinicaltrials.gov/api/v2"
ENV_URL = "VARMATCH_CTGOV_URL"
USER_AGENT = f"varmatch/{__version__} (+research use)"
STATUSES = ("RECRUITING", "NOT_YET_RECRUITING")
PHASES = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4")
# Fields asked for: what the report shows plus the text the match kind is read from.
FIELDS = ("NCTId", "BriefTitle", "OfficialTitle", "OverallStatus", "Phase", "StudyType",
          "Condition", "Keyword", "InterventionName", "InterventionOtherName", "BriefSummary",
          "EligibilityCriteria", "LocationCountry")
WIDE_CONDITION = "solid tumor"  # tumor-agnostic (basket) designs
NOT_REQUESTED = "not requested (run with --trials to search ClinicalTrials.gov)"

# Pathway phrases a study may name instead of the alteration (lower case, matched as words).
PATHWAY_PHRASES = ("PI3K/AKT/mTOR", "PI3K/AKT", "PI3K pathway", "AKT pathway", "mTOR pathway",
                   "PIK3CA/AKT1/PTEN")


class TrialsUnavailable(Exception):
    """The registry could not be asked or gave an unusable answer (message = the reason)."""


@dataclass(frozen=True)
class TrialsConfig:
    base_url: str = DEFAULT_URL
    cache_dir: str | None = None  # None: the user cache directory (see default_cache_dir)
    ttl: float = 24 * 3600.0  # seconds a cached response stays fresh
    phases: tuple[str, ...] = ()  # empty: any phase
    country: str | None = None
    near: str | None = None  # "LAT,LON,DISTANCE" e.g. "22.3,114.2,200km"
    timeout: float = 20.0  # seconds, for connecting and for each read
    retries: int = 3  # further attempts after a timeout, 429 or 5xx
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    max_wait: float = 120.0  # a Retry-After longer than this gives up instead of waiting
    page_size: int = 50
    max_pages: int = 4  # per query; a note says when more results were left unread


def config_from_options(url: str | None, cache: str | None, phases: Iterable[str] = (),
                        country: str | None = None, near: str | None = None) -> TrialsConfig:
    """Validate the ``--trial*`` options into a config (usage errors for bad values)."""
    norm = []
    for p in phases:
        key = p.strip().upper().replace(" ", "")
        key = {"0": "EARLY_PHASE1", "EARLY1": "EARLY_PHASE1"}.get(key, key)
        key = key if key.startswith(("PHASE", "EARLY_")) else f"PHASE{key}"
        if key not in PHASES:
            raise UsageError(f"--trial-phase {p!r}: choose from 1, 2, 3, 4, early1")
        norm.append(key)
    if near is not None and not re.fullmatch(
            r"\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*,\s*\d+(\.\d+)?\s*(km|mi)\s*", near):
        raise UsageError(f"--trial-near {near!r}: give LAT,LON,DISTANCE with km or mi, "
                         "e.g. 22.3,114.2,200km")
    base = (url or os.environ.get(ENV_URL) or DEFAULT_URL).rstrip("/")
    if not re.match(r"https?://", base):
        raise UsageError(f"--trials-url {base!r}: give an http(s) URL such as {DEFAULT_URL}")
    return TrialsConfig(base_url=base, cache_dir=cache, phases=tuple(norm), country=country,
                        near=near.replace(" ", "") if near else None)


def default_cache_dir() -> Path:
    """``trials`` in the user cache (:func:`varmatch.kb.cache_dir`)."""
    from varmatch.kb import cache_dir

    return cache_dir() / "trials"


# --------------------------------------------------------------------------------------------------
class Cache:
    """One JSON file per request URL (named by its SHA-256), fresh for ``ttl`` seconds."""

    def __init__(self, root: str | Path, ttl: float, clock: Callable[[], float] = time.time):
        self.root, self.ttl, self.clock = Path(root), ttl, clock

    def _path(self, key: str) -> Path:
        return self.root / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def get(self, key: str) -> dict | None:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            if entry["key"] == key and self.clock() - float(entry["stored"]) < self.ttl:
                return entry["data"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # absent, unreadable or stale: ask the registry
        return None

    def put(self, key: str, data: dict) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": key, "stored": self.clock(), "data": data}, fh)
            os.replace(tmp, self._path(key))
        except OSError as exc:  # a read-only cache must not stop the run
            log.warning("trials cache %s not writable (%s); continuing without it", self.root, exc)


class Client:
    """GET ``<base>/studies`` with a cache, timeouts, retries, 429 handling and paging."""

    def __init__(self, cfg: TrialsConfig, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        import requests

        self.cfg = cfg
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.cache = Cache(cfg.cache_dir or default_cache_dir(), cfg.ttl)
        self.sleep = sleep

    def _get(self, params: dict[str, str]) -> dict:
        import requests

        url = f"{self.cfg.base_url}/studies"
        key = requests.Request("GET", url, params=sorted(params.items())).prepare().url or url
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        problem = ""
        for attempt in range(self.cfg.retries + 1):
            wait = self.cfg.backoff * 2 ** attempt
            try:
                resp = self.session.get(url, params=params,
                                        timeout=(self.cfg.timeout, self.cfg.timeout))
            except requests.Timeout:
                problem = f"no answer from {self.cfg.base_url} within {self.cfg.timeout:g} s"
            except requests.RequestException as exc:  # refused, no route, DNS: offline
                raise TrialsUnavailable(f"cannot reach {self.cfg.base_url} "
                                        f"({exc.__class__.__name__}; offline?)") from None
            else:
                if resp.status_code == 200:
                    data = _parse(resp)
                    self.cache.put(key, data)
                    return data
                problem = f"{self.cfg.base_url} answered HTTP {resp.status_code}"
                if resp.status_code == 429:
                    wait = retry_after(resp.headers.get("Retry-After"), default=wait)
                    if wait > self.cfg.max_wait:
                        raise TrialsUnavailable(f"{problem} (rate limited; asked to wait "
                                                f"{wait:g} s)")
                elif resp.status_code < 500:
                    raise TrialsUnavailable(f"{problem}: {resp.text[:200].strip()}")
            if attempt < self.cfg.retries:
                log.info("trials: %s; retrying in %.1f s", problem, wait)
                self.sleep(wait)
        tries = self.cfg.retries + 1
        raise TrialsUnavailable(f"{problem} (after {tries} attempt{'s' if tries > 1 else ''})")

    def search(self, params: dict[str, str]) -> tuple[list[dict], bool]:
        """All studies of a query, page by page; True when the page cap left some unread."""
        studies: list[dict] = []
        params = dict(params, pageSize=str(self.cfg.page_size))
        for _ in range(self.cfg.max_pages):
            data = self._get(params)
            studies.extend(data.get("studies", []))
            token = data.get("nextPageToken")
            if not token:
                return studies, False
            params = dict(params, pageToken=str(token))
        return studies, True


def _parse(resp: requests.Response) -> dict:
    try:
        data = resp.json()
    except ValueError as exc:
        raise TrialsUnavailable(f"the answer from {resp.url} is not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("studies", []), list) or not all(
            isinstance(s, dict) for s in data.get("studies", [])):
        raise TrialsUnavailable(f"the answer from {resp.url} is not an API v2 study list")
    return data


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return default
    if value.strip().isdigit():
        return float(value.strip())
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    return default


# --------------------------------------------------------------------------------------------------
@dataclass
class Terms:
    """What a study's text may name for one alteration, and the query built from it."""

    alteration: str
    biomarker: list[str]  # the alteration itself, in the spellings studies use
    pathway: list[str] = field(default_factory=list)  # gene, pathway, drugs, drug classes


def terms_for(a: Alteration, drugs: Iterable[str], kb_drugs: dict[str, dict]) -> Terms:
    g = a.gene
    if a.type is AlterationType.MUTATION and a.protein is not None:
        p = str(a.protein)
        biomarker = [f"{g} {p}", f"{g} p.{p}", f"{g} {a.protein.three_letter[2:]}"]
    elif a.type is AlterationType.AMPLIFICATION:
        biomarker = [f"{g} amplification", f"{g} amplified"]
    elif a.type is AlterationType.DELETION:
        biomarker = [f"{g} loss", f"{g} deletion", f"{g} deleted"]
    elif a.type is AlterationType.FUSION:
        biomarker = [f"{g} fusion"] + ([f"{g}-{a.partner}", f"{g}::{a.partner}"] if a.partner else [])
    else:
        biomarker = [f"{g} mutation", f"{g} mutated"]
    pathway = [f"{g} mutation", f"{g} mutated", f"{g} mutant", f"{g} altered", f"{g} alteration",
               g, *PATHWAY_PHRASES]
    for d in sorted(set(drugs)):
        info = kb_drugs.get(d, {}) if isinstance(kb_drugs.get(d), dict) else {}
        pathway.append(d)
        pathway += [str(s) for s in info.get("synonyms", []) or []]
        cls = str(info.get("class", "")).split("(")[0].strip()
        if cls:
            pathway.append(cls)
    return Terms(str(a), _unique(biomarker), [t for t in _unique(pathway) if t not in biomarker])


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _or(terms: Iterable[str]) -> str:
    return " OR ".join(f'"{t}"' if re.search(r"[\s/:.-]", t) else t for t in terms)


def _pattern(terms: Iterable[str]) -> re.Pattern:
    """Whole-word, case-insensitive; spaces in a term also match '-', ':' or no space, and a
    protein change may be written with or without ``p.``."""
    parts = [r"[\s:_-]*".join(r"(?:p\.)?" + re.escape(w.removeprefix("p.")) for w in t.split())
             for t in terms]
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(parts) + r")(?![A-Za-z0-9])", re.I)


def condition_terms(tumor_type: str, tumor_name: str, parent: str | None) -> list[str]:
    """Condition words for an OncoTree code: its name ("Nasopharyngeal Carcinoma"), or
    "<organ> cancer" for an organ-level code; nothing for the root (unknown tumor type)."""
    if not parent:
        return []
    name = tumor_name.lower()
    return [f"{name} cancer" if parent == "TISSUE" else name]


def queries_for(t: Terms, conditions: list[str], cfg: TrialsConfig) -> list[tuple[str, dict]]:
    """(label, params) of the searches for one alteration: with the patient's condition (any
    term), and widened to solid tumors (only studies naming the alteration)."""
    base = {"filter.overallStatus": ",".join(STATUSES), "countTotal": "true",
            "fields": ",".join(FIELDS)}
    advanced = ["AREA[StudyType]INTERVENTIONAL"]
    if cfg.phases:
        advanced.append("AREA[Phase](" + " OR ".join(cfg.phases) + ")")
    base["filter.advanced"] = " AND ".join(advanced)
    if cfg.country:
        base["query.locn"] = cfg.country
    if cfg.near:
        base["filter.geo"] = f"distance({cfg.near})"
    out = []
    if conditions:
        cond = _or(conditions)
        out.append((f"{t.alteration}: condition {cond}; terms {_or(t.biomarker + t.pathway)}",
                    base | {"query.cond": cond, "query.term": _or(t.biomarker + t.pathway)}))
    out.append((f"{t.alteration}: condition \"{WIDE_CONDITION}\"; terms {_or(t.biomarker)}",
                base | {"query.cond": _or([WIDE_CONDITION]), "query.term": _or(t.biomarker)}))
    return out


# --------------------------------------------------------------------------------------------------
def _module(study: dict, name: str) -> dict:
    ps = study.get("protocolSection") or {}
    mod = ps.get(name) if isinstance(ps, dict) else None
    return mod if isinstance(mod, dict) else {}


def _strings(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def classify(study: dict, t: Terms) -> tuple[TrialMatchKind, list[str], str]:
    """What the study's own text names for this alteration: (kind, terms named, caution).

    Text read: titles, summary, keywords, conditions, interventions and the inclusion part of the
    eligibility criteria. A biomarker named only under "Exclusion Criteria" does not count; it is
    reported as a caution instead.
    """
    ident, desc = _module(study, "identificationModule"), _module(study, "descriptionModule")
    arms = _module(study, "armsInterventionsModule")
    elig = str(_module(study, "eligibilityModule").get("eligibilityCriteria") or "")
    parts = re.split(r"(?i)exclusion criteria", elig, maxsplit=1)
    inclusion, exclusion = parts[0], (parts[1] if len(parts) > 1 else "")
    interventions = [i for i in arms.get("interventions") or [] if isinstance(i, dict)]
    text = "\n".join([
        str(ident.get("briefTitle") or ""), str(ident.get("officialTitle") or ""),
        str(desc.get("briefSummary") or ""), inclusion,
        *_strings(_module(study, "conditionsModule").get("keywords")),
        *_strings(_module(study, "conditionsModule").get("conditions")),
        *[str(i.get("name") or "") for i in interventions],
        *[o for i in interventions for o in _strings(i.get("otherNames"))],
    ])
    caution = ""
    if _pattern(t.biomarker).search(exclusion) and not _pattern(t.biomarker).search(text):
        caution = f"its exclusion criteria name {t.alteration}"
    for kind, terms in ((TrialMatchKind.BIOMARKER, t.biomarker), (TrialMatchKind.PATHWAY, t.pathway)):
        found = sorted({m.group(0) for m in _pattern(terms).finditer(text)}, key=str.lower) if terms else []
        if found:
            return kind, found, caution
    return TrialMatchKind.CONDITION, [], caution


def to_trial(study: dict, t: Terms) -> Trial | None:
    """A :class:`Trial`, or None when the study is not an open interventional one."""
    status = _module(study, "statusModule").get("overallStatus")
    design = _module(study, "designModule")
    nct = _module(study, "identificationModule").get("nctId")
    if not nct or status not in STATUSES or design.get("studyType", "INTERVENTIONAL") != "INTERVENTIONAL":
        return None
    kind, found, caution = classify(study, t)
    locations = _module(study, "contactsLocationsModule").get("locations") or []
    return Trial(
        nct_id=str(nct), title=str(_module(study, "identificationModule").get("briefTitle") or ""),
        phases=tuple(_strings(design.get("phases"))), status=str(status),
        conditions=tuple(_strings(_module(study, "conditionsModule").get("conditions"))),
        interventions=tuple(str(i.get("name")) for i in
                            _module(study, "armsInterventionsModule").get("interventions") or []
                            if isinstance(i, dict) and i.get("name")),
        alterations=(t.alteration,), kind=kind, matched=tuple(found),
        countries=tuple(sorted({str(loc.get("country")) for loc in locations
                                if isinstance(loc, dict) and loc.get("country")})),
        caution=caution,
    )


def _phase_rank(t: Trial) -> int:
    """Later phase first; 'NA' and unknown last."""
    return -max((PHASES.index(p) for p in t.phases if p in PHASES), default=-1)


def rank(trials: Iterable[Trial]) -> list[Trial]:
    """Merge a study found for several alterations, then biomarker > pathway/drug class >
    condition only; within a kind: no caution first, later phase, recruiting, NCT id."""
    merged: dict[str, Trial] = {}
    for t in trials:
        old = merged.get(t.nct_id)
        if old is None:
            merged[t.nct_id] = t
            continue
        best, other = (t, old) if t.kind.rank < old.kind.rank else (old, t)
        merged[t.nct_id] = replace(
            best, alterations=tuple(_unique([*best.alterations, *other.alterations])),
            matched=tuple(_unique([*best.matched, *other.matched])),
            caution=best.caution if best.kind is not TrialMatchKind.CONDITION else "")
    return sorted(merged.values(), key=lambda t: (t.kind.rank, bool(t.caution), _phase_rank(t),
                                                  t.status != "RECRUITING", t.nct_id))


def actionable(r: SampleResult) -> list[tuple[Alteration, list[str]]]:
    """Alterations with a tier I/II sensitivity match, with the drugs they matched."""
    out: dict[tuple, tuple[Alteration, list[str]]] = {}
    for m in r.matches:
        if m.evidence.direction is not Direction.SENSITIVITY or m.tier not in (Tier.I, Tier.II):
            continue
        for a in m.alterations:
            out.setdefault(a.key, (a, []))[1].extend(m.evidence.drugs)
    return list(out.values())


def search_trials(r: SampleResult, cfg: TrialsConfig, kb_drugs: dict[str, dict],
                  conditions: list[str], client: Client | None = None) -> TrialSearch:
    """Search the registry for one sample; never raises for network or server trouble."""
    targets = actionable(r)
    if not targets:
        return TrialSearch(False, "no actionable pathway alteration to search trials for")
    client = client or Client(cfg)
    labels, found, capped = [], [], False
    try:
        for a, drugs in targets:
            t = terms_for(a, drugs, kb_drugs)
            for label, params in queries_for(t, conditions, cfg):
                labels.append(label)
                studies, more = client.search(params)
                capped |= more
                found += [x for x in (to_trial(s, t) for s in studies) if x is not None]
    except TrialsUnavailable as exc:
        log.warning("trials not checked: %s", exc)
        return TrialSearch(False, str(exc), tuple(labels))
    ranked = rank(found)
    if cfg.country:  # the server filters by location; keep the local check for cached answers
        ranked = [t for t in ranked if not t.countries or
                  any(cfg.country.lower() == c.lower() for c in t.countries)]
    reason = (f"ClinicalTrials.gov API v2 at {cfg.base_url}: {len(ranked)} recruiting or "
              "not-yet-recruiting interventional stud" + ("y" if len(ranked) == 1 else "ies"))
    if capped:
        reason += f"; more results than {cfg.max_pages} pages of {cfg.page_size}, not all read"
    return TrialSearch(True, reason, tuple(labels), tuple(ranked))


def attach(r: SampleResult, cfg: TrialsConfig, kb_drugs: dict[str, dict], tree) -> SampleResult:
    """``r`` with its trial search (the pipeline calls this when ``--trials`` is given)."""
    conditions = condition_terms(r.tumor_type, r.tumor_type_name, tree.parent(r.tumor_type))
    return replace(r, trials=search_trials(r, cfg, kb_drugs, conditions))


def trials_dict(s: TrialSearch | None) -> dict:
    """The JSON form (top-level ``trials`` of a result)."""
    if s is None:
        return {"checked": False, "reason": NOT_REQUESTED, "queries": [], "studies": []}
    return {
        "checked": s.checked,
        "reason": s.reason if s.checked else f"trials not checked: {s.reason}",
        "queries": list(s.queries),
        "studies": [{
            "nct_id": t.nct_id, "url": t.url, "title": t.title, "phases": list(t.phases),
            "status": t.status, "conditions": list(t.conditions),
            "interventions": list(t.interventions), "alterations": list(t.alterations),
            "match_kind": t.kind.value, "matched_terms": list(t.matched),
            "countries": list(t.countries), "caution": t.caution or None,
        } for t in s.trials],
    }
