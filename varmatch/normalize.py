"""Indel normalisation on a reference sequence: trim, left-align (VCF convention) and shift.

Takes an allele as ``(pos, ref, alt)`` (1-based, VCF style) and a base lookup ``base(pos) -> str``
that returns ``"N"`` where the sequence is unknown; gives the minimal allele (shared bases trimmed,
``ref`` or ``alt`` may be empty), its left-aligned VCF form, and every equivalent placement of an
indel in a repeat (used for the HGVS 3' rule). Shifting stops at unknown bases, so a partially known
sequence never yields a wrong placement, only a less shifted one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from varmatch.models import Variant

BaseLookup = Callable[[int], str]
MAX_SHIFT = 10_000  # repeats longer than this are not followed


def trim(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Strip the common suffix, then the common prefix: ``(10, "ACGT", "ACT")`` -> (12, "G", "")."""
    ref, alt = ref.upper(), alt.upper()
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def _shift_left(pos: int, ref: str, alt: str, base: BaseLookup) -> tuple[int, str, str] | None:
    """One step to the left, or None. An insertion sits before ``pos``."""
    prev = base(pos - 1).upper()
    if prev == "N":
        return None
    if ref and not alt and prev == ref[-1]:
        return pos - 1, prev + ref[:-1], alt
    if alt and not ref and prev == alt[-1]:
        return pos - 1, ref, prev + alt[:-1]
    return None


def _shift_right(pos: int, ref: str, alt: str, base: BaseLookup) -> tuple[int, str, str] | None:
    nxt = base(pos + len(ref)).upper()
    if nxt == "N":
        return None
    if ref and not alt and nxt == ref[0]:
        return pos + 1, ref[1:] + nxt, alt
    if alt and not ref and nxt == alt[0]:
        return pos + 1, ref, alt[1:] + nxt
    return None


def left_align(pos: int, ref: str, alt: str, base: BaseLookup) -> tuple[int, str, str]:
    """Minimal allele moved as far left as the known sequence allows (indels only)."""
    pos, ref, alt = trim(pos, ref, alt)
    if ref and alt:
        return pos, ref, alt
    for _ in range(MAX_SHIFT):
        step = _shift_left(pos, ref, alt, base)
        if step is None:
            break
        pos, ref, alt = step
    return pos, ref, alt


def placements(pos: int, ref: str, alt: str, base: BaseLookup) -> list[tuple[int, str, str]]:
    """Every equivalent minimal placement of an indel, leftmost first (one entry for SNV/MNV)."""
    pos, ref, alt = left_align(pos, ref, alt, base)
    out = [(pos, ref, alt)]
    if ref and alt:
        return out
    for _ in range(MAX_SHIFT):
        step = _shift_right(*out[-1], base)
        if step is None:
            break
        out.append(step)
    return out


def to_vcf(pos: int, ref: str, alt: str, base: BaseLookup) -> tuple[int, str, str]:
    """Give an empty allele its VCF anchor base (the base before). Unknown anchor -> ``N``."""
    if ref and alt:
        return pos, ref, alt
    anchor = base(pos - 1).upper()
    return pos - 1, anchor + ref, anchor + alt


def normalize_variant(variant: Variant, base: BaseLookup) -> Variant:
    """The variant trimmed and left-aligned in VCF space (anchor base for indels)."""
    if not variant.ref or not variant.alt or not variant.alt.isalpha():
        return variant
    pos, ref, alt = left_align(variant.pos, variant.ref, variant.alt, base)
    if not ref and not alt:
        return variant
    pos, ref, alt = to_vcf(pos, ref, alt, base)
    if "N" in ref[:1] and len(ref) != len(alt):
        return variant  # no anchor base known: keep the input representation
    return replace(variant, pos=pos, ref=ref, alt=alt)
