"""Lists of HGVS expressions, one per line (optionally white space and a sample name after it).

Takes ``GENE:p.H1047R`` (an alteration as written), ``NM_006218.4:c.3140A>G`` (mapped to the
genome through the bundled model of that RefSeq transcript, then annotated like a VCF call) and
``NC_000003.12:g.179234297A>G`` (the RefSeq chromosome accession names chromosome and build:
GRCh38 versions are the GRCh37 ones plus one). Substitutions, deletions, duplications,
insertions and delins are read for c. and g.; a c. expression on a transcript varmatch does not
bundle, or off the bundled sequence, is listed as excluded with the reason, never guessed.
Expressions outside the pathway genes are ignored, as in a VCF.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from varmatch.errors import FormatError
from varmatch.models import Alteration, Build, ExcludedCall, ProteinChange, Variant
from varmatch.readers import RawCall, SampleCalls, head_bytes, register

# RefSeq chromosome accession versions on GRCh37 (NC_000001.10 ... ); GRCh38 is one higher.
_GRCH37_VERSION = {1: 10, 2: 11, 3: 11, 4: 11, 5: 9, 6: 11, 7: 13, 8: 10, 9: 11, 10: 10, 11: 9,
                   12: 11, 13: 10, 14: 8, 15: 9, 16: 9, 17: 10, 18: 9, 19: 9, 20: 10, 21: 8,
                   22: 10, 23: 10, 24: 9}
_LINE = re.compile(r"^(?P<acc>[A-Za-z0-9_.\-]+):(?P<kind>[cgp])\.(?P<change>\S+)$")
_NUC = re.compile(r"^\(?(?P<start>[-*]?\d+(?:[+-]\d+)?)(?:_(?P<end>[-*]?\d+(?:[+-]\d+)?))?"
                  r"(?:(?P<ref>[ACGT]+)>(?P<alt>[ACGT]+)|(?P<op>delins|del|dup|ins)(?P<seq>[ACGT]*))"
                  r"\)?$")


def _sniff(path: Path, head: bytes) -> bool:
    lines = [ln for ln in head.decode("utf-8", "replace").splitlines()[:50] if ln.strip()]
    return bool(lines) and all(_LINE.match(ln.split()[0]) for ln in lines)


def _chromosome(acc: str) -> tuple[str, Build] | None:
    m = re.fullmatch(r"NC_0000(\d\d)\.(\d+)", acc)
    if not m or int(m.group(1)) not in _GRCH37_VERSION:
        return None
    n, version = int(m.group(1)), int(m.group(2))
    chrom = {23: "X", 24: "Y"}.get(n, str(n))
    if version == _GRCH37_VERSION[n]:
        return chrom, Build.GRCh37
    if version == _GRCH37_VERSION[n] + 1:
        return chrom, Build.GRCh38
    return None


@register("hgvs", _sniff, "lists of HGVS expressions: GENE:p., NM_:c., NC_:g. (one per line)")
def read_hgvs_list(path: Path, genes: frozenset[str] | None = None, genome: Build | None = None,
                   **_ignored) -> Iterator[SampleCalls]:
    from varmatch.annotate.transcripts import TranscriptDB

    text = head_bytes(path, 1 << 30).decode("utf-8", "replace")
    by_sample: dict[str, SampleCalls] = {}
    default = path.name.split(".")[0]
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        expr, *rest = raw.split()
        sample = rest[0] if rest else default
        m = _LINE.match(expr)
        if not m:
            raise FormatError(f"{expr!r} is not an HGVS expression (e.g. PIK3CA:p.H1047R, "
                              "NM_006218.4:c.3140A>G, NC_000003.12:g.179234297A>G)", path, n)
        sc = by_sample.setdefault(sample, SampleCalls(sample=sample, source=str(path)))
        acc, kind, change = m["acc"], m["kind"], m["change"]
        where = f"{path.name}:{n}"
        if kind == "p":
            if genes is not None and acc not in genes:
                continue
            try:
                pc = ProteinChange.parse(change)
            except ValueError:
                raise FormatError(f"{change!r} is not an HGVS protein change", path, n) from None
            sc.alterations.append(Alteration(acc, consequence=pc.consequence, protein=pc,
                                             annotation_source="HGVS list", sample=sample))
            continue
        nuc = _NUC.match(change)
        if not nuc:
            sc.excluded.append(ExcludedCall(expr, "HGVS form not read (substitution, del, dup, "
                                            "ins and delins are)", where))
            continue
        if kind == "g":
            located = _chromosome(acc)
            if located is None:
                sc.excluded.append(ExcludedCall(expr, f"{acc} is not a GRCh37/GRCh38 RefSeq "
                                                "chromosome accession", where))
                continue
            chrom, build = located
            db = TranscriptDB.bundled(build)
            try:
                start, end = int(nuc["start"]), int(nuc["end"] or nuc["start"])
            except ValueError:
                raise FormatError(f"{change!r}: g. positions must be plain numbers", path, n) \
                    from None
            strand = "+"
        else:  # c.
            found = _transcript(acc, genome)
            if found is None:
                sc.excluded.append(ExcludedCall(expr, f"transcript {acc} is not a bundled pathway "
                                                "transcript; give g. or p. HGVS for a pathway gene", where))
                continue
            db, tx = found
            if genes is not None and tx.gene not in genes:
                continue
            build, chrom, strand = db.build, tx.chrom, tx.strand
            try:
                a, b = tx.genomic(nuc["start"]), tx.genomic(nuc["end"] or nuc["start"])
            except ValueError as exc:
                sc.excluded.append(ExcludedCall(expr, str(exc), where))
                continue
            start, end = min(a, b), max(a, b)
            if acc.split(".")[0] == tx.name.split(".")[0] and acc != tx.name:
                sc.notes.append(f"{expr}: read on the bundled {tx.name} (another version of "
                                f"{acc.split('.')[0]})")
        if not db.overlaps(chrom, start, end):
            continue
        variant = _vcf_alleles(db, chrom, start, end, strand, nuc, build, where)
        if variant is None:
            sc.excluded.append(ExcludedCall(expr, "reference sequence not bundled at this "
                                            "position; use a VCF", where))
            continue
        sc.build = sc.build or build
        sc.calls.append(RawCall(variant))
    if not by_sample:
        raise FormatError("no HGVS expressions", path, 1)
    yield from by_sample.values()


def _transcript(acc: str, genome: Build | None):
    from varmatch.annotate.transcripts import TranscriptDB

    base = acc.split(".")[0]
    for build in ([genome] if genome else [Build.GRCh38, Build.GRCh37]):
        db = TranscriptDB.bundled(build)
        for tx in db.transcripts:
            if tx.name.split(".")[0] == base:
                return db, tx
    return None


def _revcomp(s: str) -> str:
    return s.translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


def _vcf_alleles(db, chrom: str, start: int, end: int, strand: str, nuc, build: Build,
                 where: str) -> Variant | None:
    """VCF-style REF/ALT (with an anchor base for indels) read off the bundled sequence."""
    def fetch(a: int, b: int) -> str | None:
        s = db.sequence.fetch(chrom, a, b).upper()
        return None if "N" in s else s

    fwd = (lambda s: s) if strand == "+" else _revcomp
    if nuc["ref"]:
        ref = fetch(start, end)
        if ref is None:
            return None
        return Variant(chrom, start, ref, fwd(nuc["alt"]), build, source=where)
    op, seq = nuc["op"], fwd(nuc["seq"] or "")
    if op == "ins":  # between start and end (adjacent bases)
        anchor = fetch(start, start)
        return None if anchor is None else Variant(chrom, start, anchor, anchor + seq, build,
                                                   source=where)
    span = fetch(start - 1, end)
    if span is None:
        return None
    if op == "del":
        return Variant(chrom, start - 1, span, span[0], build, source=where)
    if op == "dup":
        return Variant(chrom, end, span[-1], span[-1] + span[1:], build, source=where)
    return Variant(chrom, start - 1, span, span[0] + seq, build, source=where)  # delins
