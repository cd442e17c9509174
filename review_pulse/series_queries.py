"""The Series page's read layer (issue 26): every review series side by side for one quarter.

Each series' row is the Overview's headline for that series, computed by the same function
(``figures.headline``) from the same frames (weekly scores, the previous quarter's, weekly
attendance) that ``DataView(series=...)`` reads, so the comparison and the Overview of a
series cannot disagree. The frames of all series come from a few grouped queries, not one
query per series: the visibility relation (``queries.VISIBILITY``) is evaluated over every
series at once (``$series`` NULL) and grouped by series and week. Its cells are one week of
one series, so grouping by series changes nothing about what is hidden: a hidden cell is left
out of its series' figures exactly as it is left out of "All series" (tests/test_series.py
checks each series against ``DataView(series=...)`` and tests/test_anonymity.py the sums).

No Streamlit here; cached through ``dashboard.data`` like every query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from review_pulse import action_queries, figures
from core.quarters import quarter_for_week
from review_pulse.queries import (STATEMENT_FIGURES, VISIBILITY, Filters, attendance_weeks, counting_connection,
                                   period_filter)
from review_pulse.talking_points_queries import TREND_MIN_REVIEWS

# One evaluation of the visibility relation for the whole page, over $week_from..$week_to (the quarter
# and the one before), in two parts told apart by ``part``:
# * 'week': per series and week, the weekly_scores columns (WEEKLY_SCORES with week and series as the key)
#   and the weekly_responses ones (visible_responses, hidden), which are the relation's ``weeks`` per series.
#   A week of one series is one cell: responses are the cell's if it is visible, 0 if not.
# * 'statement': STATEMENT_SCORES per series over the quarter's weeks ($current_from..$week_to).
SERIES_FIGURES = f"""
WITH {VISIBILITY},
series_weeks AS (
    SELECT c.week_start, c.series, coalesce(v.responses, 0)::BIGINT AS responses, v.series IS NULL AS hidden
    FROM cells AS c LEFT JOIN visible_cells AS v USING (week_start, series)
    WHERE c.responses > 0
),
week_answers AS (SELECT week_start, series, sum(answers) AS answers FROM statement_cells GROUP BY week_start, series),
week_visible AS (
    SELECT week_start, series, sum(answers) AS answers, sum(score_sum) AS score_sum
    FROM visible_statement_sums GROUP BY week_start, series
),
series_figures AS (
    SELECT w.series, w.week_start, w.responses, w.hidden, coalesce(v.answers, 0)::BIGINT AS answers,
           coalesce(v.score_sum, 0)::DOUBLE AS score_sum, (v.score_sum / v.answers)::DOUBLE AS mean_score,
           w.hidden OR (v.answers IS NULL AND coalesce(a.answers, 0) > 0) AS suppressed
    FROM series_weeks AS w LEFT JOIN week_visible AS v USING (week_start, series)
    LEFT JOIN week_answers AS a USING (week_start, series)
),
series_statements AS (
    SELECT v.series, v.statement, min(coalesce(o.statement_order, 999)) AS statement_order, {STATEMENT_FIGURES}
    FROM visible_statement_sums AS v LEFT JOIN statements AS o USING (statement)
    WHERE v.week_start BETWEEN $current_from AND $week_to
    GROUP BY v.series, v.statement
)
SELECT 'week' AS part, series, week_start, responses AS visible_responses, hidden,
       CASE WHEN suppressed THEN 0 ELSE responses END AS responses, answers, score_sum, mean_score, suppressed
FROM series_figures
UNION ALL BY NAME
SELECT 'statement' AS part, series, statement, statement_order, answers, mean_score, agree_share FROM series_statements
ORDER BY part, series, week_start, statement_order, statement
"""

# queries.ATTENDANCE_CELLS' attendance for every series (their responses come from SERIES_FIGURES).
SERIES_ATTENDANCE = f"""
SELECT wa.series, wa.week_start, sum(wa.attendees)::BIGINT AS attendees, count(*) AS meetings
FROM weekly_attendance AS wa
WHERE {period_filter("wa")}
GROUP BY wa.series, wa.week_start
ORDER BY wa.series, wa.week_start
"""

# RECURRING_THEMES per series (talking-point polls: vote counts, no voter stored, nothing to hide).
SERIES_THEMES = f"""
WITH themed AS (
    SELECT tp.week_start, tp.series, tp.theme, tp.votes
    FROM talking_points AS tp WHERE {period_filter("tp")} AND tp.kind = 'theme'
)
SELECT series, theme, sum(votes)::BIGINT AS total_votes, count(DISTINCT week_start)::BIGINT AS reviews
FROM themed GROUP BY series, theme
ORDER BY series, total_votes DESC, reviews DESC, theme
"""

SERIES_LIST = "SELECT series FROM responses UNION SELECT series FROM meetings ORDER BY series"

WEEK_COLUMNS = ["week_start", "responses", "answers", "score_sum", "mean_score", "suppressed"]

# The comparison's columns, in the table's order (the CSV's too).
COLUMNS = ["series", "hidden", "average_score", "responses", "target_gap", "meets_target", "previous_average", "change",
           "weeks_at_target", "weeks_scored", "weeks_hidden", "lagging_statement", "lagging_score",
           "attendance_growth_pct", "response_rate", "open_actions", "overdue_actions", "top_theme", "weekly_scores"]


@dataclass(frozen=True)
class SeriesComparison:
    """One row per series (``rows``, columns ``COLUMNS``) and the weekly scores behind the charts
    (``weekly``: series, week_start, responses, mean_score, suppressed)."""

    rows: pd.DataFrame
    weekly: pd.DataFrame  # per series and week; for a period longer than a quarter, per series and quarter
    weeks: tuple[pd.Timestamp, ...]  # the sparkline's points: every week (or quarter) of the period, in order
    headlines: dict[str, figures.Headline]  # each series' Overview headline (the organisation's report)
    bucket: str = "week"  # what a point of ``weekly`` and the sparkline is: "week" or "quarter"


TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"


@dataclass(frozen=True)
class SeriesFrames:
    """What the comparison reads, for every series at once (one connection, one snapshot)."""

    series: list[str]
    weeks: pd.DataFrame  # SERIES_FIGURES' weeks, over the quarter and the one before
    statements: pd.DataFrame  # SERIES_FIGURES' statements, over the quarter
    attendance: pd.DataFrame  # SERIES_ATTENDANCE
    themes: pd.DataFrame  # SERIES_THEMES (empty without poll tables)
    open_actions: pd.DataFrame  # action_queries.OPEN_ACTIONS for every series (empty without actions)


def series_frames(db_path: Path, current: Filters, span: Filters, period_end: date) -> SeriesFrames:
    every = {"series": None}
    with counting_connection(db_path) as (con, counted):  # SERIES_FIGURES on the stored cell counts if current
        def frame(sql: str, params: dict[str, object]) -> pd.DataFrame:
            return con.execute(sql, params).df()

        tables = {row[0] for row in con.execute(TABLES).fetchall()}
        both = frame(counted(SERIES_FIGURES), span.visible_params(current_from=current.week_from, **every))
        weeks = both[both["part"] == "week"].drop(columns=["part", "statement", "statement_order", "agree_share"])
        weeks = weeks.astype({"visible_responses": "int64", "hidden": bool, "responses": "int64", "answers": "int64",
                              "suppressed": bool}).reset_index(drop=True)
        weeks["week_start"] = pd.to_datetime(weeks["week_start"])
        statements = both[both["part"] == "statement"][["series", "statement", "statement_order", "answers",
                                                        "mean_score", "agree_share"]].reset_index(drop=True)
        return SeriesFrames(
            series=[row[0] for row in con.execute(SERIES_LIST).fetchall()],
            weeks=weeks,
            statements=statements,
            attendance=frame(SERIES_ATTENDANCE, current.params(**every)),
            themes=frame(SERIES_THEMES, current.params(**every)) if "polls" in tables
            else pd.DataFrame(columns=["series", "theme", "total_votes", "reviews"]),
            open_actions=frame(action_queries.OPEN_ACTIONS, {"period_end": period_end, **every}) if "action_items" in tables
            else pd.DataFrame(columns=["action_key", "series", "review_week", "title", "created", "due", "team", "source", "link"]),
        )


def top_recurring_themes(themes: pd.DataFrame) -> dict[str, str]:
    """Per series, the theme with most votes among those on the ballot in TREND_MIN_REVIEWS or more
    reviews (the Talking points page's recurring themes), from SERIES_THEMES' rows in their order
    (votes, then reviews, then name); a series without a recurring theme is absent."""
    recurring = themes[themes["reviews"] >= TREND_MIN_REVIEWS].drop_duplicates("series", keep="first")
    return {str(name): str(theme) for name, theme in zip(recurring["series"], recurring["theme"])}


# A period longer than this many weeks (All time) is drawn per quarter: 40 series x 5 years of weeks
# would be 10,000 points, more than a chart should send (bench target: 5,000 rows) or a reader can take in.
MAX_WEEKLY_POINTS = 16


def by_quarter(weeks: pd.DataFrame, fiscal_start_month: int) -> pd.DataFrame:
    """Each series' quarters from its weekly rows: the quarter's average is ``figures.average_scores`` of its
    weeks, the Overview's average for that series and quarter (visible cells only); a quarter with
    responses and no score shown is suppressed. ``week_start`` is the quarter's first day."""
    quarters = {w: quarter_for_week(pd.Timestamp(w).date(), fiscal_start_month) for w in weeks["week_start"].unique()}
    keyed = weeks.assign(quarter=weeks["week_start"].map({w: q.label for w, q in quarters.items()}))  # one lookup per row
    starts = {q.label: pd.Timestamp(q.start) for q in quarters.values()}
    frame = figures.average_scores(keyed, ["series", "quarter"]).rename(columns={"average_score": "mean_score"})
    frame["week_start"] = frame["quarter"].map(starts)
    frame["suppressed"] = frame["mean_score"].isna()
    frame["responses"] = frame["responses"].astype("int64")
    return frame.sort_values(["series", "week_start"])[["series", "week_start", "quarter", "responses", "mean_score",
                                                        "suppressed"]].reset_index(drop=True)


def series_comparison(db_path: Path, current: Filters, previous: Filters | None, target: float, period_end: date,
                      today: date, action_target_days: int, fiscal_start_month: int = 1) -> SeriesComparison:
    """Every series' headline for the quarter of ``current`` (against ``previous``), one row each.

    The headline of each series is ``figures.headline`` on that series' frames, as
    ``DataView.headline`` computes it for the Overview of that series.
    """
    span = current if previous is None else Filters(previous.week_from, current.week_to, None, current.min_group_size)
    read = series_frames(db_path, current, span, period_end)
    weeks = read.weeks
    in_current = weeks["week_start"].between(pd.Timestamp(current.week_from), pd.Timestamp(current.week_to))
    now, before = weeks[in_current], weeks[~in_current]
    statements, themes = read.statements, read.themes
    actions = action_queries.open_actions_by_series(read.open_actions, today, action_target_days).set_index("series")
    # weekly_attendance's weeks (attendees beside visible responses) for every series in one merge
    responses = now[["series", "week_start", "visible_responses", "hidden"]].rename(
        columns={"visible_responses": "responses", "hidden": "suppressed"})
    # each series' attendance cells with their visible responses (ATTENDANCE_CELLS' columns for every series)
    cells = read.attendance.assign(week_start=pd.to_datetime(read.attendance["week_start"])).merge(
        responses, on=["series", "week_start"], how="left")
    cells["responses"] = cells["responses"].fillna(0).astype("int64")
    cells["suppressed"] = cells["suppressed"].astype("boolean").fillna(False).astype(bool)
    attendance = attendance_weeks(cells, responses, keys=("series",))

    bucket = "week" if now["week_start"].nunique() <= MAX_WEEKLY_POINTS else "quarter"
    points = (now[["series", "week_start", "responses", "mean_score", "suppressed"]] if bucket == "week"
              else by_quarter(now, fiscal_start_month)).reset_index(drop=True).copy()
    points["mean_score"] = points["mean_score"].where(~points["suppressed"])
    all_weeks = tuple(sorted(points["week_start"].unique()))
    points_by_series = {name: group for name, group in points.groupby("series", sort=False)}
    rows, headlines = [], {}
    series_names = read.series
    by_series = {name: group for name, group in now.groupby("series", sort=False)}
    before_by_series = {name: group for name, group in before.groupby("series", sort=False)}
    attendance_by_series = {name: group for name, group in attendance.groupby("series", sort=False)}
    statements_by_series = {name: group for name, group in statements.groupby("series", sort=False)}
    top_themes = top_recurring_themes(themes)
    empty_weeks = now.iloc[0:0]
    for name in series_names:
        scores = by_series.get(name, empty_weeks)
        previous_scores = before_by_series.get(name)
        weekly_attendance = attendance_by_series.get(name, attendance.iloc[0:0])
        # The frames hold weekly_scores' columns (WEEK_COLUMNS) and a few more, which headline() never reads.
        h = figures.headline(scores, None if previous_scores is None or previous_scores.empty else previous_scores,
                             weekly_attendance, target)
        lagging = figures.lagging_statement(statements_by_series.get(name, statements.iloc[0:0]), "mean_score")
        hidden = h.average_score is None and h.weeks_hidden > 0
        headlines[name] = h
        shown = points_by_series.get(name, points.iloc[0:0])
        shown_weeks = dict(zip(shown["week_start"], shown["mean_score"]))
        rows.append({
            "series": name,
            "hidden": hidden,
            "average_score": h.average_score,
            "responses": h.responses,
            "target_gap": figures.target_gap(h.average_score, target),
            "meets_target": figures.meets_target(h.average_score, target),
            "previous_average": h.previous_average,
            "change": figures.change_value(h.average_score, h.previous_average),
            "weeks_at_target": h.weeks_at_target,
            "weeks_scored": h.weeks_scored,
            "weeks_hidden": h.weeks_hidden,
            "lagging_statement": None if lagging is None else str(lagging["statement"]),
            "lagging_score": None if lagging is None else float(lagging["mean_score"]),
            "attendance_growth_pct": h.attendance_growth_pct,
            "response_rate": h.response_rate,
            "open_actions": int(actions["open_now"].get(name, 0)),
            "overdue_actions": int(actions["overdue_now"].get(name, 0)),
            "top_theme": top_themes.get(name),
            # The sparkline: every week of the quarter, None where the series has no score shown.
            "weekly_scores": [None if pd.isna(shown_weeks.get(week)) else float(shown_weeks[week]) for week in all_weeks],
        })
    table = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("average_score", "target_gap", "previous_average", "change", "lagging_score",
                   "attendance_growth_pct", "response_rate"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    table = sort_rows(table)
    return SeriesComparison(table, points, all_weeks, headlines, bucket)


def sort_rows(table: pd.DataFrame, column: str = "target_gap", ascending: bool = True) -> pd.DataFrame:
    """Rows by a column (default: the gap to the target, worst first); rows without a value last,
    then by series name, so the order is stable."""
    return table.sort_values([column, "series"], ascending=[ascending, True], na_position="last",
                             kind="stable").reset_index(drop=True)
