"""A load started from the browser runs in a child process, never in the server's own.

The child is a fresh interpreter, ``python -m pipeline.isolated_load FOLDER`` (never a fork of
a server holding threads and DuckDB connections; not multiprocessing's spawn either, which
re-imports the parent's ``__main__``, and under Streamlit that is the page being run), in a
session and process group of its own, with an address-space limit (RLIMIT_AS). It calls
``pipeline.ingest.ingest`` with the ``IngestRequest`` the server pickled into FOLDER and
writes back the ``IngestResult`` or the one-line reason it failed, and meanwhile how far it has got
(pipeline.progress, a small file replaced whole). The server polls it, so its own
threads keep answering other users; past the wall-clock limit, or on Cancel, the whole group
is killed. The loader publishes by an atomic rename, so a killed child leaves the database as
it was; its lock is a flock (gone with the process) and its staging and scratch files are
removed here.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest import IngestRequest, IngestResult, ingest
from pipeline.private_dirs import SCRATCH_PREFIX, private_folder, remove_folders_of
from pipeline.progress import Progress, ProgressFile
from core.errors import UserFacingError, Worded, one_line
from core.store import remove_leftovers_of_killed_writer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REQUEST_FILE, OUTCOME_FILE, PROGRESS_FILE = "request.pickle", "outcome.pickle", "progress.json"
CANCELLED = "the load was cancelled; nothing was changed"


class IsolatedLoadError(UserFacingError):
    """A load in the child process that changed nothing; the message is one line."""


@dataclass(frozen=True)
class LoadLimits:
    seconds: float  # wall clock, from the start of the child
    memory_mb: int  # the child's address space

    @classmethod
    def of(cls, settings) -> LoadLimits:  # noqa: ANN001  (core.settings.Settings)
        return cls(settings.browser_load_time_limit_seconds, settings.browser_load_memory_limit_mb)


def _child_main(folder: Path) -> None:
    """The child: the memory cap, the run, the outcome written beside the request."""
    request: IngestRequest = pickle.loads((folder / REQUEST_FILE).read_bytes())  # written by our server
    memory_mb = int((folder / "memory_mb").read_text())
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        outcome = ("done", ingest(request, ProgressFile(folder / PROGRESS_FILE).factory))
    except UserFacingError as exc:
        outcome = ("failed", Worded(str(exc), exc.page_message))  # both wordings: the page shows its own
    except MemoryError:
        outcome = ("failed", _memory_message(memory_mb))
    except Exception as exc:  # noqa: BLE001  one line for the page, never a traceback
        first = str(exc).splitlines()[0] if str(exc) else ""
        if "out of memory" in first.lower() or "bad_alloc" in first:  # DuckDB's allocation failures
            outcome = ("failed", _memory_message(memory_mb))
        else:
            outcome = ("failed", f"unexpected {type(exc).__name__}: {first}; nothing was changed")
    staged = folder / (OUTCOME_FILE + ".next")
    staged.write_bytes(pickle.dumps(outcome))
    os.replace(staged, folder / OUTCOME_FILE)  # whole or absent, if the child is killed meanwhile


def _memory_message(memory_mb: int) -> str:
    return (f"the load needed more than its memory limit of {memory_mb:,} MB (browser_load_memory_limit_mb); "
            "nothing was changed")


class RunningLoad:
    """One load in a child process. ``poll()`` until it returns the result; ``cancel()`` to stop it."""

    def __init__(self, request: IngestRequest, limits: LoadLimits) -> None:
        self.request = request
        self.limits = limits
        self.folder = private_folder(SCRATCH_PREFIX)  # this process's: the request, the outcome, the child's stderr
        (self.folder / REQUEST_FILE).write_bytes(pickle.dumps(request))
        (self.folder / "memory_mb").write_text(str(limits.memory_mb))
        self.started = time.monotonic()
        with open(self.folder / "stderr.txt", "wb") as stderr:
            # A session of its own: one killpg ends the child and any worker it started.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pipeline.isolated_load", str(self.folder)], cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        self.outcome: IngestResult | IsolatedLoadError | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def poll(self) -> IngestResult | IsolatedLoadError | None:
        """The outcome once the child has finished (or was stopped at the time limit); None while it runs."""
        if self.outcome is not None:
            return self.outcome
        if self.process.poll() is not None:
            try:
                state, value = pickle.loads((self.folder / OUTCOME_FILE).read_bytes())  # written by our child
            except (OSError, EOFError, pickle.UnpicklingError):
                state, value = "failed", self._died_message()
                self._clean_up()
            self.outcome = value if state == "done" else IsolatedLoadError(one_line(value))
            self._remove_folder()
        elif self.elapsed > self.limits.seconds:
            self._kill()
            self.outcome = IsolatedLoadError(
                f"the load was stopped after its time limit of {self.limits.seconds:g} s "
                "(browser_load_time_limit_seconds); nothing was changed")
        return self.outcome

    def progress(self) -> Progress | None:
        """The step the child last reported, while it runs (None before its first, and once it is done)."""
        if self.outcome is not None:
            return None
        return ProgressFile.read(self.folder / PROGRESS_FILE)

    def cancel(self) -> None:
        """Stop the child now (Cancel, or the page was left); the database stays as it was."""
        if self.outcome is None:
            self._kill()
            self.outcome = IsolatedLoadError(CANCELLED)

    def wait(self, interval: float = 0.2) -> IngestResult | IsolatedLoadError:
        while (outcome := self.poll()) is None:
            time.sleep(interval)
        return outcome

    def _died_message(self) -> str:
        code = self.process.returncode
        if code is not None and code < 0:
            how = f"was ended by signal {signal.Signals(-code).name}"
        else:
            how = f"stopped with exit code {code}"
        return f"the load {how} (out of memory?); nothing was changed"

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # the child and any worker it started
        self.process.wait(timeout=30)
        self._clean_up()
        self._remove_folder()

    def _clean_up(self) -> None:
        """What a killed child cannot remove: its staging copy of the DB and its scratch folder."""
        remove_leftovers_of_killed_writer(self.request.db_path)
        remove_folders_of(self.process.pid)

    def _remove_folder(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    _child_main(Path(sys.argv[1]))
