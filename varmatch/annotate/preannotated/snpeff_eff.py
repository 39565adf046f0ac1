"""Legacy SnpEff ``EFF`` annotation (``Effect ( Effect_Impact | ... )``)."""

from __future__ import annotations

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
    consequence_from_terms,
)
from varmatch.models import Consequence, Variant

_EFF_DEFAULT = (
    "Effect_Impact",
    "Functional_Class",
    "Codon_Change",
    "Amino_Acid_Change",
    "Amino_Acid_length",
    "Gene_Name",
    "Transcript_BioType",
    "Gene_Coding",
    "Transcript_ID",
    "Exon_Rank",
    "Genotype_Number",
    "ERRORS",
    "WARNINGS",
)
_EFF_ITEM = re.compile(r"([A-Za-z0-9_+&.\-]+)\(([^()]*)\)")


class SnpEffEffParser(AnnotationParser):
    """SnpEff legacy ``EFF``: ``EFFECT(Impact|Class|Codon|AA|...|Gene|...|Transcript|Exon|GT)``."""

    name = "SnpEff-EFF"

    def __init__(self, tag: str, fields: Sequence[str] = (), preferred: Preferred | None = None):
        super().__init__(tag, fields or _EFF_DEFAULT, preferred)
        col = self._column
        self._aa = col("Amino_Acid_Change", "Amino_Acid_change")
        self._gene = col("Gene_Name")
        self._transcript = col("Transcript_ID")
        self._exon = col("Exon_Rank", "Exon", "Exon_ID")
        self._genotype = col("Genotype_Number", "Genotype")
        self._errors = col("ERRORS")

    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]:
        raw = _safe_get(info_get, self.tag)
        out = []
        for order, (effect, inner) in enumerate(_EFF_ITEM.findall(raw)):
            values = [v.strip() for v in inner.split("|")]

            def get(i: int | None, values: list[str] = values) -> str:
                return values[i] if i is not None and i < len(values) else ""

            genotype = get(self._genotype)
            if "-" in genotype:
                continue  # cancer-mode derived allele
            if genotype and genotype not in (str(alt_index + 1), alt):
                continue
            if get(self._errors).startswith("ERROR"):
                continue
            gene = get(self._gene)
            consequence = consequence_from_terms(effect)
            if not gene or consequence is Consequence.INTERGENIC:
                continue
            protein, hgvs_c = None, None
            for part in get(self._aa).split("/"):
                part = part.strip()
                if part.startswith("c."):
                    hgvs_c = _clean_hgvs_c(part)
                elif part:
                    protein = protein or part
            out.append(
                _Entry(
                    gene=gene,
                    transcript=get(self._transcript) or None,
                    consequence=consequence,
                    protein=protein,
                    hgvs_c=hgvs_c,
                    exon=_first_int(get(self._exon))
                    if consequence is not Consequence.INTRON
                    else None,
                    order=order,
                )
            )
        return out
