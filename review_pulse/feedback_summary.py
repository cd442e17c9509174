"""What people said: theme counts, the theme × quarter trend, representative quotes and their charts.

Shared by the Feedback page, the PDF/PPTX retro report and the retro pack's feedback CSV.
Everything reads through ``FeedbackData`` (cached named SQL in review_pulse.feedback_queries),
so nothing here ever sees a hidden week's comment.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

import altair as alt
import pandas as pd

from review_pulse import charts, feedback_queries
from review_pulse.view import DataView
from core.feedback_themes import FeedbackTheme
from core.quarters import ALL_TIME_PERIOD, quarter_for_week

SENTIMENT_ORDER = ("positive", "neutral", "negative")
SENTIMENT_COLOURS = {"positive": "#1B7837", "neutral": "#9E9E9E", "negative": "#B2182B"}  # colour-blind safe pair + grey
NO_THEME = "No theme"
QUOTES_PER_THEME = 3
QUOTE_MAX_CHARS = 280  # a longer quote is cut, with "…"
QUOTE_MIN_CHARS, QUOTE_SOURCE_MAX_CHARS = 15, 600  # a comment of a readable length (whitespace collapsed) can be quoted


def theme_names(themes: tuple[FeedbackTheme, ...]) -> dict[str, str]:
    return {t.id: t.name for t in themes}


@dataclass(frozen=True)
class FeedbackData:
    """The feedback reads of one DataView (period, series, minimum group size)."""

    view: DataView

    def comments(self, search: str = "", themes: tuple[str, ...] = (), sentiments: tuple[str, ...] = (),
                 limit: int | None = None) -> pd.DataFrame:
        return self.view.call(feedback_queries.analysed_feedback, self.view.filters(), search, tuple(themes), tuple(sentiments), limit)

    def count(self, search: str = "", themes: tuple[str, ...] = (), sentiments: tuple[str, ...] = ()) -> int:
        if not (search.strip() or themes or sentiments):
            return self.totals()[0]  # every comment shown: counted with the hidden ones, in one query
        return self.view.call(feedback_queries.analysed_feedback_count, self.view.filters(), search, tuple(themes), tuple(sentiments))

    def totals(self) -> tuple[int, int]:
        """(comments shown, comments hidden for anonymity) in the period."""
        return self.view.call(feedback_queries.feedback_totals, self.view.filters())

    def weekly_theme_counts(self, all_time: bool = False) -> pd.DataFrame:
        return self.view.call(feedback_queries.theme_weekly_counts, self.view.filters(ALL_TIME_PERIOD if all_time else None))

    def emerging_topics(self, n_topics: int = 5) -> list:
        return self.view.call(feedback_queries.emerging_topics, self.view.filters(), n_topics)

    def analysis_state(self) -> tuple[str | None, int]:
        return self.view.call(feedback_queries.analysis_state)

    # --- derived, pure ---
    def overview(self) -> pd.DataFrame:
        return theme_overview(self.weekly_theme_counts(), self.view.settings.feedback_themes)

    def quarter_trend(self) -> pd.DataFrame:
        return theme_quarter_trend(self.weekly_theme_counts(all_time=True), self.view.settings.feedback_themes,
                                   self.view.settings.fiscal_year_start_month)

    def quotes(self) -> dict[str, list[tuple[str, str]]]:
        # Through the view's runner, so the app caches the picked quotes; keyed on the theme ids (plain
        # strings hash quickly: the theme dataclasses took a third of a warm rerun's cache lookups).
        return self.view.call(period_quotes, self.view.filters(), tuple(t.id for t in self.view.settings.feedback_themes))


def period_quotes(db_path: Path, f: feedback_queries.Filters, themes: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
    """The quotes of a period for the theme ids ``themes`` (dictionary order): ``representative_quotes``
    over the candidates DuckDB picks from the period's visible comments."""
    candidates = feedback_queries.quote_candidates(db_path, f, themes, QUOTES_PER_THEME, QUOTE_MIN_CHARS, QUOTE_SOURCE_MAX_CHARS)
    return representative_quotes(candidates, themes)


def theme_overview(weekly: pd.DataFrame, themes: tuple[FeedbackTheme, ...]) -> pd.DataFrame:
    """One row per theme (dictionary order, then "No theme") and sentiment: comments, share of the theme."""
    names = {**theme_names(themes), "": NO_THEME}
    order = [*names]
    grouped = weekly.groupby(["theme", "sentiment"], as_index=False)["comments"].sum() if not weekly.empty else \
        pd.DataFrame(columns=["theme", "sentiment", "comments"])
    grouped = grouped[grouped["theme"].isin(order)]
    full = pd.MultiIndex.from_product([order, SENTIMENT_ORDER], names=["theme", "sentiment"])
    frame = grouped.set_index(["theme", "sentiment"]).reindex(full, fill_value=0).reset_index()
    frame["comments"] = frame["comments"].astype(int)
    frame["theme_name"] = frame["theme"].map(names)
    frame["theme_total"] = frame.groupby("theme")["comments"].transform("sum")
    frame["theme_order"] = frame["theme"].map({t: i for i, t in enumerate(order)})
    return frame[["theme", "theme_name", "theme_order", "sentiment", "comments", "theme_total"]]


def theme_quarter_trend(weekly: pd.DataFrame, themes: tuple[FeedbackTheme, ...], fiscal_start_month: int) -> pd.DataFrame:
    """Per quarter and theme: comments naming the theme and their share of the quarter's comments."""
    columns = ["quarter", "theme", "theme_name", "comments", "quarter_comments", "share"]
    if weekly.empty:
        return pd.DataFrame(columns=[*columns, "theme_order"])
    frame = weekly.copy()
    weeks = frame["week_start"].drop_duplicates()  # a quarter per week, not per row (a row per week, theme and sentiment)
    frame["quarter"] = frame["week_start"].map(dict(zip(weeks, (quarter_for_week(w.date(), fiscal_start_month).label for w in weeks))))
    names = theme_names(themes)
    counts = frame[frame["theme"].isin(names)].groupby(["quarter", "theme"], as_index=False)["comments"].sum()
    # A comment with two themes has two rows: the quarter's total comes from the weekly totals.
    totals = (frame.drop_duplicates("week_start").groupby("quarter", as_index=False)["week_comments"].sum()
              .rename(columns={"week_comments": "quarter_comments"}))
    counts = counts.merge(totals, on="quarter", how="left")
    counts["share"] = counts["comments"] / counts["quarter_comments"]
    counts["theme_name"] = counts["theme"].map(names)
    counts["theme_order"] = counts["theme"].map({t: i for i, t in enumerate(names)})
    return counts[[*columns, "theme_order"]].sort_values(["quarter", "theme_order"]).reset_index(drop=True)


def representative_quotes(candidates: list[tuple[str, str | None, int, tuple[str, ...]]],
                          themes: tuple[str, ...], per_theme: int = QUOTES_PER_THEME) -> dict[str, list[tuple[str, str]]]:
    """Theme id -> up to ``per_theme`` (sentiment, text) quotes, from ``quote_candidates`` rows.

    Which comments can be quoted, and in which order, is decided in SQL
    (review_pulse.feedback_queries.QUOTE_CANDIDATES): themes with at least the minimum group
    of visible comments, texts of a readable length, the clearest (strongest score) first.
    Here the quotes follow the theme's sentiment mix: the sentiment with the most candidates
    first (ties in SENTIMENT_ORDER, then by name), one quote of each in turn.
    """
    found: dict[str, dict[str, tuple[int, tuple[str, ...]]]] = {}
    for theme, sentiment, count, texts in candidates:
        by_sentiment = found.setdefault(theme, {})
        if sentiment is not None:
            by_sentiment[sentiment] = (count, texts)
    quotes: dict[str, list[tuple[str, str]]] = {}
    for theme in themes:
        if theme not in found:
            continue
        by_sentiment = found[theme]
        mix = sorted(by_sentiment, key=lambda s: (-by_sentiment[s][0], SENTIMENT_ORDER.index(s) if s in SENTIMENT_ORDER else 9, s))
        picked: list[tuple[str, str]] = []
        round_ = 0
        while len(picked) < per_theme and any(len(texts) > round_ for _count, texts in by_sentiment.values()):
            for sentiment in mix:  # most common first
                texts = by_sentiment[sentiment][1]
                if len(texts) > round_ and len(picked) < per_theme:
                    picked.append((sentiment, _shorten(texts[round_])))
            round_ += 1
        quotes[theme] = picked
    return quotes


def _shorten(text: str) -> str:
    return text if len(text) <= QUOTE_MAX_CHARS else text[: QUOTE_MAX_CHARS - 1].rstrip() + "…"


# --- charts ----------------------------------------------------------------------------------


def _sentiment_colour() -> alt.Scale:
    return alt.Scale(domain=list(SENTIMENT_ORDER), range=[SENTIMENT_COLOURS[s] for s in SENTIMENT_ORDER])


def theme_overview_chart(overview: pd.DataFrame, ctx: charts.ChartContext) -> alt.Chart | alt.LayerChart:
    """A horizontal bar per theme, split by sentiment, with the comment counts."""
    name = "What people said: themes by sentiment"
    rows = overview[overview["comments"] > 0]
    if rows.empty:
        return charts.message_chart(ctx, name, "No feedback comments from visible weeks in this period")
    rows = rows.assign(theme_label=rows["theme_name"].map(charts.wrapped))  # wrapped: the plot keeps a phone's width
    order = rows.sort_values("theme_order")["theme_label"].drop_duplicates().tolist()
    y = alt.Y("theme_label:N", title=None, sort=order, axis=charts.wrapped_axis())
    tooltip = [alt.Tooltip("theme_name:N", title="Theme"), alt.Tooltip("sentiment:N", title="Sentiment"),
               alt.Tooltip("comments:Q", title="Comments", format="d"),
               alt.Tooltip("theme_total:Q", title="Comments on the theme", format="d")]
    bars = alt.Chart(rows).mark_bar().encode(
        y=y,
        x=alt.X("sum(comments):Q", title="Comments", stack="zero", axis=charts.axis_style(format="d", tickMinStep=1)),
        color=alt.Color("sentiment:N", title=None, scale=_sentiment_colour(), legend=charts.legend_style()),
        order=alt.Order("sentiment_rank:Q"),
        tooltip=tooltip,
    ).transform_calculate(
        sentiment_rank=f"indexof({list(SENTIMENT_ORDER)!r}, datum.sentiment)"
    )
    totals = rows.drop_duplicates("theme")[["theme_label", "theme_total"]]
    labels = alt.Chart(totals).mark_text(align="left", dx=4, fontSize=charts.SMALL_TEXT_FONT_SIZE).encode(
        y=alt.Y("theme_label:N", sort=order), x=alt.X("theme_total:Q"), text=alt.Text("theme_total:Q", format="d"))
    height = max(120, 40 * len(order))
    return alt.layer(bars, labels, title=charts.chart_title(
        ctx, name, "A comment can name several themes or none · sentiment from VADER with an incident-review lexicon",
    )).properties(width=ctx.width - 200, height=height)


def theme_names_in_order(rows: pd.DataFrame) -> list[str]:
    """Theme names in the dictionary's order (rows carry theme_order) or as they come."""
    if "theme_order" in rows:
        rows = rows.sort_values("theme_order", kind="stable")
    return list(dict.fromkeys(rows["theme_name"]))


def theme_trend_chart(trend: pd.DataFrame, ctx: charts.ChartContext) -> alt.Chart:
    """Theme × quarter: the share of each quarter's comments naming the theme (heatmap with counts)."""
    name = "Themes per quarter"
    trend_ctx = charts.ChartContext(**{**ctx.__dict__, "quarter_label": "All quarters"})
    if trend.empty:
        return charts.message_chart(trend_ctx, name, "No feedback comments from visible weeks yet")
    rows = trend.copy()
    rows["label"] = rows.apply(lambda r: f"{r['share']:.0%} ({int(r['comments'])})", axis=1)
    rows["theme_label"] = rows["theme_name"].map(charts.wrapped)
    base = alt.Chart(rows).encode(
        x=alt.X("quarter:O", title=None, axis=charts.axis_style(labelAngle=0, labelOverlap=True)),
        y=alt.Y("theme_label:N", title=None, axis=charts.wrapped_axis(),
                sort=[charts.wrapped(n) for n in theme_names_in_order(rows)]),
        tooltip=[alt.Tooltip("quarter:O", title="Quarter"), alt.Tooltip("theme_name:N", title="Theme"),
                 alt.Tooltip("comments:Q", title="Comments", format="d"),
                 alt.Tooltip("quarter_comments:Q", title="Comments that quarter", format="d"),
                 alt.Tooltip("share:Q", title="Share", format=".0%")],
    )
    cells = base.mark_rect().encode(color=alt.Color("share:Q", title="Share of comments",
                                                     scale=alt.Scale(scheme="blues", domain=[0, max(0.4, float(rows["share"].max()))]),
                                                     legend=None))  # the cells say the share; a gradient legend's id is not stable across renders
    text = base.mark_text(fontSize=charts.SMALL_TEXT_FONT_SIZE).encode(
        text=alt.Text("label:N"), color=charts.when_value(alt.ColorValue, "datum.share > 0.25", "white", "#222222"))
    quarters = rows["quarter"].nunique()
    return alt.layer(cells, text, title=charts.chart_title(trend_ctx, name, "Share of the quarter's comments naming each theme (count)")
                     ).properties(width=max(240, min(ctx.width - 200, 110 * quarters)), height=40 * rows["theme"].nunique())
