"""Real meeting-tool attendance exports (tests/realworld/attendance/, see tests/realworld/SOURCES.md) through
the real CLI: each meeting's attendees against a recount of the file with the csv module alone, what the run
summary says it read, and no person's name or e-mail anywhere in the database.

Zoom's English files are the published ones byte for byte (MIT; their names are comic heroes); the others
are replicas of published files with every name replaced, layout and bytes otherwise
the same (UTF-16 big- and little-endian, tabs, CRLF)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

HERE = Path(__file__).resolve().parent / "realworld" / "attendance"


# file, encoding, delimiter, header line (1-based), last line read (None: to the end), date column and format,
# the column of people (a per-person table) or None (a wide roster: a TRUE/FALSE column per person), what the
# summary says it read
FILES = [
    ("zoom_meeting_heroes.csv", "utf-8", ",", 4, None, "Join Time", "%m/%d/%Y %I:%M:%S %p", "User Email",
     "counting the distinct people in 'User Email' (the participant table on line 4)"),
    ("zoom_participants_heroes.csv", "utf-8", ",", 1, None, "Join Time", "%m/%d/%Y %I:%M:%S %p", "User Email",
     "counting the distinct people in 'User Email'"),
    ("zoom_participants_ja_replica.csv", "utf-8-sig", ",", 1, None, "参加時刻", "%Y/%m/%d %H:%M", "ユーザーメール",
     "counting the distinct people in 'ユーザーメール'"),
    ("teams_report_utf16be_replica.csv", "utf-16", "\t", 10, 18, "First join", "%d/%m/%y, %H:%M:%S", "Email",
     "counting the distinct people in 'Email' (the participant table on line 10, up to the next section on line 19)"),
    ("teams_attendance_list_utf16le_replica.csv", "utf-16", "\t", 1, None, "Timestamp", "%m/%d/%Y, %I:%M:%S %p",
     "Full Name", "counting the distinct people in 'Full Name'"),
    ("team_meeting_sheet_replica.csv", "utf-8", ",", 1, None, "Date", "%m/%d/%y", None,
     "attendees = the cells marked present in its 4 columns of people"),
]


def rows_of(name: str, encoding: str, delimiter: str, header_line: int, last_line: int | None) -> list[dict[str, str]]:
    lines = (HERE / name).read_bytes().decode(encoding).splitlines()[header_line - 1:last_line]
    return [row for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter)
            if any((value or "").strip() for value in row.values())]


def recount(rows: list[dict[str, str]], date_column: str, date_format: str, people: str | None) -> dict[str, int]:
    """Attendees per meeting day: the distinct people of the day's rows, or (a wide roster) the TRUE cells of the
    day's last row (two meetings on one day: the later row is the one loaded, the earlier a reject)."""
    counted: dict[str, set[str] | int] = {}
    for row in rows:
        day = datetime.strptime(row[date_column].strip(), date_format).date().isoformat()
        if people is None:
            counted[day] = sum(value.strip().upper() == "TRUE" for key, value in row.items()
                               if key not in ("Meeting", date_column))
        else:
            counted.setdefault(day, set()).add(row[people].strip().casefold())  # type: ignore[union-attr]
    return {day: value if isinstance(value, int) else len(value) for day, value in counted.items()}


def person_values(rows: list[dict[str, str]], people: str | None) -> set[str]:
    if people is None:
        return {key for key in rows[0] if key not in ("Meeting", "Date")}
    return {value.strip() for row in rows for key, value in row.items()
            if value and (key == people or "@" in value or key in ("Name", "Name (Original Name)", "名前 (元の名前)"))}


@pytest.mark.parametrize(("name", "encoding", "delimiter", "header_line", "last_line", "date_column", "date_format",
                          "people", "reading"), FILES, ids=[f[0] for f in FILES])
def test_a_real_attendance_export_is_counted_as_its_rows_say(tmp_path: Path, capsys, name: str, encoding: str,
                                                             delimiter: str, header_line: int, last_line: int | None,
                                                             date_column: str, date_format: str, people: str | None,
                                                             reading: str) -> None:
    rows = rows_of(name, encoding, delimiter, header_line, last_line)
    expected = recount(rows, date_column, date_format, people)
    db = tmp_path / "a.duckdb"
    assert main(["ingest", "--db", str(db), "--attendance", str(HERE / name)]) == 0
    assert reading in capsys.readouterr().out
    with duckdb.connect(str(db), read_only=True) as con:
        stored = dict(con.execute("SELECT meeting_date::VARCHAR, attendees FROM meetings").fetchall())
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_type = 'BASE TABLE'").fetchall()]
        everything = "\n".join(str(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    assert stored == expected
    for value in person_values(rows, people):
        assert value not in everything, value


def test_a_meet_extension_class_list_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    """Its date is only in a title line and its rows are tab-joined inside quotes: not a layout we read."""
    assert main(["ingest", "--db", str(tmp_path / "a.duckdb"), "--attendance",
                 str(HERE / "meet_gma_classlist_replica.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no meeting date column" in err[0]
