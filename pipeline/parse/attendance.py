"""Attendance: meetings and how many attended, from a per-meeting or a per-attendee table."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import partial

from core.settings import Settings, normalise_header
from pipeline.errors import SourceFileError
from pipeline.parse.cells import cell_string, check_series_column, raw_row, series_of
from pipeline.parse.columns import HEADER_SEARCH_ROWS, SERIES_HEADERS, below_title_rows, find_header
from pipeline.parse.feedback import clean_feedback
from pipeline.parse.keys import KeyMaker, make_reject
from pipeline.parse.times import TimeError, TimeParser, dayfirst_decision, parse_date
from pipeline.records import Meeting, ParsedAttendance
from pipeline.sources.files import RawTable, promote_header
from pipeline.tools import GENERIC_TIME_HEADERS

DATE_HEADERS = ("date", "meeting date", "review date", "session date", "day", "when", "meeting day", "held on",
                "date of meeting", "week", "week of", "timestamp", "time")
COUNT_HEADERS = (
    "attendees", "attendance", "attendee count", "headcount", "head count", "count",
    "number of attendees", "no of attendees", "num attendees", "participants count", "people", "attended",
    "participant count", "total attendees", "total", "present",
)
PERSON_HEADERS = ("attendee", "person", "name", "email", "attendee email", "attendee name", "participant", "user", "member", "who", "participants",
                  "ユーザーメール")  # Zoom's Japanese report: "User Email"
# Headers of a meeting tool's one-row meeting summary above its participant table (Zoom's meeting report).
MEETING_SUMMARY_HEADERS = ("meeting id", "topic", "meeting title")
# A meeting tool's per-person join time (Zoom "Join Time", Teams "First join", Zoom's Japanese 参加時刻).
JOIN_TIME_HEADERS = ("join time", "first join", "meeting start time", "start time", "参加時刻")
TITLE_HEADERS = ("title", "incident", "meeting", "topic", "incident title", "subject", "review", "meeting title", "incident reviewed",
                 "meeting name")
# A roster's column saying whether each person came ("Attended: Yes/No", "Present: x"), when its cells are flags.
PRESENCE_HEADERS = ("attended", "present", "attendance", "joined", "was present", "in attendance")


def parse_attendance(
    table: RawTable, settings: Settings, series: str | None = None, now: datetime | None = None
) -> ParsedAttendance:
    """Detect the layout from the header (or a header below title rows) and count each meeting.

    A meeting tool's report may open with a meeting summary (Zoom's meeting report: "Meeting ID, Topic, Start
    Time, …, Participants") above its table of participants, and may hold more numbered sections after it
    (Teams: "1. Summary", "2. Participants", "3. In-Meeting activities"): the participant table is read, from
    its header to the next section."""
    where = ""
    index = _participant_header_row(table)
    if index is not None:
        where = f"the participant table on line {table.line_numbers[index]}"
        table = promote_header(table, index)
    table, section = _first_section(table)
    if section:
        where += (", " if where else "") + f"up to the next section on line {section}"
    parsed = below_title_rows(table, lambda t: _parse_attendance(t, settings, series, now))
    if where:
        parsed.reading = f"{parsed.reading} ({where})"  # type: ignore[union-attr]
    return parsed  # type: ignore[return-value]


def _participant_header_row(table: RawTable) -> int | None:
    """The row (below the header) that heads a table of participants: a join-time header and a person header
    (Zoom's "Name (Original Name), User Email, Join Time…" under its meeting summary). None when the header
    itself heads one, or no row near the top does."""
    def heads_participants(cells: list[object]) -> bool:
        headers = [cell_string(c) for c in cells]
        return find_header(headers, JOIN_TIME_HEADERS, set()) is not None and _person_column(headers, set()) is not None

    # A header that heads participants itself is the table, unless it names a meeting (Zoom's summary: "Meeting
    # ID, Topic, Start Time, End Time, User Email…"); a repeated header lower down (two exports pasted one
    # under the other) is then a row of the same table, never a reason to drop the rows above it.
    if heads_participants(table.header) and find_header(table.header, MEETING_SUMMARY_HEADERS, set()) is None:
        return None
    for index, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        if heads_participants(row):
            return index
    return None


_SECTION_TITLE = re.compile(r"\d{1,2}\.\s+\S")


def _first_section(table: RawTable) -> tuple[RawTable, int | None]:
    """The rows up to the first numbered section title below the header ("3. In-Meeting activities", alone on its
    row), and that title's line (None: no such row)."""
    for index, row in enumerate(table.rows):
        filled = [c for c in row if cell_string(c).strip()]
        if len(filled) == 1 and _SECTION_TITLE.match(cell_string(filled[0]).strip()[:80]):
            return RawTable(table.source, table.header, table.rows[:index], table.line_numbers[:index]), \
                table.line_numbers[index]
    return table, None


def _parse_attendance(
    table: RawTable, settings: Settings, series: str | None, now: datetime | None
) -> ParsedAttendance:
    default_series = series or settings.default_series
    taken: set[int] = set()
    date_col = find_header(table.header, DATE_HEADERS, taken)
    if date_col is None:
        # Exact names only (Zoom's and Teams' reports write "Join Time"/"Start time"/"First join").
        date_col = find_header(table.header, (*JOIN_TIME_HEADERS, *GENERIC_TIME_HEADERS), taken)
    if date_col is None:
        raise SourceFileError(table.source, "no meeting date column (expected a header such as 'Date')")
    taken.add(date_col)
    series_col = find_header(table.header, SERIES_HEADERS, taken)
    if series_col is not None:
        taken.add(series_col)
    check_series_column(table, series_col, settings)  # free text as the series is refused, as for surveys
    count_col = find_header(table.header, COUNT_HEADERS, taken)
    person_col = presence_col = None
    if count_col is not None and _presence_flags(table, count_col):
        presence_col, count_col = count_col, None  # "Attended: Yes/No" on a roster: a flag per person, not a count
    elif count_col is not None and _lists_people(table, count_col):
        person_col, count_col = count_col, None  # "Attendees" listing people, one per row
    if count_col is None and person_col is None:
        person_col = _person_column(table.header, taken | {i for i in (presence_col,) if i is not None})
        if person_col is not None and presence_col is None and _holds_counts(table, person_col, date_col, series_col):
            count_col, person_col = person_col, None  # "Participants: 12", one row per meeting: a count
    if person_col is not None and presence_col is None:
        presence_col = find_header(table.header, PRESENCE_HEADERS, taken | {person_col})
        if presence_col is not None and not _presence_flags(table, presence_col):
            presence_col = None
    title_col = find_header(table.header, TITLE_HEADERS, taken | {i for i in (count_col, person_col, presence_col)
                                                                   if i is not None})
    roster_cols: list[int] = []
    if count_col is None and person_col is None and presence_col is None:
        # One column per person, one row per meeting, a flag in each cell: count the flags marked present.
        roster_cols = [i for i in range(len(table.header)) if i not in taken and i != title_col
                       and _presence_flags(table, i)]
        if len(roster_cols) < 2:
            roster_cols = []
    if count_col is None and person_col is None and not roster_cols:
        raise SourceFileError(
            table.source,
            f"column {table.header[presence_col]!r} says who attended (yes/no) but no attendee column was found; "
            "name the people column 'Attendee' or 'Name'" if presence_col is not None else
            "no attendee count column ('Attendees') and no attendee column ('Attendee') found",
        )
    taken.update(i for i in (count_col, person_col, presence_col, *roster_cols) if i is not None)
    title_col = find_header(table.header, TITLE_HEADERS, taken)
    # Only the mapped columns are kept in a reject; the person column never reaches the database.
    keep = sorted(i for i in (date_col, count_col, title_col, series_col, presence_col) if i is not None)
    dayfirst, guessed = dayfirst_decision(settings, [r[date_col] for r in table.rows if date_col < len(r)], table.source)
    dates = TimeParser(settings.tz, dayfirst, now)
    reject_keys = KeyMaker("a")
    layout = "per-meeting" if count_col is not None or roster_cols else "per-attendee"
    result = ParsedAttendance(table.source, layout, date_order_guessed=guessed,
                              reading=_reading(table.header, count_col, person_col, presence_col, len(roster_cols)))

    def cell(row: list[object], index: int | None) -> object:
        return row[index] if index is not None and index < len(row) else None

    by_meeting: dict[tuple[str, date], dict] = {}
    for row, line in zip(table.rows, table.line_numbers):
        series_name = series_of(row, series_col, default_series)
        raw = partial(raw_row, table.header, row, keep, {i: _without_people for i in (date_col, count_col, presence_col)
                                                         if i is not None})  # built only for a reject
        try:
            meeting_date = parse_date(cell(row, date_col), dates)
        except TimeError as exc:
            result.rejects.append(make_reject(reject_keys, table.source, line, f"bad date: {exc}", raw(), series_name))
            continue
        title = clean_feedback(cell(row, title_col))
        slot = (series_name, meeting_date)
        if count_col is not None or roster_cols:
            try:
                attendees = _parse_count(cell(row, count_col)) if count_col is not None else _marked_present(
                    [cell(row, i) for i in roster_cols])
            except ValueError as exc:
                result.rejects.append(make_reject(reject_keys, table.source, line, str(exc), raw(), series_name))
                continue
            if slot in by_meeting:
                earlier = by_meeting[slot]
                result.rejects.append(make_reject(
                    reject_keys, table.source, earlier["line"],
                    f"meeting listed again on line {line} (same date and series); the later row was used",
                    earlier["raw"](), series_name))
            by_meeting[slot] = {"attendees": attendees, "title": title, "line": line, "raw": raw}
        else:
            if presence_col is not None:
                came = _came(cell(row, presence_col))
                if came is None:
                    result.rejects.append(make_reject(
                        reject_keys, table.source, line,
                        f"{table.header[presence_col]!r}: neither yes nor no (write Yes, No, x or leave it blank)",
                        raw(), series_name))
                    continue
                if not came:
                    continue  # on the roster, not at the meeting
            person = normalise_header(cell_string(cell(row, person_col)))
            if not person:
                result.rejects.append(make_reject(reject_keys, table.source, line, "no attendee on this row", raw(), series_name))
                continue
            meeting = by_meeting.setdefault(slot, {"people": set(), "title": None, "line": line, "raw": raw})
            meeting["people"].add(person)
            meeting["title"] = meeting["title"] or title
    for (series_name, meeting_date), meeting in sorted(by_meeting.items()):
        attendees = meeting["attendees"] if "attendees" in meeting else len(meeting["people"])
        result.meetings.append(
            Meeting(series_name, meeting_date, attendees, meeting["title"], table.source, meeting["line"])
        )
    return result


_STANDALONE_NUMBER = re.compile(r"(?<![^\W_])\d+(?![^\W_])")


def _lists_people(table: RawTable, column: int) -> bool:
    """A count column whose cells are mostly names, emails or member ids, not numbers.

    Such a column is a per-attendee list; reading it as counts would reject every
    row and copy the names into the rejects. "12 people" or "~15" are still counts.
    """
    sample = [cell_string(row[column]).strip() for row in table.rows[:200] if column < len(row)]
    sample = [value for value in sample if value]
    sample = [value for value in sample if value.casefold() not in PLACEHOLDERS]  # "n/a", "cancelled": nobody
    people = 0
    for value in sample:
        try:
            _parse_count(value)
        except ValueError:
            people += not _STANDALONE_NUMBER.search(value)
    return bool(sample) and people / len(sample) >= 0.5


# What a sheet holds where a count or a name would be when there was none: not a person (a column of mostly
# these and numbers is a count column), and not a count (its row is rejected with the reason).
PLACEHOLDERS = frozenset({"n/a", "na", "n.a.", "tbd", "tba", "tbc", "none", "nil", "-", "--", "—", "–", "?", "cancelled",
                          "canceled", "skipped", "no meeting", "postponed", "holiday", "not held", "no review"})
# A roster's presence flags, as typed (case-folded; a blank cell is "no").
PRESENT = frozenset({"yes", "y", "true", "x", "present", "attended", "here", "1", "✓", "✔", "✔️", "✅", "☑", "☑️"})
ABSENT = frozenset({"no", "n", "false", "absent", "0", "-", "✗", "✘", "❌", "not present", "did not attend"})


def _flag_text(value: object) -> str:
    return cell_string(value).strip().casefold()[:40]


def _came(value: object) -> bool | None:
    """A presence cell: True (came), False (did not, or blank), None (neither: the row is rejected)."""
    text = _flag_text(value)
    return True if text in PRESENT else False if not text or text in ABSENT else None


def _presence_flags(table: RawTable, column: int) -> bool:
    """A column whose filled cells are (nearly all) yes/no flags: a roster's "Attended" or "Present", not a count.
    Nothing but 0 and 1 is a flag too: no meeting is counted as 0 or 1 people week after week."""
    sample = [_flag_text(row[column]) for row in table.rows[:200] if column < len(row)]
    sample = [value for value in sample if value]
    flags = sum(value in PRESENT or value in ABSENT for value in sample)
    return bool(sample) and flags / len(sample) >= 0.9


def _holds_counts(table: RawTable, column: int, date_col: int, series_col: int | None) -> bool:
    """A person-named column ("Participants") that holds one number per meeting: a count column. Numbers on rows
    that repeat a meeting's date are member ids on a roster, so the dates (and series) must not repeat."""
    rows = [row for row in table.rows[:200] if column < len(row) and cell_string(row[column]).strip()]
    counts = 0
    for row in rows:
        try:
            _parse_count(row[column])
            counts += 1
        except ValueError:
            counts += _flag_text(row[column]) in PLACEHOLDERS
    slots = [(cell_string(row[date_col]).strip(), cell_string(row[series_col]).strip() if series_col is not None
              and series_col < len(row) else "") for row in rows if date_col < len(row)]
    return bool(rows) and counts / len(rows) >= 0.9 and len(set(slots)) == len(slots)


def _marked_present(cells: list[object]) -> int:
    """A wide roster's row: how many of its people's cells say they came (a cell neither yes nor no: a reject)."""
    came = [_came(value) for value in cells]
    if None in came:
        raise ValueError("a person's cell is neither yes nor no (write TRUE/FALSE, Yes/No, x or leave it blank)")
    return sum(bool(c) for c in came)


def _reading(header: list[str], count_col: int | None, person_col: int | None, presence_col: int | None,
             roster_columns: int = 0) -> str:
    """How the file was read, for the run summary: the column counted and how (never a person's name: a wide
    roster's headers are people)."""
    if count_col is not None:
        return f"one row per meeting, attendees from {header[count_col]!r}"
    if roster_columns:
        return f"one row per meeting, attendees = the cells marked present in its {roster_columns} columns of people"
    rows = f", rows marked present in {header[presence_col]!r}" if presence_col is not None else ""
    return f"one row per attendee, counting the distinct people in {header[person_col]!r}{rows}"  # type: ignore[index]


_PERSON_WORDS = ("email", "attendee", "participant", "name", "user", "person", "名前")
# A header with one of these words names the meeting or its series, not a person ("Meeting name", "Series name").
_NOT_PERSON_WORDS = frozenset({"meeting", "incident", "review", "topic", "title", "series", "team", "subject", "event",
                               "session", "channel", "project", "service", "file", "room"})
WITHHELD = "(not kept: text that may name people)"


def _without_people(text: str) -> str:
    """A rejected date or count cell as typed when it could be one ("13/13/2026", "12.5"); else withheld. A
    count cell may list who came ("Ana Lopez; ana@x.com"), a note row may name someone: no digit, or an @,
    and the cell is not stored, not even in a reject."""
    return text if any(c.isdigit() for c in text) and "@" not in text else WITHHELD


def _person_column(headers: list[str], taken: set[int]) -> int | None:
    """An exact attendee header, else one that mentions a person (Zoom's "User Email",
    "Name (Original Name)"): e-mail columns first, as they are the most distinct."""
    exact = find_header(headers, PERSON_HEADERS, taken)
    if exact is not None:
        return exact
    for word in _PERSON_WORDS:
        for index, header in enumerate(headers):
            words = normalise_header(header).split()
            if index not in taken and word in words and not _NOT_PERSON_WORDS.intersection(words):
                return index
    return None


# "\s*(?:\+\s*)?", not "\s*\+?\s*": two adjacent \s* would try every split of a run of spaces.
_COUNT_WITH_WORDS = re.compile(r"^(?:~|ca\.?|about|approx\.?)?\s*(\d+)\s*(?:\+\s*)?(?:people|persons|attendees|ppl)?$", re.I)


def _parse_count(value: object) -> int:
    text = cell_string(value).strip()
    if not text:
        raise ValueError("no attendee count")
    if text.casefold() in PLACEHOLDERS:
        raise ValueError("attendee count: a placeholder, not a number (a meeting not held can be left out of the file)")
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        match = _COUNT_WITH_WORDS.match(text)  # "12 people", "~15", "15+": what people type in sheets
        if match is None:
            raise ValueError("attendee count: text where a number was expected") from None
        number = float(match.group(1))
    if not number.is_integer() or number < 0:
        raise ValueError("attendee count: not a whole number of people")
    if number > 100_000:
        raise ValueError("attendee count: implausibly large (over 100,000)")
    return int(number)
