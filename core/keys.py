"""The response key, in Python and in SQL, side by side (a test runs both on the same values).

A key is a content address, not a security boundary: the MD5 of a response's content for its
first occurrence in an export, of content + "\\x1e" + n for its n-th repeat, held as a UUID (the
digest read as a little-endian 128-bit number, which is DuckDB's ``md5_number(text)::UUID``).
The first occurrence hashes the content alone, so SQL needs no numbering for unique rows. The
Python parser (pipeline.parse.keys), the CSV fast path (pipeline.csv_fast_path) and the schema-2 key
migration (core.schema) all build keys here.
"""

from __future__ import annotations

import hashlib

OCCURRENCE_SEPARATOR = "\x1e"


def md5_key(content: str, occurrence: int) -> str:
    text = content if occurrence == 0 else f"{content}{OCCURRENCE_SEPARATOR}{occurrence}"
    digest = hashlib.md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()
    # str(uuid.UUID(int=int.from_bytes(digest, "little"))), spelled out: the UUID object cost more than the
    # hash (a workbook's rows are keyed here one by one). tests/test_keys.py holds the two to each other.
    h = digest[::-1].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def md5_key_sql(content: str, occurrence: str) -> str:
    """The SQL twin of ``md5_key`` over two SQL expressions (ours, never data), as a UUID."""
    return (f"(CASE WHEN {occurrence} = 0 THEN md5_number({content}) "
            f"ELSE md5_number({content} || chr({ord(OCCURRENCE_SEPARATOR)}) || ({occurrence})::VARCHAR) END)::UUID")
