"""Issue 16.16: unbounded inputs are refused with one line, quickly and in little memory.

The hostile workbooks are small on disk (tests/hostile_zip.py) and expand to what the
issue measured: a 1.5 GB shared string, a 1.3 GB sheet, a 1,000,003-column header. Each
run is a real CLI process that reports its own peak memory.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import InputLimits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_zip import Part, workbook_parts, write_zip  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHEET = "xl/worksheets/sheet1.xml"
NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
LIMIT = "; refused (the limit is [limits] {} in review_pulse.toml)"
PEAK_MB = 250  # the interpreter, DuckDB and openpyxl take about 100 MB before reading anything

_CHILD = """
import sys
from pathlib import Path
from pipeline.cli import main
code = main(sys.argv[2:])
# VmHWM belongs to this program's memory map; ru_maxrss would carry the parent's peak across exec.
hwm_kb = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
Path(sys.argv[1]).write_text(str(hwm_kb // 1024))
sys.exit(code)
"""


def ingest(tmp_path: Path, source: Path, settings: str = "") -> tuple[int, str, int]:
    """Exit code, stderr and peak RSS (MB) of a real `python -m pipeline ingest` process."""
    (tmp_path / "settings.toml").write_text(settings)
    peak = tmp_path / "peak.txt"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REVIEW_PULSE_SETTINGS": str(tmp_path / "settings.toml")}
    result = subprocess.run([sys.executable, "-c", _CHILD, str(peak), "ingest", "--db", str(tmp_path / "r.duckdb"),
                             "--surveys", str(source)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stderr, int(peak.read_text())


def workbook(path: Path, sheet: list[Part] | None = None, shared_strings: list[Part] | None = None) -> int:
    """Write the workbook; returns its uncompressed size."""
    members = workbook_parts(["Timestamp", "Good use of my time"], [["2026-03-04 10:00", 4]])
    if sheet is not None:
        members[SHEET] = [(NS + b"<sheetData>", 1), *sheet, (b"</sheetData></worksheet>", 1)]
    if shared_strings is not None:
        members["xl/sharedStrings.xml"] = [
            (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">', 1),
            *shared_strings, (b"</sst>", 1)]
        types = members["[Content_Types].xml"][0][0].replace(b"</Types>", (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
        members["[Content_Types].xml"] = [(types, 1)]
    return write_zip(path, members)


MB = 1 << 20
HEADER_ROW = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Timestamp</t></is></c>'
              b'<c r="B1" t="inlineStr"><is><t>Good use of my time</t></is></c></row>')


def _rows(count: int) -> list[Part]:
    """``count`` rows without references (openpyxl numbers them), in blocks of 100,000."""
    row = b'<row><c t="inlineStr"><is><t>2026-03-04 10:00</t></is></c><c t="n"><v>4</v></c></row>'
    return [(row * 100_000, count // 100_000), (row, count % 100_000)]


CASES = {
    "shared-strings bomb (1.5 GB string)": (
        lambda p: workbook(p, sheet=[(HEADER_ROW, 1), (b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>', 1)],
                           shared_strings=[(b"<si><t>", 1), (b"A" * MB, 1536), (b"</t></si>", 1)]),
        "the workbook expands to {expanded} MB" + LIMIT.format("max_xlsx_uncompressed_mb")),
    "sheet bomb (1.3 GB, 16 M rows)": (
        lambda p: workbook(p, sheet=[(HEADER_ROW, 1), *_rows(16_000_000)]),
        "the workbook expands to {expanded} MB" + LIMIT.format("max_xlsx_uncompressed_mb")),
    "more rows than the limit, under the size limit": (
        lambda p: workbook(p, sheet=[(HEADER_ROW, 1), (b"<row/>" * 1000, 1100)]),
        "more than 1,048,576 rows (sheet1.xml)" + LIMIT.format("max_rows")),
    "1,000,003-column header": (
        lambda p: workbook(p, sheet=[(b"<row>", 1), (b'<c t="n"><v>1</v></c>' * 1000, 1000),
                                     (b'<c t="n"><v>1</v></c>' * 3, 1), (b"</row>", 1)]),
        "row 1 has more than 16,384 columns (sheet1.xml)" + LIMIT.format("max_columns")),
    "a cell referenced past the last column": (
        lambda p: workbook(p, sheet=[(HEADER_ROW, 1), (b'<row r="2"><c r="XFE2" t="n"><v>1</v></c></row>', 1)]),
        "row 2 has more than 16,384 columns (sheet1.xml)" + LIMIT.format("max_columns")),
    "a row referenced past the last row": (
        lambda p: workbook(p, sheet=[(HEADER_ROW, 1), (b'<row r="900000000"><c t="n"><v>1</v></c></row>', 1)]),
        "more than 1,048,576 rows (sheet1.xml)" + LIMIT.format("max_rows")),
    "a 12 MB shared string": (
        lambda p: workbook(p, sheet=[(HEADER_ROW, 1), (b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>', 1)],
                           shared_strings=[(b"<si><r><t>", 1), (b"A" * MB, 6), (b"</t></r><r><t>", 1),
                                           (b"B" * MB, 6), (b"</t></r></si>", 1)]),
        "a cell is longer than 10,000,000 characters (sharedStrings.xml)" + LIMIT.format("max_cell_chars")),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_workbooks_are_refused_in_little_memory(tmp_path: Path, name: str) -> None:
    build, message = CASES[name]
    source = tmp_path / "bomb.xlsx"
    expanded = build(source)
    message = message.format(expanded=f"{expanded / MB:,.0f}")
    assert source.stat().st_size < 5 * MB  # the were 1.5 MB and 3.9 MB
    code, err, peak_mb = ingest(tmp_path, source)
    assert (code, err) == (2, f"error: {source}: {message}\n")
    assert peak_mb < PEAK_MB
    assert not (tmp_path / "r.duckdb").exists()


def test_a_lying_dimension_does_not_pad_rows(tmp_path: Path) -> None:
    """<dimension ref="A1:XFD1048576"/> used to make openpyxl pad every row to 16,384 cells
    and add empty rows up to 1,048,576; the rows are now sized by their real cells."""
    rows = [["2026-03-04 10:00", 4], ["2026-03-04 10:05", 5], ["2026-03-04 10:10", 2]]
    members = workbook_parts(["Timestamp", "Good use of my time"], rows)
    sheet = members[SHEET][0][0].replace(b'<dimension ref="A1:B4"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert b"XFD1048576" in sheet
    members[SHEET] = [(sheet, 1)]
    write_zip(tmp_path / "lying.xlsx", members)
    code, err, peak_mb = ingest(tmp_path, tmp_path / "lying.xlsx")
    assert (code, err) == (0, "")
    assert peak_mb < PEAK_MB
    import duckdb

    with duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True) as con:
        assert con.execute("SELECT score FROM answers ORDER BY score").fetchall() == sorted((r[1],) for r in rows)


def test_a_csv_header_of_a_million_columns_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "wide.csv"
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "Good use of my time"] + [f"c{i}" for i in range(1_000_001)])
        writer.writerow(["2026-03-04 10:00", "4"])
    assert source.stat().st_size > 7 * MB
    code, err, peak_mb = ingest(tmp_path, source)
    assert (code, err) == (2, f"error: {source}: line 1 has 1,000,003 columns, more than 16,384"
                              + LIMIT.format("max_columns") + "\n")
    assert peak_mb < PEAK_MB


def _legacy_csv(path: Path, rows: int, feedback: str = "l\u2019équipe") -> Path:
    """A cp1252 CSV with a blank line after its first row: the Python path (DuckDB skips a blank line
    that Python's reader counts, so the fast path's byte counts send it to Python)."""
    with open(path, "w", newline="", encoding="cp1252") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "Good use of my time", "How could we improve?"])
        for i in range(rows):
            writer.writerow([f"2026-03-04 10:{i % 60:02d}", str(1 + i % 5), feedback])
            if i == 0:
                handle.write("\r\n")
    return path


@pytest.mark.parametrize(
    ("limits", "rows", "feedback", "message"),
    [
        ("max_rows = 4", 5, "l\u2019équipe", "more than 4 rows" + LIMIT.format("max_rows")),
        ("max_columns = 2", 5, "l\u2019équipe", "line 1 has 3 columns, more than 2" + LIMIT.format("max_columns")),
        ("max_cell_chars = 100", 3, "\u2019" * 101,
         "a cell near line 2 is longer than 100 characters" + LIMIT.format("max_cell_chars")),
    ],
)
def test_limits_come_from_the_settings(tmp_path: Path, limits: str, rows: int, feedback: str, message: str) -> None:
    source = _legacy_csv(tmp_path / "legacy.csv", rows, feedback)
    code, err, _ = ingest(tmp_path, source, settings=f"[limits]\n{limits}\n")
    assert (code, err) == (2, f"error: {source}: {message}\n")


def test_within_the_limits_a_legacy_csv_loads(tmp_path: Path) -> None:
    source = _legacy_csv(tmp_path / "legacy.csv", 4)  # the reader counts its blank line as a row too
    code, err, _ = ingest(tmp_path, source, settings="[limits]\nmax_rows = 6\nmax_columns = 3\n")
    assert (code, err) == (0, "")


def test_the_python_reader_refuses_files_past_its_memory_budget(tmp_path: Path) -> None:
    source = _legacy_csv(tmp_path / "legacy.csv", 60_000)  # about 1.4 MB of cp1252
    size_mb = source.stat().st_size / MB
    assert 1 < size_mb < 2
    code, err, _ = ingest(tmp_path, source, settings="[limits]\nmax_python_input_mb = 1\n")
    assert (code, err) == (2, f"error: {source}: {size_mb:,.0f} MB is more than the Python reader takes"
                              + LIMIT.format("max_python_input_mb")
                              + "; save it as UTF-8 CSV with the header on the first line, which DuckDB reads"
                              " at any size\n")
    code, err, _ = ingest(tmp_path, source, settings="[limits]\nmax_python_input_mb = 2\n")
    assert (code, err) == (0, "")


def test_a_part_larger_than_its_declared_size_is_refused(tmp_path: Path) -> None:
    """The size check trusts the archive's directory; zipfile stops at the declared size (and the CRC fails)."""
    members = workbook_parts(["Timestamp", "Good use of my time"], [["2026-03-04 10:00", 4]])
    members[SHEET] = [(NS + b"<sheetData>", 1), (HEADER_ROW, 1), (b"<row/>" * 1000, 1000),
                      (b"</sheetData></worksheet>", 1)]
    write_zip(tmp_path / "lying.xlsx", members, declared={SHEET: 1000})
    code, err, peak_mb = ingest(tmp_path, tmp_path / "lying.xlsx")
    assert (code, err) == (2, f"error: {tmp_path / 'lying.xlsx'}: not a readable .xlsx workbook (BadZipFile): "
                              "re-save it in Excel\n")
    assert peak_mb < PEAK_MB


def _moved_parts_workbook(path: Path) -> Path:
    """A workbook whose sheet and shared strings are stored under other names, named by the relationships and
    [Content_Types].xml: valid OPC, and openpyxl reads it."""
    import zipfile

    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Form1").write_row(0, 0, ["Timestamp", "Good use of my time", "x" * 30, "d", "e", "f"])
    book.close()
    moves = {"xl/worksheets/sheet1.xml": "xl/sheets/data.xml", "xl/sharedStrings.xml": "xl/strings.xml"}
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for old, new in moves.items():
        parts[new] = parts.pop(old)
        for name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
            parts[name] = parts[name].replace(old.encode(), new.encode()).replace(old[3:].encode(), new[3:].encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (InputLimits(max_columns=5), "row 1 has more than 5 columns (data.xml)" + LIMIT.format("max_columns")),
        (InputLimits(max_cell_chars=20), "a cell is longer than 20 characters (strings.xml)"
                                         + LIMIT.format("max_cell_chars")),
    ],
)
def test_parts_stored_under_other_names_are_scanned_too(tmp_path: Path, limits: InputLimits, problem: str):
    from pipeline.errors import SourceFileError
    from pipeline.sources.files import read_tabs

    path = _moved_parts_workbook(tmp_path / "moved.xlsx")
    assert read_tabs(path)[0].table.header[:2] == ["Timestamp", "Good use of my time"]  # readable as it is
    with pytest.raises(SourceFileError) as caught:
        read_tabs(path, limits=limits)
    assert str(caught.value) == f"{path}: {problem}"
