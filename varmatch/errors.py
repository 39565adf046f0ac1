"""One error tree and one warning tree for varmatch.

Every error a user can cause is a :class:`VarmatchError`; the CLI prints ``str(error)`` as one line
and exits with ``error.exit_code``. Errors keep their data as attributes and say the fix.
"""

from __future__ import annotations

from pathlib import Path

# Documented exit codes (README "Exit codes"); the CLI is the only place that exits.
EXIT_OK = 0  # success, at least one actionable finding
EXIT_NO_FINDINGS = 0  # success with nothing actionable is still success (see --fail-on-empty)
EXIT_INPUT = 2  # the input file is unreadable, malformed or inconsistent
EXIT_USAGE = 3  # options do not fit together, unknown tumor type, unknown format name
EXIT_KB = 4  # the knowledgebase failed to load or validate
EXIT_EMPTY = 10  # --fail-on-empty and no actionable finding


class VarmatchError(Exception):
    """Root of every error varmatch raises on purpose."""

    exit_code = EXIT_INPUT


class InputError(VarmatchError):
    """A problem with an input file; names the file and, where known, the line."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


class FormatError(InputError):
    """The file is not in the format expected, or a record breaks the format."""


class SampleError(InputError):
    """The tumor sample cannot be chosen (unknown name, several candidates)."""


class ReferenceMismatchError(InputError):
    """A VCF REF disagrees with the bundled reference sequence: almost always the wrong build."""


class AnnotationRequiredError(InputError):
    """An unannotated input where no built-in annotation is possible."""


class OutputError(VarmatchError):
    """An output cannot be written (permission, full disk, read-only, name too long); names the
    path. Exit 2 like an input error: the run's data, not varmatch, is what went wrong."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, path: str | Path):
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


class UsageError(VarmatchError):
    """Options that do not fit together, unknown names (tumor type, format)."""

    exit_code = EXIT_USAGE


class KnowledgebaseError(VarmatchError):
    """The knowledgebase cannot be loaded or failed validation."""

    exit_code = EXIT_KB

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = problems or []
        super().__init__(message)


class VarmatchWarning(UserWarning):
    """Root of recoverable oddities (logged, never fatal)."""


class AnnotationDisagreementWarning(VarmatchWarning):
    """A pre-computed annotation disagrees with what the coordinates say."""
