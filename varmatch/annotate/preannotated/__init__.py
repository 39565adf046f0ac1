"""Read consequence annotations already present in a VCF (VEP, SnpEff, ANNOVAR, Ion Reporter).

The flavour is recognised from the VCF *header*, never from a tag name alone:

* **VEP** -- any INFO whose Description says ``Consequence annotations from Ensembl VEP. Format:
  A|B|...`` (``CSQ``, but also ``vep``, ``ANN`` or any other name); the column order is read from
  the ``Format:`` list.
* **SnpEff** -- INFO with ``Functional annotations: 'Allele | Annotation | ...'`` (``ANN``).
* **SnpEff-EFF** -- the legacy ``EFF`` tag, ``Effect ( Effect_Impact | ... )``.
* **ANNOVAR** -- ``Func.<db>`` / ``Gene.<db>`` / ``ExonicFunc.<db>`` / ``AAChange.<db>`` INFO fields
  written by ``table_annovar.pl -vcfinput`` (``refGene`` preferred over ``ensGene`` and others).
* **IonReporter** -- the Ion Reporter export's ``FUNC`` INFO, a Python-literal-like list of dicts.

VEP wins when several are present, then SnpEff ANN, EFF, ANNOVAR and Ion Reporter.

:func:`detect_annotation` returns an :class:`AnnotationParser` whose
:meth:`~AnnotationParser.alterations` turns one record's annotation for one ALT allele into at
most one :class:`~varmatch.models.Alteration` per gene (the chosen transcript). A malformed
annotation entry is skipped and logged at DEBUG; nothing here raises on annotation content.
"""

from varmatch.annotate.preannotated.annovar import AnnovarParser
from varmatch.annotate.preannotated.base import AnnotationParser, consequence_from_terms
from varmatch.annotate.preannotated.detect import detect_annotation
from varmatch.annotate.preannotated.ion_reporter import IonReporterParser
from varmatch.annotate.preannotated.snpeff_ann import SnpEffAnnParser
from varmatch.annotate.preannotated.snpeff_eff import SnpEffEffParser
from varmatch.annotate.preannotated.vep import VepParser, vep_allele_forms

__all__ = [
    "AnnotationParser",
    "AnnovarParser",
    "IonReporterParser",
    "SnpEffAnnParser",
    "SnpEffEffParser",
    "VepParser",
    "consequence_from_terms",
    "detect_annotation",
    "vep_allele_forms",
]
