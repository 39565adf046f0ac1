"""The fast raw-text prefilter of unindexed VCFs keeps exactly the records a plain parse keeps.

``readers.vcf._prefilter`` hands cyvcf2 only the header and the lines whose contig and POS fall in
a pathway region (or that name a token gene), found by one regex over 4 MB blocks with the
position test inside the regex. These tests compare it, line for line and with the original line
numbers, against a slow, obvious parse of the same text: on the bundled samples, on real VCFs
written by other tools (../shared/real_inputs) and on synthetic files with records at every
region edge, split at every block boundary.
"""

from __future__ import annotations

import gzip
import os
import random
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import REAL, SAMPLES, need
from hypothesis import given, settings
from hypothesis import strategies as st

from varmatch.annotate.transcripts import TranscriptDB
from varmatch.errors import InputError
from varmatch.models import Build
from varmatch.readers import vcf as vcfmod


# -- the slow, obvious reference ----------------------------------------------------------------
def _text(path: Path) -> bytes:
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path).read() if gz else path.read_bytes()


def plain_parse(text: bytes, regions, tokens=()) -> tuple[bytes, list[int]]:
    """Header lines, then every record line whose POS lies in a region of its contig (``chr``
    prefix or not), that contains a token, or whose POS does not start with a digit 1-9; returns
    (header + kept lines, their line numbers)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for chrom, start, end, _gene in regions:
        spans.setdefault(chrom.removeprefix("chr"), []).append((start, end))
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out, kept, in_header = [], [], True
    for n, line in enumerate(lines, 1):
        if in_header and line.startswith(b"#"):
            out.append(line + b"\n")
            continue
        in_header = False
        cols = line.split(b"\t")
        keep = any(t.encode() in line for t in tokens)
        tab = line.find(b"\t")  # a POS that does not start with 1-9 cannot be placed: kept
        first = line[tab + 1:tab + 2]  # b"" when the line ends at that tab
        keep = keep or (tab > 0 and not line.startswith(b"#")
                        and not (first.isdigit() and first != b"0"))
        if len(cols) > 2 and cols[1].isdigit():
            pos = int(cols[1])
            keep = keep or any(s <= pos <= e for s, e in
                               spans.get(cols[0].decode("latin-1").removeprefix("chr"), ()))
        if keep:
            out.append(line + b"\n")
            kept.append(n)
    return b"".join(out), kept


def fast(path: Path, regions, tokens=()) -> tuple[bytes, list[int]]:
    tmp, kept = vcfmod._prefilter(path, regions, list(tokens))
    try:
        return Path(tmp).read_bytes(), kept
    finally:
        os.unlink(tmp)


def _bundled(build: Build):
    return TranscriptDB.bundled(build).regions()


def _real_vcfs() -> list[Path]:
    found = sorted(p for p in (REAL / "vcf").rglob("*") if p.name.endswith((".vcf", ".vcf.gz")))
    found += sorted(p for p in (REAL / "edge_cases" / "vcf").glob("*")
                    if p.name.endswith((".vcf", ".vcf.gz")))
    return found


def _record_regions(text: bytes, rng: random.Random):
    """Regions that start or end exactly on records of the file (and one base either side), so
    real files exercise the region edges, not only the sparse pathway regions."""
    recs = []
    for line in text.split(b"\n"):
        cols = line.split(b"\t")
        if line and not line.startswith(b"#") and len(cols) > 2 and cols[1].isdigit():
            recs.append((cols[0].decode("latin-1"), int(cols[1])))
    out = []
    for chrom, pos in rng.sample(recs, min(len(recs), 12)):
        delta = rng.choice([-1, 0, 1])
        if rng.random() < 0.5:
            out.append((chrom, max(1, pos + delta), pos + delta + rng.randint(0, 5000), "X"))
        else:
            out.append((chrom, max(1, pos + delta - rng.randint(0, 5000)), max(1, pos + delta), "X"))
    return out


# -- real files -----------------------------------------------------------------------------------
def test_real_inputs_are_there():
    need(REAL / "vcf")
    assert len(_real_vcfs()) >= 20


@pytest.mark.parametrize("path", [p for p in sorted(SAMPLES.glob("*"))
                                  if p.name.endswith((".vcf", ".vcf.gz"))]
                         + (_real_vcfs() if (REAL / "vcf").exists() else []),
                         ids=lambda p: p.name)
def test_fast_scan_equals_plain_parse_on_real_files(path):
    text = _text(path)
    rng = random.Random(path.name)
    for regions in (_bundled(Build.GRCh38), _bundled(Build.GRCh37), _record_regions(text, rng)):
        assert fast(path, regions) == plain_parse(text, regions)
    assert fast(path, _bundled(Build.GRCh38), ["|PIK3CB|", "|PTEN|"]) == \
        plain_parse(text, _bundled(Build.GRCh38), ["|PIK3CB|", "|PTEN|"])


def test_akt1_e17k_survives_the_scan_with_its_line_number(samples):
    path = samples / "npc_akt1_e17k.mutect2.GRCh38.vcf.gz"
    body, kept = fast(path, _bundled(Build.GRCh38))
    text = _text(path).split(b"\n")
    akt1 = [n for n in kept if text[n - 1].startswith(b"chr14\t104780214\t")]
    assert len(akt1) == 1
    assert text[akt1[0] - 1].split(b"\t")[3:5] == [b"C", b"T"]  # c.49G>A on the minus strand


# -- synthetic edges ------------------------------------------------------------------------------
HEADER = (b"##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
          b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")


def _edge_file(rng: random.Random, regions, n_noise: int = 400, sort: bool = True) -> bytes:
    recs = []
    for chrom, start, end, gene in regions:
        for pos in (start - 1, start, start + 1, end - 1, end, end + 1, (start + end) // 2):
            for name in (chrom, "chr" + chrom.removeprefix("chr")):
                recs.append((name, pos, f"CSQ=T|missense_variant|{gene}|"))
    for _ in range(n_noise):
        chrom, start, end, _gene = rng.choice(regions)
        pos = rng.choice([rng.randint(1, 10 ** rng.randint(1, 9)), rng.randint(start - 9999, end + 9999)])
        recs.append((rng.choice([chrom, "chr" + chrom, "chrUn_x", "1" + chrom, "HLA-A*01"]), pos,
                     "CSQ=" + "x" * rng.randint(0, 300)))
    if sort:
        recs.sort(key=lambda r: (r[0], r[1]))
    else:
        rng.shuffle(recs)
    body = b"".join(f"{c}\t{max(p, 0)}\t.\tC\tT\t.\tPASS\t{i}\n".encode() for c, p, i in recs)
    # odd but legal text: a record with a zero-padded POS, one with CRLF, a blank line
    c, s, _e, _g = regions[0]
    body += f"{c}\t00{s}\t.\tA\tG\t.\tPASS\t.\r\n\n{c}\t{s}x\t.\tA\tG\t.\tPASS\t.\n".encode()
    return HEADER + body


SMALL = [("14", 104765000, 104797000, "AKT1"), ("3", 179193826, 179239364, "PIK3CA"),
         ("3", 179239000, 179240000, "PIK3CA2"), ("10", 87859470, 87970472, "PTEN"),
         ("1", 9, 12, "TINY"), ("X", 1, 99, "START"), ("chr7", 55014278, 55210617, "EGFR")]


@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize(("block", "slice_"), [(16, 1), (97, 40), (4096, 7), (4096, 300),
                                               (1 << 22, 1 << 18), (1 << 22, 333)])
def test_fast_scan_equals_plain_parse_at_region_edges_and_block_boundaries(tmp_path, monkeypatch,
                                                                          block, slice_, sort):
    monkeypatch.setattr(vcfmod, "_SLICE", slice_)  # regex slices inside a block, as well
    rng = random.Random(block * 2 + slice_ + sort)
    text = _edge_file(rng, SMALL, sort=sort)
    merged = vcfmod._merge_regions(SMALL)
    for tokens in ((), ("|TINY|", "|EGFR|")):
        out_path = tmp_path / "out.vcf"
        kept: list[int] = []
        with open(tmp_path / "in.vcf", "wb") as fh:
            fh.write(text)
        with open(tmp_path / "in.vcf", "rb", buffering=0) as fh, open(out_path, "wb") as out:
            vcfmod._scan(fh, out, merged, [t.encode() for t in tokens], kept, block=block)
        expect = plain_parse(text, SMALL, tokens)
        assert (out_path.read_bytes(), kept) == expect
        assert len(kept) >= 7 * 4 * 2  # the edge records are there to be found


def test_bgzip_and_python_gzip_and_plain_text_give_the_same_scan(tmp_path, monkeypatch):
    rng = random.Random(5)
    text = _edge_file(rng, SMALL, n_noise=20000)
    plain = tmp_path / "x.vcf"
    plain.write_bytes(text)
    bgz = tmp_path / "x.vcf.gz"
    with open(bgz, "wb") as fh:
        subprocess.run(["bgzip", "-c", str(plain)], stdout=fh, check=True)
    expect = plain_parse(text, SMALL)
    assert fast(plain, SMALL) == expect
    assert fast(bgz, SMALL) == expect  # bgzip -dc child (2 threads)
    monkeypatch.setattr("shutil.which", lambda _name: None)
    assert fast(bgz, SMALL) == expect  # Python's gzip module


def test_a_line_longer_than_the_block_is_read_whole(tmp_path):
    long_info = "CSQ=" + "T|missense_variant|AKT1|" * 300_000  # ~7 MB, beyond one 4 MB block
    text = HEADER + f"14\t104780214\t.\tC\tT\t.\tPASS\t{long_info}\n14\t5\t.\tC\tT\t.\tPASS\t.\n".encode()
    path = tmp_path / "long.vcf"
    path.write_bytes(text)
    assert fast(path, SMALL) == plain_parse(text, SMALL)
    assert fast(path, SMALL)[1] == [4]


def test_truncated_bgzip_is_one_input_error(tmp_path):
    plain = tmp_path / "x.vcf"
    plain.write_bytes(_edge_file(random.Random(1), SMALL, n_noise=50000))
    bgz = tmp_path / "x.vcf.gz"
    with open(bgz, "wb") as fh:
        subprocess.run(["bgzip", "-c", str(plain)], stdout=fh, check=True)
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(bgz.read_bytes()[: bgz.stat().st_size // 2])
    before = set(Path(tempfile.gettempdir()).glob("varmatch-*.vcf"))
    with pytest.raises(InputError, match="is the file complete"):
        fast(cut, SMALL)
    assert set(Path(tempfile.gettempdir()).glob("varmatch-*.vcf")) <= before  # temp file removed


# -- the decimal-range regex ----------------------------------------------------------------------
@settings(max_examples=400, deadline=None)
@given(st.integers(0, 10 ** 10), st.integers(0, 10 ** 9), st.lists(st.integers(-3, 3), max_size=4),
       st.integers(0, 10 ** 11))
def test_range_regex_matches_exactly_the_integers_in_range(lo, width, deltas, other):
    hi = lo + width
    rx = re.compile(vcfmod._trie_regex(vcfmod._int_range(lo, hi)))
    for x in [lo, hi, (lo + hi) // 2, other] + [lo + d for d in deltas] + [hi + d for d in deltas]:
        if x >= 0:
            assert bool(rx.fullmatch(str(x))) == (lo <= x <= hi), (lo, hi, x)


def test_region_regex_needs_contig_and_position_together():
    rx = vcfmod._region_regex({b"14": ([100], [200]), b"chr14": ([100], [200]),
                               b"1": ([5], [9]), b"chr1": ([5], [9])})
    hits = [s for s in (b"\n14\t100\t", b"\nchr14\t200\t", b"\n1\t5\t", b"\nchr1\t9\t", b"\n14\t0150\t")
            if rx.match(s)]
    assert len(hits) == 5
    misses = [b"\n14\t99\t", b"\n14\t201\t", b"\n1\t100\t", b"\n14\t5\t", b"\n114\t150\t",
              b"\nchr14\t1500\t", b"\n14\t150", b"\nchr2\t150\t", b"\n4\t150\t"]
    assert not [s for s in misses if rx.match(s)]
