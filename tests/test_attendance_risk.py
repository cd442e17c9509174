"""Attendance early warning (issue 25 items 9-11): the settings table, the rule on hand-built weeks,
the backtest's counts, the figures against a recount from the DB's rows, and the Overview.

Expected numbers are recounted here in plain Python or SQL of our own, never by the module's code."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import shutil

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bench.attendance_risk_backtest import generate_calendar, score, walk_forward
from core.quarters import ALL_TIME_PERIOD
from core.settings import Settings, SettingsError, load_settings
from pipeline.cli import main as pipeline_main
from review_pulse.attendance_risk import (MIN_HISTORY_WEEKS, AttendanceRisk, LoadParts, TooLittleHistory, assess,
                                          history_from, next_review_risk, outlook, review_history)
from review_pulse.queries import sharp_dips
from review_pulse.view import DataView
from tests.db_variants import demo_variant

APP = str(Path(__file__).resolve().parent.parent / "app.py")
RATIO = Settings().busy_week_ratio
START = date(2026, 1, 5)  # a Monday


def weeks(attendees: list[int], load: list[float] | None = None) -> pd.DataFrame:
    days = [START + timedelta(weeks=i) for i in range(len(attendees))]
    frame = pd.DataFrame({"week_start": pd.to_datetime(days), "attendees": attendees})
    if load is not None:
        frame["load"] = load
    return frame


def monday(i: int) -> date:
    return START + timedelta(weeks=i)


def recount_dips(attendees: list[int], ratio: float = RATIO) -> list[bool]:
    """The Attendance page's rule, recounted: below ratio x the mean of up to 4 weeks before (at least 2)."""
    dips = []
    for i, value in enumerate(attendees):
        before = attendees[max(0, i - 4):i]
        dips.append(len(before) >= 2 and value < ratio * sum(before) / len(before))
    return dips


def mean_before(attendees: list[int], i: int) -> float:
    before = attendees[max(0, i - 4):i]
    return sum(before) / len(before)


# --- settings ----------------------------------------------------------------------


@pytest.mark.parametrize("toml, expected", [
    ('[calendar]\nbusy_weeks = { "2026-03-11" = "Launch" }', ((date(2026, 3, 9), "launch"),)),
    ('[calendar]\nbusy_weeks = { 2026-12-24 = "holiday", "2026-03-09" = " Planning  week " }',
     ((date(2026, 3, 9), "planning week"), (date(2026, 12, 21), "holiday"))),
    ('[calendar]\nbusy_weeks = { "2026-03-09" = "launch", "2026-03-13" = "launch" }', ((date(2026, 3, 9), "launch"),)),
    ("[calendar]\nbusy_weeks = {}", ()),
    ("", ()),
])
def test_calendar_busy_weeks_are_read_to_their_mondays(tmp_path: Path, toml: str, expected: tuple) -> None:
    path = tmp_path / "s.toml"
    path.write_text(toml)
    assert load_settings(path).calendar.busy_weeks == expected


@pytest.mark.parametrize("toml, message", [
    ('[calendar]\nbusy_week = { "2026-03-09" = "launch" }', "did you mean 'busy_weeks'"),
    ('[calendar]\nbusy_weeks = ["2026-03-09"]', 'must be a table of "YYYY-MM-DD" = "kind"'),
    ('[calendar]\nbusy_weeks = { "9/3/2026" = "launch" }', "'9/3/2026' is not a date written YYYY-MM-DD"),
    ('[calendar]\nbusy_weeks = { "2026-02-30" = "launch" }', "'2026-02-30' is not a date written YYYY-MM-DD"),
    ('[calendar]\nbusy_weeks = { "2026-03-09" = "" }', "must be a kind in quotes of 1 to 40 characters"),
    ('[calendar]\nbusy_weeks = { "2026-03-09" = 3 }', "must be a kind in quotes"),
    ('[calendar]\nbusy_weeks = { "2026-03-09" = "' + "x" * 41 + '" }', "1 to 40 characters"),
    ('[calendar]\nbusy_weeks = { "2026-03-09" = "launch", "2026-03-12" = "holiday" }',
     "2026-03-09 and 2026-03-12 are in the same week with different kinds"),
    ('calendar = "launch"', "calendar must be a table"),
])
def test_calendar_mistakes_are_refused_with_the_fix(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(toml)
    with pytest.raises(SettingsError, match=None) as caught:
        load_settings(path)
    assert message in str(caught.value)


def test_the_example_settings_calendar_reads_when_uncommented(tmp_path: Path) -> None:
    example = (Path(__file__).resolve().parent.parent / "review_pulse.toml.example").read_text()
    lines = example.splitlines()
    start = lines.index("# [calendar]")  # commented: the example is the defaults
    path = tmp_path / "s.toml"
    path.write_text("\n".join(line[2:] for line in lines[start:start + 2]))
    assert load_settings(path).calendar.kinds_by_week == {
        date(2026, 12, 21): "holiday", date(2027, 1, 4): "planning", date(2027, 3, 8): "launch"}


# --- the rule on hand-built weeks ----------------------------------------------------

FLAT = [20] * 6


@pytest.mark.parametrize("name, attendees, load, calendar, level, words", [
    # Two earlier launches (weeks 6, 9) dipped; the next (week 12) is one too.
    ("launches", FLAT + [10, 20, 20, 12, 20, 20], None, {6: "launch", 9: "launch", 12: "launch"}, "high",
     "last 2 launch weeks averaged {launch_shortfall} below the 4-week mean (2 of 2 launch weeks dipped)"),
    # One earlier launch (week 6) that did not dip: no reason to warn.
    ("a launch that held", FLAT + [19, 20, 21, 20, 20, 20], None, {6: "launch", 12: "launch"}, "low",
     "attendance dipped 0 of the last 6 weeks"),
    # The first holiday on record: nothing to compare, so "watch", not "at risk".
    ("first of its kind", FLAT + [20, 21, 19, 20, 20, 20], None, {12: "holiday"}, "watch",
     "it is a holiday week, the first on record, so there is nothing to compare yet"),
    # The latest week's load is 3x its usual; twice before, a busy week was followed by a dip.
    ("incident load", FLAT + [20, 20, 9, 20, 20, 20, 20, 8, 20, 21],  # busy loads at 7 and 12, dips at 8 and 13
     [2] * 7 + [6, 2, 2, 2, 2, 6, 2, 2, 6], {}, "high",
     "incident load this week is 3× the usual (6 against a median of 2); 2 of 2 reviews after such a week dipped"),
    ("quiet", FLAT + [20, 21, 19, 20, 22, 20], [3] * 12, {}, "low", "attendance dipped 0 of the last 6 weeks"),
    # A first planning week after a dip that, like the earlier ones, the next week recovered from:
    # "watch" because of the planning week, which leads, not the unlikely repeat dip.
    ("watch leads with its cause", FLAT + [9, 20, 20, 20, 20, 8], None, {12: "planning"}, "watch",
     "it is a planning week, the first on record, so there is nothing to compare yet"),
])
def test_the_rule_on_hand_built_weeks(name: str, attendees: list[int], load: list[float] | None,
                                      calendar: dict[int, str], level: str, words: str) -> None:
    kinds = {monday(i): kind for i, kind in calendar.items()}
    risk = assess(weeks(attendees, load), kinds, RATIO)
    assert isinstance(risk, AttendanceRisk)
    assert risk.review_date == monday(len(attendees))  # no meeting dates: a week after the latest week's Monday
    shortfalls = [1 - attendees[i] / mean_before(attendees, i) for i in sorted(calendar) if i < len(attendees)]
    expected = words.format(launch_shortfall=f"{sum(shortfalls) / max(1, len(shortfalls)) * 100:.0f}%")
    assert risk.level == level
    assert expected in risk.reasons
    when = f"Next review ({risk.review_date.day} {risk.review_date:%b})"
    lead = {"high": f"{when} is at risk: ", "watch": f"{when} may see a lower turnout: ", "low": f"{when}: no sign of a low turnout; "}
    assert risk.sentence.startswith(lead[level])
    assert risk.sentence.endswith(expected + ".") or level == "low"


def test_recent_dips_and_after_a_dip_are_counted() -> None:
    attendees = FLAT + [20, 9, 20, 20, 20, 8]  # dips at 7 and 11; the review after 7 held
    dips = recount_dips(attendees)
    assert [i for i, d in enumerate(dips) if d] == [7, 11]
    risk = assess(weeks(attendees), {}, RATIO)
    assert f"the last review ({monday(11).day} {monday(11):%b}) dipped; 0 of 1 reviews right after a dip dipped too" in risk.reasons
    assert f"attendance dipped {sum(dips[-6:])} of the last 6 weeks" in risk.reasons
    assert risk.level == "low"  # one earlier dip was followed by a normal week


def test_suggestions_name_the_recovery_and_what_changed() -> None:
    attendees = FLAT + [9, 22, 20, 20]
    frame = weeks(attendees, [2] * 6 + [7, 2, 2, 2])
    frame["top_kind"] = ["incident"] * 6 + ["incident", "theme", "theme", "theme"]
    frame["meeting_date"] = frame["week_start"] + pd.to_timedelta([2] * 7 + [3] * 3, unit="D")  # Wed, then Thu
    risk = assess(frame, {}, RATIO)
    assert risk.suggestions == (
        f"After the dip of 16 Feb (9 attendees against a 4-week mean of {mean_before(attendees, 6):.1f}), 23 Feb was "
        "back to 22: the room chose a theme (in the dip week: the incident); held on Thursday instead of Wednesday; "
        "incident load 2 (dip week: 7).",)


@pytest.mark.parametrize("count", [0, 1, MIN_HISTORY_WEEKS - 1])
def test_too_little_history_says_how_much_is_needed(count: int) -> None:
    result = assess(weeks([20] * count), {}, RATIO)
    assert isinstance(result, TooLittleHistory)
    assert f"needs {MIN_HISTORY_WEEKS} review weeks of attendance; this series has {count} review week" in result.sentence


# --- the backtest ----------------------------------------------------------------------

# Flat 20s; launches (on the calendar) at 7, 10 and 13 fall to 10, an unforeseen week 15 to 8.
BACKTEST_WEEKS = [20] * 7 + [10, 20, 20, 10, 20, 20, 10, 20, 8, 20, 20]
BACKTEST_CALENDAR = {7: "launch", 10: "launch", 13: "launch"}


def test_backtest_counts_on_a_hand_built_calendar() -> None:
    dips = recount_dips(BACKTEST_WEEKS)
    judged_weeks = range(MIN_HISTORY_WEEKS, len(BACKTEST_WEEKS))
    real = {i for i in judged_weeks if dips[i]}
    assert real == {7, 10, 13, 15}
    # By hand: the first launch (7) has nothing to compare with; 10 and 13 follow launches that dipped.
    # After each dip the next week held, so "after a dip" never reaches the bar; week 15 comes unannounced.
    warned = {10, 13}
    after_dip = {i for i in judged_weeks if dips[i - 1]}
    assert after_dip == {8, 11, 14, 16}

    judged = walk_forward(weeks(BACKTEST_WEEKS), {monday(i): k for i, k in BACKTEST_CALENDAR.items()}, RATIO)
    rows = judged.set_index(judged["week_start"].dt.date)
    assert {i for i in judged_weeks if rows.loc[monday(i), "warned"]} == warned
    assert {i for i in judged_weeks if rows.loc[monday(i), "after_dip"]} == after_dip
    ours, baseline = score(judged, "warned", "early warning"), score(judged, "after_dip", "week after a dip")
    assert (ours.weeks, ours.dips, ours.flagged, ours.hits) == (len(judged_weeks), 4, 2, 2)
    assert (ours.precision, ours.recall) == (2 / 2, 2 / 4)
    assert ours.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert (baseline.flagged, baseline.hits, baseline.precision, baseline.recall, baseline.f1) == (4, 0, 0.0, 0.0, 0.0)


def test_generated_calendar_is_seeded_and_its_dips_are_the_pages_rule() -> None:
    first, calendar = generate_calendar(7, years=1)
    again, calendar_again = generate_calendar(7, years=1)
    pd.testing.assert_frame_equal(first, again)
    assert calendar == calendar_again and len(first) == 52
    assert list(sharp_dips(first["attendees"], RATIO)) == recount_dips(first["attendees"].tolist())
    assert set(calendar.values()) <= {"launch", "holiday", "planning"}


# --- from the demo DB: figures recounted from its rows -------------------------------------


def demo_view(db: Path, settings: Settings) -> DataView:
    return DataView(db, ALL_TIME_PERIOD, None, settings)


def without_loaded_calendar(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo DB with its loaded calendar (calendar.csv) deleted."""
    db = tmp_path / "no-calendar.duckdb"
    shutil.copy(demo_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM busy_weeks")
    return db


def weekly_rows(db: Path) -> list[tuple[date, int]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("""SELECT CAST(date_trunc('week', meeting_date) AS DATE), sum(attendees) FROM meetings
                              GROUP BY 1 ORDER BY 1""").fetchall()


def test_the_dip_rule_is_the_attendance_pages(demo_db: Path) -> None:
    rows = weekly_rows(demo_db)
    shown = demo_view(demo_db, Settings()).weekly_attendance()
    assert list(shown["busy_week"]) == recount_dips([n for _w, n in rows])


def test_demo_warning_figures_match_a_recount(demo_db: Path) -> None:
    """The demo's calendar comes from its calendar.csv, loaded into busy_weeks; no settings file."""
    risk = next_review_risk(demo_view(demo_db, Settings()))
    rows = weekly_rows(demo_db)
    counts = [n for _w, n in rows]
    with duckdb.connect(str(demo_db), read_only=True) as con:
        calendar = con.execute("SELECT week_start, kind FROM busy_weeks ORDER BY week_start").fetchall()
    assert calendar == [(date(2026, 8, 10), "launch"), (date(2026, 9, 28), "launch")]
    launch = next(i for i, (w, _n) in enumerate(rows) if w == calendar[0][0])
    shortfall = 1 - counts[launch] / mean_before(counts, launch)
    dips = recount_dips(counts)
    with duckdb.connect(str(demo_db), read_only=True) as con:
        last_meeting = con.execute("SELECT max(meeting_date) FROM meetings").fetchone()[0]
    next_day = last_meeting + timedelta(days=7)
    assert risk is not None and risk.at_risk
    assert risk.review_date == next_day == date(2026, 9, 30)
    assert risk.sentence == (f"Next review ({next_day.day} {next_day:%b}) is at risk: the last launch week (10 Aug) was "
                             f"{shortfall * 100:.0f}% below its 4-week mean (1 of 1 launch week dipped).")
    assert f"attendance dipped {sum(dips[-6:])} of the last 6 weeks" in risk.reasons
    # Each dip the next review recovered from, newest first, with its numbers.
    recovered = [i for i in range(len(counts) - 1) if dips[i] and counts[i + 1] >= mean_before(counts, i)]
    assert len(risk.suggestions) == len(recovered) == 2
    for text, i in zip(risk.suggestions, reversed(recovered)):
        dip_week, after_week = rows[i][0], rows[i + 1][0]
        assert text.startswith(f"After the dip of {dip_week.day} {dip_week:%b} ({counts[i]} attendees against a 4-week "
                               f"mean of {mean_before(counts, i):.1f}), {after_week.day} {after_week:%b} was back to "
                               f"{counts[i + 1]}")


def test_demo_incident_load_is_actions_created_plus_incidents_on_the_poll(demo_db: Path) -> None:
    history = review_history(demo_view(demo_db, Settings()))
    with duckdb.connect(str(demo_db), read_only=True) as con:
        # An action's week as the Actions page counts it: the review it follows (a meeting on or up to
        # 7 days before its creation), else the week it was created in.
        actions = dict(con.execute("""
            SELECT CAST(date_trunc('week', coalesce(
                       (SELECT max(m.meeting_date) FROM meetings AS m
                        WHERE m.meeting_date <= CAST(a.created AS DATE)
                          AND m.meeting_date >= CAST(a.created AS DATE) - INTERVAL 7 DAY),
                       CAST(a.created AS DATE))) AS DATE), count(*)
            FROM action_items AS a WHERE a.created IS NOT NULL GROUP BY 1""").fetchall())
        # Demo polls are posted on the review day, so their week is the day's week.
        incidents = dict(con.execute("""SELECT CAST(date_trunc('week', p.held_local) AS DATE), count(DISTINCT o.point)
                                        FROM poll_options o JOIN polls p USING (poll_id) WHERE o.kind = 'incident'
                                        GROUP BY 1""").fetchall())
    expected = [actions.get(w, 0) + incidents.get(w, 0) for w, _n in weekly_rows(demo_db)]
    assert history["load"].tolist() == expected


# Copies of the demo DB for the load's parts: without actions, without polls, and with a second series
# ("Another review", first by name) polled the same weeks with other winners (last option wins).
LOAD_VARIANTS = {
    "demo": [],
    "no actions": ["DELETE FROM action_items"],
    "no polls": ["DELETE FROM poll_options", "DELETE FROM polls"],
    "neither": ["DELETE FROM action_items", "DELETE FROM poll_options", "DELETE FROM polls"],
    "two polled series": [
        "INSERT INTO poll_options SELECT poll_id || '-b', option_order, point, kind, theme, option_order, discussed "
        "FROM poll_options",
        "INSERT INTO polls SELECT poll_id || '-b', 'Another review', held_utc, held_local, title, app, edited_ts, "
        "source_file, run_id FROM polls",
    ],
}


def parts_from_the_pages_rows(everything: DataView) -> LoadParts:
    """The load's parts as review_history read them from the pages' own rows before counting moved into SQL
    (attendance_risk.load_parts): the Actions page's period_actions, the talking points' poll_count,
    incident_points and weekly_topics."""
    actions = (everything.period_actions()["action_week"].dropna().value_counts().rename("load")
               if everything.action_count() else None)
    if not everything.poll_count():
        return LoadParts(actions, None, None)
    return LoadParts(actions, everything.incident_points().set_index("week_start")["incidents"].rename("load"),
                     everything.weekly_topics().drop_duplicates("week_start")[["week_start", "top_kind"]])


def history_from_the_pages_rows(view: DataView) -> pd.DataFrame:
    everything = view.all_time()
    return history_from(everything, lambda: parts_from_the_pages_rows(everything))


@pytest.mark.parametrize("variant", sorted(LOAD_VARIANTS))
@pytest.mark.parametrize("series", [None, "Incident review", "Another review"])
def test_history_counted_in_sql_matches_the_pages_rows(demo_db: Path, tmp_path: Path, variant: str,
                                                       series: str | None) -> None:
    db = demo_variant(demo_db, tmp_path, LOAD_VARIANTS[variant])
    view = DataView(db, ALL_TIME_PERIOD, series, Settings())
    expected = history_from_the_pages_rows(view)
    pd.testing.assert_frame_equal(review_history(view), expected, check_exact=True)
    if variant == "two polled series" and series is None:  # the week's top kind is the first series' by name
        own = history_from_the_pages_rows(DataView(db, ALL_TIME_PERIOD, "Incident review", Settings()))
        assert expected["top_kind"].tolist() != own["top_kind"].tolist()


def test_without_a_calendar_the_demo_has_no_warning_and_says_so(demo_db: Path, tmp_path: Path) -> None:
    risk = outlook(demo_view(without_loaded_calendar(demo_db, tmp_path), Settings()))
    dips = recount_dips([n for _w, n in weekly_rows(demo_db)])
    assert isinstance(risk, AttendanceRisk) and risk.level == "low"
    assert risk.sentence == f"Next review (30 Sep): no sign of a low turnout; attendance dipped {sum(dips[-6:])} of the last 6 weeks."


# --- the Overview ------------------------------------------------------------------------


@pytest.fixture
def _like_a_server(apptest_like_a_server: None) -> None:
    return None


def open_overview(db: Path, monkeypatch: pytest.MonkeyPatch, settings_path: Path | None = None) -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db))
    if settings_path is not None:
        monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    return markdown.replace("\\", "")


@pytest.mark.usefixtures("_like_a_server")
def test_overview_shows_the_demo_warning_with_its_reasons(demo_db: Path, monkeypatch) -> None:
    expected = next_review_risk(demo_view(demo_db, Settings()))
    assert expected is not None and expected.at_risk
    at = open_overview(demo_db, monkeypatch)
    assert [plain(w.value) for w in at.warning if "Next review" in w.value] == [expected.sentence]
    expander = next(e for e in at.expander if e.label.startswith("Attendance early warning"))
    shown = plain(" ".join(m.value for m in expander.markdown))
    for line in (*expected.reasons, *expected.suggestions):
        assert line[1:] in shown  # the first letter is capitalised on the page


@pytest.mark.usefixtures("_like_a_server")
def test_overview_without_a_calendar_says_no_sign(demo_db: Path, tmp_path: Path, monkeypatch) -> None:
    at = open_overview(without_loaded_calendar(demo_db, tmp_path), monkeypatch)
    assert any(plain(i.value).startswith("Next review (30 Sep): no sign of a low turnout") for i in at.info)
    assert not any("Next review" in w.value for w in at.warning)


@pytest.mark.usefixtures("_like_a_server")
def test_overview_with_too_little_history_says_how_many_weeks_are_needed(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "short.duckdb"
    attendance = tmp_path / "a.csv"
    attendance.write_text("Date,Attendees\n2026-03-04,10\n2026-03-11,8\n2026-03-18,12\n")
    assert pipeline_main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    at = open_overview(db, monkeypatch)
    assert any(f"needs {MIN_HISTORY_WEEKS} review weeks of attendance; this series has 3 review weeks" in c.value
               for c in at.caption)
