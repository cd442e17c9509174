"""Child process: PNG export of the busiest chart and the whole retro pack, in a fresh interpreter.

    python -m bench.export_child --db D --quarter 2026-Q2 --runs 5 --json-out F [--profile-dir DIR]

* PNG: ``export.chart_to_png(weekly agreement, All time, scale=2)`` as the app's PNG
  button runs it. The first call also starts vl-convert's JS engine (cold); then
  ``runs`` warm calls. Split once into Altair ``to_dict`` and vl-convert rendering.
* Retro pack: ``retro_pack.build_retro_pack(view)`` for one quarter and All time,
  ``runs`` times each (uncached read layer, as the CLI export), and once split into
  queries + chart building, summary, and per chart SVG render, SVG->PNG, CSV.
"""

from __future__ import annotations

import time

PROCESS_T0 = time.perf_counter()

import argparse  # noqa: E402
import logging  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.util import write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--quarter", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile-dir")
    parser.add_argument("--json-out")
    args = parser.parse_args()

    import_started = time.perf_counter()
    import streamlit.runtime.caching.cache_data_api  # noqa: F401

    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    import vl_convert as vlc

    from review_pulse import export, report
    from review_pulse.view import DataView
    from core.quarters import ALL_TIME_PERIOD, parse_period
    from review_pulse.retro_pack import build_retro_pack
    from core.settings import load_settings

    imported = time.perf_counter()
    settings = load_settings()
    db = Path(args.db)
    all_time = DataView(db, ALL_TIME_PERIOD, None, settings)
    quarter = DataView(db, parse_period(args.quarter, settings.fiscal_year_start_month), None, settings)
    result: dict = {"startup_s": import_started - PROCESS_T0, "import_s": imported - import_started}

    # --- PNG of the busiest chart ---
    started = time.perf_counter()
    item = report.weekly_agreement(all_time, "mean")
    result["png_chart_build_s"] = time.perf_counter() - started
    result["png_chart_rows"] = int(len(item.rows))
    started = time.perf_counter()
    png = export.chart_to_png(item.chart, scale=2)
    result["png_cold_s"] = time.perf_counter() - started
    result["png_bytes"] = len(png)
    warm = []
    for _ in range(args.runs):
        started = time.perf_counter()
        export.chart_to_png(item.chart, scale=2)
        warm.append(time.perf_counter() - started)
    result["png_warm_s"] = warm
    started = time.perf_counter()
    spec = item.chart.to_dict()
    to_dict = time.perf_counter() - started
    started = time.perf_counter()
    vlc.vegalite_to_png(spec, vl_version=export.VL_VERSION, scale=2)
    render = time.perf_counter() - started
    result["png_split"] = {"altair to_dict (validation)": to_dict, "vl-convert vegalite_to_png": render}
    # Same chart, built fresh: what a click on the PNG button costs end to end (uncached query).
    started = time.perf_counter()
    export.chart_to_png(report.weekly_agreement(all_time, "mean").chart, scale=2)
    result["png_with_query_s"] = time.perf_counter() - started

    # --- Retro pack ---
    for name, view in (("quarter", quarter), ("all", all_time)):
        times, size = [], 0
        for _ in range(args.runs):
            started = time.perf_counter()
            pack = build_retro_pack(view)
            times.append(time.perf_counter() - started)
            size = len(pack)
        result[f"pack_{name}_s"] = times
        result[f"pack_{name}_bytes"] = size
        result[f"pack_{name}_split"] = _pack_split(view, export, report, vlc)
        if args.profile_dir:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
            build_retro_pack(view)
            profiler.disable()
            profiler.dump_stats(str(Path(args.profile_dir) / f"retro-pack-{name}.pstats"))
    write_json(args.json_out, result)


def _pack_split(view, export, report, vlc) -> dict:  # noqa: ANN001
    """build_retro_pack's steps, timed one by one (same functions, same order)."""
    split: dict[str, float] = {}

    def timed(label: str, function, *a, **k):  # noqa: ANN001, ANN002, ANN003
        started = time.perf_counter()
        value = function(*a, **k)
        split[label] = split.get(label, 0.0) + time.perf_counter() - started
        return value

    timed("summary numbers (queries)", view.summary)
    items = timed("report.all_items (queries + Altair build)", report.all_items, view)
    for item in items:
        spec = timed(f"{item.slug}: altair to_dict", item.chart.to_dict)
        svg = timed(f"{item.slug}: vl-convert SVG", vlc.vegalite_to_svg, spec, vl_version=export.VL_VERSION)
        timed(f"{item.slug}: SVG->PNG", vlc.svg_to_png, svg, scale=2)
        timed(f"{item.slug}: CSV", export.frame_to_csv_bytes, item.rows)
    return {k: round(v, 4) for k, v in split.items()}


if __name__ == "__main__":
    main()
