"""User-controlled text in the dashboard and its exports: shown as text, never as Markdown,
and never able to crash the chart renderer. Real DuckDB files through the real CLI, the app
through AppTest, the renderer (vl-convert) in a child process so an abort fails one test."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.cli import main as pipeline_main
from review_pulse.view import DataView
from review_pulse.export import summary_markdown
from review_pulse.figures import Headline, Summary
from core.plain_text import markdown_literal
from core.quarters import parse_period
from review_pulse.retro_pack import build_retro_pack
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
S = Settings()

pytestmark = pytest.mark.usefixtures("apptest_like_a_server")

HOSTILE_SERIES = ["![](http://host/x.png)", ":red[x]", "**b**", "$$x$$", "line1\n# heading"]
# What each would turn into if it were rendered as Markdown; none may reach a Markdown element.
MARKDOWN_SIGNS = ["![](", ":red[", "**b**", "$$", "\n#", "# heading"]
PAGES = [None, "pages/agreement.py", "pages/attendance.py", "pages/feedback.py"]


def markdown_values(at: AppTest) -> list[str]:
    """The source of every element Streamlit renders as Markdown."""
    elements = [*at.markdown, *at.caption, *at.error, *at.info, *at.warning, *at.success,
                *at.title, *at.header, *at.subheader]
    return [e.value for e in elements]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    survey, attendance = folder / "s.csv", folder / "a.csv"
    with open(survey, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "Series", *S.statement_texts, "How could we improve?"])
        for k, name in enumerate(HOSTILE_SERIES):
            for i in range(5):
                writer.writerow([f"2026-03-04 1{k}:0{i}", name, 4, 3, 5, 4, f"note {k}{i}"])
    with open(attendance, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Series", "Attendees", "Title"])
        for name in HOSTILE_SERIES:
            writer.writerow(["2026-03-04", name, 9, f"**{name}**"])
    db = folder / "hostile.duckdb"
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey), "--attendance", str(attendance)]) == 0
    return db


@pytest.mark.parametrize("series", HOSTILE_SERIES)
def test_series_names_are_shown_as_text_on_every_page(hostile_db: Path, monkeypatch, series: str) -> None:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(hostile_db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["quarter"] = "2026-Q1"
    at.query_params["series"] = series
    at.run()
    for page in PAGES:
        if page:
            at.switch_page(page).run()
        assert not at.exception, at.exception
        assert at.session_state["series"] == series
        # An escaped character (backslash + character) is shown as itself: drop those pairs,
        # then no Markdown syntax may be left.
        shown = [re.sub(r"\\.", "", v, flags=re.DOTALL) for v in markdown_values(at)]
        leaks = [v for v in shown for sign in MARKDOWN_SIGNS if sign in v]
        assert not leaks, (page, leaks)
        # The caption names the series, escaped: the reader sees it as typed.
        assert any(markdown_literal(f"2026-Q1 · {series}", line_break=" ") in c.value for c in at.caption), page


def test_settings_message_is_shown_as_text(tmp_path: Path, monkeypatch, demo_db: Path) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text('timezone = "![t](http://host/t.png)"\n')
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(bad))
    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "![" not in at.error[0].value and "\\!\\[t\\]" in at.error[0].value


def test_db_path_is_shown_as_text(tmp_path: Path, monkeypatch) -> None:
    odd = tmp_path / "![p](http:" / "host" / "x.png)"
    at_db = odd / "reviews.duckdb"
    monkeypatch.setenv("REVIEW_PULSE_DB", str(at_db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert not [v for v in markdown_values(at) if "![p](" in v]


# --- the retro summary ------------------------------------------------------------------


@pytest.mark.parametrize("series", [*HOSTILE_SERIES, "x\n<script>alert(1)</script>", "a|b\n## two"])
def test_summary_heading_escapes_the_series(series: str) -> None:
    headline = Headline(4.5, 4.0, None, None, None, False, None, 0, None, 0, 1, 0, 5)
    md = summary_markdown(Summary("2026-Q1", series, headline, "", 5))
    heading, blank = md.split("\n")[:2]
    assert heading.startswith("# Review Pulse — 2026-Q1 · ") and blank == ""
    assert not [line for line in md.splitlines()[1:] if line.startswith("#")]  # no injected heading
    for sign in ("![](", "<script>", "**b**", "$$", ":red["):
        assert sign not in md


def test_retro_pack_summary_from_a_hostile_series(hostile_db: Path) -> None:
    view = DataView(hostile_db, parse_period("2026-Q1"), "line1\n# heading", Settings())
    md = zipfile.ZipFile(io.BytesIO(build_retro_pack(view))).read("summary_2026-Q1.md").decode()
    assert md.splitlines()[0] == "# Review Pulse — 2026-Q1 · line1 \\# heading"


# --- control characters and the chart renderer -------------------------------------------

CONTROL_CHARACTERS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]

# One chart in which each control character is in its own statement name (legend, data,
# tooltips) and all of them are in the title: one render per format covers every character.
RENDER_EVERY_CONTROL_CHARACTER = """
import json, sys
import pandas as pd
from review_pulse import charts
from review_pulse.export import chart_to_pdf, chart_to_png, chart_to_svg
codes = json.loads(sys.argv[1])
every = "".join(chr(code) for code in codes)
statements = tuple(f"Statement {code:#x}{chr(code)}end" for code in codes)
ctx = charts.ChartContext(quarter_label=f"2026-Q1{every}", series_label=f"Team{every}A", statements=statements,
                          freshness=f"Data to{every}now")
frame = pd.DataFrame({"week_start": pd.to_datetime(["2026-03-02"] * len(codes)), "statement": list(statements),
                      "statement_order": range(len(codes)), "responses": 6, "answers": 6,
                      "mean_score": 4.0, "agree_share": 0.8, "suppressed": False})
chart = charts.weekly_agreement_chart(frame, ctx)
assert chart_to_png(chart, scale=1)[:4] == b"\\x89PNG"
svg = chart_to_svg(chart)
assert "<svg" in svg
assert chart_to_pdf(chart)[:5] == b"%PDF-"
print(json.dumps([code for code in codes if f"Statement {code:#x} end" in svg]))
"""


def test_every_control_character_renders_to_png_svg_and_pdf() -> None:
    result = subprocess.run([sys.executable, "-c", RENDER_EVERY_CONTROL_CHARACTER, json.dumps(CONTROL_CHARACTERS)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]  # 134 = vl-convert aborted the process
    # Each name is drawn, its control character shown as a space.
    assert json.loads(result.stdout.strip().splitlines()[-1]) == CONTROL_CHARACTERS


@pytest.mark.parametrize(("name", "in_heading"), [("esc\x1b[2Jx", "esc \\[2Jx"), ("vt\x0bx", "vt x")])
def test_a_single_series_with_a_control_character_exports(tmp_path: Path, name: str, in_heading: str) -> None:
    """With one series no selection is needed: its name is in every chart title."""
    survey = tmp_path / "s.csv"
    with open(survey, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "Series", *S.statement_texts])
        writer.writerows([f"2026-03-04 16:0{i}", name, 4, 4, 4, 4] for i in range(5))
    db = tmp_path / "ctl.duckdb"
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    out = tmp_path / "pack"
    # The CLI export in its own process: vl-convert used to abort it (exit 134, a Rust backtrace).
    result = subprocess.run([sys.executable, "-m", "pipeline", "export", "--db", str(db), "--quarter", "2026-Q1",
                             "--out", str(out), "--zip"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    pack = zipfile.ZipFile(out / "retro-pack_2026-Q1.zip")
    pngs = [n for n in pack.namelist() if n.endswith(".png")]
    assert len(pngs) >= 6 and len(pngs) == len([n for n in pack.namelist() if n.endswith(".svg")])
    heading = pack.read("summary_2026-Q1.md").decode().splitlines()[0]
    assert heading == f"# Review Pulse — 2026-Q1 · {in_heading}"


@pytest.mark.parametrize(("text", "line"), [
    ("super useful\t\tWho owns", "super useful Who owns"),
    ("two\r\nlines\u2028more", "two lines more"),
    ("bell\x07 and\x1b[31m esc", "bell and [31m esc"),
    ("  plain  ", "plain"),
])
def test_a_quote_in_the_report_and_slides_is_one_line(text: str, line: str) -> None:
    from core.plain_text import one_line

    assert one_line(text) == line


@pytest.mark.parametrize(("spec", "expected"), [
    ("a\x1bb", "a b"),
    ({"title": "x\u2028y", "n": 3, "f": 1.5, "b": True, "none": None}, {"title": "x y", "n": 3, "f": 1.5, "b": True, "none": None}),
    ({"data": {"values": [{"series\x07": "ops\x00team", "score": 4.2}, ["in\x85list", 1]]}},
     {"data": {"values": [{"series ": "ops team", "score": 4.2}, ["in list", 1]]}}),
    ({"domain": ("a\tb", "c")}, {"domain": ["a b", "c"]}),  # a tab is a control character too
    ({"deep": [[[{"k": ["\x7f"]}]]]}, {"deep": [[[{"k": [" "]}]]]}),
])
def test_clean_spec_cleans_every_string_at_any_depth(spec: object, expected: object) -> None:
    from core.plain_text import clean_spec

    assert clean_spec(spec) == expected
