"""A workbook tab read by calamine must load exactly as the same tab read by openpyxl.

Each test writes a real .xlsx (XlsxWriter, the way Excel and the survey tools write them:
shared strings, number formats, formulas with cached values), reads or loads it once with
calamine allowed and once with openpyxl forced, and compares what a user would see: the
table's header and cells (as text), and the whole database and summary of a load. Where
calamine may not be trusted (error cells, long whole numbers, a sparse grid), the test
checks that openpyxl read the tab, and why.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import xlsxwriter

from pipeline.parse.cells import cell_string
from pipeline.sources import bounded_read, files
from pipeline.sources.files import read_tabs
from core.settings import InputLimits, Settings

from tests.survey_text import FB, S1, S2, S3, S4
from tests.test_csv_fast_path import TABLE_QUERIES, db_contents, ingest_one_way

HEADER = ["Timestamp", "Series", S1, S2, S3, S4, FB]


def tab_readers(path: Path, limits: InputLimits | None = None) -> dict[str, str]:
    """Which reader read each tab of the workbook, and why (WorkbookReader's own record)."""
    with path.open("rb") as stream:
        book = files.WorkbookReader(stream, str(path), limits or InputLimits(), ())
        try:
            for name in book.sheetnames:
                book.rows(name, str(path))
            return dict(book.reader_of)
        finally:
            book.close()


def _openpyxl_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "calamine_refusal", lambda *scans: "forced by the test")


def _as_text(tabs) -> list:  # noqa: ANN001
    """Each tab's header and cells as text, rows padded to one width: what the parsers read."""
    out = []
    for tab in tabs:
        if tab.table is None:
            out.append((tab.name, None))
            continue
        width = len(tab.table.header)
        rows = [[cell_string(c) for c in row] + [""] * (width - len(row)) for row in tab.table.rows]
        out.append((tab.name, tab.table.header, rows, tab.table.line_numbers))
    return out


def _both_ways(path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202
    calamine = read_tabs(path)
    with monkeypatch.context() as patch:
        _openpyxl_only(patch)
        reference = read_tabs(path)
    return calamine, reference


def _write(path: Path, sheets: dict[str, list[list[object]]], *, date_1904: bool = False,
           styled_blank: tuple[int, int] | None = None, first_cell: tuple[int, int] = (0, 0)) -> Path:
    """A workbook whose cells are typed the way spreadsheets type them (datetimes with a date format)."""
    book = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    formats = {
        datetime.datetime: book.add_format({"num_format": "m/d/yyyy h:mm:ss"}),
        datetime.date: book.add_format({"num_format": "yyyy-mm-dd"}),
        datetime.time: book.add_format({"num_format": "hh:mm"}),
    }
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        top, left = first_cell
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                at = (top + r, left + c)
                if value is None:
                    continue
                if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
                    sheet.write_datetime(*at, value, formats[type(value)])
                elif isinstance(value, tuple):  # ("formula", cached value)
                    sheet.write_formula(*at, value[0], None, value[1])
                elif isinstance(value, bool):
                    sheet.write_boolean(*at, value)
                elif isinstance(value, str):
                    sheet.write_string(*at, value)
                else:
                    sheet.write_number(*at, value)
        if styled_blank:
            sheet.write_blank(*styled_blank, None, book.add_format({"bold": True}))
    book.close()
    return path


def _survey_rows(count: int = 12) -> list[list[object]]:
    labels = ["Strongly agree", "Agree", "Neutral", "Disagree", 5, 4.0, "maybe"]
    rows: list[list[object]] = [HEADER]
    for i in range(count):
        when = datetime.datetime(2026, 5, 1 + i % 20, 9 + i % 8, 7 * i % 60, 0, (i * 123_000) % 1_000_000)
        rows.append([when, f"Team {'AB'[i % 2]}", labels[i % 7], labels[(i + 1) % 7], labels[(i + 2) % 7],
                     labels[(i + 3) % 7], None if i % 3 else f"comment {i}\nsecond line"])
    return rows


CASES = {
    "plain survey": dict(sheets={"Form1": _survey_rows()}),
    "1904 dates": dict(sheets={"Form1": _survey_rows()}, date_1904=True),
    "a title above the header and a gap": dict(sheets={"Form1": [["Weekly review export"], [], *_survey_rows()[:5],
                                                                 [], [], *_survey_rows()[5:]]}),
    "data starting at C4": dict(sheets={"Form1": _survey_rows()}, first_cell=(3, 2)),
    "a formatted empty cell far right": dict(sheets={"Form1": _survey_rows()}, styled_blank=(3, 12)),
    "date-only, time-only, numbers, booleans": dict(sheets={"Form1": [
        HEADER + ["Day", "At", "Score", "Flag", "Big"],
        *[row + [datetime.date(2026, 5, 2), datetime.time(9, 30), 4.5, True, 123456789012345]
          for row in _survey_rows()[1:]]]}),
    "formulas with cached text and numbers, an empty string": dict(sheets={"Form1": [
        HEADER, *[row[:2] + [("=\"Ag\"&\"ree\"", "Agree"), ("=2+2", 4), "", row[5], row[6]]
                  for row in _survey_rows()[1:]]]}),
    "two tabs": dict(sheets={"Form1": _survey_rows(), "Notes": [["Written by", "the facilitator"], ["x", 1]]}),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_calamine_reads_a_tab_as_openpyxl_does(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = _write(tmp_path / "survey.xlsx", **CASES[case])
    calamine, reference = _both_ways(path, monkeypatch)
    assert set(tab_readers(path).values()) == {"calamine"}
    assert _as_text(calamine) == _as_text(reference)


REFUSED = {
    "an error cell": ({"Form1": [*_survey_rows(), [datetime.datetime(2026, 6, 1, 9), "Team A", ("=NA()", "#N/A")]]},
                      "openpyxl (it holds an error cell)"),
    "a whole number too long for a float": ({"Form1": [*_survey_rows(), ["id", 12345678901234567]]},
                                            "openpyxl (it holds a whole number too long for a float)"),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_tab_calamine_would_misread_is_read_by_openpyxl(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sheets, reader = REFUSED[case]
    path = _write(tmp_path / "survey.xlsx", sheets)
    if case == "a whole number too long for a float":  # XlsxWriter writes a float; write the digits as Excel does
        _replace_in_part(path, b"<v>1.234567890123457E+16</v>", b"<v>12345678901234567</v>")
    assert tab_readers(path) == {"Form1": reader}
    calamine, reference = _both_ways(path, monkeypatch)
    assert _as_text(calamine) == _as_text(reference)
    assert "#N/A" in str(_as_text(calamine)) or "12345678901234567" in str(_as_text(calamine))


def _replace_in_part(path: Path, old: bytes, new: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert old in parts[sheet], parts[sheet][-600:]
    parts[sheet] = parts[sheet].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_sparse_tab_is_read_by_openpyxl_which_streams_it(tmp_path: Path):
    """calamine holds a tab as a dense grid: two cells a million rows apart would be a huge one."""
    book = xlsxwriter.Workbook(str(tmp_path / "sparse.xlsx"))
    sheet = book.add_worksheet("Form1")
    sheet.write_row(0, 0, HEADER)
    sheet.write_string(900_000, 600, "far away")
    book.close()
    assert tab_readers(tmp_path / "sparse.xlsx") == {"Form1": "openpyxl (its cells are scattered over a large area)"}


def test_the_first_rows_decide_and_a_disagreement_leaves_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Should calamine read a date format differently from openpyxl, the first rows show it."""
    path = _write(tmp_path / "survey.xlsx", {"Form1": _survey_rows()})
    from pipeline.sources import calamine_sheets

    monkeypatch.setattr(calamine_sheets, "_as_openpyxl", lambda value: value.isoformat()
                        if isinstance(value, datetime.datetime) else value)
    assert tab_readers(path) == {"Form1": "openpyxl (calamine reads its first rows differently)"}


@pytest.mark.parametrize("case", ["plain survey", "1904 dates", "a title above the header and a gap",
                                  "a formatted empty cell far right", "data starting at C4",
                                  "formulas with cached text and numbers, an empty string"])
def test_a_workbook_loads_the_same_with_either_reader(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The whole load: responses, answers, rejects with their raw cells and lines, and the summary."""
    path = _write(tmp_path / "survey.xlsx", **CASES[case])
    settings_ = Settings()
    calamine = ingest_one_way(tmp_path / "calamine.duckdb", settings_, True, [path])
    with monkeypatch.context() as patch:
        _openpyxl_only(patch)
        reference = ingest_one_way(tmp_path / "openpyxl.duckdb", settings_, True, [path])
    assert not isinstance(calamine, str), calamine
    assert calamine.lines() == reference.lines()
    data_rows = [row for row in CASES[case]["sheets"]["Form1"] if row and isinstance(row[0], datetime.datetime)]
    unreadable = [row for row in data_rows if "maybe" in row]
    assert (calamine.responses_added, calamine.rejects_added) == (len(data_rows) - len(unreadable), len(unreadable))
    got, want = db_contents(tmp_path / "calamine.duckdb"), db_contents(tmp_path / "openpyxl.duckdb")
    for table in TABLE_QUERIES:
        assert got[table] == want[table], table


def test_the_scan_reads_a_number_split_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """expat may hand a value over in two pieces; a long decimal is not a long whole number."""
    monkeypatch.setattr(bounded_read, "_CHUNK", 97)  # many chunk ends inside values
    path = _write(tmp_path / "survey.xlsx", {"Form1": _survey_rows(40)})
    assert tab_readers(path) == {"Form1": "calamine"}


def test_a_calamine_failure_leaves_the_tab_to_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Whatever the faster reader raises (a Rust panic is a BaseException), openpyxl reads the tab."""
    from pipeline.sources import calamine_sheets

    class Panic(BaseException):
        pass

    def panics(*_args):  # noqa: ANN002, ANN202
        raise Panic("index out of bounds")
        yield []

    path = _write(tmp_path / "survey.xlsx", {"Form1": _survey_rows()})
    monkeypatch.setattr(calamine_sheets, "calamine_rows", panics)
    assert tab_readers(path) == {"Form1": "openpyxl (calamine cannot read it (Panic))"}
    assert len(read_tabs(path)[0].table.rows) == 12


@pytest.mark.parametrize(
    ("openpyxl_rows", "calamine_rows", "agree"),
    [
        ([("a", 5, None)], [["a", 5.0, None]], True),
        ([("a", "")], [["a", None, None]], True),
        ([("a",), (), ("b",)], [["a"]], False),  # calamine stopped before a row openpyxl has
        ([("a",), (), (None, "")], [["a"]], True),  # only blank rows after
        ([(True,)], [[1]], False),  # a boolean is not a number
        ([(datetime.datetime(2026, 5, 1),)], [[datetime.date(2026, 5, 1)]], False),
        ([(1,)], [["1"]], False),
    ],
)
def test_first_rows_agree_cell_by_cell(openpyxl_rows, calamine_rows, agree: bool):
    from pipeline.sources.calamine_sheets import first_rows_agree

    assert first_rows_agree(iter(openpyxl_rows), calamine_rows) is agree


def test_a_carriage_return_is_read_as_one_by_either_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """OOXML writes a carriage return in a string as _x000D_: calamine decodes it, as Excel shows it; openpyxl
    keeps it as written, so its rows are decoded. Before, the text "_x000D_" was stored. Far below the first
    rows, where the two readers are compared, too."""
    rows = _survey_rows(300)
    rows[290][6] = "first line\r\nsecond line"
    path = _write(tmp_path / "survey.xlsx", {"Form1": rows})
    assert tab_readers(path) == {"Form1": "calamine"}
    calamine, reference = _both_ways(path, monkeypatch)
    assert _as_text(calamine) == _as_text(reference)
    assert calamine[0].table.rows[289][6] == reference[0].table.rows[289][6] == "first line\r\nsecond line"


@pytest.mark.parametrize(("text", "decoded", "written_back"), [
    ("a_x000D_\nb", "a\r\nb", "a_x000D_\nb"),
    ("_x000d__x000A_", "\r\n", "_x000D_\n"),  # hex in either case; a line feed needs no escape
    ("__x000D__", "_\r_", "__x000D__"),
    ("_x0041_", "A", "A"),  # any character may be escaped; only control characters must be
    ("x_x00_ and _x12G4_ and _x000D", "x_x00_ and _x12G4_ and _x000D", "x_x00_ and _x12G4_ and _x000D"),
])
def test_ooxml_escapes_are_decoded_and_controls_escaped_back(text: str, decoded: str, written_back: str):
    from pipeline.sources.bounded_read import decode_escapes, escaped_controls

    assert decode_escapes(text) == decoded
    assert escaped_controls(decoded) == written_back


def test_typed_escape_text_and_a_carriage_return_in_one_workbook(monkeypatch: pytest.MonkeyPatch):
    """readxl's new_line_errors.xlsx holds both a carriage return (_x000D_) and the text "_x000D_" typed in a
    cell (written _x005F_x000D_). calamine reads both as Excel shows them. openpyxl turns the typed one into
    "_x000D_" too, so its text cannot be decoded: where it must read such a workbook, it is kept as written."""
    path = REAL_WORKBOOKS / "new_line_errors.xlsx"
    tabs = read_tabs(path)
    cells = [tabs[0].table.header[0], *(row[0] for row in tabs[0].table.rows)]
    assert cells == ["column_name", "first line of text \r\nsecond line of text \r\ni don't know what type of line "
                                    "feed I've used \r\nlast line", 'Will show "_x000D_" in every new line in cell above']
    _calamine, reference = _both_ways(path, monkeypatch)
    assert reference[0].table.rows[0][0].count("_x000D_") == 3  # openpyxl alone: as written


def test_a_chart_tab_is_not_a_tab_of_rows(tmp_path: Path):
    """A chartsheet (a tab holding only a chart) is skipped when every tab is read, and refused by name."""
    from pipeline.errors import SourceFileError
    from pipeline.sources.files import read_xlsx

    book = xlsxwriter.Workbook(str(tmp_path / "charted.xlsx"))
    chart_tab = book.add_chartsheet("Pareto Chart")  # first, so "the first tab" is a chart
    sheet = book.add_worksheet("Form1")
    for r, row in enumerate(_survey_rows()):
        for c, value in enumerate(row):
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(r, c, value, book.add_format({"num_format": "m/d/yyyy h:mm"}))
            elif value is not None:
                sheet.write(r, c, value)
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "=Form1!$A$2:$A$5"})
    chart_tab.set_chart(chart)
    book.close()
    path = tmp_path / "charted.xlsx"
    tabs = read_tabs(path)
    assert [tab.name for tab in tabs] == ["Form1"] and len(tabs[0].table.rows) == 12
    assert tabs[0].table.source == str(path)  # one tab of rows: named by the file alone
    assert len(read_xlsx(path.read_bytes(), str(path)).rows) == 12
    with pytest.raises(SourceFileError, match="worksheet 'Pareto Chart' is a chart, not a tab of rows; it has Form1"):
        read_tabs(path, ("Pareto Chart",))


# Real workbooks (tidyverse/readxl's test sheets, MIT; see tests/realworld/SOURCES.md): each tab's reader,
# and the tables either way. More real workbooks are checked the same way from the real-world cache folder.
REAL_WORKBOOKS = Path(__file__).resolve().parent / "realworld" / "workbooks"
REAL_READERS = {
    "dates-1900-LibreOffice.xlsx": {"Sheet1": "calamine"},
    "deaths.xlsx": {"arts": "calamine", "other": "calamine"},  # title and footer rows, merged cells, dates
    "iris-google-doc.xlsx": {"iris": "calamine"},
    "merge_test.xlsx": {"Sheet1": "calamine"},
    "missing-v-node-xlsx.xlsx": {"Sheet1": "calamine"},  # cells without a <v>
    "new_line_errors.xlsx": {"Blad1": "calamine", "Blad2": "calamine", "Blad3": "calamine"},  # escapes: see above
    "types.xlsx": {"guess_me": "calamine", "guess_max": "calamine", "smorgasbord": "openpyxl (it holds an error cell)",
                   "logical_coercion": "calamine", "date_coercion": "calamine", "numeric_coercion": "calamine",
                   "text_coercion": "calamine"},
}


def test_every_committed_real_workbook_is_listed():
    assert sorted(p.name for p in REAL_WORKBOOKS.glob("*.xlsx")) == sorted(REAL_READERS)


@pytest.mark.filterwarnings("ignore:Unknown extension:UserWarning")
@pytest.mark.parametrize("name", sorted(REAL_READERS))
def test_a_real_workbook_reads_the_same_with_either_reader(name: str, monkeypatch: pytest.MonkeyPatch):
    path = REAL_WORKBOOKS / name
    assert tab_readers(path) == REAL_READERS[name]
    calamine, reference = _both_ways(path, monkeypatch)
    if not _openpyxl_cannot_decode(path):  # new_line_errors.xlsx: test_typed_escape_text_and_…
        assert _as_text(calamine) == _as_text(reference)


def _cached_workbooks() -> list:
    import os

    folder = os.environ.get("REVIEW_PULSE_REALWORLD_DIR")
    found = sorted(Path(folder).glob("*.xlsx")) if folder and Path(folder).is_dir() else []
    return found or [pytest.param(None, marks=pytest.mark.skip(reason="REVIEW_PULSE_REALWORLD_DIR (a folder of real "
                                                                      "exports) not given, or no .xlsx in it"))]


@pytest.mark.filterwarnings("ignore:Unknown extension:UserWarning")
@pytest.mark.parametrize("path", _cached_workbooks(), ids=lambda p: getattr(p, "name", "none"))
def test_a_cached_real_workbook_reads_the_same_with_either_reader(path: Path, monkeypatch: pytest.MonkeyPatch):
    calamine, reference = _both_ways(path, monkeypatch)
    if _openpyxl_cannot_decode(path):  # as readxl's new_line_errors.xlsx: see test_typed_escape_text_and_…
        pytest.skip("escapes of characters and of underscores both: openpyxl alone cannot read it right")
    assert _as_text(calamine) == _as_text(reference)


def _openpyxl_cannot_decode(path: Path) -> bool:
    from core.settings import InputLimits
    from pipeline.sources.bounded_read import check_xlsx_archive

    with path.open("rb") as stream:
        scans = check_xlsx_archive(stream, str(path), InputLimits()).values()
    return any(scan.escapes for scan in scans) and any(scan.escaped_underscores for scan in scans)


# --- damaged workbooks: one line naming the file and the fix, whichever reader would read the tab ---

def _edit_parts(path: Path, edit) -> None:  # noqa: ANN001
    """Rewrite the archive with ``edit(parts)`` applied to its {name: bytes}."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _sub_in(name: str, pattern: bytes, new: bytes):  # noqa: ANN202
    import re

    def edit(parts: dict[str, bytes]) -> None:
        parts[name], count = re.subn(pattern, new, parts[name], count=1)
        assert count == 1, (pattern, parts[name][:400])
    return edit


SHEET1, UNREADABLE = "xl/worksheets/sheet1.xml", "not a readable .xlsx workbook"
DAMAGED = {  # edit, and the refusal's words: below row 200, so the first rows' comparison cannot see it
    "a shared string index past the table": (
        _sub_in(SHEET1, rb'(<c r="B250"[^>]*t="s"[^>]*><v>)\d+', rb"\g<1>99999"), f"{UNREADABLE} (sheet1.xml: IndexError)"),
    "a true/false cell holding 'true'": (
        _sub_in(SHEET1, rb'<c r="B250"[^>]*t="s"[^>]*><v>\d+</v>', rb'<c r="B250" t="b"><v>true</v>'),
        f"{UNREADABLE} (sheet1.xml: cell B250 is marked as a true/false but holds something else)"),
    "a number cell holding 'four'": (
        _sub_in(SHEET1, rb'<c r="B250"[^>]*t="s"[^>]*><v>\d+</v>', rb'<c r="B250"><v>four</v>'),
        f"{UNREADABLE} (sheet1.xml: cell B250 is marked as a number but holds something else)"),
    "rows out of order": (
        _sub_in(SHEET1, rb'(<row r="240".*?</row>)(<row r="241".*?</row>)', rb"\2\1"),
        f"{UNREADABLE} (sheet1.xml: row 240 comes after row 241)"),
    "a row number written twice": (
        _sub_in(SHEET1, rb'<row r="241"', rb'<row r="240"'), f"{UNREADABLE} (sheet1.xml: row 240 is written twice)"),
    "a styles part that is not XML": (
        lambda parts: parts.update({"xl/styles.xml": b"<notxml"}), f"{UNREADABLE} (XMLSyntaxError)"),
    "a style attribute of the wrong type": (
        _sub_in("xl/styles.xml", rb'numFmtId="\d+"', rb'numFmtId="x"'), f"{UNREADABLE} (TypeError)"),
    "relationships that are not XML": (
        lambda parts: parts.update({"xl/_rels/workbook.xml.rels": b"<notxml"}), f"{UNREADABLE} (XMLSyntaxError)"),
    "a tab whose sheet part is missing": (
        lambda parts: parts.pop(SHEET1), f"{UNREADABLE} (a tab's sheet part is missing)"),
    "Strict Open XML": (
        lambda parts: [parts.update({name: parts[name]
                                     .replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                              b"http://purl.oclc.org/ooxml/spreadsheetml/main")
                                     .replace(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                                              b"http://purl.oclc.org/ooxml/officeDocument/relationships")})
                       for name in ("_rels/.rels", "xl/workbook.xml")],
        'a Strict Open XML workbook: save it in Excel as "Excel Workbook (.xlsx)"'),
}


@pytest.mark.parametrize("case", DAMAGED, ids=list(DAMAGED))
def test_a_damaged_workbook_is_refused_in_one_line_by_either_reader(case: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    edit, problem = DAMAGED[case]
    path = _write(tmp_path / "survey.xlsx", {"Form1": _survey_rows(300)})
    _edit_parts(path, edit)
    fix = "" if "Strict" in problem else ": re-save it in Excel"
    calamine = ingest_one_way(tmp_path / "calamine.duckdb", Settings(), True, [path])
    with monkeypatch.context() as patch:
        _openpyxl_only(patch)
        reference = ingest_one_way(tmp_path / "openpyxl.duckdb", Settings(), True, [path])
    assert calamine == reference == f"error: {path}: {problem}{fix}"
    assert not (tmp_path / "calamine.duckdb").exists() and not (tmp_path / "openpyxl.duckdb").exists()


def test_openpyxl_warnings_do_not_reach_the_terminal(tmp_path: Path):
    """openpyxl warns on stderr about a Strict workbook's parts before we refuse it: the user sees one line."""
    import subprocess
    import sys

    path = _write(tmp_path / "survey.xlsx", {"Form1": _survey_rows()})
    _edit_parts(path, DAMAGED["Strict Open XML"][0])
    result = subprocess.run([sys.executable, "-m", "pipeline", "inspect", str(path)], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert (result.stdout + result.stderr).strip().splitlines() == [
        f'refused: {path}: a Strict Open XML workbook: save it in Excel as "Excel Workbook (.xlsx)"']


def test_formatting_to_the_last_column_on_every_row_is_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A formatted empty cell in column XFD on every row (what formatting whole rows leaves) made each row
    16,384 cells: a 190 KB workbook of 4,000 such rows took 590 MB. A row is held up to its last value."""
    rows = _survey_rows(300)
    path = tmp_path / "formatted.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet, bold = book.add_worksheet("Form1"), book.add_format({"bold": True})
    when = book.add_format({"num_format": "m/d/yyyy h:mm:ss"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(r, c, value, when)
            elif value is not None:
                sheet.write(r, c, value)
        sheet.write_blank(r, 16_383, None, bold)
    book.close()
    calamine, reference = _both_ways(path, monkeypatch)
    width = max(len(row) for row in rows)
    for tabs in (calamine, reference):
        table = tabs[0].table
        assert len(table.header) == width and max(len(row) for row in table.rows) <= width
    assert _as_text(calamine) == _as_text(reference)
