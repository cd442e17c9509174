"""Exports for retros: per-chart files, the ZIP pack and the CLI export, checked on the demo DB."""

from __future__ import annotations

import csv
import io
import struct
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from review_pulse import report
from review_pulse.view import DataView
from core.quarters import parse_period
from review_pulse.retro_pack import build_retro_pack
from core.settings import Settings

SLUGS = ["score-trend", "weekly-agreement", "weekly-agreement-percent", "answer-distribution", "attendance", "response-rate"]
# Talking points (issue 12): the demo holds polls, so the pack has their charts too.
SLUGS += ["talking-points", "recurring-themes", "theme-timeline", "topic-balance", "beside-the-survey"]


ACTION_SLUGS = ("actions-burnup", "actions-time-to-close", "actions-review-health")
FEEDBACK_SLUGS = ["feedback-themes", "feedback-theme-trend"]  # issue 15


def view_of(db: Path, quarter: str = "2026-Q2") -> DataView:
    return DataView(db, parse_period(quarter), None, Settings())


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so Excel shows accents and emoji
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_retro_pack_holds_every_chart_and_the_summary(demo_db: Path) -> None:
    pack = zipfile.ZipFile(io.BytesIO(build_retro_pack(view_of(demo_db))))
    expected = [f"{slug}_2026-Q2.{ext}" for slug in SLUGS + FEEDBACK_SLUGS for ext in ("png", "svg", "csv")]
    # The demo has follow-up actions (issue 13): their charts follow, and their summary and open list.
    expected += [f"{slug}_2026-Q2.{ext}" for slug in ACTION_SLUGS for ext in ("png", "svg", "csv")]
    assert sorted(pack.namelist()) == sorted(expected + [
        "actions-summary_2026-Q2.md", "open-actions_2026-Q2.csv", "feedback_2026-Q2.csv", "retro_2026-Q2.pptx",
        "summary_2026-Q2.md", "summary_2026-Q2.pdf"])
    assert pack.read("summary_2026-Q2.pdf").startswith(b"%PDF-")
    for slug in SLUGS:
        svg = pack.read(f"{slug}_2026-Q2.svg").decode()
        root = ET.fromstring(svg)
        width, height = float(root.get("width")), float(root.get("height"))
        assert png_size(pack.read(f"{slug}_2026-Q2.png")) == (round(width * 2), round(height * 2))
        assert "2026-Q2" in svg  # the title names the quarter
    agreement_svg = pack.read("weekly-agreement_2026-Q2.svg").decode()
    assert "Target 4.5" in agreement_svg


def test_csv_rows_equal_the_chart_rows_and_hidden_weeks_say_so(demo_db: Path) -> None:
    view = view_of(demo_db)
    item = report.weekly_agreement(view)
    rows = read_csv(report_csv(item))
    with duckdb.connect(str(demo_db), read_only=True) as con:
        expected = con.execute("""SELECT strftime(week_start, '%Y-%m-%d'), statement, answers FROM weekly_statement_scores
                                  WHERE week_start BETWEEN DATE '2026-03-29' AND DATE '2026-06-27' ORDER BY 1""").fetchall()
    assert sorted((r["week_start"][:10], r["statement"]) for r in rows) == sorted((w, s) for w, s, _ in expected)
    hidden = [r for r in rows if r["week_start"].startswith("2026-05-25")]
    assert len(hidden) == 4 and all(r["mean_score"] == "fewer than 5 responses" for r in hidden)
    assert all(r["responses"] == "fewer than 5 responses" for r in hidden)
    visible = {(w, s): n for w, s, n in expected if w != "2026-05-25"}
    week_totals = {w: n for w, n in duckdb.connect(str(demo_db), read_only=True).execute(
        "SELECT strftime(week_start, '%Y-%m-%d'), responses FROM weekly_scores").fetchall()}
    for r in rows:
        if (r["week_start"][:10], r["statement"]) in visible:
            assert int(r["responses"]) == week_totals[r["week_start"][:10]]


def report_csv(item) -> bytes:
    from review_pulse.export import frame_to_csv_bytes

    return frame_to_csv_bytes(item.rows)


def test_summary_states_the_headline_numbers(demo_db: Path) -> None:
    pack = zipfile.ZipFile(io.BytesIO(build_retro_pack(view_of(demo_db, "2026-Q3"))))
    summary = pack.read("summary_2026-Q3.md").decode()
    with duckdb.connect(str(demo_db), read_only=True) as con:
        average = con.execute("""
            WITH counts AS (SELECT week_start, count(*) n FROM response_weeks GROUP BY 1)
            SELECT avg(score) FROM answers JOIN response_weeks USING (response_key) JOIN counts USING (week_start)
            WHERE week_start BETWEEN DATE '2026-06-28' AND DATE '2026-09-27' AND n >= 5""").fetchall()[0][0]
    assert f"{average:.2f}" in summary
    assert "4.5" in summary and "2026-Q3" in summary


def test_cli_export_writes_the_same_files(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    assert main(["export", "--db", str(demo_db), "--quarter", "2026-Q2", "--out", str(out)]) == 0
    app_pack = zipfile.ZipFile(io.BytesIO(build_retro_pack(view_of(demo_db))))
    assert sorted(p.name for p in out.iterdir()) == sorted(app_pack.namelist())
    for name in app_pack.namelist():
        if name.endswith((".csv", ".md", ".svg")):  # PNG/PDF bytes may carry render metadata
            assert (out / name).read_bytes() == app_pack.read(name), name
    assert main(["export", "--db", str(demo_db), "--quarter", "all", "--out", str(tmp_path / "z"), "--zip"]) == 0
    assert [p.name for p in (tmp_path / "z").iterdir()] == ["retro-pack_all-time.zip"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2026-Q7"], "use a quarter such as 2026-Q2"),
        (["--quarter", "2026-Q2", "--series", "Nope"], "no review series 'Nope'"),
    ],
)
def test_cli_export_errors_are_one_line(demo_db: Path, tmp_path: Path, capsys, args: list[str], message: str) -> None:
    assert main(["export", "--db", str(demo_db), "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err


def test_hostile_feedback_cells_are_neutralised_in_csv_exports(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    survey = tmp_path / "s.csv"
    hostile = ["=HYPERLINK(\"http://evil\")", "+SUM(1)", "-2+3", "@cmd", "=1+1", "plain 😀 café"]
    with open(survey, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", Settings().statement_texts[0], "How could we improve?"])
        for i, text in enumerate(hostile):
            writer.writerow([f"2026-03-04 16:0{i}", "4", text])
    assert main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    view = DataView(db, parse_period("2026-Q1"), None, Settings())
    from review_pulse.export import frame_to_csv_bytes

    rows = read_csv(frame_to_csv_bytes(view.feedback()))
    assert sorted(r["text"] for r in rows) == sorted(
        ["'=HYPERLINK(\"http://evil\")", "'+SUM(1)", "'-2+3", "'@cmd", "'=1+1", "plain 😀 café"])
    assert date.fromisoformat(rows[0]["week_start"][:10]) == date(2026, 3, 2)
