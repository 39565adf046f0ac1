"""Contig names: RefSeq chromosome accessions (``NC_000014.9``) to chromosome names, per build.

The accession's version tells the build: GRCh38 chromosomes 1-24 are one version above GRCh37's
(GRC assembly reports GCF_000001405.25 = GRCh37.p13 and GCF_000001405.26 = GRCh38; the entries
for chromosomes 1, 3, 7, 9, 10, 14, 16 and 19 were checked against the LRG records' assembly
mappings in ../shared/data/lrg). The mitochondrion (NC_012920.1, rCRS) is the same in both.
Small and dependency-free so the raw-text prefilter can call :func:`aliases` too.
"""

from __future__ import annotations

from varmatch.models import Build

# chromosome -> (GRCh37 accession, GRCh38 accession)
_NC = {
    "1": ("NC_000001.10", "NC_000001.11"), "2": ("NC_000002.11", "NC_000002.12"),
    "3": ("NC_000003.11", "NC_000003.12"), "4": ("NC_000004.11", "NC_000004.12"),
    "5": ("NC_000005.9", "NC_000005.10"), "6": ("NC_000006.11", "NC_000006.12"),
    "7": ("NC_000007.13", "NC_000007.14"), "8": ("NC_000008.10", "NC_000008.11"),
    "9": ("NC_000009.11", "NC_000009.12"), "10": ("NC_000010.10", "NC_000010.11"),
    "11": ("NC_000011.9", "NC_000011.10"), "12": ("NC_000012.11", "NC_000012.12"),
    "13": ("NC_000013.10", "NC_000013.11"), "14": ("NC_000014.8", "NC_000014.9"),
    "15": ("NC_000015.9", "NC_000015.10"), "16": ("NC_000016.9", "NC_000016.10"),
    "17": ("NC_000017.10", "NC_000017.11"), "18": ("NC_000018.9", "NC_000018.10"),
    "19": ("NC_000019.9", "NC_000019.10"), "20": ("NC_000020.10", "NC_000020.11"),
    "21": ("NC_000021.8", "NC_000021.9"), "22": ("NC_000022.10", "NC_000022.11"),
    "X": ("NC_000023.10", "NC_000023.11"), "Y": ("NC_000024.9", "NC_000024.10"),
    "MT": ("NC_012920.1", "NC_012920.1"),
}
_BY_ACC: dict[str, tuple[str, Build | None]] = {}
for _chrom, (_a37, _a38) in _NC.items():
    _BY_ACC[_a37] = (_chrom, None if _a37 == _a38 else Build.GRCh37)
    _BY_ACC[_a38] = (_chrom, None if _a37 == _a38 else Build.GRCh38)


def refseq(contig: str) -> tuple[str, Build | None] | None:
    """(chromosome, build) of a RefSeq chromosome accession; None for any other name.

    The build is None for the mitochondrion (same accession in both builds)."""
    return _BY_ACC.get(contig)


def chrom_name(contig: str) -> str:
    """The chromosome a contig names: 'NC_000014.9' -> '14'; other names unchanged."""
    hit = _BY_ACC.get(contig)
    return hit[0] if hit else contig


def aliases(chrom: str, build: Build) -> set[str]:
    """Every spelling of ``chrom`` a VCF on ``build`` may use: '14', 'chr14', 'NC_000014.9'."""
    bare = chrom.removeprefix("chr")
    bare = "MT" if bare == "M" else bare
    names = {bare, "chr" + bare}
    if bare == "MT":
        names.add("chrM")
    acc = _NC.get(bare)
    if acc:
        names.add(acc[0] if build is Build.GRCh37 else acc[1])
    return names


def build_of(contigs) -> Build | None:
    """The build that RefSeq accessions among ``contigs`` imply (None if none or mixed)."""
    builds = {hit[1] for c in contigs if (hit := _BY_ACC.get(c)) and hit[1] is not None}
    return builds.pop() if len(builds) == 1 else None
