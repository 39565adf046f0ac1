"""Cohort MAF streaming: a sample-sorted MAF is dispatched while it is read; an unsorted MAF is
named as such and still gives every sample complete (the real cBioPortal/Genome Nexus MAF)."""

from __future__ import annotations

import csv
import logging
import random
from pathlib import Path

import pytest

from varmatch import readers
from varmatch.cohort import Engine, run_cohort
from varmatch.errors import FormatError
from varmatch.pipeline import Options

REPO = Path(__file__).resolve().parents[1]
MAF = REPO.parent / "shared" / "real_inputs" / "maf" / "genomenexus_data_mutations_extended_100.txt"


@pytest.fixture(scope="module")
def engine() -> Engine:
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing (../shared beside the repository)")
    return Engine(Options(input_format="maf"), None, ["json"], True)


def _lines() -> tuple[str, list[str]]:
    header, *rows = MAF.read_text().splitlines(keepends=True)
    return header, rows


def _view(sc) -> tuple:
    return (sc.sample, sc.build, [str(a) for a in sc.alterations], sc.excluded, sc.notes,
            [c.variant for c in sc.calls])


def test_sorted_maf_streams_each_sample_once(engine):
    header, rows = _lines()
    barcodes = [r.split("\t")[16] for r in rows]
    assert barcodes == sorted(barcodes, key=barcodes.index)  # grouped by sample as shipped
    streamed = [_view(sc) for sc in engine.samples(str(MAF), stream=True)]
    whole = [_view(sc) for sc in engine.samples(str(MAF))]
    assert streamed == whole and len(whole) == len(set(barcodes)) == 20


def test_stream_yields_before_the_end_of_the_file(engine, tmp_path):
    header, rows = _lines()
    first = rows[0].split("\t")[16]
    n_first = sum(1 for r in rows if r.split("\t")[16] == first)
    bad = tmp_path / "bad.maf"
    cells = rows[n_first + 1].split("\t")
    cells[16] = ""  # an empty Tumor_Sample_Barcode further down: a format error
    bad.write_text(header + "".join(rows[:n_first + 1]) + "\t".join(cells))
    it = engine.samples(str(bad), stream=True)
    assert next(it).sample == first  # handed over before the bad row is read
    with pytest.raises(FormatError, match=f"{bad}:{n_first + 3}"):
        next(it)
    with pytest.raises(FormatError):  # the buffered reader reads everything first
        next(iter(engine.samples(str(bad))))


def test_unsorted_maf_is_named_and_every_sample_complete(engine, tmp_path, caplog):
    header, rows = _lines()
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    path = tmp_path / "shuffled.maf"
    path.write_text(header + "".join(shuffled))
    with caplog.at_level(logging.WARNING):
        streamed = list(engine.samples(str(path), stream=True))
    assert "not sorted by Tumor_Sample_Barcode" in caplog.text
    last = {sc.sample: _view(sc) for sc in streamed}  # a redone sample comes again, complete
    whole = {sc.sample: _view(sc) for sc in engine.samples(str(path))}
    assert last == whole
    # streaming stops once the MAF shows it is unsorted: only the few samples handed on before
    # that are redone, not every sample
    assert len(streamed) < 1.5 * len(whole)


@pytest.mark.parametrize("jobs", [1, 2])
def test_unsorted_maf_cohort_matches_the_sorted_one(tmp_path, jobs):
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    readers._load_builtin_readers()
    header, rows = _lines()
    shuffled = rows[:]
    random.Random(11).shuffle(shuffled)
    path = tmp_path / "shuffled.maf"
    path.write_text(header + "".join(shuffled))
    a = run_cohort(MAF, tmp_path / "sorted", Options(tumor_type="BREAST"), jobs=jobs)
    b = run_cohort(path, tmp_path / "shuffled", Options(tumor_type="BREAST"), jobs=jobs)
    assert a.n_samples == b.n_samples == 20 and not a.failed and not b.failed

    def table(out: Path) -> list[dict]:
        with open(out / "cohort.samples.tsv", newline="") as fh:
            return sorted(csv.DictReader(fh, delimiter="\t"), key=lambda r: r["sample"])

    assert table(tmp_path / "sorted") == table(tmp_path / "shuffled")
    pik3ca = [r for r in table(tmp_path / "sorted") if "PIK3CA" in r["pathway_alterations"]]
    assert pik3ca  # the real MAF carries PIK3CA mutations


def test_maf_resume_reuses_every_sample_until_the_maf_changes(tmp_path):
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    maf = tmp_path / "cohort.maf"
    maf.write_bytes(MAF.read_bytes())
    out = tmp_path / "o"
    first = run_cohort(maf, out, Options(tumor_type="BREAST"), jobs=1)
    again = run_cohort(maf, out, Options(tumor_type="BREAST"), jobs=2, resume=True)
    assert again.reused == first.n_samples == 20
    assert [r.sample for r in again.records] == [r.sample for r in first.records]
    maf.write_bytes(MAF.read_bytes() + b"\n")  # the MAF changed: its samples are run again
    changed = run_cohort(maf, out, Options(tumor_type="BREAST"), jobs=1, resume=True)
    assert changed.reused == 0 and changed.n_samples == 20


def test_an_unknown_tumor_code_is_resolved_once(tmp_path, monkeypatch):
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    from varmatch.kb.oncotree import OncoTree

    calls = []
    real = OncoTree._suggest
    monkeypatch.setattr(OncoTree, "_suggest", lambda self, text: calls.append(text)
                        or real(self, text))
    barcodes = {ln.split("\t")[16] for ln in MAF.read_text().splitlines()[1:] if ln.strip()}
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text("SAMPLE_ID\tONCOTREE_CODE\n"
                        + "".join(f"{b}\tNPCX_NOT_A_CODE\n" for b in sorted(barcodes)))
    s = run_cohort(MAF, tmp_path / "o", Options(clinical=str(clinical)), jobs=1,
                   summary_only=True)
    assert s.n_samples == 20 and not s.failed
    assert calls == ["NPCX_NOT_A_CODE"]  # 20 samples, one "did you mean" search


def test_maf_resume_redoes_every_sample_after_a_civic_update(tmp_path, monkeypatch):
    """A newer CIViC layer from `varmatch kb update civic` (the user cache) changes the
    knowledgebase the results rest on, though the bundled MANIFEST is the same: no sample is
    reused."""
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    from varmatch import kb as kbmod

    monkeypatch.setenv("VARMATCH_CACHE_DIR", str(tmp_path / "cache"))
    kbmod.bundled.cache_clear()
    out = tmp_path / "o"
    first = run_cohort(MAF, out, Options(tumor_type="BREAST"), jobs=1)
    layer = (REPO / "knowledgebase" / "civic" / "evidence.json").read_text()
    newer = tmp_path / "cache" / "civic" / "01-Sep-2024"
    newer.mkdir(parents=True)
    (newer / "evidence.json").write_text(layer.replace("2024-08-01", "2024-09-01"))
    (tmp_path / "cache" / "civic" / "CURRENT").write_text("01-Sep-2024")
    kbmod.bundled.cache_clear()
    try:
        assert kbmod.bundled().checksum != kbmod.bundled().manifest.checksum
        again = run_cohort(MAF, out, Options(tumor_type="BREAST"), jobs=1, resume=True)
    finally:
        kbmod.bundled.cache_clear()
    assert first.n_samples == again.n_samples == 20 and again.reused == 0


# ---- workers read the MAF in pieces of whole samples (-j 2 and more) ---------------------------
def _pieces(path: Path, size: int) -> list[tuple[tuple[int, str], int, list[tuple[int, str]]]]:
    from varmatch.cohort import maf_chunks, piece_lines

    return [(h, first, list(piece_lines(str(path), first, piece)))
            for h, first, piece in maf_chunks(str(path), size=size)]


def _check_pieces(path: Path, header: str, rows: list[str], size: int = 2000) -> list:
    pieces = _pieces(path, size)  # a few rows per piece
    assert all(h == (1, header) for h, _first, _lines in pieces)
    assert [r for _h, _f, lines in pieces for _n, r in lines] == rows  # every row once, in order
    line = 2
    si = header.rstrip("\r\n").split("\t").index("Tumor_Sample_Barcode")
    owner: dict[str, int] = {}
    for i, (_h, first, lines) in enumerate(pieces):
        assert first == line  # line numbers carry over for error messages
        assert [n for n, _r in lines] == list(range(first, first + len(lines)))
        line += len(lines)
        for _n, r in lines:
            sample = r.split("\t")[si]
            assert owner.setdefault(sample, i) == i, f"{sample} split over two pieces"
    return pieces


def test_maf_pieces_end_only_where_the_sample_changes():
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    from varmatch.cohort import maf_chunks

    header, rows = _lines()
    assert len(_check_pieces(MAF, header, rows)) > 5
    # a plain file goes to workers as byte ranges, not as text through the pipe
    assert all(isinstance(p, tuple) for _h, _f, p in maf_chunks(str(MAF), size=2000))
    assert len(_check_pieces(MAF, header, rows, size=1)) == 20  # one sample per piece


def test_maf_pieces_of_gzip_crlf_and_one_big_sample(tmp_path):
    """The text path (gzip), Windows line ends, and a sample larger than many pieces."""
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    import gzip

    from varmatch.cohort import maf_chunks

    header, rows = _lines()
    gz = tmp_path / "m.maf.gz"
    gz.write_bytes(gzip.compress(MAF.read_bytes()))
    _check_pieces(gz, header, rows)
    assert all(isinstance(p, bytes) for _h, _f, p in maf_chunks(str(gz), size=2000))

    crlf = tmp_path / "crlf.maf"
    crlf.write_bytes(MAF.read_bytes().replace(b"\n", b"\r\n"))
    _check_pieces(crlf, header.replace("\n", "\r\n"), [r.replace("\n", "\r\n") for r in rows])

    si = header.split("\t").index("Tumor_Sample_Barcode")
    one = []
    for r in rows:
        cells = r.split("\t")
        cells[si] = "ONE-SAMPLE"
        one.append("\t".join(cells))
    big = tmp_path / "one.maf"
    big.write_text(header + "".join(one))
    pieces = _check_pieces(big, header, one, size=500)
    assert len(pieces) == 1


def test_a_maf_whose_offsets_are_unknown_is_read_whole(tmp_path, caplog):
    """A byte the text reader replaces (not UTF-8) before the header makes byte offsets
    unreliable: no pieces; the cohort says so and reads the file in one process, same result."""
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    from varmatch.cohort import _CannotCut, maf_chunks

    path = tmp_path / "latin1.maf"
    path.write_bytes(b"#comment from caf\xe9\n" + MAF.read_bytes())
    with pytest.raises(_CannotCut, match="before line 2 is not UTF-8"):
        list(maf_chunks(str(path)))
    with caplog.at_level(logging.INFO, logger="varmatch.cohort"):
        b = run_cohort(path, tmp_path / "j2", Options(tumor_type="NPC"), jobs=2)
    assert "a byte before line 2 is not UTF-8; reading it whole" in caplog.text
    a = run_cohort(MAF, tmp_path / "j1", Options(tumor_type="NPC"), jobs=1)
    assert a.n_samples == b.n_samples == 20 and not b.failed
    assert [r.best_tier for r in a.records] == [r.best_tier for r in b.records]


def test_pieces_give_the_same_cohort_as_the_single_reader(tmp_path):
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    a = run_cohort(MAF, tmp_path / "j1", Options(tumor_type="NPC"), jobs=1)  # the main process reads
    b = run_cohort(MAF, tmp_path / "j2", Options(tumor_type="NPC"), jobs=2)  # workers read pieces
    assert a.n_samples == b.n_samples == 20 and not b.failed
    for f in sorted((tmp_path / "j1" / "samples").iterdir()):
        assert (tmp_path / "j2" / "samples" / f.name).read_bytes() == f.read_bytes(), f.name
    for f in ("cohort.samples.tsv", "cohort.actionable.tsv", "cohort.summary.json"):
        assert (tmp_path / "j2" / f).read_text() == (tmp_path / "j1" / f).read_text(), f


def test_a_bad_row_in_a_piece_names_its_line(tmp_path):
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    header, rows = _lines()
    cells = rows[40].split("\t")
    cells[header.split("\t").index("Tumor_Sample_Barcode")] = ""  # empty barcode on line 42
    path = tmp_path / "bad.maf"
    path.write_text(header + "".join(rows[:40]) + "\t".join(cells) + "".join(rows[41:]))
    with pytest.raises(FormatError, match=r"bad\.maf:42: empty Tumor_Sample_Barcode"):
        run_cohort(path, tmp_path / "o", Options(tumor_type="NPC"), jobs=2)


@pytest.mark.parametrize("how", ["sample cut in two pieces", "shuffled"])
def test_a_maf_not_in_sample_runs_is_read_whole_and_matches_one_process(tmp_path, monkeypatch,
                                                                         caplog, how):
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    import varmatch.cohort as cohort

    header, rows = _lines()
    if how == "shuffled":
        rows = rows[:]
        random.Random(3).shuffle(rows)
    else:  # each piece is in runs, but one sample's first row moved to the end of the file
        rows = rows[1:] + rows[:1]
    path = tmp_path / "in.maf"
    path.write_text(header + "".join(rows))
    monkeypatch.setattr(cohort, "CHUNK_CHARS", 3000)  # pieces of a few rows
    with caplog.at_level(logging.WARNING):
        b = run_cohort(path, tmp_path / "j2", Options(tumor_type="NPC"), jobs=2)
    assert "not sorted by Tumor_Sample_Barcode" in caplog.text  # said once, by the whole reader
    a = run_cohort(path, tmp_path / "j1", Options(tumor_type="NPC"), jobs=1)
    assert a.n_samples == b.n_samples == 20 and not b.failed
    for f in sorted((tmp_path / "j1" / "samples").iterdir()):
        assert (tmp_path / "j2" / "samples" / f.name).read_bytes() == f.read_bytes(), f.name
    assert (tmp_path / "j2" / "cohort.samples.tsv").read_text() == \
        (tmp_path / "j1" / "cohort.samples.tsv").read_text()
    # no journal entry of a sample written in part survives
    from varmatch.cohort import Journal
    entries = Journal(tmp_path / "j2").load()
    assert sorted(entries) == sorted(r.sample for r in a.records)


def test_a_sample_read_in_part_has_another_resume_key_than_the_whole(engine, tmp_path):
    # an unsorted MAF hands a sample on in part before its other rows come: a run killed then
    # must not let --resume reuse the part as if it were the sample
    from varmatch.cohort import _rows_of, sample_key

    header, rows = _lines()
    si = header.rstrip("\n").split("\t").index("Tumor_Sample_Barcode")
    whole = {sc.sample: sc for sc in engine.samples(str(MAF))}
    sample = max(whole, key=lambda s: len(whole[s].calls) + len(whole[s].alterations))
    mine = [r for r in rows if r.split("\t")[si] == sample]
    assert len(mine) > 1
    part_path = tmp_path / "part.maf"
    part_path.write_text(header + mine[0])
    (part,) = engine.samples(str(part_path))
    assert sample_key("b", sample, ["src"], _rows_of(part)) != \
        sample_key("b", sample, ["src"], _rows_of(whole[sample]))


@pytest.mark.parametrize("jobs", [1, 2])
def test_two_samples_with_one_file_name_are_named_in_a_warning(tmp_path, caplog, jobs):
    if not MAF.exists():
        pytest.skip(f"{MAF} is missing")
    header, rows = _lines()
    si = header.rstrip("\n").split("\t").index("Tumor_Sample_Barcode")
    first, second = sorted({r.split("\t")[si] for r in rows})[:2]
    text = "".join(rows).replace(f"\t{first}\t", "\tS/1\t").replace(f"\t{second}\t", "\tS_1\t")
    path = tmp_path / "names.maf"
    path.write_text(header + text)
    with caplog.at_level(logging.WARNING):
        run_cohort(path, tmp_path / "o", Options(tumor_type="NPC"), jobs=jobs)
    assert "sample S_1: a sample with the same file name (S/1) was already written" in caplog.text \
        or "sample S/1: a sample with the same file name (S_1) was already written" in caplog.text
