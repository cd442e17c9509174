"""Issue #22 items 7, 10, 16, 17, 18, 20: each rule on both ingestion routes (the DuckDB fast path and
the Python parser; tests/test_csv_fast_path.load_both_ways compares the whole databases)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.settings import SettingsError, Settings, SourceMapping, Statement, load_settings
from pipeline.parse.times import DATE_ORDER_GUESSED_NOTE

from tests.survey_text import FB, S1, S2, S3, S4
from tests.test_csv_fast_path import load_both_ways, write_csv

HEADER = ["Timestamp", "Series", S1, S2, S3, S4, FB]


def _rows(count: int, series=lambda i: "Alpha", time=lambda i: f"2026-03-{1 + i % 28:02d} 16:{i % 60:02d}:00"):
    return [[time(i), series(i), str(1 + i % 5), str(1 + (i + 1) % 5), "4", "3", f"comment {i}"] for i in range(count)]


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


# --- 7: a free-text column cannot become the series ------------------------------------------------

SERIES_CASES = [
    # (label, series cell of row i, rows, max_series_values, refused with)
    ("two series", lambda i: ["Alpha", "Beta"][i % 2], 30, 200, None),
    ("exactly the limit", lambda i: f"Team {i % 4}", 30, 4, None),
    ("one more than the limit", lambda i: f"Team {i % 5}", 30, 4, "5 different values (max_series_values = 4)"),
    ("feedback as series", lambda i: f"The meeting ran over again, number {i}", 250, 200, "250 different values"),
    ("one long value", lambda i: "x" * 81 if i == 7 else "Alpha", 30, 200, "a value of 81 characters"),
    ("80 characters is a name", lambda i: "y" * 80 if i == 7 else "Alpha", 30, 200, None),
]


@pytest.mark.parametrize(("label", "series", "count", "limit", "refusal"), SERIES_CASES, ids=[c[0] for c in SERIES_CASES])
def test_series_column_of_free_text_is_refused(tmp_path: Path, label, series, count: int, limit: int, refusal):
    source = write_csv(tmp_path / "s.csv", [HEADER, *_rows(count, series=series)])
    fast, _python = load_both_ways(tmp_path, Settings(max_series_values=limit), [source])
    if refusal is None:
        assert not isinstance(fast, str), fast
        distinct = len({series(i) for i in range(count)})
        assert _query(tmp_path / "fast.duckdb", "SELECT count(DISTINCT series) FROM responses") == [(distinct,)]
    else:
        assert isinstance(fast, str) and refusal in fast and fast.count("\n") == 0
        assert "ran over" not in fast and "xxxx" not in fast  # counts, never values
        assert not (tmp_path / "fast.duckdb").exists() or not _query(tmp_path / "fast.duckdb", "SELECT * FROM responses")


@pytest.mark.parametrize("layout", ["two exports pasted together", "a title above the header"])
def test_a_refused_series_column_is_reported_under_its_header(tmp_path: Path, layout: str):
    """The header was found, so the refusal is about it: no lower row (a repeated header, the first data
    row) is taken as the header instead, which loaded the second export alone and dropped the first."""
    first = _rows(6, series=lambda i: "s" * 81 if i == 2 else "Alpha")
    if layout == "two exports pasted together":
        rows = [HEADER, *first, HEADER, *_rows(4, time=lambda i: f"2026-04-{1 + i:02d} 16:00:00")]
    else:
        rows = [["Incident review survey, exported 2026-04-01"], HEADER, *first]
    source = write_csv(tmp_path / "s.csv", rows)
    fast, _python = load_both_ways(tmp_path, Settings(), [source])
    assert isinstance(fast, str) and "column 'Series' as the review series holds a value of 81 characters" in fast, fast
    assert not (tmp_path / "fast.duckdb").exists() or not _query(tmp_path / "fast.duckdb", "SELECT * FROM responses")


def test_max_series_values_is_a_strict_setting(tmp_path: Path):
    path = tmp_path / "s.toml"
    for value in ("0", "2.5", '"200"', "true"):
        path.write_text(f"max_series_values = {value}\n")
        with pytest.raises(SettingsError, match="max_series_values"):
            load_settings(path)
    path.write_text("max_series_values = 12\n")
    assert load_settings(path).max_series_values == 12 and Settings().max_series_values == 200


# --- 10: one column, one statement ------------------------------------------------------------------

ONE_COLUMN_CASES = [
    ("an alias shared by two statements",
     Settings(statements=(Statement(S1, ("rating",)), Statement(S2, ("rating",)), Statement(S3), Statement(S4))),
     ["Timestamp", "Rating", S3], "by statement texts or aliases"),
    ("[[sources]] maps one column twice",
     Settings(sources=(SourceMapping(files=("*.csv",), statements=((S1, "Q1"), (S2, "Q1"))),)),
     ["Timestamp", "Q1", S3], "by the declared mapping"),
    ("the series is a statement's column",
     Settings(sources=(SourceMapping(files=("*.csv",), series_column=S3),)),
     ["Timestamp", S1, S3], "cannot be both the series and statement"),
]


@pytest.mark.parametrize(("label", "settings_", "header", "how"), ONE_COLUMN_CASES, ids=[c[0] for c in ONE_COLUMN_CASES])
def test_a_column_mapped_to_two_statements_is_refused(tmp_path: Path, label, settings_: Settings, header, how):
    source = write_csv(tmp_path / "s.csv", [header, ["2026-03-04 16:00", "4", "5"], ["2026-03-04 16:01", "3", "2"]])
    fast, python = load_both_ways(tmp_path, settings_, [source])
    assert isinstance(fast, str) and how in fast and fast.count("\n") == 0
    if "two statements" in fast:
        assert S1 in fast and S2 in fast and repr(header[1]) in fast
    assert not (tmp_path / "fast.duckdb").exists()


# --- 16: "not applicable" answers -------------------------------------------------------------------

SKIP = "I did not attend that session"


@pytest.mark.parametrize("where", ["global", "[[sources]]"])
def test_skip_labels_are_blank_answers(tmp_path: Path, where: str):
    rows = _rows(40)
    for i, row in enumerate(rows):
        if i % 3 == 0:
            row[2] = SKIP if i % 2 else " n/a "
    source = write_csv(tmp_path / "s.csv", [HEADER, *rows])
    labels = (SKIP, "N/A")
    settings_ = (Settings(skip_labels=labels) if where == "global"
                 else Settings(sources=(SourceMapping(files=("s.csv",), skip_labels=labels),)))
    fast, _python = load_both_ways(tmp_path, settings_, [source])
    assert fast.parsed_in_duckdb == [str(source)], fast.fast_path_declined
    skipped = sum(1 for i in range(40) if i % 3 == 0)
    assert (fast.responses_added, fast.rejects_seen) == (40, 0)
    assert _query(tmp_path / "fast.duckdb", f"SELECT count(*) FROM answers WHERE statement = '{S1}'") == [(40 - skipped,)]
    # Without the declaration the same rows are rejects, each with its reason.
    fast, _python = load_both_ways(tmp_path, Settings(), [source])
    assert (fast.responses_added, fast.rejects_seen) == (40 - skipped, skipped)


def test_skip_label_that_is_also_an_answer_label_is_refused(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text('[[sources]]\nfiles = ["*.csv"]\nanswer_labels = { "N/A" = 3 }\nskip_labels = ["n/a"]\n')
    with pytest.raises(SettingsError, match="both an answer label and a skip label"):
        load_settings(path)
    path.write_text('skip_labels = "N/A"\n')
    with pytest.raises(SettingsError, match="skip_labels"):
        load_settings(path)


# --- 17: an ambiguous day/month order decided by default is said, and --strict refuses it ----------

DATE_CASES = [
    # (label, time of row i, date_order, guessed)
    ("all days 12 or less", lambda i: f"{1 + i % 12}/{1 + i % 11}/2026 16:00:00", "auto", True),
    ("a day above 12 settles it", lambda i: f"{1 + i % 12}/{13 if i == 9 else 1 + i % 11}/2026 16:00:00", "auto", False),
    ("date_order set", lambda i: f"{1 + i % 12}/{1 + i % 11}/2026 16:00:00", "MDY", False),
    ("ISO dates", lambda i: f"2026-03-{1 + i % 28:02d} 16:00:00", "auto", False),
]


@pytest.mark.parametrize(("label", "time", "order", "guessed"), DATE_CASES, ids=[c[0] for c in DATE_CASES])
def test_ambiguous_date_order_is_said_and_strict_refuses_it(tmp_path: Path, label, time, order: str, guessed: bool):
    source = write_csv(tmp_path / "s.csv", [HEADER, *_rows(20, time=time)])
    settings_ = Settings(date_order=order)
    fast, _python = load_both_ways(tmp_path, settings_, [source])
    assert fast.parsed_in_duckdb == [str(source)], fast.fast_path_declined
    assert any(DATE_ORDER_GUESSED_NOTE in line for line in fast.lines()) == guessed
    db = tmp_path / "strict.duckdb"
    from pipeline.cli import build_parser, run_ingest
    from core.errors import UserFacingError
    for fast_csv in (True, False):
        db.unlink(missing_ok=True)
        args = build_parser().parse_args(["ingest", "--db", str(db), "--strict", "--surveys", str(source)])
        if guessed:
            with pytest.raises(UserFacingError, match="date_order"):
                run_ingest(args, settings_, db, fast_csv=fast_csv)
            assert not db.exists()
        else:
            assert run_ingest(args, settings_, db, fast_csv=fast_csv).responses_added == 20


@pytest.mark.parametrize(("label", "time", "order", "guessed"), DATE_CASES, ids=[c[0] for c in DATE_CASES])
def test_preview_says_the_date_order_was_decided_by_default(tmp_path: Path, label, time, order: str, guessed: bool):
    from pipeline.preview import inspect_lines, inspect_paths  # the Load data page's and `pipeline inspect`'s preview

    source = write_csv(tmp_path / "s.csv", [HEADER, *_rows(20, time=time)])
    lines = inspect_lines(inspect_paths([source], Settings(date_order=order)))
    assert any(DATE_ORDER_GUESSED_NOTE in line for line in lines) == guessed


# --- 18: Qualtrics preview, test and spam rows ----------------------------------------------------

QUALTRICS_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId"]


def _qualtrics(tmp: Path, statuses: list[str], import_rows: bool) -> Path:
    header = [*QUALTRICS_META, "Q1_1", "Q1_2"]
    rows = [header]
    if import_rows:
        rows.append(["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
                     "Finished", "Recorded Date", "Response ID", f"Rate - {S1}", f"Rate - {S2}"])
        rows.append(['{"ImportId":"startDate"}', '{"ImportId":"endDate"}', '{"ImportId":"status"}', "", "", "", "",
                     '{"ImportId":"recordedDate"}', '{"ImportId":"_recordId"}', '{"ImportId":"QID1_1"}',
                     '{"ImportId":"QID1_2"}'])
    else:
        rows[0] = [*QUALTRICS_META, S1, S2]
    for i, status in enumerate(statuses):
        moment = f"2026-03-04 16:{i:02d}:00"
        rows.append([moment, moment, status, "", "100", "60", "True", moment, f"R_{i:04d}", "Agree", "Strongly agree"])
    return write_csv(tmp / "qualtrics.csv", rows)


STATUS_CASES = [
    ("choice text", ["IP Address", "Survey Preview", "IP Address", "Survey Test", "Spam", "IP Address", "Imported"], 4),
    ("numeric", ["0", "1", "0", "2", "8", "0", "4", "9", "16"], 5),
    # Not codes: a superscript digit and 5,000 digits (int() refuses both) are kept as responses; a full-width
    # or Arabic-Indic 1 is the code 1 (a preview).
    ("odd digits", ["\u00b2", "\u2460", "9" * 5000, "\uff11", "\u0661", "0"], 4),
]


@pytest.mark.parametrize("import_rows", [True, False], ids=["3 header rows", "1 header row"])
@pytest.mark.parametrize(("label", "statuses", "real"), STATUS_CASES, ids=[c[0] for c in STATUS_CASES])
def test_qualtrics_preview_test_and_spam_rows_are_not_counted(tmp_path: Path, label, statuses, real: int,
                                                              import_rows: bool):
    source = _qualtrics(tmp_path, statuses, import_rows)
    fast, _python = load_both_ways(tmp_path, Settings(), [source])
    assert fast.responses_added == real and fast.rejects_seen == 0
    skipped = len(statuses) - real
    assert any(f"{skipped:,} Qualtrics preview, test or spam row{'' if skipped == 1 else 's'} skipped" in line for line in fast.lines())
    assert _query(tmp_path / "fast.duckdb", "SELECT count(*) FROM answers") == [(2 * real,)]


# --- 20: LimeSurvey rows without submitdate -------------------------------------------------------


def test_limesurvey_rows_without_submitdate_are_incomplete_responses(tmp_path: Path):
    header = ["id", "submitdate", "lastpage", "startlanguage", f"Rate [{S1}]"]
    rows = [header, ["1", "2026-03-04 16:00:00", "2", "en", "Agree"], ["2", "", "1", "en", "Agree"],
            ["3", "soon", "2", "en", "Agree"], ["4", "", "1", "en", ""]]
    source = write_csv(tmp_path / "lime.csv", rows)
    fast, _python = load_both_ways(tmp_path, Settings(), [source])
    reasons = _query(tmp_path / "fast.duckdb", "SELECT line, reason FROM rejects ORDER BY line")
    assert [(line, reason.split(" (")[0].split(":")[0]) for line, reason in reasons] == [
        (3, "incomplete response"), (4, "bad time"), (5, "incomplete response")]
    assert fast.responses_added == 1
    # Another tool's blank time stays a bad time.
    other = write_csv(tmp_path / "other.csv", [["Timestamp", S1], ["2026-03-04 16:00", "4"], ["", "4"]])
    fast, _python = load_both_ways(tmp_path, Settings(), [other])
    assert [r for (_l, r) in _query(tmp_path / "fast.duckdb", "SELECT line, reason FROM rejects")] == ["bad time: no time"]


# Settings that would turn real answers into blanks: each refused with the fix.
SKIP_CLASHES = [
    ("answer label at the top level, skip label in a source",
     'answer_labels = { "N/A" = 3 }\n[[sources]]\nfiles = ["*.csv"]\nskip_labels = ["n/a"]\n',
     "sources[0]: 'N/A' is both an answer label and a skip label (one at the top level, one in the source)"),
    ("a number on the scale as a skip label", 'skip_labels = ["3"]\n',
     "skip_labels: '3' is an answer on the 1-5 scale, not a skip; remove it"),
    ("a number on a source's 1-7 scale", '[[sources]]\nfiles = ["*.csv"]\nscale_max = 7\nskip_labels = ["6"]\n',
     "sources[0]: skip_labels: '6' is an answer on the 1-7 scale"),
]


@pytest.mark.parametrize("case, toml, message", SKIP_CLASHES, ids=[case for case, *_ in SKIP_CLASHES])
def test_skip_labels_that_are_answers_are_refused(tmp_path: Path, case: str, toml: str, message: str):
    path = tmp_path / "s.toml"
    path.write_text(toml)
    with pytest.raises(SettingsError) as refused:
        load_settings(path)
    assert message in str(refused.value)


def test_a_number_off_the_scale_may_be_a_skip_label(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text('skip_labels = ["0", "99"]\n')  # "0 = does not apply" on a 1-5 scale
    assert load_settings(path).skip_labels == ("0", "99")
