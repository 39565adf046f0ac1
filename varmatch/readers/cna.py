"""Copy-number reader: gene-level tables, segment files and VCF CNV records -> gene-level calls.

Takes (format told from the header; plain or gzipped, tab- or comma-separated):

* **gene-level tables**, long form (one row per gene, optional sample column) with one of:
  absolute copy number (``copy_number``/``cn``/``total_cn``/``Absolute Copy Number``), log2 ratio
  (``log2``/``log2_ratio``), fold change (``fold_change``/``Fold Change``), discrete GISTIC
  (``gistic``/``discrete``, -2..2), and/or a status text column (``call``/``status``/``type``:
  amplification / deletion / gain / loss / ...), as panel pipelines and moalmanac's
  ``called.cna.txt`` write them;
* **gene x sample tables** (cBioPortal ``data_CNA.txt``: ``Hugo_Symbol`` [``Entrez_Gene_Id``]
  then one column per sample) holding discrete GISTIC values (-2, -1.5, -1, 0, 1, 2, NA);
* **CNVkit** ``.cns`` / ``.call.cns`` (``chromosome start end gene log2 [cn] ... probes``),
  CNVkit 0.9.x;
* **segment files**: DNAcopy / GDC / TCGA (``ID chrom loc.start loc.end num.mark seg.mean``,
  ``Sample Chromosome Start End Num_Probes Segment_Mean``), moalmanac's Oncotator-annotated
  ``seg.annotated`` (``segment_contig segment_start segment_end segment_mean build sample``) and
  PCGR allele-specific segments (``Chromosome Start End nMajor nMinor``: CN = nMajor + nMinor);
* **VCF** ``<CNV>`` / ``<DEL>`` / ``<DUP>`` records (``SVTYPE``, ``END``, FORMAT or INFO ``CN``;
  DRAGEN ``SM`` fold change; Ion Reporter ``FUNC``/``GENE_NAME`` gene) through
  :func:`cnv_from_vcf`, called by the VCF reader.

Gives per sample gene-level :class:`Alteration` objects: ``AMPLIFICATION`` when the copy number
is at or above ``amp_threshold`` (absolute CN, default 5), ``DELETION`` (deep/homozygous) at or
below ``del_threshold`` (default 0.5). Near-diploid, gains and one-copy losses are not reported.
log2 ratios are converted at ploidy 2 without purity correction (CN = 2 x 2^log2), fold changes
as CN = 2 x fold change; discrete GISTIC values are taken as called (-2 deep deletion,
2 amplification) and ignore the thresholds. The thresholds and conversions used go into
``SampleCalls.notes`` so the report shows them (per gene for fold changes and log2 ratios).

Which decides, the file's call or the thresholds? In a gene table with a call column, an
amplification or deletion call (words above; Illumina CRAFT's ``DUP``/``DEL`` for TSO500 and
TST170, made against gene-specific fold-change cutoffs) is used as called: the copy number is
recorded and, when it does not pass ``--amp-threshold``/``--del-threshold``, the alteration carries
a flag saying so. Rows without a call, or with a one-copy call (gain, loss), are called by the
thresholds; a one-copy call that passes neither threshold is listed as excluded with the reason.
Segment files and VCF CNV records always use the thresholds.

Segments are mapped to genes by the pathway gene spans (``regions_for(build)``, padding trimmed).
A gene is deeply deleted when any overlapping segment is at or below the deletion threshold
(a homozygous loss of part of a tumor suppressor inactivates it), amplified when the
length-weighted mean copy number over the gene is at or above the amplification threshold.
The build comes from ``--genome``, else from the file (a build column, a header line, or a
``grch37``/``hg19``/``grch38``/``hg38`` token in the file name); CNVkit files without a build use
their own ``gene`` column; any other segment file without a build is refused (``--genome``).

Not read: allele-specific LOH (minor copy number), purity/ploidy columns, arm-level events,
exon-level (partial) calls.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from varmatch.errors import FormatError, InputError, SampleError
from varmatch.models import Alteration, AlterationType, Build, Consequence, ExcludedCall
from varmatch.readers import SampleCalls, head_bytes, register
from varmatch.readers.maf import is_maf_header, open_text, parse_build, read_clinical

log = logging.getLogger(__name__)

Rows = Iterable[tuple[int, list[str]]]
Genes = frozenset[str] | None
RegionsFor = Callable[[Build], list[tuple[str, int, int, str]]] | None

FLANK = 5000  # regions_for() pads each gene span by this much; trimmed back here

GENE_COLS = ("gene", "hugo_symbol", "gene_symbol", "symbol", "gene symbol", "gene_name")
SAMPLE_COLS = ("sample", "sample_id", "id", "tumor_sample_barcode", "sample_name", "sampleid")
CN_COLS = ("copy_number", "cn", "total_cn", "absolute_cn", "absolute copy number", "copynumber",
           "copy number", "estimated copy number", "tcn", "total_copy_number")
LOG2_COLS = ("log2", "log2_ratio", "log2ratio", "log2 ratio", "log2r", "log2_copy_ratio")
FC_COLS = ("fold_change", "fold change", "foldchange", "fc", "copy_ratio", "linear_ratio")
DISCRETE_COLS = ("gistic", "discrete", "gistic_call", "cna", "cna_call", "discrete_cn")
STATUS_COLS = ("call", "status", "cnv_call", "cnv_status", "type", "event", "cnv_type",
               "copy number variant", "alteration", "segment_call")
CHROM_COLS = ("chromosome", "chrom", "chr", "segment_contig", "contig", "seqnames")
START_COLS = ("start", "loc.start", "segment_start", "start_position", "loc_start", "startpos")
END_COLS = ("end", "loc.end", "segment_end", "end_position", "loc_end", "endpos")
SEGMEAN_COLS = ("seg.mean", "segment_mean", "seg_mean", "log2", "mean", "log2_ratio")
WIDE_ID_COLS = ("hugo_symbol", "entrez_gene_id", "gene symbol", "gene", "locus id", "cytoband",
                "gene_symbol")
DISCRETE_VALUES = {-2.0, -1.5, -1.0, 0.0, 1.0, 2.0}
# DUP / DEL: Illumina CRAFT (TSO500, TST170) calls, made against gene-specific fold-change cutoffs
_AMP_WORDS = {"amplification", "amp", "amplified", "dup", "high-level amplification", "high_amp",
              "highlevelamplification", "dup_amp", "amplification_high"}
_DEL_WORDS = {"deletion", "deep deletion", "deep_deletion", "homdel", "homozygous deletion",
              "homozygous_deletion", "deep_del", "loss_homozygous", "biallelic loss", "del_deep",
              "loss (homozygous)", "del"}
# one-copy changes: not amplification or deep deletion calls, so the thresholds decide those rows
_ONE_COPY_WORDS = {"gain", "loss", "shallow deletion", "shallow_deletion", "hetloss"}
_NEUTRAL_WORDS = {"gain", "loss", "shallow deletion", "shallow_deletion", "hetloss", "neutral",
                  "wild type", "wildtype", "diploid", "normal", "0", "+", "-", "++", "--",
                  "no change", "nc", "na", ""}


def _norm(cols: list[str]) -> list[str]:
    return [c.strip().strip('"').lower() for c in cols]


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    for n in names:
        if n in header:
            return header.index(n)
    return None


def _first_lines(head: bytes, k: int = 3) -> list[str]:
    out = []
    for line in head.decode("utf-8", "replace").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        out.append(line)
        if len(out) >= k:
            break
    return out


def _split(line: str, delim: str) -> list[str]:
    return [c.strip().strip('"') for c in line.rstrip("\r\n").split(delim)]


def classify_header(header: list[str], first_row: list[str] | None = None) -> str | None:
    """'cnvkit', 'segments', 'gene', 'wide' or None for a lower-cased header."""
    if header[:5] == ["chromosome", "start", "end", "gene", "log2"]:
        return "cnvkit"
    has_pos = (_find(header, CHROM_COLS) is not None and _find(header, START_COLS) is not None
               and _find(header, END_COLS) is not None)
    if has_pos and ({"nmajor", "nminor"} <= set(header) or _find(header, SEGMEAN_COLS) is not None
                    or _find(header, CN_COLS) is not None):
        return "segments"
    gene = _find(header, GENE_COLS)
    if gene is None:
        return None
    if any(_find(header, cols) is not None for cols in (CN_COLS, LOG2_COLS, FC_COLS, DISCRETE_COLS)):
        return "gene"
    if _find(header, ("call", "cnv_call", "cnv_status", "copy number variant", "cnv_type")) is not None:
        return "gene"
    if header[0] in ("hugo_symbol", "gene symbol", "gene", "gene_symbol") and first_row:
        values = [c for h, c in zip(header, first_row) if h not in WIDE_ID_COLS]
        if values and all(_is_num_or_na(v) for v in values):
            return "wide"
    return None


def _is_num_or_na(v: str) -> bool:
    if v.strip().upper() in ("", "NA", "NAN"):
        return True
    try:
        float(v)
        return True
    except ValueError:
        return False


def _sniff(path: Path, head: bytes) -> bool:
    lines = _first_lines(head, 2)
    if not lines or lines[0].startswith("#CHROM") or lines[0].startswith("##"):
        return False
    delim = "\t" if "\t" in lines[0] else ","
    raw = _split(lines[0], delim)
    if is_maf_header(raw):
        return False
    header = _norm(raw)
    # protein-change tables belong to the table reader
    if any(c in header for c in ("protein_change", "hgvsp_short", "hgvsp", "hgvs_p")):
        return False
    first = _split(lines[1], delim) if len(lines) > 1 else None
    return classify_header(header, first) is not None


# --------------------------------------------------------------------------------------------------
@dataclass
class Thresholds:
    amp: float = 5.0
    dele: float = 0.5

    def call(self, cn: float) -> AlterationType | None:
        if cn >= self.amp:
            return AlterationType.AMPLIFICATION
        if cn <= self.dele:
            return AlterationType.DELETION
        return None

    def note(self) -> str:
        return (f"copy-number thresholds: amplification at copy number >= {self.amp:g}, deep "
                f"deletion at <= {self.dele:g} (--amp-threshold / --del-threshold); near-diploid "
                "copy number, gains and one-copy losses are not reported")


LOG2_NOTE = ("log2 ratios converted to absolute copy number at ploidy 2 without purity "
             "correction: CN = 2 x 2^log2")
FC_NOTE = "fold changes converted to copy number at ploidy 2: CN = 2 x fold change"
DISCRETE_NOTE = ("discrete GISTIC values taken as called: -2 = deep deletion, 2 = amplification "
                 "(copy-number thresholds do not apply)")


def log2_to_cn(log2: float) -> float:
    return 2.0 * 2.0 ** min(log2, 1000.0)  # a garbage ratio (1e6) is "very high", not a crash


def cn_alteration(gene: str, kind: AlterationType, cn: float | None, sample: str,
                  source: str) -> Alteration:
    consequence = (Consequence.AMPLIFICATION if kind is AlterationType.AMPLIFICATION
                   else Consequence.TRANSCRIPT_ABLATION)
    return Alteration(gene=gene, type=kind, consequence=consequence,
                      copy_number=round(cn, 2) if cn is not None else None,
                      annotation_source=source, sample=sample)


def _float(text: str, path: Path, line: int, what: str) -> float | None:
    t = text.strip()
    if t.upper() in ("", "NA", "NAN", ".", "N/A", "NONE"):
        return None
    try:
        v = float(t)
    except ValueError:
        raise FormatError(f"{what} {t!r} is not a number", path, line) from None
    return v if math.isfinite(v) else None


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of non-comment lines; the first is the header."""
    delim = None
    with open_text(path) as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            if delim is None:
                delim = "\t" if "\t" in line else ","
            yield n, _split(line, delim)


def _build_from_file(path: Path, head: bytes) -> tuple[Build | None, str]:
    text = head.decode("utf-8", "replace")
    m = re.search(r"^#+.*?(?:build|assembly|genome|reference)\W+(\S+)", text, re.M | re.I)
    if m and parse_build(m.group(1).strip(",;")):
        return parse_build(m.group(1).strip(",;")), "a header line"
    tokens = re.split(r"[._\-]", path.name.lower())
    for t in tokens:
        b = parse_build(t)
        if b is not None and t not in ("37", "38"):
            return b, "the file name"
    return None, ""


# --------------------------------------------------------------------------------------------------
@register("cna", _sniff, "copy number: gene tables (CN/log2/fold change/GISTIC), CNVkit .cns, "
          "segment files (DNAcopy/GDC/moalmanac/PCGR)")
def read_cna(
    path: Path,
    sample: str | None = None,
    genome: Build | None = None,
    clinical: str | None = None,
    amp_threshold: float = 5.0,
    del_threshold: float = 0.5,
    regions_for: Callable[[Build], list[tuple[str, int, int, str]]] | None = None,
    genes: frozenset[str] | None = None,
    **_ignored,
) -> Iterator[SampleCalls]:
    """Yield one :class:`SampleCalls` per sample with its amplified / deeply deleted genes."""
    head = head_bytes(path)
    if not head.strip():
        raise InputError("file is empty; expected a copy-number table or segment file", path)
    if amp_threshold <= del_threshold:
        raise InputError(f"--amp-threshold {amp_threshold:g} must be above --del-threshold "
                         f"{del_threshold:g}", path)
    th = Thresholds(amp_threshold, del_threshold)
    rows = _rows(path)
    try:
        hline, raw_header = next(rows)
    except StopIteration:
        raise InputError("file has only comment lines; expected a copy-number table", path) from None
    header = _norm(raw_header)
    first = next(rows, None)
    kind = classify_header(header, first[1] if first else None)
    if kind is None:
        raise FormatError("not a copy-number table: expected a gene column with copy_number, log2, "
                          "fold_change, gistic or call, or segment columns (chrom, start, end, "
                          "seg.mean)", path, hline)
    if first is None:
        raise FormatError("header but no data rows", path, hline + 1)

    def all_rows() -> Iterator[tuple[int, list[str]]]:
        yield first
        yield from rows

    tumor_types = read_clinical(clinical) if clinical else {}
    if kind == "wide":
        out = _read_wide(path, raw_header, all_rows(), genes)
    elif kind == "gene":
        out = _read_gene_table(path, header, all_rows(), th, genes)
    else:
        out = _read_segments(path, head, header, all_rows(), kind, th, genome, regions_for, genes)
    if sample:
        if sample not in out:
            raise SampleError(f"sample {sample!r} is not in the file; samples are: "
                              f"{', '.join(sorted(out)[:20])}", path)
        out = {sample: out[sample]}
    for sid, sc in out.items():
        if sid in tumor_types:
            sc.tumor_type = tumor_types[sid]
        yield sc


def _sample_calls(out: dict[str, SampleCalls], sid: str, path: Path, notes: list[str],
                  build: Build | None = None) -> SampleCalls:
    sc = out.get(sid)
    if sc is None:
        sc = out[sid] = SampleCalls(sample=sid, source=str(path), build=build,
                                    notes=list(notes), annotation_source="copy number")
    return sc


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def _read_wide(path: Path, raw_header: list[str], rows: Rows,
               genes: Genes) -> dict[str, SampleCalls]:
    header = _norm(raw_header)
    id_idx = [i for i, h in enumerate(header) if h in WIDE_ID_COLS]
    samples = [(i, raw_header[i]) for i in range(len(header)) if i not in id_idx]
    out: dict[str, SampleCalls] = {}
    for _, s in samples:
        _sample_calls(out, s, path, [DISCRETE_NOTE])
    for n, cells in rows:
        gene = cells[0]
        if genes is not None and gene not in genes:
            continue
        if len(cells) < len(header):
            raise FormatError(f"row has {len(cells)} columns, the header {len(header)}", path, n)
        for i, s in samples:
            v = _float(cells[i], path, n, f"{gene} in {s}:")
            if v is None:
                continue
            if v not in DISCRETE_VALUES:
                raise FormatError(f"{gene} in {s}: {v:g} is not a discrete GISTIC value (-2..2); "
                                  "a gene x sample table must be discrete (cBioPortal data_CNA), "
                                  "give continuous values as a long table with a copy_number or "
                                  "log2 column", path, n)
            kind = {2.0: AlterationType.AMPLIFICATION, -2.0: AlterationType.DELETION}.get(v)
            if kind is not None:
                out[s].alterations.append(cn_alteration(gene, kind, None, s, "GISTIC"))
    return out


def _status_kind(text: str) -> AlterationType | None | str:
    t = text.strip().lower()
    if t in _AMP_WORDS:
        return AlterationType.AMPLIFICATION
    if t in _DEL_WORDS:
        return AlterationType.DELETION
    if t in _NEUTRAL_WORDS:
        return None
    return "unknown"


def _read_gene_table(path: Path, header: list[str], rows: Rows, th: Thresholds,
                     genes: Genes) -> dict[str, SampleCalls]:
    gi = _find(header, GENE_COLS)
    si = _find(header, SAMPLE_COLS)
    cni, l2i, fci = _find(header, CN_COLS), _find(header, LOG2_COLS), _find(header, FC_COLS)
    di = _find(header, DISCRETE_COLS)
    sti = _find(header, STATUS_COLS)
    notes = [th.note()]
    if cni is None and l2i is not None:
        notes.append(LOG2_NOTE)
    elif cni is None and l2i is None and fci is not None:
        notes.append(FC_NOTE)
    elif cni is None and l2i is None and fci is None and di is not None:
        notes = [DISCRETE_NOTE]
    elif cni is None and l2i is None and fci is None:
        notes = ["copy-number calls taken as the file states them (no copy number given): "
                 "amplification and (deep) deletion are reported, gain and loss are not"]
    out: dict[str, SampleCalls] = {}
    default = _stem(path)
    source = "copy number"
    for n, cells in rows:
        if len(cells) < len(header):
            cells = cells + [""] * (len(header) - len(cells))
        gene = cells[gi]
        if not gene:
            raise FormatError("empty gene name", path, n)
        sid = cells[si] if si is not None and cells[si] else default
        sc = _sample_calls(out, sid, path, notes)
        if genes is not None and gene not in genes:
            continue
        cn: float | None = None
        what = ""
        if cni is not None:
            cn = _float(cells[cni], path, n, "copy number")
        if cn is None and l2i is not None:
            v = _float(cells[l2i], path, n, "log2 ratio")
            cn, what = (log2_to_cn(v), f" (log2 {v:g})") if v is not None else (None, "")
        if cn is None and fci is not None:
            v = _float(cells[fci], path, n, "fold change")
            cn, what = (2.0 * v, f" (fold change {v:g})") if v is not None else (None, "")
        stated = _status_kind(cells[sti]) if sti is not None else None
        if stated == "unknown":
            raise FormatError(f"{gene}: copy-number call {cells[sti]!r} is not one of "
                              "amplification, deletion, gain, loss, neutral (or DUP, DEL)", path, n)
        if cn is not None and cn < 0:
            raise FormatError(f"{gene}: copy number {cn:g} is negative", path, n)
        if what and cn is not None:
            how = "2 x fold change" if "fold" in what else "2 x 2^log2"
            sc.notes.append(f"{gene}: copy number {cn:.2f} from {what[2:-1]} ({how}: ploidy 2, "
                            "no purity correction)")
        if isinstance(stated, AlterationType):
            # the caller's own call counts: callers such as CRAFT use gene-specific cutoffs that
            # one genome-wide threshold cannot reproduce
            alt = cn_alteration(gene, stated, cn, sid, source)
            if cn is not None and th.call(cn) is not stated:
                limit = (f"--amp-threshold {th.amp:g}" if stated is AlterationType.AMPLIFICATION
                         else f"--del-threshold {th.dele:g}")
                alt = replace(alt, flags=(f"the caller's {cells[sti].strip()} call is used; copy "
                                          f"number {cn:.2f}{what} does not pass {limit}",))
            sc.alterations.append(alt)
            continue
        if cn is not None:
            kind = th.call(cn)
            if kind is not None:
                sc.alterations.append(cn_alteration(gene, kind, cn, sid, source))
            elif sti is not None and cells[sti].strip().lower() in _ONE_COPY_WORDS:
                sc.excluded.append(ExcludedCall(
                    f"{gene} {cells[sti].strip()} (copy number {cn:.2f}{what})",
                    f"the file calls {cells[sti].strip()}, a one-copy change, and copy number "
                    f"{cn:.2f} passes neither --amp-threshold {th.amp:g} nor --del-threshold "
                    f"{th.dele:g}", f"{path.name}:{n}"))
            continue
        if di is not None and cells[di].strip():
            v = _float(cells[di], path, n, "GISTIC value")
            if v is not None and v not in DISCRETE_VALUES:
                raise FormatError(f"{gene}: {v:g} is not a discrete GISTIC value (-2..2)", path, n)
            kind = {2.0: AlterationType.AMPLIFICATION, -2.0: AlterationType.DELETION}.get(v or 0.0)
            if kind is not None:
                sc.alterations.append(cn_alteration(gene, kind, None, sid, "GISTIC"))
            continue
        if isinstance(stated, AlterationType):
            sc.alterations.append(cn_alteration(gene, stated, None, sid, source))
    return out


# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    sample: str
    chrom: str
    start: int
    end: int
    cn: float
    weight: float
    genes: tuple[str, ...] = ()  # the file's own gene column (CNVkit), when present
    line: int = 0


def _norm_chrom(c: str) -> str:
    c = c.strip()
    c = c[3:] if c.lower().startswith("chr") else c
    return "MT" if c.upper() in ("M", "MT") else c.upper() if c.lower() in ("x", "y") else c


def gene_spans(build: Build, regions_for: RegionsFor,
               genes: Genes) -> list[tuple[str, int, int, str]]:
    """(chrom, start, end, gene) of the pathway genes, the 5 kb padding trimmed."""
    if regions_for is not None:
        regions = regions_for(build)
    else:
        from varmatch.annotate.transcripts import TranscriptDB

        regions = TranscriptDB.bundled(build).regions()
    out = []
    for chrom, start, end, gene in regions:
        if genes is not None and gene not in genes:
            continue
        s, e = start + FLANK, end - FLANK
        if e < s:
            s, e = start, end
        out.append((_norm_chrom(chrom), s, e, gene))
    return out


def _read_segments(path: Path, head: bytes, header: list[str], rows: Rows, kind: str,
                   th: Thresholds, genome: Build | None, regions_for: RegionsFor,
                   genes: Genes) -> dict[str, SampleCalls]:
    notes = [th.note()]
    chi, sti, eni = _find(header, CHROM_COLS), _find(header, START_COLS), _find(header, END_COLS)
    si = _find(header, SAMPLE_COLS)
    bi = _find(header, ("build", "genome", "assembly", "ncbi_build"))
    gcol = header.index("gene") if kind == "cnvkit" else None
    cni = _find(header, CN_COLS)
    allele = {"nmajor", "nminor"} <= set(header)
    mi = _find(header, SEGMEAN_COLS)
    if kind == "cnvkit":
        cni = header.index("cn") if "cn" in header else None
        mi = header.index("log2")
        source = "CNVkit"
    else:
        source = "segments"
    if allele:
        notes.append("allele-specific segments: copy number = nMajor + nMinor")
    elif cni is not None:
        notes.append("absolute copy number from the file's copy-number column")
    else:
        notes.append(LOG2_NOTE + " (segment means read as log2 ratios)")
    build = genome
    build_note = "--genome" if genome else ""
    default = _stem(path)
    segments: list[Segment] = []
    samples: list[str] = []
    seen: set[tuple] = set()
    for n, cells in rows:
        if len(cells) < len(header):
            raise FormatError(f"row has {len(cells)} columns, the header {len(header)}; "
                              "a segment row needs chrom, start, end and a value", path, n)
        sid = cells[si] if si is not None and cells[si] else default
        if sid not in samples:
            samples.append(sid)
        if build is None and bi is not None and cells[bi]:
            build = parse_build(cells[bi])
            build_note = "the file's build column" if build else ""
        try:
            start, end = int(float(cells[sti])), int(float(cells[eni]))
        except ValueError:
            raise FormatError(f"segment start/end {cells[sti]!r}/{cells[eni]!r} are not integers",
                              path, n) from None
        if end < start:
            raise FormatError(f"segment end {end} is before its start {start}", path, n)
        if allele:
            a = _float(cells[header.index("nmajor")], path, n, "nMajor")
            b = _float(cells[header.index("nminor")], path, n, "nMinor")
            cn = a + b if a is not None and b is not None else None
        elif cni is not None:
            cn = _float(cells[cni], path, n, "copy number")
        else:
            v = _float(cells[mi], path, n, "segment mean")
            cn = log2_to_cn(v) if v is not None else None
        if cn is None:
            continue
        key = (sid, cells[chi], start, end)
        if key in seen:  # annotated segment files repeat a segment once per gene
            continue
        seen.add(key)
        weight = float(end - start + 1)
        gene_list: tuple[str, ...] = ()
        if gcol is not None:
            gene_list = tuple(g for g in re.split(r"[,;]", cells[gcol]) if g and g != "-")
        segments.append(Segment(sid, _norm_chrom(cells[chi]), start, end, cn, weight, gene_list, n))
    if build is None:
        build, where = _build_from_file(path, head)
        build_note = where
    out: dict[str, SampleCalls] = {}
    if build is not None:
        notes.append(f"segments mapped to genes on {build} (build from {build_note}); a gene is "
                     "deleted if any segment over it is, amplified if its length-weighted mean is")
        spans = gene_spans(build, regions_for, genes)
        for sid in samples:
            sc = _sample_calls(out, sid, path, notes, build)
            _call_genes(sc, [s for s in segments if s.sample == sid], spans, th, source)
        return out
    if kind == "cnvkit":
        notes.append("genome build unknown: segments mapped to genes by CNVkit's own gene column "
                     "(pass --genome to use the gene spans instead)")
        for sid in samples:
            sc = _sample_calls(out, sid, path, notes)
            _call_by_gene_column(sc, [s for s in segments if s.sample == sid], th, source, genes)
        return out
    raise InputError("segment file without a genome build: pass --genome GRCh37 or --genome "
                     "GRCh38 so segments can be mapped to genes", path)


def _call_genes(sc: SampleCalls, segments: list[Segment],
                spans: list[tuple[str, int, int, str]], th: Thresholds, source: str) -> None:
    by_chrom: dict[str, list[Segment]] = {}
    for s in segments:
        by_chrom.setdefault(s.chrom, []).append(s)
    for chrom, gstart, gend, gene in spans:
        hits = [(s, min(s.end, gend) - max(s.start, gstart) + 1) for s in by_chrom.get(chrom, [])
                if s.start <= gend and gstart <= s.end]
        if not hits:
            continue
        _decide(sc, gene, hits, th, source)


def _call_by_gene_column(sc: SampleCalls, segments: list[Segment], th: Thresholds, source: str,
                         genes: Genes) -> None:
    per_gene: dict[str, list[tuple[Segment, float]]] = {}
    for s in segments:
        for g in s.genes:
            if genes is None or g in genes:
                per_gene.setdefault(g, []).append((s, s.weight))
    for gene, hits in per_gene.items():
        _decide(sc, gene, hits, th, source)


def _decide(sc: SampleCalls, gene: str, hits: list[tuple[Segment, float]], th: Thresholds,
            source: str) -> None:
    low = min(hits, key=lambda h: h[0].cn)[0]
    if low.cn <= th.dele:
        sc.alterations.append(cn_alteration(gene, AlterationType.DELETION, low.cn, sc.sample, source))
        return
    total = sum(w for _, w in hits)
    mean = sum(s.cn * w for s, w in hits) / total if total > 0 else low.cn
    if mean >= th.amp:
        sc.alterations.append(cn_alteration(gene, AlterationType.AMPLIFICATION, mean, sc.sample,
                                            source))
    elif max(s.cn for s, _ in hits) >= th.amp:
        high = max(hits, key=lambda h: h[0].cn)[0]
        sc.excluded.append(ExcludedCall(
            f"{gene} partial amplification (copy number {high.cn:.2f} over part of the gene)",
            f"length-weighted copy number over the gene {mean:.2f} is below --amp-threshold "
            f"{th.amp:g}", f"{Path(sc.source).name}:{high.line}"))


# --------------------------------------------------------------------------------------------------
def cnv_from_vcf(path: Path, out: SampleCalls, include_filtered: bool = False,
                 amp_threshold: float = 5.0, del_threshold: float = 0.5,
                 regions_for: Callable[[Build], list[tuple[str, int, int, str]]] | None = None,
                 genes: frozenset[str] | None = None, **_ignored) -> None:
    """Add the gene-level copy-number calls of a VCF's ``<CNV>``/``<DEL>``/``<DUP>`` records to
    ``out`` (the VCF reader's :class:`SampleCalls` for the tumor sample).

    Read only when the header declares one of those ALTs (a second, cheap pass over the file).
    Copy number: FORMAT ``CN`` of the tumor sample, else INFO ``CN``, else 2 x FORMAT ``SM``
    (DRAGEN fold change); a ``<DEL>`` with a homozygous-ALT genotype and no CN counts as CN 0.
    Gene: INFO ``FUNC`` gene (Ion Reporter), ``GENE_NAME``/``GENE``/``SEGID``, else the records'
    overlap with the pathway gene spans (needs the build). FILTER other than PASS -> excluded.
    """
    header = head_bytes(path, 1 << 20).decode("utf-8", "replace")
    if not re.search(r"^##ALT=<ID=(CNV|DEL|DUP)\b", header, re.M):
        return
    from cyvcf2 import VCF

    th = Thresholds(amp_threshold, del_threshold)
    try:
        vcf = VCF(str(path), lazy=True, threads=1)
    except Exception as exc:  # noqa: BLE001 - cyvcf2 raises bare Exception
        raise FormatError(f"not a readable VCF ({exc})", path, 1) from None
    samples = list(vcf.samples)
    idx = samples.index(out.sample) if out.sample in samples else (0 if samples else None)
    spans = gene_spans(out.build, regions_for, genes) if out.build is not None else None
    found = False
    from varmatch.readers.vcf_fields import checked, header_line_count

    line = header_line_count(path)
    for rec in checked(vcf, path):  # a malformed record: FormatError naming its line
        line += 1
        alts = rec.ALT
        if not alts or alts[0] not in ("<CNV>", "<DEL>", "<DUP>") and not alts[0].startswith(
                ("<DEL:", "<DUP:")):
            continue
        svtype = str(rec.INFO.get("SVTYPE") or alts[0].strip("<>").split(":")[0]).upper()
        if svtype not in ("CNV", "DEL", "DUP"):
            continue
        found = True
        cn = _record_cn(rec, idx, alts[0])
        try:
            end = int(rec.INFO.get("END") or rec.end)
        except (TypeError, ValueError):
            end = rec.end
        rec_genes = _record_genes(rec)
        if not rec_genes and spans is not None:
            c = _norm_chrom(rec.CHROM)
            rec_genes = [g for ch, s, e, g in spans if ch == c and s <= end and rec.POS <= e]
        rec_genes = [g for g in rec_genes if genes is None or g in genes]
        if not rec_genes or cn is None:
            continue
        kind = th.call(cn)
        filt = rec.FILTER or "PASS"
        for gene in dict.fromkeys(rec_genes):
            src = f"{path.name}:{line}"
            if filt != "PASS" and not include_filtered:
                label = f"{gene} {kind}" if kind else f"{gene} copy number"
                out.excluded.append(ExcludedCall(f"{label} (copy number {cn:.2f})",
                                                 f"FILTER={filt} (use --include-filtered to keep)",
                                                 src))
                continue
            if kind is not None:
                out.alterations.append(cn_alteration(gene, kind, cn, out.sample, "VCF CNV"))
    if found:
        note = th.note()
        if note not in out.notes:
            out.notes.append(note)


def _record_cn(rec, idx: int | None, alt: str) -> float | None:
    from varmatch.readers.vcf_fields import _fmt, _info, _num, _pick, gt_calls

    def finite(x) -> float | None:
        v = _num(x)
        return v if v is not None and math.isfinite(v) else None

    if idx is not None:
        for tag, scale in (("CN", 1.0), ("SM", 2.0)):
            v = finite(_pick(_fmt(rec, tag, idx), 0))
            if v is not None:
                return v * scale
    v = finite(_pick(_info(rec, "CN"), 0))
    if v is not None:
        return v
    if alt.startswith("<DEL") and idx is not None:
        calls = gt_calls(rec, idx)
        if calls and all(a > 0 for a in calls):
            return 0.0
    return None


def _record_genes(rec) -> list[str]:
    func = rec.INFO.get("FUNC")
    if func:
        found = re.findall(r"'gene'\s*:\s*'([^']+)'", str(func))
        if found:
            return found
    for tag in ("GENE_NAME", "GENE", "GENES", "SEGID", "Gene"):
        v = rec.INFO.get(tag)
        if v:
            return [g for g in re.split(r"[,|&]", str(v)) if g]
    return []
