"""FORMAT/INFO helpers shared by the VCF readers (small variants in ``vcf.py``, copy number in
``cna.py``): read depth, allele fraction and genotype from whatever convention a caller wrote.

Its own module so that ``vcf`` and ``cna`` both import it and neither imports the other's
internals.
"""

from __future__ import annotations

import math

_MISSING_INT = -2147483648  # cyvcf2's value for a missing Integer


def _fmt(rec, tag: str, idx: int):
    try:
        arr = rec.format(tag)
    except Exception:  # noqa: BLE001 - cyvcf2 raises bare Exception for undefined/odd FORMAT
        return None
    if arr is None:
        return None
    row = arr[idx]
    return row


def _num(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(v) or v == _MISSING_INT or v < -1e9:
        return None
    return v


def _int(x) -> int | None:
    v = _num(x)
    return int(v) if v is not None else None


def _info(rec, tag: str):
    try:
        return rec.INFO.get(tag)
    except Exception:  # noqa: BLE001
        return None


def _pick(values, k: int):
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        parts = str(values).split(",")
        return parts[k] if k < len(parts) else None
    try:
        seq = list(values)
    except TypeError:
        return values if k == 0 else None
    return seq[k] if k < len(seq) else None


def allele_support(rec, formats: set[str], idx: int | None, k: int) -> tuple[int | None, int | None, float | None]:
    """(depth, alt_depth, vaf) of ALT ``k`` (0-based) in sample ``idx``, whatever the caller wrote.

    Order: Strelka2 SNV ``{A,C,G,T}U`` and indel ``TAR``/``TIR`` (tier-1 counts); Ion Torrent
    ``FAO``/``FDP`` (flow-corrected, preferred by TVC over AO/DP); ``AD`` (R: ref, alt...; VarScan's
    ``AD``=alt with ``RD``=ref); FreeBayes ``AO``/``RO``; PCGR-style ``ADT``/``DPT``; then the
    fraction from ``AF``, ``FA`` (MuTect1), ``VF`` (Pisces), ``FREQ`` (VarScan, "48.7%");
    depth from ``DP``. INFO values are used when the FORMAT ones are absent (single-sample TVC).
    """
    depth = alt_depth = None
    vaf = None
    alt = rec.ALT[k] if k < len(rec.ALT) else None
    if idx is not None:
        if {"AU", "CU", "GU", "TU"} <= formats and alt in ("A", "C", "G", "T"):
            counts = {b: _int(_pick(_fmt(rec, f"{b}U", idx), 0)) for b in "ACGT"}
            if all(v is not None for v in counts.values()):
                depth = sum(counts.values())
                alt_depth = counts[alt]
        elif {"TAR", "TIR"} <= formats:
            tar, tir = _int(_pick(_fmt(rec, "TAR", idx), 0)), _int(_pick(_fmt(rec, "TIR", idx), 0))
            if tar is not None and tir is not None:
                depth, alt_depth = tar + tir, tir
        if alt_depth is None and {"FAO", "FDP"} <= formats:
            alt_depth = _int(_pick(_fmt(rec, "FAO", idx), k))
            depth = _int(_pick(_fmt(rec, "FDP", idx), 0))
        if alt_depth is None and "AD" in formats:
            ad = _fmt(rec, "AD", idx)
            if "RD" in formats:  # VarScan: AD is the variant depth, RD the reference depth
                alt_depth = _int(_pick(ad, 0))
                rd = _int(_pick(_fmt(rec, "RD", idx), 0))
                if alt_depth is not None and rd is not None:
                    depth = alt_depth + rd
            else:
                vals = [_int(v) for v in (list(ad) if ad is not None else [])]
                if len(vals) > k + 1 and vals[k + 1] is not None:
                    alt_depth = vals[k + 1]
                    known = [v for v in vals if v is not None]
                    depth = sum(known) if known else None
        if alt_depth is None and "AO" in formats:
            alt_depth = _int(_pick(_fmt(rec, "AO", idx), k))
            if "RO" in formats:
                ro = _int(_pick(_fmt(rec, "RO", idx), 0))
                aos = [_int(v) for v in _fmt(rec, "AO", idx)]
                if ro is not None and all(v is not None for v in aos):
                    depth = ro + sum(aos)
        if alt_depth is None and {"ADT", "DPT"} & formats:
            adt = _fmt(rec, "ADT", idx) if "ADT" in formats else None
            if adt is not None:
                alt_depth = _int(_pick(str(adt), k + 1))
            depth = _int(_pick(_fmt(rec, "DPT", idx), 0)) if "DPT" in formats else depth
        for tag in ("AF", "FA", "VF"):
            if vaf is None and tag in formats:
                vaf = _num(_pick(_fmt(rec, tag, idx), k))
        if vaf is None and "FREQ" in formats:
            raw = _pick(_fmt(rec, "FREQ", idx), 0)
            if raw is not None:
                s = str(raw).strip()
                vaf = _num(s.rstrip("%"))
                if vaf is not None and s.endswith("%"):
                    vaf /= 100.0
        if depth is None and "DP" in formats:
            depth = _int(_pick(_fmt(rec, "DP", idx), 0))
    if idx is None or (alt_depth is None and vaf is None):
        # Single-sample callers that put support in INFO (Ion Torrent TVC, PCGR TVAF/TDP)
        if alt_depth is None:
            alt_depth = _int(_pick(_info(rec, "FAO"), k))
            if alt_depth is not None:
                depth = _int(_info(rec, "FDP")) or depth
        if vaf is None:
            vaf = _num(_pick(_info(rec, "TVAF"), k))
            if vaf is not None:
                depth = depth or _int(_info(rec, "TDP"))
        if vaf is None and idx is not None:
            vaf = _num(_pick(_info(rec, "AF"), k)) if alt_depth is None else None
    if vaf is None and alt_depth is not None and depth:
        vaf = alt_depth / depth
    return depth, alt_depth, (round(vaf, 6) if vaf is not None else None)


def gt_calls(rec, idx: int) -> list[int]:
    """The called allele indexes of sample ``idx`` (no-calls dropped); [] when unreadable."""
    try:
        gt = rec.genotypes[idx]
    except Exception:  # noqa: BLE001 - "error parsing genotypes" is a bare Exception
        return []
    return [a for a in gt[:-1] if a is not None and a >= 0]


def _gt_has(rec, idx: int, allele: int) -> bool | None:
    calls = gt_calls(rec, idx)
    return (allele in calls) if calls else None
