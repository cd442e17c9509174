"""How far a long load has got: the steps a run reports, and the file a load's child process writes them to.

A run reports through a ``ProgressFactory``: called with a step's label, it returns the callback
for that step's ``(done, total)`` (or None when nobody listens). Labels are a file's name (its rows
read in Python), "sheet KEY" (a Google Sheet, one request), ``ANALYSING`` (distinct comments
analysed) and ``WRITING`` (waiting for the write lock, then the one transaction). ``total`` 0 means
the step has no count (DuckDB reads a file in one statement). The CLI draws the counted ones as a
bar on a terminal; the Load data page reads them from the file its child process writes
(``ProgressFile``) and shows ``progress_text``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ProgressCallback = Callable[[int, int], None]
ProgressFactory = Callable[[str], "ProgressCallback | None"]

ANALYSING = "analysing comments"
WRITING = "writing to the database"
# What a step's file name may show at most: a name longer than this is cut (the page shows one line).
MAX_SHOWN_NAME = 60


def no_progress(_label: str) -> None:
    return None


def report_step(progress: ProgressFactory, label: str, done: int = 0, total: int = 0) -> None:
    """One event of a step with no callback kept (a step that starts and is not counted)."""
    callback = progress(label)
    if callback is not None:
        callback(done, total)


@dataclass(frozen=True)
class Progress:
    label: str
    done: int
    total: int


def progress_text(step: Progress, shown_names: dict[str, str] | None = None) -> str:
    """One line for a step, in words: "analysing comments: 30,000 of 74,593"; "reading export.csv:
    40,000 of 150,000 rows". ``shown_names`` maps a file's name on disk to the name its user knows
    (an upload is saved under a safe name). Plain text: the caller escapes it for Markdown."""
    counted = step.total > 0
    of = f": {min(step.done, step.total):,} of {step.total:,}" if counted else ""
    if step.label == ANALYSING:
        return f"{ANALYSING}{of}"
    if step.label == WRITING:
        return "writing to the database"
    name = (shown_names or {}).get(step.label, step.label)
    name = name if len(name) <= MAX_SHOWN_NAME else name[:MAX_SHOWN_NAME - 1] + "…"
    return f"reading {name}{of + ' rows' if counted else ''}"


class ProgressFile:
    """A child process's progress as one small JSON file, replaced whole (a reader never sees half of it).

    Writes at most every ``interval`` seconds while the label stays the same, but always the first event
    after a new label and a step's last (done == total), so a step that ends quickly is still seen to end."""

    def __init__(self, path: Path, interval: float = 0.25) -> None:
        self.path = path
        self.interval = interval
        self._last_label: str | None = None
        self._last_write = 0.0

    def factory(self, label: str) -> ProgressCallback:
        def callback(done: int, total: int) -> None:
            now = time.monotonic()
            final = total > 0 and done >= total
            if label == self._last_label and not final and now - self._last_write < self.interval:
                return
            self._last_label, self._last_write = label, now
            staged = self.path.with_name(self.path.name + ".next")
            try:
                staged.write_text(json.dumps({"label": label, "done": int(done), "total": int(total)}), encoding="utf-8")
                os.replace(staged, self.path)
            except OSError:  # a full disk or a removed folder costs the page its progress line, never the load
                pass

        return callback

    @staticmethod
    def read(path: Path) -> Progress | None:
        """The latest step, or None before the first (or if the file is not ours to read)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return Progress(str(raw["label"]), int(raw["done"]), int(raw["total"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
