"""Ion Reporter ``FUNC`` INFO (a Python-literal-like list of dicts)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from varmatch.annotate.preannotated.base import (
    AnnotationParser,
    InfoGetter,
    _clean_hgvs_c,
    _Entry,
    _first_int,
    _safe_get,
    consequence_from_terms,
)
from varmatch.models import Consequence, Variant

_FUNC_DICT = re.compile(r"\{([^{}]*)\}")
_FUNC_PAIR = re.compile(r"""['"]([^'"]+)['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,}]+))""")


def _parse_func(raw: str) -> list[dict[str, str]]:
    """Ion Reporter ``[{'gene':'TSC1','protein':'p.Met322Thr',...},{...}]`` -> list of dicts."""
    items = []
    for body in _FUNC_DICT.findall(raw):
        item = {}
        for key, v1, v2, v3 in _FUNC_PAIR.findall(body):
            item[key.strip()] = (v1 or v2 or v3 or "").strip()
        if item:
            items.append(item)
    return items


class IonReporterParser(AnnotationParser):
    """Ion Reporter ``FUNC``: gene, transcript, location, function, coding, protein, exon, and
    origAlt / normalizedAlt for the allele (absent on hotspot-only and intronic entries)."""

    name = "IonReporter"
    use_severity = True

    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]:
        raw = _safe_get(info_get, self.tag)
        if not raw:
            return []
        n_alts = len(alts) if alts else self._count_alts(info_get)
        out = []
        for order, item in enumerate(_parse_func(raw)):
            gene = item.get("gene", "")
            if not gene:
                continue
            alleles = {item.get("origAlt"), item.get("normalizedAlt")} - {None, ""}
            if alleles:
                if alt not in alleles:
                    continue
            elif not (n_alts == 1 or (n_alts is None and alt_index == 0)):
                continue
            found = [
                c
                for c in (
                    consequence_from_terms(item.get("function")),
                    consequence_from_terms(item.get("location")),
                )
                if c is not None
            ]
            consequence = min(found, key=lambda c: c.rank) if found else None
            coding, protein = item.get("coding"), item.get("protein")
            if consequence is None and not coding and not protein:
                continue  # a hotspot-position record: nothing allele-specific to report
            if consequence is Consequence.INTERGENIC:
                continue
            out.append(
                _Entry(
                    gene=gene,
                    transcript=item.get("transcript") or None,
                    consequence=consequence,
                    protein=protein,
                    hgvs_c=_clean_hgvs_c(coding),
                    exon=_first_int(item.get("exon")),
                    order=order,
                )
            )
        return out

    @staticmethod
    def _count_alts(info_get: InfoGetter) -> int | None:
        """Torrent Variant Caller's per-ALT INFO (OMAPALT, TYPE are Number=A)."""
        for tag in ("OMAPALT", "TYPE"):
            value = _safe_get(info_get, tag)
            if value:
                return len(value.split(","))
        return None
