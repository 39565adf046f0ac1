"""The bundled OncoTree: provenance, the branches varmatch's evidence uses, lookups and errors."""

from __future__ import annotations

import re

import pytest

from varmatch.errors import UsageError
from varmatch.kb.oncotree import OncoTree


@pytest.fixture(scope="module")
def tree() -> OncoTree:
    return OncoTree.bundled()


def test_bundled_tree_is_one_cached_full_release(tree):
    assert OncoTree.bundled() is tree
    assert re.fullmatch(r"oncotree_\d{4}_\d{2}_\d{2}", tree.version)
    assert tree.version >= "oncotree_2021_11_02"
    assert len(tree) > 900  # the whole tree, not a hand-picked subset


def test_every_node_reaches_the_tissue_root(tree):
    for code in tree.codes():
        if code != "TISSUE":
            assert tree.ancestors(code)[-1] == "TISSUE", code


def test_tissue_level_nodes_hang_from_tissue(tree):
    for code in ("BREAST", "HEAD_NECK", "PROSTATE", "UTERUS", "KIDNEY", "BLADDER", "SOFT_TISSUE",
                 "THYROID", "OVARY", "LUNG", "BOWEL"):
        assert tree.parent(code) == "TISSUE"
        assert tree.tissue(code) == tree.name(code)
    assert tree.parent("TISSUE") is None


@pytest.mark.parametrize("code, ancestor", [
    ("IDC", "BRCA"), ("ILC", "BREAST"), ("HNSC", "HEAD_NECK"), ("NPC", "HEAD_NECK"),
    ("PRAD", "PROSTATE"), ("UEC", "UCEC"), ("UCEC", "UTERUS"), ("CCRCC", "RCC"),
    ("CCRCC", "KIDNEY"), ("BLCA", "BLADDER"), ("PECOMA", "SOFT_TISSUE"), ("THPA", "THYROID"),
    ("THFO", "THYROID"), ("THAP", "THYROID"), ("GRCT", "OVARY"), ("LUAD", "NSCLC"),
    ("LUSC", "LUNG"), ("COAD", "COADREAD"), ("READ", "BOWEL"),
])
def test_evidence_branches_are_present(tree, code, ancestor):
    assert tree.is_within(code, ancestor)


def test_npc_is_within_head_and_neck(tree):
    assert tree.is_within("NPC", "HEAD_NECK")
    assert tree.name("NPC") == "Nasopharyngeal Carcinoma"
    assert tree.tissue("NPC") == "Head and Neck"


def test_npc_is_not_within_breast(tree):
    assert not tree.is_within("NPC", "BREAST")


def test_npc_is_not_within_its_sibling_hnsc(tree):
    # Siblings under HEAD_NECK: HNSC evidence is not on-label for nasopharyngeal carcinoma.
    assert not tree.is_within("NPC", "HNSC")
    assert not tree.is_within("HNSC", "NPC")


def test_a_code_is_within_itself(tree):
    assert tree.is_within("BREAST", "BREAST")


def test_idc_ancestors_run_up_to_the_root(tree):
    assert tree.ancestors("IDC") == ["BRCA", "BREAST", "TISSUE"]


def test_renal_clear_cell_sits_under_renal_cell_carcinoma(tree):
    assert tree.parent("CCRCC") == "RCC"
    assert tree.ancestors("CCRCC") == ["RCC", "KIDNEY", "TISSUE"]


def test_granulosa_cell_tumor_is_a_sex_cord_stromal_ovarian_tumor(tree):
    assert tree.ancestors("GRCT") == ["SCST", "OVARY", "TISSUE"]


def test_codes_resolve_case_insensitively(tree):
    assert tree.resolve("npc") == "NPC"
    assert tree.resolve(" Head_Neck ") == "HEAD_NECK"
    assert tree.has("brca") and not tree.has("NPCC")


def test_a_unique_node_name_resolves_to_its_code(tree):
    assert tree.resolve("Nasopharyngeal Carcinoma") == "NPC"


def test_unknown_code_suggests_close_match(tree):
    with pytest.raises(UsageError) as err:
        tree.resolve("NPCC")
    message = str(err.value)
    assert message.startswith("unknown OncoTree code 'NPCC'; did you mean NPC")
    assert "(see varmatch kb tumor-types)" in message
    assert err.value.exit_code == 3


def test_unknown_code_without_close_match_still_points_to_the_list(tree):
    with pytest.raises(UsageError, match=r"unknown OncoTree code 'QQQQQQQQ'; \(see varmatch"):
        tree.resolve("QQQQQQQQ")


def test_parser_rejects_a_dangling_parent():
    text = "# oncotree_2021_11_02\ncode\tname\tparent\ttissue\nTISSUE\tTissue\t\t\nX\tX\tNOPE\t\n"
    with pytest.raises(ValueError, match="unknown parent NOPE"):
        OncoTree.from_text(text)
