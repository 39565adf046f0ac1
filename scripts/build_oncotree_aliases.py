#!/usr/bin/env python3
"""Build ``varmatch/data/oncotree_aliases.tsv``: codes a user may give that are not codes of the
bundled OncoTree release, and the bundled code varmatch uses for each (with the basis).

    python scripts/build_oncotree_aliases.py ONCOTREE_GIT_DIR

Two kinds of alias:

* ``previous``: codes of earlier OncoTree releases absent from the bundled tree. Read from the
  cBioPortal OncoTree repository (github.com/cBioPortal/oncotree, ``trees/oncotree_*.json`` at
  commit b362db70f6472fb6349329d1ef6d8f3dcef7d083, snapshot of 2026-03-05): a newer node's
  ``history`` / ``precursors`` naming the code wins (TALL -> TLL, DIPG -> DMG); otherwise the
  retired node's nearest ancestor that survives in the bundled tree (GBM "Glioblastoma
  Multiforme", a child of GB in oncotree_2025_04_08 -> GB).
* ``tcga``: TCGA study codes that are not OncoTree codes, each to the OncoTree node of the study's
  disease as the GDC names it (TCGA-KIRC "Kidney Renal Clear Cell Carcinoma" -> CCRCC). Study codes
  that are themselves OncoTree codes (BRCA, LUAD ...) need no alias. Hand table below.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASES = ("oncotree_2021_11_02", "oncotree_2025_04_08", "oncotree_2025_10_03")
COMMIT = "b362db70f6472fb6349329d1ef6d8f3dcef7d083"

# TCGA study code -> (OncoTree code, GDC project name)
TCGA = {
    "GBM": ("GB", "Glioblastoma Multiforme"),
    "LGG": ("DIFG", "Brain Lower Grade Glioma"),
    "KIRC": ("CCRCC", "Kidney Renal Clear Cell Carcinoma"),
    "KIRP": ("PRCC", "Kidney Renal Papillary Cell Carcinoma"),
    "KICH": ("CHRCC", "Kidney Chromophobe"),
    "LIHC": ("HCC", "Liver Hepatocellular Carcinoma"),
    "OV": ("SOC", "Ovarian Serous Cystadenocarcinoma"),
    "LAML": ("AML", "Acute Myeloid Leukemia"),
    "DLBC": ("DLBCLNOS", "Lymphoid Neoplasm Diffuse Large B-cell Lymphoma"),
    "THCA": ("THPA", "Thyroid Carcinoma (TCGA enrolled papillary carcinoma)"),
    "MESO": ("PLMESO", "Mesothelioma (TCGA enrolled pleural mesothelioma)"),
    "SARC": ("SOFT_TISSUE", "Sarcoma (soft tissue sarcomas)"),
    "UVM": ("UM", "Uveal Melanoma"),
}


def _nodes(git_dir: Path, release: str) -> list[dict]:
    text = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{COMMIT}:trees/{release}.json"],
                          check=True, capture_output=True, text=True).stdout
    out: list[dict] = []

    def walk(n):
        if isinstance(n, dict):
            if "code" in n:
                out.append(n)
            for v in n.values():
                walk(v)
    walk(json.loads(text))
    return out


def main() -> int:
    git_dir = Path(sys.argv[1])
    bundled = {}
    for line in (ROOT / "varmatch" / "data" / "oncotree.tsv").read_text().splitlines():
        if line and not line.startswith("#") and not line.startswith("code\t"):
            code, _name, parent, *_ = line.split("\t")
            bundled[code] = parent
    rows: dict[str, tuple[str, str, str]] = {}
    pointers: dict[str, tuple[str, str]] = {}
    for release in RELEASES:
        for n in _nodes(git_dir, release):
            for old in (*(n.get("history") or []), *(n.get("precursors") or [])):
                if n["code"] in bundled and old not in bundled:
                    pointers[old] = (n["code"], f"{release}: {n['code']} lists {old} as a previous code")
    for release in RELEASES:
        nodes = _nodes(git_dir, release)
        parent = {n["code"]: n.get("parent") for n in nodes}
        for n in nodes:
            code = n["code"]
            if code in bundled or code in rows:
                continue
            if code in pointers:
                target, basis = pointers[code]
            else:
                up = parent.get(code)
                while up and up not in bundled:
                    up = parent.get(up)
                if not up or up == "TISSUE":
                    continue
                target = up
                basis = f"{release}: {code} '{n['name']}' lay under {up}, its nearest node still in the tree"
            rows[code] = (target, "previous", basis)
    for old, (target, basis) in pointers.items():
        rows.setdefault(old, (target, "previous", basis))
    for code, (target, name) in TCGA.items():
        assert target in bundled, target
        if code not in bundled:
            rows.setdefault(code, (target, "tcga", f"TCGA study {code} ({name})"))
    out = ROOT / "varmatch" / "data" / "oncotree_aliases.tsv"
    with out.open("w", encoding="utf-8") as fh:
        fh.write("# OncoTree codes not in the bundled release -> the bundled code used; built by "
                 f"scripts/build_oncotree_aliases.py from github.com/cBioPortal/oncotree@{COMMIT} "
                 "(trees/*.json) and TCGA study codes (GDC project names)\n")
        fh.write("alias\tcode\tkind\tbasis\n")
        for alias in sorted(rows):
            target, kind, basis = rows[alias]
            fh.write(f"{alias}\t{target}\t{kind}\t{basis}\n")
    print(f"{len(rows)} aliases -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
