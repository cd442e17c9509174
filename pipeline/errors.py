"""Named errors. Each one's ``str()`` is the single line the CLI prints."""

from __future__ import annotations

from core.errors import UserFacingError


class IngestError(UserFacingError):
    """A run cannot go ahead; the database is left exactly as it was."""


class SourceFileError(IngestError):
    """A whole input file cannot be read (format, encoding, missing columns)."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class StrictModeError(IngestError):
    """--strict was given and some rows were rejected."""
