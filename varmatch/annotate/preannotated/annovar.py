"""ANNOVAR ``table_annovar.pl -vcfinput`` INFO fields (``Func.<db>``, ``Gene.<db>``,
``ExonicFunc.<db>``, ``AAChange.<db>``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from varmatch.annotate.preannotated.base import (
    _EMPTY,
    AnnotationParser,
    InfoGetter,
    Preferred,
    _clean_hgvs_c,
    _Entry,
    _first_int,
    _norm_term,
    _safe_get,
    consequence_from_terms,
)
from varmatch.models import Consequence, Variant

log = logging.getLogger(__name__)


def _annovar_unescape(text: str) -> str:
    return text.replace("\\x3b", ";").replace("\\x3d", "=").replace("\\x2c", ",")


_SPLICE_OFFSET = re.compile(r"c\.[-*]?\d+([+-])(\d+)")


class AnnovarParser(AnnotationParser):
    """``table_annovar.pl -vcfinput`` fields ``Func.<db>``, ``Gene.<db>``, ``GeneDetail.<db>``,
    ``ExonicFunc.<db>``, ``AAChange.<db>`` (``GENE:NM_x:exonN:c.A3140G:p.H1047R,...``).

    ANNOVAR writes a multi-allelic record's alleles as repeated INFO blocks that a VCF reader
    collapses to the first, so only the first ALT of such a record is annotated.
    """

    name = "ANNOVAR"

    def __init__(self, tag: str, fields: Sequence[str] = (), preferred: Preferred | None = None):
        # tag is the database suffix, e.g. "refGene"
        super().__init__(tag, fields, preferred)

    def _get(self, info_get: InfoGetter, prefix: str) -> str:
        value = _annovar_unescape(_safe_get(info_get, f"{prefix}.{self.tag}")).strip()
        return "" if value in _EMPTY else value

    def _entries(
        self,
        info_get: InfoGetter,
        alt: str,
        alt_index: int,
        variant: Variant,
        alts: Sequence[str] | None,
    ) -> list[_Entry]:
        if alt_index > 0:
            log.debug("ANNOVAR: only the first ALT of %s carries a readable annotation", variant)
            return []
        funcs = [f for f in re.split(r"[;,]", self._get(info_get, "Func")) if f.strip()]
        genes = [g for g in re.split(r"[;,]", self._get(info_get, "Gene")) if g.strip()]
        exonic_func = self._get(info_get, "ExonicFunc")
        detail = self._get(info_get, "GeneDetail")
        aachanges = [a for a in self._get(info_get, "AAChange").split(",") if a.strip()]
        if any(_norm_term(f) == "intergenic" for f in funcs):
            return []
        by_gene: dict[str, list[list[str]]] = {}
        for item in aachanges:
            parts = item.strip().split(":")
            if len(parts) < 2:
                log.debug("ANNOVAR AAChange item %r skipped", item)
                continue
            by_gene.setdefault(parts[0], []).append(parts)
        for gene in by_gene:
            if gene not in genes:
                genes.append(gene)
        out = []
        for order, gene in enumerate(genes):
            gene_funcs = funcs
            if len(funcs) == len(genes) > 1:
                gene_funcs = [funcs[order]]  # 'upstream;downstream' pairs with 'G1;G2'
            consequence = self._consequence(gene_funcs, exonic_func, detail)
            items = by_gene.get(gene, [])
            if not items:
                out.append(
                    _Entry(
                        gene=gene,
                        transcript=self._detail_transcript(detail, genes),
                        consequence=consequence,
                        protein=None,
                        hgvs_c=self._detail_c(detail, genes),
                        exon=None,
                        order=order,
                    )
                )
                continue
            for k, parts in enumerate(items):
                hgvs_c = next((p for p in parts[2:] if p.startswith("c.")), None)
                hgvs_p = next((p for p in parts[2:] if p.startswith("p.")), None)
                exon = next((p for p in parts[2:] if p.startswith("exon")), "")
                out.append(
                    _Entry(
                        gene=gene,
                        transcript=parts[1] or None,
                        consequence=consequence,
                        protein=hgvs_p,
                        hgvs_c=_clean_hgvs_c(hgvs_c),
                        exon=_first_int(exon),
                        order=order * 1000 + k,
                    )
                )
        return out

    @staticmethod
    def _consequence(funcs: list[str], exonic_func: str, detail: str) -> Consequence | None:
        found: list[Consequence] = []
        for func in funcs:
            term = _norm_term(func)
            if term == "exonic":
                c = consequence_from_terms(exonic_func)
            elif term == "splicing":
                c = Consequence.SPLICE_REGION
                m = _SPLICE_OFFSET.search(detail)
                if m and int(m.group(2)) <= 2:
                    c = (
                        Consequence.SPLICE_DONOR
                        if m.group(1) == "+"
                        else Consequence.SPLICE_ACCEPTOR
                    )
            else:
                c = consequence_from_terms(func)
            if c is not None:
                found.append(c)
        return min(found, key=lambda c: c.rank) if found else None

    @staticmethod
    def _detail_transcript(detail: str, genes: list[str]) -> str | None:
        if len(genes) != 1 or not detail or detail.startswith("dist="):
            return None
        first = re.split(r"[;,]", detail)[0].split(":")[0]
        return first if re.match(r"^[A-Z]{2}_\d|^ENST", first) else None

    @staticmethod
    def _detail_c(detail: str, genes: list[str]) -> str | None:
        if len(genes) != 1:
            return None
        m = re.search(r"c\.[^:;,]+", detail)
        return _clean_hgvs_c(m.group(0)) if m else None
