"""JSON is bounded by its values before it is parsed (issue #22, item 3).

A 61 KB Slack export ZIP holding a 60 MB day file of ``{}`` objects cost 1.6 GB before it was refused:
each 3-byte ``{},`` becomes a dict and a list slot. Each case runs the real CLI in a child process and
reads its peak resident memory (ru_maxrss) against the same process before it read anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.sources.json_files import MAX_JSON_VALUES
from tests.hostile_zip import write_zip

ROOT = Path(__file__).resolve().parent.parent
EMPTY_OBJECTS = 20_000_000  # 60 MB of "{},"
BLOCK = 1_000_000
MODEST_MB = 300

CHILD = """
import contextlib, io, json, resource, sys
from pipeline.cli import main
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
errors = io.StringIO()
with contextlib.redirect_stderr(errors):
    code = main(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"code": code, "stderr": errors.getvalue(), "grew_mb": (peak - baseline) / 1024}))
"""


def _objects_parts() -> list[tuple[bytes, int]]:
    return [(b"[", 1), (b"{}," * BLOCK, EMPTY_OBJECTS // BLOCK), (b"{}]", 1)]


def slack_zip(folder: Path) -> tuple[Path, str, str]:
    path = folder / "slack-export.zip"
    channels = json.dumps([{"id": "C01", "name": "incident-review"}]).encode()
    expanded = write_zip(path, {"channels.json": [(channels, 1)], "incident-review/2026-04-01.json": _objects_parts()})
    assert expanded > 60_000_000 and path.stat().st_size < 200_000  # small on disk, 60 MB inside
    return path, "--polls", "incident-review/2026-04-01.json"


def slack_folder(folder: Path) -> tuple[Path, str, str]:
    root = folder / "export"
    (root / "incident-review").mkdir(parents=True)
    (root / "channels.json").write_text(json.dumps([{"id": "C01", "name": "incident-review"}]), encoding="utf-8")
    with (root / "incident-review" / "2026-04-01.json").open("wb") as handle:
        for data, times in _objects_parts():
            for _ in range(times):
                handle.write(data)
    return root, "--polls", "incident-review/2026-04-01.json"


def tracker_json(folder: Path) -> tuple[Path, str, str]:
    path = folder / "issues.json"
    with path.open("wb") as handle:
        for data, times in _objects_parts():
            for _ in range(times):
                handle.write(data)
    return path, "--actions", "the file"


CASES = {"Slack export ZIP": slack_zip, "unpacked Slack export": slack_folder, "tracker export JSON": tracker_json}


@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_json_of_millions_of_values_is_refused_before_parsing(tmp_path: Path, build) -> None:  # noqa: ANN001
    path, flag, member = build(tmp_path)
    db = tmp_path / "reviews.duckdb"
    child = subprocess.run([sys.executable, "-c", CHILD, "ingest", "--db", str(db), flag, str(path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=240, check=True)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["code"] == 2
    lines = result["stderr"].strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}: {member} holds more than {MAX_JSON_VALUES:,} JSON values")
    assert "MAX_JSON_VALUES" in lines[0]
    assert result["grew_mb"] < MODEST_MB, f"peak grew by {result['grew_mb']:.0f} MB"
    assert not db.exists()
