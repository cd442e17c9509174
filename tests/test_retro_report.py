"""The retro report (PDF, PPTX) and the feedback CSV, checked against figures computed from the input rows."""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
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
    assert len(reader.pages) >= 3  # the sections flow: a new page only where the next block does not fit
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    first = " ".join(reader.pages[0].extract_text().split())
    for statement, (mean, agree, n, change) in expected.items():
        assert f"{statement} {mean:.2f} {agree:.0%} {n} {change:+.2f}" in first, statement
    lagging = min(expected, key=lambda s: (round(expected[s][0], 2), STATEMENTS.index(s)))
    assert f"Lagging statement: “{lagging}”, mean {expected[lagging][0]:.2f}" in first
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for section in ("Weekly agreement", "What people said", "Talking points", "Follow-up actions", "Definitions and anonymity"):
        assert section in text
    # The DB has the talking-points and actions tables (every DB does now) but no polls or actions.
    assert "No talking-point polls loaded" in text and "No follow-up actions loaded" in text


def test_pptx_has_the_slides_and_the_scorecard_table(report_db, pack: zipfile.ZipFile) -> None:
    _db, rows = report_db
    expected = expected_scorecard(rows, range(4, 7), range(1, 4))
    deck = Presentation(io.BytesIO(pack.read("retro_2026-Q2.pptx")))
    titles = [slide.shapes.title.text for slide in deck.slides]
    # the headline chart, then the scorecard; no polls or actions in this DB: no charts of theirs
    assert titles == ["Incident review retro — 2026-Q2", "Average weekly score", "Statement scorecard",
                      "Weekly agreement per statement", "Weekly attendance", "Response rate", "Feedback themes by sentiment",
                      "What people said (1 of 2)", "What people said (2 of 2)", "Talking points", "Open actions"]
    for slide in [deck.slides[1], *list(deck.slides)[3:7]]:
        pictures = [shape for shape in slide.shapes if shape.shape_type == 13]
        assert len(pictures) == 1  # the chart, inside the slide
        (p,) = pictures
        assert p.left >= 0 and p.top >= 0 and p.left + p.width <= deck.slide_width and p.top + p.height <= deck.slide_height
    table = next(shape.table for shape in deck.slides[2].shapes if shape.has_table)
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


POLL_ROWS = [  # Date, Talking point, Votes, Discussed: three polls of Q2 and one of Q1
    ["2026-04-08", "Alert fatigue on the payments pager", "6", "yes"], ["2026-04-08", "Runbook gaps", "4", "no"],
    ["2026-04-15", "Alerting again", "7", "yes"], ["2026-04-15", "Tiny poll point", "3", "no"],
    ["2026-04-22", "Two-vote pick", "2", "yes"],
    ["2026-04-29", "Pager noise at night", "5", "yes"], ["2026-04-29", "Other", "1", "no"],
    ["2026-01-14", "Last quarter's pick", "9", "yes"],
]
# A theme named in settings: on the ballot in three Q2 reviews (04-08, 04-15 and 04-29), so a recurring theme.
POLL_THEMES = '[[themes]]\nname = "Alerting"\nkeywords = ["alert fatigue", "alerting", "pager noise"]\n'
ACTION_ROWS = [  # Review date, Action, Status, Due, Done, Team
    ["2026-04-08", "Add pager dedup", "In progress", "2026-05-01", "", "Payments"],
    ["2026-04-15", "Write failover runbook", "Done", "2026-05-01", "2026-04-30", "SRE"],
    ["2026-04-22", "**Not markdown** <b>x</b>", "To do", "2099-01-01", "", "Platform"],
    ["2026-04-22", "Old idea", "Won't do", "2026-04-20", "", ""],
    ["2026-01-14", "Still open from Q1", "Open", "", "", "SRE"],
]


def test_talking_points_and_actions_sections_give_the_pages_figures(report_db, tmp_path: Path, monkeypatch) -> None:
    """Polls and actions loaded by the pipeline; the report's figures are counted here from the rows."""
    db, _rows = report_db
    (tmp_path / "settings.toml").write_text(POLL_THEMES, encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(tmp_path / "settings.toml"))
    copy = tmp_path / "with-polls-and-actions.duckdb"
    copy.write_bytes(db.read_bytes())
    polls, actions = tmp_path / "points.csv", tmp_path / "actions.csv"
    with polls.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Date", "Talking point", "Votes", "Discussed"], *POLL_ROWS])
    with actions.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Review date", "Action", "Status", "Due", "Done", "Team"], *ACTION_ROWS])
    assert main(["ingest", "--db", str(copy), "--polls", str(polls), "--actions", str(actions)]) == 0
    view = DataView(copy, parse_period("2026-Q2"), None, S)
    from review_pulse.retro_report import action_figures, build_pdf, build_pptx, gather

    today = date(2026, 6, 1)
    content = gather(view, today=today)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(build_pdf(content))).pages)
    # Each Q2 poll's winner with its votes and share of the poll's votes, as the Talking points page shows them.
    q2 = [r for r in POLL_ROWS if r[0] >= "2026-04"]
    for day in sorted({r[0] for r in q2}):
        poll = [r for r in q2 if r[0] == day]
        top = max(poll, key=lambda r: int(r[2]))
        share = int(top[2]) / sum(int(r[2]) for r in poll)
        assert f"{top[1]} ({top[2]} votes, {share:.0%})" in text
    assert "Last quarter's pick" not in text
    themed = [r for r in q2 if any(k in r[1].lower() for k in ("alert fatigue", "alerting", "pager noise"))]
    reviews, votes = len({r[0] for r in themed}), sum(int(r[2]) for r in themed)
    tops = sum(max((r for r in q2 if r[0] == day), key=lambda r: int(r[2])) in themed for day in {r[0] for r in themed})
    assert (reviews, votes, tops) == (3, 18, 3)
    assert f"Alerting ({reviews} reviews, {votes} votes, top pick {tops}×)" in text
    # Actions of Q2's reviews: 4, one done, one dropped ("Won't do"), two open; the open list also holds
    # Q1's open action (open now, created before the period's end), as the Actions page lists it.
    q2_actions = [r for r in ACTION_ROWS if r[0] >= "2026-04"]
    done = sum(r[2] == "Done" for r in q2_actions)
    dropped = sum(r[2] == "Won't do" for r in q2_actions)
    assert (f"Actions raised in this period: {len(q2_actions)} ({done} done, {dropped} dropped, "
            f"{len(q2_actions) - done - dropped} still open).") in text
    assert f"Done share: {done / len(q2_actions):.0%}." in text
    still_open = [r for r in ACTION_ROWS if r[2] not in ("Done", "Won't do")]
    assert f"Open now (this and earlier periods): {len(still_open)}." in text
    # Overdue: past its due date, or without one older than action_target_days.
    overdue = [r for r in still_open if (date.fromisoformat(r[3]) if r[3] else
                                         date.fromisoformat(r[0]) + timedelta(days=S.action_target_days)) < today]
    assert f"Overdue now: {len(overdue)}." in text
    lines, open_rows = action_figures(content)
    assert sorted(row[0] for row in open_rows) == sorted(r[1] for r in still_open)
    assert {row[0]: row[2].endswith("(overdue)") for row in open_rows} == {r[1]: r in overdue for r in still_open}
    assert "**Not markdown** <b>x</b>" in text and "Write failover runbook" not in text.split("Open actions")[1]
    deck = Presentation(io.BytesIO(build_pptx(content)))
    table = next(shape.table for slide in deck.slides for shape in slide.shapes if shape.has_table
                 and shape.table.cell(0, 0).text == "Action")
    assert [table.cell(r, 0).text for r in range(1, len(table.rows))] == [row[0] for row in open_rows]


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
    assert len(slides.pages) == len(Presentation(deck).slides) == 11
    assert "Statement scorecard" in slides.pages[2].extract_text()


# --- long cells: clipped in the report's and the slides' tables, never a failed export -------

LONG_TEAM = " ".join(f"platform-squad-{n:03d}" for n in range(40))  # 759 characters, ~50 lines in its column


def test_export_with_a_very_long_cell_clips_it_with_an_ellipsis(report_db, tmp_path: Path) -> None:
    from review_pulse.retro_report import TABLE_CELL_MAX_CHARS

    db, _rows = report_db
    copy = tmp_path / "long-team.duckdb"
    copy.write_bytes(db.read_bytes())
    actions = tmp_path / "actions.csv"
    with actions.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Review date", "Action", "Status", "Due", "Done", "Team"],
                                      ["2026-04-15", "Split the on-call rota", "Open", "2026-05-01", "", LONG_TEAM]])
    assert main(["ingest", "--db", str(copy), "--actions", str(actions)]) == 0
    assert main(["export", "--db", str(copy), "--quarter", "2026-Q2", "--out", str(tmp_path / "out")]) == 0

    clipped = LONG_TEAM[: TABLE_CELL_MAX_CHARS - 1].rstrip() + "…"
    assert len(LONG_TEAM) > 700 and len(clipped) <= TABLE_CELL_MAX_CHARS
    pdf = PdfReader(tmp_path / "out" / "summary_2026-Q2.pdf")
    squeezed = "".join("".join(page.extract_text().split()) for page in pdf.pages)  # table cells wrap anywhere
    assert "".join(clipped.split()) in squeezed
    assert "".join(LONG_TEAM[: TABLE_CELL_MAX_CHARS + 10].split()) not in squeezed
    deck = Presentation(tmp_path / "out" / "retro_2026-Q2.pptx")
    table = next(shape.table for slide in deck.slides for shape in slide.shapes if shape.has_table
                 and shape.table.cell(0, 0).text == "Action")
    assert [table.cell(r, 1).text for r in range(1, len(table.rows))] == [clipped]


@pytest.mark.usefixtures("apptest_like_a_server")
@pytest.mark.parametrize("fails", [False, True])
def test_the_overview_says_in_one_line_when_the_pack_cannot_be_built(report_db, monkeypatch, fails: bool) -> None:
    from fpdf import FPDF
    from fpdf.errors import FPDFException
    from streamlit.testing.v1 import AppTest

    db, _rows = report_db
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db))
    if fails:  # fpdf2 (outside our code) refusing the document, as it did for a too-high table row
        def refuse(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
            raise FPDFException("The row with index 1 is too high and cannot be rendered on a single page")

        monkeypatch.setattr(FPDF, "output", refuse)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    at.button(key="retro-pack-build").click().run()
    assert not at.exception, at.exception
    downloads = [b for b in at.get("download_button") if b.proto.label == "Download retro pack (ZIP)"]
    if fails:
        assert [e.value for e in at.error] == ["The retro pack could not be built (the error is in the server log); "
                                               "each chart's PNG, SVG and CSV buttons still work."]
        assert downloads == []
    else:
        assert len(at.error) == 0
        assert len(downloads) == 1
