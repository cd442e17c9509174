"""The real server in headless Chromium: peak memory, Overview time to draw, quarter-change redraw, and
the Overview against an empty Streamlit page served the same way (issue #23 target 4).

Reuses devtools/browser_support.py (StreamlitServer on a free 127.0.0.1 port, Debian
Chromium through Playwright). Times are taken inside the page with
``performance.now()`` (0 = navigation start), polled every animation frame.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.util import CODE_ROOT, proc_status, summarize, write_json

# True (with performance.now()) once the app is idle, the heading is there, and
# at least n charts are drawn, none of them left over from before a change.
READY_JS = """([selector, n, heading, caption]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  if (status && /running/i.test(status.innerText)) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (heading && !Array.from(document.querySelectorAll('h1')).some(h => h.textContent.includes(heading))) return false;
  if (caption && !Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
        .some(c => c.textContent.startsWith(caption))) return false;
  const charts = Array.from(document.querySelectorAll(selector)).filter(e => !e.__benchOld);
  if (charts.length < n) return false;
  return performance.now();
}"""
MARK_OLD_JS = "(selector) => document.querySelectorAll(selector).forEach(e => { e.__benchOld = true; })"
ERRORS_JS = "() => document.querySelectorAll('[data-testid=\"stException\"]').length"
# Pages whose charts on the benchmark's data differ from the demo's (browser_support.DEMO_PAGE_EXPECTATIONS),
# by URL path (a page's title may change). Since the dataset holds polls and actions (bench/dataset.py
# generate_followups), Follow-up actions and Talking points draw at least the demo's charts.
CHARTS_ON_BENCH_DATA: dict[str, int] = {}


# Issue #23 target 4: the floor the Overview is compared with. A Streamlit page holding one heading,
# served by `streamlit run` with the app's own .streamlit/config.toml and flags (browser_support.StreamlitServer),
# and "drawn" by the same READY_JS (idle, no stale element, the heading shown; it has no chart to wait for).
EMPTY_PAGE_HEADING = "Empty page"
EMPTY_PAGE_SCRIPT = f'import streamlit as st\n\nst.title("{EMPTY_PAGE_HEADING}")\n'
OVERVIEW_HEADING = "Incident review health"
# What the empty page lacks that every page of the app has, measured in the same rotation (no target): the app's
# navigation (its page titles) and sidebar (the Quarter and Review series boxes) around the same heading, and
# that frame with a two-point line chart (the chart element's own cost) and with the Overview's chart (its spec as
# the Overview draws it, ``dashboard.ui.page_spec``).
FRAME_SCRIPT = """import json

import streamlit as st

TITLES = {titles!r}
SPEC = {spec!r}


def content():
    st.title({heading!r})
    if SPEC:
        with open(SPEC, encoding="utf-8") as handle:
            st.vega_lite_chart(json.load(handle), width="stretch")


st.sidebar.selectbox("Quarter", ["2026-Q3", "2026-Q2", "All time"])
st.sidebar.selectbox("Review series", ["All series"])
pages = [st.Page(content, title=TITLES[0], default=True)]
pages += [st.Page(lambda: st.title("Other page"), title=title, url_path=f"page{{number}}")
          for number, title in enumerate(TITLES[1:], start=1)]
st.navigation(pages).run()
"""

TINY_CHART_SPEC = {"data": {"values": [{"x": 1, "y": 1}, {"x": 2, "y": 2}]}, "mark": "line",
                   "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}}


def load_browser_support():
    path = CODE_ROOT / "devtools" / "browser_support.py"
    if not path.exists():
        raise RuntimeError("devtools/browser_support.py is missing: the browser benchmark needs it")
    spec = importlib.util.spec_from_file_location("review_pulse_browser_support", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _timed_load(bs, browser, url: str, charts: int, heading: str | None, timeout_ms: int) -> dict[str, Any]:
    page = bs.new_page(browser)
    try:
        started = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        handle = page.wait_for_function(READY_JS, arg=[bs.CHART_SELECTOR, charts, heading, None],
                                        polling="raf", timeout=timeout_ms)
        in_page_ms = handle.json_value()
        wall = time.perf_counter() - started
        return {"s": in_page_ms / 1000, "wall_s": wall, "errors": page.evaluate(ERRORS_JS),
                "charts": page.locator(bs.CHART_SELECTOR).count()}
    finally:
        with contextlib.suppress(Exception):
            page.context.close()


def _quarter_box(page):  # noqa: ANN001, ANN202
    return page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Quarter").get_by_role("combobox")


def _change_quarter(bs, page, option: str, caption: str, charts: int, timeout_ms: int) -> float:
    """Pick ``option`` in the sidebar; seconds from the click to the new charts drawn."""
    page.evaluate(MARK_OLD_JS, bs.CHART_SELECTOR)
    _quarter_box(page).click()
    target = page.get_by_role("option", name=option, exact=True)
    target.wait_for(state="visible", timeout=timeout_ms)
    clicked_at = page.evaluate("performance.now()")
    target.click()
    done = page.wait_for_function(READY_JS, arg=[bs.CHART_SELECTOR, charts, None, caption],
                                  polling="raf", timeout=timeout_ms).json_value()
    return (done - clicked_at) / 1000


def empty_page_server(bs, folder: Path, db_path: Path, log_path: Path, settings_path: Path):  # noqa: ANN001, ANN201
    """A StreamlitServer for EMPTY_PAGE_SCRIPT, beside a copy of the app's .streamlit/config.toml."""
    script = folder / "empty_page.py"
    script.write_text(EMPTY_PAGE_SCRIPT, encoding="utf-8")
    config = CODE_ROOT / ".streamlit" / "config.toml"
    if config.exists():
        (folder / ".streamlit").mkdir(exist_ok=True)
        shutil.copy2(config, folder / ".streamlit" / "config.toml")
    return bs.StreamlitServer(db_path, log_path=log_path, settings_path=settings_path, app_path=script)


def frame_servers(bs, folder: Path, db_path: Path, log_path: Path, settings_path: Path) -> dict[str, Any]:  # noqa: ANN001
    """StreamlitServers for FRAME_SCRIPT without and with the Overview's chart (of the quarter the Overview
    opens on), as the empty page's are made (the app's config beside them)."""
    from core.quarters import ALL_TIME_PERIOD
    from core.settings import load_settings
    from dashboard.ui import page_spec
    from review_pulse import report
    from review_pulse.view import DataView, latest_period

    settings = load_settings(settings_path)
    latest = latest_period(DataView(db_path, ALL_TIME_PERIOD, None, settings).periods())
    view = DataView(db_path, latest, None, settings)
    spec_path = folder / "overview_chart.json"
    spec_path.write_text(json.dumps(page_spec(report.score_trend(view).chart)), encoding="utf-8")
    # The smallest chart Streamlit draws: whatever a chart costs beyond it is our spec's, the rest is the
    # chart element's own (its code fetched and started in a fresh context).
    tiny_path = folder / "tiny_chart.json"
    tiny_path.write_text(json.dumps(TINY_CHART_SPEC), encoding="utf-8")
    titles = [title for title, *_rest in bs.PAGES]
    servers = {}
    for name, spec in (("frame", ""), ("frame_tiny_chart", str(tiny_path)), ("frame_chart", str(spec_path))):
        script = folder / f"{name}.py"
        script.write_text(FRAME_SCRIPT.format(titles=titles, spec=spec, heading=EMPTY_PAGE_HEADING), encoding="utf-8")
        servers[name] = bs.StreamlitServer(db_path, log_path=log_path.with_name(f"{log_path.stem}-{name}.log"),
                                           settings_path=settings_path, app_path=script)
    return servers


def overview_vs_empty(bs, browser, server, empty_server, pairs: int, timeout_ms: int,  # noqa: ANN001
                      progress=print, parts: dict[str, Any] | None = None) -> dict[str, Any]:  # noqa: ANN001
    """The Overview (default quarter) and the empty page, each in a fresh context of the same browser,
    alternating (the empty page first in pairs 1, 3, 5…, the Overview in 2, 4…, so a drift hits both alike),
    after one uncounted load of each (both servers' caches warm, as for the Overview loads above).
    ``parts`` (frame_servers) are loaded in each pair too, between the two, in the same rotation: context."""
    parts = parts or {}

    def load(which: str) -> dict[str, Any]:
        if which == "empty":
            return _timed_load(bs, browser, empty_server.page_url(""), 0, EMPTY_PAGE_HEADING, timeout_ms)
        if which in parts:
            return _timed_load(bs, browser, parts[which].page_url(""), 1 if "chart" in which else 0,
                               EMPTY_PAGE_HEADING, timeout_ms)
        return _timed_load(bs, browser, server.page_url(""), 1, OVERVIEW_HEADING, timeout_ms)

    warmup = {which: load(which)["s"] for which in ("empty", "overview", *parts)}
    out = []
    for index in range(pairs):
        order = ("empty", *parts, "overview") if index % 2 == 0 else ("overview", *reversed(parts), "empty")
        loads = {which: load(which) for which in order}
        out.append({"empty_s": loads["empty"]["s"], "overview_s": loads["overview"]["s"], "first": order[0],
                    "ratio": loads["overview"]["s"] / loads["empty"]["s"],
                    "parts_s": {name: loads[name]["s"] for name in parts},
                    "errors": sum(load["errors"] for load in loads.values())})
        progress(f"    pair {index + 1}: empty page {out[-1]['empty_s']:.2f}s, overview {out[-1]['overview_s']:.2f}s "
                 f"({out[-1]['ratio']:.2f}x)" + "".join(f", {name} {seconds:.2f}s"
                                                    for name, seconds in out[-1]["parts_s"].items()))
    ratios = [p["ratio"] for p in out]
    empty_median = statistics.median(p["empty_s"] for p in out)
    part_medians = {name: statistics.median(p["parts_s"][name] for p in out) for name in parts}
    return {"pairs": out, "warmup_s": warmup, "median_ratio": statistics.median(ratios),
            "min_ratio": min(ratios), "max_ratio": max(ratios), "empty_median_s": empty_median,
            "overview_median_s": statistics.median(p["overview_s"] for p in out),
            "parts_median_s": part_medians,
            "parts_ratio": {name: seconds / empty_median for name, seconds in part_medians.items()}}


def run(db_path: Path, *, runs: int, quarter: str, series: str, log_path: Path, settings_path: Path,
        timeout_s: float = 300, pid_file: Path | None = None, progress=print, pairs: int = 5,  # noqa: ANN001
        pairs_only: bool = False) -> dict[str, Any]:
    bs = load_browser_support()
    timeout_ms = int(timeout_s * 1000)
    result: dict[str, Any] = {"memory_steps": [], "page_loads": []}
    server = bs.StreamlitServer(db_path, log_path=log_path, settings_path=settings_path)
    empty_folder = tempfile.TemporaryDirectory(prefix="rp-bench-empty-page-")
    empty_server = empty_page_server(bs, Path(empty_folder.name), db_path,
                                     log_path.with_name(log_path.stem + "-empty-page.log"), settings_path)
    parts = frame_servers(bs, Path(empty_folder.name), db_path, log_path, settings_path)
    started = time.perf_counter()
    server.start()
    try:
        result["server_start_s"] = time.perf_counter() - started
        pid = server.process.pid
        if pid_file is not None:
            pid_file.write_text(str(pid))
        empty_server.start()
        for part in parts.values():
            part.start()
        if pid_file is not None:  # one server a line: the parent ends each if this child is killed hard
            pid_file.write_text("\n".join(str(s.process.pid) for s in (server, empty_server, *parts.values())))
        if pairs_only:
            with bs.chromium_session() as (_playwright, browser):
                result["overview_vs_empty"] = overview_vs_empty(bs, browser, server, empty_server, pairs, timeout_ms,
                                                                progress, parts)
            return result
        result["memory_steps"].append({"step": "server started", **proc_status(pid)})
        with bs.chromium_session() as (_playwright, browser):
            # 1. The very first Overview load after a server start (empty st.cache_data).
            first = _timed_load(bs, browser, server.page_url(""), 1, "Incident review health", timeout_ms)
            result["overview_first_load"] = first
            result["memory_steps"].append({"step": "overview (default quarter), first load", **proc_status(pid)})
            progress(f"    overview first load (cold cache): {first['s']:.2f}s")

            # 2. Every page, for a quarter, All time, and All time for one series.
            variants = [(quarter, None), ("all", None), ("all", series)]
            for period, one_series in variants:
                for title, url_path, heading, demo_charts in bs.PAGES:
                    charts = CHARTS_ON_BENCH_DATA.get(url_path, demo_charts)
                    query = f"quarter={period}" + (f"&series={_quote(one_series)}" if one_series else "")
                    load = _timed_load(bs, browser, server.page_url(url_path, query), charts, heading, timeout_ms)
                    status = proc_status(pid)
                    step = f"{title} · {'All time' if period == 'all' else period}" + (f" · {one_series}" if one_series else "")
                    result["page_loads"].append({"page": title, "period": period, "series": one_series, **load})
                    result["memory_steps"].append({"step": step, **status})
                    progress(f"    {step}: {load['s']:.2f}s, server RSS {status.get('VmRSS', 0) / 2**20:.0f} MB, "
                             f"peak {status.get('VmHWM', 0) / 2**20:.0f} MB")

            # 3. The Overview, fresh page each time (server cache warm), default quarter and All time.
            for label, query in (("default", ""), ("all", "quarter=all")):
                loads = [_timed_load(bs, browser, server.page_url("", query), 1, "Incident review health", timeout_ms)
                         for _ in range(runs)]
                result[f"overview_loads_{label}"] = loads
                progress(f"    overview loads ({label}): " + ", ".join(f"{x['s']:.2f}" for x in loads))

            # 3b. Issue #23 target 4: the Overview against an empty Streamlit page, alternating.
            result["overview_vs_empty"] = overview_vs_empty(bs, browser, server, empty_server, pairs, timeout_ms,
                                                            progress, parts)

            # 4. Changing the quarter in the sidebar: latest -> previous -> All time.
            to_previous, to_all = [], []
            for _ in range(runs):
                page = bs.new_page(browser)
                try:
                    page.goto(server.page_url(""), wait_until="commit", timeout=timeout_ms)
                    page.wait_for_function(READY_JS, arg=[bs.CHART_SELECTOR, 1, "Incident review health", None],
                                           polling="raf", timeout=timeout_ms)
                    to_previous.append(_change_quarter(bs, page, quarter, f"{quarter} ·", 1, timeout_ms))
                    to_all.append(_change_quarter(bs, page, "All time", "All time ·", 1, timeout_ms))
                finally:
                    with contextlib.suppress(Exception):
                        page.context.close()
            result["quarter_change_to_quarter_s"] = to_previous
            result["quarter_change_to_all_s"] = to_all
            progress(f"    quarter change -> {quarter}: " + ", ".join(f"{x:.2f}" for x in to_previous)
                     + "; -> All time: " + ", ".join(f"{x:.2f}" for x in to_all))
            result["memory_steps"].append({"step": "after all browser runs", **proc_status(pid)})
        result["server_peak"] = proc_status(pid)
        result["server_log_errors"] = _log_errors(server.log_tail(400))
    finally:
        server.stop()
        empty_server.stop()
        for part in parts.values():
            part.stop()
        empty_folder.cleanup()
    result["overview_default_summary"] = summarize([x["s"] for x in result.get("overview_loads_default", [])])
    return result


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def _log_errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if "Traceback" in line or "Error" in line][:20]


def main() -> None:
    """Run as a child (``python -m bench.browser``) so the parent can bound it with a timeout."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quarter", required=True)
    parser.add_argument("--series", required=True)
    parser.add_argument("--server-log", required=True, type=Path)
    parser.add_argument("--settings", required=True, type=Path)
    parser.add_argument("--pid-file", type=Path)
    parser.add_argument("--pairs", type=int, default=5, help="Overview / empty page pairs (issue #23 target 4)")
    parser.add_argument("--pairs-only", action="store_true", help="only the Overview / empty page pairs")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    # A SIGTERM from the parent's timeout unwinds normally: the server and Chromium are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = run(args.db, runs=args.runs, quarter=args.quarter, series=args.series, log_path=args.server_log,
                 settings_path=args.settings, pid_file=args.pid_file, pairs=args.pairs, pairs_only=args.pairs_only,
                 progress=lambda line: print(line, flush=True))
    write_json(args.json_out, result)


if __name__ == "__main__":
    main()
