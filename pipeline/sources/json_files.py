"""Read a JSON export (gh, incident.io) from disk. Only I/O and decoding; meaning is decided in pipeline.actions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SourceFileError
from pipeline.sources.bounded_read import decode_text

# A tracker export of follow-up actions is kilobytes; refuse what cannot be one before parsing it.
MAX_JSON_BYTES = 256 * 1024 * 1024
# Parsed JSON costs far more than its bytes: "{}," is 3 bytes of file and about 70 of dict and list
# slot, so a 60 MB day file of them took 1.6 GB. Every value but the first follows one of , : [ {,
# so counting those bytes (in C, no copy) bounds what json.loads would build, before it runs; at
# worst about 100 MB at this limit. A busy channel's day is a few thousand messages of a few dozen
# to a few hundred values; a tracker export, hundreds of actions.
MAX_JSON_VALUES = 1_000_000


def check_json_values(data: bytes, source: str, name: str, fix: str) -> None:
    """Refuse JSON that could build more than MAX_JSON_VALUES values, with one line naming ``name``."""
    openers = data.count(b",") + data.count(b":") + data.count(b"[") + data.count(b"{")
    if openers >= MAX_JSON_VALUES:
        raise SourceFileError(source, f"{name} holds more than {MAX_JSON_VALUES:,} JSON values, the limit per JSON "
                                      f"file (MAX_JSON_VALUES); {fix}")


@dataclass(frozen=True)
class JsonDocument:
    source: str
    data: object


def parse_json_bytes(data: bytes, source: str, expected: str = "a tracker export") -> JsonDocument:
    if not data.strip():
        raise SourceFileError(source, "the file is empty")
    if len(data) > MAX_JSON_BYTES:
        raise SourceFileError(source, f"the file is over {MAX_JSON_BYTES // 2**20} MB; not {expected}")
    check_json_values(data, source, "the file", f"not {expected}")
    text = decode_text(data, source)
    try:
        return JsonDocument(source, json.loads(text))
    except json.JSONDecodeError as exc:
        raise SourceFileError(source, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise SourceFileError(source, f"JSON nested too deeply to be {expected}") from None


def read_json(path: Path, expected: str = "a tracker export") -> JsonDocument:
    source = str(path)
    try:
        # One byte past the limit is enough to refuse: an oversized file is never read whole.
        with path.open("rb") as handle:
            data = handle.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        raise SourceFileError(source, "no such file") from None
    except IsADirectoryError:
        raise SourceFileError(source, "is a folder, not a file") from None
    except OSError as exc:
        raise SourceFileError(source, f"cannot read the file ({exc.strerror})") from None
    return parse_json_bytes(data, source, expected)


def looks_like_json(path: Path) -> bool:
    """A .json name, or a first non-blank byte that opens a JSON array or object."""
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head[:1] in (b"[", b"{")
