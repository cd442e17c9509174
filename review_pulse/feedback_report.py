"""The Feedback page's charts as (slug, title, chart, rows), for the page and the retro pack."""

from __future__ import annotations

from review_pulse.export import ExportItem
from review_pulse.feedback_summary import FeedbackData, theme_overview_chart, theme_trend_chart
from review_pulse.report_items import chart_context
from review_pulse.view import DataView


def feedback_themes(view: DataView) -> ExportItem:
    rows = FeedbackData(view).overview()
    chart = theme_overview_chart(rows, chart_context(view))
    return ExportItem("feedback-themes", "Feedback themes by sentiment", chart,
                      rows[["theme", "theme_name", "sentiment", "comments", "theme_total"]])


def feedback_theme_trend(view: DataView) -> ExportItem:
    rows = FeedbackData(view).quarter_trend()
    chart = theme_trend_chart(rows, chart_context(view))
    return ExportItem("feedback-theme-trend", "Feedback themes per quarter", chart,
                      rows[["quarter", "theme", "theme_name", "comments", "quarter_comments", "share"]])


def feedback_items(view: DataView) -> list[ExportItem]:
    """The Feedback page's charts, for the retro pack."""
    return [feedback_themes(view), feedback_theme_trend(view)]
