"""varmatch: PI3K/AKT/mTOR-pathway alterations in, a tiered and cited list of therapy options out.

For research use; not a substitute for clinical judgement.

The public Python API (docs/api.md) is importable from here: :func:`run_file`, :class:`Engine`,
:class:`Options`, :func:`result_dict` (the JSON form of a result) and :func:`result_schema`; the
result model lives in :mod:`varmatch.models`. They are loaded on first use, so ``import varmatch``
stays cheap for the CLI.
"""

__version__ = "0.1.0"
RESEARCH_USE = "For research use; not a substitute for clinical judgement."

__all__ = ["Engine", "Options", "RESEARCH_USE", "__version__", "result_dict", "result_schema",
           "run_file"]


def __getattr__(name: str):
    if name in ("run_file", "Engine", "Options"):
        from varmatch import pipeline

        return getattr(pipeline, name)
    if name == "result_dict":
        from varmatch.writers.json_writer import result_dict

        return result_dict
    if name == "result_schema":
        from varmatch.writers.json_writer import result_schema

        return result_schema
    raise AttributeError(f"module 'varmatch' has no attribute {name!r}")
