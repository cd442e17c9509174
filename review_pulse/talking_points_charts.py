"""Pure Altair builders for the talking points (issue 12): what the room chose, recurring themes,
the theme timeline, the balance of themes vs the incident, and the survey beside it.

Same conventions as ``review_pulse.charts``: aggregated rows in, a chart out, titles and fonts
on the chart. Option texts are user strings: Vega draws them as text (axis labels, text
marks, tooltips), never as HTML, and long ones are cut with an ellipsis.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from review_pulse.charts import (
    LINE_HEIGHT_PX,
    LINE_SEPARATOR,
    WRAP_CHARS,
    LABEL_FONT_SIZE,
    SMALL_TEXT_FONT_SIZE,
    ChartContext,
    axis_style,
    legend_style,
    message_chart,
    chart_title,
    as_weeks,
    wrap_lines,
    wrapped,
    wrapped_axis,
    joined_lines,
    when_value,
)

KIND_LABELS = {"theme": "Cross-incident theme", "incident": "The incident", "other": "Other"}
KIND_COLOURS = {"theme": "#0072B2", "incident": "#E69F00", "other": "#9E9E9E"}
POINT_CHARS = 70  # of an option text on an axis label


def _kind_scale() -> alt.Scale:
    return alt.Scale(domain=list(KIND_LABELS.values()), range=list(KIND_COLOURS.values()))


def _short(text: object, limit: int = POINT_CHARS) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _poll_note(ctx: ChartContext) -> list[str]:
    return [ctx.freshness.strip()] if ctx.freshness.strip() else []


def _title_without_survey_note(ctx: ChartContext, name: str, *extra: str) -> alt.TitleParams:
    """Poll charts hold vote counts, not survey responses: no anonymity line about responses."""
    title = alt.TitleParams(**chart_title(ctx, name))
    # cut into lines that fit a phone, like every other chart's subtitle
    title.subtitle = [line for part in [*_poll_note(ctx), *extra] if part for line in joined_lines(part.split(" · "))] or alt.Undefined
    return title


# The fields the choices chart reads: its encodings and tooltips.
CHOICES_FIELDS = ["review", "votes", "kind_label", "order", "week_start", "point", "theme", "share", "top_mark"]


def choices_chart(frame: pd.DataFrame, ctx: ChartContext, *, compact: bool = False, note: str | None = None) -> alt.Chart:
    """One bar per review: its options' votes stacked, coloured by kind; the label names the top pick.
    ``compact``: the week alone on one line (a slide, whose next slides list the top picks). ``note``:
    a line under the title (e.g. that only the latest reviews are drawn)."""
    name = "What the room chose"
    if frame is None or frame.empty:
        return message_chart(ctx, name, "No talking-point polls in this period")
    df = frame.copy()
    df["week_start"] = as_weeks(df["week_start"])
    top = (df[df["top"]].groupby(["week_start", "series"])["point"]
           .agg(lambda points: " / ".join(_short(p, 40) for p in points)).rename("top_points"))
    df = df.merge(top, on=["week_start", "series"], how="left")
    df["top_points"] = df["top_points"].fillna("no votes")
    multi_series = df["series"].nunique() > 1
    # The week on the first line, the top pick wrapped under it: the plot keeps most of a phone's width.
    df["review"] = [LINE_SEPARATOR.join([f"{w:%-d %b}{' · ' + _short(s, 16) if multi_series else ''}",
                                         *([] if compact else wrap_lines(f"★ {_short(t)}", WRAP_CHARS, 2))])
                    for w, s, t in zip(df["week_start"], df["series"], df["top_points"])]
    df["kind_label"] = df["kind"].map(KIND_LABELS)
    df["order"] = range(len(df))
    df["top_mark"] = df["top"].map({True: "★ top pick", False: ""})
    order = list(dict.fromkeys(df.sort_values("week_start")["review"]))
    reviews = len(order)
    df = df[CHOICES_FIELDS]  # only what the chart reads goes into its spec (not the poll's title, id or rank)
    return (
        alt.Chart(df)
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            y=alt.Y("review:N", sort=order, title=None, axis=wrapped_axis(labelFontSize=SMALL_TEXT_FONT_SIZE)),
            x=alt.X("votes:Q", title="Votes", stack="zero", axis=axis_style(format="d", tickMinStep=1, tickCount=5, labelOverlap=True)),
            color=alt.Color("kind_label:N", title=None, scale=_kind_scale(), legend=legend_style(symbolType="square")),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("week_start:T", title="Week", format="%-d %b %Y"), alt.Tooltip("point:N", title="Talking point"),
                     alt.Tooltip("kind_label:N", title="Kind"), alt.Tooltip("theme:N", title="Theme"),
                     alt.Tooltip("votes:Q", title="Votes"), alt.Tooltip("share:Q", title="Share", format=".0%"),
                     alt.Tooltip("top_mark:N", title="")],
        )
        .properties(width=ctx.width, height=max(140, ((1 if compact else 3) * LINE_HEIGHT_PX + 6) * reviews),
                    title=_title_without_survey_note(ctx, name, "One bar per review" if compact else
                                                     "One bar per review; ★ names the most-voted point", note or ""))
    )


def recurring_themes_chart(frame: pd.DataFrame, ctx: ChartContext, trend_reviews: int = 3) -> alt.LayerChart | alt.Chart:
    name = "Recurring themes"
    if frame is None or frame.empty:
        return message_chart(ctx, name, "No options matched a theme in this period")
    df = frame.copy()
    df["theme_label"] = df["theme"].map(_short)
    df["status"] = df["trend"].map({True: f"Trend (in {trend_reviews}+ reviews)", False: "Occasional"})
    # The theme wrapped, its votes and reviews on the last line of its label (a note right of the
    # bar was cut off on a phone).
    df["note"] = [f"{v} votes · {r} review{'s' if r != 1 else ''}" for v, r in zip(df["total_votes"], df["reviews"])]
    df["theme_label"] = [LINE_SEPARATOR.join([*wrap_lines(t, WRAP_CHARS, 2), n]) for t, n in zip(df["theme"], df["note"])]
    order = list(df["theme_label"])
    base = alt.Chart(df).encode(
        y=alt.Y("theme_label:N", sort=order, title=None, axis=wrapped_axis()),
        x=alt.X("total_votes:Q", title="Votes in the period",
                axis=axis_style(format="d", tickMinStep=1, tickCount=5, labelOverlap=True)),
        tooltip=[alt.Tooltip("theme:N", title="Theme"), alt.Tooltip("total_votes:Q", title="Votes"),
                 alt.Tooltip("reviews:Q", title="Reviews it was offered in"), alt.Tooltip("top_picks:Q", title="Times the top pick")],
    )
    bars = base.mark_bar().encode(color=alt.Color(
        "status:N", title=None, legend=legend_style(symbolType="square"),
        scale=alt.Scale(domain=[f"Trend (in {trend_reviews}+ reviews)", "Occasional"], range=["#0072B2", "#9ECAE1"])))
    return alt.layer(bars, title=_title_without_survey_note(
        ctx, name, f"Ranked by votes; a theme offered in {trend_reviews} or more reviews of the period is a trend")
    ).properties(width=ctx.width, height=max(140, (3 * LINE_HEIGHT_PX + 8) * len(df)))


def theme_timeline_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    name = "Theme timeline"
    if frame is None or frame.empty:
        return message_chart(ctx, name, "No options matched a theme in this period")
    df = frame.copy()
    df["week_start"] = as_weeks(df["week_start"])
    df["week"] = df["week_start"].dt.strftime("%-d %b")
    df["theme_label"] = df["theme"].map(wrapped)
    weeks = list(dict.fromkeys(df.sort_values("week_start")["week"]))
    base = alt.Chart(df).encode(
        x=alt.X("week:O", sort=weeks, title="Review week", axis=axis_style(labelAngle=-45, labelOverlap=True)),
        y=alt.Y("theme_label:N", title=None, axis=wrapped_axis()),
        tooltip=[alt.Tooltip("week_start:T", title="Week", format="%-d %b %Y"), alt.Tooltip("theme:N", title="Theme"),
                 alt.Tooltip("votes:Q", title="Votes"), alt.Tooltip("week_votes:Q", title="All votes that week"),
                 alt.Tooltip("share:Q", title="Share of the week's votes", format=".0%")],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(color=alt.Color(
        "share:Q", title="Share of votes", scale=alt.Scale(scheme="blues", domain=[0, max(0.01, float(df["share"].max()))]),
        legend=None))  # each cell prints its share; a gradient legend's SVG id differs per process
    # A cell's share is printed only where a cell is wide enough for "100%" (on a phone the cells
    # of 13 weeks are 15 px wide; the tooltip still has it).
    labels = base.transform_filter(f"width / {max(1, len(weeks))} >= {MIN_CELL_TEXT_PX}").mark_text(
        fontSize=SMALL_TEXT_FONT_SIZE).encode(
        text=alt.Text("share:Q", format=".0%"),
        color=when_value(alt.ColorValue, "datum.share > 0.3", "white", "#222222"))
    return alt.layer(cells, labels, title=_title_without_survey_note(
        ctx, name, "Cell: the theme's share of that review's votes · blank: not on the ballot")
    ).properties(width=ctx.width, height=max(140, (2 * LINE_HEIGHT_PX + 12) * df["theme"].nunique()))


MIN_CELL_TEXT_PX = 34  # a timeline cell narrower than this shows its share in the tooltip only


def balance_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    name = "Themes vs the incident"
    if frame is None or frame.empty or not frame["votes"].sum():
        return message_chart(ctx, name, "No votes in this period")
    rows = []
    for measure, share, count in (("Votes", "vote_share", "votes"), ("Top picks", "top_pick_share", "top_picks")):
        for kind, value, n in zip(frame["kind"], frame[share], frame[count]):
            rows.append({"measure": measure, "kind": kind, "kind_label": KIND_LABELS[kind],
                         "share": 0.0 if pd.isna(value) else float(value), "count": int(n),
                         "order": list(KIND_LABELS).index(kind)})
    df = pd.DataFrame(rows).sort_values(["measure", "order"])
    df["end"] = df.groupby("measure")["share"].cumsum()
    df["start"] = df["end"] - df["share"]
    df["mid"] = (df["start"] + df["end"]) / 2
    base = alt.Chart(df).encode(
        y=alt.Y("measure:N", title=None, sort=["Votes", "Top picks"], axis=axis_style()),
        tooltip=[alt.Tooltip("measure:N", title="Of all"), alt.Tooltip("kind_label:N", title="Kind"),
                 alt.Tooltip("share:Q", title="Share", format=".0%"), alt.Tooltip("count:Q", title="Count")],
    )
    bars = base.mark_bar().encode(
        x=alt.X("start:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=axis_style(format=".0%")),
        x2=alt.X2("end:Q"),
        color=alt.Color("kind_label:N", title=None, scale=_kind_scale(), legend=legend_style(symbolType="square")),
    )
    labels = base.transform_filter("datum.share >= 0.06").mark_text(
        fontSize=LABEL_FONT_SIZE, color="white", fontWeight="bold"
    ).encode(x=alt.X("mid:Q"), text=alt.Text("share:Q", format=".0%"))
    return alt.layer(bars, labels, title=_title_without_survey_note(
        ctx, name, "Share of all votes, and of the reviews whose most-voted point was of each kind")
    ).properties(width=ctx.width, height=140)


def beside_survey_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    name = "Beside the survey"
    shown = frame[~frame["suppressed"]] if frame is not None and not frame.empty else frame
    if shown is None or shown.empty:
        return message_chart(ctx, name, f"Not enough survey responses in weeks with a poll ({ctx.suppressed_text})")
    df = frame.copy()
    df["group"] = df["top_kind"].map({"theme": "Top pick: a theme", "incident": "Top pick: the incident"})
    df["n_text"] = [f"hidden ({ctx.suppressed_text})" if s else f"{m:.2f} · n={r}, {w} wk"
                    for s, m, r, w in zip(df["suppressed"], df["mean_score"], df["responses"], df["weeks"])]
    df["bar"] = df["mean_score"].where(~df["suppressed"])
    df["text_x"] = 1.0
    df["statement_label"] = df["statement"].map(wrapped)
    statements = list(dict.fromkeys(df.sort_values("statement_order")["statement_label"]))
    base = alt.Chart(df).encode(
        y=alt.Y("statement_label:N", sort=statements, title=None, axis=wrapped_axis()),
        yOffset=alt.YOffset("group:N", sort=["Top pick: a theme", "Top pick: the incident"]),
        tooltip=[alt.Tooltip("statement:N", title="Statement"), alt.Tooltip("group:N", title="Weeks"),
                 alt.Tooltip("n_text:N", title="Mean")],
    )
    bars = base.mark_bar().encode(
        x=alt.X("bar:Q", title="Mean score (1–5)", scale=alt.Scale(domain=[1, 5]), axis=axis_style(values=[1, 2, 3, 4, 5], format="d")),
        x2=alt.X2Datum(1),
        color=alt.Color("group:N", title=None, legend=legend_style(symbolType="square"), scale=alt.Scale(
            domain=["Top pick: a theme", "Top pick: the incident"], range=[KIND_COLOURS["theme"], KIND_COLOURS["incident"]])),
    )
    # Inside the bar, from its start: a label right of the bar would be cut at the plot's edge.
    labels = base.mark_text(align="left", dx=6, fontSize=SMALL_TEXT_FONT_SIZE, fontWeight="bold").encode(
        x=alt.X("text_x:Q"), text=alt.Text("n_text:N"),
        color=when_value(alt.ColorValue, "datum.bar == null || datum.bar < 2.8", "#333333", "white"))
    return alt.layer(bars, labels, title=chart_title(
        ctx, name, "Weeks grouped by what the room chose first · side by side, not cause and effect")
    ).properties(width=ctx.width, height=max(140, 70 * len(statements)))
