"""The knowledgebase: loading (importlib.resources or ``--kb DIR``), schema and reference checks.

Takes the curated files under ``knowledgebase/`` (shipped as ``varmatch.knowledgebase``) and gives a
:class:`Knowledgebase` of :class:`~varmatch.models.Evidence` rows plus drugs, genes, references,
clinical context and the manifest (version, date, per-file sha256). Validation is in two passes,
as in biocommons/hgvs: intrinsic (each row against the schema: unknown keys rejected) and
extrinsic (genes, drugs, OncoTree codes and citations resolve); all problems are collected as
``file:row: message``.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from varmatch.errors import KnowledgebaseError
from varmatch.models import (
    AlterationClass,
    Biomarker,
    Citation,
    Direction,
    Evidence,
    EvidenceKind,
    EvidenceLevel,
    ProteinChange,
)

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster

KB_FILES = ("evidence.yaml", "references.yaml", "drugs.yaml", "genes.yaml", "context.yaml",
            "civic/evidence.json", "civic/doid_oncotree.tsv")

CITATION_RE = re.compile(
    r"^(PMID:\d{1,9}|PMC:\d{4,9}|DOI:10\.\d{4,9}/\S+|NCT\d{8}|(FDA|EMA|NMPA):https?://\S+)$"
)

_BIOMARKER_KEYS = {"gene", "protein_change", "codon", "residues", "exon", "class", "any_of",
                   "all_of", "label"}
_SPECIFIERS = ("protein_change", "codon", "residues", "exon", "class")

EVIDENCE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "biomarker", "drugs", "direction", "tumor_type", "kind", "level",
                 "citations", "summary", "curated"],
    "properties": {
        "id": {"type": "string", "pattern": r"^VM\d{4}$"},
        "biomarker": {"$ref": "#/$defs/biomarker"},
        "drugs": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "partners": {"type": "array", "items": {"type": "string"}},
        "direction": {"enum": [d.value for d in Direction]},
        "tumor_type": {"type": "string"},
        "kind": {"enum": [k.value for k in EvidenceKind]},
        "level": {"enum": [lv.value for lv in EvidenceLevel]},
        "regulatory": {"type": "string"},
        "requirements": {"type": "array", "items": {"type": "string"}},
        "citations": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "summary": {"type": "string", "minLength": 10},
        "curated": {"type": "string", "format": "date"},
        "note": {"type": "string"},
        "biomarker_restricted": {"type": "boolean"},
        "population": {"type": "array", "minItems": 1, "items": {"type": "string"}},
    },
    "$defs": {
        "biomarker": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "gene": {"type": "string"},
                "protein_change": {"type": "string"},
                "codon": {"type": "integer", "minimum": 1},
                "residues": {"type": "array", "items": {"type": "integer"}, "minItems": 2,
                             "maxItems": 2},
                "exon": {"type": "integer", "minimum": 1},
                "class": {"enum": [c.value for c in AlterationClass]},
                "any_of": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/biomarker"}},
                "all_of": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/biomarker"}},
                "label": {"type": "string"},
            },
        }
    },
}

# Which evidence kinds can carry which AMP/ASCO/CAP level (in the row's own tumor type).
# A needs an approval or a guideline; case reports and preclinical work are never above D.
ALLOWED_LEVELS = {
    EvidenceKind.REGULATORY: "A",
    EvidenceKind.GUIDELINE: "A",
    EvidenceKind.PHASE3: "BC",
    EvidenceKind.PHASE2: "BCD",
    EvidenceKind.BASKET: "BCD",
    EvidenceKind.PHASE1: "CD",
    EvidenceKind.RETROSPECTIVE: "CD",
    EvidenceKind.CASE_REPORT: "D",
    EvidenceKind.PRECLINICAL: "D",
    # imported CIViC kinds (varmatch.kb.civic): A stays A only for a variant-specific biomarker;
    # B (any multi-patient clinical data) is C; C, D and E are D
    EvidenceKind.VALIDATED: "AC",
    EvidenceKind.CLINICAL: "CD",
    EvidenceKind.INFERENTIAL: "D",
}


@dataclass(frozen=True)
class Manifest:
    version: str
    date: str
    checksums: dict[str, str]

    @property
    def checksum(self) -> str:
        """One sha256 over the per-file checksums: the identity of this knowledgebase copy."""
        text = "".join(f"{k}\t{v}\n" for k, v in sorted(self.checksums.items()))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Knowledgebase:
    root: str
    evidence: tuple[Evidence, ...]
    drugs: dict[str, dict]
    genes: dict[str, dict]
    references: dict[str, dict]
    context: dict[str, dict]
    manifest: Manifest
    problems: list[str] = field(default_factory=list)
    civic_release: str = ""  # release date of the CIViC layer in use ("" when none)
    civic_source: str = ""  # "bundled", or the cache directory of a `kb update civic` layer
    civic_drugs: frozenset[str] = frozenset()
    civic_sha256: str = ""
    imported: tuple[Evidence, ...] = ()  # rows of the imported (CIViC) layer; ``evidence`` is curated

    @property
    def all_evidence(self) -> tuple[Evidence, ...]:
        """Curated rows, then imported rows: what the matcher uses."""
        return self.evidence + self.imported

    @property
    def checksum(self) -> str:
        """The manifest checksum, extended by the CIViC layer when it comes from the cache."""
        if not self.civic_sha256 or self.civic_source == "bundled":
            return self.manifest.checksum
        return hashlib.sha256(f"{self.manifest.checksum}\t{self.civic_sha256}".encode()).hexdigest()

    def gene_roles(self) -> dict[str, str]:
        return {g: d.get("role", "") for g, d in self.genes.items()}

    def preferred_transcripts(self) -> dict[str, set[str]]:
        """Gene -> its canonical (MANE Select) transcript ids, to choose among annotations."""
        return {g: {str(d[k]).split(".")[0] for k in ("refseq", "ensembl") if d.get(k)}
                for g, d in self.genes.items()}

    @property
    def pathway_genes(self) -> frozenset[str]:
        return frozenset(self.genes)


# --------------------------------------------------------------------------------------------------
def _kb_dir(path: str | Path | None):
    if path is not None:
        p = Path(path)
        if not p.is_dir():
            raise KnowledgebaseError(f"--kb {p}: not a directory")
        return p
    try:
        return resources.files("varmatch.knowledgebase")
    except ModuleNotFoundError:
        # running from a source checkout: the package maps knowledgebase/ only when installed
        return Path(__file__).resolve().parents[2] / "knowledgebase"


def _read_yaml(root, name: str, problems: list[str]):
    node = root / name
    if not node.is_file():
        problems.append(f"{name}: missing")
        return None
    try:
        return yaml.load(node.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        problems.append(f"{where}: YAML error: {getattr(exc, 'problem', exc)}")
        return None


def read_manifest(root) -> Manifest:
    node = root / "MANIFEST"
    version, day, sums = "unversioned", "", {}
    if node.is_file():
        for raw in node.read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.startswith("#"):
                continue
            key, _, rest = raw.partition("\t")
            if key == "version":
                version = rest.strip()
            elif key == "date":
                day = rest.strip()
            elif key == "sha256":
                name, _, digest = rest.partition("\t")
                sums[name.strip()] = digest.strip()
    return Manifest(version, day, sums)


def file_checksums(root) -> dict[str, str]:
    out = {}
    for name in (*KB_FILES,):
        node = root / name
        if node.is_file():
            out[name] = hashlib.sha256(node.read_bytes()).hexdigest()
    return out


def write_manifest(root: Path, version: str, day: str | None = None) -> Manifest:
    day = day or date.today().isoformat()
    sums = file_checksums(root)
    lines = ["# varmatch knowledgebase manifest: written by `varmatch kb stamp`; do not edit by hand",
             f"version\t{version}", f"date\t{day}"]
    lines += [f"sha256\t{name}\t{digest}" for name, digest in sorted(sums.items())]
    (root / "MANIFEST").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Manifest(version, day, sums)


# --------------------------------------------------------------------------------------------------
def parse_biomarker(node: dict, where: str, problems: list[str]) -> Biomarker | None:
    if not isinstance(node, dict):
        problems.append(f"{where}: biomarker must be a mapping")
        return None
    unknown = set(node) - _BIOMARKER_KEYS
    if unknown:
        problems.append(f"{where}: unknown biomarker key(s) {sorted(unknown)}")
        return None
    label = str(node.get("label", ""))
    for key in ("any_of", "all_of"):
        if key in node:
            parts = [parse_biomarker(n, where, problems) for n in node[key]]
            if any(p is None for p in parts):
                return None
            return Biomarker(**{key: tuple(parts)}, label=label)  # type: ignore[arg-type]
    specs = [k for k in _SPECIFIERS if k in node]
    if len(specs) > 1:
        problems.append(f"{where}: biomarker has {specs}; give exactly one specifier")
        return None
    gene = node.get("gene")
    if not gene:
        problems.append(f"{where}: biomarker needs a gene")
        return None
    kw: dict = {"gene": str(gene), "label": label}
    try:
        if "protein_change" in node:
            kw["protein"] = ProteinChange.parse(str(node["protein_change"]))
        elif "codon" in node:
            kw["codon"] = int(node["codon"])
        elif "residues" in node:
            a, b = (int(x) for x in node["residues"])
            if a > b:
                raise ValueError(f"residues {a}-{b} run backwards")
            kw["residues"] = (a, b)
        elif "exon" in node:
            kw["exon"] = int(node["exon"])
        elif "class" in node:
            kw["alteration_class"] = AlterationClass(node["class"])
    except (ValueError, TypeError) as exc:
        problems.append(f"{where}: {exc}")
        return None
    return Biomarker(**kw)


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(EVIDENCE_SCHEMA)


def _row_to_evidence(row: dict, where: str, problems: list[str], validator=None,
                     schema: bool = True) -> Evidence | None:
    if isinstance(row.get("curated"), date):  # YAML reads an unquoted date as a date
        row = {**row, "curated": row["curated"].isoformat()}
    errs = []
    if schema:
        validator = validator or _validator()
        errs = sorted(validator.iter_errors(row), key=lambda e: list(e.path))
    for err in errs:
        path = "/".join(str(p) for p in err.path)
        msg = err.message
        if err.validator == "additionalProperties":
            msg = f"unknown key: {msg.split('(')[-1].rstrip(')')}"
        problems.append(f"{where}: {path + ': ' if path else ''}{msg}")
    if errs:
        return None
    biomarker = parse_biomarker(row["biomarker"], where, problems)
    if biomarker is None:
        return None
    curated = row["curated"]
    if isinstance(curated, str):
        try:
            curated = date.fromisoformat(curated)
        except ValueError:
            problems.append(f"{where}: curated {curated!r} is not a YYYY-MM-DD date")
            return None
    return Evidence(
        id=row["id"],
        biomarker=biomarker,
        drugs=tuple(d.lower() for d in row["drugs"]),
        direction=Direction(row["direction"]),
        tumor_type=row["tumor_type"].upper(),
        kind=EvidenceKind(row["kind"]),
        level=EvidenceLevel(row["level"]),
        citations=tuple(Citation(c) for c in row["citations"]),
        summary=row["summary"].strip(),
        curated=curated,
        partners=tuple(p.lower() for p in row.get("partners", ())),
        requirements=tuple(row.get("requirements", ())),
        regulatory=row.get("regulatory", ""),
        biomarker_restricted=row.get("biomarker_restricted", True),
        source_file="evidence.yaml",
        population=tuple(str(c).upper() for c in row.get("population", ())),
    )


def load(path: str | Path | None = None, strict: bool = False, check: bool = True,
         schema: bool | None = None) -> Knowledgebase:
    """Load and validate the knowledgebase; raise :class:`KnowledgebaseError` listing problems.

    ``schema``: check every row against the JSON schema. By default this is done unless the files
    are exactly the ones their MANIFEST was stamped for (`kb stamp` validates before it stamps,
    and `kb validate` always checks): a run then skips 0.2-0.4 s of per-row validation and the
    jsonschema import. The extrinsic checks (genes, drugs, OncoTree codes, citations) always run.
    """
    root = _kb_dir(path)
    problems: list[str] = []
    if schema is None:
        schema = not _stamped(root)
    raw_rows = _read_yaml(root, "evidence.yaml", problems) or []
    drugs = _read_yaml(root, "drugs.yaml", problems) or {}
    genes = _read_yaml(root, "genes.yaml", problems) or {}
    refs = _read_yaml(root, "references.yaml", problems) or {}
    context = _read_yaml(root, "context.yaml", problems) or {}
    if not isinstance(raw_rows, list):
        problems.append("evidence.yaml: top level must be a list of rows")
        raw_rows = []
    evidence: list[Evidence] = []
    seen: set[str] = set()
    civic = _load_civic_layer(root, path is not None, problems, schema)
    for i, row in enumerate(raw_rows, 1):
        where = f"evidence.yaml:{row.get('id', f'row {i}') if isinstance(row, dict) else f'row {i}'}"
        if not isinstance(row, dict):
            problems.append(f"{where}: a row must be a mapping")
            continue
        ev = _row_to_evidence(row, where, problems, schema=schema)
        if ev is None:
            continue
        if ev.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(ev.id)
        evidence.append(ev)
    for ev in civic.get("evidence", ()):
        if ev.id in seen:
            problems.append(f"civic:{ev.id}: duplicate id")
        seen.add(ev.id)
    manifest = read_manifest(root)
    kb = Knowledgebase(str(root), tuple(evidence), drugs, genes, refs, context, manifest,
                       civic_release=civic.get("release", ""), civic_source=civic.get("source", ""),
                       civic_drugs=frozenset(civic.get("drugs", ())),
                       civic_sha256=civic.get("sha256", ""),
                       imported=tuple(civic.get("evidence", ())))
    if check:
        problems += cross_check(kb, strict)
        problems += _manifest_problems(root, manifest, strict)
    kb.problems = problems
    if problems:
        raise KnowledgebaseError(
            f"knowledgebase {root}: {len(problems)} problem(s)",
            problems,
        )
    return kb


def cross_check(kb: Knowledgebase, strict: bool = False) -> list[str]:
    """Extrinsic checks: genes, drugs, OncoTree codes and citations resolve; levels fit kinds."""
    from varmatch.kb.oncotree import OncoTree

    tree = OncoTree.bundled()
    problems = []
    for ev in kb.all_evidence:
        imported = ev.layer == "civic"
        where = f"civic:{ev.id}" if imported else f"evidence.yaml:{ev.id}"
        for gene in sorted(ev.biomarker.genes):
            if gene not in kb.genes:
                problems.append(f"{where}: gene {gene} is not in genes.yaml")
        for drug in (*ev.drugs, *ev.partners):
            if drug not in kb.drugs and not (imported and drug in kb.civic_drugs):
                problems.append(f"{where}: drug {drug!r} is not in drugs.yaml")
        if not (imported and not ev.tumor_type) and not tree.has(ev.tumor_type):
            problems.append(f"{where}: tumor_type {ev.tumor_type} is not an OncoTree code")
        for code in ev.population:
            if not tree.has(code):
                problems.append(f"{where}: population {code} is not an OncoTree code")
        for c in ev.citations:
            if not CITATION_RE.match(c.id):
                problems.append(f"{where}: citation {c.id!r} is not PMID:/PMC:/DOI:/NCT/FDA:<url>")
            elif c.id not in kb.references and not imported:
                # imported rows cite what the source's curators verified (CIViC: PubMed ids)
                problems.append(f"{where}: citation {c.id} is not in references.yaml")
        if ev.level.value not in ALLOWED_LEVELS[ev.kind]:
            problems.append(
                f"{where}: level {ev.level} does not fit evidence kind {ev.kind} "
                f"(allowed: {', '.join(ALLOWED_LEVELS[ev.kind])})"
            )
        if ev.kind is EvidenceKind.REGULATORY and not ev.regulatory:
            problems.append(f"{where}: a regulatory_label row needs regulatory: 'AGENCY YYYY-MM-DD'")
        if strict and len(ev.summary) > 400:
            problems.append(f"{where}: summary longer than 400 characters")
    for ref_id, ref in kb.references.items():
        if not CITATION_RE.match(str(ref_id)):
            problems.append(f"references.yaml:{ref_id}: not a well-formed identifier")
        if strict and not (isinstance(ref, dict) and ref.get("checked")):
            problems.append(f"references.yaml:{ref_id}: says nothing under 'checked'")
    if strict:
        used = {c.id for ev in kb.evidence for c in ev.citations}
        used |= {str(line.get("citation")) for ctx in kb.context.values() if isinstance(ctx, dict)
                 for line in ctx.get("lines", []) if isinstance(line, dict)}
        for ref_id in kb.references:
            if ref_id not in used:
                problems.append(f"references.yaml:{ref_id}: never cited")
    return problems


def _stamped(root) -> bool:
    """Whether every knowledgebase file under ``root`` has the checksum its MANIFEST records."""
    manifest = read_manifest(root)
    return bool(manifest.checksums) and file_checksums(root) == manifest.checksums


def _manifest_problems(root, manifest: Manifest, strict: bool) -> list[str]:
    if not strict:
        return []
    actual = file_checksums(root)
    out = []
    if not manifest.checksums:
        out.append("MANIFEST: missing or empty; run `varmatch kb stamp`")
    for name, digest in actual.items():
        if manifest.checksums.get(name) != digest:
            out.append(f"MANIFEST: checksum of {name} is out of date; run `varmatch kb stamp`")
    return out


@lru_cache(maxsize=4)
def bundled() -> Knowledgebase:
    return load(None)


def get(path: str | Path | None = None) -> Knowledgebase:
    """The knowledgebase at ``path`` (``--kb DIR``), else the bundled one (loaded once)."""
    return load(path) if path else bundled()


# --------------------------------------------------------------------------------------------------
# The CIViC layer (varmatch.kb.civic maps a release; these functions load the mapped layer)
CIVIC_ENV = "VARMATCH_CIVIC"  # "bundled" pins the bundled layer, ignoring `kb update` downloads


def cache_dir() -> Path:
    """VARMATCH_CACHE_DIR, else $XDG_CACHE_HOME/varmatch, else ~/.cache/varmatch."""
    if os.environ.get("VARMATCH_CACHE_DIR"):
        return Path(os.environ["VARMATCH_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "varmatch"


def cached_civic_dir() -> Path | None:
    """The layer written by the last successful `varmatch kb update civic`, if any."""
    current = cache_dir() / "civic" / "CURRENT"
    if not current.is_file():
        return None
    folder = cache_dir() / "civic" / current.read_text(encoding="utf-8").strip()
    return folder if (folder / "evidence.json").is_file() else None


@lru_cache(maxsize=1)
def _civic_schema() -> dict:
    schema = copy.deepcopy(EVIDENCE_SCHEMA)
    schema["properties"]["id"] = {"type": "string", "pattern": r"^EID\d+(\.\d+)?$"}
    schema["properties"]["civic"] = {"type": "object", "required": ["eid", "url"]}
    return schema


def check_civic_folder(folder: Path, kb: Knowledgebase, problems: list[str]) -> None:
    """Validate a freshly mapped layer folder against ``kb`` (schema and extrinsic checks)."""
    layer = _read_civic_folder(folder, "incoming", problems)
    if not layer:
        return
    probe = replace(kb, evidence=(), imported=tuple(layer["evidence"]),
                    civic_drugs=frozenset(layer["drugs"]))
    problems += [p for p in cross_check(probe) if p.startswith("civic:")]


def _load_civic_layer(root, explicit_root: bool, problems: list[str], schema: bool = True) -> dict:
    """Rows of the CIViC layer: ``root/civic``, or the cached update unless pinned. A cached
    (downloaded) layer is always checked against the schema; the stamped bundled one per
    ``schema``."""
    folder, source = root / "civic", "bundled"
    if not explicit_root and os.environ.get(CIVIC_ENV, "").lower() != "bundled":
        cached = cached_civic_dir()
        if cached is not None:
            folder, source, schema = cached, str(cached), True
    return _read_civic_folder(folder, source, problems, schema)


def _read_civic_folder(folder, source: str, problems: list[str], schema: bool = True) -> dict:
    from varmatch.kb import civic as civicmod

    if not (folder / civicmod.LAYER_FILE).is_file():
        return {}
    try:
        data = civicmod.read_layer(folder)
    except KnowledgebaseError as exc:
        problems.append(str(exc))
        return {}
    validator = None
    if schema:
        import jsonschema

        validator = jsonschema.Draft202012Validator(_civic_schema())
    out = []
    for row in data.get("rows", []):
        where = f"civic:{row.get('id', '?')}"
        ev = _row_to_evidence(row, where, problems, validator, schema)
        if ev is not None:
            cv = row["civic"]
            out.append(replace(ev, layer="civic", source_file=f"civic {data.get('release', '')}",
                               source_url=cv.get("url", ""), disease=cv.get("disease", ""),
                               rating=cv.get("rating")))
    digest = hashlib.sha256((folder / civicmod.LAYER_FILE).read_bytes()).hexdigest()
    return {"evidence": out, "release": data.get("release_date", ""), "source": source,
            "drugs": data.get("drugs", []), "sha256": digest}
