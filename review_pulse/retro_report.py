"""The quarterly retro report: a multi-page A4 PDF (fpdf2) and a slide deck (python-pptx).

Both are built from the same pieces: the headline, a statement scorecard, the dashboard's
own chart builders (rendered to PNG by vl-convert), what people said (themes, sentiment,
quotes from visible weeks only), talking points and actions read through the same read layer as
their pages (so the report and the dashboard give the same figures), and the definitions with
the anonymity rule. Every user-supplied string is written as plain text:
fpdf2 and python-pptx place text runs, nothing is parsed as markup.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from dataclasses import replace

from review_pulse import action_charts, action_report, charts, feedback_report, figures, report, talking_points_report
from review_pulse.report_items import chart_context
from review_pulse.action_queries import ActionHeadline
from review_pulse.view import DataView
from review_pulse.export import chart_spec, chart_to_png, export_filename, frame_to_csv_bytes
from review_pulse.feedback_summary import SENTIMENT_ORDER, FeedbackData, theme_names
from core import anonymity
from core.plain_text import one_line
from core.quarters import previous_quarter
from review_pulse.figures import Summary
from review_pulse.talking_points_queries import TREND_MIN_REVIEWS

DASH = "—"
NO_TALKING_POINTS = "No talking-point polls loaded"
NO_ACTIONS = "No follow-up actions loaded"


# --- the numbers -------------------------------------------------------------------------------


def scorecard(view: DataView) -> pd.DataFrame:
    """Per statement over the period's visible weeks (the read layer's statement_scores): mean, % agree,
    n, change vs the previous quarter, and whether the mean as shown meets the target."""
    columns = ["statement", "mean", "agree", "answers", "previous_mean", "change", "at_target"]
    current = view.statement_scores()
    if current.empty:
        return pd.DataFrame(columns=columns)
    previous = previous_quarter(view.period, view.settings.fiscal_year_start_month)
    before = view.statement_scores(previous) if previous is not None else pd.DataFrame(columns=["statement", "mean_score"])
    card = current.rename(columns={"mean_score": "mean", "agree_share": "agree"}).merge(
        before[["statement", "mean_score"]].rename(columns={"mean_score": "previous_mean"}), on="statement", how="left")
    card["change"] = [figures.change_value(m, p) for m, p in zip(card["mean"], card["previous_mean"])]
    card["at_target"] = figures.meets_target_flags(card["mean"], view.settings.target_score)
    return card[columns]


def lagging_statement(card: pd.DataFrame) -> pd.Series | None:
    """The statement with the lowest mean as shown (ties: the first in survey order)."""
    return figures.lagging_statement(card, "mean")


@dataclass
class ReportContent:
    quarter: str
    series: str
    summary: Summary
    card: pd.DataFrame
    lagging: pd.Series | None
    charts: list  # ExportItems: score trend, weekly agreement, attendance, response rate, themes, talking points, actions
    overview: pd.DataFrame
    quotes: dict[str, list[tuple[str, str]]]
    theme_names: dict[str, str]
    talking_points: pd.DataFrame | None  # the Talking points page's rows; None: no poll loaded at all
    recurring_themes: pd.DataFrame | None  # None exactly when talking_points is
    action_headline: ActionHeadline | None  # the Actions page's figures; None: no action loaded at all
    open_actions: pd.DataFrame | None
    today: date = field(default_factory=date.today)
    slide_charts: dict = field(default_factory=dict)  # slug -> a lower chart for a 16:9 slide (see SLIDE_PLOT_HEIGHT)
    _pngs: dict = field(default_factory=dict)

    def png(self, item) -> bytes:
        """Each chart is rendered once for the PDF."""
        if item.slug not in self._pngs:
            self._pngs[item.slug] = chart_to_png(item.chart, scale=2)
        return self._pngs[item.slug]

    def slide_png(self, item) -> bytes:
        """The chart for a slide: lower where it has a lower twin, and without its title and subtitle
        (the slide's title and footer say them, at a size a projector shows)."""
        key = ("slide", item.slug)
        if key not in self._pngs:
            spec = chart_spec(self.slide_charts.get(item.slug, item.chart))
            spec.pop("title", None)
            _wide_legends(spec)
            self._pngs[key] = chart_to_png(spec, scale=2)
        return self._pngs[key]


def _wide_legends(spec: object) -> None:
    """Legends in two columns: a slide is wide and low, a phone narrow and tall."""
    if isinstance(spec, dict):
        legend = spec.get("legend")
        if isinstance(legend, dict):
            legend["columns"] = 2
        for value in spec.values():
            _wide_legends(value)
    elif isinstance(spec, list):
        for value in spec:
            _wide_legends(value)


REPORT_CHARTS = ("score-trend", "weekly-agreement", "attendance", "response-rate", "feedback-themes")
# Shown when the period has polls / actions (the pack already has their PNGs).
TALKING_POINT_CHARTS = ("talking-points", "recurring-themes")
ACTION_CHARTS = ("actions-burnup", "actions-time-to-close")
# The plot height of the survey and actions charts on a slide: with the slide's own title in place of the
# chart's, a 13-px label of the PNG is then 13.5 pt or more on a 13.3-inch slide (tests/test_retro_render.py).
SLIDE_PLOT_HEIGHT = 150


def gather(view: DataView, today: date | None = None, items: list | None = None) -> ReportContent:
    """Everything the report shows; ``items`` are charts already built (the retro pack's), reused by slug."""
    built = {item.slug: item for item in items or []}
    builders = {"score-trend": report.score_trend, "weekly-agreement": lambda v: report.weekly_agreement(v, "mean"),
                "attendance": report.attendance, "response-rate": report.response_rate,
                "feedback-themes": feedback_report.feedback_themes}
    card = scorecard(view)
    data = FeedbackData(view)
    today = today or action_report.today_for(view)
    polls, actions = view.poll_count() > 0, view.action_count() > 0
    talking_points = view.talking_points() if polls else None  # read once: the slide chart and the top picks
    extra: list = []
    if polls:
        wanted = [slug for slug in TALKING_POINT_CHARTS if slug not in built]
        extra_items = {i.slug: i for i in talking_points_report.talking_point_items(view)} if wanted else {}
        extra += [built.get(slug) or extra_items.get(slug) for slug in TALKING_POINT_CHARTS]
    if actions:
        wanted = [slug for slug in ACTION_CHARTS if slug not in built]
        extra_items = {i.slug: i for i in action_report.all_action_items(view)} if wanted else {}
        extra += [built.get(slug) or extra_items.get(slug) for slug in ACTION_CHARTS]
    low = replace(chart_context(view), height=SLIDE_PLOT_HEIGHT)
    slide_charts = {
        "score-trend": charts.score_trend_chart(view.weekly_scores()[["week_start", "responses", "mean_score", "suppressed"]], low),
        "weekly-agreement": charts.weekly_agreement_chart(view.weekly_statement_scores(), low, metric="mean"),
        "attendance": charts.attendance_chart(view.weekly_attendance(), low),
        "response-rate": charts.response_rate_chart(
            view.weekly_attendance()[list(report.RESPONSE_RATE_COLUMNS)], low),
    }
    # the talking-points and actions charts drawn again from their own rows (ExportItem.rows), lower
    by_slug = {i.slug: i for i in extra if i is not None}
    if "talking-points" in by_slug:
        slide_charts["talking-points"] = talking_points_report.choices_chart(talking_points, view.period.title, low,
                                                                             compact=True)
    if "actions-burnup" in by_slug:
        slide_charts["actions-burnup"] = action_charts.burnup_chart(by_slug["actions-burnup"].rows, low)
    if "actions-time-to-close" in by_slug:
        slide_charts["actions-time-to-close"] = action_charts.time_to_close_chart(
            by_slug["actions-time-to-close"].rows, low, view.settings.action_target_days)
    return ReportContent(
        quarter=view.period.title,
        series=view.series_label,
        summary=view.summary(),
        card=card,
        lagging=lagging_statement(card),
        charts=[built.get(slug) or builders[slug](view) for slug in REPORT_CHARTS] + [i for i in extra if i is not None],
        overview=data.overview(),
        quotes=data.quotes(),
        theme_names=theme_names(view.settings.feedback_themes),
        talking_points=talking_points,
        recurring_themes=view.recurring_themes() if polls else None,
        action_headline=action_report.headline(view, today) if actions else None,
        open_actions=view.open_actions(today) if actions else None,
        today=today,
        slide_charts=slide_charts,
    )


def fmt(value: float | None, spec: str = ".2f", none: str = DASH) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return none
    return format(value, spec)


def headline_lines(c: ReportContent) -> list[str]:
    return headline_text(c.summary.headline, c.summary.min_group_size)


def headline_text(h: figures.Headline, min_group_size: int) -> list[str]:
    """The headline in sentences: the report's first page, and each series' page of the organisation's report."""
    lines = []
    if h.verdict is None:
        lines.append(f"Average score: {figures.missing_average(h, min_group_size)}.")
    else:
        lines.append(f"Average score {h.verdict.shown} / 5 against a target of {h.target:g}: {h.verdict.short}.")
    if h.average_score is not None and h.previous_average is not None:
        lines.append(f"Change against the previous quarter: {h.change} (was {figures.score_text(h.previous_average)}).")
    elif h.previous_average is not None:  # as the summary's "Previous period" row: the figure, no change
        lines.append(f"Previous quarter: {figures.score_text(h.previous_average)} / 5; no average this period to "
                     "compare it with.")
    else:
        lines.append("Change against the previous quarter: no comparable data.")
    lines.append(f"Weeks at target: {h.weeks_at_target} of {h.weeks_scored} weeks with scores shown · "
                 f"{figures.count_text(h.responses, 'response')}.")
    lines.append("Response rate: " + figures.percent_text(h.response_rate)
                 + " · Attendance growth: " + (f"{h.attendance_growth_pct:+.0f}% ({figures.growth_basis(h.growth_weeks)})"
                                               if h.attendance_growth_pct is not None else DASH) + ".")
    return lines


def lagging_line(c: ReportContent) -> str:
    if c.lagging is None:
        return "No statement has scores to show in this period."
    row = c.lagging
    where = "below" if not row["at_target"] else "at"
    return (f"Lagging statement: “{row['statement']}”, mean {figures.score_text(row['mean'])} "
            f"({figures.percent_text(row['agree'])} agree), {where} the {c.summary.headline.target:g} target.")


def scorecard_rows(c: ReportContent) -> list[list[str]]:
    rows = []
    for _, r in c.card.iterrows():
        rows.append([
            str(r["statement"]), figures.score_text(r["mean"]), figures.percent_text(r["agree"]), f"{int(r['answers'])}",
            fmt(r["change"], "+.2f"), "at target" if r["at_target"] else "below target",
        ])
    return rows


SCORECARD_HEADER = ["Statement", "Mean", "% agree", "n", "Change", "Target"]

# The longest text a table cell of the report or the slides holds. fpdf2 cannot split a table
# row across pages, so one long cell (a 750-character team name wraps to ~50 lines in its
# column) made the whole PDF fail; 160 characters stay a few lines in the narrowest column.
TABLE_CELL_MAX_CHARS = 160


def table_cell(text: object) -> str:
    """A table cell's text, clipped to TABLE_CELL_MAX_CHARS with an ellipsis."""
    value = str(text)
    return value if len(value) <= TABLE_CELL_MAX_CHARS else value[: TABLE_CELL_MAX_CHARS - 1].rstrip() + "…"


def theme_lines(c: ReportContent) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(theme name, "n comments: x positive · y neutral · z negative", quotes) for themes with comments."""
    out = []
    for theme_id, name in c.theme_names.items():
        mix = c.overview[c.overview["theme"] == theme_id].set_index("sentiment")["comments"]
        total = int(mix.sum()) if len(mix) else 0
        if total == 0:
            continue
        counts = " · ".join(f"{int(mix.get(s, 0))} {s}" for s in SENTIMENT_ORDER)
        out.append((name, f"{total} comments: {counts}", c.quotes.get(theme_id, [])))
    return out


def talking_point_lines(c: ReportContent) -> list[str]:
    """Recurring themes, then every review's top pick in date order, as the Talking points page counts them."""
    tp = c.talking_points
    if tp is None:
        return [NO_TALKING_POINTS]
    if tp.empty:
        return ["No talking-point polls in this period."]
    lines = []
    trends = c.recurring_themes[c.recurring_themes["trend"]]  # read with the talking points: never None beside them
    if len(trends):
        lines.append(f"Recurring themes (on the ballot in {TREND_MIN_REVIEWS} or more reviews): " + ", ".join(
            f"{r.theme} ({r.reviews} reviews, {r.total_votes} votes, top pick {r.top_picks}×)"
            for r in trends.head(5).itertuples(index=False)) + ".")
    return lines + top_pick_lines(c)


def top_pick_lines(c: ReportContent) -> list[str]:
    """One line per review, in date order: its most-voted point (ties joined). The latest
    MAX_CHART_REVIEWS reviews, as the choices chart draws them, with a line saying so when there are
    more (an organisation's quarter holds hundreds of reviews: one slide per 8 of them read as noise,
    and its All time pack took 40 s); the talking-points CSV holds them all. With several series each
    line names its series."""
    tp = c.talking_points
    if tp is None or tp.empty:
        return []
    top = tp[tp["top"]].sort_values(["week_start", "series"], kind="stable")
    named = top["series"].nunique() > 1
    top, reviews = talking_points_report.latest_reviews(top, ["week_start", "series"])
    lines = []
    if reviews > talking_points_report.MAX_CHART_REVIEWS:
        lines.append("Top picks of the latest " + figures.shown_of(
            talking_points_report.MAX_CHART_REVIEWS, reviews, "reviews",
            export_filename("talking-points", c.quarter, "csv")) + ".")
    for (week, series), picks in top.groupby(["week_start", "series"], sort=False):
        first = picks.iloc[0]
        share = f", {float(first['share']):.0%}" if pd.notna(first["share"]) else ""
        points = " / ".join(str(p) for p in picks["point"])
        where = f", {series}" if named else ""
        lines.append(f"Week of {pd.Timestamp(week):%d %b}{where}: {points} ({int(first['votes'])} votes{share})")
    return lines


def review_weeks_with_polls(c: ReportContent) -> int:
    tp = c.talking_points
    return 0 if tp is None or tp.empty else int(tp[["week_start", "series"]].drop_duplicates().shape[0])


def action_figures(c: ReportContent) -> tuple[list[str], list[list[str]]]:
    """The Actions page's figures as lines, and the open list (title, team, due, age), oldest first."""
    h = c.action_headline
    if h is None:
        return [NO_ACTIONS], []
    lines = [f"{name}: {value}." for name, value in action_report.summary_lines(h)]
    open_rows = [[str(r.title), str(r.team) if isinstance(r.team, str) and r.team else DASH,
                  fmt_date(r.due_by) + (" (overdue)" if r.overdue else ""), f"{r.age_days} days"]
                 for r in c.open_actions.itertuples(index=False)]
    return lines, open_rows


PDF_OPEN_ACTIONS = 40


def open_actions_shown(c: ReportContent, shown: int, total: int) -> str:
    """"10 of 15 open actions shown; all in open-actions_2026-Q2.csv" under a list cut short."""
    return figures.shown_of(shown, total, "open actions", export_filename("open-actions", c.quarter, "csv"))


def fmt_date(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return DASH
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(value)


def definition_lines(c: ReportContent) -> list[str]:
    n = c.summary.min_group_size
    return [
        "Scores: each statement is answered from 1 (strongly disagree) to 5 (strongly agree); answers on a 1-7 or "
        "1-10 scale are rescaled onto 1-5. Mean = the average answer, with 2 decimals; a mean meets the target when "
        f"the mean as shown is at or above it. {figures.AGREE_RULE}. n = answers in the period's visible weeks.",
        f"Target: a mean of {c.summary.headline.target:g}. Change: this period's mean minus the previous quarter's.",
        f"Response rate: {figures.RESPONSE_RATE_RULE}. Attendance growth: the mean of the "
        "last 4 review weeks against the first 4 (with fewer than 8 weeks: the last half against the first half).",
        "Themes: a comment's topics from the theme dictionary in the settings (several or none). Sentiment: VADER "
        "with an incident-review lexicon, computed on this machine; no text leaves it.",
        f"Anonymity: a week with {anonymity.fewer_than(n)} is hidden everywhere: its scores, comments, quotes "
        "and counts are left out of every figure, chart and file in this report, and no filter narrower than "
        f"{n} comments is shown. No respondent is stored.",
        "Talking points: vote counts of the polls that open each review, as the Talking points page shows them; "
        "no voter is stored. Actions: as the Actions page counts them; an action belongs to the review it was "
        "raised at" + (f", and one without a due date is overdue {c.action_headline.target_days} days after it was "
                       "created." if c.action_headline else "."),
    ]


def chart_takeaway(slug: str, c: ReportContent) -> str:
    h = c.summary.headline
    if slug == "score-trend":
        if h.verdict is None:
            return f"Average score: {figures.missing_average(h, c.summary.min_group_size)}."
        return (f"Average {h.verdict.shown} against a target of {h.target:g} ({h.verdict.short}); "
                f"{h.weeks_at_target} of {h.weeks_scored} weeks at target.")
    if slug == "weekly-agreement":
        return lagging_line(c)
    if slug == "attendance":
        growth = h.attendance_growth_pct
        return "Not enough weeks to tell growth yet." if growth is None else f"Attendance {growth:+.0f}% ({figures.growth_basis(h.growth_weeks)})."
    if slug == "response-rate":
        rate = h.response_rate
        return "No attendance recorded for the visible weeks." if rate is None else f"{figures.percent_text(rate)} of attendees answered the survey."
    if slug == "feedback-themes":
        totals = c.overview[c.overview["theme"] != ""].groupby("theme_name")["comments"].sum().sort_values(ascending=False)
        if totals.empty or totals.iloc[0] == 0:
            return "No feedback comments from visible weeks."
        name = totals.index[0]
        mix = c.overview[c.overview["theme_name"] == name].set_index("sentiment")["comments"]
        return f"Most mentioned: {name} ({int(totals.iloc[0])} comments, mostly {mix.idxmax()})."
    return ""


# --- PDF ---------------------------------------------------------------------------------------

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/Library/Fonts"),
             Path("C:/Windows/Fonts"))


@lru_cache(maxsize=1)
def unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans (regular, bold) when installed: Unicode text; else None and Helvetica (Latin-1)."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


@lru_cache(maxsize=1)
def _font_codepoints() -> frozenset[int] | None:
    font = unicode_font()
    if font is None:
        return None
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(font[0])).getBestCmap())


def pdf_text(text: object) -> str:
    """Text the PDF font can draw: characters it lacks (emoji…) are left out; control characters too."""
    value = "".join(ch for ch in str(text) if ch in "\n\t" or ch.isprintable())
    codepoints = _font_codepoints()
    if codepoints is None:
        return value.encode("latin-1", "replace").decode("latin-1")
    kept = "".join(ch for ch in value if ord(ch) in codepoints or ch in "\n\t")
    return re.sub(r"[ \t]{2,}", " ", kept).strip()


def no_quotes_line(c: ReportContent) -> str:
    """Under a theme without quotes: why (quotes come only from themes with enough comments)."""
    return f"No quotes: {anonymity.fewer_than(c.summary.min_group_size, 'comments')} on this theme."


PDF_KEEP_WITH_HEADING_MM = 45  # a heading never ends a page: this much of what follows goes with it


def new_pdf(title: str, side_margin: float = 15) -> tuple[Any, str]:
    """An A4 document as every report of ours starts one: margins, title, the Unicode font when the
    system has it. Returns the FPDF and the font family to use."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(side_margin, 15, side_margin)
    pdf.set_title(pdf_text(title))
    pdf.set_creator("Review Pulse")
    font = unicode_font()
    family = "helvetica"
    if font is not None:
        pdf.add_font("DejaVu", "", str(font[0]))
        pdf.add_font("DejaVu", "B", str(font[1]))
        family = "DejaVu"
    return pdf, family


def fill_slide_table(table: Any, header: Sequence[str], rows: Sequence[Sequence[str]], widths_in: Sequence[float],
                     font_pt: float) -> None:
    """A python-pptx table filled as every deck of ours fills one: column widths, the header, each
    cell clipped by ``table_cell``, one font size."""
    from pptx.util import Inches, Pt

    for i, w in enumerate(widths_in):
        table.columns[i].width = Inches(w)
    for j, text in enumerate(header):
        table.cell(0, j).text = text
    for i, row in enumerate(rows, start=1):
        for j, text in enumerate(row):
            table.cell(i, j).text = table_cell(text)
    for i in range(len(rows) + 1):
        for j in range(len(header)):
            for p in table.cell(i, j).text_frame.paragraphs:
                p.font.size = Pt(font_pt)


def build_pdf(c: ReportContent) -> bytes:
    from fpdf.fonts import FontFace

    pdf, family = new_pdf(f"Review Pulse retro report {c.quarter}")
    width = pdf.epw

    def room(height: float) -> None:
        """Start a new page unless ``height`` mm fit on this one: a block is never split off a few lines."""
        if pdf.get_y() + height > pdf.page_break_trigger and pdf.get_y() > pdf.t_margin + 1:
            pdf.add_page()

    def text_height(text: str, size: float, bold: bool = False, w: float | None = None, line: float | None = None) -> float:
        pdf.set_font(family, "B" if bold else "", size)
        return pdf.multi_cell(w or width, line or size * 0.5, pdf_text(text), dry_run=True, output="HEIGHT")

    def heading(text: str, size: int = 15, keep: float = PDF_KEEP_WITH_HEADING_MM) -> None:
        room(text_height(text, size, True) + keep)
        pdf.set_font(family, "B", size)
        pdf.multi_cell(width, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def para(text: str, size: int = 10, bold: bool = False, gap: float = 1.5) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(width, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    def block(lines: list[tuple[str, int, bool]], gap: float = 0.8) -> None:
        """Paragraphs kept on one page when they fit on one."""
        room(sum(text_height(t, size, bold) + gap for t, size, bold in lines))
        for t, size, bold in lines:
            para(t, size=size, bold=bold, gap=gap)

    def footer_note() -> None:
        pdf.set_font(family, "", 8)
        pdf.set_text_color(90)
        pdf.multi_cell(width, 4, pdf_text(" · ".join(p for p in (c.summary.freshness, anonymity.rule_note(c.summary.min_group_size)) if p)),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        pdf.ln(2)

    def chart(item, max_height: float = 110) -> None:
        png = c.png(item)
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            w_px, h_px = image.size
        w = width
        h = w * h_px / w_px
        if h > max_height:
            h = max_height
            w = h * w_px / h_px
        takeaway = chart_takeaway(item.slug, c)
        room(h + 2 + (text_height(takeaway, 9) + 1.5 if takeaway else 0))
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=w, h=h)
        pdf.ln(2)
        if takeaway:
            para(takeaway, size=9)

    by_slug = {item.slug: item for item in c.charts}

    # Page 1: headline, the headline chart and the scorecard
    pdf.add_page()
    heading(f"Incident review retro — {c.quarter}", 18, keep=0)
    para(c.series, size=11)
    footer_note()
    heading("Headline", 13)
    for line in headline_lines(c):
        para(line, size=10, gap=0.5)
    pdf.ln(2)
    chart(by_slug["score-trend"], 105)  # full width: page 1 is the headline, not 60% blank
    heading("Statement scorecard", 13)
    rows = scorecard_rows(c)
    if rows:
        pdf.set_font(family, "", 9)
        with pdf.table(col_widths=(78, 16, 18, 12, 18, 26), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
                       headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)), line_height=5,
                       first_row_as_headings=True) as table:
            table.row([pdf_text(h) for h in SCORECARD_HEADER])
            for row in rows:
                table.row([pdf_text(table_cell(cell)) for cell in row])
        pdf.ln(3)
        para(lagging_line(c), size=10, bold=True)
    else:
        para(f"No statement has scores to show (every week has {anonymity.fewer_than(c.summary.min_group_size)}).")

    # Charts, flowing: a chart starts a page only when it does not fit on the current one
    heading("Weekly agreement", 13, keep=90)
    chart(by_slug["weekly-agreement"], 125)
    heading("Attendance and responses", 13, keep=90)
    chart(by_slug["attendance"], 100)
    chart(by_slug["response-rate"], 90)

    # What people said
    heading("What people said", 13, keep=90)
    chart(by_slug["feedback-themes"], 105)
    themes = theme_lines(c)
    if not themes:
        para("No feedback comments from visible weeks in this period.")
    for name, counts, quotes in themes:
        quote_texts = [f"“{one_line(text)}” ({sentiment})" for sentiment, text in quotes]
        room(text_height(f"{name} — {counts}", 10, True) + sum(text_height(q, 9, w=width - 4, line=4.5) + 0.8 for q in quote_texts[:2]) + 4)
        para(f"{name} — {counts}", size=10, bold=True, gap=0.5)
        if not quotes:
            para(no_quotes_line(c), size=9)
        for text in quote_texts:
            pdf.set_x(pdf.l_margin + 4)
            pdf.set_font(family, "", 9)
            pdf.multi_cell(width - 4, 4.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
        pdf.ln(1.5)

    # Talking points
    heading("Talking points", 13, keep=90)
    for slug in TALKING_POINT_CHARTS:
        if slug in by_slug:
            chart(by_slug[slug], 120)
    for line in talking_point_lines(c):
        block([(line, 10, False)])
    pdf.ln(3)

    # Follow-up actions
    heading(ACTIONS_NAME, 13, keep=90)
    for slug in ACTION_CHARTS:
        if slug in by_slug:
            chart(by_slug[slug], 95)
    lines, open_rows = action_figures(c)
    block([(line, 10, False) for line in lines])
    if open_rows:
        room(40)
        para("Open actions", size=10, bold=True)
        pdf.set_font(family, "", 9)
        with pdf.table(col_widths=(85, 30, 42, 23), headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
                       line_height=5) as table:
            table.row(["Action", "Team", "Due", "Age"])
            for row in open_rows[:PDF_OPEN_ACTIONS]:
                table.row([pdf_text(table_cell(cell)) for cell in row])
        if len(open_rows) > PDF_OPEN_ACTIONS:
            para(open_actions_shown(c, PDF_OPEN_ACTIONS, len(open_rows)) + ".", size=9)
    pdf.ln(3)
    # The definitions stay together: on the last page alone they were a few orphan lines
    definitions = definition_lines(c)
    room(text_height("Definitions and anonymity", 13, True) + 2 + sum(text_height(d, 9) + 1.2 for d in definitions))
    heading("Definitions and anonymity", 13, keep=0)
    for line in definitions:
        para(line, size=9, gap=1.2)
    return bytes(pdf.output())


ACTIONS_NAME = "Follow-up actions"  # the page's name, in the navigation and on every surface


# --- slides ------------------------------------------------------------------------------------

SLIDE_MAX_LINES = 8  # of text on one slide, at SLIDE_MIN_PT or more: readable on a projector
SLIDE_MIN_PT = 14
SLIDE_TEXT_PT = 18
SLIDE_TABLE_PT = 14
SLIDE_TABLE_ROWS = 6  # body rows of one table slide; more continue on the next slide
SLIDE_OPEN_ACTIONS = 12  # over two slides; the rest are in the CSV
SLIDE_MARGIN_IN = 0.6
SLIDE_WIDTH_IN, SLIDE_HEIGHT_IN = 13.333, 7.5


def slide_line_count(text: str, pt: float, width_in: float) -> int:
    """Lines a paragraph takes in a box ``width_in`` wide: an average glyph is about half its size wide."""
    per_line = max(1, int(width_in * 72 / (pt * 0.52)))
    return max(1, sum(math.ceil(max(1, len(part)) / per_line) for part in str(text).split("\n")))


def paginate(groups: list[list[tuple[str, float, bool]]], width_in: float, max_lines: int = SLIDE_MAX_LINES) -> list[list]:
    """Groups of paragraphs (text, pt, bold), each kept on one slide, on slides of at most ``max_lines``
    lines, filled evenly (no last slide with one or two lines)."""
    sizes = [sum(slide_line_count(t, pt, width_in) for t, pt, _ in group) for group in groups]
    slides = max(1, math.ceil(sum(sizes) / max_lines))
    while True:
        target = min(max_lines, math.ceil(sum(sizes) / slides))
        pages: list[list] = [[]]
        used = 0
        for group, size in zip(groups, sizes):
            if pages[-1] and used + size > target:
                pages.append([])
                used = 0
            pages[-1].extend(group)
            used += size
        if len(pages) <= slides or target == max_lines:
            return [page for page in pages if page] or [[]]
        slides += 1


def numbered(title: str, index: int, count: int) -> str:
    return title if count == 1 else f"{title} ({index} of {count})"


def build_pptx(c: ReportContent) -> bytes:
    from pptx import Presentation
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_WIDTH_IN), Inches(SLIDE_HEIGHT_IN)  # 16:9
    title_layout, title_only = deck.slide_layouts[0], deck.slide_layouts[5]
    slide_w, slide_h = deck.slide_width, deck.slide_height
    margin = Inches(SLIDE_MARGIN_IN)
    text_w_in = SLIDE_WIDTH_IN - 2 * SLIDE_MARGIN_IN
    footer_text = " · ".join(p for p in (c.summary.freshness, anonymity.rule_note(c.summary.min_group_size)) if p)

    slide = deck.slides.add_slide(title_layout)
    # The default template is 4:3: move its placeholders onto the 16:9 slide.
    for shape, top, height in ((slide.shapes.title, Inches(2.2), Inches(1.5)), (slide.placeholders[1], Inches(3.9), Inches(1.6))):
        shape.left, shape.width, shape.top, shape.height = margin, slide_w - 2 * margin, top, height
    slide.shapes.title.text = f"Incident review retro — {c.quarter}"
    slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(40)
    h = c.summary.headline
    summary = [c.series]
    if h.verdict is not None:
        summary.append(f"Average {h.verdict.shown} / 5 · target {h.target:g} ({h.verdict.short})"
                       + (f" · {h.change} vs the previous quarter" if h.previous_average is not None else ""))
    slide.placeholders[1].text = "\n".join(summary)
    for paragraph in slide.placeholders[1].text_frame.paragraphs:
        paragraph.font.size = Pt(22)

    def textbox(s, top_in: float, paragraphs: list[tuple[str, float, bool]], height_in: float | None = None):
        lines = sum(slide_line_count(t, pt, text_w_in) * pt for t, pt, _ in paragraphs)
        height = height_in if height_in is not None else lines * 1.25 / 72 + 0.15
        box = s.shapes.add_textbox(margin, Inches(top_in), slide_w - 2 * margin, Inches(height))
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.TOP
        for i, (text, pt, bold) in enumerate(paragraphs):
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            p.text = text
            p.font.size, p.font.bold = Pt(pt), bold
            p.space_after = Pt(4)
        return box, height

    def titled(title: str, takeaway: str = "") -> tuple[object, float]:
        """A slide with its title and, under it, the takeaway; returns the slide and where content may start (inches)."""
        s = deck.slides.add_slide(title_only)
        heading = s.shapes.title
        heading.left, heading.width, heading.top, heading.height = margin, slide_w - 2 * margin, Inches(0.3), Inches(0.8)
        heading.text = title
        heading.text_frame.word_wrap = True
        heading.text_frame.paragraphs[0].font.size = Pt(30)
        heading.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        top = 0.3 + 0.8 + 0.1
        if takeaway:
            _box, used = textbox(s, top, [(takeaway, SLIDE_TEXT_PT, False)])
            top += used + 0.1
        foot = s.shapes.add_textbox(margin, slide_h - Inches(0.55), slide_w - 2 * margin, Inches(0.4))
        foot.text_frame.word_wrap = True
        foot.text_frame.text = footer_text
        foot.text_frame.paragraphs[0].font.size = Pt(SLIDE_MIN_PT)
        return s, top

    def picture(s, png: bytes, top_in: float) -> None:
        """The chart as wide as the slide allows, never over the title, takeaway or footer."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            w_px, h_px = image.size
        max_w, max_h = slide_w - 2 * margin, slide_h - Inches(top_in) - Inches(0.65)
        scale = min(max_w / w_px, max_h / h_px)
        w, h = int(w_px * scale), int(h_px * scale)
        s.shapes.add_picture(io.BytesIO(png), Emu((slide_w - w) // 2), Inches(top_in), width=Emu(w), height=Emu(h))

    def table_slides(title: str, takeaway: str, header: list[str], rows: list[list[str]], widths_in: tuple, note: str = "") -> None:
        chunks = [rows[i:i + SLIDE_TABLE_ROWS] for i in range(0, len(rows), SLIDE_TABLE_ROWS)] or [[]]
        for index, chunk in enumerate(chunks, start=1):
            s, top = titled(numbered(title, index, len(chunks)), takeaway if index == 1 else "")
            if not chunk:
                continue
            row_h = Inches(0.5)
            shape = s.shapes.add_table(len(chunk) + 1, len(header), margin, Inches(top + 0.1), slide_w - 2 * margin, row_h * (len(chunk) + 1))
            fill_slide_table(shape.table, header, chunk, widths_in, SLIDE_TABLE_PT)
            if note and index == len(chunks):
                textbox(s, SLIDE_HEIGHT_IN - 1.05, [(note, SLIDE_MIN_PT, False)], 0.45)

    def text_slides(title: str, groups: list[list[tuple[str, float, bool]]]) -> None:
        pages = paginate(groups, text_w_in)
        for index, page in enumerate(pages, start=1):
            s, top = titled(numbered(title, index, len(pages)))
            if page:
                textbox(s, top, page)

    by_slug = {item.slug: item for item in c.charts}

    def chart_slide(slug: str) -> None:
        item = by_slug[slug]
        s, top = titled(item.title, chart_takeaway(slug, c))
        picture(s, c.slide_png(item), top)

    # The headline chart first, full width, then the scorecard
    chart_slide("score-trend")
    table_slides("Statement scorecard", lagging_line(c), SCORECARD_HEADER, scorecard_rows(c), (5.6, 1.1, 1.3, 0.9, 1.2, 2.0))
    for slug in ("weekly-agreement", "attendance", "response-rate", "feedback-themes"):
        chart_slide(slug)

    themes = theme_lines(c)
    groups: list[list[tuple[str, float, bool]]] = []  # a theme with its quote, or why it has none
    for name, counts, quotes in themes or [("No feedback comments from visible weeks in this period.", "", [])]:
        group = [(f"{name}" + (f" — {counts}" if counts else ""), SLIDE_TEXT_PT, True)]
        if counts and not quotes:
            group.append((no_quotes_line(c), SLIDE_MIN_PT + 2, False))
        group += [(f"“{one_line(text)}” ({sentiment})", SLIDE_MIN_PT + 2, False) for sentiment, text in quotes[:1]]
        groups.append(group)
    text_slides("What people said", groups)

    for slug in TALKING_POINT_CHARTS:
        if slug in by_slug:
            chart_slide(slug)
    tp_lines = talking_point_lines(c)
    text_slides("Talking points", [[(line, SLIDE_TEXT_PT, False)] for line in tp_lines])

    for slug in ACTION_CHARTS:
        if slug in by_slug:
            chart_slide(slug)
    lines, open_rows = action_figures(c)
    shown = open_rows[:SLIDE_OPEN_ACTIONS]
    note = open_actions_shown(c, len(shown), len(open_rows)) + "." if len(open_rows) > len(shown) else ""
    open_line = " · ".join(lines[:1] + [line for line in lines if line.startswith(action_report.OPEN_NOW)])
    if open_rows:
        table_slides("Open actions", open_line, ["Action", "Team", "Due", "Age"], shown, (6.3, 2.3, 2.0, 1.5), note)
    else:
        text_slides("Open actions", [[(line, SLIDE_TEXT_PT, False)] for line in lines])

    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


# --- the quarter's feedback as CSV ------------------------------------------------------------


def feedback_csv(view: DataView) -> bytes:
    """Visible comments with sentiment and themes: BOM, neutralised cells (export.frame_to_csv_bytes)."""
    rows = FeedbackData(view).comments()
    names = theme_names(view.settings.feedback_themes)
    rows = rows.assign(themes=rows["themes"].map(lambda ts: "; ".join(names.get(t, t) for t in ts)))
    return frame_to_csv_bytes(rows[["week_start", "text", "sentiment", "sentiment_score", "themes"]])


def retro_report_files(view: DataView, today: date | None = None, items: list | None = None) -> dict[str, bytes]:
    """The retro pack's report files: the PDF report, the slides and the quarter's feedback CSV."""
    content = gather(view, today, items)
    return {
        export_filename("summary", view.period.title, "pdf"): build_pdf(content),
        export_filename("retro", view.period.title, "pptx"): build_pptx(content),
        export_filename("feedback", view.period.title, "csv"): feedback_csv(view),
    }
