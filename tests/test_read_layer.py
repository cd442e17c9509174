"""Quarters, the read layer's plain functions and the headline numbers, table-driven."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from review_pulse import figures, queries
from review_pulse.view import DataView
from review_pulse.figures import attendance_growth, headline
from core.quarters import ALL_TIME_PERIOD, parse_period, previous_quarter, quarter_for_day, quarter_for_week, quarters_between
from core.settings import Settings, SettingsError, load_settings


@pytest.mark.parametrize(
    ("day", "fiscal_start", "label", "start", "end"),
    [
        (date(2026, 5, 17), 1, "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 12, 31), 1, "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 1, 15), 2, "2025-Q4", date(2025, 11, 1), date(2026, 1, 31)),  # FY named by its start year
        (date(2026, 2, 1), 2, "2026-Q1", date(2026, 2, 1), date(2026, 4, 30)),
        (date(2026, 7, 1), 7, "2026-Q1", date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_quarters_calendar_and_fiscal(day: date, fiscal_start: int, label: str, start: date, end: date) -> None:
    quarter = quarter_for_day(day, fiscal_start)
    assert (quarter.label, quarter.start, quarter.end) == (label, start, end)
    assert parse_period(label, fiscal_start) == quarter


@pytest.mark.parametrize(
    ("week_start", "label"),
    [(date(2026, 3, 30), "2026-Q2"), (date(2026, 6, 29), "2026-Q3"), (date(2026, 6, 22), "2026-Q2"),
     (date(2025, 12, 29), "2026-Q1")],  # the week belongs to the quarter of its Thursday
)
def test_weeks_belong_to_the_quarter_of_their_thursday(week_start: date, label: str) -> None:
    assert quarter_for_week(week_start).label == label


@pytest.mark.parametrize("text", ["", "2026Q2", "2026-Q5", "Q2-2026", "all the time", "2026-q2x"])
def test_unknown_period_labels(text: str) -> None:
    assert parse_period(text) is None


def test_period_helpers() -> None:
    assert parse_period("ALL") == ALL_TIME_PERIOD
    assert parse_period("2026-q2").label == "2026-Q2"
    assert previous_quarter(parse_period("2026-Q1")).label == "2025-Q4"
    assert previous_quarter(ALL_TIME_PERIOD) is None
    assert [q.label for q in quarters_between(date(2025, 12, 29), date(2026, 7, 6))] == ["2026-Q3", "2026-Q2", "2026-Q1"]


@pytest.mark.parametrize(
    ("attendees", "growth"),
    [([20, 20, 20, 20, 30, 30, 30, 30], 50.0), ([10, 20], 100.0), ([10], None), ([0, 0, 5], None),
     ([18, 20, 20, 22, 25, 27, 28, 30, 30, 29], (29.25 / 20 - 1) * 100)],
)
def test_attendance_growth_is_last_four_against_first_four(attendees: list[int], growth: float | None) -> None:
    result = attendance_growth(pd.DataFrame({"attendees": attendees}))
    assert result == (None if growth is None else pytest.approx(growth))


def test_headline_leaves_hidden_weeks_out() -> None:
    weeks = pd.to_datetime(["2026-03-02", "2026-03-09", "2026-03-16"])
    scores = pd.DataFrame({"week_start": weeks, "responses": [6, 0, 5], "answers": [24, 0, 20],
                           "score_sum": [108, 0, 80], "mean_score": [4.5, float("nan"), 4.0],
                           "suppressed": [False, True, False]})
    attendance = pd.DataFrame({"week_start": weeks, "attendees": [10, 8, 10], "responses": [6, 0, 5],
                               "suppressed": [False, True, False], "responses_counted": [6, 0, 5],
                               "attendees_counted": [10, 0, 10]})
    h = headline(scores, None, attendance, 4.5)
    assert h.average_score == pytest.approx((108 + 80) / 44)
    assert (h.weeks_at_target, h.weeks_scored, h.weeks_hidden) == (1, 2, 1)
    assert h.response_rate == pytest.approx(11 / 20)
    assert h.latest_week == date(2026, 3, 16) and h.latest_week_score == 4.0


@pytest.mark.parametrize(
    ("cells", "counted", "rate"),
    [
        # (series, attendees, visible responses, hidden): one week of three series
        ([("A", 12, 6, False), ("B", 10, 0, True)], (6, 12), 6 / 12),  # B hidden: its 10 attendees leave too
        ([("A", 12, 6, False), ("B", 10, 0, False)], (6, 22), 6 / 22),  # B held no survey: 0 of its 10 count
        ([("A", 12, 6, False), ("B", 0, 7, False)], (6, 12), 6 / 12),  # B's attendance is 0: its responses wait
        ([("A", 8, 0, True)], (0, 0), None),
    ],
)
def test_the_response_rate_counts_a_cell_whole_or_not_at_all(cells, counted, rate) -> None:
    frame = pd.DataFrame(cells, columns=["series", "attendees", "responses", "suppressed"]).assign(
        week_start=pd.Timestamp("2026-03-02"), meetings=1)
    week = figures.response_rate_parts(frame, ["week_start"])
    assert (int(week["responses_counted"].iloc[0]), int(week["attendees_counted"].iloc[0])) == counted
    assert int(week["attendees"].iloc[0]) == sum(c[1] for c in cells) and int(week["meetings"].iloc[0]) == len(cells)
    assert figures.response_rate(week) == (None if rate is None else pytest.approx(rate))
    shown = figures.weekly_response_rate(week).iloc[0]
    assert (pd.isna(shown) if rate is None or counted[0] == 0 else shown == pytest.approx(rate))


def test_feedback_is_newest_first_and_can_be_capped(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    survey = tmp_path / "s.csv"
    survey.write_text("Timestamp,Good use of my time,Feedback\n" + "".join(
        f"2026-03-04 16:{i:02d},4,note {i}\n" for i in range(12)))
    assert main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    view = DataView(db, parse_period("2026-Q1"), None, Settings())
    assert list(view.feedback(limit=3)["text"]) == ["note 11", "note 10", "note 9"]
    assert view.feedback_count() == 12 and len(view.feedback()) == 12
    assert view.feedback_count("NOTE 1") == 3  # note 1, note 10, note 11: search ignores case


def open_week_day() -> date:
    """A day of a week still open (its figures not frozen yet): two days ago."""
    return date.today() - timedelta(days=2)


def test_cached_reads_see_a_new_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    survey = tmp_path / "s.csv"
    day = open_week_day()
    survey.write_text("Timestamp,Good use of my time\n" + "".join(f"{day} 00:0{i},4\n" for i in range(5)))
    main(["ingest", "--db", str(db), "--surveys", str(survey)])
    view = DataView(db, quarter_for_day(day + timedelta(days=3 - day.weekday())), None, Settings())
    assert view.weekly_scores()["responses"].tolist() == [5]
    survey.write_text("Timestamp,Good use of my time\n" + "".join(f"{day} 00:1{i},4\n" for i in range(3)))
    main(["ingest", "--db", str(db), "--surveys", str(survey)])
    assert view.weekly_scores()["responses"].tolist() == [8]


def test_db_status(tmp_path: Path) -> None:
    assert queries.db_status(tmp_path / "none.duckdb").state == "missing"
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database" * 100)
    assert queries.db_status(garbage).state == "unreadable"
    main(["init", "--db", str(tmp_path / "empty.duckdb")])
    assert queries.db_status(tmp_path / "empty.duckdb").state == "empty"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("target_score = 9", "target_score"), ("min_group_size = 0", "min_group_size"),
     ("timezone = 'Mars/Base'", "unknown timezone"), ("fiscal_year_start_month = 13", "fiscal_year_start_month"),
     ("statements = []", "non-empty"), ("target_score = [", "cannot read settings"),
     ("statements = [{text = 'A'}, {text = 'a!'}]", "same text")],
)
def test_bad_settings_are_named(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=problem):
        load_settings(path)


def test_settings_file_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('target_score = 4.2\nmin_group_size = 3\n[[statements]]\ntext = "Useful"\naliases = ["worth it"]\n')
    settings = load_settings(path)
    assert (settings.target_score, settings.min_group_size, settings.statement_texts) == (4.2, 3, ("Useful",))
    assert load_settings(tmp_path / "missing.toml") == Settings()


def test_the_documented_example_settings_are_the_defaults() -> None:
    example = Path(__file__).resolve().parent.parent / "review_pulse.toml.example"
    assert load_settings(example) == Settings()
