"""`python -m bench.python_path_memory [--mb 50]`: peak memory of the Python reading path.

DuckDB reads plain UTF-8 CSVs (pipeline/csv_fast_path.py); files it cannot read (a title
row above the header, a legacy cp1252 export, .xlsx) are read and parsed in Python, a batch
of rows at a time (pipeline.loader.PYTHON_BATCH_ROWS). This writes the benchmark's survey
export at about ``--mb`` megabytes as a plain CSV (the DuckDB path, the floor to compare
with) and in those three shapes, ingests each in a fresh `python -m pipeline ingest`
process and reports that process's peak RSS and its multiple of the file's size.

Not part of `make bench` (it takes about a minute per shape at 50 MB); the figure is quoted
in README's "Benchmark" section.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.dataset import generate

ROOT = Path(__file__).resolve().parent.parent
# The child reports its own peak: RUSAGE_CHILDREN would mix in every earlier child.
_CHILD = """
import sys
from pathlib import Path
from pipeline.cli import main
code = main(sys.argv[2:])
# VmHWM belongs to this program's memory map; ru_maxrss would carry the parent's peak across exec.
hwm_kb = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
Path(sys.argv[1]).write_text(str(hwm_kb))
sys.exit(code)
"""


def _shapes(surveys: Path, out: Path) -> dict[str, Path]:
    data = surveys.read_bytes()
    titled = out / "titled.csv"
    titled.write_bytes(b"Weekly review survey export\r\n\r\n" + data)
    legacy = out / "legacy-cp1252.csv"
    legacy.write_bytes(data.decode("utf-8").replace("\u2014", "-").encode("cp1252", errors="replace"))
    return {"plain UTF-8 CSV (the DuckDB path, for reference)": surveys,
            "title row above the header (UTF-8)": titled, "legacy cp1252 export": legacy,
            "Excel workbook (.xlsx)": _workbook(surveys, out / "workbook.xlsx")}


def _workbook(surveys: Path, path: Path) -> Path:
    """The same export as a one-sheet workbook (openpyxl's streaming writer; cells as text,
    as a "download as .xlsx" of a CSV gives them)."""
    import csv

    import openpyxl

    from bench.util import with_dimension_tags

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Form responses 1")
    rows = columns = 0
    with surveys.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
            rows, columns = rows + 1, max(columns, len(row))
    book.save(path)
    with_dimension_tags(path, [(rows, columns)])  # as the survey tools' own workbooks have
    return path


def measure(path: Path, work: Path) -> dict[str, float]:
    db, peak = work / f"{path.stem}.duckdb", work / f"{path.stem}.peak"
    env = {**os.environ, "REVIEW_PULSE_SETTINGS": str(work / "settings.toml"), "PYTHONPATH": str(ROOT)}
    # The limit is raised so a large --mb measures the path instead of its refusal.
    (work / "settings.toml").write_text("[limits]\nmax_python_input_mb = 100000\n")
    result = subprocess.run([sys.executable, "-c", _CHILD, str(peak), "ingest", "--db", str(db), "--surveys", str(path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"{path.name}: {result.stderr.strip()}")
    size_mb = path.stat().st_size / 2**20
    peak_mb = int(peak.read_text()) / 1024
    return {"file_mb": round(size_mb, 1), "peak_rss_mb": round(peak_mb), "multiple": round(peak_mb / size_mb, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.python_path_memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size of the survey export (default 50)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rp-python-path-") as folder:
        work = Path(folder)
        # The full benchmark export is ~40 MB for 40 series x 5 years; scale the series.
        info = generate(work / "data", series_count=max(1, round(40 * args.mb / 40.7)), years=5.0)
        results = {name: measure(path, work) for name, path in _shapes(Path(info.surveys), work).items()}
    for name, figures in results.items():
        print(f"{name}: {figures['file_mb']} MB file -> peak RSS {figures['peak_rss_mb']} MB ({figures['multiple']}x)")
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
