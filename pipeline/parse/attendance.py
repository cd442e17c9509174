"""Attendance: meetings and how many attended, from a per-meeting or a per-attendee table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from core.settings import Settings, normalise_header
from core.words import count_text
from pipeline.errors import SourceFileError
from pipeline.parse.cells import cell_string, raw_row, series_of
from pipeline.parse.columns import HEADER_SEARCH_ROWS, SERIES_HEADERS, below_title_rows, check_series_column, find_header
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
PRESENCE_HEADERS = ("attended", "present", "attendance", "joined", "was present", "in attendance", "status", "came",
                    "attending", "attendance status", "here")
# A per-person sheet's session time: two times on one day are two sessions, counted as one meeting (said).
SESSION_HEADERS = ("time", "start", "start time", "session", "slot")


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


_SECTION_TITLE = re.compile(r"\d{1,2}\.\s+[^\W\d_]")  # "3. In-Meeting activities", not a date "11. 3. 2026"


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
    if not table.rows:
        raise SourceFileError(table.source, "no rows below the header: no meeting to load")
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
    check_series_column(table, series_col, settings, "series header is free text")  # refused, as for surveys
    # The date order and the meeting days first: whether rows share a meeting day tells a count per meeting
    # from a member id per person, and a list of people in one cell from a name with a comma.
    dayfirst, guessed = dayfirst_decision(settings, [r[date_col] for r in table.rows if date_col < len(r)], table.source)
    dates = TimeParser(settings.tz, dayfirst, now)
    roles = _column_roles(table, taken, _rows_per_meeting(table, date_col, series_col, default_series, dates))
    count_col, person_cols, presence_col, roster_cols = roles.count, roles.people, roles.presence, roles.roster
    person_col = person_cols[0] if person_cols else None
    taken.update(i for i in (count_col, presence_col, *person_cols, *roster_cols) if i is not None)
    title_col = find_header(table.header, TITLE_HEADERS, taken)
    session_col = find_header(table.header, SESSION_HEADERS, taken | {title_col}) if person_cols else None
    # Only the mapped columns are kept in a reject; the person columns never reach the database.
    keep = sorted(i for i in (date_col, count_col, title_col, series_col, presence_col) if i is not None)
    reject_keys = KeyMaker("a")
    layout = "per-meeting" if count_col is not None or roster_cols else "per-attendee"
    result = ParsedAttendance(table.source, layout, date_order_guessed=guessed,
                              reading=_reading(table.header, count_col, person_col, presence_col, len(roster_cols),
                                               roles.lists))

    def cell(row: list[object], index: int | None) -> object:
        return row[index] if index is not None and index < len(row) else None

    by_meeting: dict[tuple[str, date], dict] = {}
    titles: dict[tuple[str, date], set[tuple[str, str]]] = {}  # per meeting day: its (title, session time)s
    for row, line in zip(table.rows, table.line_numbers):
        series_name = series_of(row, series_col, default_series)
        raw = partial(raw_row, table.header, row, keep, {i: _without_people for i in (date_col, count_col, presence_col)
                                                         if i is not None})  # built only for a reject
        came: bool | None = True
        if presence_col is not None:
            came = _came(cell(row, presence_col))
            if came is False:
                continue  # on the roster, not at the meeting (a webinar's no-show has no join time either)
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
            if came is None:
                result.rejects.append(make_reject(
                    reject_keys, table.source, line,
                    f"{table.header[presence_col]!r}: neither yes nor no (write Yes, No, x or leave it blank)",  # type: ignore[index]
                    raw(), series_name))
                continue
            # The first person column (e-mail first) names the person; the next with a cell stands in when it is
            # blank (a Zoom guest, or a rejoin by phone, has a name and no e-mail).
            primary = cell_string(cell(row, person_cols[0])).strip()
            other = next((t for t in (cell_string(cell(row, i)).strip() for i in person_cols[1:]) if t), "")
            names = [n for n in (normalise_header(p) for p in _people_in(primary or other, roles.lists))
                     if n and n not in PLACEHOLDERS and n not in PRESENT and n not in ABSENT]
            if not names:
                result.rejects.append(make_reject(reject_keys, table.source, line, "no attendee on this row", raw(), series_name))
                continue
            if not roles.ids and all(n.isdigit() for n in names):
                result.rejects.append(make_reject(reject_keys, table.source, line, "a number where a person was "
                                                  "expected; a count goes in a column of its own ('Attendees')",
                                                  raw(), series_name))
                continue
            meeting = by_meeting.setdefault(slot, {"people": set(), "stand_ins": set(), "named": set(), "title": None,
                                                   "line": line, "raw": raw})
            if primary:
                meeting["people"].update(names)
                meeting["named"].add(normalise_header(other))
            else:
                meeting["stand_ins"].update(names)
            meeting["title"] = meeting["title"] or title
            session = (title or "", cell_string(cell(row, session_col)).strip()[:40])
            if any(session):
                titles.setdefault(slot, set()).add(session)
    for (series_name, meeting_date), meeting in sorted(by_meeting.items()):
        # A stand-in name that also came with an e-mail that day is the same person (a rejoin by phone).
        attendees = meeting["attendees"] if "attendees" in meeting else len(meeting["people"]) + len(
            meeting["stand_ins"] - meeting["named"])
        result.meetings.append(
            Meeting(series_name, meeting_date, attendees, meeting["title"], table.source, meeting["line"])
        )
    merged = sorted(day for day, named in titles.items() if len(named) > 1)
    if merged:  # one meeting per series and day is what is stored: said, not done quietly
        result.reading += (f"; {count_text(len(merged), 'day')} with people under two titles or times (first "
                           f"{merged[0][1]:%Y-%m-%d}) counted as one meeting of distinct people")
    return result


_STANDALONE_NUMBER = re.compile(r"(?<![^\W_])\d+(?![^\W_])")


def _lists_people(table: RawTable, column: int) -> bool:
    """A count column whose cells are mostly names, emails or member ids, not numbers.

    Such a column is a per-attendee list; reading it as counts would reject every
    row and copy the names into the rejects. "12 people" or "~15" are still counts.
    """
    sample = [value for value in _filled(table, column) if value.casefold() not in PLACEHOLDERS | PRESENT | ABSENT]
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
PRESENT = frozenset({"yes", "y", "true", "x", "present", "attended", "here", "1", "✓", "✔", "✔️", "✅", "☑", "☑️",
                     "late", "attended late", "joined late", "left early", "remote", "online", "virtual", "in person"})
ABSENT = frozenset({"no", "n", "false", "absent", "0", "-", "✗", "✘", "❌", "not present", "did not attend", "not attended",
                    "excused", "apologies", "apology", "sick", "ooo", "out of office", "on leave", "leave", "pto",
                    "declined", "no show", "no-show", "away"})
# A column is a roster's flags when this share of its filled cells are flags; the rest are rejects with the fix.
FLAG_SHARE = 0.6
SAMPLE_ROWS = 200


def _flag_text(value: object) -> str:
    return cell_string(value).strip().casefold()[:40]


def _came(value: object) -> bool | None:
    """A presence cell: True (came), False (did not, or blank), None (neither: the row is rejected)."""
    text = _flag_text(value)
    return True if text in PRESENT else False if not text or text in ABSENT else None


def _filled(table: RawTable, column: int) -> list[str]:
    """The column's filled cells among the first SAMPLE_ROWS rows, as typed (stripped)."""
    cells = (cell_string(row[column]).strip() for row in table.rows[:SAMPLE_ROWS] if column < len(row))
    return [text for text in cells if text]


def _presence_flags(table: RawTable, column: int) -> bool:
    """A column whose filled cells are mostly (FLAG_SHARE) yes/no flags: a roster's "Attended" or "Present", not a
    count or a name ("Late", "Excused" are flags too; a cell that is none is a reject naming the fix). Nothing but
    0 and 1 is a flag too: no meeting is counted as 0 or 1 people week after week."""
    sample = _flag_sample(table, column)
    if sum(value.isdigit() and int(value) > 1 for value in sample) > 0.1 * len(sample):
        return False  # numbers past 1 are counts ("Present: 12"), not flags (one typo, "11", is a reject)
    flags = sum(value in PRESENT or value in ABSENT for value in sample)
    return bool(sample) and flags / len(sample) >= FLAG_SHARE and any(v not in ("0", "1") for v in sample) or (
        bool(sample) and set(sample) <= {"0", "1"})


def _counts_share(table: RawTable, column: int) -> float:
    """The share of the column's filled cells (placeholders aside) that are attendee counts."""
    sample = [text for text in _filled(table, column) if text.casefold() not in PLACEHOLDERS]
    if not sample:
        return 0.0
    counts = 0
    for text in sample:
        try:
            _parse_count(text)
            counts += 1
        except ValueError:
            pass
    return counts / len(sample)


# One row per meeting when the rows per meeting day are at most this; one row per person from ROSTER_ROWS.
ONE_ROW_PER_MEETING = 1.25
ROSTER_ROWS = 2.0


def _rows_per_meeting(table: RawTable, date_col: int, series_col: int | None, default_series: str,
                      dates: TimeParser) -> float:
    """Rows per meeting day (series and day) among the first SAMPLE_ROWS rows with a date: about 1 for a sheet
    of one row per meeting, 2 or more for a roster of one row per person."""
    days = []
    for row in table.rows[:SAMPLE_ROWS]:
        try:
            days.append((series_of(row, series_col, default_series), parse_date(row[date_col] if date_col < len(row)
                                                                                 else None, dates)))
        except TimeError:
            continue
    return len(days) / len(set(days)) if days else 1.0


@dataclass(frozen=True)
class _Roles:
    count: int | None = None  # one count per meeting
    people: tuple[int, ...] = ()  # the person columns, the one to read first first
    presence: int | None = None  # a roster's yes/no column
    roster: tuple[int, ...] = ()  # a column per person, a flag per meeting
    lists: bool = False  # a person cell may list several people, commas included (one row per meeting)
    ids: bool = False  # the first person column holds member ids (numbers are people there, not a typo)


def _column_roles(table: RawTable, taken: set[int], rows_per_meeting: float) -> _Roles:
    """Which column counts the attendees, and how, from headers and cells together (README "Attendance").

    A yes/no column (by a count or presence header, its cells mostly flags) makes a roster of the person columns.
    Numbers under a count header (or a plural one, "Participants") are a count per meeting when meeting days have
    fewer than two rows each; with more, they are refused (several meetings a day, or member ids?). Numbers under a
    person's header ("Attendee", "Member") are member ids. Otherwise the person columns (e-mail first), or else a
    column of flags per person (a wide roster)."""
    header = table.header
    free = [i for i in range(len(header)) if i not in taken]
    count_named = [i for i in free if normalise_header(header[i]) in COUNT_HEADERS]
    presence_named = [i for i in free if normalise_header(header[i]) in PRESENCE_HEADERS and i not in count_named]
    # Only 0s and 1s are flags under a presence header ("Present: 1"); under "Attendees" they are counts (a 1:1).
    presence = next((i for i in (*count_named, *presence_named) if _presence_flags(table, i) and (
        normalise_header(header[i]) in PRESENCE_HEADERS or not set(_filled(table, i)) <= {"0", "1"})), None)
    person_named = _person_columns(header, taken | {presence} if presence is not None else taken)
    if presence is not None:
        # The people: a person header's column, or a count header's that lists names ("Attendees: Ana Lopez").
        person_named += [i for i in count_named if i != presence and i not in person_named and _lists_people(table, i)]
        if not person_named:
            raise SourceFileError(table.source, f"column {header[presence]!r} says who attended (yes/no) but no "
                                                "attendee column was found; name the people column 'Attendee' or 'Name'")
        return _Roles(people=tuple(person_named), presence=presence)
    # A yes/no column too mixed to read ("Attended": Yes, No, partly, ...) beside the people: not guessed.
    mixed = next((i for i in (*count_named, *presence_named) if person_named and i not in person_named
                  and _flag_share(table, i) >= 0.3), None)
    if mixed is not None:
        raise SourceFileError(table.source, (
            f"column {header[mixed]!r} holds yes/no in only {_flag_share(table, mixed):.0%} of its filled cells: write "
            "Yes, No, x or leave it blank in each, so it says who came"))
    # A count header's column is numbers unless its cells mostly name people; a plural person header's
    # ("Participants: 12") when nearly all its cells are numbers; a person's header with numbers holds ids.
    plural = [i for i in person_named if normalise_header(header[i]) in PLURAL_PERSON_HEADERS]
    numeric = [*(i for i in count_named if not _lists_people(table, i)),
               *(i for i in plural if _counts_share(table, i) >= 0.9)]
    if numeric:
        column = numeric[0]
        # Fewer than two rows a meeting day: counts (a day written twice is a reject, "listed again").
        if rows_per_meeting < ROSTER_ROWS:
            return _Roles(count=column)
        raise SourceFileError(table.source, (
            f"column {header[column]!r} holds numbers on {rows_per_meeting:.1f} rows per meeting day: several "
            "meetings a day (a Series column tells them apart) and member ids cannot be told apart; keep one row "
            "per meeting and series with its count under 'Attendees', or one row per person with their id or "
            "e-mail under 'Attendee'"))
    ids = bool(person_named) and _counts_share(table, person_named[0]) >= 0.9
    listing = [i for i in count_named if _lists_people(table, i)]
    people = [*listing, *(i for i in person_named if i not in listing)]
    if people:
        lists = rows_per_meeting <= ONE_ROW_PER_MEETING and _holds_lists(table, people[0])
        return _Roles(people=tuple(people), lists=lists, ids=ids)
    # A column per person: a header that could be a name, and flags in at least 30% of its cells (a cell that is
    # none, "x (late)", makes its row a reject naming the fix, rather than the person dropped without a word).
    roster = tuple(i for i in free if _person_header(header[i]) and _flag_share(table, i) >= 0.3)
    if len(roster) >= 2:
        return _Roles(roster=roster)
    raise SourceFileError(table.source, "no attendee count column ('Attendees'), no attendee column ('Attendee') and "
                                        "no yes/no column per person found")


# Person headers that name people in the plural: a number under one is a count ("Participants: 12").
PLURAL_PERSON_HEADERS = frozenset({"participants", "attendees", "people", "members"})


def _flag_sample(table: RawTable, column: int) -> list[str]:
    """The column's filled cells as flags are compared (``_flag_text``), placeholders aside: a placeholder ("-",
    "n/a") says nothing either way, so a column of counts and dashes is not a roster."""
    return [value for value in map(_flag_text, _filled(table, column)) if value not in PLACEHOLDERS]


def _flag_share(table: RawTable, column: int) -> float:
    """The share of the column's filled cells (placeholders aside) that are yes/no flags."""
    sample = _flag_sample(table, column)
    return sum(value in PRESENT or value in ABSENT for value in sample) / len(sample) if sample else 0.0


def _holds_lists(table: RawTable, column: int) -> bool:
    """Whether some cell of a person column lists several people (so the sheet is one row per meeting)."""
    return any(len(_people_in(text, True)) > 1 for text in _filled(table, column))


# Words of a header that is not a person's name in a wide roster ("Recorded?", "Duration (h)", "Cancelled").
_NOT_A_PERSON = frozenset({"recorded", "recording", "cancelled", "canceled", "duration", "minutes", "min", "mins", "hours",
                           "hour", "h", "incidents", "incident", "notes", "note", "posted", "held", "online", "remote",
                           "virtual", "hybrid", "count", "total", "attendees", "attendance", "present", "quorum",
                           "agenda", "actions", "action", "done", "status", "slides", "review", "meeting", "title",
                           "topic", "series", "team", "week", "day", "date", "time", "location", "room", "link", "url",
                           "type", "kind", "facilitator", "chair", "host", "scribe", "sent", "shared", "survey", "poll",
                           "facing", "published", "postmortem", "call", "customer", "outage", "sev", "severity",
                           "escalated", "paged", "resolved", "followup", "follow", "impact", "internal", "external",
                           "public", "rca", "retro", "on", "flag", "yes", "no", "mttr", "blameless", "tickets"})


def _person_header(text: str) -> bool:
    """A header that could be a person's name: words of letters only, at most four, none a known non-person word."""
    words = normalise_header(text).split()
    return 0 < len(words) <= 4 and all(w.isalpha() for w in words) and not _NOT_A_PERSON.intersection(words)


# Separators between people in one cell: always ";" and line breaks; commas too on a sheet of one row per meeting
# (on a roster of one row per person a comma is inside a name: "García Simón, Pedro").
_LIST_SEPARATORS = re.compile(r"[;\n\r]+")
MAX_PERSON_CELL = 4_000


def _people_in(text: str, lists: bool) -> list[str]:
    """The people a person cell names: one, or several separated by ";" or line breaks. Commas separate people only
    on a sheet of one row per meeting, in a cell with no ";" or line break, and when they cannot be inside a name:
    between e-mail addresses, with two commas or more, or between parts of two words each ("Ana Lopez, Ben
    Okafor"; "Lopez, Ana" is one person)."""
    text = text[:MAX_PERSON_CELL]
    parts = [part.strip() for part in _LIST_SEPARATORS.split(text)]
    if len(parts) > 1 or not lists or "," not in text:
        return parts
    pieces = [piece.strip() for piece in text.split(",")]
    if text.count("@") > 1 or len(pieces) > 2 or all(len(piece.split()) >= 2 for piece in pieces):
        return pieces
    return parts


def _marked_present(cells: list[object]) -> int:
    """A wide roster's row: how many of its people's cells say they came (a cell neither yes nor no: a reject)."""
    came = [_came(value) for value in cells]
    if None in came:
        raise ValueError("a person's cell is neither yes nor no (write TRUE/FALSE, Yes/No, x or leave it blank)")
    return sum(bool(c) for c in came)


def _reading(header: list[str], count_col: int | None, person_col: int | None, presence_col: int | None,
             roster_columns: int = 0, lists: bool = False) -> str:
    """How the file was read, for the run summary: the column counted and how (never a person's name: a wide
    roster's headers are people)."""
    if count_col is not None:
        return f"one row per meeting, attendees from {header[count_col]!r}"
    if roster_columns:
        return f"one row per meeting, attendees = the cells marked present in its {roster_columns} columns of people"
    rows = f", rows marked present in {header[presence_col]!r}" if presence_col is not None else ""
    if lists:
        return f"one row per meeting, counting the distinct people listed in {header[person_col]!r}"  # type: ignore[index]
    return f"one row per attendee, counting the distinct people in {header[person_col]!r}{rows}"  # type: ignore[index]


_PERSON_WORDS = ("email", "attendee", "participant", "name", "user", "person", "名前")
# A header with one of these words names the meeting or its series, not a person ("Meeting name", "Series name").
_NOT_PERSON_WORDS = frozenset({"meeting", "incident", "review", "topic", "title", "series", "team", "subject", "event",
                               "session", "channel", "project", "service", "file", "room"})
_SURELY_PERSON_WORDS = frozenset({"participant", "participants", "attendee", "attendees", "member", "person", "email",
                                  "user"})
WITHHELD = "(not kept: text that may name people)"


# The words a date or count cell may hold besides digits ("Wed 4 Mar 2026", "12 people", "4th of March, 9am").
_DATE_AND_COUNT_WORDS = frozenset({
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july", "aug",
    "august", "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december", "mon", "monday",
    "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs", "thursday", "fri", "friday", "sat",
    "saturday", "sun", "sunday", "am", "pm", "st", "nd", "rd", "th", "of", "utc", "gmt", "t", "z", "w", "wk", "week",
    "people", "persons", "ppl", "attendees", "approx", "about", "ca", "to", "and", "at", "h"})
_LETTER_WORDS = re.compile(r"[^\W\d_]+")


def _without_people(text: str) -> str:
    """A rejected date, count or flag cell as typed when it could be one ("13/13/2026", "12.5", "Wed 32 Mar"); else
    withheld. A cell may say who came or why ("Ana Lopez; ana@x.com", "14 (Ana out)", "left with Ben"): with an @,
    without a digit, or with a word that is not a date's or a count's, it is not stored, not even in a reject."""
    if "@" in text or len(text) > 80 or not any(c.isdigit() for c in text):
        return WITHHELD
    words = _LETTER_WORDS.findall(text.casefold())
    return text if all(word in _DATE_AND_COUNT_WORDS for word in words) else WITHHELD


def _person_column(headers: list[str], taken: set[int]) -> int | None:
    """The first of ``_person_columns``, or None."""
    found = _person_columns(headers, taken)
    return found[0] if found else None


def _person_columns(headers: list[str], taken: set[int]) -> list[int]:
    """The columns that name a person, the one to read first first: e-mail columns (the most distinct), then exact
    attendee headers ("Attendee", "Name"), then headers that mention a person (Zoom's "Name (Original Name)")."""
    keys = [normalise_header(header) for header in headers]
    # "Meeting name" names the meeting; "Team member name" and "Session participant" still name a person.
    candidates = [(index, key, key.split()) for index, key in enumerate(keys) if index not in taken
                  and not (_NOT_PERSON_WORDS.intersection(key.split()) and not _SURELY_PERSON_WORDS.intersection(key.split()))]
    found: list[int] = []
    for word in ("email", *PERSON_HEADERS, *_PERSON_WORDS):
        for index, key, words in candidates:
            if index not in found and (key == word or (word in _PERSON_WORDS and word in words)):
                found.append(index)
    return found


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
