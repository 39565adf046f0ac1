"""Input readers: a registry keyed by format name, with content sniffing.

Each reader turns one input file into :class:`SampleCalls` (per sample): raw calls (a genomic
:class:`~varmatch.models.Variant` plus any annotation the file already carries) and/or finished
:class:`~varmatch.models.Alteration` objects (for formats that state gene and protein change).
A new input format is one module with one ``@register`` decorator.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from varmatch.errors import FormatError, InputError, UsageError
from varmatch.models import Alteration, Build, ExcludedCall, Variant


@dataclass(frozen=True)
class RawCall:
    """One ALT allele as read, with the annotations the file carried (possibly none)."""

    variant: Variant
    annotations: tuple[Alteration, ...] = ()


@dataclass
class SampleCalls:
    """What a reader found for one sample."""

    sample: str
    source: str
    build: Build | None = None
    calls: list[RawCall] = field(default_factory=list)  # still to be annotated
    alterations: list[Alteration] = field(default_factory=list)  # already gene-level
    # calls left out (FILTER, no support), annotated later so the report can name their gene
    excluded_calls: list[tuple[RawCall, str]] = field(default_factory=list)
    excluded: list[ExcludedCall] = field(default_factory=list)  # already described exclusions
    notes: list[str] = field(default_factory=list)
    tumor_type: str | None = None  # when the file states it
    annotation_source: str = ""  # e.g. "VEP" when the file was pre-annotated
    # calls at the other build's pathway positions, read only when none fell in a pathway gene on
    # the --genome build: the annotator checks their REF to catch a wrong --genome
    probe: list[RawCall] = field(default_factory=list)
    # alterations in context genes (ERBB2, ESR1), set by the annotator for eligibility checks
    context: list[Alteration] = field(default_factory=list)


@dataclass(frozen=True)
class ReaderSpec:
    name: str
    read: Callable[..., Iterator[SampleCalls]]
    sniff: Callable[[Path, bytes], bool]
    description: str


READERS: dict[str, ReaderSpec] = {}


def register(name: str, sniff: Callable[[Path, bytes], bool], description: str):
    """Decorator: register ``fn(path, **options) -> Iterator[SampleCalls]`` under ``name``."""

    def deco(fn):
        READERS[name] = ReaderSpec(name, fn, sniff, description)
        return fn

    return deco


def head_bytes(path: Path, n: int = 65536) -> bytes:
    """The first ``n`` bytes of a file, gunzipped when it is gzip/BGZF compressed."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(2)
        if magic == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                return fh.read(n)
        with open(path, "rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        raise InputError("file not found; check the path", path) from None
    except IsADirectoryError:
        raise InputError("is a directory; give a file", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read ({exc}); is the file complete?", path) from None


def sniff(path: Path) -> str:
    """Name of the reader whose sniffer accepts the file's content."""
    head = head_bytes(path)
    if not head.strip():
        raise InputError("file is empty; expected a VCF, MAF or variant table", path)
    for spec in READERS.values():
        if spec.sniff(path, head):
            return spec.name
    raise FormatError(
        f"cannot tell the format from the content; use --format ({', '.join(sorted(READERS))})",
        path,
        1,
    )


def read(path: str | Path, fmt: str | None = None, **options) -> Iterator[SampleCalls]:
    """Read ``path`` with the reader named ``fmt`` (sniffed from the content when None)."""
    _load_builtin_readers()
    p = Path(path)
    if str(path) != "-" and not p.exists():
        raise InputError("file not found; check the path", p)
    name = fmt or sniff(p)
    if name not in READERS:
        raise UsageError(f"unknown input format {name!r}; choose one of: {', '.join(sorted(READERS))}")
    return READERS[name].read(p, **options)


def _load_builtin_readers() -> None:
    # Imported for their @register side effect; kept lazy so `varmatch --help` stays fast.
    # Import order is sniffing order: specific formats first (vendor reports, MAF before the
    # generic table reader, which would also accept a MAF's HGVSp_Short), the gene table and VCF
    # last.
    import importlib

    order = ("vendor", "maf", "annovar_table", "fusion", "cna", "hgvs_list", "table", "vcf")
    for name in order:
        package = "varmatch.annotate.preannotated" if name == "annovar_table" else "varmatch.readers"
        importlib.import_module(f"{package}.{name}")
    # a module imported earlier by other code registered out of turn: reorder
    first = {m: i for i, m in enumerate(order)}
    ranked = sorted(READERS.values(), key=lambda r: first.get(r.read.__module__.rsplit(".", 1)[-1],
                                                              len(order)))
    READERS.clear()
    READERS.update((r.name, r) for r in ranked)
