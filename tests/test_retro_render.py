"""The retro report and deck of the demo, rendered and measured (issue 24, items 7-9).

* The PDF: every page rendered with pdftoppm; page 1 carries the headline chart and is not mostly
  blank, no page holds only a few orphan lines, and no ink falls outside the page's margins.
* The deck: geometry from python-pptx (every shape inside the slide, no text box overlapping
  another shape, at most SLIDE_MAX_LINES lines of text per slide, nothing under 14 pt), then every
  slide rendered by LibreOffice, where installed, and checked for text running off its bottom.
* The content: the charts of talking points and actions are in both; the talking-point weeks are
  in date order and all there, recounted from the demo DB's own tables.

pdftoppm (poppler-utils) and LibreOffice (libreoffice-impress) are optional: without them the
rendering tests skip and say which package to install.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader

from core.quarters import parse_period
from core.settings import Settings
from review_pulse import retro_report
from review_pulse.view import DataView

QUARTER = "2026-Q3"
TODAY = date(2026, 10, 1)
WHITE = 245  # a pixel lighter than this in every channel is paper
PDF_DPI = 40
MIN_PAGE_INK = 0.35  # of the page's height: a page with less than this is a few orphan lines
A4_MARGIN_MM = 15


@pytest.fixture(scope="module")
def report_files(demo_db: Path) -> tuple[bytes, bytes, retro_report.ReportContent]:
    view = DataView(demo_db, parse_period(QUARTER), None, Settings())
    content = retro_report.gather(view, TODAY)
    return retro_report.build_pdf(content), retro_report.build_pptx(content), content


def ink_rows(image) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of everything not paper, or None for a blank image."""
    grey = image.convert("L").point(lambda v: 255 if v < WHITE else 0)
    return grey.getbbox()


def render_pdf(pdf: bytes, folder: Path, prefix: str, dpi: int = PDF_DPI) -> list:
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not installed (apt-get install -y poppler-utils)")
    source = folder / f"{prefix}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(folder / prefix)], check=True, timeout=120)
    return [Image.open(path) for path in sorted(folder.glob(f"{prefix}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))]


# --- the PDF ---------------------------------------------------------------------------------


def test_pdf_page_one_has_the_headline_chart_and_no_page_is_orphan_lines(report_files, tmp_path: Path) -> None:
    pdf, _deck, _content = report_files
    reader = PdfReader(io.BytesIO(pdf))
    assert list(reader.pages[0].images), "page 1 has no chart"
    pages = render_pdf(pdf, tmp_path, "report")
    assert len(pages) == len(reader.pages)
    for number, page in enumerate(pages, start=1):
        left, top, right, bottom = ink_rows(page)
        width, height = page.size
        margin = A4_MARGIN_MM / 210 * width
        # nothing drawn in the margins (a text box running over the page's edge would be)
        assert left >= margin - 2 and right <= width - margin + 2, f"page {number}: ink at {left}-{right} of {width}"
        assert top >= margin * 0.8, f"page {number}"
        used = (bottom - top) / height
        if number == 1:  # the headline, its chart and the scorecard (it was 60% blank)
            assert used >= 0.65, f"page 1 is {1 - used:.0%} blank"
        assert used >= MIN_PAGE_INK, f"page {number} uses {used:.0%} of its height: a few orphan lines"


def test_pdf_has_the_talking_points_and_actions_charts(report_files) -> None:
    pdf, _deck, content = report_files
    slugs = [item.slug for item in content.charts]
    for slug in (*retro_report.TALKING_POINT_CHARTS, *retro_report.ACTION_CHARTS):
        assert slug in slugs
    reader = PdfReader(io.BytesIO(pdf))
    images = sum(len(list(page.images)) for page in reader.pages)
    assert images == len(content.charts) == 9


def _top_picks_from_db(db: Path) -> list[tuple[str, str]]:
    """("03 Aug", point) per review of the quarter with polls, in date order: the most-voted option(s)."""
    with duckdb.connect(str(db), read_only=True) as con:  # poll_weeks: the week rule shared with the survey
        rows = con.execute("""
            SELECT w.week_start, o.point, o.votes, max(o.votes) OVER (PARTITION BY o.poll_id) AS top
            FROM poll_options AS o JOIN poll_weeks AS w USING (poll_id)
            WHERE w.week_start + INTERVAL 3 DAY BETWEEN DATE '2026-07-01' AND DATE '2026-09-30'
            ORDER BY w.week_start, o.option_order""").fetchall()
    return [(f"{week:%d %b}", text) for week, text, votes, top in rows if votes == top and top > 0]


def test_talking_point_weeks_are_all_there_in_date_order(report_files, demo_db: Path) -> None:
    _pdf, _deck, content = report_files
    lines = retro_report.top_pick_lines(content)
    expected = _top_picks_from_db(demo_db)
    weeks = list(dict.fromkeys(week for week, _ in expected))
    assert [line.split(":")[0] for line in lines] == [f"Week of {week}" for week in weeks]
    for week, point in expected:
        assert any(line.startswith(f"Week of {week}:") and point in line for line in lines), (week, point)
    assert len(lines) == retro_report.review_weeks_with_polls(content) == 13


# --- the slides ------------------------------------------------------------------------------


def _rect(shape) -> tuple[int, int, int, int]:
    return shape.left, shape.top, shape.left + shape.width, shape.top + shape.height


def _overlap(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _text_lines(shape) -> int:
    width_in = Emu(shape.width).inches - 0.2
    return sum(retro_report.slide_line_count(p.text, (p.runs[0].font.size or p.font.size).pt, width_in)
               for p in shape.text_frame.paragraphs if p.text.strip())


def test_every_slide_fits_reads_on_a_projector_and_nothing_overlaps(report_files) -> None:
    _pdf, deck_bytes, _content = report_files
    deck = Presentation(io.BytesIO(deck_bytes))
    assert deck.slide_width / deck.slide_height == pytest.approx(16 / 9, abs=0.01)
    for number, slide in enumerate(deck.slides, start=1):
        shapes = list(slide.shapes)
        for shape in shapes:
            left, top, right, bottom = _rect(shape)
            assert left >= 0 and top >= 0 and right <= deck.slide_width and bottom <= deck.slide_height, (number, shape.name)
            for frame in ([shape.text_frame] if shape.has_text_frame else
                          [cell.text_frame for row in shape.table.rows for cell in row.cells] if shape.has_table else []):
                for paragraph in frame.paragraphs:
                    for run in paragraph.runs:
                        size = run.font.size or paragraph.font.size
                        assert size is not None and size.pt >= retro_report.SLIDE_MIN_PT, (number, run.text)
        if number == 1:
            continue
        # text boxes: tall enough for their estimated lines, and clear of every other shape
        boxes = [s for s in shapes if s.has_text_frame and s.text_frame.text.strip()]
        for box in boxes:
            sizes = [(p.runs[0].font.size or p.font.size).pt for p in box.text_frame.paragraphs if p.runs]
            needed = sum(retro_report.slide_line_count(p.text, size, Emu(box.width).inches - 0.2) * size * 1.2
                         for p, size in zip([p for p in box.text_frame.paragraphs if p.runs], sizes)) / 72
            assert needed <= Emu(box.height).inches + 0.25, (number, box.text_frame.text[:60], needed, Emu(box.height).inches)
            for other in shapes:
                if other is not box:
                    assert not _overlap(_rect(box), _rect(other)), (number, box.text_frame.text[:40], other.name)
        body = [s for s in boxes if s != slide.shapes.title and retro_report.anonymity.rule_note(5) not in s.text_frame.text]
        assert sum(_text_lines(s) for s in body) <= retro_report.SLIDE_MAX_LINES, number
        for shape in shapes:
            if shape.has_table:
                assert len(shape.table.rows) - 1 <= retro_report.SLIDE_TABLE_ROWS


def test_headline_chart_slide_is_full_width(report_files) -> None:
    _pdf, deck_bytes, _content = report_files
    deck = Presentation(io.BytesIO(deck_bytes))
    slide = deck.slides[1]
    assert slide.shapes.title.text == "Average weekly score"
    (picture,) = [s for s in slide.shapes if s.shape_type == 13]
    usable = deck.slide_width - 2 * Emu(int(retro_report.SLIDE_MARGIN_IN * 914400))
    assert picture.width >= 0.98 * usable


def test_a_theme_without_quotes_says_why(report_files) -> None:
    _pdf, deck_bytes, content = report_files
    without = [name for name, _counts, quotes in retro_report.theme_lines(content) if not quotes]
    assert without, "the demo has a theme with too few comments to quote"
    text = " ".join(s.text_frame.text for slide in Presentation(io.BytesIO(deck_bytes)).slides
                    for s in slide.shapes if s.has_text_frame)
    assert text.count("No quotes: fewer than 5 comments on this theme.") == len(without)


def test_slides_render_in_libreoffice_without_text_off_the_slide(report_files, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed (apt-get install -y libreoffice-impress)")
    _pdf, deck_bytes, _content = report_files
    deck = tmp_path / "retro.pptx"
    deck.write_bytes(deck_bytes)
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)], check=True, capture_output=True, timeout=240)
    slides = render_pdf((tmp_path / "retro.pdf").read_bytes(), tmp_path, "slide", dpi=30)
    assert len(slides) == len(Presentation(deck).slides)
    for number, image in enumerate(slides, start=1):
        left, top, right, bottom = ink_rows(image)
        width, height = image.size
        # nothing in the outer 0.2 inch: a text box running over the slide's edge would draw there
        edge = math.ceil(0.2 / 13.333 * width)
        assert left >= edge and top >= edge and right <= width - edge and bottom <= height - edge // 2, (number, (left, top, right, bottom))


# The charts whose 13-px labels must read at 13.5 pt or more on the slide (a 16:9 slide 13.3 inches wide).
# The others (feedback themes, talking points: one row per theme or review) are at 10-12 pt: see the README.
LEGIBLE_ON_A_SLIDE = ("score-trend", "weekly-agreement", "attendance", "response-rate", "actions-burnup",
                      "actions-time-to-close")


@pytest.mark.parametrize("slug", LEGIBLE_ON_A_SLIDE)
def test_chart_labels_read_on_a_projector(report_files, slug: str) -> None:
    from PIL import Image

    _pdf, deck_bytes, content = report_files
    title = next(item.title for item in content.charts if item.slug == slug)
    deck = Presentation(io.BytesIO(deck_bytes))
    (slide,) = [s for s in deck.slides if s.shapes.title is not None and s.shapes.title.text == title]
    (picture,) = [s for s in slide.shapes if s.shape_type == 13]
    css_width = Image.open(io.BytesIO(picture.image.blob)).size[0] / 2  # rendered at 2x
    points_per_css_px = Emu(picture.width).pt / css_width
    assert 13 * points_per_css_px >= 13.5, f"{slug}: a 13-px label is {13 * points_per_css_px:.1f} pt"
    # and the picture starts below the takeaway, never over it
    boxes = [s for s in slide.shapes if s.has_text_frame and s.text_frame.text.strip() and s.top < picture.top]
    assert boxes and all(b.top + b.height <= picture.top for b in boxes)
