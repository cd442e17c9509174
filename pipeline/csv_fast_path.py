"""Load a wide survey CSV inside DuckDB instead of row by row in Python.

The Python row path (``pipeline.parse``) defines what every row means; this module
is an accelerator for the common case (a large wide CSV export) and must produce
exactly the same responses, answers, keys, line numbers and rejects. It works in
three layers, so that "the same" holds by construction rather than by hope:

1. DuckDB's ``read_csv`` splits the file. Counting invariants (line breaks, and every
   other byte of the file but quotes, against the parsed cells) prove that it split the
   file the way Python's ``csv`` module would; any doubt raises ``FastPathDeclined``
   and the caller runs the Python path instead.
2. Cell values are interpreted in SQL only where the rule is a plain pattern (ISO and
   M/D/Y times, whitespace trimming). Every other distinct value goes through the
   Python functions (``TimeParser``, ``parse_answer``) and is joined back. Each SQL
   expression lives beside the Python rule it mirrors and is imported from there
   (``pipeline.parse.times``, ``.cells``, ``.feedback``, ``pipeline.sources.bounded_read``,
   ``core.keys``); tests/test_sql_twins.py runs both on the same values.
3. Rows with any problem are handed to ``pipeline.parse.surveys.parse_wide_rows`` itself,
   which writes the rejects with their reasons.

Everything happens in TEMP tables of the loader's private connection: nothing reaches the
database file until the loader's own transaction inserts it.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from core.keys import md5_key_sql
from pipeline.errors import SeriesColumnRefused, SourceFileError
from pipeline.parse.answers import AnswerMemo, scale_notes
from pipeline.parse.cells import (
    blank_text_sql,
    is_blank_row,
    series_clip_sql,
    series_column_problem,
    series_stats_sql,
    strip_sql,
)
from pipeline.parse.columns import HEADER_SEARCH_ROWS, below_title_rows
from pipeline.parse.feedback import (
    MAX_FEEDBACK_CHARS,
    clean_feedback_sql,
    may_need_scrubbing_sql,
    scrub_feedback,
)
from pipeline.parse.surveys import LongColumns, describe, parse_wide_rows, qualtrics_test_rows_note, survey_layout
from pipeline.parse.times import (
    DATE_ORDER_GUESSED_NOTE,
    TimeError,
    TimeParser,
    dayfirst_evidence,
    dayfirst_verdict_sql,
    is_slash_date,
    moment_sql,
    plausible_utc_sql,
    slash_date_parts_sql,
    slash_date_sql,
    steady_offset_us,
)
from pipeline.records import MappingReport
from pipeline.tools import is_qualtrics_test_status
from pipeline.records import Reject
from core.schema import isoformat_sql, temp_table
from pipeline.sources.bounded_read import SEPARATOR_HINT, record_line_sql
from pipeline.sources.bounded_read import sniff_delimiter, text_encoding, utf8_problem
from pipeline.sources.files import ENCODING_HEAD_BYTES, RawTable, dedupe_headers
from core.settings import Settings, SourceMapping

DELIMITERS = (",", ";", "\t", "|")
MAX_COLUMNS = 256  # wider files are rare and cheap enough for the Python path
MAX_LINE_BYTES = 64 * 1024 * 1024  # DuckDB's max_line_size (the Python path bounds cells with settings.limits)
HEAD_ROWS = 200  # what detect_wide_columns looks at (pipeline.mapping: free-text feedback check)
# Rows above the first data row the Python path may take as title or header rows: a real header up to
# HEADER_SEARCH_ROWS below the first line, then up to 10 header rows (a tool's, or --header-rows).
HEAD_MARGIN = HEADER_SEARCH_ROWS + 10
MAX_HEADER_BYTES = 1 << 16  # a header record longer than this is left to the Python path
MAX_ANSWER_LABELS = 500  # a real export has a handful of labels; thousands mean free text in a scale column


class FastPathDeclined(Exception):
    """This file needs the Python row path; the message says why (for the benchmark and tests)."""


@dataclass(frozen=True)
class CsvPlan:
    """What a cheap look at the file's first records decided."""

    path: Path
    source: str
    delimiter: str
    skip_lines: int  # physical lines before the body: the optional "sep=" line and the header's lines
    skip_records: int  # the same as records, for DuckDB's skip (a quoted header cell may hold line breaks)
    header: list[str]
    # The file's text encoding as the Python path decides it (bounded_read.read_csv_stream): "utf-8" (with
    # or without a BOM), a UTF-16 one, or "cp1252" for a legacy single-byte file. DuckDB reads UTF-8 only
    # (its other encodings download an extension), so any other is read from a UTF-8 copy (_Stager._read_path).
    encoding: str = "utf-8"


@dataclass
class StagedSurveys:
    """A file staged in TEMP tables of the loader's connection, ready to insert."""

    source: str
    # response_key, series, submitted_utc, submitted_local, feedback, source_file, source_line,
    # then score_0, score_1, … for each statement in the settings' order (NULL: not answered)
    responses_table: str
    response_count: int
    rejects: list[Reject]
    dropped_columns: list[str]
    unused_columns: list[str]
    report: MappingReport | None = None


def plan(path: Path) -> CsvPlan | None:
    """A plan when the file looks like a CSV whose first record is a header (or a title above it), in an
    encoding the Python path would read it in; None leaves it to the Python path."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_HEADER_BYTES + 1024)
    except OSError:
        return None  # the Python path reports it in its own words
    try:
        encoding = text_encoding(head[:ENCODING_HEAD_BYTES], str(path)) or "utf-8"
    except SourceFileError:
        return None  # binary content: the Python path says so
    if encoding == "utf-8-sig":
        encoding = "utf-8"  # DuckDB skips the BOM itself
    try:  # a character cut at the chunk's end is not an error; one the file gets wrong is
        text = codecs.getincrementaldecoder(encoding)().decode(head.removeprefix(b"\xef\xbb\xbf"))
    except UnicodeDecodeError:
        # The Python path reads a file that is not UTF-8 as cp1252, unless it has a UTF-8 BOM or is
        # UTF-8 cut or broken (then it is an error, said in the Python path's words).
        if encoding != "utf-8" or head.startswith(b"\xef\xbb\xbf") or not _reads_as_cp1252(path):
            return None
        encoding = "cp1252"
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            return None  # a byte cp1252 does not define: the Python path's error
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        return None
    first_line, rest = _split_first_record(text, None)
    if first_line is None:
        return None
    skip_lines, skip_records = 1, 1
    hint = SEPARATOR_HINT.match(first_line.strip())
    if hint:
        delimiter = hint.group(1)
        skip_lines, skip_records = 2, 2
    else:
        delimiter = sniff_delimiter(text)
        rest = text
    if delimiter not in DELIMITERS:
        return None
    record, _ = _split_first_record(rest, delimiter)
    if record is None:
        return None
    try:
        records = list(csv.reader(io.StringIO(record, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    if len(records) != 1:
        return None
    cells = records[0]
    if not any(cell.strip() for cell in cells) or len(cells) > MAX_COLUMNS:
        return None  # blank first line: the Python path skips to the real header
    skip_lines += record.count("\n")  # the record's own line breaks: lines inside quoted cells
    return CsvPlan(path, str(path), delimiter, skip_lines, skip_records, dedupe_headers(list(cells)), encoding)


def _reads_as_cp1252(path: Path) -> bool:
    """A file that is not UTF-8 and not UTF-8 cut or broken either (``utf8_problem``): the Python path
    reads it as cp1252. False when it cannot be read (the Python path says why)."""
    try:
        with path.open("rb") as handle:
            return utf8_problem(handle) is None
    except OSError:
        return False


def _split_first_record(text: str, delimiter: str | None) -> tuple[str | None, str]:
    """The first record (without its line ending) and the text after it; None when it does not end
    within the head or holds a carriage return that does not end a line.

    With no delimiter, the first line. Otherwise a line break ends the record where the quotes before
    it pair up: in RFC 4180 a quote inside a quoted cell is doubled, so an odd count means the break
    is inside a quoted cell. The csv module then reads the record to check it."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0 or end > MAX_HEADER_BYTES:
            return None, ""
        record = text[:end]
        if delimiter is None or record.count('"') % 2 == 0:
            break
        start = end + 1
    record = record.removesuffix("\r")
    if "\r" in record.replace("\r\n", ""):
        return None, ""
    return record, text[end + 1:]


def stage(
    con: duckdb.DuckDBPyConnection,
    csv_plan: CsvPlan,
    settings: Settings,
    series: str | None,
    tag: int,
    now: datetime | None = None,
    declared: SourceMapping | None = None,
) -> StagedSurveys:
    """Parse the file into TEMP tables; raise FastPathDeclined when only Python can be sure."""
    stager = _Stager(con, csv_plan, settings, series, tag, now, declared)
    try:
        return stager.run()
    except duckdb.Error as exc:
        _drop_temp_tables(con, tag)
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FastPathDeclined(f"DuckDB could not read it the same way: {first_line}") from None
    except FastPathDeclined:
        _drop_temp_tables(con, tag)
        raise
    finally:
        stager.remove_body_copy()


def _drop_temp_tables(con: duckdb.DuckDBPyConnection, tag: int) -> None:
    for name in _TEMP_NAMES:
        con.execute(f"DROP TABLE IF EXISTS {name}_{tag}")  # names are ours; tag is an int


_TEMP_NAMES = ("fp_rows", "fp_classified", "fp_responses", "fp_time_map", "fp_hour_offsets", "fp_feedback_map")


class _Stager:
    def __init__(self, con, csv_plan, settings, series, tag, now, declared=None):  # noqa: ANN001
        self.declared = declared
        self.con = con
        self.plan = csv_plan
        self.settings = settings
        self.default_series = series or settings.default_series
        self.tag = int(tag)
        self.now = now
        self.width = len(csv_plan.header)
        self.names = [f"c{i}" for i in range(self.width)]
        self.body_copy: Path | None = None

    def _read_path(self) -> tuple[Path, int, int, bool]:
        """What DuckDB reads: the file itself, or a UTF-8 copy of its body under one plain line.

        A copy when the file is not UTF-8 (DuckDB reads only UTF-8 without a downloaded extension:
        the copy is the text the Python path decodes, written as UTF-8), or when its header runs over
        several lines: DuckDB's strict reader takes the line ending from the file's start and refuses
        the file when it sees them mixed, and a quoted header cell holding a bare LF in a CRLF file
        (Microsoft Forms, SurveyMonkey and Google Forms put line breaks in question texts) is seen so,
        whatever it is told to skip (duckdb/duckdb#15959). The plain line (placeholder cells, ending
        as the header does) sets the line ending; DuckDB skips it. A private folder
        (pipeline.private_dirs) holds the copy while the file is staged. Returns the path, the lines
        and records to skip, and whether a BOM may lead it."""
        plan = self.plan
        if plan.encoding == "utf-8" and plan.skip_lines == plan.skip_records:
            return plan.path, plan.skip_lines, plan.skip_records, True
        from pipeline.private_dirs import SCRATCH_PREFIX, private_folder

        folder = private_folder(SCRATCH_PREFIX)
        self.body_copy = folder / "body.csv"
        decoder = codecs.getincrementaldecoder(plan.encoding)()  # strict, as the Python path reads
        try:
            with plan.path.open("rb") as source, self.body_copy.open("wb") as copy:
                # The header is within the first MAX_HEADER_BYTES (plan), so within the first chunk.
                chunk = source.read(1 << 20)
                text = decoder.decode(chunk, final=len(chunk) < 1 << 20).removeprefix("\ufeff")
                end = -1
                for _ in range(plan.skip_lines):
                    end = text.find("\n", end + 1)
                    if end < 0:
                        raise FastPathDeclined("the file changed while it was read")
                ending = "\r\n" if text[end - 1:end + 1] == "\r\n" else "\n"
                copy.write((plan.delimiter.join(["x"] * self.width) + ending + text[end + 1:]).encode())
                while chunk := source.read(1 << 20):
                    copy.write(decoder.decode(chunk).encode())
                copy.write(decoder.decode(b"", final=True).encode())
        except UnicodeError:
            raise FastPathDeclined(f"not valid {plan.encoding.upper()} text") from None
        return self.body_copy, 1, 1, False

    def remove_body_copy(self) -> None:
        if self.body_copy is not None:
            shutil.rmtree(self.body_copy.parent, ignore_errors=True)
            self.body_copy = None

    def t(self, name: str) -> str:
        return f"{name}_{self.tag}"

    # -- reading -------------------------------------------------------------

    def _read_csv_sql(self) -> str:
        columns = ", ".join(f"'{n}': 'VARCHAR'" for n in self.names)  # generated names only
        return (
            "read_csv(?, delim = ?, quote = '\"', escape = '\"', header = false, skip = ?, "
            f"auto_detect = false, strict_mode = true, max_line_size = ?, columns = {{{columns}}})"
        )

    def _params(self) -> list[object]:
        return [str(self.read_path), self.plan.delimiter, self.read_skip_records, MAX_LINE_BYTES]

    def run(self) -> StagedSurveys:
        plan = self.plan
        head_rows = _head_rows(plan)
        # Line numbers here are positions among the head's non-blank rows: after the Python path's
        # own layout decision (title rows above the header, further header rows), the first one left
        # says how many leading non-blank records are not data.
        head = RawTable(plan.source, plan.header, head_rows, list(range(len(head_rows))))
        try:
            cols = below_title_rows(head, lambda table: survey_layout(table, self.settings, self.declared))
        except SourceFileError as exc:
            raise FastPathDeclined(f"header: {exc}") from None
        if isinstance(cols, LongColumns):
            raise FastPathDeclined("not a wide export")
        leading = cols.table.line_numbers[0] if cols.table.line_numbers else len(head_rows)
        # More leading rows than the tool's further header rows: the header was found below a title.
        self.below_title = leading > cols.header_rows - 1
        self.date_order_guessed = False
        self.cols = cols
        self.header = cols.table.header
        if len(self.header) != self.width:
            raise FastPathDeclined("a first line narrower than the header")  # DuckDB reads the first line's width
        self.read_path, read_skip_lines, self.read_skip_records, may_have_bom = self._read_path()
        self._read_all()
        self._skip_leading_rows(leading)
        self._check_series_column()
        # The file's own byte counts take a while in Python; DuckDB releases the GIL, so they
        # are counted on a second thread while it works. Nothing staged is used unless they match.
        with ThreadPoolExecutor(max_workers=1) as pool:
            counting = pool.submit(count_bytes, self.read_path, read_skip_lines, may_have_bom)
            dayfirst = self._decide_dayfirst()
            not_responses = self._skip_qualtrics_test_rows()
            self.times = TimeParser(self.settings.tz, dayfirst, self.now)
            self._interpret_values()
            rejects = self._reject_problem_rows(dayfirst)
            response_count = self._build_responses()
            self._check_split_matches_python(counting.result())
        for name in ("fp_rows", "fp_time_map", "fp_hour_offsets", "fp_feedback_map"):
            self.con.execute(f"DROP TABLE IF EXISTS {self.t(name)}")
        unused = cols.unused()
        report = describe(cols, "wide")
        if self.date_order_guessed:
            report.notes.append(DATE_ORDER_GUESSED_NOTE)
            report.date_order_guessed = True
        report.notes.extend(scale_notes(self.memo))
        if not_responses:
            report.notes.append(qualtrics_test_rows_note(not_responses))
        return StagedSurveys(
            source=plan.source,
            responses_table=self.t("fp_responses"),
            response_count=response_count,
            rejects=rejects,
            dropped_columns=list(unused),
            unused_columns=unused,
            report=report,
        )

    def _read_all(self) -> None:
        """Every row, its line number, and the counts that prove the split (only mapped cells kept)."""
        # A Qualtrics Status cell too (preview, test, spam: never stored, see _skip_qualtrics_test_rows).
        status = [] if self.cols.status is None or self.cols.status in self.cols.mapped else [self.cols.status]
        kept = [self.names[i] for i in [*self.cols.mapped, *status]]

        # All cells of a row joined by spaces: one string to count characters in (contains()
        # first, as most rows hold none of them), and blank exactly when every cell is
        # whitespace, since the joints are whitespace too. They also keep a CR ending one
        # cell and an LF starting the next from counting as a CRLF.
        joined = "concat_ws(' ', " + ", ".join(f"coalesce({n}, '')" for n in self.names) + ")"

        def count(char_sql: str) -> str:
            return f"CASE WHEN contains(row_text, {char_sql}) THEN strlen(row_text) - strlen(replace(row_text, {char_sql}, '')) ELSE 0 END"

        # Python's line number of a record counts the line breaks inside earlier cells.
        line = record_line_sql(self.plan.skip_lines + 1, "row_index", "lf + cr - crlf")
        self.con.execute(
            f"""CREATE TEMP TABLE {self.t('fp_rows')} AS
            SELECT row_index, {line} AS line,
                   * EXCLUDE (row_index)
            FROM (
                SELECT row_index, {', '.join(kept)},
                       {count('chr(10)')} AS lf,
                       {count('chr(13)')} AS cr,
                       ({count('chr(13) || chr(10)')}) // 2 AS crlf,
                       {count(chr(39) + '"' + chr(39))} AS quotes,
                       contains(row_text, chr(0)) AS has_nul,
                       strlen(row_text) - {self.width - 1:d} AS plain_bytes,
                       {blank_text_sql('row_text')} AS not_data
                FROM (SELECT row_number() OVER () AS row_index, *, {joined} AS row_text
                      FROM {self._read_csv_sql()})
            )""",
            self._params(),
        )
        self.row_count = self.con.execute(f"SELECT count(*) FROM {self.t('fp_rows')}").fetchall()[0][0]

    def _skip_leading_rows(self, count: int) -> None:
        """The first ``count`` non-blank records are a title above the header or further header rows
        (see run): not data, as in the Python path, but still part of the byte counts that prove the split."""
        if count:
            self.con.execute(
                f"""UPDATE {self.t('fp_rows')} SET not_data = true WHERE row_index IN (
                        SELECT row_index FROM {self.t('fp_rows')} WHERE NOT not_data ORDER BY row_index LIMIT ?)""",
                [count])

    def _skip_qualtrics_test_rows(self) -> int:
        """Rows whose Qualtrics Status says preview, test or spam are not responses (parse_wide_rows
        skips them before anything else is read): is_qualtrics_test_status on each distinct Status,
        joined back. Returns how many rows it skipped."""
        status = self.cols.status
        if status is None:
            return 0
        values = [v for (v,) in self.con.execute(
            f"SELECT DISTINCT c{status:d} FROM {self.t('fp_rows')} WHERE NOT not_data AND c{status:d} IS NOT NULL"
        ).fetchall()]
        if len(values) > MAX_ANSWER_LABELS:
            raise FastPathDeclined(f"{len(values):,} different Status values")  # looked up linearly
        tests = [v for v in values if is_qualtrics_test_status(v)]
        if not tests:
            return 0
        return self.con.execute(
            f"""UPDATE {self.t('fp_rows')} SET not_data = true
                WHERE NOT not_data AND list_contains(?::VARCHAR[], c{status:d})""", [tests]).fetchall()[0][0]

    def _check_series_column(self) -> None:
        """pipeline.parse.columns.check_series_column over the whole file, in SQL."""
        series = self.cols.series
        if series is None:
            return
        # Over the distinct cells: a few dozen series names, trimmed once each, not once a row.
        distinct, longest = self.con.execute(
            f"""SELECT {series_stats_sql('cell')}
                FROM (SELECT DISTINCT c{series:d} AS cell FROM {self.t('fp_rows')} WHERE NOT not_data)""").fetchall()[0]
        problem = series_column_problem(self.header[series], distinct, longest, self.settings.max_series_values)
        if problem and self.below_title:
            # The Python path would go on to try the next rows as the header (below_title_rows).
            raise FastPathDeclined("the series column, below a title")
        if problem:
            raise SeriesColumnRefused(self.plan.source, problem)

    def _check_split_matches_python(self, counts: _ByteCounts) -> None:
        """Python's csv module and DuckDB's reader agree on RFC 4180 files; prove it for this one.

        Every byte of the body is a line-break character, a quote, a delimiter between cells
        or a byte of a cell. If the line breaks DuckDB accounts for, and all the other bytes
        except quotes, equal the file's, the records and cells are the ones Python would
        read: a skipped blank line, a dropped space before a quote or a dropped extra
        delimiter each leaves a byte unaccounted for. The line-break count also proves line
        numbers can be counted from the cells.
        """
        if counts.cr != counts.crlf:
            raise FastPathDeclined("carriage returns that do not end a line")
        rows, cell_lf, cell_cr, cell_crlf, cell_quotes, cell_bytes, has_nul = self.con.execute(
            f"""SELECT count(*), sum(lf), sum(cr), sum(crlf), sum(quotes), sum(plain_bytes), bool_or(has_nul)
                FROM {self.t('fp_rows')}"""
        ).fetchall()[0]
        if not rows:
            # DuckDB reads no record at all where a quoted header cell holds a bare LF in a CRLF file.
            raise FastPathDeclined("no data rows" if not counts.lf else "DuckDB read none of the data lines")
        if has_nul:
            raise FastPathDeclined("NUL characters")
        record_breaks = counts.lf - (cell_lf + cell_cr - cell_crlf)  # CR only comes as CRLF here
        if record_breaks != rows - (0 if counts.ends_with_break else 1):
            raise FastPathDeclined("blank lines or line breaks DuckDB reads differently")
        file_other = counts.body_bytes - counts.lf - counts.cr - counts.quotes
        cell_other = cell_bytes - cell_lf - cell_cr - cell_quotes + rows * (self.width - 1)
        if file_other != cell_other:
            raise FastPathDeclined("spaces around quoted cells, extra cells, or quoting DuckDB reads differently")

    # -- values ----------------------------------------------------------------

    def _decide_dayfirst(self) -> bool:
        """pipeline.parse.times.dayfirst_decision over every row: SQL for ASCII printable values
        (RE2 and Python's re agree on the pattern there), Python for the others."""
        if self.settings.date_order == "DMY":
            return True
        if self.settings.date_order == "MDY":
            return False
        time_col = f"c{self.cols.time}"
        day_first, month_first, slash = self.con.execute(
            f"""SELECT coalesce(bool_or(v), false), coalesce(bool_or(NOT v), false), coalesce(bool_or(slash), false)
                FROM (SELECT {dayfirst_verdict_sql('p')} AS v, {slash_date_sql('p')} AS slash
                      FROM (SELECT {slash_date_parts_sql(time_col)} AS p FROM {self.t('fp_rows')}
                            WHERE NOT not_data AND regexp_full_match({time_col}, '[ -~]*')))""").fetchall()[0]
        others = self.con.execute(
            f"""SELECT DISTINCT {time_col} FROM {self.t('fp_rows')}
                WHERE NOT not_data AND {time_col} IS NOT NULL AND NOT regexp_full_match({time_col}, '[ -~]*')"""
        ).fetchall()
        for (value,) in others:
            verdict = dayfirst_evidence(value)
            day_first, month_first = day_first or verdict is True, month_first or verdict is False
            slash = slash or is_slash_date(value)
        if day_first and month_first:
            # Refused, naming date_order and the first date each way: the Python path words it.
            raise FastPathDeclined("dates that settle the day/month order both ways")
        # No evidence: M/D, said in the summary when the column holds slash dates at all.
        self.date_order_guessed = slash and not day_first and not month_first
        return day_first

    def _interpret_values(self) -> None:
        """Maps for what SQL does not read itself: times in other shapes, and answer labels."""
        cols, con = self.cols, self.con
        time_col = f"r.c{cols.time}"
        self.moment_sql = moment_sql(time_col, self.times.dayfirst)
        latest = self.times.latest_plausible
        # Naive times are local: the UTC offset of each local hour, where one offset holds
        # all hour long (hours with a DST change or gap go to Python, value by value).
        if self.times.tz_is_utc:
            self.offset_join, offset_us = "", "0"
        else:
            hours = [h for (h,) in con.execute(
                f"""SELECT DISTINCT date_trunc('hour', moment)
                    FROM (SELECT {self.moment_sql} AS moment FROM {self.t('fp_rows')} AS r WHERE NOT r.not_data)
                    WHERE moment IS NOT NULL"""
            ).fetchall()]
            steady = [(h, o) for h in hours if (o := steady_offset_us(h, self.settings.tz, latest)) is not None]
            temp_table(con, self.t("fp_hour_offsets"), {
                "hour": ("TIMESTAMP", [h for h, _ in steady]),
                "offset_us": ("BIGINT", [o for _, o in steady]),
            })
            self.offset_join = (f"LEFT JOIN {self.t('fp_hour_offsets')} AS o "
                                "ON o.hour = date_trunc('hour', r.moment)")
            offset_us = "o.offset_us"
        # SQL's own reading, kept only inside the plausible range (Python words the reasons),
        # of the moment _row_select reads once per row (column r.moment).
        self.sql_utc, self.sql_utc_params = plausible_utc_sql("r.moment", offset_us, latest)

        # Answers: few distinct labels, each through parse_answer, looked up by list position.
        order = {text: i for i, text in enumerate(self.settings.statement_texts)}
        self.statement_columns = sorted(cols.statements.items(), key=lambda item: order[item[1]])
        answer_values = [v for (v,) in con.execute(
            "SELECT DISTINCT answer FROM ("
            + " UNION ALL ".join(f"SELECT c{i} AS answer FROM {self.t('fp_rows')} WHERE NOT not_data"
                                 for i, _ in self.statement_columns)
            + ") WHERE answer IS NOT NULL"
        ).fetchall()]
        if len(answer_values) > MAX_ANSWER_LABELS:
            raise FastPathDeclined(f"{len(answer_values):,} different answer texts")  # lists are looked up linearly
        memo = self.memo = AnswerMemo(cols.answer_labels, cols.scale_max, cols.skip_labels, cols.answer_shift)
        self.scored_values = [v for v in answer_values if isinstance(memo[v], int)]
        self.scores = [memo[v] for v in self.scored_values]
        self.bad_answers = [v for v in answer_values if isinstance(memo[v], str)]

    def _row_select(self) -> tuple[str, list[object]]:
        """Per non-blank row: what a response needs, SQL's reading of its time (NULL: ask Python)
        and whether anything other than the time is a problem."""
        cols = self.cols
        params: list[object] = []
        score_cols, error_flags = [], []
        for n, (index, _statement) in enumerate(self.statement_columns):
            score_cols.append(f"(?::TINYINT[])[list_position(?::VARCHAR[], r.c{index})] AS s{n}")
            params += [self.scores, self.scored_values]
        for index, _statement in self.statement_columns:
            error_flags.append(f"coalesce(list_contains(?::VARCHAR[], r.c{index}), false)")
            params.append(self.bad_answers)
        feedback = "NULL" if cols.feedback is None else clean_feedback_sql(f"r.c{cols.feedback}")
        # The time's shape cascade and the series' trimming run once per row, in the inner query:
        # the expressions built on them name them several times, and DuckDB evaluates each mention.
        series_stripped = "NULL" if cols.series is None else strip_sql(f"r.c{cols.series}")
        series_text = "NULL" if cols.series is None else series_clip_sql("r.series_stripped")
        any_answer = " OR ".join(f"s{n} IS NOT NULL" for n in range(len(self.statement_columns)))
        sql = f"""
            SELECT row_index, line, CASE WHEN sql_utc IS NULL THEN time_value END AS time_value,
                   sql_utc, sql_local, coalesce(series_text, ?) AS series, feedback,
                   {', '.join(f's{n}' for n in range(len(self.statement_columns)))},
                   (answer_error
                    OR coalesce(length(feedback), 0) > {MAX_FEEDBACK_CHARS:d}
                    OR NOT ({any_answer} OR feedback IS NOT NULL)) AS other_problem
            FROM (
                SELECT r.row_index, r.line, r.c{cols.time} AS time_value,
                       {self.sql_utc} AS sql_utc, r.moment AS sql_local,
                       {series_text} AS series_text,
                       {feedback} AS feedback,
                       {', '.join(score_cols)},
                       ({' OR '.join(error_flags)}) AS answer_error
                FROM (SELECT r.*, {self.moment_sql} AS moment, {series_stripped} AS series_stripped
                      FROM {self.t('fp_rows')} AS r WHERE NOT r.not_data) AS r {self.offset_join}
            )"""
        return sql, [self.default_series, *self.sql_utc_params, *params]

    def _map_other_times(self) -> None:
        """Times SQL did not read: the Python parser, once per distinct text, joined back."""
        con = self.con
        pending = [v for (v,) in con.execute(
            f"""SELECT DISTINCT time_value FROM {self.t('fp_classified')}
                WHERE sql_utc IS NULL AND time_value IS NOT NULL"""
        ).fetchall()]
        parsed_values, parsed_utc, parsed_local = [], [], []
        for value in pending:
            try:
                utc, local = self.times.parse(value)
            except TimeError:
                continue
            parsed_values.append(value)
            parsed_utc.append(utc)
            parsed_local.append(local)
        if not parsed_values:
            self.time_join, self.utc, self.local = "", "p.sql_utc", "p.sql_local"
        else:
            temp_table(con, self.t("fp_time_map"), {
                "time_value": ("VARCHAR", parsed_values),
                "utc": ("TIMESTAMP", parsed_utc),
                "local": ("TIMESTAMP", parsed_local),
            })
            self.time_join = (f"LEFT JOIN {self.t('fp_time_map')} AS m "
                              "ON p.sql_utc IS NULL AND m.time_value = p.time_value")
            self.utc = "coalesce(p.sql_utc, m.utc)"
            self.local = "CASE WHEN p.sql_utc IS NOT NULL THEN p.sql_local ELSE m.local END"
        self.has_problem = f"({self.utc} IS NULL OR p.other_problem)"

    def _reject_problem_rows(self, dayfirst: bool) -> list[Reject]:
        con = self.con
        row_sql, row_params = self._row_select()
        con.execute(f"CREATE TEMP TABLE {self.t('fp_classified')} AS {row_sql}", row_params)
        self._map_other_times()
        kept = self.cols.mapped
        problem_rows = con.execute(
            f"""SELECT r.line, {', '.join(f'r.c{i}' for i in kept)}
                FROM {self.t('fp_rows')} AS r
                SEMI JOIN (SELECT p.row_index FROM {self.t('fp_classified')} AS p {self.time_join}
                           WHERE {self.has_problem}) AS problems USING (row_index)
                ORDER BY r.row_index"""
        ).fetchall()
        if not problem_rows:
            return []
        rows, lines = [], []
        for record in problem_rows:
            cells: list[object] = [None] * self.width
            for index, value in zip(kept, record[1:]):
                cells[index] = value
            rows.append(cells)
            lines.append(record[0])
        table = RawTable(self.plan.source, self.header, rows, lines)
        parsed = parse_wide_rows(table, self.settings, self.cols, self.default_series, self.now, None, dayfirst=dayfirst)
        if parsed.responses:
            # SQL and Python disagree about a row; the Python path is the definition.
            raise FastPathDeclined(f"line {parsed.responses[0].source_line} classified differently")
        return parsed.rejects

    def _scrub_feedback(self) -> None:
        """scrub_feedback on every feedback text that could hold an e-mail, a mention or a phone
        number (the pre-test it makes itself, may_need_scrubbing, in SQL), joined back by value."""
        if self.cols.feedback is None or not self.settings.scrub_feedback:
            return
        con = self.con
        candidates = [v for (v,) in con.execute(
            f"""SELECT DISTINCT feedback FROM {self.t('fp_classified')}
                WHERE feedback IS NOT NULL AND {may_need_scrubbing_sql('feedback')}"""
        ).fetchall()]
        changed = [(v, scrubbed) for v in candidates if (scrubbed := scrub_feedback(v)) != v]
        if not changed:
            return
        temp_table(con, self.t("fp_feedback_map"), {
            "original": ("VARCHAR", [v for v, _ in changed]),
            "scrubbed": ("VARCHAR", [w for _, w in changed]),
        })
        con.execute(f"""UPDATE {self.t('fp_classified')} AS p SET feedback = m.scrubbed
                        FROM {self.t('fp_feedback_map')} AS m WHERE p.feedback = m.original""")

    def _build_responses(self) -> int:
        """Clean rows as responses, keyed exactly as pipeline.parse.keys.response_key_maker keys them.

        Scores go in one column per configured statement (s0, s1, …) so the loader can
        insert the answers of the responses it keeps without joining on keys.
        """
        con = self.con
        self._scrub_feedback()
        position = {text: i for i, text in enumerate(self.settings.statement_texts)}
        column_of = {position[statement]: n for n, (_index, statement) in enumerate(self.statement_columns)}
        statements = [s for _i, s in self.statement_columns]
        # Each answer's "statement=score" part looked up in a list of the few there can be (the
        # scores parse_answer gave), not built row by row; a NULL score gives NULL, which
        # concat_ws leaves out as Python leaves out an unanswered statement.
        low, high = min(self.scores, default=1), max(self.scores, default=1)
        answer_texts = [[f"{statement}={score}" for score in range(low, high + 1)] for statement in statements]
        answer_parts = [f"(?::VARCHAR[])[s{n} - {low:d} + 1]" for n in range(len(statements))]
        score_columns = ", ".join(
            f"{f's{column_of[i]}' if i in column_of else 'NULL::TINYINT'} AS score_{i}"
            for i in range(len(self.settings.statement_texts))
        )
        content = (f"concat_ws(chr(31), p.series, {isoformat_sql('p.utc')}, {', '.join(answer_parts)}, "
                   "coalesce(p.feedback, ''))")
        same_response = ", ".join(["p.series", "p.utc", *(f"p.s{n}" for n in range(len(statements))), "p.feedback"])
        clean_rows = (f"""SELECT p.* EXCLUDE (sql_utc, sql_local), {self.utc} AS utc, {self.local} AS local
                          FROM {self.t('fp_classified')} AS p {self.time_join} WHERE NOT {self.has_problem}""")
        # Identical rows are rare: number only those (the first of each keeps md5(content)).
        # Equal columns make equal content, so they are found without building it.
        con.execute(
            f"""CREATE TEMP TABLE {self.t('fp_responses')} AS
                WITH clean AS NOT MATERIALIZED ({clean_rows}),
                repeated AS (
                    SELECT hash({same_response}) AS fingerprint FROM clean AS p
                    GROUP BY 1 HAVING count(*) > 1
                ), repeats AS (
                    SELECT p.row_index,
                           row_number() OVER (PARTITION BY {same_response} ORDER BY p.row_index) - 1 AS occurrence
                    FROM clean AS p
                    WHERE hash({same_response}) IN (SELECT fingerprint FROM repeated)
                )
                SELECT {md5_key_sql(content, "coalesce(x.occurrence, 0)")} AS response_key,
                       p.series, p.utc AS submitted_utc, p.local AS submitted_local, p.feedback,
                       ?::VARCHAR AS source_file, p.line AS source_line,
                       {self.cols.scale_max:d}::TINYINT AS scale_max, {score_columns}
                FROM clean AS p LEFT JOIN repeats AS x USING (row_index)""",
            [*answer_texts, *answer_texts, self.plan.source],
        )
        con.execute(f"DROP TABLE {self.t('fp_classified')}")
        return con.execute(f"SELECT count(*) FROM {self.t('fp_responses')}").fetchall()[0][0]


@dataclass(frozen=True)
class _ByteCounts:
    body_bytes: int
    lf: int
    cr: int
    crlf: int
    quotes: int
    ends_with_break: bool


def count_bytes(path: Path, skip_lines: int, may_have_bom: bool = True) -> _ByteCounts:
    """What the body (after the sep= and header lines) holds, byte by byte, read in chunks (the file
    is not held whole). Empty lines at the very end are left out: both readers skip them."""
    lf = cr = crlf = quotes = body = 0
    tail = b""  # the body's last bytes, for its trailing empty lines
    try:
        with path.open("rb") as handle:
            if not (may_have_bom and handle.read(3) == b"\xef\xbb\xbf"):
                handle.seek(0)
            for _ in range(skip_lines):
                if not handle.readline(MAX_HEADER_BYTES + 1).endswith(b"\n"):
                    raise FastPathDeclined("the file changed while it was read")
            while chunk := handle.read(_COUNT_CHUNK):
                body += len(chunk)
                lf += chunk.count(b"\n")
                chunk_cr = chunk.count(b"\r")
                cr += chunk_cr
                if chunk_cr or tail.endswith(b"\r"):
                    crlf += chunk.count(b"\r\n") + (tail.endswith(b"\r") and chunk.startswith(b"\n"))
                quotes += chunk.count(b'"')
                tail = (tail + chunk[-64:])[-64:]
    except OSError as exc:
        raise FastPathDeclined(f"cannot read it again ({exc.strerror})") from None
    while True:
        if tail.endswith(b"\r\n\r\n"):
            tail, body, lf, cr, crlf = tail[:-2], body - 2, lf - 1, cr - 1, crlf - 1
        elif tail.endswith(b"\n\n"):
            tail, body, lf = tail[:-1], body - 1, lf - 1
        else:
            break
    return _ByteCounts(body_bytes=body, lf=lf, cr=cr, crlf=crlf, quotes=quotes, ends_with_break=tail.endswith(b"\n"))


_COUNT_CHUNK = 1 << 23


def _head_rows(csv_plan: CsvPlan) -> list[list[object]]:
    """The first HEAD_ROWS non-blank data rows, read as the Python path reads them (csv module)."""
    size = 1 << 18
    with csv_plan.path.open("rb") as handle:
        while True:
            handle.seek(0)
            chunk = handle.read(size)
            whole = len(chunk) < size
            try:
                text = codecs.getincrementaldecoder(csv_plan.encoding)().decode(chunk, final=whole)
            except UnicodeDecodeError:
                raise FastPathDeclined(f"not {csv_plan.encoding.upper()} text near the start") from None
            text = text.removeprefix("\ufeff")
            for _ in range(csv_plan.skip_lines):
                text = text.split("\n", 1)[1] if "\n" in text else ""
            rows: list[list[object]] = []
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_plan.delimiter, strict=True)
            try:
                for record in reader:
                    rows.append(record)  # type: ignore[arg-type]
            except csv.Error:
                if whole:
                    raise FastPathDeclined("malformed CSV near the start") from None
            if not whole and rows:
                rows.pop()  # the chunk may end inside this record
            data_rows = [row for row in rows if not is_blank_row(row)]
            if whole or len(data_rows) >= HEAD_ROWS + HEAD_MARGIN:
                return data_rows[:HEAD_ROWS + HEAD_MARGIN]
            size *= 4

