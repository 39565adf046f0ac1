#!/usr/bin/env python3
"""Build ``varmatch/data/hotspots.tsv``: residue-level cancer hotspots for the varmatch genes.

Input (read-only, see ``shared/data/SOURCES.md``):

* ``hotspots/genome_nexus_hotspots_v2_and_3d.subset.tsv`` - genome-nexus/genome-nexus-importer
  ``data/grch37_ensembl111/export/hotspots_v2_and_3d.txt`` at commit
  ``2afaa6a172fd754e3831b81ea3d768d32659197c``: cancerhotspots.org v2 (Chang et al. 2018) single
  residue, in-frame indel and splice-site hotspots, plus 3D hotspots (Gao et al. 2017). This is the
  only source of the rows.
* ``hotspots/cancerhotspots_v2_snv_moalmanac.subset.tsv`` - vanallenlab/moalmanac
  ``datasources/cancerhotspots/hotspots_v2.txt`` at commit
  ``f8a911d9a601aa00662df71c3f41d5ec71bb1c2a``: the same v2 SNV table; used only to cross-check
  the reference residue and the tumor count of every single-residue row.
* ``hotspots/chang2016_publication_hotspots.subset.tsv`` - taylor-lab/hotspots
  ``publication_hotspots.tsv`` at 733c727bd4b9f7c1a7f4508b9a467b2f31cacf33 (Chang et al. 2016);
  used only to flag residues that were already hotspots in the 2016 publication.

Derivation:

* rows whose gene is one of :data:`GENES` are kept;
* ``single residue``, ``in-frame indel`` and ``splice site`` rows are copied one to one;
* ``3d`` rows come once per structure cluster, so they are collapsed to one row per residue: the
  smallest p-value, the largest tumor count, the strongest 3D class (Hotspot > Hotspot-linked >
  Cluster-exclusive) and the number of clusters;
* the observed alternatives keep the upstream ``AA:count`` form, sorted by count (descending);
* ``ref_aa`` is the upstream reference residue; for 3D rows, which have none, it is the first letter
  of the residue name (``R130`` -> ``R``).

Usage::

    python scripts/build_hotspots.py [--data /work/shared/data] [--out varmatch/data/hotspots.tsv]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

GENES = (
    "AKT1 AKT2 AKT3 PIK3CA PIK3CB PIK3R1 PTEN MTOR TSC1 TSC2 STK11 RICTOR RPTOR INPP4B PDPK1 RHEB "
    "ERBB2 KRAS BRAF EGFR"
).split()
NEXUS = "hotspots/genome_nexus_hotspots_v2_and_3d.subset.tsv"
MOALMANAC = "hotspots/cancerhotspots_v2_snv_moalmanac.subset.tsv"
CHANG2016 = "hotspots/chang2016_publication_hotspots.subset.tsv"
TYPE_ORDER = {"single residue": 0, "in-frame indel": 1, "splice site": 2, "3d": 3}
CLASS_RANK = {"Hotspot": 0, "Hotspot-linked": 1, "Cluster-exclusive": 2}
COLUMNS = [
    "gene", "residue", "start", "end", "ref_aa", "type", "alt_aas", "q_value", "p_value",
    "tumor_count", "class_3d", "n_clusters", "in_chang2016", "transcript", "source",
]
DEFAULT_DATA = Path("/work/shared/data")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "varmatch" / "data" / "hotspots.tsv"


def sort_alts(text: str) -> str:
    """'Q:20|K:575' -> 'K:575|Q:20' (by count descending, then name)."""
    pairs = []
    for item in str(text).split("|"):
        name, _, count = item.rpartition(":")
        pairs.append((name, int(count)))
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return "|".join(f"{name}:{count}" for name, count in pairs)


def fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.3g}"


def span(text: str) -> tuple[int, int]:
    start, _, end = str(text).partition("-")
    return int(start), int(end or start)


def build_rows(data: Path) -> tuple[list[dict[str, str]], list[str]]:
    nexus = pd.read_csv(data / NEXUS, sep="\t", dtype={"amino_acid_position": str})
    nexus = nexus[nexus["hugo_symbol"].isin(GENES)]
    chang = pd.read_csv(data / CHANG2016, sep="\t")
    # Chang 2016 names residues "E17" and splice sites "M582_splice": key on gene + position.
    chang_keys = {
        (gene, "".join(ch for ch in codon if ch.isdigit()), codon.endswith("_splice"))
        for gene, codon in zip(chang["Hugo Symbol"], chang["Codon"].astype(str), strict=True)
    }
    rows: list[dict[str, str]] = []
    for _, r in nexus[nexus["type"] != "3d"].iterrows():
        start, end = span(r["amino_acid_position"])
        ref = str(r["reference_amino_acid"]).split(":")[0] if r["type"] == "single residue" else ""
        chang_key = (r["hugo_symbol"], str(start), r["type"] == "splice site")
        rows.append({
            "gene": r["hugo_symbol"], "residue": r["residue"], "start": str(start),
            "end": str(end), "ref_aa": ref, "type": r["type"],
            "alt_aas": sort_alts(r["variant_amino_acid"]), "q_value": fmt(r["q_value"]),
            "p_value": "", "tumor_count": str(int(r["tumor_count"])), "class_3d": "",
            "n_clusters": "",
            "in_chang2016": "yes"
            if r["type"] != "in-frame indel" and chang_key in chang_keys else "",
            "transcript": f"{r['transcript_id']}.{r['transcript_id_version']}",
            "source": "cancerhotspots v2",
        })
    three_d = nexus[nexus["type"] == "3d"]
    for (gene, residue), group in three_d.groupby(["hugo_symbol", "residue"], sort=False):
        best = group.sort_values("tumor_count", ascending=False).iloc[0]
        start, end = span(best["amino_acid_position"])
        classes = sorted(set(group["class"].dropna()), key=lambda c: CLASS_RANK.get(c, 9))
        rows.append({
            "gene": gene, "residue": residue, "start": str(start), "end": str(end),
            "ref_aa": residue[0], "type": "3d", "alt_aas": sort_alts(best["variant_amino_acid"]),
            "q_value": "", "p_value": fmt(group["p_value"].min()),
            "tumor_count": str(int(group["tumor_count"].max())),
            "class_3d": classes[0] if classes else "", "n_clusters": str(len(group)),
            "in_chang2016": "yes" if (gene, str(start), False) in chang_keys else "",
            "transcript": f"{best['transcript_id']}.{best['transcript_id_version']}",
            "source": "3D hotspots",
        })
    rows.sort(key=lambda r: (r["gene"], TYPE_ORDER[r["type"]], int(r["start"]), r["residue"]))
    kept = {(r["gene"], r["start"], r["type"] == "splice site") for r in rows if r["in_chang2016"]}
    missing = sorted(
        f"{gene} {codon}"
        for gene, codon in zip(chang["Hugo Symbol"], chang["Codon"].astype(str), strict=True)
        if (gene, "".join(ch for ch in codon if ch.isdigit()), codon.endswith("_splice"))
        not in kept
    )
    note = (
        "Chang 2016 residues with no cancerhotspots v2 row (not added): "
        + (", ".join(missing) or "none")
    )
    return rows, cross_check(data, rows) + [note]


def cross_check(data: Path, rows: list[dict[str, str]]) -> list[str]:
    """Compare single-residue rows with the moalmanac copy of the v2 SNV table."""
    moa = pd.read_csv(data / MOALMANAC, sep="\t", dtype={"Amino_Acid_Position": str})
    by_key = {
        (g, str(p)): (str(ref).split(":")[0], int(n))
        for g, p, ref, n in zip(
            moa["Hugo_Symbol"], moa["Amino_Acid_Position"], moa["Reference_Amino_Acid"],
            moa["Mutation_Count"], strict=True,
        )
    }
    agree = differ = absent = 0
    notes = []
    for row in rows:
        if row["type"] != "single residue":
            continue
        other = by_key.get((row["gene"], row["start"]))
        if other is None:
            absent += 1
        elif other == (row["ref_aa"], int(row["tumor_count"])):
            agree += 1
        else:
            differ += 1
            notes.append(f"{row['gene']} {row['residue']}: moalmanac {other}")
    summary = (
        f"single-residue rows vs the moalmanac copy of the v2 SNV table: {agree} agree on "
        f"reference residue and tumor count, {differ} differ, {absent} absent there"
    )
    return [summary] + notes


def write(rows: list[dict[str, str]], checks: list[str], out: Path) -> None:
    genes_present = sorted({r["gene"] for r in rows})
    genes_absent = [g for g in GENES if g not in genes_present]
    counts = {t: sum(r["type"] == t for r in rows) for t in TYPE_ORDER}
    header = [
        "varmatch residue-level hotspot table (built by scripts/build_hotspots.py; do not edit).",
        "Facts from cancerhotspots.org v2 (Chang MT et al., Cancer Discov 2018;8:174-183) and "
        "Chang MT et al., Nat Biotechnol 2016;34:155-163, plus 3D hotspots (Gao J et al., "
        "Genome Med 2017;9:4).",
        "Licence: cancerhotspots.org data are under the ODC Open Database License (ODbL 1.0): "
        "attribute Chang et al. 2016 and 2018; a derived database is shared under the ODbL.",
        "Rows: genome-nexus/genome-nexus-importer "
        "data/grch37_ensembl111/export/hotspots_v2_and_3d.txt at commit "
        "2afaa6a172fd754e3831b81ea3d768d32659197c (subset shared/data/hotspots/"
        "genome_nexus_hotspots_v2_and_3d.subset.tsv).",
        "in_chang2016: residue listed in taylor-lab/hotspots publication_hotspots.tsv at "
        "733c727bd4b9f7c1a7f4508b9a467b2f31cacf33.",
        "Check: " + checks[0] + " (vanallenlab/moalmanac datasources/cancerhotspots/"
        "hotspots_v2.txt at f8a911d9a601aa00662df71c3f41d5ec71bb1c2a).",
        *(note if note.startswith("Chang") else f"Check detail: {note}" for note in checks[1:]),
        "Derivation: genes " + " ".join(GENES) + "; single residue / in-frame indel / splice site "
        "rows copied; 3d rows collapsed to one per residue (min p_value, max tumor_count, "
        "strongest class_3d, n_clusters = clusters merged); alt_aas = observed alternatives "
        "AA:count (indels: protein changes; splice: sp), sorted by count; ref_aa of 3d rows = "
        "first letter of residue.",
        f"Row counts: {counts}. Genes with no hotspot row: {', '.join(genes_absent) or 'none'}.",
        "Columns: residue = cancerhotspots name (E17, 439-470 for an indel range, X582 for a "
        "splice site); start/end = protein positions on the listed Ensembl transcript; q_value for "
        "cancerhotspots rows, p_value for 3d rows; tumor_count = tumors with a mutation there.",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        for line in header:
            handle.write(f"# {line}\n")
        handle.write("\t".join(COLUMNS) + "\n")
        for row in rows:
            handle.write("\t".join(row[c] for c in COLUMNS) + "\n")
    print(f"wrote {out}: {len(rows)} rows {counts}; {checks[0]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared/data directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    rows, checks = build_rows(args.data)
    write(rows, checks, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
