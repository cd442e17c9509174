"""Read a Slack workspace export (a ZIP, or the folder it unpacks to): I/O only.

The export holds ``channels.json`` (and ``groups.json`` for private channels), ``users.json``
and one folder per channel with one JSON file per day (``2026-04-01.json``, a list of
messages). What the messages mean is decided in ``pipeline.polls``.

``users.json`` is never opened: it holds people's names and emails, and nothing here needs them.

The ZIP is untrusted: member names are checked (no absolute paths, no ``..``), nothing is
extracted to disk, and the uncompressed size of what is read is bounded, so a ZIP bomb
or a path-traversal entry is refused with one line instead of filling the disk.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.errors import SourceFileError
from pipeline.sources.json_files import check_json_values

# A year of a busy channel is a few MB of JSON; these bounds are far above that.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_MEMBERS = 200_000
DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
CHANNEL_LISTS = ("channels.json", "groups.json")


@dataclass(frozen=True)
class DayFile:
    channel: str  # the channel's name, as in channels.json (NFC; the folder's name may be NFD)
    name: str  # "general/2026-04-01.json", for messages that point at it
    messages: list[dict]


@dataclass
class SlackExport:
    source: str
    channels: list[str] = field(default_factory=list)
    # Read one day file at a time when iterated, so memory holds one day, not the whole workspace.
    days: Iterable[DayFile] = ()
    # Named in channels.json with no folder of day files: nothing was read from them (the summary says so).
    channels_without_folder: list[str] = field(default_factory=list)


def nfc(name: str) -> str:
    """A channel name in one Unicode form: macOS writes folder names decomposed (NFD) when it
    re-zips an export, while channels.json keeps them composed (NFC)."""
    return unicodedata.normalize("NFC", name)


def is_slack_export(path: Path) -> bool:
    """A folder or ZIP holding channels.json at its top (or one folder down)."""
    if path.is_dir():
        return any((base / "channels.json").is_file() for base in (path, *sorted(p for p in path.iterdir() if p.is_dir())))
    if not path.is_file() or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return _zip_root(archive.namelist()) is not None
    except (zipfile.BadZipFile, OSError):
        return False


def read_slack_export(path: Path) -> SlackExport:
    source = str(path)
    if path.is_dir():
        return _read_folder(path, source)
    try:
        with zipfile.ZipFile(path) as archive:
            export, members = _read_zip(archive, source)
    except zipfile.BadZipFile as exc:
        raise SourceFileError(source, f"not a readable ZIP ({exc})") from None
    except OSError as exc:
        raise SourceFileError(source, f"cannot read the file ({exc.strerror or exc})") from None
    export.days = _zip_days(path, source, members)
    return export


def _zip_root(names: list[str]) -> str | None:
    """'' when channels.json is at the top, 'folder/' when the export was zipped with its folder."""
    for name in names:
        parts = PurePosixPath(name).parts
        if parts and parts[-1] == "channels.json" and len(parts) <= 2:
            return "" if len(parts) == 1 else parts[0] + "/"
    return None


def _safe_member(name: str, source: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise SourceFileError(source, f"unsafe path in the ZIP ({_shown(name)!r}); nothing was read")
    return path


def _read_zip(archive: zipfile.ZipFile, source: str) -> tuple[SlackExport, list[tuple[str, str, str]]]:
    """The export's channels, and its day files as (member, channel, "channel/day.json"), checked, unread."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SourceFileError(source, f"the ZIP holds {len(infos):,} entries, more than a Slack export has")
    for info in infos:
        _safe_member(info.filename, source)
    root = _zip_root([i.filename for i in infos])
    if root is None:
        raise SourceFileError(source, "no channels.json: not a Slack workspace export")
    budget = _Budget(source)
    names = {i.filename for i in infos}
    channels = _channel_names(source, {n: budget.read(archive, root + n) for n in CHANNEL_LISTS if root + n in names})
    wanted = set(channels)
    members = []
    folders: set[str] = set()
    for info in sorted(infos, key=lambda i: i.filename):
        relative = PurePosixPath(info.filename[len(root):]) if info.filename.startswith(root) else None
        if relative is None or len(relative.parts) != 2 or info.is_dir():
            continue
        folder, day = relative.parts
        channel = nfc(folder)
        if channel in wanted and DAY_FILE.match(day):
            folders.add(channel)
            members.append((info.filename, channel, f"{channel}/{day}"))
    missing = [c for c in channels if c not in folders]
    return SlackExport(source, channels, channels_without_folder=missing), members


class _Budget:
    """Uncompressed bytes read so far, against the per-file and total bounds."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.left = MAX_TOTAL_BYTES

    def read(self, archive: zipfile.ZipFile, name: str) -> bytes:
        limit = min(MAX_MEMBER_BYTES, self.left)
        # The header's file_size may lie: read at most limit + 1 bytes and look.
        with archive.open(name) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise SourceFileError(self.source, f"{_shown(name)} is larger than {limit // (1024 * 1024)} MB uncompressed; "
                                               "export fewer channels or a shorter date range")
        self.left -= len(data)
        return data


def _zip_days(path: Path, source: str, members: list[tuple[str, str, str]]) -> Iterator[DayFile]:
    budget = _Budget(source)
    try:
        with zipfile.ZipFile(path) as archive:
            for member, channel, name in members:
                yield _day(source, channel, name, budget.read(archive, member))
    except (zipfile.BadZipFile, EOFError, OSError) as exc:  # e.g. a truncated download
        raise SourceFileError(source, f"cannot read the ZIP ({type(exc).__name__}: {exc}); re-download the export, "
                                      "nothing was loaded") from None


def _read_folder(folder: Path, source: str) -> SlackExport:
    root = folder if (folder / "channels.json").is_file() else next(
        (p for p in sorted(folder.iterdir()) if p.is_dir() and (p / "channels.json").is_file()), None)
    if root is None:
        raise SourceFileError(source, "no channels.json: not a Slack workspace export")
    lists = {}
    for name in CHANNEL_LISTS:
        if (root / name).is_file():
            lists[name] = (root / name).read_bytes()
    channels = _channel_names(source, lists)
    # Folders are matched by their NFC name; only plain folders directly under the export are read.
    folders = {nfc(p.name): p for p in sorted(root.iterdir()) if p.is_dir()}
    found = {c: folders[c] for c in channels if c in folders
             and any(d.is_file() and DAY_FILE.match(d.name) for d in folders[c].iterdir())}
    export = SlackExport(source, channels, channels_without_folder=[c for c in channels if c not in found])
    export.days = _folder_days(source, found)
    return export


def _folder_days(source: str, folders: dict[str, Path]) -> Iterator[DayFile]:
    total = 0
    for channel, directory in folders.items():
        for day in sorted(directory.iterdir()):
            if not (day.is_file() and DAY_FILE.match(day.name)):
                continue
            size = day.stat().st_size
            total += size
            if size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                raise SourceFileError(source, f"{_shown(channel)}/{day.name}: the export is larger than this reader accepts "
                                              f"({MAX_TOTAL_BYTES // (1024 * 1024)} MB); export fewer channels")
            yield _day(source, channel, f"{channel}/{day.name}", day.read_bytes())


def _shown(name: str) -> str:
    """A member name for a one-line message: control characters escaped (names come from the file)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def _json(source: str, name: str, data: bytes) -> object:
    name = _shown(name)
    # Bounded by its values before it is parsed, as a workbook's parts are by their rows and cells.
    check_json_values(data, source, name, "export fewer channels or a shorter date range; nothing was loaded")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SourceFileError(source, f"{name}: not UTF-8 text; re-download the export, nothing was loaded") from None
    except json.JSONDecodeError as exc:
        raise SourceFileError(
            source, f"{name}: broken JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
                    "re-download the export, nothing was loaded") from None


def _channel_names(source: str, lists: dict[str, bytes]) -> list[str]:
    names: list[str] = []
    for list_name, data in lists.items():
        channels = _json(source, list_name, data)
        if not isinstance(channels, list):
            raise SourceFileError(source, f"{list_name}: expected a list of channels")
        for channel in channels:
            name = channel.get("name") if isinstance(channel, dict) else None
            name = nfc(name) if isinstance(name, str) else None
            if name and name not in names:
                names.append(name)
    return names


def _day(source: str, channel: str, name: str, data: bytes) -> DayFile:
    messages = _json(source, name, data)
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise SourceFileError(source, f"{_shown(name)}: expected a list of messages; re-download the export, "
                                      "nothing was loaded")
    return DayFile(channel, name, messages)
