"""Vendor targeted-NGS reports: FoundationOne XML and Illumina TSO500 CombinedVariantOutput.tsv.

**FoundationOne XML** (Foundation Medicine ``variant-report`` schema 2.x, as delivered inside
``rr:ResultsReport/rr:ResultsPayload`` or on its own; FoundationOne / FoundationOne CDx /
FoundationOne Heme). Read from ``variant-report``:

* ``samples/sample@name`` (the DNA sample) -> sample; ``@disease-ontology``/``@disease`` -> the
  stated tumor type (resolved against OncoTree later; ``--tumor-type`` wins);
* ``short-variants/short-variant`` (gene, ``protein-effect``, ``cds-effect``, ``position``,
  ``allele-fraction``/``percent-reads``, ``depth``, ``functional-effect``, ``transcript``,
  ``strand``) -> MUTATION alterations; SNV REF/ALT are derived from ``cds-effect`` and ``strand``;
* ``copy-number-alterations/copy-number-alteration`` (``type`` amplification / loss,
  ``copy-number``, ``number-of-exons``) -> AMPLIFICATION / DELETION as the vendor called them
  (Foundation reports ``loss`` only for homozygous loss);
* ``rearrangements/rearrangement`` (``targeted-gene``, ``other-gene``, ``type``/``description``)
  -> FUSION alterations for the pathway gene side(s);
* ``biomarkers`` (``microsatellite-instability@status``, ``tumor-mutation-burden@score/@status``)
  -> notes.

The vendor's flags are kept visible: ``status`` (known / likely / unknown / ambiguous) and
``equivocal="true"`` are listed in the notes per alteration; the alteration is kept (the
classifier decides oncogenicity). ``quality-control@status="Fail"`` excludes every call of the
report with that reason; ``Qualified`` is noted. Positions are hg19 (GRCh37) unless ``--genome``.
Not read: ``FinalReport`` interpretation text, therapies, trials, PMI fields, non-human
(viral) findings, germline flags.

**Illumina TSO500 CombinedVariantOutput.tsv** (TSO500 Local App 2.x and DRAGEN TSO500 2.x,
``[Section]`` blocks, lines tab-padded). Read: ``[Analysis Details]`` (``DNA Sample ID`` /
``Pair ID`` -> sample), ``[TMB]`` and ``[MSI]`` (-> notes), ``[Small Variants]`` (Gene,
Chromosome, Genomic Position, Reference Call, Alternative Call, Allele Frequency, Depth, P-Dot
Notation, C-Dot Notation, Consequence(s), Affected Exon(s) -> MUTATION alterations),
``[Gene Amplifications]`` (Gene, Fold Change -> AMPLIFICATION, copy number estimated as
2 x fold change), ``[Copy Number Variants]`` (DRAGEN 2.5+: DUP -> AMPLIFICATION, DEL ->
DELETION), ``[Splice Variants]`` (pathway genes only, as a splice alteration with the skipped
exon), ``[Fusions]`` (``Gene Pair`` ``A-B``; ``/`` and ``;`` alternatives are all read).
Sections the reader does not know (``[Sequencing Run Details]``, ``[Exon-Level CNVs]``,
``[Gene-level Loss of Heterozygosity]``, ``[GIS]``...) are skipped. The file reports passing
calls only, so nothing is excluded. Build: GRCh37 (the TSO500 reference) unless ``--genome``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import defusedxml.ElementTree as defused_et
from defusedxml import DefusedXmlException

from varmatch.errors import FormatError, InputError
from varmatch.models import (
    Alteration,
    AlterationType,
    Build,
    Consequence,
    ExcludedCall,
    ProteinChange,
    Variant,
)
from varmatch.readers import SampleCalls, head_bytes, register
from varmatch.readers.fusion import fusion_alterations
from varmatch.readers.maf import open_text

_SO = {c.value: c for c in Consequence}
_COMPLEMENT = str.maketrans("ACGT", "TGCA")

# FoundationOne functional-effect -> consequence
_F1_EFFECT = {
    "missense": Consequence.MISSENSE,
    "nonsense": Consequence.STOP_GAINED,
    "frameshift": Consequence.FRAMESHIFT,
    "splice": Consequence.SPLICE_DONOR,
    "nonframeshift": Consequence.INFRAME_DELETION,
    "start-lost": Consequence.START_LOST,
    "stop-lost": Consequence.STOP_LOST,
    "synonymous": Consequence.SYNONYMOUS,
    "promoter": Consequence.UPSTREAM,
    "5'utr": Consequence.UTR5,
    "3'utr": Consequence.UTR3,
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sniff_f1(path: Path, head: bytes) -> bool:
    text = head[:8192].decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
    return text.startswith("<") and ("variant-report" in text or "ResultsReport" in text) and (
        "foundationmedicine.com" in text or "<variant-report" in text)


def _sniff_tso(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", "replace")
    first = next((ln.strip("\t\r ") for ln in text.splitlines() if ln.strip("\t\r ")), "")
    return first == "[Analysis Details]" or ("[TMB]" in text and "[Gene Amplifications]" in text)


# --------------------------------------------------------------------------------------------------
# FoundationOne XML
@register("foundation", _sniff_f1, "FoundationOne XML variant report (short variants, CNAs, "
          "rearrangements, TMB/MSI)")
def read_foundation(
    path: Path,
    include_filtered: bool = False,
    genome: Build | None = None,
    genes: frozenset[str] | None = None,
    **_ignored,
) -> Iterator[SampleCalls]:
    head = head_bytes(path)
    if not head.strip():
        raise InputError("file is empty; expected a FoundationOne XML report", path)
    try:  # defusedxml refuses a DTD and entities wherever they are and whatever the encoding
        root = defused_et.parse(path, forbid_dtd=True).getroot()
    except DefusedXmlException:
        raise FormatError("XML with a DOCTYPE/ENTITY declaration is refused (entity expansion); "
                          "FoundationOne reports have none", path, 1) from None
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        raise FormatError(f"not well-formed XML ({exc.msg if hasattr(exc, 'msg') else exc}); is "
                          "the report complete?", path, line) from None
    report = root if _local(root.tag) == "variant-report" else next(
        (e for e in root.iter() if _local(e.tag) == "variant-report"), None)
    if report is None:
        raise FormatError("no <variant-report> element; expected a FoundationOne XML report "
                          "(ResultsReport/ResultsPayload/variant-report)", path, 1)

    def children(parent: ET.Element | None, name: str) -> list[ET.Element]:
        if parent is None:
            return []
        return [e for e in parent if _local(e.tag) == name]

    def child(parent: ET.Element | None, name: str) -> ET.Element | None:
        found = children(parent, name)
        return found[0] if found else None

    samples = children(child(report, "samples"), "sample")
    dna = next((s for s in samples if s.get("nucleic-acid-type", "DNA").upper() == "DNA"),
               samples[0] if samples else None)
    sample = (dna.get("name") if dna is not None else None) or path.name.split(".")[0]
    build = genome or Build.GRCh37
    sc = SampleCalls(sample=sample, source=str(path), build=build, annotation_source="FoundationOne")
    disease = report.get("disease-ontology") or report.get("disease")
    sc.tumor_type = disease or None
    test = report.get("test-type", "FoundationOne")
    sc.notes.append(f"{test} report read as reported by the vendor (positions {build}"
                    f"{'' if genome else ', the vendor reference'})")
    qc = child(report, "quality-control")
    qc_status = (qc.get("status", "") if qc is not None else "").strip()
    fail_reason = None
    if qc_status.lower() == "fail":
        fail_reason = "FoundationOne quality-control status Fail: results not reportable"
        sc.notes.append("the report's quality control failed: every call is listed as excluded")
    elif qc_status and qc_status.lower() != "pass":
        sc.notes.append(f"FoundationOne quality-control status {qc_status}: interpret with caution")

    def keep(alt: Alteration, el: ET.Element, what: str) -> None:
        if genes is not None and alt.gene not in genes:
            return
        flags = []
        status = el.get("status")
        if status:
            flags.append(f"status {status}" + (" (VUS per vendor)" if status == "unknown" else ""))
        if el.get("equivocal", "").lower() == "true":
            flags.append("equivocal")
        if el.get("subclonal", "").lower() == "true":
            flags.append("subclonal")
        src = f"{path.name}:{what}"
        if fail_reason:
            sc.excluded.append(ExcludedCall(str(alt), fail_reason, src))
            return
        if flags:
            sc.notes.append(f"FoundationOne {alt}: {', '.join(flags)}")
        sc.alterations.append(alt)

    for i, el in enumerate(children(child(report, "short-variants"), "short-variant"), 1):
        gene = el.get("gene", "").strip()
        if not gene:
            raise FormatError(f"short-variant #{i} has no gene attribute", path, 1)
        keep(_f1_short(el, gene, sample, build, path, i), el, f"short-variant[{i}]")
    for i, el in enumerate(children(child(report, "copy-number-alterations"),
                                    "copy-number-alteration"), 1):
        gene = el.get("gene", "").strip()
        kind_text = el.get("type", "").lower()
        if "amp" in kind_text:
            kind = AlterationType.AMPLIFICATION
        elif "loss" in kind_text or "del" in kind_text:
            kind = AlterationType.DELETION
        else:
            raise FormatError(f"copy-number-alteration #{i} ({gene}) has type {kind_text!r}; "
                              "expected amplification or loss", path, 1)
        cn_text = el.get("copy-number", "")
        try:
            cn = float(cn_text) if cn_text else None
        except ValueError:
            cn = None
        alt = Alteration(gene=gene, type=kind, copy_number=cn, annotation_source="FoundationOne",
                         consequence=(Consequence.AMPLIFICATION if kind is AlterationType.AMPLIFICATION
                                      else Consequence.TRANSCRIPT_ABLATION), sample=sample)
        exons = el.get("number-of-exons", "")
        m = re.match(r"\s*(\d+)\s+of\s+(\d+)", exons)
        if m and m.group(1) != m.group(2):
            sc.notes.append(f"FoundationOne {alt}: {exons} exons (partial)")
        keep(alt, el, f"copy-number-alteration[{i}]")
    for i, el in enumerate(children(child(report, "rearrangements"), "rearrangement"), 1):
        g1 = el.get("targeted-gene", "").strip()
        g2 = el.get("other-gene", "").strip()
        if g2.upper() in ("N/A", "NA", "INTERGENIC", "-"):
            g2 = ""
        # targeted-gene/other-gene say nothing of orientation; the description does ("MAGI3-AKT3
        # fusion": 5' gene first), when it names both genes
        m = re.match(r"\s*([\w.]+)-([\w.]+)\s+fusion", el.get("description", ""), re.I)
        ordered = bool(m) and {m.group(1), m.group(2)} == {g1, g2}
        if ordered and m.group(1) != g1:
            g1, g2 = g2, g1
        for alt in fusion_alterations(g1, g2, genes, "FoundationOne", sample, ordered):
            keep(alt, el, f"rearrangement[{i}]")
    bio = child(report, "biomarkers")
    msi = child(bio, "microsatellite-instability")
    if msi is not None and msi.get("status"):
        sc.notes.append(f"MSI: {msi.get('status')} (FoundationOne)")
    tmb = child(bio, "tumor-mutation-burden")
    if tmb is not None and (tmb.get("score") or tmb.get("status")):
        unit = tmb.get("unit", "mutations-per-megabase").replace("-", " ")
        sc.notes.append(f"TMB: {tmb.get('score', '?')} {unit}"
                        + (f" ({tmb.get('status')})" if tmb.get("status") else "") + " (FoundationOne)")
    yield sc


def _f1_short(el: ET.Element, gene: str, sample: str, build: Build, path: Path,
              i: int) -> Alteration:
    ptext = el.get("protein-effect", "").strip()
    protein = None
    if ptext and not ptext.lower().startswith(("splice", "promoter")):
        try:
            protein = ProteinChange.parse(ptext)
        except ValueError:
            protein = None
    effect = el.get("functional-effect", "").strip().lower()
    consequence = _F1_EFFECT.get(effect)
    if protein is not None and (consequence is None or effect == "nonframeshift"):
        consequence = protein.consequence
    cds = el.get("cds-effect", "").strip()
    hgvs_c = ("c." + cds.removeprefix("c.")) if cds else None
    variant = None
    pos_text = el.get("position", "")
    m = re.fullmatch(r"(?:chr)?(\w+):(\d+)(?:-\d+)?", pos_text.strip())
    if m:
        ref = alt = ""
        snv = re.fullmatch(r"[-*]?\d+(?:[+-]\d+)?([ACGT])>([ACGT])", cds)
        if snv:
            ref, alt = snv.group(1), snv.group(2)
            if el.get("strand") == "-":
                ref, alt = ref.translate(_COMPLEMENT), alt.translate(_COMPLEMENT)
        af = el.get("allele-fraction")
        vaf = None
        try:
            vaf = float(af) if af else (float(el.get("percent-reads", "")) / 100.0)
        except ValueError:
            vaf = None
        try:
            depth = int(float(el.get("depth", "")))
        except ValueError:
            depth = None
        variant = Variant(m.group(1), int(m.group(2)), ref, alt, build, depth,
                          round(depth * vaf) if depth and vaf is not None else None,
                          round(vaf, 6) if vaf is not None else None, ("PASS",),
                          f"{path.name}:short-variant[{i}]")
    elif pos_text:
        raise FormatError(f"short-variant #{i} ({gene}) position {pos_text!r} is not chrN:POS",
                          path, 1)
    return Alteration(gene=gene, type=AlterationType.MUTATION, consequence=consequence,
                      protein=protein, hgvs_c=hgvs_c, transcript=el.get("transcript") or None,
                      variant=variant, annotation_source="FoundationOne", sample=sample)


# --------------------------------------------------------------------------------------------------
# TSO500 CombinedVariantOutput.tsv
def _sections(path: Path) -> dict[str, list[tuple[int, list[str]]]]:
    sections: dict[str, list[tuple[int, list[str]]]] = {}
    current: list[tuple[int, list[str]]] | None = None
    with open_text(path) as fh:
        for n, line in enumerate(fh, start=1):
            cells = line.rstrip("\r\n").split("\t")
            while cells and not cells[-1].strip():
                cells.pop()  # tab padding to the widest section
            if not cells:
                continue
            m = re.fullmatch(r"\[(.+)\]", cells[0].strip())
            if m and len(cells) == 1:
                current = sections.setdefault(m.group(1).strip(), [])
                continue
            if current is None:
                raise FormatError("text before the first [Section] line; a CombinedVariantOutput "
                                  "starts with [Analysis Details]", path, n)
            current.append((n, [c.strip() for c in cells]))
    return sections


def _table(rows: list[tuple[int, list[str]]]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if not rows:
        return [], []
    header = rows[0][1]
    out = []
    for n, cells in rows[1:]:
        if len(cells) == 1 and cells[0].upper() in ("NA", "N/A"):
            continue  # section with no calls
        out.append((n, dict(zip(header, cells + [""] * (len(header) - len(cells))))))
    return header, out


def _kv(rows: list[tuple[int, list[str]]]) -> dict[str, str]:
    return {cells[0]: (cells[1] if len(cells) > 1 else "") for _, cells in rows}


def _num(text: str, path: Path, line: int, what: str) -> float | None:
    t = text.strip()
    if t.upper() in ("", "NA", "N/A", "."):
        return None
    try:
        return float(t)
    except ValueError:
        raise FormatError(f"{what} {t!r} is not a number", path, line) from None


def split_gene_pair(pair: str, genes: frozenset[str] | None) -> tuple[list[str], list[str]]:
    """``KIF5B-RET`` -> (['KIF5B'], ['RET']); ``CD74-ROS1;GOPC`` -> (['CD74'], ['ROS1', 'GOPC']).

    Gene names may contain hyphens (``NKX2-1``): of the possible split points, one that puts a
    pathway gene on a side wins, else the first hyphen.
    """
    cuts = [m.start() for m in re.finditer("-", pair)]
    if not cuts:
        return [pair], []

    def sides(i: int) -> tuple[list[str], list[str]]:
        left = [g for g in re.split(r"[/;]", pair[:i]) if g]
        right = [g for g in re.split(r"[/;]", pair[i + 1:]) if g]
        return left, right

    if genes:
        for i in cuts:
            left, right = sides(i)
            if any(g in genes for g in left + right):
                return left, right
    return sides(cuts[0])


@register("tso500", _sniff_tso, "Illumina TSO500 CombinedVariantOutput.tsv (small variants, "
          "amplifications, splice, fusions, TMB/MSI)")
def read_tso500(
    path: Path,
    genome: Build | None = None,
    genes: frozenset[str] | None = None,
    **_ignored,
) -> Iterator[SampleCalls]:
    if not head_bytes(path).strip():
        raise InputError("file is empty; expected a TSO500 CombinedVariantOutput.tsv", path)
    sections = _sections(path)
    if "Analysis Details" not in sections and "Small Variants" not in sections:
        raise FormatError("no [Analysis Details] or [Small Variants] section; not a TSO500 "
                          "CombinedVariantOutput.tsv", path, 1)
    details = _kv(sections.get("Analysis Details", []))
    sample = (details.get("DNA Sample ID") or details.get("Pair ID") or details.get("RNA Sample ID")
              or path.name.split("_CombinedVariantOutput")[0].split(".")[0])
    build = genome or Build.GRCh37
    sc = SampleCalls(sample=sample, source=str(path), build=build, annotation_source="TSO500")
    version = details.get("Module Version") or details.get("Pipeline Version") or ""
    sc.notes.append(f"TSO500 CombinedVariantOutput{' ' + version if version else ''} read as "
                    f"reported (passing calls only; positions {build})")

    def wanted(gene: str) -> bool:
        return genes is None or gene in genes

    tmb = _kv(sections.get("TMB", []))
    if tmb:
        total = tmb.get("Total TMB") or tmb.get("TMB")
        parts = [f"TMB: {total} mutations/Mb" if total else "TMB:"]
        extra = [f"{k} {v}" for k, v in tmb.items() if k not in ("Total TMB", "TMB") and v]
        sc.notes.append(parts[0] + (f" ({'; '.join(extra)})" if extra else "") + " (TSO500)")
    msi = _kv(sections.get("MSI", []))
    if msi:
        pct = (msi.get("Percent Unstable MSI Sites") or msi.get("Percent Unstable Sites")
               or msi.get("SUM_JSD"))
        extra = [f"{k} {v}" for k, v in msi.items() if v]
        sc.notes.append(f"MSI: {pct or '?'}% unstable sites ({'; '.join(extra)}) (TSO500)")

    header, rows = _table(sections.get("Small Variants", []))
    for n, row in rows:
        gene = row.get("Gene", "")
        if not gene:
            raise FormatError("[Small Variants] row without a Gene", path, n)
        if not wanted(gene):
            continue
        sc.alterations.append(_tso_small(row, gene, sample, build, path, n))
    for name in ("Gene Amplifications", "Copy Number Variants"):
        _, rows = _table(sections.get(name, []))
        for n, row in rows:
            gene = row.get("Gene", "")
            if not gene or not wanted(gene):
                continue
            fc = _num(row.get("Fold Change", ""), path, n, "Fold Change")
            cnv = row.get("Copy Number Variant", "DUP").upper()
            abs_cn = _num(row.get("Absolute Copy Number", ""), path, n, "Absolute Copy Number")
            cn = abs_cn if abs_cn is not None else (2.0 * fc if fc is not None else None)
            kind = AlterationType.DELETION if cnv in ("DEL", "LOSS") else AlterationType.AMPLIFICATION
            sc.alterations.append(Alteration(
                gene=gene, type=kind, copy_number=round(cn, 2) if cn is not None else None,
                consequence=(Consequence.AMPLIFICATION if kind is AlterationType.AMPLIFICATION
                             else Consequence.TRANSCRIPT_ABLATION),
                annotation_source="TSO500", sample=sample))
            if abs_cn is None and fc is not None:
                note = "TSO500 copy number estimated as 2 x fold change (ploidy 2)"
                if note not in sc.notes:
                    sc.notes.append(note)
    _, rows = _table(sections.get("Splice Variants", []))
    for _n, row in rows:
        gene = row.get("Gene", "")
        if not gene or not wanted(gene):
            continue
        exon_text = row.get("Affected Exon", "")
        m = re.match(r"(\d+)", exon_text)
        sc.alterations.append(Alteration(
            gene=gene, type=AlterationType.MUTATION, consequence=Consequence.SPLICE_DONOR,
            exon=int(m.group(1)) if m else None, annotation_source="TSO500", sample=sample))
        sc.notes.append(f"TSO500 splice variant {gene} (exon(s) {exon_text or 'unannotated'} "
                        f"skipped, {row.get('Breakpoint 1', '')}-{row.get('Breakpoint 2', '')})")
    _, rows = _table(sections.get("Fusions", []))
    for n, row in rows:
        pair = row.get("Gene Pair", "")
        if not pair:
            raise FormatError("[Fusions] row without a Gene Pair", path, n)
        left, right = split_gene_pair(pair, genes)
        for g1 in left:
            for g2 in right or [""]:
                # "Gene Pair" order is not documented as 5'-3': recorded as not stated
                for alt in fusion_alterations(g1, g2, genes, "TSO500", sample, ordered=False):
                    sc.alterations.append(alt)
    yield sc


def _tso_small(row: dict[str, str], gene: str, sample: str, build: Build, path: Path,
               n: int) -> Alteration:
    ptext = row.get("P-Dot Notation", "")
    protein = None
    if ptext and ptext.upper() not in ("NA", "N/A"):
        try:
            protein = ProteinChange.parse(ptext.split(":")[-1])
        except ValueError:
            protein = None
    consequence = None
    for term in re.split(r"[,;:&|]", row.get("Consequence(s)", "")):
        c = _SO.get(term.strip())
        if c is not None and (consequence is None or c.rank < consequence.rank):
            consequence = c
    if consequence is None and protein is not None:
        consequence = protein.consequence
    ctext = row.get("C-Dot Notation", "")
    hgvs_c = ctext.split(":")[-1] if ctext and ctext.upper() not in ("NA", "N/A") else None
    variant = None
    chrom, pos_text = row.get("Chromosome", ""), row.get("Genomic Position", "")
    if chrom and pos_text:
        try:
            pos = int(pos_text)
        except ValueError:
            raise FormatError(f"Genomic Position {pos_text!r} is not an integer", path, n) from None
        ref, alt = row.get("Reference Call", "").upper(), row.get("Alternative Call", "").upper()
        if not re.fullmatch(r"[ACGTN]*", ref + alt):
            raise FormatError(f"Reference/Alternative Call {ref!r}/{alt!r} are not DNA", path, n)
        vaf = _num(row.get("Allele Frequency", ""), path, n, "Allele Frequency")
        depth_f = _num(row.get("Depth", ""), path, n, "Depth")
        depth = int(depth_f) if depth_f is not None else None
        variant = Variant(chrom.removeprefix("chr"), pos, ref, alt, build, depth,
                          round(depth * vaf) if depth and vaf is not None else None, vaf,
                          ("PASS",), f"{path.name}:{n}")
    exon = re.match(r"(\d+)", row.get("Affected Exon(s)", ""))
    return Alteration(gene=gene, type=AlterationType.MUTATION, consequence=consequence,
                      protein=protein, hgvs_c=hgvs_c, exon=int(exon.group(1)) if exon else None,
                      variant=variant, annotation_source="TSO500", sample=sample)
