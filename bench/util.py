"""Shared helpers: bounded child processes, statistics, machine facts."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.browser_support import stop_process_group

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# The app and pipeline code the children run: a snapshot taken at the start (see
# __main__.snapshot_code), so edits made to the working tree during a run do not
# change what is measured half-way. Defaults to the working tree itself.
CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or ROOT)
CODE_PATHS = ("app.py", "pages", "core", "pipeline", "review_pulse", "dashboard", "devtools", ".streamlit/config.toml",
              "requirements.txt")


class ChildError(RuntimeError):
    pass


@dataclass
class ChildResult:
    wall_s: float  # parent-measured, interpreter start to exit
    data: dict[str, Any]
    log: str = ""


def child_env(db_path: Path | None = None, settings_path: Path | None = None) -> dict[str, str]:
    """Product-default settings (a settings path that does not exist), no Google credentials."""
    env = dict(os.environ)
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "SHEETS_EMULATOR_HOST", "REVIEW_PULSE_DEBUG"):
        env.pop(name, None)
    env["REVIEW_PULSE_SETTINGS"] = str(settings_path or (RESULTS / "no-settings.toml"))
    env["PYTHONUNBUFFERED"] = "1"
    env["BENCH_CODE_ROOT"] = str(CODE_ROOT)
    # The measured code first, then this checkout (for the bench package itself).
    path = [str(CODE_ROOT), str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(path))
    if db_path is not None:
        env["REVIEW_PULSE_DB"] = str(db_path)
    return env


def kill_group(process: subprocess.Popen) -> None:
    """End a child started with start_new_session=True, and everything it spawned."""
    stop_process_group(process, timeout=10)


LOGS = RESULTS / "logs"


def run_child(module: str, args: list[str], *, timeout: float, db_path: Path | None = None,
              log_name: str = "children", expect_json: bool = True) -> ChildResult:
    """``python -m <module> <args> --json-out F`` in a fresh process, bounded by ``timeout``.

    Output goes to ``bench/results/logs/<log_name>.log`` (appended). Returns the
    parent-measured wall time, the child's CPU time and the JSON the child wrote.
    """
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{log_name}.log"
    with tempfile.TemporaryDirectory(prefix="rp-bench-") as tmp:
        out = Path(tmp) / "out.json"
        command = [sys.executable, "-m", module, *args]
        if expect_json:
            command += ["--json-out", str(out)]
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            offset = log.tell()
            before = os.times()
            started = time.perf_counter()
            process = subprocess.Popen(command, cwd=CODE_ROOT, env=child_env(db_path), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_group(process)
                raise ChildError(f"{module} {' '.join(args)}: timed out after {timeout:.0f}s\n"
                                 f"{_tail(log_path, offset=offset)}") from None
            except BaseException:
                kill_group(process)
                raise
            wall = time.perf_counter() - started
            after = os.times()
        text = _tail(log_path, 40, offset=offset)
        if process.returncode != 0:
            raise ChildError(f"{module} {' '.join(args)}: exit code {process.returncode}\n{text}")
        data = json.loads(out.read_text(encoding="utf-8")) if expect_json else {}
        data.setdefault("cpu_s", (after.children_user - before.children_user) + (after.children_system - before.children_system))
        return ChildResult(wall, data, text)


def _tail(path: Path, lines: int = 30, offset: int = 0) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])
    except OSError:
        return ""


def write_json(path: str | Path | None, data: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")


def summarize(values: list[float]) -> dict[str, float | int | None]:
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (kB -> bytes) of a process, from /proc."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "VmPeak", "VmSize"):
                    found[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return found


def machine_info() -> dict[str, Any]:
    import duckdb
    import streamlit

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    versions = {"python": platform.python_version(), "duckdb": duckdb.__version__, "streamlit": streamlit.__version__}
    for name in ("pandas", "altair", "pyarrow", "vl_convert", "playwright"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[name] = version({"vl_convert": "vl-convert-python"}.get(name, name))
    chromium = ""
    with contextlib.suppress(Exception):
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "affinity_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_bytes": memory,
        "platform": platform.platform(),
        "versions": versions,
        "chromium": chromium,
    }


@dataclass
class Timer:
    """Accumulates wall time per label (used by the in-process timing hooks)."""

    totals: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, label: str, seconds: float) -> None:
        self.totals[label] = self.totals.get(label, 0.0) + seconds
        self.counts[label] = self.counts.get(label, 0) + 1

    def wrap(self, label: str, function):  # noqa: ANN001
        def timed(*args, **kwargs):  # noqa: ANN002, ANN003
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - started)

        timed.__wrapped__ = function  # type: ignore[attr-defined]
        return timed

    def wrap_context(self, enter_label: str, exit_label: str, factory, wrap_value=lambda value: value):  # noqa: ANN001
        """A context-manager factory whose enter and (successful) exit are timed apart;
        ``wrap_value`` may wrap what it yields (e.g. a connection that times each statement)."""

        @contextlib.contextmanager
        def timed(*args, **kwargs):  # noqa: ANN002, ANN003
            started = time.perf_counter()
            manager = factory(*args, **kwargs)
            value = manager.__enter__()
            self.add(enter_label, time.perf_counter() - started)
            try:
                yield wrap_value(value)
            except BaseException:
                if not manager.__exit__(*sys.exc_info()):
                    raise
            else:
                started = time.perf_counter()
                manager.__exit__(None, None, None)
                self.add(exit_label, time.perf_counter() - started)

        return timed

    def as_dict(self) -> dict[str, dict[str, float | int]]:
        return {k: {"seconds": round(v, 4), "calls": self.counts[k]} for k, v in self.totals.items()}


def top_stats(pstats_path: Path, limit: int = 25, sort: str = "tottime") -> list[dict[str, Any]]:
    """The top functions of a cProfile dump, as plain rows."""
    import pstats

    stats = pstats.Stats(str(pstats_path))
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{_short(filename)}:{line}({name})", "calls": nc, "tottime": tt, "cumtime": ct})
    rows.sort(key=lambda r: r[sort], reverse=True)
    return [{**r, "tottime": round(r["tottime"], 3), "cumtime": round(r["cumtime"], 3)} for r in rows[:limit]]


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/", str(CODE_ROOT) + "/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


class CpuMeter:
    """Machine-wide busy CPU vs our own (children included) over a section: contention check."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.busy0 = _busy_seconds()
        self.own0 = _own_cpu()
        self.load0 = os.getloadavg()

    def finish(self) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        busy = _busy_seconds() - self.busy0
        own = _own_cpu() - self.own0
        return {
            "wall_s": round(wall, 1),
            "machine_busy_cores": round(busy / wall, 2) if wall else 0.0,
            "own_cores": round(own / wall, 2) if wall else 0.0,
            "other_processes_cores": round(max(0.0, busy - own) / wall, 2) if wall else 0.0,
            "loadavg_start": round(self.load0[0], 2),
            "loadavg_end": round(os.getloadavg()[0], 2),
        }


def _busy_seconds() -> float:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def kill_group_by_pid(pid: int) -> None:
    """End a leftover server we started (its own session), by id, if it is still ours."""
    if pid <= 0:
        return
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return  # already gone
    if "streamlit" not in cmdline:
        return  # the id was reused by something else
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        for _ in range(50):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.2)


def code_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in CODE_PATHS:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                                and p.suffix in (".py", ".toml", ".sql", ".json", ".txt")))
    return files


def code_fingerprint(root: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in code_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def git_state(root: Path) -> dict[str, Any]:
    """Read-only: the commit and the modified files of the working tree."""
    state: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        state["head"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                       text=True, timeout=20).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                                timeout=20).stdout.splitlines()
        state["modified"] = [m for m in (line[3:] for line in status)
                             if any(m == p or m.startswith(p.rstrip("/") + "/") or p.startswith(m) for p in CODE_PATHS)]
    return state



def with_dimension_tags(path: Path, sizes: list[tuple[int, int]]) -> None:
    """Give each sheet of a workbook openpyxl wrote in write-only mode (``sizes``: its rows and columns, in
    the order the sheets were created) the ``<dimension>`` tag real exports carry (Excel, Microsoft Forms and
    Google Sheets write it; every workbook of tests/realworld has one). Without it openpyxl's read-only
    reader parses the whole sheet once more only to find its size, so a grown workbook took about twice as
    long to load as the same rows exported by a survey tool."""
    import shutil
    import zipfile

    from openpyxl.utils import get_column_letter

    patched = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            for number, (rows, columns) in enumerate(sizes, start=1):
                if info.filename == f"xl/worksheets/sheet{number}.xml" and rows and columns:
                    tag = f'<dimension ref="A1:{get_column_letter(columns)}{rows}"/>'.encode()
                    # Its place in the schema: after <sheetPr>, before <sheetViews> (openpyxl writes both).
                    data = data.replace(b"<sheetViews>", tag + b"<sheetViews>", 1)
            target.writestr(info, data)
    shutil.move(patched, path)
