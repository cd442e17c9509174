"""What every feature's report section builds on: the chart context a view implies, and a
chart's rows worded for CSV. (report, action_report, talking_points_report and
feedback_report each import this; none imports another.)"""

from __future__ import annotations

import pandas as pd

from core import anonymity
from review_pulse import charts
from review_pulse.export import ExportItem
from review_pulse.view import DataView

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


def chart_item(view: DataView, slug: str, title: str, chart, rows: pd.DataFrame) -> ExportItem:
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
