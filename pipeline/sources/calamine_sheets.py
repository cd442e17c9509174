"""A worksheet's rows read by calamine (Rust) instead of openpyxl, with openpyxl's values.

openpyxl parses a sheet's XML in Python, about 0.3 ms a row; a Microsoft Forms export of
70,000 responses took 12-20 s to read. calamine (python-calamine, the engine pandas offers
as ``engine="calamine"``) reads the same sheet in about a second. The rest of the load is
unchanged: these rows go where openpyxl's went (``files.table_from_rows``).

The two readers differ in a few places, and each is handled so that a workbook loads the
same either way (``tests/test_calamine_sheets.py`` loads every workbook both ways):

* a date without a time is a ``date`` in calamine and a ``datetime`` in openpyxl: converted;
* a whole number is a float in calamine (``5.0``) and an int in openpyxl: equal as numbers,
  written the same by ``cell_text``; one too long for a float is not, and the scan sends
  that sheet to openpyxl (``bounded_read.SheetScan``), as it does for error cells (``#N/A``,
  which calamine reads as blank) and ISO date cells;
* openpyxl gives each row up to its last cell element, valued or not, so a formatted empty
  cell far right widens its rows; the rows here are padded to the scan's widest row, so the
  first rows compare cell for cell (either reader's rows are then held up to their last value,
  ``bounded_read.bounded_rows``);
* calamine holds a sheet as a dense grid: a sheet whose cells are scattered over a much
  larger area than they fill is read by openpyxl;
* calamine decodes OOXML's character escapes (``_x000D_`` is a carriage return), as Excel shows
  them; openpyxl keeps them as written (and turns an escaped underscore, ``_x005F_``, into "_").
  The first rows are compared as written (``escaped_controls``), and where openpyxl reads a tab
  its text is decoded (``files.WorkbookReader``) unless the workbook escapes underscores too.

Where a date format is custom, the two could still disagree on whether a number is a date.
So before calamine's rows are used, the first ``AGREEMENT_ROWS`` rows are read by openpyxl
too and compared; any difference and the sheet is read by openpyxl (``reader`` says which).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from pipeline.sources.bounded_read import SheetScan, escaped_controls

AGREEMENT_ROWS = 200  # rows read by both readers before calamine's are trusted (the header and title rows among them)
# A grid of at most this many cells, or four times the cells the sheet holds, is read densely (about
# 32 bytes a cell); a sheet scattered over more is read by openpyxl, which streams it.
DENSE_CELLS_FLOOR = 2_000_000
DENSE_CELLS_PER_CELL = 4


def calamine_refusal(scan: SheetScan | None, shared_strings: SheetScan | None = None) -> str | None:
    """Why this sheet must be read by openpyxl (None: calamine may read it). ``shared_strings`` is
    the scan of the strings every sheet shares."""
    if scan is None:
        return "its part was not scanned"
    if scan.calamine_unsafe:
        return f"it holds {scan.calamine_unsafe}"
    if shared_strings is not None and shared_strings.calamine_unsafe:
        return f"the workbook's shared strings hold {shared_strings.calamine_unsafe}"
    if scan.last_row * scan.last_column > max(DENSE_CELLS_FLOOR, DENSE_CELLS_PER_CELL * scan.cells):
        return "its cells are scattered over a large area"
    return None


def open_calamine(stream: BinaryIO) -> Any:  # noqa: ANN401 - python_calamine.CalamineWorkbook
    from python_calamine import CalamineWorkbook  # imported lazily: only .xlsx inputs need it

    stream.seek(0)
    return CalamineWorkbook.from_filelike(stream)


def _as_openpyxl(value: object) -> object:
    # openpyxl returns every date cell of a day or more as a datetime; calamine a date when it has no time.
    if type(value) is datetime.date:
        return datetime.datetime(value.year, value.month, value.day)
    return value


class CalamineShapeError(Exception):
    """calamine gave a different number of rows than its sheet spans (the caller reads the tab by openpyxl)."""


def calamine_rows(book: Any, name: str, scan: SheetScan) -> Iterator[list[object]]:  # noqa: ANN401
    """The sheet's rows from row 1, each as long as openpyxl's widest row (``scan.last_column``)."""
    sheet = book.get_sheet_by_name(name)
    start, end = sheet.start, sheet.end
    if start is None or end is None:
        return
    # python-calamine 0.9's iter_rows gives rows from the sheet's first row (A1's) but columns from its
    # first used column: both are checked (the row count here, the cells by first_rows_agree).
    lead = [None] * start[1]
    width = scan.last_column
    count = 0
    for values in sheet.iter_rows():
        count += 1
        row = lead + [None if cell == "" else _as_openpyxl(cell) for cell in values]
        if len(row) < width:
            row.extend([None] * (width - len(row)))
        yield row
    if count != end[0] + 1:
        raise CalamineShapeError(f"{count} rows for a sheet ending on row {end[0] + 1}")


def _blank(cell: object) -> bool:
    return cell is None or cell == ""


def _same_cell(left: object, right: object) -> bool:
    """Equal values of the same kind: blank is blank, and a number is a number (openpyxl's 5, calamine's 5.0)."""
    if _blank(left) or _blank(right):
        return _blank(left) and _blank(right)
    if left != right:
        # calamine decodes "_x000D_" (a carriage return), openpyxl keeps it: the same text as written
        return isinstance(left, str) and isinstance(right, str) and left == escaped_controls(right)
    numbers = (int, float)
    return type(left) is type(right) or (type(left) in numbers and type(right) in numbers)


def first_rows_agree(openpyxl_rows: Iterator[tuple], rows: list[list[object]]) -> bool:
    """Whether openpyxl's first rows hold the same values as calamine's (blank is blank, 5 is 5.0)."""
    for index, reference in enumerate(openpyxl_rows):
        if index >= len(rows):  # calamine's rows ended: openpyxl's may go on only with blank ones
            if not all(_blank(cell) for cell in reference):
                return False
            continue
        row = rows[index]
        if len(reference) > len(row) and not all(_same_cell(cell, None) for cell in reference[len(row):]):
            return False
        if not all(_same_cell(cell, row[i]) for i, cell in enumerate(reference[:len(row)])):
            return False
        if not all(_same_cell(None, cell) for cell in row[len(reference):]):
            return False
    return True


def agreed_rows(book: Any, name: str, scan: SheetScan,  # noqa: ANN401
                openpyxl_head: Callable[[int], Iterator[tuple]]) -> Iterator[list[object]] | None:
    """The sheet's rows by calamine if its first rows agree with openpyxl's, else None."""
    rows = calamine_rows(book, name, scan)
    head = [row for _, row in zip(range(AGREEMENT_ROWS), rows)]
    if not first_rows_agree(openpyxl_head(AGREEMENT_ROWS), head):
        return None
    return itertools.chain(head, rows)
