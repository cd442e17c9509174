"""The Series page (issue 26): every series' figures against a recount from the loaded rows, the same
figures as each series' Overview, the page in AppTest, its URL state and its exports.

The DB is tests/series_db.py's three series loaded through the real CLI; Security review's 2026-Q3 is
under the threshold. Expected numbers are recounted here with plain SQL over the stored rows
(responses, answers, response_weeks, meetings, action_items, talking_points), never with the read layer.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.quarters import parse_period, previous_quarter
from core.settings import Settings
from review_pulse import series_report
from review_pulse.export import chart_spec, frame_to_csv_bytes
from review_pulse.view import DataView
from tests.series_db import SERIES, UNDER_THRESHOLD, build_series_db

S = Settings()
APP = str(Path(__file__).resolve().parent.parent / "app.py")
TODAY = date(2026, 10, 1)
HIDDEN = "fewer than 5 responses"

pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


@pytest.fixture(scope="module")
def series_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with contextlib.redirect_stdout(io.StringIO()):
        return build_series_db(tmp_path_factory.mktemp("series"))


def sql(db: Path, text: str, params: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(text, {k: v for k, v in (params or {}).items() if f"${k}" in text}).fetchall()


# --- the recount -----------------------------------------------------------------------------

# A cell (one week of one series) shows when it holds 5 or more responses. Every response of this DB
# answers every statement and was loaded in one run, so no statement or late rule applies.
VISIBLE = """
WITH cells AS (
    SELECT week_start, series, count(*) AS n FROM response_weeks
    WHERE series = $series AND week_start + INTERVAL 3 DAY BETWEEN $first AND $last GROUP BY ALL)
SELECT week_start FROM cells WHERE n >= 5
"""


def recount(db: Path, series: str, quarter: str) -> dict:
    period = parse_period(quarter)
    p = {"series": series, "first": period.start, "last": period.end}
    weekly = sql(db, f"""SELECT w.week_start, avg(a.score), count(DISTINCT w.response_key)
                         FROM answers a JOIN response_weeks w USING (response_key)
                         WHERE w.series = $series AND w.week_start IN ({VISIBLE}) GROUP BY 1 ORDER BY 1""", p)
    all_weeks = sql(db, """SELECT count(DISTINCT week_start) FROM response_weeks
                           WHERE series = $series AND week_start + INTERVAL 3 DAY BETWEEN $first AND $last""", p)[0][0]
    (average, answers), = sql(db, f"""SELECT avg(a.score), count(*) FROM answers a JOIN response_weeks w USING (response_key)
                                      WHERE w.series = $series AND w.week_start IN ({VISIBLE})""", p)
    before = previous_quarter(period)
    (previous,), = sql(db, f"""SELECT avg(a.score) FROM answers a JOIN response_weeks w USING (response_key)
                               WHERE w.series = $series AND w.week_start IN ({VISIBLE})""",
                       {**p, "first": before.start, "last": before.end})
    statements = sql(db, f"""SELECT a.statement, avg(a.score) FROM answers a JOIN response_weeks w USING (response_key)
                             WHERE w.series = $series AND w.week_start IN ({VISIBLE}) GROUP BY 1""", p)
    attendance = [n for (n,) in sql(db, """SELECT sum(attendees) FROM meetings WHERE series = $series
        AND CAST(date_trunc('week', meeting_date) AS DATE) + INTERVAL 3 DAY BETWEEN $first AND $last
        GROUP BY date_trunc('week', meeting_date) ORDER BY date_trunc('week', meeting_date)""", p)]
    window = min(4, len(attendance) // 2)
    growth = (sum(attendance[-window:]) / sum(attendance[:window]) - 1) * 100 if window else None
    (attendees,), = sql(db, f"""SELECT sum(attendees) FROM meetings WHERE series = $series
                                AND CAST(date_trunc('week', meeting_date) AS DATE) IN ({VISIBLE})""", p)
    open_rows = sql(db, """SELECT created, due FROM action_items WHERE series = $series AND status = 'open'
                           AND CAST(created AS DATE) <= $last""", p)
    overdue = sum(1 for created, due in open_rows
                  if (due or (pd.Timestamp(created) + timedelta(days=S.action_target_days)).date()) < TODAY)
    themes = sql(db, """SELECT theme, sum(votes), count(DISTINCT week_start) FROM talking_points
                        WHERE series = $series AND kind = 'theme' AND week_start + INTERVAL 3 DAY BETWEEN $first AND $last
                        GROUP BY theme HAVING count(DISTINCT week_start) >= 3 ORDER BY 2 DESC, 3 DESC, 1""", p)
    responses = sum(n for _w, _m, n in weekly)
    order = {s: i for i, s in enumerate(S.statement_texts)}
    lagging = min(statements, key=lambda s: (round(s[1], 2), order[s[0]])) if statements else None
    return {
        "hidden": average is None and all_weeks > 0,
        "average": average, "answers": answers, "responses": responses,
        "change": None if average is None or previous is None else round(round(average, 2) - round(previous, 2), 2),
        "weeks_at_target": sum(1 for _w, m, _n in weekly if round(m, 2) >= S.target_score), "weeks_scored": len(weekly),
        "weeks_hidden": all_weeks - len(weekly),
        "lagging": None if lagging is None else lagging[0],
        "growth": growth, "response_rate": responses / attendees if attendees else None,
        "open": len(open_rows), "overdue": overdue, "top_theme": themes[0][0] if themes else None,
        "weekly": {pd.Timestamp(w): m for w, m, _n in weekly},
    }


def same(shown: object, expected: float | None, places: int = 9) -> bool:
    if expected is None:
        return shown is None or pd.isna(shown)
    return shown is not None and not pd.isna(shown) and math.isclose(float(shown), expected, abs_tol=10 ** -places)


@pytest.mark.parametrize("quarter", ["2026-Q3", "2026-Q2"])
@pytest.mark.parametrize("series", SERIES)
def test_each_row_equals_a_recount_from_the_loaded_rows(series_db: Path, series: str, quarter: str) -> None:
    rows = DataView(series_db, parse_period(quarter), None, S).series_comparison(TODAY).rows.set_index("series")
    row, expected = rows.loc[series], recount(series_db, series, quarter)
    assert bool(row["hidden"]) == expected["hidden"]
    assert same(row["average_score"], expected["average"])
    assert row["responses"] == expected["responses"]
    assert same(row["change"], expected["change"])
    assert (row["weeks_at_target"], row["weeks_scored"], row["weeks_hidden"]) == (
        expected["weeks_at_target"], expected["weeks_scored"], expected["weeks_hidden"])
    assert (row["lagging_statement"] if isinstance(row["lagging_statement"], str) else None) == expected["lagging"]
    assert same(row["attendance_growth_pct"], expected["growth"])
    assert same(row["response_rate"], expected["response_rate"])
    assert (row["open_actions"], row["overdue_actions"]) == (expected["open"], expected["overdue"])
    assert (row["top_theme"] if isinstance(row["top_theme"], str) else None) == expected["top_theme"]


def test_the_under_threshold_series_quarter_is_what_the_test_db_says(series_db: Path) -> None:
    """The fixture is what the tests rely on: Security review has 4 responses in 2026-Q3, shown in 2026-Q2."""
    assert recount(series_db, UNDER_THRESHOLD, "2026-Q3")["hidden"]
    assert sql(series_db, """SELECT count(*) FROM response_weeks WHERE series = $s
                             AND week_start BETWEEN DATE '2026-06-29' AND DATE '2026-09-27'""", {"s": UNDER_THRESHOLD}) == [(4,)]
    assert not recount(series_db, UNDER_THRESHOLD, "2026-Q2")["hidden"]


# Per week of the quarter, over every series: the responses and attendees of the cells that are shown (5 or
# more responses) and have attendance. A hidden cell's attendees leave with its responses.
ALL_SERIES_RATE = """
WITH cells AS (
    SELECT week_start, series, count(*) AS n FROM response_weeks
    WHERE week_start + INTERVAL 3 DAY BETWEEN $first AND $last GROUP BY ALL),
attended AS (
    SELECT CAST(date_trunc('week', meeting_date) AS DATE) AS week_start, series, sum(attendees) AS attendees
    FROM meetings GROUP BY ALL)
SELECT c.week_start, sum(c.n), sum(a.attendees)
FROM cells AS c JOIN attended AS a USING (week_start, series) WHERE c.n >= 5 GROUP BY 1 ORDER BY 1
"""


@pytest.mark.parametrize("quarter", ["2026-Q3", "2026-Q2"])
def test_the_all_series_response_rate_leaves_a_hidden_series_week_out_whole(series_db: Path, quarter: str) -> None:
    """All series' response rate counts a hidden cell's attendees no more than its responses: between the
    series' own rates, never below both (2026-Q3 hides Checkout's week 20 and Security's two weeks)."""
    period = parse_period(quarter)
    weeks = sql(series_db, ALL_SERIES_RATE, {"first": period.start, "last": period.end})
    view = DataView(series_db, period, None, S)
    assert same(view.headline().response_rate, sum(n for _w, n, _a in weeks) / sum(a for _w, _n, a in weeks), 12)
    frame = view.weekly_attendance().set_index("week_start")
    assert {pd.Timestamp(w): n / a for w, n, a in weeks} == pytest.approx(frame["response_rate"].dropna().to_dict())
    rates = [r for r in view.series_comparison(TODAY).rows["response_rate"] if not pd.isna(r)]
    assert min(rates) <= view.headline().response_rate <= max(rates)


@pytest.mark.parametrize("quarter", ["2026-Q3", "2026-Q2", "all"])
def test_each_row_is_the_overview_of_that_series(series_db: Path, quarter: str) -> None:
    """The comparison and the Overview of a series cannot disagree: the same headline, field by field."""
    comparison = DataView(series_db, parse_period(quarter), None, S).series_comparison(TODAY)
    rows, weeks = comparison.rows.set_index("series"), comparison.weeks
    for series in SERIES:
        h, row = DataView(series_db, parse_period(quarter), series, S).headline(), rows.loc[series]
        assert same(row["average_score"], h.average_score, 12) and same(row["previous_average"], h.previous_average, 12)
        assert same(row["response_rate"], h.response_rate, 12)
        assert same(row["attendance_growth_pct"], h.attendance_growth_pct, 12)
        assert (row["responses"], row["weeks_at_target"], row["weeks_scored"], row["weeks_hidden"]) == (
            h.responses, h.weeks_at_target, h.weeks_scored, h.weeks_hidden)
        sparkline = dict(zip(weeks, row["weekly_scores"]))
        if comparison.bucket == "week":
            # The sparkline: the Overview's weekly scores of that series, a gap where a week is hidden.
            weekly = DataView(series_db, parse_period(quarter), series, S).weekly_scores()
            for week, value in zip(weekly["week_start"], weekly["mean_score"].where(~weekly["suppressed"])):
                assert same(sparkline[week], None if pd.isna(value) else float(value), 12)
            assert sum(v is not None for v in row["weekly_scores"]) == h.weeks_scored
        else:
            # All time: one point per quarter, the Overview's average of that series and quarter.
            for label in ("2026-Q2", "2026-Q3"):
                period = parse_period(label)
                expected = DataView(series_db, period, series, S).headline().average_score
                assert same(sparkline[pd.Timestamp(period.start)], expected, 12)


def test_rows_open_sorted_by_the_gap_to_the_target_worst_first(series_db: Path) -> None:
    rows = DataView(series_db, parse_period("2026-Q3"), None, S).series_comparison(TODAY).rows
    gaps = {s: round(round(recount(series_db, s, "2026-Q3")["average"] or math.nan, 2) - S.target_score, 2)
            for s in SERIES}
    visible = sorted((s for s in SERIES if not math.isnan(gaps[s])), key=gaps.get)
    assert rows["series"].tolist() == [*visible, UNDER_THRESHOLD]


# --- the page ----------------------------------------------------------------------------------


def open_series_page(db: Path, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    at.switch_page("pages/series.py").run()
    assert not at.exception, at.exception
    return at


def test_the_page_shows_the_recounted_figures_for_three_series(series_db: Path, monkeypatch) -> None:
    at = open_series_page(series_db, monkeypatch, quarter="2026-Q3")
    assert at.title[0].value == "Review series compared"
    table = at.dataframe[0].value.set_index("series")
    assert sorted(table.index) == sorted(SERIES)
    for series in SERIES:
        expected, row = recount(series_db, series, "2026-Q3"), table.loc[series]
        if expected["hidden"]:
            # Under the threshold: the rule in the score cell, and no survey figure at all.
            assert row["score"] == HIDDEN
            assert all(pd.isna(row[c]) for c in ("target_gap", "responses", "change", "response_rate", "lagging_statement"))
            assert row["weeks_at_target"] == "—"
            assert len(row["weekly_scores"]) == 0
        else:
            assert row["score"] == f"{expected['average']:.2f}"
            assert row["responses"] == expected["responses"]
            assert row["target_gap"] == pytest.approx(round(round(expected["average"], 2) - S.target_score, 2))
            assert row["change"] == pytest.approx(expected["change"])
            assert row["weeks_at_target"] == f"{expected['weeks_at_target']} of {expected['weeks_scored']}"
            assert row["lagging_statement"].startswith(expected["lagging"])
            # shown as a whole percent, the one the Overview's text shows
            assert f"{row['response_rate']:.0f}%" == f"{expected['response_rate']:.0%}"
            # The sparkline: the weeks with a score shown (the line column cannot draw a gap)
            assert list(row["weekly_scores"]) == pytest.approx(list(expected["weekly"].values()))
        assert same(row["attendance_growth_pct"], None if expected["growth"] is None else round(expected["growth"]))
        assert (row["open_actions"], row["overdue_actions"]) == (expected["open"], expected["overdue"])
    assert HIDDEN in at.caption[0].value
    assert len(at.get("vega_lite_chart")) == 2
    assert at.query_params["sort"] == "gap" and at.query_params["quarter"] == "2026-Q3"


def test_sort_lives_in_the_url(series_db: Path, monkeypatch) -> None:
    at = open_series_page(series_db, monkeypatch, quarter="2026-Q3", sort="series")
    assert at.selectbox(key="url_choice_sort").value == "series"
    assert at.dataframe[0].value["series"].tolist() == sorted(SERIES)
    at.selectbox(key="url_choice_sort").select("score").run()
    assert at.query_params["sort"] == "score"
    scores = {s: recount(series_db, s, "2026-Q3")["average"] for s in SERIES}
    visible = sorted((s for s in SERIES if scores[s] is not None), key=lambda s: -scores[s])
    assert at.dataframe[0].value["series"].tolist() == [*visible, UNDER_THRESHOLD]


def test_an_unknown_sort_in_the_url_falls_back_to_the_gap(series_db: Path, monkeypatch) -> None:
    at = open_series_page(series_db, monkeypatch, quarter="2026-Q3", sort="'; DROP TABLE x")
    assert at.selectbox(key="url_choice_sort").value == "gap" and at.query_params["sort"] == "gap"


def test_the_page_is_offered_only_with_two_or_more_series(series_db: Path, demo_db: Path) -> None:
    from dashboard import navigation, ui

    assert ui.has_several_series(series_db, S) and not ui.has_several_series(demo_db, S)
    offered = [title for _path, title, _icon in navigation.page_list(with_series=True)]
    assert offered[1] == "Series" and len(offered) == len(navigation.PAGES) + 1  # right after the Overview
    assert "Series" not in [title for _path, title, _icon in navigation.page_list(with_series=False)]


# --- exports -------------------------------------------------------------------------------------


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_table_csv_words_the_hidden_series_and_holds_the_shown_figures(series_db: Path) -> None:
    view = DataView(series_db, parse_period("2026-Q3"), None, S)
    rows = {r["series"]: r for r in csv_rows(frame_to_csv_bytes(
        series_report.comparison_rows(series_report.comparison(view, TODAY), S.min_group_size)))}
    assert set(rows) == set(SERIES)
    hidden = rows[UNDER_THRESHOLD]
    for column in series_report.SURVEY_FIGURES:
        assert hidden[column] == HIDDEN, column
    shown = recount(series_db, "Platform review", "2026-Q3")
    assert float(rows["Platform review"]["average_score"]) == pytest.approx(shown["average"])
    assert int(rows["Platform review"]["responses"]) == shown["responses"]


@pytest.mark.parametrize("builder", [series_report.small_multiples, series_report.heat_strip])
def test_each_chart_exports_its_rows_and_draws_no_hidden_value(series_db: Path, builder) -> None:
    view = DataView(series_db, parse_period("2026-Q3"), None, S)
    item = builder(view, TODAY)
    rows = csv_rows(frame_to_csv_bytes(item.rows))
    by_cell = {(r["series"], r["week_start"]): r for r in rows}
    for series in SERIES:
        expected = recount(series_db, series, "2026-Q3")["weekly"]
        for week, mean in expected.items():
            assert float(by_cell[(series, f"{week:%Y-%m-%d}")]["mean_score"]) == pytest.approx(mean)
    hidden_cells = [r for r in rows if r["suppressed"] == "True"]
    assert hidden_cells and all(r["mean_score"] == HIDDEN and r["responses"] == HIDDEN for r in hidden_cells)
    spec = chart_spec(item.chart)
    drawn = [row for data in spec.get("datasets", {}).values() for row in data]
    assert drawn and all(r["mean_score"] is None and r["responses"] is None for r in drawn if r["suppressed"])


# --- the organisation's pack ---------------------------------------------------------------------


def test_the_organisation_pack_has_the_comparison_and_a_page_per_series(series_db: Path, tmp_path: Path) -> None:
    import zipfile

    from pptx import Presentation
    from pypdf import PdfReader

    from pipeline.cli import main as pipeline_main

    out = tmp_path / "org"
    assert pipeline_main(["export", "--db", str(series_db), "--quarter", "2026-Q3", "--out", str(out),
                          "--organisation", "--zip"]) == 0
    pack = zipfile.ZipFile(out / "series-pack_2026-Q3.zip")
    names = set(pack.namelist())
    assert {f"series-{chart}_2026-Q3.{ext}" for chart in ("small-multiples", "heat-strip") for ext in ("png", "svg", "csv")} <= names
    assert {"series-comparison_2026-Q3.csv", "series-report_2026-Q3.pdf", "series-slides_2026-Q3.pptx"} <= names
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pack.read("series-report_2026-Q3.pdf"))).pages]
    # The first page is the comparison: each series with its score as shown, or the rule.
    for series in SERIES:
        expected = recount(series_db, series, "2026-Q3")
        assert series in pages[0]
        per_series = [text for text in pages if text.lstrip().startswith(series)]
        assert len(per_series) == 1, series
        if expected["hidden"]:
            assert f"{HIDDEN} (or answers to each statement) in every week" in per_series[0] and "Average score" not in per_series[0]
        else:
            assert f"Average score {expected['average']:.2f} / 5" in per_series[0]
            assert f"{expected['weeks_at_target']} of {expected['weeks_scored']} weeks" in per_series[0]
    deck = Presentation(io.BytesIO(pack.read("series-slides_2026-Q3.pptx")))
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[0].startswith("Review series compared") and [t for t in titles if t in SERIES] == list(
        DataView(series_db, parse_period("2026-Q3"), None, S).series_comparison(TODAY).rows["series"])


def test_the_organisation_pack_is_refused_with_one_series(demo_db: Path, tmp_path: Path, capsys) -> None:
    from pipeline.cli import main as pipeline_main

    assert pipeline_main(["export", "--db", str(demo_db), "--quarter", "2026-Q3", "--out", str(tmp_path),
                          "--organisation"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--organisation compares review series" in err[0]


def test_all_time_is_drawn_per_quarter_with_each_quarters_overview_average(series_db: Path) -> None:
    """All time (26 weeks here) draws each series' quarters: each point is that series' Overview average for
    that quarter, and a quarter under the threshold is a hidden point with no value."""
    result = DataView(series_db, parse_period("all"), None, S).series_comparison(TODAY)
    assert result.bucket == "quarter"
    points = {(r.series, r.quarter): r for r in result.weekly.itertuples(index=False)}
    assert {q for _s, q in points} == {"2026-Q2", "2026-Q3"}
    for (series, quarter), point in points.items():
        expected = recount(series_db, series, quarter)
        assert point.suppressed == expected["hidden"]
        assert same(point.mean_score, expected["average"])
        assert point.responses == expected["responses"]
    assert points[(UNDER_THRESHOLD, "2026-Q3")].suppressed
    rows = csv_rows(frame_to_csv_bytes(series_report.heat_strip(
        DataView(series_db, parse_period("all"), None, S), TODAY).rows))
    hidden = [r for r in rows if r["series"] == UNDER_THRESHOLD and r["quarter"] == "2026-Q3"]
    assert hidden and hidden[0]["mean_score"] == HIDDEN




def test_the_all_series_response_rate_chart_says_whose_attendees_it_counts(series_db: Path) -> None:
    """2026-Q3 hides Checkout's week 20 under All series: the chart and its CSV give the counted parts, and the
    subtitle says whose attendees count; a series alone has no such weeks and no such line."""
    from review_pulse import report

    line = "Attendees counted: those of the series whose week is shown"
    item = report.response_rate(DataView(series_db, parse_period("2026-Q3"), None, S))
    rows = item.rows.set_index("week_start")
    assert (rows["attendees_counted"] <= rows["attendees"]).all() and (rows["attendees_counted"] < rows["attendees"]).any()
    assert line in " ".join(chart_spec(item.chart)["title"]["subtitle"])  # wrapped to fit a phone
    alone = report.response_rate(DataView(series_db, parse_period("2026-Q3"), "Platform review", S))
    assert "Attendees counted" not in " ".join(chart_spec(alone.chart)["title"]["subtitle"])
