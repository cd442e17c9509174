"""Loading started from the dashboard: uploaded files and the sheets named in settings.

No Streamlit here. Every load is an ``IngestRequest`` for ``pipeline.ingest.ingest``, the
entry point of ``python -m pipeline ingest`` too (the same detection, declared mappings, one
transaction, atomic publish, rejects, idempotence), so a file loads the same from the browser.
The request runs in a child process with a time and a memory limit (pipeline/isolated_load.py),
never in the server's own. Uploaded bytes are written to a private temporary folder for the run
and deleted after; folders a killed server left are swept before each load and at app start.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pipeline.errors import worded
from pipeline.ingest import IngestRequest, IngestResult, sheets_request
from pipeline.isolated_load import IsolatedLoadError, LoadLimits, RunningLoad
from pipeline.private_dirs import UPLOAD_PREFIX, private_folder, sweep_stale_folders
from pipeline.mapping import header_choices, proposed_time_column
from pipeline.preview import InspectReport, inspect_paths
from pipeline.sources.files import RawTable, read_table, read_tabs
from core.errors import UserFacingError, Worded, one_line
from core.run_log import record_failed_run
from core.settings import Settings, SettingsError, SourceMapping, Statement, load_settings


@dataclass(frozen=True)
class UploadKind:
    label: str
    request_field: str  # the IngestRequest field (and `ingest` option) that takes these files
    extensions: tuple[str, ...]


# What the browser can load, in the order the page offers it.
UPLOAD_KINDS: dict[str, UploadKind] = {
    "surveys": UploadKind("Survey exports", "surveys", ("csv", "tsv", "txt", "xlsx")),
    "attendance": UploadKind("Attendance", "attendance", ("csv", "tsv", "txt", "xlsx")),
    "polls": UploadKind("Talking-points polls", "polls", ("zip", "json", "csv", "tsv", "txt", "xlsx")),
    "actions": UploadKind("Follow-up actions", "actions", ("csv", "xlsx", "json")),
}


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


class BrowserLoadError(UserFacingError):
    """A load from the dashboard that changed nothing; the message is one line."""


_UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- ()\[\]]")


def safe_upload_name(name: str) -> str:
    """The file name to write an upload under: its last path part, printable, short.

    Browsers send a bare name, but the name is the client's to choose: never let it
    pick a folder, a device or a hidden file.
    """
    name = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = stem[:100] or "upload"
    return f"{stem}.{extension[:10]}" if extension else stem


@contextmanager
def saved_uploads(uploads: Sequence[Upload]) -> Iterator[list[Path]]:
    """Write the uploads into a folder only this process's user can read; remove it after."""
    folder = private_folder(UPLOAD_PREFIX)  # mode 0700, marked as this process's
    try:
        paths: list[Path] = []
        for upload in uploads:
            name = safe_upload_name(upload.name)
            path = folder / name
            number = 1
            while path.exists():  # two uploads with one name stay two files
                number += 1
                path = folder / f"{Path(name).stem} ({number}){Path(name).suffix}"
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(upload.data)
            paths.append(path)
        yield paths
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the mapping a facilitator picks in the browser -----------------------------------------


@dataclass(frozen=True)
class BrowserMapping:
    """What the page's select boxes say; None means "as detected"."""

    time_column: str | None = None
    statements: tuple[tuple[str, str], ...] = ()  # (statement text, column)
    feedback_column: str | None = None
    series_column: str | None = None
    header_rows: int | None = None
    scale_max: int = 5
    scale_min: int = 1  # 0 for a scale from 0 (0-4, 0-10)

    @property
    def is_empty(self) -> bool:
        return self == BrowserMapping()

    def for_file(self, file_name: str) -> SourceMapping:
        return SourceMapping(
            files=(file_name,), time_column=self.time_column, header_rows=self.header_rows,
            statements=self.statements, feedback_column=self.feedback_column,
            series_column=self.series_column, scale_max=self.scale_max, scale_min=self.scale_min,
        )


def with_mapping(settings: Settings, mapping: BrowserMapping | None, file_names: Sequence[str]) -> Settings:
    """Settings whose first [[sources]] entries are the browser's mapping for these files."""
    if mapping is None or mapping.is_empty:
        return settings
    declared = tuple(mapping.for_file(name) for name in file_names)
    return replace(settings, sources=(*declared, *settings.sources))


def preview_surveys(paths: Sequence[Path], settings: Settings, mapping: BrowserMapping | None = None) -> InspectReport:
    """``pipeline inspect`` on the uploaded files: what loading them would do, nothing written."""
    scoped = with_mapping(settings, mapping, [p.name for p in paths])
    return inspect_paths(list(paths), scoped)


def _tables(path: Path) -> list[RawTable]:
    try:
        tabs = read_tabs(path)
        return [read_table(path)] if tabs is None else [t.table for t in tabs if t.table is not None]
    except UserFacingError:
        return []


def column_headers(path: Path, header_rows: int | None = None) -> list[str]:
    """The header cells of a file's table (of every tab of a workbook), for the select boxes:
    the real header below a title row, or the cells of the header rows picked on the page."""
    headers: list[str] = []
    for table in _tables(path):
        headers.extend(h for h in header_choices(table, header_rows) if h not in headers)
    return headers


def proposed_time(paths: Sequence[Path]) -> str | None:
    """The time column detection takes in the first file that has one, named even when no
    statement matched yet (the preview then shows it in the Submission time box)."""
    for path in paths:
        for table in _tables(path):
            found = proposed_time_column(table)
            if found:
                return found
    return None


# --- the survey's own statements -------------------------------------------------------------


def statements_with(settings: Settings, text: str, aliases: Sequence[str] = (), replacing: str | None = None
                    ) -> tuple[Statement, ...]:
    """The statements after adding one (``replacing`` None) or renaming ``replacing`` to ``text``.

    A renamed statement keeps its aliases and gains its old text as one, so next week's export,
    whose header is still the old text, maps the same. The strict loader checks the result.
    """
    text = " ".join(str(text).split())
    if not text:
        raise BrowserLoadError("the statement was not saved: write its text")
    aliases = tuple(a for a in (" ".join(str(a).split()) for a in aliases) if a)
    if replacing is None:
        return (*settings.statements, Statement(text, aliases))
    return tuple(Statement(text, tuple(dict.fromkeys((*s.aliases, s.text, *aliases)))) if s.text == replacing else s
                 for s in settings.statements)


def save_statements(settings_path: Path, statements: Sequence[Statement], renamed: tuple[str, str] | None = None) -> None:
    """Write the statements as the settings file's ``[[statements]]`` (the whole list: a file that
    named none had the defaults, which stay), checked by the strict loader before it is saved.

    ``renamed`` (old, new text) also renames the statement in every saved mapping (``[[sources]]``),
    which names statements by their text."""
    def change(text: str) -> str:
        import tomlkit  # only when statements are saved

        document = tomlkit.parse(text)
        if renamed is not None:
            old, new = renamed
            for source in document.get("sources", []):
                mapped = source.get("statements")
                if mapped is not None and old in mapped:
                    mapped[new] = mapped.pop(old)
        entries = tomlkit.aot()
        for statement in statements:
            entry = tomlkit.table()
            entry["text"] = statement.text
            if statement.aliases:
                entry["aliases"] = list(statement.aliases)
            entries.append(entry)
        document["statements"] = entries
        return tomlkit.dumps(document)

    _rewrite_settings(settings_path, change, "the statement was not saved")


# --- loading ---------------------------------------------------------------------------------


def upload_request(db_path: Path, settings: Settings, kind: str, paths: Sequence[Path],
                   mapping: BrowserMapping | None = None) -> IngestRequest:
    """The request `python -m pipeline ingest --<kind> PATH…` makes, with the page's mapping for surveys."""
    scoped = with_mapping(settings, mapping, [p.name for p in paths]) if kind == "surveys" else settings
    return replace(IngestRequest(db_path, scoped), **{UPLOAD_KINDS[kind].request_field: tuple(paths)})


def start_upload_load(db_path: Path, settings: Settings, kind: str, paths: Sequence[Path],
                      mapping: BrowserMapping | None = None) -> RunningLoad:
    """Start loading uploaded files in a child process, as ``python -m pipeline ingest --<kind> PATH…`` would."""
    sweep_stale_uploads(settings)
    return RunningLoad(upload_request(db_path, settings, kind, paths, mapping), LoadLimits.of(settings))


def start_sheet_sync(db_path: Path, settings: Settings, timeout: float = 30.0, retries: int = 4) -> RunningLoad:
    """Start loading every sheet named in settings ([[sheets]]) in a child process, as ``pipeline sync`` does."""
    sweep_stale_uploads(settings)
    return RunningLoad(sheets_request(db_path, settings, timeout, retries), LoadLimits.of(settings))


def sweep_stale_uploads(settings: Settings) -> int:
    """Remove upload and scratch folders that killed processes left, older than a load may run."""
    return len(sweep_stale_folders(settings.browser_load_time_limit_seconds))


def load_outcome(outcome: IngestResult | IsolatedLoadError, db_path: Path,
                 sources: list[str]) -> IngestResult | BrowserLoadError:
    """A finished load's result, or its one-line failure, logged as a failed run."""
    if isinstance(outcome, IngestResult):
        return outcome
    try:
        record_failed_run(db_path, sources, str(outcome))
    except OSError:
        pass
    return BrowserLoadError(one_line(Worded(str(outcome), outcome.page_message)))


def last_sheet_sync(runs_finished: Sequence[tuple[datetime, str]]) -> datetime | None:
    """The newest finished run that read a Google Sheet, from (finished_at, sources) pairs."""
    synced = [finished for finished, sources in runs_finished
              if any(line.startswith("sheet ") for line in sources.splitlines())]
    return max(synced, default=None)


def failed_since(last_ok: datetime | None, failures: Sequence[tuple[str, str, str]]) -> str | None:
    """The message of the newest failed sheet run at or after the last good one, if any.

    ``failures`` are the failed-run log's (failed_at ISO text, sources, message), newest first;
    the log keeps whole seconds, so a failure in the same second as a success counts as later.
    """
    for failed_at, sources, message in failures:
        if not sources.startswith("sheet "):
            continue
        if last_ok is None or datetime.fromisoformat(failed_at) >= last_ok.replace(microsecond=0):
            return message
        return None
    return None


# --- remembering a mapping -------------------------------------------------------------------


def file_pattern(file_name: str) -> str:
    """A pattern for the next exports of the same survey: the name with its numbers (dates,
    counters) as wildcards, e.g. ``responses_2026-03-05.csv`` -> ``responses_*-*-*.csv``."""
    return re.sub(r"\d+", "*", re.sub(r"([*?\[])", r"[\1]", file_name))


def remember_mapping(settings_path: Path, mapping: BrowserMapping, files_pattern: str) -> None:
    """Append the mapping as a [[sources]] entry to the settings file, keeping its comments.

    The file is re-read with the strict loader before it replaces the old one, so a
    mapping that the CLI would refuse is never saved. See ``_rewrite_settings`` for how the
    file is replaced (a symlink's target, its mode, one writer at a time).
    """
    if not files_pattern.strip():
        raise BrowserLoadError("the mapping was not saved: name the files it applies to")
    _rewrite_settings(settings_path, lambda text: _with_source(text, mapping, files_pattern.strip()),
                      "the mapping was not saved")


def _with_source(text: str, mapping: BrowserMapping, files_pattern: str) -> str:
    import tomlkit  # only when a mapping is saved

    document = tomlkit.parse(text)
    entry = tomlkit.table()
    entry["files"] = [files_pattern]
    if mapping.time_column:
        entry["time_column"] = mapping.time_column
    if mapping.header_rows:
        entry["header_rows"] = mapping.header_rows
    if mapping.statements:
        statements = tomlkit.inline_table()
        for statement, column in mapping.statements:
            statements[statement] = column
        entry["statements"] = statements
    if mapping.feedback_column:
        entry["feedback_column"] = mapping.feedback_column
    if mapping.series_column:
        entry["series_column"] = mapping.series_column
    if mapping.scale_max != 5 or mapping.scale_min != 1:
        entry["scale_max"] = mapping.scale_max
    if mapping.scale_min != 1:
        entry["scale_min"] = mapping.scale_min
    sources = document.get("sources")
    if sources is None:
        sources = tomlkit.aot()
        document["sources"] = sources
    sources.append(entry)
    return tomlkit.dumps(document)


# A settings file the page creates: what open() gives under the usual umask 022. (Reading the
# umask means setting it, which is not safe with Streamlit's threads.)
NEW_SETTINGS_MODE = 0o644


def _rewrite_settings(settings_path: Path, change: Callable[[str], str], refused: str) -> None:
    """Replace the settings file with ``change(its text)``, checked by the strict loader.

    * A symlinked file is written at its target (the link stays a link), keeping the
      target's permission bits: the new file is a temporary one in the target's folder,
      renamed over it, so a reader never sees half a file.
    * Saves take turns on an exclusive ``flock`` of a sidecar ``.<name>.lock`` in that
      folder, and each reads the file only once it holds the lock: two saves at once
      both land. (The settings file itself cannot carry the lock: it is replaced.)
    * A folder that cannot be written is one line, not a traceback.
    """
    import fcntl

    target = settings_path.resolve()
    folder = target.parent
    staged: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f".{target.name}.lock", "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            text = target.read_text(encoding="utf-8") if target.exists() else ""
            mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else NEW_SETTINGS_MODE
            descriptor, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".next")
            staged = Path(name)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(change(text))
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            try:
                load_settings(staged)
            except SettingsError as exc:
                raise BrowserLoadError(f"{refused}: {exc}") from None
            os.replace(staged, target)
            staged = None
    except OSError as exc:
        raise BrowserLoadError(worded("settings folder not writable", refused=refused, folder=folder,
                                      problem=exc.strerror or exc)) from None
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
