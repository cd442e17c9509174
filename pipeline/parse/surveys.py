"""Surveys: every row of a wide or a long export as responses and rejects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from core.settings import Settings, SourceMapping, normalise_header
from core.words import count_text
from pipeline import mapping
from pipeline.errors import SourceFileError, worded
from pipeline.parse.answers import AnswerMemo, scale_notes
from pipeline.parse.cells import (
    cell_string,
    is_blank_cell,
    raw_row,
    series_of,
    shown_headers,
)
from pipeline.parse.columns import (
    ANSWER_HEADERS,
    QUESTION_HEADERS,
    RESPONSE_ID_HEADERS,
    SurveyColumns,
    below_title_rows,
    check_series_column,
    detect_wide_columns,
    find_header,
    identity_columns,
    is_feedback_header,
    looks_like_identity_values,
    match_statement,
)
from pipeline.parse.feedback import MAX_FEEDBACK_CHARS, clean_feedback, scrub_feedback
from pipeline.parse.keys import KeyMaker, make_reject, response_key_maker
from pipeline.parse.times import DATE_ORDER_GUESSED_NOTE, TimeError, TimeParser, dayfirst_decision
from pipeline.progress import ProgressCallback
from pipeline.records import MappingReport, ParsedSurveys, SurveyResponse
from pipeline.sources.files import RawTable, header_name, header_texts
from pipeline.tools import detect_tool, is_qualtrics_test_status


INCOMPLETE_RESPONSE = "incomplete response (no submission time: the respondent never submitted it)"
HEADER_REPEATED = "the header row again (two exports pasted into one file?): not a response"


def header_repeater(header: list[str], mapped: list[int]) -> Callable[[list[object]], bool]:
    """Whether a row is the header again: each mapped cell is its column's name (the fast path hands
    the parser only the mapped cells of its problem rows, so only they are compared)."""
    names = [(index, set(texts)) for index, texts in enumerate(header_texts(header)) if index in mapped]

    def repeats(row: list[object]) -> bool:
        return all(index < len(row) and header_name(row[index]) in texts for index, texts in names)
    return repeats


class NotASurvey(SourceFileError):
    """No column answers a statement: the table is not a survey export (a workbook tab may be skipped)."""


def parse_surveys(
    table: RawTable,
    settings: Settings,
    series: str | None = None,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
    declared: SourceMapping | None = None,
    lazy: bool = False,
) -> ParsedSurveys:
    """Map the columns (declared or exact, see pipeline.mapping) and parse every row.

    ``declared`` is the [[sources]] entry (with CLI flags) for this file, if any. ``lazy``
    maps the columns now and leaves a wide export's rows to be parsed as the loader takes them.
    """
    return below_title_rows(  # type: ignore[return-value]
        table, lambda t: _parse_surveys(t, settings, series, now, progress, declared, lazy))


def _parse_surveys(
    table: RawTable,
    settings: Settings,
    series: str | None,
    now: datetime | None,
    progress: ProgressCallback | None,
    declared: SourceMapping | None,
    lazy: bool = False,
) -> ParsedSurveys:
    layout = survey_layout(table, settings, declared)
    if isinstance(layout, LongColumns):
        return _parse_long(table, settings, layout, series or settings.default_series, now)
    return parse_wide_rows(layout.table, settings, layout, series or settings.default_series, now, progress, lazy=lazy)


def survey_layout(table: RawTable, settings: Settings, declared: SourceMapping | None) -> SurveyColumns | LongColumns:
    """A wide export's column map, else a long export's columns; NotASurvey (naming the fix) for neither.
    Decided on the header and the first rows only, so the CSV fast path asks this of a file's head."""
    wide = detect_wide_columns(table, settings, declared)
    if wide is not None:
        return wide
    long_layout = _detect_long_columns(table, declared, settings.answer_labels, mapping.skip_labels_for(settings, declared))
    if long_layout is not None:
        return long_layout
    statements = "; ".join(repr(s.text) for s in settings.statements)
    suggestions = [(h, st) for h in table.header if (st := mapping.suggestion_for([h], settings, set())) is not None]
    if suggestions:
        column, statement = suggestions[0]
        raise NotASurvey(table.source, worded("not a survey, suggested", statements=statements, column=column,
                                              statement=statement))
    raise NotASurvey(table.source, worded("not a survey", statements=statements))


def describe(cols: SurveyColumns, layout: str) -> MappingReport:
    header = cols.table.header
    return MappingReport(
        tool=cols.tool.name if cols.tool else None,
        layout=layout,
        header_rows=cols.header_rows,
        time_column=header[cols.time],
        statement_columns=[(s, cols.label(i), cols.how[i]) for i, s in sorted(cols.statements.items())],
        feedback_column=cols.label(cols.feedback) if cols.feedback is not None else None,
        series_column=header[cols.series] if cols.series is not None else None,
        scale_max=cols.scale_max,
        answer_shift=cols.answer_shift,
        suggestions=list(cols.suggestions),
        notes=list(cols.notes),
    )


def qualtrics_test_rows_note(count: int) -> str:
    return f"{count_text(count, 'Qualtrics preview, test or spam row')} skipped (Status column): not responses, counted nowhere"


def feedback_transform(cols: SurveyColumns, settings: Settings) -> dict[int, Callable[[str], str]]:
    return {cols.feedback: scrub_feedback} if settings.scrub_feedback and cols.feedback is not None else {}


def date_order_of(table: RawTable, time_column: int, settings: Settings, report: MappingReport) -> bool:
    """Day first or not for the file's time column; a decision by default is said in the report."""
    dayfirst, guessed = dayfirst_decision(settings, (r[time_column] for r in table.rows if time_column < len(r)),
                                         table.source)
    if guessed:
        report.notes.append(DATE_ORDER_GUESSED_NOTE)
        report.date_order_guessed = True
    return dayfirst


def parse_wide_rows(
    table: RawTable,
    settings: Settings,
    cols: SurveyColumns,
    default_series: str,
    now: datetime | None,
    progress: ProgressCallback | None,
    dayfirst: bool | None = None,
    lazy: bool = False,
) -> ParsedSurveys:
    """Every row of a wide export. ``dayfirst`` overrides the column's own evidence: the CSV
    fast path decides it over the whole file and hands only some rows to this function.
    ``lazy`` leaves the rows in ``pending``, parsed as the loader takes them (records.ParsedSurveys)."""
    check_series_column(table, cols.series, settings)
    report = describe(cols, "wide")
    result = ParsedSurveys(table.source, "wide", unused_columns=cols.unused(), report=report)
    result.dropped_columns = list(result.unused_columns)
    keep = cols.mapped
    transform = feedback_transform(cols, settings)
    scrub = scrub_feedback if transform else None
    if dayfirst is None:
        dayfirst = date_order_of(table, cols.time, settings, report)
    times = TimeParser(settings.tz, dayfirst, now)
    answers_memo = AnswerMemo(cols.answer_labels, cols.scale_max, cols.skip_labels, cols.answer_shift)
    order = {text: i for i, text in enumerate(settings.statement_texts)}
    statement_columns = sorted(cols.statements.items(), key=lambda item: order[item[1]])
    response_keys, reject_keys = response_key_maker(), KeyMaker("x")
    incomplete_when_blank = cols.tool is not None and cols.tool.blank_time_means_incomplete

    status = cols.status
    repeats_header = header_repeater(table.header, keep)

    def responses() -> Iterator[SurveyResponse]:
        rows, lines = table.rows, table.line_numbers
        total = len(rows)
        not_responses = 0
        for number in range(1, total + 1):
            row, line = rows[number - 1], lines[number - 1]
            if lazy:
                # Drained once, by the loader: a row parsed is let go, so a large file's cells are
                # not all held while its responses are staged (issue 23 target 5).
                rows[number - 1] = lines[number - 1] = None  # type: ignore[call-overload]
            if progress is not None and (number % 10_000 == 0 or number == total):
                progress(number, total)
            if status is not None and status < len(row) and is_qualtrics_test_status(row[status]):
                not_responses += 1  # a preview, test or spam row: not a respondent's answer, not counted
                continue
            series = series_of(row, cols.series, default_series)
            if repeats_header(row):
                result.rejects.append(make_reject(reject_keys, table.source, line, HEADER_REPEATED,
                                                  raw_row(table.header, row, keep, transform), series))
                continue
            problems: list[str] = []
            time_cell = row[cols.time] if cols.time < len(row) else None
            try:
                utc, local = times.parse(time_cell)
            except TimeError as exc:
                # LimeSurvey leaves submitdate empty on a response that was never submitted.
                problems.append(INCOMPLETE_RESPONSE if incomplete_when_blank and is_blank_cell(time_cell)
                                else f"bad time: {exc}")
            answers: list[tuple[str, int]] = []
            for index, statement in statement_columns:
                value = answers_memo[row[index]] if index < len(row) else None
                if isinstance(value, str):
                    problems.append(f"answer to {statement!r}: {value}")
                elif value is not None:
                    answers.append((statement, value))
            feedback = clean_feedback(row[cols.feedback]) if cols.feedback is not None and cols.feedback < len(row) else None
            if feedback is not None and len(feedback) > MAX_FEEDBACK_CHARS:
                problems.append(f"feedback is {len(feedback):,} characters (limit {MAX_FEEDBACK_CHARS:,})")
            if not problems and not answers and feedback is None:
                problems.append("no answers: every statement is blank")
            if problems:
                result.rejects.append(make_reject(reject_keys, table.source, line, "; ".join(problems),
                                                  raw_row(table.header, row, keep, transform), series))
                continue
            if scrub is not None and feedback is not None:
                feedback = scrub(feedback)
            key = response_keys.key(series, utc.isoformat(), *[f"{s}={v}" for s, v in answers], feedback or "")
            yield SurveyResponse(key, series, utc, local, tuple(answers), feedback, table.source, line, cols.scale_max)
        report.notes.extend(scale_notes(answers_memo))
        if not_responses:
            report.notes.append(qualtrics_test_rows_note(not_responses))

    if lazy:
        result.pending = responses()
    else:
        result.responses = list(responses())
    return result


@dataclass(frozen=True)
class LongColumns:
    time: int
    question: int
    answer: int
    response_id: int | None
    series: int | None
    identity: list[int]  # respondent columns: used to group rows, never stored
    tool: str | None = None
    scale_max: int = 5
    answer_labels: dict[str, int] = field(default_factory=dict)
    skip_labels: frozenset[str] = frozenset()
    answer_shift: int = 0  # 1 on a declared 0-based scale (SourceMapping.answer_shift)

    @property
    def mapped(self) -> list[int]:
        return sorted({self.time, self.question, self.answer, *([self.series] if self.series is not None else [])})


def _detect_long_columns(table: RawTable, declared: SourceMapping | None = None,
                         settings_labels: tuple[tuple[str, int], ...] = (),
                         skip: frozenset[str] = frozenset()) -> LongColumns | None:
    taken: set[int] = set()
    question = find_header(table.header, QUESTION_HEADERS, taken)
    if question is None:
        return None
    taken.add(question)
    response_id = find_header(table.header, RESPONSE_ID_HEADERS, taken)
    if response_id is not None and looks_like_identity_values(
        [row[response_id] if response_id < len(row) else None for row in table.rows[:200]]
    ):
        response_id = None  # an "ID" of Slack member ids or emails names people, not submissions
    if response_id is not None:
        taken.add(response_id)
    answer = find_header(table.header, ANSWER_HEADERS, taken)
    if answer is None:
        return None
    taken.add(answer)
    series = mapping.find_series_column(table, taken)
    if series is not None:
        taken.add(series)
    identity = identity_columns(table, taken)
    tool = detect_tool([normalise_header(h) for h in table.header])
    time_col = mapping.find_time_column(table, tool, declared.time_column if declared else None, taken | set(identity))
    scale_max = declared.stored_scale_max if declared else 5  # as stored: a 0-10 scale is 1-11
    shift = declared.answer_shift if declared else 0
    labels = {normalise_header(k): v for k, v in settings_labels} if scale_max == 5 and not shift else {}
    labels.update({normalise_header(k): v for k, v in (declared.stored_labels if declared else ())})
    return LongColumns(time_col, question, answer, response_id, series, identity, tool.name if tool else None,
                       scale_max, labels, skip, shift)


def _parse_long(
    table: RawTable, settings: Settings, cols: LongColumns, default_series: str, now: datetime | None
) -> ParsedSurveys:
    check_series_column(table, cols.series, settings)
    used = set(cols.mapped) | ({cols.response_id} if cols.response_id is not None else set())
    unused = [h for i, h in enumerate(table.header) if i not in used]
    report = MappingReport(tool=cols.tool, layout="long", header_rows=1, time_column=table.header[cols.time],
                           statement_columns=[], feedback_column=None,
                           series_column=table.header[cols.series] if cols.series is not None else None)
    result = ParsedSurveys(table.source, "long", dropped_columns=list(unused), unused_columns=list(unused), report=report)
    keep = cols.mapped
    dayfirst = date_order_of(table, cols.time, settings, report)
    times = TimeParser(settings.tz, dayfirst, now)
    answers_memo = AnswerMemo(cols.answer_labels, cols.scale_max, cols.skip_labels, cols.answer_shift)
    report.scale_max = cols.scale_max
    report.answer_shift = cols.answer_shift
    statement_by_header: dict[str, str | None] = {}
    response_keys, reject_keys = response_key_maker(), KeyMaker("x")
    order = {text: i for i, text in enumerate(settings.statement_texts)}
    scrub = scrub_feedback if settings.scrub_feedback else None
    seen_questions: dict[str, str] = {}

    def cell(row: list[object], index: int | None) -> object:
        return row[index] if index is not None and index < len(row) else None

    def raw(row: list[object]) -> dict[str, str]:
        transform = {cols.answer: scrub} if scrub and is_feedback_header(cell_string(cell(row, cols.question)), settings) else None
        return raw_row(table.header, row, keep, transform)

    # Group answer rows into responses. Without a response id, rows of one
    # submission share its time (and, transiently, its respondent column,
    # which is used for grouping only and never stored).
    groups: dict[tuple, list[tuple[list[object], int]]] = defaultdict(list)
    for row, line in zip(table.rows, table.line_numbers):
        series = series_of(row, cols.series, default_series)
        if cols.response_id is not None and cell_string(cell(row, cols.response_id)).strip():
            group = (series, "id", cell_string(cell(row, cols.response_id)).strip())
        else:
            who = tuple(cell_string(cell(row, i)) for i in cols.identity)
            group = (series, "time", cell_string(cell(row, cols.time)), who)
        groups[group].append((row, line))

    for group, members in groups.items():
        series = group[0]
        answers: dict[str, int] = {}
        feedback_parts: list[str] = []
        moments: list[tuple[datetime, datetime]] = []
        good_lines: list[int] = []
        for row, line in members:
            question = cell_string(cell(row, cols.question))
            if question not in statement_by_header:
                statement_by_header[question] = match_statement(question, settings)
                if statement_by_header[question] is not None:
                    seen_questions.setdefault(statement_by_header[question], question)
            statement = statement_by_header[question]
            # A question that is neither a statement nor the feedback is the long layout's unmapped
            # column: its answers (an e-mail, a name) are stored nowhere, not even in a reject.
            if statement is None and not is_feedback_header(question, settings):
                continue
            try:
                moment = times.parse(cell(row, cols.time))
            except TimeError as exc:
                result.rejects.append(make_reject(reject_keys, table.source, line, f"bad time: {exc}", raw(row), series))
                continue
            if statement is None:
                text = clean_feedback(cell(row, cols.answer))
                if text is not None and len(text) > MAX_FEEDBACK_CHARS:
                    result.rejects.append(make_reject(
                        reject_keys, table.source, line,
                        f"feedback is {len(text):,} characters (limit {MAX_FEEDBACK_CHARS:,})", raw(row), series))
                    continue
                if text:
                    feedback_parts.append(scrub(text) if scrub else text)
            else:
                value = answers_memo[cell(row, cols.answer)]
                if isinstance(value, str):
                    result.rejects.append(make_reject(
                        reject_keys, table.source, line, f"answer to {statement!r}: {value}", raw(row), series))
                    continue
                if value is not None:
                    if statement in answers and answers[statement] != value:
                        result.rejects.append(make_reject(
                            reject_keys, table.source, line,
                            f"second, different answer to {statement!r} in the same response", raw(row), series))
                        continue
                    answers[statement] = value
            moments.append(moment)
            good_lines.append(line)
        if not moments or (not answers and not feedback_parts):
            continue
        utc, local = min(moments)
        ordered = tuple(sorted(answers.items(), key=lambda item: order[item[0]]))
        feedback = "\n".join(feedback_parts) if feedback_parts else None
        key = response_keys.key(series, utc.isoformat(), *[f"{s}={v}" for s, v in ordered], feedback or "")
        result.responses.append(
            SurveyResponse(key, series, utc, local, ordered, feedback, table.source, min(good_lines), cols.scale_max)
        )
    answered = [q for q, statement in statement_by_header.items()
                if statement is not None or is_feedback_header(q, settings)]
    if statement_by_header and not answered:
        # Not one answer mapped: refused as a wide file with no statement column is, not loaded as nothing.
        raise NotASurvey(table.source, worded(
            "no question is a statement", column=table.header[cols.question],
            questions=shown_headers(list(statement_by_header), 5),
            statements="; ".join(repr(s.text) for s in settings.statements)))
    report.statement_columns = [(s, f"{table.header[cols.question]} = {q!r}", "exact")
                                for s, q in sorted(seen_questions.items(), key=lambda item: order[item[0]])]
    for question, statement in statement_by_header.items():
        if statement is not None or is_feedback_header(question, settings):
            continue
        # Named as not stored, as a wide file's unmapped column is (the run summary, ingest_runs).
        unmapped = f"{table.header[cols.question]} = {question!r}"
        result.unused_columns.append(unmapped)
        result.dropped_columns.append(unmapped)
        if question:
            suggested = mapping.suggestion_for([question], settings, set())
            if suggested:
                report.suggestions.append(f"question {question!r} looks like statement {suggested!r}; "
                                          "add it as an alias if it is")
    return result
