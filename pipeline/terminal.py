"""Everything the CLI prints goes through ``terminal_safe``.

Headers, file names and messages come from files we do not control. Printed raw, an
``ESC]0;…BEL`` retitles the terminal, ``ESC[2J`` clears it and a bidi override reorders
what an operator reads. Such characters are shown as visible escapes (``\\x1b``) instead.
"""

from __future__ import annotations

import contextlib
import io
import sys
import unicodedata
from collections.abc import Iterator

# Bidi embeddings, overrides and isolates, and the marks: they reorder the text around them.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ESCAPED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs", "Co", "Cn"})  # controls (C0, DEL, C1), separators, ...


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal_safe(text: str, keep: str = "") -> str:
    """``text`` with every non-printable character (except those in ``keep``) shown as an escape."""
    if text.isprintable() and not _BIDI_CONTROLS.intersection(text):
        return text  # the common case, one C-level scan
    return "".join(
        char if char in keep or not (char in _BIDI_CONTROLS or unicodedata.category(char) in _ESCAPED_CATEGORIES)
        else _escape(char)
        for char in text
    )


class _EscapingWriter(io.TextIOBase):
    """A text stream that escapes what is written to it, keeping only line breaks."""

    def __init__(self, raw: io.TextIOBase) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(terminal_safe(text, keep="\n"))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", "utf-8")


@contextlib.contextmanager
def escaped_output() -> Iterator[None]:
    """While the CLI runs, everything printed to stdout and stderr is escaped."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _EscapingWriter(sys.stdout), _EscapingWriter(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


def raw_stream(stream: object) -> object:
    """The terminal under an escaping writer, for the progress bar's own carriage returns."""
    return getattr(stream, "raw", stream)
