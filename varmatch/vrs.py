"""GA4GH VRS 2.0 identifiers for genomic alleles, computed here (no ga4gh.vrs dependency).

Takes a :class:`~varmatch.models.Variant` (VCF-style, 1-based) and its build; gives a VRS
``Allele`` dict with ``id`` ``ga4gh:VA.<digest>`` and a ``SequenceLocation`` with ``ga4gh:SL.``.

The digest algorithm (VRS 2.0, "Computed Identifiers"): serialise the object's digest-bearing
properties as canonical JSON (keys sorted, no whitespace, UTF-8), with a nested identifiable object
replaced by its digest; take ``sha512t24u`` = the first 24 bytes of SHA-512, base64url encoded.
The chromosome's refget accession comes from ``data/refget_chromosomes.tsv`` (see
``scripts/build_refget_table.py`` for where each came from).

Only what can be computed correctly is returned: substitutions (SNVs and MNVs, after trimming
shared bases) need no normalisation. Insertions and deletions need VRS fully-justified
normalisation against the reference sequence (and ReferenceLengthExpression states in repeats);
they, and chromosomes without a known digest, get ``None``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from functools import lru_cache
from importlib import resources

from varmatch.models import Build, Variant


def sha512t24u(blob: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha512(blob).digest()[:24]).decode("ascii")


def canonical(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@lru_cache(maxsize=1)
def refget_table() -> dict[tuple[str, str], tuple[str, str]]:
    """(build, chrom) -> (refget accession, RefSeq accession)."""
    text = resources.files("varmatch.data").joinpath("refget_chromosomes.tsv").read_text()
    rows = csv.DictReader((ln for ln in text.splitlines() if not ln.startswith("#")),
                          delimiter="\t")
    return {(r["build"], r["chrom"]): (r["refget"], r["refseq"]) for r in rows}


def chrom_key(chrom: str) -> str:
    c = chrom.removeprefix("chr").removeprefix("CHR")
    return "MT" if c.upper() in ("M", "MT") else c.upper() if c.upper() in ("X", "Y") else c


def refget_accession(build: Build | str | None, chrom: str) -> str | None:
    if build is None:
        return None
    return refget_table().get((str(build), chrom_key(chrom)), (None, None))[0]


def location(refget: str, start: int, end: int) -> dict:
    """A SequenceLocation (interbase coordinates) with its ``digest`` and ``id``."""
    core = {"end": end, "sequenceReference": {"refgetAccession": refget,
                                              "type": "SequenceReference"},
            "start": start, "type": "SequenceLocation"}
    digest = sha512t24u(canonical(core))
    return {"id": f"ga4gh:SL.{digest}", "digest": digest, **core}


def allele_from_location(loc: dict, sequence: str) -> dict:
    state = {"sequence": sequence, "type": "LiteralSequenceExpression"}
    digest = sha512t24u(canonical({"location": loc["digest"], "state": state, "type": "Allele"}))
    return {"id": f"ga4gh:VA.{digest}", "digest": digest, "type": "Allele", "location": loc,
            "state": state}


def allele(v: Variant, build: Build | str | None = None) -> dict | None:
    """The VRS Allele of a VCF-style substitution, or None when it cannot be computed correctly
    (indel, symbolic or unknown allele, chromosome digest not bundled, no build)."""
    ref, alt = v.ref.upper(), v.alt.upper()
    if not ref or not alt or set(ref + alt) - set("ACGT"):
        return None
    pos = v.pos - 1  # to interbase
    while ref and alt and ref[-1] == alt[-1]:  # trim shared suffix, then prefix
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    if not ref or len(ref) != len(alt):
        return None  # insertion/deletion/delins of other length: needs VRS normalisation
    refget = refget_accession(build or v.build, v.chrom)
    if refget is None:
        return None
    return allele_from_location(location(refget, pos, pos + len(ref)), alt)
