"""Pure Altair builders for the Actions page (and its exports): rows in, chart out. No I/O, no Streamlit.

Same conventions as review_pulse.charts: titles carry quarter and series, font sizes never below 12,
colour-blind-safe colours, an explanatory message chart instead of an empty axis.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from review_pulse.charts import (
    MARK_TEXT_FONT_SIZE,
    SMALL_TEXT_FONT_SIZE,
    STATEMENT_PALETTE,
    WEEK_TOOLTIP_FORMAT,
    ChartContext,
    axis_style,
    legend_style,
    message_chart,
    wrapped,
    wrapped_axis,
    chart_title,
    week_x,
    when_value,
)

MEASURE_COLOURS = {"Created": "#555555", "Done": STATEMENT_PALETTE[2], "Dropped": STATEMENT_PALETTE[1]}
# Band names such as "15–30 days" on two lines ("15–30", "days"): six bands fit a phone's width.
WRAPPED_LABEL_EXPR_SPACE = "split(datum.label, ' ')"
GROUP_COLOURS = {"Reviews with actions": STATEMENT_PALETTE[0], "Reviews without actions": "#9E9E9E"}


def burnup_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    """Cumulative created, done and dropped actions at the end of each week."""
    name = "Follow-up actions: burn-up"
    if frame is None or frame.empty:
        return message_chart(ctx, name, "No follow-up actions in this period")
    df = frame.copy()
    df["week_start"] = pd.to_datetime(df["week_start"])
    df["actions"] = df["actions"].astype("int64")
    weeks = sorted(df["week_start"].unique())
    domain = [m for m in MEASURE_COLOURS if m in set(df["measure"])]
    base = alt.Chart(df).encode(
        x=week_x(weeks),
        y=alt.Y("actions:Q", title="Actions (cumulative)", axis=axis_style(format="d", tickMinStep=1)),
        color=alt.Color("measure:N", title=None, sort=domain,
                        scale=alt.Scale(domain=domain, range=[MEASURE_COLOURS[m] for m in domain]),
                        legend=legend_style(symbolType="stroke")),
        strokeDash=alt.StrokeDash("measure:N", sort=domain, legend=None,
                                  scale=alt.Scale(domain=domain, range=[[6, 3] if m == "Created" else [1, 0] for m in domain])),
        tooltip=[alt.Tooltip("week_start:T", title="Week", format=WEEK_TOOLTIP_FORMAT),
                 alt.Tooltip("measure:N", title="Measure"), alt.Tooltip("actions:Q", title="Actions", format="d")],
    )
    lines = base.mark_line(strokeWidth=2.5, interpolate="step-after")
    points = base.mark_point(filled=True, size=40)
    return alt.layer(lines, points, title=chart_title(
        ctx, name, "Cumulative count at the end of each week · Gap between Created and Done + Dropped: still open",
        hides_weeks=False,
    )).properties(width=ctx.width, height=ctx.height)


def time_to_close_chart(frame: pd.DataFrame, ctx: ChartContext, target_days: int) -> alt.LayerChart | alt.Chart:
    """Done actions per band of days from creation to closing; bands within the target in colour."""
    name = "Time to close"
    if frame is None or frame.empty or int(frame["actions"].sum()) == 0:
        return message_chart(ctx, name, "No done actions with a closing date in this period")
    df = frame.copy()
    df["target"] = df["within_target"].map({True: f"Within {target_days} days", False: f"Over {target_days} days"})
    order = list(df.sort_values("band_order")["band"])
    domain = [f"Within {target_days} days", f"Over {target_days} days"]
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("band:N", title="Days from creation to done", sort=order,
                axis=axis_style(labelAngle=0, labelExpr=WRAPPED_LABEL_EXPR_SPACE)),
        y=alt.Y("actions:Q", title="Done actions", axis=axis_style(format="d", tickMinStep=1)),
        color=alt.Color("target:N", title=None, scale=alt.Scale(domain=domain, range=[STATEMENT_PALETTE[2], "#BDBDBD"]),
                        legend=legend_style(symbolType="square")),
        tooltip=[alt.Tooltip("band:N", title="Days to close"), alt.Tooltip("actions:Q", title="Done actions", format="d")],
    )
    labels = alt.Chart(df).mark_text(baseline="bottom", dy=-4, fontSize=MARK_TEXT_FONT_SIZE).encode(
        x=alt.X("band:N", sort=order), y=alt.Y("actions:Q"), text=alt.Text("actions:Q", format="d"))
    return alt.layer(bars, labels, title=chart_title(
        ctx, name, f"Target: done within {target_days} days (setting action_target_days)", hides_weeks=False,
    )).properties(width=ctx.width, height=ctx.height)


def review_health_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    """Mean weekly score of two statements, reviews with actions beside reviews without."""
    name = "Review health beside actions"
    if frame is None or frame.empty or frame["mean_score"].notna().sum() == 0:
        return message_chart(ctx, name, "Not enough review weeks with survey responses to compare")
    df = frame.copy()
    df["label"] = df.apply(lambda r: "—" if pd.isna(r["mean_score"]) else f"{r['mean_score']:.2f} (n={int(r['weeks'])} wk)", axis=1)
    groups = list(GROUP_COLOURS)
    statements = list(dict.fromkeys(df["statement"]))
    df["statement_label"] = df["statement"].map(wrapped)
    y = alt.Y("statement_label:N", title=None, sort=[wrapped(s) for s in statements],
              axis=wrapped_axis(labelFontWeight="bold", ticks=False))
    offset = alt.YOffset("group:N", sort=groups)
    bars = alt.Chart(df).mark_bar().encode(
        y=y, yOffset=offset,
        x=alt.X("mean_score:Q", title="Mean weekly score (1–5)", scale=alt.Scale(domain=[1, 5], nice=False),
                axis=axis_style(values=[1, 2, 3, 4, 5], format="d")),
        x2=alt.X2Datum(1),  # bars start at the scale's 1, the lowest answer
        color=alt.Color("group:N", title=None, scale=alt.Scale(domain=groups, range=list(GROUP_COLOURS.values())),
                        legend=legend_style(symbolType="square")),
        tooltip=[alt.Tooltip("statement:N", title="Statement"), alt.Tooltip("group:N", title="Reviews"),
                 alt.Tooltip("mean_score:Q", title="Mean weekly score", format=".2f"),
                 alt.Tooltip("weeks:Q", title="Weeks", format="d"), alt.Tooltip("answers:Q", title="Answers", format="d")],
    )
    # Inside the bar, from its start: right of a bar near 5 it ran past the plot's edge on a phone.
    df["text_x"] = 1.0
    text = alt.Chart(df).mark_text(align="left", dx=6, fontSize=SMALL_TEXT_FONT_SIZE, fontWeight="bold").encode(
        y=y, yOffset=offset, x=alt.X("text_x:Q"), text=alt.Text("label:N"),
        # white on the blue bar; dark on the grey one (white on grey is too faint) and beside a short bar
        color=when_value(alt.ColorValue,
                         "datum.mean_score == null || datum.mean_score < 2.6 || datum.group == 'Reviews without actions'",
                         "#222222", "white"))
    return alt.layer(bars, text, title=chart_title(
        ctx, name, "Mean of weekly scores; hidden weeks left out · An association, not causation",
    )).properties(width=ctx.width, height=alt.Step(34))
