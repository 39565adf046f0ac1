"""ANNOVAR tables: ``table_annovar.pl`` output (``*.hg19_multianno.txt``, tab-separated, and the
``.csv``) read as a pre-annotated table, and ``.avinput`` (coordinates only) read for the offline
annotator.

``*_multianno`` columns: ``Chr Start End Ref Alt`` in ANNOVAR's convention (``-`` for the empty
allele; a deletion starts at its first deleted base, an insertion sits after ``Start``), then
``Func.<db> Gene.<db> GeneDetail.<db> ExonicFunc.<db> AAChange.<db>`` for each gene database
(``refGene`` preferred, as for the VCF form; ``AAChange`` lists every transcript, comma-separated,
``GENE:NM_x:exonN:c.A3140G:p.H1047R``) and any other database columns, and with ``-otherinfo``
the input's own columns under ``Otherinfo`` (one header cell, or ``Otherinfo1..N``). When those
carry the original VCF record (``-vcfinput``: ``CHROM POS ID REF ALT QUAL FILTER INFO FORMAT
SAMPLE``), its position, alleles, FILTER and read counts are used; otherwise the ANNOVAR alleles
are turned into VCF form with an anchor base from the bundled sequence (``N`` outside it).

The transcript and protein are chosen by :class:`~.annovar.AnnovarParser`, as for ANNOVAR fields
in a VCF; a row whose gene is not a pathway gene is skipped unless its coordinates fall in a
pathway gene. The genome build comes from ``--genome``, else from the file name
(``.hg19_multianno``, ``.hg38_multianno``), else from the REF alleles (the annotator infers it).
The sample is the file name up to the first dot.

``.avinput``: ``chrom start end ref alt [anything]`` per line, no header; annotated offline from
the bundled models like an unannotated VCF. Rows that are not small variants (ANNOVAR's ``0``
reference for a whole-region deletion) are listed as excluded with the reason.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from varmatch.annotate.preannotated.annovar import AnnovarParser
from varmatch.annotate.preannotated.detect import annovar_suffix
from varmatch.errors import FormatError, InputError
from varmatch.models import Build, ExcludedCall, Variant
from varmatch.readers import RawCall, SampleCalls, head_bytes, register
from varmatch.readers.maf import _anchor_lookup, maf_to_vcf, open_text, parse_build

_HEAD = re.compile(r"^Chr([\t,])Start\1End\1Ref\1Alt\1", re.I)
_AVINPUT = re.compile(r"^(?:chr)?[0-9XYMT]{1,2}\t\d+\t\d+\t[ACGTNacgtn0-]+\t[ACGTNacgtn-]+(\t|$)")
_DNA = re.compile(r"[ACGTN]+")


def _lines(head: bytes, k: int) -> list[str]:
    text = head.decode("utf-8", "replace")
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")][:k]


def _sniff(path: Path, head: bytes) -> bool:
    lines = _lines(head, 5)
    if not lines:
        return False
    if _HEAD.match(lines[0].lstrip('"').replace('","', ",").replace('"', "")):
        return any(c.startswith("Func.") for c in re.split(r"[\t,]", lines[0].replace('"', "")))
    return all(_AVINPUT.match(ln) for ln in lines)


def _build_from_name(path: Path) -> Build | None:
    m = re.search(r"\.(hg19|hg38|grch37|grch38|hg18)_multianno", path.name, re.I)
    return parse_build(m.group(1)) if m else None


def _rows(path: Path, csv_form: bool) -> Iterator[tuple[int, list[str]]]:
    with open_text(path) as fh:
        if csv_form:
            for n, cells in enumerate(csv.reader(fh), start=1):
                if cells:
                    yield n, cells
            return
        for n, line in enumerate(fh, start=1):
            if line.strip() and not line.startswith("#"):
                yield n, line.rstrip("\r\n").split("\t")


@register("annovar", _sniff, "ANNOVAR table_annovar output (*_multianno.txt / .csv) and .avinput")
def read_annovar(
    path: Path,
    include_filtered: bool = False,
    genome: Build | None = None,
    gene_filter_for: Callable[[Build | None], Callable[[str, int, int], bool] | None] | None = None,
    genes: frozenset[str] | None = None,
    preferred: dict[str, set[str]] | None = None,
    **_ignored,
) -> Iterator[SampleCalls]:
    """Yield the one :class:`SampleCalls` of an ANNOVAR table or avinput file."""
    head = head_bytes(path)
    if not head.strip():
        raise InputError("file is empty; expected an ANNOVAR table (Chr Start End Ref Alt ...)", path)
    first = _lines(head, 1)[0]
    csv_form = first.startswith('"') or (first.count(",") > first.count("\t"))
    has_header = bool(_HEAD.match(first.replace('"', "")))
    build = genome or _build_from_name(path)
    sc = SampleCalls(sample=path.name.split(".")[0], source=str(path), build=build,
                     annotation_source="ANNOVAR" if has_header else "")
    if build is not None:
        sc.notes.append(f"genome build {build} "
                        + ("from --genome" if genome else f"from the file name ({path.name})"))
    gene_filter = gene_filter_for(build) if gene_filter_for and build else None
    base = _anchor_lookup()
    header: list[str] | None = None
    parser: AnnovarParser | None = None
    other = None
    for n, cells in _rows(path, csv_form):
        if has_header and header is None:
            header = [c.strip() for c in cells]
            suffix = annovar_suffix(header)
            if suffix is None:
                raise FormatError("ANNOVAR table without Func.<db>/Gene.<db> columns; run "
                                  "table_annovar.pl with -protocol refGene -operation g", path, n)
            parser = AnnovarParser(suffix, (), preferred)
            other = next((i for i, h in enumerate(header) if h.lower().startswith("otherinfo")),
                         None)
            continue
        _add_row(sc, cells, header, parser, other, n, path, build, base, genes, gene_filter,
                 include_filtered)
    if has_header and header is None:
        raise FormatError("header but no rows", path, 1)
    yield sc


def _add_row(sc: SampleCalls, cells: list[str], header: list[str] | None,
             parser: AnnovarParser | None, other: int | None, n: int, path: Path,
             build: Build | None, base, genes, gene_filter, include_filtered: bool) -> None:
    if len(cells) < 5:
        raise FormatError(f"{len(cells)} columns; an ANNOVAR row starts Chr Start End Ref Alt",
                          path, n)
    chrom, start_t, end_t, ref, alt = (c.strip() for c in cells[:5])
    source = f"{path.name}:{n}"
    try:
        start, end = int(start_t), int(end_t)
    except ValueError:
        raise FormatError(f"Start/End {start_t!r}/{end_t!r} are not positions", path, n) from None
    row = dict(zip(header, cells)) if header else {}
    if ref == "0" or not re.fullmatch(r"[ACGTNacgtn-]+", ref) or not re.fullmatch(
            r"[ACGTNacgtn-]+", alt):
        named = {g for k, v in row.items() if k.startswith("Gene.") for g in re.split(r"[;,]", v)}
        if genes is None or named & genes or (gene_filter and gene_filter(chrom, start, end)):
            sc.excluded.append(ExcludedCall(f"{chrom}:{start}-{end} {ref}>{alt}",
                                            "not a small variant (ANNOVAR region or symbolic "
                                            "allele)", source))
        return
    annotations: tuple = ()
    vcf = _vcf_columns(cells, other, chrom, start) if other is not None else None
    variant = _variant(chrom, start, ref, alt, vcf, build, source, base)
    if parser is not None:
        annotations = tuple(parser.alterations(row.get, variant.alt, 0, variant, genes))
    if not annotations and genes is not None:
        in_region = gene_filter is not None and gene_filter(variant.chrom, variant.pos,
                                                            variant.pos + len(variant.ref) - 1)
        if parser is not None and not in_region:
            return  # a non-pathway gene (or intergenic): dropped like off-pathway VCF records
        if parser is None and gene_filter is not None and not in_region:
            return
    call = RawCall(variant, annotations)
    if not variant.passed and not include_filtered:
        sc.excluded_calls.append((call, f"FILTER={';'.join(variant.filters)} (use "
                                        "--include-filtered to keep)"))
        return
    sc.calls.append(call)


def _vcf_columns(cells: list[str], other: int, chrom: str, start: int) -> list[str] | None:
    """The original VCF record inside the Otherinfo columns (``-vcfinput``), if there is one."""
    want = chrom.removeprefix("chr")
    for j in range(other, len(cells) - 4):
        if cells[j].removeprefix("chr") == want and cells[j + 1].isdigit() \
                and abs(int(cells[j + 1]) - start) <= 1 and _DNA.fullmatch(cells[j + 3].upper()):
            return cells[j:j + 10]
    return None


def _variant(chrom: str, start: int, ref: str, alt: str, vcf: list[str] | None,
             build: Build | None, source: str, base) -> Variant:
    depth = alt_depth = vaf = None
    filters: tuple[str, ...] = ("PASS",)
    if vcf is not None and len(vcf) >= 5 and "," not in vcf[4]:
        pos, vref, valt = int(vcf[1]), vcf[3].upper(), vcf[4].upper()
        if len(vcf) > 6 and vcf[6] not in ("", "."):
            filters = tuple(vcf[6].split(";"))
        if len(vcf) > 9:
            depth, alt_depth, vaf = _support(vcf[8], vcf[9])
    else:
        pos, vref, valt = maf_to_vcf(start, ref, alt, lambda p: base(build, chrom, p))
    return Variant(chrom, pos, vref, valt, build, depth, alt_depth, vaf, filters, source)


def _support(fmt: str, sample: str) -> tuple[int | None, int | None, float | None]:
    """(depth, alt depth, VAF) from a VCF FORMAT/sample pair (AD, DP, AF)."""
    values = dict(zip(fmt.split(":"), sample.split(":")))

    def num(text: str | None) -> float | None:
        try:
            return float(text) if text not in (None, "", ".") else None
        except ValueError:
            return None

    ad = [num(x) for x in values.get("AD", "").split(",")] if "AD" in values else []
    depth = num(values.get("DP"))
    alt_depth = ad[1] if len(ad) > 1 else None
    if depth is None and ad and all(x is not None for x in ad):
        depth = sum(ad)
    vaf = num(values.get("AF"))
    if vaf is None and alt_depth is not None and depth:
        vaf = alt_depth / depth
    return (int(depth) if depth is not None else None,
            int(alt_depth) if alt_depth is not None else None,
            round(vaf, 6) if vaf is not None else None)

