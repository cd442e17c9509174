"""The cell counts the loader stores at publish time (core.cell_counts, issue #23).

The pages read the responses and answers of each review week of each series from two small tables
written in the load's transaction instead of counting 1.2 million answers per query. These tests
recount those tables from the raw rows in plain Python, check that every figure read through them
equals the figure counted from the raw tables (a file from before they existed), and that counts not
made from the file's current rows are never used.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from core.agreement import answer_label, is_agree
from core.quarters import ALL_TIME_PERIOD, parse_period
from core.settings import Settings
from review_pulse.feedback_summary import FeedbackData
from review_pulse.queries import counting_connection, on_stored_counts
from review_pulse.view import DataView
from tests.db_variants import assert_same_figures, without_tables
from pipeline.cli import main
from tests.test_anonymity import ingest, response, write_csv_rows, write_survey

STORED = ("cell_counts", "cell_score_counts", "cell_statement_sums", "cell_late_responses", "cell_counts_state",
          "cell_counts_rule")
LATE_FEEDBACK = "late secret"


def late_db(folder: Path) -> Path:
    """Two loads: five responses in a week, then the same export with one more after the week closed (late)."""
    rows = [response(f"2026-03-04 16:0{i}", (4, 4, 5, i + 1), feedback=f"on time {i}") for i in range(5)]
    rows += [response(f"2026-03-11 16:0{i}", (3, 5, 4, 4)) for i in range(6)]
    survey, db = folder / "s.csv", folder / "late.duckdb"
    write_survey(survey, rows, series=False)
    ingest(db, survey)
    write_survey(survey, [*rows, response("2026-03-04 18:00", (1, 1, 1, 1), feedback=LATE_FEEDBACK)], series=False)
    ingest(db, survey)
    return db


def moved_db(folder: Path) -> Path:
    """A corrected review date moves two responses of an open week into the week before, closed since this
    Monday (tests/test_anonymity.py): late there, with their comments."""
    today = datetime.now(timezone.utc).date()
    open_week = today - timedelta(days=today.weekday() + 7)
    closed_week = open_week - timedelta(days=7)
    rows = [response(f"{closed_week} 15:0{i}", (4, 4, 5, i + 1), feedback=f"on time {i}") for i in range(5)]
    rows += [response(f"{open_week + timedelta(days=1)} 10:0{i}", (1, 1, 2, 1), feedback=LATE_FEEDBACK) for i in range(2)]
    survey, attendance, db = folder / "s.csv", folder / "a.csv", folder / "moved.duckdb"
    write_survey(survey, rows, series=False)
    write_csv_rows(attendance, [["Date", "Attendees"], [str(closed_week), "12"]])
    assert main(["ingest", "--db", str(db), "--surveys", str(survey), "--attendance", str(attendance)]) == 0
    write_csv_rows(attendance, [["Date", "Attendees"], [str(closed_week + timedelta(days=1)), "12"]])
    assert main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    return db


def demo_copy(folder: Path, demo_db: Path) -> Path:
    db = folder / "demo.duckdb"
    shutil.copy(demo_db, db)
    return db


DATABASES = {"demo": demo_copy, "late response": lambda folder, _demo: late_db(folder),
             "moved late": lambda folder, _demo: moved_db(folder)}
LATE_KEYS = {"late.duckdb": 1, "moved.duckdb": 2}  # responses each database holds late


@pytest.fixture(params=sorted(DATABASES))
def db(request: pytest.FixtureRequest, tmp_path: Path, demo_db: Path) -> Path:
    return DATABASES[request.param](tmp_path, demo_db)


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def recount(db: Path) -> tuple[Counter, Counter]:
    """Cells and score counts from the raw rows: every response in its stored week, except the one
    the test loaded late (known from its feedback)."""
    late = {key for key, feedback in rows(db, "SELECT response_key, feedback FROM responses") if feedback == LATE_FEEDBACK}
    week_of = {key: (week, series) for key, week, series in rows(db, "SELECT response_key, week_start, series FROM response_weeks")
               if key not in late}
    cells = Counter(week_of.values())
    scores: Counter = Counter()
    for key, statement, score, raw, scale in rows(db, "SELECT response_key, statement, score, raw_score, scale_max FROM answers"):
        if key in week_of:
            scores[(*week_of[key], statement, score, is_agree(raw, scale), answer_label(raw, scale))] += 1
    return cells, scores


def test_the_stored_counts_are_the_raw_rows_recounted(db: Path) -> None:
    cells, scores = recount(db)
    stored_cells = {(w, s): n for w, s, n in rows(db, "SELECT week_start, series, responses FROM cell_counts")}
    stored_scores = {tuple(r[:6]): r[6] for r in rows(
        db, "SELECT week_start, series, statement, score, agree, label, answers FROM cell_score_counts")}
    assert stored_cells == {cell: n for cell, n in cells.items()}
    assert stored_scores == dict(scores)
    # Per cell and statement: its answers, their score sum and how many agree, added up here from the recount.
    sums: dict[tuple, list] = {}
    for (week, series, statement, score, agree, _label), n in scores.items():
        total = sums.setdefault((week, series, statement), [0, 0.0, 0])
        total[0] += n
        total[1] += score * n
        total[2] += n if agree else 0
    stored_sums = {tuple(r[:3]): list(r[3:]) for r in rows(
        db, "SELECT week_start, series, statement, answers, score_sum, agree_answers FROM cell_statement_sums")}
    assert stored_sums.keys() == sums.keys() and len(sums) > 0
    for key, (answers, score_sum, agree_answers) in sums.items():
        assert stored_sums[key] == [answers, pytest.approx(score_sum, rel=1e-12), agree_answers], key
    late = {key for key, feedback in rows(db, "SELECT response_key, feedback FROM responses") if feedback == LATE_FEEDBACK}
    stored_late = {key for (key,) in rows(db, "SELECT response_key FROM cell_late_responses")}
    assert stored_late == late and len(late) == LATE_KEYS.get(db.name, 0)
    assert sum(stored_cells.values()) == len(rows(db, "SELECT 1 FROM responses")) - LATE_KEYS.get(db.name, 0)


def figures(db: Path, today: date = date(2026, 12, 6)) -> dict[str, object]:
    """Every figure the Overview, Attendance, Survey agreement, Series and Feedback pages read, for three selections."""
    found: dict[str, object] = {}
    series = rows(db, "SELECT min(series) FROM responses")[0][0]
    quarter = parse_period(f"{rows(db, 'SELECT max(week_start) FROM response_weeks')[0][0]:%Y}-Q1")
    for name, period, one in (("all", ALL_TIME_PERIOD, None), ("quarter", quarter, None), ("series", quarter, series)):
        v = DataView(db, period, one, Settings())
        for method in ("weekly_scores", "weekly_statement_scores", "statement_scores", "answer_distribution",
                       "weekly_attendance", "late_responses", "review_health", "headline", "feedback_count",
                       "series_options", "periods"):
            found[f"{name}.{method}"] = getattr(v, method)()
        comparison = v.series_comparison(today)
        found[f"{name}.series_rows"], found[f"{name}.series_weekly"] = comparison.rows, comparison.weekly
        found[f"{name}.feedback"] = v.feedback()
        said = FeedbackData(v)  # the Feedback page's reads: they skip the late responses too
        for method in ("comments", "totals", "weekly_theme_counts", "quotes"):
            found[f"{name}.feedback_{method}"] = getattr(said, method)()
        found[f"{name}.feedback_count_searched"] = said.count(search="on time")
    return found


def without_stored_counts(db: Path, copy: Path) -> Path:
    """The file as a version from before the stored counts wrote it."""
    return without_tables(db, copy, STORED)


def test_every_figure_read_through_the_stored_counts_equals_the_raw_count(db: Path, tmp_path: Path) -> None:
    older = without_stored_counts(db, tmp_path / "older.duckdb")
    assert_same_figures(figures(db), figures(older))


def test_counts_not_made_from_the_current_rows_are_not_used(db: Path, tmp_path: Path) -> None:
    """A writer that changed the counted tables without refreshing the counts (none of ours does):
    the figures are counted from the raw tables, as for a file without counts."""
    with duckdb.connect(str(db)) as con:
        key = con.execute("SELECT response_key FROM responses ORDER BY response_key LIMIT 1").fetchall()[0][0]
        con.execute("DELETE FROM answers WHERE response_key = ?", [key])
        con.execute("DELETE FROM response_weeks WHERE response_key = ?", [key])
        con.execute("DELETE FROM responses WHERE response_key = ?", [key])
    older = without_stored_counts(db, tmp_path / "older.duckdb")
    assert_same_figures(figures(db), figures(older))


def test_a_file_from_before_the_counts_opens_and_its_next_load_stores_them(tmp_path: Path) -> None:
    db = late_db(tmp_path)
    older = without_stored_counts(db, tmp_path / "older.duckdb")
    v = DataView(older, parse_period("2026-Q1"), None, Settings())
    assert v.weekly_scores()["responses"].tolist() == [5, 6]  # the late response counts nowhere, as before
    survey = tmp_path / "more.csv"
    write_survey(survey, [response(f"2026-03-18 16:0{i}", (2, 2, 2, 2)) for i in range(5)], series=False)
    ingest(older, survey)
    assert {name for (name,) in rows(older, "SELECT table_name FROM information_schema.tables")} >= set(STORED)
    assert v.weekly_scores()["responses"].tolist() == [5, 6, 5]
    assert_same_figures(figures(older), figures(without_stored_counts(older, tmp_path / "oldest.duckdb")))
    cells, scores = recount(older)
    assert dict(cells) == {(w, s): n for w, s, n in rows(older, "SELECT week_start, series, responses FROM cell_counts")}


def test_counts_made_by_another_rule_are_not_used(db: Path, tmp_path: Path) -> None:
    """The stored counts carry the fingerprint of the rule that made them: after a change to the rule
    a file is counted from the raw tables until its next load (here the counts are also made wrong, so
    using them would show)."""
    raw = figures(without_stored_counts(db, tmp_path / "older.duckdb"))
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE cell_counts SET responses = responses + 100")  # what a different rule might count
    # With the current fingerprint the (wrong) stored counts are read: the figures differ.
    with pytest.raises(AssertionError):
        assert_same_figures(figures(db), raw)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE cell_counts_rule SET fingerprint = 'an older rule'")
    assert_same_figures(figures(db), raw)


def test_the_feedback_reads_skip_the_late_response_through_the_stored_counts(tmp_path: Path) -> None:
    db = late_db(tmp_path)
    with counting_connection(db) as (_con, form):
        assert form is on_stored_counts  # the stored late responses are what is read
    said = FeedbackData(DataView(db, parse_period("2026-Q1"), None, Settings()))
    assert sorted(said.comments()["text"]) == [f"on time {i}" for i in range(5)]
    assert said.totals() == (5, 0)
    assert said.count(search="secret") == 0


def test_comments_an_attendance_change_made_late_never_show(tmp_path: Path) -> None:
    """Two comments moved by a corrected meeting date into a closed week: late there, so no feedback read
    shows or counts them (their week shows its five on-time comments), stored form and raw alike."""
    db = moved_db(tmp_path)
    older = without_stored_counts(db, tmp_path / "older.duckdb")
    for file in (db, older):
        said = FeedbackData(DataView(file, ALL_TIME_PERIOD, None, Settings()))
        assert sorted(said.comments()["text"]) == [f"on time {i}" for i in range(5)]
        assert said.totals() == (5, 0) and said.count(search="secret") == 0
        assert LATE_FEEDBACK not in set(DataView(file, ALL_TIME_PERIOD, None, Settings()).feedback()["text"])
