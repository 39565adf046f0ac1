"""The domain model: frozen dataclasses and ordered enums, no I/O.

Every object prints itself in a canonical form (``str(alteration) == "PIK3CA p.H1047R"``), and the
one place that converts between 1- and 3-letter amino acids is here (:data:`AA3`).
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass, field, fields, replace
from datetime import date

# --------------------------------------------------------------------------------------------------
# Amino acids: the single 1 <-> 3 letter table of the package.
AA3 = {
    "A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly",
    "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser",
    "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val", "U": "Sec", "*": "Ter", "X": "Xaa",
}
AA1 = {three.upper(): one for one, three in AA3.items()}
AA1["STOP"] = "*"


def aa_to_1(token: str) -> str:
    """'Glu' -> 'E', 'GluLys' -> 'EK', 'E' -> 'E', 'Ter'/'*'/'X' -> '*'. Raises ValueError."""
    token = token.strip()
    if not token:
        return ""
    if re.fullmatch(r"[A-Z*]+", token) and not re.fullmatch(r"(?:[A-Z][a-z]{2})+", token):
        # already 1-letter; HGVS allows X for a stop in legacy notation
        return token.replace("X", "*")
    out = []
    for i in range(0, len(token), 3):
        chunk = token[i : i + 3]
        if chunk.upper() not in AA1:
            raise ValueError(f"not an amino acid: {chunk!r}")
        out.append(AA1[chunk.upper()])
    if sum(len(c) for c in out) != len(out) or len(token) % 3:
        raise ValueError(f"not an amino acid string: {token!r}")
    return "".join(out)


def aa_to_3(seq: str) -> str:
    return "".join(AA3[a] for a in seq)


# --------------------------------------------------------------------------------------------------
class Build(enum.Enum):
    GRCh37 = "GRCh37"
    GRCh38 = "GRCh38"

    def __str__(self) -> str:
        return self.value


class Consequence(enum.Enum):
    """Sequence Ontology terms varmatch distinguishes, ordered by severity (first = most severe).

    The order decides which consequence represents a variant hitting several features and is the
    order used in reports. Values are the SO terms VEP writes, so VEP output maps one to one.
    """

    # Whole-gene events come first: they remove or duplicate every residue.
    TRANSCRIPT_ABLATION = "transcript_ablation"
    AMPLIFICATION = "transcript_amplification"
    FUSION = "gene_fusion"
    # Splice-site changes usually destroy the transcript (exon skipping / intron retention).
    SPLICE_ACCEPTOR = "splice_acceptor_variant"
    SPLICE_DONOR = "splice_donor_variant"
    # Truncating: a premature stop or frame shift ends the normal protein.
    STOP_GAINED = "stop_gained"
    FRAMESHIFT = "frameshift_variant"
    STOP_LOST = "stop_lost"
    START_LOST = "start_lost"
    # In-frame and missense keep the frame; the change is local.
    INFRAME_INSERTION = "inframe_insertion"
    INFRAME_DELETION = "inframe_deletion"
    MISSENSE = "missense_variant"
    PROTEIN_ALTERING = "protein_altering_variant"
    # Near a splice site but outside the invariant dinucleotide: uncertain effect.
    SPLICE_REGION = "splice_region_variant"
    SYNONYMOUS = "synonymous_variant"
    STOP_RETAINED = "stop_retained_variant"
    UTR5 = "5_prime_UTR_variant"
    UTR3 = "3_prime_UTR_variant"
    INTRON = "intron_variant"
    UPSTREAM = "upstream_gene_variant"
    DOWNSTREAM = "downstream_gene_variant"
    NON_CODING = "non_coding_transcript_variant"
    INTERGENIC = "intergenic_variant"

    @property
    def rank(self) -> int:
        return _CONSEQUENCE_ORDER[self]

    @property
    def is_truncating(self) -> bool:
        return self in TRUNCATING

    @property
    def is_protein_altering(self) -> bool:
        return self.rank <= Consequence.SPLICE_REGION.rank and self not in (
            Consequence.AMPLIFICATION,
            Consequence.FUSION,
        )

    def __str__(self) -> str:
        return self.value


_CONSEQUENCE_ORDER = {c: i for i, c in enumerate(Consequence)}
TRUNCATING = frozenset(
    {Consequence.STOP_GAINED, Consequence.FRAMESHIFT, Consequence.SPLICE_ACCEPTOR,
     Consequence.SPLICE_DONOR, Consequence.START_LOST, Consequence.TRANSCRIPT_ABLATION}
)


class AlterationType(enum.Enum):
    MUTATION = "mutation"  # SNV, MNV, indel
    AMPLIFICATION = "amplification"
    DELETION = "deletion"  # homozygous / deep deletion of the gene
    FUSION = "fusion"

    def __str__(self) -> str:
        return self.value


class Oncogenicity(enum.Enum):
    ONCOGENIC = "oncogenic"
    LIKELY_ONCOGENIC = "likely oncogenic"
    VUS = "VUS"
    BENIGN = "likely benign"

    def __str__(self) -> str:
        return self.value


def evolve(obj, **changes):
    """``dataclasses.replace(obj, **changes)`` without running ``__init__`` (twice as fast: a
    cohort copies tens of thousands of matches and alterations while tiering and annotating).
    Only the fields are copied, never a cached property made from the old values. A class with
    a ``__post_init__`` (checks to run) goes through ``dataclasses.replace``."""
    cls = obj.__class__
    names = _field_names(cls)
    if names is None:
        return replace(obj, **changes)
    if not changes.keys() <= names:
        raise TypeError(f"{cls.__name__} has no field {sorted(changes.keys() - names)[0]!r}")
    new = object.__new__(cls)
    old = obj.__dict__
    state = {k: old[k] for k in names}
    state.update(changes)
    new.__dict__.update(state)
    return new


@functools.cache
def _field_names(cls: type) -> frozenset[str] | None:
    """The field names of a dataclass that :func:`evolve` may copy (None: use ``replace``)."""
    if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
        return None
    return frozenset(f.name for f in fields(cls))


# --------------------------------------------------------------------------------------------------
_P_RE = re.compile(
    r"""^(?:p\.)?\(?
    (?P<ref>(?:[A-Z][a-z]{2})+|[A-Z*]+?)
    (?P<start>\d+)
    (?:_(?P<ref2>(?:[A-Z][a-z]{2})|[A-Z*])(?P<end>\d+))?
    (?P<rest>.*?)\)?$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class ProteinChange:
    """A protein change in canonical 1-letter HGVS without the ``p.`` (``E17K``, ``R130*``,
    ``R130Gfs*4``, ``E542_E545del``, ``E545_A546insK``, ``M1?``, ``E17=``).

    ``ref`` is the reference residue(s) at ``start`` (and ``end`` for a range); ``kind`` is one of
    missense, nonsense, synonymous, frameshift, deletion, insertion, delins, duplication,
    extension, start_lost, unknown.
    """

    ref: str
    start: int
    end: int
    alt: str
    kind: str
    end_ref: str = ""
    fs_stop: int | None = None  # the N of fs*N when known

    @classmethod
    def parse(cls, text: str) -> ProteinChange:
        """Parse 1- or 3-letter HGVS p. (with or without ``p.`` and parentheses).

        >>> str(ProteinChange.parse("p.Glu17Lys")) == str(ProteinChange.parse("E17K")) == "E17K"
        True
        """
        raw = text.strip()
        m = _P_RE.match(raw)
        if not m:
            raise ValueError(f"not a protein change: {text!r}")
        ref = aa_to_1(m["ref"])
        start = int(m["start"])
        end = int(m["end"]) if m["end"] else start
        end_ref = aa_to_1(m["ref2"]) if m["ref2"] else ""
        rest = m["rest"]
        if len(ref) != 1 and not m["ref2"]:
            # "GluLys17" style is not HGVS; reject rather than guess
            raise ValueError(f"not a protein change: {text!r}")
        fs = re.fullmatch(r"(?P<alt>(?:[A-Z][a-z]{2})|[A-Z*])?fs(?:\*|Ter|X)?(?P<n>\d+|\?)?", rest)
        if fs:
            alt = aa_to_1(fs["alt"]) if fs["alt"] else ""
            n = int(fs["n"]) if fs["n"] and fs["n"] != "?" else None
            return cls(ref, start, end, alt, "frameshift", end_ref, n)
        if rest in ("=",):
            return cls(ref, start, end, ref, "synonymous", end_ref)
        if rest in ("?",) and start == 1:
            return cls(ref, start, end, "?", "start_lost", end_ref)
        if rest == "del":
            return cls(ref, start, end, "", "deletion", end_ref)
        if rest == "dup":
            return cls(ref, start, end, "", "duplication", end_ref)
        for word, kind in (("delins", "delins"), ("ins", "insertion")):
            if rest.startswith(word):
                alt = aa_to_1(rest[len(word):])
                return cls(ref, start, end, alt, kind, end_ref)
        ext = re.fullmatch(r"(?P<alt>(?:[A-Z][a-z]{2})|[A-Z])ext(?:\*|Ter)?(?P<n>\d+|\?)?", rest)
        if ext:
            return cls(ref, start, end, aa_to_1(ext["alt"]), "extension", end_ref)
        if end == start and not m["ref2"]:
            alt = aa_to_1(rest)
            if len(alt) == 1:
                if ref == "*" and alt != "*":
                    return cls(ref, start, end, alt, "extension")
                if alt == "*":
                    return cls(ref, start, end, alt, "synonymous" if ref == "*" else "nonsense")
                if alt == ref:
                    return cls(ref, start, end, alt, "synonymous")
                if start == 1 and ref == "M":
                    return cls(ref, start, end, alt, "start_lost")
                return cls(ref, start, end, alt, "missense")
        raise ValueError(f"not a protein change: {text!r}")

    def _render(self, aa) -> str:
        pos = f"{aa(self.ref)}{self.start}"
        if self.end != self.start or self.end_ref:
            pos += f"_{aa(self.end_ref)}{self.end}"
        if self.kind == "frameshift":
            tail = f"{aa('*')}{self.fs_stop}" if self.fs_stop is not None else ""
            return f"{pos}{aa(self.alt)}fs{tail}"
        if self.kind == "synonymous":
            return f"{pos}="
        if self.kind == "start_lost" and self.alt == "?":
            return f"{pos}?"
        if self.kind in ("deletion", "duplication"):
            return f"{pos}{'del' if self.kind == 'deletion' else 'dup'}"
        if self.kind in ("insertion", "delins"):
            return f"{pos}{'ins' if self.kind == 'insertion' else 'delins'}{aa(self.alt)}"
        if self.kind == "extension":
            return f"{pos}{aa(self.alt)}ext{aa('*')}?"
        return f"{pos}{aa(self.alt)}"

    def __str__(self) -> str:
        return self.short

    @functools.cached_property
    def short(self) -> str:
        """The 1-letter form without ``p.`` (``E17K``), made once per object: matching, tiering
        and every writer ask for it many times per sample."""
        return self._render(lambda s: s)

    @property
    def three_letter(self) -> str:
        """HGVS 3-letter form with ``p.`` (``p.Glu17Lys``)."""
        return "p." + self._render(aa_to_3)

    @property
    def consequence(self) -> Consequence:
        """The consequence a protein change implies on its own (for inputs that give only p.)."""
        return {
            "missense": Consequence.MISSENSE, "nonsense": Consequence.STOP_GAINED,
            "synonymous": Consequence.SYNONYMOUS, "frameshift": Consequence.FRAMESHIFT,
            "deletion": Consequence.INFRAME_DELETION, "insertion": Consequence.INFRAME_INSERTION,
            "duplication": Consequence.INFRAME_INSERTION, "extension": Consequence.STOP_LOST,
            "start_lost": Consequence.START_LOST,
        }.get(self.kind, Consequence.PROTEIN_ALTERING)

    @property
    def codons(self) -> range:
        return range(self.start, self.end + 1)


# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """One ALT allele of one VCF/MAF record as read, before annotation. 1-based ``pos``."""

    chrom: str
    pos: int
    ref: str
    alt: str
    build: Build | None = None
    depth: int | None = None
    alt_depth: int | None = None
    vaf: float | None = None
    filters: tuple[str, ...] = ()
    source: str = ""  # "file:line" for messages and reports

    @property
    def passed(self) -> bool:
        return not self.filters or self.filters == ("PASS",)

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos}{self.ref}>{self.alt}"


@dataclass(frozen=True)
class Alteration:
    """A gene-level event the knowledgebase can be matched against."""

    gene: str
    type: AlterationType = AlterationType.MUTATION
    consequence: Consequence | None = None
    protein: ProteinChange | None = None
    hgvs_c: str | None = None
    transcript: str | None = None
    exon: int | None = None
    variant: Variant | None = None
    copy_number: float | None = None
    partner: str | None = None  # fusion partner gene
    annotation_source: str = ""  # "VEP", "SnpEff", "varmatch", "MAF", ...
    oncogenicity: Oncogenicity | None = None
    oncogenicity_reason: str = ""
    hotspot: bool = False
    sample: str = ""
    flags: tuple[str, ...] = ()  # caveats a reader must see, e.g. a low allele fraction
    five_prime: str | None = None  # fusions: the 5' partner gene, when the caller states it

    def __str__(self) -> str:
        return self.label

    def __hash__(self) -> int:
        return self._hash

    @functools.cached_property
    def _hash(self) -> int:
        """The dataclass hash of all fields, computed once: tiering and merging hash the same
        alterations over and over (an explicit ``__hash__`` is kept by ``@dataclass``)."""
        return hash(tuple(getattr(self, f) for f in _ALTERATION_FIELDS))

    @functools.cached_property
    def label(self) -> str:
        """The alteration's name (``AKT1 p.E17K``), made once per object: tiering, matching and
        every writer ask for it."""
        if self.type is AlterationType.MUTATION:
            if self.protein is not None:
                return f"{self.gene} p.{self.protein}"
            if self.hgvs_c:
                return f"{self.gene} {self.hgvs_c}"
            return f"{self.gene} {self.consequence or 'mutation'}"
        if self.type is AlterationType.FUSION:
            if not self.partner:
                return f"{self.gene} fusion"
            if self.five_prime == self.partner:  # named 5'::3' (HGVS/HGNC)
                return f"{self.partner}::{self.gene}"
            if self.five_prime == self.gene:
                return f"{self.gene}::{self.partner}"
            return f"{self.gene}/{self.partner} fusion (5'/3' order not stated)"
        return f"{self.gene} {self.type}"

    @functools.cached_property
    def ident(self) -> str:
        """The id outputs use for this alteration (``AKT1:E17K@14:104780214C>T``): gene, change
        and, when known, the variant; made once per object (every match names its alterations)."""
        change = self.protein or self.hgvs_c or self.type.value
        return f"{self.gene}:{change}" + (f"@{self.variant}" if self.variant else "")

    @property
    def fusion_role(self) -> str:
        """The pathway gene's side of a fusion, e.g. "AKT3 is the 3' partner (with MAGI3 5')"."""
        if self.type is not AlterationType.FUSION or not self.partner:
            return ""
        if self.five_prime not in (self.gene, self.partner):
            return f"5'/3' order of {self.gene} and {self.partner} not stated by the caller"
        mine, theirs = ("5'", "3'") if self.five_prime == self.gene else ("3'", "5'")
        return f"{self.gene} is the {mine} partner ({self.partner} {theirs})"

    @property
    def vaf(self) -> float | None:
        return self.variant.vaf if self.variant else None

    @property
    def depth(self) -> int | None:
        return self.variant.depth if self.variant else None

    @property
    def key(self) -> tuple:
        """Identity of the biological event (two annotations of one variant share it)."""
        return (self.gene, self.type.value, str(self.protein) if self.protein else self.hgvs_c,
                self.partner)


_ALTERATION_FIELDS = tuple(f.name for f in fields(Alteration))


@dataclass(frozen=True)
class ExcludedCall:
    """A call left out of matching, kept so the report can say why."""

    description: str
    reason: str
    source: str = ""


# --------------------------------------------------------------------------------------------------
class _Ranked(enum.Enum):
    """An enum whose declared order is a ranking (strongest or most specific first), shown by
    its value. ``rank`` is the member's place in that order (0 = first), set once per member at
    the end of this module: a plain attribute, because sorting matches reads it constantly."""

    rank: int

    def __str__(self) -> str:
        return self.value


class EvidenceLevel(_Ranked):
    """AMP/ASCO/CAP 2017 levels of evidence, strongest first (Li et al. 2017, PMID 27993330)."""

    A = "A"  # FDA-approved therapy or professional guideline, in this tumor type
    B = "B"  # well-powered studies with expert consensus, in this tumor type
    C = "C"  # approved in another tumor type, investigational, or several small studies
    D = "D"  # preclinical or a few case reports without consensus


class Tier(_Ranked):
    """AMP/ASCO/CAP 2017 somatic variant tiers."""

    I = "I"  # noqa: E741  strong clinical significance (level A/B in this tumor type)
    II = "II"  # potential clinical significance (level C/D)
    III = "III"  # unknown clinical significance
    IV = "IV"  # benign or likely benign


class EvidenceKind(_Ranked):
    """What a source is, strongest first (moalmanac's FDA > guideline > trial > clinical > preclinical)."""

    REGULATORY = "regulatory_label"
    GUIDELINE = "guideline"
    VALIDATED = "validated_association"  # CIViC level A: proven/consensus association
    PHASE3 = "phase3"
    PHASE2 = "phase2"
    BASKET = "basket"
    PHASE1 = "phase1"
    CLINICAL = "clinical_study"  # CIViC level B: patient data, study design not coded
    RETROSPECTIVE = "retrospective"
    CASE_REPORT = "case_report"
    PRECLINICAL = "preclinical"
    INFERENTIAL = "inferential"  # CIViC level E: indirect evidence


class Direction(enum.Enum):
    SENSITIVITY = "sensitivity"
    RESISTANCE = "resistance"
    # the source looked for benefit from the therapy with this biomarker and did not find it
    # (CIViC "Does Not Support" a sensitivity): it qualifies sensitivity options, never one itself
    COUNTER_EVIDENCE = "counter-evidence"

    def __str__(self) -> str:
        return self.value


class MatchRung(_Ranked):
    """How closely an alteration meets a biomarker, most specific first (the matching ladder)."""

    EXACT = "exact"  # the same protein change
    CODON = "codon"  # the biomarker names a codon (any change there) and the alteration hits it
    RANGE = "range"  # a residue range, exon or domain
    CLASS = "class"  # an alteration class: hotspot/activating, truncating, amplification, ...
    GENE = "gene"  # any oncogenic alteration of the gene


class AlterationClass(enum.Enum):
    """Classes a biomarker may name. See :func:`varmatch.match.in_class` for each definition."""

    ACTIVATING = "activating"  # hotspot or known activating change in an oncogene
    HOTSPOT = "hotspot"  # a cancerhotspots residue
    ONCOGENIC = "oncogenic"  # oncogenic or likely oncogenic (any mechanism)
    ONCOGENIC_MUTATION = "oncogenic_mutation"  # a (likely) oncogenic mutation; never CN or fusion
    TRUNCATING = "truncating"  # nonsense, frameshift, splice site, start lost
    FRAMESHIFT = "frameshift"  # a frameshift only
    LOSS_OF_FUNCTION = "loss_of_function"  # truncating, deep deletion, or known LoF missense
    AMPLIFICATION = "amplification"
    DELETION = "deletion"
    FUSION = "fusion"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Biomarker:
    """A knowledgebase biomarker. Exactly one of the specifiers is set, or none (gene level);
    ``any_of`` / ``all_of`` compose other biomarkers."""

    gene: str | None = None
    protein: ProteinChange | None = None
    codon: int | None = None
    residues: tuple[int, int] | None = None  # inclusive range
    exon: int | None = None
    alteration_class: AlterationClass | None = None
    any_of: tuple[Biomarker, ...] = ()
    all_of: tuple[Biomarker, ...] = ()
    label: str = ""  # the label's own wording, e.g. "PIK3CA/AKT1/PTEN-alteration"

    @property
    def rung(self) -> MatchRung:
        if self.protein is not None:
            return MatchRung.EXACT
        if self.codon is not None:
            return MatchRung.CODON
        if self.residues is not None or self.exon is not None:
            return MatchRung.RANGE
        if self.alteration_class is not None:
            return MatchRung.CLASS
        return MatchRung.GENE

    def __str__(self) -> str:
        if self.label:
            return self.label
        if self.any_of:
            return " or ".join(str(b) for b in self.any_of)
        if self.all_of:
            return " and ".join(str(b) for b in self.all_of)
        if self.protein is not None:
            return f"{self.gene} p.{self.protein}"
        if self.codon is not None:
            return f"{self.gene} codon {self.codon}"
        if self.residues is not None:
            return f"{self.gene} residues {self.residues[0]}-{self.residues[1]}"
        if self.exon is not None:
            return f"{self.gene} exon {self.exon}"
        if self.alteration_class is not None:
            return f"{self.gene} {self.alteration_class}"
        return f"{self.gene} alteration"

    @functools.cached_property
    def genes(self) -> frozenset[str]:  # cached: the matcher asks for every row and sample
        if self.any_of or self.all_of:
            return frozenset(g for b in (*self.any_of, *self.all_of) for g in b.genes)
        return frozenset({self.gene}) if self.gene else frozenset()


@dataclass(frozen=True)
class Citation:
    """A source: ``PMID:12345678``, ``DOI:10.x/y``, ``NCT01234567`` or ``FDA:<label url>``."""

    id: str
    note: str = ""

    @property
    def scheme(self) -> str:
        if self.id.startswith("NCT"):
            return "NCT"
        return self.id.split(":", 1)[0]

    @property
    def url(self) -> str:
        scheme, _, value = self.id.partition(":")
        if self.id.startswith("NCT"):
            return f"https://clinicaltrials.gov/study/{self.id}"
        if scheme == "PMID":
            return f"https://pubmed.ncbi.nlm.nih.gov/{value}/"
        if scheme == "DOI":
            return f"https://doi.org/{value}"
        if scheme == "PMC":
            return f"https://www.ncbi.nlm.nih.gov/pmc/articles/PMC{value}/"
        return value  # FDA / EMA labels carry their URL

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Evidence:
    """One knowledgebase row."""

    id: str
    biomarker: Biomarker
    drugs: tuple[str, ...]
    direction: Direction
    tumor_type: str  # OncoTree code
    kind: EvidenceKind
    level: EvidenceLevel  # AMP/ASCO/CAP level in its own tumor type
    citations: tuple[Citation, ...]
    summary: str
    curated: date
    partners: tuple[str, ...] = ()  # combination partners that are not the pathway drug
    requirements: tuple[str, ...] = ()  # what DNA cannot show (receptor status, IHC, prior lines)
    regulatory: str = ""  # e.g. "FDA 2023-11-16"
    # False when the source does not tie the therapy to this biomarker (e.g. an approval for a
    # tumor type regardless of genotype): such a row is shown on-label only, never extrapolated.
    biomarker_restricted: bool = True
    source_file: str = ""
    # OncoTree codes of the population the source enrolled (e.g. a basket of solid tumours):
    # when given, the row is on-label only for patients within one of them.
    population: tuple[str, ...] = ()
    layer: str = "curated"  # "curated" (hand-verified) or "civic" (imported CIViC release)
    source_url: str = ""  # the source record (CIViC evidence item URL)
    disease: str = ""  # the source's own disease name, where it is not an OncoTree code
    rating: int | None = None  # CIViC evidence rating (1-5 stars)

    @functools.cached_property
    def therapy(self) -> str:
        return " + ".join((*self.drugs, *self.partners))


class TumorRelation(enum.Enum):
    ON_LABEL = "on-label"  # patient's tumor type is the evidence's, or below it in OncoTree
    OFF_LABEL = "off-label"

    def __str__(self) -> str:
        return self.value


class RequirementState(enum.Enum):
    """What the sample's own findings say about a row requirement (e.g. "HER2-negative")."""

    CONTRADICTED = "contradicted"
    SUPPORTED = "supported"
    NOT_ASSESSED = "not assessed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RequirementStatus:
    requirement: str  # the requirement concept, e.g. "HER2-negative"
    status: RequirementState
    reason: str  # the finding (or its absence) behind the status


@dataclass(frozen=True)
class Match:
    """An alteration (or set, for all-of biomarkers) meeting an evidence row, tiered."""

    alterations: tuple[Alteration, ...]
    evidence: Evidence
    rung: MatchRung
    relation: TumorRelation
    tier: Tier
    level: EvidenceLevel  # the level for the patient's tumor type (may be lower than the row's)
    rule: str  # short id of the tiering rule that fired
    why: str  # the plain sentence
    oncokb_level: str = ""
    escat_tier: str = ""
    # resistance / counter-evidence matches in the same sample sharing a drug with this option
    qualifiers: tuple[Match, ...] = ()
    sources: tuple[str, ...] = ()  # layers citing this option, e.g. ("curated", "civic")
    merged: tuple[Evidence, ...] = ()  # imported rows that say the same thing, folded in here
    conflict: str = ""  # where a curated and an imported row disagree (the curated row wins)
    # row requirements checked against the sample's context genes (ERBB2, ESR1): eligibility.py
    requirement_status: tuple[RequirementStatus, ...] = ()

    def sort_key(self) -> tuple:
        return (self.evidence.direction is not Direction.SENSITIVITY, self.tier.rank,
                self.level.rank, self.rung.rank, self.evidence.kind.rank, self.evidence.therapy,
                self.evidence.id)


class TrialMatchKind(_Ranked):
    """Why a clinical trial is listed, strongest first (the order trials are ranked in)."""

    BIOMARKER = "biomarker"  # the study's own text names the patient's alteration
    PATHWAY = "pathway or drug class"  # names the gene, pathway, drug or drug class, not the change
    CONDITION = "condition only"  # found for the patient's condition; its text names none of these


@dataclass(frozen=True)
class Trial:
    """One recruiting interventional study from ClinicalTrials.gov, and why it is listed."""

    nct_id: str
    title: str
    phases: tuple[str, ...]
    status: str
    conditions: tuple[str, ...]
    interventions: tuple[str, ...]
    alterations: tuple[str, ...]  # the patient's alterations whose search found it
    kind: TrialMatchKind
    matched: tuple[str, ...] = ()  # the terms its text names (e.g. "AKT1 E17K", "capivasertib")
    countries: tuple[str, ...] = ()
    caution: str = ""  # e.g. the biomarker is named in the exclusion criteria

    @property
    def url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct_id}"


@dataclass(frozen=True)
class TrialSearch:
    """The outcome of a trial search: ``checked`` False means the registry was not (fully) asked,
    and ``reason`` says why; an empty ``trials`` with ``checked`` True means none was found."""

    checked: bool
    reason: str
    queries: tuple[str, ...] = ()
    trials: tuple[Trial, ...] = ()


@dataclass(frozen=True)
class SampleResult:
    """Everything varmatch knows about one sample after matching."""

    sample: str
    tumor_type: str
    tumor_type_name: str
    build: Build | None
    input_path: str
    alterations: tuple[Alteration, ...]
    matches: tuple[Match, ...]
    excluded: tuple[ExcludedCall, ...] = ()
    notes: tuple[str, ...] = ()
    kb_version: str = ""
    kb_checksum: str = ""
    civic_release: str = ""  # date of the CIViC layer used ("" when none)
    context: tuple[str, ...] = field(default=())
    trials: TrialSearch | None = None  # None: not requested (--trials)


for _ranked in _Ranked.__subclasses__():
    for _i, _member in enumerate(_ranked):
        _member.rank = _i
