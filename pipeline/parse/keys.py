"""Keys of responses and rejects: a content hash plus the occurrence within one export.

The response key itself (MD5 as a UUID, with its SQL twin) is core.keys: this parser, the
CSV fast path and the schema's v1 key migration all build it there.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable

from core.keys import md5_key
from pipeline.records import Reject


def _blake2b_key(content: str, occurrence: int) -> str:
    data = f"{content}\x1e{occurrence}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class KeyMaker:
    """Content hash plus occurrence number within one export.

    The same row in a later (superset) export gets the same key, so nothing is
    stored twice; two identical rows in one export get different keys and both stay.
    """

    def __init__(self, prefix: str, key_of: Callable[[str, int], str] = _blake2b_key) -> None:
        self.prefix = prefix
        self.key_of = key_of
        self.seen: dict[str, int] = defaultdict(int)

    def key(self, *parts: str) -> str:
        content = "\x1f".join(parts)
        # Counted by the first occurrence's key, not the content: a response's content (its
        # feedback included) would stay in memory for the whole file (issue 16).
        first = self.key_of(content, 0)
        occurrence = self.seen[first]
        self.seen[first] = occurrence + 1
        return self.prefix + (first if occurrence == 0 else self.key_of(content, occurrence))


def response_key_maker() -> KeyMaker:
    """Keys of responses: md5_key of (series, UTC time, "statement=score"..., feedback), stored as a UUID.

    Schema version 2 fixed this formula (core.keys, with its SQL twin for the fast path and
    the migration).
    """
    return KeyMaker("", md5_key)


def make_reject(keys: KeyMaker, source: str, line: int, reason: str, raw: dict[str, str], series: str) -> Reject:
    raw_json = json.dumps(raw, ensure_ascii=False, sort_keys=True)
    return Reject(keys.key(series, reason, raw_json), source, line, reason, raw)
