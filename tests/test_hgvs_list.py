"""HGVS expression lists: p. as written, c. through the bundled transcript, g. by accession."""

import json

from conftest import REAL
from test_cli import vm


def _run(path, *extra):
    p = vm("run", path, "-o", "-", "--formats", "json", *extra)
    assert p.returncode == 0, p.stderr.decode()
    d = json.loads(p.stdout)
    return {r["sample"]: r for r in (d if isinstance(d, list) else [d])}


def test_c_g_and_p_forms_give_the_same_biology(tmp_path):
    f = tmp_path / "list.txt"
    f.write_text("PIK3CA:p.His1047Arg\tS1\n"
                 "NM_005163.2:c.49G>A\tS2\n"             # AKT1 E17K via the bundled model
                 "NC_000010.11:g.87933147C>T\tS2\n"      # PTEN R130* on GRCh38 (NC_...11)
                 "NC_000010.10:g.89692904C>T\tS4\n"      # the same on GRCh37 (NC_...10)
                 "NM_000314.4:c.388del\tS3\n")
    r = _run(f, "-t", "BREAST")
    assert [a["alteration"] for a in r["S1"]["alterations"]] == ["PIK3CA p.H1047R"]
    assert [a["alteration"] for a in r["S2"]["alterations"]] == ["AKT1 p.E17K", "PTEN p.R130*"]
    assert r["S2"]["alterations"][0]["variant"]["pos"] == 104780214
    assert r["S4"]["genome_build"] == "GRCh37"
    assert [a["alteration"] for a in r["S4"]["alterations"]] == ["PTEN p.R130*"]
    assert r["S3"]["alterations"][0]["consequence"] == "frameshift_variant"


def test_opencravat_hgvs_list_yields_the_pik3ca_and_pten_changes():
    r = _run(REAL / "other_formats/opencravat_hgvs.hg38.txt", "-t", "BREAST")
    assert [a["alteration"] for a in r["s0"]["alterations"]] == ["PIK3CA p.K111E",
                                                                  "PIK3CA p.H1047Y"]
    assert [a["alteration"] for a in r["s3"]["alterations"]] == ["PIK3CA p.E542K"]
    assert [a["alteration"] for a in r["s2"]["alterations"]] == ["PTEN p.T319*"]
    # transcripts varmatch does not bundle are listed, not guessed
    assert any("NM_000051.4" in e["call"] for e in r["s0"]["excluded"])
    assert any("another version of NM_006218" in n for n in r["s0"]["notes"])


def test_bad_hgvs_line_names_file_and_line(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("PIK3CA:p.H1047R\nPIK3CA:p.Hello\n")
    p = vm("run", f, "--format", "hgvs")
    assert p.returncode == 2 and "bad.txt:2:" in p.stderr.decode()
