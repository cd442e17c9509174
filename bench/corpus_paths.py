"""Issue #23 target 5: which path each file of the real-world corpus takes, and what the Python path costs.

For every committed file of tests/realworld/ (its manifest), with the review_pulse.toml a user
writes for it (``settings_for`` of tests/test_realworld.py, the one place that says so), one
``pipeline ingest`` in a fresh process records the loader's own decision: ``pipeline.ingest``
asks ``csv_fast_path.plan`` (None: not a CSV it can hand DuckDB, e.g. a header it cannot find in the first 64 KB, so
the Python path), and ``pipeline.loader`` calls ``csv_fast_path.stage``, which either stages the
file in DuckDB or raises ``FastPathDeclined`` with the reason. Both are observed by wrapping
them where the pipeline looks them up; nothing here decides a path.

Then every file that took the Python path (and is not refused) is grown to about ``--mb``
megabytes by repeating its data rows under its own header rows (same encoding, delimiter, BOM;
a workbook's tabs through openpyxl) and ingested again in a fresh process: its peak memory
(VmHWM) ÷ the file's size, and the same less the peak of the small file (what the rows cost
beyond the interpreter, DuckDB and the analysers). The fast-path files are grown and measured
the same way, as the figure to compare with. Each grown ingest also records the peak reached
before the loader's write (``loader.write_run``): reading, parsing and staging, the part that
differs between the paths; the write after it is one transaction whichever path staged the rows.

    python -m bench.corpus_paths [--mb 50] [--xlsx-mb 10] [--json-out F]      (the whole step)
    python -m bench.corpus_paths --one FILE --settings T [--worksheet W] --json-out F   (one ingest)
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import io
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

# Nothing of the bench is imported at the top: the measuring child holds only what `pipeline ingest` does.
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "realworld"
PYTHON, FAST, REFUSED = "Python path", "fast path", "refused"


# --- the child: one ingest, the loader's decision observed --------------------------------------------

def run_one(path: Path, worksheet: str | None) -> dict[str, Any]:
    import pipeline.cli as cli
    import pipeline.ingest as ingest
    import pipeline.loader as loader
    from pipeline.csv_fast_path import FastPathDeclined

    decisions: list[dict[str, str]] = []
    before_write: list[int] = []
    original_plan, original_stage, original_write = ingest.plan_fast_csv, loader.stage, loader.write_run

    def plan(candidate: Path):  # noqa: ANN202
        found = original_plan(candidate)
        if found is None:
            decisions.append({"file": str(candidate), "path": PYTHON, "reason": "csv_fast_path.plan declined it "
                              "(no header record it can read in the first 64 KB, or an encoding it cannot decode)"})
        return found

    def stage(con, csv_plan, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        try:
            staged = original_stage(con, csv_plan, *args, **kwargs)
        except FastPathDeclined as reason:
            decisions.append({"file": csv_plan.source, "path": PYTHON, "reason": f"csv_fast_path.stage declined: {reason}"})
            raise
        decisions.append({"file": csv_plan.source, "path": FAST, "reason": ""})
        return staged

    def write(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        # The peak so far: reading, parsing and staging (the path's own cost); the write that follows
        # is the same transaction whichever path staged the rows.
        before_write.append(_peak_kb())
        return original_write(*args, **kwargs)

    from pipeline.sources import files

    readers: dict[str, str] = {}  # workbook tab -> "calamine" or "openpyxl (why)", the reader's own record
    original_rows = files.WorkbookReader.rows

    def rows(book, name: str, source: str):  # noqa: ANN001, ANN202
        found = original_rows(book, name, source)
        readers[name] = book.reader_of[name]
        return found

    files.WorkbookReader.rows = rows
    ingest.plan_fast_csv, loader.stage, loader.write_run = plan, stage, write
    with tempfile.TemporaryDirectory(prefix="rp-bench-corpus-") as folder:
        argv = ["ingest", "--db", str(Path(folder) / "corpus.duckdb"), "--surveys", str(path)]
        if worksheet:
            argv += ["--worksheet", worksheet]
        errors = io.StringIO()
        with contextlib.redirect_stdout(sys.stderr), contextlib.redirect_stderr(errors):
            code = cli.main(argv)
    hwm_kb = _peak_kb()
    refusal = errors.getvalue().strip().splitlines()[-1] if code != 0 and errors.getvalue().strip() else ""
    return {"exit_code": code, "refusal": refusal, "decisions": decisions, "readers": readers,
            "peak_rss_bytes": hwm_kb * 1024,
            "peak_before_write_bytes": before_write[0] * 1024 if before_write else None,
            "file": str(path), "file_bytes": path.stat().st_size}


def _peak_kb() -> int:
    """VmHWM: this program's own peak (ru_maxrss would carry the parent's across exec)."""
    return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])


# --- the parent: every corpus file, then the Python-path ones grown ---------------------------------

def manifest() -> list[dict[str, Any]]:
    entries = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    return [e for e in entries if (CORPUS / e["file"]).exists()]  # the cached real files are not in git


def settings_writer():  # noqa: ANN201
    """tests/test_realworld.settings_for: the settings a user of each export writes (one copy of that rule)."""
    spec = importlib.util.spec_from_file_location("bench_realworld_settings", ROOT / "tests" / "test_realworld.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.settings_for


def ingest_in_child(path: Path, settings: Path, worksheet: str | None, timeout: float = 1800) -> dict[str, Any]:
    """One `--one` child: a fresh process (its own session, ended with its children on a timeout)."""
    from bench.util import run_child

    args = ["--one", str(path), "--settings", str(settings)] + (["--worksheet", worksheet] if worksheet else [])
    return run_child("bench.corpus_paths", args, timeout=timeout, log_name="corpus").data


def _short(text: str, path: str, limit: int = 200) -> str:
    text = text.replace(path, Path(path).name)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def path_of(result: dict[str, Any], name: str) -> tuple[str, str]:
    """(path, reason) of the corpus file ``name`` in one child's result."""
    mine = [d for d in result["decisions"] if Path(d["file"]).name == name]
    if result["exit_code"] != 0:
        refusal = _short(result["refusal"] or f"exit code {result['exit_code']}", result.get("file", ""))
        if mine and mine[-1]["path"] == PYTHON:
            return REFUSED, f"{_short(mine[-1]['reason'], mine[-1]['file'], 90)}; then the Python path refused it: {refusal}"
        return REFUSED, refusal
    if not mine:  # pipeline.ingest offers csv_fast_path only tables read from a file as one CSV
        if Path(name).suffix.lower() in (".xlsx", ".xlsm"):
            readers = sorted(set((result.get("readers") or {}).values())) or ["not read"]
            return PYTHON, f"a workbook: its tabs are parsed in Python, read by {' / '.join(readers)}"
        return PYTHON, "never offered to the fast path"
    return mine[-1]["path"], mine[-1]["reason"]


def grow(entry: dict[str, Any], source: Path, target: Path, megabytes: float) -> int | None:
    """Write the file with its data rows repeated under its header rows, to about ``megabytes``.

    A workbook is grown until its cells, written as a UTF-8 CSV, take about ``megabytes``; that size is
    returned (None for a CSV): rows repeated a thousand times compress far better in a workbook than
    people's answers do, so the workbook's own size would overstate the multiple."""
    if source.suffix.lower() == ".xlsx":
        return _grow_workbook(source, target, megabytes)
    raw = source.read_bytes()
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    encoding = entry.get("encoding") or "utf-8"
    text = raw[len(bom):].decode(encoding)
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    reader = csv.reader(iter(lines), delimiter=entry.get("delimiter") or ",")
    for _ in range(int(entry.get("title_rows") or 0) + int(entry.get("header_rows") or 1)):
        next(reader)
    head, body = "".join(lines[:reader.line_num]), "".join(lines[reader.line_num:])
    if not body.endswith("\n"):
        body += "\r\n" if "\r\n" in text else "\n"
    copies = max(1, math.ceil(megabytes * 2**20 / len(body.encode(encoding))))
    target.write_bytes(bom + (head + body * copies).encode(encoding))
    return None


def _grow_workbook(source: Path, target: Path, megabytes: float) -> int:
    import openpyxl

    from bench.util import with_dimension_tags

    book = openpyxl.load_workbook(source, read_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    book.close()

    def csv_bytes(rows: list[list[Any]]) -> int:
        text = io.StringIO()
        csv.writer(text).writerows([["" if v is None else v for v in row] for row in rows])
        return len(text.getvalue().encode("utf-8"))

    grown = {title: len(rows) > 2 for title, rows in sheets.items()}  # a summary tab stays as it is
    per_copy = sum(csv_bytes(rows[1:]) for title, rows in sheets.items() if grown[title])
    fixed = sum(csv_bytes(rows[:1] if grown[title] else rows) for title, rows in sheets.items())
    copies = max(1, math.ceil(megabytes * 2**20 / per_copy))
    out = openpyxl.Workbook(write_only=True)
    sizes = []
    for title, rows in sheets.items():
        sheet = out.create_sheet(title)
        written = rows[:1] + rows[1:] * (copies if grown[title] else 1)
        for row in written:
            sheet.append(row)
        sizes.append((len(written), max(map(len, rows), default=0)))
    out.save(target)
    with_dimension_tags(target, sizes)  # as the survey tools' own workbooks have
    return fixed + per_copy * copies


def run_all(megabytes: float, xlsx_megabytes: float, progress=print) -> dict[str, Any]:  # noqa: ANN001
    settings_for = settings_writer()
    files = []
    with tempfile.TemporaryDirectory(prefix="rp-bench-corpus-") as folder:
        work = Path(folder)
        for entry in manifest():
            name = entry["file"]
            settings = work / f"{name}.toml"
            settings.write_text(settings_for(entry), encoding="utf-8")
            small = ingest_in_child(CORPUS / name, settings, entry.get("worksheet"))
            path, reason = path_of(small, name)
            row: dict[str, Any] = {"file": name, "tool": entry.get("tool"), "path": path, "reason": reason,
                                   "file_bytes": small["file_bytes"], "small_peak_bytes": small["peak_rss_bytes"]}
            if path in (PYTHON, FAST):  # a fast-path file grown too: the figure to compare the Python path with
                # [[sources]] entries name the file: the grown copy keeps its name, in a folder of its own.
                grown_dir = work / "grown"
                grown_dir.mkdir(exist_ok=True)
                size = xlsx_megabytes if name.lower().endswith(".xlsx") else megabytes
                grown = grown_dir / name
                as_csv = grow(entry, CORPUS / name, grown, size)
                big = ingest_in_child(grown, settings, entry.get("worksheet"))
                grown_path, grown_reason = path_of(big, name)
                measured = as_csv or big["file_bytes"]  # a workbook: the size of its cells as a CSV
                row.update({"grown_bytes": big["file_bytes"], "grown_csv_bytes": as_csv,
                            "grown_peak_bytes": big["peak_rss_bytes"], "grown_path": grown_path,
                            "grown_peak_before_write_bytes": big["peak_before_write_bytes"],
                            "grown_reason": grown_reason, "multiple": big["peak_rss_bytes"] / measured,
                            "multiple_beyond_small": (big["peak_rss_bytes"] - small["peak_rss_bytes"]) / measured})
                grown.unlink()
            files.append(row)
            progress(describe(row))
    return {"files": files, "mb": megabytes, "xlsx_mb": xlsx_megabytes}


def describe(row: dict[str, Any]) -> str:
    text = f"    {row['file']}: {row['path']}" + (f" ({row['reason']})" if row["reason"] else "")
    if "multiple" in row:
        size = (f"{row['grown_bytes'] / 2**20:.1f} MB ({row['grown_csv_bytes'] / 2**20:.1f} MB as CSV)"
                if row.get("grown_csv_bytes") else f"{row['grown_bytes'] / 2**20:.1f} MB")
        text += (f"; grown to {size}: peak {row['grown_peak_bytes'] / 2**20:.0f} MB = "
                 f"{row['multiple']:.1f}x the {'cells as CSV' if row.get('grown_csv_bytes') else 'file'} "
                 f"({row['multiple_beyond_small']:.1f}x beyond the small file's {row['small_peak_bytes'] / 2**20:.0f} MB)")
        if row.get("grown_peak_before_write_bytes"):
            text += f"; {row['grown_peak_before_write_bytes'] / 2**20:.0f} MB before the write"
        if row["grown_path"] != row["path"]:
            text += f"; the grown copy took the {row['grown_path']}: {row['grown_reason']}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus_paths", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size a Python-path CSV is grown to (default 50)")
    parser.add_argument("--xlsx-mb", type=float, default=10.0,
                        help="size a Python-path workbook's cells are grown to, as a CSV (default 10)")
    parser.add_argument("--one", type=Path, help="(child) ingest this one file and report the loader's decision")
    parser.add_argument("--settings", type=Path)
    parser.add_argument("--worksheet")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    if args.one:
        if args.settings:
            os.environ["REVIEW_PULSE_SETTINGS"] = str(args.settings)
        result = run_one(args.one, args.worksheet)
    else:
        result = run_all(args.mb, args.xlsx_mb, progress=lambda line: print(line, flush=True))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
