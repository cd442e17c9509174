"""The typed way into ingestion: an ``IngestRequest`` in, an ``IngestResult`` out.

`python -m pipeline ingest` and `sync`, the Load data page (in a child process, see
pipeline/isolated_load.py) and the demo each build a request and call ``ingest``; nothing
reaches ingestion by building command-line strings. Reading and parsing happen here;
``pipeline.loader.load`` owns the one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.actions import ParsedActions, parse_actions_json, parse_actions_table
from pipeline.csv_fast_path import plan as plan_fast_csv
from pipeline.errors import IngestError, worded
from pipeline.loader import CsvSurveyInput, RunSummary, load, unusable_message
from pipeline.mapping import RunOptions, mapping_for
from pipeline.parse.attendance import parse_attendance
from pipeline.parse.calendar import parse_calendar
from pipeline.parse.surveys import parse_surveys
from pipeline.preview import read_survey_inputs
from pipeline.progress import ProgressFactory, report_step
from pipeline.records import ParsedAttendance, ParsedCalendar, ParsedSurveys
from pipeline.sources.files import SUPPORTED_SUFFIXES, RawTable, expand_inputs, read_table, table_from_rows
from pipeline.sources.json_files import looks_like_json, read_json
from core.settings import Settings

SHEET_KINDS = ("surveys", "attendance", "polls", "actions", "calendar")


@dataclass(frozen=True)
class SheetRef:
    """A Google Sheet to read in this run."""

    kind: str  # one of SHEET_KINDS
    key_or_url: str
    worksheet: str | None = None  # None: the first tab


@dataclass(frozen=True)
class IngestRequest:
    """Everything one ingestion run needs; picklable, so a child process can run it."""

    db_path: Path
    settings: Settings  # with any [[sources]] mapping the caller lays over the file's (the page's boxes)
    surveys: tuple[Path, ...] = ()  # files or folders
    attendance: tuple[Path, ...] = ()
    polls: tuple[Path, ...] = ()
    actions: tuple[Path, ...] = ()
    calendar: tuple[Path, ...] = ()  # known busy weeks (issue 25): Date/Week, Kind/Type/Event, optional Series
    sheets: tuple[SheetRef, ...] = ()
    columns: RunOptions = RunOptions()  # --time-column, --header-rows, --worksheet for workbook files
    series: str | None = None  # for rows without a series column; None: settings.default_series
    strict: bool = False  # any rejected row fails the run
    force: bool = False  # write into another program's DuckDB file
    demo: bool = False  # the demo's run: refused over real data, marked for `demo --remove`
    google_timeout: float = 30.0  # seconds per Google request
    google_retries: int = 4
    parse_csv_in_duckdb: bool = True  # False: every file through Python (tests compare the two)

    @property
    def is_empty(self) -> bool:
        return not (self.surveys or self.attendance or self.polls or self.actions or self.calendar or self.sheets)

    def source_names(self) -> list[str]:
        """What the run reads, for the failed-run log when it fails before reading anything."""
        named = [str(p) for p in (*self.surveys, *self.attendance, *self.polls, *self.actions, *self.calendar)]
        return named + [f"sheet {ref.key_or_url}" for ref in self.sheets]


@dataclass(frozen=True)
class IngestResult:
    """What a published run did: its id, the main counts, and the summary's lines as printed."""

    db_path: Path
    run_id: int
    files_read: int
    responses_added: int
    answers_added: int
    rejects_seen: int
    meetings_loaded: int
    notes: tuple[str, ...]  # the run summary, one line each (the CLI prints them, the page shows them)
    summary: RunSummary = field(repr=False)  # every figure, for callers that need more

    def lines(self) -> list[str]:
        return list(self.notes)


def sheets_request(db_path: Path, settings: Settings, timeout: float = 30.0, retries: int = 4) -> IngestRequest:
    """Every [[sheets]] entry of the settings: `pipeline sync` and the page's "Sync now"."""
    if not settings.sheets:
        raise IngestError(worded("no sheets"))
    return IngestRequest(db_path, settings, sheets=tuple(SheetRef(s.kind, s.key, s.worksheet) for s in settings.sheets),
                         google_timeout=timeout, google_retries=retries)


def ingest(request: IngestRequest, progress: ProgressFactory | None = None) -> IngestResult:
    """Read and parse every input, then load them in one transaction; a bad file changes nothing."""
    summary = _read_and_load(request, progress or (lambda name: None))
    return IngestResult(request.db_path, summary.run_id, summary.files_read, summary.responses_added,
                        summary.answers_added, summary.rejects_seen, summary.meetings_loaded,
                        tuple(summary.lines()), summary)


def _read_and_load(request: IngestRequest, progress: ProgressFactory) -> RunSummary:
    if request.is_empty:
        raise IngestError("nothing to ingest: give --surveys, --attendance, --polls, --actions, --calendar or a "
                          "--surveys-sheet, --attendance-sheet, --polls-sheet or --actions-sheet")
    settings, series = request.settings, request.series
    surveys: list[ParsedSurveys] = []
    attendance: list[ParsedAttendance] = []
    # Read and parse everything before touching the DB: a bad file changes nothing.
    csv_surveys: list[CsvSurveyInput] = []
    inputs = read_survey_inputs(list(request.surveys), settings, series, request.columns, progress, lazy=True)
    sources = list(inputs.sources)
    for table in inputs.tables:
        csv_plan = plan_fast_csv(table.path) if request.parse_csv_in_duckdb and table.path is not None else None
        if csv_plan is not None:
            # Large plain CSVs are parsed by DuckDB inside the load (same result, much faster).
            csv_surveys.append(CsvSurveyInput(csv_plan, series, table.parse, table.declared))
        else:
            surveys.append(table.parse())
    for path in expand_inputs(list(request.attendance)):
        attendance.append(parse_attendance(read_table(path, limits=settings.limits), settings, series))
        sources.append(str(path))
    actions = [parse_action_file(path, settings, series) for path in expand_inputs(
        list(request.actions), (*SUPPORTED_SUFFIXES, ".json"), ".csv, .xlsx or .json")]
    sources.extend(a.source for a in actions)
    calendars: list[ParsedCalendar] = []
    for path in expand_inputs(list(request.calendar)):
        calendars.append(usable_calendar(parse_calendar(read_table(path, limits=settings.limits), settings, series)))
        sources.append(str(path))
    polls: list = []  # talking points (issue 12); their modules load only when polls are given
    if request.polls or any(ref.kind == "polls" for ref in request.sheets):
        from pipeline.poll_inputs import checked_table, poll_sources, read_poll_file
    for path in (poll_sources(list(request.polls)) if request.polls else []):
        polls.append(read_poll_file(path, settings, series))
        sources.append(str(path))
    for ref in request.sheets:
        report_step(progress, f"sheet {ref.key_or_url}")  # one request to Google: no count
        table = _read_sheet(ref, request)
        if ref.kind == "actions":
            actions.append(parse_actions_table(table, settings, series))
        elif ref.kind == "polls":
            polls.append(checked_table(table, settings, series))
        elif ref.kind == "calendar":
            calendars.append(usable_calendar(parse_calendar(table, settings, series)))
        elif ref.kind == "surveys":
            # The source is "sheet <key> / <tab>"; a key has no " / ", a tab title may ("Q1 / replies").
            declared = mapping_for(settings, table.source, table.source.split(" / ", 1)[1], request.columns)
            surveys.append(parse_surveys(table, settings, series, declared=declared, lazy=True))
        else:
            attendance.append(parse_attendance(table, settings, series))
        sources.append(table.source)
    summary = load(request.db_path, settings, surveys, attendance, sources, strict=request.strict,
                   csv_surveys=csv_surveys, polls=polls, actions=actions, calendars=calendars, force=request.force,
                   demo=request.demo, progress=progress)
    summary.skipped = list(inputs.skipped)
    return summary


def _read_sheet(ref: SheetRef, request: IngestRequest) -> RawTable:
    from pipeline.sources import google_sheets  # gspread is only needed for sheets

    info = google_sheets.load_service_account_info()
    client = google_sheets.open_client(info, timeout=request.google_timeout, max_retries=request.google_retries)
    fetched = google_sheets.fetch_worksheet_rows(ref.key_or_url, ref.worksheet, client=client)
    source = f"sheet {fetched.sheet_key} / {fetched.worksheet_title}"
    return table_from_rows(source, [list(r) for r in fetched.rows], list(range(1, len(fetched.rows) + 1)))


def usable_calendar(parsed: ParsedCalendar) -> ParsedCalendar:
    """A calendar file without one usable busy week fails the run before anything is written: loading
    it would replace the series' calendar with nothing (issue 25)."""
    if parsed.weeks:
        return parsed
    if not parsed.rejects:
        raise IngestError(f"{parsed.source}: no busy week in it (one row a week: Date, Kind such as launch); "
                          "nothing was loaded")
    raise IngestError(unusable_message(parsed.source, parsed.rejects, what="busy week") + "; nothing was loaded")


# --- follow-up actions (issue 13) ---
def parse_action_file(path: Path, settings: Settings, series: str | None) -> ParsedActions:
    """One actions export from disk, JSON or table."""
    if looks_like_json(path):
        return parse_actions_json(read_json(path), settings, series)
    return parse_actions_table(read_table(path), settings, series)
# --- end of follow-up actions ---
