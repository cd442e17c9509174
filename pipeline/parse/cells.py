"""Cells: a cell as text, clipping, the mapped cells of a rejected row, the series name,
blank rows, and Python's whitespace, each with its SQL twin for the CSV fast path.

The SQL twins are expressions over SQL expressions of ours (column names, never data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from core.whitespace import PY_WHITESPACE_CLASS
from pipeline.errors import worded

MAX_RAW_CELL_CHARS = 2_000
MAX_RAW_ROW_CHARS = 20_000  # a rejected row of 10,000 wide cells stays readable, and small
SERIES_MAX_CHARS = 200  # longer series names are clipped


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def cell_string(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def raw_row(header: list[str], row: list[object], keep: list[int],
            transform: dict[int, Callable[[str], str]] | None = None) -> dict[str, str]:
    """The mapped cells of a row as the user typed them (only ``keep``: time, statements,
    feedback, series; nothing else is ever stored), with huge cells and rows capped."""
    raw: dict[str, str] = {}
    kept = 0
    for position, index in enumerate(keep):
        text = cell_string(row[index] if index < len(row) else None)
        if transform and index in transform and text:
            text = transform[index](text)
        if len(text) > MAX_RAW_CELL_CHARS:
            text = text[:MAX_RAW_CELL_CHARS] + f"… [{len(text):,} characters in all]"
        if text:
            if kept + len(text) > MAX_RAW_ROW_CHARS:
                rest = sum(1 for i in keep[position:] if cell_string(row[i] if i < len(row) else None))
                raw["(more cells)"] = f"{rest:,} more non-empty cells not kept"
                return raw
            raw[header[index]] = text
            kept += len(text)
    return raw


_NOT_A_HEADER = re.compile(
    r'[{}\[\]"<>]'  # JSON or markup: a file that is not a table (a Slack export read as a CSV)
    r"|^\s{0,80}[+-]?\d[\d\s.,:/-]{0,80}$"  # a number or a date: a data row, not a header
    # bounded: headers are at most MAX_SHOWN_HEADER_CHARS, and an unbounded run would make
    # search() quadratic on a long cell
    r"|[^@\s]{1,80}@[^@\s]{1,80}\.\w"  # an e-mail address
    r"|^(?:<@)?[UW][A-Z0-9]{8,11}\b"  # a Slack member id
)
MAX_SHOWN_HEADER_CHARS = 80


def shown_headers(header: list[str], limit: int = 12) -> str:
    """A file's header names for a message, leaving out any that look like data rather than a
    column's name (a value must never reach a message, the failed-runs log or the Data page)."""
    names = [h for h in header if len(h) <= MAX_SHOWN_HEADER_CHARS and not _NOT_A_HEADER.search(h)]
    hidden = len(header) - len(names)
    shown = ", ".join(repr(h) for h in names[:limit])
    more = len(names) - limit if len(names) > limit else 0
    tail = [f"{more} more"] if more else []
    if hidden:
        # Long names and names with brackets (LimeSurvey's "G01Q01[SQ001]. Question [Row]") are hidden
        # too: say why without calling them data.
        tail.append(f"{hidden} not shown (over {MAX_SHOWN_HEADER_CHARS} characters, or with brackets, quotes, "
                    "digits only or an address: they could be values)")
    return (shown + (" and " if shown and tail else "") + " and ".join(tail)) if shown or tail else "none"


def strip_sql(expression: str) -> str:
    """str.strip() in SQL: leading and trailing Python whitespace removed. (A first character
    from "!" to "~" and a last one that is not whitespace, as in most cells, skip the rewrite.)"""
    return (f"CASE WHEN {expression} >= '!' AND {expression} < chr(127) "
            f"AND NOT regexp_matches({expression}, '{PY_WHITESPACE_CLASS}$') THEN {expression} "
            f"ELSE regexp_replace(regexp_replace({expression}, '^{PY_WHITESPACE_CLASS}+', ''), "
            f"'{PY_WHITESPACE_CLASS}+$', '') END")


def series_of(row: list[object], column: int | None, default: str) -> str:
    """The series a row names (trimmed, clipped), or the default when its cell is blank or absent."""
    if column is None or column >= len(row):
        return default
    text = cell_string(row[column]).strip()
    return clip(text, SERIES_MAX_CHARS) if text else default


def series_sql(expression: str) -> str:
    """``series_of`` of a text cell in SQL, NULL where the default applies (the caller coalesces)."""
    return series_clip_sql(strip_sql(expression))


def series_clip_sql(stripped: str) -> str:
    """The rest of ``series_sql`` for text already through ``strip_sql`` (the fast path strips
    each cell once in an inner query: this expression names it three times)."""
    return (f"CASE WHEN length({stripped}) > {SERIES_MAX_CHARS:d} "
            f"THEN left({stripped}, {SERIES_MAX_CHARS:d}) || '…' ELSE nullif({stripped}, '') END")


SERIES_NAME_MAX_CHARS = 80  # a longer "series" is a sentence: free text, not the name of a review series


def series_stats(values: Iterable[object]) -> tuple[int, int]:
    """(distinct non-blank series names, the longest one's length) of a column, as ``series_of`` trims them."""
    distinct: set[str] = set()
    longest = 0
    for value in values:
        text = cell_string(value).strip()
        if text:
            distinct.add(text)
            longest = max(longest, len(text))
    return len(distinct), longest


def series_stats_sql(expression: str) -> str:
    """``series_stats`` in SQL: two aggregates over the rows (the caller leaves blank rows out)."""
    name = f"nullif({strip_sql(expression)}, '')"
    return f"count(DISTINCT {name}), coalesce(max(length({name})), 0)"


def series_column_problem(header: str, distinct: int, longest: int, max_values: int,
                          wording: str = "series is free text") -> str | None:
    """Why a column cannot be the review series (it would list free text in every viewer's sidebar), or None.
    Counts and limits only: a value is never quoted."""
    if distinct <= max_values and longest <= SERIES_NAME_MAX_CHARS:
        return None
    found = (f"{distinct:,} different values (max_series_values = {max_values:,})" if distinct > max_values
             else f"a value of {longest:,} characters (a series name has at most {SERIES_NAME_MAX_CHARS})")
    found_page = (f"{distinct:,} different values (at most {max_values:,} are allowed)" if distinct > max_values
                  else found)
    # Raising max_series_values helps only with the count: a name's length has no setting.
    raise_limit = ", or raise max_series_values" if distinct > max_values else ""
    return worded(wording, column=header, found=found, found_page=found_page, raise_limit=raise_limit)


def is_blank_cell(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def is_blank_row(row: list[object]) -> bool:
    """A row of blank cells carries nothing: the readers skip it (pipeline.sources.files)."""
    return all(is_blank_cell(c) for c in row)


def blank_text_sql(expression: str) -> str:
    """True where the text is empty or all Python whitespace (``not text.strip()``). The fast path
    gives it a row's cells joined by spaces, which is blank exactly when ``is_blank_row`` holds.
    (A first character from "!" to "~" settles most rows without the regex.)"""
    return (f"(({expression} < '!' OR {expression} >= chr(127)) "
            f"AND regexp_full_match({expression}, '{PY_WHITESPACE_CLASS}*'))")
