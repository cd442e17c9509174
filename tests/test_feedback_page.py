"""The Feedback page's themes, quotes and chips, driven by AppTest on real DuckDB files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.cli import main as pipeline_main
from pipeline.feedback_analysis import FeedbackAnalyser
from core.feedback_themes import DEFAULT_FEEDBACK_THEMES
from core.settings import Settings
from tests.test_app import QUARTERS, VISIBLE_WEEKS, open_app, shown_feedback, sql

S = Settings()
pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


def quotes(at) -> list[str]:
    return [t.value for t in at.text if t.value.startswith("“")]  # theme quotes and topic examples


def count_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**"))


def test_chips_filter_with_the_search_and_counts_match(demo_db: Path, monkeypatch) -> None:
    start, end = QUARTERS["2026-Q3"]
    texts = [t for (t,) in sql(demo_db, f"""SELECT r.feedback FROM responses r JOIN response_weeks w USING (response_key)
                                           WHERE w.week_start IN ({VISIBLE_WEEKS}) AND trim(coalesce(r.feedback, '')) <> ''""",
                               [start, end])]
    analyser = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)
    focus = [t for t in texts if "focus" in analyser.theme_ids(t)]
    focus_positive = [t for t in focus if analyser.sentiment(t)[0] == "positive"]
    assert len(focus_positive) >= 5

    at = open_app(demo_db, monkeypatch, quarter="2026-Q3", page="pages/feedback.py")
    assert len(at.get("vega_lite_chart")) >= 1  # themes by sentiment
    visible = set(texts)
    assert quotes(at) and all(q[1:q.rindex("”")] in visible for q in quotes(at))  # quotes: visible comments only
    at.toggle(key="feedback_topics").set_value(True).run()  # emerging topics: terms, then example quotes
    topics = [c.value for c in at.caption if c.value.startswith("**Topic ")]
    assert topics and all(q[1:q.rindex("”")] in visible for q in quotes(at))
    at.pills(key="feedback_themes").set_value(["focus"]).run()
    assert count_line(at).startswith(f"**{len(focus)} answers in Focus and topics**")
    assert len(shown_feedback(at)) == min(len(focus), 50) and set(shown_feedback(at)) <= set(focus)
    at.pills(key="feedback_sentiments").set_value(["positive"]).run()
    assert count_line(at).startswith(f"**{len(focus_positive)} answers in Focus and topics, positive**")
    assert sorted(shown_feedback(at)) == sorted(focus_positive)


def test_a_filter_narrower_than_the_minimum_group_shows_a_count_only(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "small.duckdb"
    rows = [["Timestamp", S.statement_texts[0], "How could we improve?"]]
    visible = [f"Too long, meeting {i} ran over." for i in range(6)] + ["Felt blamey today.", "Great takeaways."]
    rows += [[f"2026-03-04 16:0{i}", "4", text] for i, text in enumerate(visible)]
    rows += [[f"2026-03-11 16:0{i}", "1", f"secret {i}: too long"] for i in range(3)]  # a hidden week
    survey = tmp_path / "s.csv"
    with open(survey, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0

    at = open_app(db, monkeypatch, quarter="2026-Q1", page="pages/feedback.py")
    assert quotes(at) and not any("secret" in q for q in quotes(at))
    assert all("secret" not in t.value for t in at.text)
    at.pills(key="feedback_themes").set_value(["time"]).run()
    assert count_line(at).startswith("**6 answers in Time and pace**")  # the hidden week's 3 are not counted
    assert sorted(shown_feedback(at)) == sorted(visible[:6])
    at.pills(key="feedback_themes").set_value(["safety"]).run()
    assert shown_feedback(at) == [] and "Fewer than 5 comments match" in at.info[0].value
    at.pills(key="feedback_themes").set_value([]).run()
    at.text_input(key="feedback_search").input("secret").run()
    assert shown_feedback(at) == [] and at.info[0].value == "No feedback matches."


def test_a_database_loaded_before_themes_existed_still_lists_the_answers(tmp_path: Path, monkeypatch) -> None:
    import duckdb

    db = tmp_path / "old.duckdb"
    survey = tmp_path / "s.csv"
    survey.write_text("Timestamp,Good use of my time,Feedback\n" + "".join(f"2026-03-04 16:0{i},4,too long {i}\n" for i in range(6)))
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    with duckdb.connect(str(db)) as con:  # as a database from before issue 15
        con.execute("DROP VIEW feedback; DROP TABLE feedback_analysis; DROP TABLE feedback_analysis_state")
    at = open_app(db, monkeypatch, quarter="2026-Q1", page="pages/feedback.py")
    assert "Themes and sentiment are out of date" in at.warning[0].value
    assert sorted(shown_feedback(at)) == [f"too long {i}" for i in range(6)]
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0  # the fix the page names
    at = open_app(db, monkeypatch, quarter="2026-Q1", page="pages/feedback.py")
    assert not at.warning and count_line(at).startswith("**6 answers**")


def test_feedback_analysis_can_be_turned_off(tmp_path: Path, monkeypatch) -> None:
    """`analyse_feedback = false`: nothing is analysed at load, and the page lists the answers and says why."""
    import duckdb

    settings = tmp_path / "review_pulse.toml"
    settings.write_text("analyse_feedback = false\n")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    db = tmp_path / "plain.duckdb"
    survey = tmp_path / "s.csv"
    survey.write_text("Timestamp,Good use of my time,Feedback\n" + "".join(f"2026-03-04 16:0{i},4,too long {i}\n" for i in range(6)))
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM feedback_analysis").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM responses WHERE feedback IS NOT NULL").fetchone() == (6,)
    at = open_app(db, monkeypatch, quarter="2026-Q1", page="pages/feedback.py")
    assert not at.warning and "turned off" in at.info[0].value
    assert sorted(shown_feedback(at)) == [f"too long {i}" for i in range(6)]


def test_the_theme_trend_is_built_only_once_its_expander_is_opened(demo_db: Path, monkeypatch) -> None:
    import json

    import pyarrow as pa

    from dashboard.ui import THEME_TREND_OPEN

    at = open_app(demo_db, monkeypatch, quarter="2026-Q3", page="pages/feedback.py")
    assert len(at.get("vega_lite_chart")) == 1  # themes by sentiment; the trend's expander is closed
    at.session_state[THEME_TREND_OPEN] = True  # a click on "Themes per quarter"
    at.run()
    assert not at.exception, at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    trend = charts[1]
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in trend.proto.datasets if d.data.data]
    frames += [pa.Table.from_pylist(rows).to_pandas() for rows in json.loads(trend.proto.spec).get("datasets", {}).values()]
    rows = next(f for f in frames if {"quarter", "quarter_comments"} <= set(f.columns))
    shown = dict(zip(rows["quarter"], rows["quarter_comments"]))
    # Every quarter (the trend is all time, whatever the period): the visible comments, counted from the tables.
    expected = {}
    for quarter, (start, end) in QUARTERS.items():
        (count,) = sql(demo_db, f"""SELECT count(*) FROM responses r JOIN response_weeks w USING (response_key)
                                    WHERE w.week_start IN ({VISIBLE_WEEKS}) AND trim(coalesce(r.feedback, '')) <> ''""",
                       [start, end])[0]
        expected[quarter] = count
    assert {q: int(n) for q, n in shown.items()} == expected and all(expected.values())
