"""Every page driven by Streamlit's AppTest on real DuckDB files; figures checked against SQL of our own."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest


from pipeline.cli import main as pipeline_main
from core.quarters import quarter_for_week
from core.settings import Settings

APP = str(Path(__file__).resolve().parent.parent / "app.py")
S = Settings()
QUARTERS = {"2026-Q2": (date(2026, 4, 1), date(2026, 6, 30)), "2026-Q3": (date(2026, 7, 1), date(2026, 9, 30))}


pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


def open_app(db_path: Path, monkeypatch: pytest.MonkeyPatch, quarter: str | None = None, page: str | None = None) -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=60)
    if quarter:
        at.query_params["quarter"] = quarter
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def sql(db_path: Path, text: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(text, params or []).fetchall()


# Weeks belong to the quarter holding their Thursday; a week under 5 responses is hidden.
VISIBLE_WEEKS = """
WITH counts AS (SELECT week_start, count(*) AS n FROM response_weeks GROUP BY 1)
SELECT week_start FROM counts
WHERE week_start + INTERVAL 3 DAY BETWEEN ? AND ? AND n >= 5
"""


def expected_overview(db_path: Path, quarter: str) -> dict[str, str]:
    start, end = QUARTERS[quarter]
    average = sql(db_path, f"""SELECT avg(a.score) FROM answers a JOIN response_weeks w USING (response_key)
                                WHERE w.week_start IN ({VISIBLE_WEEKS})""", [start, end])[0][0]
    weekly = sql(db_path, f"""SELECT w.week_start, avg(a.score) FROM answers a JOIN response_weeks w USING (response_key)
                               WHERE w.week_start IN ({VISIBLE_WEEKS}) GROUP BY 1 ORDER BY 1""", [start, end])
    attendance = [n for (n,) in sql(db_path, """SELECT sum(attendees) FROM meetings
        WHERE date_trunc('week', meeting_date) + INTERVAL 3 DAY BETWEEN ? AND ? GROUP BY date_trunc('week', meeting_date)
        ORDER BY date_trunc('week', meeting_date)""", [start, end])]
    growth = (sum(attendance[-4:]) / 4) / (sum(attendance[:4]) / 4) - 1
    responses, attendees = sql(db_path, f"""
        SELECT (SELECT count(*) FROM response_weeks WHERE week_start IN ({VISIBLE_WEEKS})),
               (SELECT sum(attendees) FROM meetings WHERE CAST(date_trunc('week', meeting_date) AS DATE) IN ({VISIBLE_WEEKS}))
        """, [start, end, start, end])[0]
    return {
        "Average score": f"{average:.2f} / 5",
        "Latest week": f"{weekly[-1][1]:.2f} / 5",
        "Attendance growth": f"{growth * 100:+.0f}%",
        "Response rate": f"{responses / attendees * 100:.0f}%",
        "Weeks at target": f"{sum(1 for _, m in weekly if m >= 4.5)} of {len(weekly)}",
    }


@pytest.mark.parametrize("quarter", ["2026-Q3", "2026-Q2"])
def test_overview_figures_equal_independent_sql(demo_db: Path, monkeypatch: pytest.MonkeyPatch, quarter: str) -> None:
    at = open_app(demo_db, monkeypatch, quarter=quarter)
    assert metrics(at) == expected_overview(demo_db, quarter)
    assert at.query_params["quarter"] == quarter


def test_default_is_the_latest_quarter_and_changing_it_changes_the_figures(demo_db: Path, monkeypatch) -> None:
    at = open_app(demo_db, monkeypatch)
    assert at.sidebar.selectbox[0].value == "2026-Q3"
    assert at.sidebar.selectbox[0].options == ["2026-Q3", "2026-Q2", "All time"]
    q3 = metrics(at)
    at.sidebar.selectbox[0].select("2026-Q2").run()
    assert at.query_params["quarter"] == "2026-Q2"
    assert metrics(at) == expected_overview(demo_db, "2026-Q2") != q3
    # The demo grows attendance by about half over its first quarter.
    assert 40 <= float(metrics(at)["Attendance growth"].strip("+%")) <= 60


def test_quarter_survives_page_changes(demo_db: Path, monkeypatch) -> None:
    at = open_app(demo_db, monkeypatch, quarter="2026-Q2", page="pages/attendance.py")
    assert at.query_params["quarter"] == "2026-Q2"
    assert at.session_state["quarter"] == "2026-Q2"


def chart_frames(element) -> list[pd.DataFrame]:
    """The rows Streamlit ships to the browser with a chart (Arrow-encoded datasets)."""
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets if d.data.data]


def test_agreement_chart_holds_the_weekly_means_and_the_target(demo_db: Path, monkeypatch) -> None:
    at = open_app(demo_db, monkeypatch, quarter="2026-Q2", page="pages/agreement.py")
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    start, end = QUARTERS["2026-Q2"]
    expected = sql(demo_db, f"""SELECT strftime(w.week_start, '%Y-%m-%d'), a.statement, avg(a.score)
                                 FROM answers a JOIN response_weeks w USING (response_key)
                                 WHERE w.week_start IN ({VISIBLE_WEEKS}) GROUP BY 1, 2""", [start, end])
    lines = next(f for f in chart_frames(charts[0]) if {"statement", "value"} <= set(f.columns))
    plotted = {(f"{pd.Timestamp(w):%Y-%m-%d}", s): v
               for w, s, v in zip(lines["week_start"], lines["statement"], lines["value"]) if pd.notna(v)}
    assert plotted == {(w, s): pytest.approx(m) for w, s, m in expected}
    assert len(expected) == 12 * 4  # 13 weeks in Q2, one hidden for anonymity
    # The hidden week is plotted as a gap, never as a value.
    hidden = lines[lines["suppressed"]]
    assert {f"{pd.Timestamp(w):%Y-%m-%d}" for w in hidden["week_start"]} == {"2026-05-25"}
    assert hidden["value"].isna().all()
    assert "Target 4.5" in charts[0].proto.spec


def test_agreement_percent_mode(demo_db: Path, monkeypatch) -> None:
    at = open_app(demo_db, monkeypatch, quarter="2026-Q2", page="pages/agreement.py")
    at.session_state["agreement_metric"] = "agree"
    at.run()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "% agree" in json.dumps(spec)


def test_attendance_page_figures(demo_db: Path, monkeypatch) -> None:
    at = open_app(demo_db, monkeypatch, quarter="2026-Q2", page="pages/attendance.py")
    start, end = QUARTERS["2026-Q2"]
    weekly = [n for (n,) in sql(demo_db, """SELECT sum(attendees) FROM meetings
        WHERE date_trunc('week', meeting_date) + INTERVAL 3 DAY BETWEEN ? AND ?
        GROUP BY date_trunc('week', meeting_date) ORDER BY date_trunc('week', meeting_date)""", [start, end])]
    busy = [n for i, n in enumerate(weekly) if i >= 2 and n < 0.7 * sum(weekly[max(0, i - 4):i]) / len(weekly[max(0, i - 4):i])]
    shown = metrics(at)
    assert shown["Average attendance"] == f"{sum(weekly) / len(weekly):.1f}"
    assert shown["Attendance dips"] == str(len(busy)) == "1"
    assert len(at.get("vega_lite_chart")) == 2


def _feedback_count(db_path: Path, quarter: str, search: str = "") -> int:
    start, end = QUARTERS[quarter]
    return sql(db_path, f"""SELECT count(*) FROM responses r JOIN response_weeks w USING (response_key)
                             WHERE w.week_start IN ({VISIBLE_WEEKS}) AND trim(coalesce(r.feedback, '')) <> ''
                               AND lower(r.feedback) LIKE '%' || lower(?) || '%'""", [start, end, search])[0][0]


def shown_feedback(at: AppTest) -> list[str]:
    """The answers listed on the page (st.text: plain text, never Markdown); quotes are “…”."""
    return [t.value for t in at.text if not t.value.startswith("“")]


def test_feedback_page_counts_and_search(demo_db: Path, monkeypatch) -> None:
    at = open_app(demo_db, monkeypatch, quarter="2026-Q3", page="pages/feedback.py")
    total = _feedback_count(demo_db, "2026-Q3")
    assert at.markdown[0].value.startswith(f"**{total} answers**")
    assert len(shown_feedback(at)) == min(total, 50)
    assert total > 50
    at.button[0].click().run()  # "Show N more"
    assert len(shown_feedback(at)) == min(total, 100)
    at.text_input(key="feedback_search").input("timeline").run()
    matching = _feedback_count(demo_db, "2026-Q3", "timeline")
    assert 5 <= matching < total
    assert at.markdown[0].value.startswith(f"**{matching} answer{'s' if matching != 1 else ''} matching")
    assert len(shown_feedback(at)) == min(matching, 50) and all("timeline" in t.lower() for t in shown_feedback(at))
    # Fewer matches than the minimum group size: a count, never the answers.
    at.text_input(key="feedback_search").input("roadmap").run()
    assert 0 < _feedback_count(demo_db, "2026-Q3", "roadmap") < 5
    assert shown_feedback(at) == [] and "Fewer than 5 comments match" in at.info[0].value


def test_data_page_shows_runs_rejects_and_freshness(demo_db: Path, monkeypatch) -> None:
    at = open_app(demo_db, monkeypatch, page="pages/data.py")
    responses, rejects, latest = sql(demo_db, "SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM rejects), (SELECT max(submitted_local) FROM responses)")[0]
    shown = metrics(at)
    assert shown["Responses stored"] == f"{responses:,}"
    assert shown["Rejected rows"] == str(rejects) == "2"
    assert shown["Latest response"] == f"{latest:%Y-%m-%d}"
    reasons = list(at.dataframe[1].value["reason"])
    assert any("bad time" in r for r in reasons) and any("not a 1-5 answer" in r for r in reasons)
    assert not any("N/A" in r for r in reasons)  # the demo's bad answer is named by its kind, never quoted


@pytest.mark.parametrize("page", [None, "pages/agreement.py", "pages/attendance.py", "pages/feedback.py", "pages/data.py"])
def test_no_database_says_what_to_do(tmp_path: Path, monkeypatch, page: str | None) -> None:
    at = open_app(tmp_path / "missing.duckdb", monkeypatch, page=page)
    assert any("python -m pipeline ingest" in c.value for c in at.code)
    assert not at.metric or page == "pages/data.py"


def test_empty_database_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "empty.duckdb"
    assert pipeline_main(["init", "--db", str(db)]) == 0
    at = open_app(db, monkeypatch)
    assert "no survey responses" in at.info[0].value
    assert any("python -m pipeline ingest" in c.value for c in at.code)


def test_small_weeks_are_suppressed_everywhere(tmp_path: Path, monkeypatch) -> None:
    """A week with 3 responses: its figures and feedback are hidden, and it is left out of averages."""
    db = tmp_path / "small.duckdb"
    rows = [["Timestamp", S.statement_texts[0], "How could we improve?"]]
    for i in range(6):  # week of 2 March: 6 responses scoring 4
        rows.append([f"2026-03-04 16:0{i}", "4", f"visible {i}"])
    for i in range(3):  # week of 9 March: 3 responses scoring 1
        rows.append([f"2026-03-11 16:0{i}", "1", f"secret {i}"])
    survey = tmp_path / "s.csv"
    with open(survey, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    attendance = tmp_path / "a.csv"
    attendance.write_text("Date,Attendees\n2026-03-04,10\n2026-03-11,8\n")
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey), "--attendance", str(attendance)]) == 0

    at = open_app(db, monkeypatch, quarter="2026-Q1")
    shown = metrics(at)
    assert shown["Average score"] == "4.00 / 5"  # the 1s of the small week are not averaged in
    assert shown["Latest week"] == "fewer than 5 responses"
    assert shown["Response rate"] == "60%"  # 6 of 10: the hidden week is left out
    at.switch_page("pages/feedback.py").run()
    assert sorted(shown_feedback(at)) == [f"visible {i}" for i in range(6)]
    assert "3 answers from weeks with fewer than 5 responses are hidden" in at.caption[1].value
    at.switch_page("pages/agreement.py").run()
    shipped = pd.concat(chart_frames(at.get("vega_lite_chart")[0]))
    assert "secret" not in at.get("vega_lite_chart")[0].proto.spec
    assert set(shipped["value"].dropna()) == {4.0}  # the small week's 1s never reach the browser


def test_settings_problem_is_one_message(tmp_path: Path, monkeypatch, demo_db: Path) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text("target_score = 9\n")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(bad))
    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    # The message is shown as text: Markdown-escaped inside the error box.
    assert "target_score must be a number between 1 and 5, not 9" in re.sub(r"\\(.)", r"\1", at.error[0].value)


def test_feedback_is_shown_as_text_not_markdown(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "x.duckdb"
    payloads = ["![x](https://evil.example/t.png)", "<script>alert(1)</script>", "[click](https://evil.example)",
                "<img src=x onerror=alert(1)>", "**bold** _it_"]
    survey = tmp_path / "s.csv"
    with open(survey, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", S.statement_texts[0], "How could we improve?"])
        for i, text in enumerate(payloads):
            writer.writerow([f"2026-03-04 16:0{i}", "4", text])
    pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)])
    at = open_app(db, monkeypatch, quarter="2026-Q1", page="pages/feedback.py")
    assert sorted(shown_feedback(at)) == sorted(payloads)
    rendered_as_markdown = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "evil.example" not in rendered_as_markdown and "<script>" not in rendered_as_markdown


def test_new_ingestion_shows_without_restart(tmp_path: Path, monkeypatch) -> None:
    """In a week still open (two days ago): a closed week's figures are frozen, see test_anonymity."""
    db = tmp_path / "live.duckdb"
    survey = tmp_path / "s.csv"
    day = date.today() - timedelta(days=2)
    survey.write_text(f"Timestamp,{S.statement_texts[0]}\n" + "".join(f"{day} 00:0{i},4\n" for i in range(5)))
    pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)])
    at = open_app(db, monkeypatch, quarter=quarter_for_week(day - timedelta(days=day.weekday())).label)
    assert metrics(at)["Average score"] == "4.00 / 5"
    survey.write_text(f"Timestamp,{S.statement_texts[0]}\n" + "".join(f"{day} 00:1{i},2\n" for i in range(5)))
    pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)])
    at.run()
    assert metrics(at)["Average score"] == "3.00 / 5"
    assert metrics(at)["Weeks at target"] == "0 of 1"


def test_series_filter_appears_with_several_series_and_scopes_the_figures(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "series.duckdb"
    survey = tmp_path / "s.csv"
    rows = [["Timestamp", "Series", S.statement_texts[0]]]
    rows += [[f"2026-03-04 16:0{i}", "Payments review", "5"] for i in range(5)]
    rows += [[f"2026-03-04 17:0{i}", "Platform review", "3"] for i in range(6)]
    with open(survey, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0

    at = open_app(db, monkeypatch, quarter="2026-Q1")
    series_box = at.sidebar.selectbox(key="series")
    assert series_box.options == ["All series", "Payments review", "Platform review"]
    assert metrics(at)["Average score"] == f"{(5 * 5 + 6 * 3) / 11:.2f} / 5"
    series_box.select("Payments review").run()
    assert at.query_params["series"] == "Payments review"
    assert metrics(at)["Average score"] == "5.00 / 5"
    at.switch_page("pages/feedback.py").run()
    assert at.session_state["series"] == "Payments review"


def test_series_from_the_url(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "series.duckdb"
    survey = tmp_path / "s.csv"
    survey.write_text("Timestamp,Series,Good use of my time\n" + "".join(
        f"2026-03-04 16:0{i},{'A' if i < 5 else 'B'},{4 if i < 5 else 2}\n" for i in range(10)))
    pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)])
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["quarter"] = "2026-Q1"
    at.query_params["series"] = "B"
    at.run()
    assert metrics(at)["Average score"] == "2.00 / 5"


def test_data_page_lists_failed_runs(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "runs.duckdb"
    good = tmp_path / "good.csv"
    good.write_text(f"Timestamp,{S.statement_texts[0]}\n" + "".join(f"2026-03-04 16:0{i},4\n" for i in range(5)))
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(good)]) == 0
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01binary")
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(broken)]) == 2
    at = open_app(db, monkeypatch, page="pages/data.py")
    assert "Failed runs" in [h.value for h in at.subheader]
    failures = at.dataframe[1].value
    assert len(failures) == 1 and "broken.csv" in failures.iloc[0]["message"]


def test_data_page_says_when_answers_were_rescaled(tmp_path: Path, monkeypatch) -> None:
    """Issue #10: a declared 1-7 scale is rescaled onto 1-5 for every figure, and the Data page says so."""
    db = tmp_path / "scaled.duckdb"
    export = tmp_path / "seven.csv"
    export.write_text(f"Timestamp,{S.statement_texts[0]}\n" + "".join(f"2026-03-04 16:0{i},{i + 3}\n" for i in range(5)))
    settings = tmp_path / "review_pulse.toml"
    settings.write_text('[[sources]]\nfiles = ["seven.csv"]\nscale_max = 7\n', encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(export)]) == 0
    # Answers 3..7 on 1-7 are 2.33..5 on 1-5: the mean of (x - 1) * 4 / 6 + 1 over x = 3..7.
    assert sql(db, "SELECT avg(score), avg(raw_score) FROM answers")[0] == (pytest.approx(1 + 4 * 4 / 6), 5.0)
    at = open_app(db, monkeypatch, page="pages/data.py")
    assert [i.value for i in at.info] == [
        "5 answers were given on a 7-point scale (the *Answer scale* chosen when the export was mapped on Load data) and rescaled linearly onto "
        "1–5 for every figure; the answers as given are kept."]


def test_data_page_lists_responses_an_attendance_change_moved_after_their_week_closed(tmp_path: Path, monkeypatch) -> None:
    """#22 item 5: one response of Tuesday 10 March belongs to the review of the 4th (week of 2 March);
    a later load dates the next review the 10th. The week of 2 March keeps it (frozen), and the Data
    page lists it as late for the week of 9 March, counted in its frozen week."""
    db = tmp_path / "moved.duckdb"
    survey = tmp_path / "s.csv"
    survey.write_text(f"Timestamp,{S.statement_texts[0]}\n" + "".join(f"2026-03-04 16:0{i},4\n" for i in range(5))
                      + "2026-03-10 09:00,1\n")
    attendance = tmp_path / "a.csv"
    attendance.write_text("Date,Attendees\n2026-03-04,9\n")
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey), "--attendance", str(attendance)]) == 0
    attendance.write_text("Date,Attendees\n2026-03-10,9\n")
    assert pipeline_main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    at = open_app(db, monkeypatch, quarter="2026-Q1", page="pages/data.py")
    assert "Late responses" in [h.value for h in at.subheader]
    late = next(d.value for d in at.dataframe if "late_responses" in d.value.columns)
    assert [(f"{w:%Y-%m-%d}", n, k) for w, n, k in late.values.tolist()] == [("2026-03-09", 1, 1)]


def test_the_first_run_freezes_what_the_process_holds_for_the_collector(demo_db: Path, monkeypatch) -> None:
    """dashboard.startup.freeze_startup_objects: after the app's first run the modules and everything else
    alive then sit in the collector's permanent generation, so a full collection in a page's run does not
    walk them (a 55-75 ms pause on the Series page's cold run before). Once per process: a second run
    freezes nothing more (the count may fall: a frozen object is still freed when nothing refers to it)."""
    import gc

    open_app(demo_db, monkeypatch)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the imported modules' objects at the least
    open_app(demo_db, monkeypatch)
    assert gc.get_freeze_count() <= frozen
