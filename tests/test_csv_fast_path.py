"""The DuckDB fast path for wide CSVs must store exactly what the Python row path stores.

Every test here loads the same input twice, once with the fast path and once with
Python only, and compares the whole database: responses, answers, rejects (with their
reasons and raw rows), week assignment, and the run summary. Where the fast path
must take a file (the common exports), the tests check that it did; where it must
decline, that it did and why.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from pipeline import loader
from pipeline.cli import build_parser, run_ingest
from pipeline.csv_fast_path import plan
from pipeline.parse.cells import PY_WHITESPACE_CLASS
from core.errors import UserFacingError
from core.schema import SCHEMA_VERSION
from core.settings import Settings

from tests.survey_text import FB, S1, S2, S3, S4

CORPUS = Path(__file__).resolve().parent / "hostile" / "corpus"
TABLE_QUERIES = {
    "responses": "SELECT response_key, series, submitted_utc, submitted_local, feedback, source_file, source_line "
                 "FROM responses ORDER BY ALL",
    "answers": "SELECT * FROM answers ORDER BY ALL",
    "rejects": "SELECT reject_key, kind, source_file, line, reason, raw FROM rejects ORDER BY ALL",
    "response_weeks": "SELECT * FROM response_weeks ORDER BY ALL",
    "meetings": "SELECT series, meeting_date, attendees, title, source_file, source_line FROM meetings ORDER BY ALL",
}


def ingest_one_way(db: Path, settings_: Settings, fast: bool, surveys: list[Path], attendance: list[Path] = ()):
    argv = ["ingest", "--db", str(db), "--surveys", *map(str, surveys)]
    if attendance:
        argv += ["--attendance", *map(str, attendance)]
    args = build_parser().parse_args(argv)
    try:
        return run_ingest(args, settings_, db, fast_csv=fast)
    except UserFacingError as exc:
        return f"error: {exc}"


def db_contents(db: Path) -> dict[str, list[tuple]]:
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: con.execute(query).fetchall() for name, query in TABLE_QUERIES.items()}


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own temporary root: the suite runs in parallel, so /tmp holds other tests' live scratch
    folders, and only a root nobody else writes to shows what this test's load left behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def load_both_ways(tmp: Path, settings_: Settings, surveys: list[Path], attendance: list[Path] = ()):
    """(fast summary or error, Python summary or error), after asserting both DBs are equal."""
    fast_db, python_db = tmp / "fast.duckdb", tmp / "python.duckdb"
    for db in (fast_db, python_db):
        db.unlink(missing_ok=True)
    fast = ingest_one_way(fast_db, settings_, True, surveys, attendance)
    python = ingest_one_way(python_db, settings_, False, surveys, attendance)
    if isinstance(python, str) or isinstance(fast, str):
        assert fast == python
    else:
        assert fast.lines() == python.lines()
    fast_rows, python_rows = db_contents(fast_db), db_contents(python_db)
    for table in TABLE_QUERIES:
        assert fast_rows.get(table) == python_rows.get(table), table
    return fast, python


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n",
              bom: bool = False, sep_line: bool = False, quoting: int = csv.QUOTE_MINIMAL) -> Path:
    buffer = io.StringIO()
    if sep_line:
        buffer.write(f"sep={delimiter}{newline}")
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=quoting).writerows(rows)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


HEADER = ["Timestamp", "Series", "Submitted by", S1, S2, S3, S4, FB]


# --- SQL pieces that must equal Python's rules ---------------------------------------------


def test_whitespace_class_is_exactly_str_isspace():
    """strip_sql and blank_text_sql (pipeline.parse.cells) rely on this class being Python's str.isspace()."""
    python_space = {c for c in range(1, 0x110000) if chr(c).isspace()}
    with duckdb.connect() as con:
        sql_space = {c for (c,) in con.execute(
            "SELECT i FROM (SELECT range AS i FROM range(1, 55296) UNION ALL SELECT range FROM range(57344, 1114112)) "
            f"WHERE regexp_full_match(chr(i::INTEGER), '{PY_WHITESPACE_CLASS}')"
        ).fetchall()}
    assert sql_space == python_space
    assert len(python_space) == 29  # \t..\r, \x1c..\x1f, space, \x85, \xa0, \u1680, \u2000..\u200a, ...


@pytest.mark.parametrize("via_arrow", [False, True])
def test_temp_table_from_python_lists(monkeypatch: pytest.MonkeyPatch, via_arrow: bool):
    """The loader's staging tables: LIST parameters for a few rows, Arrow for many; same table."""
    from datetime import date

    from core import schema

    monkeypatch.setattr(schema, "ARROW_FROM_ROWS", 0 if via_arrow else 10**9)
    columns = {
        "text": ("VARCHAR", ["a", None, "é👍\u3000", ""]),
        "moment": ("TIMESTAMP", [datetime(2026, 5, 1, 10, 0, 0, 500), None, datetime(2000, 1, 1), datetime(2026, 1, 1)]),
        "day": ("DATE", [date(2026, 5, 1), None, date(2000, 1, 1), date(2026, 1, 1)]),
        "number": ("BIGINT", [1, None, 2**40, -3]),
        "score": ("TINYINT", [5, None, 1, 3]),
        "sentiment_score": ("DOUBLE", [0.5, None, -1.0, 0.0]),  # the stored analysis (refresh_feedback_analysis)
        "themes": ("VARCHAR[]", [["timeline", "actions"], None, [], ["é👍"]]),
    }
    with duckdb.connect() as con:
        schema.temp_table(con, "staged", columns)
        rows = con.execute("SELECT * FROM staged").fetchall()
        types = [t for (t,) in con.execute("SELECT data_type FROM information_schema.columns "
                                           "WHERE table_name = 'staged' ORDER BY ordinal_position").fetchall()]
    assert rows == list(zip(*(values for _type, values in columns.values())))
    assert types == ["VARCHAR", "TIMESTAMP", "DATE", "BIGINT", "TINYINT", "DOUBLE", "VARCHAR[]"]


# --- the common exports take the fast path and give the same database ---------------------


def _standard_rows(count: int = 40) -> list[list[str]]:
    labels = ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree", ""]
    rows = [HEADER]
    start = datetime(2026, 4, 6, 9, 0)
    for i in range(count):
        moment = start + timedelta(days=7 * (i // 8), minutes=37 * i)
        rows.append([
            f"{moment.month}/{moment.day}/{moment.year} {moment:%H:%M:%S}",
            ["Payments review", "Infra review"][i % 2],
            f"Person {i}",
            labels[i % 5], labels[(i + 1) % 6], labels[(i + 2) % 5], str(1 + i % 5),
            ["", "More time for themes, please.", 'He said "ship it", twice.\nSecond line.', "  padded  "][i % 4],
        ])
    return rows


@pytest.mark.parametrize(
    ("label", "options"),
    [
        ("comma, CRLF", {}),
        ("comma, LF", {"newline": "\n"}),
        ("semicolon with BOM", {"delimiter": ";", "bom": True}),
        ("tab", {"delimiter": "\t"}),
        ("Excel sep= line", {"delimiter": ";", "sep_line": True}),
        ("every cell quoted", {"quoting": csv.QUOTE_ALL}),
    ],
)
def test_common_exports_take_the_fast_path(tmp_path: Path, settings: Settings, label: str, options: dict):
    source = write_csv(tmp_path / "survey.csv", _standard_rows(), **options)
    fast, _python = load_both_ways(tmp_path, settings, [source])
    assert fast.parsed_in_duckdb == [str(source)], fast.fast_path_declined
    assert fast.responses_added == 40
    assert fast.dropped_columns == ["Submitted by"]


def test_rejects_line_numbers_and_repeats_match(tmp_path: Path, settings: Settings):
    rows = _standard_rows(12)
    rows.insert(3, rows[2][:])  # the same response twice: both kept, different keys
    rows.insert(5, ["5/1/2026 10:00:00", "Payments review", "x", "Agree", "Sometimes", "", "", ""])  # bad answer
    rows.insert(6, ["not a time", "Payments review", "x", "Agree", "", "", "", ""])
    rows.insert(7, ["13/40/2026 10:00:00", "", "x", "", "", "", "", ""])  # bad time, nothing answered
    rows.insert(8, ["", "", "", "", "", "", "", ""])  # a blank row: skipped, but it takes a line
    rows.insert(9, ["5/2/2026 10:00:00", "Infra review", "x", "", "", "", "", "multi\nline\r\nfeedback"])
    rows.append(["5/3/2026 10:00:00", "Infra review", "x", "", "", "", "", "x" * 20_001])  # too long
    source = write_csv(tmp_path / "survey.csv", rows)
    fast, python = load_both_ways(tmp_path, settings, [source])
    assert fast.parsed_in_duckdb == [str(source)]
    assert (fast.responses_added, fast.rejects_added) == (14, 4)
    with duckdb.connect(str(tmp_path / "fast.duckdb"), read_only=True) as con:
        lines = [line for (line,) in con.execute("SELECT line FROM rejects ORDER BY line").fetchall()]
        last_line = con.execute("SELECT max(source_line) FROM responses").fetchall()[0][0]
    # Counted by hand: header is line 1; the feedback of rows 2, 6 and 10 spans 2 lines,
    # the inserted multi-line one 3; the blank row takes line 10.
    assert lines == [7, 8, 9, 25]
    assert last_line == 24


@pytest.mark.parametrize("batch_rows", [1, 3, 10**6])
def test_python_path_in_batches_loads_the_same(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                               batch_rows: int):
    """Issue 16: the Python path parses and inserts a batch at a time; repeats across batch
    boundaries keep their occurrence numbers, and rejects found late still count."""
    monkeypatch.setattr(loader, "PYTHON_BATCH_ROWS", batch_rows)
    rows = _standard_rows(10)
    rows.insert(4, rows[2][:])  # the same response three times, in different batches of 3
    rows.append(rows[2][:])
    rows.append(["5/1/2026 10:00:00", "Payments review", "x", "Agree", "Sometimes", "", "", ""])  # bad answer, last
    source = write_csv(tmp_path / "survey.csv", rows)
    fast, python = load_both_ways(tmp_path, settings, [source])
    assert (python.responses_added, python.rejects_added) == (12, 1)
    with duckdb.connect(str(tmp_path / "python.duckdb"), read_only=True) as con:
        repeats = con.execute("SELECT count(*), count(DISTINCT response_key) FROM responses "
                              "GROUP BY submitted_utc, feedback HAVING count(*) > 1").fetchall()
    assert repeats == [(3, 3)]


@pytest.mark.parametrize("timezone", ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe"])
def test_local_times_across_dst_changes(tmp_path: Path, timezone: str):
    """Naive times are local; hours with a DST change go to Python, the rest SQL shifts."""
    rows = [HEADER]
    for start in (datetime(2026, 3, 8, 0, 0), datetime(2026, 11, 1, 0, 0), datetime(2026, 3, 29, 0, 0),
                  datetime(2026, 10, 25, 0, 0), datetime(2026, 4, 5, 0, 0), datetime(2026, 10, 4, 0, 0)):
        for minutes in range(0, 4 * 60, 10):
            moment = start + timedelta(minutes=minutes)
            rows.append([f"{moment:%Y-%m-%d %H:%M:%S}", "Review", "", "Agree", "", "", "", ""])
    source = write_csv(tmp_path / "survey.csv", rows)
    fast, _python = load_both_ways(tmp_path, Settings(timezone=timezone), [source])
    assert fast.parsed_in_duckdb == [str(source)]
    assert fast.responses_added == 6 * 24


@pytest.mark.parametrize(
    ("values", "date_order"),
    [
        (["3/4/2026 10:00:00", "13/4/2026 10:00:00"], "auto"),  # the second row proves D/M
        (["3/4/2026 10:00:00", "4/13/2026 10:00:00"], "auto"),  # M/D
        (["\u0663/4/2026 10:00", "3/14/2026 10:00:00"], "auto"),  # non-ASCII digits: Python decides that row
        (["3/4/2026 10:00:00"], "DMY"),
        (["3/4/2026 10:00:00"], "MDY"),
        (["2026-04-03T10:00:00", "03.04.2026 10:00", "3-4-2026", "4/3/2026 2:05:07 PM", "2026-04-03 10:00"], "auto"),
        (["1999-12-31 23:59:59", "2099-01-01 00:00:00", "2/30/2026 10:00:00", "4/3/2026 24:00:00",
          " 4/3/2026 10:00:00", "4/3/2026 10:00:00.25", "2026-04-03T10:00:00Z", "1775210400"], "auto"),
        (["46115.41666666667", "46115.4166666667", "2026-04-03 10:00:00"], "auto"),  # serials: the same time
    ],
)
def test_time_shapes_and_date_order(tmp_path: Path, values: list[str], date_order: str):
    rows = [HEADER] + [[value, "Review", "", "Agree", "", "", "", ""] for value in values]
    source = write_csv(tmp_path / "survey.csv", rows)
    fast, _python = load_both_ways(tmp_path, Settings(date_order=date_order), [source])
    assert fast.parsed_in_duckdb == [str(source)]


@pytest.mark.parametrize(
    ("values", "date_order", "stored"),
    [
        # Year first is year/month/day even where the column (or date_order) is day-first.
        (["13/03/2026 10:00", "2026/03/04 10:00", "2026-03-06 10:00 PM", "2026-03-07 10:00"], "auto",
         ["2026-03-13 10:00", "2026-03-04 10:00", "2026-03-06 22:00", "2026-03-07 10:00"]),
        (["2025/09/02 04:02:26 PM", "2025-09-03 10:00", "04/09/2025 10:00"], "DMY",
         ["2025-09-02 16:02", "2025-09-03 10:00", "2025-09-04 10:00"]),
        # A date impossible in the set order is rejected (line 3), never swapped.
        (["13/03/2026 10:00", "03/14/2026 10:00", "04/03/2026 10:00"], "DMY", ["2026-03-13 10:00", "2026-03-04 10:00"]),
        (["13/03/2026 10:00", "03/14/2026 10:00", "04/03/2026 10:00"], "MDY", ["2026-03-14 10:00", "2026-04-03 10:00"]),
        # Hyphens as much of Europe writes them are evidence too: 03-04-2026 is 3 April beside 13-03-2026
        # (before, it was read 4 March while 13-03-2026 was silently swapped to 13 March).
        (["13-03-2026 10:00", "03-04-2026 10:00", "14-04-2026 10:00"], "auto",
         ["2026-03-13 10:00", "2026-04-03 10:00", "2026-04-14 10:00"]),
        (["13-03-2026 10:00", "03-14-2026 10:00", "04-03-2026 10:00"], "DMY", ["2026-03-13 10:00", "2026-03-04 10:00"]),
        (["13.03.2026 10:00", "04.03.2026 10:00"], "auto", ["2026-03-13 10:00", "2026-03-04 10:00"]),
    ],
)
def test_year_first_dates_and_dates_impossible_in_the_order(tmp_path: Path, values: list[str], date_order: str,
                                                            stored: list[str]):
    rows = [HEADER] + [[value, "Review", "", "Agree", "", "", "", ""] for value in values]
    source = write_csv(tmp_path / "survey.csv", rows)
    fast, _python = load_both_ways(tmp_path, Settings(date_order=date_order, timezone="UTC"), [source])
    with duckdb.connect(str(tmp_path / "fast.duckdb"), read_only=True) as con:
        local = [t.strftime("%Y-%m-%d %H:%M") for (t,) in
                 con.execute("SELECT submitted_local FROM responses ORDER BY source_line").fetchall()]
        reasons = [r for (r,) in con.execute("SELECT reason FROM rejects").fetchall()]
    assert local == stored
    assert len(reasons) == len(values) - len(stored)
    assert all("not a date when read" in reason for reason in reasons)


@pytest.mark.parametrize("values", [
    ["13/03/2026 10:00", "04/03/2026 10:00", "03/14/2026 10:00"],
    ["4/3/2026 10:00", "\u0661\u0663/3/2026 10:00", "3/14/2026 10:00"],  # Arabic-Indic digits: Python's evidence
    ["13-03-2026 10:00", "04-03-2026 10:00", "03-14-2026 10:00"],  # hyphens
])
def test_dates_settling_the_order_both_ways_refuse_the_file_on_both_paths(tmp_path: Path, values: list[str]):
    rows = [HEADER] + [[value, "Review", "", "Agree", "", "", "", ""] for value in values]
    source = write_csv(tmp_path / "survey.csv", rows)
    fast, _python = load_both_ways(tmp_path, Settings(), [source])
    assert fast.startswith(f"error: {source}: the dates disagree on day/month order (")
    assert 'set date_order = "DMY" or "MDY"' in fast


@pytest.mark.parametrize(("settling_row", "settling_value"), [
    (4_500, "13/4/2026 10:00:00"),  # after the first stretch of rows the fast path looks at
    (40_000, "4/13/2026 10:00:00"),  # after the second
    (4_500, "\u0661\u0663/4/2026 10:00"),  # Arabic-Indic digits: Python's rules decide that row
    (None, None),  # nothing settles it
])
def test_date_order_settled_late_in_the_file(tmp_path: Path, settings: Settings, settling_row, settling_value):
    # Every other row reads as a different day under D/M than under M/D, and none settles it.
    rows = [HEADER] + [[f"{1 + i % 12}/{1 + i * 5 % 12}/2026 10:{i % 60:02d}:00", "Review", "", "Agree", "", "", "", ""]
                       for i in range(45_000)]
    if settling_row is not None:
        rows[settling_row][0] = settling_value
    source = write_csv(tmp_path / "survey.csv", rows)
    fast, _python = load_both_ways(tmp_path, settings, [source])
    assert fast.parsed_in_duckdb == [str(source)]


def test_two_inputs_in_one_run_keep_one_copy(tmp_path: Path, settings: Settings):
    first = write_csv(tmp_path / "a.csv", _standard_rows(20))
    second = write_csv(tmp_path / "b.csv", _standard_rows(30), newline="\n")  # a superset
    fast, _python = load_both_ways(tmp_path, settings, [first, second, first])
    assert len(fast.parsed_in_duckdb) == 3
    assert (fast.responses_added, fast.responses_present) == (30, 20 + 20)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Timestamp,Series,%s\r\n5/1/2026 10:00,A,Agree\r\n\r\n5/2/2026 10:00,A,Agree\r\n", "blank lines"),
        (b"Timestamp,Series,%s\n5/1/2026 10:00, \"A\",Agree\n", "spaces around quoted cells"),
        (b"Timestamp,Series,%s\n5/1/2026 10:00,A,Agree,extra\n", "DuckDB could not read it"),
        (b"Timestamp,Series,%s\r5/1/2026 10:00,A,Agree\r", None),  # CR-only: no plan at all
        (b"Timestamp,Series,%s\n5/1/2026 10:00,\"A\" ,Agree\n", "DuckDB could not read it|spaces"),
        (b"Timestamp,Series,%s\n5/1/2026 10:00,A,Ag\x00ree\n", "NUL"),
    ],
)
def test_unusual_files_go_to_python(tmp_path: Path, settings: Settings, content: bytes, reason: str | None):
    source = tmp_path / "survey.csv"
    source.write_bytes(content % S1.encode())
    fast, _python = load_both_ways(tmp_path, settings, [source])
    if reason is None:
        assert plan(source) is None
        return
    if isinstance(fast, str):
        return  # Python's error, word for word, from both paths
    assert fast.parsed_in_duckdb == []
    assert any(part in fast.fast_path_declined[str(source)] for part in reason.split("|"))


@pytest.mark.parametrize(("ending", "fast_path"), [(b"\n", True), (b"\r\n", True), (b"\n\n\n", True),
                                                   (b"\r\n\r\n", True), (b"\r\n\n", False)])
def test_empty_lines_at_the_end_take_the_fast_path(tmp_path: Path, settings: Settings, ending: bytes, fast_path: bool):
    """Both readers skip empty lines after the last record (a real LimeSurvey export ends so); a CRLF
    file ending in a bare LF has mixed line endings, which DuckDB's strict reader refuses."""
    newline = b"\r\n" if ending.startswith(b"\r") else b"\n"
    source = tmp_path / "survey.csv"
    source.write_bytes(newline.join([b"Timestamp,%s,%s" % (S1.encode(), FB.encode()),
                                     b'5/1/2026 10:00,Agree,"two\nlines"', b"5/2/2026 10:00,maybe,"]) + newline + ending)
    fast, python = load_both_ways(tmp_path, settings, [source])
    assert fast.parsed_in_duckdb == ([str(source)] if fast_path else []), fast.fast_path_declined
    assert (fast.responses_added, fast.rejects_added) == (python.responses_added, python.rejects_added) == (1, 1)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 23])
def test_byte_counts_in_chunks_equal_counts_over_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 chunk: int):
    from pipeline import csv_fast_path

    body = b'a,"b\r\nc"\r\n\rx,""""\n\r\r\n\n"q"\r\n' * 3 + b"end"
    source = tmp_path / "survey.csv"
    source.write_bytes(b"\xef\xbb\xbfh1,h2\r\n" + body)
    monkeypatch.setattr(csv_fast_path, "_COUNT_CHUNK", chunk)
    counts = csv_fast_path.count_bytes(source, 1)
    assert (counts.body_bytes, counts.lf, counts.cr, counts.crlf, counts.quotes, counts.ends_with_break) == (
        len(body), body.count(b"\n"), body.count(b"\r"), body.count(b"\r\n"), body.count(b'"'), False)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".tsv", ".txt")))
def test_hostile_corpus_same_either_way(tmp_path: Path, settings: Settings, name: str):
    load_both_ways(tmp_path, settings, [CORPUS / name])


# --- property: any RFC 4180 wide export, either way ---------------------------------------

TIME_TEXTS = st.one_of(
    st.datetimes(min_value=datetime(1998, 1, 1), max_value=datetime(2030, 1, 1)).flatmap(
        lambda d: st.sampled_from([
            f"{d.month}/{d.day}/{d.year} {d:%H:%M:%S}", f"{d.day}/{d.month}/{d.year} {d:%H:%M}",
            f"{d:%Y-%m-%d %H:%M:%S}", f"{d:%Y-%m-%dT%H:%M}", f"{d:%Y-%m-%d}", f"{d:%m/%d/%Y %I:%M:%S %p}",
            f"{d.month}/{d.day}/{d.year}", f"{d:%Y-%m-%d %H:%M:%S.%f}", f"{d:%Y-%m-%dT%H:%M:%S}+02:00",
            f" {d:%Y-%m-%d %H:%M:%S}", f"{d:%d.%m.%Y %H:%M}", f"{d.timestamp():.0f}",
        ])
    ),
    st.sampled_from(["", " ", "yesterday", "2/30/2026 10:00:00", "4/3/2026 24:00:00", "13/13/2026", "12:30"]),
)
ANSWERS = st.sampled_from(["", " ", "Agree", "strongly AGREE", "Neutral", "1", "5", "4.0", "6", "Agree (4)",
                           "5 - Strongly agree", "maybe", "👍 Agree", " Disagree\u00a0"])
_RANDOM_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list(" \t\r\n\"',;\u00a0\u2003\u3000\x85\x1c👍é0123456789@<-+.")),
                       st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00")),
    max_size=30,
)
# What feedback scrubbing replaces (issue #10), and near misses, inside random text.
_SCRUB_SNIPPETS = st.sampled_from(["ana@example.com", "<@U024BE7LH>", "<!here>", "+1 (555) 123-4567",
                                   "020 7946 0958", "2026-03-04", "INC-20260304", "١٢٣٤٥٦٧٨٩٠", "a@b", "<@u1>"])
FREE_TEXT = st.one_of(_RANDOM_TEXT, st.builds(lambda a, b, c: a + b + c, _RANDOM_TEXT, _SCRUB_SNIPPETS, _RANDOM_TEXT))


@st.composite
def wide_exports(draw: st.DrawFn) -> tuple[list[list[str]], dict]:
    statements = draw(st.lists(st.sampled_from([S1, S2, S3, S4]), min_size=1, max_size=4, unique=True))
    extras = draw(st.lists(st.sampled_from(["Series", "Submitted by", FB, "Team"]), unique=True))
    header = ["Timestamp", *statements, *extras]
    draw(st.randoms()).shuffle(header)
    rows = [header]
    for _ in range(draw(st.integers(0, 25))):
        row = []
        for column in header:
            if column == "Timestamp":
                row.append(draw(TIME_TEXTS))
            elif column in (S1, S2, S3, S4):
                row.append(draw(ANSWERS))
            elif column == "Series":
                row.append(draw(st.one_of(st.sampled_from(["Payments", " Infra ", "", "x" * 205]), FREE_TEXT)))
            else:
                row.append(draw(FREE_TEXT))
        rows.append(row)
        if draw(st.integers(0, 9)) == 0:
            rows.append(row[:])  # identical rows
        if draw(st.integers(0, 14)) == 0:
            rows.append([""] * len(header))
    options = {
        "delimiter": draw(st.sampled_from([",", ";", "\t"])),
        "newline": draw(st.sampled_from(["\r\n", "\n"])),
        "bom": draw(st.booleans()),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    }
    return rows, options


def _count_path(fast) -> None:  # noqa: ANN001
    """--hypothesis-show-statistics shows how often each path ran."""
    if isinstance(fast, str):
        event("error: " + fast.split(":")[-1].strip()[:40])
    elif fast.parsed_in_duckdb:
        event("DuckDB fast path")
    else:
        event("Python: " + next(iter(fast.fast_path_declined.values()), "no plan")[:40])


@settings(max_examples=int(os.environ.get("FAST_PATH_EXAMPLES", "80")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(export=wide_exports(), timezone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]),
       date_order=st.sampled_from(["auto", "auto", "DMY", "MDY"]))
@example(export=([["Timestamp", S1], ["5/1/2026 10:00:00", "Agree"]], {}), timezone="UTC", date_order="auto")
def test_any_wide_export_loads_the_same_either_way(tmp_path: Path, export, timezone: str, date_order: str):
    rows, options = export
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # Hypothesis reuses tmp_path for every example
    source = write_csv(folder / "survey.csv", rows, **options)
    fast, _python = load_both_ways(folder, Settings(timezone=timezone, date_order=date_order), [source])
    _count_path(fast)


@st.composite
def exports_with_header_rows(draw: st.DrawFn) -> tuple[list[list[str]], dict]:
    """A Qualtrics export (codes, question text and ImportId rows; a Status column with preview, test
    and spam rows) or a sheet with title rows above its header: the fast path reads both (issue 23)."""
    rows, options = draw(wide_exports())
    header, data = rows[0], rows[1:]
    if draw(st.booleans()):
        codes = [f"Q{i}" if h in (S1, S2, S3, S4, FB) else h.replace(" ", "") for i, h in enumerate(header)]
        codes = ["RecordedDate" if code == "Timestamp" else code for code in codes]
        header = ["Recorded Date" if h == "Timestamp" else h for h in header]
        status = draw(st.lists(st.sampled_from(["IP Address", "Survey Preview", "0", "1", "2", "8", "Spam", " test ",
                                                "", "Imported"]), min_size=len(data), max_size=len(data)))
        import_ids = ['{"ImportId":"%s"}' % code for code in codes]
        if draw(st.booleans()):
            import_ids = [""] * len(codes)  # an export whose third row was emptied still has its rows
        rows = [["StartDate", "EndDate", "Status", "ResponseId", *codes],
                ["Start Date", "End Date", "Response Type", "Response ID", *header],
                ["", "", "", "", *import_ids][: 4 + len(codes)],
                *[["", "", state, f"R_{n}", *row] for n, (state, row) in enumerate(zip(status, data))]]
        if draw(st.booleans()):
            del rows[2]  # a legacy export's two header rows
    else:
        titles = draw(st.lists(st.sampled_from(["Incident review survey", "Exported 2026-05-01", "", "Notes: \"draft\""]),
                               min_size=1, max_size=3))
        ragged = draw(st.booleans())  # a lone title cell: DuckDB cannot read it with the header's width
        rows = [[title] + ([] if ragged else [""] * (len(header) - 1)) for title in titles] + rows
    return rows, options


@settings(max_examples=int(os.environ.get("FAST_PATH_EXAMPLES", "80")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(export=exports_with_header_rows(), date_order=st.sampled_from(["auto", "DMY"]))
def test_header_rows_titles_and_qualtrics_status_load_the_same_either_way(tmp_path: Path, export, date_order: str):
    rows, options = export
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    source = write_csv(folder / "survey.csv", rows, **options)
    fast, _python = load_both_ways(folder, Settings(date_order=date_order), [source])
    _count_path(fast)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_header_cell_over_two_lines_takes_the_fast_path_when_duckdb_reads_it(tmp_path: Path, settings: Settings,
                                                                                newline: str, temp_root: Path):
    """A quoted header cell may hold a line break; the data's line numbers count its lines. DuckDB reads
    the file itself when the break is the file's own line ending, and a copy of its body otherwise."""
    rows = [["Timestamp", f"Series{newline}(team)", S1, FB]]
    rows += [[f"5/{day}/2026 10:00", "A", "Agree", f"fine{newline}really"] for day in range(1, 8)]
    rows += [["5/9/2026 10:00", "A", "maybe", ""]]  # a reject, with its line number
    for ending in ("\n", "\r\n"):
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        source = write_csv(folder / "survey.csv", rows, newline=ending)
        fast, python = load_both_ways(folder, settings, [source])
        assert plan(source).skip_lines == 2 and plan(source).skip_records == 1
        assert fast.parsed_in_duckdb == [str(source)], fast.fast_path_declined
        assert fast.rejects_added == python.rejects_added == 1
    assert not list(temp_root.glob("review-pulse-scratch-*"))  # the copy and its folder are gone


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        # Legacy single-byte files (Excel's "CSV" in western Windows locales), cp1252's own bytes 0x80-0x9F
        # (curly quotes, the euro sign, dashes) included, and Excel's "Unicode text" (UTF-16, tabs).
        ("Timestamp;Series;{S1};{FB}\r\n5/1/2026 10:00;Équipe A;D'accord;très utile, merci\r\n"
         "5/2/2026 10:00;Équipe A;Pas d'accord;à revoir\r\n5/3/2026 10:00;Équipe B;peut-être;\r\n", "cp1252"),
        ("Timestamp;{S1};{FB}\r\n5/1/2026 10:00;D\u2019accord;co\u00fbt \u20ac, \u201cbien\u201d\r\n", "cp1252"),
        ("Timestamp;{S1};{FB}\r\n5/1/2026 10:00;D'accord;fine\r\n5/2/2026 10:00;D'accord;\u2014 later\r\n", "cp1252"),
        ('Timestamp;"{S1}\n(1-5)";{FB}\r\n5/1/2026 10:00;D\u2019accord;"deux\nlignes"\r\n', "cp1252"),
        ("Timestamp\t{S1}\t{FB}\r\n5/1/2026 10:00\tD'accord\tok \U0001F44D\r\n5/2/2026 10:00\tpeut\t\r\n", "utf-16"),
        ("Timestamp\t{S1}\t{FB}\n5/1/2026 10:00\tD'accord\t\u00e9t\u00e9\n", "utf-16-le"),
        ("Timestamp,{S1},{FB}\n5/1/2026 10:00,D'accord,\u00e9t\u00e9\n", "utf-16-be"),
    ],
)
def test_other_encodings_load_the_same_either_way(tmp_path: Path, content: str, encoding: str, temp_root: Path):
    """DuckDB reads UTF-8 only; a file the Python path decodes otherwise is read from a UTF-8 copy."""
    settings_ = Settings(answer_labels=(("D'accord", 4), ("Pas d'accord", 2), ("D\u2019accord", 4)))
    source = tmp_path / "survey.csv"
    text = content.format(S1=S1, FB=FB)
    source.write_bytes(text.encode(encoding) if encoding != "utf-16-le" else text.encode("utf-16-le"))
    fast, python = load_both_ways(tmp_path, settings_, [source])
    assert not isinstance(fast, str), fast
    assert fast.parsed_in_duckdb == [str(source)], fast.fast_path_declined
    assert plan(source).encoding == encoding
    rows = text.count("\n5/")
    assert fast.responses_added == python.responses_added == rows - text.count("peut")
    assert fast.rejects_added == python.rejects_added == text.count("peut")
    assert not list(temp_root.glob("review-pulse-scratch-*"))  # the copy and its folder are gone


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Timestamp;%s\r\n5/1/2026 10:00;Agree\r\n5/2/2026 10:00;Agree \x81\r\n", "not cp1252"),  # undefined in cp1252
        (b"Timestamp;%s\r\n" + b"5/1/2026 10:00;Agree\r\n" * 60_000 + b"5/2/2026 10:00;Agr\xe9e \x81\r\n", "late"),
        (f"Timestamp\t{S1}\r\n5/1/2026 10:00\tAgree\r\n".encode("utf-16") + b"\x00\xd8A\x00", "lone surrogate"),
        (b"\xef\xbb\xbfTimestamp;%s\r\n5/1/2026 10:00;Agr\xe9e\r\n", None),  # a UTF-8 BOM, then not UTF-8: an error
        (b"Timestamp;%s\r\n5/1/2026 10:00;Agr\xc3\xa9e \xe9\r\n", None),  # broken UTF-8: an error, not cp1252
    ],
)
def test_broken_single_byte_files_fail_the_same_either_way(tmp_path: Path, settings: Settings, content: bytes,
                                                          reason: str | None):
    source = tmp_path / "survey.csv"
    source.write_bytes(content.replace(b"%s", S1.encode()))
    fast, python = load_both_ways(tmp_path, settings, [source])
    assert isinstance(fast, str) and fast == python


# Raw text, not csv.writer's output: stray and doubled quotes, spaces around quoted cells, CRs.
PLAIN_CELL = st.text(alphabet=st.sampled_from(list('ab 1"\u00a0é\r')), max_size=6)
QUOTED_CELL = st.builds(
    lambda before, inner, after: f'{before}"{inner}"{after}',
    st.sampled_from(["", "", " "]),
    st.lists(st.sampled_from(list('ab ,;1é\n\r\t') + ['""']), max_size=6).map("".join),
    st.sampled_from(["", "", " ", "x"]),
)
RAW_CELL = st.one_of(PLAIN_CELL, QUOTED_CELL)


@settings(max_examples=int(os.environ.get("FAST_PATH_EXAMPLES", "200")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(["5/1/2026 10:00:00", "2026-05-02", "", '"5/3/2026"']),
                               RAW_CELL, RAW_CELL), min_size=1, max_size=8),
       newline=st.sampled_from(["\n", "\r\n"]), blank_line=st.booleans())
def test_malformed_csv_loads_the_same_or_fails_the_same(tmp_path: Path, rows, newline: str, blank_line: bool):
    """Whatever Python's csv module makes of a file, the fast path makes the same, or steps aside."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    lines = [f"Timestamp,{S1},{FB}"] + [",".join(row) for row in rows] + ([""] if blank_line else [])
    source = folder / "survey.csv"
    source.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    fast, _python = load_both_ways(folder, Settings(), [source])
    if isinstance(fast, str):
        event("both failed")
    else:
        event("DuckDB fast path" if fast.parsed_in_duckdb else "Python: " + next(iter(fast.fast_path_declined.values()), "no plan")[:30])


# --- version 1 databases ---------------------------------------------------------------------

# The key columns as schema version 1 created them (typed out: they are history now).
V1_TABLES = """
CREATE TABLE responses (
    response_key VARCHAR PRIMARY KEY, series VARCHAR NOT NULL, submitted_utc TIMESTAMP NOT NULL,
    submitted_local TIMESTAMP NOT NULL, feedback VARCHAR, source_file VARCHAR NOT NULL,
    source_line INTEGER NOT NULL, run_id BIGINT NOT NULL);
CREATE TABLE answers (response_key VARCHAR NOT NULL, statement VARCHAR NOT NULL,
    score TINYINT NOT NULL CHECK (score BETWEEN 1 AND 5));
CREATE TABLE response_weeks (response_key VARCHAR NOT NULL, series VARCHAR NOT NULL,
    submitted_local TIMESTAMP NOT NULL, meeting_date DATE, week_start DATE NOT NULL);
"""


def test_v1_database_keys_are_migrated_so_a_reload_adds_nothing(tmp_path: Path, settings: Settings):
    """A DB written before schema 2 (BLAKE2b hex keys, indexed) is re-keyed on the next load."""
    import hashlib

    source = write_csv(tmp_path / "survey.csv", _standard_rows(30))
    db = tmp_path / "old.duckdb"
    first = ingest_one_way(db, settings, True, [source])
    assert first.responses_added == 30
    with duckdb.connect(str(db)) as con:
        expected_keys = sorted(k for (k,) in con.execute("SELECT response_key FROM responses").fetchall())
        # Rewrite it as version 1 wrote it: BLAKE2b of the same content and occurrence.
        rows = con.execute(
            """SELECT r.response_key, r.series, r.submitted_utc, r.feedback, r.source_line,
                      list(a.statement || '=' || a.score ORDER BY s.statement_order) FILTER (a.statement IS NOT NULL)
               FROM responses r LEFT JOIN answers a USING (response_key) LEFT JOIN statements s USING (statement)
               GROUP BY ALL ORDER BY r.source_line"""
        ).fetchall()
        seen: dict[str, int] = {}
        old_keys = {}
        for key, series, utc, feedback, _line, answers in rows:
            content = "\x1f".join([series, utc.isoformat(), *(answers or []), feedback or ""])
            occurrence = seen.get(content, 0)
            seen[content] = occurrence + 1
            old_keys[key] = "r" + hashlib.blake2b(f"{content}\x1e{occurrence}".encode(), digest_size=16).hexdigest()
        con.execute("CREATE TEMP TABLE old_keys (new VARCHAR, old VARCHAR)")
        con.executemany("INSERT INTO old_keys VALUES (?, ?)", [(str(k), v) for k, v in old_keys.items()])
        for table in ("responses", "answers", "response_weeks"):
            con.execute(f"CREATE TEMP TABLE saved_{table} AS SELECT o.old AS response_key, t.* EXCLUDE (response_key) "
                        f"FROM {table} t JOIN old_keys o ON o.new = t.response_key::VARCHAR")
            con.execute(f"DROP TABLE {table}")
        con.execute(V1_TABLES)
        con.execute("INSERT INTO responses SELECT * FROM saved_responses")
        con.execute("INSERT INTO response_weeks SELECT response_key, series, submitted_local, meeting_date, week_start "
                    "FROM saved_response_weeks")
        # Version 1 answers had no raw_score/scale_max (added for declared scales, issue #10).
        con.execute("INSERT INTO answers SELECT response_key, statement, score FROM saved_answers")
        con.execute("UPDATE schema_info SET version = 1")
        assert con.execute("SELECT count(*) FROM responses WHERE response_key LIKE 'r%'").fetchall() == [(30,)]
    again = ingest_one_way(db, settings, True, [source])
    assert (again.responses_added, again.responses_present) == (0, 30)
    with duckdb.connect(str(db), read_only=True) as con:
        assert sorted(k for (k,) in con.execute("SELECT response_key FROM responses").fetchall()) == expected_keys
        assert con.execute("SELECT version FROM schema_info").fetchall() == [(SCHEMA_VERSION,)]
        assert con.execute("SELECT count(*) FROM answers WHERE response_key NOT IN (SELECT response_key FROM responses)"
                           ).fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM response_weeks").fetchall() == [(30,)]


def test_v2_database_is_read_as_before_and_its_closed_weeks_freeze_on_the_next_load(tmp_path: Path, settings: Settings):
    """A DB written before schema 3 (response_weeks without entered_run, frozen_run, current_week):
    the read layer shows what it showed, and the next load freezes the weeks that had closed, so
    an attendance change in the same load no longer moves responses out of them."""
    from core.quarters import parse_period
    from review_pulse.view import DataView

    rows = [["Timestamp", S1, S2]] + [[f"2026-03-04 16:{i:02d}:00", "4", "5"] for i in range(5)]
    rows += [["2026-03-10 09:00:00", "1", "2"]]  # before the review of the 11th: the 4th's, week of 2 March
    source = write_csv(tmp_path / "survey.csv", rows)
    attendance = write_csv(tmp_path / "attendance.csv", [["Date", "Attendees"], ["2026-03-04", "9"], ["2026-03-11", "8"]])
    db = tmp_path / "v2.duckdb"
    ingest_one_way(db, settings, True, [source], [attendance])
    with duckdb.connect(str(db)) as con:
        for column in ("entered_run", "frozen_run", "current_week"):
            con.execute(f"ALTER TABLE response_weeks DROP COLUMN {column}")
        con.execute("UPDATE schema_info SET version = 2")
    view = DataView(db, parse_period("2026-Q1"), None, settings)
    before = view.weekly_scores()[["week_start", "responses", "score_sum"]].values.tolist()
    assert [(f"{w:%Y-%m-%d}", n, t) for w, n, t in before] == [("2026-03-02", 6, 5 * 9 + 3)]
    assert view.late_responses().empty

    fixed = write_csv(tmp_path / "fixed.csv", [["Date", "Attendees"], ["2026-03-10", "8"]])
    ingest_one_way(db, settings, True, [source], [fixed])
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT version FROM schema_info").fetchall() == [(SCHEMA_VERSION,)]
        assert con.execute("SELECT DISTINCT entered_run, frozen_run, week_start, current_week = week_start "
                           "FROM response_weeks ORDER BY ALL").fetchall() == [
            (1, 1, date(2026, 3, 2), False), (1, 1, date(2026, 3, 2), True)]
    assert view.weekly_scores()[["week_start", "responses", "score_sum"]].values.tolist() == before
    late = view.late_responses()
    assert [(f"{w:%Y-%m-%d}", n, k) for w, n, k in late.values.tolist()] == [("2026-03-09", 1, 1)]


# --- issue #10: scrubbing, declared scales and labels take the fast path and agree ---------------


def test_scrubbing_declared_scale_and_labels_agree_with_python(tmp_path: Path):
    from core.settings import SourceMapping

    feedbacks = ["mail ana@example.com", "thanks <@U024BE7LH|ana> <!here>", "call +1 (555) 123-4567",
                 "on 2026-03-04 at 16:00, INC-20260304", "٠١٢٣٤٥٦٧٨٩ unicode digits", "plain", "", "x@y"]
    rows = [["Timestamp", "Team", "Email", S1, S2, FB]]
    for i in range(60):
        rows.append([f"2026-03-{1 + i % 28:02d} 16:{i % 60:02d}:00", ["SRE", "Payments"][i % 2], f"p{i}@example.com",
                     str(1 + i % 7), ["Agree a lot", "7", "1", "Meh", "6"][i % 5], feedbacks[i % len(feedbacks)]])
    source = write_csv(tmp_path / "seven.csv", rows)
    declared = SourceMapping(files=("seven.csv",), scale_max=7, series_column="Team",
                             answer_labels=(("Agree a lot", 7),))
    settings_ = Settings(sources=(declared,))
    fast, python = load_both_ways(tmp_path, settings_, [source])
    assert fast.parsed_in_duckdb == [str(source)], fast.fast_path_declined
    assert fast.responses_added == 48 and fast.rejects_added == 12  # every 5th row answers "Meh"
    with duckdb.connect(str(tmp_path / "fast.duckdb"), read_only=True) as con:
        stored = {f for (f,) in con.execute("SELECT feedback FROM responses WHERE feedback IS NOT NULL").fetchall()}
        scores = con.execute("SELECT DISTINCT raw_score, score FROM answers ORDER BY 1").fetchall()
        raw = " ".join(r for (r,) in con.execute("SELECT raw FROM rejects").fetchall())
    assert {"mail [email]", "thanks [mention] [mention]", "call [phone]", "on 2026-03-04 at 16:00, INC-20260304"} <= stored
    assert scores == [(n, 1 + (n - 1) * 4 / 6) for n in range(1, 8)]
    assert "example.com" not in raw and "Email" not in raw


@pytest.mark.parametrize(
    ("label", "above", "delimiter"),
    [
        ("a title cell above a semicolon file", "Incident review survey\r\n", ";"),
        ("a blank first line above a semicolon file", "\r\n", ";"),
        ("a title cell and a blank line above a tab file", "Weekly review\r\n\r\n", "\t"),
        ("a title cell above a comma file", "Incident review survey\r\n", ","),
    ],
)
def test_the_delimiter_is_the_header_line_s_not_the_title_s(tmp_path: Path, settings: Settings, label: str,
                                                               above: str, delimiter: str):
    """The delimiter is sniffed on the first line that holds one: a lone title cell holds none."""
    rows = [["Timestamp", "Series", S1, FB]]
    rows += [[f"5/{day}/2026 10:00", "A", "Agree", "good, thanks"] for day in range(1, 9)] + [["5/9/2026 10:00", "A", "maybe", ""]]
    body = io.StringIO()
    csv.writer(body, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    source = tmp_path / "survey.csv"
    source.write_text(above + body.getvalue(), encoding="utf-8")
    fast, python = load_both_ways(tmp_path, settings, [source])
    assert not isinstance(python, str), python
    # DuckDB reads rows as wide as the header: a one-cell line above it, or a blank one (no plan), leaves
    # the file to Python.
    found = plan(source)
    if found is None:
        assert above.strip() == ""
    else:
        assert found.delimiter == delimiter
        assert fast.fast_path_declined == {str(source): "a first line narrower than the header"}
    assert (python.responses_added, python.rejects_added) == (8, 1)
    assert db_contents(tmp_path / "python.duckdb")["responses"][0][4] == "good, thanks"


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be"])
def test_utf32_is_refused_by_name(tmp_path: Path, settings: Settings, encoding: str):
    """UTF-32 LE's byte-order mark begins with UTF-16 LE's: it was read as UTF-16 and refused as having
    no statement columns."""
    text = f"Timestamp,{S1},{FB}\r\n5/1/2026 10:00,Agree,fine\r\n"
    source = tmp_path / "survey.csv"
    source.write_bytes(text.encode(encoding) if encoding == "utf-32" else codecs.BOM_UTF32_BE + text.encode(encoding))
    fast, _python = load_both_ways(tmp_path, settings, [source])
    assert isinstance(fast, str) and "UTF-32 text, which is not read: save it as UTF-8 CSV" in fast, fast
