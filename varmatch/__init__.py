"""varmatch: PI3K/AKT/mTOR-pathway alterations in, a tiered and cited list of therapy options out.

For research use; not a substitute for clinical judgement.
"""

__version__ = "0.1.0"
RESEARCH_USE = "For research use; not a substitute for clinical judgement."
