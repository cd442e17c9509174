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


# (file, how the summary says it was read, the column that counts, the flag column or None)
LAYOUTS = [
    # "Participants" is a person header, but its cells are one number per meeting: a count
    ("Date,Incident,Participants\n2026-03-04,DB outage,12\n2026-03-11,CDN,15\n2026-03-18,Auth,9\n",
     "one row per meeting, attendees from 'Participants'", "Participants", None),
    # "Meeting name" names the meeting, not a person; "Present" holds numbers: a count
    ("Date,Meeting name,Present\n2026-03-04,Incident review,12\n2026-03-11,Incident review,15\n",
     "one row per meeting, attendees from 'Present'", "Present", None),
    # a roster with a yes/no column: only those who came count ("Attended" was once read as two people, yes and no)
    ("Date,Name,Email,Attended\n2026-03-04,Ana Lopez,ana@x.com,Yes\n2026-03-04,Bob Stone,bob@x.com,No\n"
     "2026-03-04,Cy Kim,cy@x.com,no\n2026-03-11,Ana Lopez,ana@x.com,Yes\n2026-03-11,Bob Stone,bob@x.com,YES\n"
     "2026-03-11,Cy Kim,cy@x.com,y\n",
     "one row per attendee, counting the distinct people in 'Email', rows marked present in 'Attended'", "Email", "Attended"),
    # a roster ticked with x, blank for absent
    ("Date,Name,Present\n2026-03-04,Ana Lopez,x\n2026-03-04,Bob Stone,\n2026-03-04,Cy Kim,\n"
     "2026-03-11,Ana Lopez,x\n2026-03-11,Bob Stone,X\n2026-03-11,Cy Kim,\n",
     "one row per attendee, counting the distinct people in 'Name', rows marked present in 'Present'", "Name", "Present"),
    # member ids are numbers, but each date has several rows: a roster, not counts
    ("Date,Participant\n2026-03-04,1001\n2026-03-04,1002\n2026-03-04,1003\n2026-03-11,1001\n2026-03-11,1003\n",
     "one row per attendee, counting the distinct people in 'Participant'", "Participant", None),
]


def expected_meetings(content: str, column: str, flag: str | None) -> list[tuple[str, int]]:
    """Recounted from the file: a number per meeting, or the distinct people whose flag says they came."""
    import csv as _csv
    import io as _io

    rows = list(_csv.DictReader(_io.StringIO(content)))
    if flag is None and all(r[column].isdigit() for r in rows) and len({r["Date"] for r in rows}) == len(rows):
        return sorted((r["Date"], int(r[column])) for r in rows)
    people: dict[str, set[str]] = {}
    for r in rows:
        if flag is None or r[flag].strip().lower() in ("yes", "y", "x"):
            people.setdefault(r["Date"], set()).add(r[column])
    return sorted((day, len(names)) for day, names in people.items())


@pytest.mark.parametrize(("content", "reading", "column", "flag"), LAYOUTS)
def test_each_attendance_layout_is_counted_as_its_rows_say_and_the_reading_is_said(
        tmp_path: Path, capsys, content: str, reading: str, column: str, flag: str | None) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text(content, encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(sheet)) == 0
    assert f"attendance.csv: attendance, {reading}" in capsys.readouterr().out
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT meeting_date::VARCHAR, attendees FROM meetings ORDER BY 1").fetchall()
        assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(0,)]
    assert stored == expected_meetings(content, column, flag)
    for name in ("Ana Lopez", "ana@x.com", "Bob Stone"):
        assert name not in every_stored_text(db)


@pytest.mark.parametrize("placeholder", ["n/a", "TBD", "cancelled", "-", "—"])
def test_placeholders_in_a_count_column_are_rejected_not_read_as_people(tmp_path: Path, placeholder: str) -> None:
    """A count column mostly of placeholders was read as a list of people: 'cancelled' became one attendee."""
    sheet = tmp_path / "attendance.csv"
    sheet.write_text(f"Date,Attendees\n2026-03-04,12\n2026-03-11,{placeholder}\n2026-03-18,{placeholder}\n"
                     f"2026-03-25,{placeholder}\n", encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(sheet)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT meeting_date::VARCHAR, attendees FROM meetings").fetchall() == [("2026-03-04", 12)]
        reasons = con.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall()
    assert [line for line, _reason in reasons] == [3, 4, 5]
    assert all(reason.startswith("attendee count: a placeholder") for _line, reason in reasons)


def test_a_roster_flag_that_is_neither_yes_nor_no_is_rejected_with_the_fix(tmp_path: Path) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text("Date,Name,Attended\n2026-03-04,Ana Lopez,Yes\n2026-03-04,Bob Stone,Yes\n2026-03-04,Cy Kim,No\n"
                     "2026-03-04,Di Park,Yes\n2026-03-04,Ed Wu,Yes\n2026-03-04,Flo Ma,No\n2026-03-04,Gus Li,No\n"
                     "2026-03-04,Hal Oh,Yes\n2026-03-04,Ivy Ng,Yes\n2026-03-04,Jo Ra,maybe\n", encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(sheet)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT attendees FROM meetings").fetchall() == [(6,)]
        (line, reason, raw), = con.execute("SELECT line, reason, raw FROM rejects").fetchall()
    assert line == 11 and reason == "'Attended': neither yes nor no (write Yes, No, x or leave it blank)"
    assert "Jo Ra" not in every_stored_text(db) and "Name" not in raw


def test_a_yes_no_column_without_a_people_column_is_refused_with_the_fix(tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text("Date,Attended\n2026-03-04,Yes\n2026-03-04,No\n", encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(sheet)) != 0
    assert "'Attended' says who attended (yes/no) but no attendee column was found" in capsys.readouterr().err


@pytest.mark.parametrize(("cell", "monday", "reason"), [
    ("9-13 Mar 2026", "2026-03-09", None),  # was 2009-03-09: "9" read as the year
    ("Mar 16-20, 2026", "2026-03-16", None),  # was 2020-03-16
    ("2026-03-23 to 2026-03-27", "2026-03-23", None),
    ("26 Mar – 27 Mar 2026", "2026-03-23", None),  # the first end borrows the year of the second
    ("w/c 30 Mar 2026", "2026-03-30", None),
    ("Week commencing 6 Apr 2026", "2026-04-06", None),
    ("27 Mar - 2 Apr 2026", None, "bad date: a range of days across two weeks; write one row per week"),
    ("13-9 Mar 2026", None, "bad date: a range of days that ends before it starts"),
    ("Mar 16 20 2026", None, "bad date: more numbers than one date (a range of days?)"),  # was 2020-03-16
    ("16/20 Mar 2026", None, "bad date: more numbers than one date (a range of days?)"),  # was 2016-03-20
])
def test_a_calendar_week_written_as_a_range_names_its_monday_or_is_refused(tmp_path: Path, cell: str, monday: str | None,
                                                                          reason: str | None) -> None:
    calendar = tmp_path / "calendar.csv"
    calendar.write_text(f"Week,Kind\n\"{cell}\",launch\n2026-06-15,holiday\n", encoding="utf-8")
    db = tmp_path / "c.duckdb"
    assert ingest(db, "--calendar", str(calendar)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        weeks = con.execute("SELECT week_start::VARCHAR, kind FROM busy_weeks ORDER BY 1").fetchall()
        rejects = con.execute("SELECT line, reason FROM rejects").fetchall()
    assert weeks == sorted([*([(monday, "launch")] if monday else []), ("2026-06-15", "holiday")])
    assert rejects == ([] if reason is None else [(2, reason)])


@pytest.mark.parametrize("cell", ["9-13 Mar 2026", "Mar 16-20, 2026", "2026-03-23 to 2026-03-27"])
def test_an_attendance_date_written_as_a_range_is_a_reject_not_a_wrong_year(tmp_path: Path, cell: str) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text(f"Date,Attendees\n2026-03-04,12\n\"{cell}\",14\n", encoding="utf-8")
    db = tmp_path / "a.duckdb"
    assert ingest(db, "--attendance", str(sheet)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT meeting_date::VARCHAR, attendees FROM meetings").fetchall() == [("2026-03-04", 12)]
        assert con.execute("SELECT line, reason FROM rejects").fetchall() == [(3, "bad date: a range of days, not one date")]


@pytest.mark.parametrize(("option", "header"), [("--attendance", "Date,Attendees,Series"), ("--calendar", "Week,Kind,Series")])
def test_a_series_column_of_free_text_is_refused_in_attendance_and_calendar_files(tmp_path: Path, capsys, option: str,
                                                                                header: str) -> None:
    """A notes column headed 'Series' would list every note in the sidebar: refused as in a survey file."""
    value = "12" if option == "--attendance" else "launch"
    sheet = tmp_path / "file.csv"
    sheet.write_text(header + "\n" + "".join(f"2026-03-{day:02d},{value},\"{'a long note about the week ' * 6}{day}\"\n"
                                             for day in range(2, 28, 7)), encoding="utf-8")
    db = tmp_path / "s.duckdb"
    assert ingest(db, option, str(sheet)) != 0
    err = capsys.readouterr().err
    assert "'Series'" in err and "a long note" not in err
    assert not db.exists() or duckdb.connect(str(db), read_only=True).execute(
        "SELECT count(*) FROM meetings").fetchall() == [(0,)]


def test_a_workbook_roster_of_checkboxes_counts_the_ticked_cells(tmp_path: Path) -> None:
    """A Sheets/Excel roster with a checkbox column per person: the cells are booleans, not text."""
    from datetime import date

    from openpyxl import Workbook

    ticks = {date(2026, 3, 4): (True, True, False, True), date(2026, 3, 11): (False, True, False, False)}
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Meeting", "Date", "Ana Lopez", "Bob Stone", "Cy Kim", "Di Park"])
    for day, row in ticks.items():
        sheet.append(["Incident review", day, *row])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(path)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT meeting_date, attendees FROM meetings ORDER BY 1").fetchall()
    assert stored == [(day, sum(row)) for day, row in ticks.items()]
    assert "Ana Lopez" not in every_stored_text(db) and "Di Park" not in every_stored_text(db)


def test_series_spelt_two_ways_across_files_are_said_not_merged(tmp_path: Path, capsys) -> None:
    """A survey's 'Incident Review' and an attendance sheet's 'incident review ' are two series: said, with the fix."""
    survey = tmp_path / "survey.csv"
    survey.write_text("Timestamp,Good use of my time,Series\n" + "".join(
        f"2026-03-04 16:0{i},4,Incident Review\n" for i in range(5)), encoding="utf-8")
    sheet = tmp_path / "attendance.csv"
    sheet.write_text("Date,Attendees,Series\n2026-03-04,12,incident-review\n2026-03-04,7,Platform review\n",
                     encoding="utf-8")
    db = tmp_path / "s.duckdb"
    assert ingest(db, "--surveys", str(survey), "--attendance", str(sheet)) == 0
    out = capsys.readouterr().out
    assert ("note: series 'Incident Review', 'incident-review' differ only in case, spacing or punctuation: they are "
            "separate series") in out
    assert "'Platform review'" not in out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT DISTINCT series FROM responses").fetchall() == [("Incident Review",)]
        assert sorted(con.execute("SELECT series FROM meetings").fetchall()) == [("Platform review",), ("incident-review",)]


# The second fuzzing round (fourteenth session): a file, the meetings a careful reader counts, and a line the
# run summary must hold. Every expected count is written out from the file's rows beside it.
SECOND_ROUND = [
    ("roster words",  # Late and Remote came; Excused and Absent did not
     "Date,Name,Attendance\n2026-03-02,Ana,Present\n2026-03-02,Ben,Late\n2026-03-02,Cy,Excused\n"
     "2026-03-09,Ana,Absent\n2026-03-09,Ben,Remote\n2026-03-09,Cy,Present\n2026-03-09,Di,Present\n",
     [("2026-03-02", 2), ("2026-03-09", 3)], "rows marked present in 'Attendance'"),
    ("status header", "Date,Name,Status\n2026-03-02,Ana,Present\n2026-03-02,Ben,Absent\n2026-03-02,Cy,Present\n",
     [("2026-03-02", 2)], "rows marked present in 'Status'"),
    ("member ids",  # numbers under a person's header are ids, counted as people (even a 1:1's one row a day)
     "Date,Attendee\n2026-03-02,101\n2026-03-02,117\n2026-03-09,101\n2026-03-16,117\n",
     [("2026-03-02", 2), ("2026-03-09", 1), ("2026-03-16", 1)], "counting the distinct people in 'Attendee'"),
    ("a 1:1's attendees", "Date,Attendees\n2026-03-02,1\n2026-03-09,1\n2026-03-16,0\n",
     [("2026-03-02", 1), ("2026-03-09", 1), ("2026-03-16", 0)], "attendees from 'Attendees'"),
    ("names with a comma, one row per meeting",
     "Date,Attendees\n2026-03-02,\"Lopez, Ana\"\n2026-03-09,\"Lopez, Ana; Okafor, Ben\"\n",
     [("2026-03-02", 1), ("2026-03-09", 2)], "'Attendees'"),
    ("a rejoin by phone under the same name",
     "Name (Original Name),User Email,Join Time\nAna,ana@x.com,03/02/2026 10:00:00 AM\nBen,ben@x.com,"
     "03/02/2026 10:01:00 AM\nAna,,03/02/2026 10:30:00 AM\n", [("2026-03-02", 2)], "'User Email'"),
    ("a wide roster with yes/no facts beside the people",
     "Date,Customer facing,On call,Ana Lopez,Ben Okafor\n2026-03-02,Yes,TRUE,TRUE,FALSE\n2026-03-09,No,FALSE,TRUE,TRUE\n",
     [("2026-03-02", 1), ("2026-03-09", 2)], "its 2 columns of people"),
    ("semicolons", "Date,Attendees\n2026-03-02,Ana Lopez; Ben Okafor; Cy Kim\n2026-03-09,Ana Lopez;Di Park\n",
     [("2026-03-02", 3), ("2026-03-09", 2)], "counting the distinct people listed in 'Attendees'"),
    ("commas, one row per meeting", "Date,Attendees\n2026-03-02,\"Ana Lopez, Ben Okafor, Cy Kim\"\n"
     "2026-03-09,\"Ana Lopez, Di Park\"\n", [("2026-03-02", 3), ("2026-03-09", 2)], "listed in 'Attendees'"),
    ("a headcount beside the names", "Date,Attendees,Headcount\n2026-03-02,\"Ana\nBen\nCy\",3\n2026-03-09,\"Ana\nDi\",2\n",
     [("2026-03-02", 3), ("2026-03-09", 2)], "attendees from 'Headcount'"),
    ("wide roster with other yes/no columns",
     "Date,Recorded?,Duration (h),Ana Lopez,Ben Okafor,Cy Kim\n2026-03-02,Yes,1,TRUE,FALSE,TRUE\n"
     "2026-03-09,No,1,TRUE,TRUE,TRUE\n2026-03-16,Yes,1,FALSE,FALSE,TRUE\n",
     [("2026-03-02", 2), ("2026-03-09", 3), ("2026-03-16", 1)], "its 3 columns of people"),
    ("a Zoom guest without an e-mail",
     "Name (Original Name),User Email,Join Time\nAna,ana@x.com,03/02/2026 10:00:00 AM\nBen,ben@x.com,"
     "03/02/2026 10:01:00 AM\nGuest Cy,,03/02/2026 10:02:00 AM\n", [("2026-03-02", 3)], "'User Email'"),
    ("two sessions on one day, said",
     "Date,Time,Attendee\n2026-03-02,10:00,Ana\n2026-03-02,10:00,Ben\n2026-03-02,15:00,Ana\n2026-03-02,15:00,Cy\n",
     [("2026-03-02", 3)], "1 day with people under two titles or times (first 2026-03-02) counted as one meeting"),
    ("a roster's no-show without a join time", "Email,Join Time,Attended\nana@x.com,03/02/2026 10:00:00 AM,Yes\n"
     "ben@x.com,--,No\ncy@x.com,03/02/2026 10:05:00 AM,Yes\n", [("2026-03-02", 2)], "rows marked present in 'Attended'"),
]


@pytest.mark.parametrize(("name", "content", "meetings", "said"), SECOND_ROUND, ids=[c[0] for c in SECOND_ROUND])
def test_the_second_fuzzing_round_counts_as_a_careful_reader(tmp_path: Path, capsys, name: str, content: str,
                                                             meetings: list, said: str) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text(content, encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(sheet)) == 0
    assert said in capsys.readouterr().out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT meeting_date::VARCHAR, attendees FROM meetings ORDER BY 1").fetchall() == meetings
        assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(0,)]
    for person in ("Ana", "Ben", "ana@x.com", "Guest Cy"):
        assert person not in every_stored_text(db)


@pytest.mark.parametrize(("content", "refusal"), [
    # small numbers on two rows per day: counts of parts of a meeting, or member ids? Not guessed.
    ("Date,Attendees\n2026-03-02,5\n2026-03-02,3\n2026-03-09,4\n2026-03-09,6\n",
     "column 'Attendees' holds numbers on 2.0 rows per meeting day"),
    # two all-hands sessions a day, or member ids: a count header on two rows a day is never guessed
    ("Date,Attendees\n2026-03-02,640\n2026-03-02,580\n2026-03-09,1001\n2026-03-09,1003\n",
     "several meetings a day (a Series column tells them apart)"),
    # a yes/no column too mixed to say who came
    ("Date,Name,Attended\n2026-03-02,Ana,Yes\n2026-03-02,Ben,partly\n2026-03-02,Cy,online-ish\n"
     "2026-03-02,Di,Yes\n2026-03-02,Ed,sort of\n", "holds yes/no in only 40% of its filled cells"),
    ("Date,Attendees\n", "no rows below the header: no meeting to load"),
])
def test_what_cannot_be_told_is_refused_with_the_fix(tmp_path: Path, capsys, content: str, refusal: str) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text(content, encoding="utf-8")
    assert ingest(tmp_path / "r.duckdb", "--attendance", str(sheet)) != 0
    assert refusal in capsys.readouterr().err


@pytest.mark.parametrize(("content", "withheld"), [
    ("Date,Headcount\n2026-03-02,12\n2026-03-09,14 (Ana Lopez out)\n", "Ana Lopez"),
    ("Date,Attendees\n2026-03-02,12\n2026-03-09 (Ana Lopez chairing),14\n", "Ana Lopez"),
    ("Date,Name,Attended\n2026-03-02,Ana,Yes\n2026-03-02,Ben,Yes\n2026-03-02,Cy,left 10:30 with Di Park\n", "Di Park"),
])
def test_a_rejected_cell_with_words_besides_a_date_or_count_is_withheld(tmp_path: Path, content: str,
                                                                         withheld: str) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text(content, encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert ingest(db, "--attendance", str(sheet)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        (raw,), = con.execute("SELECT raw FROM rejects").fetchall()
    assert "(not kept: text that may name people)" in raw and withheld not in every_stored_text(db)


def test_a_calendar_kind_holding_an_address_is_rejected_and_withheld(tmp_path: Path) -> None:
    calendar = tmp_path / "calendar.csv"
    calendar.write_text("Date,Kind\n2026-03-02,launch\n2026-03-09,ana@acme.com ooo\n", encoding="utf-8")
    db = tmp_path / "c.duckdb"
    assert ingest(db, "--calendar", str(calendar)) == 0
    assert "ana@acme.com" not in every_stored_text(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT week_start::VARCHAR, kind FROM busy_weeks").fetchall() == [("2026-03-02", "launch")]


@pytest.mark.parametrize(("cells", "mondays"), [
    # day/month settled by the second end of a range (16 cannot be a month)
    (["02/03/2026 - 06/03/2026", "09/03/2026 - 13/03/2026", "16/03/2026 - 20/03/2026"],
     ["2026-03-02", "2026-03-09", "2026-03-16"]),
])
def test_a_calendar_of_ranges_settles_the_date_order_from_either_end(tmp_path: Path, cells: list[str],
                                                                    mondays: list[str]) -> None:
    calendar = tmp_path / "calendar.csv"
    calendar.write_text("Week,Kind\n" + "".join(f"{c},launch\n" for c in cells), encoding="utf-8")
    db = tmp_path / "c.duckdb"
    assert ingest(db, "--calendar", str(calendar)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert [w for (w,) in con.execute("SELECT week_start::VARCHAR FROM busy_weeks ORDER BY 1").fetchall()] == mondays


@pytest.mark.parametrize(("text", "day"), [
    ("3/4/26 2000", "2026-03-04"), ("04-Mar-26 1930", "2026-03-04"),  # two-digit year, then a 24-hour time
    ("Mar 4, 2026 10:00 AM - Mar 4, 2026 11:00 AM", "2026-03-04"),  # a meeting's times on one day
    ("2 - 6 March", None), ("Mar 9 - 13", None),  # a range with no year: 2002 and 2013 before
    ("Mar 16 20 2026", None),
])
def test_dates_with_more_numbers_than_one_date(text: str, day: str | None) -> None:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from pipeline.parse.times import TimeError, TimeParser, parse_date

    parser = TimeParser(ZoneInfo("UTC"), False, datetime(2026, 12, 1, tzinfo=timezone.utc))
    if day is None:
        with pytest.raises(TimeError):
            parse_date(text, parser)
    else:
        assert parse_date(text, parser).isoformat() == day


def test_a_javascript_date_with_a_long_zone_name_is_read() -> None:
    """Apps Script writes Date.toString(): the zone's name after the offset made the cell longer than the cap."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from pipeline.parse.times import TimeParser

    parser = TimeParser(ZoneInfo("UTC"), False, datetime(2026, 12, 1, tzinfo=timezone.utc))
    utc, _local = parser.parse("Wed Mar 04 2026 16:05:33 GMT+0100 (Central European Standard Time)")
    assert utc == datetime(2026, 3, 4, 15, 5, 33)


def test_a_free_text_series_in_an_attendance_file_names_a_fix_it_has(tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text("Date,Attendees,Series\n" + "".join(f"2026-03-{d:02d},12,{'x' * 90}\n" for d in (2, 9)),
                     encoding="utf-8")
    assert ingest(tmp_path / "s.duckdb", "--attendance", str(sheet)) != 0
    err = capsys.readouterr().err
    assert "rename that column" in err and "series_column" not in err
