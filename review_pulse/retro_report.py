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
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from review_pulse import action_report, feedback_report, figures, report
from review_pulse.action_queries import ActionHeadline
from review_pulse.view import DataView
from review_pulse.export import chart_to_png, export_filename, frame_to_csv_bytes
from review_pulse.feedback_summary import SENTIMENT_ORDER, FeedbackData, theme_names
from core import anonymity
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
    charts: list  # ExportItems: score trend, weekly agreement, attendance, response rate, themes
    overview: pd.DataFrame
    quotes: dict[str, list[tuple[str, str]]]
    theme_names: dict[str, str]
    talking_points: pd.DataFrame | None  # the Talking points page's rows; None: no poll loaded at all
    recurring_themes: pd.DataFrame | None  # None exactly when talking_points is
    action_headline: ActionHeadline | None  # the Actions page's figures; None: no action loaded at all
    open_actions: pd.DataFrame | None
    today: date = field(default_factory=date.today)
    _pngs: dict = field(default_factory=dict)

    def png(self, item) -> bytes:
        """Each chart is rendered once, for the PDF and the slides alike."""
        if item.slug not in self._pngs:
            self._pngs[item.slug] = chart_to_png(item.chart, scale=2)
        return self._pngs[item.slug]


REPORT_CHARTS = ("score-trend", "weekly-agreement", "attendance", "response-rate", "feedback-themes")


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
    return ReportContent(
        quarter=view.period.title,
        series=view.series_label,
        summary=view.summary(),
        card=card,
        lagging=lagging_statement(card),
        charts=[built.get(slug) or builders[slug](view) for slug in REPORT_CHARTS],
        overview=data.overview(),
        quotes=data.quotes(),
        theme_names=theme_names(view.settings.feedback_themes),
        talking_points=view.talking_points() if polls else None,
        recurring_themes=view.recurring_themes() if polls else None,
        action_headline=action_report.headline(view, today) if actions else None,
        open_actions=view.open_actions(today) if actions else None,
        today=today,
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
        lines.append(f"Average score: hidden ({anonymity.fewer_than(min_group_size)} in every week)")
    else:
        lines.append(f"Average score {h.verdict.shown} / 5 against a target of {h.target:g}: {h.verdict.short}.")
    if h.average_score is not None and h.previous_average is not None:
        lines.append(f"Change against the previous quarter: {h.change} (was {figures.score_text(h.previous_average)}).")
    else:
        lines.append("Change against the previous quarter: no comparable data.")
    lines.append(f"Weeks at target: {h.weeks_at_target} of {h.weeks_scored} weeks with scores shown · "
                 f"{figures.count_text(h.responses, 'response')}.")
    lines.append("Response rate: " + figures.percent_text(h.response_rate)
                 + " · Attendance growth: " + (f"{h.attendance_growth_pct:+.0f}% (last 4 review weeks against the first 4)"
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
    """Recurring themes and the top picks, as the Talking points page counts them."""
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
    top = tp[tp["top"]].sort_values(["votes", "week_start"], ascending=[False, True]).head(8)
    for _, r in top.iterrows():
        lines.append(f"Week of {pd.Timestamp(r['week_start']):%d %b}: {r['point']} ({int(r['votes'])} votes"
                     + (f", {float(r['share']):.0%}" if pd.notna(r["share"]) else "") + ")")
    return lines


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
SLIDE_OPEN_ACTIONS = 10


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
        "Response rate: survey responses ÷ attendees over weeks with attendance. Attendance growth: the mean of the "
        "last 4 review weeks against the first 4.",
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
            return "Every week is hidden (too few responses) or has no scores."
        return (f"Average {h.verdict.shown} against a target of {h.target:g} ({h.verdict.short}); "
                f"{h.weeks_at_target} of {h.weeks_scored} weeks at target.")
    if slug == "weekly-agreement":
        return lagging_line(c)
    if slug == "attendance":
        growth = h.attendance_growth_pct
        return "Not enough weeks to tell growth yet." if growth is None else f"Attendance {growth:+.0f}% (last 4 review weeks against the first 4)."
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


def build_pdf(c: ReportContent) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 15, 15)
    pdf.set_title(pdf_text(f"Review Pulse retro report {c.quarter}"))
    pdf.set_creator("Review Pulse")
    font = unicode_font()
    family = "helvetica"
    if font is not None:
        pdf.add_font("DejaVu", "", str(font[0]))
        pdf.add_font("DejaVu", "B", str(font[1]))
        family = "DejaVu"
    width = pdf.epw

    def heading(text: str, size: int = 15) -> None:
        pdf.set_font(family, "B", size)
        pdf.multi_cell(width, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def para(text: str, size: int = 10, bold: bool = False, gap: float = 1.5) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(width, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

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
        if pdf.get_y() + h > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=w, h=h)
        pdf.ln(2)
        para(chart_takeaway(item.slug, c), size=9)

    # Page 1: headline and scorecard
    pdf.add_page()
    heading(f"Incident review retro — {c.quarter}", 18)
    para(c.series, size=11)
    footer_note()
    heading("Headline", 13)
    for line in headline_lines(c):
        para(line, size=10, gap=0.5)
    pdf.ln(3)
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

    # Charts
    by_slug = {item.slug: item for item in c.charts}
    pdf.add_page()
    heading("Weekly agreement", 13)
    chart(by_slug["weekly-agreement"], 120)
    chart(by_slug["score-trend"], 95)
    pdf.add_page()
    heading("Attendance and responses", 13)
    chart(by_slug["attendance"], 110)
    chart(by_slug["response-rate"], 95)

    # What people said
    pdf.add_page()
    heading("What people said", 13)
    chart(by_slug["feedback-themes"], 105)
    themes = theme_lines(c)
    if not themes:
        para("No feedback comments from visible weeks in this period.")
    for name, counts, quotes in themes:
        para(f"{name} — {counts}", size=10, bold=True, gap=0.5)
        if not quotes:
            para(f"(no quotes: {anonymity.fewer_than(c.summary.min_group_size, 'comments')})", size=9)
        for sentiment, text in quotes:
            pdf.set_x(pdf.l_margin + 4)
            pdf.set_font(family, "", 9)
            pdf.multi_cell(width - 4, 4.5, pdf_text(f"“{text}” ({sentiment})"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
        pdf.ln(1.5)

    # Talking points, actions, definitions
    pdf.add_page()
    heading("Talking points", 13)
    for line in talking_point_lines(c):
        para(line, size=10, gap=0.8)
    pdf.ln(3)
    heading("Actions", 13)
    lines, open_rows = action_figures(c)
    for line in lines:
        para(line, size=10, gap=0.8)
    if open_rows:
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
    heading("Definitions and anonymity", 13)
    for line in definition_lines(c):
        para(line, size=9, gap=1.2)
    return bytes(pdf.output())


# --- slides ------------------------------------------------------------------------------------


def build_pptx(c: ReportContent) -> bytes:
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)  # 16:9
    title_layout, title_only = deck.slide_layouts[0], deck.slide_layouts[5]
    slide_w, slide_h = deck.slide_width, deck.slide_height

    slide = deck.slides.add_slide(title_layout)
    # The default template is 4:3: move its placeholders onto the 16:9 slide.
    for shape, top, height in ((slide.shapes.title, Inches(2.2), Inches(1.5)), (slide.placeholders[1], Inches(3.9), Inches(1.6))):
        shape.left, shape.width, shape.top, shape.height = Inches(0.8), slide_w - Inches(1.6), top, height
    slide.shapes.title.text = f"Incident review retro — {c.quarter}"
    h = c.summary.headline
    summary = [c.series]
    if h.verdict is not None:
        summary.append(f"Average {h.verdict.shown} / 5 · target {h.target:g} ({h.verdict.short})"
                       + (f" · {h.change} vs the previous quarter" if h.previous_average is not None else ""))
    slide.placeholders[1].text = "\n".join(summary)
    for paragraph in slide.placeholders[1].text_frame.paragraphs:
        paragraph.font.size = Pt(22)

    def titled(title: str, takeaway: str = ""):
        s = deck.slides.add_slide(title_only)
        s.shapes.title.text = title
        s.shapes.title.text_frame.paragraphs[0].font.size = Pt(30)
        s.shapes.title.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        s.shapes.title.left, s.shapes.title.width = Inches(0.6), slide_w - Inches(1.2)
        s.shapes.title.top, s.shapes.title.height = Inches(0.3), Inches(0.9)
        if takeaway:
            box = s.shapes.add_textbox(Inches(0.6), Inches(1.2), slide_w - Inches(1.2), Inches(0.5))
            box.text_frame.word_wrap = True
            box.text_frame.text = takeaway
            box.text_frame.paragraphs[0].font.size = Pt(18)
        return s

    for item in c.charts:
        s = titled(item.title, chart_takeaway(item.slug, c))
        png = c.png(item)
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            w_px, h_px = image.size
        max_w, max_h = slide_w - Inches(1.2), slide_h - Inches(2.0)
        scale = min(max_w / w_px, max_h / h_px)
        w, h = int(w_px * scale), int(h_px * scale)
        s.shapes.add_picture(io.BytesIO(png), Emu((slide_w - w) // 2), Inches(1.8), width=Emu(w), height=Emu(h))

    s = titled("Statement scorecard", lagging_line(c))
    rows = scorecard_rows(c)
    if rows:
        shape = s.shapes.add_table(len(rows) + 1, len(SCORECARD_HEADER), Inches(0.6), Inches(2.0),
                                   slide_w - Inches(1.2), Inches(0.5) * (len(rows) + 1))
        table = shape.table
        widths = (5.2, 1.1, 1.2, 0.9, 1.2, 2.5)
        for i, w in enumerate(widths):
            table.columns[i].width = Inches(w)
        for j, text in enumerate(SCORECARD_HEADER):
            table.cell(0, j).text = text
        for i, row in enumerate(rows, start=1):
            for j, text in enumerate(row):
                table.cell(i, j).text = table_cell(text)
        for i in range(len(rows) + 1):
            for j in range(len(SCORECARD_HEADER)):
                for p in table.cell(i, j).text_frame.paragraphs:
                    p.font.size = Pt(14)

    s = titled("What people said")
    box = s.shapes.add_textbox(Inches(0.6), Inches(1.3), slide_w - Inches(1.2), slide_h - Inches(1.6))
    frame = box.text_frame
    frame.word_wrap = True
    themes = theme_lines(c)
    first = True
    for name, counts, quotes in themes or [("No feedback comments from visible weeks in this period.", "", [])]:
        p = frame.paragraphs[0] if first else frame.add_paragraph()
        first = False
        p.text = f"{name}" + (f" — {counts}" if counts else "")
        p.font.size, p.font.bold = Pt(14), True
        for sentiment, text in quotes[:2]:
            q = frame.add_paragraph()
            q.text = f"“{text}” ({sentiment})"
            q.font.size, q.level = Pt(11), 1

    lines, open_rows = action_figures(c)
    s = titled("Open actions", " · ".join(lines[:1] + [line for line in lines if line.startswith(action_report.OPEN_NOW)]))
    if open_rows:
        shown = open_rows[:SLIDE_OPEN_ACTIONS]
        if len(open_rows) > len(shown):
            note = s.shapes.add_textbox(Inches(0.6), slide_h - Inches(0.7), slide_w - Inches(1.2), Inches(0.4))
            note.text_frame.text = open_actions_shown(c, len(shown), len(open_rows)) + "."
            note.text_frame.paragraphs[0].font.size = Pt(14)
        shape = s.shapes.add_table(len(shown) + 1, 4, Inches(0.6), Inches(2.0), slide_w - Inches(1.2), Inches(0.4) * (len(shown) + 1))
        table = shape.table
        for i, w in enumerate((6.5, 2.4, 1.6, 1.6)):
            table.columns[i].width = Inches(w)
        for j, text in enumerate(["Action", "Team", "Due", "Age"]):
            table.cell(0, j).text = text
        for i, row in enumerate(shown, start=1):
            for j, text in enumerate(row):
                table.cell(i, j).text = table_cell(text)
                table.cell(i, j).text_frame.paragraphs[0].font.size = Pt(12)
    s = titled("Talking points")
    box = s.shapes.add_textbox(Inches(0.6), Inches(1.3), slide_w - Inches(1.2), slide_h - Inches(1.6))
    box.text_frame.word_wrap = True
    for i, line in enumerate(talking_point_lines(c)):
        p = box.text_frame.paragraphs[0] if i == 0 else box.text_frame.add_paragraph()
        p.text = line
        p.font.size = Pt(16)

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
