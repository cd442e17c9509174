"""`python -m pipeline …`: ingest, demo, export, init. Errors are one clear line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import IngestError
from pipeline.csv_fast_path import plan as plan_fast_csv
from pipeline.loader import CsvSurveyInput, RunSummary, load
from pipeline.mapping import RunOptions, mapping_for
from pipeline.parse.attendance import parse_attendance
from pipeline.parse.surveys import parse_surveys
from pipeline.preview import read_survey_inputs
from pipeline.records import ParsedAttendance, ParsedSurveys
from pipeline.sources.files import SUPPORTED_SUFFIXES, RawTable, expand_inputs, read_table, table_from_rows
from pipeline.actions import ParsedActions, parse_actions_json, parse_actions_table
from pipeline.sources.json_files import looks_like_json, read_json
from pipeline.terminal import escaped_output, raw_stream, terminal_safe
from core.errors import UserFacingError
from core.run_log import record_failed_run
from core.settings import Settings, SettingsError, load_settings, resolve_db_path

EXIT_FAILED = 2


@dataclass
class SheetRef:
    kind: str  # "surveys" | "attendance" | "polls" | "actions"
    key_or_url: str
    worksheet: str | None = None


class _SheetAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001
        kind = {"--surveys-sheet": "surveys", "--polls-sheet": "polls", "--actions-sheet": "actions"}.get(
            option_string, "attendance")
        sheets = list(getattr(namespace, "sheets", None) or [])
        sheets.append(SheetRef(kind, values))
        namespace.sheets = sheets


class _WorksheetAction(argparse.Action):
    """After --surveys-sheet/--attendance-sheet: that sheet's tab. Otherwise: tabs of the
    .xlsx files given with --surveys (repeatable; default: every tab that fits)."""

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001
        sheets = getattr(namespace, "sheets", None) or []
        if sheets and sheets[-1].worksheet is None:
            sheets[-1].worksheet = values
            return
        namespace.file_worksheets = [*(getattr(namespace, "file_worksheets", None) or []), values]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Load incident-review survey responses and attendance into the Review Pulse DuckDB file.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest",
        help="load survey exports and attendance (files or Google Sheets)",
        description="Load survey exports and attendance in one transaction. Re-loading the same or a "
        "larger export adds only what is new; unusable rows are kept as rejects with a reason.",
    )
    _db_option(ingest)
    ingest.add_argument("--surveys", nargs="+", type=Path, default=[], metavar="FILE_OR_DIR",
                        help="survey exports (.csv/.xlsx, wide or long layout); a folder means every file in it")
    ingest.add_argument("--attendance", nargs="+", type=Path, default=[], metavar="FILE",
                        help="attendance downloaded as .csv/.xlsx (one row per meeting or per attendee)")
    ingest.add_argument("--surveys-sheet", action=_SheetAction, metavar="KEY_OR_URL",
                        help="read survey responses (wide layout) from a Google Sheet")
    ingest.add_argument("--attendance-sheet", action=_SheetAction, metavar="KEY_OR_URL",
                        help="read attendance from a Google Sheet")
    # Follow-up actions (issue 13): Jira/Linear CSV, gh/incident.io JSON, or a plain sheet.
    ingest.add_argument("--actions", nargs="+", type=Path, default=[], metavar="FILE_OR_DIR",
                        help="follow-up actions: a Jira or Linear CSV export, `gh issue list --json …` or "
                        "incident.io follow-ups JSON, or a sheet (Review date, Action, Status, Due, Done, Link)")
    ingest.add_argument("--actions-sheet", action=_SheetAction, metavar="KEY_OR_URL",
                        help="read follow-up actions from a Google Sheet")
    # Talking points (issue 12): the opening poll of each review.
    ingest.add_argument("--polls", nargs="+", type=Path, default=[], metavar="EXPORT_OR_FILE",
                        help="talking-point polls: a Slack workspace export (ZIP or folder; Polly and Simple Poll), "
                             "a talking-points sheet or a long poll export (.csv/.xlsx)")
    ingest.add_argument("--polls-sheet", action=_SheetAction, metavar="KEY_OR_URL",
                        help="read a talking-points sheet (Date, Talking point, Votes…) from a Google Sheet")
    ingest.add_argument("--worksheet", action=_WorksheetAction, metavar="NAME",
                        help="worksheet (tab) of the sheet option just before it (default: the first tab); "
                        "otherwise a tab of the .xlsx survey files, repeatable (default: every tab that fits)")
    _mapping_options(ingest)
    ingest.add_argument("--dry-run", action="store_true",
                        help="show what would be loaded (tool, mapping, usable rows, rejects) and write nothing")
    ingest.add_argument("--series", metavar="NAME",
                        help="review series for rows without a series column (default from settings)")
    ingest.add_argument("--strict", action="store_true", help="fail the run, loading nothing, if any row is rejected")
    ingest.add_argument("--timeout", type=float, default=30.0, help="seconds per Google request (default 30)")
    ingest.add_argument("--retries", type=int, default=4, help="retries of a failed Google request (default 4)")
    ingest.set_defaults(sheets=[], file_worksheets=[])
    _force_option(ingest)

    inspect = commands.add_parser(
        "inspect", help="show how survey files would be read, without writing anything",
        description="For each file (each tab of a workbook): the tool detected, the time column, each "
        "statement's column, usable rows, the first rejects with reasons, columns not stored, and suggestions.")
    inspect.add_argument("files", nargs="+", type=Path, metavar="FILE")
    inspect.add_argument("--worksheet", action="append", default=[], dest="file_worksheets", metavar="NAME",
                         help="only this tab of a workbook (repeatable)")
    inspect.add_argument("--series", metavar="NAME", help="review series for rows without a series column")
    _mapping_options(inspect)

    demo = commands.add_parser("demo", help="generate two quarters of realistic demo exports and load them",
                               description="Write demo source files (a Slack Workflow Builder survey CSV "
                               "and an attendance CSV) and ingest them through the normal pipeline.")
    _db_option(demo)
    demo.add_argument("--source-dir", type=Path, help="where to write the demo CSVs (default: beside the DB)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--if-missing", action="store_true", help="do nothing when the DB already exists")
    demo.add_argument("--remove", action="store_true",
                      help="delete the demo's rows from the DB (real data stays) instead of loading them")

    export = commands.add_parser("export", help="write the retro pack (charts as PNG/SVG, CSVs, summary) for a quarter",
                                 description="Write every chart as PNG and SVG, their CSVs and a summary for one quarter.")
    _db_option(export)
    export.add_argument("--quarter", required=True, help="e.g. 2026-Q2, or 'all' for all time")
    export.add_argument("--series", help="one review series (default: all series)")
    export.add_argument("--out", type=Path, required=True, help="output folder")
    export.add_argument("--zip", action="store_true", help="write one ZIP instead of loose files")

    sync = commands.add_parser("sync", help="load every Google Sheet named in settings ([[sheets]])",
                               description="Ingest the [[sheets]] of review_pulse.toml in one run, as the "
                               "dashboard's \"Sync now\" does.")
    _db_option(sync)
    sync.add_argument("--timeout", type=float, default=30.0, help="seconds per Google request (default 30)")
    sync.add_argument("--retries", type=int, default=4, help="retries of a failed Google request (default 4)")

    init = commands.add_parser("init", help="create an empty database with the schema")
    _db_option(init)
    _force_option(init)
    return parser


def _force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="write into a DuckDB file that is not a Review Pulse database (adds our tables beside its own)")


def _mapping_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-column", metavar="HEADER",
                        help="the submission-time column of the survey files (overrides detection and [[sources]])")
    parser.add_argument("--header-rows", type=int, metavar="N",
                        help="rows of header at the top of the survey files (Qualtrics 3, SurveyMonkey 2)")


def _run_options(args: argparse.Namespace) -> RunOptions:
    header_rows = getattr(args, "header_rows", None)
    if header_rows is not None and not 1 <= header_rows <= 10:
        raise IngestError(f"--header-rows {header_rows}: give a number from 1 to 10")
    return RunOptions(getattr(args, "time_column", None), header_rows, tuple(getattr(args, "file_worksheets", []) or []))


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH",
                        help="DuckDB file (default: $REVIEW_PULSE_DB or data/reviews.duckdb)")


def _print_progress(label: str):
    """A progress bar on stderr for large inputs; silent when not a terminal."""
    interactive = sys.stderr.isatty()
    label = terminal_safe(label)  # a file name: escaped here, because the bar writes its \r raw

    def report(done: int, total: int) -> None:
        if not interactive or total < 5000:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        terminal = raw_stream(sys.stderr)
        terminal.write(f"\r{label[:40]:<40} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
        if done >= total:
            terminal.write("\n")
        terminal.flush()

    return report


def _read_sheet(ref: SheetRef, args: argparse.Namespace) -> RawTable:
    from pipeline.sources import google_sheets  # gspread is only needed for sheets

    info = google_sheets.load_service_account_info()
    client = google_sheets.open_client(info, timeout=args.timeout, max_retries=args.retries)
    fetched = google_sheets.fetch_worksheet_rows(ref.key_or_url, ref.worksheet, client=client)
    source = f"sheet {fetched.sheet_key} / {fetched.worksheet_title}"
    return table_from_rows(source, [list(r) for r in fetched.rows], list(range(1, len(fetched.rows) + 1)))


def run_ingest(args: argparse.Namespace, settings: Settings, db_path: Path, fast_csv: bool = True) -> RunSummary:
    """Read, parse and load; ``fast_csv=False`` parses every file in Python (tests compare the two)."""
    if not (args.surveys or args.attendance or args.sheets or args.polls or getattr(args, "actions", None)):
        raise IngestError("nothing to ingest: give --surveys, --attendance, --polls, --actions or a --surveys-sheet, "
                          "--attendance-sheet, --polls-sheet or --actions-sheet")
    surveys: list[ParsedSurveys] = []
    attendance: list[ParsedAttendance] = []
    # Read and parse everything before touching the DB: a bad file changes nothing.
    csv_surveys: list[CsvSurveyInput] = []
    inputs = read_survey_inputs(args.surveys, settings, args.series, _run_options(args), _print_progress, lazy=True)
    sources = list(inputs.sources)
    for table in inputs.tables:
        csv_plan = plan_fast_csv(table.path) if fast_csv and table.path is not None else None
        if csv_plan is not None:
            # Large plain CSVs are parsed by DuckDB inside the load (same result, much faster).
            csv_surveys.append(CsvSurveyInput(csv_plan, args.series, table.parse, table.declared))
        else:
            surveys.append(table.parse())
    for path in expand_inputs(args.attendance):
        attendance.append(parse_attendance(read_table(path, limits=settings.limits), settings, args.series))
        sources.append(str(path))
    actions = [parse_action_file(path, settings, args.series) for path in expand_inputs(
        getattr(args, "actions", None) or [], (*SUPPORTED_SUFFIXES, ".json"), ".csv, .xlsx or .json")]
    sources.extend(a.source for a in actions)
    polls: list = []  # talking points (issue 12); their modules load only when polls are given
    if args.polls or any(ref.kind == "polls" for ref in args.sheets):
        from pipeline.poll_inputs import checked_table, poll_sources, read_poll_file
    for path in (poll_sources(args.polls) if args.polls else []):
        polls.append(read_poll_file(path, settings, args.series))
        sources.append(str(path))
    for ref in args.sheets:
        table = _read_sheet(ref, args)
        if ref.kind == "actions":
            actions.append(parse_actions_table(table, settings, args.series))
        elif ref.kind == "polls":
            polls.append(checked_table(table, settings, args.series))
        elif ref.kind == "surveys":
            # The source is "sheet <key> / <tab>"; a key has no " / ", a tab title may ("Q1 / replies").
            declared = mapping_for(settings, table.source, table.source.split(" / ", 1)[1], _run_options(args))
            surveys.append(parse_surveys(table, settings, args.series, declared=declared, lazy=True))
        else:
            attendance.append(parse_attendance(table, settings, args.series))
        sources.append(table.source)
    summary = load(db_path, settings, surveys, attendance, sources, strict=args.strict, csv_surveys=csv_surveys,
                   polls=polls, actions=actions, force=getattr(args, "force", False))
    summary.skipped = list(inputs.skipped)
    return summary


# --- follow-up actions (issue 13) ---
def parse_action_file(path: Path, settings: Settings, series: str | None) -> ParsedActions:
    """One actions export from disk, JSON or table: the CLI's path and the demo's."""
    if looks_like_json(path):
        return parse_actions_json(read_json(path), settings, series)
    return parse_actions_table(read_table(path), settings, series)
# --- end of follow-up actions ---


SHEET_FLAGS = {"surveys": "--surveys-sheet", "attendance": "--attendance-sheet", "polls": "--polls-sheet",
               "actions": "--actions-sheet"}


def sync_argv(settings: Settings, db_path: Path, timeout: float = 30.0, retries: int = 4) -> list[str]:
    """`ingest` arguments that read every [[sheets]] entry of the settings."""
    if not settings.sheets:
        raise IngestError("no sheets are configured: add [[sheets]] entries (kind, key, worksheet) to review_pulse.toml")
    argv = ["ingest", "--db", str(db_path), "--timeout", str(timeout), "--retries", str(retries)]
    for sheet in settings.sheets:
        argv += [SHEET_FLAGS[sheet.kind], sheet.key]
        if sheet.worksheet:
            argv += ["--worksheet", sheet.worksheet]
    return argv


def _sources_of(args: argparse.Namespace) -> list[str]:
    named = [str(p) for p in getattr(args, "surveys", []) + getattr(args, "attendance", [])
             + getattr(args, "polls", []) + getattr(args, "actions", [])]
    return named + [f"sheet {ref.key_or_url}" for ref in getattr(args, "sheets", [])]


def main(argv: list[str] | None = None) -> int:
    # Headers, file names and messages come from outside: everything printed is escaped.
    with escaped_output():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    # Retries are reported in the one-line outcome; without a handler of our own, the
    # libraries' per-attempt warnings would reach stderr through logging's last resort.
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    db_path = resolve_db_path(getattr(args, "db", None))
    try:
        if args.command == "inspect" or (args.command == "ingest" and args.dry_run):
            return _inspect(args, settings)
        if args.command == "ingest":
            summary = run_ingest(args, settings, db_path)
            # Published: from here on an output error (a reader that closed the pipe) is not a failed run.
            return _print_after_publish([f"Ingested into {db_path} (run {summary.run_id})",
                                         *("  " + line for line in summary.lines())])
        if args.command == "demo":
            from pipeline.demo import build_demo, remove_demo

            if args.remove:
                removed = remove_demo(db_path)
                print(f"Demo data removed from {db_path}: " + ", ".join(f"{n:,} {t}" for t, n in removed.items()))
                return 0
            if args.if_missing and db_path.exists():
                print(f"{db_path} exists; demo data not rebuilt")
                return 0
            summary = build_demo(db_path, settings, source_dir=args.source_dir, seed=args.seed)
            print(f"Demo data loaded into {db_path}")
            print("\n".join("  " + line for line in summary.lines()))
            return 0
        if args.command == "export":
            from review_pulse.retro_pack import export_quarter  # the read layer, without Streamlit

            written = export_quarter(db_path, settings, args.quarter, args.out, series=args.series, as_zip=args.zip)
            print(f"Wrote {len(written)} file(s) to {args.out}")
            return 0
        if args.command == "sync":
            args = build_parser().parse_args(sync_argv(settings, db_path, args.timeout, args.retries))
            summary = run_ingest(args, settings, db_path)
            return _print_after_publish([f"Synced into {db_path} (run {summary.run_id})",
                                         *("  " + line for line in summary.lines())])
        if args.command == "init":
            from pipeline.loader import init_empty

            init_empty(db_path, force=args.force)
            print(f"Created {db_path}")
            return 0
    except UserFacingError as exc:
        return _fail(args, db_path, str(exc))
    except Exception as exc:  # a one-line message, never a traceback, for anything unforeseen
        if os.environ.get("REVIEW_PULSE_DEBUG"):
            raise
        name = type(exc).__name__
        return _fail(args, db_path, f"unexpected {name}: {str(exc).splitlines()[0] if str(exc) else name}; nothing was changed")
    return EXIT_FAILED


def _inspect(args: argparse.Namespace, settings: Settings) -> int:
    """`inspect FILE…` and `ingest --dry-run`: the preview, nothing written; exit 2 if a file is refused."""
    from pipeline.preview import inspect_lines, inspect_paths

    paths = list(args.files) if args.command == "inspect" else list(args.surveys)
    if not paths:
        raise IngestError("nothing to inspect: give survey files (--dry-run previews the --surveys files)")
    report = inspect_paths(paths, settings, args.series, _run_options(args))
    code = 0 if report.ok else EXIT_FAILED
    lines = inspect_lines(report)
    if args.command == "ingest":
        lines.append("dry run: nothing was written")
    _print_after_publish(lines)
    return code


def _print_after_publish(lines: list[str]) -> int:
    """Print the outcome; a closed stdout (`… | head`, `… | true`) is not an error any more."""
    try:
        print("\n".join(lines))
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        # Point stdout at /dev/null so the interpreter's final flush does not fail either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    return 0


def _fail(args: argparse.Namespace, db_path: Path, message: str) -> int:
    print(f"error: {terminal_safe(message)}", file=sys.stderr)  # one line, whatever the message holds
    if args.command in ("ingest", "sync"):
        try:
            record_failed_run(db_path, _sources_of(args) or ["sheet (every [[sheets]] entry)"], message)
        except OSError:
            pass
    return EXIT_FAILED
