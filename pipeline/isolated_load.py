"""A load started from the browser runs in a child process, never in the server's own.

The child is a fresh interpreter ('spawn': never a fork of a server holding threads and
DuckDB connections) in a process group of its own, with an address-space limit
(RLIMIT_AS); it calls ``pipeline.ingest.ingest`` with the pickled ``IngestRequest`` and sends
back the ``IngestResult`` or the one-line reason it failed. The server polls it, so its own
threads keep answering other users; past the wall-clock limit, or on Cancel, the whole group
is killed. The loader publishes by an atomic rename, so a killed child leaves the database as
it was; its lock is a flock (gone with the process) and its staging and scratch files are
removed here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import signal
import time
from dataclasses import dataclass

from pipeline.ingest import IngestRequest, IngestResult, ingest
from pipeline.private_dirs import remove_folders_of
from core.errors import UserFacingError
from core.store import remove_leftovers_of_killed_writer


class IsolatedLoadError(UserFacingError):
    """A load in the child process that changed nothing; the message is one line."""


@dataclass(frozen=True)
class LoadLimits:
    seconds: float  # wall clock, from the start of the child
    memory_mb: int  # the child's address space

    @classmethod
    def of(cls, settings) -> LoadLimits:  # noqa: ANN001  (core.settings.Settings)
        return cls(settings.browser_load_time_limit_seconds, settings.browser_load_memory_limit_mb)


def _child_main(request: IngestRequest, memory_mb: int, sender) -> None:  # noqa: ANN001
    """The child: its own process group (a kill reaches the feedback workers too), the memory cap, the run."""
    os.setsid()
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        outcome = ("done", ingest(request))
    except UserFacingError as exc:
        outcome = ("failed", str(exc))
    except MemoryError:
        outcome = ("failed", _memory_message(memory_mb))
    except Exception as exc:  # noqa: BLE001  one line for the page, never a traceback
        first = str(exc).splitlines()[0] if str(exc) else ""
        if "out of memory" in first.lower() or "bad_alloc" in first:  # DuckDB's allocation failures
            outcome = ("failed", _memory_message(memory_mb))
        else:
            outcome = ("failed", f"unexpected {type(exc).__name__}: {first}; nothing was changed")
    sender.send(outcome)
    sender.close()


def _memory_message(memory_mb: int) -> str:
    return (f"the load needed more than its memory limit of {memory_mb:,} MB (browser_load_memory_limit_mb); "
            "nothing was changed")


class RunningLoad:
    """One load in a child process. ``poll()`` until it returns the result; ``cancel()`` to stop it."""

    def __init__(self, request: IngestRequest, limits: LoadLimits) -> None:
        context = multiprocessing.get_context("spawn")
        self.request = request
        self.limits = limits
        self._receiver, sender = context.Pipe(duplex=False)
        # Not a daemon: the feedback analysis may start worker processes of its own.
        self.process = context.Process(target=_child_main, args=(request, limits.memory_mb, sender),
                                       name="review-pulse-load")
        self.started = time.monotonic()
        self.process.start()
        sender.close()  # the child holds the only sending end: a dead child reads as EOF
        self.outcome: IngestResult | IsolatedLoadError | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def poll(self) -> IngestResult | IsolatedLoadError | None:
        """The outcome once the child has finished (or was stopped at the time limit); None while it runs."""
        if self.outcome is not None:
            return self.outcome
        if self._receiver.poll():
            try:
                state, value = self._receiver.recv()
            except (EOFError, OSError):
                state, value = "failed", self._died_message()
            self.process.join(timeout=10)
            self.outcome = value if state == "done" else IsolatedLoadError(" ".join(value.split()))
        elif not self.process.is_alive():
            self.outcome = IsolatedLoadError(self._died_message())
            self._clean_up()
        elif self.elapsed > self.limits.seconds:
            self._kill()
            self.outcome = IsolatedLoadError(
                f"the load was stopped after its time limit of {self.limits.seconds:g} s "
                "(browser_load_time_limit_seconds); nothing was changed")
        return self.outcome

    def cancel(self) -> None:
        """Stop the child now (Cancel, or the page was left); the database stays as it was."""
        if self.outcome is None:
            self._kill()
            self.outcome = IsolatedLoadError("the load was cancelled; nothing was changed")

    def wait(self, interval: float = 0.2) -> IngestResult | IsolatedLoadError:
        while (outcome := self.poll()) is None:
            time.sleep(interval)
        return outcome

    def _died_message(self) -> str:
        code = self.process.exitcode
        if code is not None and code < 0:
            how = f"was ended by signal {signal.Signals(-code).name}"
        else:
            how = f"stopped with exit code {code}"
        return f"the load {how} (out of memory?); nothing was changed"

    def _kill(self) -> None:
        pid = self.process.pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # the child and any worker it started
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()  # before its setsid, the child is not a group leader yet
        self.process.join(timeout=30)
        self._clean_up()

    def _clean_up(self) -> None:
        """What a killed child cannot remove: its staging copy of the DB and its scratch folder."""
        remove_leftovers_of_killed_writer(self.request.db_path)
        if self.process.pid is not None:
            remove_folders_of(self.process.pid)
        self._receiver.close()


def start_load(request: IngestRequest, limits: LoadLimits) -> RunningLoad:
    return RunningLoad(request, limits)
