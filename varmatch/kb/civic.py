"""The CIViC layer: map a CIViC release onto varmatch evidence rows, load it, refresh it.

CIViC (https://civicdb.org, CC0) publishes monthly TSV releases. :func:`import_release` reads one
(``ClinicalEvidenceSummaries``, ``MolecularProfileSummaries``, ``VariantSummaries``) and keeps every
accepted *Predictive* evidence item whose molecular profile involves a pathway gene, mapped onto the
varmatch row schema, or lists it as unmapped with the reason. ``scripts/import_civic.py`` calls it
to write the bundled layer (``knowledgebase/civic/``); ``varmatch kb update civic`` calls it on a
downloaded release and writes the layer into the user cache.

The mapping (README "Knowledgebase" documents it):

* **Biomarker**: one CIViC variant name onto one varmatch specifier, never wider than the name:
  ``E545K`` exact, ``H1047``/``H1047X`` codon, ``V317FS`` a frameshift at that codon,
  ``MUTATION`` an oncogenic mutation (no copy number, no fusion), ``LOSS-OF-FUNCTION``,
  ``FRAMESHIFT TRUNCATION``, ``AMPLIFICATION``, ``DELETION``, ``EXON N MUTATION`` when CIViC gives
  the exon's coordinates on the Ensembl transcript; ``A AND B`` all_of, ``A OR B`` any_of.
  Expression, protein loss (IHC), wild type and anything else: unmapped.
* **Disease**: DOID onto OncoTree through ``doid_oncotree.tsv`` (derived table, one basis per row);
  a DOID without a code keeps the CIViC disease name and counts as another tumor type.
* **Direction**: Supports + Sensitivity/Response = sensitivity; Supports + Resistance or Reduced
  Sensitivity = resistance; Does Not Support + Sensitivity/Response = counter-evidence.
  Does Not Support + Resistance (the variant does not cause resistance) has no varmatch direction.
* **Level**: CIViC A -> A (kind validated_association) for an exact variant only, C for a codon
  or broader biomarker (a label's companion test lists variants; others are not level A); B -> C
  (clinical_study: CIViC B is any multi-patient clinical data, not AMP's "well-powered studies with
  consensus"); C -> D (case_report); D -> D (preclinical); E -> D (inferential).
* **Therapies**: Combination and Sequential -> one row (first pathway drug in ``drugs``, the rest
  ``partners``); Substitutes -> one row per drug (``EIDn.1``, ``EIDn.2``...).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from varmatch.errors import KnowledgebaseError

CIVIC_BASE_URL = "https://civicdb.org/downloads"
TABLES = {
    "evidence": "ClinicalEvidenceSummaries.tsv",
    "profiles": "MolecularProfileSummaries.tsv",
    "variants": "VariantSummaries.tsv",
}
LAYER_FILE = "evidence.json"
DISEASE_MAP = "doid_oncotree.tsv"

_LEVEL = {  # CIViC level -> (varmatch level, evidence kind)
    "A": ("A", "validated_association"),
    "B": ("C", "clinical_study"),
    "C": ("D", "case_report"),
    "D": ("D", "preclinical"),
    "E": ("D", "inferential"),
}
_CLASS_NAMES = {
    "MUTATION": "oncogenic_mutation",
    "LOSS-OF-FUNCTION": "loss_of_function",
    "LOSS OF FUNCTION": "loss_of_function",
    "FRAMESHIFT TRUNCATION": "frameshift",
    "AMPLIFICATION": "amplification",
    "DELETION": "deletion",
}
_NOT_DNA = {
    "LOSS": "protein/expression loss (IHC or copy number in the source): not a DNA call "
            "varmatch can make faithfully",
    "EXPRESSION": "expression level: not a DNA alteration",
    "OVEREXPRESSION": "expression level: not a DNA alteration",
    "UNDEREXPRESSION": "expression level: not a DNA alteration",
    "WILDTYPE": "wild type: varmatch matches alterations, not their absence",
}
_EXACT = re.compile(r"^([ACDEFGHIKLMNPQRSTVWY])(\d+)([ACDEFGHIKLMNPQRSTVWY*])$")
_CODON = re.compile(r"^([ACDEFGHIKLMNPQRSTVWY])(\d+)X?$")
_FS = re.compile(r"^([ACDEFGHIKLMNPQRSTVWY])(\d+)FS$")
_EXON = re.compile(r"^EXON (\d+) MUTATION$")


@dataclass
class Layer:
    """A mapped CIViC release: rows (varmatch schema + a ``civic`` block) and unmapped items."""

    release: str  # e.g. "01-Aug-2024"
    rows: list[dict]
    unmapped: list[dict]
    drugs: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # table -> sha256 of the input file

    @property
    def release_date(self) -> str:
        return release_date(self.release)

    def to_json(self) -> dict:
        return {"source": "CIViC (https://civicdb.org), CC0 1.0", "release": self.release,
                "release_date": self.release_date, "input_sha256": self.sources,
                "drugs": self.drugs, "rows": self.rows, "unmapped": self.unmapped}


def release_date(release: str) -> str:
    """'01-Aug-2024' -> '2024-08-01' (a 'nightly' or unknown name is returned as it is)."""
    try:
        return datetime.strptime(release, "%d-%b-%Y").date().isoformat()
    except ValueError:
        return release


# --------------------------------------------------------------------------------------------------
def read_disease_map(path) -> dict[str, dict]:
    """doid (no prefix) -> {oncotree_code, requirement, basis} from ``doid_oncotree.tsv``."""
    text = Path(path).read_text(encoding="utf-8") if isinstance(path, (str, Path)) else path.read_text(encoding="utf-8")
    rows = csv.DictReader((ln for ln in text.splitlines() if not ln.startswith("#")), delimiter="\t")
    return {r["doid"]: r for r in rows}


def _tsv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def _split_profile(name: str) -> tuple[str, list[str]] | None:
    """'PIK3CA E545K AND MTOR E2419K' -> ('all_of', ['PIK3CA E545K', 'MTOR E2419K'])."""
    has_and, has_or = " AND " in name, " OR " in name
    if has_and and has_or:
        return None
    if has_and:
        return "all_of", name.split(" AND ")
    if has_or:
        return "any_of", name.split(" OR ")
    return "single", [name]


def biomarker_for(gene: str, variant: str, vrow: dict | None) -> tuple[dict | None, str]:
    """One CIViC variant onto a varmatch biomarker, or (None, reason)."""
    name = variant.strip().upper()
    node: dict = {"gene": gene}
    if m := _EXACT.match(name):
        node["protein_change"] = f"{m[1]}{m[2]}{m[3]}"
    elif m := _CODON.match(name):
        node["codon"] = int(m[2])
    elif m := _FS.match(name):
        node["protein_change"] = f"{m[1]}{m[2]}fs"
    elif name in _CLASS_NAMES:
        node["class"] = _CLASS_NAMES[name]
    elif m := _EXON.match(name):
        coords = vrow and vrow.get("start") and "exon_variant" in vrow.get("variant_types", "")
        if not coords:
            return None, ("exon number without exon coordinates in CIViC: legacy and Ensembl "
                          "exon numbering differ, so the exon cannot be placed")
        node["exon"] = int(m[1])
    elif name in _NOT_DNA:
        return None, _NOT_DNA[name]
    else:
        return None, f"variant name {variant!r} has no faithful biomarker form"
    return node, ""


def _drugs_and_partners(therapies: list[str], pathway_drugs: set[str]) -> tuple[list[str], list[str]]:
    drugs = [t for t in therapies if t in pathway_drugs] or therapies[:1]
    return drugs[:1], [t for t in therapies if t != drugs[0]]


def _summary(row: dict, therapy: str, disease: str) -> str:
    stars = f", rating {row['rating']}/5" if row.get("rating") else ""
    return (f"CIViC EID{row['evidence_id']} (level {row['evidence_level']}{stars}): "
            f"{row['evidence_direction']} {row['significance']} of {row['molecular_profile']} "
            f"to {therapy} in {disease or 'an unspecified disease'} "
            f"({row.get('variant_origin') or 'origin not stated'}).")


def import_release(evidence_text: str, profiles_text: str, variants_text: str, release: str,
                   genes: Iterable[str], disease_map: dict[str, dict], known_codes: Iterable[str],
                   pathway_drugs: Iterable[str] = ()) -> Layer:
    """Map one CIViC release (the three TSV texts) onto a :class:`Layer`."""
    genes = set(genes)
    codes = set(known_codes)
    pathway_drugs = {d.lower() for d in pathway_drugs}
    variants = {r["variant_id"]: r for r in _tsv(variants_text)}
    profiles = {r["molecular_profile_id"]: r for r in _tsv(profiles_text)}
    rows: list[dict] = []
    unmapped: list[dict] = []
    drugs_seen: set[str] = set()
    rel_date = release_date(release)
    for ev in _tsv(evidence_text):
        if ev.get("evidence_type") != "Predictive" or ev.get("evidence_status") != "accepted":
            continue
        profile = ev["molecular_profile"]
        prof = profiles.get(ev["molecular_profile_id"], {})
        vrows = [variants[v.strip()] for v in prof.get("variant_ids", "").split(",")
                 if v.strip() in variants]
        mp_genes = {v["gene"] for v in vrows} | {w for w in re.split(r"[\s:]+", profile) if w in genes}
        if not (mp_genes & genes):
            continue

        def skip(reason: str, ev=ev, profile=profile) -> None:
            unmapped.append({"eid": f"EID{ev['evidence_id']}", "profile": profile,
                             "disease": ev["disease"], "therapies": ev["therapies"],
                             "direction": ev["evidence_direction"],
                             "significance": ev["significance"], "reason": reason})

        split = _split_profile(profile)
        if split is None:
            skip("profile mixes AND and OR")
            continue
        op, parts = split
        nodes: list[dict] = []
        why = ""
        for part in parts:
            gene, _, var = part.strip().partition(" ")
            if gene not in genes:
                if op == "any_of":
                    continue  # an OR member outside the pathway: narrowing, never widening
                why = f"needs {part.strip()}, outside the pathway genes varmatch assesses"
                break
            vrow = next((v for v in vrows if v["gene"] == gene and v["variant"].upper() == var.upper()), None)
            node, why = biomarker_for(gene, var, vrow)
            if node is None:
                break
            nodes.append(node)
        if why or not nodes:
            skip(why or "no member of the profile names a pathway gene")
            continue
        if op == "single" or len(nodes) == 1:
            biomarker = nodes[0]
        else:
            biomarker = {op: nodes}
        if op != "single":
            biomarker["label"] = f"{profile} (CIViC)"

        direction = {("Supports", "Sensitivity/Response"): "sensitivity",
                     ("Supports", "Resistance"): "resistance",
                     ("Supports", "Reduced Sensitivity"): "resistance",
                     ("Does Not Support", "Sensitivity/Response"): "counter-evidence",
                     }.get((ev["evidence_direction"], ev["significance"]))
        if direction is None:
            skip(f"{ev['evidence_direction']} {ev['significance']}: no varmatch direction "
                 "(it says the variant does not confer resistance, or is about toxicity)")
            continue
        level, kind = _LEVEL[ev["evidence_level"]]
        note = ""
        if ev["evidence_level"] == "A" and "protein_change" not in biomarker:
            level = "C"
            note = ("CIViC level A for a codon or gene-wide biomarker: an approval's companion test "
                    "lists specific variants, so the row is imported at level C; exact variants "
                    "keep level A.")

        doid = ev.get("doid", "").strip()
        dm = disease_map.get(doid)
        tumor = dm["oncotree_code"] if dm and dm.get("oncotree_code") in codes else ""
        requirements = [dm["requirement"]] if dm and dm.get("requirement") else []
        citations = []
        if ev.get("source_type") == "PubMed" and ev.get("citation_id", "").isdigit():
            citations.append(f"PMID:{ev['citation_id']}")
        nct = [n.strip() for n in ev.get("nct_ids", "").split(",") if re.fullmatch(r"NCT\d{8}", n.strip())]
        citations += nct
        if not citations:
            skip(f"no identifier varmatch accepts ({ev.get('source_type')} {ev.get('citation_id')})")
            continue

        therapies = [t.strip() for t in ev["therapies"].split(",") if t.strip()]
        if not therapies:
            skip("no therapy named")
            continue
        interaction = ev.get("therapy_interaction_type", "")
        if interaction == "Substitutes" and len(therapies) > 1:
            options = [([t.lower()], []) for t in therapies]
        else:
            d, p = _drugs_and_partners([t.lower() for t in therapies], pathway_drugs)
            options = [(d, p)]
        civic = {
            "eid": int(ev["evidence_id"]),
            "url": ev.get("evidence_civic_url", ""),
            "profile": profile,
            "profile_url": ev.get("molecular_profile_civic_url", ""),
            "variant_urls": [v["variant_civic_url"] for v in vrows if v.get("variant_civic_url")],
            "disease": ev["disease"],
            "doid": f"DOID:{doid}" if doid else "",
            "level": ev["evidence_level"],
            "direction": ev["evidence_direction"],
            "significance": ev["significance"],
            "rating": int(ev["rating"]) if ev.get("rating", "").isdigit() else None,
            "interaction": interaction,
            "origin": ev.get("variant_origin", ""),
            "nct_ids": nct,
            "asco_abstract_id": ev.get("asco_abstract_id", ""),
            "statement": ev.get("evidence_statement", ""),
        }
        for i, (d, p) in enumerate(options, 1):
            drugs_seen.update(d + p)
            rid = f"EID{ev['evidence_id']}" + (f".{i}" if len(options) > 1 else "")
            therapy = " + ".join(d + p)
            row = {"id": rid, "biomarker": biomarker, "drugs": d, "direction": direction,
                   "tumor_type": tumor, "kind": kind, "level": level, "citations": citations,
                   "summary": _summary(ev, therapy, ev["disease"]), "curated": rel_date,
                   "civic": civic}
            if p:
                row["partners"] = p
            if requirements:
                row["requirements"] = requirements
            if note:
                row["note"] = note
            rows.append(row)
    return Layer(release, rows, unmapped, sorted(drugs_seen))


def import_dir(folder: Path, release: str, **kw) -> Layer:
    """:func:`import_release` on ``folder/<release>-<table>`` files; records their sha256."""
    texts, sums = {}, {}
    for key, table in TABLES.items():
        node = Path(folder) / f"{release}-{table}"
        if not node.is_file():
            raise KnowledgebaseError(f"{node}: missing CIViC table {table}")
        data = node.read_bytes()
        sums[node.name] = hashlib.sha256(data).hexdigest()
        texts[key] = data.decode("utf-8")
    layer = import_release(texts["evidence"], texts["profiles"], texts["variants"], release, **kw)
    layer.sources = sums
    return layer


def write_layer(layer: Layer, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / LAYER_FILE).write_text(json.dumps(layer.to_json(), indent=1, sort_keys=False) + "\n",
                                  encoding="utf-8")
    (out / "UNMAPPED.md").write_text(unmapped_report(layer), encoding="utf-8")


def unmapped_report(layer: Layer) -> str:
    from collections import Counter

    by_reason = Counter(u["reason"] for u in layer.unmapped)
    lines = [f"# CIViC {layer.release}: predictive pathway evidence items not imported",
             "", "Generated by `scripts/import_civic.py` / `varmatch kb update civic`; do not edit.",
             "", f"Imported rows: {len(layer.rows)}. Items not imported: {len(layer.unmapped)}.", "",
             "| reason | items |", "|---|---:|"]
    lines += [f"| {r} | {n} |" for r, n in by_reason.most_common()]
    lines += ["", "| EID | molecular profile | disease | therapies | direction | reason |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {u['eid']} | {u['profile']} | {u['disease']} | {u['therapies']} | "
              f"{u['direction']} {u['significance']} | {u['reason']} |" for u in layer.unmapped]
    no_code = sorted({(r["civic"]["disease"], r["civic"]["doid"]) for r in layer.rows
                      if not r["tumor_type"]})
    lines += ["", "## Diseases without an OncoTree code (imported as another tumor type)", ""]
    lines += [f"- {d} ({doid or 'no DOID'})" for d, doid in no_code]
    return "\n".join(lines) + "\n"


def read_layer(node) -> dict:
    """The JSON of a layer directory (a Path or an importlib Traversable)."""
    f = node / LAYER_FILE
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgebaseError(f"{f}: unreadable CIViC layer ({exc})") from exc


def diff(old_rows: list[dict], new_rows: list[dict]) -> tuple[list[str], list[str], list[str]]:
    """Row ids added, removed and changed between two layers."""
    old = {r["id"]: r for r in old_rows}
    new = {r["id"]: r for r in new_rows}
    added = sorted(set(new) - set(old), key=_eid_key)
    removed = sorted(set(old) - set(new), key=_eid_key)
    changed = sorted((k for k in set(old) & set(new) if old[k] != new[k]), key=_eid_key)
    return added, removed, changed


def _eid_key(rid: str) -> tuple[int, str]:
    m = re.match(r"EID(\d+)(.*)", rid)
    return (int(m[1]), m[2]) if m else (0, rid)


def today() -> str:
    return date.today().isoformat()


# --------------------------------------------------------------------------------------------------
# `varmatch kb update civic`: download a newer release, map it, validate it, cache it.
RELEASE_RE = re.compile(r"^(\d{2}-[A-Z][a-z]{2}-\d{4}|nightly|latest)$")
# later CIViC monthly releases call the evidence table "AcceptedClinicalEvidenceSummaries"
_EVIDENCE_ALIASES = ("ClinicalEvidenceSummaries.tsv", "AcceptedClinicalEvidenceSummaries.tsv")
_REQUIRED = {
    "evidence": {"molecular_profile", "molecular_profile_id", "disease", "doid", "therapies",
                 "evidence_type", "evidence_direction", "evidence_level", "significance",
                 "citation_id", "source_type", "evidence_status", "evidence_id"},
    "profiles": {"molecular_profile_id", "variant_ids"},
    "variants": {"variant_id", "gene", "variant"},
}


@dataclass
class UpdateResult:
    release: str
    folder: Path
    rows: int
    unmapped: int
    added: list[str]
    removed: list[str]
    changed: list[str]


def _check_table(key: str, url: str, text: str) -> None:
    lines = text.splitlines()
    if not lines:
        raise KnowledgebaseError(f"{url}: empty response; kept the current CIViC layer")
    header = lines[0].split("\t")
    missing = _REQUIRED[key] - set(header)
    if missing:
        raise KnowledgebaseError(f"{url}: not a CIViC {key} table (missing columns "
                                 f"{', '.join(sorted(missing))}); kept the current CIViC layer")
    for n, line in enumerate(lines[1:], 2):
        if line and len(line.split("\t")) != len(header):
            raise KnowledgebaseError(f"{url}:{n}: {len(line.split(chr(9)))} fields, header has "
                                     f"{len(header)} (truncated or malformed download); kept the "
                                     "current CIViC layer")


def download_release(release: str, base_url: str, timeout: float = 60.0, retries: int = 2) -> dict[str, str]:
    """The three tables of ``release`` as text. Raises KnowledgebaseError on any failure."""
    import time

    import requests

    from varmatch import __version__

    name = "nightly" if release == "latest" else release
    session = requests.Session()
    session.headers["User-Agent"] = f"varmatch/{__version__}"
    texts = {}
    for key, table in TABLES.items():
        candidates = _EVIDENCE_ALIASES if key == "evidence" else (table,)
        last = ""
        for cand in candidates:
            url = f"{base_url.rstrip('/')}/{name}/{name}-{cand}"
            for attempt in range(retries + 1):
                try:
                    resp = session.get(url, timeout=timeout)
                    if resp.status_code == 404:
                        last = f"{url}: 404 not found"
                        break
                    if resp.status_code >= 500 and attempt < retries:
                        time.sleep(0.5 * (attempt + 1))
                        continue
                    if resp.status_code != 200:
                        raise KnowledgebaseError(f"{url}: HTTP {resp.status_code}; kept the "
                                                 "current CIViC layer")
                    text = resp.content.decode("utf-8")
                    _check_table(key, url, text)
                    texts[key] = text
                    break
                except requests.Timeout as exc:
                    if attempt < retries:
                        continue
                    raise KnowledgebaseError(f"{url}: timed out after {timeout:g} s; kept the "
                                             "current CIViC layer") from exc
                except requests.RequestException as exc:
                    if attempt < retries:
                        time.sleep(0.5 * (attempt + 1))
                        continue
                    reason = type(exc).__name__
                    raise KnowledgebaseError(f"{url}: download failed ({reason}: offline, or the "
                                             "body was cut short); kept the current CIViC "
                                             "layer") from exc
                except UnicodeDecodeError as exc:
                    raise KnowledgebaseError(f"{url}: not UTF-8 text; kept the current CIViC "
                                             "layer") from exc
            if key in texts:
                break
        if key not in texts:
            raise KnowledgebaseError(f"{last or base_url}; no CIViC release {name!r} there; kept "
                                     "the current CIViC layer")
    return texts


def update(release: str, base_url: str, kb, cache: Path, timeout: float = 60.0) -> UpdateResult:
    """Download, map and validate ``release``; on success cache it and make it current."""
    import shutil
    import tempfile

    from varmatch import kb as kbmod
    from varmatch.kb.oncotree import OncoTree

    if not RELEASE_RE.match(release):
        from varmatch.errors import UsageError

        raise UsageError(f"--release {release!r}: give DD-Mon-YYYY (e.g. 01-Aug-2024), nightly "
                         "or latest")
    texts = download_release(release, base_url, timeout)
    root = kbmod._kb_dir(None)
    dmap = read_disease_map(root / "civic" / DISEASE_MAP)
    pathway_drugs = {d for d, v in kb.drugs.items()
                     if isinstance(v, dict) and set(v.get("targets", [])) & set(kb.genes)}
    name = "nightly" if release == "latest" else release
    layer = import_release(texts["evidence"], texts["profiles"], texts["variants"], name,
                           genes=kb.genes, disease_map=dmap, known_codes=OncoTree.bundled().codes(),
                           pathway_drugs=pathway_drugs)
    if name == "nightly":
        layer.release = f"nightly-{today()}"
    layer.sources = {k: hashlib.sha256(t.encode()).hexdigest() for k, t in texts.items()}
    cache = Path(cache) / "civic"
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=cache))
    try:
        write_layer(layer, tmp)
        shutil.copy(root / "civic" / DISEASE_MAP, tmp / DISEASE_MAP)
        problems: list[str] = []
        kbmod.check_civic_folder(tmp, kb, problems)
        if problems:
            raise KnowledgebaseError(f"CIViC {name}: {len(problems)} row(s) fail validation "
                                     f"(first: {problems[0]}); kept the current CIViC layer")
        final = cache / layer.release
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    added, removed, changed = diff([_comparable(r) for r in _current_rows(kb)],
                                   [_comparable(r) for r in layer.rows])
    (cache / "CURRENT").write_text(layer.release + "\n", encoding="utf-8")
    return UpdateResult(layer.release, final, len(layer.rows), len(layer.unmapped),
                        added, removed, changed)


def _current_rows(kb) -> list[dict]:
    from varmatch import kb as kbmod

    folder = kbmod.cached_civic_dir() or (kbmod._kb_dir(None) / "civic")
    try:
        return read_layer(folder).get("rows", [])
    except KnowledgebaseError:
        return []


def _comparable(row: dict) -> dict:
    """A row without what changes with every release (the stamp), for the diff."""
    return {k: v for k, v in row.items() if k != "curated"}
