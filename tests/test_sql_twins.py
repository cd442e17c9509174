"""Each Python rule of the parser and its SQL twin (what pipeline.csv_fast_path reads rows by)
give the same answer for the same values.

Every pair is run here on the same inputs: the Python function as the row path calls it, and
the SQL expression in an in-memory DuckDB. Where SQL declines a value (NULL), the fast path
hands it to the Python function, so for those the test only checks that SQL does decline and
what Python then makes of it. The whitespace class itself is checked code point by code point
in tests/test_csv_fast_path.py, the response key in tests/test_keys.py.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from core.settings import Settings
from core.whitespace import collapse_whitespace, collapse_whitespace_sql
from pipeline.csv_fast_path import plan, stage
from pipeline.parse.cells import (
    SERIES_MAX_CHARS,
    blank_text_sql,
    is_blank_row,
    series_of,
    series_sql,
    series_stats,
    series_stats_sql,
    strip_sql,
)
from pipeline.parse.feedback import (
    PHONE_MIN_DIGITS,
    clean_feedback,
    clean_feedback_sql,
    may_need_scrubbing,
    may_need_scrubbing_sql,
    scrub_feedback,
)
from pipeline.parse import times
from pipeline.parse.surveys import parse_surveys
from pipeline.parse.times import TimeError, TimeParser
from pipeline.sources.files import read_table

from tests.survey_text import FB, S1, S2, S3, S4

NOW = datetime(2026, 11, 26, tzinfo=timezone.utc)
UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        yield connection


def sql(con: duckdb.DuckDBPyConnection, expression: str, value: object) -> object:
    """One SQL expression over ``$v`` (the value)."""
    return con.execute(f"SELECT {expression}", {"v": value}).fetchone()[0]


def sql_with_params(con: duckdb.DuckDBPyConnection, expression: str, value: str, params: list[object]) -> object:
    """One SQL expression over the column ``v`` (the value) with its own positional parameters."""
    return con.execute(f"WITH t AS (SELECT ?::VARCHAR AS v) SELECT {expression} FROM t", [value, *params]).fetchone()[0]


def python_time(text: str, tz: ZoneInfo = UTC, dayfirst: bool = False) -> tuple[datetime, datetime] | None:
    try:
        return TimeParser(tz, dayfirst, NOW).parse(text)
    except TimeError:
        return None


# --- time shapes: moment_sql beside TimeParser ---------------------------------------------

# (text, dayfirst, what SQL reads, what TimeParser reads: its local time, None = refused).
# SQL None means "not a shape SQL reads": the fast path asks TimeParser, value by value.
TIME_SHAPES = [
    # ISO shapes SQL reads itself
    ("2026-03-04 16:05:07", False, datetime(2026, 3, 4, 16, 5, 7), datetime(2026, 3, 4, 16, 5, 7)),
    ("2026-03-04T16:05:07", False, datetime(2026, 3, 4, 16, 5, 7), datetime(2026, 3, 4, 16, 5, 7)),
    ("2026-03-04 16:05", False, datetime(2026, 3, 4, 16, 5), datetime(2026, 3, 4, 16, 5)),
    ("2026-03-04T16:05", False, datetime(2026, 3, 4, 16, 5), datetime(2026, 3, 4, 16, 5)),
    ("2026-03-04", False, datetime(2026, 3, 4), datetime(2026, 3, 4)),
    ("2026-03-04", True, datetime(2026, 3, 4), datetime(2026, 3, 4)),  # ISO is never day-first
    ("2024-02-29 23:59:59", False, datetime(2024, 2, 29, 23, 59, 59), datetime(2024, 2, 29, 23, 59, 59)),
    # ISO shapes left to Python: fractions, offsets, Z, spaces around, other separators
    ("2026-03-04T16:05:07.123456", False, None, datetime(2026, 3, 4, 16, 5, 7, 123456)),
    ("2026-03-04 16:05:07.5", False, None, datetime(2026, 3, 4, 16, 5, 7, 500000)),
    ("2026-03-04T16:05:07Z", False, None, datetime(2026, 3, 4, 16, 5, 7)),
    ("2026-03-04T16:05:07+02:00", False, None, datetime(2026, 3, 4, 14, 5, 7)),
    ("2026-03-04T16:05:07-05:30", False, None, datetime(2026, 3, 4, 21, 35, 7)),
    ("2026-03-04 16:05:07 UTC", False, None, datetime(2026, 3, 4, 16, 5, 7)),
    (" 2026-03-04 16:05:07", False, None, datetime(2026, 3, 4, 16, 5, 7)),
    ("2026-03-04 16:05:07 ", False, None, datetime(2026, 3, 4, 16, 5, 7)),
    ("2026-3-4", False, None, datetime(2026, 3, 4)),
    ("2026/03/04 16:05", False, None, datetime(2026, 3, 4, 16, 5)),
    # year first is year/month/day whatever the date order (SQL's ISO shapes are too)
    ("2026/03/04 16:05", True, None, datetime(2026, 3, 4, 16, 5)),
    ("2026-03-04 16:05", True, datetime(2026, 3, 4, 16, 5), datetime(2026, 3, 4, 16, 5)),
    ("2026-03-04 4:05 PM", True, None, datetime(2026, 3, 4, 16, 5)),
    # impossible ISO values: SQL declines, Python refuses
    ("2026-02-29", False, None, None),
    ("2026-13-01", False, None, None),
    ("2026-03-04 24:00:00", False, None, None),
    ("2026-03-04 23:60", False, None, None),
    ("2026-03-04 23:59:60", False, None, None),
    # M/D/Y and D/M/Y shapes SQL reads itself
    ("3/4/2026 16:05:07", False, datetime(2026, 3, 4, 16, 5, 7), datetime(2026, 3, 4, 16, 5, 7)),
    ("3/4/2026 16:05:07", True, datetime(2026, 4, 3, 16, 5, 7), datetime(2026, 4, 3, 16, 5, 7)),
    ("03/04/2026 4:05", False, datetime(2026, 3, 4, 4, 5), datetime(2026, 3, 4, 4, 5)),
    ("3/4/2026", False, datetime(2026, 3, 4), datetime(2026, 3, 4)),
    ("12/31/2025", False, datetime(2025, 12, 31), datetime(2025, 12, 31)),
    ("31/12/2025", True, datetime(2025, 12, 31), datetime(2025, 12, 31)),
    ("3/4/2026 4:05:07 PM", False, datetime(2026, 3, 4, 16, 5, 7), datetime(2026, 3, 4, 16, 5, 7)),
    ("3/4/2026 4:05:07 AM", False, datetime(2026, 3, 4, 4, 5, 7), datetime(2026, 3, 4, 4, 5, 7)),
    ("3/4/2026 12:00:00 AM", False, datetime(2026, 3, 4, 0, 0), datetime(2026, 3, 4, 0, 0)),
    ("3/4/2026 12:00:00 PM", False, datetime(2026, 3, 4, 12, 0), datetime(2026, 3, 4, 12, 0)),
    ("3/4/2026 12:30:00 PM", True, datetime(2026, 4, 3, 12, 30), datetime(2026, 4, 3, 12, 30)),
    # slash shapes left to Python: 2-digit years, lower-case meridiem, dots, fractions
    ("3/4/26", False, None, datetime(2026, 3, 4)),
    ("3/4/26 16:05", True, None, datetime(2026, 4, 3, 16, 5)),
    ("3/4/2026 4:05:07 pm", False, None, datetime(2026, 3, 4, 16, 5, 7)),
    ("3/4/2026 4:05 PM", False, None, datetime(2026, 3, 4, 16, 5)),
    ("3.4.2026 16:05", True, None, datetime(2026, 4, 3, 16, 5)),
    ("3/4/2026 16:05:07.25", False, None, datetime(2026, 3, 4, 16, 5, 7, 250000)),
    ("3/4/2026, 16:05:07", False, None, datetime(2026, 3, 4, 16, 5, 7)),
    # impossible slash values: SQL declines, and Python refuses or reads them its own way
    ("2/29/2025", False, None, None),
    ("3/4/2026 13:05:07 PM", False, None, None),
    ("3/4/2026 0:05:07 AM", False, None, datetime(2026, 3, 4, 0, 5, 7)),  # dateutil reads hour 0
    ("3/4/2026 24:00", False, None, None),
    # an impossible month in the file's order: refused (a reject), not swapped by dateutil
    ("13/4/2026", False, None, None),
    ("4/13/2026 16:05", True, None, None),
    # not times at all
    ("", False, None, None),
    ("soon", False, None, None),
    ("2026", False, None, None),
]


@pytest.mark.parametrize(("text", "dayfirst", "in_sql", "in_python"), TIME_SHAPES)
def test_time_shapes_sql_reads_what_time_parser_reads(con, text, dayfirst, in_sql, in_python) -> None:
    read_by_sql = sql(con, times.moment_sql("$v", dayfirst), text)
    parsed = python_time(text, UTC, dayfirst)
    assert read_by_sql == in_sql
    assert (parsed[1] if parsed else None) == in_python
    if read_by_sql is not None:
        assert parsed == (read_by_sql, read_by_sql)  # the pair: same moment, and UTC here


# --- D/M vs M/D evidence: dayfirst_verdict_sql beside dayfirst_evidence ----------------------

DAYFIRST_EVIDENCE = [
    ("13/4/2026", True), ("4/13/2026", False), ("4/5/2026", None), ("13/13/2026", None), ("12/12/2026", None),
    (" 13.4.26 16:05", True), ("1/13/2026 10:00", False), ("00/13/2026", False), ("31/1/99", True),
    ("13/4/2", None), ("13/4/20255", None), ("13/4/2026x", None), ("013/4/2026", None), ("2026-04-13", None),
    ("", None), ("soon", None), ("13-4-2026", True), ("4-13-2026 10:00", False), ("03-04-2026", None),
    ("2026-13-04", None), ("13-4-2026-1", True),
]


@pytest.mark.parametrize(("text", "verdict"), DAYFIRST_EVIDENCE)
def test_dayfirst_evidence_in_sql_and_python(con, text, verdict) -> None:
    # The fast path asks SQL only for ASCII printable values (RE2 and re agree on them).
    assert re.fullmatch(r"[ -~]*", text)
    in_sql = con.execute(f"SELECT {times.dayfirst_verdict_sql('p')} "
                         f"FROM (SELECT {times.slash_date_parts_sql('$v')} AS p)", {"v": text}).fetchone()[0]
    assert times.dayfirst_evidence(text) is verdict
    assert in_sql is verdict


SLASH_DATES = [
    ("4/5/2026", True), ("12/12/2026 16:00", True), (" 13.4.26", True), ("13/4/2026", True), ("1/13/2026", True),
    ("13/4/2", False), ("13/4/20255", False), ("013/4/2026", False), ("2026-04-13", False), ("", False),
    ("soon", False), ("4-5-2026", True), ("13-03-2026 10:00", True), ("4/5/2026x", False),
    ("2026-4-5", False), ("12-2026", False),
]


@pytest.mark.parametrize(("text", "slash"), SLASH_DATES)
def test_slash_date_in_sql_and_python(con, text, slash) -> None:
    """is_slash_date / slash_date_sql: whether a date column could be read either way (issue #22 item 17)."""
    assert re.fullmatch(r"[ -~]*", text)  # the fast path asks SQL only for ASCII printable values
    in_sql = con.execute(f"SELECT {times.slash_date_sql('p')} FROM (SELECT {times.slash_date_parts_sql('$v')} AS p)",
                         {"v": text}).fetchone()[0]
    assert times.is_slash_date(text) is slash
    assert in_sql is slash


SERIES_COLUMNS = [
    # cells of a series column -> (distinct names, longest), as series_of trims them
    (["Alpha", " Alpha ", "Beta", "", "  ", None], (2, 5)),
    (["\u00a0Gamma\u3000", "Gamma", "é" * 81], (2, 81)),
    ([None, "", "\t"], (0, 0)),
    (["a", "A", "a\u00a0b", "a b"], (4, 3)),
    (["🙂" * 80, "x"], (2, 80)),
]


@pytest.mark.parametrize(("cells", "stats"), SERIES_COLUMNS, ids=range(len(SERIES_COLUMNS)))
def test_series_column_stats_in_sql_and_python(con, cells, stats) -> None:
    """series_stats / series_stats_sql: the free-text series guard (issue #22 item 7) counts alike."""
    assert series_stats(cells) == stats
    con.execute("CREATE OR REPLACE TEMP TABLE series_cells (v VARCHAR)")
    con.executemany("INSERT INTO series_cells VALUES (?)", [[c] for c in cells])
    assert con.execute(f"SELECT {series_stats_sql('v')} FROM series_cells").fetchone() == stats


# --- local -> UTC: steady_offset_us + plausible_utc_sql beside TimeParser ------------------

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
# (zone, local text, UTC TimeParser gives, whether SQL reads it: False = an hour with two offsets)
LOCAL_TO_UTC = [
    (NEW_YORK, "2026-03-08 01:59:59", datetime(2026, 3, 8, 6, 59, 59), True),
    (NEW_YORK, "2026-03-08 02:30", datetime(2026, 3, 8, 7, 30), True),  # in the gap: the offset before it
    (NEW_YORK, "2026-03-08 03:00", datetime(2026, 3, 8, 7, 0), True),
    (NEW_YORK, "2026-11-01 00:59:59", datetime(2026, 11, 1, 4, 59, 59), True),
    (NEW_YORK, "2026-11-01 01:30", datetime(2026, 11, 1, 5, 30), True),  # twice that night: the first
    (NEW_YORK, "2026-11-01 02:00", datetime(2026, 11, 1, 7, 0), True),
    (NEW_YORK, "2026-07-01 12:00", datetime(2026, 7, 1, 16, 0), True),
    (NEW_YORK, "1/15/2026 11:00:00 PM", datetime(2026, 1, 16, 4, 0), True),  # next day in UTC
    (NEW_YORK, "1999-12-31 20:00", datetime(2000, 1, 1, 1, 0), True),  # 2000 in UTC: plausible
    (BERLIN, "2026-03-29 01:59", datetime(2026, 3, 29, 0, 59), True),
    (BERLIN, "2026-03-29 02:30", datetime(2026, 3, 29, 1, 30), True),  # in the gap: the offset before it
    (BERLIN, "2026-03-29 03:00", datetime(2026, 3, 29, 1, 0), True),
    (BERLIN, "2026-10-25 02:30", datetime(2026, 10, 25, 0, 30), True),  # twice that night: the first
    (BERLIN, "2026-10-25 03:00", datetime(2026, 10, 25, 2, 0), True),
    (BERLIN, "2026-01-01 00:00", datetime(2025, 12, 31, 23, 0), True),
    (ZoneInfo("Asia/Kolkata"), "2026-03-04 10:15", datetime(2026, 3, 4, 4, 45), True),
    (ZoneInfo("Australia/Lord_Howe"), "2026-10-04 02:45", datetime(2026, 10, 3, 15, 45), False),  # 30-minute gap
]


@pytest.mark.parametrize(("tz", "text", "utc", "sql_reads"), LOCAL_TO_UTC, ids=lambda v: getattr(v, "key", v))
def test_local_to_utc_in_sql_and_python(con, tz, text, utc, sql_reads) -> None:
    parser = TimeParser(tz, False, NOW)
    python_utc, python_local = parser.parse(text)
    assert python_utc == utc
    moment = sql(con, times.moment_sql("$v", False), text)
    offset = times.steady_offset_us(moment.replace(minute=0, second=0), tz, parser.latest_plausible)
    assert (offset is not None) is sql_reads
    if offset is None:
        return  # the fast path hands this hour to TimeParser
    expression, params = times.plausible_utc_sql(times.moment_sql("v", False), f"{offset:d}", parser.latest_plausible)
    assert sql_with_params(con, expression, text, params) == python_utc
    assert python_local == moment  # SQL keeps the text's own time as local


# (local text in UTC, read by both) - the plausible range: 2000 on, at most a day after now
PLAUSIBLE = [
    ("1999-12-31 23:59:59", False), ("2000-01-01 00:00:00", True), ("2026-11-27 00:00:00", True),
    ("2026-11-27 00:00:01", False), ("12/31/1999 23:59:59", False), ("9999-12-31", False), ("0001-01-01", False),
]


@pytest.mark.parametrize(("text", "plausible"), PLAUSIBLE)
def test_plausible_range_in_sql_and_python(con, text, plausible) -> None:
    parser = TimeParser(UTC, False, NOW)
    expression, params = times.plausible_utc_sql(times.moment_sql("v", False), "0", parser.latest_plausible)
    in_sql = sql_with_params(con, expression, text, params)
    in_python = python_time(text)
    assert (in_sql is not None) is plausible
    assert (in_python is not None) is plausible
    if plausible:
        assert in_python == (in_sql, in_sql)


# --- cells: strip_sql, clean_feedback_sql, series_sql, blank_text_sql -----------------------

TEXTS = [
    "", " ", "plain", "  padded  ", "\tTab\t", "\r\nline\r\n", "\u3000ideographic\u3000", "\u00a0nbsp\u00a0",
    "\x1cfile-sep\x1f", "\x85next-line\x85", "\u2028ls\u2029", "\u200bzero-width\u200b", "\ufeffbom",
    "inner  space", "é", "e\u0301", "👍", " \t\n\x0b\x0c\r ", "\u1680\u2000\u200a\u202f\u205f",
]


@pytest.mark.parametrize("text", TEXTS)
def test_strip_and_clean_feedback_in_sql_and_python(con, text) -> None:
    assert sql(con, strip_sql("$v"), text) == text.strip()
    assert sql(con, clean_feedback_sql("$v"), text) == clean_feedback(text)


SERIES = [
    ("Platform", "Platform"), ("  Platform  ", "Platform"), ("", "default"), (" \u3000\t", "default"),
    ("\u00a0Ops\u2003", "Ops"), ("x" * SERIES_MAX_CHARS, "x" * SERIES_MAX_CHARS),
    ("x" * (SERIES_MAX_CHARS + 1), "x" * SERIES_MAX_CHARS + "…"),
    ("é" * 250, "é" * SERIES_MAX_CHARS + "…"),
    ("e\u0301" * 150, "e\u0301" * 100 + "…"),  # combining accents: code points count, not what you see
    ("👍" * 201, "👍" * SERIES_MAX_CHARS + "…"),
    ("🇩🇪" * 101, "🇩🇪" * 100 + "…"),
    ("👨\u200d👩\u200d👧" * 41, ("👨\u200d👩\u200d👧" * 41)[:SERIES_MAX_CHARS] + "…"),
    (" " + "y" * 205 + " ", "y" * SERIES_MAX_CHARS + "…"),
]


@pytest.mark.parametrize(("cell", "series"), SERIES, ids=range(len(SERIES)))
def test_series_name_in_sql_and_python(con, cell, series) -> None:
    assert series_of([cell], 0, "default") == series
    assert sql(con, f"coalesce({series_sql('$v')}, 'default')", cell) == series


BLANK_ROWS = [
    (["", ""], True), ([" ", "\t"], True), (["\u3000", "\u00a0"], True), (["\x1c", "\x85"], True),
    (["", "\u2028"], True), ([None, None], True), ([""], True), ([" \r\n "], True),
    (["\u200b"], False), (["a", ""], False), (["", " ", "0"], False), (["\ufeff"], False), (["", "-"], False),
]


@pytest.mark.parametrize(("row", "blank"), BLANK_ROWS)
def test_blank_rows_in_sql_and_python(con, row, blank) -> None:
    # The fast path joins a row's cells with spaces (NULL as ''), as in csv_fast_path._read_all.
    joined = " ".join("" if cell is None else cell for cell in row)
    assert is_blank_row(row) is blank
    assert sql(con, blank_text_sql("$v"), joined) is blank


# --- feedback scrubbing pre-test: may_need_scrubbing_sql beside may_need_scrubbing ---------

SCRUB_CANDIDATES = [
    ("all good", False), ("mail a@b.io", True), ("ping <@U024BE7LH>", True), ("1 < 2", True),
    ("1234567", False), ("12345678", True), ("call +49 30 1234 5678", True), ("v1.2.3 on 4/5", False),
    ("1 2 3 4 5 6 7 8", True), ("٠١٢٣٤٥٦٧", True), ("１２３４５６７８", True), ("１２３４５６７", False),
    ("²³¹⁴⁵⁶⁷⁸⁹", False),  # superscripts are not decimal digits (\d) in either
]


@pytest.mark.parametrize(("text", "candidate"), SCRUB_CANDIDATES)
def test_scrub_pre_test_in_sql_and_python(con, text, candidate) -> None:
    assert may_need_scrubbing(text) is candidate
    assert sql(con, may_need_scrubbing_sql("$v"), text) is candidate


def test_sql_digits_include_every_python_digit(con) -> None:
    """\\p{Nd} in RE2 knows every code point Python's \\d does, so SQL's pre-test lets every text
    through that scrub_feedback could change. RE2's Unicode is newer than Python 3.11's: it also
    knows 20 digits Python does not (Kawi, Nag Mundari); such a text only goes to scrub_feedback,
    which leaves it as it is."""
    python_digits = {c for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000 and re.match(r"\d", chr(c))}
    sql_digits = {c for (c,) in con.execute(
        "SELECT i FROM (SELECT range AS i FROM range(1, 55296) UNION ALL SELECT range FROM range(57344, 1114112)) "
        "WHERE regexp_full_match(chr(i::INTEGER), '\\p{Nd}')"
    ).fetchall()}
    assert python_digits <= sql_digits
    kawi = "".join(chr(0x11F50 + i) for i in range(PHONE_MIN_DIGITS))  # KAWI DIGIT ZERO.. (Unicode 15)
    if not re.match(r"\d", kawi[0]):  # Python 3.11
        assert sql(con, may_need_scrubbing_sql("$v"), kawi) is True
        assert may_need_scrubbing(kawi) is False
        assert scrub_feedback(kawi) == kawi


# --- the sep= line and line numbers: the fast path's lines are the Python path's -----------

HEADER = ["Timestamp", S1, S2, S3, S4, FB]


def _write(path: Path, rows: list[list[str]], newline: str, sep_line: bool) -> Path:
    buffer = io.StringIO()
    if sep_line:
        buffer.write(f"sep=;{newline}")
    csv.writer(buffer, delimiter=";" if sep_line else ",", lineterminator=newline).writerows([HEADER, *rows])
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


ROWS = [
    ["2026-03-04 16:00", "5", "4", "3", "2", "one line"],
    ["2026-03-04 16:01", "4", "4", "4", "4", "two\nlines"],
    ["2026-03-04 16:02", "9", "4", "4", "4", "bad answer after a\r\nCRLF inside the cell"],  # rejected
    ["2026-03-04 16:03", "3", "3", "3", "3", "three\n\nlines with a blank one"],
    ["", "", "", "", "", ""],  # blank: no record in either
    ["soon", "2", "2", "2", "2", "bad time"],  # rejected
    ["2026-03-04 16:04", "1", "1", "1", "1", "\n"],
    ["2026-03-04 16:05", "", "", "", "", ""],  # rejected: no answers
    ["3/4/2026 4:06:00 PM", "2", "3", "4", "5", "last\nrow"],
]


@pytest.mark.parametrize(("newline", "sep_line", "response_lines", "reject_lines"), [
    ("\n", False, [2, 3, 7, 12, 15], [5, 11, 14]),
    ("\r\n", False, [2, 3, 7, 12, 15], [5, 11, 14]),
    ("\n", True, [3, 4, 8, 13, 16], [6, 12, 15]),
    ("\r\n", True, [3, 4, 8, 13, 16], [6, 12, 15]),
])
def test_sep_line_and_line_numbers_in_sql_and_python(tmp_path, newline, sep_line, response_lines, reject_lines) -> None:
    path = _write(tmp_path / "survey.csv", ROWS, newline, sep_line)
    settings = Settings()
    parsed = parse_surveys(read_table(path), settings, now=NOW)
    assert [r.source_line for r in parsed.responses] == response_lines
    assert [r.line for r in parsed.rejects] == reject_lines
    csv_plan = plan(path)
    assert csv_plan is not None
    assert (csv_plan.delimiter, csv_plan.skip_lines) == ((";", 2) if sep_line else (",", 1))
    with duckdb.connect() as connection:
        staged = stage(connection, csv_plan, settings, None, 1, NOW.replace(tzinfo=None))
        fast_lines = [line for (line,) in connection.execute(
            f"SELECT source_line FROM {staged.responses_table} ORDER BY source_line").fetchall()]
    assert fast_lines == response_lines
    assert [r.line for r in staged.rejects] == reject_lines
    assert [r.reason for r in staged.rejects] == [r.reason for r in parsed.rejects]


# --- whitespace collapsed (the Feedback page's quotes): collapse_whitespace_sql beside collapse_whitespace --

PY_WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]
COLLAPSE_TEXTS = [
    "", " ", "   ", "a", "a b", "a  b", " a", "a ", "  a  b  ", "a\nb", "a\r\nb", "a \n b", "a\tb\t",
    "line one\n- line two\n- line three", "\u3000a\u3000\u3000b\u3000", "a\u00a0b", "a\u200bb",  # zero width: no space
    "a\x1cb\x1d\x1e\x1fc", "a\x0bb\x0cc", "a\u2028b\u2029c", "a\x85b", "e\u0301 \U0001F44D  x",
    *(f"a{ws}b" for ws in PY_WHITESPACE), *(f"{ws}a{ws} {ws}b{ws}" for ws in PY_WHITESPACE),
    " ".join(PY_WHITESPACE), "x" + "".join(PY_WHITESPACE) + "y",
]


@pytest.mark.parametrize("text", COLLAPSE_TEXTS, ids=range(len(COLLAPSE_TEXTS)))
def test_collapse_whitespace_in_sql_and_python(con, text) -> None:
    assert sql(con, collapse_whitespace_sql("$v"), text) == collapse_whitespace(text) == " ".join(text.split())
