"""Pure parsing rules, table-driven: answers, times, encodings, delimiters, layouts, identity."""

from __future__ import annotations

import codecs
import io
import struct
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from pipeline.errors import DateOrderConflict, SourceFileError
from pipeline.parse.answers import AnswerError, parse_answer
from pipeline.parse.attendance import parse_attendance
from pipeline.parse.columns import is_identity_header, match_statement
from pipeline.parse.surveys import parse_surveys
from pipeline.parse.times import TimeError, TimeParser, dayfirst_decision
from pipeline.sources.bounded_read import sniff_delimiter
from tests.survey_text import table_from_bytes
from core.settings import Settings

S = Settings()
GOOD_USE, RIGHT_THINGS, SAFE, LEARNED = S.statement_texts
NOW = datetime(2026, 11, 26, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1), ("5", 5), (" 3 ", 3), ("4.0", 4), (4, 4), (2.0, 2),
        ("Strongly disagree", 1), ("disagree", 2), ("Neither agree nor disagree", 3), ("Neutral", 3),
        ("agree", 4), ("Strongly agree", 5), ("  strongly   AGREE ", 5), ("STRONGLY_DISAGREE", 1),
        ("5 - Strongly agree", 5), ("Agree (4)", 4), ("1. Strongly disagree", 1), ("😀 Strongly agree", 5),
        ("", None), ("   ", None), (None, None), (float("nan"), None),
    ],
)
def test_answers_map_to_scores(raw: object, expected: int | None) -> None:
    assert parse_answer(raw) == expected


@pytest.mark.parametrize("raw", ["0", "6", "4.5", "yes", "N/A", "-1", 7, 3.5, "5 - Disagree", True,
                                 "0_5", "5e0", "4E0", "inf"])  # float() reads the last four
def test_bad_answers_are_errors(raw: object) -> None:
    with pytest.raises(AnswerError):
        parse_answer(raw)


@pytest.mark.parametrize(
    ("raw", "tz", "dayfirst", "utc", "local"),
    [
        ("2026-03-02T14:05:00Z", "UTC", False, "2026-03-02 14:05", "2026-03-02 14:05"),
        ("2026-03-02T14:05:00+02:00", "UTC", False, "2026-03-02 12:05", "2026-03-02 12:05"),
        ("2026-03-02 14:05:00", "Europe/Berlin", False, "2026-03-02 13:05", "2026-03-02 14:05"),
        ("2026-03-02 14:05:00 UTC", "Europe/Berlin", False, "2026-03-02 14:05", "2026-03-02 15:05"),
        ("3/2/2026 14:05:00", "UTC", False, "2026-03-02 14:05", "2026-03-02 14:05"),
        ("3/2/2026 14:05:00", "UTC", True, "2026-02-03 14:05", "2026-02-03 14:05"),
        ("46083.5", "UTC", False, "2026-03-02 12:00", "2026-03-02 12:00"),  # Sheets serial date
        (46083.5, "UTC", False, "2026-03-02 12:00", "2026-03-02 12:00"),
        ("1772460300", "UTC", False, "2026-03-02 14:05", "2026-03-02 14:05"),  # Slack epoch seconds
        (datetime(2026, 3, 2, 14, 5), "America/New_York", False, "2026-03-02 19:05", "2026-03-02 14:05"),
        ("Mon, 2 Mar 2026 14:05:00 -0500", "UTC", False, "2026-03-02 19:05", "2026-03-02 19:05"),
        ("2026/03/02 2:05:00 PM GMT+1", "UTC", False, "2026-03-02 13:05", "2026-03-02 13:05"),  # Google Forms
        ("2026/03/02 2:05:00 pm GMT-5", "UTC", False, "2026-03-02 19:05", "2026-03-02 19:05"),
        ("2026-03-02 14:05:00 UTC+02:00", "UTC", False, "2026-03-02 12:05", "2026-03-02 12:05"),
        ("3/2/2026 2:05:00 PM", "UTC", False, "2026-03-02 14:05", "2026-03-02 14:05"),
        ("Mon Mar 02 2026 14:05:00 GMT-0500 (Eastern Standard Time)", "UTC", False, "2026-03-02 19:05",
         "2026-03-02 19:05"),  # Apps Script's Date.toString() in a form's sheet
        ("3/2/2026 2:05:00 PM EST", "UTC", False, "2026-03-02 19:05", "2026-03-02 19:05"),  # Google Forms, US
        ("2026/07/02 2:05:00 PM EDT", "Europe/Berlin", False, "2026-07-02 18:05", "2026-07-02 20:05"),
    ],
)
def test_times_parse_to_utc_and_local(raw: object, tz: str, dayfirst: bool, utc: str, local: str) -> None:
    parsed_utc, parsed_local = TimeParser(ZoneInfo(tz), dayfirst, NOW).parse(raw)
    assert parsed_utc.strftime("%Y-%m-%d %H:%M") == utc
    assert parsed_local.strftime("%Y-%m-%d %H:%M") == local


@pytest.mark.parametrize("digits", [15, 16, 17])  # Sheets' CSV writes 15 significant digits, XlsxWriter 16
@pytest.mark.parametrize("moment", [datetime(2025, 9, 1, 8, 0), datetime(2026, 3, 2, 14, 5, 7),
                                    datetime(2026, 3, 2, 23, 59, 59, 999_000), datetime(2026, 4, 3, 10, 0)])
def test_serial_times_are_read_to_the_millisecond(moment: datetime, digits: int) -> None:
    """A serial's last digits are float noise (45901.33333333334 is 08:00:00.000001 read raw): rounded as
    openpyxl rounds a date cell, so the same time styled or not gives the same response key."""
    serial = f"{(moment - datetime(1899, 12, 30)).total_seconds() / 86_400:.{digits}g}"
    for raw in (serial, float(serial)):  # a CSV's text, a workbook cell without a date style
        _utc, local = TimeParser(ZoneInfo("UTC"), False, NOW).parse(raw)
        assert local.replace(tzinfo=None) == moment


@pytest.mark.parametrize("raw", ["not a date", "", None, "1999-12-31 10:00", "2027-06-01 10:00", "12345",
                                 "3/2/2026 2:05:00 PM IST"])  # an ambiguous zone name is refused, not ignored
def test_bad_or_implausible_times_are_errors(raw: object) -> None:
    with pytest.raises(TimeError):
        TimeParser(ZoneInfo("UTC"), False, NOW).parse(raw)


@pytest.mark.parametrize(
    ("values", "decision"),
    [
        (["3/2/2026", "25/2/2026"], (True, False)),
        (["3/2/2026", "2/25/2026"], (False, False)),
        (["3/2/2026"], (False, True)),  # slash dates, none settling it: M/D, guessed (noted)
        (["2026/03/25", "2026-03-02"], (False, False)),  # year-first dates are no clue either way
        ([], (False, False)),
    ],
)
def test_day_first_is_decided_per_column(values: list[str], decision: tuple[bool, bool]) -> None:
    assert dayfirst_decision(S, values, "f.csv") == decision


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        (["13/03/2026 10:00", "04/03/2026", "03/14/2026 10:00"], "13/03/2026 can only be day/month, 03/14/2026 only month/day"),
        (["1/21/2026", "21.1.26 09:00"], "21.1.26 can only be day/month, 1/21/2026 only month/day"),
    ],
)
def test_dates_settling_the_order_both_ways_refuse_the_file_naming_date_order(values: list[str], shown: str) -> None:
    # Not decided by the first clue: the file cannot say which, so the user must.
    with pytest.raises(DateOrderConflict) as refused:
        dayfirst_decision(S, values, "f.csv")
    assert str(refused.value).startswith(f"f.csv: the dates disagree on day/month order ({shown});")
    assert 'date_order = "DMY" or "MDY"' in str(refused.value)


@pytest.mark.parametrize("order", ["DMY", "MDY"])
def test_a_set_date_order_decides_even_when_the_dates_disagree(order: str) -> None:
    settings = Settings(date_order=order)
    assert dayfirst_decision(settings, ["13/03/2026", "03/14/2026"], "f.csv") == (order == "DMY", False)


@pytest.mark.parametrize(
    ("raw", "dayfirst", "local"),
    [
        # Year first is year/month/day whatever the date order (Google Forms' "2025/09/02 … EDT").
        ("2025/09/02 04:02:26 PM EDT", True, "2025-09-02 20:02"),
        ("2025/09/02 04:02:26 PM EDT", False, "2025-09-02 20:02"),
        ("2026/03/04 10:00", True, "2026-03-04 10:00"),
        ("2026-03-06 10:00 PM", True, "2026-03-06 22:00"),
        ("2026.03.04", True, "2026-03-04 00:00"),
        ("Tue 2025/09/02 10:00", True, "2025-09-02 10:00"),
        # Day-first still applies to D/M/Y vs M/D/Y.
        ("04/03/2026 10:00 PM", True, "2026-03-04 22:00"),
        ("04/03/2026 10:00 PM", False, "2026-04-03 22:00"),
        ("13.4.26 16:05", True, "2026-04-13 16:05"),
    ],
)
def test_year_first_dates_are_year_month_day_whatever_the_date_order(raw: str, dayfirst: bool, local: str) -> None:
    _utc, parsed_local = TimeParser(ZoneInfo("UTC"), dayfirst, NOW).parse(raw)
    assert parsed_local.strftime("%Y-%m-%d %H:%M") == local


@pytest.mark.parametrize(
    ("raw", "dayfirst", "reason"),
    [
        # dateutil would swap day and month; the file's order says the date does not exist.
        ("03/14/2026 10:00", True, "not a date when read day/month/year"),
        ("03/14/2026 10:00 PM", True, "not a date when read day/month/year"),
        ("13/03/2026 10:00", False, "not a date when read month/day/year"),
        ("13.4.26 16:05", False, "not a date when read month/day/year"),
        ("2025/13/02 10:00 AM", True, "not a date when read year/month/day"),
        ("2025/13/02 10:00 AM", False, "not a date when read year/month/day"),
        ("03/32/2026 10:00 PM", False, "not a date when read month/day/year"),
        ("2026/03/04 tea time", True, "text that is not a date or time"),  # the date is fine, the rest is not
    ],
)
def test_a_date_impossible_in_the_files_order_is_an_error_not_swapped(raw: str, dayfirst: bool, reason: str) -> None:
    with pytest.raises(TimeError) as problem:
        TimeParser(ZoneInfo("UTC"), dayfirst, NOW).parse(raw)
    assert str(problem.value).startswith(reason)


@pytest.mark.parametrize(
    ("header", "statement"),
    [
        ("This meeting was a good use of my time", GOOD_USE),
        ("  this MEETING was a good use of my time?? ", GOOD_USE),
        ("Q1. This meeting was a good use of my time (1-5)", GOOD_USE),
        ("This meeting was a good use of my time (1 = strongly disagree, 5 = strongly agree)", GOOD_USE),
        ("This meeting felt safe and constructive (1=No, 5=Yes)", SAFE),
        ("This meeting was a good use of my time (time = the hour we met)", None),  # words, not a scale legend
        ("Good use of my time", GOOD_USE),
        ("I think we discussed the right things.", RIGHT_THINGS),
        ("This meeting felt safe & constructive", SAFE),  # via the alias 'felt safe'
        ("Overall I felt fine", None),
        ("Q1: Was this meeting a good use of your time?", None),  # rephrased: only ever a suggestion
        ("Did we discuss the right things?", None),  # containing an alias is not matching it
        ("This meeting was a poor use of my time", None),  # the opposite meaning
        ("Rate each [This meeting was a good use of my time]", GOOD_USE),  # a grid row (Google Forms)
        ("Rate each - I learned something new in this meeting", LEARNED),  # Qualtrics / SurveyMonkey
        ("Rate each\n.I think we discussed the right things", RIGHT_THINGS),  # Microsoft Forms Likert
        ("Did we start on time?", None),
        ("This meeting was too long", None),
        ("Safe and constructive", SAFE),
        ("I learned something new in this meeting!", LEARNED),
        ("Timestamp", None),
    ],
)
def test_statement_headers_match_exactly_ignoring_case_punctuation_and_numbering(header: str, statement: str | None) -> None:
    assert match_statement(header, S) == statement


@pytest.mark.parametrize(
    ("header", "identity"),
    [("User", True), ("user_id", True), ("Email Address", True), ("Submitted by", True), ("Name", True),
     ("Respondent", True), ("Slack member", True), ("Timestamp", False), ("How could we improve?", False),
     (GOOD_USE, False), ("Series", False)],
)
def test_identity_headers(header: str, identity: bool) -> None:
    assert is_identity_header(header) is identity


def test_delimiter_sniffing() -> None:
    assert sniff_delimiter('a,b,"c;d"') == ","
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter("a\tb\tc") == "\t"


# --- one export in every encoding, delimiter and container --------------------------------

WIDE_ROWS = [
    ["Timestamp", "Submitted by", GOOD_USE, RIGHT_THINGS, SAFE, LEARNED, "How could we improve?"],
    ["2026-03-04 16:00:00", "U024BE7LH", "Agree", "5", "Strongly agree", "", "Café was great 🎉"],
    ["2026-03-04 16:05:00", "ana@example.com", "Disagree", "2", "Neutral", "3", ""],
    ["2026-03-04 16:09:00", "Ben", "strongly disagree", "1", "4", "Agree", "More time; less slides"],
]
# Expected from the rows above, by hand.
EXPECTED_ANSWERS = [
    [(GOOD_USE, 4), (RIGHT_THINGS, 5), (SAFE, 5)],
    [(GOOD_USE, 2), (RIGHT_THINGS, 2), (SAFE, 3), (LEARNED, 3)],
    [(GOOD_USE, 1), (RIGHT_THINGS, 1), (SAFE, 4), (LEARNED, 4)],
]
EXPECTED_FEEDBACK = ["Café was great 🎉", None, "More time; less slides"]


def _csv(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    import csv

    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ENCODINGS = {
    "utf-8 comma": lambda: _csv(WIDE_ROWS, ",").encode("utf-8"),
    "utf-8 BOM semicolon": lambda: codecs.BOM_UTF8 + _csv(WIDE_ROWS, ";").encode("utf-8"),
    "utf-16 tab (Excel Unicode text)": lambda: _csv(WIDE_ROWS, "\t").encode("utf-16"),
    "utf-16-le no BOM tab": lambda: _csv(WIDE_ROWS, "\t").encode("utf-16-le"),
    "utf-8 tab": lambda: _csv(WIDE_ROWS, "\t").encode("utf-8"),
    "xlsx": lambda: _xlsx(WIDE_ROWS),
}


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_wide_export_in_every_encoding_and_delimiter(name: str) -> None:
    table = table_from_bytes(ENCODINGS[name](), f"export ({name})")
    parsed = parse_surveys(table, S, now=NOW)
    assert parsed.layout == "wide"
    assert parsed.rejects == []
    assert [list(r.answers) for r in parsed.responses] == EXPECTED_ANSWERS
    assert [r.feedback for r in parsed.responses] == EXPECTED_FEEDBACK
    assert [r.submitted_utc.strftime("%H:%M") for r in parsed.responses] == ["16:00", "16:05", "16:09"]
    assert parsed.dropped_columns == ["Submitted by"]
    assert all(r.series == S.default_series for r in parsed.responses)


def test_cp1252_export_from_legacy_excel_decodes() -> None:
    text = _csv([["Timestamp", GOOD_USE, "Comments"], ["2026-03-04 16:00", "4", "très bien"]], ",")
    parsed = parse_surveys(table_from_bytes(text.encode("cp1252"), "legacy.csv"), S, now=NOW)
    assert parsed.responses[0].feedback == "très bien"


def test_slack_member_id_column_is_dropped_whatever_its_header() -> None:
    rows = [["Timestamp", "who", GOOD_USE], ["2026-03-04 16:00", "U024BE7LH", "4"], ["2026-03-04 16:01", "W012A3CDE", "5"]]
    parsed = parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "x.csv"), S, now=NOW)
    assert parsed.dropped_columns == ["who"]
    assert len(parsed.responses) == 2


def test_rows_that_cannot_be_used_become_rejects_with_reasons() -> None:
    rows = [
        ["Timestamp", "Email", GOOD_USE, RIGHT_THINGS, "How could we improve?"],
        ["2026-03-04 16:00", "a@x.io", "4", "5", ""],  # fine
        ["yesterday-ish", "b@x.io", "4", "5", ""],  # bad time
        ["2026-03-04 16:02", "c@x.io", "6", "5", ""],  # out of range
        ["2026-03-04 16:03", "d@x.io", "Kinda", "5", ""],  # unknown label
        ["2026-03-04 16:04", "e@x.io", "", "", ""],  # nothing answered
        ["2026-03-04 16:05", "f@x.io", "", "", "only feedback"],  # kept: feedback alone is a response
    ]
    parsed = parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "x.csv"), S, now=NOW)
    assert len(parsed.responses) == 2
    assert [(r.line, r.reason.split(":")[0]) for r in parsed.rejects] == [
        (3, "bad time"), (4, f"answer to '{GOOD_USE}'"), (5, f"answer to '{GOOD_USE}'"), (6, "no answers"),
    ]
    assert "a number, but not a whole number from 1 to 5" in parsed.rejects[1].reason
    assert all("Email" not in r.raw for r in parsed.rejects)  # identity column removed from raw rows


@pytest.mark.parametrize(
    ("header", "chosen", "tool"),
    [
        (["ID", "Start time", "Completion time", "Email", "Name", GOOD_USE], "Completion time", "Microsoft Forms (en)"),
        (["#", GOOD_USE, "Start Date (UTC)", "Submit Date (UTC)", "Network ID"], "Submit Date (UTC)", "Typeform"),
        (["Timestamp", "Email Address", GOOD_USE], "Timestamp", "Google Forms"),
    ],
)
def test_the_submission_time_is_preferred_and_only_mapped_columns_kept(header: list[str], chosen: str, tool: str) -> None:
    cells = {GOOD_USE: "4", "Email": "ana@example.com", "Email Address": "ana@example.com", "Name": "Ana",
             "Network ID": "abc123", "ID": "7", "#": "x9"}
    row = [cells.get(h, "2026-03-04 16:00:00") for h in header]
    table = table_from_bytes(_csv([header, row], ",").encode(), "form.csv")
    from pipeline.parse.columns import detect_wide_columns

    assert header[detect_wide_columns(table, S).time] == chosen
    parsed = parse_surveys(table, S, now=NOW)
    assert len(parsed.responses) == 1 and parsed.responses[0].answers == ((GOOD_USE, 4),)
    assert parsed.report.tool == tool and parsed.report.time_column == chosen
    assert set(parsed.unused_columns) == set(header) - {chosen, GOOD_USE}  # named, never stored


def test_long_layout_groups_answers_into_responses() -> None:
    rows = [
        ["Response ID", "Submitted at", "Question", "Answer", "Respondent"],
        ["r1", "2026-03-04T16:00:00Z", GOOD_USE, "Agree", "ana"],
        ["r1", "2026-03-04T16:00:00Z", SAFE, "5", "ana"],
        ["r1", "2026-03-04T16:00:00Z", "How could we improve?", "Shorter intro", "ana"],
        ["r2", "2026-03-04T16:03:00Z", GOOD_USE, "2", "ben"],
        ["r2", "2026-03-04T16:03:00Z", "What is your team?", "SRE", "ben"],
    ]
    parsed = parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "poll.csv"), S, now=NOW)
    assert parsed.layout == "long"
    assert [(list(r.answers), r.feedback) for r in parsed.responses] == [
        ([(GOOD_USE, 4), (SAFE, 5)], "Shorter intro"),
        ([(GOOD_USE, 2)], None),
    ]
    assert parsed.rejects == []  # "What is your team?" is not a statement: its answer is stored nowhere
    assert parsed.dropped_columns == parsed.unused_columns == ["Respondent", "Question = 'What is your team?'"]


def test_long_layout_without_response_id_groups_by_time() -> None:
    rows = [
        ["Time", "Question", "Answer"],
        ["2026-03-04 16:00", GOOD_USE, "4"], ["2026-03-04 16:00", LEARNED, "3"],
        ["2026-03-04 16:07", GOOD_USE, "5"],
    ]
    parsed = parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "poll.csv"), S, now=NOW)
    assert sorted(len(r.answers) for r in parsed.responses) == [1, 2]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([["Timestamp", "Foo"], ["2026-03-04", "1"]], "no survey statement columns"),
        ([[GOOD_USE, RIGHT_THINGS], ["4", "5"]], "no submission-time column"),
        ([["Timestamp", GOOD_USE, "good use of my time"], ["2026-03-04", "4", "5"]], "both answer"),
    ],
)
def test_unusable_files_are_named_errors(rows: list[list[str]], problem: str) -> None:
    with pytest.raises(SourceFileError, match=problem):
        parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "bad.csv"), S, now=NOW)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Timestamp,Feedback\n2026-03-04,caf\u00e9".encode()[:-1], "truncated"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel"),
        (b"PK\x03\x04garbage", "not a readable .xlsx"),
        (b'Timestamp,Feedback\n2026-03-04,"unclosed\n', "malformed CSV"),
    ],
)
def test_unreadable_bytes_are_named_errors(data: bytes, problem: str) -> None:
    with pytest.raises(SourceFileError, match=problem):
        table_from_bytes(data, "input")


def _compound_file(names: list[str], shift: int = 9) -> bytes:
    """A minimal OLE compound file ([MS-CFB]) whose directory lists ``names`` as empty streams after the
    root, four entries a 512-byte sector, the directory chained through the FAT from sector 1 on."""
    size, free, end = 1 << shift, 0xFFFFFFFF, 0xFFFFFFFE
    entries = [("Root Entry", 5)] + [(name, 2) for name in names]
    per_sector = size // 128
    directory_sectors = -(-len(entries) // per_sector)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH6sIIIIIIIII", 0x3E, 3 if shift == 9 else 4, 0xFFFE, shift, 6, bytes(6),
                            0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<108I", *[free] * 108))
    fat = [0xFFFFFFFD] + [n + 1 for n in range(1, directory_sectors)] + [end]  # sector 0 is the FAT itself
    body = struct.pack(f"<{size // 4}I", *fat, *[free] * (size // 4 - len(fat)))
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + struct.pack("<HB", 2 * len(name) + 2, kind)
                         + bytes(61) for name, kind in entries)
    return header.ljust(size, b"\0") + body + directory.ljust(directory_sectors * size, b"\0")


PASSWORD = "password-protected workbook: remove the password in Excel and save again"


@pytest.mark.parametrize(
    ("names", "shift", "problem"),
    [
        (["Workbook"], 9, "old Excel .xls format: save it as .xlsx or CSV"),
        (["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"], 9, PASSWORD),
        ([f"filler {n}" for n in range(9)] + ["EncryptionInfo", "EncryptedPackage"], 9, PASSWORD),  # 3rd sector
        (["EncryptionInfo", "EncryptedPackage"], 12, PASSWORD),  # 4096-byte sectors
        (["EncryptedPackage"], 9, "old Excel .xls format"),  # half of it: not what Excel writes
    ],
)
def test_a_compound_file_is_told_apart_by_its_streams(names: list[str], shift: int, problem: str) -> None:
    with pytest.raises(SourceFileError) as caught:
        table_from_bytes(_compound_file(names, shift), "input.xlsx")
    assert str(caught.value).startswith(f"input.xlsx: {problem}")


# --- attendance -------------------------------------------------------------------------


def test_attendance_per_meeting_with_serial_dates_and_duplicates() -> None:
    rows = [
        ["Date", "Incident", "Attendees"],
        ["2026-03-04", "DB failover", "21"],
        ["46092", "Cache stampede", "25"],  # 2026-03-11 as a Sheets serial number
        ["2026-03-18", "Late row", "n/a"],
        ["2026-03-04", "DB failover (fixed count)", "23"],
    ]
    parsed = parse_attendance(table_from_bytes(_csv(rows, ",").encode(), "att.csv"), S, now=NOW)
    assert parsed.layout == "per-meeting"
    assert [(str(m.meeting_date), m.attendees, m.title) for m in parsed.meetings] == [
        ("2026-03-04", 23, "DB failover (fixed count)"),
        ("2026-03-11", 25, "Cache stampede"),
    ]
    assert sorted((r.line, r.reason.split(" ")[0]) for r in parsed.rejects) == [(2, "meeting"), (4, "attendee")]


def test_attendance_per_attendee_counts_distinct_people_and_stores_no_one() -> None:
    rows = [
        ["Date", "Attendee email"],
        ["2026-03-04", "ana@example.com"], ["2026-03-04", "ANA@example.com "], ["2026-03-04", "ben@example.com"],
        ["2026-03-11", "ana@example.com"], ["2026-03-11", ""],
    ]
    parsed = parse_attendance(table_from_bytes(_csv(rows, ",").encode(), "att.csv"), S, now=NOW)
    assert parsed.layout == "per-attendee"
    assert [(str(m.meeting_date), m.attendees) for m in parsed.meetings] == [("2026-03-04", 2), ("2026-03-11", 1)]
    assert [r.reason for r in parsed.rejects] == ["no attendee on this row"]
    assert "example.com" not in repr(parsed)


def test_title_rows_above_the_header_are_skipped() -> None:
    rows = [["Incident review survey — responses"], [], ["Exported 2026-03-05", ""],
            ["Timestamp", GOOD_USE, "How could we improve?"], ["2026-03-04 16:00", "5", "ok"]]
    parsed = parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "titled.csv"), S, now=NOW)
    assert [(r.source_line, r.answers) for r in parsed.responses] == [(5, ((GOOD_USE, 5),))]
    attendance = [["Review attendance 2026"], ["Date", "Attendees"], ["2026-03-04", "12 people"], ["2026-03-11", "~15"]]
    meetings = parse_attendance(table_from_bytes(_csv(attendance, ",").encode(), "att.csv"), S, now=NOW).meetings
    assert [(str(m.meeting_date), m.attendees) for m in meetings] == [("2026-03-04", 12), ("2026-03-11", 15)]


def test_excel_separator_hint_line() -> None:
    text = "sep=;\r\nTimestamp;" + GOOD_USE + "\r\n2026-03-04 16:00;4\r\n"
    parsed = parse_surveys(table_from_bytes(text.encode(), "excel.csv"), S, now=NOW)
    assert [(r.source_line, r.answers) for r in parsed.responses] == [(3, ((GOOD_USE, 4),))]


def test_a_file_without_any_usable_header_reports_the_first_row() -> None:
    rows = [["Foo", "Bar"], ["1", "2"], ["3", "4"]]
    with pytest.raises(SourceFileError, match="no survey statement columns"):
        parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "x.csv"), S, now=NOW)


def test_a_meeting_tool_participant_report_counts_distinct_people() -> None:
    rows = [["Name (Original Name)", "User Email", "Join Time", "Leave Time", "Duration (Minutes)"],
            ["Ana", "ana@example.com", "03/04/2026 04:01:10 PM", "03/04/2026 04:50:00 PM", "49"],
            ["Ana", "ana@example.com", "03/04/2026 04:20:00 PM", "03/04/2026 04:55:00 PM", "35"],  # rejoined
            ["Ben", "ben@example.com", "03/04/2026 04:02:00 PM", "03/04/2026 04:55:00 PM", "53"],
            ["Cy", "cy@example.com", "03/11/2026 04:00:00 PM", "03/11/2026 04:45:00 PM", "45"]]
    parsed = parse_attendance(table_from_bytes(_csv(rows, ",").encode(), "zoom.csv"), S, now=NOW)
    assert [(str(m.meeting_date), m.attendees) for m in parsed.meetings] == [("2026-03-04", 2), ("2026-03-11", 1)]
    assert "example.com" not in repr(parsed) and "Ana" not in repr(parsed)


@pytest.mark.parametrize(
    ("header", "is_feedback"),
    [("How could we improve?", True), ("Any other comments?", True), ("What could we do better?", True),
     ("Suggestions", True), ("Anything else?", True), ("Improvement plan owner", False), ("Team", False)],
)
def test_feedback_question_variants(header: str, is_feedback: bool) -> None:
    from pipeline.parse.columns import is_feedback_header

    assert is_feedback_header(header, S) is is_feedback


def test_unused_columns_are_named_in_the_summary(tmp_path) -> None:
    rows = [["Timestamp", GOOD_USE, "Team", "Incident"], ["2026-03-04 16:00", "4", "SRE", "DNS"]]
    parsed = parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "x.csv"), S, now=NOW)
    assert parsed.unused_columns == ["Team", "Incident"]


def test_progress_is_reported_for_large_inputs() -> None:
    rows = [["Timestamp", GOOD_USE]] + [[f"2026-03-04 16:{i % 60:02d}:{i % 59:02d}", "4"] for i in range(25_000)]
    seen: list[tuple[int, int]] = []
    parse_surveys(table_from_bytes(_csv(rows, ",").encode(), "big.csv"), S, now=NOW, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]


def test_a_rejected_very_wide_row_is_kept_but_capped() -> None:
    from pipeline.parse.cells import raw_row

    header = [f"c{i}" for i in range(5000)]
    raw = raw_row(header, ["x" * 100] * 5000, keep=list(range(5000)))
    assert sum(len(v) for v in raw.values()) < 21_000
    assert raw["(more cells)"] == "4,800 more non-empty cells not kept"


@pytest.mark.parametrize(("distinct", "longest", "fix_named"), [
    (201, 10, True),  # too many names: the limit can be raised
    (3, 81, False),  # a name too long: no setting changes that, so none is offered
    (201, 81, True),
])
def test_a_refused_series_column_names_only_a_fix_that_works(distinct: int, longest: int, fix_named: bool):
    from pipeline.parse.cells import series_column_problem

    problem = series_column_problem("How could we improve?", distinct, longest, 200)
    assert problem is not None and problem.startswith("column 'How could we improve?' as the review series holds ")
    assert ("raise max_series_values" in problem) is fix_named
