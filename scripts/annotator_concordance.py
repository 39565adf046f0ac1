"""Concordance of varmatch's offline annotator with peer annotations on the shared real inputs.

Takes the peer-annotated files under ``/work/shared/real_inputs`` (VEP CSQ, SnpEff ANN/EFF, a
Genome Nexus MAF with its expected MSK output, vcf2maf's test MAF) and the raw TCGA VCFs; gives a
table of agreement of our HGVSp (or, for the raw MAF, our consequence class) with the peer's for
coding variants in the bundled genes, every disagreement with the peer's transcript, and a
smoke-test count for the raw GRCh37/GRCh38 VCFs (records annotated, errors).

Usage: ``PYTHONPATH=. python scripts/annotator_concordance.py [--inputs /work/shared/real_inputs]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from varmatch.annotate.transcripts import TranscriptDB, detect_build, norm_chrom
from varmatch.errors import ReferenceMismatchError
from varmatch.models import Alteration, Build, ProteinChange, Variant

# builds of files whose header does not say
BUILD_HINTS = {"snpeff_mtor_EFF_legacy.vcf": Build.GRCh37,
               "snpeff_pten_frameshift_expectedHGVS.vcf": Build.GRCh37,
               "snpeff_examples_cancer.ann.vcf": Build.GRCh37,
               "civic_2019-10-08_civic_accepted.GRCh37.vcf": Build.GRCh37}


@dataclass
class Tally:
    source: str
    compared: int = 0
    agree: int = 0
    compared_seq: int = 0  # genes with bundled sequence only
    agree_seq: int = 0
    rows: list[str] = field(default_factory=list)

    def add(self, ok: bool, text: str, sequenced: bool = True) -> None:
        self.compared += 1
        self.agree += ok
        self.compared_seq += sequenced
        self.agree_seq += ok and sequenced
        self.rows.append(("ok   " if ok else "DIFF ") + text
                         + ("" if sequenced else " [gene without bundled sequence]"))


def _open(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def _protein(text: str) -> ProteinChange | None:
    text = unquote(text.split(":", 1)[-1]).strip()
    if not text or text in ("p.?", "p.="):
        return None
    try:
        return ProteinChange.parse(text)
    except ValueError:
        return None


def _synonymous_text(text: str) -> bool:
    t = unquote(text.split(":", 1)[-1]).strip().replace("(", "").replace(")", "")
    return t in ("p.=",) or t.endswith("=")


def same(ours: ProteinChange | None, theirs: ProteinChange | None) -> bool:
    if ours is None or theirs is None:
        return ours is theirs
    if ours.kind == theirs.kind == "frameshift":
        # the fs*N tail and the new residue are optional in HGVS; compare what both give
        return (ours.ref, ours.start) == (theirs.ref, theirs.start) and (
            not ours.alt or not theirs.alt or ours.alt == theirs.alt) and (
            ours.fs_stop is None or theirs.fs_stop is None or ours.fs_stop == theirs.fs_stop)
    return str(ours) == str(theirs)


def _vcf_records(path: Path):
    header_lines = []
    contigs: dict[str, int | None] = {}
    cols: list[str] = []
    with _open(path) as fh:
        for line in fh:
            if line.startswith("##"):
                header_lines.append(line)
                m = re.match(r"##contig=<ID=([^,>]+)(?:,length=(\d+))?", line)
                if m:
                    contigs[m.group(1)] = int(m.group(2)) if m.group(2) else None
                continue
            if line.startswith("#"):
                cols = line[1:].rstrip("\n").split("\t")
                build = detect_build(contigs, "".join(header_lines)) or BUILD_HINTS.get(path.name)
                yield "header", (build, "".join(header_lines))
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 8:
                continue
            if not cols:  # no #CHROM line: the header ends at the first record
                cols = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
                build = detect_build(contigs, "".join(header_lines)) or BUILD_HINTS.get(path.name)
                yield "header", (build, "".join(header_lines))
            info = {}
            for kv in f[7].split(";"):
                k, _, v = kv.partition("=")
                info[k] = v
            yield "record", (f[0], int(f[1]), f[3], f[4].split(","), info, dict(zip(cols, f)))


def _csq_format(header: str, key: str) -> list[str]:
    m = re.search(rf'##INFO=<ID={key},.*?Format: ([^">]+)', header)
    if not m:
        return []
    return [x.strip() for x in m.group(1).strip(" '").split("|")]


def _vep_allele(ref: str, alts: list[str], alt: str) -> str:
    if all(a[:1] == ref[:1] for a in alts) and any(len(a) != len(ref) for a in alts):
        return alt[1:] or "-"
    return alt


def _ours(db: TranscriptDB, chrom: str, pos: int, ref: str, alt: str, src: str
          ) -> list[Alteration]:
    try:
        return db.annotate(Variant(chrom, pos, ref, alt, source=src))
    except ReferenceMismatchError as e:
        print(f"  REF mismatch {src}: {e}", file=sys.stderr)
        return []


def _pick(entries: list[dict], gene: str, alteration: Alteration, db: TranscriptDB,
          tx_key: str, canon_key: str = "CANONICAL") -> dict | None:
    cand = [e for e in entries if e.get("gene") == gene]
    if not cand:
        return None
    ours = (alteration.transcript or "").split(".")[0]
    for e in cand:
        if e.get(tx_key, "").split(".")[0] == ours:
            return e
    canon = [e for e in cand if e.get(canon_key) == "YES"]
    withp = [e for e in (canon or cand) if e.get("hgvsp")]
    return (withp or canon or cand)[0]


def _sequenced(db: TranscriptDB, gene: str) -> bool:
    t = db.transcript(gene)
    return t is not None and t.sequence != "none"


def concordance_vcf(path: Path, tallies: dict[str, Tally], label: str | None = None) -> None:
    db = None
    header = ""
    for kind, payload in _vcf_records(path):
        if kind == "header":
            build, header = payload
            if build is None:
                print(f"  {path.name}: build unknown, skipped", file=sys.stderr)
                return
            db = TranscriptDB.bundled(build)
            csq_key = next((k for k in ("CSQ", "vep", "ANN", "EFF", "FUNC")
                            if f"ID={k}," in header), None)
            fmt = _csq_format(header, csq_key) if csq_key in ("CSQ", "vep", "ANN") else []
            label = label or {"CSQ": "VEP", "vep": "VEP", "ANN": "SnpEff", "EFF": "SnpEff",
                              "FUNC": "Ion Reporter"}.get(csq_key or "", "custom")
            tally = tallies.setdefault(label, Tally(label))
            continue
        chrom, pos, ref, alts, info, _cols = payload
        assert db is not None, path
        for alt in alts:
            if not re.fullmatch(r"[ACGTNacgtn]+", alt):
                continue
            # every gene counts, also those without bundled sequence (issue 12)
            ours = [a for a in _ours(db, chrom, pos, ref, alt, f"{path.name}:{pos}")
                    if db.transcript(a.gene)]
            if not ours:
                continue
            entries = _peer_entries(info, csq_key, fmt, ref, alts, alt)
            for a in ours:
                e = _pick(entries, a.gene, a, db, "transcript")
                if e is None:
                    continue
                theirs = _protein(e.get("hgvsp", ""))
                if label.startswith("CIViC") and not e.get("hgvsp"):
                    continue  # CIViC states no protein change for this variant
                if _synonymous_text(e.get("hgvsp", "")):
                    ok = a.protein is not None and a.protein.kind == "synonymous"
                elif a.protein is None and theirs is None:
                    continue  # non-coding for both
                else:
                    ok = same(a.protein, theirs)
                tally.add(ok, f"{path.name} {chrom}:{pos} {ref}>{alt} {a.gene}: ours "
                              f"p.{a.protein} {a.hgvs_c} ({a.transcript}, {a.consequence}) vs "
                              f"{label} {e.get('hgvsp') or '-'} ({e.get('transcript')})",
                          _sequenced(db, a.gene))


def _civic_hgvsp(text: str, name: str = "") -> str:
    """CIViC's protein change: the NP_ expression among its '&'-joined, \\xNN-escaped HGVS
    list, else a variant name that is a plain substitution ("M2327I"); "" when it states none."""
    text = re.sub(r"\\x([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)
    hit = next((h for h in text.split("&") if h.startswith("NP_") and ":p." in h), "")
    if not hit and re.fullmatch(r"[ACDEFGHIKLMNPQRSTVWY]\d+[ACDEFGHIKLMNPQRSTVWY*]", name):
        hit = f"p.{name}"
    return hit


def _peer_entries(info: dict, key: str | None, fmt: list[str], ref: str, alts: list[str],
                  alt: str) -> list[dict]:
    out = []
    if key in ("CSQ", "vep"):
        want = _vep_allele(ref, alts, alt)
        for item in info.get(key, "").split(","):
            d = dict(zip(fmt, item.split("|")))
            if "ALLELE_NUM" in d and d["ALLELE_NUM"]:
                if int(d["ALLELE_NUM"]) != alts.index(alt) + 1:
                    continue
            elif d.get("Allele") != want:
                continue
            out.append({"gene": d.get("SYMBOL"), "transcript": d.get("RefSeq") or d.get(
                "Feature", ""), "feature": d.get("Feature"),
                "hgvsp": d.get("HGVSp") or _civic_hgvsp(d.get("CIViC HGVS", ""),
                                                        d.get("CIViC Variant Name", "")),
                "CANONICAL": d.get("CANONICAL")})
    elif key == "ANN":
        for item in info.get("ANN", "").split(","):
            f = item.split("|")
            if len(f) > 10 and f[0] == alt:
                out.append({"gene": f[3], "transcript": f[6], "hgvsp": f[10]})
    elif key == "EFF":
        for item in info.get("EFF", "").split(","):
            m = re.match(r"[^(]+\((.*)\)", item)
            if m:
                f = m.group(1).split("|")
                out.append({"gene": f[5], "transcript": f[8], "hgvsp": f[3],
                            "CANONICAL": "YES"})
    elif key == "FUNC":
        for item in re.findall(r"\{([^}]*)\}", info.get("FUNC", "")):
            d = dict(re.findall(r"'(\w+)':'([^']*)'", item))
            if d.get("protein") and d.get("normalizedAlt", alt) in (alt, alt[1:] or "-") or (
                    d.get("protein") and d.get("origAlt") == alt):
                out.append({"gene": d.get("gene"), "transcript": d.get("transcript", ""),
                            "hgvsp": d["protein"]})
    elif "GENE" in info:
        out.append({"gene": info["GENE"], "transcript": info.get("TR", ""),
                    "hgvsp": info.get("HGVSP", "")})
    return out


def _maf_rows(path: Path):
    with open(path) as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    yield from csv.DictReader(lines, delimiter="\t")


def _maf_to_vcf(db: TranscriptDB, chrom: str, start: int, ref: str, alt: str
                ) -> tuple[int, str, str] | None:
    ref, alt = ref.replace("-", ""), alt.replace("-", "")
    if ref and alt and len(ref) == len(alt):
        return start, ref, alt
    anchor_pos = start if not ref else start - 1
    anchor = db.sequence.fetch(norm_chrom(chrom), anchor_pos, anchor_pos)  # N when unknown
    return anchor_pos, anchor + ref, anchor + alt


def concordance_genomenexus(inp: Path, expected: Path, tally: Tally) -> None:
    exp = {(r["Chromosome"], r["Start_Position"], r["Reference_Allele"], r["Tumor_Seq_Allele2"]): r
           for r in _maf_rows(expected)}
    for r in _maf_rows(inp):
        build = Build(r["NCBI_Build"]) if r["NCBI_Build"] in ("GRCh37", "GRCh38") else Build.GRCh37
        db = TranscriptDB.bundled(build)
        v = _maf_to_vcf(db, r["Chromosome"], int(r["Start_Position"]), r["Reference_Allele"],
                        r["Tumor_Seq_Allele2"])
        if v is None:
            continue
        ours = _ours(db, r["Chromosome"], *v, f"{inp.name}:{r['Start_Position']}")
        e = exp.get((r["Chromosome"], r["Start_Position"], r["Reference_Allele"],
                     r["Tumor_Seq_Allele2"]))
        for a in ours:
            if e is None or e["Hugo_Symbol"] != a.gene:
                continue
            hg = e.get("HGVSp_Short", "")
            theirs = _protein(hg) if "splice" not in hg else None
            if a.protein is None and theirs is None and "splice" not in hg:
                continue
            ok = same(a.protein, theirs) if "splice" not in hg else (
                a.consequence is not None and "splice" in a.consequence.value)
            tally.add(ok, f"{inp.name} {r['Chromosome']}:{r['Start_Position']} "
                          f"{r['Reference_Allele']}>{r['Tumor_Seq_Allele2']} {a.gene}: ours "
                          f"p.{a.protein} {a.hgvs_c} ({a.transcript}, {a.consequence}) vs MSK "
                          f"{hg} ({e.get('Transcript_ID')} {e.get('RefSeq')})",
                      _sequenced(db, a.gene))


MAF_CLASS = {
    "Missense_Mutation": {"missense_variant"}, "Nonsense_Mutation": {"stop_gained"},
    "Silent": {"synonymous_variant"}, "Frame_Shift_Del": {"frameshift_variant"},
    "Frame_Shift_Ins": {"frameshift_variant"}, "In_Frame_Del": {"inframe_deletion"},
    "In_Frame_Ins": {"inframe_insertion"}, "Splice_Site": {"splice_donor_variant",
                                                          "splice_acceptor_variant"},
    "Splice_Region": {"splice_region_variant"}, "Intron": {"intron_variant"},
    "3'UTR": {"3_prime_UTR_variant"}, "5'UTR": {"5_prime_UTR_variant"},
    "5'Flank": {"upstream_gene_variant"}, "3'Flank": {"downstream_gene_variant"},
    "Nonstop_Mutation": {"stop_lost"}, "Translation_Start_Site": {"start_lost"},
}


def concordance_vcf2maf(path: Path, tally: Tally) -> None:
    for r in _maf_rows(path):
        db = TranscriptDB.bundled(Build(r["NCBI_Build"]))
        alt = r["Tumor_Seq_Allele2"] if r["Tumor_Seq_Allele2"] != r["Reference_Allele"] else r[
            "Tumor_Seq_Allele1"]
        v = _maf_to_vcf(db, r["Chromosome"], int(r["Start_Position"]), r["Reference_Allele"], alt)
        if v is None:
            continue
        for a in _ours(db, r["Chromosome"], *v, f"{path.name}:{r['Start_Position']}"):
            if a.gene != r["Hugo_Symbol"]:
                continue
            ok = str(a.consequence) in MAF_CLASS.get(r["Variant_Classification"], set())
            tally.add(ok, f"{path.name} {r['Chromosome']}:{r['Start_Position']} "
                          f"{r['Reference_Allele']}>{alt} {a.gene}: ours {a.consequence} "
                          f"p.{a.protein} {a.hgvs_c} vs MAF {r['Variant_Classification']}")


def smoke_raw(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        n = hits = errors = 0
        build = None
        db = None
        for kind, payload in _vcf_records(path):
            if kind == "header":
                build = payload[0]
                db = TranscriptDB.bundled(build) if build else None
                continue
            if db is None:
                break
            chrom, pos, ref, alts, _info, _cols = payload
            for alt in alts:
                n += 1
                try:
                    found = db.annotate(Variant(chrom, pos, ref, alt))
                except Exception as e:  # noqa: BLE001 - counted and shown
                    errors += 1
                    print(f"  {path.name} {chrom}:{pos}: {e}", file=sys.stderr)
                    continue
                for a in found:
                    hits += 1
                    if a.protein is not None or a.consequence.is_protein_altering:
                        out.append(f"    {path.name}: {a.gene} {a.consequence} p.{a.protein} "
                                   f"{a.hgvs_c}")
        out.insert(0, f"  {path.name}: build {build}, {n} alleles, {hits} gene annotations, "
                      f"{errors} errors")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", default="/work/shared/real_inputs", type=Path)
    ap.add_argument("--data", default="/work/shared/data", type=Path,
                    help="shared reference data (for the CIViC GRCh37 VCF peer)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list raw-VCF hits")
    args = ap.parse_args(argv)
    d: Path = args.inputs
    tallies: dict[str, Tally] = {}
    for p in sorted((d / "vcf/vep_csq").glob("*.vcf*")):
        if not p.name.endswith((".tbi", ".csi")):
            concordance_vcf(p, tallies)
    for p in sorted((d / "vcf/snpeff").glob("*.vcf")):
        concordance_vcf(p, tallies)
    concordance_vcf(d / "vcf/panel_iontorrent/moma_oca.vcf", tallies)
    civic = args.data / "civic/civic_2019-10-08_civic_accepted.GRCh37.vcf"
    if civic.exists():
        concordance_vcf(civic, tallies, "CIViC GRCh37 VCF")
    gn = tallies.setdefault("GenomeNexus MSK", Tally("GenomeNexus MSK"))
    concordance_genomenexus(d / "maf/genomenexus_data_mutations_extended_100.txt",
                            d / "peer_expected/genomenexus/data_mutations_extended_100.mskcc.txt",
                            gn)
    v2m = tallies.setdefault("vcf2maf test MAF (class)", Tally("vcf2maf test MAF (class)"))
    concordance_vcf2maf(d / "maf/vcf2maf_test.maf", v2m)

    def pct(a: int, n: int) -> str:
        return f"{100 * a / n:.1f}" if n else "-"

    print(f"{'peer':<28}{'every gene':>22}   {'genes with bundled sequence':>28}")
    print(f"{'':<28}{'compared':>9}{'agree':>7}{'%':>7}   {'compared':>12}{'agree':>7}{'%':>7}")
    totals = [0, 0, 0, 0]
    for t in tallies.values():
        print(f"{t.source:<28}{t.compared:>9}{t.agree:>7}{pct(t.agree, t.compared):>7}   "
              f"{t.compared_seq:>12}{t.agree_seq:>7}{pct(t.agree_seq, t.compared_seq):>7}")
        if "(class)" not in t.source:
            for i, v in enumerate((t.compared, t.agree, t.compared_seq, t.agree_seq)):
                totals[i] += v
    print(f"{'HGVSp, all peers':<28}{totals[0]:>9}{totals[1]:>7}{pct(totals[1], totals[0]):>7}   "
          f"{totals[2]:>12}{totals[3]:>7}{pct(totals[3], totals[2]):>7}")
    print("\nDisagreements:" if not args.verbose else "\nAll comparisons:")
    for t in tallies.values():
        for row in t.rows:
            if args.verbose or row.startswith("DIFF"):
                print(f"  [{t.source}] {row}")
    print("\nRaw VCFs:")
    smoke = smoke_raw(sorted((d / "vcf/unannotated_multicaller").glob("*.vcf.gz")))
    for line in smoke:
        if args.verbose or not line.startswith("    "):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
