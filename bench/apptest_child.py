"""Child process: one page through Streamlit's AppTest, cold then warm, in a fresh interpreter.

    python -m bench.apptest_child --db D --page pages/agreement.py --quarter all [--series NAME]
                                  [--warm 3] [--profile P] --json-out F

st.cache_data lives in the process, so the first ``at.run()`` here is a cold run
(empty cache); the following runs are warm. Heavy modules are imported before the
clock starts (a server imports them once); their cost is reported separately. So is
Streamlit's once-per-process REPL check (``process_once_s``), which a running server has
done on its first page ever.

Timing hooks (wall clock, in the script thread) split each run into: DuckDB
connects, query execution on cache misses, chart building (report.*), the
``st.altair_chart`` call (Altair ``to_dict`` validation + Arrow + proto) and
``st.dataframe``. ``--profile`` runs the cold run under cProfile (script thread).
"""

from __future__ import annotations

import time

PROCESS_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from bench.util import CODE_ROOT, Timer, write_json  # noqa: E402

APP = str(CODE_ROOT / "app.py")


def _hooks(timer: Timer) -> None:
    import streamlit as st

    import dashboard.data as data
    import review_pulse.charts as charts
    import review_pulse.queries as queries
    import review_pulse.report as report
    import review_pulse.view as view

    original_run_cached = data.run_cached

    def run_cached(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        started = time.perf_counter()
        try:
            return original_run_cached(function, *args, **kwargs)
        finally:
            timer.add(f"query (st.cache_data lookup or miss): {function.__name__}", time.perf_counter() - started)

    data.run_cached = run_cached
    queries.read_connection = timer.wrap_context(
        "duckdb cursor on the shared read-only connection (opens it once per snapshot)",
        "duckdb cursor close (per query)", queries.read_connection
    )
    queries.db_status = timer.wrap("queries.db_status (tables + counts)", queries.db_status)
    view.DataView.call = timer.wrap("DataView.call (runner + copy)", view.DataView.call)
    for name in ("weekly_agreement", "score_trend", "answer_distribution", "attendance", "response_rate"):
        setattr(report, name, timer.wrap(f"report.{name} (query + Altair build)", getattr(report, name)))
    for name in ("weekly_agreement_chart", "score_trend_chart", "answer_distribution_chart", "attendance_chart",
                 "response_rate_chart"):
        setattr(charts, name, timer.wrap("charts.*_chart (Altair chart objects, no I/O)", getattr(charts, name)))
    st.altair_chart = timer.wrap("st.altair_chart (to_dict + Arrow + proto)", st.altair_chart)
    st.dataframe = timer.wrap("st.dataframe (Arrow + proto)", st.dataframe)


def _profile_script_thread():  # noqa: ANN202
    """cProfile the AppTest script thread (cProfile only sees the thread that enables it)."""
    import cProfile

    profiler = cProfile.Profile()

    def start(frame, event, arg):  # noqa: ANN001
        sys.setprofile(None)
        profiler.enable()

    threading.setprofile(start)
    return profiler


def _dump(profiler, path: str) -> None:  # noqa: ANN001
    threading.setprofile(None)
    profiler.disable()
    profiler.create_stats()
    profiler.dump_stats(path)


def chart_payload(element) -> dict:  # noqa: ANN001
    import pyarrow as pa

    rows, datasets = 0, []
    for dataset in element.proto.datasets:
        if dataset.data.data:
            table = pa.ipc.open_stream(dataset.data.data).read_all()
            datasets.append(table.num_rows)
            rows += table.num_rows
    spec = element.proto.spec
    title = ""
    try:
        parsed = json.loads(spec)
        raw_title = parsed.get("title")
        title = raw_title.get("text") if isinstance(raw_title, dict) else (raw_title or "")
        if isinstance(title, list):
            title = " ".join(title)
    except (ValueError, AttributeError):
        pass
    return {"title": title, "rows": rows, "datasets": datasets, "spec_bytes": len(spec),
            "proto_bytes": element.proto.ByteSize()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--page", default="")
    parser.add_argument("--quarter", required=True)
    parser.add_argument("--series")
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile dump of the script thread here")
    parser.add_argument("--profile-run", choices=["cold", "warm"], default="cold")
    parser.add_argument("--json-out")
    parser.add_argument("--empty", action="store_true",
                        help="the floor: an empty Streamlit script through AppTest, same imports and clock")
    args = parser.parse_args()

    import_started = time.perf_counter()
    import altair  # noqa: F401
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    import streamlit  # noqa: F401

    import streamlit.runtime.caching.cache_data_api  # noqa: F401

    # No "no runtime found" chatter from importing the read layer before a run.
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    # What a server has imported after its first run. (st.cache_data creates its
    # storage on first use, inside the run, so importing dashboard.data here is fine.)
    import review_pulse.charts  # noqa: F401
    import review_pulse.report  # noqa: F401
    import review_pulse.retro_pack  # noqa: F401
    import review_pulse.series_report  # noqa: F401  (the Series page, issue 26)
    import dashboard.ui  # noqa: F401

    imported = time.perf_counter()

    # Once per process, on the first element any script draws, Streamlit checks whether it runs in a
    # REPL (to print "use streamlit run"): inspect.stack() reading every frame's source, 0.05-0.08 s
    # in the script thread. A running server has done it on its first page ever; a page's cold run
    # (an empty cache, e.g. after a new load) never pays it again. Done here, before the clock.
    import streamlit.delta_generator

    streamlit.delta_generator._maybe_print_use_warning()
    process_once = time.perf_counter() - imported

    # As tests/test_app.py does: AppTest 1.67 resets uses_pages_directory before each
    # run, which would send reruns down the legacy pages/ path and lose the sidebar.
    original_init = PagesManager.__init__

    def init(self, *a, **k):  # noqa: ANN001, ANN002, ANN003
        original_init(self, *a, **k)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init

    timer = Timer()
    _hooks(timer)
    os.environ["REVIEW_PULSE_DB"] = args.db
    if args.empty:
        at = AppTest.from_string("import streamlit as st\nst.title(\"Empty\")\n", default_timeout=900)
    else:
        at = AppTest.from_file(APP, default_timeout=900)
    at.query_params["quarter"] = args.quarter
    if args.series:
        at.query_params["series"] = args.series
    if args.page and not args.empty:
        at.switch_page(args.page)

    profiler = _profile_script_thread() if args.profile and args.profile_run == "cold" else None
    started, cpu_started = time.perf_counter(), time.process_time()
    at.run()
    cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler is not None:
        _dump(profiler, args.profile)
    if at.exception:
        raise SystemExit(f"app exception: {[e.value for e in at.exception]}")
    cold_hooks = timer.as_dict()
    titles = [t.value for t in at.title]
    quarter_box = [s for s in at.sidebar.selectbox if s.label == "Quarter"]
    series_box = [s for s in at.sidebar.selectbox if s.label == "Review series"]
    charts = [chart_payload(c) for c in at.get("vega_lite_chart")]
    frames = [{"rows": len(d.value), "proto_bytes": d.proto.ByteSize()} for d in at.dataframe]
    texts = len(at.text)  # st.text elements (the Feedback page shows each answer as one)

    warm, warm_cpu, warm_hooks = [], [], []
    for index in range(args.warm):
        timer.totals, timer.counts = {}, {}  # the installed wrappers keep this Timer
        profiler = _profile_script_thread() if args.profile and args.profile_run == "warm" and index == 0 else None
        started, cpu_started = time.perf_counter(), time.process_time()
        at.run()
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.process_time() - cpu_started)
        if profiler is not None:
            _dump(profiler, args.profile)
        warm_hooks.append(timer.as_dict())
        if at.exception:
            raise SystemExit(f"app exception on rerun: {[e.value for e in at.exception]}")
    write_json(args.json_out, {
        "startup_s": import_started - PROCESS_T0,
        "import_s": imported - import_started,
        "process_once_s": process_once,  # the REPL check above, outside the cold run
        "cold_s": cold,
        "warm_s": warm,
        # CPU time of the whole process over each run (the script thread does the work; AppTest's
        # thread waits): steadier than wall time on a shared machine.
        "cold_cpu_s": cold_cpu,
        "warm_cpu_s": warm_cpu,
        "cold_hooks": cold_hooks,
        "warm_hooks": warm_hooks[-1] if warm_hooks else {},
        "title": titles[0] if titles else "",
        "quarter": quarter_box[0].value if quarter_box else None,
        "series": series_box[0].value if series_box else None,
        "charts": charts,
        "dataframes": frames,
        "text_elements": texts,
        "metrics": {m.label: m.value for m in at.metric},
        "peak_rss_bytes": _peak_rss(),
    })


def _peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    main()
