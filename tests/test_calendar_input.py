"""The calendar input (issue 25): known busy weeks loaded as data with `ingest --calendar`.

Parsing good and bad files (rows kept, rows rejected with their reasons), whole-file errors as one
CLI line with the DB unchanged, a reload replacing the series' calendar, the settings over the
loaded calendar, and the demo's Overview warning, whose figures are recounted here from the rows.
Expected values are written out or recounted in plain Python/SQL, never by the code under test."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core.quarters import ALL_TIME_PERIOD
from core.settings import Settings, load_settings
from pipeline.cli import EXIT_FAILED
from pipeline.cli import main as pipeline_main
from pipeline.demo import remove_demo
from pipeline.parse.calendar import parse_calendar
from pipeline.sources.files import read_table
from review_pulse.attendance_risk import known_busy_weeks
from review_pulse.view import DataView
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401  (fixture)

APP = str(Path(__file__).resolve().parent.parent / "app.py")
IR = Settings().default_series  # rows without a series


def write_calendar(path: Path, text_or_rows: str | list[list[object]]) -> Path:
    if isinstance(text_or_rows, str):
        path.write_text(text_or_rows, encoding="utf-8")
    else:  # an .xlsx workbook, as a team's calendar sheet downloads
        from openpyxl import Workbook

        book = Workbook()
        for row in text_or_rows:
            book.active.append(row)
        book.save(path)
    return path


def stored(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def calendar_rows(db: Path) -> list[tuple]:
    return stored(db, "SELECT series, week_start, kind FROM busy_weeks ORDER BY series, week_start")


# --- parsing: (name, file, weeks kept as (series, Monday, kind), rejects as (line, words in the reason)) ---

PARSING = [
    ("dates anywhere in the week name its Monday; kinds case-folded", "calendar.csv",
     "Date,Kind\n2026-03-11,Launch\n2026-12-23,  Company   Holiday \n",
     [(IR, date(2026, 3, 9), "launch"), (IR, date(2026, 12, 21), "company holiday")], []),
    ("Week / Type / Series headers", "calendar.csv",
     "Week,Type,Series\n2026-03-09,planning,Payments\n2026-03-09,launch,Platform\n2026-03-16,launch,\n",
     [(IR, date(2026, 3, 16), "launch"), ("Payments", date(2026, 3, 9), "planning"),
      ("Platform", date(2026, 3, 9), "launch")], []),
    ("an Event header, and a title row above the header", "calendar.csv",
     "Team calendar 2026,\nWeek of,Event\n2026-04-06,Holiday\n",
     [(IR, date(2026, 4, 6), "holiday")], []),
    ("two days of one launch week are one busy week", "calendar.csv",
     "Date,Kind\n2026-03-09,launch\n2026-03-13,LAUNCH\n",
     [(IR, date(2026, 3, 9), "launch")], []),
    ("two kinds in one week: both rows refused, the fix named", "calendar.csv",
     "Date,Kind\n2026-03-09,launch\n2026-03-12,holiday\n2026-03-18,planning\n",
     [(IR, date(2026, 3, 16), "planning")],
     [(2, "the week of 2026-03-09 has two kinds: 'launch' (line 2), 'holiday' (line 3); keep one kind per week"),
      (3, "the week of 2026-03-09 has two kinds: 'launch' (line 2), 'holiday' (line 3); keep one kind per week")]),
    ("bad date, no kind, a kind over 40 characters, a typo of a year", "calendar.csv",
     "Date,Kind\nnext spring,launch\n2026-03-09,\n2026-03-16," + "x" * 41 + "\n2026-03-23,planning\n"
     "2062-03-23,launch\n",
     [(IR, date(2026, 3, 23), "planning")],
     [(2, "bad date"), (3, "no kind"), (4, "kind longer than 40 characters"), (6, "bad date: more than 3 years ahead")]),
    ("planned weeks a year ahead are what a calendar is for", "calendar.csv",
     "Date,Kind\n2027-12-22,holiday\n", [(IR, date(2027, 12, 20), "holiday")], []),
    ("an .xlsx with real date cells", "calendar.xlsx",
     [["Date", "Kind", "Series"], [datetime(2026, 8, 12), "Launch", "Payments"], [datetime(2026, 9, 30), "launch", None]],
     [(IR, date(2026, 9, 28), "launch"), ("Payments", date(2026, 8, 10), "launch")], []),
]


@pytest.mark.parametrize("name, file_name, content, weeks, rejects", PARSING, ids=[c[0] for c in PARSING])
def test_parsing(tmp_path: Path, name: str, file_name: str, content, weeks: list[tuple], rejects: list[tuple]) -> None:
    parsed = parse_calendar(read_table(write_calendar(tmp_path / file_name, content)), Settings())
    assert sorted((w.series, w.week_start, w.kind) for w in parsed.weeks) == sorted(weeks)
    assert [r.line for r in parsed.rejects] == [line for line, _words in rejects]
    for reject, (_line, words) in zip(parsed.rejects, rejects):
        assert words in reject.reason


def test_the_series_option_names_rows_without_a_series(tmp_path: Path) -> None:
    path = write_calendar(tmp_path / "c.csv", "Date,Kind\n2026-03-11,launch\n")
    parsed = parse_calendar(read_table(path), Settings(), series="Payments")
    assert [(w.series, w.week_start, w.kind) for w in parsed.weeks] == [("Payments", date(2026, 3, 9), "launch")]


# --- whole-file errors: one line, exit 2, the DB as it was ----------------------------------

FILE_ERRORS = [
    ("no kind column", "Date,Note\n2026-03-09,launch\n", "no kind column for the busy weeks"),
    ("no date column", "Kind\nlaunch\n", "no date column for the busy weeks"),
    ("no usable row", "Date,Kind\nsoon,launch\nlater,holiday\n",
     "no usable busy week; 2 rows rejected, most often (2x): bad date: text that is not a date or time"),
    ("a header and nothing else", "Date,Kind\n", "no busy week in it"),
]


@pytest.mark.parametrize("name, content, message", FILE_ERRORS, ids=[c[0] for c in FILE_ERRORS])
def test_a_file_without_a_usable_row_is_one_line_and_changes_nothing(tmp_path: Path, db_path: Path, capsys,
                                                                     name: str, content: str, message: str) -> None:
    good = write_calendar(tmp_path / "good.csv", "Date,Kind\n2026-03-09,launch\n")
    assert pipeline_main(["ingest", "--db", str(db_path), "--calendar", str(good)]) == 0
    before = calendar_rows(db_path), stored(db_path, "SELECT count(*) FROM ingest_runs")
    capsys.readouterr()
    bad = write_calendar(tmp_path / "bad.csv", content)
    assert pipeline_main(["ingest", "--db", str(db_path), "--calendar", str(bad)]) == EXIT_FAILED
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and str(bad) in err and "Traceback" not in err
    assert (calendar_rows(db_path), stored(db_path, "SELECT count(*) FROM ingest_runs")) == before
    assert before[0] == [(IR, date(2026, 3, 9), "launch")]


# --- loading: the run summary, rejects, replace on reload, the demo's removal ---------------------


def test_a_load_reports_its_weeks_and_keeps_rejects_with_reasons(tmp_path: Path, db_path: Path, capsys) -> None:
    path = write_calendar(tmp_path / "c.csv", "Date,Kind\n2026-03-09,launch\n2026-03-10,holiday\n2026-03-18,planning\n"
                                              "2026-03-25,\n")
    assert pipeline_main(["ingest", "--db", str(db_path), "--calendar", str(path)]) == 0
    out = capsys.readouterr().out
    assert "busy weeks loaded:   1 " in out and "rejected rows:       3 " in out
    assert calendar_rows(db_path) == [(IR, date(2026, 3, 16), "planning")]
    assert stored(db_path, "SELECT kind, line FROM rejects ORDER BY line") == [("calendar", 2), ("calendar", 3),
                                                                              ("calendar", 5)]


RELOADS = [
    # (first file, second file, stored after both)
    ("a week taken off the file goes; a changed kind is replaced",
     "Date,Kind\n2026-03-09,launch\n2026-03-16,holiday\n", "Date,Kind\n2026-03-09,planning\n",
     [(IR, date(2026, 3, 9), "planning")]),
    ("only the series the file names are replaced",
     "Date,Kind,Series\n2026-03-09,launch,Payments\n2026-03-09,holiday,Platform\n",
     "Date,Kind,Series\n2026-04-06,launch,Payments\n",
     [("Payments", date(2026, 4, 6), "launch"), ("Platform", date(2026, 3, 9), "holiday")]),
    ("the same file twice: the same calendar", "Date,Kind\n2026-03-09,launch\n", "Date,Kind\n2026-03-09,launch\n",
     [(IR, date(2026, 3, 9), "launch")]),
]


@pytest.mark.parametrize("name, first, second, expected", RELOADS, ids=[c[0] for c in RELOADS])
def test_reloading_replaces_the_calendar(tmp_path: Path, db_path: Path, name: str, first: str, second: str,
                                         expected: list[tuple]) -> None:
    for number, content in enumerate((first, second)):
        path = write_calendar(tmp_path / f"calendar{number}.csv", content)
        assert pipeline_main(["ingest", "--db", str(db_path), "--calendar", str(path)]) == 0
    assert calendar_rows(db_path) == expected


def test_demo_remove_takes_its_calendar_too(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    assert len(calendar_rows(db)) == 2
    removed = remove_demo(db)
    assert removed["busy_weeks"] == 2 and calendar_rows(db) == []


def test_a_calendar_sheet_syncs_like_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path,
                                            sheets_api: SheetsApiServer, capsys) -> None:
    """A [[sheets]] entry of kind "calendar": `pipeline sync` reads it with the file's rules (a Sheets serial date)."""
    key = "1RevPulseCalendarSheet00000000000000000000Ef"
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)
    sheets_api.add_sheet(key, {"Calendar": [["Week", "Type"], ["46246", "Launch"], ["2026-12-23", "holiday"]]})
    settings_file = tmp_path / "s.toml"
    settings_file.write_text(f'[[sheets]]\nkind = "calendar"\nkey = "{key}"\n')
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
    assert pipeline_main(["sync", "--db", str(db_path), "--timeout", "5"]) == 0
    assert "busy weeks loaded:   2 " in capsys.readouterr().out
    # Serial 46246 is 12 Aug 2026 (days since 30 Dec 1899): the week of Monday 10 Aug.
    assert date.fromordinal(date(1899, 12, 30).toordinal() + 46246) == date(2026, 8, 12)
    assert calendar_rows(db_path) == [(IR, date(2026, 8, 10), "launch"), (IR, date(2026, 12, 21), "holiday")]


# --- the read side: settings over the loaded calendar -----------------------------------------

SERIES_CALENDARS = ("Date,Kind,Series\n2026-03-09,launch,Payments\n2026-03-16,holiday,Payments\n"
                    "2026-03-09,launch,Platform\n2026-03-16,planning,Platform\n2026-03-23,launch,Platform\n")

READS = [
    # (series, [calendar] busy_weeks in the settings, the calendar the warning reads)
    ("Payments", "", {date(2026, 3, 9): "launch", date(2026, 3, 16): "holiday"}),
    ("Platform", "", {date(2026, 3, 9): "launch", date(2026, 3, 16): "planning", date(2026, 3, 23): "launch"}),
    # All series: weeks the series agree on; 16 Mar (holiday vs planning) is not guessed.
    (None, "", {date(2026, 3, 9): "launch", date(2026, 3, 23): "launch"}),
    # The settings win where both name a week, and add their own weeks.
    ("Payments", '[calendar]\nbusy_weeks = { "2026-03-18" = "offsite", "2026-05-04" = "launch" }',
     {date(2026, 3, 9): "launch", date(2026, 3, 16): "offsite", date(2026, 5, 4): "launch"}),
]


@pytest.mark.parametrize("series, toml, expected", READS)
def test_the_warning_reads_settings_over_the_loaded_calendar(tmp_path: Path, db_path: Path, series: str | None,
                                                             toml: str, expected: dict) -> None:
    attendance = write_calendar(tmp_path / "a.csv", "Date,Series,Attendees\n2026-03-04,Payments,10\n"
                                                    "2026-03-04,Platform,12\n")
    path = write_calendar(tmp_path / "c.csv", SERIES_CALENDARS)
    assert pipeline_main(["ingest", "--db", str(db_path), "--attendance", str(attendance), "--calendar", str(path)]) == 0
    settings_file = tmp_path / "s.toml"
    settings_file.write_text(toml)
    view = DataView(db_path, ALL_TIME_PERIOD, series, load_settings(settings_file))
    assert known_busy_weeks(view) == expected


def test_a_database_written_before_calendars_reads_an_empty_calendar(tmp_path: Path, db_path: Path) -> None:
    attendance = write_calendar(tmp_path / "a.csv", "Date,Attendees\n2026-03-04,10\n")
    assert pipeline_main(["ingest", "--db", str(db_path), "--attendance", str(attendance)]) == 0
    with duckdb.connect(str(db_path)) as con:
        con.execute("DROP TABLE busy_weeks")
    assert known_busy_weeks(DataView(db_path, ALL_TIME_PERIOD, None, Settings())) == {}


# --- the demo's Overview: the warning, recounted from the rows ----------------------------------


def test_the_demo_overview_shows_the_launch_warning(demo_db: Path, monkeypatch: pytest.MonkeyPatch,
                                                    apptest_like_a_server: None) -> None:
    """No settings file: the demo's calendar.csv, loaded like a team's, makes the Overview warn."""
    weekly = stored(demo_db, """SELECT CAST(date_trunc('week', meeting_date) AS DATE), sum(attendees) FROM meetings
                                GROUP BY 1 ORDER BY 1""")
    launches = [week for (week,) in stored(demo_db, "SELECT week_start FROM busy_weeks WHERE kind = 'launch' "
                                                    "ORDER BY week_start")]
    last_meeting = stored(demo_db, "SELECT max(meeting_date) FROM meetings")[0][0]
    weeks, counts = [w for w, _n in weekly], [n for _w, n in weekly]
    next_review = date.fromordinal(last_meeting.toordinal() + 7)
    # The next review's week is a launch week; the one launch before it is the earlier case.
    assert launches[-1] == date.fromordinal(next_review.toordinal() - next_review.weekday())
    earlier = weeks.index(launches[0])
    before = counts[earlier - 4:earlier]
    mean = sum(before) / len(before)
    shortfall = 1 - counts[earlier] / mean
    dipped = counts[earlier] < Settings().busy_week_ratio * mean
    assert dipped and round(shortfall * 100) == 82
    expected = (f"Next review ({next_review.day} {next_review:%b}) is at risk: the last launch week "
                f"({launches[0].day} {launches[0]:%b}) was {shortfall * 100:.0f}% below its 4-week mean "
                "(1 of 1 launch week dipped).")
    assert expected == ("Next review (30 Sep) is at risk: the last launch week (10 Aug) was 82% below its 4-week mean "
                        "(1 of 1 launch week dipped).")

    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    shown = [w.value.replace("\\", "") for w in at.warning if "Next review" in w.value]
    assert shown == [expected]
    assert not any("no sign of a low turnout" in i.value for i in at.info)
