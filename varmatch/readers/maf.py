"""MAF reader (GDC / cBioPortal / vcf2maf Mutation Annotation Format, spec 2.4, tab-separated).

Takes a MAF (plain or gzipped; ``#version`` / ``#`` comment lines before the header are skipped)
with one row per mutation and many samples (``Tumor_Sample_Barcode``). Gives one
:class:`SampleCalls` per sample, in order of first appearance, including samples with no pathway
row (so a cohort report lists them as negative):

* rows with ``HGVSp_Short`` (or ``HGVSp``) become finished :class:`Alteration` objects: gene from
  ``Hugo_Symbol``, consequence from ``Consequence`` (VEP term) or else ``Variant_Classification``,
  ``HGVSc`` / ``Transcript_ID`` / ``Exon_Number`` when present, read counts from ``t_ref_count`` /
  ``t_alt_count`` / ``t_depth``. A protein field that is not HGVS (``p.X582_splice``) leaves the
  protein empty and keeps the consequence;
* rows with coordinates only (``Chromosome``, ``Start_Position``, ``Reference_Allele``,
  ``Tumor_Seq_Allele1/2``) become :class:`RawCall` objects, converted to VCF-style alleles
  (indels get their anchor base from the bundled sequence, ``N`` where it is not bundled), for the
  offline annotator; ``NCBI_Build`` (GRCh37/37/hg19, GRCh38/38/hg38) sets the build.

The file is streamed line by line: rows whose ``Hugo_Symbol`` is not a pathway gene (the ``genes``
option) are dropped before any object is built (rows named ``Unknown``/empty are kept only when
their coordinates fall in a pathway gene region), so memory grows with pathway rows and samples,
not with file size.

Left out, with the reason in the report (never silently):

* ``FILTER`` other than ``PASS``/``.``/empty (GDC MAFs): kept with ``include_filtered``;
* ``Mutation_Status`` ``Germline`` (varmatch matches somatic alterations), and ``LOH``,
  ``Wildtype``, ``None`` (cBioPortal's values for records that are not a somatic mutation call;
  cBioPortal's importer drops them too). ``Somatic``, ``Unknown`` and empty are kept.
  ``include_filtered`` does not bring these back: they are not failed calls but non-somatic ones;
* a row with ``t_alt_count`` 0 (no read support in the tumor).

Not read: normal-sample columns, validation alleles, ``Protein_position`` alone (without HGVSp).

``--clinical FILE`` (cBioPortal ``data_clinical_sample.txt`` style: ``#`` header lines, then
``SAMPLE_ID`` and ``ONCOTREE_CODE`` columns) sets each sample's tumor type; see
:func:`read_clinical`.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from varmatch.errors import FormatError, InputError, SampleError
from varmatch.models import (
    Alteration,
    AlterationType,
    Build,
    Consequence,
    ExcludedCall,
    ProteinChange,
    Variant,
    evolve,
)
from varmatch.readers import RawCall, SampleCalls, head_bytes, register

log = logging.getLogger(__name__)

REQUIRED = ("Hugo_Symbol", "Tumor_Sample_Barcode")
COORDS = ("Chromosome", "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2")
# Columns that tell a MAF from other gene tables (any two of them beside the required ones)
_MAF_MARKERS = ("Variant_Classification", "Chromosome", "Start_Position", "Reference_Allele",
                "Tumor_Seq_Allele2", "NCBI_Build", "Variant_Type", "HGVSp_Short")

# MAF Variant_Classification -> the SO consequence it stands for
CLASSIFICATION = {
    "missense_mutation": Consequence.MISSENSE,
    "nonsense_mutation": Consequence.STOP_GAINED,
    "frame_shift_del": Consequence.FRAMESHIFT,
    "frame_shift_ins": Consequence.FRAMESHIFT,
    "in_frame_del": Consequence.INFRAME_DELETION,
    "in_frame_ins": Consequence.INFRAME_INSERTION,
    "splice_site": Consequence.SPLICE_DONOR,  # MAF does not say donor or acceptor; both truncate
    "splice_region": Consequence.SPLICE_REGION,
    "translation_start_site": Consequence.START_LOST,
    "nonstop_mutation": Consequence.STOP_LOST,
    "silent": Consequence.SYNONYMOUS,
    "3'utr": Consequence.UTR3,
    "5'utr": Consequence.UTR5,
    "3'flank": Consequence.DOWNSTREAM,
    "5'flank": Consequence.UPSTREAM,
    "intron": Consequence.INTRON,
    "igr": Consequence.INTERGENIC,
    "rna": Consequence.NON_CODING,
    "lincrna": Consequence.NON_CODING,
}
_SO = {c.value: c for c in Consequence}
_NOT_SOMATIC = {
    "germline": "Mutation_Status=Germline: a germline call (varmatch matches somatic alterations)",
    "loh": "Mutation_Status=LOH: a germline variant with loss of heterozygosity, not a somatic call",
    "wildtype": "Mutation_Status=Wildtype: no mutation called",
    "none": "Mutation_Status=None: not a mutation call",
}


# Column names as written by other MAF flavours (case-insensitive): older TCGA/Oncotator MAFs write
# Start_position/End_position, Protein_Change (p.E17K), cDNA_Change (c.49G>A) and
# Annotation_Transcript; some tools write Chrom or lower-case names. Canonical names win when both
# are present.
_CANONICAL = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Chromosome", "Start_Position",
              "End_Position", "Reference_Allele", "Tumor_Seq_Allele1", "Tumor_Seq_Allele2",
              "NCBI_Build", "Variant_Classification", "Variant_Type", "HGVSp_Short", "HGVSp",
              "HGVSc", "Transcript_ID", "Exon_Number", "t_ref_count", "t_alt_count", "t_depth",
              "FILTER", "Mutation_Status", "Consequence", "RefSeq")
_ALIASES = {"protein_change": "HGVSp_Short", "cdna_change": "HGVSc", "chrom": "Chromosome",
            "annotation_transcript": "Transcript_ID", "transcript_exon": "Exon_Number"}
_BY_LOWER = {c.lower(): c for c in _CANONICAL}


def canonical_columns(header: list[str]) -> dict[str, int]:
    """Canonical MAF column name -> index, whatever the case or flavour of the header."""
    col: dict[str, int] = {}
    for i, name in enumerate(header):
        col.setdefault(name, i)
    for i, name in enumerate(header):
        key = name.strip().lower()
        canon = _BY_LOWER.get(key)
        if canon is not None:
            col.setdefault(canon, i)
    for i, name in enumerate(header):
        canon = _ALIASES.get(name.strip().lower())
        if canon is not None:
            col.setdefault(canon, i)
    return col


def _header_cols(head: bytes) -> list[str] | None:
    text = head.decode("utf-8", "replace")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        return [c.strip() for c in line.rstrip("\r\n").split("\t")]
    return None


def _sniff(path: Path, head: bytes) -> bool:
    cols = _header_cols(head)
    return bool(cols) and is_maf_header(cols)


def is_maf_header(cols: list[str]) -> bool:
    """True for a MAF header (used by other sniffers to stay out of MAF's way).

    Hugo_Symbol and Tumor_Sample_Barcode with two MAF columns more; or, without
    Tumor_Sample_Barcode, Hugo_Symbol with three coordinate/classification columns: a MAF that
    lost its sample column, which the reader then names as the problem."""
    names = canonical_columns(cols)
    markers = sum(m in names for m in _MAF_MARKERS)
    if "Hugo_Symbol" not in names:
        return False
    if "Tumor_Sample_Barcode" in names:
        return markers >= 2
    return sum(m in names for m in _MAF_MARKERS if m != "HGVSp_Short") >= 3


# --------------------------------------------------------------------------------------------------
def open_text(path: Path) -> io.TextIOBase:
    """A text handle on ``path``, gunzipped when the file is gzip/BGZF compressed."""
    head_bytes(path, 2)  # uniform not-found / permission errors
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace",
                                newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def parse_build(text: str) -> Build | None:
    t = text.strip().lower().removeprefix("ncbi")
    if t in ("grch37", "37", "hg19", "b37", "grch37-lite", "hs37d5"):
        return Build.GRCh37
    if t in ("grch38", "38", "hg38", "b38"):
        return Build.GRCh38
    return None


def read_clinical(path: str | Path) -> dict[str, str]:
    """``SAMPLE_ID -> ONCOTREE_CODE`` from a cBioPortal-style clinical sample file.

    ``#`` lines (cBioPortal's four metadata header lines) are skipped; the first other line is
    the header. ``ONCOTREE_CODE`` is preferred; ``CANCER_TYPE_DETAILED`` / ``CANCER_TYPE`` are
    used when it is absent (they are resolved as names later). Empty / ``NA`` codes are skipped.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("clinical file not found; check the --clinical path", p)
    if not head_bytes(p).strip():
        raise InputError("clinical file is empty; expected SAMPLE_ID and ONCOTREE_CODE columns", p)
    out: dict[str, str] = {}
    with open_text(p) as fh:
        header: list[str] | None = None
        for n, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            cells = [c.strip() for c in line.rstrip("\r\n").split("\t")]
            if header is None:
                header = [c.upper() for c in cells]
                if "SAMPLE_ID" not in header:
                    raise FormatError("clinical file has no SAMPLE_ID column; expected a cBioPortal "
                                      "data_clinical_sample file (SAMPLE_ID, ONCOTREE_CODE)", p, n)
                code_col = next((c for c in ("ONCOTREE_CODE", "CANCER_TYPE_DETAILED", "CANCER_TYPE")
                                 if c in header), None)
                if code_col is None:
                    raise FormatError("clinical file has no ONCOTREE_CODE column; add one with the "
                                      "OncoTree code of each sample", p, n)
                si, ci = header.index("SAMPLE_ID"), header.index(code_col)
                continue
            if len(cells) <= max(si, ci):
                continue
            code = cells[ci]
            if cells[si] and code and code.upper() not in ("NA", "N/A", "UNKNOWN", "[NOT AVAILABLE]"):
                out[cells[si]] = code
    if header is None:
        raise FormatError("clinical file has no header line", p, 1)
    return out


class NotSorted(Exception):  # noqa: N818 - a signal between cohort processes, not a user error
    """Raised by :func:`read_maf` on ``lines`` whose samples are not in runs (unsorted MAF)."""


def _clinical(path: str) -> dict[str, str]:
    """:func:`read_clinical`, remembered while the file is unchanged (cohort workers read a MAF in
    many pieces, each naming the same clinical file)."""
    try:
        st = os.stat(path)
    except OSError:
        return read_clinical(path)  # says what is wrong with the path
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if _CLINICAL.get("key") != key:
        _CLINICAL.update(key=key, table=read_clinical(path))
    return dict(_CLINICAL["table"])


_CLINICAL: dict = {}


# --------------------------------------------------------------------------------------------------
def _anchor_lookup() -> Callable[[Build | None, str, int], str]:
    """Base at chrom:pos from the bundled sequence (``N`` where it is not bundled)."""
    dbs: dict[Build, object] = {}

    def base(build: Build | None, chrom: str, pos: int) -> str:
        if build is None or pos < 1:
            return "N"
        try:
            if build not in dbs:
                from varmatch.annotate.transcripts import TranscriptDB, norm_chrom

                dbs[build] = (TranscriptDB.bundled(build), norm_chrom)
            db, norm = dbs[build]
            b = db.sequence.fetch(norm(chrom), pos, pos).upper()  # type: ignore[attr-defined]
            return b if b in ("A", "C", "G", "T") else "N"
        except Exception:  # noqa: BLE001 - no bundled sequence: an N anchor still annotates
            return "N"

    return base


def maf_to_vcf(start: int, ref: str, alt: str, base: Callable[[int], str]) -> tuple[int, str, str]:
    """MAF alleles (``-`` for none) to VCF-style ``(pos, ref, alt)`` with an anchor base.

    MAF insertions sit between ``Start_Position`` and ``Start_Position + 1``; deletions start at
    the first deleted base.
    """
    ref = "" if ref == "-" else ref.upper()
    alt = "" if alt == "-" else alt.upper()
    if ref and alt:
        return start, ref, alt
    if not ref:  # insertion after `start`
        a = base(start)
        return start, a, a + alt
    a = base(start - 1)  # deletion: anchor on the base before
    return start - 1, a + ref, a


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return None


@register("maf", _sniff, "MAF (GDC/cBioPortal/vcf2maf): HGVSp_Short or coordinates; many samples")
def read_maf(
    path: Path,
    include_filtered: bool = False,
    genome: Build | None = None,
    clinical: str | None = None,
    gene_filter_for: Callable[[Build | None], Callable[[str, int, int], bool] | None] | None = None,
    genes: frozenset[str] | None = None,
    sample: str | None = None,
    stream: bool = False,
    lines: Iterable[tuple[int, str]] | None = None,
    **_ignored,
) -> Iterator[SampleCalls]:
    """Yield one :class:`SampleCalls` per ``Tumor_Sample_Barcode`` (only ``sample`` if given).

    ``stream`` (cohort mode): yield each sample as soon as the next barcode starts, so a MAF sorted
    by sample is processed while it is read. Once a sample comes back after others (an unsorted
    MAF) this is logged and the rest is buffered as without ``stream``: the samples not yet
    yielded, and again (complete) those yielded early that came back, follow at the end.

    ``lines`` (cohort workers): read these numbered lines of ``path`` instead of the file - its
    header line, then a run of rows (see :func:`varmatch.cohort.maf_chunks`)."""
    if lines is None and not head_bytes(path).strip():
        raise InputError("file is empty; expected a MAF with a Hugo_Symbol ... header", path)
    tumor_types = _clinical(clinical) if clinical else {}
    clinical_name = Path(clinical).name if clinical else None
    base = _anchor_lookup()
    filters: dict[Build | None, Callable[[str, int, int], bool] | None] = {}
    by_sample: dict[str, SampleCalls] = {}
    skipped = 0
    n_rows = 0
    current: str | None = None
    emitted: set[str] = set()
    again: set[str] = set()  # streamed samples that reappeared: yielded again at the end
    with contextlib.nullcontext() if lines is not None else open_text(path) as fh:
        header: list[str] | None = None
        col: dict[str, int] = {}
        gi = si = k = 0
        n = 0
        source = str(path)
        last: str | None = None  # the sample of the previous row, whose SampleCalls is ``sc``
        sc: SampleCalls | None = None
        for n, line in lines if lines is not None else enumerate(fh, start=1):
            if header is None:
                if not line.strip() or line.startswith("#"):
                    continue
                header = [c.strip() for c in line.rstrip("\r\n").split("\t")]
                col = _columns(header, path, n)
                gi, si = col["Hugo_Symbol"], col["Tumor_Sample_Barcode"]
                k = max(gi, si) + 1
                continue
            if line[0] == "#" or line.isspace():
                continue
            n_rows += 1
            # Cheap look at the gene and sample before splitting the whole row
            parts = line.split("\t", k)
            if len(parts) < k:
                raise FormatError(f"row has {len(parts)} columns, the header {len(header)}; "
                                  "is the file tab-separated throughout?", path, n)
            gene, sample_id = parts[gi].strip(), parts[si].strip()
            if sample_id != last:  # a new sample (or, unsorted, one seen before): rows come in runs
                if not sample_id:
                    raise FormatError("empty Tumor_Sample_Barcode; every MAF row needs its sample",
                                      path, n)
                if sample and sample_id != sample:
                    continue
                if stream:
                    if current is not None and not again:  # still sorted so far
                        yield _finished(by_sample[current], clinical_name, tumor_types, path)
                        emitted.add(current)
                    current = sample_id
                    if sample_id in emitted and sample_id not in again:
                        if lines is not None:  # a piece of the file: its caller reads it whole
                            raise NotSorted(f"{path}:{n}: {sample_id} comes back after other samples")
                        if not again:
                            log.warning("%s:%d: the MAF is not sorted by Tumor_Sample_Barcode (%s "
                                        "comes back after other samples); the rest is read before "
                                        "samples are handed on, and those of the %d handed on "
                                        "already that come back are redone", path, n, sample_id,
                                        len(emitted))
                        again.add(sample_id)
                sc = by_sample.get(sample_id)
                if sc is None:
                    sc = by_sample[sample_id] = SampleCalls(
                        sample=sample_id, source=source, annotation_source="MAF",
                        tumor_type=tumor_types.get(sample_id))
                last = sample_id
            if genes is not None and gene not in genes and gene not in ("Unknown", ""):
                skipped += 1
                continue
            cells = line.rstrip("\r\n").split("\t")
            if len(cells) < len(header):
                cells += [""] * (len(header) - len(cells))
            build = genome or _row_build(cells, col)
            if sc.build is None and build is not None:
                sc.build = build
            in_pathway = genes is None or gene in genes
            if not in_pathway:
                if gene not in ("Unknown", "") or "Chromosome" not in col:
                    skipped += 1
                    continue
                if build not in filters:
                    filters[build] = gene_filter_for(build) if gene_filter_for and build else None
                gf = filters[build]
                start = _int(cells[col["Start_Position"]])
                end = _int(cells[col["End_Position"]]) if "End_Position" in col else start
                if gf is None or start is None or not gf(cells[col["Chromosome"]], start, end or start):
                    skipped += 1
                    continue
            _add_row(sc, cells, col, gene, build, path, n, include_filtered, base)
    if header is None:
        raise FormatError("no header line; a MAF starts with Hugo_Symbol, ..., "
                          "Tumor_Sample_Barcode, ...", path, 1)
    if n_rows == 0:
        raise FormatError("MAF has a header but no data rows", path, n + 1)
    if stream:
        for sid, sc in by_sample.items():
            if sid not in emitted or sid in again:
                yield _finished(sc, clinical_name, tumor_types, path)
        log.log(logging.DEBUG if lines is not None else logging.INFO,
                "%s: %d rows, %d outside pathway genes skipped, %d samples%s", path, n_rows,
                skipped, len(by_sample), f", {len(again)} redone (unsorted)" if again else "")
        return
    if sample and sample not in by_sample:
        raise SampleError(f"sample {sample!r} is not a Tumor_Sample_Barcode of the MAF", path)
    unbuilt = next((s for s in by_sample.values() if s.calls and s.build is None), None)
    if unbuilt is not None:
        raise InputError(f"sample {unbuilt.sample}: rows give coordinates but no protein change and "
                         "the MAF has no NCBI_Build; pass --genome GRCh37 or --genome GRCh38", path)
    missing_tt = [s for s in by_sample if clinical and s not in tumor_types]
    for sid, sc in by_sample.items():
        if clinical_name:
            sc.notes.append(_clinical_note(sid, clinical_name, tumor_types))
    if missing_tt:
        log.warning("%s: %d sample(s) not in the clinical file", path, len(missing_tt))
    log.info("%s: %d rows, %d outside pathway genes skipped, %d samples", path, n_rows, skipped,
             len(by_sample))
    yield from by_sample.values()


def _clinical_note(sample: str, clinical_name: str, tumor_types: dict[str, str]) -> str:
    """Where the sample's tumor type came from (or that the clinical file lacks it)."""
    return (f"tumor type of {sample} from the clinical file {clinical_name}" if sample in tumor_types
            else f"{sample} is not in the clinical file {clinical_name}")


def _finished(sc: SampleCalls, clinical_name: str | None, tumor_types: dict[str, str],
              path: Path) -> SampleCalls:
    """A copy of a streamed sample with its end-of-sample checks and notes (the reader may still
    add rows to the original when an unsorted MAF brings the sample back)."""
    if sc.calls and sc.build is None:
        raise InputError(f"sample {sc.sample}: rows give coordinates but no protein change and "
                         "the MAF has no NCBI_Build; pass --genome GRCh37 or --genome GRCh38", path)
    notes = list(sc.notes)
    if clinical_name:
        notes.append(_clinical_note(sc.sample, clinical_name, tumor_types))
    return evolve(sc, calls=list(sc.calls), alterations=list(sc.alterations),
                  excluded_calls=list(sc.excluded_calls), excluded=list(sc.excluded),
                  notes=notes)


def _columns(header: list[str], path: Path, line: int) -> dict[str, int]:
    col = canonical_columns(header)
    missing = [c for c in REQUIRED if c not in col]
    if missing == ["Tumor_Sample_Barcode"]:
        raise FormatError("this MAF has no Tumor_Sample_Barcode column, so its rows cannot be "
                          "assigned to a sample; add the column (one sample ID per row)", path, line)
    if missing:
        raise FormatError(f"MAF header lacks {', '.join(missing)}; a MAF needs Hugo_Symbol and "
                          f"Tumor_Sample_Barcode columns (GDC/cBioPortal MAF 2.4)", path, line)
    has_protein = "HGVSp_Short" in col or "HGVSp" in col
    has_coords = all(c in col for c in COORDS)
    if not has_protein and not has_coords:
        raise FormatError("MAF has neither HGVSp_Short/HGVSp nor the coordinate columns "
                          f"({', '.join(COORDS)}); add one or the other", path, line)
    return col


def _row_build(cells: list[str], col: dict[str, int]) -> Build | None:
    i = col.get("NCBI_Build")
    return parse_build(cells[i]) if i is not None and cells[i].strip() else None


def _cell(cells: list[str], col: dict[str, int], name: str) -> str:
    i = col.get(name)
    return cells[i].strip() if i is not None else ""


def _add_row(sc: SampleCalls, cells: list[str], col: dict[str, int], gene: str,
             build: Build | None, path: Path, n: int, include_filtered: bool,
             base: Callable[[Build | None, str, int], str]) -> None:
    source = f"{path.name}:{n}"
    variant = _variant(cells, col, build, path, n, source, base)
    reason = _exclusion(cells, col, include_filtered)
    protein_text = _cell(cells, col, "HGVSp_Short") or _cell(cells, col, "HGVSp")
    if ("HGVSp_Short" in col or "HGVSp" in col) and gene not in ("Unknown", ""):
        alt = _alteration(cells, col, gene, protein_text, variant, sc.sample, path, n)
        if alt is None:
            return  # a row that names no protein-level event and has no coordinates
        if reason:
            where = f" ({variant})" if variant else ""
            sc.excluded.append(ExcludedCall(f"{alt}{where}", reason, source))
        else:
            sc.alterations.append(alt)
        return
    if variant is None:
        raise FormatError("row has no HGVSp_Short and no coordinates; fill Chromosome, "
                          "Start_Position, Reference_Allele, Tumor_Seq_Allele2", path, n)
    if reason:
        sc.excluded_calls.append((RawCall(variant), reason))
    else:
        sc.calls.append(RawCall(variant))


def _exclusion(cells: list[str], col: dict[str, int], include_filtered: bool) -> str | None:
    status = _cell(cells, col, "Mutation_Status").lower()
    if status in _NOT_SOMATIC:
        return _NOT_SOMATIC[status]
    filt = _cell(cells, col, "FILTER")
    if filt and filt not in ("PASS", ".") and not include_filtered:
        return f"FILTER={filt} (use --include-filtered to keep)"
    alt_count = _int(_cell(cells, col, "t_alt_count"))
    if alt_count is not None and alt_count <= 0 and _cell(cells, col, "t_alt_count"):
        return "t_alt_count=0: no read support in the tumor"
    return None


def _variant(cells: list[str], col: dict[str, int], build: Build | None, path: Path, n: int,
             source: str, base: Callable[[Build | None, str, int], str]) -> Variant | None:
    if not all(c in col for c in COORDS):
        return None
    chrom = _cell(cells, col, "Chromosome")
    start_text = _cell(cells, col, "Start_Position")
    ref = _cell(cells, col, "Reference_Allele")
    if not chrom or not start_text or not ref:
        return None
    start = _int(start_text)
    if start is None or start < 1:
        raise FormatError(f"Start_Position {start_text!r} is not a positive integer", path, n)
    a1, a2 = _cell(cells, col, "Tumor_Seq_Allele1"), _cell(cells, col, "Tumor_Seq_Allele2")
    alt = a2 if a2 and a2 != ref else a1
    if not alt or alt == ref:
        return None
    for allele, name in ((ref, "Reference_Allele"), (alt, "Tumor_Seq_Allele")):
        if allele != "-" and not re.fullmatch(r"[ACGTNacgtn]+", allele):
            raise FormatError(f"{name} {allele!r} is not a DNA sequence or '-'", path, n)
    pos, vref, valt = maf_to_vcf(start, ref, alt, lambda p: base(build, chrom, p))
    t_ref, t_alt = _int(_cell(cells, col, "t_ref_count")), _int(_cell(cells, col, "t_alt_count"))
    depth = _int(_cell(cells, col, "t_depth"))
    if depth is None and t_ref is not None and t_alt is not None:
        depth = t_ref + t_alt
    vaf = round(t_alt / depth, 6) if t_alt is not None and depth else None
    filt = _cell(cells, col, "FILTER")
    filters = tuple(filt.split(";")) if filt and filt != "." else ("PASS",)
    return Variant(chrom, pos, vref, valt, build, depth, t_alt, vaf, filters, source)


def _alteration(cells: list[str], col: dict[str, int], gene: str, protein_text: str,
                variant: Variant | None, sample: str, path: Path, n: int) -> Alteration | None:
    protein = None
    if protein_text and protein_text not in (".", "NA"):
        text = protein_text.split(":")[-1]
        try:
            protein = ProteinChange.parse(text)
        except ValueError:
            protein = None  # p.X582_splice, p.*1069*, ... : keep the consequence only
    consequence = None
    for term in re.split(r"[,&;]", _cell(cells, col, "Consequence")):
        c = _SO.get(term.strip())
        if c is not None and (consequence is None or c.rank < consequence.rank):
            consequence = c
    vc = _cell(cells, col, "Variant_Classification").lower()
    if consequence is None:
        consequence = CLASSIFICATION.get(vc)
    if consequence is None and protein is not None:
        consequence = protein.consequence
    if protein is None and consequence is None and variant is None:
        return None
    hgvs_c = _cell(cells, col, "HGVSc")
    hgvs_c = hgvs_c.split(":")[-1] if hgvs_c and hgvs_c != "." else None
    if hgvs_c and "_splice" in hgvs_c:  # Oncotator's c.118_splice is not HGVS
        hgvs_c = None
    transcript = (_cell(cells, col, "Transcript_ID") or _cell(cells, col, "RefSeq")) or None
    exon_text = _cell(cells, col, "Exon_Number").split("/")[0]
    return Alteration(
        gene=gene, type=AlterationType.MUTATION, consequence=consequence, protein=protein,
        hgvs_c=hgvs_c, transcript=transcript, exon=_int(exon_text) if exon_text else None,
        variant=variant, annotation_source="MAF", sample=sample,
    )
