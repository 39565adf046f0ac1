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
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from varmatch.errors import FormatError, InputError, SampleError
from varmatch.models import Build, ExcludedCall, Variant
from varmatch.readers import RawCall, SampleCalls, register
from varmatch.readers.contigs import aliases as contig_aliases
from varmatch.readers.contigs import build_of as refseq_build
from varmatch.readers.contigs import chrom_name
from varmatch.readers.vcf_fields import (  # noqa: F401 (re-exported)
    _clean,
    _gt_has,
    _guard,
    allele_support,
    checked,
    gt_calls,
    header_line_count,
)

log = logging.getLogger(__name__)

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
    by_caller = _tumor_column(header, samples)
    if by_caller is not None:
        log.info("tumor sample %s chosen by the caller's column order (%s); --sample overrides",
                 samples[by_caller[0]], by_caller[1])
        return by_caller[0]
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


def _tumor_column(header: str, samples: list[str]) -> tuple[int, str] | None:
    """(index, why) of the tumor column when the caller fixes the column order, for files whose
    columns were renamed (no TUMOR/NORMAL names left to go by).

    Strelka somatic (``##content=strelka somatic ...``) writes NORMAL then TUMOR; VarDict paired
    (var2vcf_paired.pl: ``##INFO=<ID=STATUS`` + ``##INFO=<ID=SAMPLE``) writes the tumor first and
    names it in INFO SAMPLE, the matched sample second.
    """
    if len(samples) != 2:
        return None
    if re.search(r"^##content=strelka somatic", header, re.M | re.I):
        return 1, "Strelka somatic: NORMAL, TUMOR"
    if (re.search(r"^##INFO=<ID=STATUS,.*Somatic or germline status", header, re.M)
            and re.search(r"^##INFO=<ID=SAMPLE,", header, re.M)):
        return 0, "VarDict paired: tumor first, matched sample second"
    return None


def _tumor_hints(header: str) -> list[str]:
    hints = re.findall(r"^##tumor_sample=(\S+)", header, re.M)
    # MuTect1 (##MuTect="... tumor_sample_name=X ...") and GATK3 command lines
    # (##GATKCommandLine=<ID=MuTect,...CommandLineOptions="... tumor_sample_name=X ...">)
    hints += [n for n in re.findall(r"^##(?:MuTect|GATKCommandLine)[^\n]*?\btumor_sample_name=([^\s,\"'>\]]+)",
                                    header, re.M) if n != "null"]
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
    hints += re.findall(r"^##(?:MuTect|GATKCommandLine)[^\n]*?\bnormal_sample_name=([^\s,\"'>\]]+)",
                        header, re.M)
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
        if genome is not None and not (result.calls or result.excluded_calls) and regions_for:
            # nothing in a pathway gene on the --genome build: read the other build's regions
            # too, so the annotator can tell a wrong --genome (REF alleles) from a quiet file
            other = Build.GRCh37 if genome is Build.GRCh38 else Build.GRCh38
            with contextlib.suppress(InputError):  # the header states --genome's build
                probe = _read_vcf(path, sample, True, other, gene_filter_for, regions_for, genes,
                                  preferred)
                result.probe = [c for c in probe.calls + [c for c, _ in probe.excluded_calls]]
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
    stated = _detect_build(vcf, header, head)
    if genome is not None and stated is not None and genome is not stated:
        # never read a file on a build its own header contradicts: every pathway call would fall
        # outside the regions and the report would say "0 alterations" (issue 12)
        raise InputError(
            f"--genome {genome} contradicts the VCF header, which describes {stated} (##contig "
            f"lengths, ##reference or contig names); drop --genome to read it as {stated}, or "
            "correct the header if it is the header that is wrong", path)
    build = genome or stated
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
        tmp, line_map = _prefilter(src, regions, [spelling.format(g) for g in unmapped], build)
        line_map = [n - shift for n in line_map]
    clean, line_map, unreadable = (None, line_map, [])
    if head[:3] != b"BCF" and not (build is not None and regions_for is not None and _indexed(src)):
        clean, line_map, unreadable = _drop_unreadable(Path(tmp or src), line_map, shift, path)
    if tmp or clean:
        vcf = VCF(clean or tmp, lazy=True, threads=1)
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
    out.excluded.extend(unreadable)

    try:
        _read_records(vcf, path, build, regions_for, line_map, shift, parser, gene_filter,
                      formats, idx, include_filtered, genes, out,
                      header_lines=header_line_count(Path(tmp or src)))
    finally:
        for name in (tmp, clean):
            if name:
                os.unlink(name)
    return out


# a record line whose POS is not a whole number from 1, or any line with a NUL byte
_UNREADABLE = re.compile(rb"\n(?:[^#\n][^\t\n]*\t(?![1-9][0-9]*\t)|[^\n]*\x00)")


def _drop_unreadable(src: Path, line_map: list[int] | None, shift: int, path: Path
                     ) -> tuple[str | None, list[int] | None, list[ExcludedCall]]:
    """Records htslib cannot place, left out of a temp copy and listed with their reason.

    htslib stops reading at a POS like 'abc' or '-5' without a word (every later record lost),
    reads POS 0 as a position, and truncates a field at a NUL byte. One C-speed regex pass finds
    such lines; only then is the text copied without them. Returns (copy or None, the original
    line number of every record in the copy, the exclusions).
    """
    with open(src, "rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    found, carry = False, b""
    with _decompressed(src, gz) as fh:
        while chunk := fh.read(1 << 22):
            data = carry + chunk
            cut = data.rfind(b"\n")
            found = found or bool(_UNREADABLE.search(data, 0, cut + 1 if cut >= 0 else len(data)))
            carry = data[cut:] if cut >= 0 else data
        found = found or bool(_UNREADABLE.search(carry + b"\n"))
    if not found:
        return None, line_map, []
    excluded: list[ExcludedCall] = []
    new_map: list[int] = []
    fd, tmp = tempfile.mkstemp(prefix="varmatch-clean-", suffix=".vcf")
    k = n = 0
    with _decompressed(src, gz) as fh, os.fdopen(fd, "wb") as out:
        for raw in fh:
            n += 1
            if raw.startswith(b"#"):
                out.write(raw)
                continue
            orig = line_map[k] if line_map is not None and k < len(line_map) else n - shift
            k += 1
            cols = raw.rstrip(b"\r\n").split(b"\t")
            pos = cols[1].decode("utf-8", "replace") if len(cols) > 1 else ""
            where = f"{cols[0].decode('utf-8', 'replace')}:{pos}"
            if b"\x00" in raw:
                col = next((name for name, c in zip(_COLUMNS, cols) if b"\x00" in c), "a column")
                reason = f"NUL byte in {col} (damaged file?); record not read"
            elif len(cols) > 1 and not re.fullmatch(rb"[1-9][0-9]*", cols[1]):
                reason = f"POS {pos!r} is not a position (VCF POS is a whole number from 1)"
            else:
                out.write(raw)
                new_map.append(orig)
                continue
            log.warning("%s:%d: %s: %s", path, orig, where, reason)
            excluded.append(ExcludedCall(where, reason, f"{path.name}:{orig}"))
    return tmp, new_map, excluded


_COLUMNS = ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT")


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
        chrom, pos, ref = chrom_name(rec.CHROM), rec.POS, rec.REF
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
            if "[" in alt or "]" in alt:
                if (str(info_get("SVTYPE") or "") != "Fusion"  # Ion Reporter: the fusion reader's
                        and (gene_filter is None or gene_filter(chrom, pos, end))):
                    out.excluded.append(ExcludedCall(
                        f"{chrom}:{pos} {ref}>{alt}",
                        "breakend ALT (structural rearrangement) in a pathway-gene region: "
                        "varmatch reads fusions from fusion-caller tables or Ion Reporter "
                        "fusion records, not from single breakends; review it in the SV caller's "
                        "output", f"{path.name}:{line}" if line else path.name))
                continue
            if alt in ("*", ".", "<*>", "<NON_REF>") or alt.startswith("<"):
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


def _digit_runs(a: str, b: str) -> list[list[str]]:
    """Regex tokens (one per digit) matching every fixed-width digit string from ``a`` to ``b``."""
    if a == b:
        return [list(a)]
    if a[0] == b[0]:
        return [[a[0]] + t for t in _digit_runs(a[1:], b[1:])]
    n = len(a) - 1
    lo, hi, out, top = int(a[0]), int(b[0]), [], []
    if a[1:] != "0" * n:  # the partial run under a's first digit
        out = [[a[0]] + t for t in _digit_runs(a[1:], "9" * n)]
        lo += 1
    if b[1:] != "9" * n:  # the partial run under b's first digit
        top = [[b[0]] + t for t in _digit_runs("0" * n, b[1:])]
        hi -= 1
    if lo <= hi:
        out.append([str(lo) if lo == hi else f"[{lo}-{hi}]"] + [r"\d"] * n)
    return out + top


def _int_range(lo: int, hi: int) -> list[list[str]]:
    """Regex tokens matching the decimal form (no leading zeros) of every integer in [lo, hi]."""
    out = []
    for width in range(len(str(lo)), len(str(hi)) + 1):
        a, b = max(lo, 10 ** (width - 1) if width > 1 else 0), min(hi, 10 ** width - 1)
        if a <= b:
            out += _digit_runs(str(a), str(b))
    return out


def _trie_regex(seqs: list[list[str]]) -> str:
    """One regex for the union of token sequences, with shared prefixes factored out (the regex
    engine then tests each character once per line instead of once per alternative)."""
    trie: dict = {}
    for seq in seqs:
        node = trie
        for tok in seq:
            node = node.setdefault(tok, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [tok + emit(child) for tok, child in node.items()]
        if not alts:
            return ""
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(trie)


def _region_regex(merged: dict[bytes, tuple[list[int], list[int]]]) -> re.Pattern[bytes]:
    """A regex matching ``\\n<contig>\\t<POS>\\t`` exactly when POS lies in one of the contig's
    intervals (the position test runs inside the regex engine, so only wanted lines reach Python),
    or when POS does not start with a digit 1-9 (see below)."""
    seqs = []
    for contig, (starts, ends) in merged.items():
        head = [re.escape(chr(c)) for c in contig] + ["\t", "0*"]
        for start, end in zip(starts, ends):
            seqs += [head + run + ["\t"] for run in _int_range(max(start, 0), end)]
    # ...or when POS does not start like a position ('abc', '0', '-5', empty): such a record cannot
    # be placed outside the regions, so it is kept for the reader to list as excluded with its
    # reason. Only the first character is tested: a full check cost 0.16 s per 2M records (12% of
    # a run); '12a' outside the regions goes unseen. A possessive quantifier (Python 3.11+) saves a
    # third of this branch's time and cannot change what it matches ([^\t\n]* never gives back a tab).
    bad_pos = (rb"[^\t\n#][^\t\n]*+\t(?![1-9])" if sys.version_info >= (3, 11)
               else rb"[^\t\n#][^\t\n]*\t(?![1-9])")
    return re.compile(b"\n(?:" + _trie_regex(seqs).encode() + b"|" + bad_pos + b")" if seqs
                      else b"\n" + bad_pos)


def _scan(fh, out, merged: dict[bytes, tuple[list[int], list[int]]], tokens: list[bytes],
          kept: list[int], block: int = 1 << 22) -> None:
    """Write the header and the wanted records of ``fh`` to ``out``; append their line numbers.

    Works on 4 MB blocks. One compiled regex (:func:`_region_regex`) finds, in C, the lines whose
    contig and position fall in a region; one more finds the lines naming a token gene
    (``tokens``). Only those lines reach Python; the rest of the block is only counted (for line
    numbers), with numpy.
    """
    line_re = _region_regex(merged)
    tok_re = re.compile(b"|".join(re.escape(t) for t in tokens)) if tokens else None
    line_base, in_header = 0, True  # line_base = lines before the one at data[start + 1]
    for data, end in _line_blocks(fh, block):
        start = 0  # offset of the newline before the next line to look at
        if in_header:
            while data[start + 1:start + 2] == b"#" and start + 1 < end:
                nl = data.find(b"\n", start + 1)
                out.write(data[start + 1:nl + 1])
                start = nl
                line_base += 1
            if start + 1 < end:
                in_header = False
        # in slices of whole lines: between them the reader thread can take the GIL and drain
        # the pipe (a match ends before the newline that ends its line, so none is cut)
        hits, pos = set(), start
        while pos < end - 1:
            stop = data.find(b"\n", min(pos + _SLICE, end - 1))
            hits.update(m.start() for m in line_re.finditer(data, pos, stop + 1))
            if tok_re is not None:
                hits.update(data.rfind(b"\n", pos, m.start())
                            for m in tok_re.finditer(data, pos, stop + 1))
            pos = stop
        last, line_no = start, line_base
        for off in sorted(hits):
            line_no += _count_lines(data, last, off)
            last = off
            out.write(data[off + 1:data.find(b"\n", off + 1) + 1])
            kept.append(line_no + 1)
        line_base = line_no + _count_lines(data, last, end - 1)


_SLICE = 1 << 18


def _count_lines(data: bytes, start: int, end: int) -> int:
    """Newlines in ``data[start:end]``; numpy counts long spans about 3x faster than bytes.count."""
    if end - start < 1 << 16:
        return data.count(b"\n", start, end)
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(data, np.uint8, end - start, start) == 10))


def _prefilter(path: Path, regions, tokens: list[str],
               build: Build | None = None) -> tuple[str, list[int]]:
    """Copy the header and the records that can matter into a temp file; return it and the
    original line number of every kept record.

    A record is kept when its position falls in a pathway region or when its line contains one of
    ``tokens`` (pathway genes without bundled coordinates, spelled as the annotation writes them). Records elsewhere
    are never parsed, as with a region query on an indexed file, so a format error outside the
    pathway regions goes unreported. One pass over the text, no per-record parsing: this is what
    keeps whole-genome VCFs fast.
    """
    import gzip

    merged = _merge_regions(regions, build)
    with open(path, "rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    fd, tmp = tempfile.mkstemp(prefix="varmatch-", suffix=".vcf")
    kept: list[int] = []
    try:
        with _decompressed(path, gz) as fh, os.fdopen(fd, "wb", buffering=1 << 20) as out:
            _scan(fh, out, merged, [t.encode() for t in tokens], kept)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        os.unlink(tmp)
        raise InputError(f"cannot read ({exc}); is the file complete?", path) from None
    return tmp, kept


def _merge_regions(regions, build: Build | None = None) -> dict[bytes, tuple[list[int], list[int]]]:
    """contig (each spelling: with and without ``chr``, and the RefSeq accession of ``build``)
    -> sorted, merged (starts, ends)."""
    spans: dict[bytes, list[tuple[int, int]]] = {}
    for chrom, start, end, _gene in regions:
        for name in contig_aliases(chrom, build or Build.GRCh38):
            spans.setdefault(name.encode(), []).append((start, end))
    merged: dict[bytes, tuple[list[int], list[int]]] = {}
    for name, intervals in spans.items():
        starts, ends = merged.setdefault(name, ([], []))
        for start, end in sorted(intervals):
            if ends and start <= ends[-1] + 1:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
    return merged


@contextlib.contextmanager
def _decompressed(path: Path, gz: bool, threads: int = 2):
    """The file's text as a binary stream. BGZF/gzip is inflated by a ``bgzip -dc`` child process
    (``threads`` threads) when bgzip is installed, else by Python's gzip module."""
    import gzip
    import shutil
    import subprocess

    if not gz:
        with open(path, "rb", buffering=0) as fh:
            yield fh
        return
    exe = shutil.which("bgzip")
    if exe is None:
        with gzip.open(path, "rb") as fh:
            yield fh
        return
    cmd = [exe, "-dc", str(path)] + (["-@", str(threads)] if threads > 1 else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    with contextlib.suppress(OSError, AttributeError):  # Linux: a 1 MB pipe instead of 64 KB
        import fcntl

        fcntl.fcntl(proc.stdout.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    try:
        yield proc.stdout
        err = proc.stderr.read().decode("utf-8", "replace").strip()
        if proc.wait() != 0:
            raise OSError(err.splitlines()[-1] if err else f"bgzip exited {proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def _line_blocks(raw, block: int = 1 << 22, depth: int = 4) -> Iterator[tuple[bytearray, int]]:
    """Blocks of whole lines of the binary stream ``raw``, read ahead by a background thread
    (the GIL is released while it waits on the pipe or the disk, so a decompressing child never
    waits for our scan).

    Each item is ``(buf, end)``: ``buf[0]`` is the newline that ends the line before, and
    ``buf[1:end]`` whole lines, the last ending in a newline (one is added at the end of a file
    that lacks it). Buffers are recycled: an item is valid until the next one is asked for.
    """
    import queue
    import threading

    free: queue.Queue = queue.Queue()
    for _ in range(depth + 2):
        free.put(bytearray(block + 1))
    full: queue.Queue = queue.Queue()
    stop = threading.Event()

    def fill() -> None:
        try:
            carry = b"\n"
            while not stop.is_set():
                buf = free.get()
                if stop.is_set():
                    return
                if len(buf) < len(carry) + block:
                    buf.extend(bytes(len(carry) + block - len(buf)))
                buf[:len(carry)] = carry
                n = len(carry)
                while True:
                    with memoryview(buf) as mv:
                        while n < len(buf):
                            got = raw.readinto(mv[n:])
                            if not got:
                                break
                            n += got
                    eof = n < len(buf)
                    end = buf.rfind(b"\n", 0, n) + 1
                    if end > 1 or eof:
                        break
                    buf.extend(bytes(block))  # a line longer than the buffer: grow it
                if eof:
                    if n > 1 and buf[n - 1] != 10:
                        buf[n:n + 1] = b"\n"
                        n += 1
                    if n > 1:
                        full.put((buf, n))
                    full.put(None)
                    return
                carry = bytes(buf[end - 1:n])
                full.put((buf, end))
        except BaseException as exc:  # noqa: BLE001 - raised again in the reading thread
            full.put(exc)

    thread = threading.Thread(target=fill, daemon=True, name="varmatch-read")
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, 0.0005))  # the reader gets the GIL within 0.5 ms, not 5
    thread.start()
    try:
        while True:
            item = full.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            free.put(item[0])
    finally:
        sys.setswitchinterval(switch)
        stop.set()
        free.put(bytearray(0))  # wake the thread if it waits for a buffer; it then stops
        thread.join(timeout=5)


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
            name = _contig_name(chrom, contigs, build)
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


def _contig_name(chrom: str, contigs: set[str], build: Build) -> str | None:
    if not contigs:
        return chrom
    for name in (chrom, *sorted(contig_aliases(chrom, build))):
        if name in contigs:
            return name
    return None


def _detect_build(vcf, header: str, head: bytes = b"") -> Build | None:
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
    # RefSeq accessions name the build by their version (NC_000014.8 = GRCh37, .9 = GRCh38),
    # in ##contig lines or, without them, in the first records
    first = [ln.split(b"\t", 1)[0].decode("ascii", "replace")
             for ln in head.split(b"\n") if ln and not ln.startswith(b"#")]
    return detect_build(contigs, header) or refseq_build([*contigs, *first[:-1]])


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
