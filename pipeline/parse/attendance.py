"""Attendance: meetings and how many attended, from a per-meeting or a per-attendee table."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import partial

from core.settings import Settings, normalise_header
from pipeline.errors import SourceFileError
from pipeline.parse.cells import cell_string, raw_row, series_of
from pipeline.parse.columns import SERIES_HEADERS, below_title_rows, find_header
from pipeline.parse.feedback import clean_feedback
from pipeline.parse.keys import KeyMaker, make_reject
from pipeline.parse.times import TimeError, TimeParser, dayfirst_decision, parse_date
from pipeline.records import Meeting, ParsedAttendance
from pipeline.sources.files import RawTable
from pipeline.tools import GENERIC_TIME_HEADERS

DATE_HEADERS = ("date", "meeting date", "review date", "session date", "day", "when", "meeting day", "held on",
                "date of meeting", "week", "week of", "timestamp", "time")
COUNT_HEADERS = (
    "attendees", "attendance", "attendee count", "headcount", "head count", "count",
    "number of attendees", "no of attendees", "num attendees", "participants count", "people", "attended",
    "participant count", "total attendees", "total",
)
PERSON_HEADERS = ("attendee", "person", "name", "email", "attendee email", "attendee name", "participant", "user", "member", "who", "participants")
TITLE_HEADERS = ("title", "incident", "meeting", "topic", "incident title", "subject", "review", "meeting title", "incident reviewed")


def parse_attendance(
    table: RawTable, settings: Settings, series: str | None = None, now: datetime | None = None
) -> ParsedAttendance:
    """Detect the layout from the header (or a header below title rows) and count each meeting."""
    return below_title_rows(table, lambda t: _parse_attendance(t, settings, series, now))  # type: ignore[return-value]


def _parse_attendance(
    table: RawTable, settings: Settings, series: str | None, now: datetime | None
) -> ParsedAttendance:
    default_series = series or settings.default_series
    taken: set[int] = set()
    date_col = find_header(table.header, DATE_HEADERS, taken)
    if date_col is None:
        # Exact names only (Zoom's and Teams' reports write "Join Time"/"Start time").
        date_col = find_header(table.header, ("join time", "meeting start time", "start time", *GENERIC_TIME_HEADERS), taken)
    if date_col is None:
        raise SourceFileError(table.source, "no meeting date column (expected a header such as 'Date')")
    taken.add(date_col)
    series_col = find_header(table.header, SERIES_HEADERS, taken)
    if series_col is not None:
        taken.add(series_col)
    count_col = find_header(table.header, COUNT_HEADERS, taken)
    if count_col is not None and _lists_people(table, count_col):
        person_col, count_col = count_col, None  # "Attendees" listing people, one per row
    else:
        person_col = None if count_col is not None else _person_column(table.header, taken)
    if count_col is None and person_col is None:
        raise SourceFileError(
            table.source,
            "no attendee count column ('Attendees') and no attendee column ('Attendee') found",
        )
    taken.add(count_col if count_col is not None else person_col)  # type: ignore[arg-type]
    title_col = find_header(table.header, TITLE_HEADERS, taken)
    # Only the mapped columns are kept in a reject; the person column never reaches the database.
    keep = sorted(i for i in (date_col, count_col, title_col, series_col) if i is not None)
    dayfirst, guessed = dayfirst_decision(settings, [r[date_col] for r in table.rows if date_col < len(r)], table.source)
    dates = TimeParser(settings.tz, dayfirst, now)
    reject_keys = KeyMaker("a")
    layout = "per-meeting" if count_col is not None else "per-attendee"
    result = ParsedAttendance(table.source, layout, date_order_guessed=guessed)

    def cell(row: list[object], index: int | None) -> object:
        return row[index] if index is not None and index < len(row) else None

    by_meeting: dict[tuple[str, date], dict] = {}
    for row, line in zip(table.rows, table.line_numbers):
        series_name = series_of(row, series_col, default_series)
        raw = partial(raw_row, table.header, row, keep, {i: _without_people for i in (date_col, count_col)
                                                         if i is not None})  # built only for a reject
        try:
            meeting_date = parse_date(cell(row, date_col), dates)
        except TimeError as exc:
            result.rejects.append(make_reject(reject_keys, table.source, line, f"bad date: {exc}", raw(), series_name))
            continue
        title = clean_feedback(cell(row, title_col))
        slot = (series_name, meeting_date)
        if count_col is not None:
            try:
                attendees = _parse_count(cell(row, count_col))
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
    people = 0
    for value in sample:
        try:
            _parse_count(value)
        except ValueError:
            people += not _STANDALONE_NUMBER.search(value)
    return bool(sample) and people / len(sample) >= 0.5


_PERSON_WORDS = ("email", "attendee", "participant", "name", "user", "person")
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
            if index not in taken and word in normalise_header(header).split():
                return index
    return None


# "\s*(?:\+\s*)?", not "\s*\+?\s*": two adjacent \s* would try every split of a run of spaces.
_COUNT_WITH_WORDS = re.compile(r"^(?:~|ca\.?|about|approx\.?)?\s*(\d+)\s*(?:\+\s*)?(?:people|persons|attendees|ppl)?$", re.I)


def _parse_count(value: object) -> int:
    text = cell_string(value).strip()
    if not text:
        raise ValueError("no attendee count")
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
