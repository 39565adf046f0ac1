"""FORMAT/INFO helpers and record guards shared by the VCF readers (small variants in ``vcf.py``,
copy number in ``cna.py``, fusions in ``fusion.py``): read depth, allele fraction and genotype from
whatever convention a caller wrote, and refuse a malformed record with its line number.

Its own module so that ``vcf`` and ``cna`` both import it and neither imports the other's
internals.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

from varmatch.errors import FormatError

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
                ao = _fmt(rec, "AO", idx)
                aos = [_int(v) for v in ao] if ao is not None else [None]
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


# --------------------------------------------------------------------------------------------------
# Record guards shared by every pass over a VCF (small variants, copy number, fusions)
def _stderr_size() -> int:
    try:
        return os.fstat(2).st_size  # a regular file inside htslib_messages(), else 0
    except OSError:
        return 0


def _guard(it, path: Path, header_lines: int, line_map: list[int] | None = None):
    k = 0
    while True:
        before = _stderr_size()
        try:
            rec = next(it)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - htslib errors surface as bare Exception
            line = line_map[k] if line_map and k < len(line_map) else header_lines + k + 1
            raise FormatError(f"malformed record ({_clean(exc)}); check its columns", path,
                              line) from None
        after = _stderr_size()
        if after > before and b"[E::vcf_parse_format" in os.pread(2, after - before, before):
            # htslib could not parse the sample columns; cyvcf2 then crashes (SIGSEGV) on any
            # FORMAT access, so the record is refused here
            line = line_map[k] if line_map and k < len(line_map) else header_lines + k + 1
            raise FormatError("malformed sample columns (htslib cannot parse FORMAT/GT); check "
                              "the record's FORMAT and sample fields", path, line)
        if rec.CHROM.startswith("#"):  # htslib reads a repeated #CHROM (or stray #) line as a record
            line = _repeated_chrom_line(path) or header_lines + k + 1
            raise FormatError(f"a header line ({rec.CHROM!r}) after the #CHROM line; a VCF has "
                              "exactly one #CHROM line, before the records: remove the repeat",
                              path, line)
        k += 1
        yield rec


def _lines(path: Path) -> Iterator[bytes]:
    """The raw lines of a plain or gzipped file; stops quietly where the file is unreadable (the
    callers only count lines for messages)."""
    import gzip

    with contextlib.suppress(OSError, EOFError):
        with open(path, "rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh:
            yield from fh


def _repeated_chrom_line(path: Path) -> int | None:
    """Line number of the second ``#CHROM`` line of ``path`` (only called on that error)."""
    import itertools

    hits = (n for n, line in enumerate(_lines(path), 1) if line.startswith(b"#CHROM"))
    chrom = list(itertools.islice(hits, 2))
    return chrom[1] if len(chrom) == 2 else None


def checked(vcf, path: Path) -> Iterator:
    """The records of ``vcf`` (opened on ``path``), a malformed one raising :class:`FormatError`
    with its line: for the second passes over a VCF (copy number, fusions)."""
    return _guard(vcf, path, header_line_count(path))


def header_line_count(path: Path) -> int:
    """Lines before the first record, counted in the file (htslib's ``raw_header`` drops
    repeated meta lines, so counting it puts record line numbers off)."""
    n = 0
    for line in _lines(path):
        if not line.startswith(b"#"):
            break
        n += 1
    return n


def _clean(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__
