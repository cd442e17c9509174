"""Pure Altair chart builders for Review Pulse.

Every function takes already-aggregated rows (never raw survey answers) plus a
:class:`ChartContext` and returns an Altair chart object.  Nothing here does
I/O, touches Streamlit or changes global Altair state.

Conventions shared by all charts
--------------------------------
* Each statement keeps one colour everywhere: the colour domain is
  ``ctx.statements`` (in order) and the range is :data:`STATEMENT_PALETTE`
  indexed by that order.
* Score axes are fixed (1-5 for means, 0-100 % for shares) so that charts from
  different quarters can be compared side by side.
* Suppressed weeks (fewer than ``ctx.min_group_size`` responses) keep ``null``
  values in the chart data -- never 0 -- so lines break instead of dipping;
  they are drawn as grey bands/bars whose tooltip says
  "fewer than N responses".  Response counts of suppressed weeks are not put
  into the chart spec at all.
* Font sizes, titles, subtitles and legends are set on the chart itself (not in
  a top-level ``config``) so the charts can still be layered/concatenated and
  look the same in Streamlit and in PNG/SVG exports.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, Sequence

import altair as alt
import pandas as pd

from core import anonymity
from review_pulse import figures

__all__ = [
    "ChartContext",
    "STATEMENT_PALETTE",
    "LIKERT_LABELS",
    "LIKERT_COLOURS",
    "statement_colours",
    "weekly_agreement_chart",
    "score_trend_chart",
    "answer_distribution_chart",
    "attendance_chart",
    "response_rate_chart",
    "diverging_segments",
]

# --------------------------------------------------------------------------
# Palette / style constants
# --------------------------------------------------------------------------

#: Okabe-Ito colour-blind-safe palette.  Vermillion (#D55E00) and yellow are
#: moved to the end: vermillion-ish red is reserved for "below target" and
#: yellow is hard to read on white.
STATEMENT_PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
)

LIKERT_LABELS: tuple[str, ...] = (
    "Strongly disagree",
    "Disagree",
    "Neutral",
    "Agree",
    "Strongly agree",
)
#: Diverging red-blue (ColorBrewer RdBu, colour-blind safe) with a grey neutral.
LIKERT_COLOURS: tuple[str, ...] = ("#CA0020", "#F4A582", "#CFCFCF", "#92C5DE", "#0571B0")

BELOW_TARGET_COLOUR = "#B2182B"
TARGET_COLOUR = "#444444"
SUPPRESSED_COLOUR = "#BDBDBD"
SUPPRESSED_BAND_COLOUR = "#E6E6E6"
BAR_COLOUR = "#6C8EBF"
BUSY_COLOUR = "#E69F00"
BUSY_TEXT_COLOUR = "#9A5B00"
ROLLING_COLOUR = "#222222"

TITLE_FONT_SIZE = 18
SUBTITLE_FONT_SIZE = 13
LABEL_FONT_SIZE = 13
AXIS_TITLE_FONT_SIZE = 14
MARK_TEXT_FONT_SIZE = 13
SMALL_TEXT_FONT_SIZE = 12  # never go below 12 (projector)


# Phones (a 390-px viewport leaves about 350 px for a chart): long category labels are wrapped
# onto lines of at most WRAP_CHARS characters, so an axis takes at most WRAPPED_LABEL_LIMIT px
# and the plot keeps the rest, at any width. The lines are joined by an invisible separator
# that the axis splits on (a line break would be stripped from the spec, see core.plain_text).
WRAP_CHARS = 20
WRAP_MAX_LINES = 3
WRAPPED_LABEL_LIMIT = 170  # px per line; 20 characters at 13 px are about 140 px
LINE_SEPARATOR = "\u2063"  # INVISIBLE SEPARATOR: not a control character, never drawn
WRAPPED_LABEL_EXPR = f"split(datum.label, '{LINE_SEPARATOR}')"
WRAP_INPUT_CAP = 400  # characters of a label looked at; the rest could never be shown
LONG_WORD_CHARS = 28  # a single word up to this long stays whole (at 12-13 px it still fits WRAPPED_LABEL_LIMIT)
LINE_HEIGHT_PX = 17  # of a 13-px label line
TITLE_LINE_CHARS = 44  # subtitle parts are joined up to this many characters per line
LEGEND_LABEL_LIMIT = 300  # px; a legend below the plot fits a phone's width

WEEK_FORMAT = "%-d %b"
WEEK_TOOLTIP_FORMAT = "%-d %b %Y"

Metric = Literal["mean", "agree"]


# --------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartContext:
    """Everything a chart needs besides its rows."""

    quarter_label: str = "All time"
    series_label: str = "Incident review"
    target: float = 4.5
    agree_target: float = 0.8
    min_group_size: int = 5
    freshness: str = ""
    statements: tuple[str, ...] = ()
    width: int = 720
    height: int = 300

    def __post_init__(self) -> None:
        # Accept any sequence (e.g. a list from settings) but keep the context hashable.
        object.__setattr__(self, "statements", tuple(str(x) for x in self.statements))

    @property
    def suppressed_text(self) -> str:
        """Tooltip/label text for a suppressed week, e.g. 'fewer than 5 responses'."""
        return anonymity.fewer_than(self.min_group_size)

    @property
    def hidden_text(self) -> str:
        return anonymity.hidden_for_anonymity(self.min_group_size)

    @property
    def anonymity_note(self) -> str:
        return anonymity.rule_note(self.min_group_size)

    def footnote(self, *extra: str, hides_weeks: bool = True) -> list[str]:
        """Subtitle lines: freshness + anonymity rule (only for a chart that hides weeks)
        + chart-specific notes, cut at " · " into lines that fit a phone."""
        rule = self.anonymity_note if hides_weeks else ""
        first = [p for p in (self.freshness.strip(), rule) if p]
        return joined_lines(first) + [line for e in extra if e for line in joined_lines(e.split(" · "))]

    def title(self, name: str) -> str:
        parts = [p for p in (self.quarter_label, self.series_label) if p]
        return f"{name} — {' · '.join(parts)}" if parts else name

    def title_lines(self, name: str) -> list[str]:
        """The title on two lines, the chart's name then quarter and series (one line of
        both is wider than a phone)."""
        parts = " · ".join(p for p in (self.quarter_label, self.series_label) if p)
        return [name, parts] if parts else [name]


def wrap_lines(text: object, width: int = WRAP_CHARS, max_lines: int = WRAP_MAX_LINES) -> list[str]:
    """Words of ``text`` on lines of at most ``width`` characters (a longer word on a line of its
    own, cut after LONG_WORD_CHARS); more than ``max_lines`` lines end with an ellipsis. Plain
    splitting on white space, no regex."""
    words = str(text or "")[:WRAP_INPUT_CAP].split()
    lines: list[str] = []
    for word in words:
        # a long word (an address, a path) keeps its own line whole up to LONG_WORD_CHARS
        word = word if len(word) <= max(width, LONG_WORD_CHARS) else word[: LONG_WORD_CHARS - 1] + "…"
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        lines = lines[: max_lines - 1] + [(last if len(last) < width else last[: width - 1]) + "…"]
    return lines or [""]


def wrapped(text: object, width: int = WRAP_CHARS, max_lines: int = WRAP_MAX_LINES) -> str:
    """``text`` as a category value whose axis label is drawn on wrapped lines (see
    :data:`WRAPPED_LABEL_EXPR`)."""
    return LINE_SEPARATOR.join(wrap_lines(text, width, max_lines))


def label_lines(value: str) -> list[str]:
    """The lines an axis draws for a :func:`wrapped` value."""
    return str(value).split(LINE_SEPARATOR)


def wrapped_axis(**kwargs) -> dict:
    """A category axis whose labels are :func:`wrapped` values, one text line per wrapped line."""
    return axis_style(**{"labelExpr": WRAPPED_LABEL_EXPR, "labelLimit": WRAPPED_LABEL_LIMIT, **kwargs})


def joined_lines(parts: Sequence[str], width: int = TITLE_LINE_CHARS) -> list[str]:
    """Parts joined by " · " onto lines of at most ``width`` characters (a longer part is wrapped)."""
    lines: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        elif len(part) <= width:
            lines.append(part)
        else:  # a long part is wrapped, never cut by the chart's title limit
            lines.extend(wrap_lines(part, width, max_lines=4))
    return lines


def statement_colours(ctx: ChartContext, extra: Sequence[str] = ()) -> dict[str, str]:
    """Statement text -> hex colour, fixed by the statement's position in ctx.statements."""
    domain = _statement_domain(ctx, extra)
    return {s: STATEMENT_PALETTE[i % len(STATEMENT_PALETTE)] for i, s in enumerate(domain)}


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _statement_domain(ctx: ChartContext, extra: Sequence[str] = ()) -> list[str]:
    """ctx.statements in order, then any unknown statements (appended, so the
    colours of known statements never shift)."""
    domain = list(dict.fromkeys(ctx.statements))
    for s in extra:
        if s not in domain:
            domain.append(s)
    return domain


def _frame_statements(frame: pd.DataFrame) -> list[str]:
    if frame.empty or "statement" not in frame:
        return []
    if "statement_order" in frame:
        ordered = frame.sort_values("statement_order", kind="stable")
    else:
        ordered = frame
    return list(dict.fromkeys(ordered["statement"].astype(str)))


def _colour_scale(ctx: ChartContext, frame: pd.DataFrame) -> alt.Scale:
    colours = statement_colours(ctx, _frame_statements(frame))
    return alt.Scale(domain=list(colours), range=list(colours.values()))


# Titles, axes, legends, week scales and dates are the Vega-Lite dicts themselves, not Altair objects:
# Altair deep-copies every object of every layer each time a layer is built or exported (with all of
# its unset properties), and validates most of them when created; the spec is the same.


def chart_title(ctx: ChartContext, name: str, *extra_subtitle: str, hides_weeks: bool = True) -> dict:
    """``hides_weeks=False`` for a chart that never hides a week: it does not state the rule."""
    return dict(
        text=ctx.title_lines(name),
        subtitle=ctx.footnote(*extra_subtitle, hides_weeks=hides_weeks),
        anchor="start",
        fontSize=TITLE_FONT_SIZE,
        subtitleFontSize=SUBTITLE_FONT_SIZE,
        # Vega's default line height is the font size: two-line titles would touch.
        lineHeight=TITLE_FONT_SIZE + 5,
        subtitleLineHeight=SUBTITLE_FONT_SIZE + 4,
        subtitleColor="#555555",
        offset=10,
    )


def axis_style(**kwargs) -> dict:
    base = dict(
        labelFontSize=LABEL_FONT_SIZE,
        titleFontSize=AXIS_TITLE_FONT_SIZE,
        labelLimit=WRAPPED_LABEL_LIMIT,
    )
    base.update(kwargs)
    return base


def when_value(channel: type, test: str, then: object, otherwise: object) -> alt.SchemaBase:
    """``alt.when(test).then(alt.value(then)).otherwise(alt.value(otherwise))`` as the channel's own value
    object (e.g. ``alt.SizeValue``): the same spec. Encoding channels are passed as Altair objects, never
    as dicts or shorthand strings, which Altair turns into objects with ``from_dict``: that rebuilds a
    table of every schema class on each call and took a third of a chart's build."""
    return channel(otherwise, condition=[{"test": test, "value": then}])


def legend_style(**kwargs) -> dict:
    """Below the plot, one entry per line, labels of at most LEGEND_LABEL_LIMIT / 2 px: a bottom
    legend starts at the plot's left edge, so after a wrapped axis a phone has ~180 px for it."""
    base = dict(
        orient="bottom",
        direction="vertical",
        columns=1,
        labelFontSize=LABEL_FONT_SIZE,
        titleFontSize=LABEL_FONT_SIZE,
        labelLimit=LEGEND_LABEL_LIMIT // 2,
        symbolSize=120,
    )
    base.update(kwargs)
    return base


def _dt(ts: pd.Timestamp) -> dict:
    """A pandas Timestamp as a Vega-Lite DateTime (local time, like the ISO
    strings Altair writes for naive datetime columns)."""
    ts = pd.Timestamp(ts)
    kw = dict(year=ts.year, month=ts.month, date=ts.day)
    if ts.hour:
        kw["hours"] = ts.hour
    if ts.minute:
        kw["minutes"] = ts.minute
    return kw


def as_weeks(series: pd.Series) -> pd.Series:
    """Normalise a week column to naive midnight datetime64."""
    s = pd.to_datetime(series)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s.dt.normalize()


def vega_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as the chart's data: each naive, whole-second datetime column already written as the ISO
    text Altair puts into the spec ("2026-04-06T00:00:00"), in one vectorised call. Altair formats
    datetimes one value at a time, on every export of every layer: most of a weekly chart's spec time.
    The builders keep their datetimes for their own arithmetic; only the chart gets the text."""
    out = frame.copy(deep=False)
    for name in out.columns:
        column = out[name]
        if not pd.api.types.is_datetime64_dtype(column) or getattr(column.dt, "tz", None) is not None:
            continue
        present = column.dropna()
        if not (present == present.dt.floor("s")).all():
            continue  # sub-second values: left to Altair's own isoformat
        out[name] = column.dt.strftime("%Y-%m-%dT%H:%M:%S").where(column.notna(), "")
    return out


def _week_axis_values(weeks: Sequence[pd.Timestamp], max_ticks: int = 13) -> list[dict]:
    uniq = sorted(set(pd.Timestamp(w) for w in weeks))
    if not uniq:
        return []
    step = max(1, math.ceil(len(uniq) / max_ticks))
    return [_dt(w) for w in uniq[::step]]


def _week_scale(weeks: Sequence[pd.Timestamp]) -> dict:
    """Fixed temporal domain: half a week either side of the first/last week,
    so bars centred on a week never get clipped and stacked views align."""
    lo = min(weeks) - pd.Timedelta(days=3.5)
    hi = max(weeks) + pd.Timedelta(days=3.5)
    return {"domain": [_dt(lo), _dt(hi)]}


def week_x(
    weeks: Sequence[pd.Timestamp],
    *,
    field: str = "week_start",
    labels: bool = True,
    title: str | None = "Week",
) -> alt.X:
    return alt.X(
        f"{field}:T",
        title=title if labels else None,
        scale=_week_scale(weeks),
        axis=axis_style(
            values=_week_axis_values(weeks),
            format=WEEK_FORMAT,
            labels=labels,
            ticks=labels,
            labelAngle=0,
            labelOverlap=True,
        ),
    )


def _band_x(weeks: Sequence[pd.Timestamp], field: str, *, labels: bool = True, title: str | None = "Week") -> alt.X:
    """Like :func:`week_x` but for a start/end field pair (bars, bands)."""
    return week_x(weeks, field=field, labels=labels, title=title)


def message_chart(ctx: ChartContext, name: str, message: str, *, height: int | None = None) -> alt.Chart:
    """A chart that states why there is nothing to plot (instead of an empty axis)."""
    return (
        alt.Chart(pd.DataFrame({"message": [message]}), title=chart_title(ctx, name))
        .mark_text(fontSize=16, color="#444444", align="center", baseline="middle")
        .encode(text=alt.Text("message:N"))
        .properties(width=ctx.width, height=height or 120, view=alt.ViewBackground(stroke=None))
    )


def _target_layers(
    y_value: float,
    label: str,
    label_x: pd.Timestamp,
    *,
    y_scale: alt.Scale | None = None,
) -> tuple[list[alt.Chart], list[alt.Chart]]:
    """(rule, label): the dashed target rule, drawn under the data, and its label, drawn over
    the data at the plot's left edge, just above the rule, on a white halo, so no line or point
    runs through it (at the right edge it sat on the newest week)."""
    data = alt.InlineData(values=[{}])
    y = alt.Y(datum=y_value, scale=y_scale) if y_scale is not None else alt.YDatum(y_value)
    rule = (
        alt.Chart(data)
        .mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=2)
        .encode(y=y)
    )
    text_style = dict(
        text=label, align="left", baseline="bottom", dx=4, dy=-4,
        fontSize=MARK_TEXT_FONT_SIZE, fontWeight="bold",
    )
    halo = (
        alt.Chart(data)
        .mark_text(**text_style, color="white", stroke="white", strokeWidth=6, strokeJoin="round")
        .encode(y=y, x=alt.XDatum(_dt(label_x)))
    )
    text = (
        alt.Chart(data)
        .mark_text(**text_style, color=TARGET_COLOUR)
        .encode(y=y, x=alt.XDatum(_dt(label_x)))
    )
    return [rule], [halo, text]


def _fmt_target(value: float, metric: Metric) -> str:
    if metric == "agree":
        return f"Target {value:.0%}"
    return f"Target {value:g}"


def _suppressed_band(
    frame: pd.DataFrame, weeks: Sequence[pd.Timestamp], text: str, *, labels: bool = False,
    y_range: list[float] | None = None,
) -> alt.Chart:
    """Light grey full-height band behind each suppressed week."""
    bands = pd.DataFrame(
        {
            "band_start": frame["week_start"] - pd.Timedelta(days=3.5),
            "band_end": frame["week_start"] + pd.Timedelta(days=3.5),
            "week_start": frame["week_start"],
            "note": text,
        }
    )
    return (
        alt.Chart(vega_rows(bands))
        .mark_rect(color=SUPPRESSED_BAND_COLOUR, opacity=0.7)
        .encode(
            x=_band_x(weeks, "band_start", labels=labels),
            x2=alt.X2("band_end:T"),
            # Full height of the scores only (not the strip under them) when given a pixel range.
            **({"y": alt.YValue(y_range[1]), "y2": alt.Y2Value(y_range[0])} if y_range else {}),
            tooltip=[
                alt.Tooltip("week_start:T", title="Week", format=WEEK_TOOLTIP_FORMAT),
                alt.Tooltip("note:N", title="Responses"),
            ],
        )
    )


# --------------------------------------------------------------------------
# 1. Weekly agreement per statement (+ responses strip)
# --------------------------------------------------------------------------


def weekly_agreement_chart(
    frame: pd.DataFrame,
    ctx: ChartContext,
    metric: Metric = "mean",
) -> alt.VConcatChart | alt.Chart:
    """One line per statement, fixed y axis, target rule, and a responses strip.

    ``metric="mean"``: mean score on a fixed 1-5 axis, target ``ctx.target``.
    ``metric="agree"``: share agreeing on a fixed 0-100 % axis, target
    ``ctx.agree_target``.
    """
    if metric not in ("mean", "agree"):
        raise ValueError(f"metric must be 'mean' or 'agree', not {metric!r}")
    name = "Weekly agreement per statement"
    if metric == "agree":
        name = "Weekly % agree per statement"
    if frame is None or frame.empty:
        return message_chart(ctx, name, "No review weeks in this period yet")

    value_col = "mean_score" if metric == "mean" else "agree_share"
    target = ctx.target if metric == "mean" else ctx.agree_target
    df = frame.copy()
    df["week_start"] = as_weeks(df["week_start"])
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    df["value"] = pd.to_numeric(df[value_col], errors="coerce").astype("float64")
    # A suppressed week never shows a value, even if one slipped through.
    df.loc[df["suppressed"], "value"] = float("nan")
    meets = figures.meets_target if metric == "mean" else figures.meets_share_target
    df["below_target"] = [not pd.isna(v) and not meets(v, target) for v in df["value"]]
    # Do not leak the exact count of a suppressed week into the spec.
    df["responses"] = df["responses"].astype("float64").where(~df["suppressed"])
    if "statement_order" not in df:
        order = {s: i for i, s in enumerate(_statement_domain(ctx, _frame_statements(df)))}
        df["statement_order"] = df["statement"].map(order)
    df = df.sort_values(["statement_order", "week_start"], kind="stable")
    keep = ["week_start", "statement", "statement_order", "responses", "value", "suppressed", "below_target"]
    df = df[keep].reset_index(drop=True)

    weeks = sorted(df["week_start"].unique())
    colour = _colour_scale(ctx, df)
    if metric == "mean":
        y_scale = alt.Scale(domain=[1, 5], nice=False, zero=False, clamp=True, range=[ctx.height, 0])
        y = alt.Y(
            "value:Q",
            title="Mean score (1–5)",
            scale=y_scale,
            axis=axis_style(values=[1, 2, 3, 4, 5], format="d"),
        )
        value_tooltip = alt.Tooltip("value:Q", title="Mean score", format=".2f")
        y_note = "Mean of 1 (strongly disagree) … 5 (strongly agree)"
    else:
        y_scale = alt.Scale(domain=[0, 1], nice=False, zero=True, clamp=True, range=[ctx.height, 0])
        y = alt.Y(
            "value:Q",
            title=figures.AGREE_AXIS_TITLE,
            scale=y_scale,
            axis=axis_style(format=".0%", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        )
        value_tooltip = alt.Tooltip("value:Q", title="% agree", format=".0%")
        y_note = figures.AGREE_RULE
    target_label = _fmt_target(target, metric)
    tooltip = [
        alt.Tooltip("week_start:T", title="Week", format=WEEK_TOOLTIP_FORMAT),
        alt.Tooltip("statement:N", title="Statement"),
        value_tooltip,
        alt.Tooltip("responses:Q", title="Responses", format="d"),
    ]

    # One layered view (not a vertical concat: Vega cannot fit a concat to its container, and on a
    # phone the weeks collapsed onto one x position). The responses strip is a second y scale
    # drawn in pixels below the scores.
    strip_top = ctx.height + STRIP_GAP
    total_height = strip_top + STRIP_HEIGHT
    base = alt.Chart(vega_rows(df)).encode(
        x=week_x(weeks),
        y=y,
        color=alt.Color("statement:N", title=None, scale=colour,
                        legend=legend_style(columns=1, labelLimit=LEGEND_LABEL_LIMIT, symbolType="stroke", symbolStrokeWidth=4)),
    )
    lines = base.mark_line(strokeWidth=2.5, invalid="break-paths-filter-domains")
    below = "datum.below_target"
    points = base.mark_point(filled=True, opacity=1, invalid="filter").encode(
        size=when_value(alt.SizeValue, below, 150, 50),
        stroke=when_value(alt.StrokeValue, below, BELOW_TARGET_COLOUR, "white"),
        strokeWidth=when_value(alt.StrokeWidthValue, below, 2.5, 1),
        tooltip=tooltip,
    )
    layers: list[alt.Chart] = []
    # A grey band only where the whole week is hidden; a single hidden statement is a gap in its line.
    whole_week = df.groupby("week_start")["suppressed"].transform("all")
    supp = df.loc[whole_week].drop_duplicates("week_start")
    if not supp.empty:
        layers.append(_suppressed_band(supp, weeks, ctx.hidden_text, labels=True, y_range=[ctx.height, 0]))
    rule, label = _target_layers(target, target_label, min(weeks) - pd.Timedelta(days=3.5), y_scale=y_scale)
    scores = alt.layer(*layers, *rule, lines, points, *label)
    strip = alt.layer(*_responses_strip(df, ctx, weeks, top=strip_top, bottom=total_height))
    return alt.layer(
        scores,
        strip,
        title=chart_title(
            ctx,
            name,
            y_note,
            f"Red-ringed points are below the {target_label.lower()}",
            hides_weeks=bool(df["suppressed"].any()),
        ),
        # Given here, not by .resolve_scale() / .properties(): each of those rebuilds (deep-copies) every layer.
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(y="independent")),
        width=ctx.width,
        height=total_height,
    )


STRIP_HEIGHT = 50  # px of the responses strip under the weekly scores
STRIP_GAP = 26  # px between the scores and the strip (room for the strip's count labels)


def _responses_strip(
    df: pd.DataFrame, ctx: ChartContext, weeks: Sequence[pd.Timestamp], *, top: int, bottom: int
) -> list[alt.Chart]:
    """Thin bar strip between pixel rows ``top`` and ``bottom``: responses per week; suppressed
    weeks are grey '<N' bars."""
    per_week = (
        df.groupby("week_start", sort=True)
        .agg(responses=("responses", "max"), suppressed=("suppressed", "all"))
        .reset_index()
    )
    per_week["responses"] = per_week["responses"].where(~per_week["suppressed"])
    n = ctx.min_group_size
    # Suppressed weeks get a fixed-height grey bar of "n" (shown as "<n"), so the
    # real count never appears.
    per_week["bar_height"] = per_week["responses"].where(~per_week["suppressed"], float(n))
    per_week["bar_height"] = per_week["bar_height"].fillna(0.0)
    per_week["label"] = per_week["responses"].map(lambda v: "" if pd.isna(v) else f"{int(v)}")
    per_week.loc[per_week["suppressed"], "label"] = f"<{n}"
    per_week["note"] = per_week["label"].astype(object)
    per_week.loc[per_week["suppressed"], "note"] = ctx.suppressed_text
    per_week["bar_start"] = per_week["week_start"] - pd.Timedelta(days=3)
    per_week["bar_end"] = per_week["week_start"] + pd.Timedelta(days=3)

    ymax = max(float(per_week["bar_height"].max()), float(n))
    supp = "datum.suppressed"
    base = alt.Chart(vega_rows(per_week)).encode(
        y=alt.Y("bar_height:Q", title=None, scale=alt.Scale(domain=[0, ymax], nice=False, range=[bottom, top]), axis=None),
    )
    bars = base.mark_rect().encode(
        x=alt.X("bar_start:T"),
        x2=alt.X2("bar_end:T"),
        y2=alt.Y2Datum(0),
        color=when_value(alt.ColorValue, supp, SUPPRESSED_COLOUR, BAR_COLOUR),
        tooltip=[
            alt.Tooltip("week_start:T", title="Week", format=WEEK_TOOLTIP_FORMAT),
            alt.Tooltip("note:N", title="Responses"),
        ],
    )
    # Week counts in a row above the strip; a phone thins them (every other week) rather than overprint.
    text = base.mark_text(baseline="bottom", fontSize=SMALL_TEXT_FONT_SIZE).encode(
        x=alt.X("week_start:T"),
        y=alt.YValue(top - 3),
        text=alt.Text("label:N"),
        color=when_value(alt.ColorValue, supp, "#666666", "#333333"),
        opacity=alt.OpacityValue(1),
    ).transform_window(row="row_number()").transform_filter(
        f"width / {max(1, len(weeks))} >= 22 || datum.row % 2 == 1"
    )
    title = (
        alt.Chart(alt.InlineData(values=[{}]))
        .mark_text(text="Responses", align="right", baseline="middle", dx=-6, fontSize=SMALL_TEXT_FONT_SIZE, color="#555555")
        .encode(x=alt.XValue(0), y=alt.YValue((top + bottom) / 2))
    )
    return [bars, text, title]


# --------------------------------------------------------------------------
# 2. Small average-score trend
# --------------------------------------------------------------------------


def score_trend_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    """Weekly average score (all statements), fixed 1-5 axis, target rule + label."""
    name = "Average score per week"
    h = max(160, ctx.height * 2 // 3)
    if frame is None or frame.empty:
        return message_chart(ctx, name, "No review weeks in this period yet", height=h)
    df = frame.copy()
    df["week_start"] = as_weeks(df["week_start"])
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    df["mean_score"] = pd.to_numeric(df["mean_score"], errors="coerce").astype("float64")
    df.loc[df["suppressed"], "mean_score"] = float("nan")
    df["responses"] = df["responses"].astype("float64").where(~df["suppressed"])
    df["below_target"] = [not pd.isna(v) and not figures.meets_target(v, ctx.target) for v in df["mean_score"]]
    df = df[["week_start", "responses", "mean_score", "suppressed", "below_target"]].sort_values("week_start")
    df = df.reset_index(drop=True)
    weeks = sorted(df["week_start"].unique())

    base = alt.Chart(vega_rows(df)).encode(
        x=week_x(weeks),
        y=alt.Y(
            "mean_score:Q",
            title="Average score (1–5)",
            scale=alt.Scale(domain=[1, 5], nice=False, zero=False, clamp=True),
            axis=axis_style(values=[1, 2, 3, 4, 5], format="d"),
        ),
    )
    below = "datum.below_target"
    line = base.mark_line(color=STATEMENT_PALETTE[0], strokeWidth=2.5, invalid="break-paths-filter-domains")
    points = base.mark_point(filled=True, opacity=1, color=STATEMENT_PALETTE[0], invalid="filter").encode(
        size=when_value(alt.SizeValue, below, 150, 50),
        stroke=when_value(alt.StrokeValue, below, BELOW_TARGET_COLOUR, "white"),
        strokeWidth=when_value(alt.StrokeWidthValue, below, 2.5, 1),
        tooltip=[
            alt.Tooltip("week_start:T", title="Week", format=WEEK_TOOLTIP_FORMAT),
            alt.Tooltip("mean_score:Q", title="Average score", format=".2f"),
            alt.Tooltip("responses:Q", title="Responses", format="d"),
        ],
    )
    layers: list[alt.Chart] = []
    supp = df.loc[df["suppressed"]]
    if not supp.empty:
        layers.append(_suppressed_band(supp, weeks, ctx.hidden_text, labels=True))
    target_label = _fmt_target(ctx.target, "mean")
    rule, label = _target_layers(ctx.target, target_label, min(weeks) - pd.Timedelta(days=3.5))
    layers += rule + [line, points] + label
    hides = not supp.empty
    note = "Grey bands: hidden weeks · Red-ringed points: below target" if hides else "Red-ringed points: below target"
    return alt.layer(*layers, title=chart_title(ctx, name, note, hides_weeks=hides), width=ctx.width, height=h)


# --------------------------------------------------------------------------
# 3. Diverging answer distribution
# --------------------------------------------------------------------------


def diverging_segments(frame: pd.DataFrame, ctx: ChartContext | None = None) -> pd.DataFrame:
    """Bar segments for a diverging Likert chart centred on Neutral.

    Returns one row per (statement, score) with ``start``/``end`` as shares of
    that statement's answers: disagree to the left of 0, half of Neutral on
    each side, agree to the right.  Missing scores count as 0.
    """
    cols = ["statement", "statement_order", "score", "label", "answers", "share", "start", "end", "agree_share", "total_answers"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    df = frame.copy()
    df["score"] = df["score"].astype(int)
    if "statement_order" not in df:
        order = {s: i for i, s in enumerate(_statement_domain(ctx or ChartContext(), _frame_statements(df)))}
        df["statement_order"] = df["statement"].map(order)
    rows = []
    for (order, statement), g in df.groupby(["statement_order", "statement"], sort=True):
        g = g.set_index("score")
        answers = {s: int(g["answers"].get(s, 0)) if s in g.index else 0 for s in range(1, 6)}
        total = sum(answers.values())
        if "share" in g and g["share"].notna().all() and len(g):
            share = {s: float(g["share"].get(s, 0.0)) if s in g.index else 0.0 for s in range(1, 6)}
        else:
            share = {s: (answers[s] / total if total else 0.0) for s in range(1, 6)}
        left = share[1] + share[2] + share[3] / 2.0
        pos = -left
        # The read layer's % agree (review_pulse.figures' rule) when it is there; else the labels' own shares.
        agree = float(g["agree_share"].iloc[0]) if "agree_share" in g and len(g) else share[4] + share[5]
        for s in range(1, 6):
            rows.append(
                {
                    "statement": statement,
                    "statement_order": int(order),
                    "score": s,
                    "label": LIKERT_LABELS[s - 1],
                    "answers": answers[s],
                    "share": share[s],
                    "start": pos,
                    "end": pos + share[s],
                    "agree_share": agree,
                    "total_answers": total,
                }
            )
            pos += share[s]
    out = pd.DataFrame(rows, columns=cols)
    # Tidy float noise (e.g. -0.30000000000000004) for readable specs/tests.
    for c in ("share", "start", "end", "agree_share"):
        out[c] = out[c].astype(float).round(10)
    return out


def answer_distribution_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    """Diverging stacked horizontal bars (one per statement) centred on Neutral."""
    name = "Answer distribution per statement"
    if frame is None or frame.empty or pd.to_numeric(frame.get("answers"), errors="coerce").fillna(0).sum() <= 0:
        period = "this quarter" if re.match(r"^\d{4}-Q[1-4]$", ctx.quarter_label.strip()) else "in this period"
        return message_chart(
            ctx,
            name,
            f"{ctx.suppressed_text.capitalize()} {period} — hidden for anonymity",
        )
    seg = diverging_segments(frame, ctx)
    order = _statement_domain(ctx, list(seg.sort_values("statement_order")["statement"].unique()))
    order = [s for s in order if s in set(seg["statement"])]
    # Wrapped statement labels and the "% agree" above each bar's right end: the plot keeps
    # most of a phone's width (a one-line label took it all, and the axis read "100%100%").
    seg["statement_label"] = seg["statement"].map(wrapped)
    label_order = [wrapped(s) for s in order]
    height = DISTRIBUTION_ROW_PX * len(order)
    y = alt.Y(
        "statement_label:N",
        title=None,
        sort=label_order,
        axis=wrapped_axis(ticks=False, domain=False, labelPadding=8),
    )
    bars = (
        alt.Chart(seg)
        .mark_bar(height={"band": DISTRIBUTION_BAR_BAND}, stroke="white", strokeWidth=0.5)
        .encode(
            y=y,
            x=alt.X(
                "start:Q",
                title=["Share of answers", "← disagree · agree →"],
                scale=alt.Scale(domain=[-1, 1], nice=False),
                axis=axis_style(values=[-1, -0.5, 0, 0.5, 1], labelExpr="format(abs(datum.value), '.0%')", labelOverlap=True,
                                titleLineHeight=AXIS_TITLE_FONT_SIZE + 4),
            ),
            x2=alt.X2("end:Q"),
            color=alt.Color(
                "label:N",
                title=None,
                scale=alt.Scale(domain=list(LIKERT_LABELS), range=list(LIKERT_COLOURS)),
                legend=legend_style(symbolType="square"),
                sort=list(LIKERT_LABELS),
            ),
            order=alt.Order("score:Q"),
            tooltip=[
                alt.Tooltip("statement:N", title="Statement"),
                alt.Tooltip("label:N", title="Answer"),
                alt.Tooltip("answers:Q", title="Answers", format="d"),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
            ],
        )
    )
    ends = seg.loc[seg["score"] == 5, ["statement", "statement_label", "statement_order", "end", "agree_share", "total_answers"]].copy()
    ends["agree_text"] = ends["agree_share"].map(lambda v: f"{figures.percent_text(v)} agree")
    ends["below_target"] = [not figures.meets_share_target(v, ctx.agree_target) for v in ends["agree_share"]]
    agree_text = (
        alt.Chart(ends)
        .mark_text(align="right", baseline="bottom", dy=-(DISTRIBUTION_ROW_PX * DISTRIBUTION_BAR_BAND / 2) - 1,
                   fontSize=MARK_TEXT_FONT_SIZE, fontWeight="bold")
        .encode(
            y=alt.Y("statement_label:N", sort=label_order),
            x=alt.XValue("width"),
            text=alt.Text("agree_text:N"),
            color=when_value(alt.ColorValue, "datum.below_target", BELOW_TARGET_COLOUR, "#333333"),
            tooltip=[
                alt.Tooltip("statement:N", title="Statement"),
                alt.Tooltip("agree_share:Q", title="% agree", format=".0%"),
                alt.Tooltip("total_answers:Q", title="Answers", format="d"),
            ],
        )
    )
    zero = alt.Chart(alt.InlineData(values=[{}])).mark_rule(color="#333333", strokeWidth=1.5).encode(x=alt.XDatum(0))
    return alt.layer(
        bars,
        zero,
        agree_text,
        title=chart_title(
            ctx,
            name,
            f"Neutral split across 0 · Agree target {ctx.agree_target:.0%} (red label: below target)",
        ),
        width=ctx.width,
        height=height,
    )


DISTRIBUTION_ROW_PX = 72  # per statement: up to three label lines, the bar, its "% agree" above
DISTRIBUTION_BAR_BAND = 0.55


# --------------------------------------------------------------------------
# 4. Attendance
# --------------------------------------------------------------------------


#: The legend name of a week whose attendance fell below busy_week_ratio of its 4-week average
#: (the dip rule lives in review_pulse.queries). "Busy" read as "crowded".
DIP_WEEK = "Attendance dip"


def _growth_text(v: float) -> str:
    if v is None or pd.isna(v):
        return "not enough weeks yet"
    return f"{v:+.0f}% vs first 4 weeks"


def attendance_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    """Weekly attendees (bars), 4-week rolling mean (line), busy weeks marked."""
    name = "Attendance per week"
    if frame is None or frame.empty:
        return message_chart(ctx, name, "No attendance recorded in this period yet")
    df = frame.copy()
    df["week_start"] = as_weeks(df["week_start"])
    df["busy_week"] = df["busy_week"].fillna(False).astype(bool)
    df["attendees"] = pd.to_numeric(df["attendees"], errors="coerce").astype("float64")
    df["rolling_mean"] = pd.to_numeric(df["rolling_mean"], errors="coerce").astype("float64")
    df["growth_pct"] = pd.to_numeric(df["growth_pct"], errors="coerce").astype("float64")
    df["week_type"] = df["busy_week"].map({True: DIP_WEEK, False: "Regular week"})
    df["busy_note"] = df["busy_week"].map({True: "attendance dip", False: ""})
    df["growth_text"] = df["growth_pct"].map(_growth_text)
    df["bar_start"] = df["week_start"] - pd.Timedelta(days=3)
    df["bar_end"] = df["week_start"] + pd.Timedelta(days=3)
    df = df[
        ["week_start", "attendees", "rolling_mean", "growth_pct", "busy_week", "week_type", "busy_note", "growth_text", "bar_start", "bar_end"]
    ].sort_values("week_start").reset_index(drop=True)
    weeks = sorted(df["week_start"].unique())
    ymax = max(1.0, float(df["attendees"].max(skipna=True) or 0), float(df["rolling_mean"].max(skipna=True) or 0)) * 1.2
    y_scale = alt.Scale(domain=[0, ymax], nice=False)
    tooltip = [
        alt.Tooltip("week_start:T", title="Week", format=WEEK_TOOLTIP_FORMAT),
        alt.Tooltip("attendees:Q", title="Attendees", format="d"),
        alt.Tooltip("rolling_mean:Q", title="4-week average", format=".1f"),
        alt.Tooltip("growth_text:N", title="Growth"),
        alt.Tooltip("week_type:N", title="Week type"),
    ]
    bars = (
        alt.Chart(vega_rows(df))
        .mark_rect()
        .encode(
            x=_band_x(weeks, "bar_start"),
            x2=alt.X2("bar_end:T"),
            y2=alt.Y2Datum(0),
            y=alt.Y("attendees:Q", title="Attendees", scale=y_scale, axis=axis_style(format="d", tickMinStep=1)),
            color=alt.Color(
                "week_type:N",
                title=None,
                scale=alt.Scale(domain=["Regular week", DIP_WEEK], range=[BAR_COLOUR, BUSY_COLOUR]),
                legend=legend_style(symbolType="square"),
            ),
            tooltip=tooltip,
        )
    )
    busy = df.loc[df["busy_week"]]
    busy_text = (
        alt.Chart(vega_rows(busy))
        .mark_text(text="dip", baseline="bottom", dy=-4, fontSize=SMALL_TEXT_FONT_SIZE, fontWeight="bold", color=BUSY_TEXT_COLOUR)
        .encode(x=alt.X("week_start:T"), y=alt.Y("attendees:Q"), tooltip=tooltip)
    )
    line = (
        alt.Chart(vega_rows(df))
        .mark_line(color=ROLLING_COLOUR, strokeWidth=2.5, invalid="break-paths-filter-domains")
        .encode(x=alt.X("week_start:T"), y=alt.Y("rolling_mean:Q"), tooltip=tooltip)
    )
    return alt.layer(
        bars,
        busy_text,
        line,
        title=chart_title(ctx, name, "Line: 4-week rolling average · Growth compares with the quarter's first 4 review weeks",
                          hides_weeks=False),
        width=ctx.width,
        height=ctx.height,
    )


# --------------------------------------------------------------------------
# 5. Response rate
# --------------------------------------------------------------------------


def response_rate_chart(frame: pd.DataFrame, ctx: ChartContext) -> alt.LayerChart | alt.Chart:
    """Survey response rate (responses / attendees) per week, fixed 0-100 % axis."""
    name = "Survey response rate per week"
    if frame is None or frame.empty:
        return message_chart(ctx, name, "No review weeks in this period yet")
    df = frame.copy()
    df["week_start"] = as_weeks(df["week_start"])
    df["response_rate"] = pd.to_numeric(df["response_rate"], errors="coerce").astype("float64")
    att = pd.to_numeric(df["attendees"], errors="coerce")
    resp = pd.to_numeric(df["responses"], errors="coerce")
    no_attendance = att.isna() | (att <= 0)
    hidden = df["response_rate"].isna()
    suppressed = df["suppressed"].astype("boolean").fillna(False).astype(bool)  # the read layer's flag
    df["reason"] = ""
    df.loc[hidden & no_attendance, "reason"] = "no attendance recorded"
    df.loc[hidden & ~no_attendance & (resp.fillna(0) <= 0), "reason"] = "no survey responses"
    df.loc[hidden & suppressed, "reason"] = ctx.hidden_text
    # Do not leak the exact count of hidden weeks.
    df["responses"] = resp.astype("float64").where(~hidden)
    df["attendees"] = att.astype("float64")
    # The tooltip gives the two numbers the rate divides (figures.response_rate_parts): under "All series" a
    # series' hidden week leaves out its attendees too, so they can be fewer than the week's attendees.
    for column, shown in (("responses_counted", "responses"), ("attendees_counted", "attendees")):
        df[column] = (pd.to_numeric(df[column], errors="coerce") if column in df else df[shown]).astype("float64").where(~hidden)
    left_out = bool((df["attendees_counted"] < df["attendees"]).any())
    df = df[["week_start", "attendees", "responses", "responses_counted", "attendees_counted", "response_rate",
             "reason"]].sort_values("week_start").reset_index(drop=True)
    weeks = sorted(df["week_start"].unique())

    base = alt.Chart(vega_rows(df)).encode(
        x=week_x(weeks),
        y=alt.Y(
            "response_rate:Q",
            title="Response rate",
            scale=alt.Scale(domain=[0, 1], nice=False, clamp=True),
            axis=axis_style(format=".0%", values=[0, 0.25, 0.5, 0.75, 1.0]),
        ),
    )
    tooltip = [
        alt.Tooltip("week_start:T", title="Week", format=WEEK_TOOLTIP_FORMAT),
        alt.Tooltip("response_rate:Q", title="Response rate", format=".0%"),
        alt.Tooltip("responses_counted:Q", title="Responses counted", format="d"),
        alt.Tooltip("attendees_counted:Q", title="Attendees counted", format="d"),
        alt.Tooltip("attendees:Q", title="Attendees", format="d"),
    ]
    line = base.mark_line(color=STATEMENT_PALETTE[0], strokeWidth=2.5, invalid="break-paths-filter-domains")
    points = base.mark_point(filled=True, size=60, opacity=1, color=STATEMENT_PALETTE[0], invalid="filter").encode(tooltip=tooltip)
    layers: list[alt.Chart] = []
    gaps = df.loc[hidden.values]
    if not gaps.empty:
        bands = pd.DataFrame(
            {
                "band_start": gaps["week_start"] - pd.Timedelta(days=3.5),
                "band_end": gaps["week_start"] + pd.Timedelta(days=3.5),
                "week_start": gaps["week_start"],
                "reason": gaps["reason"],
            }
        )
        layers.append(
            alt.Chart(vega_rows(bands))
            .mark_rect(color=SUPPRESSED_BAND_COLOUR, opacity=0.7)
            .encode(
                x=_band_x(weeks, "band_start"),
                x2=alt.X2("band_end:T"),
                tooltip=[
                    alt.Tooltip("week_start:T", title="Week", format=WEEK_TOOLTIP_FORMAT),
                    alt.Tooltip("reason:N", title="Not shown"),
                ],
            )
        )
    layers += [line, points]
    return alt.layer(
        *layers,
        title=chart_title(ctx, name, "Responses ÷ attendees", "Grey bands: hidden or no attendance" if not gaps.empty else "",
                          # a series' hidden week under "All series" (figures.response_rate_parts)
                          "Attendees counted: those of the series whose week is shown" if left_out else "",
                          hides_weeks=bool(suppressed.any()) or left_out),
        width=ctx.width,
        height=ctx.height,
    )
