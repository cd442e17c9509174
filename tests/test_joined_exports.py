"""Two exports joined into one file (``cat a.csv b.csv``): the second's header inside the data.

Google Sheets' CSV download ends without a line break, so joining two of them puts the second header
at the end of the first file's last row. Before, that row loaded with "fineTimestamp" as its feedback
and the header's other cells as unnamed extra columns. Now the row is read up to the header, and the
header, on a line of its own or not, is rejected as what it is. Both readers (DuckDB's fast path and
the Python parser) must load the same, and the figures are checked against the rows written here.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from pipeline.parse.surveys import HEADER_REPEATED
from pipeline.sources.files import split_joined_headers
from tests.survey_text import FB, S1
from tests.test_csv_fast_path import load_both_ways

HEADER = ["Timestamp", "Series", S1, FB]
FIRST = [["5/1/2026 10:00", "A", "Agree", "first block"], ["5/2/2026 10:00", "A", "Strongly agree", "fine"]]
SECOND = [["5/3/2026 10:00", "A", "Disagree", "second block"], ["5/4/2026 10:00", "B", "Agree", ""]]
SCORES = {"Strongly agree": 5, "Agree": 4, "Disagree": 2}


def export(rows: list[list[str]], quoting: int = csv.QUOTE_MINIMAL, bom: bool = False, final_break: bool = True) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n", quoting=quoting).writerows([HEADER, *rows])
    text = buffer.getvalue() if final_break else buffer.getvalue().removesuffix("\r\n")
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


# (case, second export's quoting, BOM on each export, first export's final line break)
JOINS = [
    ("no line break between them (Google Sheets' download)", csv.QUOTE_MINIMAL, False, False),
    ("a line break between them", csv.QUOTE_MINIMAL, False, True),
    ("no line break, each file starting with a BOM", csv.QUOTE_MINIMAL, True, False),
    ("no line break, every cell quoted (as Qualtrics writes)", csv.QUOTE_ALL, False, False),
]


@pytest.mark.parametrize("case, quoting, bom, final_break", JOINS, ids=[case for case, *_ in JOINS])
def test_joined_exports_load_every_response_and_reject_the_repeated_header(
        tmp_path: Path, case: str, quoting: int, bom: bool, final_break: bool):
    path = tmp_path / "joined.csv"
    path.write_bytes(export(FIRST, quoting, bom, final_break) + export(SECOND, quoting, bom))
    fast, python = load_both_ways(tmp_path, Settings(), [path])
    assert not isinstance(fast, str), fast
    rows = [*FIRST, *SECOND]
    header_line = 1 + len(FIRST) + (1 if final_break else 0)  # joined: on the first export's last line
    with duckdb.connect(str(tmp_path / "python.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT feedback, source_line FROM responses ORDER BY source_line").fetchall()
        scores = con.execute("SELECT sum(score), count(*) FROM answers").fetchone()
        rejects = con.execute("SELECT line, reason FROM rejects").fetchall()
    assert [feedback or "" for feedback, _line in stored] == [row[3] for row in rows]
    assert scores == (sum(SCORES[row[2]] for row in rows), len(rows))
    assert rejects == [(header_line, HEADER_REPEATED)]
    assert "columns not stored" not in "\n".join(python.lines())  # the header's cells made no extra columns


# Rows that must come back as they are: only a row ending with the whole header again is split.
NOT_SPLIT = [
    ("feedback merely ends with the first header", ["5/1/2026 10:00", "A", "Agree", "see Timestamp"]),
    ("extra cells that are not the header", ["5/1/2026 10:00", "A", "Agree", "ok", "x", "y", "z"]),
    ("the header's cells but the first", ["5/1/2026 10:00", "A", "Agree", "okTime", "Series", S1, FB]),
    ("the header without its last cell", ["5/1/2026 10:00", "A", "Agree", "okTimestamp", "Series", S1]),
]


@pytest.mark.parametrize("case, row", NOT_SPLIT, ids=[case for case, _row in NOT_SPLIT])
def test_rows_that_do_not_end_with_the_header_are_kept_whole(case: str, row: list[str]):
    assert list(split_joined_headers(HEADER, [row], [2])) == [(row, 2)]


def test_a_joined_row_is_split_at_the_header_with_trailing_blank_cells():
    row = ["5/2/2026 10:00", "A", "Agree", "fineTimestamp", "Series", S1, FB, "", ""]
    assert list(split_joined_headers([*HEADER, ""], [row], [3])) == [
        (["5/2/2026 10:00", "A", "Agree", "fine"], 3), (["Timestamp", "Series", S1, FB], 3)]


# The last cell of the row above, as the csv module reads the joined line, and the cell it was.
JOINED_CELLS = [
    ("both unquoted", "fineTimestamp", "fine"),
    ("the cell quoted, the header not", 'say "hi"Timestamp', 'say "hi"'),  # '"say ""hi"""' + 'Timestamp'
    ("the header quoted, the cell not", 'fine"Timestamp"', "fine"),
    ("both quoted", 'fine"Timestamp', "fine"),  # '"fine"' + '"Timestamp"'
    ("both quoted, the cell holding quotes", 'say "hi""Timestamp', 'say "hi"'),  # '"say ""hi"""' + '"Timestamp"'
    ("a BOM before the header", "fine\ufeffTimestamp", "fine"),
]


@pytest.mark.parametrize("case, joined, cell", JOINED_CELLS, ids=[case for case, *_ in JOINED_CELLS])
def test_the_row_above_keeps_its_last_cell_as_written(case: str, joined: str, cell: str):
    row = ["5/2/2026 10:00", "A", "Agree", joined, "Series", S1, FB]
    assert list(split_joined_headers(HEADER, [row], [3]))[0] == (["5/2/2026 10:00", "A", "Agree", cell], 3)
