"""The dependency arrows of the README's Architecture section, enforced.

    core  <-  pipeline
    core  <-  review_pulse (the read layer)  <-  dashboard, app.py, pages/
    pipeline  <-  dashboard (the Load data page runs the CLI's ingestion)

``core`` and the read layer never import Streamlit, so ``python -m pipeline export``
does not either (checked in a real process below).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("core", "pipeline", "review_pulse", "dashboard", "devtools", "tests", "bench", "scripts")

# package -> what it may import of ours; "streamlit" listed where it is allowed
ALLOWED = {
    "core": {"core"},
    "pipeline": {"core", "pipeline"},
    "review_pulse": {"core", "review_pulse"},
    "dashboard": {"core", "review_pulse", "dashboard", "pipeline", "streamlit"},
    "pages": {"core", "review_pulse", "dashboard", "pipeline", "streamlit"},
    "app.py": {"core", "dashboard", "streamlit"},
    # Development helpers (tests, bench, scripts) drive the app from outside; the product never imports them.
    "devtools": {"core", "dashboard", "devtools"},
    # The command line is an entry point like app.py: `export` writes the retro pack through the read layer.
    "pipeline/cli.py": {"core", "pipeline", "review_pulse"},
}


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every import in a file, function-level imports included."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def files_of(part: str) -> list[Path]:
    return [ROOT / part] if part.endswith(".py") else sorted((ROOT / part).rglob("*.py"))


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_what_its_arrows_allow(part: str) -> None:
    wrong = []
    entry_points = {ROOT / p for p in ALLOWED if p.endswith(".py") and p != part}
    for path in files_of(part):
        if path in entry_points:
            continue  # checked under its own entry
        for root in imported_roots(path):
            if (root in OURS or root == "streamlit") and root not in ALLOWED[part]:
                wrong.append(f"{path.relative_to(ROOT)} imports {root}")
    assert not wrong, wrong


def test_every_package_of_ours_is_covered() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} | {"pages"}
    assert packages == {part for part in ALLOWED if not part.endswith(".py")} | {"bench", "devtools"}, packages


def test_pipeline_export_runs_without_streamlit(demo_db: Path, tmp_path: Path) -> None:
    probe = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('streamlit imported' if 'streamlit' in sys.modules else 'no streamlit',"
        " file=sys.stderr))\n"
        f"sys.argv = ['pipeline', 'export', '--db', {str(demo_db)!r}, '--quarter', '2026-Q2', '--out', {str(tmp_path)!r}]\n"
        "runpy.run_module('pipeline', run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == "no streamlit", result.stderr[-2000:]
    assert any(tmp_path.glob("*.png"))


def test_the_fast_path_imports_only_public_names_of_the_parser() -> None:
    """pipeline.csv_fast_path mirrors the parser's rules with the SQL twins beside them
    (pipeline/parse/*.py); it imports what it needs by public names, never private ones."""
    tree = ast.parse((ROOT / "pipeline" / "csv_fast_path.py").read_text(encoding="utf-8"))
    private = [f"{node.module}.{alias.name}" for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline.")
               for alias in node.names if alias.name.startswith("_")]
    assert not private, private
