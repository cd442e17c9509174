"""The Series page's charts and table (issue 26) as export items, for the page and the exports alike."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd

from core import anonymity
from review_pulse import figures, series_charts
from review_pulse.export import ExportItem
from review_pulse.report_items import chart_context, chart_item
from review_pulse.series_queries import SeriesComparison, sort_rows
from review_pulse.view import DataView

# Sort choices (the page's "Sort by", kept in the URL as ?sort=<key>): key -> (label, column, ascending).
SORTS = {
    "gap": ("Gap to target, worst first", "target_gap", True),
    "score": ("Average score, highest first", "average_score", False),
    "change": ("Change, biggest fall first", "change", True),
    "rate": ("Response rate, lowest first", "response_rate", True),
    "growth": ("Attendance growth, lowest first", "attendance_growth_pct", True),
    "overdue": ("Overdue actions, most first", "overdue_actions", False),
    "series": ("Series name", "series", True),
}
DEFAULT_SORT = "gap"

# The survey's figures of a row: what a series-quarter under the threshold shows none of.
SURVEY_FIGURES = ("average_score", "responses", "target_gap", "previous_average", "change", "weeks_at_target",
                  "weeks_scored", "lagging_statement", "lagging_score", "response_rate")


def comparison(view: DataView, today: date, sort: str = DEFAULT_SORT) -> SeriesComparison:
    """Every series for the view's period, sorted by ``sort`` (a SORTS key; unknown: the default)."""
    result = view.series_comparison(today)
    _label, column, ascending = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return dataclasses.replace(result, rows=sort_rows(result.rows, column, ascending))


def comparison_rows(result: SeriesComparison, min_group_size: int) -> pd.DataFrame:
    """The table's rows for CSV: one per series, a hidden series-quarter's survey figures worded as the
    rule ("fewer than 5 responses"), never a number."""
    rows = result.rows.drop(columns=["weekly_scores", "meets_target"]).copy()
    note = anonymity.fewer_than(min_group_size)
    for column in SURVEY_FIGURES:
        rows[column] = rows[column].astype(object)
        rows.loc[rows["hidden"], column] = note
    return rows


def scope(view: DataView):  # noqa: ANN201  (a ChartContext)
    """The charts' context: every series, whatever the sidebar's series filter says."""
    return dataclasses.replace(chart_context(view), series_label="every series")


def small_multiples(view: DataView, today: date, sort: str = DEFAULT_SORT) -> ExportItem:
    result = comparison(view, today, sort)
    chart = series_charts.small_multiples_chart(result.weekly, result.rows["series"].tolist(), scope(view),
                                                bucket=result.bucket)
    return chart_item(view, "series-small-multiples", "Weekly score per series", chart, result.weekly)


def heat_strip(view: DataView, today: date, sort: str = DEFAULT_SORT) -> ExportItem:
    result = comparison(view, today, sort)
    chart = series_charts.heat_strip_chart(result.weekly, result.rows["series"].tolist(), scope(view), result.bucket)
    return chart_item(view, "series-heat-strip", "Weekly score, series × weeks", chart, result.weekly)


def verdict_text(row: pd.Series, min_group_size: int) -> str:
    """A row's score cell: the score as shown, or the rule when the series-quarter is hidden."""
    if row["hidden"]:
        return anonymity.fewer_than(min_group_size)
    return figures.score_text(row["average_score"])


def table_rows(result: SeriesComparison, min_group_size: int) -> pd.DataFrame:
    """The page's table: figures as numbers the columns format, text where a figure is words; a hidden
    series-quarter's survey figures are empty and its score cell says the rule."""
    rows = result.rows
    hidden = rows["hidden"]
    table = pd.DataFrame({
        "series": rows["series"],
        "score": [verdict_text(r, min_group_size) for _, r in rows.iterrows()],
        "target_gap": rows["target_gap"].where(~hidden),
        "responses": rows["responses"].astype("Int64").where(~hidden),
        "change": rows["change"].where(~hidden),
        "weeks_at_target": [figures.DASH if h or not s else f"{a} of {s}" for h, a, s in
                            zip(hidden, rows["weeks_at_target"], rows["weeks_scored"])],
        "lagging_statement": [None if h or not isinstance(t, str) else f"{t} ({figures.score_text(m)})"
                              for h, t, m in zip(hidden, rows["lagging_statement"], rows["lagging_score"])],
        # Whole percents rounded here, as the Overview's text rounds them: the column's own format
        # rounds half up in the browser and would show 63% where the Overview says 62%.
        "attendance_growth_pct": rows["attendance_growth_pct"].map(figures.shown_whole),
        "response_rate": (rows["response_rate"] * 100).map(figures.shown_whole).where(~hidden),
        "open_actions": rows["open_actions"],
        "overdue_actions": rows["overdue_actions"],
        "top_theme": rows["top_theme"],
        # The sparkline draws the weeks with a score shown: Streamlit's line column cannot draw a gap (a None
        # or NaN turns the cell into text), so a hidden week is left out here; the small multiples show it grey.
        "weekly_scores": [[v for v in points if v is not None] for points in rows["weekly_scores"]],
    })
    return table.reset_index(drop=True)
