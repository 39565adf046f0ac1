"""VCF / BCF reader (cyvcf2): records in, one :class:`RawCall` per supported ALT allele out.

Takes ``.vcf``, ``.vcf.gz`` and ``.bcf``, single- or multi-sample. Chooses the tumor sample, reads
depth and allele fraction from whichever convention the caller wrote, splits multi-allelic records,
keeps PASS records (``include_filtered`` keeps the rest) and attaches any consequence annotation
the file already carries (VEP, SnpEff, ANNOVAR, Ion Reporter; see ``annotate.preannotated``).
Records outside the pathway-gene regions are rejected before any per-record Python work when the
genome build is known: by tabix/CSI region queries on an indexed file, else by an interval check.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from varmatch.errors import FormatError, InputError, SampleError
from varmatch.models import Build, ExcludedCall, Variant
from varmatch.readers import RawCall, SampleCalls, register

log = logging.getLogger(__name__)

_MISSING_INT = -2147483648  # cyvcf2's value for a missing Integer
_DNA = re.compile(r"[ACGTNacgtn]+")


def _sniff(path: Path, head: bytes) -> bool:
    # also claims VCF-like text without ##fileformat, so the reader can say what is missing
    return (head.startswith(b"##fileformat=VCF") or head[:3] == b"BCF"
            or head.startswith((b"#CHROM\t", b"##")) or b"\n#CHROM\t" in head)


# --------------------------------------------------------------------------------------------------
# Tumor sample choice
def choose_sample(samples: list[str], header: str, requested: str | None, path: Path) -> int | None:
    """Index of the tumor sample: ``requested``, else a header hint, else the only sample."""
    if not samples:
        if requested:
            raise SampleError(f"--sample {requested!r} given but the VCF has no sample columns", path)
        return None
    if requested:
        if requested in samples:
            return samples.index(requested)
        raise SampleError(
            f"sample {requested!r} is not in the VCF; samples are: {_some(samples)}", path
        )
    hints = _tumor_hints(header)
    for name in hints:
        if name in samples:
            return samples.index(name)
    if len(samples) == 1:
        return 0
    normals = set(_normal_hints(header))
    rest = [i for i, s in enumerate(samples) if s not in normals]
    if len(rest) == 1:
        return rest[0]
    # names that say what they are: "..._Somatic" / "tumor" / TCGA sample type 01-09 (tumor)
    by_name = [i for i in rest if _TUMOR_NAME.search(samples[i])]
    if len(by_name) == 1:
        log.info("tumor sample %s chosen by its name; --sample overrides", samples[by_name[0]])
        return by_name[0]
    raise SampleError(
        f"{len(samples)} samples and no tumor hint in the header; choose one with --sample "
        f"(samples: {_some(samples)})",
        path,
    )


def _some(names: list[str], n: int = 5) -> str:
    """The first ``n`` names, and how many more: an error line stays readable with 100,000 samples."""
    shown = ", ".join(names[:n])
    return shown + (f" and {len(names) - n} more; `bcftools query -l FILE` lists all"
                    if len(names) > n else "")


_TUMOR_NAME = re.compile(r"(?i)(tumou?r|somatic)|^TCGA-\w\w-\w{4}-0\d")


def _tumor_hints(header: str) -> list[str]:
    hints = re.findall(r"^##tumor_sample=(\S+)", header, re.M)
    # TCGA / GDC style: ##SAMPLE=<ID=TUMOR,SampleName=...>; Strelka/VarScan columns are TUMOR
    for m in re.finditer(r"^##SAMPLE=<(.*)>$", header, re.M):
        fields = dict(kv.split("=", 1) for kv in _split_meta(m.group(1)) if "=" in kv)
        if fields.get("ID", "").upper() in ("TUMOR", "TUMOUR"):
            hints.append(fields["ID"])
            if "SampleName" in fields:
                hints.append(fields["SampleName"])
    hints += ["TUMOR", "TUMOUR", "tumor", "Tumor"]
    return hints


def _normal_hints(header: str) -> list[str]:
    hints = re.findall(r"^##normal_sample=(\S+)", header, re.M)
    return hints + ["NORMAL", "normal", "Normal"]


def _split_meta(text: str) -> list[str]:
    out, buf, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return [s.strip().strip('"') for s in out]


# --------------------------------------------------------------------------------------------------
# Allele support, per caller convention
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
@contextlib.contextmanager
def htslib_messages():
    """Route what htslib prints on file descriptor 2 ([W::...], [E::...]) into logging.

    htslib writes straight to fd 2, bypassing Python; left alone, its warnings would surround our
    one-line error messages. They are logged at DEBUG (-vv shows them), with a count at INFO.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (embedded use): nothing to capture
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        sys.stderr.flush()
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
            lines = [ln for ln in text.splitlines() if ln.strip()]
            # our own log lines (text or JSON) pass through; the rest came from htslib
            hts = [ln for ln in lines if not ln.startswith(("varmatch:", '{"level"'))]
            for ln in lines:
                if ln not in hts:
                    sys.stderr.write(ln + "\n")  # not htslib's: pass it on unchanged
            for ln in hts:
                log.debug("htslib: %s", ln)
            if hts:
                log.info("htslib reported %d warning(s) while reading; -vv shows them", len(hts))


@register("vcf", _sniff, "VCF/BCF (plain, bgzip, BCF); any caller; VEP/SnpEff/ANNOVAR/Ion Reporter annotations")
def read_vcf(
    path: Path,
    sample: str | None = None,
    include_filtered: bool = False,
    genome: Build | None = None,
    gene_filter_for: Callable[[Build | None], Callable[[str, int, int], bool] | None] | None = None,
    regions_for: Callable[[Build], list[tuple[str, int, int, str]]] | None = None,
    genes: frozenset[str] | None = None,
    preferred: dict[str, set[str]] | None = None,
    amp_threshold: float = 5.0,
    del_threshold: float = 0.5,
    **_ignored,
) -> Iterator[SampleCalls]:
    """Yield one :class:`SampleCalls` for the tumor sample of ``path``.

    ``gene_filter_for(build)`` gives ``f(chrom, start, end) -> bool`` (from the bundled transcript
    regions) that rejects records outside pathway genes cheaply; ``regions_for(build)`` gives the
    regions for indexed reads. htslib's own messages are routed into logging.
    """
    from varmatch.readers import cna, fusion

    with htslib_messages(), _text_only(path):
        result = _read_vcf(path, sample, include_filtered, genome, gene_filter_for, regions_for,
                           genes, preferred)
        # symbolic records: copy number (<CNV>/<DEL>/<DUP>) and fusion breakends (Ion Reporter);
        # each re-reads the file only when the header declares such ALTs
        cna.cnv_from_vcf(path, result, include_filtered, amp_threshold, del_threshold,
                         regions_for=regions_for, genes=genes)
        fusion.fusions_from_vcf(path, result, include_filtered, genes=genes)
    yield result


@contextlib.contextmanager
def _text_only(path: Path):
    """cyvcf2 decodes fields as UTF-8 when they are read: bytes that are not text anywhere in a
    record (REF, ALT, INFO...) are an input error, not a crash."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise FormatError(f"a record holds bytes that are not UTF-8 text ({exc.object[:40]!r}); "
                          "check the file's encoding or damage", path) from None


def _read_vcf(path, sample, include_filtered, genome, gene_filter_for, regions_for, genes,
              preferred) -> SampleCalls:
    from varmatch.readers import head_bytes

    head = head_bytes(path, 4096)
    src, shift, repairs = path, 0, []
    if head[:3] != b"BCF" and not head.startswith(b"##fileformat=VCF"):
        src, shift, repairs = _repair_header(path)
    try:
        return _read_vcf_text(path, src, shift, repairs, head, sample, include_filtered, genome,
                              gene_filter_for, regions_for, genes, preferred)
    finally:
        if src != path:
            os.unlink(src)


def _read_vcf_text(path, src, shift, repairs, head, sample, include_filtered, genome,
                   gene_filter_for, regions_for, genes, preferred) -> SampleCalls:
    from cyvcf2 import VCF  # heavy import kept lazy

    from varmatch.annotate.preannotated import detect_annotation

    try:
        vcf = VCF(str(src), lazy=True, threads=1)
    except (OSError, Exception) as exc:  # cyvcf2 raises bare Exception on bad headers
        line, why = _header_problem(path)
        raise FormatError(f"not a readable VCF/BCF header ({why or _clean(exc)})", path, line) from None
    header = vcf.raw_header or ""
    try:
        samples = list(vcf.samples)
    except UnicodeDecodeError:
        raise FormatError("sample names in the #CHROM line are not UTF-8 text; fix the header",
                          path, header.count("\n")) from None
    idx = choose_sample(samples, header, sample, path)
    sample_name = samples[idx] if idx is not None else Path(str(path)).name.split(".")[0]
    formats = set(re.findall(r"^##FORMAT=<ID=([^,>]+)", header, re.M))
    build = genome or _detect_build(vcf, header)
    parser = detect_annotation(header, preferred)
    gene_filter = gene_filter_for(build) if gene_filter_for and build else None
    line_map: list[int] | None = None
    tmp = None
    if build is not None and regions_for is not None and head[:3] != b"BCF" and not _indexed(src):
        # unindexed text VCF: keep only the lines in pathway regions before cyvcf2 parses anything;
        # annotated files also keep lines naming a pathway gene that has no bundled coordinates
        regions = regions_for(build)
        unmapped = sorted(set(genes or ()) - {g for *_, g in regions}) if parser else []
        spelling = {"ANNOVAR": "={}", "IonReporter": "'gene':'{}'"}.get(
            parser.name if parser else "", "|{}|")
        tmp, line_map = _prefilter(src, regions, [spelling.format(g) for g in unmapped])
        line_map = [n - shift for n in line_map]
        vcf = VCF(tmp, lazy=True, threads=1)
    out = SampleCalls(sample=sample_name, source=str(path), build=build,
                      annotation_source=parser.name if parser else "")
    m = re.search(r"^##(?:tumor_type|disease|TCGA_CODE|oncotree_code)=(\S+)", header, re.M | re.I)
    if m:
        out.tumor_type = m.group(1)
    out.notes.extend(f"{path.name}: {r}; read anyway" for r in repairs)
    if build is not None:
        out.notes.append(f"genome build {build} " + ("from --genome" if genome else
                         "from the VCF header (##reference / ##contig lengths)"))
    if idx is None:
        out.notes.append("sites-only VCF: no sample columns, so no depth or allele fraction")

    try:
        _read_records(vcf, path, build, regions_for, line_map, shift, parser, gene_filter,
                      formats, idx, include_filtered, genes, out,
                      header_lines=header_line_count(Path(tmp or src)))
    finally:
        if tmp:
            os.unlink(tmp)
    return out


def _read_records(vcf, path, build, regions_for, line_map, shift, parser, gene_filter,
                  formats, idx, include_filtered, genes, out: SampleCalls,
                  header_lines: int | None = None) -> None:
    records = _iter_records(vcf, path, build, regions_for, line_map, header_lines)
    n_seen = 0
    for rec, line in records:
        if line_map is None and line:
            line -= shift  # lines added by a header repair come before every record
        n_seen += 1
        if not rec.ALT or rec.ALT == ["."]:
            continue
        chrom, pos, ref = rec.CHROM, rec.POS, rec.REF
        if not ref or not _DNA.fullmatch(ref):
            # a placeholder record (REF '.', as CIViC writes for non-sequence variants): skip it,
            # but list it so nothing disappears silently
            out.excluded.append(ExcludedCall(f"{chrom}:{pos} REF={ref!r}",
                                             "REF is not a DNA sequence (A, C, G, T, N)",
                                             f"{path.name}:{line}" if line else path.name))
            continue
        end = pos + len(ref) - 1
        if (gene_filter is not None and line_map is None and parser is None
                and not gene_filter(chrom, pos, end)):
            continue
        filt = rec.FILTER
        filters = tuple(filt.split(";")) if filt else ("PASS",)
        info_get = _info_getter(rec)
        for k, alt in enumerate(rec.ALT):
            if alt in ("*", ".", "<*>", "<NON_REF>") or alt.startswith("<") or "[" in alt or "]" in alt:
                continue  # symbolic alleles are copy number / SV, read by their own readers
            depth, alt_depth, vaf = allele_support(rec, formats, idx, k)
            variant = Variant(chrom, pos, ref.upper(), alt.upper(), build, depth, alt_depth, vaf,
                              filters, f"{path.name}:{line}" if line else path.name)
            annotations = ()
            if parser is not None:
                annotations = tuple(parser.alterations(info_get, alt, k, variant, genes, alts=rec.ALT))
                if not annotations and (gene_filter is None or not gene_filter(chrom, pos, end)):
                    continue
            reason = None
            if not variant.passed and not include_filtered:
                reason = f"FILTER={';'.join(filters)} (use --include-filtered to keep)"
            elif idx is not None and _unsupported(rec, idx, k, alt_depth, vaf):
                reason = "ALT has no read support in the tumor sample"
            if reason:
                out.excluded_calls.append((RawCall(variant, annotations), reason))
                continue
            out.calls.append(RawCall(variant, annotations))
    log.info("%s: %d records read in pathway regions, %d calls kept", path, n_seen, len(out.calls))


def _unsupported(rec, idx: int, k: int, alt_depth: int | None, vaf: float | None) -> bool:
    if alt_depth is not None:
        return alt_depth <= 0
    if vaf is not None:
        return vaf <= 0
    has = _gt_has(rec, idx, k + 1)
    return has is False


def _info_getter(rec) -> Callable[[str], object]:
    def get(tag: str):
        try:
            return rec.INFO.get(tag)
        except Exception:  # noqa: BLE001
            return None

    return get


def _indexed(path: Path) -> bool:
    return any(os.path.exists(str(path) + ext) for ext in (".tbi", ".csi"))


def _scan(fh, out, merged: dict[bytes, tuple[list[int], list[int]]], token_re: list[bytes],
          kept: list[int],
          block: int = 1 << 22) -> None:
    """Write the header and the wanted records of ``fh`` to ``out``; append their line numbers.

    Works on 4 MB blocks: one compiled regex finds, in C, the lines on a pathway contig, and
    substring search the lines naming a token gene (``token_re``); only those reach Python. Records off every
    pathway contig are never looked at one by one.
    """
    import bisect

    # anchored on a literal newline, not on ^ with re.M: the engine then skips ahead 5x faster
    line_re = re.compile(rb"\n(" + b"|".join(re.escape(c) for c in merged) + rb")\t(\d+)\t")
    carry, line_base, in_header = b"", 0, True
    while True:
        chunk = fh.read(block)
        data = carry + chunk
        if chunk:
            cut = data.rfind(b"\n") + 1
            data, carry = data[:cut], data[cut:]
        else:
            carry = b""
        if not data:
            if not chunk:
                break
            continue
        start = 0
        if in_header:
            while start < len(data) and data[start:start + 1] == b"#":
                nl = data.find(b"\n", start)
                nl = len(data) - 1 if nl < 0 else nl
                out.write(data[start:nl + 1])
                start = nl + 1
                line_base += 1
            if start < len(data):
                in_header = False
        hits: dict[int, None] = {}  # start offsets of wanted lines, in order
        nl_data = b"\n" + data  # so the first line also follows a newline; offsets shift by one
        for m in line_re.finditer(nl_data, start):
            iv = merged[m.group(1)]
            pos = int(m.group(2))
            i = bisect.bisect_right(iv[0], pos) - 1
            if i >= 0 and pos <= iv[1][i]:
                hits[m.start()] = None  # = offset of the line in data
        for needle in token_re or ():
            at = data.find(needle, start)
            while at >= 0:
                hits[data.rfind(b"\n", 0, at) + 1] = None
                at = data.find(needle, data.find(b"\n", at) + 1 or len(data))
        last, line_no = start, line_base
        for off in sorted(hits):
            line_no += data.count(b"\n", last, off)
            last = off
            nl = data.find(b"\n", off)
            out.write(data[off:nl + 1] if nl >= 0 else data[off:] + b"\n")
            kept.append(line_no + 1)
        line_base += data.count(b"\n", start) if start else data.count(b"\n")
        if not chunk:
            break


def _prefilter(path: Path, regions, tokens: list[str]) -> tuple[str, list[int]]:
    """Copy the header and the records that can matter into a temp file; return it and the
    original line number of every kept record.

    A record is kept when its position falls in a pathway region or when its line contains one of
    ``tokens`` (pathway genes without bundled coordinates, spelled as the annotation writes them). Records elsewhere
    are never parsed, as with a region query on an indexed file, so a format error outside the
    pathway regions goes unreported. One pass over the text, no per-record parsing: this is what
    keeps whole-genome VCFs fast.
    """
    import gzip

    merged: dict[bytes, tuple[list[int], list[int]]] = {}
    for chrom, start, end, _gene in sorted(regions, key=lambda r: (r[0], r[1])):
        for name in {chrom.removeprefix("chr"), "chr" + chrom.removeprefix("chr")}:
            starts, ends = merged.setdefault(name.encode(), ([], []))
            if ends and start <= ends[-1] + 1:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
    # gene symbols spelled as the annotator writes them (|GENE| for VEP/SnpEff): substring search
    token_re = [t.encode() for t in tokens]
    with open(path, "rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    fd, tmp = tempfile.mkstemp(prefix="varmatch-", suffix=".vcf")
    kept: list[int] = []
    try:
        with _decompressed(path, gz) as fh, os.fdopen(fd, "wb", buffering=1 << 20) as out:
            _scan(fh, out, merged, token_re, kept)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        os.unlink(tmp)
        raise InputError(f"cannot read ({exc}); is the file complete?", path) from None
    return tmp, kept


@contextlib.contextmanager
def _decompressed(path: Path, gz: bool):
    """The file's text as a binary stream. BGZF/gzip is inflated by a ``bgzip -dc`` child process
    when bgzip is installed (it then runs on another core, in parallel with our scan), else by
    Python's gzip module."""
    import gzip
    import shutil
    import subprocess

    if not gz:
        with open(path, "rb", buffering=1 << 20) as fh:
            yield fh
        return
    exe = shutil.which("bgzip")
    if exe is None:
        with gzip.open(path, "rb") as fh:
            yield fh
        return
    proc = subprocess.Popen([exe, "-dc", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=1 << 20)
    try:
        yield proc.stdout
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace").strip()
        if proc.wait() != 0:
            raise OSError(err.splitlines()[-1] if err else f"bgzip exited {proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _iter_records(vcf, path: Path, build: Build | None, regions_for,
                  line_map: list[int] | None = None,
                  header_lines: int | None = None) -> Iterator[tuple[object, int]]:
    """Records with their 1-based line number in the original file (for messages).

    With an index (.tbi/.csi) and a known build, only the pathway regions are read.
    """
    if header_lines is None:  # htslib's raw_header adds ##FILTER=PASS and drops repeats
        header_lines = (vcf.raw_header or "").count("\n")
    if line_map is not None:
        for k, rec in enumerate(_guard(vcf, path, header_lines, line_map)):
            yield rec, line_map[k] if k < len(line_map) else 0
        return
    if _indexed(path) and build is not None and regions_for is not None:
        contigs = set(vcf.seqnames) if hasattr(vcf, "seqnames") else set()
        seen = set()
        for chrom, start, end, _gene in regions_for(build):
            name = _contig_name(chrom, contigs)
            if name is None:
                continue
            try:
                it = vcf(f"{name}:{start}-{end}")
            except Exception:  # noqa: BLE001 - cyvcf2 raises bare Exception for unknown regions
                continue
            for rec in _guard(it, path, header_lines):
                key = (rec.CHROM, rec.POS, rec.REF, tuple(rec.ALT))
                if key in seen:  # regions of neighbouring genes may overlap
                    continue
                seen.add(key)
                yield rec, 0
        return
    line = header_lines
    for rec in _guard(vcf, path, header_lines):
        line += 1
        yield rec, line


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


def _contig_name(chrom: str, contigs: set[str]) -> str | None:
    if not contigs:
        return chrom
    for name in (chrom, "chr" + chrom, chrom.removeprefix("chr")):
        if name in contigs:
            return name
    return None


def _detect_build(vcf, header: str) -> Build | None:
    contigs: dict[str, int | None] = {}
    for m in re.finditer(r"^##contig=<(.*)>$", header, re.M):
        fields = dict(kv.split("=", 1) for kv in _split_meta(m.group(1)) if "=" in kv)
        if "ID" in fields:
            try:
                contigs[fields["ID"]] = int(fields["length"]) if "length" in fields else None
            except ValueError:
                contigs[fields["ID"]] = None
    try:
        from varmatch.annotate.transcripts import detect_build
    except ImportError:  # annotator not installed yet
        return None
    return detect_build(contigs, header)


def _repair_header(path: Path) -> tuple[str, int, list[str]]:
    """A temp copy of a VCF-like text file with common header damage mended, the number of lines
    added before the records (to map line numbers back), and what was mended.

    Mended: a missing ``##fileformat`` line; stray non-VCF lines before the header (a tool's log
    line); a missing ``#CHROM`` line when the records have the 8 fixed columns (+ FORMAT and
    samples, named SAMPLE1...). Anything else is not a VCF: a FormatError says so.
    """
    from varmatch.readers import head_bytes

    text = head_bytes(path, 1 << 30).decode("utf-8", "replace")
    lines = text.splitlines(keepends=True)
    first_rec = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")
                      and ln.count("\t") >= 7), None)
    has_chrom = any(ln.startswith("#CHROM") for ln in lines[: first_rec or len(lines)])
    if first_rec is None and not has_chrom:
        raise FormatError("not a VCF: no '##fileformat' line, no '#CHROM' header and no "
                          "tab-separated records", path, 1)
    repairs, out, added = [], ["##fileformat=VCFv4.2\n"], 1
    repairs.append("no '##fileformat' line (added)")
    header_end = first_rec if first_rec is not None else len(lines)
    stray = 0
    for ln in lines[:header_end]:
        if ln.startswith("#") or not ln.strip():
            out.append(ln)
        else:
            stray += 1
            out.append("##varmatch_removed_line=non-VCF text\n")  # keeps the line count
    if stray:
        repairs.append(f"{stray} non-VCF line(s) before the header (skipped)")
    if not has_chrom:
        n = lines[first_rec].rstrip("\n").count("\t") + 1
        cols = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
        if n > 8:
            cols += ["FORMAT"] + [f"SAMPLE{i}" for i in range(1, n - 8)]
        out.append("\t".join(cols) + "\n")
        added += 1
        repairs.append("no '#CHROM' header line (added)")
    out.extend(lines[header_end:])
    fd, tmp = tempfile.mkstemp(prefix="varmatch-repaired-", suffix=".vcf")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(out)
    return tmp, added, repairs


def _header_problem(path: Path) -> tuple[int, str]:
    """Line number and a likely reason for an unreadable header, for the error message."""
    from varmatch.readers import head_bytes

    text = head_bytes(path, 1 << 20).decode("utf-8", "replace")
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("##"):
            if "=" not in line:
                return n, "a ## meta line without '='"
            continue
        if line.lstrip().startswith("#CHROM"):
            if line != line.lstrip():
                return n, "the #CHROM line starts with white space; remove it"
            if "\t" not in line:
                return n, "the #CHROM line is separated by spaces; VCF columns need tabs"
            cols = line.split("\t")
            if any(not c.strip() for c in cols):
                return n, "an empty column name (trailing tab?) in the #CHROM line"
            return n, "the #CHROM line or a meta line before it is malformed"
        return n, "a header line that does not start with '#'"
    return 1, "no #CHROM header line"


def _clean(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__
