"""The loader and CLI against real DuckDB files: views, idempotency, atomicity, rejects, anonymity."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from core.run_log import failed_runs
from core.settings import Settings

S = Settings()
GOOD_USE, RIGHT_THINGS, SAFE, LEARNED = S.statement_texts
LABELS = {"strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3, "neutral": 3,
          "agree": 4, "strongly agree": 5}


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def query(db_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


HEADER = ["Timestamp", "User", GOOD_USE, RIGHT_THINGS, SAFE, LEARNED, "How could we improve?"]


def survey_rows(n: int, start: datetime = datetime(2026, 3, 4, 16, 0)) -> list[list[object]]:
    return [
        [(start + timedelta(minutes=i)).isoformat(sep=" "), f"U0{i:08d}", 1 + i % 5, 1 + (i + 1) % 5, 1 + (i + 2) % 5,
         1 + (i + 3) % 5, f"comment {i}" if i % 2 else ""]
        for i in range(n)
    ]


# --- the four views against values computed independently from the demo's source rows ----


def _independent_demo_figures(sources: Path) -> dict:
    meetings: dict[date, int] = {}
    with open(sources / "attendance.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            meetings[date.fromisoformat(row["Date"])] = int(row["Attendees"])
    responses = []
    with open(sources / "survey_responses.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                submitted = datetime.strptime(row["Timestamp"], "%m/%d/%Y %H:%M:%S")
            except ValueError:
                continue  # the demo's deliberately bad time
            answers = {s: row[s].strip().lower() for s in S.statement_texts}
            if any(v and v not in LABELS for v in answers.values()):
                continue  # the demo's deliberately bad answer
            day = submitted.date()
            held = [m for m in meetings if day - timedelta(days=7) <= m <= day]
            review_day = max(held) if held else day
            week = review_day - timedelta(days=review_day.weekday())
            responses.append((week, {s: LABELS[v] for s, v in answers.items() if v}, row["How could we improve?"]))
    per_statement: dict[tuple, list[int]] = defaultdict(list)
    per_week: dict[date, list[int]] = defaultdict(list)
    count_per_week: dict[date, int] = defaultdict(int)
    feedback_per_week: dict[date, int] = defaultdict(int)
    for week, answers, feedback in responses:
        count_per_week[week] += 1
        feedback_per_week[week] += bool(feedback.strip())
        for statement, score in answers.items():
            per_statement[(week, statement)].append(score)
            per_week[week].append(score)
    attendance_per_week = defaultdict(int)
    for day, attendees in meetings.items():
        attendance_per_week[day - timedelta(days=day.weekday())] += attendees
    return {
        "statement": {k: (len(v), sum(v) / len(v), sum(s >= 4 for s in v) / len(v)) for k, v in per_statement.items()},
        "weekly": {w: (count_per_week[w], sum(v) / len(v)) for w, v in per_week.items()},
        "attendance": dict(attendance_per_week),
        "feedback": dict(feedback_per_week),
        "responses": len(responses),
    }


def test_views_match_figures_computed_from_the_source_rows(demo_db: Path, demo_sources: Path) -> None:
    expected = _independent_demo_figures(demo_sources)
    statement_rows = query(demo_db, "SELECT week_start, statement, answers, mean_score, agree_share FROM weekly_statement_scores")
    assert {(w, s): (n, pytest.approx(m), pytest.approx(a)) for w, s, n, m, a in statement_rows} == expected["statement"]
    weekly = query(demo_db, "SELECT week_start, responses, mean_score FROM weekly_scores")
    assert {w: (n, pytest.approx(m)) for w, n, m in weekly} == expected["weekly"]
    assert dict(query(demo_db, "SELECT week_start, attendees FROM weekly_attendance")) == expected["attendance"]
    feedback = query(demo_db, "SELECT week_start, count(*) FROM feedback GROUP BY 1")
    assert dict(feedback) == {w: n for w, n in expected["feedback"].items() if n}
    assert query(demo_db, "SELECT count(*) FROM responses")[0][0] == expected["responses"]
    # The demo's shape: 26 weekly reviews, two busy weeks under the minimum group size.
    assert len(expected["attendance"]) == 26
    assert sorted(n for n, _ in expected["weekly"].values())[:2] == [3, 3]


def test_views_have_the_documented_columns(demo_db: Path) -> None:
    columns = {
        view: [r[0] for r in query(demo_db, f"SELECT column_name FROM information_schema.columns WHERE table_name = '{view}' ORDER BY ordinal_position")]
        for view in ("weekly_statement_scores", "weekly_scores", "weekly_attendance", "feedback")
    }
    assert columns == {
        "weekly_statement_scores": ["week_start", "statement", "answers", "mean_score", "agree_share", "series"],
        "weekly_scores": ["week_start", "responses", "mean_score", "series"],
        "weekly_attendance": ["week_start", "attendees", "series"],
        "feedback": ["week_start", "text", "series", "sentiment", "sentiment_score", "themes"],
    }


def test_response_without_a_recent_review_belongs_to_its_own_week(tmp_path: Path, db_path: Path) -> None:
    surveys = write_csv(tmp_path / "s.csv", [HEADER[:3], ["2026-03-05 09:00", "u", "4"], ["2026-03-20 09:00", "u", "5"]])
    # Review on Wed 4 March: the 5 March answer belongs to it; 20 March is 16 days later, so its own week.
    attendance = write_csv(tmp_path / "a.csv", [["Date", "Attendees"], ["2026-03-04", "10"]])
    assert main(["ingest", "--db", str(db_path), "--surveys", str(surveys), "--attendance", str(attendance)]) == 0
    assert query(db_path, "SELECT week_start, responses FROM weekly_scores ORDER BY 1") == [
        (date(2026, 3, 2), 1), (date(2026, 3, 16), 1)]


def test_a_sunday_answer_to_a_friday_review_counts_in_the_review_week(tmp_path: Path, db_path: Path) -> None:
    surveys = write_csv(tmp_path / "s.csv", [HEADER[:3], ["2026-03-08 20:00", "u", "4"]])  # Sunday
    attendance = write_csv(tmp_path / "a.csv", [["Date", "Attendees"], ["2026-03-06", "10"]])  # Friday
    main(["ingest", "--db", str(db_path), "--surveys", str(surveys), "--attendance", str(attendance)])
    assert query(db_path, "SELECT week_start FROM weekly_scores") == [(date(2026, 3, 2),)]


# --- idempotency ----------------------------------------------------------------------------


def test_same_export_twice_and_a_superset_store_nothing_twice(tmp_path: Path, db_path: Path, capsys) -> None:
    rows = survey_rows(12)
    first = write_csv(tmp_path / "first.csv", [HEADER, *rows[:8]])
    superset = write_csv(tmp_path / "superset.csv", [HEADER, *rows])
    assert main(["ingest", "--db", str(db_path), "--surveys", str(first)]) == 0
    assert main(["ingest", "--db", str(db_path), "--surveys", str(first)]) == 0
    out = capsys.readouterr().out
    assert "responses added:     0" in out and "already present:     8" in out
    assert main(["ingest", "--db", str(db_path), "--surveys", str(superset)]) == 0
    assert "responses added:     4" in capsys.readouterr().out
    assert query(db_path, "SELECT count(*) FROM responses")[0][0] == 12
    assert query(db_path, "SELECT count(*) FROM answers")[0][0] == 48
    assert query(db_path, "SELECT count(*) FROM feedback")[0][0] == 6  # odd rows carry a comment
    assert query(db_path, "SELECT count(*) FROM ingest_runs")[0][0] == 3


def test_identical_rows_inside_one_export_stay_two_responses(tmp_path: Path, db_path: Path) -> None:
    row = ["2026-03-04 16:00", "", "4", "4", "5", "3", "same"]
    export = write_csv(tmp_path / "dup.csv", [HEADER, row, row, row])
    main(["ingest", "--db", str(db_path), "--surveys", str(export)])
    main(["ingest", "--db", str(db_path), "--surveys", str(export)])
    assert query(db_path, "SELECT count(*) FROM responses")[0][0] == 3
    grown = write_csv(tmp_path / "dup2.csv", [HEADER, row, row, row, row])
    main(["ingest", "--db", str(db_path), "--surveys", str(grown)])
    assert query(db_path, "SELECT count(*) FROM responses")[0][0] == 4


def test_the_same_file_twice_in_one_run(tmp_path: Path, db_path: Path) -> None:
    export = write_csv(tmp_path / "s.csv", [HEADER, *survey_rows(5)])
    assert main(["ingest", "--db", str(db_path), "--surveys", str(export), str(export)]) == 0
    assert query(db_path, "SELECT count(*) FROM responses")[0][0] == 5


def test_attendance_is_replaced_by_the_latest_load(tmp_path: Path, db_path: Path) -> None:
    first = write_csv(tmp_path / "a1.csv", [["Date", "Attendees"], ["2026-03-04", "10"], ["2026-03-11", "12"]])
    second = write_csv(tmp_path / "a2.csv", [["Date", "Attendees"], ["2026-03-11", "15"]])
    main(["ingest", "--db", str(db_path), "--attendance", str(first)])
    main(["ingest", "--db", str(db_path), "--attendance", str(second)])
    assert query(db_path, "SELECT week_start, attendees FROM weekly_attendance ORDER BY 1") == [
        (date(2026, 3, 2), 10), (date(2026, 3, 9), 15)]


# --- failures change nothing; rejects are kept -------------------------------------------------


def test_a_bad_file_fails_the_run_and_changes_nothing(tmp_path: Path, db_path: Path, capsys) -> None:
    good = write_csv(tmp_path / "good.csv", [HEADER, *survey_rows(3)])
    main(["ingest", "--db", str(db_path), "--surveys", str(good)])
    before = digest(db_path)
    newer = write_csv(tmp_path / "newer.csv", [HEADER, *survey_rows(3, datetime(2026, 3, 11, 16))])
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    capsys.readouterr()
    assert main(["ingest", "--db", str(db_path), "--surveys", str(newer), str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "broken.csv" in err and "binary" in err
    assert digest(db_path) == before
    assert not list(tmp_path.glob("*.next-*"))  # no staging file left behind
    logged = failed_runs(db_path)
    assert len(logged) == 1 and "broken.csv" in logged.iloc[0]["message"]


def test_a_failed_first_run_creates_no_database(tmp_path: Path, db_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["ingest", "--db", str(db_path), "--surveys", str(missing)]) == 2
    assert not db_path.exists()


def test_rejects_are_stored_with_file_line_reason_and_raw_row(tmp_path: Path, db_path: Path, capsys) -> None:
    export = write_csv(tmp_path / "mixed.csv", [
        HEADER,
        ["2026-03-04 16:00", "U024BE7LH", "4", "4", "4", "4", ""],
        ["2026-03-04 16:01", "W012A3CDE", "9", "4", "4", "4", ""],
        ["someday", "U0ABCDEFGH", "4", "4", "4", "4", "late"],
    ])
    assert main(["ingest", "--db", str(db_path), "--surveys", str(export)]) == 0
    assert "rejected rows:       2 (2 new" in capsys.readouterr().out
    rejects = query(db_path, "SELECT source_file, line, reason, raw FROM rejects ORDER BY line")
    assert [(Path(f).name, line) for f, line, _, _ in rejects] == [("mixed.csv", 3), ("mixed.csv", 4)]
    assert "a number, but not a whole number from 1 to 5" in rejects[0][2]
    assert rejects[1][2].startswith("bad time")
    assert json.loads(rejects[1][3]) == {"Timestamp": "someday", GOOD_USE: "4", RIGHT_THINGS: "4", SAFE: "4",
                                         LEARNED: "4", "How could we improve?": "late"}
    # Loading again adds no reject twice.
    main(["ingest", "--db", str(db_path), "--surveys", str(export)])
    assert query(db_path, "SELECT count(*) FROM rejects")[0][0] == 2


def test_strict_turns_any_reject_into_a_failed_run(tmp_path: Path, db_path: Path, capsys) -> None:
    export = write_csv(tmp_path / "s.csv", [HEADER, ["2026-03-04 16:00", "", "4", "4", "4", "7", ""]])
    assert main(["ingest", "--db", str(db_path), "--surveys", str(export), "--strict"]) == 2
    assert "--strict: 1 row rejected" in capsys.readouterr().err
    assert not db_path.exists()


# --- anonymity -----------------------------------------------------------------------------------


def test_no_value_from_an_identity_column_is_stored_anywhere(tmp_path: Path, db_path: Path) -> None:
    identities = ["U024BE7LH", "ana.souza@example.com", "Ben Okafor", "W012A3CDE"]
    export = write_csv(tmp_path / "s.csv", [
        ["Timestamp", "Submitted by", "Email", "Slack user", GOOD_USE, "How could we improve?"],
        ["2026-03-04 16:00", "Ana Souza", identities[1], identities[0], "4", "ok"],
        ["2026-03-04 16:01", identities[2], "ben@example.com", identities[3], "99", "bad answer row"],
    ])
    attendance = write_csv(tmp_path / "a.csv", [["Date", "Attendee"], ["2026-03-04", "Ben Okafor"], ["2026-03-04", "Ana Souza"]])
    assert main(["ingest", "--db", str(db_path), "--surveys", str(export), "--attendance", str(attendance)]) == 0
    with duckdb.connect(str(db_path), read_only=True) as con:
        relations = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        dump = "\n".join(str(row) for name in relations for row in con.execute(f'SELECT * FROM "{name}"').fetchall())
    for value in [*identities, "Ana Souza", "ben@example.com", "Okafor", "Souza"]:
        assert value not in dump
    assert query(db_path, "SELECT attendees FROM meetings") == [(2,)]


# --- CLI surface ------------------------------------------------------------------------------


def test_help_explains_every_option(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    text = capsys.readouterr().out
    for option in ("--db", "--surveys", "--attendance", "--surveys-sheet", "--attendance-sheet", "--worksheet",
                   "--series", "--strict"):
        assert option in text


def test_nothing_to_ingest_is_one_clear_line(db_path: Path, capsys) -> None:
    assert main(["ingest", "--db", str(db_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: nothing to ingest: give --surveys, --attendance, --polls, --actions, --calendar or a "
        "--surveys-sheet, --attendance-sheet, --polls-sheet or --actions-sheet")


def test_series_option_and_column(tmp_path: Path, db_path: Path) -> None:
    export = write_csv(tmp_path / "s.csv", [["Timestamp", "Series", GOOD_USE],
                                             ["2026-03-04 16:00", "Platform review", "4"], ["2026-03-04 16:01", "", "5"]])
    main(["ingest", "--db", str(db_path), "--surveys", str(export), "--series", "Payments review"])
    assert query(db_path, "SELECT series, count(*) FROM responses GROUP BY 1 ORDER BY 1") == [
        ("Payments review", 1), ("Platform review", 1)]


def test_demo_command_builds_the_demo_once(tmp_path: Path, capsys) -> None:
    db = tmp_path / "demo.duckdb"
    assert main(["demo", "--db", str(db), "--if-missing"]) == 0
    before = digest(db)
    assert main(["demo", "--db", str(db), "--if-missing"]) == 0
    assert "not rebuilt" in capsys.readouterr().out
    assert digest(db) == before
    assert query(db, "SELECT count(DISTINCT week_start) FROM weekly_attendance")[0][0] == 26
