"""The talking-points charts as export items (slug, title, chart, rows) for the page and the retro pack."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from core import anonymity
from review_pulse import talking_points_charts as tp_charts
from review_pulse.view import DataView
from review_pulse import figures
from review_pulse.export import ExportItem, export_filename
from review_pulse.report_items import chart_context
from review_pulse.talking_points_queries import TREND_MIN_REVIEWS

CHOICE_COLUMNS = ["week_start", "series", "title", "point", "kind", "theme", "votes", "share", "rank", "top", "discussed"]


# One bar per review: past a year of weekly reviews the bars cannot be read, and an organisation's
# All time (5,331 polls at 40 series) was more rows than a chart may hold. The CSV keeps them all.
MAX_CHART_REVIEWS = 52


def latest_reviews(rows: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, int]:
    """The rows of the latest MAX_CHART_REVIEWS reviews (a review: one value of ``keys``), and how many
    reviews there are: what the choices chart draws and the retro's top picks list. For the choices
    chart's keys the same rule runs in SQL (talking_points_queries.LATEST_TALKING_POINTS, on the page)."""
    reviews = rows[keys].drop_duplicates().sort_values("week_start", kind="stable")
    if len(reviews) <= MAX_CHART_REVIEWS:
        return rows, len(reviews)
    return rows.merge(reviews.tail(MAX_CHART_REVIEWS), on=keys), len(reviews)


REVIEW_KEYS = ["week_start", "series", "poll_id"]  # one review on the choices chart: a poll


def choices_chart(rows: pd.DataFrame, period_title: str, ctx, *, compact: bool = False):
    """The choices chart of the period's talking points (``DataView.talking_points``): the latest
    reviews, with a note saying so when there are more (the PDF and the slide draw this one; the page
    the same chart from ``DataView.latest_talking_points``)."""
    shown, total = (rows, 0) if rows.empty else latest_reviews(rows, REVIEW_KEYS)
    return latest_choices_chart(shown, total, period_title, ctx, compact=compact)


def latest_choices_chart(shown: pd.DataFrame, reviews: int, period_title: str, ctx, *, compact: bool = False):
    """The choices chart of the latest reviews' rows ``shown``, of ``reviews`` in the period."""
    note = None
    if reviews > MAX_CHART_REVIEWS:
        note = "the latest " + figures.shown_of(MAX_CHART_REVIEWS, reviews, "reviews",
                                                export_filename("talking-points", period_title, "csv"))
    return tp_charts.choices_chart(shown, ctx, compact=compact, note=note)


@dataclass(frozen=True)
class PollHeadline:
    """The page's four figures: reviews with a poll, votes, reviews whose top pick was a theme (of those
    where someone voted), and the share of votes that went to "Other" (None without votes)."""

    reviews: int
    votes: int
    theme_picks: int
    decided: int
    other_vote_share: float | None


def poll_headline(view: DataView) -> PollHeadline:
    """The weekly topics counted in SQL (not an organisation's All time of them, 10,440 rows, read into pandas
    for four numbers) and the topic balance's "Other" share; the app caches it per view."""
    reviews, votes, theme_picks, decided = view.poll_headline_counts()
    balance = view.topic_balance().set_index("kind")
    return PollHeadline(reviews=reviews, votes=votes, theme_picks=theme_picks, decided=decided,
                        other_vote_share=balance.loc["other", "vote_share"] if balance["votes"].sum() else None)


TABLE_COLUMNS = ["week", "series", "point", "kind", "theme", "votes", "share", "top", "discussed"]


def choices_table(view: DataView) -> pa.Table:
    """Every option per review, as the page's table shows it (cells as plain text), in Arrow: the app
    caches it per view, so a rerun neither redoes the formatting nor converts an organisation's All time
    (52,200 options at 40 series) from pandas again."""
    points = view.talking_points()
    weeks = {week: week.strftime("%Y-%m-%d") for week in points["week_start"].unique()}  # a few hundred weeks, not a row each
    table = points.assign(
        week=points["week_start"].map(weeks),
        top=points["top"].map({True: "★", False: ""}),
        discussed=points["discussed"].map({True: "yes", False: "no"}),
    )[TABLE_COLUMNS]
    return pa.Table.from_pandas(table, preserve_index=False)


def talking_point_choices(view: DataView) -> ExportItem:
    """The chart of the latest reviews (read alone: an organisation's All time is 52,200 options); its CSV
    holds every review of the period, read when it is made."""
    shown, reviews = view.latest_talking_points(MAX_CHART_REVIEWS)
    chart = latest_choices_chart(shown, reviews, view.period.title, chart_context(view))

    def every_review() -> pd.DataFrame:
        rows = view.talking_points()
        return rows[CHOICE_COLUMNS] if not rows.empty else rows

    # Past MAX_CHART_REVIEWS the CSV holds more than the chart draws; up to it, the chart's rows are every row.
    return ExportItem("talking-points", "What the room chose", chart, shown[CHOICE_COLUMNS] if not shown.empty else shown,
                      all_rows=every_review if reviews > MAX_CHART_REVIEWS else None)


def recurring_themes(view: DataView) -> ExportItem:
    rows = view.recurring_themes()
    chart = tp_charts.recurring_themes_chart(rows, chart_context(view), TREND_MIN_REVIEWS)
    return ExportItem("recurring-themes", "Recurring themes", chart, rows)


def theme_timeline(view: DataView) -> ExportItem:
    rows = view.theme_timeline()
    return ExportItem("theme-timeline", "Theme timeline", tp_charts.theme_timeline_chart(rows, chart_context(view)), rows)


def topic_balance(view: DataView) -> ExportItem:
    rows = view.topic_balance()
    return ExportItem("topic-balance", "Themes vs the incident", tp_charts.balance_chart(rows, chart_context(view)), rows)


def beside_survey(view: DataView) -> ExportItem:
    rows = view.beside_survey()
    csv_rows = rows.copy()
    if csv_rows["suppressed"].any():
        csv_rows["mean_score"] = csv_rows["mean_score"].astype(object)
        csv_rows.loc[csv_rows["suppressed"], "mean_score"] = anonymity.fewer_than(view.settings.min_group_size)
    return ExportItem("beside-the-survey", "Beside the survey", tp_charts.beside_survey_chart(rows, chart_context(view)), csv_rows)


def talking_point_items(view: DataView) -> list[ExportItem]:
    """Every talking-points chart, in page order; none when the period has no poll."""
    if not view.poll_count():
        return []
    return [talking_point_choices(view), recurring_themes(view), theme_timeline(view), topic_balance(view),
            beside_survey(view)]
