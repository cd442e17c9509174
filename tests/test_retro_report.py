"""The retro report (PDF, PPTX) and the feedback CSV, checked against figures computed from the input rows."""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader

from pipeline.cli import main
from review_pulse.view import DataView
from core.quarters import parse_period
from review_pulse.retro_pack import build_retro_pack
from core.settings import Settings

S = Settings()
STATEMENTS = S.statement_texts
SECRET = "SECRET-small-week"
COMMENTS = ["Too long, we ran over again.", "Great takeaways about DNS.", "Felt blamey when the deploy came up.",
            "Please share the pre-read beforehand.", "=HYPERLINK(\"http://evil.example\")", "no notes 👍",
            "The timeline took the whole hour.", "Who owns the action items?"]


def _survey_rows() -> list[list[str]]:
    """Q1 2026 (the previous quarter) and Q2 2026: six weeks each of 6-8 responses, and one Q2 week of 3."""
    rng = random.Random(15)
    rows = [["Timestamp", *STATEMENTS, "How could we improve?"]]
    weeks = [date(2026, 1, 7) + timedelta(weeks=i) for i in range(6)] + [date(2026, 4, 8) + timedelta(weeks=i) for i in range(6)]
    for week in weeks:
        for n in range(rng.randint(6, 8)):
            scores = [str(rng.choice([2, 3, 4, 4, 5, 5])) for _ in STATEMENTS]
            rows.append([f"{week.isoformat()} 16:{n:02d}", *scores, rng.choice(COMMENTS + [""])])
    small = date(2026, 5, 27)  # a week with 3 responses: hidden everywhere
    for n in range(3):
        rows.append([f"{small.isoformat()} 16:{n:02d}", "1", "1", "1", "1", f"{SECRET} {n} too long"])
    return rows


@pytest.fixture(scope="module")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    folder = tmp_path_factory.mktemp("report")
    rows = _survey_rows()
    survey = folder / "survey.csv"
    with survey.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    db = folder / "reviews.duckdb"
    assert main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    return db, rows


def expected_scorecard(rows: list[list[str]], quarter_months: range, previous_months: range) -> dict[str, tuple]:
    """Per statement: (mean, % agree, n, change), from the CSV rows with plain Python; hidden weeks left out."""
    def week_of(stamp: str) -> date:
        day = datetime.strptime(stamp, "%Y-%m-%d %H:%M").date()
        return day - timedelta(days=day.weekday())

    per_week: dict[date, int] = {}
    for row in rows[1:]:
        per_week[week_of(row[0])] = per_week.get(week_of(row[0]), 0) + 1

    def figures(months: range) -> dict[str, tuple[float, float, int]]:
        out = {}
        for i, statement in enumerate(STATEMENTS):
            scores = [int(r[1 + i]) for r in rows[1:]
                      if week_of(r[0]).month in months and per_week[week_of(r[0])] >= S.min_group_size]
            out[statement] = (sum(scores) / len(scores), sum(s >= 4 for s in scores) / len(scores), len(scores))
        return out

    now, before = figures(quarter_months), figures(previous_months)
    return {s: (m, a, n, round(m, 2) - round(before[s][0], 2)) for s, (m, a, n) in now.items()}


@pytest.fixture(scope="module")
def pack(report_db) -> zipfile.ZipFile:
    db, _rows = report_db
    view = DataView(db, parse_period("2026-Q2"), None, S)
    return zipfile.ZipFile(io.BytesIO(build_retro_pack(view)))


def test_pdf_holds_the_scorecard_computed_independently(report_db, pack: zipfile.ZipFile) -> None:
    _db, rows = report_db
    expected = expected_scorecard(rows, range(4, 7), range(1, 4))
    reader = PdfReader(io.BytesIO(pack.read("summary_2026-Q2.pdf")))
    assert len(reader.pages) >= 5
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    first = " ".join(reader.pages[0].extract_text().split())
    for statement, (mean, agree, n, change) in expected.items():
        assert f"{statement} {mean:.2f} {agree:.0%} {n} {change:+.2f}" in first, statement
    lagging = min(expected, key=lambda s: (round(expected[s][0], 2), STATEMENTS.index(s)))
    assert f"Lagging statement: “{lagging}”, mean {expected[lagging][0]:.2f}" in first
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for section in ("Weekly agreement", "What people said", "Talking points", "Actions", "Definitions and anonymity"):
        assert section in text
    # The DB has the talking-points and actions views (every DB does now) but no polls or actions.
    assert "No talking points in this period" in text and "No actions recorded for this period's reviews" in text


def test_pptx_has_the_slides_and_the_scorecard_table(report_db, pack: zipfile.ZipFile) -> None:
    _db, rows = report_db
    expected = expected_scorecard(rows, range(4, 7), range(1, 4))
    deck = Presentation(io.BytesIO(pack.read("retro_2026-Q2.pptx")))
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles == ["Incident review retro — 2026-Q2", "Average weekly score", "Weekly agreement per statement",
                      "Weekly attendance", "Response rate", "Feedback themes by sentiment", "Statement scorecard",
                      "What people said", "Open actions", "Talking points"]
    for slide in list(deck.slides)[1:6]:
        pictures = [shape for shape in slide.shapes if shape.shape_type == 13]
        assert len(pictures) == 1  # the chart, inside the slide
        (p,) = pictures
        assert p.left >= 0 and p.top >= 0 and p.left + p.width <= deck.slide_width and p.top + p.height <= deck.slide_height
    table = next(shape.table for shape in deck.slides[6].shapes if shape.has_table)
    cells = [[table.cell(r, c).text for c in range(len(table.columns))] for r in range(len(table.rows))]
    assert cells[0] == ["Statement", "Mean", "% agree", "n", "Change", "Target"]
    assert cells[1:] == [[s, f"{m:.2f}", f"{a:.0%}", str(n), f"{ch:+.2f}", "at target" if round(m, 2) >= 4.5 else "below target"]
                         for s, (m, a, n, ch) in expected.items()]


def _all_text(pack: zipfile.ZipFile) -> dict[str, str]:
    texts = {}
    for name in pack.namelist():
        data = pack.read(name)
        if name.endswith(".pdf"):
            texts[name] = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        elif name.endswith(".pptx"):
            deck = Presentation(io.BytesIO(data))
            texts[name] = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                texts[name] += " ".join(inner.read(n).decode("utf-8", "replace") for n in inner.namelist() if n.endswith(".xml"))
        elif name.endswith((".csv", ".md", ".svg")):
            texts[name] = data.decode("utf-8-sig")
    return texts


def test_no_hidden_week_comment_in_any_file(pack: zipfile.ZipFile) -> None:
    texts = _all_text(pack)
    assert {"summary_2026-Q2.pdf", "retro_2026-Q2.pptx", "feedback_2026-Q2.csv"} <= set(texts)
    assert [name for name, text in texts.items() if SECRET in text] == []


def test_feedback_csv_has_sentiment_themes_bom_and_neutralised_cells(report_db, pack: zipfile.ZipFile) -> None:
    db, rows = report_db
    data = pack.read("feedback_2026-Q2.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(table[0]) == ["week_start", "text", "sentiment", "sentiment_score", "themes"]
    visible = [r[-1] for r in rows[1:] if r[-1] and r[0] >= "2026-04" and r[0] < "2026-07" and SECRET not in r[-1]]
    assert len(table) == len(visible)
    assert {r["text"] for r in table} == {("'" + t) if t.startswith("=") else t for t in visible}
    by_text = {r["text"]: r for r in table}
    assert by_text["Too long, we ran over again."]["sentiment"] == "negative"
    assert by_text["Too long, we ran over again."]["themes"] == "Time and pace"
    assert by_text["Felt blamey when the deploy came up."]["themes"] == "Safety and blame"


def test_talking_points_and_actions_sections_read_their_views(report_db, tmp_path: Path) -> None:
    """Written against the contracts of the talking-points and actions features (views they add)."""
    db, _rows = report_db
    copy = tmp_path / "with-views.duckdb"
    copy.write_bytes(db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("""CREATE TABLE tp AS SELECT * FROM (VALUES
            (DATE '2026-04-06', 'Incident review', 'p1', 'Alert fatigue on the payments pager', 'topic', 'alerting', 6, 0.6, 1),
            (DATE '2026-04-06', 'Incident review', 'p1', 'Runbook gaps', 'topic', 'runbooks', 4, 0.4, 2),
            (DATE '2026-04-13', 'Incident review', 'p2', 'Alerting again', 'topic', 'alerting', 7, 0.7, 1),
            (DATE '2026-04-13', 'Incident review', 'p2', 'Tiny poll point', 'topic', 'x', 3, 0.3, 2),
            (DATE '2026-04-20', 'Incident review', 'p3', 'Two-vote secret pick', 'topic', 'x', 2, 1.0, 1))
            AS t(week_start, series, poll_id, point, kind, theme, votes, share, rank)""")
        con.execute("CREATE OR REPLACE VIEW talking_points AS SELECT * FROM tp")
        con.execute("""CREATE TABLE ac AS SELECT * FROM (VALUES
            ('a1', 'Incident review', DATE '2026-04-06', 'Add pager dedup', 'open', DATE '2026-04-07', DATE '2026-05-01', NULL::DATE, 'Payments', 'jira', 'https://x.example/1'),
            ('a2', 'Incident review', DATE '2026-04-13', 'Write failover runbook', 'done', DATE '2026-04-14', DATE '2026-05-01', DATE '2026-04-30', 'SRE', 'jira', ''),
            ('a3', 'Incident review', DATE '2026-04-20', '**Not markdown** <b>x</b>', 'in progress', DATE '2026-04-21', DATE '2099-01-01', NULL::DATE, 'Platform', 'sheet', ''))
            AS t(action_key, series, review_week, title, status, created, due, closed, team, source, link)""")
        con.execute("CREATE OR REPLACE VIEW actions AS SELECT * FROM ac")
    view = DataView(copy, parse_period("2026-Q2"), None, S)
    from review_pulse.retro_report import action_figures, build_pdf, build_pptx, gather

    content = gather(view, today=date(2026, 6, 1))
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(build_pdf(content))).pages)
    assert "Recurring themes: alerting (2 weeks)" in text
    assert "Alert fatigue on the payments pager (6 votes, 60%)" in text and "Alerting again (7 votes, 70%)" in text
    assert "Two-vote secret pick" not in text  # a poll with fewer than 5 votes is left out
    assert "3 actions from this period's reviews: 1 closed (33%), 2 open, 1 overdue." in text
    assert "**Not markdown** <b>x</b>" in text and "Write failover runbook" not in text.split("Open actions")[1]
    # A dropped action is closed even without a closed date (the tracker's "Won't Do" is stored as dropped).
    dropped = pd.DataFrame([{"action_key": "a4", "review_week": date(2026, 4, 6), "title": "Old idea", "status": "dropped",
                             "created": date(2026, 4, 7), "due": date(2026, 4, 20), "closed": None, "team": None,
                             "source": "jira", "link": ""}])
    lines, open_rows = action_figures(replace(content, actions=pd.concat([content.actions, dropped], ignore_index=True)))
    assert lines[0] == "4 actions from this period's reviews: 2 closed (50%), 2 open, 1 overdue."
    assert "Old idea" not in [row[0] for row in open_rows]
    deck = Presentation(io.BytesIO(build_pptx(content)))
    actions = next(shape.table for shape in deck.slides[8].shapes if shape.has_table)
    assert [actions.cell(r, 0).text for r in range(len(actions.rows))] == ["Action", "Add pager dedup", "**Not markdown** <b>x</b>"]


def test_pdf_first_pages_render(pack: zipfile.ZipFile, tmp_path: Path) -> None:
    """The PDF opens in a real renderer (poppler) when it is installed; the images are for a human to look at."""
    import shutil
    import subprocess

    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pack.read("summary_2026-Q2.pdf"))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3 and all(p.stat().st_size > 5_000 for p in pages)


def test_slides_render_in_libreoffice(pack: zipfile.ZipFile, tmp_path: Path) -> None:
    """With LibreOffice installed, the deck converts to PDF page by page (one page per slide)."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    deck = tmp_path / "retro.pptx"
    deck.write_bytes(pack.read("retro_2026-Q2.pptx"))
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(deck)], check=True, capture_output=True, timeout=240)
    slides = PdfReader(tmp_path / "retro.pdf")
    assert len(slides.pages) == 10
    assert "Statement scorecard" in slides.pages[6].extract_text()
