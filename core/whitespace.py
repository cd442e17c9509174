"""Python's whitespace (``str.isspace``) as an RE2 class, and whitespace collapsed the way
``" ".join(text.split())`` does it, in Python and in SQL (tests/test_sql_twins.py runs both).

Defined here, below the pipeline and the read layer: the CSV fast path strips cells with the
class (pipeline.parse.cells), the read layer collapses quote texts with it
(review_pulse.feedback_queries). The SQL twins are expressions over SQL expressions of ours
(column names, never data); the texts they run on are capped at load (MAX_FEEDBACK_CHARS).
"""

from __future__ import annotations

# str.isspace() is true for exactly these code points (Python 3.11; tests/test_csv_fast_path.py
# checks the set against every code point). str.strip() removes them; RE2's \s is narrower.
PY_WHITESPACE_CLASS = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
# The same class without the plain space: a text with none of these, no two spaces in a row and
# no space at either end is already collapsed.
PY_WHITESPACE_BUT_SPACE_CLASS = PY_WHITESPACE_CLASS.replace(" ", "", 1)


def collapse_whitespace(text: str) -> str:
    """Runs of whitespace -> one space, none at either end."""
    return " ".join(text.split())


def collapse_whitespace_sql(expression: str) -> str:
    """``collapse_whitespace`` in SQL. Most texts are already collapsed: one scan for whitespace other
    than single inner spaces settles them. The others have each run of two or more, and each lone
    character other than a space, replaced by a space (a lone space stays: replacing it too took
    three times as long), then a space at either end trimmed."""
    return (f"CASE WHEN regexp_matches({expression}, '{PY_WHITESPACE_BUT_SPACE_CLASS}|  |^ | $') "
            f"THEN trim(regexp_replace({expression}, '{PY_WHITESPACE_CLASS}{{2,}}|{PY_WHITESPACE_BUT_SPACE_CLASS}', ' ', 'g'), ' ') "
            f"ELSE {expression} END")
