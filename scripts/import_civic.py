#!/usr/bin/env python3
"""Build the bundled CIViC layer (knowledgebase/civic/) from a CIViC monthly release.

    python scripts/import_civic.py [--civic ../shared/data/kb_sources/civic/01-Aug-2024]
                                   [--ontology ../shared/data/kb_sources/ontology]

Writes:
* ``knowledgebase/civic/doid_oncotree.tsv``: DOID -> OncoTree code for every DOID of the release's
  predictive pathway items, with the basis of each line: a phenOncoX 0.4.0 node-level mapping
  (github.com/sigven/phenOncoX @ 9652efe, MIT; via ../shared/data/kb_sources/ontology/
  doid_to_oncotree.tsv) or a hand decision below (HAND), which always picks the narrowest node
  the CIViC items cover, never a tissue node that would reach other histologies.
* ``knowledgebase/civic/evidence.json``: the mapped rows (varmatch.kb.civic.import_release),
  stamped with the release and the sha256 of each input table.
* ``knowledgebase/civic/UNMAPPED.md``: items not imported, with the reason.

CIViC data are CC0 1.0 (https://civicdb.org/releases/licensing). Then run
``varmatch kb stamp --version ...`` so the MANIFEST covers the layer.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from varmatch.kb import civic  # noqa: E402
from varmatch.kb.oncotree import OncoTree  # noqa: E402

# DOID -> (OncoTree code or "", requirement, reason). Decisions made on the CIViC items themselves.
HAND = {
    "1612": ("BRCA", "", "CIViC breast cancer items are breast carcinoma; Invasive Breast Carcinoma, "
             "not the BREAST tissue node (which would reach angiosarcoma and phyllodes tumour)"),
    "0060079": ("BRCA", "HER2-positive breast cancer (the CIViC disease)",
                "HER2-positive breast carcinoma; HER2 status is a requirement DNA calls cannot show"),
    "0060081": ("BRCA", "triple-negative breast cancer: ER-, PR- and HER2-negative (the CIViC disease)",
                "triple-negative breast carcinoma"),
    "0060075": ("BRCA", "estrogen-receptor-positive breast cancer (the CIViC disease)",
                "ER-positive breast carcinoma (DOID absent from phenOncoX 0.4.0)"),
    "6587": ("BRCA", "", "tubular carcinoma is an invasive breast carcinoma"),
    "9256": ("COADREAD", "", "CIViC colorectal cancer items are colorectal adenocarcinoma cohorts; "
             "not the BOWEL tissue node"),
    "1993": ("READ", "", "rectum cancer items: rectal adenocarcinoma"),
    "1380": ("UCEC", "", "endometrial cancer items are endometrial carcinoma"),
    "2871": ("UCEC", "", "endometrial carcinoma (phenOncoX also gives CEEN, a cervical type)"),
    "4007": ("BLADDER", "", "bladder carcinoma: the bladder tissue node (histology not stated)"),
    "6477": ("BLCA", "", "invasive bladder transitional cell carcinoma = bladder urothelial carcinoma"),
    "2671": ("BLCA", "", "transitional cell carcinoma items concern bladder urothelial carcinoma"),
    "10534": ("STAD", "", "stomach cancer items are gastric adenocarcinoma"),
    "5517": ("STAD", "", "stomach carcinoma items are gastric adenocarcinoma"),
    "3963": ("THYROID", "", "thyroid gland carcinoma: histology not stated"),
    "2893": ("CERVIX", "", "cervix carcinoma: histology not stated"),
    "5603": ("TLL", "", "T-cell acute lymphoblastic leukemia = T-lymphoblastic leukemia/lymphoma"),
    "8923": ("SKCM", "", "skin melanoma = cutaneous melanoma (phenOncoX also gives MEL)"),
    "11934": ("HNSC", "", "the CIViC head and neck cancer pathway items are HNSCC cell lines "
              "(SCC25, CAL-33, Detroit562); HNSC, so they are not on-label for NPC"),
    "162": ("", "", "'Cancer' (unspecified): not evidence for any tumor type, and not tumor-agnostic"),
    "3852": ("", "", "Peutz-Jeghers syndrome: a hereditary syndrome, not a tumor type"),
    "13515": ("", "", "tuberous sclerosis: a hereditary syndrome, not a tumor type"),
    "0080191": ("", "", "PTEN hamartoma tumor syndrome: a hereditary syndrome, not a tumor type"),
    "0080365": ("", "", "endometrial hyperplasia: not a cancer"),
}


def build_disease_map(evidence: Path, ontology: Path, genes: set[str], tree: OncoTree) -> list[dict]:
    with evidence.open(encoding="utf-8") as fh:
        doids = {(r["doid"], r["disease"]) for r in csv.DictReader(fh, delimiter="\t")
                 if r["evidence_type"] == "Predictive"}
    node_level: dict[str, list[str]] = {}
    with (ontology / "doid_to_oncotree.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["match_level"] == "oncotree_node" and tree.has(r["oncotree_code"]):
                node_level.setdefault(r["doid"].removeprefix("DOID:"), []).append(r["oncotree_code"])
    out = []
    for doid, disease in sorted(doids):
        if not doid:
            continue
        if doid in HAND:
            code, req, why = HAND[doid]
            out.append({"doid": doid, "disease": disease, "oncotree_code": code, "requirement": req,
                        "basis": f"hand: {why}"})
            continue
        codes = node_level.get(doid, [])
        # several codes: keep the one the others lie within (DOID:2394 -> OVARY, not OOVC)
        top = [c for c in codes if all(tree.is_within(o, c) for o in codes)]
        if len(top) == 1:
            out.append({"doid": doid, "disease": disease, "oncotree_code": top[0], "requirement": "",
                        "basis": "phenOncoX 0.4.0 node-level"
                                 + (f" (of {', '.join(codes)})" if len(codes) > 1 else "")})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    shared = ROOT.parent / "shared" / "data" / "kb_sources"
    ap.add_argument("--civic", type=Path, default=shared / "civic" / "01-Aug-2024")
    ap.add_argument("--ontology", type=Path, default=shared / "ontology")
    ap.add_argument("--out", type=Path, default=ROOT / "knowledgebase" / "civic")
    args = ap.parse_args()
    release = args.civic.name
    kbdir = ROOT / "knowledgebase"
    genes = set(yaml.safe_load((kbdir / "genes.yaml").read_text(encoding="utf-8")))
    drugs = yaml.safe_load((kbdir / "drugs.yaml").read_text(encoding="utf-8"))
    pathway_drugs = {d for d, v in drugs.items() if set(v.get("targets", [])) & genes}
    tree = OncoTree.bundled()

    dmap = build_disease_map(args.civic / f"{release}-{civic.TABLES['evidence']}", args.ontology,
                             genes, tree)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / civic.DISEASE_MAP).open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"# DOID -> OncoTree for CIViC {release} predictive items; written by "
                 "scripts/import_civic.py (bases: phenOncoX 0.4.0 node-level, MIT, "
                 "github.com/sigven/phenOncoX@9652efe; or a hand decision). Empty code: no OncoTree "
                 "type (imported as another tumor type).\n")
        w = csv.DictWriter(fh, ["doid", "disease", "oncotree_code", "requirement", "basis"],
                           delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(dmap)
    layer = civic.import_dir(args.civic, release, genes=genes,
                             disease_map={r["doid"]: r for r in dmap}, known_codes=tree.codes(),
                             pathway_drugs=pathway_drugs)
    civic.write_layer(layer, args.out)
    print(f"CIViC {release}: {len(layer.rows)} rows, {len(layer.unmapped)} unmapped, "
          f"{len(dmap)} DOIDs mapped -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
