"""The Talking points page via AppTest on real DuckDB files. Expected figures come straight from the demo's
Slack export ZIP and survey CSV (zipfile, json, csv, re), never from our parsers or views."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ui import OPTIONS_TABLE_OPEN
from pipeline.cli import main as pipeline_main
from pipeline.demo_polls import THEME_OPTIONS
from review_pulse.charts import label_lines
from tests.db_variants import demo_variant

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/talking_points.py"
QUARTERS = {"2026-Q2": (date(2026, 4, 1), date(2026, 6, 30)), "2026-Q3": (date(2026, 7, 1), date(2026, 9, 30))}
THEMED = {point for points in THEME_OPTIONS.values() for point in points}
LIKERT = {"strongly disagree": 1, "disagree": 2, "neutral": 3, "neither agree nor disagree": 3, "agree": 4, "strongly agree": 5}

pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


def open_page(db_path: Path, monkeypatch: pytest.MonkeyPatch, quarter: str | None = None, *,
              table_open: bool = False) -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=90)
    if quarter:
        at.query_params["quarter"] = quarter
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    if table_open:  # what a click on "Every option, per review" does: the expander's state, then a rerun
        at.session_state[OPTIONS_TABLE_OPEN] = True
        at.run()
        assert not at.exception, at.exception
    return at


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def in_quarter(week: date, quarter: str) -> bool:
    start, end = QUARTERS[quarter]
    return start <= week + timedelta(days=3) <= end


def polls_in_zip(path: Path) -> list[tuple[date, list[tuple[str, int]]]]:
    """(review week, [(option, votes)]) of every poll in the export, read with plain regexes."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if "/" not in name:
                continue
            for message in json.loads(archive.read(name)):
                blocks = message.get("blocks") or []
                if (message.get("bot_profile") or {}).get("name") == "Polly":
                    options = [(f["text"].split("  \n")[0], int(re.search(r"\((\d+)\)", f["text"]).group(1)))
                               for b in blocks for f in b.get("fields", [])]
                elif any("-vote-" in str(b.get("block_id")) for b in blocks):
                    options = []
                    for b in blocks:
                        if "-vote-" in str(b.get("block_id")):
                            line = b["text"]["text"].split("\n")[0]
                            count = re.search(r"`(\d+)`$", line)
                            label = re.sub(r"^:\w+: ", "", line[: count.start()] if count else line).strip()
                            options.append((label, int(count.group(1)) if count else 0))
                else:
                    continue
                posted = datetime.fromtimestamp(float(message["ts"]), timezone.utc).date()
                found.append((monday(posted), options))
    return found


def kind_of(point: str) -> str:
    return "other" if point == "Other" else "theme" if point in THEMED else "incident"


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("quarter", ["2026-Q2", "2026-Q3"])
def test_page_figures_equal_a_count_from_the_export(demo_db: Path, demo_sources: Path, monkeypatch, quarter: str) -> None:
    polls = [(week, options) for week, options in polls_in_zip(demo_sources / "slack_export.zip") if in_quarter(week, quarter)]
    votes = sum(v for _w, options in polls for _p, v in options)
    tops = [max(options, key=lambda o: o[1]) for _w, options in polls if any(v for _p, v in options)]
    other = sum(v for _w, options in polls for p, v in options if p == "Other")
    at = open_page(demo_db, monkeypatch, quarter)
    assert not at.dataframe, "the options table is built only once its expander is opened"
    at.session_state[OPTIONS_TABLE_OPEN] = True  # a click on the expander
    at.run()
    assert metrics(at) == {
        "Reviews with a poll": str(len(polls)),
        "Votes": f"{votes:,}",
        "Top pick was a theme": f"{sum(1 for p, _v in tops if kind_of(p) == 'theme')} of {len(tops)}",
        "“Other” votes": f"{100 * other / votes:.0f}%",
    }
    assert 10 <= len(polls) <= 14
    # Every option of every review is listed, with its votes.
    table = at.dataframe[0].value
    assert sorted(zip(table["point"], table["votes"])) == sorted((p, v) for _w, options in polls for p, v in options)
    # The recurring-themes caption: themes offered in 3+ reviews of the quarter.
    offered = defaultdict(set)
    for week, options in polls:
        for point, _v in options:
            for theme, points in THEME_OPTIONS.items():
                if point in points:
                    offered[theme].add(week)
    trends = sum(1 for weeks in offered.values() if len(weeks) >= 3)
    assert any(f"{trends} of {len(offered)} theme{'' if len(offered) == 1 else 's'}" in c.value for c in at.caption)


def chart_frames(element) -> list[pd.DataFrame]:
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets if d.data.data]


def test_beside_the_survey_means_equal_a_count_from_the_csvs(demo_db: Path, demo_sources: Path, monkeypatch) -> None:
    quarter = "2026-Q3"
    top_kind = {}
    for week, options in polls_in_zip(demo_sources / "slack_export.zip"):
        if in_quarter(week, quarter):
            best = max(options, key=lambda o: o[1])  # max() keeps the first of a tie, as the view does
            top_kind[week] = kind_of(best[0])
    scores: dict[tuple[date, str], list[int]] = defaultdict(list)
    per_week: dict[date, int] = defaultdict(int)
    statements = ("I think we discussed the right things", "I learned something new in this meeting")
    with open(demo_sources / "survey_responses.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                submitted = datetime.strptime(row["Timestamp"], "%m/%d/%Y %H:%M:%S")
            except ValueError:
                continue  # the demo's unparseable row is rejected by the pipeline too
            answers = [row[s].strip().casefold() for s in statements]
            if any(a and a not in LIKERT for a in answers):
                continue  # "N/A": rejected with a reason
            # Demo responses arrive within 36 h of the Wednesday review: the review's week.
            week = monday(submitted.date())
            per_week[week] += 1
            for statement, answer in zip(statements, answers):
                if answer:
                    scores[(week, statement)].append(LIKERT[answer])
    expected = {}
    for kind in ("theme", "incident"):
        weeks = [w for w, k in top_kind.items() if k == kind and per_week[w] >= 5]
        for statement in statements:
            values = [v for w in weeks for v in scores[(w, statement)]]
            expected[(kind, statement)] = pytest.approx(sum(values) / len(values))
    at = open_page(demo_db, monkeypatch, quarter)
    chart = at.get("vega_lite_chart")[-1]
    rows = next(f for f in chart_frames(chart) if "mean_score" in f.columns)
    assert {(k, s): m for k, s, m in zip(rows["top_kind"], rows["statement"], rows["mean_score"])} == expected
    hidden = sum(1 for w in top_kind if per_week[w] < 5)
    assert hidden == 1  # the demo's release-crunch week
    assert any(f"{hidden} review week{'' if hidden == 1 else 's'} with fewer than 5 responses" in c.value for c in at.caption)
    assert any("no causal claim" in c.value for c in at.caption)


def test_without_polls_the_page_says_how_to_load_them(tmp_path: Path, monkeypatch) -> None:
    attendance = tmp_path / "attendance.csv"
    attendance.write_text("Date,Attendees\n2026-04-01,12\n")
    db = tmp_path / "r.duckdb"
    assert pipeline_main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    at = open_page(db, monkeypatch)
    assert "No talking-point polls" in at.info[0].value
    assert "--polls slack_export.zip" in at.code[0].value and "--polls-sheet" in at.code[0].value


def test_a_database_of_polls_alone_says_what_it_holds(tmp_path: Path, demo_sources: Path, monkeypatch) -> None:
    """Polls loaded before any survey or attendance: every page still needs those for its quarters,
    and says so, naming what the DB does hold (counted here from the export)."""
    db = tmp_path / "polls-only.duckdb"
    export = demo_sources / "slack_export.zip"
    assert pipeline_main(["ingest", "--db", str(db), "--polls", str(export)]) == 0
    expected = f"{len(polls_in_zip(export)):,} talking-point polls"
    at = open_page(db, monkeypatch)
    assert expected in at.info[0].value and "no survey responses or meetings" in at.info[0].value
    assert "python -m pipeline ingest" in at.code[0].value


def test_option_texts_render_as_text(tmp_path: Path, monkeypatch) -> None:
    hostile = "**Bold** <img src=x onerror=alert(1)> [link](https://evil.example) $x^2$"
    sheet = tmp_path / "points.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Date", "Talking point", "Votes", "Discussed"], ["2026-04-01", hostile, "4", "yes"],
                                      ["2026-04-01", "Other", "1", "no"]])
    attendance = tmp_path / "attendance.csv"
    attendance.write_text("Date,Attendees\n2026-04-01,12\n")
    db = tmp_path / "r.duckdb"
    assert pipeline_main(["ingest", "--db", str(db), "--polls", str(sheet), "--attendance", str(attendance)]) == 0
    at = open_page(db, monkeypatch, "2026-Q2", table_open=True)
    assert list(at.dataframe[0].value["point"]) == [hostile, "Other"]  # a dataframe cell: plain text
    assert list(at.dataframe[0].value["discussed"]) == ["yes", "no"]
    for element in [*at.markdown, *at.caption, *at.info, *at.subheader]:
        assert "<img" not in element.value and "**Bold**" not in element.value
    # In the chart the text is an axis label, which Vega draws as text on a canvas/SVG, never as HTML.
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    # the label is the week, then the top pick wrapped on lines (joined here by spaces)
    labels = [" ".join(label_lines(label)) for label in spec["encoding"]["y"]["sort"]]
    assert any(f"★ {hostile[:19]}" in label for label in labels), labels  # "**Bold** <img src=x"


def test_a_database_from_before_talking_points_shows_the_empty_state(tmp_path: Path, monkeypatch) -> None:
    import duckdb

    attendance = tmp_path / "attendance.csv"
    attendance.write_text("Date,Attendees\n2026-04-01,12\n")
    db = tmp_path / "r.duckdb"
    assert pipeline_main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    with duckdb.connect(str(db)) as con:  # as an older release left it: no poll tables or views
        con.execute("DROP VIEW weekly_topics; DROP VIEW talking_points; DROP VIEW poll_weeks; "
                    "DROP TABLE poll_options; DROP TABLE polls")
    at = open_page(db, monkeypatch)
    assert "No talking-point polls" in at.info[0].value


def test_the_choices_chart_draws_the_latest_reviews_and_says_where_the_rest_are(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_CHART_REVIEWS the bars cannot be read (an organisation's All time held 5,331 polls, more
    rows than a chart may hold): the chart draws the latest, says how many of how many, and the CSV
    keeps every review."""
    import duckdb

    from core.quarters import ALL_TIME_PERIOD
    from core.settings import Settings
    from review_pulse import talking_points_report
    from review_pulse.export import chart_spec
    from review_pulse.view import DataView

    with duckdb.connect(str(demo_db), read_only=True) as con:
        polls, latest_week = con.execute("SELECT count(DISTINCT poll_id), max(week_start) FROM talking_points").fetchone()
    monkeypatch.setattr(talking_points_report, "MAX_CHART_REVIEWS", 10)
    item = talking_points_report.talking_point_choices(DataView(demo_db, ALL_TIME_PERIOD, None, Settings()))
    spec = chart_spec(item.chart)
    drawn = [row for rows in spec["datasets"].values() for row in rows]
    assert len({row["week_start"] for row in drawn}) == 10 < polls
    assert max(row["week_start"] for row in drawn)[:10] == str(latest_week)[:10]
    assert f"the latest 10 of {polls} reviews shown; all in talking-points_all-time.csv" in " ".join(spec["title"]["subtitle"])
    assert item.rows["week_start"].nunique() == 10  # the rows drawn ...
    assert item.csv_rows()["week_start"].nunique() == polls  # ... and the CSV's: every review
    monkeypatch.setattr(talking_points_report, "MAX_CHART_REVIEWS", polls)  # every review drawn: the CSV is the chart's
    item = talking_points_report.talking_point_choices(DataView(demo_db, ALL_TIME_PERIOD, None, Settings()))
    assert item.all_rows is None and item.csv_rows()["week_start"].nunique() == polls


# Copies of the demo DB whose polls exercise the latest-reviews order: a second series polled the same weeks,
# and a second poll in the same week of the same series, held an hour later.
LATEST_VARIANTS = {
    "demo": [],
    "two series": [
        "INSERT INTO poll_options SELECT poll_id || '-b', option_order, point, kind, theme, votes + option_order, "
        "discussed FROM poll_options",
        "INSERT INTO polls SELECT poll_id || '-b', 'Another review', held_utc, held_local, title, app, edited_ts, "
        "source_file, run_id FROM polls",
    ],
    "two polls a week": [
        "INSERT INTO poll_options SELECT poll_id || '-c', option_order, point, kind, theme, votes, discussed "
        "FROM poll_options",
        "INSERT INTO polls SELECT poll_id || '-c', series, held_utc + INTERVAL 1 HOUR, held_local + INTERVAL 1 HOUR, "
        "title, app, edited_ts, source_file, run_id FROM polls",
    ],
    "two polls at once": [  # the same week, series and time: the poll id decides
        "INSERT INTO poll_options SELECT poll_id || '-d', option_order, point, kind, theme, votes, discussed "
        "FROM poll_options",
        "INSERT INTO polls SELECT poll_id || '-d', series, held_utc, held_local, title, app, edited_ts, source_file, "
        "run_id FROM polls",
    ],
    "no polls": ["DELETE FROM poll_options", "DELETE FROM polls"],
}


@pytest.mark.parametrize("variant", sorted(LATEST_VARIANTS))
@pytest.mark.parametrize("period", ["all", "2026-Q3"])
@pytest.mark.parametrize("series", [None, "Incident review", "Another review"])
def test_the_latest_reviews_in_sql_are_the_rule_on_every_row(demo_db: Path, tmp_path: Path, variant: str, period: str,
                                                             series: str | None) -> None:
    """The page reads the choices chart's rows in SQL (LATEST_TALKING_POINTS); the retro slide applies
    latest_reviews to every row. Both, on the same rows, for several limits."""
    from core.quarters import ALL_TIME_PERIOD, parse_period
    from core.settings import Settings
    from review_pulse import talking_points_report
    from review_pulse.view import DataView

    db = demo_variant(demo_db, tmp_path, LATEST_VARIANTS[variant])
    chosen = ALL_TIME_PERIOD if period == "all" else parse_period(period)
    view = DataView(db, chosen, series, Settings())
    every = view.talking_points()
    for limit in (1, 3, 10, 10_000):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(talking_points_report, "MAX_CHART_REVIEWS", limit)
            expected, expected_reviews = (every, 0) if every.empty else talking_points_report.latest_reviews(
                every, talking_points_report.REVIEW_KEYS)
        shown, reviews = view.latest_talking_points(limit)
        assert reviews == expected_reviews
        pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True)
    if variant != "no polls" and series is None:
        assert every[talking_points_report.REVIEW_KEYS].drop_duplicates().shape[0] > 10  # the limits cut


def test_the_retro_slide_draws_the_same_latest_reviews_as_the_page(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The slide's lower choices chart is the page's chart: the same latest reviews and note. (It was
    drawn from every review's rows, and the bench's All time retro pack, 52,200 rows, failed on
    Altair's 5,000-row limit.)"""
    import duckdb

    from core.quarters import ALL_TIME_PERIOD
    from core.settings import Settings
    from review_pulse import retro_report, talking_points_report
    from review_pulse.export import chart_spec
    from review_pulse.view import DataView

    with duckdb.connect(str(demo_db), read_only=True) as con:
        polls = con.execute("SELECT count(DISTINCT poll_id) FROM talking_points").fetchone()[0]
    monkeypatch.setattr(talking_points_report, "MAX_CHART_REVIEWS", 10)
    content = retro_report.gather(DataView(demo_db, ALL_TIME_PERIOD, None, Settings()))
    spec = chart_spec(content.slide_charts["talking-points"])
    drawn = [row for rows in spec["datasets"].values() for row in rows]
    assert len({row["week_start"] for row in drawn}) == 10 < polls
    assert f"the latest 10 of {polls} reviews shown" in " ".join(spec["title"]["subtitle"])
    assert retro_report.build_pptx(content)[:2] == b"PK"  # the slides build


def test_the_retro_lists_the_top_picks_of_the_latest_reviews_and_says_where_the_rest_are(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An organisation's period holds hundreds of reviews (the bench's All time: 10,440, 1,500 slides
    and 40 s): the retro lists the latest MAX_CHART_REVIEWS, as the chart draws them, and names the CSV."""
    import duckdb

    from core.quarters import ALL_TIME_PERIOD
    from core.settings import Settings
    from review_pulse import retro_report, talking_points_report
    from review_pulse.view import DataView

    with duckdb.connect(str(demo_db), read_only=True) as con:
        weeks = [w for (w,) in con.execute(
            "SELECT DISTINCT week_start FROM talking_points ORDER BY week_start").fetchall()]
    monkeypatch.setattr(talking_points_report, "MAX_CHART_REVIEWS", 5)
    content = retro_report.gather(DataView(demo_db, ALL_TIME_PERIOD, None, Settings()))
    lines = retro_report.top_pick_lines(content)
    assert lines[0] == (f"Top picks of the latest 5 of {len(weeks)} reviews shown; "
                        "all in talking-points_all-time.csv.")
    assert [line.split(":")[0] for line in lines[1:]] == [f"Week of {w:%d %b}" for w in weeks[-5:]]
    assert retro_report.review_weeks_with_polls(content) == len(weeks)


@pytest.mark.parametrize("variant", sorted(LATEST_VARIANTS))
@pytest.mark.parametrize("series", [None, "Incident review", "Another review"])
def test_the_headline_counted_in_sql_is_the_count_of_the_weekly_topics(demo_db: Path, tmp_path: Path, variant: str,
                                                                      series: str | None) -> None:
    """poll_headline counts the weekly topics in SQL (POLL_HEADLINE); here they are counted from WEEKLY_TOPICS' rows."""
    from core.quarters import ALL_TIME_PERIOD, parse_period
    from core.settings import Settings
    from review_pulse import talking_points_report
    from review_pulse.view import DataView

    db = demo_variant(demo_db, tmp_path, LATEST_VARIANTS[variant])
    for period in (ALL_TIME_PERIOD, parse_period("2026-Q3")):
        view = DataView(db, period, series, Settings())
        topics = view.weekly_topics()
        assert view.poll_count() == view.talking_points()["poll_id"].nunique()
        headline = talking_points_report.poll_headline(view)
        assert (headline.reviews, headline.votes, headline.theme_picks, headline.decided) == (
            len(topics), int(topics["total_votes"].sum()), int((topics["top_kind"] == "theme").sum()),
            int(topics["top_kind"].notna().sum()))
