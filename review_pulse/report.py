"""Each dashboard chart as (slug, title, chart, rows), built once for pages and exports alike."""

from __future__ import annotations

import pandas as pd

from core import anonymity
from review_pulse import charts
from review_pulse.view import DataView
from review_pulse.export import ExportItem

FIGURE_COLUMNS = ("responses", "answers", "mean_score", "agree_share", "response_rate")


def export_rows(frame: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """The chart's rows for CSV: a suppressed row says so instead of showing 0 or a blank.
    (Which rows are suppressed was decided by the read layer; this only words it.)"""
    if "suppressed" not in frame.columns or not frame["suppressed"].any():
        return frame
    rows = frame.copy()
    note = anonymity.fewer_than(min_group_size)
    for column in FIGURE_COLUMNS:
        if column in rows.columns:
            rows[column] = rows[column].astype(object)
            rows.loc[rows["suppressed"], column] = note
    return rows


def _item(view: DataView, slug: str, title: str, chart, rows: pd.DataFrame) -> ExportItem:
    return ExportItem(slug, title, chart, export_rows(rows, view.settings.min_group_size))


def chart_context(view: DataView) -> charts.ChartContext:
    settings = view.settings
    return charts.ChartContext(
        quarter_label=view.period.title,
        series_label=view.series_label,
        target=settings.target_score,
        agree_target=settings.agree_target,
        min_group_size=settings.min_group_size,
        freshness=view.freshness().label,
        statements=settings.statement_texts,
    )


def weekly_agreement(view: DataView, metric: str = "mean") -> ExportItem:
    rows = view.weekly_statement_scores()
    slug = "weekly-agreement" if metric == "mean" else "weekly-agreement-percent"
    title = "Weekly agreement per statement" + (" (% agree)" if metric == "agree" else "")
    return _item(view, slug, title, charts.weekly_agreement_chart(rows, chart_context(view), metric=metric), rows)


def score_trend(view: DataView) -> ExportItem:
    rows = view.weekly_scores()[["week_start", "responses", "mean_score", "suppressed"]]
    return _item(view, "score-trend", "Average weekly score", charts.score_trend_chart(rows, chart_context(view)), rows)


def answer_distribution(view: DataView) -> ExportItem:
    rows = view.answer_distribution()
    return _item(
        view, "answer-distribution", "Answers per statement", charts.answer_distribution_chart(rows, chart_context(view)), rows
    )


def attendance(view: DataView) -> ExportItem:
    rows = view.weekly_attendance()
    return _item(view, "attendance", "Weekly attendance", charts.attendance_chart(rows, chart_context(view)), rows)


def response_rate(view: DataView) -> ExportItem:
    rows = view.weekly_attendance()[["week_start", "attendees", "responses", "suppressed", "response_rate"]]
    return _item(view, "response-rate", "Response rate", charts.response_rate_chart(rows, chart_context(view)), rows)


def all_items(view: DataView) -> list[ExportItem]:
    """Every chart of the dashboard, in page order (the retro pack's contents)."""
    return [
        score_trend(view),
        weekly_agreement(view, "mean"),
        weekly_agreement(view, "agree"),
        answer_distribution(view),
        attendance(view),
        response_rate(view),
    ]


# --- follow-up actions (issue 13): their builders, reachable by name for ui.show_chart ---
from review_pulse.action_report import action_burnup, action_review_health, action_time_to_close  # noqa: E402,F401


# --- talking points (issue 12): ui.show_chart and the retro pack find these builders here ---
from review_pulse.talking_points_report import (  # noqa: E402
    beside_survey,
    recurring_themes,
    talking_point_choices,
    talking_point_items,
    theme_timeline,
    topic_balance,
)


# --- feedback themes and sentiment (issue 15) ------------------------------------------------


def feedback_themes(view: DataView) -> ExportItem:
    from review_pulse.feedback_summary import FeedbackData, theme_overview_chart

    rows = FeedbackData(view).overview()
    chart = theme_overview_chart(rows, chart_context(view))
    return ExportItem("feedback-themes", "Feedback themes by sentiment", chart,
                      rows[["theme", "theme_name", "sentiment", "comments", "theme_total"]])


def feedback_theme_trend(view: DataView) -> ExportItem:
    from review_pulse.feedback_summary import FeedbackData, theme_trend_chart

    rows = FeedbackData(view).quarter_trend()
    chart = theme_trend_chart(rows, chart_context(view))
    return ExportItem("feedback-theme-trend", "Feedback themes per quarter", chart,
                      rows[["quarter", "theme", "theme_name", "comments", "quarter_comments", "share"]])


def feedback_items(view: DataView) -> list[ExportItem]:
    """The Feedback page's charts, for the retro pack."""
    return [feedback_themes(view), feedback_theme_trend(view)]
