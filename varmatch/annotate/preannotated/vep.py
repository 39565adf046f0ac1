"""Ensembl VEP ``CSQ``-style annotation (any INFO name; columns from the header's ``Format:``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from varmatch.annotate.preannotated.base import (
    AnnotationParser,
    InfoGetter,
    _base_id,
    _clean_hgvs_c,
    _Entry,
    _first_int,
    _safe_get,
    _split_entries,
    _symbolic,
    consequence_from_terms,
)
from varmatch.models import Variant

log = logging.getLogger(__name__)


class VepParser(AnnotationParser):
    """Ensembl VEP ``CSQ``-style annotation (any INFO name), columns from the header."""

    name = "VEP"
    use_severity = True

    def _col(self, name: str) -> int | None:
        try:
            return self.fields.index(name)
        except ValueError:
            return None

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
        n = len(self.fields)
        rows = []
        for chunk in _split_entries(raw, n):
            values = chunk.split("|")
            if len(values) < 2:
                log.debug("VEP entry with too few columns at %s: %r", variant, chunk[:80])
                continue
            rows.append(dict(zip(self.fields, values, strict=False)))
        rows = self._for_allele(rows, variant.ref, alt, alt_index, alts)
        gene_col = "SYMBOL" if "SYMBOL" in self.fields else "Gene"
        out = []
        for order, row in enumerate(rows):
            gene = row.get(gene_col, "").strip()
            if not gene:
                continue
            feature = row.get("Feature", "").strip()
            hgvsc = row.get("HGVSc", "")
            out.append(
                _Entry(
                    gene=gene,
                    transcript=self._versioned(feature, hgvsc),
                    consequence=consequence_from_terms(row.get("Consequence")),
                    protein=row.get("HGVSp") or None,
                    hgvs_c=_clean_hgvs_c(hgvsc),
                    exon=_first_int(row.get("EXON")),
                    order=order,
                    pick=row.get("PICK", "").strip() == "1",
                    mane=bool(row.get("MANE_SELECT", "").strip() or row.get("MANE", "").strip()),
                    canonical=row.get("CANONICAL", "").strip().upper() == "YES",
                )
            )
        return out

    @staticmethod
    def _versioned(feature: str, hgvsc: str) -> str | None:
        """``Feature`` with the version HGVSc carries when Feature itself has none."""
        if not feature:
            return None
        if "." not in feature and ":" in hgvsc:
            prefix = hgvsc.split(":", 1)[0].strip()
            if _base_id(prefix) == feature:
                return prefix
        return feature

    def _for_allele(
        self,
        rows: list[dict[str, str]],
        ref: str,
        alt: str,
        alt_index: int,
        alts: Sequence[str] | None,
    ) -> list[dict[str, str]]:
        numbered = [r for r in rows if r.get("ALLELE_NUM", "").strip().isdigit()]
        if numbered and len(numbered) == len(rows):
            return [r for r in rows if int(r["ALLELE_NUM"]) == alt_index + 1]
        present = {r.get("Allele", "") for r in rows}
        for form in vep_allele_forms(ref, alt, alts):
            if form in present:
                return [r for r in rows if r.get("Allele", "") == form]
        log.debug("no VEP entry for allele %s (have %s)", alt, sorted(present))
        return []


def vep_allele_forms(ref: str, alt: str, alts: Sequence[str] | None = None) -> list[str]:
    """How VEP writes ``alt`` in its Allele column, most likely form first.

    VEP drops the first base of every allele when the record holds an indel and REF and all ALTs
    share that base (``-`` for an empty allele). With ``alts`` unknown the single-ALT rule comes
    first and the other form second.
    """
    if _symbolic(alt) or alt == "*":
        return [alt]
    stripped = alt[1:] or "-"
    others = [a for a in (alts if alts else [alt]) if not _symbolic(a) and a != "*"]
    is_indel = any(len(a) != len(ref) for a in others)
    shared = len({s[:1] for s in (ref, *others)}) == 1
    primary = stripped if is_indel and shared else alt
    forms = [primary]
    if alt[:1] == ref[:1]:
        forms.append(alt if primary == stripped else stripped)
    return forms
