"""`python -m bench [--quick] [--runs N] [--work DIR] [--sections ...]`: the Review Pulse benchmark.

Sections (all by default, in this order):
  data     generate the large dataset as source files (seeded)
  ingest   ingest vs DuckDB's read_csv floor (fresh process + DB per run), re-ingest, stage breakdown, cProfile
  firstload  issue #23: the real-shaped file (300,000 responses, 74,600 distinct comments), first load with
           the defaults and with analyse_feedback = false, each paired with read_csv (3 pairs); feedback
           analysis in distinct comments per second on one core
  corpus   issue #23: the path (DuckDB fast path or Python) each tests/realworld/ file takes and why; the
           Python-path files grown to 50 MB (workbooks: 10 MB of cells as CSV), peak memory ÷ size
  apptest  every page via AppTest, cold (fresh process) and warm, per period/series; chart rows
  export   PNG of the busiest chart, retro pack for a quarter and All time
  browser  streamlit run + headless Chromium: server peak memory, Overview time to draw, quarter change,
           the Overview ÷ an empty Streamlit page (5 alternating pairs)

Writes bench/results/report.md and report.json; prints a short table at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import report, util
from bench.util import (ROOT, RESULTS, ChildError, CpuMeter, code_files, code_fingerprint, git_state, kill_group_by_pid,
                        machine_info, run_child, summarize, top_stats)

SECTIONS = ("data", "ingest", "firstload", "corpus", "apptest", "export", "browser")
PAGES = [("Overview", ""), ("Survey agreement", "pages/agreement.py"), ("Attendance", "pages/attendance.py"),
         ("Feedback", "pages/feedback.py"), ("Data", "pages/data.py"), ("Actions", "pages/actions.py"),
         ("Talking points", "pages/talking_points.py"), ("Load data", "pages/load_data.py"),
         ("Series", "pages/series.py")]  # issue 26: every series side by side (40 in the dataset)
QUARTER = "2026-Q2"
TARGETS = {
    "ingest_ratio": 3.0,
    "page_warm_s": 0.05,  # issue #23 (was 0.3)
    "page_cold_s": 0.5,  # issue #23 (was 2.0)
    "series_page_warm_s": 0.05,  # issue 26: the Series page at 40 series
    "series_page_cold_s": 0.5,
    "chart_rows": 5000,
    "server_peak_mb": 600,
    "png_s": 2.0,
    "overview_draw_s": 3.0,
    "overview_vs_empty_ratio": 1.5,  # issue #23 target 4: Overview drawn ÷ an empty Streamlit page, same browser
    # Issue #23, on the real-shaped file: first load ÷ read_csv of the same file, wall and CPU.
    "first_load_ratio": 3.0,
    "first_load_plain_ratio": 2.0,
    "feedback_per_cpu_s": 50_000,
    "python_path_memory_multiple": 6.0,  # issue #23 target 5: peak memory ÷ file size, each Python-path corpus file
}
FIRST_LOAD_PAIRS = 3
CORPUS_GROWN_MB, CORPUS_GROWN_XLSX_MB = 50, 10  # what a Python-path corpus file is grown to (quick: 5 and 2)
OVERVIEW_PAIRS = 5  # issue #23 target 4: Overview / empty Streamlit page, alternating
FEEDBACK_SPEED_COMMENTS = 20_000
MAX_PROFILES = 8


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller dataset (4 series) and 3 runs: a smoke check")
    parser.add_argument("--runs", type=int, help="runs per timing (default 5; 3 with --quick)")
    parser.add_argument("--work", type=Path, help="work dir for source files and DBs (default bench/results/work)")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        help="run only these sections (later ones reuse the work dir)")
    parser.add_argument("--seed", type=int, default=20260930)
    parser.add_argument("--no-snapshot", action="store_true",
                        help="run the working tree's code directly instead of a copy taken at the start")
    args = parser.parse_args(argv)
    args.runs = args.runs or (3 if args.quick else 5)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.work = (args.work or RESULTS / "work").resolve()
    return args


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.runs = args.runs
        self.work = args.work
        self.db = self.work / "bench.duckdb"
        self.results: dict[str, Any] = {
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "command": "python -m bench " + " ".join(sys.argv[1:]),
            "quick": args.quick,
            "runs": args.runs,
            "work_dir": str(self.work),
            "targets": TARGETS,
            "sections": {},
            "contention": {},
        }
        previous = RESULTS / "report.json"
        if set(args.sections) != set(SECTIONS) and previous.exists():
            # A partial run keeps the other sections of the last report.
            try:
                old = json.loads(previous.read_text(encoding="utf-8"))
                if old.get("quick") == args.quick:
                    self.results["sections"] = old.get("sections", {})
                    self.results["contention"] = old.get("contention", {})
                    self.results["dataset"] = old.get("dataset")
            except (OSError, ValueError):
                pass

    # --- bookkeeping ---
    def save(self) -> None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "report.json").write_text(json.dumps(self.results, indent=1, default=str), encoding="utf-8")

    def section(self, name: str, function) -> None:  # noqa: ANN001
        log(f"== {name}")
        meter = CpuMeter()
        try:
            function()
        except ChildError as exc:
            log(f"!! {name} failed: {exc}")
            self.results["sections"].setdefault(name, {})["error"] = str(exc)[-4000:]
        finally:
            self.results["contention"][name] = meter.finish()
            self.save()

    # --- data ---
    def data(self) -> None:
        from bench.dataset import generate, generate_export_shaped

        sources = self.work / "sources"
        info = generate(sources, series_count=4 if self.args.quick else 40, seed=self.args.seed)
        self.results["dataset"] = info.as_dict()
        shaped = generate_export_shaped(sources, rows=30_000 if self.args.quick else 300_000)
        self.results["dataset"]["export_shaped"] = shaped.as_dict()
        log(f"   export-shaped file: {shaped.rows:,} rows ({shaped.survey_bytes / 2**20:.1f} MB) in {shaped.seconds:.1f}s")
        log(f"   {info.survey_rows:,} survey rows ({info.survey_bytes / 2**20:.1f} MB), {info.answers_written:,} answers, "
            f"{info.feedback_texts:,} feedback texts, {info.meetings:,} meetings in {info.seconds:.1f}s")
        from bench.dataset import generate_real_shaped

        real = generate_real_shaped(sources, rows=30_000 if self.args.quick else 300_000,
                                    distinct_comments=7_460 if self.args.quick else 74_600)
        self.results["dataset"]["real_shaped"] = real.as_dict()
        log(f"   real-shaped file: {real.rows:,} rows ({real.survey_bytes / 2**20:.1f} MB), {real.comments:,} comments, "
            f"{real.distinct_comments:,} distinct, in {real.seconds:.1f}s")
        from bench.dataset import generate_followups

        followups = generate_followups(sources, Path(info.attendance))  # its own seed, as the other files'
        self.results["dataset"]["followups"] = followups.as_dict()
        log(f"   follow-ups: {followups.poll_count:,} talking-point polls ({followups.option_count:,} options), "
            f"{followups.action_count:,} actions ({followups.open_actions:,} open) in {followups.seconds:.1f}s")

    def _dataset(self) -> dict[str, Any]:
        dataset = self.results.get("dataset")
        if not dataset or not Path(dataset["surveys"]).exists():
            raise SystemExit("no dataset: run the 'data' section first (or all sections)")
        return dataset

    # --- ingest ---
    def ingest(self) -> None:
        dataset = self._dataset()
        files = ["--surveys", dataset["surveys"], "--attendance", dataset["attendance"]]
        scratch = self.work / "ingest"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        out: dict[str, Any] = {"ingest": [], "floor": [], "reingest": []}
        for run in range(self.runs):  # interleaved, so background load hits both alike
            floor_db = scratch / f"floor-{run}.duckdb"
            floor = run_child("bench.ingest_child", ["floor", "--db", str(floor_db), *files], timeout=600, log_name="ingest")
            out["floor"].append({"wall_s": floor.wall_s, **floor.data})
            _remove_db(floor_db)
            db = scratch / f"ingest-{run}.duckdb"
            result = run_child("bench.ingest_child", ["ingest", "--db", str(db), *files], timeout=1800, log_name="ingest")
            out["ingest"].append({"wall_s": result.wall_s, **result.data})
            log(f"   run {run + 1}: ingest {result.wall_s:.2f}s (in-process {result.data['main_s']:.2f}s), "
                f"floor {floor.wall_s:.2f}s (in-process {floor.data['main_s']:.2f}s)")
            if run == 0:
                _remove_db(self.db)
                shutil.move(str(db), self.db)
            else:
                _remove_db(db)
        out["db_counts"] = _db_counts(self.db)
        out["db_bytes"] = self.db.stat().st_size
        reingest_db = scratch / "reingest.duckdb"
        shutil.copy2(self.db, reingest_db)
        for run in range(self.runs):
            result = run_child("bench.ingest_child", ["ingest", "--db", str(reingest_db), *files], timeout=1800,
                               log_name="ingest")
            out["reingest"].append({"wall_s": result.wall_s, **result.data})
            log(f"   re-ingest {run + 1}: {result.wall_s:.2f}s")
        _remove_db(reingest_db)
        # Where the time goes: wall-clock stage hooks once, then cProfile once.
        hooks_db = scratch / "hooks.duckdb"
        hooked = run_child("bench.ingest_child", ["ingest", "--db", str(hooks_db), "--hooks", *files], timeout=1800,
                           log_name="ingest")
        out["hooks_run"] = {"wall_s": hooked.wall_s, **hooked.data}
        _remove_db(hooks_db)
        profile_path = RESULTS / "profiles" / "ingest.pstats"
        profile_path.parent.mkdir(parents=True, exist_ok=True)
        profile_db = scratch / "profile.duckdb"
        profiled = run_child("bench.ingest_child", ["ingest", "--db", str(profile_db), "--profile", str(profile_path), *files],
                             timeout=3600, log_name="ingest")
        _remove_db(profile_db)
        out["without_analysis"] = self._ingest_without_analysis(scratch, files)
        out["export_shaped"] = self._ingest_export_shaped(scratch)
        out["profile"] = {"path": str(profile_path.relative_to(RESULTS)), "main_s": profiled.data["main_s"],
                          "top_tottime": top_stats(profile_path, 25, "tottime"),
                          "top_cumtime": top_stats(profile_path, 30, "cumtime")}
        out["followups"] = self._load_followups()
        shutil.rmtree(scratch, ignore_errors=True)
        self.results["sections"]["ingest"] = out

    def _load_followups(self) -> dict[str, Any]:
        """The dataset's talking-point polls and follow-up actions, into the benchmark DB (untimed, after
        every timed ingest), so the apptest and browser sections measure those pages with data."""
        followups = (self.results.get("dataset") or {}).get("followups")
        if not followups or not Path(followups["polls"]).exists():
            log("   no follow-ups in the dataset (an older data section): Actions and Talking points stay empty")
            return {}
        result = run_child("bench.ingest_child", ["followups", "--db", str(self.db), "--polls", followups["polls"],
                                                  "--actions", followups["actions"], "--settings", followups["settings"]],
                           timeout=900, log_name="ingest")
        log(f"   loaded {result.data['polls']:,} polls ({result.data['poll_options']:,} options, "
            f"{result.data['poll_series']} series) and {result.data['actions']:,} actions in {result.wall_s:.1f}s")
        return {"wall_s": result.wall_s, **result.data}

    def _ingest_without_analysis(self, scratch: Path, files: list[str]) -> list[dict[str, Any]]:
        """The same first load with `analyse_feedback = false`: what sentiment and themes (issue 15) cost."""
        settings = scratch / "no-analysis.toml"
        settings.write_text("analyse_feedback = false\n")
        runs = []
        for run in range(self.runs):
            db = scratch / f"no-analysis-{run}.duckdb"
            result = run_child("bench.ingest_child", ["ingest", "--db", str(db), *files, "--settings", str(settings)],
                               timeout=1800, log_name="ingest")
            runs.append({"wall_s": result.wall_s, **result.data})
            _remove_db(db)
            log(f"   without feedback analysis, run {run + 1}: ingest {result.wall_s:.2f}s")
        return runs

    def _ingest_export_shaped(self, scratch: Path) -> dict[str, Any]:
        """The second file (issue #10): a form export with label answers, a declared Team series and
        identity columns, against the same read_csv floor."""
        shaped = (self.results.get("dataset") or {}).get("export_shaped")
        if not shaped or not Path(shaped["surveys"]).exists():
            return {}
        files = ["--surveys", shaped["surveys"], "--settings", shaped["settings"]]
        out: dict[str, Any] = {"ingest": [], "floor": []}
        for run in range(self.runs):
            floor_db = scratch / f"shaped-floor-{run}.duckdb"
            floor = run_child("bench.ingest_child", ["floor", "--db", str(floor_db), *files], timeout=600, log_name="ingest")
            out["floor"].append({"wall_s": floor.wall_s, **floor.data})
            _remove_db(floor_db)
            db = scratch / f"shaped-{run}.duckdb"
            result = run_child("bench.ingest_child", ["ingest", "--db", str(db), *files], timeout=1800, log_name="ingest")
            out["ingest"].append({"wall_s": result.wall_s, **result.data})
            if run == 0:
                out["db_counts"] = _db_counts(db)
            _remove_db(db)
            log(f"   export-shaped run {run + 1}: ingest {result.wall_s:.2f}s, floor {floor.wall_s:.2f}s")
        return out

    # --- firstload (issue #23) ---
    def firstload(self) -> None:
        """The real-shaped file's first load, whole process, each run paired with DuckDB's read_csv of the
        same file into a file DB (run just before it, so background load hits both alike); with the
        defaults (feedback analysis on) and with analyse_feedback = false. Then the analysis alone."""
        real = (self.results.get("dataset") or {}).get("real_shaped")
        if not real or not Path(real["surveys"]).exists():
            raise SystemExit("no real-shaped file: run the 'data' section first (or all sections)")
        scratch = self.work / "firstload"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        plain_settings = scratch / "no-analysis.toml"
        plain_settings.write_text("analyse_feedback = false\n")
        out: dict[str, Any] = {"defaults": [], "without_analysis": []}
        for run in range(FIRST_LOAD_PAIRS):
            for kind, settings in (("defaults", None), ("without_analysis", plain_settings)):
                floor_db, db = scratch / f"floor-{kind}-{run}.duckdb", scratch / f"{kind}-{run}.duckdb"
                floor = run_child("bench.ingest_child", ["floor", "--db", str(floor_db), "--surveys", real["surveys"]],
                                  timeout=600, log_name="firstload")
                _remove_db(floor_db)
                extra = ["--settings", str(settings)] if settings else []
                result = run_child("bench.ingest_child", ["ingest", "--db", str(db), "--surveys", real["surveys"], *extra],
                                   timeout=3600, log_name="firstload")
                if run == 0:
                    out[f"{kind}_db_counts"] = _db_counts(db)
                _remove_db(db)
                out[kind].append({"floor_wall_s": floor.wall_s, "floor_cpu_s": floor.data["cpu_s"],
                                  "wall_s": result.wall_s, "cpu_s": result.data["cpu_s"],
                                  "parsed_in_duckdb": result.data.get("parsed_in_duckdb"),
                                  "peak_rss_bytes": result.data.get("peak_rss_bytes")})
                log(f"   {kind}, pair {run + 1}: ingest {result.wall_s:.2f}s wall / {result.data['cpu_s']:.2f}s CPU, "
                    f"read_csv {floor.wall_s:.2f}s / {floor.data['cpu_s']:.2f}s")
        count = 7_460 if self.args.quick else FEEDBACK_SPEED_COMMENTS
        speed = run_child("bench.feedback_speed", ["--comments", str(count)], timeout=1800, log_name="firstload")
        out["feedback_speed"] = speed.data
        log(f"   feedback analysis: {speed.data['per_cpu_s']:,.0f} distinct comments per second of CPU (one process)")
        shutil.rmtree(scratch, ignore_errors=True)
        self.results["sections"]["firstload"] = out

    # --- corpus (issue #23 target 5) ---
    def corpus(self) -> None:
        """Which path each real-world corpus file takes (the loader's own decision, observed), and the
        Python-path files' peak memory ÷ size, grown by repeating their rows (bench/corpus_paths.py)."""
        from bench.corpus_paths import describe

        csv_mb, xlsx_mb = (5, 2) if self.args.quick else (CORPUS_GROWN_MB, CORPUS_GROWN_XLSX_MB)
        result = run_child("bench.corpus_paths", ["--mb", str(csv_mb), "--xlsx-mb", str(xlsx_mb)], timeout=3600,
                           log_name="corpus")
        for row in result.data["files"]:
            log(describe(row))
        self.results["sections"]["corpus"] = {"wall_s": result.wall_s, **result.data}

    # --- apptest ---
    def configs(self) -> list[dict[str, Any]]:
        series = self._dataset()["sample_series"]
        configs = []
        for title, page in PAGES:
            for period, one_series in ((QUARTER, None), ("all", None), (QUARTER, series), ("all", series)):
                configs.append({"page": title, "path": page, "period": period, "series": one_series})
        return configs

    def _apptest_args(self, config: dict[str, Any], warm: int) -> list[str]:
        args = ["--db", str(self.db), "--page", config["path"], "--quarter", config["period"], "--warm", str(warm)]
        if config["series"]:
            args += ["--series", config["series"]]
        return args

    def apptest(self) -> None:
        if not self.db.exists():
            raise SystemExit("no benchmark DB: run the 'ingest' section first")
        configs = self.configs()
        samples: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(configs))}
        for run in range(self.runs):
            for index, config in enumerate(configs):
                result = run_child("bench.apptest_child", self._apptest_args(config, 3), timeout=900, log_name="apptest")
                samples[index].append({"wall_s": result.wall_s, **result.data})
            log(f"   run {run + 1}/{self.runs}: " + ", ".join(
                f"{c['page'][:8]}/{c['period']}{'/s' if c['series'] else ''} {samples[i][-1]['cold_s']:.2f}"
                for i, c in enumerate(configs)))
        rows = []
        for index, config in enumerate(configs):
            runs = samples[index]
            cold = summarize([r["cold_s"] for r in runs])
            warm = summarize([w for r in runs for w in r["warm_s"]])
            last = runs[-1]
            rows.append({
                **config,
                "cold": cold,
                "warm": warm,
                "import_s": summarize([r["import_s"] for r in runs]),
                # the REPL check before the clock (apptest_child); absent from an older child's results
                "process_once_s": summarize([r["process_once_s"] for r in runs])
                if all("process_once_s" in r for r in runs) else None,
                "cold_hooks": _median_hooks([r["cold_hooks"] for r in runs]),
                "warm_hooks": _median_hooks([r["warm_hooks"] for r in runs]),
                "title": last["title"],
                "shown_quarter": last["quarter"],
                "shown_series": last["series"],
                "charts": last["charts"],
                "dataframes": last["dataframes"],
                "text_elements": last.get("text_elements", 0),
                "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
            })
        # Profiles of the worst misses (script thread, cProfile), cold and warm.
        misses = []
        for row in rows:
            cold_target, warm_target = (report.page_target(TARGETS, row["page"], which) for which in ("cold", "warm"))
            if row["cold"]["median"] > cold_target:
                misses.append((row["cold"]["median"] / cold_target, "cold", row))
            if row["warm"]["median"] > warm_target:
                misses.append((row["warm"]["median"] / warm_target, "warm", row))
        misses.sort(key=lambda m: m[0], reverse=True)
        profiles_dir = RESULTS / "profiles"
        profiles_dir.mkdir(parents=True, exist_ok=True)
        for _, which, row in misses[:MAX_PROFILES]:
            name = f"page-{_slug(row['page'])}-{row['period']}{'-series' if row['series'] else ''}-{which}.pstats"
            path = profiles_dir / name
            run_child("bench.apptest_child", [*self._apptest_args(row, 1), "--profile", str(path), "--profile-run", which],
                      timeout=900, log_name="apptest")
            row.setdefault("profiles", {})[which] = {
                "path": str(path.relative_to(RESULTS)),
                "top_cumtime": _project_rows(top_stats(path, 400, "cumtime"))[:20],
                "top_tottime": top_stats(path, 15, "tottime"),
            }
        self.results["sections"]["apptest"] = {"configs": rows}

    # --- export ---
    def export(self) -> None:
        if not self.db.exists():
            raise SystemExit("no benchmark DB: run the 'ingest' section first")
        profiles_dir = RESULTS / "profiles"
        profiles_dir.mkdir(parents=True, exist_ok=True)
        result = run_child("bench.export_child", ["--db", str(self.db), "--quarter", QUARTER, "--runs", str(self.runs),
                                                  "--profile-dir", str(profiles_dir)], timeout=3600, log_name="export")
        data = {"wall_s": result.wall_s, **result.data}
        for name in ("quarter", "all"):
            path = profiles_dir / f"retro-pack-{name}.pstats"
            if path.exists():
                data[f"pack_{name}_profile"] = {"path": str(path.relative_to(RESULTS)),
                                                "top_cumtime": _project_rows(top_stats(path, 400, "cumtime"))[:15],
                                                "top_tottime": top_stats(path, 12, "tottime")}
        log(f"   PNG cold {data['png_cold_s']:.2f}s, warm {statistics.median(data['png_warm_s']):.2f}s; "
            f"retro pack {QUARTER} {statistics.median(data['pack_quarter_s']):.2f}s, "
            f"All time {statistics.median(data['pack_all_s']):.2f}s")
        self.results["sections"]["export"] = data

    # --- browser ---
    def browser(self) -> None:
        if not self.db.exists():
            raise SystemExit("no benchmark DB: run the 'ingest' section first")
        pid_file = self.work / "server.pid"
        pid_file.unlink(missing_ok=True)
        settings = RESULTS / "no-settings.toml"
        try:
            result = run_child("bench.browser", ["--db", str(self.db), "--runs", str(self.runs), "--quarter", QUARTER,
                                                 "--series", self._dataset()["sample_series"],
                                                 "--server-log", str(RESULTS / "logs" / "streamlit-server.log"),
                                                 "--settings", str(settings), "--pid-file", str(pid_file),
                                                 "--pairs", str(OVERVIEW_PAIRS)],
                               timeout=2400, log_name="browser")
        finally:
            # If the child was killed hard, the server it started (its own session) is ended here, by id.
            if pid_file.exists():
                for pid in pid_file.read_text().split():  # the app's server, then the empty page's
                    kill_group_by_pid(int(pid))
                pid_file.unlink(missing_ok=True)
        self.results["sections"]["browser"] = {"wall_s": result.wall_s, **result.data}

    def snapshot_code(self) -> None:
        """Copy the app and pipeline code; children run the copy (see util.CODE_ROOT)."""
        live = code_fingerprint(ROOT)
        self.results["code"] = {"git": git_state(ROOT), "fingerprint_at_start": live, "snapshot": None}
        if self.args.no_snapshot:
            return
        target = self.work / "code"
        shutil.rmtree(target, ignore_errors=True)
        for path in code_files(ROOT):
            destination = target / path.relative_to(ROOT)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
        util.CODE_ROOT = target
        os.environ["BENCH_CODE_ROOT"] = str(target)
        self.results["code"]["snapshot"] = str(target)
        if code_fingerprint(target) != live:
            raise SystemExit("the working tree changed while it was being copied; run again")
        log(f"   code snapshot {live} (git {self.results['code']['git'].get('head', '?')}, "
            f"{len(self.results['code']['git'].get('modified', []))} modified path(s)) in {target}")

    def run(self) -> None:
        started = time.perf_counter()
        log(f"Review Pulse benchmark: {'quick' if self.args.quick else 'full size'}, {self.runs} runs, "
            f"work dir {self.work}")
        self.results["machine"] = machine_info()
        self.work.mkdir(parents=True, exist_ok=True)
        self.snapshot_code()
        for name in SECTIONS:
            if name in self.args.sections:
                self.section(name, getattr(self, name))
        self.results["code"]["fingerprint_at_end"] = code_fingerprint(ROOT)
        self.results["wall_time_s"] = round(time.perf_counter() - started, 1)
        self.results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        self.results["summary"] = report.summary_rows(self.results)
        self.save()
        (RESULTS / "report.md").write_text(report.markdown(self.results), encoding="utf-8")
        print()
        print(report.text_table(self.results))
        print(f"\nTotal wall time {self.results['wall_time_s']:.0f}s · {RESULTS / 'report.md'} · {RESULTS / 'report.json'}")


def _remove_db(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".lock")):
        candidate.unlink(missing_ok=True)


def _db_counts(db: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("""SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM answers),
                                    (SELECT count(*) FROM responses WHERE feedback IS NOT NULL),
                                    (SELECT count(*) FROM meetings), (SELECT count(*) FROM rejects),
                                    (SELECT count(DISTINCT series) FROM responses)""").fetchall()[0]
    return dict(zip(("responses", "answers", "feedback", "meetings", "rejects", "series"), row))


def _median_hooks(runs: list[dict[str, dict[str, float]]]) -> dict[str, float]:
    labels = {label for run in runs for label in run}
    return {label: round(statistics.median(run.get(label, {}).get("seconds", 0.0) for run in runs), 4)
            for label in sorted(labels)}


def _project_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Profile rows from our own code (and the Streamlit/Altair/DuckDB calls that dominate)."""
    keep = ("review_pulse/", "pages/", "app.py", "pipeline/", "altair/utils/schemapi.py:", "vega_charts.py", "duckdb",
            "vl_convert", "arrow", "frame_to_csv", "dataframe_util")
    return [r for r in rows if any(k in r["function"] for k in keep) and "bench/" not in r["function"]]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A SIGTERM unwinds normally, so every child process and server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    Bench(args).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
