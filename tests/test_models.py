"""The domain model prints itself canonically; 1- and 3-letter HGVS p. are one alteration."""

import pytest

from varmatch.models import (
    Alteration,
    AlterationType,
    Citation,
    Consequence,
    ProteinChange,
    aa_to_1,
)


@pytest.mark.parametrize("text", ["p.Glu17Lys", "p.E17K", "E17K", "p.(Glu17Lys)", "p.(E17K)"])
def test_akt1_e17k_spellings_are_one_change(text):
    pc = ProteinChange.parse(text)
    assert str(pc) == "E17K"
    assert pc.three_letter == "p.Glu17Lys"
    assert pc.kind == "missense"


@pytest.mark.parametrize(
    "text, canonical, kind",
    [
        ("p.Arg130Ter", "R130*", "nonsense"),
        ("R130*", "R130*", "nonsense"),
        ("p.R130X", "R130*", "nonsense"),
        ("p.Arg130GlyfsTer4", "R130Gfs*4", "frameshift"),
        ("p.K267fs", "K267fs", "frameshift"),
        ("p.Glu542_Glu545del", "E542_E545del", "deletion"),
        ("p.E545_A546insK", "E545_A546insK", "insertion"),
        ("p.Lys111_Glu115delinsAsn", "K111_E115delinsN", "delins"),
        ("p.Met1?", "M1?", "start_lost"),
        ("p.His1047=", "H1047=", "synonymous"),
        ("p.Glu17dup", "E17dup", "duplication"),
    ],
)
def test_protein_change_forms(text, canonical, kind):
    pc = ProteinChange.parse(text)
    assert (str(pc), pc.kind) == (canonical, kind)
    assert str(ProteinChange.parse(pc.three_letter)) == canonical


@pytest.mark.parametrize("bad", ["", "p.", "17K", "p.Glu17", "GluLys17", "hello"])
def test_not_protein_changes_are_rejected(bad):
    with pytest.raises(ValueError):
        ProteinChange.parse(bad)


def test_amino_acid_table_round_trip():
    assert aa_to_1("GluLys") == "EK"
    assert aa_to_1("Ter") == "*"


def test_alteration_prints_canonically():
    alt = Alteration("PIK3CA", protein=ProteinChange.parse("p.His1047Arg"),
                     consequence=Consequence.MISSENSE)
    assert str(alt) == "PIK3CA p.H1047R"
    assert str(Alteration("PTEN", type=AlterationType.DELETION)) == "PTEN deletion"


def test_consequence_order_puts_truncating_before_missense():
    assert Consequence.STOP_GAINED.rank < Consequence.MISSENSE.rank < Consequence.SYNONYMOUS.rank
    assert Consequence.FRAMESHIFT.is_truncating and not Consequence.MISSENSE.is_truncating


def test_citation_urls():
    assert Citation("PMID:28961834").url == "https://pubmed.ncbi.nlm.nih.gov/28961834/"
    assert Citation("NCT04305496").url.endswith("/NCT04305496")
    assert Citation("DOI:10.1093/annonc/mdx346").url == "https://doi.org/10.1093/annonc/mdx346"


def test_evolve_is_replace_without_stale_cached_properties():
    """``evolve`` (the fast copy tiering and annotation use) gives what dataclasses.replace gives,
    and never carries a cached value made from the old fields."""
    import dataclasses

    from varmatch.models import Alteration, ProteinChange, Variant, evolve

    v = Variant("14", 104780214, "C", "T")
    a = Alteration("AKT1", protein=ProteinChange.parse("E17K"), variant=v)
    assert (a.label, a.ident) == ("AKT1 p.E17K", "AKT1:E17K@14:104780214C>T")  # cached now
    b = evolve(a, protein=ProteinChange.parse("E17Q"), sample="S1")
    assert b == dataclasses.replace(a, protein=ProteinChange.parse("E17Q"), sample="S1")
    assert (b.label, b.ident, b.sample) == ("AKT1 p.E17Q", "AKT1:E17Q@14:104780214C>T", "S1")
    assert hash(b) == hash(dataclasses.replace(b)) and hash(b) != hash(a)
    assert (a.label, a.protein.short) == ("AKT1 p.E17K", "E17K")  # the original is untouched
    with pytest.raises(TypeError, match="no field 'colour'"):
        evolve(a, colour="red")
