"""Fusion readers: STAR-Fusion, Arriba, simple fusion lists, and Ion Reporter VCF fusion breakends.

Takes (tab-separated, plain or gzipped):

* **STAR-Fusion** ``star-fusion.fusion_predictions(.abridged).tsv`` (STAR-Fusion 1.x):
  ``#FusionName  JunctionReadCount  SpanningFragCount  ...  LeftGene  LeftBreakpoint  RightGene
  RightBreakpoint ...``; gene names ``TSC2^ENSG00000103197.12`` are cut at ``^``. The gene columns
  are authoritative (``FusionName`` is used only when they are missing). STAR-Fusion writes only
  fusions that passed its own filters, so every row is kept;
* **Arriba** ``fusions.tsv`` (Arriba 1.x/2.x): ``#gene1  gene2  strand1(gene/fusion) ...
  breakpoint1  breakpoint2 ... confidence ...``. ``low`` confidence calls are excluded with the
  reason (``include_filtered`` keeps them); intergenic sides (``GENE(1234),GENE2(567)``) name
  the nearest genes and are skipped as not a gene fusion;
* **simple fusion lists** (PCGR ``fusions.tsv``: ``FusionGene  LeftBreakpoint  RightBreakpoint
  SplitReads``; or a ``fusion``/``fusion_name`` column) with ``A--B`` / ``A::B`` names; an empty
  side (``--ALK``) leaves the partner unknown;
* **Ion Reporter / Oncomine VCF** fusion breakend pairs (``SVTYPE=Fusion``, ``GENE_NAME`` or
  ``FUNC`` gene per side, IDs ``A-B.xxx_1`` / ``_2``) through :func:`fusions_from_vcf`, called by
  the VCF reader; ``FILTER`` ``FAIL``/``NOCALL`` pairs are excluded with Ion Reporter's
  ``FAIL_REASON``/``NOCALL_REASON``.

Gives one :class:`Alteration` (type FUSION, ``gene`` = the pathway gene, ``partner`` = the other
gene) per pathway gene side of each fusion, de-duplicated per gene pair (STAR-Fusion lists each
breakpoint pair separately). The sample is the file name stem. Not read: read counts beyond the
confidence decision, reading frame, breakpoint exons, expression-imbalance (5'/3') assays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from varmatch.errors import FormatError, InputError
from varmatch.models import Alteration, AlterationType, Consequence, ExcludedCall
from varmatch.readers import SampleCalls, head_bytes, register
from varmatch.readers.maf import open_text

_SEP = re.compile(r"--|::")


def _first_line(head: bytes) -> list[str]:
    for line in head.decode("utf-8", "replace").splitlines():
        if line.strip():
            return [c.strip() for c in line.rstrip("\r\n").split("\t")]
    return []


def flavour(cols: list[str]) -> str | None:
    """'star', 'arriba', 'list' or None for a header line (leading '#' kept)."""
    if not cols:
        return None
    names = [c.lstrip("#") for c in cols]
    low = [c.lower() for c in names]
    if "FusionName" in names and ("LeftGene" in names or "LeftBreakpoint" in names):
        return "star"
    if low[:2] == ["gene1", "gene2"] and "breakpoint1" in low and "breakpoint2" in low:
        return "arriba"
    if any(c in low for c in ("fusiongene", "fusion", "fusion_name", "fusionname")) and (
            "leftbreakpoint" in low or "rightbreakpoint" in low or "splitreads" in low
            or "gene1" in low or len(low) <= 6):
        return "list"
    return None


def _sniff(path: Path, head: bytes) -> bool:
    return flavour(_first_line(head)) is not None


def clean_gene(name: str) -> str:
    """``TSC2^ENSG00000103197.12`` -> ``TSC2``; ``"TSC2 "`` -> ``TSC2``."""
    return name.strip().split("^")[0].strip()


def fusion_alterations(left: str, right: str, genes: frozenset[str] | None, source: str,
                       sample: str, ordered: bool = True) -> list[Alteration]:
    """One FUSION alteration per side whose gene is a pathway gene (all sides if ``genes`` is
    None). ``ordered``: the caller wrote ``left`` as the 5' partner (STAR-Fusion LeftGene, Arriba
    gene1, GENE1--GENE2 / GENE1::GENE2 names), so the fusion is named 5'::3' (HGVS/HGNC) whichever
    side is the pathway gene; otherwise the order is recorded as not stated."""
    out = []
    for gene, partner in ((left, right), (right, left)):
        if not gene or (genes is not None and gene not in genes):
            continue
        if gene == partner:
            continue  # a readthrough / self-fusion names no partner gene
        out.append(Alteration(gene=gene, type=AlterationType.FUSION, consequence=Consequence.FUSION,
                              partner=partner or None, annotation_source=source, sample=sample,
                              five_prime=(left or None) if ordered and partner else None))
    return out


@register("fusion", _sniff, "fusions: STAR-Fusion, Arriba, simple fusion lists (PCGR)")
def read_fusions(
    path: Path,
    include_filtered: bool = False,
    genes: frozenset[str] | None = None,
    **_ignored,
) -> Iterator[SampleCalls]:
    head = head_bytes(path)
    if not head.strip():
        raise InputError("file is empty; expected a STAR-Fusion, Arriba or fusion list", path)
    kind = flavour(_first_line(head))
    if kind is None:
        raise FormatError("not a fusion table: expected a STAR-Fusion (#FusionName ... LeftGene), "
                          "Arriba (#gene1 gene2 ... breakpoint1) or FusionGene header", path, 1)
    sample = path.name.split(".")[0]
    source = {"star": "STAR-Fusion", "arriba": "Arriba", "list": "fusion list"}[kind]
    sc = SampleCalls(sample=sample, source=str(path), annotation_source=source)
    seen: set[tuple[str, str]] = set()
    with open_text(path) as fh:
        header: list[str] = []
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            cells = [c.strip() for c in line.rstrip("\r\n").split("\t")]
            if not header:
                header = [c.lstrip("#").lower() for c in cells]
                continue
            if line.startswith("#"):
                continue
            if len(cells) < len(header):
                cells += [""] * (len(header) - len(cells))
            row = dict(zip(header, cells))
            left, right, reason = _row(kind, row, path, n, include_filtered)
            if left is None:
                continue
            key = (left, right)
            if key in seen:
                continue
            seen.add(key)
            alts = fusion_alterations(left, right or "", genes, source, sample)
            for alt in alts:
                if reason:
                    sc.excluded.append(ExcludedCall(str(alt), reason, f"{path.name}:{n}"))
                else:
                    sc.alterations.append(alt)
    if not header:
        raise FormatError("no header line", path, 1)
    yield sc


def _row(kind: str, row: dict[str, str], path: Path, n: int,
         include_filtered: bool) -> tuple[str | None, str | None, str | None]:
    """(5' gene, 3' gene, exclusion reason) of one data row; (None, None, None) to skip it."""
    if kind == "star":
        left, right = clean_gene(row.get("leftgene", "")), clean_gene(row.get("rightgene", ""))
        if not left and not right:
            name = row.get("fusionname", "")
            parts = _SEP.split(name)
            if len(parts) != 2:
                raise FormatError(f"FusionName {name!r} is not GENE1--GENE2", path, n)
            left, right = clean_gene(parts[0]), clean_gene(parts[1])
        return left, right, None
    if kind == "arriba":
        g1, g2 = row.get("gene1", ""), row.get("gene2", "")
        if not g1 or not g2:
            raise FormatError("Arriba row without gene1/gene2", path, n)
        if "(" in g1 or "(" in g2 or "," in g1 or "," in g2:
            return None, None, None  # intergenic breakpoint: not a gene fusion
        conf = row.get("confidence", "").lower()
        reason = None
        if conf == "low" and not include_filtered:
            reason = "Arriba confidence=low (use --include-filtered to keep)"
        return clean_gene(g1), clean_gene(g2), reason
    name = next((row[c] for c in ("fusiongene", "fusion", "fusion_name", "fusionname")
                 if row.get(c)), "")
    if not name:
        raise FormatError("empty fusion name", path, n)
    parts = _SEP.split(name)
    if len(parts) != 2:
        raise FormatError(f"fusion {name!r} is not GENE1--GENE2 or GENE1::GENE2", path, n)
    left, right = clean_gene(parts[0]), clean_gene(parts[1])
    if not left and not right:
        raise FormatError(f"fusion {name!r} names no gene", path, n)
    return left, right, None


# --------------------------------------------------------------------------------------------------
def fusions_from_vcf(path: Path, out: SampleCalls, include_filtered: bool = False,
                     genes: frozenset[str] | None = None, **_ignored) -> None:
    """Add the fusions of an Ion Reporter VCF's breakend pairs (``SVTYPE=Fusion``) to ``out``.

    Read only when the header declares ``##ALT=<ID=Fusion``. The two records of a pair share an
    ID up to ``_1``/``_2``; each names its gene in ``GENE_NAME`` (or ``FUNC``). A pair whose
    FILTER is not PASS goes to ``out.excluded`` with the reason Ion Reporter gives.
    """
    header = head_bytes(path, 1 << 20).decode("utf-8", "replace")
    if not re.search(r"^##ALT=<ID=Fusion\b", header, re.M):
        return
    from cyvcf2 import VCF

    try:
        vcf = VCF(str(path), lazy=True, threads=1)
    except Exception as exc:  # noqa: BLE001 - cyvcf2 raises bare Exception
        raise FormatError(f"not a readable VCF ({exc})", path, 1) from None
    pairs: dict[str, dict] = {}
    from varmatch.readers.vcf_fields import checked, header_line_count

    line = header_line_count(path)
    for rec in checked(vcf, path):  # a malformed record: FormatError naming its line
        line += 1
        if str(rec.INFO.get("SVTYPE") or "") != "Fusion":
            continue
        rid = rec.ID or f"{rec.CHROM}:{rec.POS}"
        base = re.sub(r"_[12]$", "", rid)
        gene = rec.INFO.get("GENE_NAME")
        if not gene:
            m = re.search(r"'gene'\s*:\s*'([^']+)'", str(rec.INFO.get("FUNC") or ""))
            gene = m.group(1) if m else None
        p = pairs.setdefault(base, {"genes": [], "filters": set(), "reasons": [], "line": line})
        if gene:
            p["genes"].append(str(gene))
        p["filters"].add(rec.FILTER or "PASS")
        for tag in ("FAIL_REASON", "NOCALL_REASON"):
            r = rec.INFO.get(tag)
            if r and str(r) not in p["reasons"]:
                p["reasons"].append(str(r))
    for base, p in pairs.items():
        names = list(dict.fromkeys(p["genes"]))
        # Oncomine fusion IDs name the 5' gene first ("MAGI3-AKT3.M10A3", "TMPRSS2-ERG.T1E4")
        m = re.match(r"([A-Za-z0-9.]+)-([A-Za-z0-9.]+)\.", base)
        ordered = bool(m) and (len(names) < 2 or set(names[:2]) == {m.group(1), m.group(2)})
        if ordered:
            names = [m.group(1), m.group(2)]
        if len(names) < 2:
            continue
        left, right = names[0], names[1]
        bad = sorted(f for f in p["filters"] if f != "PASS")
        for alt in fusion_alterations(left, right, genes, "Ion Reporter", out.sample, ordered):
            if bad and not include_filtered:
                why = f"FILTER={';'.join(bad)}"
                if p["reasons"]:
                    why += f" ({'; '.join(p['reasons'])})"
                out.excluded.append(ExcludedCall(f"{alt} ({base})", why + " (use --include-filtered "
                                                 "to keep)", f"{path.name}:{p['line']}"))
            else:
                out.alterations.append(alt)
