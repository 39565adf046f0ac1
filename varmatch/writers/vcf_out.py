"""Annotated VCF writer (format ``vcf``): the input records with varmatch INFO fields.

For a VCF/VCF.gz/BCF input every record of the input is written (read with pysam, re-serialised
by htslib, so e.g. ``6.0`` may be written ``6``; the values are unchanged), and each ALT allele that
varmatch turned into a pathway alteration gets these Number=A INFO fields (``.`` for the other
ALTs of a multi-allelic record):

========================  =====================================================================
``VM_GENE``               gene symbol
``VM_HGVSP``              HGVS protein change, 1-letter (``p.E17K``)
``VM_HGVSC``              HGVS coding change (``c.49G>A``)
``VM_ONCOGENICITY``       ``oncogenic``, ``likely_oncogenic``, ``VUS`` or ``likely_benign``
``VM_TIER``               best AMP/ASCO/CAP tier of the alteration (I-IV) for the tumor type
``VM_DRUGS``              therapies with sensitivity evidence, best first, ``|``-separated
``VM_RESISTANCE``         therapies with resistance evidence, ``|``-separated
========================  =====================================================================

Header lines ``##varmatch_version``, ``##varmatch_kb`` (version), ``##varmatch_kb_checksum``,
``##varmatch_tumor_type`` and ``##varmatch_sample`` say what produced them. Inside values, spaces
become ``_`` and ``+`` joins combination partners (``capivasertib+fulvestrant``); ``,;=%`` are
percent-encoded (VCF 4.3 style).

When the input is not a VCF (an alteration table, stdin that is gone, an unreadable path), a
minimal sites-only VCF is written instead: one record per alteration with genomic coordinates
(``Alteration.variant``) with the call's FILTER, the same INFO fields plus ``VM_VAF`` and
``VM_DP``, contigs declared without lengths, and a ``##varmatch_note`` line naming the alterations left out for lack of
coordinates. Both forms pass ``bcftools view``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from varmatch import __version__
from varmatch.models import Alteration, Direction, Match, SampleResult, Tier
from varmatch.normalize import trim
from varmatch.tiers import alteration_tier
from varmatch.writers import register

log = logging.getLogger(__name__)

# (ID, Number, Type, Description) of the INFO fields every annotated VCF declares.
INFO_FIELDS: list[tuple[str, str, str, str]] = [
    ("VM_GENE", "A", "String", "varmatch: gene of the pathway alteration this ALT allele makes"),
    ("VM_HGVSP", "A", "String", "varmatch: HGVS protein change, 1-letter (p.E17K)"),
    ("VM_HGVSC", "A", "String", "varmatch: HGVS coding DNA change"),
    ("VM_ONCOGENICITY", "A", "String",
     "varmatch: oncogenicity (oncogenic, likely_oncogenic, VUS, likely_benign)"),
    ("VM_TIER", "A", "String",
     "varmatch: best AMP/ASCO/CAP 2017 tier of the alteration for the tumor type (I-IV)"),
    ("VM_DRUGS", "A", "String",
     "varmatch: therapies with sensitivity evidence, best-ranked first, separated by |"),
    ("VM_RESISTANCE", "A", "String",
     "varmatch: therapies with resistance evidence, separated by |"),
]
MINIMAL_EXTRA_FIELDS: list[tuple[str, str, str, str]] = [
    ("VM_VAF", "A", "Float", "varmatch: variant allele fraction in the tumor sample"),
    ("VM_DP", "1", "Integer", "varmatch: read depth at the site in the tumor sample"),
]
_VCF_SUFFIXES = (".vcf", ".vcf.gz", ".vcf.bgz", ".bcf")


# --------------------------------------------------------------------------------------------------
def info_value(text: object) -> str:
    """One INFO value: no whitespace, and ``%``, ``,``, ``;``, ``=`` percent-encoded."""
    s = str(text).replace(" + ", "+")
    s = s.replace("%", "%25").replace(",", "%2C").replace(";", "%3B").replace("=", "%3D")
    return re.sub(r"\s+", "_", s.strip())


def _meta_value(text: object) -> str:
    """A value for a ``##key=value`` header line: one line, no angle brackets."""
    return re.sub(r"[\s<>]+", "_", str(text)).strip("_") or "."


def _therapies(a: Alteration, matches: Iterable[Match], direction: Direction) -> str | None:
    seen: list[str] = []
    for m in sorted(matches, key=lambda m: m.sort_key()):
        if m.evidence.direction is direction and a in m.alterations:
            t = info_value(m.evidence.therapy)
            if t not in seen:
                seen.append(t)
    return "|".join(seen) if seen else None


def annotation(a: Alteration, r: SampleResult) -> dict[str, str | None]:
    """The varmatch INFO values of one alteration (None = missing)."""
    matches = list(r.matches)
    onc = a.oncogenicity.value if a.oncogenicity else None
    return {
        "VM_GENE": info_value(a.gene),
        "VM_HGVSP": info_value(f"p.{a.protein}") if a.protein else None,
        "VM_HGVSC": info_value(a.hgvs_c) if a.hgvs_c else None,
        "VM_ONCOGENICITY": info_value(onc) if onc else None,
        "VM_TIER": alteration_tier(a, matches).value,
        "VM_DRUGS": _therapies(a, matches, Direction.SENSITIVITY),
        "VM_RESISTANCE": _therapies(a, matches, Direction.RESISTANCE),
    }


def _merge(old: dict[str, str | None], new: dict[str, str | None]) -> dict[str, str | None]:
    """Two annotations of one allele (several samples, or two alterations): keep the best tier,
    join the rest."""
    out = dict(old)
    for key, value in new.items():
        if value is None or value == out.get(key):
            continue
        if out.get(key) is None:
            out[key] = value
        elif key in ("VM_VAF", "VM_DP"):
            continue  # one number per site: the first sample's
        elif key == "VM_TIER":
            out[key] = min((out[key], value), key=lambda t: Tier(t).rank)  # type: ignore[arg-type]
        else:
            parts = [*str(out[key]).split("|"), *value.split("|")]
            out[key] = "|".join(dict.fromkeys(parts))
    return out


def _allele_key(chrom: str, pos: int, ref: str, alt: str) -> tuple[str, int, str, str]:
    p, r, a = trim(pos, ref, alt)
    return chrom.removeprefix("chr"), p, r, a


def allele_annotations(results: list[SampleResult]) -> dict[tuple[str, int, str, str], dict]:
    """(chrom without 'chr', trimmed pos, ref, alt) -> INFO values, over all results."""
    out: dict[tuple[str, int, str, str], dict] = {}
    for r in results:
        for a in r.alterations:
            v = a.variant
            if v is None:
                continue
            key = _allele_key(v.chrom, v.pos, v.ref, v.alt)
            ann = annotation(a, r)
            out[key] = _merge(out[key], ann) if key in out else ann
    return out


def _meta_lines(results: list[SampleResult]) -> list[tuple[str, str]]:
    lines = [("varmatch_version", __version__)]
    for key, values in (
        ("varmatch_kb", [r.kb_version or "unversioned" for r in results]),
        ("varmatch_kb_checksum", [f"sha256:{r.kb_checksum}" for r in results if r.kb_checksum]),
        ("varmatch_tumor_type", [r.tumor_type for r in results]),
        ("varmatch_sample", [r.sample for r in results]),
    ):
        for v in dict.fromkeys(values):
            lines.append((key, _meta_value(v)))
    return lines


# --------------------------------------------------------------------------------------------------
def _open_input(results: list[SampleResult]):
    """The pysam VariantFile of the (single) input when it is a readable VCF/BCF, else None."""
    paths = {r.input_path for r in results}
    if len(paths) != 1:
        return None
    from varmatch.writers import SPOOLED

    path = Path(SPOOLED.get(next(iter(paths)), next(iter(paths))))  # "-": the copy of stdin
    if str(path) == "-" or not path.is_file():
        return None
    if not path.name.lower().endswith(_VCF_SUFFIXES):
        with open(path, "rb") as fh:
            head = fh.read(64)
        if not (head.startswith(b"##fileformat=VCF") or head.startswith(b"\x1f\x8b")):
            return None
    import pysam

    try:
        vf = pysam.VariantFile(str(path))
    except (OSError, ValueError) as exc:
        log.info("%s is not readable as VCF (%s); writing a minimal VCF", path, exc)
        return None
    if vf.format not in ("VCF", "BCF"):
        vf.close()
        return None
    return vf


def _write_annotated(vf, results: list[SampleResult], fh) -> None:
    header = vf.header
    for rid, number, typ, desc in INFO_FIELDS:
        if rid not in header.info:
            header.info.add(rid, number, typ, desc)
    for key, value in _meta_lines(results):
        header.add_meta(key, value)
    anns = allele_annotations(results)
    fh.write(str(header))
    for rec in vf:
        alts = rec.alts or ()
        per_allele = [anns.get(_allele_key(rec.chrom, rec.pos, rec.ref or "", alt))
                      for alt in alts]
        if any(per_allele):
            for rid, *_ in INFO_FIELDS:
                values = [a.get(rid) if a else None for a in per_allele]
                if any(v is not None for v in values):
                    rec.info[rid] = tuple(values)
                elif rid in rec.info:
                    del rec.info[rid]
        fh.write(str(rec))


def _contig_order(chrom: str) -> tuple[int, str]:
    name = chrom.removeprefix("chr")
    if name.isdigit():
        return int(name), ""
    return {"X": 23, "Y": 24, "M": 25, "MT": 25}.get(name, 99), name


def _write_minimal(results: list[SampleResult], fh) -> None:
    rows: dict[tuple[str, int, str, str], dict] = {}
    filters: dict[tuple[str, int, str, str], tuple[str, ...]] = {}
    missing: list[str] = []
    builds = set()
    for r in results:
        if r.build:
            builds.add(r.build.value)
        for a in r.alterations:
            v = a.variant
            if v is None or not v.ref or not v.alt or not re.fullmatch(r"[ACGTNacgtn]+", v.ref):
                missing.append(f"{r.sample}:{a}")
                continue
            key = (v.chrom, v.pos, v.ref.upper(), v.alt.upper())
            ann = annotation(a, r) | {
                "VM_VAF": f"{v.vaf:.4g}" if v.vaf is not None else None,
                "VM_DP": str(v.depth) if v.depth is not None else None,
            }
            rows[key] = _merge(rows[key], ann) if key in rows else ann
            filters.setdefault(key, tuple(f for f in v.filters if re.fullmatch(r"[\w.-]+", f)))
    fields = INFO_FIELDS + MINIMAL_EXTRA_FIELDS
    lines = ["##fileformat=VCFv4.2", f"##source=varmatch {__version__}".replace(" ", "_")]
    if len(builds) == 1:
        lines.append(f"##reference={next(iter(builds))}")
    contigs = sorted({k[0] for k in rows}, key=_contig_order)
    lines += [f"##contig=<ID={c}>" for c in contigs]
    lines += [f'##INFO=<ID={i},Number={n},Type={t},Description="{d}">' for i, n, t, d in fields]
    lines += [f"##{k}={v}" for k, v in _meta_lines(results)]
    lines += [f'##FILTER=<ID={f},Description="FILTER value of the input call">'
              for f in sorted({f for fs in filters.values() for f in fs} - {"PASS"})]
    lines.append("##varmatch_note=minimal_VCF:_the_input_VCF_was_not_available_(an_alteration_"
                 "table,_stdin_or_a_missing_file);_one_record_per_alteration_with_coordinates")
    if missing:
        lines.append("##varmatch_note=not_written_(no_genomic_coordinates):_"
                     + _meta_value(", ".join(missing)))
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    for key in sorted(rows, key=lambda k: (_contig_order(k[0]), k[1], k[2], k[3])):
        chrom, pos, ref, alt = key
        ann = rows[key]
        info = ";".join(f"{i}={ann[i]}" for i, *_ in fields if ann.get(i) is not None) or "."
        filt = ";".join(f for f in filters.get(key, ()) if f != "PASS") or "PASS"
        lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\t{info}")
    fh.write("\n".join(lines) + "\n")


@register("vcf", "vcf", "the input VCF records with varmatch INFO fields (gene, HGVSp, oncogenicity, tier, drugs)")
def write_vcf(results: list[SampleResult], fh) -> None:
    vf = _open_input(results)
    if vf is None:
        _write_minimal(results, fh)
        return
    try:
        _write_annotated(vf, results, fh)
    finally:
        vf.close()
