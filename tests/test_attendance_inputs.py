"""Attendance and calendar files a team could have, loaded through the command line: what is stored, what
is said, what is refused (the attendance fuzzing round of the thirteenth session)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main


def ingest(db: Path, *args: str) -> int:
    return main(["ingest", "--db", str(db), *args])


def every_stored_text(db: Path) -> str:
    """Every value of every table, as text (personal data must be in none of them)."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        return "\n".join(str(con.execute(f'SELECT * FROM "{name}"').fetchall()) for name in tables)


@pytest.mark.parametrize(("cell", "kept"), [
    ("Ana Lopez; Bob Stone; ana@x.com", False),  # who came, typed where the count goes
    ("Ana Lopez", False),
    ("ana@x.com 12", False),
    ("12.5", True),  # a count that is not whole: kept, to fix
    ("n/a", False),
])
def test_a_rejected_count_cell_that_may_name_people_is_not_stored(tmp_path: Path, cell: str, kept: bool) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text(f"Date,Attendees\n2026-03-04,12\n2026-03-11,\"{cell}\"\n2026-03-18,15\n", encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(sheet)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT meeting_date::VARCHAR, attendees FROM meetings ORDER BY 1").fetchall() == [
            ("2026-03-04", 12), ("2026-03-18", 15)]
        (line, raw), = con.execute("SELECT line, raw FROM rejects").fetchall()
    assert line == 3
    assert (cell in raw) is kept and ("(not kept: text that may name people)" in raw) is not kept
    if not kept:
        for word in ("Ana", "Lopez", "ana@x.com", "n/a"):
            if word in cell:
                assert word not in every_stored_text(db)


def test_a_note_row_below_the_table_is_rejected_without_its_words(tmp_path: Path) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text("Date,Attendees\n2026-03-04,12\n2026-03-11,14\n\nNotes: Ana Lopez was facilitator,\n",
                     encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(sheet)) == 0
    assert "Ana Lopez" not in every_stored_text(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meetings").fetchall() == [(2,)]
        assert con.execute("SELECT reason FROM rejects").fetchall() == [("bad date: text that is not a date or time",)]


@pytest.mark.parametrize(("flag", "content"), [
    ("--attendance", "Date,Attendees\n04/03/2026,12\n11/03/2026,14\n"),
    ("--attendance", "Date,Attendees\n04-03-2026,12\n11-03-2026,14\n"),
    ("--calendar", "Week of,Kind\n06/04/2026,holiday\n01/06/2026,launch\n"),
])
def test_dates_read_month_day_for_want_of_evidence_are_said_and_strict_refuses(tmp_path: Path, capsys, flag: str,
                                                                               content: str) -> None:
    source = tmp_path / "dates.csv"
    source.write_text(content, encoding="utf-8")
    assert ingest(tmp_path / "r.duckdb", flag, str(source)) == 0
    assert f"{source}: note: dates read as month/day, as nothing in the file says which" in capsys.readouterr().out
    strict_db = tmp_path / "strict.duckdb"
    assert ingest(strict_db, flag, str(source), "--strict") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --strict: {source}: the dates could be month/day or day/month")
    assert not strict_db.exists() or every_stored_text(strict_db).count("2026") == 0


@pytest.mark.parametrize(("content", "reason"), [
    ("Date,Attendees\nMar 4,12\nMar 11,14\n", "bad date: no full date (day, month and year)"),
    ("Date,Attendees\n2026-03-04,12.5\n2026-03-11,-3\n", "attendee count: not a whole number of people"),
])
def test_an_attendance_file_with_no_usable_meeting_fails_and_changes_nothing(tmp_path: Path, capsys, content: str,
                                                                              reason: str) -> None:
    db = tmp_path / "r.duckdb"
    good = tmp_path / "good.csv"
    good.write_text("Date,Attendees\n2026-02-04,9\n", encoding="utf-8")
    assert ingest(db, "--attendance", str(good)) == 0
    before = every_stored_text(db)
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    capsys.readouterr()
    assert ingest(db, "--attendance", str(bad)) == 2
    rows = content.count("\n") - 1
    assert capsys.readouterr().err == (f"error: {bad}: no usable meeting; {rows} rows rejected, most often ({rows}x): "
                                       f"{reason}; nothing was loaded\n")
    assert every_stored_text(db) == before
