"""The parser edge-case files public VCF/MAF projects keep for their own tests (htslib, cyvcf2,
vcfpy, vcf2maf): those in ../shared/real_inputs/edge_cases and the ones missing there, committed
under tests/fixtures/edge (origins and licences in its SOURCES.md).

Expected for every file: a result or one error line naming the file (exit 2/3); 0 tracebacks,
0 exit-1s, 0 partial outputs. A multi-sample file refused for want of --sample is run again with
its first sample, so its records are parsed too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REAL, REPO
from test_properties import check

EDGE = REPO / "tests" / "fixtures" / "edge"
SKIP = (".tbi", ".csi", ".md", "LICENSE")


def corpus() -> list[Path]:
    files = [*(REAL / "edge_cases").rglob("*"), *EDGE.rglob("*")]
    return sorted(p for p in files if p.is_file() and not p.name.endswith(SKIP))


def test_corpus_is_complete():
    names = {p.name for p in corpus()}
    assert len(names) >= 90  # 42 shared + the 54 missing ones committed here
    assert {"strelka.vcf", "formatmissing-out.vcf", "test_pindel.vcf", "multi-contig.bcf",
            "cyvcf2_test.mnp.vcf", "genomenexus_invalid_format.txt"} <= names


@pytest.mark.parametrize("path", corpus(), ids=lambda p: str(p).split("edge")[-1])
def test_edge_case_file(path):
    err = check(path)
    m = re.search(r"choose one with --sample \(samples: ([^,)\s]+)", err)
    if m:
        check(path, "--sample", m.group(1))
