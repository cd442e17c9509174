"""Read survey/attendance exports from disk into a header and raw rows.

Only I/O and decoding live here; what the columns mean is decided in
``pipeline.parse``. Cells stay as the file gives them (strings for CSV,
strings/numbers/datetimes for .xlsx).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SourceFileError

# A legitimate feedback answer is never this long; bigger cells are read (so the
# row can be rejected with a reason) but capped so one cell cannot exhaust memory.
CSV_FIELD_LIMIT = 64 * 1024 * 1024
csv.field_size_limit(CSV_FIELD_LIMIT)

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")


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


def decode_text(data: bytes, source: str) -> str:
    """Decode CSV bytes: BOMs first, then UTF-16 without BOM, UTF-8, then cp1252.

    Excel's "Unicode text" is UTF-16 LE with a BOM; its legacy "CSV" is cp1252.
    A UTF-8 file cut in the middle of a character is an error, not mojibake.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", source)
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data, "utf-16", source)
    sample = data[:4096]
    if len(sample) >= 4:
        # ASCII text in UTF-16 has a NUL in every other byte.
        even_nuls = sample[0::2].count(0) / max(1, len(sample[0::2]))
        odd_nuls = sample[1::2].count(0) / max(1, len(sample[1::2]))
        if odd_nuls > 0.4 and even_nuls < 0.1:
            return _strict(data, "utf-16-le", source)
        if even_nuls > 0.4 and odd_nuls < 0.1:
            return _strict(data, "utf-16-be", source)
    if b"\x00" in sample:
        raise SourceFileError(source, "binary content: not a CSV or .xlsx file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Only an incomplete sequence at the very end is a cut; a cp1252 accent
        # near the end (e.g. "café\r\n") is an invalid sequence, not a truncation.
        if exc.reason == "unexpected end of data":
            raise SourceFileError(
                source, "the file ends in the middle of a UTF-8 character (truncated download?)"
            ) from None
        if _has_utf8_multibyte(data[: exc.start]):
            raise SourceFileError(
                source, f"invalid UTF-8 at byte {exc.start}; re-save the file as UTF-8 CSV"
            ) from None
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise SourceFileError(source, "cannot decode the file: save it as UTF-8 CSV") from None


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceFileError(source, f"invalid {encoding.upper()} text at byte {exc.start}") from None


def _has_utf8_multibyte(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b >= 0x80 for b in data)


_SEPARATOR_HINT = re.compile(r"^\ufeff?sep=(.)$")


def sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter that splits the header most: comma, semicolon or tab."""
    counts = {d: _count_outside_quotes(header_line, d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def parse_csv_text(text: str, source: str) -> RawTable:
    first_line = text.split("\n", 1)[0]
    start = 1
    hint = _SEPARATOR_HINT.match(first_line.strip())
    if hint:
        # Excel's "sep=;" first line names the delimiter; it is not part of the data.
        delimiter = hint.group(1)
        text = text.split("\n", 1)[1] if "\n" in text else ""
        start = 2
    else:
        delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[object]] = []
    line_numbers: list[int] = []
    first_line_number = start
    try:
        for record in reader:
            rows.append(record)  # type: ignore[arg-type]
            line_numbers.append(start)
            start = reader.line_num + first_line_number
    except csv.Error as exc:
        raise SourceFileError(source, f"malformed CSV near line {start}: {exc}") from None
    return table_from_rows(source, rows, line_numbers)


def read_xlsx(data: bytes, source: str, worksheet: str | None = None) -> RawTable:
    import openpyxl  # imported lazily: only .xlsx inputs need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SourceFileError(source, f"not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        if worksheet is not None:
            if worksheet not in book.sheetnames:
                raise SourceFileError(
                    source, f"no worksheet {worksheet!r}; it has {', '.join(book.sheetnames)}"
                )
            sheet = book[worksheet]
        else:
            sheet = book.worksheets[0]
        rows: list[list[object]] = []
        line_numbers: list[int] = []
        for index, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append(list(values))
            line_numbers.append(index)
    finally:
        book.close()
    return table_from_rows(source, rows, line_numbers)


# --- every tab of a workbook (issue #10) ---


@dataclass(frozen=True)
class Tab:
    name: str
    table: RawTable | None  # None: the tab is empty


def read_tabs(path: Path, worksheets: tuple[str, ...] = ()) -> list[Tab] | None:
    """Every tab of an .xlsx (or the named ones, in that order); None when it is not a workbook.

    A workbook with one tab keeps the file name as its source; with several, each tab's
    source is "FILE / TAB" so rejects and the summary say which tab.
    """
    source = str(path)
    try:
        with path.open("rb") as handle:  # the signature only: a large CSV is not read twice
            is_workbook = handle.read(4) == b"PK\x03\x04"
        data = path.read_bytes() if is_workbook else b""
    except OSError:
        return None  # read_table reports it in its own words
    if not is_workbook:
        if worksheets:
            _raise_not_workbook(source, worksheets)
        return None
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SourceFileError(source, f"not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        missing = [w for w in worksheets if w not in book.sheetnames]
        if missing:
            raise SourceFileError(source, f"no worksheet {missing[0]!r}; it has {', '.join(book.sheetnames)}")
        names = list(worksheets) or list(book.sheetnames)
        tabs = []
        for name in names:
            tab_source = source if len(book.sheetnames) == 1 else f"{source} / {name}"
            rows = [list(values) for values in book[name].iter_rows(values_only=True)]
            try:
                table = table_from_rows(tab_source, rows, list(range(1, len(rows) + 1)))
            except SourceFileError:
                table = None
            tabs.append(Tab(name, table))
    finally:
        book.close()
    return tabs


def _raise_not_workbook(source: str, worksheets: tuple[str, ...]) -> None:
    raise SourceFileError(source, f"--worksheet {worksheets[0]!r} was given but this is not an .xlsx workbook")


# --- end of issue #10 block ---


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def table_from_rows(source: str, rows: list[list[object]], line_numbers: list[int]) -> RawTable:
    """Take the first non-empty row as header; name blank and repeated headers."""
    while rows and all(_is_blank(c) for c in rows[0]):
        rows.pop(0)
        line_numbers.pop(0)
    if not rows:
        raise SourceFileError(source, "the file is empty")
    # Cells beyond the header get a blank-header name ("column 7") so they go
    # through the same column rules (identity columns dropped) as every other.
    width = max(len(row) for row in rows)
    header = dedupe_headers(list(rows[0]) + [None] * (width - len(rows[0])))
    data_rows, data_lines = [], []
    for row, line in zip(rows[1:], line_numbers[1:]):
        if all(_is_blank(c) for c in row):
            continue  # blank lines between records carry nothing
        data_rows.append(row)
        data_lines.append(line)
    return RawTable(source, header, data_rows, data_lines)


def promote_header(table: RawTable, index: int) -> RawTable:
    """The same rows with data row ``index`` as the header: for sheets that put a title
    or notes above their real header row."""
    rows = table.rows[index:]
    width = max(len(row) for row in rows)
    header = dedupe_headers(list(rows[0]) + [None] * (width - len(rows[0])))
    return RawTable(table.source, header, rows[1:], table.line_numbers[index + 1:])


def dedupe_headers(cells: list[object]) -> list[str]:
    """Blank headers become ``column 3``; a repeated header becomes ``Name (2)``."""
    seen: dict[str, int] = {}
    header = []
    for index, cell in enumerate(cells, start=1):
        name = "" if cell is None else str(cell).strip().lstrip("\ufeff")
        if not name:
            name = f"column {index}"
        count = seen.get(name.casefold(), 0) + 1
        seen[name.casefold()] = count
        header.append(name if count == 1 else f"{name} ({count})")
    return header


def read_table_bytes(data: bytes, source: str, worksheet: str | None = None) -> RawTable:
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data, source, worksheet)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceFileError(source, "old Excel .xls format: save it as .xlsx or CSV")
    if not data.strip():
        raise SourceFileError(source, "the file is empty")
    return parse_csv_text(decode_text(data, source), source)


def read_table(path: Path, worksheet: str | None = None) -> RawTable:
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceFileError(source, "no such file") from None
    except IsADirectoryError:
        raise SourceFileError(source, "is a folder, not a file") from None
    except OSError as exc:
        raise SourceFileError(source, f"cannot read the file ({exc.strerror})") from None
    return read_table_bytes(data, source, worksheet)


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given; folders contribute their supported files, sorted by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
            if not found:
                raise SourceFileError(str(path), "the folder holds no .csv or .xlsx files")
            files.extend(found)
        else:
            files.append(path)
    return files
