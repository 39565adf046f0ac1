#!/usr/bin/env python3
"""Build ``varmatch/data/oncotree.tsv`` from an OncoTree release TSV.

Source: the cBioPortal OncoTree repository (github.com/cBioPortal/oncotree), file
``trees/tsv/oncotree_2026_05_21.txt`` at commit ``bbb84053527282e264a9193e53c87754bd269129``. That
file has the columns ``Code Color Name MainType UMLS NCI Tissue Parent``; only ``Code``, ``Name``,
``Tissue`` and ``Parent`` are read (by header name), so a reduced copy with just those columns
works too.

How the bundled table was made: the upstream file could not be downloaded on the build machine,
so its ``Code``/``Name``/``Tissue``/``Parent`` columns were copied row by row from the stored text
of that file into a reduced TSV (same header names, same row order), and this script was run on
it. Running the script on the real upstream file gives the same table.

Transformations (all mechanical, no code or name is invented):

* whitespace around every field is stripped (upstream has e.g. ``" TLL"`` as a parent);
* the root ``TISSUE`` row is kept with an empty parent;
* ``tissue`` is *derived*: the name of the tissue-level ancestor (the node whose parent is
  ``TISSUE``), for a tissue-level node its own name, empty for ``TISSUE``. Codes whose upstream
  ``Tissue`` column disagrees with their place in the tree are listed in the header;
* rows are sorted by tissue, then by code.

The script refuses to write a table with duplicate codes, unknown parents, cycles, or nodes that do
not reach ``TISSUE``.

Usage::

    python scripts/build_oncotree.py UPSTREAM.tsv [--out varmatch/data/oncotree.tsv]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

VERSION = "oncotree_2026_05_21"
SOURCE_REPO = "github.com/cBioPortal/oncotree"
SOURCE_PATH = "trees/tsv/oncotree_2026_05_21.txt"
SOURCE_COMMIT = "bbb84053527282e264a9193e53c87754bd269129"
ROOT = "TISSUE"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "varmatch" / "data" / "oncotree.tsv"


def read_upstream(path: Path) -> list[dict[str, str]]:
    """Read Code/Name/Tissue/Parent from an OncoTree TSV, stripping whitespace."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = {"Code", "Name", "Tissue", "Parent"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing columns {sorted(missing)}")
        return [
            {key: (row.get(key) or "").strip() for key in ("Code", "Name", "Tissue", "Parent")}
            for row in reader
            if (row.get("Code") or "").strip()
        ]


def check_tree(rows: list[dict[str, str]]) -> dict[str, str]:
    """Return code -> parent after checking the rows form one tree rooted at TISSUE."""
    parent: dict[str, str] = {}
    for row in rows:
        if row["Code"] in parent:
            raise SystemExit(f"duplicate code {row['Code']}")
        parent[row["Code"]] = row["Parent"]
    if ROOT not in parent:
        raise SystemExit("no TISSUE root row")
    for code, up in parent.items():
        if code != ROOT and up not in parent:
            raise SystemExit(f"{code}: unknown parent {up!r}")
        seen = {code}
        while code != ROOT:
            code = parent[code]
            if code in seen:
                raise SystemExit(f"cycle through {code}")
            seen.add(code)
    return parent


def tissue_of(code: str, parent: dict[str, str], names: dict[str, str]) -> str:
    """Name of the tissue-level ancestor of ``code`` (its own name at tissue level)."""
    if code == ROOT:
        return ""
    while parent[code] != ROOT:
        code = parent[code]
    return names[code]


def build(upstream: Path, out: Path) -> int:
    rows = read_upstream(upstream)
    parent = check_tree(rows)
    names = {row["Code"]: row["Name"] for row in rows}
    table = []
    disagreements = []
    for row in rows:
        tissue = tissue_of(row["Code"], parent, names)
        upstream_tissue = row["Tissue"]
        if parent[row["Code"]] not in ("", ROOT) and upstream_tissue != tissue:
            disagreements.append(f"{row['Code']} (upstream {upstream_tissue!r})")
        table.append((row["Code"], row["Name"], parent[row["Code"]], tissue))
    table.sort(key=lambda r: (r[3] != "", r[3], r[2] != ROOT, r[0]))
    tissues = sorted(code for code, up in parent.items() if up == ROOT)
    header = [
        f"# OncoTree {VERSION}: the full tree ({len(table)} nodes, {len(tissues)} tissue-level).",
        f"# Source: {SOURCE_REPO} {SOURCE_PATH} at commit {SOURCE_COMMIT}.",
        "# OncoTree is published by Memorial Sloan Kettering for cBioPortal/OncoKB; cite Kundra et",
        "# al., JCO Clin Cancer Inform 2021. No licence file was found in the stored copy of the",
        "# repository: check the upstream terms before redistributing outside varmatch.",
        "# Columns: code, name, parent (code; tissue-level nodes have parent TISSUE; TISSUE has",
        "# none), tissue (name of the tissue-level ancestor, derived from the tree).",
        "# Derivation: Code/Name/Tissue/Parent copied from the upstream file, whitespace stripped,",
        "# tissue recomputed from the parent chain, sorted; see scripts/build_oncotree.py.",
        "# Upstream Tissue column disagrees with the tree for: "
        + (", ".join(disagreements) or "none")
        + "; the tree (parent chain) is used.",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        for line in header:
            handle.write(line + "\n")
        handle.write("code\tname\tparent\ttissue\n")
        for record in table:
            if any("\t" in field or "\n" in field for field in record):
                raise SystemExit(f"tab or newline inside a field: {record}")
            handle.write("\t".join(record) + "\n")
    print(f"wrote {out}: {len(table)} rows; tissue disagreements: {len(disagreements)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream", type=Path, help="OncoTree TSV (trees/tsv/oncotree_*.txt)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    return build(args.upstream, args.out)


if __name__ == "__main__":
    sys.exit(main())
