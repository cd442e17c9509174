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
    "pages": {"core", "review_pulse", "dashboard", "pipeline", "streamlit"},  # pipeline: Load data only (below)
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


# --- no private names across modules, no import circles (issue #21 item 7) -------------------

PRODUCT = ("core", "pipeline", "review_pulse", "dashboard", "pages", "app.py")
EVERYTHING = (*PRODUCT, "tests", "bench", "devtools", "scripts")


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def our_modules(parts: tuple[str, ...]) -> dict[str, Path]:
    return {module_name(path): path for part in parts for path in files_of(part)}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(path: Path, modules: dict[str, Path]) -> list[str]:
    """`from ours import _name` and `ours_module._name`, where the name belongs to another module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module_aliases: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] in OURS:
            for alias in node.names:
                if is_private(alias.name):
                    found.append(f"from {node.module} import {alias.name}")
                if f"{node.module}.{alias.name}" in modules:
                    module_aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules and alias.asname:
                    module_aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and is_private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases):
            found.append(f"{module_aliases[node.value.id]}.{node.attr}")
    return [f"{path.relative_to(ROOT)}: {use}" for use in found]


def test_no_module_uses_another_modules_private_names() -> None:
    modules = our_modules(EVERYTHING)
    wrong = [use for path in modules.values() for use in private_uses(path, modules)]
    assert not wrong, wrong


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, at any level (a function-level import is still a dependency)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_import_circles_are_found() -> None:
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_circles({"a": {"b"}, "b": set()}) == []


def test_the_product_has_no_import_circles() -> None:
    assert import_circles(import_graph(our_modules(PRODUCT))) == []


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "pages").glob("*.py")))
def test_only_the_load_data_page_imports_the_pipeline(page: str) -> None:
    roots = imported_roots(ROOT / "pages" / page)
    assert ("pipeline" in roots) == (page == "load_data.py"), sorted(roots)
