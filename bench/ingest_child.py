"""Child process for the ingest benchmark (one fresh interpreter per run).

    python -m bench.ingest_child ingest --db D --surveys S --attendance A --json-out F [--hooks | --profile P]
    python -m bench.ingest_child floor  --db D --surveys S --attendance A --json-out F
    python -m bench.ingest_child followups --db D --polls P --actions A --settings T --json-out F

``ingest`` runs ``pipeline.cli.main`` exactly as the CLI does. ``--hooks`` wraps the
stages (read/decode/CSV split, parse, frame building, each SQL statement, publish)
with wall-clock timers; ``--profile`` runs it under cProfile. ``floor`` is DuckDB's
own ``CREATE TABLE … AS SELECT * FROM read_csv(file)`` for the same files. ``followups`` loads
the dataset's talking-point polls and follow-up actions into the benchmark DB (untimed: the
pages that show them are measured on it).
"""

from __future__ import annotations

import time

PROCESS_T0 = time.perf_counter()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import sys  # noqa: E402

from bench.util import Timer, write_json  # noqa: E402


def _install_hooks(timer: Timer) -> None:
    import pipeline.ingest as ingest
    import pipeline.loader as loader
    import pipeline.parse.attendance as attendance
    import pipeline.parse.keys as keys
    import pipeline.parse.surveys as surveys
    import pipeline.parse.times as times
    import pipeline.sources.files as files

    # Reading: bytes from disk, decoding, the csv module's split, header/blank-row handling.
    ingest.read_table = timer.wrap("read_table (total)", ingest.read_table)
    files.read_csv_stream = timer.wrap("read: decode + csv.reader split, streamed", files.read_csv_stream)
    files.table_from_rows = timer.wrap("read: table_from_rows (header, blank rows)", files.table_from_rows)
    # Parsing.
    ingest.parse_surveys = timer.wrap("parse_surveys (total)", ingest.parse_surveys)
    ingest.parse_attendance = timer.wrap("parse_attendance (total)", ingest.parse_attendance)
    import pipeline.preview as preview  # survey files are read there (workbook tabs, [[sources]])

    preview.read_table = timer.wrap("read_table (total)", preview.read_table)
    preview.parse_surveys = timer.wrap("parse_surveys (total)", preview.parse_surveys)
    # Wrapped where they are looked up: surveys and attendance import these names from their modules.
    surveys.detect_wide_columns = timer.wrap("parse: detect columns", surveys.detect_wide_columns)
    times.TimeParser.parse = timer.wrap("parse: TimeParser.parse (all calls, memo hits incl.)", times.TimeParser.parse)
    times.TimeParser._parse = timer.wrap("parse: TimeParser._parse (memo misses)", times.TimeParser._parse)
    original_dateutil = times.dateutil_parser.parse
    times.dateutil_parser = _Namespace(times.dateutil_parser, parse=timer.wrap("parse: dateutil.parser.parse", original_dateutil))
    keys.KeyMaker.key = timer.wrap("parse: KeyMaker.key (md5 response keys)", keys.KeyMaker.key)
    for module in (surveys, attendance):
        module.clean_feedback = timer.wrap("parse: clean_feedback", module.clean_feedback)
        module.series_of = timer.wrap("parse: series_of", module.series_of)
    # Loading.
    original_lock, original_staged = loader.write_lock, loader.staged_write_into
    original_connection = loader.scratch_connection

    @contextlib.contextmanager
    def write_lock(db_path, wait=True):  # noqa: ANN001
        # Time in load() before the lock (the fast path and the Arrow tables come after it).
        timer.add("load: before taking the write lock", time.perf_counter() - _load_started[0])
        with original_lock(db_path, wait):
            yield

    _load_started = [0.0]
    original_load = loader.load

    def load(*args, **kwargs):  # noqa: ANN002, ANN003
        _load_started[0] = time.perf_counter()
        return original_load(*args, **kwargs)

    ingest.load = timer.wrap("load (total)", load)
    # The DuckDB fast path for the survey CSV (its SQL statements are timed one by one below).
    import pipeline.csv_fast_path as fast_path

    loader.stage = timer.wrap("load: fast path stage() (total)", loader.stage)
    fast_path.count_bytes = timer.wrap("load: fast path byte counts (Python)", fast_path.count_bytes)
    loader.write_lock = write_lock
    # The run's one connection (staging and the write): every statement on it is timed.
    loader.scratch_connection = lambda folder: _TimedConnection(original_connection(folder), timer)
    loader.staged_write_into = timer.wrap_context(
        "load: copy live DB to staging + attach", "load: CHECKPOINT + detach + fsync + rename (publish)",
        original_staged,
    )
    loader.ensure_schema = timer.wrap("load: ensure_schema", loader.ensure_schema)


class _Namespace:
    def __init__(self, module, **overrides):  # noqa: ANN001, ANN003
        self._module, self._overrides = module, overrides

    def __getattr__(self, name: str):  # noqa: ANN204
        return self._overrides[name] if name in self._overrides else getattr(self._module, name)


class _TimedConnection:
    """Times each statement the loader runs (SQL text shortened as the label)."""

    def __init__(self, connection, timer: Timer) -> None:  # noqa: ANN001
        self._connection, self._timer = connection, timer

    def execute(self, sql: str, *args, **kwargs):  # noqa: ANN002, ANN003
        label = "load SQL: " + " ".join(sql.split())[:70]
        started = time.perf_counter()
        try:
            return self._connection.execute(sql, *args, **kwargs)
        finally:
            self._timer.add(label, time.perf_counter() - started)

    def register(self, name, frame):  # noqa: ANN001
        started = time.perf_counter()
        try:
            return self._connection.register(name, frame)
        finally:
            self._timer.add("load SQL: register pandas frames", time.perf_counter() - started)

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._connection, name)


def run_ingest(args: argparse.Namespace) -> dict:
    import_started = time.perf_counter()
    import pipeline.cli as cli

    imported = time.perf_counter()
    timer = Timer()
    if args.hooks:
        _install_hooks(timer)
    # Keep the run summary: it says whether DuckDB or Python parsed the survey file.
    summaries = []
    import pipeline.ingest as ingest  # where the CLI's run calls the loader

    timed_load = ingest.load

    def load_keeping_summary(*load_args, **load_kwargs):  # noqa: ANN002, ANN003, ANN202
        summaries.append(timed_load(*load_args, **load_kwargs))
        return summaries[-1]

    ingest.load = load_keeping_summary
    argv = ["ingest", "--db", args.db, "--surveys", args.surveys,
            *(["--attendance", args.attendance] if args.attendance else [])]
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        gc.freeze()  # as pipeline/__main__.py does before main()
        code = cli.main(argv)
    finished = time.perf_counter()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    if code != 0:
        raise SystemExit(f"ingest failed with exit code {code}")
    return {
        "startup_s": import_started - PROCESS_T0,
        "import_s": imported - import_started,
        "main_s": finished - started,
        "hooks": timer.as_dict() if args.hooks else None,
        "parsed_in_duckdb": summaries[-1].parsed_in_duckdb if summaries else [],
        "fast_path_declined": summaries[-1].fast_path_declined if summaries else {},
        "peak_rss_bytes": _peak_rss(),
    }


def run_followups(args: argparse.Namespace) -> dict:
    import duckdb

    import pipeline.cli as cli

    with contextlib.redirect_stdout(sys.stderr):
        code = cli.main(["ingest", "--db", args.db, "--polls", args.polls, "--actions", args.actions])
    if code != 0:
        raise SystemExit(f"loading polls and actions failed with exit code {code}")
    with duckdb.connect(args.db, read_only=True) as con:
        polls, options, actions, series = con.execute(
            """SELECT (SELECT count(*) FROM polls), (SELECT count(*) FROM poll_options), (SELECT count(*) FROM actions),
                      (SELECT count(DISTINCT series) FROM polls)""").fetchall()[0]
    return {"polls": polls, "poll_options": options, "actions": actions, "poll_series": series}


def run_floor(args: argparse.Namespace) -> dict:
    import_started = time.perf_counter()
    import duckdb

    imported = time.perf_counter()
    started = time.perf_counter()
    con = duckdb.connect(args.db)
    con.execute("CREATE TABLE surveys AS SELECT * FROM read_csv(?)", [args.surveys]).fetchall()
    after_surveys = time.perf_counter()
    if args.attendance:
        con.execute("CREATE TABLE attendance AS SELECT * FROM read_csv(?)", [args.attendance]).fetchall()
        rows = con.execute("SELECT (SELECT count(*) FROM surveys), (SELECT count(*) FROM attendance)").fetchall()[0]
    else:
        rows = con.execute("SELECT (SELECT count(*) FROM surveys), 0").fetchall()[0]
    con.close()
    finished = time.perf_counter()
    return {
        "startup_s": import_started - PROCESS_T0,
        "import_s": imported - import_started,
        "main_s": finished - started,
        "surveys_s": after_surveys - started,
        "rows": list(rows),
        "peak_rss_bytes": _peak_rss(),
    }


def _peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ingest", "floor", "followups"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--surveys")
    parser.add_argument("--polls")
    parser.add_argument("--actions")
    parser.add_argument("--attendance")
    parser.add_argument("--settings", help="a review_pulse.toml for this run (the export-shaped file declares its series)")
    parser.add_argument("--hooks", action="store_true")
    parser.add_argument("--profile")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    if args.settings:
        import os

        os.environ["REVIEW_PULSE_SETTINGS"] = args.settings
    if args.mode != "followups" and not args.surveys:
        parser.error("--surveys is required")
    result = {"ingest": run_ingest, "floor": run_floor, "followups": run_followups}[args.mode](args)
    write_json(args.json_out, result)


if __name__ == "__main__":
    main()
