"""Which pre-annotation a VCF carries, told from its ``##INFO`` header lines."""

from __future__ import annotations

import re
from collections.abc import Iterable

from varmatch.annotate.preannotated.annovar import AnnovarParser
from varmatch.annotate.preannotated.base import AnnotationParser, Preferred
from varmatch.annotate.preannotated.ion_reporter import IonReporterParser
from varmatch.annotate.preannotated.snpeff_ann import SnpEffAnnParser
from varmatch.annotate.preannotated.snpeff_eff import SnpEffEffParser
from varmatch.annotate.preannotated.vep import VepParser

_INFO_LINE = re.compile(r"^##INFO=<(?P<body>.*)>\s*$")
_INFO_ID = re.compile(r"(?:^|,)ID=([^,>]+)")
_INFO_DESC = re.compile(r'Description="((?:[^"\\]|\\.)*)"')
_ANNOVAR_ID = re.compile(r"^(Func|Gene|GeneDetail|ExonicFunc|AAChange)\.(.+)$")


def _info_descriptions(header_text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in header_text.splitlines():
        m = _INFO_LINE.match(line.strip())
        if not m:
            continue
        body = m["body"]
        mid = _INFO_ID.search(body)
        if not mid:
            continue
        mdesc = _INFO_DESC.search(body)
        found.setdefault(mid.group(1).strip(), mdesc.group(1) if mdesc else "")
    return found


def _vep_fields(description: str) -> list[str] | None:
    if "Consequence annotations from Ensembl VEP" not in description:
        return None
    m = re.search(r"Format:\s*(.+)$", description)
    if not m:
        return None
    fields = [f.strip() for f in m.group(1).strip().strip("'\"").split("|")]
    return fields if len(fields) > 1 else None


def _snpeff_ann_fields(description: str) -> list[str] | None:
    m = re.search(r"Functional annotations:\s*'([^']*)'", description)
    if not m:
        return None
    return [f.strip() for f in m.group(1).split("|")]


def _eff_fields(description: str) -> list[str] | None:
    m = re.search(r"Effect\s*\((.*)\)", description)
    if not m:
        return None
    inner = m.group(1).replace("[", "|").replace("]", "|")
    return [f.strip() for f in inner.split("|") if f.strip()]


def annovar_suffix(ids: Iterable[str]) -> str | None:
    kinds: dict[str, set[str]] = {}
    for info_id in ids:
        m = _ANNOVAR_ID.match(info_id)
        if m:
            kinds.setdefault(m.group(2), set()).add(m.group(1))
    usable = [s for s, k in kinds.items() if "Func" in k and ("Gene" in k or "AAChange" in k)]
    if not usable:
        return None

    def priority(suffix: str) -> tuple[int, str]:
        for i, stem in enumerate(("refgene", "ensgene", "knowngene")):
            if suffix.lower().startswith(stem):
                return (i, suffix)
        return (3, suffix)

    return min(usable, key=priority)


def detect_annotation(
    header_text: str, preferred: Preferred | None = None
) -> AnnotationParser | None:
    """The parser for the annotation this VCF header declares, or None when there is none.

    VEP is preferred over SnpEff ANN, then SnpEff EFF, ANNOVAR and Ion Reporter FUNC.
    """
    infos = _info_descriptions(header_text or "")
    vep = [(i, f) for i, d in infos.items() if (f := _vep_fields(d))]
    if vep:
        tag, fields = next(((i, f) for i, f in vep if i == "CSQ"), vep[0])
        return VepParser(tag, fields, preferred)
    ann = [(i, f) for i, d in infos.items() if (f := _snpeff_ann_fields(d))]
    if ann:
        tag, fields = next(((i, f) for i, f in ann if i == "ANN"), ann[0])
        return SnpEffAnnParser(tag, fields, preferred)
    eff = [
        (i, f)
        for i, d in infos.items()
        if (i == "EFF" or "Predicted effects" in d) and (f := _eff_fields(d))
    ]
    if eff:
        tag, fields = next(((i, f) for i, f in eff if i == "EFF"), eff[0])
        return SnpEffEffParser(tag, fields, preferred)
    suffix = annovar_suffix(infos)
    if suffix:
        return AnnovarParser(suffix, (), preferred)
    if "FUNC" in infos:
        return IonReporterParser("FUNC", (), preferred)
    return None
