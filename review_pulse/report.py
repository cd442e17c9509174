"""Each dashboard chart as (slug, title, chart, rows), built once for pages and exports alike."""

from __future__ import annotations

from review_pulse import charts
from review_pulse.view import DataView
from review_pulse.export import ExportItem
from review_pulse.report_items import chart_context, chart_item


def weekly_agreement(view: DataView, metric: str = "mean") -> ExportItem:
    rows = view.weekly_statement_scores()
    slug = "weekly-agreement" if metric == "mean" else "weekly-agreement-percent"
    title = "Weekly agreement per statement" + (" (% agree)" if metric == "agree" else "")
    return chart_item(view, slug, title, charts.weekly_agreement_chart(rows, chart_context(view), metric=metric), rows)


def score_trend(view: DataView) -> ExportItem:
    rows = view.weekly_scores()[["week_start", "responses", "mean_score", "suppressed"]]
    return chart_item(view, "score-trend", "Average weekly score", charts.score_trend_chart(rows, chart_context(view)), rows)


def answer_distribution(view: DataView) -> ExportItem:
    rows = view.answer_distribution()
    return chart_item(
        view, "answer-distribution", "Answers per statement", charts.answer_distribution_chart(rows, chart_context(view)), rows
    )


def attendance(view: DataView) -> ExportItem:
    rows = view.weekly_attendance()
    return chart_item(view, "attendance", "Weekly attendance", charts.attendance_chart(rows, chart_context(view)), rows)


# The response-rate chart's rows and CSV: every attendee and visible response of a week, and the counted ones
# the rate divides (figures.response_rate_parts; they differ under "All series" when a series' week is hidden).
RESPONSE_RATE_COLUMNS = ("week_start", "attendees", "responses", "suppressed", "responses_counted",
                         "attendees_counted", "response_rate")


def response_rate(view: DataView) -> ExportItem:
    rows = view.weekly_attendance()[list(RESPONSE_RATE_COLUMNS)]
    return chart_item(view, "response-rate", "Response rate", charts.response_rate_chart(rows, chart_context(view)), rows)


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
