"""Simple alteration tables (TSV/CSV): gene + protein change (+ optional sample, VAF, type).

Reads the ``#varmatch alterations v1`` files that ``varmatch annotate`` writes (so
``varmatch match`` can start from them) and hand-made tables with columns such as ``gene`` /
``Hugo_Symbol`` and ``protein_change`` / ``HGVSp_Short``. ``type`` may say amplification,
deletion or fusion (with ``partner``) for copy-number and structural events.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from varmatch.errors import FormatError
from varmatch.models import (
    Alteration,
    AlterationType,
    Build,
    Consequence,
    ProteinChange,
    Variant,
)
from varmatch.readers import SampleCalls, head_bytes, register

GENE_COLS = ("gene", "hugo_symbol", "symbol", "gene_symbol")
PROTEIN_COLS = ("protein_change", "hgvsp_short", "hgvsp", "protein", "aa_change", "hgvs_p")
SAMPLE_COLS = ("sample", "tumor_sample_barcode", "sample_id")
VAF_COLS = ("vaf", "t_vaf", "af", "allele_fraction")


def _header(head: bytes) -> tuple[list[str], str] | None:
    text = head.decode("utf-8", "replace")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        delim = "\t" if "\t" in line else ","
        return [c.strip().lower() for c in line.split(delim)], delim
    return None


def _sniff(path: Path, head: bytes) -> bool:
    if head.startswith(b"#varmatch alterations"):
        return True
    h = _header(head)
    if h and "tumor_sample_barcode" in h[0] and "variant_classification" in h[0]:
        return False  # a MAF: the maf reader takes it
    return bool(h) and any(c in h[0] for c in GENE_COLS) and any(c in h[0] for c in PROTEIN_COLS + ("type",))


def _col(header: list[str], names) -> int | None:
    for n in names:
        if n in header:
            return header.index(n)
    return None


@register("table", _sniff, "TSV/CSV of gene + protein change (+ sample, VAF, type); varmatch annotate output")
def read_table(path: Path, **_options) -> Iterator[SampleCalls]:
    raw = head_bytes(path, 1 << 30).decode("utf-8", "replace")
    lines = raw.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")), None)
    if start is None:
        raise FormatError("no header line; expected columns such as gene and protein_change", path, 1)
    delim = "\t" if "\t" in lines[start] else ","
    rows = csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=delim)
    header = [c.strip().lower() for c in next(rows)]
    gi = _col(header, GENE_COLS)
    if gi is None:
        raise FormatError(f"no gene column; expected one of {', '.join(GENE_COLS)}", path, start + 1)
    pi, si, vi = _col(header, PROTEIN_COLS), _col(header, SAMPLE_COLS), _col(header, VAF_COLS)
    ti, parti, ci = _col(header, ("type",)), _col(header, ("partner",)), _col(header, ("consequence",))
    cni = _col(header, ("copy_number",))
    by_sample: dict[str, SampleCalls] = {}
    default = path.name.split(".")[0]
    for n, row in enumerate(rows, start=start + 2):
        if not row or all(not c.strip() for c in row):
            continue
        if any("\n" in c for c in row):  # csv read an unmatched quote as one field over many lines
            k = max(c.count("\n") for c in row) + 1
            raise FormatError(f'an unmatched double quote (") makes one field of the next {k} lines; '
                              "close the quote or remove it", path, n)
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        cell = lambda i, row=row: row[i].strip() if i is not None and i < len(row) else ""  # noqa: E731
        gene = cell(gi)
        if not gene:
            raise FormatError("empty gene", path, n)
        sample = cell(si) or default
        sc = by_sample.setdefault(sample, SampleCalls(sample=sample, source=str(path)))
        kind = (cell(ti) or "mutation").lower()
        try:
            atype = AlterationType(kind)
        except ValueError:
            raise FormatError(f"type {kind!r} is not one of mutation, amplification, deletion, fusion",
                              path, n) from None
        protein = None
        ptext = cell(pi)
        if atype is AlterationType.MUTATION:
            if not ptext:
                raise FormatError(f"{gene}: empty protein change", path, n)
            try:
                protein = ProteinChange.parse(ptext.split(":")[-1])
            except ValueError:
                raise FormatError(f"{ptext!r} is not an HGVS protein change (e.g. p.E17K or p.Glu17Lys)",
                                  path, n) from None
        consequence = None
        if ci is not None and cell(ci):
            try:
                consequence = Consequence(cell(ci))
            except ValueError:
                consequence = None
        if consequence is None and protein is not None:
            consequence = protein.consequence
        vaf_text = cell(vi)
        try:
            vaf = float(vaf_text) if vaf_text else None
        except ValueError:
            raise FormatError(f"VAF {vaf_text!r} is not a number", path, n) from None
        variant = None
        if vaf is not None or _col(header, ("chrom",)) is not None:
            chrom_i, pos_i = _col(header, ("chrom",)), _col(header, ("pos",))
            build_text = cell(_col(header, ("build",)))
            variant = Variant(cell(chrom_i), int(cell(pos_i) or 0), cell(_col(header, ("ref",))),
                              cell(_col(header, ("alt",))),
                              Build(build_text) if build_text in ("GRCh37", "GRCh38") else None,
                              vaf=vaf, source=f"{path.name}:{n}")
        cn_text = cell(cni)
        sc.alterations.append(Alteration(
            gene=gene, type=atype, consequence=consequence, protein=protein,
            hgvs_c=cell(_col(header, ("hgvs_c",))) or None,
            transcript=cell(_col(header, ("transcript",))) or None, variant=variant,
            copy_number=float(cn_text) if cn_text else None, partner=cell(parti) or None,
            annotation_source=cell(_col(header, ("annotation_source",))) or "table", sample=sample,
        ))
    if not by_sample:
        raise FormatError("no data rows", path, start + 1)
    yield from by_sample.values()
