"""Property-based robustness of every reader (hypothesis).

The property, for VCF text, MAF, CNA and fusion tables, HGVS lists and vendor XML: whatever the
content, ``varmatch run FILE --out DIR`` either succeeds, or exits 2 (input) / 3 (usage) with
exactly one error line naming the file, and then leaves nothing in DIR. It never exits 1 (an
internal error) and never writes a partial output set.

Inputs are real files with generated damage in the fields that matter, so most examples get past
the sniffer and reach the record parsers. Runs are in-process (``varmatch.cli.main``) to keep the
suite fast: a modest ``max_examples`` per reader.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from conftest import REAL, REPO, SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from varmatch.models import ProteinChange

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# text a damaged field may hold: tabs, quotes, control characters, non-ASCII, numbers at the edges
junk = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["", ".", "-", "NA", "0", "-1", "1e400", "nan", "999999999999", "\t", '"',
                     "\r", "\x00", "p.", "p.E17K", "c.49G>A", "AKT1", "<DUP>", "N[chr1:1[", "é"]),
)


def run_in_process(path: Path, *extra: str) -> tuple[int, str, Path]:
    """``varmatch run path --out DIR [extra]``: exit code, stderr, the output folder."""
    from varmatch.cli import main

    out = Path(tempfile.mkdtemp(prefix="vm-prop-")) / "out"
    err = io.StringIO()
    argv, sys.argv = sys.argv, ["varmatch", "run", str(path), "--out", str(out),
                                "--formats", "json,tsv", *extra]
    code = 0
    try:
        with redirect_stderr(err), redirect_stdout(io.StringIO()):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    return code, err.getvalue(), out


def check(path: Path, *extra: str) -> str:
    """Run ``path`` and assert the property; returns stderr."""
    code, err, out = run_in_process(path, *extra)
    try:
        assert "internal error" not in err and "Traceback" not in err, err
        assert code in (0, 2, 3), (code, err)
        if code:
            lines = [ln for ln in err.splitlines() if ln.startswith(("varmatch: error:", "Error:"))]
            assert len(lines) == 1, err
            assert code == 3 or path.name in lines[0], lines[0]
            assert not out.exists() or not any(out.iterdir()), "partial output"
        else:  # every sample has its whole set
            names = [p.name for p in out.iterdir()]
            stems = {n.rsplit(".varmatch.", 1)[0] for n in names}
            assert sorted(names) == sorted(f"{s}.varmatch.{x}" for s in stems for x in ("json", "tsv"))
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return err


def with_cell(lines: list[str], row: int, col: int, value: str) -> str:
    """``lines`` joined, with cell ``col`` of line ``row`` (both clamped) set to ``value``."""
    lines = list(lines)
    i = min(row, len(lines) - 1)
    cells = lines[i].rstrip("\n").split("\t")
    cells[min(col, len(cells) - 1)] = value
    lines[i] = "\t".join(cells) + "\n"
    return "".join(lines)


def write(tmp_path_factory, name: str, data: bytes | str) -> Path:
    path = tmp_path_factory.mktemp("prop") / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ------------------------------------------------------------------------------------------- VCF
NPC_LINES = (SAMPLES / "npc_akt1_e17k.vep.GRCh38.vcf").read_text().splitlines(keepends=True)
HEADER = [ln for ln in NPC_LINES if ln.startswith("#")]
RECORDS = [ln for ln in NPC_LINES if not ln.startswith("#")]


@SETTINGS
@given(rec=st.sampled_from(RECORDS), col=st.integers(0, 9), value=junk,
       drop_header=st.integers(-1, len(HEADER) - 1))
def test_vcf_text(tmp_path_factory, rec, col, value, drop_header):
    header = [h for i, h in enumerate(HEADER) if i != drop_header]
    check(write(tmp_path_factory, "p.vcf", "".join(header) + with_cell([rec], 0, col, value)
                + "".join(RECORDS)))


# ------------------------------------------------------------------------------------------- MAF
MAF_LINES = (REAL / "maf/vcf2maf_test.maf").read_text().splitlines(keepends=True)


@SETTINGS
@given(row=st.integers(0, 40), col=st.integers(0, 40), value=junk)
def test_maf(tmp_path_factory, row, col, value):
    lines = MAF_LINES[:60]
    body = [ln for ln in lines if ln.strip() and not ln.startswith("#")]  # column names, rows
    comments = lines[:len(lines) - len(body)]
    check(write(tmp_path_factory, "p.maf", "".join(comments) + with_cell(body, row, col, value)))


# ------------------------------------------------------------------------------ CNA, fusions
CNA = (REPO / "tests/fixtures/data_CNA.txt").read_text().splitlines(keepends=True)
ARRIBA = (REPO / "tests/fixtures/arriba_fusions.tsv").read_text().splitlines(keepends=True)


@SETTINGS
@given(row=st.integers(0, 20), col=st.integers(0, 6), value=junk)
def test_cna_table(tmp_path_factory, row, col, value):
    check(write(tmp_path_factory, "data_CNA.txt", with_cell(CNA, row, col, value)))


@SETTINGS
@given(row=st.integers(0, 5), col=st.integers(0, 29), value=junk)
def test_fusion_table(tmp_path_factory, row, col, value):
    check(write(tmp_path_factory, "fusions.tsv", with_cell(ARRIBA, row, col, value)))


# ------------------------------------------------------------------------------------------ HGVS
@SETTINGS
@given(exprs=st.lists(st.one_of(
    st.builds(lambda g, c: f"{g}:p.{c}", st.sampled_from(["AKT1", "PIK3CA", "PTEN", "MTOR", "X"]),
              junk),
    st.builds(lambda c: f"NM_005163.4:c.{c}", junk),
    st.builds(lambda c: f"NC_000014.9:g.{c}", junk)), min_size=1, max_size=5))
def test_hgvs_list(tmp_path_factory, exprs):
    check(write(tmp_path_factory, "list.txt", "\n".join(exprs) + "\n"))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=30))
def test_protein_change_parse_accepts_or_refuses(text):
    try:
        pc = ProteinChange.parse(text)
    except ValueError:
        return
    assert str(pc)  # parsed: it can be written back


def test_protein_change_parse_knows_e17k():
    assert str(ProteinChange.parse("p.Glu17Lys")) == str(ProteinChange.parse("E17K"))


# ------------------------------------------------------------------------------------ vendor XML
F1 = (REPO / "tests/fixtures/f1_report.xml").read_text()


@SETTINGS
@given(attr=st.sampled_from(["gene", "protein-effect", "cds-effect", "allele-fraction", "depth",
                             "position", "copy-number", "type", "status"]),
       value=junk, nth=st.integers(0, 5))
def test_vendor_xml(tmp_path_factory, attr, value, nth):
    from xml.sax.saxutils import quoteattr

    marker = f' {attr}="'
    starts = [i for i in range(len(F1)) if F1.startswith(marker, i)]
    if starts:
        i = starts[min(nth, len(starts) - 1)] + len(marker) - 1
        j = F1.index('"', i + 1) + 1
        text = F1[:i] + quoteattr(value.replace("\x00", "")) + F1[j:]
    else:
        text = F1
    check(write(tmp_path_factory, "f1.xml", text))


@SETTINGS
@given(cut=st.integers(0, len(F1)), insert=junk)
def test_vendor_xml_damaged(tmp_path_factory, cut, insert):
    path = write(tmp_path_factory, "f1.xml", F1[:cut] + insert + F1[cut:])
    code, err, out = run_in_process(path)
    shutil.rmtree(out.parent, ignore_errors=True)
    assert code in (0, 2, 3) and "internal error" not in err, err


@pytest.mark.parametrize("name", ["f1.xml"])
def test_vendor_xml_truncated_everywhere_is_an_input_error(tmp_path, name):
    for cut in range(200, len(F1), max(1, len(F1) // 15)):
        path = tmp_path / name
        path.write_text(F1[:cut])
        check(path)
