"""Build varmatch/data/domains.tsv: protein domains of the pathway genes, for the lollipop plots.

Source: the protein-domain table of maftools (github.com/PoisonAlien/maftools, MIT licence),
``inst/extdata/protein_domains.txt.gz`` at commit 86d1774a8d02fb3549867222690e5d93cc2e2f5a
(2017-02-22). Its rows are NCBI RefSeq protein annotations (``db_xref`` = NCBI Conserved Domain
Database hits naming their Pfam ``pfamNNNNN``, SMART ``smartNNNNN`` or CDD ``cdNNNNN``/``clNNNNN``
model), one row per domain, with 1-based inclusive residue coordinates on the RefSeq protein.

For each gene we keep the RefSeq protein of varmatch's bundled transcript model
(``varmatch/data/transcripts.tsv``; without a model, the longest protein), then choose
non-overlapping domains: Pfam models first, then SMART, then CDD, each domain kept only if it
overlaps no domain already kept. The table records the model accession of every row.

Usage: python scripts/build_domains.py /path/to/protein_domains.txt.gz > varmatch/data/domains.tsv
(obtain the input with ``git show 86d1774a…:inst/extdata/protein_domains.txt.gz`` in a maftools
clone).
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = ("maftools inst/extdata/protein_domains.txt.gz @ 86d1774a8d02fb3549867222690e5d93cc2e2f5a "
          "(MIT); NCBI RefSeq/CDD domain annotations (Pfam, SMART, CDD models)")
GENES = ("PIK3CA", "AKT1", "PTEN", "MTOR", "TSC1", "TSC2", "STK11", "PIK3R1", "AKT2", "AKT3",
         "PIK3CB", "RICTOR", "RPTOR", "INPP4B", "PDPK1", "RHEB", "KRAS", "ERBB2", "BRAF", "EGFR")
PRIORITY = {"pfam": 0, "smart": 1, "cd": 2, "cl": 3}


def model_refseq() -> dict[str, str]:
    """Gene -> RefSeq NM accession (no version) of the bundled transcript model."""
    out: dict[str, str] = {}
    lines = (REPO / "varmatch/data/transcripts.tsv").read_text().splitlines()
    rows = [ln.split("\t") for ln in lines if ln and not ln.startswith("#")]
    head = rows[0]
    for r in rows[1:]:
        rec = dict(zip(head, r))
        if rec.get("refseq"):
            out.setdefault(rec["gene"], rec["refseq"].split(".")[0])
    return out


def accession_kind(acc: str) -> str:
    for prefix in ("pfam", "smart", "cd", "cl"):
        if acc.startswith(prefix):
            return prefix
    return "other"


def main(path: str) -> None:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t")
                if r["HGNC"] in GENES and r["domain.source"] == "db_xref"]
    wanted = model_refseq()
    w = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    sys.stdout.write(f"# varmatch protein domains, built by scripts/build_domains.py from {SOURCE}\n")
    w.writerow(["gene", "refseq", "protein", "length", "start", "end", "name", "accession",
                "description"])
    for gene in GENES:
        mine = [r for r in rows if r["HGNC"] == gene]
        if not mine:
            print(f"no domains for {gene}", file=sys.stderr)
            continue
        ref = wanted.get(gene)
        chosen_ref = ref if any(r["refseq.ID"] == ref for r in mine) else max(
            mine, key=lambda r: (int(r["aa.length"]), r["refseq.ID"]))["refseq.ID"]
        mine = [r for r in mine if r["refseq.ID"] == chosen_ref]
        # the accession is the text after the last ';' of domain.anno (pfam column when short)
        def acc(r):
            tail = r["domain.anno"].rsplit(";", 1)[-1].strip()
            return tail if accession_kind(tail) != "other" else r["pfam"].strip()
        mine.sort(key=lambda r: (PRIORITY.get(accession_kind(acc(r)), 9), int(r["Start"])))
        kept: list[dict] = []
        for r in mine:
            s, e = int(r["Start"]), int(r["End"])
            if accession_kind(acc(r)) == "other":
                continue
            if all(e < int(k["Start"]) or s > int(k["End"]) for k in kept):
                kept.append(r)
        for r in sorted(kept, key=lambda r: int(r["Start"])):
            w.writerow([gene, r["refseq.ID"], r["protein.ID"], r["aa.length"], r["Start"],
                        r["End"], r["Label"], acc(r), r["Description"].strip()])


if __name__ == "__main__":
    main(sys.argv[1])
