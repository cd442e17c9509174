"""`python -m pipeline …`: ingest, sync, inspect, demo, export, digest, init. Errors are one clear line.

The command line is parsed once, here; `ingest` and `sync` become a typed `pipeline.ingest.IngestRequest`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from pipeline.errors import IngestError
from pipeline.ingest import IngestRequest, SheetRef, ingest, parse_action_file, sheets_request
from pipeline.loader import RunSummary
from pipeline.mapping import RunOptions
from pipeline.terminal import escaped_output, raw_stream, terminal_safe
from core.errors import UserFacingError
from core.words import count_text
from core.run_log import record_failed_run
from core.settings import Settings, SettingsError, load_settings, resolve_db_path, week_monday

__all__ = ["SheetRef", "build_parser", "main", "parse_action_file", "request_from_args", "run_ingest"]

EXIT_FAILED = 2


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
            namespace.sheets = [*sheets[:-1], replace(sheets[-1], worksheet=values)]
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
    # Known busy weeks for the attendance early warning (issue 25).
    ingest.add_argument("--calendar", nargs="+", type=Path, default=[], metavar="FILE",
                        help="known busy weeks as .csv/.xlsx: Date (or Week), Kind (or Type, Event: launch, holiday, "
                             "planning…), optional Series; replaces the stored calendar of each series it names")
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
    export.add_argument("--organisation", action="store_true",
                        help="every review series compared, then one page per series (the Series page's "
                             "organisation pack: series-report PDF, series-slides PPTX, charts and table)")

    sync = commands.add_parser("sync", help="load every Google Sheet named in settings ([[sheets]])",
                               description="Ingest the [[sheets]] of review_pulse.toml in one run, as the "
                               "dashboard's \"Sync now\" does.")
    _db_option(sync)
    sync.add_argument("--timeout", type=float, default=30.0, help="seconds per Google request (default 30)")
    sync.add_argument("--retries", type=int, default=4, help="retries of a failed Google request (default 4)")

    digest = commands.add_parser(
        "digest", help="post the weekly digest of each review series to Slack",
        description="Post one Block Kit message per review series: the week's score against the target, the "
        "lagging statement, attendance against the previous 4 weeks' mean, the response rate, what the room chose, open and "
        "overdue actions and a link to the dashboard. A week already posted is not posted again without --force. "
        "Sends through the incoming webhook in $SLACK_WEBHOOK_URL, or the bot in $SLACK_BOT_TOKEN to [digest] channel.")
    _db_option(digest)
    digest.add_argument("--week", metavar="YYYY-MM-DD",
                        help="any day of the review week (default: the latest week with a review, per series)")
    digest.add_argument("--series", metavar="NAME", help="one review series (default: every series)")
    digest.add_argument("--dry-run", action="store_true",
                        help="print each message's JSON (one per line) and send nothing; needs no Slack secret")
    digest.add_argument("--force", action="store_true", help="post again a week that was already posted")

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


def request_from_args(args: argparse.Namespace, settings: Settings, db_path: Path,
                      fast_csv: bool = True) -> IngestRequest:
    """The typed request for `ingest`'s parsed command line (parsed once, from the real argv)."""
    return IngestRequest(
        db_path, settings, surveys=tuple(args.surveys), attendance=tuple(args.attendance), polls=tuple(args.polls),
        actions=tuple(getattr(args, "actions", None) or ()), calendar=tuple(getattr(args, "calendar", None) or ()),
        sheets=tuple(args.sheets), columns=_run_options(args),
        series=args.series, strict=args.strict, force=getattr(args, "force", False), google_timeout=args.timeout,
        google_retries=args.retries, parse_csv_in_duckdb=fast_csv)


def run_ingest(args: argparse.Namespace, settings: Settings, db_path: Path, fast_csv: bool = True) -> RunSummary:
    """`ingest` from its parsed arguments; ``fast_csv=False`` parses every file in Python (tests compare the two)."""
    return ingest(request_from_args(args, settings, db_path, fast_csv), _print_progress).summary


def _sources_of(args: argparse.Namespace, settings: Settings | None) -> list[str]:
    """What a failed `ingest` or `sync` named, for the failed-run log."""
    if args.command == "sync":
        return [f"sheet {sheet.key}" for sheet in (settings.sheets if settings else ())]
    named = [str(p) for p in getattr(args, "surveys", []) + getattr(args, "attendance", [])
             + getattr(args, "polls", []) + getattr(args, "actions", []) + getattr(args, "calendar", [])]
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
            request = request_from_args(args, settings, db_path)
            result = ingest(request, _print_progress)
            # Published: from here on an output error (a reader that closed the pipe) is not a failed run.
            return _print_after_publish([f"Ingested into {db_path} (run {result.run_id})",
                                         *("  " + line for line in result.lines())])
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

            written = export_quarter(db_path, settings, args.quarter, args.out, series=args.series, as_zip=args.zip,
                                     organisation=args.organisation)
            print(f"Wrote {count_text(len(written), 'file')} to {args.out}")
            return 0
        if args.command == "sync":
            request = sheets_request(db_path, settings, args.timeout, args.retries)
            result = ingest(request, _print_progress)
            return _print_after_publish([f"Synced into {db_path} (run {result.run_id})",
                                         *("  " + line for line in result.lines())])
        if args.command == "digest":
            return _digest(args, settings, db_path)
        if args.command == "init":
            from pipeline.loader import init_empty

            init_empty(db_path, force=args.force)
            print(f"Created {db_path}")
            return 0
    except UserFacingError as exc:
        return _fail(args, settings, db_path, str(exc))
    except Exception as exc:  # a one-line message, never a traceback, for anything unforeseen
        if os.environ.get("REVIEW_PULSE_DEBUG"):
            raise
        name = type(exc).__name__
        return _fail(args, settings, db_path, f"unexpected {name}: {str(exc).splitlines()[0] if str(exc) else name}; nothing was changed")
    return EXIT_FAILED


def _digest_week(text: str | None):  # -> date | None
    from datetime import date

    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise IngestError(f"--week {text!r}: give a day of the review week as YYYY-MM-DD, e.g. 2026-03-12") from None
    return day


def _digest(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    """`digest`: one message per series; --dry-run prints the JSON (stdout, one per line) and sends nothing."""
    import json

    from core.quarters import ALL_TIME_PERIOD
    from pipeline.digest_posts import last_post, record_post
    from pipeline.sources.slack import ChartUploadError, post_message, target_from_env
    from review_pulse import digest as digests
    from review_pulse.action_report import today_for
    from review_pulse.view import DataView

    day = _digest_week(args.week)
    if not db_path.exists():
        raise IngestError(f"no database at {db_path}: load data first (python -m pipeline ingest …) or give --db")
    base = DataView(db_path, ALL_TIME_PERIOD, None, settings)
    status = base.status()
    if status.state == "unreadable":
        raise IngestError(f"{db_path} cannot be read ({status.detail})")
    if status.state != "ready":
        raise IngestError(f"{db_path} has no survey responses or meetings yet: load some with python -m pipeline ingest")
    options = base.series_options()
    if args.series is not None and args.series not in options:
        raise IngestError(f"no review series {args.series!r} in {db_path}; it holds: " + ", ".join(map(repr, options)))
    # The secret is looked up before anything is built, so a missing one costs nothing; a dry run needs none.
    target = None if args.dry_run else target_from_env(settings.digest)
    if day is not None and week_monday(day) > week_monday(today_for(base)):
        raise IngestError(f"--week {day:%Y-%m-%d} is in the future: give a day of a review week that has happened")
    sent_or_shown = 0
    for series in [args.series] if args.series is not None else options:
        name = terminal_safe(series)  # a series name comes from data: one line, whatever it holds
        week = week_monday(day) if day else digests.latest_review_week(db_path, settings, series)
        view = digests.week_view(db_path, settings, series, week) if week else None
        digest = digests.build_digest(view, week, today_for(view)) if view else None
        if digest is None:
            where = f"the week of {week:%Y-%m-%d}" if week else "any week"
            if args.series is not None:
                raise IngestError(f"{series}: no review and no survey responses in {where}; give another --week")
            # stderr: --dry-run's stdout stays one JSON object per line (for jq)
            print(f"{name}: no review and no survey responses in {where}; skipped", file=sys.stderr)
            continue
        sent_or_shown += 1
        risk = digests.early_warning(view, week)
        message = digests.digest_message(digest, risk.sentence if risk else None, bool(risk and risk.at_risk))
        if args.dry_run:
            print(json.dumps(message, ensure_ascii=False))
            continue
        previous = last_post(db_path, series, week)
        if previous is not None and not args.force:
            print(f"{name}, week of {week:%Y-%m-%d}: already posted {previous.described}; not posted again "
                  "(--force posts it again)")
            continue
        chart = digests.digest_chart_png(view) if target.via == "bot" and settings.digest.upload_chart else None
        try:
            posted = post_message(target, message, chart_png=chart, chart_name=digests.chart_filename(digest))
        except ChartUploadError:
            record_post(db_path, series, week, target.via, target.channel)  # the message itself is out
            raise
        record_post(db_path, series, week, posted.via, posted.channel)
        print(f"Posted the digest of {name}, week of {week:%Y-%m-%d}, to Slack ({target.described})"
              + (" with its chart" if posted.chart_uploaded else ""))
    if not sent_or_shown:
        raise IngestError("no series had a review or survey responses in that week: nothing to post; give another --week")
    if args.dry_run:
        print("dry run: nothing was sent", file=sys.stderr)
    return 0


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


def _fail(args: argparse.Namespace, settings: Settings, db_path: Path, message: str) -> int:
    print(f"error: {terminal_safe(message)}", file=sys.stderr)  # one line, whatever the message holds
    if args.command in ("ingest", "sync"):
        try:
            record_failed_run(db_path, _sources_of(args, settings) or ["sheet (every [[sheets]] entry)"], message)
        except OSError:
            pass
    return EXIT_FAILED
