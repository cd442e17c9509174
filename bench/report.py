"""report.md / report.json contents and the short table printed at the end."""

from __future__ import annotations

import statistics
from typing import Any

from bench.util import summarize

MB = 2**20


def _row(section: str, measure: str, values: list[float] | None = None, *, unit: str = "s",
         value: float | None = None, target: float | None = None, target_text: str = "", note: str = "",
         lower_is_better: bool = True) -> dict[str, Any]:
    stats = summarize(values or []) if values is not None else {"median": value, "min": None, "max": None, "n": 1}
    if value is not None:
        stats["median"] = value
    met = None
    if target is not None and stats["median"] is not None:
        met = stats["median"] <= target if lower_is_better else stats["median"] >= target
    return {"section": section, "measure": measure, "unit": unit, **stats, "target": target,
            "target_text": target_text or (f"≤ {target:g} {unit}" if target is not None else ""),
            "met": met, "note": note}


def summary_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    targets = results["targets"]
    sections = results.get("sections", {})
    rows: list[dict[str, Any]] = []

    ingest = sections.get("ingest") or {}
    if ingest.get("ingest"):
        wall = [r["wall_s"] for r in ingest["ingest"]]
        floor = [r["wall_s"] for r in ingest["floor"]]
        inner = [r["main_s"] for r in ingest["ingest"]]
        floor_inner = [r["main_s"] for r in ingest["floor"]]
        rows.append(_row("Ingest", "Ingest surveys + attendance (fresh process + DB, wall)", wall))
        rows.append(_row("Ingest", "Floor: DuckDB CREATE TABLE AS read_csv, same files (fresh process + DB, wall)", floor))
        ratio = statistics.median(wall) / statistics.median(floor)
        rows.append(_row("Ingest", "Ingest ÷ floor (medians, wall incl. interpreter start)", unit="×", value=ratio,
                         target=targets["ingest_ratio"], target_text=f"≤ {targets['ingest_ratio']:g}×",
                         note=f"min/max pairs {min(w / f for w, f in zip(wall, floor)):.0f}×–{max(w / f for w, f in zip(wall, floor)):.0f}×"))
        rows.append(_row("Ingest", "Ingest ÷ floor (in-process work only)", unit="×",
                         value=statistics.median(inner) / statistics.median(floor_inner), target=targets["ingest_ratio"],
                         target_text=f"≤ {targets['ingest_ratio']:g}×"))
        cpu, floor_cpu = [r.get("cpu_s") for r in ingest["ingest"]], [r.get("cpu_s") for r in ingest["floor"]]
        if all(cpu) and all(floor_cpu):
            rows.append(_row("Ingest", "Ingest ÷ floor (medians of CPU time: robust to other load)", unit="×",
                             value=statistics.median(cpu) / statistics.median(floor_cpu), target=targets["ingest_ratio"],
                             target_text=f"≤ {targets['ingest_ratio']:g}×"))
        plain = ingest.get("without_analysis") or []
        if plain:
            plain_wall = [r["wall_s"] for r in plain]
            rows.append(_row("Ingest", "Ingest with analyse_feedback = false (no sentiment/themes; wall)", plain_wall))
            rows.append(_row("Ingest", "Ingest without feedback analysis ÷ floor (medians, wall)", unit="×",
                             value=statistics.median(plain_wall) / statistics.median(floor),
                             target=targets["ingest_ratio"], target_text=f"≤ {targets['ingest_ratio']:g}×",
                             note="the survey pipeline alone"))
        shaped = ingest.get("export_shaped") or {}
        if shaped.get("ingest"):
            shaped_wall = [r["wall_s"] for r in shaped["ingest"]]
            shaped_floor = [r["wall_s"] for r in shaped["floor"]]
            rows.append(_row("Ingest", "Export-shaped file (labels, declared Team series, identity columns): ingest (wall)",
                             shaped_wall))
            rows.append(_row("Ingest", "Export-shaped file ÷ its read_csv floor (medians, wall)", unit="×",
                             value=statistics.median(shaped_wall) / statistics.median(shaped_floor),
                             target=targets["ingest_ratio"], target_text=f"≤ {targets['ingest_ratio']:g}×",
                             note="parsed in DuckDB" if all(r.get("parsed_in_duckdb") for r in shaped["ingest"])
                             else "parsed in Python"))
        if ingest.get("reingest"):
            rows.append(_row("Ingest", "Re-ingest same files into loaded DB, nothing new (wall)",
                             [r["wall_s"] for r in ingest["reingest"]]))

    rows += _first_load_rows(sections.get("firstload") or {}, targets)
    rows += _corpus_rows(sections.get("corpus") or {}, targets)

    apptest = (sections.get("apptest") or {}).get("configs") or []
    pages: dict[str, list[dict[str, Any]]] = {}
    for config in apptest:
        pages.setdefault(config["page"], []).append(config)
    for page, configs in pages.items():
        worst = max(configs, key=lambda c: c["cold"]["median"])
        rows.append({**_row("Pages (AppTest)", f"{page}: cold, worst of {len(configs)} ({_config_label(worst)})",
                            value=worst["cold"]["median"], target=page_target(targets, page, "cold")),
                     "min": worst["cold"]["min"], "max": worst["cold"]["max"], "n": worst["cold"]["n"]})
    for page, configs in pages.items():
        worst = max(configs, key=lambda c: c["warm"]["median"])
        rows.append({**_row("Pages (AppTest)", f"{page}: warm, worst of {len(configs)} ({_config_label(worst)})",
                            value=worst["warm"]["median"], target=page_target(targets, page, "warm")),
                     "min": worst["warm"]["min"], "max": worst["warm"]["max"], "n": worst["warm"]["n"]})
    charts = chart_table(apptest)
    if charts:
        biggest = max(charts, key=lambda c: c["rows"])
        rows.append(_row("Payload", f"Rows sent per chart, max over all charts/periods ({biggest['page']}: {biggest['chart']}, "
                         f"{biggest['where']})", unit="rows", value=biggest["rows"], target=targets["chart_rows"],
                         target_text=f"≤ {targets['chart_rows']:,} rows"))

    browser = sections.get("browser") or {}
    if browser.get("server_peak"):
        peak = browser["server_peak"].get("VmHWM", 0) / MB
        rows.append(_row("Memory", "Server peak memory serving every page, quarter + All time (VmHWM)", unit="MB",
                         value=peak, target=targets["server_peak_mb"]))

    export = sections.get("export") or {}
    if export.get("png_warm_s"):
        rows.append(_row("Export", "PNG of weekly agreement, All time (warm vl-convert)", export["png_warm_s"],
                         target=targets["png_s"]))
        rows.append(_row("Export", "PNG of weekly agreement, All time (first in process)", value=export["png_cold_s"],
                         target=targets["png_s"]))
        rows.append(_row("Export", "Retro pack, 2026-Q2 (uncached read layer, as the CLI)", export["pack_quarter_s"]))
        rows.append(_row("Export", "Retro pack, All time (uncached read layer, as the CLI)", export["pack_all_s"]))

    if browser.get("overview_loads_default"):
        rows.append(_row("Browser", "Overview: navigation start → charts drawn + idle (default quarter, fresh page)",
                         [x["s"] for x in browser["overview_loads_default"]], target=targets["overview_draw_s"]))
        rows.append(_row("Browser", "Overview: navigation start → charts drawn + idle (All time, fresh page)",
                         [x["s"] for x in browser["overview_loads_all"]], target=targets["overview_draw_s"]))
        rows.append(_row("Browser", "Overview: first load after server start (empty cache)",
                         value=browser["overview_first_load"]["s"], target=targets["overview_draw_s"],
                         note="includes the server's one-off imports on its first run"))
        rows.append(_row("Browser", "Redraw after picking 2026-Q2 in the sidebar", browser["quarter_change_to_quarter_s"]))
        rows.append(_row("Browser", "Redraw after picking All time in the sidebar", browser["quarter_change_to_all_s"]))
    if browser.get("overview_vs_empty"):
        rows.append(_overview_vs_empty_row(browser["overview_vs_empty"], targets))
    return rows


def _overview_vs_empty_row(paired: dict[str, Any], targets: dict[str, Any]) -> dict[str, Any]:
    """Issue #23 target 4: the median of the pairs' ratios, their spread as min–max."""
    pairs = paired["pairs"]
    target = targets.get("overview_vs_empty_ratio", 1.5)
    overview = statistics.median(p["overview_s"] for p in pairs)
    empty = statistics.median(p["empty_s"] for p in pairs)
    return {**_row("Browser (#23)", f"Overview drawn ÷ an empty Streamlit page, same browser ({len(pairs)} alternating pairs)",
                   unit="×", value=paired["median_ratio"], target=target, target_text=f"≤ {target:g}×",
                   note=f"fresh context per load; medians {overview:.2f} s / {empty:.2f} s"
                   + ("; the app's navigation + sidebar with the Overview's chart alone: "
                      f"{paired['parts_ratio']['frame_chart']:.2f}×" if "frame_chart" in paired.get("parts_ratio", {}) else "")
                   + ("; with a two-point line chart instead: "
                      f"{paired['parts_ratio']['frame_tiny_chart']:.2f}×" if "frame_tiny_chart" in paired.get("parts_ratio", {}) else "")),
            "min": paired["min_ratio"], "max": paired["max_ratio"], "n": len(pairs)}


def _first_load_rows(firstload: dict[str, Any], targets: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue #23: the real-shaped file's first load ÷ read_csv (medians; spread over the pairs' ratios)."""
    rows: list[dict[str, Any]] = []
    for kind, label, target in (("defaults", "defaults (feedback analysis on)", targets.get("first_load_ratio", 3.0)),
                                ("without_analysis", "analyse_feedback = false", targets.get("first_load_plain_ratio", 2.0))):
        pairs = firstload.get(kind) or []
        if not pairs:
            continue
        for measure, key in (("wall", "wall_s"), ("CPU", "cpu_s")):
            ratios = [p[key] / p[f"floor_{key}"] for p in pairs if p[f"floor_{key}"]]
            value = statistics.median(p[key] for p in pairs) / statistics.median(p[f"floor_{key}"] for p in pairs)
            rows.append({**_row("First load (#23)", f"Real-shaped file, {label}: ingest ÷ read_csv, {measure} "
                                f"(ingest {statistics.median(p[key] for p in pairs):.2f} s)", unit="×", value=value,
                                target=target, target_text=f"≤ {target:g}×",
                                note="parsed in DuckDB" if all(p.get("parsed_in_duckdb") for p in pairs) else "parsed in Python"),
                         "min": min(ratios), "max": max(ratios), "n": len(ratios)})
    speed = firstload.get("feedback_speed")
    if speed:
        target = targets.get("feedback_per_cpu_s", 50_000)
        rows.append(_row("First load (#23)", f"Feedback analysis, {speed['comments']:,} distinct comments, one core "
                         "(per second of CPU)", unit="comments/s", value=speed["per_cpu_s"], target=target,
                         target_text=f"≥ {target:,}", lower_is_better=False))
    return rows


def _corpus_rows(corpus: dict[str, Any], targets: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue #23 target 5: the paths the corpus files take, and the worst Python-path peak ÷ size."""
    files = corpus.get("files") or []
    if not files:
        return []
    paths: dict[str, int] = {}
    for row in files:
        paths[row["path"]] = paths.get(row["path"], 0) + 1
    rows = [_row("Memory (#23)", f"Real-world corpus, {len(files)} files: " + ", ".join(
        f"{count} {path}" for path, count in sorted(paths.items())),
        unit="files", value=paths.get("Python path", 0), note="files on the Python path")]
    measured = [row for row in files if "multiple" in row and row["path"] == "Python path"]  # fast-path rows: reference
    if measured:
        target = targets.get("python_path_memory_multiple", 6.0)
        worst = max(measured, key=lambda row: row["multiple"])
        beyond = max(row["multiple_beyond_small"] for row in measured)
        rows.append({**_row("Memory (#23)", f"Python path peak ÷ file size, worst of {len(measured)} corpus files grown "
                            f"({worst['file']})", unit="×", value=worst["multiple"], target=target,
                            target_text=f"≤ {target:g}×",
                            note=f"files grown to ~{corpus['mb']:g} MB, workbooks to ~{corpus['xlsx_mb']:g} MB of cells "
                                 f"as CSV; worst beyond the small file's own peak: {beyond:.1f}×"),
                     "min": min(row["multiple"] for row in measured), "max": worst["multiple"], "n": len(measured)})
    return rows


def _config_label(config: dict[str, Any]) -> str:
    period = "All time" if config["period"] == "all" else config["period"]
    return period + (" + series" if config.get("series") else "")


def chart_table(apptest: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows per chart (summed over its datasets), the biggest over all periods and series."""
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for config in apptest:
        for index, chart in enumerate(config["charts"]):
            key = (config["page"], index)
            name = chart["title"].split(" — ")[0] or f"chart {index + 1}"
            if key not in best or chart["rows"] > best[key]["rows"]:
                best[key] = {"page": config["page"], "chart": name, "rows": chart["rows"], "datasets": chart["datasets"],
                             "proto_bytes": chart["proto_bytes"], "where": _config_label(config)}
    return sorted(best.values(), key=lambda c: (c["page"], -c["rows"]))


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    if unit == "×":
        return f"{value:.1f}×"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit in ("rows", "comments/s", "files"):
        return f"{value:,.0f}"
    return f"{value:g} {unit}"


def _met(row: dict[str, Any]) -> str:
    return "—" if row["met"] is None else ("met" if row["met"] else "**MISSED**")


def text_table(results: dict[str, Any]) -> str:
    rows = results.get("summary") or summary_rows(results)
    lines = [f"{'Measure':<92} {'Median':>10} {'Min–max':>17} {'Target':>13}  Result"]
    for row in rows:
        spread = f"{_fmt(row['min'], row['unit'])}–{_fmt(row['max'], row['unit'])}" if row.get("min") is not None else ""
        result = "—" if row["met"] is None else ("PASS" if row["met"] else "FAIL")
        lines.append(f"{row['measure'][:92]:<92} {_fmt(row['median'], row['unit']):>10} {spread:>17} "
                     f"{row['target_text']:>13}  {result}")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    out: list[str] = []
    add = out.append
    machine = results.get("machine", {})
    versions = machine.get("versions", {})
    dataset = results.get("dataset") or {}
    sections = results.get("sections", {})
    add("# Review Pulse benchmark")
    add("")
    add(f"`{results['command']}` · {'**quick** (10× smaller dataset)' if results['quick'] else 'full size'} · "
        f"{results['runs']} runs per timing · started {results['started']} · total wall time "
        f"**{results.get('wall_time_s', 0):.0f} s** ({results.get('wall_time_s', 0) / 60:.1f} min)")
    add("")
    add("## Machine")
    add("")
    add(f"- CPU: {machine.get('cpu_model', '?')}, {machine.get('cores')} cores; memory "
        f"{machine.get('memory_bytes', 0) / 2**30:.1f} GiB; {machine.get('platform', '')}")
    add("- Python " + versions.get("python", "?") + ", " + ", ".join(f"{k} {v}" for k, v in versions.items() if k != "python"))
    add(f"- {machine.get('chromium', 'chromium ?')}")
    contention = results.get("contention") or {}
    if contention:
        add("- Other processes on the machine during each section (average cores busy outside the benchmark; "
            "the machine has 2): " + ", ".join(f"{k} {v['other_processes_cores']:.2f}" for k, v in contention.items())
            + ". Values well above 0 mean timings were taken under contention.")
    add("")
    code = results.get("code") or {}
    if code:
        git = code.get("git") or {}
        changed = code.get("fingerprint_at_end") and code["fingerprint_at_end"] != code.get("fingerprint_at_start")
        add("## Code measured")
        add("")
        add(f"git HEAD `{git.get('head', '?')}`"
            + (f" plus uncommitted changes in {', '.join(f'`{m}`' for m in git['modified'])}" if git.get("modified") else "")
            + f"; app/pipeline fingerprint `{code.get('fingerprint_at_start')}`. "
            + (f"Every child ran a copy taken at the start (`{code['snapshot']}`)." if code.get("snapshot")
               else "Children ran the working tree directly (--no-snapshot)."))
        if changed:
            add("")
            add("**The working tree changed during the run** (fingerprint at the end "
                f"`{code['fingerprint_at_end']}`): "
                + ("the results are for the snapshot above, not for the current code." if code.get("snapshot")
                   else "sections may have measured different code."))
        add("")
    add("## Dataset")
    add("")
    if dataset:
        add(f"Source files generated with seed in {dataset.get('seconds')} s: `{dataset['surveys']}` "
            f"({dataset['survey_bytes'] / MB:.1f} MB, {dataset['survey_rows']:,} rows incl. {dataset['bad_rows']} bad ones; "
            f"{dataset['answers_written']:,} answers; {dataset['feedback_texts']:,} feedback texts) and "
            f"`{dataset['attendance']}` ({dataset['meetings']:,} meetings). {dataset['series']} series, weekly reviews "
            f"{dataset['first_day']} … {dataset['last_day']}. Quarter used: {dataset['quarter']}; series used: "
            f"“{dataset['sample_series']}”.")
    real = dataset.get("real_shaped") if dataset else None
    if real:
        add("")
        add(f"Real-shaped file (issue #23): `{real['surveys']}` ({real['survey_bytes'] / MB:.1f} MB), {real['rows']:,} "
            f"responses in {real['series']} series, label answers, {real['comments']:,} comments of which "
            f"{real['distinct_comments']:,} distinct.")
    followups = dataset.get("followups") if dataset else None
    if followups:
        loaded = (sections.get("ingest") or {}).get("followups") or {}
        add("")
        add(f"Follow-ups (issue #23): `{followups['polls']}`, a Slack export with one talking-point poll per review "
            f"({followups['poll_count']:,} polls, {followups['option_count']:,} options, one channel per series), and "
            f"`{followups['actions']}`, an actions sheet ({followups['action_count']:,} actions, "
            f"{followups['open_actions']:,} open)"
            + (f"; loaded into the benchmark DB after the timed ingests ({loaded['polls']:,} polls, "
               f"{loaded['actions']:,} actions), so the Follow-up actions and Talking points pages are measured with "
               "data." if loaded.get("polls") else "; not loaded (run the ingest section)."))
    counts = (sections.get("ingest") or {}).get("db_counts")
    if counts:
        add("")
        add(f"Loaded DB: {counts['responses']:,} responses, {counts['answers']:,} answers, {counts['feedback']:,} with "
            f"feedback, {counts['meetings']:,} meetings, {counts['series']} series, {counts['rejects']} rejects; "
            f"{sections['ingest']['db_bytes'] / MB:.0f} MB on disk.")
    add("")
    add("## Results")
    add("")
    add("| Section | Measure | Median | Min – max | Target | Result |")
    add("| --- | --- | ---: | ---: | --- | --- |")
    for row in results.get("summary", []):
        spread = f"{_fmt(row['min'], row['unit'])} – {_fmt(row['max'], row['unit'])}" if row.get("min") is not None else ""
        note = f" ({row['note']})" if row.get("note") else ""
        add(f"| {row['section']} | {row['measure']}{note} | {_fmt(row['median'], row['unit'])} | {spread} | "
            f"{row['target_text'] or '—'} | {_met(row)} |")
    for name in ("ingest", "firstload", "corpus", "apptest", "export", "browser"):
        section = sections.get(name) or {}
        if section.get("error"):
            add("")
            add(f"**{name} failed:**")
            add("```")
            add(section["error"])
            add("```")
    _ingest_md(add, sections.get("ingest") or {})
    _corpus_md(add, sections.get("corpus") or {})
    _apptest_md(add, (sections.get("apptest") or {}).get("configs") or [], results["targets"])
    _payload_md(add, (sections.get("apptest") or {}).get("configs") or [], results["targets"])
    _memory_md(add, sections.get("browser") or {})
    _export_md(add, sections.get("export") or {})
    _browser_md(add, sections.get("browser") or {})
    add("")
    return "\n".join(out)


def _ingest_md(add, ingest: dict[str, Any]) -> None:  # noqa: ANN001
    if not ingest.get("ingest"):
        return
    add("")
    add("## Ingest")
    add("")
    add("Wall = parent-measured, interpreter start to exit; CPU = the child's user + system time (less sensitive "
        "to other load on the machine).")
    add("")
    add("| Run | Ingest wall | CPU | in-process | startup+imports | peak RSS | Floor wall | CPU | in-process | "
        "Re-ingest wall | CPU |")
    add("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for i, (ing, flo) in enumerate(zip(ingest["ingest"], ingest["floor"])):
        re = ingest["reingest"][i] if i < len(ingest.get("reingest", [])) else None
        add(f"| {i + 1} | {ing['wall_s']:.2f} s | {ing.get('cpu_s', 0):.2f} s | {ing['main_s']:.2f} s | "
            f"{ing['startup_s'] + ing['import_s']:.2f} s | {ing['peak_rss_bytes'] / MB:.0f} MB | {flo['wall_s']:.2f} s | "
            f"{flo.get('cpu_s', 0):.2f} s | {flo['main_s']:.2f} s | "
            f"{_fmt(re and re['wall_s'], 's')} | {_fmt(re and re.get('cpu_s', 0), 's')} |")
    first = ingest["ingest"][0]
    if "parsed_in_duckdb" in first:
        declined = first.get("fast_path_declined") or {}
        add("")
        add("Survey file parsed by: " + (
            "the DuckDB fast path (`pipeline/csv_fast_path.py`)" if first["parsed_in_duckdb"] and not declined
            else "Python, the fast path declined: " + "; ".join(f"`{k}`: {v}" for k, v in declined.items())
        ) + ".")
    hooks = (ingest.get("hooks_run") or {}).get("hooks") or {}
    if hooks:
        total = ingest["hooks_run"]["main_s"]
        add("")
        add(f"### Where ingest time goes (one run with wall-clock stage hooks; `main()` took {total:.2f} s)")
        add("")
        add("Nested rows (indented) are part of the row above them.")
        add("")
        add("| Stage | Seconds | Share of main() | Calls |")
        add("| --- | ---: | ---: | ---: |")
        for label, nested in _hook_order(hooks):
            value = hooks[label]
            add(f"| {'&nbsp;&nbsp;&nbsp;&nbsp;' * nested}{label} | {value['seconds']:.2f} | "
                f"{value['seconds'] / total * 100:.0f}% | {value['calls']:,} |")
        accounted = sum(hooks[k]["seconds"] for k in ("read_table (total)", "parse_surveys (total)",
                                                       "parse_attendance (total)", "load (total)") if k in hooks)
        add(f"| (outside these: settings, argument parsing, …) | {total - accounted:.2f} | "
            f"{(total - accounted) / total * 100:.0f}% | |")
    profile = ingest.get("profile")
    if profile:
        add("")
        add(f"### cProfile of one ingest (`{profile['path']}`; {profile['main_s']:.1f} s under the profiler), top by own time")
        add("")
        _profile_table(add, profile["top_tottime"][:18])


def _corpus_md(add, corpus: dict[str, Any]) -> None:  # noqa: ANN001
    files = corpus.get("files") or []
    if not files:
        return
    add("")
    add("## Real-world corpus: which path each file takes (issue #23 target 5)")
    add("")
    add("Each file of `tests/realworld/` ingested in a fresh process with the settings its user writes "
        "(`tests/test_realworld.settings_for`); the path is the loader's own decision, observed "
        "(`csv_fast_path.plan` and `.stage`). Each Python-path file is then grown by repeating its data rows under "
        f"its header rows to ~{corpus['mb']:g} MB (a workbook until its cells make ~{corpus['xlsx_mb']:g} MB as a "
        "CSV: repeated rows compress far better in a workbook than answers do) and ingested again: peak "
        "memory (VmHWM) ÷ that size, and the same less the small file's own peak (the interpreter, DuckDB, "
        "the analysers). The fast-path files are grown and measured the same way, for comparison. \"Before the "
        "write\" is the peak reached before the loader's write transaction (reading, parsing, staging: what differs "
        "between the paths); the write is the same for both.")
    add("")
    add("| File | Tool | Path | Why | Grown to | Peak | Before the write | × size | × beyond the small file's peak |")
    add("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for row in files:
        grown = peak = before = multiple = beyond = ""
        if "multiple" in row:
            before = (f"{row['grown_peak_before_write_bytes'] / MB:.0f} MB"
                      if row.get("grown_peak_before_write_bytes") else "")
            grown = f"{row['grown_bytes'] / MB:.1f} MB" + (f" ({row['grown_csv_bytes'] / MB:.1f} MB as CSV)"
                                                            if row.get("grown_csv_bytes") else "")
            peak = f"{row['grown_peak_bytes'] / MB:.0f} MB"
            multiple, beyond = f"{row['multiple']:.1f}×", f"{row['multiple_beyond_small']:.1f}×"
        why = row["reason"].replace("|", "\\|").replace("\n", " ")
        if len(why) > 300:
            why = why[:299] + "…"
        add(f"| `{row['file']}` | {row.get('tool') or ''} | {row['path']} | {why} | {grown} | {peak} | {before} | {multiple} "
            f"| {beyond} |")


def _hook_order(hooks: dict[str, Any]) -> list[tuple[str, int]]:
    order = [
        ("read_table (total)", 0), ("read: decode bytes -> str", 1), ("read: csv.reader split (incl. table_from_rows)", 1),
        ("read: table_from_rows (header, blank rows)", 2),
        ("parse_surveys (total)", 0), ("parse: detect columns", 1),
        ("parse: TimeParser.parse (all calls, memo hits incl.)", 1), ("parse: TimeParser._parse (memo misses)", 2),
        ("parse: dateutil.parser.parse", 3), ("parse: KeyMaker.key (md5 response keys)", 1),
        ("parse: clean_feedback", 1), ("parse: series_of", 1),
        ("parse_attendance (total)", 0), ("load (total)", 0), ("load: before taking the write lock", 1),
        ("load: fast path stage() (total)", 1), ("load: fast path byte counts (Python)", 2),
        ("load: copy live DB to staging + connect", 1), ("load: ensure_schema", 1),
    ]
    known = [(label, nested) for label, nested in order if label in hooks]
    sql = sorted((label for label in hooks if label.startswith("load SQL:")), key=lambda k: -hooks[k]["seconds"])
    known += [(label, 1) for label in sql if hooks[label]["seconds"] >= 0.005]
    if "load: CHECKPOINT + close + fsync + rename (publish)" in hooks:
        known.append(("load: CHECKPOINT + close + fsync + rename (publish)", 1))
    return known


def _profile_table(add, rows: list[dict[str, Any]]) -> None:  # noqa: ANN001
    add("| Function | Calls | Own s | Cumulative s |")
    add("| --- | ---: | ---: | ---: |")
    for row in rows:
        add(f"| `{row['function']}` | {row['calls']:,} | {row['tottime']:.3f} | {row['cumtime']:.3f} |")


def page_target(targets: dict[str, Any], page: str, which: str) -> float:
    """A page's own target when it has one (``series_page_cold_s``), else every page's."""
    return targets.get(f"{page.lower().replace(' ', '_')}_page_{which}_s", targets[f"page_{which}_s"])


def _apptest_md(add, configs: list[dict[str, Any]], targets: dict[str, Any]) -> None:  # noqa: ANN001
    if not configs:
        return
    add("")
    add("## Pages (AppTest on the benchmark DB)")
    add("")
    add("Cold = the first `at.run()` of a fresh AppTest in a fresh process (empty `st.cache_data`; modules already "
        "imported, as in a running server); warm = the following `at.run()`s (3 per process). Targets: cold ≤ "
        f"{targets['page_cold_s']:g} s, warm ≤ {targets['page_warm_s']:g} s"
        + (f"; the Series page (issue 26): cold ≤ {targets['series_page_cold_s']:g} s, warm ≤ "
           f"{targets['series_page_warm_s']:g} s." if "series_page_cold_s" in targets else "."))
    add("")
    add("| Page | Period | Series | Cold median (min – max) | Warm median (min – max) | Result |")
    add("| --- | --- | --- | ---: | ---: | --- |")
    for c in configs:
        cold_ok = c["cold"]["median"] <= page_target(targets, c["page"], "cold")
        warm_ok = c["warm"]["median"] <= page_target(targets, c["page"], "warm")
        verdict = "met" if cold_ok and warm_ok else "**MISSED** " + " & ".join(
            x for x, ok in (("cold", cold_ok), ("warm", warm_ok)) if not ok)
        add(f"| {c['page']} | {'All time' if c['period'] == 'all' else c['period']} | {c['series'] or 'all'} | "
            f"{c['cold']['median']:.2f} s ({c['cold']['min']:.2f} – {c['cold']['max']:.2f}) | "
            f"{c['warm']['median']:.3f} s ({c['warm']['min']:.3f} – {c['warm']['max']:.3f}) | {verdict} |")
    imports = statistics.median(c["import_s"]["median"] for c in configs)
    once = [c["process_once_s"]["median"] for c in configs if c.get("process_once_s")]
    add("")
    add(f"Not in the cold times: importing streamlit, pandas, altair, duckdb, pyarrow and review_pulse takes "
        f"{imports:.2f} s (median), paid once per server process"
        + (f"; so is Streamlit's REPL check on the first element a process draws (`inspect.stack()`), "
           f"{statistics.median(once):.3f} s here, measured outside the script thread (inside it, 0.05–0.08 s "
           f"in profiles of this machine)." if once else "."))
    add("")
    add("### Where page time goes (timing hooks, medians over runs)")
    add("")
    add("Hooks: `DataView.call` = every read-layer call (st.cache_data lookup, the query on a miss, the copy); "
        "`query (cache miss)` = the DuckDB query + pandas work on a miss; `duckdb open/close` = per query; "
        "`report.*` = read-layer calls + building the Altair chart; `charts.*_chart` = building Altair objects only; "
        "`st.altair_chart` = Altair `to_dict` (schema validation) + Arrow serialisation + proto. Rows overlap "
        "(a report.* call contains its queries and its chart build).")
    for c in configs:
        cold_ok = c["cold"]["median"] <= page_target(targets, c["page"], "cold")
        warm_ok = c["warm"]["median"] <= page_target(targets, c["page"], "warm")
        if cold_ok and warm_ok:
            continue
        add("")
        add(f"**{c['page']} · {_config_label(c)}** — cold {c['cold']['median']:.2f} s, warm {c['warm']['median']:.3f} s")
        add("")
        add("| Hook | Cold s | Warm s |")
        add("| --- | ---: | ---: |")
        labels = sorted(set(c["cold_hooks"]) | set(c["warm_hooks"]), key=lambda k: -c["cold_hooks"].get(k, 0))
        for label in labels:
            add(f"| {label} | {c['cold_hooks'].get(label, 0):.3f} | {c['warm_hooks'].get(label, 0):.3f} |")
        for which, profile in (c.get("profiles") or {}).items():
            add("")
            add(f"cProfile of a {which} run (`{profile['path']}`), our code and the big library calls, by cumulative time:")
            add("")
            _profile_table(add, profile["top_cumtime"][:14])


def _payload_md(add, configs: list[dict[str, Any]], targets: dict[str, Any]) -> None:  # noqa: ANN001
    charts = chart_table(configs)
    if not charts:
        return
    add("")
    add("## What each chart sends to the browser")
    add("")
    add(f"Rows decoded from each chart's Arrow datasets (`element.proto.datasets`), summed per chart; the largest over "
        f"the four period/series combinations. Target ≤ {targets['chart_rows']:,} rows per chart.")
    add("")
    add("| Page | Chart | Rows | Rows per dataset | Proto bytes | Largest in |")
    add("| --- | --- | ---: | --- | ---: | --- |")
    for c in charts:
        add(f"| {c['page']} | {c['chart']} | {c['rows']:,} | {', '.join(str(n) for n in c['datasets'])} | "
            f"{c['proto_bytes']:,} | {c['where']} |")
    texts = [c for c in configs if c.get("text_elements")]
    if texts:
        add("")
        add("Text elements (`st.text`, e.g. one per feedback answer) sent with the pages: "
            + ", ".join(f"{c['page']} · {_config_label(c)}: {c['text_elements']:,}" for c in texts) + ".")
    frames = [(c, f) for c in configs for f in c["dataframes"]]
    if frames:
        add("")
        add("Tables (`st.dataframe`) sent with the pages:")
        add("")
        add("| Page | Period | Series | Rows | Proto bytes |")
        add("| --- | --- | --- | ---: | ---: |")
        for c, f in frames:
            add(f"| {c['page']} | {'All time' if c['period'] == 'all' else c['period']} | {c['series'] or 'all'} | "
                f"{f['rows']:,} | {f['proto_bytes']:,} |")


def _memory_md(add, browser: dict[str, Any]) -> None:  # noqa: ANN001
    steps = browser.get("memory_steps") or []
    if not steps:
        return
    add("")
    add("## Server memory (`streamlit run` on the benchmark DB, pages loaded in Chromium)")
    add("")
    add("| After | RSS | Peak (VmHWM) |")
    add("| --- | ---: | ---: |")
    for step in steps:
        add(f"| {step['step']} | {step.get('VmRSS', 0) / MB:.0f} MB | {step.get('VmHWM', 0) / MB:.0f} MB |")


def _export_md(add, export: dict[str, Any]) -> None:  # noqa: ANN001
    if not export.get("png_warm_s"):
        return
    add("")
    add("## Exports")
    add("")
    split = export["png_split"]
    add(f"PNG of the weekly agreement chart (All time, {export['png_chart_rows']:,} rows, scale 2, "
        f"{export['png_bytes'] / 1024:.0f} KB): first call {export['png_cold_s']:.2f} s (starts vl-convert), then "
        f"median {statistics.median(export['png_warm_s']):.2f} s. Split: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in split.items())
        + f". Building the chart (uncached query + Altair) took {export['png_chart_build_s']:.2f} s; query + build + "
        f"PNG together {export['png_with_query_s']:.2f} s.")
    for name, label in (("quarter", "2026-Q2"), ("all", "All time")):
        times = export[f"pack_{name}_s"]
        add("")
        add(f"**Retro pack {label}**: median {statistics.median(times):.2f} s ({min(times):.2f} – {max(times):.2f}), "
            f"{export[f'pack_{name}_bytes'] / 1024:.0f} KB ZIP. Its steps, timed one by one:")
        add("")
        add("| Step | Seconds |")
        add("| --- | ---: |")
        for step, seconds in sorted(export[f"pack_{name}_split"].items(), key=lambda kv: -kv[1])[:12]:
            add(f"| {step} | {seconds:.2f} |")
        profile = export.get(f"pack_{name}_profile")
        if profile:
            add("")
            add(f"cProfile (`{profile['path']}`), our code and the big library calls, by cumulative time:")
            add("")
            _profile_table(add, profile["top_cumtime"][:12])


def _browser_md(add, browser: dict[str, Any]) -> None:  # noqa: ANN001
    paired = browser.get("overview_vs_empty")
    if paired:
        add("")
        add("## Overview against an empty Streamlit page (issue #23 target 4)")
        add("")
        add("An empty page (a script holding one `st.title`, served by `streamlit run` with the app's "
            "`.streamlit/config.toml` and the same flags) and the Overview (default quarter), each loaded in a fresh "
            "context of the same Chromium, alternating (the empty page first in odd pairs, the Overview first in even "
            "ones), after one uncounted load of each. Drawn = the same test for both: the app idle, no stale element, "
            "the page's heading shown, and for the Overview its chart drawn; 0 is navigation start.")
        add("")
        add("| Pair | Loaded first | Empty page | Overview | Overview ÷ empty |")
        add("| ---: | --- | ---: | ---: | ---: |")
        for index, pair in enumerate(paired["pairs"], start=1):
            add(f"| {index} | {pair['first']} | {pair['empty_s']:.2f} s | {pair['overview_s']:.2f} s | {pair['ratio']:.2f}× |")
        add("")
        add(f"Median ratio {paired['median_ratio']:.2f}× (min {paired['min_ratio']:.2f}×, max {paired['max_ratio']:.2f}×).")
        parts = paired.get("parts_median_s") or {}
        if parts:
            empty = paired["empty_median_s"]
            add("")
            add("What every page of the app has and the empty page lacks, loaded in the same rotation (between the "
                "two above; no target, the floor the Overview's ratio stands on): the app's navigation (its page titles) "
                "and sidebar (Quarter and Review series boxes) around the same heading; that frame with a two-point line "
                "chart (what any chart costs: Streamlit fetches and starts its chart code in a fresh context); and that "
                "frame with the Overview's chart (its spec as the Overview draws it, `dashboard.ui.page_spec`).")
            add("")
            add("| Page | Median | ÷ the empty page (medians) | Added to the row above |")
            add("| --- | ---: | ---: | ---: |")
            rows = [("Empty page (one `st.title`)", empty), ("Navigation + sidebar + the heading", parts.get("frame")),
                    ("… + a two-point line chart (the smallest chart)", parts.get("frame_tiny_chart")),
                    ("… with the Overview's chart in its place", parts.get("frame_chart")),
                    ("The Overview", paired["overview_median_s"])]
            before = None
            for label, seconds in rows:
                if seconds is None:
                    continue
                added = "" if before is None else f"{seconds - before:+.2f} s"
                add(f"| {label} | {seconds:.2f} s | {seconds / empty:.2f}× | {added} |")
                before = seconds
    if not browser.get("page_loads"):
        return
    add("")
    add("## Browser (headless Chromium)")
    add("")
    add("Time = `performance.now()` when the app is idle (`data-test-script-state=notRunning`, no “Running…”), "
        "no stale elements, the heading is shown and the page's charts (`.vega-embed canvas, .vega-embed svg.marks`) "
        "exist — 0 is navigation start. Fresh browser context per load; server started once.")
    add("")
    add(f"- Server start (process start → health OK): {browser['server_start_s']:.1f} s")
    first = browser["overview_first_load"]
    add(f"- First Overview load after start (empty cache): {first['s']:.2f} s")
    for label in ("default", "all"):
        loads = browser.get(f"overview_loads_{label}") or []
        if loads:
            add(f"- Overview, {'default quarter' if label == 'default' else 'All time'}, {len(loads)} fresh loads: "
                + ", ".join(f"{x['s']:.2f}" for x in loads) + " s")
    add("- Quarter change → 2026-Q2: " + ", ".join(f"{x:.2f}" for x in browser["quarter_change_to_quarter_s"])
        + " s; → All time: " + ", ".join(f"{x:.2f}" for x in browser["quarter_change_to_all_s"]) + " s "
        "(from the click on the option to the new charts drawn and the app idle)")
    add("")
    add("| Page | Period | Series | Load → drawn | Charts | Errors on page |")
    add("| --- | --- | --- | ---: | ---: | ---: |")
    for load in browser["page_loads"]:
        add(f"| {load['page']} | {'All time' if load['period'] == 'all' else load['period']} | {load['series'] or 'all'} | "
            f"{load['s']:.2f} s | {load['charts']} | {load['errors']} |")
    if browser.get("server_log_errors"):
        add("")
        add("Server log lines mentioning errors:")
        add("```")
        add("\n".join(browser["server_log_errors"]))
        add("```")
