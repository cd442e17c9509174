"""The organisation's retro pack (issue 26): every series compared, then one page per series, as a
PDF report and slides, with the Series page's charts (PNG, SVG, CSV) and its table (CSV), in one ZIP.

Every figure is the Series page's (``series_report.comparison``, itself each series' Overview
headline); each series' page shows that headline in the retro report's words (``headline_text``) and
its weekly score drawn by the Overview's own chart builder from the comparison's rows. A series
whose quarter is under the threshold says the rule and shows no figure. Text is placed as plain
text runs (fpdf2, python-pptx), never parsed as markup.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import pandas as pd

from core import anonymity
from review_pulse import charts, figures, series_charts, series_report
from review_pulse.export import ExportItem, build_zip, chart_to_png, export_filename, frame_to_csv_bytes
from review_pulse.retro_report import fill_slide_table, headline_text, new_pdf, pdf_text, table_cell
from review_pulse.series_queries import SeriesComparison
from review_pulse.view import DataView

TABLE_HEADER = ["Series", "Score", "vs target", "n", "Change", "Weeks at target", "Response rate", "Open (overdue)"]
SLIDE_ROWS = 12  # comparison rows per slide


def table_lines(result: SeriesComparison, min_group_size: int) -> list[list[str]]:
    """The comparison table as text, one row per series, in the page's order."""
    out = []
    for _, r in result.rows.iterrows():
        hidden = bool(r["hidden"])
        out.append([
            str(r["series"]),
            series_report.verdict_text(r, min_group_size),
            figures.DASH if hidden or pd.isna(r["target_gap"]) else f"{r['target_gap']:+.2f}",
            figures.DASH if hidden else f"{int(r['responses']):,}",
            figures.DASH if hidden else figures.change_text(r["average_score"], r["previous_average"]),
            figures.DASH if hidden or not r["weeks_scored"] else f"{r['weeks_at_target']} of {r['weeks_scored']}",
            figures.DASH if hidden else figures.percent_text(r["response_rate"]),
            f"{int(r['open_actions'])} ({int(r['overdue_actions'])})",
        ])
    return out


def series_lines(result: SeriesComparison, name: str, min_group_size: int) -> list[str]:
    """One series' page: its headline in sentences, its lagging statement, actions and top theme."""
    row = result.rows.set_index("series").loc[name]
    if row["hidden"]:
        lines = [f"Survey figures hidden: {figures.hidden_every_week(min_group_size)} of the period."]
    else:
        lines = headline_text(result.headlines[name], min_group_size)
        if isinstance(row["lagging_statement"], str):
            lines.append(f"Lagging statement: “{row['lagging_statement']}”, mean {figures.score_text(row['lagging_score'])}.")
    lines.append(f"Open actions: {int(row['open_actions'])}, of which {int(row['overdue_actions'])} overdue.")
    if isinstance(row["top_theme"], str):
        lines.append(f"Top recurring talking-point theme: {row['top_theme']}.")
    return lines


def series_trend(view: DataView, result: SeriesComparison, name: str) -> ExportItem:
    """A series' weekly score, drawn by the Overview's builder from the comparison's rows of that series."""
    rows = result.weekly[result.weekly["series"] == name]
    ctx = dataclasses.replace(series_report.scope(view), series_label=name)
    if result.bucket == "quarter":  # All time: the series' quarters, as the Series page draws them
        chart = series_charts.small_multiples_chart(rows, [name], ctx, columns=1, panel_width=600, bucket="quarter")
    else:
        chart = charts.score_trend_chart(rows[["week_start", "responses", "mean_score", "suppressed"]], ctx)
    return ExportItem(f"score-trend-{name}", f"Average score — {name}", chart, rows)


def build_series_pdf(view: DataView, result: SeriesComparison, items: list[ExportItem], pngs: dict[str, bytes]) -> bytes:
    from fpdf.fonts import FontFace

    n = view.settings.min_group_size
    pdf, family = new_pdf(f"Review Pulse organisation report {view.period.title}", side_margin=12)
    width = pdf.epw

    def para(text: str, size: int = 10, bold: bool = False, gap: float = 1.5) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(width, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    def image(png: bytes, max_height: float) -> None:
        from PIL import Image

        with Image.open(io.BytesIO(png)) as img:
            w_px, h_px = img.size
        w = width
        h = w * h_px / w_px
        if h > max_height:
            h, w = max_height, max_height * w_px / h_px
        if pdf.get_y() + h > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=w, h=h)
        pdf.ln(2)

    pdf.add_page()
    para(f"Review series compared — {view.period.title}", size=18, bold=True)
    para(f"{len(result.rows)} series · target {view.settings.target_score:g} · sorted by the gap to the target, worst "
         f"first · {anonymity.rule_note(n)}", size=9)
    pdf.set_font(family, "", 8)
    with pdf.table(col_widths=(52, 30, 16, 14, 16, 22, 18, 18), line_height=4.5,
                   text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230))) as table:
        table.row(TABLE_HEADER)
        for row in table_lines(result, n):
            table.row([pdf_text(table_cell(cell)) for cell in row])
    for item in items:
        pdf.add_page()
        para(item.title, size=13, bold=True)
        image(pngs[item.slug], 250)
    for name in result.rows["series"]:
        pdf.add_page()
        para(name, size=15, bold=True)
        for line in series_lines(result, name, n):
            para(line, size=10, gap=0.6)
        pdf.ln(2)
        image(pngs[f"trend:{name}"], 90)
    return bytes(pdf.output())


def build_series_pptx(view: DataView, result: SeriesComparison, items: list[ExportItem], pngs: dict[str, bytes]) -> bytes:
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    n = view.settings.min_group_size
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    slide_w, slide_h = deck.slide_width, deck.slide_height
    layout = deck.slide_layouts[5]

    def titled(title: str):
        s = deck.slides.add_slide(layout)
        s.shapes.title.text = title
        s.shapes.title.text_frame.paragraphs[0].font.size = Pt(28)
        s.shapes.title.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        s.shapes.title.left, s.shapes.title.width = Inches(0.6), slide_w - Inches(1.2)
        s.shapes.title.top, s.shapes.title.height = Inches(0.3), Inches(0.9)
        return s

    def picture(s, png: bytes, top: float) -> None:
        from PIL import Image

        with Image.open(io.BytesIO(png)) as img:
            w_px, h_px = img.size
        scale = min((slide_w - Inches(1.2)) / w_px, (slide_h - Inches(top) - Inches(0.3)) / h_px)
        w, h = int(w_px * scale), int(h_px * scale)
        s.shapes.add_picture(io.BytesIO(png), Emu((slide_w - w) // 2), Inches(top), width=Emu(w), height=Emu(h))

    lines = table_lines(result, n)
    for start in range(0, max(len(lines), 1), SLIDE_ROWS):
        chunk = lines[start:start + SLIDE_ROWS]
        s = titled(f"Review series compared — {view.period.title}"
                   + (f" ({start + 1}–{start + len(chunk)} of {len(lines)})" if len(lines) > SLIDE_ROWS else ""))
        if not chunk:
            continue
        table = s.shapes.add_table(len(chunk) + 1, len(TABLE_HEADER), Inches(0.4), Inches(1.3), slide_w - Inches(0.8),
                                   Inches(0.4) * (len(chunk) + 1)).table
        fill_slide_table(table, TABLE_HEADER, chunk, (3.6, 2.3, 1.0, 0.8, 1.0, 1.5, 1.3, 1.0), 12)
    for item in items:
        picture(titled(item.title), pngs[item.slug], 1.3)
    for name in result.rows["series"]:
        s = titled(name)
        box = s.shapes.add_textbox(Inches(0.6), Inches(1.2), slide_w - Inches(1.2), Inches(1.8))
        box.text_frame.word_wrap = True
        for i, line in enumerate(series_lines(result, name, n)):
            p = box.text_frame.paragraphs[0] if i == 0 else box.text_frame.add_paragraph()
            p.text = line
            p.font.size = Pt(14)
        picture(s, pngs[f"trend:{name}"], 3.2)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def build_series_pack(view: DataView, today: date) -> bytes:
    """The organisation's pack for the view's period (every series, whatever ``view.series``)."""
    result = series_report.comparison(view, today)
    items = [series_report.small_multiples(view, today), series_report.heat_strip(view, today)]
    # The report's images: a wider grid of panels than the page's phone-sized one.
    wide = dataclasses.replace(items[0], chart=series_charts.small_multiples_chart(
        result.weekly, result.rows["series"].tolist(), series_report.scope(view), columns=5, panel_width=150,
        bucket=result.bucket))
    pngs = {items[0].slug: chart_to_png(wide.chart, scale=2), items[1].slug: chart_to_png(items[1].chart, scale=2)}
    for name in result.rows["series"]:
        pngs[f"trend:{name}"] = chart_to_png(series_trend(view, result, name).chart, scale=1.5)
    quarter = view.period.title
    files = {
        export_filename("series-comparison", quarter, "csv"):
            frame_to_csv_bytes(series_report.comparison_rows(result, view.settings.min_group_size)),
        export_filename("series-report", quarter, "pdf"): build_series_pdf(view, result, items, pngs),
        export_filename("series-slides", quarter, "pptx"): build_series_pptx(view, result, items, pngs),
    }
    return build_zip(items, quarter, files)


def series_pack_filename(view: DataView) -> str:
    return export_filename("series-pack", view.period.title, "zip")
