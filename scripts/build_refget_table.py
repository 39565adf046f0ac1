"""Build varmatch/data/refget_chromosomes.tsv: the refget sequence digests (SQ. ids) of the
GRCh37/GRCh38 primary chromosomes that varmatch uses to compute GA4GH VRS identifiers.

Every row is a claim "RefSeq accession X has refget digest SQ.Y" taken from public repository
files: the alias lists of recorded seqrepo REST metadata answers (vrs-python test cassettes: one
sequence's aliases, e.g. GRCh38:7, refseq:NC_000007.14, ga4gh:SQ.F-Lr...), or a file where both
strings appear within WINDOW characters (an alias table, or a translator run on an HGVS/SPDI
expression on that accession next to its output). The script re-checks each claim in
local snapshots of those repositories (git directories brought by the project's `fetch` tool) and
writes only claims it could confirm, with every confirming source. Chromosomes without a confirmed
digest are left out: varmatch then omits the VRS id rather than guess.

Usage: python scripts/build_refget_table.py MIRROR_ROOT  (e.g. /work/.mirror)
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "varmatch" / "data" / "refget_chromosomes.tsv"

# RefSeq chromosome accessions of the two builds (NCBI assembly reports GCF_000001405.25 / .40).
GRCH37 = {"1": "NC_000001.10", "2": "NC_000002.11", "3": "NC_000003.11", "4": "NC_000004.11",
          "5": "NC_000005.9", "6": "NC_000006.11", "7": "NC_000007.13", "8": "NC_000008.10",
          "9": "NC_000009.11", "10": "NC_000010.10", "11": "NC_000011.9", "12": "NC_000012.11",
          "13": "NC_000013.10", "14": "NC_000014.8", "15": "NC_000015.9", "16": "NC_000016.9",
          "17": "NC_000017.10", "18": "NC_000018.9", "19": "NC_000019.9", "20": "NC_000020.10",
          "21": "NC_000021.8", "22": "NC_000022.10", "X": "NC_000023.10", "Y": "NC_000024.9",
          "MT": "NC_012920.1"}
GRCH38 = {"1": "NC_000001.11", "2": "NC_000002.12", "3": "NC_000003.12", "4": "NC_000004.12",
          "5": "NC_000005.10", "6": "NC_000006.12", "7": "NC_000007.14", "8": "NC_000008.11",
          "9": "NC_000009.12", "10": "NC_000010.11", "11": "NC_000011.10", "12": "NC_000012.12",
          "13": "NC_000013.11", "14": "NC_000014.9", "15": "NC_000015.10", "16": "NC_000016.10",
          "17": "NC_000017.11", "18": "NC_000018.10", "19": "NC_000019.10", "20": "NC_000020.11",
          "21": "NC_000021.9", "22": "NC_000022.11", "X": "NC_000023.11", "Y": "NC_000024.10",
          "MT": "NC_012920.1"}

VRS = ("ga4gh/vrs-python", "a47b3d92ede02bc4597aba1f48cf5ec810a0bea0")  # Apache-2.0
GENE = ("cancervariants/gene-normalization", "271a8f443489207fc1935e7ab410dc09e091daad")  # MIT
ANYVAR = ("biocommons/anyvar", "d0036716e72f61015263b0d91608755afc173e1c")  # Apache-2.0
CASSETTES = [
    "tests/extras/cassettes/test_annotate_vcf_grch38_attrs.yaml",
    "tests/extras/cassettes/test_annotate_vcf_grch37_attrs.yaml",
    "tests/extras/cassettes/test_from_beacon.yaml",
    "tests/extras/cassettes/test_from_hgvs.yaml",
    "tests/cassettes/test_data_proxies[rest_dataproxy].yaml",
    "tests/cassettes/test_normalize_allele.yaml",
]
# (accession, refget digest, repository, commit, path)
CLAIMS = [
    ("NC_000001.11", "SQ.Ya6Rs7DHhDeg7YaOSg1EoNi3U_nQ9SvO", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000002.12", "SQ.pnAqCRBrTsUoBghSD1yp_jXWSmlbdh4g", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000003.12", "SQ.Zu7h9AggXxhTaGVsy7h_EZSChSZGcmgX", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000004.12", "SQ.HxuclGHh0XCDuF8x6yQrpHUBL7ZntAHc", *VRS, "notebooks/getting_started/5_Exploring_the_CnvTranslator.ipynb"),
    ("NC_000005.10", "SQ.aUiQCzCPZ2d0csHbMSbh2NzInhonSXwI", *VRS, "notebooks/getting_started/4_Exploring_the_AlleleTranslator.ipynb"),
    ("NC_000005.9", "SQ.vbjOdMfHJvTjK_nqvFvpaSKhZillW0SX", *VRS, "notebooks/getting_started/4_Exploring_the_AlleleTranslator.ipynb"),
    ("NC_000007.14", "SQ.F-LrLMe1SRpfUZHkQmvkVKFEGaoDeHul", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000008.11", "SQ.209Z7zJ-mFypBEWLk4rNC6S_OxY5p7bs", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000009.12", "SQ.KEO-4XBcm1cxeo_DIQ8_ofqGUkp4iZhI", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000009.12", "SQ.KEO-4XBcm1cxeo_DIQ8_ofqGUkp4iZhI", *VRS, "notebooks/getting_started/5_Exploring_the_CnvTranslator.ipynb"),
    ("NC_000010.11", "SQ.ss8r_wB0-b9r44TQTMmVTI92884QvBiB", *ANYVAR, "README.md"),
    ("NC_000011.10", "SQ.2NkFm8HK88MqeNkCgj78KidCAXgnsfV1", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000012.12", "SQ.6wlJpONE3oNb4D69ULmEXhqyDZ4vwNfl", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000014.9", "SQ.eK4D2MosgK_ivBkgi6FVPg5UXs1bYESm", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000014.9", "SQ.eK4D2MosgK_ivBkgi6FVPg5UXs1bYESm", *VRS, "notebooks/getting_started/5_Exploring_the_CnvTranslator.ipynb"),
    ("NC_000015.10", "SQ.AsXvWL1-2i5U_buw6_niVIxD6zTbAuS6", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000017.11", "SQ.dLZ15tNO1Ur0IcGjwc3Sdi_0A6Yf4zm7", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000019.10", "SQ.IIB53T8CNeJJdUqzn9V_JnRtQadwWCbl", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000021.9", "SQ.5ZUqxCmDDgN4xTRbaSjN8LwgZironmB8", *VRS, "notebooks/getting_started/5_Exploring_the_CnvTranslator.ipynb"),
    ("NC_000023.11", "SQ.w0WZEvgJF0zf_P4yyTzjjv9oW1z61HHP", *GENE, "tests/unit/test_database_and_etl.py"),
    ("NC_000024.10", "SQ.8_liLu1aycC0tPQPFmUaGXJLDs5SbPZ5", *GENE, "tests/unit/test_database_and_etl.py"),
]


def _show(mirrors: Path, repo: str, commit: str, path: str) -> str | None:
    git = mirrors / repo.replace("/", "+") / "repo"
    p = subprocess.run(["git", "--git-dir", str(git), "show", f"{commit}:{path}"],
                       capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else None


WINDOW = 1500


def _tied(text: str, acc: str, sq: str) -> bool:
    digest = sq.removeprefix("SQ.")
    return any(digest in text[max(0, m.start() - WINDOW): m.end() + WINDOW]
               for m in re.finditer(re.escape(acc) + r"(?![0-9])", text))


def _cassette_ties(text: str) -> set[tuple[str, str]]:
    """(accession, SQ digest) pairs from the alias list of each recorded metadata answer."""
    out = set()
    for block in re.findall(r'aliases\\?"\s*:\s*\[([^\]]*)\]', text):
        accs = re.findall(r"refseq:(NC_[0-9]+\.[0-9]+)", block)
        sqs = re.findall(r"ga4gh:SQ\.([A-Za-z0-9_-]{32})", block)
        if len(set(accs)) == 1 and len(set(sqs)) == 1:
            out.add((accs[0], "SQ." + sqs[0]))
    return out


def main(mirrors: Path) -> int:
    by_acc = {acc: (build, chrom) for build, table in (("GRCh37", GRCH37), ("GRCh38", GRCH38))
              for chrom, acc in table.items() if acc != "NC_012920.1" or build == "GRCh38"}
    confirmed: dict[tuple[str, str], set[str]] = {}
    for path in CASSETTES:
        text = _show(mirrors, *VRS, path)
        if text is None:
            print(f"skip (no snapshot): {VRS[0]}:{path}", file=sys.stderr)
            continue
        for tie in _cassette_ties(text):
            confirmed.setdefault(tie, set()).add(f"{VRS[0]}@{VRS[1][:12]}:{path}")
    for acc, sq, repo, commit, path in CLAIMS:
        text = _show(mirrors, repo, commit, path)
        if text is None:
            print(f"skip (no snapshot): {repo}@{commit[:8]}:{path}", file=sys.stderr)
        elif not _tied(text, acc, sq):
            print(f"not confirmed: {acc} {sq} in {repo}:{path}", file=sys.stderr)
        else:
            confirmed.setdefault((acc, sq), set()).add(f"{repo}@{commit[:12]}:{path}")
    seen: dict[str, str] = {}
    rows = []
    for (acc, sq), sources in confirmed.items():
        if seen.setdefault(acc, sq) != sq:
            raise SystemExit(f"conflicting digests for {acc}: {seen[acc]} vs {sq}")
        build, chrom = by_acc[acc]
        rows.append((build, chrom, acc, sq, "; ".join(sorted(sources))))
    order = list(GRCH38)
    rows.sort(key=lambda r: (r[0], order.index(r[1])))
    with open(OUT, "w", newline="") as fh:
        fh.write("# refget digests of chromosome sequences, built by scripts/build_refget_table.py;\n"
                 "# source = public file (repo@commit:path) naming both the accession and the digest\n")
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["build", "chrom", "refseq", "refget", "source"])
        w.writerows(rows)
    print(f"wrote {OUT}: {len(rows)} chromosomes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror")))
