"""The Actions page's charts and tables as export items, shared by the page, the retro pack and the CLI export."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd

from review_pulse import action_charts, action_queries
from review_pulse.action_queries import ActionHeadline
from review_pulse.view import DataView
from review_pulse.export import ExportItem, md_inline
from review_pulse.report_items import chart_context


def today_for(view: DataView) -> date:
    """Today in the settings' timezone: ages and overdue are counted from it."""
    return datetime.now(timezone.utc).astimezone(view.settings.tz).date()


def headline(view: DataView, today: date | None = None) -> ActionHeadline:
    today = today or today_for(view)
    return action_queries.action_headline(view.period_actions(), view.reviews_held(), view.open_actions(today), today,
                                          view.settings.action_target_days)


def action_burnup(view: DataView) -> ExportItem:
    week_from, week_to = view.period.week_bounds
    rows = action_queries.burnup(view.period_actions(), week_from, week_to, today_for(view))
    return ExportItem("actions-burnup", "Follow-up actions: burn-up", action_charts.burnup_chart(rows, chart_context(view)), rows)


def action_time_to_close(view: DataView) -> ExportItem:
    target = view.settings.action_target_days
    rows = action_queries.time_to_close(view.period_actions(), target)
    return ExportItem("actions-time-to-close", "Time to close",
                      action_charts.time_to_close_chart(rows, chart_context(view), target), rows)


def action_review_health(view: DataView) -> ExportItem:
    rows = action_queries.health_comparison(view.review_health())
    return ExportItem("actions-review-health", "Review health beside actions",
                      action_charts.review_health_chart(rows, chart_context(view)), rows)


def all_action_items(view: DataView) -> list[ExportItem]:
    return [action_burnup(view), action_time_to_close(view), action_review_health(view)]


def open_actions_rows(view: DataView, today: date | None = None) -> pd.DataFrame:
    """The list to bring to the next review, as CSV rows."""
    frame = view.open_actions(today or today_for(view))
    return frame[["title", "link", "created", "age_days", "due_by", "overdue", "review_week", "team", "source", "action_key"]]


def review_health_rows(view: DataView) -> pd.DataFrame:
    """Per review week with enough responses: its actions beside the two scores and their n."""
    health = view.review_health()
    return health.loc[~health["suppressed"], ["week_start", "actions", "responses", "learned_score", "learned_answers",
                                              "good_use_score", "good_use_answers"]].reset_index(drop=True)


def _fmt(value: object, pattern: str, empty: str = "—") -> str:
    return empty if value is None or (isinstance(value, float) and pd.isna(value)) else pattern.format(value)


ACTIONS_RAISED = "Actions raised in this period"
OPEN_NOW = "Open now (this and earlier periods)"


def summary_lines(h: ActionHeadline) -> list[tuple[str, str]]:
    return [
        # Two different counts of open actions, labelled as such side by side: those raised in the period that
        # are still open, and everything open now, earlier periods' actions included.
        (ACTIONS_RAISED, f"{h.actions} ({h.done} done, {h.dropped} dropped, {h.open_in_period} still open)"),
        ("Actions per review", _fmt(h.per_review, "{:.1f}") + f" ({h.linked} linked to {h.reviews_held} reviews held)"),
        ("Done share", _fmt(None if h.done_share is None else h.done_share * 100, "{:.0f}%")),
        (f"Done within {h.target_days} days",
         _fmt(None if h.done_within_target_share is None else h.done_within_target_share * 100, "{:.0f}%")
         + f" ({h.done_within_target} of {h.judged} actions at least {h.target_days} days old)"),
        ("Median days to close", _fmt(h.median_days_to_close, "{:.0f}")),
        (OPEN_NOW, str(h.open_now)),
        ("Overdue now", str(h.overdue_now)),
        ("Oldest open action", _fmt(h.oldest_open_days, "{} days")),
    ]


def summary_markdown(view: DataView) -> str:
    h = headline(view)

    lines = [f"# Follow-up actions — {md_inline(view.period.title)} · {md_inline(view.series_label)}", "",
             "| Figure | Value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in summary_lines(h)]
    lines += ["", "The open actions, oldest first, are in the open-actions CSV of this pack."]
    return "\n".join(lines) + "\n"
