"""Bounded reading: an input file is streamed, never held whole, and refused with one
line when it passes a limit of ``[limits]`` in the settings (core.settings.InputLimits).

* CSV: decoded while it is read (no bytes + text + copy of the text in memory at once);
  rows, columns and cell sizes are checked as each record arrives.
* .xlsx: before openpyxl opens the archive, the members' uncompressed sizes are added up
  (zipfile reads no more than a member declares, so a lying header cannot get past this),
  and the sheets and shared strings are scanned by expat, in C and in constant memory, for
  the number of rows and columns (including the row and cell references, which openpyxl
  would fill with empty cells) and the length of every text.
* Repeated short cells (answers, series, labels) share one string object, which roughly
  halves the memory of a survey's rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO
from xml.parsers import expat

from pipeline.errors import SourceFileError
from core.settings import InputLimits

# Excel's "sep=;" first line, matched after .strip() (by the CSV fast path's plan too).
SEPARATOR_HINT = re.compile(r"^\ufeff?sep=(.)$")
_CHUNK = 1 << 20


def _limit_message(problem: str, key: str) -> str:
    return f"{problem}; refused (the limit is [limits] {key} in review_pulse.toml)"


def unreadable_workbook(detail: str) -> str:
    """The one line for a zipped workbook whose parts cannot be read, whichever part and reader."""
    return f"not a readable .xlsx workbook ({detail}): re-save it in Excel"


class _CellInterner:
    """One string object per distinct short cell value (bounded: at most 200,000 of them)."""

    MAX_LENGTH = 40
    MAX_ENTRIES = 200_000

    def __init__(self) -> None:
        self.cache: dict[object, object] = {}

    def row(self, cells: list) -> list:
        # Cells past a row's last value are dropped: a formatting trace to column XFD on every row would
        # otherwise hold 16,384 cells a row (a 190 KB workbook took 590 MB). The table is as wide as its
        # widest row of values (files.table_from_rows), whichever reader gave the rows.
        while cells and cells[-1] is None:
            cells.pop()
        cache = self.cache
        full = len(cache) >= self.MAX_ENTRIES
        for i, cell in enumerate(cells):
            if type(cell) is str and len(cell) <= self.MAX_LENGTH:
                cells[i] = cache.get(cell, cell) if full else cache.setdefault(cell, cell)
        return cells


def check_input_size(binary: BinaryIO, source: str, limits: InputLimits) -> None:
    """The Python reader holds the file's rows (a load peaks at about 9x the file): bound it up front."""
    size = binary.seek(0, io.SEEK_END)
    binary.seek(0)
    if size > limits.max_python_input_mb * 1024 * 1024:
        raise SourceFileError(source, _limit_message(
            f"{size / 2**20:,.0f} MB is more than the Python reader takes", "max_python_input_mb")
            + "; save it as UTF-8 CSV with the header on the first line, which DuckDB reads at any size")


# --- CSV -------------------------------------------------------------------------------


# Where the header's line is looked for: the first lines wholly or partly within this many characters.
SNIFF_MAX_CHARS = 16_384
SNIFF_MAX_LINES = 12


def sniff_delimiter(head: str) -> str:
    """Pick the delimiter that splits the header most: comma, semicolon or tab.

    The header is taken to be the first line holding any of them, among the first ``SNIFF_MAX_LINES``
    lines of the first ``SNIFF_MAX_CHARS`` characters of ``head``: a title line above the header (one
    cell, "Incident review survey") or a blank first line holds none, and made a semicolon file read as
    a comma one. Both readers pass the file's text from its start (after a BOM and a ``sep=`` line).
    """
    for line in head[:SNIFF_MAX_CHARS].split("\n")[:SNIFF_MAX_LINES]:
        counts = {d: _count_outside_quotes(line, d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count



def text_encoding(head: bytes, source: str) -> str | None:
    """The encoding the first bytes prove (BOMs, UTF-16 without BOM); None: UTF-8, else cp1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(codecs.BOM_UTF32_BE):
        # Checked before UTF-16: UTF-32 LE's BOM begins with UTF-16 LE's.
        raise SourceFileError(source, "UTF-32 text, which is not read: save it as UTF-8 CSV")
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if len(head) >= 4:
        # ASCII text in UTF-16 has a NUL in every other byte.
        even_nuls = head[0::2].count(0) / max(1, len(head[0::2]))
        odd_nuls = head[1::2].count(0) / max(1, len(head[1::2]))
        if odd_nuls > 0.4 and even_nuls < 0.1:
            return "utf-16-le"
        if even_nuls > 0.4 and odd_nuls < 0.1:
            return "utf-16-be"
    if b"\x00" in head:
        raise SourceFileError(source, "binary content: not a CSV or .xlsx file")
    return None


def utf8_problem(binary: BinaryIO) -> str | None:
    """Why a file is not UTF-8: a cut character or invalid UTF-8 after valid multi-byte
    text is an error; None means it is a legacy single-byte file (cp1252)."""
    binary.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, seen_multibyte = 0, False
    while chunk := binary.read(_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            if seen_multibyte or any(b >= 0x80 for b in chunk[: max(0, exc.start - pending)]):
                # Only an incomplete sequence at the very end is a cut; a cp1252 accent
                # near the end (e.g. "café\r\n") is an invalid sequence, not a truncation.
                return f"invalid UTF-8 at byte {offset - pending + exc.start}; re-save the file as UTF-8 CSV"
            return None
        seen_multibyte = seen_multibyte or max(chunk) >= 0x80
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        if seen_multibyte or offset < 4:
            return "the file ends in the middle of a UTF-8 character (truncated download?)"
        return None
    return None


def decode_text(data: bytes, source: str) -> str:
    """Whole bytes (a JSON export) decoded by the same rules as a streamed CSV: BOMs, UTF-16,
    UTF-8, else cp1252; a cut or invalid UTF-8 file is an error, not mojibake."""
    encoding = text_encoding(data[:4096], source)
    try:
        return data.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        if encoding is not None:
            raise SourceFileError(source, f"invalid {encoding.upper()} text at byte {exc.start}") from None
    problem = utf8_problem(io.BytesIO(data))
    if problem is not None:
        raise SourceFileError(source, problem)
    return data.decode("cp1252", errors="replace")


def read_csv_stream(binary: BinaryIO, source: str, head: bytes, limits: InputLimits) -> tuple[list, list[int]]:
    """Rows and their first line numbers, decoded as they are read."""
    encoding = text_encoding(head, source)
    if encoding is not None:
        try:
            return _csv_rows(binary, source, encoding, limits)
        except UnicodeDecodeError:
            raise SourceFileError(source, f"invalid {encoding.removesuffix('-sig').upper()} text") from None
    try:
        return _csv_rows(binary, source, "utf-8", limits)
    except UnicodeDecodeError:
        problem = utf8_problem(binary)
    if problem:
        raise SourceFileError(source, problem)
    binary.seek(0)
    try:
        return _csv_rows(binary, source, "cp1252", limits)
    except UnicodeDecodeError:
        raise SourceFileError(source, "cannot decode the file: save it as UTF-8 CSV") from None


def _csv_rows(binary: BinaryIO, source: str, encoding: str, limits: InputLimits) -> tuple[list, list[int]]:
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=encoding, errors="strict", newline="")
    try:
        first_line = text.readline()
        start = 1
        hint = SEPARATOR_HINT.match(first_line.strip())
        lines: Iterator[str]
        if hint:
            # Excel's "sep=;" first line names the delimiter; it is not part of the data.
            delimiter, lines, start = hint.group(1), iter(text), 2
        else:
            head = [first_line]
            read = len(first_line)
            while read < SNIFF_MAX_CHARS and (line := text.readline()):
                head.append(line)
                read += len(line)
            delimiter, lines = sniff_delimiter("".join(head)), itertools.chain(head, text)
        return _records(lines, delimiter, start, source, limits)
    finally:
        text.detach()  # the caller owns the binary stream (and may read it again)


def _records(lines: Iterator[str], delimiter: str, start: int, source: str,
             limits: InputLimits) -> tuple[list, list[int]]:
    csv.field_size_limit(limits.max_cell_chars)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    first_line_number = start
    shared = _CellInterner()
    try:
        for record in reader:
            if len(record) > limits.max_columns:
                raise SourceFileError(source, _limit_message(
                    f"line {start} has {len(record):,} columns, more than {limits.max_columns:,}", "max_columns"))
            if len(rows) >= limits.max_rows:
                raise SourceFileError(source, _limit_message(f"more than {limits.max_rows:,} rows", "max_rows"))
            rows.append(shared.row(record))
            line_numbers.append(start)
            start = reader.line_num + first_line_number
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise SourceFileError(source, _limit_message(
                f"a cell near line {start} is longer than {limits.max_cell_chars:,} characters", "max_cell_chars")
            ) from None
        raise SourceFileError(source, f"malformed CSV near line {start}: {exc}") from None
    return rows, line_numbers


def record_line_sql(first_line: int, row_index: str, breaks: str) -> str:
    """``_records``' line numbers in SQL: the line a record starts on is the first record's line,
    plus one per earlier record, plus the line breaks inside earlier records' cells (``breaks``:
    this record's, a CRLF counted once). A running sum in file order (a streaming window)."""
    return (f"{first_line:d} + {row_index} - 1 "
            f"+ sum({breaks}) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - ({breaks})")


# --- .xlsx -------------------------------------------------------------------------------

_COLUMN_LETTERS = re.compile(r"[A-Za-z]+")


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _cast_fails(kind: str, value: str) -> bool:
    """Whether openpyxl raises on this value of a number (``t="n"``) or boolean (``t="b"``) cell:
    its ``_cast_number`` and ``bool(int(value))``, so the scan refuses exactly what it cannot read."""
    try:
        if kind == "n" and ("." in value or "E" in value or "e" in value):
            float(value)
        else:
            int(value)
    except ValueError:
        return True
    return False


def _column_number(reference: str) -> int:
    letters = _COLUMN_LETTERS.match(reference)
    number = 0
    for char in letters.group(0).upper() if letters else "":
        number = number * 26 + ord(char) - 64
    return number


def bounded_rows(rows: Iterable[list[object]], source: str, limits: InputLimits) -> tuple[list, list[int]]:
    """A workbook tab's rows (from row 1) and their row numbers, refused past ``max_rows``; repeated
    short cells share one string. Whichever reader gave them (openpyxl here, calamine in files)."""
    kept: list[list[object]] = []
    line_numbers: list[int] = []
    shared = _CellInterner()
    for index, values in enumerate(rows, start=1):
        if index > limits.max_rows:
            raise SourceFileError(source, _limit_message(f"more than {limits.max_rows:,} rows", "max_rows"))
        kept.append(shared.row(values))
        line_numbers.append(index)
    return kept, line_numbers


def sheet_rows(sheet: object, source: str, limits: InputLimits, decode: bool = False) -> tuple[list, list[int]]:
    """An openpyxl read-only worksheet's rows (values) and their row numbers, bounded; with ``decode``,
    its text's escapes decoded (decode_escapes)."""
    # The <dimension> tag is the writer's claim: "A1:XFD1048576" would pad every row to
    # 16,384 cells and add empty rows up to a million. Size rows by their real cells.
    sheet.reset_dimensions()  # type: ignore[attr-defined]
    rows = sheet.iter_rows(values_only=True)  # type: ignore[attr-defined]
    return bounded_rows(decoded_rows(rows) if decode else (list(values) for values in rows), source, limits)


class _Refused(Exception):
    """A scan stops at the first problem; the message is the refusal's (a limit, or a damaged part)."""


@dataclass
class SheetScan:
    """What the scan saw in one worksheet part: enough to say whether calamine may read it
    (pipeline.sources.calamine_sheets) and how wide openpyxl would make its rows."""

    last_column: int = 0  # the rightmost cell of any row, holding a value or not (openpyxl's widest row)
    last_row: int = 0
    cells: int = 0
    # Why calamine may not read it, or None. Calamine reads an error cell (#N/A) as blank and
    # every number as a float, and holds a sheet as a dense grid; openpyxl does none of these.
    calamine_unsafe: str | None = None
    # OOXML's escape of a character, "_x000D_" for a carriage return: calamine decodes it, openpyxl keeps it
    # as written (files.WorkbookReader decodes openpyxl's cells when that is unambiguous, see decode_escapes).
    escapes: bool = False
    escaped_underscores: bool = False  # "_x005F_": openpyxl turns it into "_", so its "_x000D_" could be either


def check_xlsx_archive(stream: BinaryIO, source: str, limits: InputLimits) -> dict[str, SheetScan]:
    """Refuse a workbook that would expand past the limits, before anything is expanded.
    Returns what was seen in each worksheet part, by its name in the archive."""
    budget = limits.max_xlsx_uncompressed_mb * 1024 * 1024
    scans: dict[str, SheetScan] = {}
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            expanded = sum(member.file_size for member in members)
            if expanded > budget:
                raise SourceFileError(source, _limit_message(
                    f"the workbook expands to {expanded / 2**20:,.0f} MB", "max_xlsx_uncompressed_mb"))
            typed = _typed_parts(archive)
            for member in members:
                name = member.filename
                if name == "xl/sharedStrings.xml" or (name.startswith("xl/worksheets/") and name.endswith(".xml")) \
                        or name in typed:
                    scans[name] = _scan_xml(archive, member, source, limits)
                    if typed.get(name) == "sharedStrings" and name != "xl/sharedStrings.xml":
                        # A workbook has one shared-strings part; it is looked up by the usual name.
                        scans["xl/sharedStrings.xml"] = scans[name]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise SourceFileError(source, unreadable_workbook(type(exc).__name__)) from None
    return scans


_CONTENT_TYPES_BYTES = 1 << 20


def _typed_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet and shared-strings parts that [Content_Types].xml names, wherever they are stored (any
    path is valid OPC): the scan must see every part openpyxl will read, not only the usual names."""
    try:
        with archive.open("[Content_Types].xml") as part:
            types = part.read(_CONTENT_TYPES_BYTES)
    except KeyError:
        return {}  # openpyxl refuses it (and the usual names are scanned anyway)
    found: dict[str, str] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        # Parsed, not searched: a pattern over the part's megabyte could take quadratic time on hostile text.
        if tag.rpartition(":")[2] == "Override":
            name, kind = attrs.get("PartName", ""), attrs.get("ContentType", "")
            for suffix in ("worksheet", "sharedStrings"):
                if name and kind.endswith(f".{suffix}+xml"):
                    found[name.lstrip("/")] = suffix

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        parser.Parse(types, True)
    except expat.ExpatError:
        pass  # a truncated or broken part: what was read so far still counts; openpyxl judges the rest
    return found


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _has_xml_escape(text: str) -> bool:
    """Whether the text holds OOXML's escape of a character, ``_xHHHH_`` (``_x000D_`` for a carriage
    return): calamine decodes it and openpyxl keeps it as written. Split over two pieces of text, an
    escape is missed; the first rows' comparison (calamine_sheets) is the net under that."""
    start = text.find("_x")
    while start != -1:
        code = text[start + 2:start + 6]
        if len(code) == 4 and set(code) <= _HEX_DIGITS and text[start + 6:start + 7] == "_":
            return True
        start = text.find("_x", start + 1)
    return False


def decode_escapes(text: str) -> str:
    """OOXML's ``_xHHHH_`` escapes as the characters they stand for ("Line one_x000D_\\n" is "Line one\\r\\n"),
    as Excel shows them and calamine reads them. For openpyxl's cells, which keep them as written."""
    start = text.find("_x")
    if start == -1:
        return text
    pieces, done = [], 0
    while start != -1:
        code = text[start + 2:start + 6]
        if len(code) == 4 and set(code) <= _HEX_DIGITS and text[start + 6:start + 7] == "_":
            pieces += [text[done:start], chr(int(code, 16))]
            done = start + 7
            start = text.find("_x", done)
        else:
            start = text.find("_x", start + 1)
    return "".join(pieces) + text[done:]


def escaped_controls(text: str) -> str:
    """decode_escapes' reverse for what a writer must escape (control characters; tab and line feed may
    stand as they are): calamine's decoded text as openpyxl gives it, to compare the two."""
    if all(character >= " " or character in "\t\n" for character in text):
        return text
    return "".join(f"_x{ord(c):04X}_" if c < " " and c not in "\t\n" else c for c in text)


def decoded_rows(rows: Iterable[Sequence[object]]) -> Iterator[list[object]]:
    """openpyxl's rows with their text cells' escapes decoded (decode_escapes)."""
    for row in rows:
        yield [decode_escapes(value) if isinstance(value, str) and "_x" in value else value for value in row]


# A whole number with more digits than a float holds exactly: openpyxl reads it as an int, calamine as a float.
_FLOAT_EXACT_DIGITS = 15


def _scan_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo, source: str, limits: InputLimits) -> SheetScan:
    """Count rows, cells and text lengths of one part with expat, in constant memory."""
    # Called for every element of a sheet (a million and more): plain locals, the common names first, and
    # no end-of-element handler (a text ends where the next element starts; whitespace between elements
    # counts toward the text before it, which only ever errs toward the limit).
    rows = row = cells = column = text_length = 0
    in_text = False
    cell_kind = ""  # the current cell's t="": "n" or "b" have their value checked
    number_text: str | None = None  # the current number or boolean cell's value, while it is being read
    scan = SheetScan()
    where = f"{member.filename.rsplit('/', 1)[-1]}"
    max_rows, max_columns, max_cell_chars = limits.max_rows, limits.max_columns, limits.max_cell_chars
    column_numbers: dict[str, int] = {}

    def fail(problem: str, key: str) -> None:
        raise _Refused(_limit_message(f"{problem} ({where})", key))

    def fail_unreadable(problem: str) -> None:
        raise _Refused(unreadable_workbook(f"{where}: {problem}"))

    def number_ends() -> None:
        nonlocal number_text
        if number_text and _cast_fails(cell_kind, number_text):
            # openpyxl raises on it ("four" as a number, "true" as a boolean) and calamine reads it as
            # text or a guess: a damaged cell, refused whichever reader would have read the tab.
            kind = "a number" if cell_kind == "n" else "a true/false"
            raise _Refused(unreadable_workbook(f"{where}: cell {_column_letters(column)}{row} is marked as {kind}"
                                              " but holds something else"))
        if len(number_text) > _FLOAT_EXACT_DIGITS and scan.calamine_unsafe is None \
                and number_text.strip().lstrip("-").isdigit():
            scan.calamine_unsafe = "a whole number too long for a float"
        number_text = None

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal rows, row, cells, column, text_length, in_text, cell_kind, number_text
        in_text = False
        if number_text is not None:
            number_ends()
        local = name if ":" not in name else name.rsplit(":", 1)[-1]
        if local == "c":
            cells += 1
            reference = attrs.get("r")
            if reference:
                letters = reference.rstrip("0123456789")
                number = column_numbers.get(letters)
                if number is None:
                    number = _column_number(letters)
                    # Only real column letters (A-XFD, 18,278 at most): made-up references cannot grow it.
                    if len(letters) <= 3 and letters.isascii() and letters.isalpha() and letters.isupper():
                        column_numbers[letters] = number
                column = number
            else:
                column += 1
            if cells > max_columns or column > max_columns:
                fail(f"row {row:,} has more than {max_columns:,} columns", "max_columns")
            text_length = 0
            scan.cells += 1
            if column > scan.last_column:
                scan.last_column = column
            if row > scan.last_row:
                scan.last_row = row
            cell_kind = kind = attrs.get("t", "n")
            if (kind == "e" or kind == "d") and scan.calamine_unsafe is None:
                scan.calamine_unsafe = "an error cell" if kind == "e" else "an ISO date cell"
        elif local == "v" or local == "t":
            in_text = True
            if (cell_kind == "n" or cell_kind == "b") and local == "v":
                number_text = ""
        elif local == "row":
            rows += 1
            reference = attrs.get("r", "")
            if reference.isdigit():
                number = int(reference)
                if number <= row:
                    # openpyxl drops a row numbered at or below the one before it, and calamine merges it
                    # into that row: either loses a response without a word, so the sheet is refused.
                    fail_unreadable(f"row {number:,} is written twice" if number == row
                                    else f"row {number:,} comes after row {row:,}")
                row = number
            else:
                row += 1
            if rows > max_rows or row > max_rows:
                fail(f"more than {max_rows:,} rows", "max_rows")
            cells = column = 0
        elif local == "si":
            text_length = 0

    def text(data: str) -> None:
        nonlocal text_length, number_text
        if in_text:
            text_length += len(data)
            if text_length > max_cell_chars:
                fail(f"a cell is longer than {max_cell_chars:,} characters", "max_cell_chars")
            if number_text is not None:
                number_text += data  # expat may hand a value over in pieces (at a chunk's end)
            elif "_x" in data:
                scan.escapes = scan.escapes or _has_xml_escape(data)
                scan.escaped_underscores = scan.escaped_underscores or "_x005F_" in data or "_x005f_" in data

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        with archive.open(member) as part:
            while chunk := part.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Refused as hit:
        raise SourceFileError(source, str(hit)) from None
    except expat.ExpatError as exc:
        raise SourceFileError(source, unreadable_workbook(f"{where}: {exc}")) from None
    if number_text is not None:
        number_ends()
    return scan


# --- what a file that is not a readable workbook is instead ----------------------------------

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: .xls, or an encrypted .xlsx
_CFB_DIRECTORY_SECTORS = 64  # 256 entries at 512 bytes a sector: the encryption streams sit among the first few
_CFB_END_OF_CHAIN = 0xFFFFFFFA  # and the other special sector numbers above it


def cfb_stream_names(binary: BinaryIO) -> set[str]:
    """The names in a compound file's directory (its first ``_CFB_DIRECTORY_SECTORS`` sectors), by
    [MS-CFB]'s header, FAT and DIFAT; empty when it is not one. A password-protected .xlsx is such a
    file holding ``EncryptionInfo`` and ``EncryptedPackage`` streams; an old .xls holds ``Workbook``."""
    binary.seek(0)
    header = binary.read(512)
    if len(header) < 512 or not header.startswith(CFB_SIGNATURE):
        return set()
    shift = struct.unpack_from("<H", header, 0x1E)[0]
    if shift not in (9, 12):  # 512- or 4096-byte sectors: the only two the format has
        return set()
    size = 1 << shift
    per_sector = size // 4
    difat_first = struct.unpack_from("<I", header, 0x44)[0]

    def read_at(sector: int, offset: int, length: int) -> bytes:
        binary.seek((sector + 1) * size + offset)  # sector 0 follows the header's sector
        return binary.read(length)

    def fat_sector(index: int) -> int:
        """The index-th sector of the FAT: the header lists 109, DIFAT sectors the rest."""
        if index < 109:
            return struct.unpack_from("<I", header, 0x4C + 4 * index)[0]
        index -= 109
        sector = difat_first
        for _ in range(index // (per_sector - 1)):  # each DIFAT sector ends with the next one's number
            if sector >= _CFB_END_OF_CHAIN:
                return sector
            raw = read_at(sector, size - 4, 4)
            sector = struct.unpack("<I", raw)[0] if len(raw) == 4 else _CFB_END_OF_CHAIN
        if sector >= _CFB_END_OF_CHAIN:
            return sector
        raw = read_at(sector, 4 * (index % (per_sector - 1)), 4)
        return struct.unpack("<I", raw)[0] if len(raw) == 4 else _CFB_END_OF_CHAIN

    names: set[str] = set()
    sector, seen = struct.unpack_from("<I", header, 0x30)[0], set()
    while sector < _CFB_END_OF_CHAIN and sector not in seen and len(seen) < _CFB_DIRECTORY_SECTORS:
        seen.add(sector)
        data = read_at(sector, 0, size)
        for entry in range(0, len(data) - 127, 128):
            length = struct.unpack_from("<H", data, entry + 64)[0]  # in bytes, with the closing NUL
            if 2 <= length <= 64 and length % 2 == 0 and data[entry + 66] in (1, 2):  # a storage or a stream
                names.add(data[entry:entry + length - 2].decode("utf-16-le", errors="replace"))
        table = fat_sector(sector // per_sector)
        if table >= _CFB_END_OF_CHAIN:
            break
        raw = read_at(table, 4 * (sector % per_sector), 4)
        sector = struct.unpack("<I", raw)[0] if len(raw) == 4 else _CFB_END_OF_CHAIN
    return names


_STRICT_NAMESPACE = b"purl.oclc.org/ooxml/"  # Strict Open XML's namespaces; transitional ones are schemas.openxmlformats.org
_OUTLINE_PART_BYTES = 1 << 20  # a workbook part lists its tabs in its first kilobytes


def _elements(xml: bytes) -> list[tuple[str, dict[str, str]]]:
    """The (local name, attributes) of each element of a part, parsed by expat (as the limits scan
    parses): searching a part's megabyte with a pattern could take quadratic time on hostile text.
    A broken or cut-off part gives what was read before the break."""
    found: list[tuple[str, dict[str, str]]] = []
    parser = expat.ParserCreate()
    parser.StartElementHandler = lambda tag, attrs: found.append((tag.rpartition(":")[2], attrs))
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        pass
    return found


def workbook_without_tabs(stream: BinaryIO, found: int) -> str | None:
    """Why openpyxl found no tab of rows in a workbook it opened, when the cause is not charts only: a
    Strict Open XML workbook (openpyxl reads the transitional namespaces only), or more tabs listed than
    the ``found`` ones (charts among them) because a tab's part is missing."""
    stream.seek(0)
    with zipfile.ZipFile(stream) as archive:
        names = set(archive.namelist())

        def head(name: str) -> bytes:
            if name not in names:
                return b""
            with archive.open(name) as part:
                return part.read(_OUTLINE_PART_BYTES)

        relations = head("_rels/.rels")
        targets = [attrs.get("Target", "") for tag, attrs in _elements(relations)
                   if tag == "Relationship" and attrs.get("Type", "").endswith("/officeDocument")]
        workbook = head(targets[0].lstrip("/") if targets and targets[0] else "xl/workbook.xml")
        if _STRICT_NAMESPACE in relations or _STRICT_NAMESPACE in workbook[:4096]:
            return "a Strict Open XML workbook: save it in Excel as \"Excel Workbook (.xlsx)\""
        if sum(1 for tag, _attrs in _elements(workbook) if tag == "sheet") > found:
            return unreadable_workbook("a tab's sheet part is missing")
    return None
