"""Issue 16.9: nothing the CLI prints can drive the terminal (ANSI, BEL, C0/C1, bidi overrides)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.terminal import terminal_safe

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = {
    "retitle": ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    "clear": ("\x1b[2J", "\\x1b[2J"),
    "c1 csi": ("\x9b2J", "\\x9b2J"),
    "backspace": ("ok\x08\x08xx", "ok\\x08\\x08xx"),
    "carriage return": ("safe\rEVIL", "safe\\x0dEVIL"),
    "vertical tab": ("a\x0bb", "a\\x0bb"),
    "delete": ("a\x7fb", "a\\x7fb"),
    "bidi override": ("file\u202egpj.csv", "file\\u202egpj.csv"),
    "bidi isolate": ("a\u2066b\u2069", "a\\u2066b\\u2069"),
    "line separator": ("a\u2028b", "a\\u2028b"),
    "newline": ("a\nb", "a\\x0ab"),
}


@pytest.mark.parametrize(("raw", "shown"), HOSTILE.values(), ids=HOSTILE.keys())
def test_non_printable_characters_are_shown_as_escapes(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown


@pytest.mark.parametrize("text", ["Très bien 👍 — ok", "日本語のテキスト", "tab-free plain text", "a\u00a0b", "👨\u200d👩\u200d👧"])
def test_printable_text_is_unchanged(text: str) -> None:
    assert terminal_safe(text) == text


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REVIEW_PULSE_SETTINGS": str(tmp_path / "none.toml")}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env, capture_output=True, timeout=120)


def _control_bytes(output: bytes) -> set[str]:
    text = output.decode("utf-8")
    return {c for c in text if c != "\n" and (not c.isprintable() or terminal_safe(c) != c)}


def test_summary_lines_escape_hostile_headers_and_file_names(tmp_path: Path) -> None:
    survey = tmp_path / "export\x1b[2J\u202e.csv"
    with open(survey, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "Good use of my time", "Team\x1b]0;pwned\x07", "Notes\x9b31m"])
        writer.writerow(["2026-03-04 17:00", "4", "x", "y"])
    db = tmp_path / "reviews\x1b[2J\u202e.duckdb"
    result = _run(tmp_path, "ingest", "--db", str(db), "--surveys", str(survey))
    assert result.returncode == 0, result.stderr
    assert _control_bytes(result.stdout) == set() and _control_bytes(result.stderr) == set()
    out = result.stdout.decode()
    assert "reviews\\x1b[2J\\u202e.duckdb (run 1)" in out
    assert "Team\\x1b]0;pwned\\x07" in out and "Notes\\x9b31m" in out


def test_error_lines_escape_hostile_file_names(tmp_path: Path) -> None:
    missing = tmp_path / "gone\x1b]0;pwned\x07\nsecond line.csv"
    result = _run(tmp_path, "ingest", "--db", str(tmp_path / "r.duckdb"), "--surveys", str(missing))
    assert result.returncode == 2
    assert _control_bytes(result.stderr) == set()
    assert result.stderr.decode().count("\n") == 1  # still one line
    assert "gone\\x1b]0;pwned\\x07\\x0asecond line.csv: no such file" in result.stderr.decode()


def test_the_progress_bar_escapes_the_file_name(tmp_path: Path) -> None:
    """On a terminal (a real pty) the Python path draws a progress bar labelled with the file name."""
    import pty

    survey = tmp_path / "legacy\x1b]0;pwned\x07.csv"
    with open(survey, "w", newline="", encoding="cp1252") as handle:  # cp1252: read in Python, with progress
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "Good use of my time", "How could we improve?"])
        for i in range(6000):
            writer.writerow([f"2026-03-04 10:{i % 60:02d}", str(1 + i % 5), f"l\u2019équipe {i}"])
    master, slave = pty.openpty()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REVIEW_PULSE_SETTINGS": str(tmp_path / "none.toml")}
    child = subprocess.Popen([sys.executable, "-m", "pipeline", "ingest", "--db", str(tmp_path / "r.duckdb"),
                              "--surveys", str(survey)], cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert child.wait(timeout=120) == 0
    text = output.decode("utf-8")
    assert "legacy\\x1b]0;pwned\\x07.csv" in text and "6,000/6,000" in text  # the bar was drawn
    assert "\x1b" not in text and "\x07" not in text
