"""Read survey/attendance exports from disk into a header and raw rows.

Only I/O and decoding live here; what the columns mean is decided in
``pipeline.parse``. Cells stay as the file gives them (strings for CSV,
strings/numbers/datetimes for .xlsx).
"""

from __future__ import annotations

import io
import itertools
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import SourceFileError
from pipeline.parse.cells import cell_string, is_blank_row
from pipeline.sources.bounded_read import (
    bounded_rows, cfb_stream_names, check_input_size, check_xlsx_archive, read_csv_stream, sheet_rows,
    unreadable_workbook, workbook_without_tabs,
)
from pipeline.sources.calamine_sheets import agreed_rows, calamine_refusal, open_calamine
from core.settings import InputLimits

# openpyxl warns on stderr about parts it drops ("invalid specification ... will be removed"): the
# user gets one line from us saying what is wrong instead. A filter set once, not catch_warnings around
# each read: that swaps the process's filters and is not safe while the app loads in other threads.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")

# What openpyxl raises, at load or lazily while a tab's rows are read, on a damaged part: an index past
# the shared strings, a malformed style or relationship part (lxml's and ElementTree's errors are
# SyntaxErrors), a value it cannot convert. Each is the workbook's fault, said in one line.
DAMAGED_PART_ERRORS = (zipfile.BadZipFile, EOFError, KeyError, IndexError, ValueError, TypeError,
                       AttributeError, SyntaxError, ArithmeticError)

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
ENCODING_HEAD_BYTES = 4096  # what the text encoding is decided on (bounded_read.text_encoding); the CSV fast path too


@dataclass(frozen=True)
class RawTable:
    """A file's first non-empty row as header, then its data rows.

    ``line_numbers[i]`` is the 1-based line (CSV) or row (xlsx) where ``rows[i]``
    starts, so rejects can point a user at the exact place.
    """

    source: str
    header: list[str]
    rows: list[list[object]]
    line_numbers: list[int]


def read_xlsx(data: bytes | BinaryIO, source: str, worksheet: str | None = None,
              limits: InputLimits | None = None) -> RawTable:
    limits = limits or InputLimits()
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    book = WorkbookReader(stream, source, limits, (worksheet,) if worksheet is not None else ())
    try:
        rows, line_numbers = book.rows(worksheet if worksheet is not None else book.sheetnames[0], source)
    finally:
        book.close()
    return table_from_rows(source, rows, line_numbers)


class WorkbookReader:
    """An .xlsx whose archive passed ``limits``, read a tab at a time: by calamine where it reads the
    tab as openpyxl would (pipeline.sources.calamine_sheets), else by openpyxl. The named tabs must exist."""

    def __init__(self, stream: BinaryIO, source: str, limits: InputLimits, worksheets: tuple[str, ...]) -> None:
        import openpyxl  # imported lazily: only .xlsx inputs need it

        self.scans = check_xlsx_archive(stream, source, limits)  # before anything is expanded
        stream.seek(0)
        try:
            self.book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except (*DAMAGED_PART_ERRORS, OSError) as exc:
            raise SourceFileError(source, unreadable_workbook(type(exc).__name__)) from None
        # A chart tab (a chartsheet) holds no rows: it is not among the tabs read, and naming it is refused.
        self.sheetnames = [sheet.title for sheet in self.book.worksheets]
        missing = [w for w in worksheets if w not in self.sheetnames]
        if missing:
            self.book.close()
            problem = (f"worksheet {missing[0]!r} is a chart, not a tab of rows" if missing[0] in self.book.sheetnames
                       else f"no worksheet {missing[0]!r}")
            raise SourceFileError(source, f"{problem}; it has {', '.join(self.sheetnames) or 'no tab of rows'}")
        if not self.sheetnames:
            self.book.close()
            raise SourceFileError(source, workbook_without_tabs(stream, len(self.book.sheetnames))
                                  or "no tab of rows in the workbook (only charts)")
        self.stream, self.limits = stream, limits
        self.calamine: object | None = None
        self.reader_of: dict[str, str] = {}  # tab -> "calamine" or "openpyxl (why)": what tests and the bench look at

    def rows(self, name: str, source: str) -> tuple[list, list[int]]:
        """The tab's rows and their row numbers, bounded (as ``sheet_rows`` gives them)."""
        sheet = self.book[name]
        scan = self.scans.get(str(getattr(sheet, "_worksheet_path", "")).lstrip("/"))
        shared_strings = self.scans.get("xl/sharedStrings.xml")
        refusal = calamine_refusal(scan, shared_strings)
        # openpyxl keeps "_x000D_" as written: its rows are decoded, as Excel shows them and calamine reads them,
        # unless the workbook also escapes underscores, which openpyxl turns into "_" (its "_x000D_" could then
        # be typed text). calamine's rows are compared with openpyxl's as written (calamine_sheets._same_cell).
        parts = [part for part in (scan, shared_strings) if part is not None]
        decode = any(part.escapes for part in parts) and not any(part.escaped_underscores for part in parts)
        if refusal is None and self.calamine is None:
            try:
                self.calamine = open_calamine(self.stream)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - any failure of the faster reader (a Rust panic is a
                # BaseException) leaves the reference one
                refusal = f"calamine cannot open it ({type(exc).__name__})"
        if refusal is None:
            assert scan is not None and self.calamine is not None

            def openpyxl_head(count: int) -> Iterator[tuple]:
                sheet.reset_dimensions()
                return itertools.islice(sheet.iter_rows(values_only=True), count)

            try:
                found = agreed_rows(self.calamine, name, scan, openpyxl_head)
                if found is not None:
                    rows, line_numbers = bounded_rows(found, source, self.limits)
                    self.reader_of[name] = "calamine"
                    return rows, line_numbers
            except (SourceFileError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - as above
                refusal = f"calamine cannot read it ({type(exc).__name__})"
            refusal = refusal or "calamine reads its first rows differently"
        self.reader_of[name] = f"openpyxl ({refusal})"
        try:
            return sheet_rows(sheet, source, self.limits, decode)
        except DAMAGED_PART_ERRORS as exc:  # openpyxl parses a tab lazily, so a damaged cell raises only here
            part = str(getattr(sheet, "_worksheet_path", "")).rsplit("/", 1)[-1]
            raise SourceFileError(source, unreadable_workbook(f"{part}: {type(exc).__name__}")) from None

    def close(self) -> None:
        self.book.close()
        if self.calamine is not None:
            self.calamine.close()  # type: ignore[attr-defined]
            self.calamine = None


# --- every tab of a workbook (issue #10) ---


@dataclass(frozen=True)
class Tab:
    name: str
    table: RawTable | None  # None: the tab is empty


def read_tabs(path: Path, worksheets: tuple[str, ...] = (), limits: InputLimits | None = None) -> list[Tab] | None:
    """Every tab of an .xlsx (or the named ones, in that order); None when it is not a workbook.

    A workbook with one tab keeps the file name as its source; with several, each tab's
    source is "FILE / TAB" so rejects and the summary say which tab. The archive and each
    sheet are checked against ``limits`` before openpyxl expands anything (as read_xlsx does).
    """
    source = str(path)
    limits = limits or InputLimits()
    try:
        with path.open("rb") as handle:  # the signature only: a large CSV is not read twice
            is_workbook = handle.read(4) == b"PK\x03\x04"
    except OSError:
        return None  # read_table reports it in its own words
    if not is_workbook:
        if worksheets:
            _raise_not_workbook(source, worksheets)
        return None
    with path.open("rb") as stream:
        book = WorkbookReader(stream, source, limits, worksheets)
        try:
            tabs = []
            for name in list(worksheets) or book.sheetnames:
                tab_source = source if len(book.sheetnames) == 1 else f"{source} / {name}"
                rows, line_numbers = book.rows(name, tab_source)
                try:
                    table = table_from_rows(tab_source, rows, line_numbers)
                except SourceFileError:
                    table = None
                tabs.append(Tab(name, table))
        finally:
            book.close()
    return tabs


def _raise_not_workbook(source: str, worksheets: tuple[str, ...]) -> None:
    raise SourceFileError(source, f"--worksheet {worksheets[0]!r} was given but this is not an .xlsx workbook")


# --- end of issue #10 block ---


def cell_text(value: object) -> str:
    """A cell as trimmed text: blank for None, whole floats without ".0" (what spreadsheets give)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def table_from_rows(source: str, rows: list[list[object]], line_numbers: list[int]) -> RawTable:
    """Take the first non-empty row as header; name blank and repeated headers."""
    while rows and is_blank_row(rows[0]):
        rows.pop(0)
        line_numbers.pop(0)
    if not rows:
        raise SourceFileError(source, "the file is empty")
    data_rows, data_lines = [], []
    for row, line in split_joined_headers(rows[0], rows[1:], line_numbers[1:]):
        if is_blank_row(row):
            continue  # blank lines between records carry nothing
        data_rows.append(row)
        data_lines.append(line)
    # Cells beyond the header get a blank-header name ("column 7") so they go
    # through the same column rules (identity columns dropped) as every other.
    width = max(len(row) for row in [rows[0], *data_rows])
    header = dedupe_headers(list(rows[0]) + [None] * (width - len(rows[0])))
    return RawTable(source, header, data_rows, data_lines)


def header_name(cell: object) -> str:
    """A header cell as its name: trimmed, without a BOM (a file's first cell may carry one)."""
    return cell_string(cell).strip().lstrip("\ufeff")


def split_joined_headers(head: list[object], rows: list[list[object]],
                         lines: list[int]) -> Iterator[tuple[list[object], int]]:
    """The rows under ``head``, where a row that ends with the header again is given back as two rows.

    Two exports joined end to end (``cat a.csv b.csv``) where the first has no final line break, as
    Google Sheets' CSV download has none, put the second's header at the end of the first's last row:
    "…,fine" + "Timestamp,Series,…" reads as one row "…,fineTimestamp,Series,…". Only a row holding the
    whole header after its own cells is split; the header row then goes on as a row of its own, on the
    same line, which the parser rejects as the header repeated (parse.surveys), so the split is shown."""
    names = [header_name(cell) for cell in head]
    while names and not names[-1]:
        names.pop()
    width = len(names)
    first = names[0] if names else ""
    for row, line in zip(rows, lines):
        if width >= 2 and first and len(row) > width:
            used = len(row)
            while used and not header_name(row[used - 1]):
                used -= 1
            joined = used - width  # where the header's first cell is, joined to the row's last cell
            end = cell_string(row[joined]).rstrip() if joined >= 1 else ""
            if joined >= 1 and [header_name(cell) for cell in row[joined + 1:used]] == names[1:]:
                spelled = next((s for s in (first, f'"{first}"') if end.endswith(s)), None)
                if spelled is not None:
                    cut = end[:len(end) - len(spelled)].rstrip("\ufeff")
                    if cut.endswith('"') and cut.count('"') % 2:
                        # '"fine"' + '"Timestamp"' reads as 'fine"Timestamp': the header's opening quote
                        # was taken as a doubled quote inside the quoted cell, and is the one left unpaired.
                        cut = cut[:-1]
                    yield [*row[:joined], cut], line
                    yield [first, *row[joined + 1:used]], line
                    continue
        yield row, line


def promote_header(table: RawTable, index: int) -> RawTable:
    """The same rows with data row ``index`` as the header: for sheets that put a title
    or notes above their real header row."""
    head = table.rows[index]
    data = list(split_joined_headers(head, table.rows[index + 1:], table.line_numbers[index + 1:]))
    width = max(len(row) for row in [head, *(row for row, _line in data)])
    header = dedupe_headers(list(head) + [None] * (width - len(head)))
    return RawTable(table.source, header, [row for row, _line in data], [line for _row, line in data])


def dedupe_headers(cells: list[object]) -> list[str]:
    """Blank headers become ``column 3``; a repeated header becomes ``Name (2)``."""
    seen: dict[str, int] = {}
    header = []
    for index, cell in enumerate(cells, start=1):
        # cell_string: a whole number is "4" whether the workbook's reader gave 4 or 4.0 (calamine's floats).
        name = header_name(cell)
        if not name:
            name = f"column {index}"
        count = seen.get(name.casefold(), 0) + 1
        seen[name.casefold()] = count
        header.append(name if count == 1 else f"{name} ({count})")
    return header


def header_texts(header: list[str]) -> list[list[str]]:
    """Each column's header and, for a repeat that ``dedupe_headers`` renamed ("Name (2)"), the name it
    repeats: mapping matches both, so two columns under one name are two candidates (refused as such),
    never the first taken and the second dropped."""
    seen: set[str] = set()
    texts = []
    for name in header:
        base, opening, count = name.rpartition(" (")
        repeated = bool(opening) and count.endswith(")") and count[:-1].isdigit() and base.casefold() in seen
        texts.append([name, base] if repeated else [name])
        seen.add(name.casefold())
    return texts


def read_table(path: Path, worksheet: str | None = None, limits: InputLimits | None = None) -> RawTable:
    source = str(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise SourceFileError(source, "no such file") from None
    except IsADirectoryError:
        raise SourceFileError(source, "is a folder, not a file") from None
    except OSError as exc:
        raise SourceFileError(source, f"cannot read the file ({exc.strerror})") from None
    try:
        with handle:
            return read_table_stream(handle, source, worksheet, limits)
    except OSError as exc:
        raise SourceFileError(source, f"cannot read the file ({exc.strerror})") from None


def expand_inputs(paths: list[Path], suffixes: tuple[str, ...] = SUPPORTED_SUFFIXES,
                  described: str = ".csv or .xlsx") -> list[Path]:
    """Files as given; folders contribute their files with one of ``suffixes``, sorted by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
            if not found:
                raise SourceFileError(str(path), f"the folder holds no {described} files")
            files.extend(found)
        else:
            files.append(path)
    return files


def read_table_stream(binary: BinaryIO, source: str, worksheet: str | None = None,
                      limits: InputLimits | None = None) -> RawTable:
    """Read from a seekable binary stream: the file is never held whole in memory
    (see pipeline.sources.bounded_read for the bounds on rows, columns, cells and archives)."""
    limits = limits or InputLimits()
    check_input_size(binary, source, limits)
    head = binary.read(ENCODING_HEAD_BYTES)
    binary.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return read_xlsx(binary, source, worksheet, limits)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # Excel saves a password-protected .xlsx as a compound file too, the workbook encrypted inside.
        if {"EncryptionInfo", "EncryptedPackage"} <= cfb_stream_names(binary):
            raise SourceFileError(source, "password-protected workbook: remove the password in Excel and save again")
        raise SourceFileError(source, "old Excel .xls format: save it as .xlsx or CSV")
    if not head.strip() and not binary.read(1 << 16).strip():
        raise SourceFileError(source, "the file is empty")
    binary.seek(0)
    rows, line_numbers = read_csv_stream(binary, source, head, limits)
    return table_from_rows(source, rows, line_numbers)
