"""Differencing attacks on the minimum group size, run against what a viewer can see.

Each test builds a small real DuckDB file through the real CLI from hand-chosen rows, then
plays the attacker: it reads only visible outputs (the read layer's page data, the CSVs a
chart offers, the retro pack's CSVs and summary) for every selection a viewer can make,
subtracts them, and checks that the hidden people's answers come out nowhere.
Expected numbers are computed here from the rows we wrote, in plain Python.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.cli import build_parser, main, run_ingest
from review_pulse import report
from review_pulse.view import DataView
from review_pulse.export import chart_spec, frame_to_csv_bytes
from review_pulse.feedback_summary import FeedbackData
from core.quarters import parse_period
from review_pulse.retro_pack import build_retro_pack
from core.settings import Settings
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401  (fixture)

SHEET_KEY = "1RevPulseAttendanceSheet000000000000000000Ab"

S = Settings()
STATEMENTS = S.statement_texts
HIDDEN = "fewer than 5 responses"


def write_survey(path: Path, rows: list[dict[str, str]], series: bool = True) -> None:
    header = ["Timestamp", *(["Series"] if series else []), *STATEMENTS, "How could we improve?"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])


def response(moment: str, answers: tuple, series: str = "", feedback: str = "") -> dict[str, str]:
    row = {"Timestamp": moment, "Series": series, "How could we improve?": feedback}
    row.update({s: str(a) for s, a in zip(STATEMENTS, answers) if a is not None})
    return row


def ingest(db: Path, survey: Path) -> None:
    assert main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0


def view(db: Path, series: str | None = None, quarter: str = "2026-Q1") -> DataView:
    return DataView(db, parse_period(quarter), series, Settings())


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def number(text: str) -> float | None:
    """A CSV cell as the attacker reads it: a number, or None when it is hidden or blank."""
    try:
        return float(text)
    except ValueError:
        return None


def statement_sums_from_csv(rows: list[dict[str, str]]) -> dict[tuple[str, str], tuple[float, float]]:
    """(week, statement) -> (answers, sum of scores), recovered from a weekly-agreement CSV."""
    sums = {}
    for r in rows:
        answers, mean = number(r["answers"]), number(r["mean_score"])
        if answers is not None and mean is not None:
            sums[(r["week_start"][:10], r["statement"])] = (answers, answers * mean)
    return sums


def statement_sums_from_page(v: DataView) -> dict[tuple[str, str], tuple[float, float]]:
    frame = v.weekly_statement_scores()
    return {(f"{w:%Y-%m-%d}", s): (float(n), float(n) * float(m))
            for w, s, n, m in zip(frame["week_start"], frame["statement"], frame["answers"], frame["mean_score"])
            if n and m == m}


def distribution_counts(v: DataView) -> dict[tuple[str, int], int]:
    frame = v.answer_distribution()
    return {(s, int(k)): int(n) for s, k, n in zip(frame["statement"], frame["score"], frame["answers"])}


def recovered(total: dict, *parts: dict) -> dict:
    """What subtracting the parts from the total leaves, per key: the attacker's result."""
    left = {}
    for key, (answers, score_sum) in total.items():
        for part in parts:
            if key in part:
                answers, score_sum = answers - part[key][0], score_sum - part[key][1]
        if abs(answers) > 1e-9 or abs(score_sum) > 1e-6:
            left[key] = (answers, score_sum)
    return left


# --- 1. series differencing ------------------------------------------------------

ALPHA = [(5, 5, 4, 5), (4, 5, 5, 4), (5, 4, 4, 5), (4, 4, 5, 5), (5, 5, 5, 4)]
BETA = (1, 2, 1, 2)  # the one Beta respondent: answers nobody else gave


@pytest.fixture
def two_series_db(tmp_path: Path) -> Path:
    """Week of 2 March: 5 Alpha responses and 1 Beta; week of 9 March: 6 Alpha only."""
    rows = [response(f"2026-03-04 16:0{i}", a, "Alpha", f"alpha note {i}") for i, a in enumerate(ALPHA)]
    rows.append(response("2026-03-04 17:00", BETA, "Beta", "the beta secret"))
    rows += [response(f"2026-03-11 16:0{i}", (4, 4, 4, 4), "Alpha") for i in range(6)]
    survey = tmp_path / "s.csv"
    write_survey(survey, rows)
    db = tmp_path / "series.duckdb"
    ingest(db, survey)
    return db


def test_all_series_minus_a_visible_series_reveals_nothing(two_series_db: Path) -> None:
    everything, alpha, beta = view(two_series_db), view(two_series_db, "Alpha"), view(two_series_db, "Beta")

    # Page data: 6 x mean(All) - 5 x mean(Alpha), per statement and week.
    assert recovered(statement_sums_from_page(everything), statement_sums_from_page(alpha)) == {}
    # The same attack on the CSVs each chart offers.
    csv_all = csv_rows(frame_to_csv_bytes(report.weekly_agreement(everything).rows))
    csv_alpha = csv_rows(frame_to_csv_bytes(report.weekly_agreement(alpha).rows))
    assert recovered(statement_sums_from_csv(csv_all), statement_sums_from_csv(csv_alpha)) == {}
    # Weekly overall scores and the quarter average.
    weekly_all, weekly_alpha = everything.weekly_scores(), alpha.weekly_scores()
    assert weekly_all["score_sum"].tolist() == weekly_alpha["score_sum"].tolist()
    assert weekly_all["responses"].tolist() == weekly_alpha["responses"].tolist() == [5, 6]
    assert everything.headline().average_score == alpha.headline().average_score
    alpha_answers = [x for a in ALPHA for x in a] + [4] * 24
    assert alpha.headline().average_score == pytest.approx(sum(alpha_answers) / len(alpha_answers))
    # The answer spread: the All counts are Alpha's, so their difference is empty.
    assert distribution_counts(everything) == distribution_counts(alpha)
    # Beta on its own shows nothing but the rule.
    assert beta.weekly_statement_scores()["suppressed"].all()
    assert beta.weekly_statement_scores()["mean_score"].isna().all()
    assert beta.answer_distribution().empty and beta.feedback().empty
    assert all(r["mean_score"] == HIDDEN for r in csv_rows(frame_to_csv_bytes(report.weekly_agreement(beta).rows)))
    assert "the beta secret" not in everything.feedback()["text"].tolist()


def test_the_feedback_themes_and_counts_cannot_be_subtracted(two_series_db: Path) -> None:
    """The Feedback page's analysed comments, counts and theme counts follow the same cells: Beta's one
    comment (a hidden cell in a week Alpha makes visible) shows under no filter, so All - Alpha is empty."""
    everything, alpha, beta = (FeedbackData(view(two_series_db, s)) for s in (None, "Alpha", "Beta"))
    alpha_notes = sorted(f"alpha note {i}" for i in range(len(ALPHA)))
    for data in (everything, alpha):
        assert sorted(data.comments()["text"]) == alpha_notes
        assert data.count() == len(alpha_notes)
        weekly = data.weekly_theme_counts()
        assert weekly.drop_duplicates("week_start")["week_comments"].sum() == len(alpha_notes)
    assert beta.comments().empty and beta.count() == 0 and beta.weekly_theme_counts().empty
    assert beta.quotes() == {} or all(not q for q in beta.quotes().values())
    assert "the beta secret" not in str(everything.quotes())


def test_the_actions_review_health_cannot_be_subtracted(two_series_db: Path) -> None:
    """The Actions page's "beside review health" follows the same cells: under All series the week of
    2 March holds Alpha's 5 responses, not 6, and its scores are Alpha's alone."""
    everything, alpha, beta = (view(two_series_db, s).review_health() for s in (None, "Alpha", "Beta"))
    columns = ["responses", "learned_score", "learned_answers", "good_use_score", "good_use_answers", "suppressed"]
    assert everything[columns].equals(alpha[columns])
    assert everything["responses"].tolist() == [len(ALPHA), 6]
    learned = [a[3] for a in ALPHA]  # the fourth statement: "I learned something new in this meeting"
    assert everything["learned_score"].iloc[0] == pytest.approx(sum(learned) / len(learned))
    assert beta["suppressed"].all() and (beta["responses"] == 0).all() and beta["learned_score"].isna().all()


def test_the_talking_points_beside_the_survey_cannot_be_subtracted(two_series_db: Path, tmp_path: Path) -> None:
    """Survey means beside the polls' top picks follow the same cells: Beta's hidden respondent is in
    no mean, so All series shows Alpha's figures and Beta's week is only counted as hidden."""
    polls = tmp_path / "points.csv"
    polls.write_text("Date,Talking point,Votes,Kind,Series\n"
                     "2026-03-04,Alert routing,4,theme,Alpha\n2026-03-04,The failover,1,incident,Alpha\n"
                     "2026-03-04,Alert routing,3,theme,Beta\n2026-03-04,The failover,0,incident,Beta\n")
    assert main(["ingest", "--db", str(two_series_db), "--polls", str(polls)]) == 0
    everything, alpha, beta = (view(two_series_db, s) for s in (None, "Alpha", "Beta"))
    columns = ["top_kind", "statement", "weeks", "responses", "mean_score"]
    assert everything.beside_survey()[columns].equals(alpha.beside_survey()[columns])
    learned = everything.beside_survey().set_index("statement").loc[STATEMENTS[3]]
    assert (learned["responses"], learned["mean_score"]) == (len(ALPHA), pytest.approx(sum(a[3] for a in ALPHA) / len(ALPHA)))
    assert beta.beside_survey()["mean_score"].isna().all()
    assert (everything.beside_survey_hidden_weeks(), beta.beside_survey_hidden_weeks()) == (1, 1)


def test_retro_packs_cannot_be_subtracted(two_series_db: Path) -> None:
    packs = {name: zipfile.ZipFile(io.BytesIO(build_retro_pack(view(two_series_db, series))))
             for name, series in (("all", None), ("alpha", "Alpha"), ("beta", "Beta"))}
    sums = {name: statement_sums_from_csv(csv_rows(pack.read("weekly-agreement_2026-Q1.csv")))
            for name, pack in packs.items()}
    assert recovered(sums["all"], sums["alpha"]) == {}
    assert sums["beta"] == {}
    spread = {name: csv_rows(pack.read("answer-distribution_2026-Q1.csv")) for name, pack in packs.items()}
    assert [(r["statement"], r["score"], r["answers"]) for r in spread["all"]] == \
        [(r["statement"], r["score"], r["answers"]) for r in spread["alpha"]]
    summaries = {name: pack.read("summary_2026-Q1.md").decode() for name, pack in packs.items()}
    assert summaries["all"].split("| Average score |")[1].split("\n")[0] == \
        summaries["alpha"].split("| Average score |")[1].split("\n")[0]
    assert f"hidden, {HIDDEN} (or answers to each statement) in every week" in summaries["beta"].split("| Average score |")[1].split("\n")[0]


def test_a_week_of_small_series_only_is_hidden_under_all_series(tmp_path: Path) -> None:
    """Two series of 3 in one week: 6 responses under "All series", but each cell is hidden,
    so "All series" hides the week too (otherwise All - nothing = the two small groups)."""
    rows = [response(f"2026-03-04 16:0{i}", (5, 5, 5, 5), "Alpha") for i in range(3)]
    rows += [response(f"2026-03-04 17:0{i}", (1, 1, 1, 1), "Beta") for i in range(3)]
    survey = tmp_path / "s.csv"
    write_survey(survey, rows)
    db = tmp_path / "small.duckdb"
    ingest(db, survey)
    scores = view(db).weekly_scores()
    assert scores["suppressed"].tolist() == [True] and scores["mean_score"].isna().all()
    assert view(db).headline().average_score is None


# --- 2. per-statement answer counts ------------------------------------------------


ONE_ANSWER_WEEK = [(5, 1, 5, 5), *[(5, None, 4, 4)] * 4]
FULL_WEEK = [(4, 3, 4, 5)] * 5


@pytest.fixture
def one_answer_db(tmp_path: Path) -> Path:
    """Week of 2 March: 5 responses; only one person answered the second statement (with a 1).
    Week of 9 March: 5 responses answering everything."""
    rows = [response(f"2026-03-04 16:0{i}", a) for i, a in enumerate(ONE_ANSWER_WEEK)]
    rows += [response(f"2026-03-11 16:0{i}", a) for i, a in enumerate(FULL_WEEK)]
    survey = tmp_path / "s.csv"
    write_survey(survey, rows, series=False)
    db = tmp_path / "one.duckdb"
    ingest(db, survey)
    return db


def test_a_statement_answered_by_one_person_is_hidden_and_left_out_of_every_sum(one_answer_db: Path) -> None:
    v = view(one_answer_db)
    by_statement = v.weekly_statement_scores()
    lonely = by_statement[(by_statement["week_start"] == "2026-03-02") & (by_statement["statement"] == STATEMENTS[1])]
    assert lonely["suppressed"].tolist() == [True] and lonely["answers"].tolist() == [0]
    assert lonely["mean_score"].isna().all() and lonely["agree_share"].isna().all()

    # Attack 1: the week's overall score minus its visible statements.
    weekly = v.weekly_scores().set_index("week_start")
    visible = statement_sums_from_page(v)
    for week, row in weekly.iterrows():
        parts = [(n, s) for (w, _), (n, s) in visible.items() if w == f"{week:%Y-%m-%d}"]
        assert row["answers"] == sum(n for n, _ in parts)
        assert row["score_sum"] == pytest.approx(sum(s for _, s in parts))
    # Attack 2: the quarter's average minus the visible weekly figures.
    kept = [x for a in ONE_ANSWER_WEEK for i, x in enumerate(a) if i != 1 and x is not None]
    kept += [x for a in FULL_WEEK for x in a]  # every answer but the lonely 1
    assert v.headline().average_score == pytest.approx(sum(kept) / len(kept))
    # Attack 3: the spread of answers over the quarter holds the statement's visible week only.
    assert distribution_counts(v)[(STATEMENTS[1], 1)] == 0
    assert sum(n for (s, _), n in distribution_counts(v).items() if s == STATEMENTS[1]) == 5
    # The CSV and the retro pack say so in words.
    rows = csv_rows(frame_to_csv_bytes(report.weekly_agreement(v).rows))
    hidden = [r for r in rows if r["statement"] == STATEMENTS[1] and r["week_start"].startswith("2026-03-02")]
    assert [(r["answers"], r["mean_score"], r["agree_share"]) for r in hidden] == [(HIDDEN, HIDDEN, HIDDEN)]
    pack = zipfile.ZipFile(io.BytesIO(build_retro_pack(v)))
    packed = csv_rows(pack.read("weekly-agreement-percent_2026-Q1.csv"))
    assert statement_sums_from_csv(packed) == statement_sums_from_csv(rows)


# --- 5. late responses --------------------------------------------------------------


def test_the_talking_points_beside_the_survey_leave_out_a_statement_one_person_answered(one_answer_db: Path,
                                                                                       tmp_path: Path) -> None:
    """The lone answer to the second statement (a 1, week of 2 March) is in no mean beside the polls:
    with it, that mean minus the week of 9 March's would give it back."""
    polls = tmp_path / "points.csv"
    polls.write_text("Date,Talking point,Votes,Kind\n2026-03-04,Alert routing,4,theme\n2026-03-04,The failover,1,incident\n"
                     "2026-03-11,Alert routing,5,theme\n2026-03-11,The failover,0,incident\n")
    assert main(["ingest", "--db", str(one_answer_db), "--polls", str(polls)]) == 0
    rows = view(one_answer_db).beside_survey().set_index("statement")
    discussed = rows.loc[STATEMENTS[1]]
    assert (discussed["weeks"], discussed["responses"]) == (1, len(FULL_WEEK))
    assert discussed["mean_score"] == pytest.approx(sum(a[1] for a in FULL_WEEK) / len(FULL_WEEK))


def test_a_late_response_to_a_closed_week_changes_nothing_and_is_listed(tmp_path: Path) -> None:
    """Snapshot 1: a closed week with 5 responses. Snapshot 2: the export re-downloaded with one
    more (late) response. The two snapshots' figures are equal, so their difference is empty."""
    rows = [response(f"2026-03-04 16:0{i}", (4, 4, 5, 5), feedback=f"on time {i}") for i in range(5)]
    survey = tmp_path / "s.csv"
    write_survey(survey, rows, series=False)
    db = tmp_path / "late.duckdb"
    ingest(db, survey)

    def visible(v: DataView) -> tuple:
        return (statement_sums_from_page(v), v.weekly_scores()["score_sum"].tolist(),
                v.weekly_scores()["responses"].tolist(), distribution_counts(v), sorted(v.feedback()["text"]),
                csv_rows(frame_to_csv_bytes(report.weekly_agreement(v).rows)))

    before = visible(view(db))
    write_survey(survey, [*rows, response("2026-03-04 18:00", (1, 1, 1, 1), feedback="late secret")], series=False)
    ingest(db, survey)
    after = visible(view(db))
    assert after == before
    late = view(db).late_responses()
    assert [(f"{w:%Y-%m-%d}", n) for w, n in zip(late["week_start"], late["late_responses"])] == [("2026-03-02", 1)]


def test_a_series_first_loaded_after_its_week_closed_is_counted_whole(tmp_path: Path) -> None:
    """Freezing is per week and series: a second export loaded later for old weeks is not 'late'."""
    db = tmp_path / "two-loads.duckdb"
    first, second = tmp_path / "alpha.csv", tmp_path / "beta.csv"
    write_survey(first, [response(f"2026-03-04 16:0{i}", (4, 4, 4, 4), "Alpha") for i in range(5)])
    write_survey(second, [response(f"2026-03-04 17:0{i}", (2, 2, 2, 2), "Beta") for i in range(5)])
    ingest(db, first)
    ingest(db, second)
    assert view(db, "Beta").weekly_scores()["mean_score"].tolist() == [2.0]
    assert view(db).weekly_scores()["responses"].tolist() == [10]
    assert view(db).late_responses().empty


def test_an_open_week_still_counts_new_responses(tmp_path: Path) -> None:
    day = date.today() - timedelta(days=2)
    db = tmp_path / "open.duckdb"
    survey = tmp_path / "s.csv"
    rows = [response(f"{day} 00:0{i}", (4, 4, 4, 4)) for i in range(5)]
    write_survey(survey, rows, series=False)
    ingest(db, survey)
    write_survey(survey, [*rows, response(f"{day} 00:10", (2, 2, 2, 2))], series=False)
    ingest(db, survey)
    v = DataView(db, parse_period("all"), None, Settings())
    assert v.weekly_scores()["responses"].tolist() == [6] and v.late_responses().empty


# --- 5b. week assignment: an attendance change after a week closed (#22 item 5) --------------

# Reviews on Wednesdays 4, 11 and 18 March (weeks of 2, 9 and 16 March). Two people answered on
# Tuesday 10 March, before the review of the 11th: their review is the 4th's, so week 2 March.
MEETINGS = {"2026-03-04": 20, "2026-03-11": 18, "2026-03-18": 15}
ON_TIME = {
    "2026-03-02": [(f"2026-03-04 16:0{i}", a) for i, a in enumerate([(5, 4, 5, 4), (4, 4, 4, 5), (5, 5, 4, 4),
                                                                    (4, 5, 5, 5), (3, 4, 4, 4)])],
    "2026-03-09": [(f"2026-03-11 17:0{i}", a) for i, a in enumerate([(4, 4, 4, 4), (5, 5, 5, 5), (4, 3, 4, 4),
                                                                    (5, 4, 4, 5), (4, 4, 5, 4)])],
    "2026-03-16": [(f"2026-03-18 16:0{i}", (4, 4, 4, 4)) for i in range(5)],
}
MOVERS = [("2026-03-10 09:00", (1, 2, 1, 3)), ("2026-03-10 09:05", (2, 1, 2, 1))]  # answers nobody else gave
# The sheet's fix: the review "of the 11th" was held on Tuesday the 10th. By that attendance the
# movers belong to the week of 9 March.
FIXED_DATE = ("2026-03-11", "2026-03-10")


def attendance_rows(fixed: bool) -> list[list[str]]:
    dates = {FIXED_DATE[0]: FIXED_DATE[1]} if fixed else {}
    return [["Date", "Attendees"], *([dates.get(day, day), str(n)] for day, n in MEETINGS.items())]


def expected_weeks(movers_week: str) -> dict[str, dict]:
    """Per week, from the rows above: responses, answers and score sum per statement, the week's
    mean, the answers' spread and comments, with the movers in ``movers_week``."""
    weeks = {week: list(rows) for week, rows in ON_TIME.items()}
    weeks[movers_week] = weeks[movers_week] + MOVERS
    figures = {}
    for week, rows in weeks.items():
        answers = [a for _, a in rows]
        figures[week] = {
            "responses": len(rows),
            "mean": sum(x for a in answers for x in a) / (4 * len(answers)),
            "statements": {s: (len(answers), sum(a[i] for a in answers)) for i, s in enumerate(STATEMENTS)},
            "comments": sum(1 for t, _ in rows if t in dict(MOVERS)),
        }
    return figures


def visible_figures(db: Path) -> dict[str, object]:
    """Everything a viewer can read about the weeks, for the quarter and for All time."""
    shown = {}
    for quarter in ("2026-Q1", "all"):
        v = DataView(db, parse_period(quarter), None, Settings())
        scores = v.weekly_scores()
        data = FeedbackData(v)
        shown[quarter] = {
            "weekly_scores": [(f"{w:%Y-%m-%d}", int(n), int(a), round(float(t), 9), bool(h))
                              for w, n, a, t, h in zip(scores["week_start"], scores["responses"], scores["answers"],
                                                       scores["score_sum"], scores["suppressed"])],
            "statements": statement_sums_from_page(v),
            "distribution": distribution_counts(v),
            "average": v.headline().average_score,
            "feedback": (sorted(v.feedback()["text"]), v.feedback_count(), v.hidden_feedback_count(), data.count()),
            "csv": csv_rows(frame_to_csv_bytes(report.weekly_agreement(v).rows)),
        }
    return shown


def late_list(db: Path) -> list[tuple[str, int, int]]:
    late = view(db).late_responses()
    return [(f"{w:%Y-%m-%d}", int(n), int(k))
            for w, n, k in zip(late["week_start"], late["late_responses"], late["counted_elsewhere"])]


@pytest.mark.parametrize("route", ["duckdb", "python", "sheets"])
def test_an_attendance_change_after_weeks_closed_moves_no_response_between_them(
        route: str, tmp_path: Path, sheets_api: SheetsApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack: snapshot the closed weeks, let a corrected meeting date move two responses from
    the week of 2 March to the week of 9 March, snapshot again and subtract. Both weeks must show
    exactly what they showed, and the two responses are listed as late for the week of 9 March
    (where the attendance now puts them), still counted in the week of 2 March."""
    db = tmp_path / "weeks.duckdb"
    survey = tmp_path / "survey.csv"
    rows = [response(t, a, feedback=f"on time {t}") for week in ON_TIME.values() for t, a in week]
    rows += [response(t, a, feedback="mover secret" if i == 0 else "") for i, (t, a) in enumerate(MOVERS)]
    write_survey(survey, rows, series=False)
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)

    def load(fixed: bool, with_surveys: bool = True) -> None:
        argv = ["ingest", "--db", str(db)] + (["--surveys", str(survey)] if with_surveys else [])
        if route == "sheets":
            sheets_api.add_sheet(SHEET_KEY, {"Attendance": attendance_rows(fixed)})
            argv += ["--attendance-sheet", SHEET_KEY, "--worksheet", "Attendance"]
        else:
            attendance = tmp_path / f"attendance-{fixed}.csv"
            write_csv_rows(attendance, attendance_rows(fixed))
            argv += ["--attendance", str(attendance)]
        summary = run_ingest(build_parser().parse_args(argv), Settings(), db, fast_csv=route != "python")
        if with_surveys:
            assert summary.parsed_in_duckdb == ([] if route == "python" else [str(survey)])

    load(fixed=False)
    load(fixed=False)  # again after the weeks closed: nothing new
    before = visible_figures(db)
    load(fixed=True, with_surveys=route != "sheets")  # the sheet's fix (a sync reads attendance alone)
    after = visible_figures(db)

    # Every run started after the three weeks closed (14 days after their Mondays).
    assert all(started > datetime(2026, 3, 30) for (started,) in sql(db, "SELECT started_at FROM ingest_runs"))
    expected = expected_weeks("2026-03-02")
    shown = before["2026-Q1"]
    assert [(w, n) for w, n, *_ in shown["weekly_scores"]] == [(w, f["responses"]) for w, f in expected.items()]
    assert [t / a for _, _, a, t, _ in shown["weekly_scores"]] == pytest.approx([f["mean"] for f in expected.values()])
    assert shown["statements"] == {(w, s): (float(n), float(t)) for w, f in expected.items()
                                   for s, (n, t) in f["statements"].items()}
    assert shown["feedback"][1] == sum(f["responses"] for f in expected.values()) - 1  # one mover left no comment
    assert "mover secret" in shown["feedback"][0]
    # By the fixed attendance the movers would be in the week of 9 March: the figures would differ.
    assert expected_weeks("2026-03-09")["2026-03-02"]["responses"] == 5
    assert sql(db, "SELECT count(*) FROM meetings WHERE meeting_date = DATE '2026-03-10'") == [(1,)]

    assert after == before
    assert late_list(db) == [("2026-03-09", len(MOVERS), len(MOVERS))]


def write_csv_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def sql(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def weeks_shown(db: Path) -> dict[str, int]:
    scores = DataView(db, parse_period("all"), None, Settings()).weekly_scores()
    return {f"{w:%Y-%m-%d}": int(n) for w, n in zip(scores["week_start"], scores["responses"])}


def test_an_open_week_still_moves_with_the_attendance(tmp_path: Path) -> None:
    """Last week and this week are open (neither ended 14 days ago): a new review date moves the
    responses sent this week from last week's review to this week's, and nothing is late."""
    today = datetime.now(timezone.utc).date()
    this_week = today - timedelta(days=today.weekday())
    last_week = this_week - timedelta(days=7)
    review = last_week + timedelta(days=2)
    stay = [response(f"{review} 12:0{i}", (4, 4, 4, 4)) for i in range(5)]
    move = [response(f"{this_week} 00:0{i}", (2, 2, 2, 2)) for i in range(5)]  # at most 7 days after the review
    survey, attendance, db = tmp_path / "s.csv", tmp_path / "a.csv", tmp_path / "open.duckdb"
    write_survey(survey, stay + move, series=False)
    write_csv_rows(attendance, [["Date", "Attendees"], [str(review), "12"]])
    assert main(["ingest", "--db", str(db), "--surveys", str(survey), "--attendance", str(attendance)]) == 0
    assert weeks_shown(db) == {f"{last_week}": 10}
    write_csv_rows(attendance, [["Date", "Attendees"], [str(review), "12"], [str(this_week), "11"]])
    assert main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    assert weeks_shown(db) == {f"{last_week}": 5, f"{this_week}": 5}
    v = DataView(db, parse_period("all"), None, Settings())
    assert v.weekly_scores()["mean_score"].tolist() == [4.0, 2.0] and v.late_responses().empty


def test_a_response_moved_from_an_open_week_into_a_closed_one_is_late_there(tmp_path: Path) -> None:
    """The other direction: a corrected review date puts two responses of last week (open) into the
    week before (closed since this Monday). That week's figures stay as they were; the two are
    counted nowhere and listed as late for it."""
    today = datetime.now(timezone.utc).date()
    open_week = today - timedelta(days=today.weekday() + 7)
    closed_week = open_week - timedelta(days=7)
    closed = [response(f"{closed_week} 15:0{i}", a) for i, a in enumerate([(5, 5, 4, 4), (4, 4, 4, 4), (5, 4, 5, 4),
                                                                          (3, 4, 4, 5), (4, 5, 4, 4)])]
    moved = [response(f"{open_week + timedelta(days=1)} 10:0{i}", (1, 1, 2, 1)) for i in range(2)]
    survey, attendance, db = tmp_path / "s.csv", tmp_path / "a.csv", tmp_path / "closed.duckdb"
    write_survey(survey, closed + moved, series=False)
    # Held on the Monday: the Tuesday a week later is 8 days after it, so the two are in their own week.
    write_csv_rows(attendance, [["Date", "Attendees"], [str(closed_week), "12"]])
    assert main(["ingest", "--db", str(db), "--surveys", str(survey), "--attendance", str(attendance)]) == 0
    v = DataView(db, parse_period("all"), None, Settings())
    before = (v.weekly_scores().iloc[:1].to_dict("list"), statement_sums_from_page(v), distribution_counts(v))
    assert weeks_shown(db) == {f"{closed_week}": 5, f"{open_week}": 0}  # two responses: hidden
    assert before[0]["score_sum"] == [sum(float(x) for a in closed for s, x in a.items() if s in STATEMENTS)]

    # The fix: held on the Tuesday. Now the two are 7 days after their review: its week.
    write_csv_rows(attendance, [["Date", "Attendees"], [str(closed_week + timedelta(days=1)), "12"]])
    assert main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    after = (v.weekly_scores().iloc[:1].to_dict("list"), statement_sums_from_page(v), distribution_counts(v))
    assert after == before and weeks_shown(db) == {f"{closed_week}": 5}
    late = v.late_responses()
    assert [(f"{w:%Y-%m-%d}", n, k) for w, n, k in zip(late["week_start"], late["late_responses"],
                                                       late["counted_elsewhere"])] == [(f"{closed_week}", 2, 0)]



def test_a_response_stored_after_a_week_closed_is_late_there_when_the_weeks_others_were_moved_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five responses land in last week's review, then a corrected attendance moves them into their own
    week W while it is open: W shows 5. A response stored after W closed must be late there, or the
    two snapshots (5, then 6) differ by that one response alone. The loads run at chosen times (the
    loader's clock, the one thing set here), as they would days apart."""
    import pipeline.loader as loader

    clock = [datetime(2026, 2, 11, 10, 0)]

    class LoaderClock(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return clock[0].replace(tzinfo=tz)

    monkeypatch.setattr(loader, "datetime", LoaderClock)
    old_week, week = "2026-01-05", "2026-02-09"  # Mondays
    survey, attendance, db = tmp_path / "s.csv", tmp_path / "a.csv", tmp_path / "moved.duckdb"
    old = [response(f"2026-01-06 10:0{i}", (4, 4, 4, 4)) for i in range(5)]  # a closed week: runs close it
    moved = [response(f"2026-02-10 10:0{i}", (2, 2, 2, 2)) for i in range(5)]  # Tuesday of W
    write_survey(survey, old + moved, series=False)
    # First the review of the week before (a Wednesday, 6 days earlier): the five land there.
    write_csv_rows(attendance, [["Date", "Attendees"], ["2026-01-05", "9"], ["2026-02-04", "9"]])
    assert main(["ingest", "--db", str(db), "--surveys", str(survey), "--attendance", str(attendance)]) == 0
    assert weeks_shown(db) == {old_week: 5, "2026-02-02": 5}
    clock[0] = datetime(2026, 2, 12, 10, 0)  # W still open: the Monday review is added, they move into W
    write_csv_rows(attendance, [["Date", "Attendees"], ["2026-01-05", "9"], ["2026-02-04", "9"], [week, "9"]])
    assert main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    clock[0] = datetime(2026, 2, 24, 10, 0)  # W closed (14 days after its Monday): this run freezes it
    assert main(["ingest", "--db", str(db), "--attendance", str(attendance)]) == 0
    assert weeks_shown(db) == {old_week: 5, week: 5}
    v = DataView(db, parse_period("all"), None, Settings())
    before = statement_sums_from_page(v)

    clock[0] = datetime(2026, 2, 25, 10, 0)  # the next day, one more response for W arrives
    write_survey(survey, [response("2026-02-11 09:00", (5, 5, 5, 5))], series=False)
    assert main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    assert weeks_shown(db) == {old_week: 5, week: 5}
    assert statement_sums_from_page(v) == before
    late = v.late_responses()
    assert [(f"{w:%Y-%m-%d}", n) for w, n in zip(late["week_start"], late["late_responses"])] == [(week, 1)]
    # The same cell counts the same however it is reached: All time, its quarter, its series, both.
    with duckdb.connect(str(db), read_only=True) as con:
        (series_name,), = con.execute("SELECT DISTINCT series FROM responses").fetchall()
    for period, series in (("all", None), ("2026-Q1", None), ("all", series_name), ("2026-Q1", series_name)):
        reached = DataView(db, parse_period(period), series, Settings())
        scores = reached.weekly_scores()
        assert {f"{w:%Y-%m-%d}": int(n) for w, n in zip(scores["week_start"], scores["responses"])} == \
            {old_week: 5, week: 5}, (period, series)
        assert statement_sums_from_page(reached) == before, (period, series)
        assert distribution_counts(reached) == distribution_counts(v), (period, series)


@pytest.mark.usefixtures("apptest_like_a_server")
def test_the_pages_show_all_series_as_alpha_alone(two_series_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same attack on what the browser receives: the Overview's metrics and the agreement
    chart's shipped data under "All series" equal Alpha's, so their difference is empty."""
    import pyarrow as pa
    from streamlit.testing.v1 import AppTest

    def page_data(series: str) -> tuple[dict, set]:
        monkeypatch.setenv("REVIEW_PULSE_DB", str(two_series_db))
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
        at.query_params["quarter"] = "2026-Q1"
        at.query_params["series"] = series
        at.run()
        shown = {m.label: m.value for m in at.metric}
        at.switch_page("pages/agreement.py").run()
        assert not at.exception
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
                  for d in at.get("vega_lite_chart")[0].proto.datasets if d.data.data]
        points = {(str(w)[:10], s, round(v, 9)) for f in frames if {"statement", "value"} <= set(f.columns)
                  for w, s, v in zip(f["week_start"], f["statement"], f["value"]) if v is not None and v == v}
        return shown, points

    everything, alpha = page_data("All series"), page_data("Alpha")
    assert everything == alpha
    assert everything[0]["Average score"] != "—" and len(everything[1]) == 2 * len(STATEMENTS)
    beta_metrics, beta_points = page_data("Beta")
    assert beta_points == set() and beta_metrics["Average score"] == "—"


# --- the Series page (issue 26): every series side by side ----------------------------------------
#
# Why nothing new can be subtracted: a cell is one week of one series, and "All series" is the sum of
# the visible cells only (VISIBILITY). The Series page shows each series' figures from that series'
# visible cells, through the same relation grouped by series. So, week by week and over the quarter,
# "All series" equals the sum of the series rows shown, and a hidden cell contributes to neither side:
# All minus every visible series leaves exactly nothing, and a hidden series-quarter shows no figure
# (its score cell says the rule, its survey columns are empty, it sorts last whatever its answers).

SERIES_TODAY = date(2026, 4, 1)


def series_page_exports(v: DataView) -> dict[str, list[dict[str, str]]]:
    """The CSVs the Series page offers: the table and each chart's rows."""
    from review_pulse import series_report

    result = series_report.comparison(v, SERIES_TODAY)
    return {
        "table": csv_rows(frame_to_csv_bytes(series_report.comparison_rows(result, v.settings.min_group_size))),
        "small-multiples": csv_rows(frame_to_csv_bytes(series_report.small_multiples(v, SERIES_TODAY).rows)),
        "heat-strip": csv_rows(frame_to_csv_bytes(series_report.heat_strip(v, SERIES_TODAY).rows)),
    }


def weekly_sums(rows: list[dict[str, str]]) -> dict[tuple[str, str], tuple[float, float]]:
    """(week, series) -> (responses, responses x mean) from a chart CSV: what an attacker can multiply out."""
    sums = {}
    for r in rows:
        n, mean = number(r["responses"]), number(r["mean_score"])
        if n is not None and mean is not None:
            sums[(r["week_start"][:10], r.get("series", ""))] = (n, n * mean)
    return sums


def test_the_series_page_minus_all_series_reveals_nothing(two_series_db: Path) -> None:
    from review_pulse import series_report

    everything = view(two_series_db)
    exports = series_page_exports(everything)
    table = {r["series"]: r for r in exports["table"]}
    # Beta (one respondent, in a week Alpha makes visible) shows the rule and no figure, in the table ...
    assert all(table["Beta"][column] == HIDDEN for column in series_report.SURVEY_FIGURES)
    shown = series_report.table_rows(series_report.comparison(everything, SERIES_TODAY), 5).set_index("series")
    assert shown.loc["Beta", "score"] == HIDDEN and pd.isna(shown.loc["Beta", "responses"])
    assert all(value is None for value in shown.loc["Beta", "weekly_scores"])
    # ... and in each chart's CSV: its week is there, as the rule.
    for name in ("small-multiples", "heat-strip"):
        beta = [r for r in exports[name] if r["series"] == "Beta"]
        assert beta and all(r["mean_score"] == HIDDEN and r["responses"] == HIDDEN for r in beta), name
    # All series minus every visible series: nothing left over the quarter ...
    overview = everything.headline()
    assert overview.responses - sum(int(r["responses"]) for r in table.values() if r["responses"] != HIDDEN) == 0
    assert float(table["Alpha"]["average_score"]) == pytest.approx(overview.average_score)
    # ... nor in any week (the Overview's score-trend CSV against the small multiples' CSV).
    trend = {(r["week_start"][:10], ""): (number(r["responses"]), number(r["responses"]) * number(r["mean_score"]))
             for r in csv_rows(frame_to_csv_bytes(report.score_trend(everything).rows))}
    per_series = weekly_sums(exports["small-multiples"])
    by_week: dict[tuple[str, str], tuple[float, float]] = {}
    for (week, _series), (n, total) in per_series.items():
        before = by_week.get((week, ""), (0.0, 0.0))
        by_week[(week, "")] = (before[0] + n, before[1] + total)
    assert recovered(trend, by_week) == {}
    # Beta's answers (mean 1.5) reach no chart the page draws or exports.
    for item in (series_report.small_multiples(everything, SERIES_TODAY), series_report.heat_strip(everything, SERIES_TODAY)):
        drawn = [row for data in chart_spec(item.chart).get("datasets", {}).values() for row in data]
        assert all(r["mean_score"] is None and r["responses"] is None for r in drawn if r["series"] == "Beta")


def test_the_series_page_of_small_series_only_shows_no_figure(tmp_path: Path) -> None:
    """Two series of 3 in one week: both rows hidden, as "All series" is."""
    rows = [response(f"2026-03-04 16:0{i}", (5, 5, 5, 5), "Alpha") for i in range(3)]
    rows += [response(f"2026-03-04 17:0{i}", (1, 1, 1, 1), "Beta") for i in range(3)]
    survey = tmp_path / "s.csv"
    write_survey(survey, rows)
    db = tmp_path / "small.duckdb"
    ingest(db, survey)
    result = view(db).series_comparison(SERIES_TODAY)
    assert result.rows["hidden"].all() and result.rows["average_score"].isna().all()
    assert (result.rows["responses"] == 0).all() and result.weekly["mean_score"].isna().all()
    assert view(db).headline().average_score is None


def test_the_organisation_pack_minus_all_series_reveals_nothing(two_series_db: Path) -> None:
    """The organisation's pack holds the Series page's figures: Beta says the rule in every file."""
    from pypdf import PdfReader

    from review_pulse import series_report
    from review_pulse.series_pack import build_series_pack

    pack = zipfile.ZipFile(io.BytesIO(build_series_pack(view(two_series_db), SERIES_TODAY)))
    table = {r["series"]: r for r in csv_rows(pack.read("series-comparison_2026-Q1.csv"))}
    assert all(table["Beta"][column] == HIDDEN for column in series_report.SURVEY_FIGURES)
    assert int(table["Alpha"]["responses"]) == view(two_series_db).headline().responses  # All series = Alpha
    for name in ("series-small-multiples_2026-Q1.csv", "series-heat-strip_2026-Q1.csv"):
        beta = [r for r in csv_rows(pack.read(name)) if r["series"] == "Beta"]
        assert beta and all(r["mean_score"] == HIDDEN for r in beta), name
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pack.read("series-report_2026-Q1.pdf"))).pages]
    beta_page = next(text for text in pages if text.lstrip().startswith("Beta"))
    assert f"{HIDDEN} (or answers to each statement) in every week" in beta_page and "1.50" not in beta_page and "Average score" not in beta_page
