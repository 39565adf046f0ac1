"""SnpEff ``ANN`` annotation (``Functional annotations: 'Allele | Annotation | ...'``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from varmatch.annotate.preannotated.base import (
    AnnotationParser,
    InfoGetter,
    Preferred,
    _clean_hgvs_c,
    _Entry,
    _first_int,
    _safe_get,
    _split_entries,
    consequence_from_terms,
)
from varmatch.models import Consequence, Variant

log = logging.getLogger(__name__)


_SNPEFF_ANN_DEFAULT = (
    "Allele",
    "Annotation",
    "Annotation_Impact",
    "Gene_Name",
    "Gene_ID",
    "Feature_Type",
    "Feature_ID",
    "Transcript_BioType",
    "Rank",
    "HGVS.c",
    "HGVS.p",
    "cDNA.pos / cDNA.length",
    "CDS.pos / CDS.length",
    "AA.pos / AA.length",
    "Distance",
    "ERRORS / WARNINGS / INFO",
)
_INTRONIC_C = re.compile(r"\d[+-]\d")


class SnpEffAnnParser(AnnotationParser):
    """SnpEff ≥ 4.1 ``ANN``: the ALT is the Allele; cancer-mode ``G-C`` entries are skipped."""

    name = "SnpEff"

    def __init__(self, tag: str, fields: Sequence[str] = (), preferred: Preferred | None = None):
        super().__init__(tag, fields or _SNPEFF_ANN_DEFAULT, preferred)
        col = self._column
        self._allele = col("Allele", 0)
        self._annotation = col("Annotation", 1)
        self._gene = col("Gene_Name", 3)
        self._feature_type = col("Feature_Type", 5)
        self._feature = col("Feature_ID", 6)
        self._rank_col = col("Rank", 8)
        self._hgvs_c = col("HGVS.c", 9)
        self._hgvs_p = col("HGVS.p", 10)
        self._errors = col("ERRORS / WARNINGS / INFO", 15)

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
        out = []
        for order, chunk in enumerate(_split_entries(raw, len(self.fields))):
            values = [v.strip() for v in chunk.split("|")]
            if len(values) <= max(self._gene, self._annotation):
                log.debug("SnpEff entry with too few fields at %s: %r", variant, chunk[:80])
                continue

            def get(i: int, values: list[str] = values) -> str:
                return values[i] if i < len(values) else ""

            allele = get(self._allele)
            if allele != alt:
                # includes cancer-mode 'G-C' (somatic G derived from germline C): not this ALT
                continue
            if "ERROR_" in get(self._errors):
                log.debug(
                    "SnpEff entry with an error skipped at %s: %s", variant, get(self._errors)
                )
                continue
            gene = get(self._gene)
            consequence = consequence_from_terms(get(self._annotation))
            if (
                not gene
                or consequence is Consequence.INTERGENIC
                or get(self._feature_type) == "intergenic_region"
            ):
                continue
            hgvs_c = _clean_hgvs_c(get(self._hgvs_c))
            exon = None
            if consequence is not Consequence.INTRON and not _INTRONIC_C.search(hgvs_c or ""):
                exon = _first_int(get(self._rank_col))  # Rank is an intron rank for intronic hits
            out.append(
                _Entry(
                    gene=gene,
                    transcript=get(self._feature) or None,
                    consequence=consequence,
                    protein=get(self._hgvs_p) or None,
                    hgvs_c=hgvs_c,
                    exon=exon,
                    order=order,
                )
            )
        return out
