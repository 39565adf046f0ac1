"""HGVS naming: genetic code, translation, and the protein change between two coding sequences.

Takes a reference and a variant transcript sequence from the CDS start (``N`` where a base is
unknown) and gives the :class:`~varmatch.models.ProteinChange` with its SO consequence, following
HGVS p. rules: the first changed residue for frameshifts (``R130Qfs*4``), the most C-terminal
position for deletions/duplications/insertions in repeats (3' rule), ``dup`` when inserted residues
repeat the preceding ones, ``M1?`` for start loss, ``*N`` + ``ext`` for stop loss, ``=`` when the
protein is unchanged.
"""

from __future__ import annotations

from varmatch.models import Consequence, ProteinChange

_BASES = "TCAG"
_AAS = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE: dict[str, str] = {
    a + b + c: _AAS[16 * i + 4 * j + k]
    for i, a in enumerate(_BASES) for j, b in enumerate(_BASES) for k, c in enumerate(_BASES)
}
_COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def revcomp(seq: str) -> str:
    return seq.translate(_COMP)[::-1]


def translate(seq: str, to_stop: bool = True) -> str:
    """Translate codon by codon; a codon with an unknown base gives ``X`` and ends translation
    (everything after it is unknown). With ``to_stop`` translation ends after the first ``*``."""
    out = []
    for i in range(0, len(seq) - 2, 3):
        aa = CODON_TABLE.get(seq[i:i + 3], "X")
        out.append(aa)
        if aa == "X" or (to_stop and aa == "*"):
            break
    return "".join(out)


def protein_change(
    ref_cds: str, alt_cds: str, first_codon: int, last_codon: int, frameshift: bool,
    length_preserving: bool,
) -> tuple[Consequence, ProteinChange | None]:
    """Protein consequence of replacing ``ref_cds`` by ``alt_cds``.

    Both run from c.1 to the end of the known transcript (CDS + 3'UTR where known).
    ``first_codon``/``last_codon`` (1-based) are the reference codons the variant touches, used for
    ``=`` and for the codon of an unchanged protein. Returns ``(consequence, None)`` when the
    affected codons are not known.
    """
    p = translate(ref_cds)
    if not p.endswith("*") or "X" in p:
        return Consequence.PROTEIN_ALTERING, None
    n = len(p)
    q = translate(alt_cds)
    q_complete = q.endswith("*")
    i = 0
    while i < n and i < len(q) and p[i] == q[i]:
        i += 1
    if i == n:  # the reference protein, stop included, is unchanged
        c = max(1, min(first_codon, n))
        if p[c - 1] == "*":
            return Consequence.STOP_RETAINED, ProteinChange("*", c, c, "*", "synonymous")
        return Consequence.SYNONYMOUS, ProteinChange(p[c - 1], c, c, p[c - 1], "synonymous")
    if i >= len(q) or q[i] == "X":  # ran into unknown sequence before any change was seen
        if frameshift:
            return Consequence.FRAMESHIFT, ProteinChange(p[i], i + 1, i + 1, "", "frameshift")
        return Consequence.PROTEIN_ALTERING, None
    if p[i] == "*":  # the stop codon is changed: extension
        return Consequence.STOP_LOST, ProteinChange("*", i + 1, i + 1, q[i], "extension")
    if q[i] == "*":
        cons = Consequence.FRAMESHIFT if frameshift else Consequence.STOP_GAINED
        return cons, ProteinChange(p[i], i + 1, i + 1, "*", "nonsense")
    if frameshift:
        fs_stop = len(q) - i if q_complete else None
        return Consequence.FRAMESHIFT, ProteinChange(p[i], i + 1, i + 1, q[i], "frameshift",
                                                     fs_stop=fs_stop)
    if not q_complete:  # in-frame change that removed the stop (read-through into the 3'UTR)
        return Consequence.STOP_LOST, ProteinChange("*", n, n, q[n - 1] if len(q) >= n else "X",
                                                    "extension")
    # in frame: trim the common suffix (the prefix is already trimmed, giving the 3'-most change)
    s = 0
    while s < n - i and s < len(q) - i and p[n - 1 - s] == q[len(q) - 1 - s]:
        s += 1
    deleted, inserted = p[i:n - s], q[i:len(q) - s]
    if "*" in inserted:  # a premature stop inside an in-frame change (q stops early)
        return Consequence.STOP_GAINED, _delins(deleted or p[i], i, inserted)
    if "*" in deleted:
        return Consequence.STOP_LOST, ProteinChange("*", n, n, q[n - 1], "extension")
    if length_preserving:
        cons = Consequence.MISSENSE
    elif len(q) < n:
        cons = Consequence.INFRAME_DELETION
    else:
        cons = Consequence.INFRAME_INSERTION
    if deleted and not inserted:
        return cons, ProteinChange(deleted[0], i + 1, i + len(deleted), "", "deletion",
                                   deleted[-1] if len(deleted) > 1 else "")
    if inserted and not deleted:
        k = len(inserted)
        if i - k >= 0 and p[i - k:i] == inserted:
            return cons, ProteinChange(p[i - k], i - k + 1, i, "", "duplication",
                                       p[i - 1] if k > 1 else "")
        return cons, ProteinChange(p[i - 1], i, i + 1, inserted, "insertion", p[i])
    if len(deleted) == 1 and len(inserted) == 1:
        if i == 0:
            return Consequence.START_LOST, ProteinChange("M", 1, 1, "?", "start_lost")
        return Consequence.MISSENSE, ProteinChange(deleted, i + 1, i + 1, inserted, "missense")
    return cons, _delins(deleted, i, inserted)


def _delins(deleted: str, i: int, inserted: str) -> ProteinChange:
    return ProteinChange(deleted[0], i + 1, i + len(deleted), inserted, "delins",
                         deleted[-1] if len(deleted) > 1 else "")


def c_variant(kind: str, first: str, last: str, ref: str, alt: str) -> str:
    """Format an HGVS c. description from positions already in c. numbering.

    ``kind`` is one of snv, del, dup, ins, delins; ``ref``/``alt`` are on the transcript strand.
    """
    span = first if first == last else f"{first}_{last}"
    if kind == "snv":
        return f"c.{first}{ref}>{alt}"
    if kind == "del":
        return f"c.{span}del"
    if kind == "dup":
        return f"c.{span}dup"
    if kind == "ins":
        return f"c.{first}_{last}ins{alt}"
    return f"c.{span}delins{alt}"
