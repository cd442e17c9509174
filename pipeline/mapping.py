"""Which column is which: declared, exact, or not at all (issue #10).

A column is mapped to a statement only by its exact (normalised) text, a configured
alias, a grid row label that is exactly one of those, or a declared mapping in
``[[sources]]`` / on the command line. Word overlap never maps: it only *suggests*
("column 'X' looks like statement 'Y'; add it as an alias if it is"), and a header
with a negation or an opposite word is not even suggested. Pure functions, no I/O.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from pipeline.errors import AmbiguousColumns, SourceFileError, worded
from pipeline.parse.cells import shown_headers
from pipeline.sources.files import RawTable, dedupe_headers, header_texts, promote_header
from pipeline.tools import GENERIC_TIME_HEADERS, ToolSignature, detect_tool
from core.settings import Settings, SourceMapping, Statement, normalise_header


@dataclass(frozen=True)
class RunOptions:
    """One-off CLI flags for a run; they win over [[sources]] and detection."""

    time_column: str | None = None
    header_rows: int | None = None
    worksheets: tuple[str, ...] = ()


def mapping_for(settings: Settings, source: str, sheet: str | None = None,
                options: RunOptions | None = None) -> SourceMapping | None:
    """The first [[sources]] entry naming this file (or tab), with CLI flags laid over it."""
    found = next((m for m in settings.sources if m.applies_to(source, sheet)), None)
    if options is None or (options.time_column is None and options.header_rows is None):
        return found
    base = found or SourceMapping()
    return replace(base,
                   time_column=options.time_column or base.time_column,
                   header_rows=options.header_rows or base.header_rows)


# --- header texts ------------------------------------------------------------------------

# "Q1.", "3)", "Q2:" before a question, "(1-5)", "(required)", "*" after it: decoration the
# tools add around the same text, not words of the question.
_NUMBERING = re.compile(r"^\s*(?:q\s*\d+[a-z]?(?:[._]\d+)?|\d+)\s*[.:)\-–]\s*", re.IGNORECASE)
_TRAILING = re.compile(r"(?<!\s)\s*(?:\(\s*\d+\s*[-–]\s*\d+\s*\)|\(required\)|\*)\s*$", re.IGNORECASE)


def _without_scale_legend(text: str) -> str:
    """The header without a closing scale legend: "… my time (1 = strongly disagree, 5 = strongly agree)"."""
    end = text.rstrip()
    start = end.rfind("(")
    if not end.endswith(")") or start < 1:
        return text
    legend = end[start + 1:-1]
    points = [part.split("=")[0].strip() for part in legend.split(",") if "=" in part]
    return end[:start] if points and all(point.isdigit() for point in points) else text


def header_key(text: str) -> str:
    text = _without_scale_legend(str(text))
    text = _NUMBERING.sub("", text, count=1)
    for _ in range(2):
        text = _TRAILING.sub("", text)
    return normalise_header(text.replace("&", " and "))


_BRACKET_ROW = re.compile(r"^(.*\S)\s*\[([^\[\]]+)\]\s*$", re.DOTALL)
_NEWLINE_ROW = re.compile(r"^(.*?\S)\s*\n\s*\.?\s*(\S.*)$", re.DOTALL)


def grid_row_labels(text: str) -> list[str]:
    """The possible rows of a grid question: ``Question [Row]`` (Google Forms, LimeSurvey),
    ``Question\\n.Row`` (Microsoft Forms Likert), ``Question - Row`` (Qualtrics, SurveyMonkey;
    legacy Qualtrics writes ``Question?-Row``). A row label must then match exactly, so
    offering each dash's remainder cannot map a column by guess."""
    text = str(text).strip()
    labels = []
    for pattern in (_BRACKET_ROW, _NEWLINE_ROW):
        match = pattern.match(text)
        if match:
            labels.append(match.group(2).strip())
    # At most 100 spaces before the dash: the label after it is the same, and a long run of spaces is
    # not scanned from each of its characters.
    for match in re.finditer(r"\s{0,100}[-–]\s*", text):
        if match.start() > 0 and match.end() < len(text):
            labels.append(text[match.end():].strip())
    return labels


# --- opposite meaning --------------------------------------------------------------------

NEGATIONS = frozenset({"not", "never", "no", "dont", "don", "didnt", "didn", "isnt", "wasnt", "wasn", "isn",
                       "hardly", "nothing", "none", "neither", "nor", "without", "cannot", "cant", "lack"})
# Either word of a pair in the header and the other in the statement means the opposite.
OPPOSITES = (
    ("good", "poor"), ("good", "bad"), ("good", "waste"), ("safe", "unsafe"), ("constructive", "destructive"),
    ("right", "wrong"), ("useful", "useless"), ("clear", "unclear"), ("agree", "disagree"),
    ("learned", "nothing"), ("new", "old"), ("enough", "too"), ("well", "badly"), ("helpful", "unhelpful"),
    ("prepared", "unprepared"), ("fair", "unfair"), ("comfortable", "uncomfortable"), ("efficient", "inefficient"),
    ("effective", "ineffective"), ("relevant", "irrelevant"), ("long", "short"), ("more", "less"),
)


def is_opposite(header: str, statement: str) -> bool:
    """A header that negates the statement or uses an opposite word ("poor use" vs "good use").

    Text in double quotes names an answer option ('if you cannot answer, choose "Not applicable"', as a
    real Qualtrics grid's question says), not what the question asks: it is left out."""
    words = set(normalise_header(_unquoted(header)).replace("n t ", "nt ").split())
    target = set(normalise_header(statement).replace("n t ", "nt ").split())
    if (words & NEGATIONS) - target:
        return True
    return any((a in target and b in words and b not in target) or (b in target and a in words and a not in target)
               for a, b in OPPOSITES)


def _unquoted(text: str) -> str:
    """The text outside double quotes (straight or curly); an unclosed quote quotes nothing."""
    parts = text.replace("\u201c", '"').replace("\u201d", '"').split('"')
    if len(parts) % 2 == 0:
        return text
    return " ".join(parts[0::2])


STATEMENT_WORD_OVERLAP = 0.6


def suggestion_for(texts: list[str], settings: Settings, taken: set[str]) -> str | None:
    """The statement this column resembles by words (never a mapping), if one clearly does."""
    best: tuple[float, str, str] | None = None
    for text in texts:
        words = set(header_key(text).split())
        if not words:
            continue
        for statement in settings.statements:
            if statement.text in taken:
                continue
            for name in (statement.text, *statement.aliases):
                name_words = set(normalise_header(name).split())
                if len(name_words) < 3:
                    continue
                score = len(words & name_words) / len(words | name_words)
                if best is None or score > best[0]:
                    best = (score, statement.text, text)
    if best is None or best[0] < STATEMENT_WORD_OVERLAP or is_opposite(best[2], best[1]):
        return None
    return best[1]


# --- statements ----------------------------------------------------------------------------


def _names(settings: Settings) -> dict[str, tuple[str, str]]:
    """normalised text or alias -> (statement, "exact" | "alias")."""
    return _statement_names(settings.statements)


# Cached: the long layout asks for every row (its question cell), and normalising every statement
# and alias each time was most of that parse. Keyed by the statements themselves (frozen).
@functools.lru_cache(maxsize=16)
def _statement_names(statements: tuple[Statement, ...]) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for statement in statements:
        names.setdefault(header_key(statement.text), (statement.text, "exact"))
    for statement in statements:
        for alias in statement.aliases:
            names.setdefault(header_key(alias), (statement.text, "alias"))
    return names


def match_header(texts: list[str], settings: Settings) -> tuple[str, str] | None:
    """(statement, how) for a column whose text, or grid row label, is a statement or alias."""
    names = _names(settings)
    for text in texts:
        found = names.get(header_key(text))
        if found:
            return found
    for text in texts:
        for row in grid_row_labels(text):
            found = names.get(header_key(row))
            if found:
                return found[0], "grid row"
    return None


@functools.lru_cache(maxsize=16)
def _statements_by_name(statements: tuple[Statement, ...]) -> dict[str, frozenset[str]]:
    """normalised text or alias -> every statement it names (one, unless the settings repeat it)."""
    names: dict[str, set[str]] = {}
    for statement in statements:
        for name in (statement.text, *statement.aliases):
            names.setdefault(header_key(name), set()).add(statement.text)
    return {key: frozenset(found) for key, found in names.items()}


def statements_named(texts: list[str], settings: Settings) -> set[str]:
    """Every statement a column's header texts name exactly or by alias (else by grid row label)."""
    names = _statements_by_name(settings.statements)
    found = {s for text in texts for s in names.get(header_key(text), ())}
    if not found:
        found = {s for text in texts for row in grid_row_labels(text) for s in names.get(header_key(row), ())}
    return found


def _two_statements(table: RawTable, index: int, first: str, second: str, how: str) -> SourceFileError:
    return AmbiguousColumns(
        table.source,
        f"column {index + 1} ({table.header[index]!r}) is mapped to two statements, {first!r} and {second!r}, "
        f"by {how}; one column answers one statement: map each statement to its own column")


def match_statement(header: str, settings: Settings) -> str | None:
    found = match_header([header], settings)
    return found[0] if found else None


def is_feedback_header(header: str, settings: Settings) -> bool:
    return header_key(header) in _feedback_keys(settings.feedback_question)


@functools.lru_cache(maxsize=16)  # as _statement_names: asked once a row by the long layout
def _feedback_keys(question: Statement) -> frozenset[str]:
    return frozenset(header_key(n) for n in (question.text, *question.aliases))


def looks_like_closed_answers(values: list[object]) -> bool:
    """A few answers repeated over many rows: a choice or rating column, not free text."""
    texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if len(texts) < 8:
        return False
    distinct = set(texts)
    # Choice labels are short and carry no sentence punctuation; repeated comments are sentences.
    short = all(len(t.split()) <= 4 and not re.search(r"[.!?,;]", t) for t in distinct)
    return short and len(distinct) <= 6 and len(distinct) / len(texts) <= 0.3


# --- header rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderLayout:
    table: RawTable  # data rows only, with one display header per column
    texts: list[list[str]]  # per column: every header text to match a statement on
    header_rows: int


_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"', re.IGNORECASE)


def apply_header_rows(table: RawTable, rows: int, style: str, time_index: int | None) -> HeaderLayout:
    """Fold ``rows - 1`` further header rows into the header.

    A tool's extra rows are taken only while they look like header rows (their time cell
    is not a date), so an export whose extra rows were deleted still loads.
    """
    extra: list[list[object]] = []
    for row in table.rows[: max(0, rows - 1)]:
        cell = row[time_index] if time_index is not None and time_index < len(row) else None
        if time_index is not None and cell is not None and _looks_like_time(cell):
            break
        extra.append(row)
    width = len(table.header)
    texts = [[h] if not h.startswith("column ") or not h[7:].isdigit() else [] for h in table.header]
    display = list(table.header)
    question = ""
    for index in range(width):
        first = table.header[index]
        blank_first = first.startswith("column ") and first[7:].isdigit()
        if not blank_first:
            question = first
        for row in extra:
            cell = row[index] if index < len(row) else None
            text = "" if cell is None else str(cell).strip()
            if not text or _IMPORT_ID.match(text):
                continue
            if style == "sub_label":
                if normalise_header(text) in ("response", "open ended response", "other please specify"):
                    continue
                texts[index] += [text, f"{question} - {text}"]
                display[index] = f"{question} - {text}"
            else:
                texts[index].append(text)
                if blank_first:
                    display[index] = text
    header = dedupe_headers(display) if extra else table.header
    skipped = len(extra)
    new_table = RawTable(table.source, header, table.rows[skipped:], table.line_numbers[skipped:])
    return HeaderLayout(new_table, texts, 1 + skipped)


def _looks_like_time(cell: object) -> bool:
    import datetime as _dt

    if isinstance(cell, (_dt.datetime, _dt.date, int, float)):
        return True
    return bool(re.match(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", str(cell)))


# --- the mapping ---------------------------------------------------------------------------


@dataclass
class ColumnMap:
    """What each column of one table is, and what the run summary says about the rest."""

    table: RawTable
    tool: ToolSignature | None
    time: int
    statements: dict[int, str]  # column -> statement text
    how: dict[int, str]  # column -> "exact" | "alias" | "grid row" | "declared"
    feedback: int | None
    series: int | None
    header_rows: int
    scale_max: int = 5
    answer_labels: dict[str, int] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    texts: list[list[str]] = field(default_factory=list)  # per column: its header texts (all header rows)
    skip_labels: frozenset[str] = frozenset()  # normalised "not applicable" answers: blank, never a reject
    status: int | None = None  # Qualtrics' Status (Response Type): read to skip test rows, never stored
    answer_shift: int = 0  # 1 on a declared 0-based scale: answers are stored one up (SourceMapping.answer_shift)

    def label(self, index: int) -> str:
        """The column as a user finds it: its header, with the question text of a later header row
        (Qualtrics' row 2) when that differs, e.g. "Q1_1 (Rate - This meeting was …)"."""
        header = self.table.header[index]
        others = [t for t in (self.texts[index] if index < len(self.texts) else []) if t != header]
        return f"{header} ({others[0]})" if others and others[0] not in header else header

    @property
    def mapped(self) -> list[int]:
        """The only columns whose values are ever stored (rejects included)."""
        return sorted({self.time, *self.statements, *([self.feedback] if self.feedback is not None else []),
                       *([self.series] if self.series is not None else [])})

    def unused(self) -> list[str]:
        used = set(self.mapped)
        return [h for i, h in enumerate(self.table.header) if i not in used]


SERIES_HEADERS = ("series", "review series", "meeting series", "series name", "review name")


def _headers_text(table: RawTable, limit: int = 12) -> str:
    return shown_headers(table.header, limit)


def _columns_named(table: RawTable, texts: list[list[str]], name: str) -> list[int]:
    """Every column ``name`` names: by its header as read or, for a repeat the reader renamed ("Q1 (2)"),
    the name it repeats (header_texts); else by the text of a further header row."""
    key = normalise_header(name)
    by_header = [index for index, names in enumerate(header_texts(table.header))
                 if any(normalise_header(n) == key for n in names)]
    return by_header or [index for index, candidates in enumerate(texts)
                         if any(normalise_header(t) == key for t in candidates)]


# What a declared name is for: (the role in a message, the page's box, where the CLI takes it from).
TIME_ROLE = ("the time column", "Submission time", "--time-column or [[sources]]")
FEEDBACK_ROLE = ("the feedback column", "free-text", "[[sources]]")
SERIES_ROLE = ("the series column", "Review series", "[[sources]]")


def _column_named(table: RawTable, texts: list[list[str]], name: str, role: tuple[str, str, str]) -> int | None:
    """The one column a declared name names; two are refused (which one is the user's to say, not the first)."""
    found = _columns_named(table, texts, name)
    if len(found) > 1:
        first, second = found[:2]
        raise AmbiguousColumns(table.source, worded(
            "declared name names two columns", role=role[0], box=role[1], origin=role[2], name=name, first=first + 1,
            first_header=table.header[first], second=second + 1, second_header=table.header[second]))
    return found[0] if found else None


def _named_twice(table: RawTable, found: list[int], role: tuple[str, str, str], key: str) -> AmbiguousColumns:
    """Two columns found by a name detection looks for (two "Timestamp"s): neither is taken by guess."""
    first, second = found[:2]
    return AmbiguousColumns(table.source, worded(
        "two columns named as one", role=role[0], box=role[1], key=key, first=first + 1,
        first_header=table.header[first], second=second + 1, second_header=table.header[second]))


def find_time_column(table: RawTable, tool: ToolSignature | None, declared: str | None,
                     taken: set[int], texts: list[list[str]] | None = None) -> int:
    texts = texts or [[h] for h in table.header]
    if declared:
        index = _column_named(table, texts, declared, TIME_ROLE)
        if index is None:
            raise SourceFileError(table.source, worded("time column missing", column=declared,
                                                       headers=_headers_text(table)))
        return index
    keys = [{normalise_header(n) for n in names} for names in header_texts(table.header)]
    for candidates in ((tool.time_headers if tool else ()), GENERIC_TIME_HEADERS):
        for name in candidates:
            found = [index for index, names in enumerate(keys) if index not in taken and name in names]
            if len(found) > 1:
                raise _named_twice(table, found, TIME_ROLE, "time_column")
            if found:
                return found[0]
    raise SourceFileError(table.source, worded("no time column", headers=_headers_text(table)))


def find_series_column(table: RawTable, taken: set[int]) -> int | None:
    """The column named as the review series (SERIES_HEADERS), if one is; two are refused."""
    found = [index for index, names in enumerate(header_texts(table.header))
             if index not in taken and any(normalise_header(n) in SERIES_HEADERS for n in names)]
    if len(found) > 1:
        raise _named_twice(table, found, SERIES_ROLE, "series_column")
    return found[0] if found else None


def map_columns(table: RawTable, settings: Settings, declared: SourceMapping | None = None) -> ColumnMap | None:
    """The column map of a wide export, None when no column answers a statement.

    Raises SourceFileError for a survey it cannot load right (no time column, two columns
    answering one statement, a declared column that is not there), naming the fix.
    """
    keys = [normalise_header(h) for h in table.header]
    tool = detect_tool(keys)
    rows = (declared.header_rows if declared and declared.header_rows else None) or (tool.header_rows if tool else 1)
    style = tool.header_style if tool and not (declared and declared.header_rows) else "question_text"
    if rows > 1:
        probe_time = None
        try:
            probe_time = find_time_column(table, tool, declared.time_column if declared else None, set())
        except SourceFileError:
            pass
        layout = apply_header_rows(table, rows, style, probe_time)
    else:
        layout = HeaderLayout(table, header_texts(table.header), 1)
    table, texts = layout.table, layout.texts

    statements: dict[int, str] = {}
    how: dict[int, str] = {}
    if declared:
        configured = set(settings.statement_texts)
        for statement, column in declared.statements:
            if statement not in configured:
                raise SourceFileError(table.source, worded("unknown statement", statement=statement))
            index = _column_named(table, texts, column, (f"the column for statement {statement!r}", "that statement's", "[[sources]]"))
            if index is None:
                raise SourceFileError(table.source, worded("statement column missing", column=column, statement=statement,
                                                           headers=_headers_text(table)))
            if index in statements and statements[index] != statement:
                raise _two_statements(table, index, statements[index], statement, "the declared mapping")
            statements[index] = statement
            how[index] = "declared"
    declared_statements = set(statements.values())
    grid_notes: list[str] = []
    for index, candidates in enumerate(texts):
        if index in statements:
            continue
        found = match_header(candidates, settings)
        if found is None:
            continue
        statement, kind = found
        named = statements_named(candidates, settings)
        if len(named) > 1:
            first, second = sorted(named, key=settings.statement_texts.index)[:2]
            raise _two_statements(table, index, first, second, "statement texts or aliases in the settings")
        if statement in declared_statements:
            continue  # the declaration says which column it is
        if kind == "grid row" and any(is_opposite(t, statement) for t in candidates if header_key(t) != header_key(statement)):
            grid_notes.append(worded("grid row negated", column=table.header[index], statement=statement))
            continue
        if statement in statements.values():
            other = next(i for i, s in statements.items() if s == statement)
            raise AmbiguousColumns(table.source, worded(
                "two columns answer one statement", first=other + 1, first_header=table.header[other],
                second=index + 1, second_header=table.header[index], statement=statement))
        statements[index] = statement
        how[index] = kind
    if not statements:
        return None
    taken = set(statements)

    feedback: int | None = None
    notes: list[str] = list(grid_notes)
    if declared and declared.feedback_column:
        feedback = _column_named(table, texts, declared.feedback_column, FEEDBACK_ROLE)
        if feedback is None:
            raise SourceFileError(table.source, worded("feedback column missing", column=declared.feedback_column,
                                                       headers=_headers_text(table)))
    else:
        for index, candidates in enumerate(texts):
            if index in taken or not any(is_feedback_header(t, settings) for t in candidates):
                continue
            # The configured question's own text is a declaration: it maps whatever its answers look
            # like (otherwise a growing export could map it in one download and not the next). An
            # alias ("comments", "improve") may also name a rating grid, so only there are answers checked.
            exact = any(header_key(t) == header_key(settings.feedback_question.text) for t in candidates)
            sample = [row[index] if index < len(row) else None for row in table.rows[:200]]
            if not exact and looks_like_closed_answers(sample):
                notes.append(worded("closed answers are not feedback", column=table.header[index]))
                continue
            if feedback is not None:  # which one is the feedback is the user's to say, not a guess
                raise AmbiguousColumns(table.source, worded(
                    "two columns answer the feedback question", first=feedback + 1,
                    first_header=table.header[feedback], second=index + 1, second_header=table.header[index],
                    question=settings.feedback_question.text))
            feedback = index
    if feedback is not None:
        taken.add(feedback)

    series: int | None = None
    if declared and declared.series_column:
        series = _column_named(table, texts, declared.series_column, SERIES_ROLE)
        if series is None:
            raise SourceFileError(table.source, worded("series column missing", column=declared.series_column,
                                                       headers=_headers_text(table)))
    else:
        series = find_series_column(table, taken)
    if series is not None:
        taken.add(series)

    if series is not None and (series in statements or series == feedback):
        role = f"statement {statements[series]!r}" if series in statements else "the feedback"
        raise SourceFileError(table.source, f"column {table.header[series]!r} cannot be both the series and {role}; "
                                            "name another series_column, or none")
    time = find_time_column(table, tool, declared.time_column if declared else None, taken, texts)
    if time in statements or time == feedback:
        raise SourceFileError(table.source, f"column {table.header[time]!r} cannot be both the time and an answer")

    mapped_statements = set(statements.values())
    suggestions = []
    for index, candidates in enumerate(texts):
        if index in taken or index == time:
            continue
        suggested = suggestion_for(candidates, settings, mapped_statements)
        if suggested is not None:
            suggestions.append(worded("looks like a statement", column=table.header[index], statement=suggested))
    scale_max = declared.stored_scale_max if declared else 5  # as stored: a 0-10 scale is 1-11
    # The top-level labels are on 1-5; a source on another scale has only its own.
    labels = {normalise_header(k): v for k, v in settings.answer_labels} if scale_max == 5 and not (
        declared and declared.answer_shift) else {}
    if declared:
        labels.update({normalise_header(k): v for k, v in declared.stored_labels})
    return ColumnMap(table, tool, time, statements, how, feedback, series, layout.header_rows, scale_max,
                     labels, suggestions, notes, texts, skip_labels_for(settings, declared),
                     qualtrics_status_column(table, tool, texts), declared.answer_shift if declared else 0)


def skip_labels_for(settings: Settings, declared: SourceMapping | None) -> frozenset[str]:
    """The settings' skip_labels and the [[sources]] entry's, normalised as answers are."""
    return frozenset(normalise_header(t) for t in (*settings.skip_labels, *(declared.skip_labels if declared else ())))


def qualtrics_status_column(table: RawTable, tool: ToolSignature | None, texts: list[list[str]]) -> int | None:
    """Qualtrics' ``Status`` column (row 2: "Response Type"), which marks preview, test and spam rows."""
    if tool is None or tool.name != "Qualtrics":
        return None
    for index, header in enumerate(table.header):
        names = {normalise_header(header), *(normalise_header(t) for t in (texts[index] if index < len(texts) else []))}
        if names & {"status", "response type"}:
            return index
    return None


# --- what the Load data page offers --------------------------------------------------------

HEADER_SEARCH_ROWS = 10  # how far below the first row a real header is looked for (a title, notes above it)


def is_unnamed(header: str) -> bool:
    """A header the reader named because its cell was blank ("column 7")."""
    return header.startswith("column ") and header[7:].isdigit()


def header_below_title(table: RawTable) -> RawTable:
    """The table with its real header when the first row is a title (Typeform and Google sheets
    shared with a title line): a first row naming fewer than half the columns is a title, and the
    header is the first row below it that names at least half. Otherwise the table as it is."""
    width = len(table.header)
    if 2 * sum(not is_unnamed(h) for h in table.header) >= width:
        return table
    for index, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        if 2 * sum(1 for cell in row if cell is not None and str(cell).strip()) >= width:
            return promote_header(table, index)
    return table


def header_choices(table: RawTable, header_rows: int | None) -> list[str]:
    """The header cells a column can be picked by, following the page's "Header rows at the top":
    as detected, the real header (below a title row); N, the cells of the first N rows."""
    if header_rows is None:
        rows: list[list[object]] = [list(header_below_title(table).header)]
    else:
        rows = [list(table.header), *table.rows[: max(0, header_rows - 1)]]
    names: list[str] = []
    for row in rows:
        for cell in row:
            text = "" if cell is None else str(cell).strip()
            if text and not is_unnamed(text) and text not in names:
                names.append(text)
    return names


def proposed_time_column(table: RawTable) -> str | None:
    """The submission-time column detection would take (an exact tool or generic name, e.g.
    "Timestamp"), found even when no column answers a statement yet; None when there is none."""
    table = header_below_title(table)
    tool = detect_tool([normalise_header(h) for h in table.header])
    try:
        return table.header[find_time_column(table, tool, None, set())]
    except SourceFileError:
        return None


# A header and the statement it is mapped to should share a meaningful word; these are not.
STOPWORDS = frozenset("""a an and are as at be been by did do does for from had has have how i in is it its
    me my of on or our so than that the their this to was we were what when which who why will with would you
    your yours this these those there here about did very much more most""".split())
WORD_CHECK_MAX_CHARS = 1_000  # longer headers are cut before any regex runs
_WORD = re.compile(r"[^\W_]+")


def content_words(text: str) -> set[str]:
    """Lower-case words of a header or statement, without stopwords, numbers and punctuation."""
    return {w for w in _WORD.findall(str(text)[:WORD_CHECK_MAX_CHARS].casefold())
            if w not in STOPWORDS and not any(c.isdigit() for c in w)}  # "q1", "sq001": codes, not words


def shares_no_words(header: str, statement: Statement) -> bool:
    """True when the column's header has no word in common with the statement's text or aliases:
    "How satisfied are you with pandas?" mapped onto "This meeting was a good use of my time"."""
    words = content_words(header)
    if not words:
        return False  # a code ("Q1_1", "REVIEW[SQ001]") says nothing either way
    names = set().union(*(content_words(name) for name in (statement.text, *statement.aliases)))
    return not (words & names)


def unrelated_mappings(statement_columns: list[tuple[str, str]], settings: Settings) -> list[str]:
    """One warning per (statement, column header) pair whose header shares no words with it."""
    by_text = {s.text: s for s in settings.statements}
    return [f"column {column!r} shares no words with the statement {statement!r} it is mapped to: check the "
            "pick, or add the question as a statement of its own"
            for statement, column in statement_columns
            if statement in by_text and shares_no_words(column, by_text[statement])]
