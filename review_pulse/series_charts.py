"""Pure Altair builders for the Series page (issue 26): small multiples and a heat strip of every
series' weekly score. Same conventions as ``review_pulse.charts``: fixed 1-5 scale shared by every
panel, the target line, hidden weeks grey with "fewer than N responses" and no value in the spec."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from review_pulse import figures
from review_pulse.charts import (
    BELOW_TARGET_COLOUR,
    LABEL_FONT_SIZE,
    STATEMENT_PALETTE,
    SUPPRESSED_BAND_COLOUR,
    SUPPRESSED_COLOUR,
    TARGET_COLOUR,
    WEEK_FORMAT,
    ChartContext,
    as_weeks,
    axis_style,
    chart_title,
    message_chart,
    when_value,
)

# Three narrow panels a row fit a phone (390 px) as they are: a grid of panels (a facet) cannot
# take the page's width, so it is sized to fit the narrowest screen. Exports may ask for more.
PANEL_WIDTH = 100
PANEL_HEIGHT = 80
PANEL_COLUMNS = 3
PANEL_SPACING = 12
STRIP_ROW_HEIGHT = 24
SERIES_LABEL_LIMIT = 120  # px: long series names are cut with an ellipsis (the tooltip has them whole); fits a phone
NO_WEEKS = "No review weeks in this period yet"
# The fields each chart reads (encodings, filters, tooltips): only these go into its spec (each row of
# 840 is sent to the browser as JSON; week_start, a copy of band_start or x, is in neither).
_TOOLTIP_FIELDS = ["series", "period", "note", "responses"]
PANEL_FIELDS = [*_TOOLTIP_FIELDS, "x", "band_start", "band_end", "suppressed", "mean_score", "below_target"]
STRIP_FIELDS = [*_TOOLTIP_FIELDS, "band_start", "band_end", "suppressed", "mean_score"]


def chart_rows(weekly: pd.DataFrame, ctx: ChartContext, bucket: str = "week") -> pd.DataFrame:
    """What both charts plot: a hidden week keeps its row with no score and no response count. A
    ``bucket`` of "quarter" (All time) draws each row as its quarter, starting at ``week_start``."""
    df = weekly[["series", "week_start", "responses", "mean_score", "suppressed"]].copy()
    df["week_start"] = as_weeks(df["week_start"])
    if bucket == "quarter":
        df["band_start"] = df["week_start"]
        df["band_end"] = df["band_start"] + pd.DateOffset(months=3)
        df["x"] = df["band_start"] + (df["band_end"] - df["band_start"]) / 2
        df["period"] = weekly["quarter"].to_numpy() if "quarter" in weekly else df["band_start"].dt.strftime("%b %Y")
    else:
        df["band_start"] = df["week_start"] - pd.Timedelta(days=3.5)
        df["band_end"] = df["week_start"] + pd.Timedelta(days=3.5)
        df["x"] = df["week_start"]
        df["period"] = df["week_start"].dt.strftime("%-d %b %Y")
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    df["mean_score"] = pd.to_numeric(df["mean_score"], errors="coerce").astype("float64").where(~df["suppressed"])
    df["responses"] = df["responses"].astype("float64").where(~df["suppressed"])
    df["below_target"] = [not pd.isna(v) and not figures.meets_target(v, ctx.target) for v in df["mean_score"]]
    df["note"] = [ctx.suppressed_text if s else figures.score_text(v) for s, v in zip(df["suppressed"], df["mean_score"])]
    return df.reset_index(drop=True)


def _week_tooltips() -> list[alt.Tooltip]:
    return [alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("period:N", title="Week or quarter"),
            alt.Tooltip("note:N", title="Average score"),
            alt.Tooltip("responses:Q", title="Responses", format="d")]


def small_multiples_chart(weekly: pd.DataFrame, order: Sequence[str], ctx: ChartContext, columns: int = PANEL_COLUMNS,
                          panel_width: int = PANEL_WIDTH, bucket: str = "week") -> alt.FacetChart | alt.Chart:
    """One panel per series (in ``order``), all on the 1-5 scale, with the target line; grey bands
    mark hidden weeks."""
    name = "Weekly score per series" if bucket == "week" else "Score per quarter, per series"
    if weekly is None or weekly.empty:
        return message_chart(ctx, name, NO_WEEKS)
    df = chart_rows(weekly, ctx, bucket)[PANEL_FIELDS]
    domain = [pd.Timestamp(df["band_start"].min()), pd.Timestamp(df["band_end"].max())]
    x = alt.X("x:T", title=None, scale=alt.Scale(domain=[d.isoformat() for d in domain]),
              axis=axis_style(format=WEEK_FORMAT if bucket == "week" else "%Y", labelAngle=0, tickCount=3,
                              labelFontSize=12, labelOverlap=True, labelFlush=True))
    y = alt.Y("mean_score:Q", title=None, scale=alt.Scale(domain=[1, 5], nice=False, zero=False, clamp=True),
              axis=axis_style(values=[1, 3, 5], format="d", labelFontSize=12))
    base = alt.Chart().encode(x=x)
    bands = (base.transform_filter(alt.datum.suppressed)
             .mark_rect(color=SUPPRESSED_BAND_COLOUR, opacity=0.9)
             .encode(x=alt.X("band_start:T", scale=alt.Scale(domain=[d.isoformat() for d in domain])), x2=alt.X2("band_end:T"),
                     tooltip=_week_tooltips()))
    target = alt.Chart().mark_rule(color=TARGET_COLOUR, strokeDash=[4, 3], strokeWidth=1.5).encode(y=alt.YDatum(ctx.target))
    line = base.mark_line(color=STATEMENT_PALETTE[0], strokeWidth=2, invalid="break-paths-filter-domains").encode(y=y)
    below = "datum.below_target"
    points = base.mark_point(filled=True, opacity=1, invalid="filter", color=STATEMENT_PALETTE[0]).encode(
        y=y,
        size=when_value(alt.SizeValue, below, 40, 18),
        stroke=when_value(alt.StrokeValue, below, BELOW_TARGET_COLOUR, STATEMENT_PALETTE[0]),
        tooltip=_week_tooltips())
    panel = alt.layer(bands, target, line, points).properties(width=panel_width, height=PANEL_HEIGHT)
    chart = panel.facet(
        facet=alt.Facet("series:N", sort=list(order), title=None,
                        header=alt.Header(labelFontSize=12, labelLimit=panel_width, labelAnchor="start",
                                          labelFontWeight="bold")),
        columns=columns, data=df, spacing=PANEL_SPACING,
        title=_narrow_title(ctx, name),
    ).resolve_scale(x="shared", y="shared")
    return chart


def _narrow_title(ctx: ChartContext, name: str) -> alt.TitleParams:
    """The grid's title in short lines: it is as wide as three phone-sized panels."""
    lines = [ctx.freshness, f"Weeks with {ctx.suppressed_text} are hidden (grey)",
             f"Same 1–5 scale everywhere; dashed: target {ctx.target:g}", "Red-ringed points: below target"]
    return alt.TitleParams(text=[name, ctx.quarter_label], subtitle=[line for line in lines if line], anchor="start",
                           fontSize=16, subtitleFontSize=12, subtitleColor="#555555", offset=10)


def heat_strip_chart(weekly: pd.DataFrame, order: Sequence[str], ctx: ChartContext,
                     bucket: str = "week") -> alt.LayerChart | alt.Chart:
    """Series x weeks: each cell the week's average score, coloured against the target
    (red below, blue above); a hidden week is a grey cell that says "fewer than N responses"."""
    name = "Weekly score, series × weeks" if bucket == "week" else "Score per quarter, series × quarters"
    if weekly is None or weekly.empty:
        return message_chart(ctx, name, NO_WEEKS)
    df = chart_rows(weekly, ctx, bucket)[STRIP_FIELDS]
    lo, hi = pd.Timestamp(df["band_start"].min()), pd.Timestamp(df["band_end"].max())
    x = alt.X("band_start:T", title="Week" if bucket == "week" else "Quarter",
              scale=alt.Scale(domain=[lo.isoformat(), hi.isoformat()]),
              axis=axis_style(format=WEEK_FORMAT if bucket == "week" else "%b %Y", labelAngle=0, labelOverlap=True,
                              orient="top"))
    y = alt.Y("series:N", title=None, sort=list(order), axis=axis_style(labelLimit=SERIES_LABEL_LIMIT, ticks=False,
                                                                         domain=False, labelOverlap=False))
    colour = alt.Color("mean_score:Q", title="Average score",
                       scale=alt.Scale(domain=[1, ctx.target, 5], range=[BELOW_TARGET_COLOUR, "#F7F7F7", "#0571B0"],
                                       clamp=True),
                       legend=alt.Legend(orient="bottom", titleFontSize=LABEL_FONT_SIZE, labelFontSize=12,
                                         values=[1, 2, 3, 4, 5], gradientLength=160))
    base = alt.Chart(df).encode(x=x, x2=alt.X2("band_end:T"), y=y, tooltip=_week_tooltips())
    cells = base.transform_filter(~alt.datum.suppressed).mark_rect(stroke="white", strokeWidth=1).encode(color=colour)
    hidden = base.transform_filter(alt.datum.suppressed).mark_rect(color=SUPPRESSED_COLOUR, stroke="white", strokeWidth=1)
    height = STRIP_ROW_HEIGHT * max(1, len(order))
    chart = alt.layer(hidden, cells, title=chart_title(ctx, name, "Red: below the target · blue: above · grey: hidden weeks")
                      ).properties(width=ctx.width, height=height)
    return chart
