"""User-supplied text made safe for the two places that would otherwise interpret it.

* Markdown (Streamlit captions, the retro summary): every ASCII punctuation mark is
  backslash-escaped, so nothing is a link, image, heading, emphasis, colour directive or
  LaTeX; line breaks become spaces or hard breaks, never new blocks. Escapes do not stop
  GitHub-flavoured auto-links (``www.x.org``, ``http://x.org``, ``a@x.org``: Streamlit's
  renderer finds them in the text after escapes are resolved), so an invisible word joiner
  goes where each of those patterns needs a plain character: inside ``www.``, inside ``://``
  and after ``@``. Nowhere else, so a path or a number copied from a message is unchanged.
* Chart specs (Vega-Lite, rendered by vl-convert): control characters make vl-convert
  panic inside code that cannot unwind, and the whole process aborts. Every string in a
  spec is cleaned once, when the spec is built (``clean_spec``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# U+2060 WORD JOINER: zero width, no line break, not a word character, so no auto-link
# pattern (a domain's dots, an address's @, a scheme's ://) can run across it.
_WORD_JOINER = "\u2060"
# applied after escaping, so the joints are written escaped: "www\.", "\:\/\/", "\@"
# (the joiner goes before www's dot: after it, the joiner is taken as part of the domain)
_AUTOLINK_JOINTS = re.compile(r"((?<![^\W_])[wW]{3}(?=\\\.)|\\:(?=\\/\\/)|\\@)")


def _without_controls(text: str, replacement: str = " ") -> str:
    # Cc: C0, DEL and C1 controls (ESC, BEL, vertical tab, NUL...). Also the Unicode line and
    # paragraph separators, which renderers treat as line breaks.
    if text.isprintable():  # none of them (Cc, Zl and Zp are all non-printable): most strings, at C speed
        return text
    return "".join(replacement if unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029" else ch for ch in text)


def markdown_literal(text: object, *, line_break: str = "  \n") -> str:
    """``text`` inside Markdown, shown as typed and never a link. The one way to put text
    that came from a file or a setting into st.markdown / st.caption / labels. Lines are joined
    by ``line_break`` (a hard break by default; pass " " for a heading or a table cell)."""
    lines = [_AUTOLINK_JOINTS.sub(r"\1" + _WORD_JOINER, _MARKDOWN_PUNCTUATION.sub(r"\\\1", _without_controls(line).strip()))
             for line in str(text).splitlines()]
    return line_break.join(line for line in lines if line) or "\u200b"


def chart_text(text: str) -> str:
    """One line of text for a chart: control characters and line breaks become spaces."""
    return _without_controls(text)


def one_line(text: object) -> str:
    """Text from a file as one line for a report or a slide: every run of whitespace (tabs, line
    breaks) and control characters becomes one space."""
    return " ".join(_without_controls(str(text)).split())


def clean_spec(value: Any) -> Any:
    """A copy of a Vega-Lite spec (dicts, lists, strings) with every string passed through
    ``chart_text``: titles, labels, data values and keys alike, so colour domains and the
    data they colour stay equal."""
    if isinstance(value, str):
        return chart_text(value)
    if isinstance(value, dict):
        # Scalars are handled here rather than by a call each: a spec's data rows are most of its
        # leaves (tens of thousands for the Series page), and the calls were most of the cost.
        return {chart_text(k) if isinstance(k, str) else k: _clean_leaf(v) if type(v) in _LEAVES else clean_spec(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_leaf(v) if type(v) in _LEAVES else clean_spec(v) for v in value]
    return value


_LEAVES = frozenset({str, int, float, bool, type(None)})


def _clean_leaf(value: Any) -> Any:
    return chart_text(value) if type(value) is str else value
