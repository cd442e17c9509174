"""The response key's Python and SQL twins (core.keys) give the same UUID for the same content."""

from __future__ import annotations

import duckdb
import pytest

from core.keys import md5_key, md5_key_sql

CASES = [
    ("", 0), ("", 3), ("Incident review\x1f2026-03-04T16:00:00\x1fgood=5\x1f", 0),
    ("é👍\u3000 ünïcode", 0), ("é👍\u3000 ünïcode", 1), ("a\x1eb", 2), ("x" * 5000, 12),
]


@pytest.mark.parametrize(("content", "occurrence"), CASES)
def test_the_python_key_and_its_sql_twin_agree(content: str, occurrence: int) -> None:
    with duckdb.connect() as con:
        (in_sql,) = con.execute(f"SELECT {md5_key_sql('$content', '$occurrence')}::VARCHAR",
                                {"content": content, "occurrence": occurrence}).fetchone()
    assert in_sql == md5_key(content, occurrence)


def test_a_repeat_gets_another_key() -> None:
    assert len({md5_key("same", n) for n in range(5)}) == 5


@pytest.mark.parametrize("parts", [("Payments", "2026-03-04T16:00:00", "good=5", ""), ("", ), ("é👍", "\x1e")])
def test_the_key_maker_numbers_repeats_as_md5_key_does(parts: tuple[str, ...]) -> None:
    """KeyMaker counts repeats by their first key (issue 16: no content kept per row); the keys
    are still md5_key(content, n) for the n-th repeat."""
    from pipeline.parse.keys import response_key_maker

    maker, other = response_key_maker(), ("other",)
    keys = [maker.key(*parts), maker.key(*other), maker.key(*parts), maker.key(*parts)]
    content = "\x1f".join(parts)
    assert keys == [md5_key(content, 0), md5_key("other", 0), md5_key(content, 1), md5_key(content, 2)]


@pytest.mark.parametrize(("content", "occurrence"), CASES)
def test_the_key_is_the_digest_read_as_a_little_endian_uuid(content: str, occurrence: int) -> None:
    """md5_key formats the UUID itself; the uuid module's reading of the same digest is the reference."""
    import hashlib
    import uuid

    text = content if occurrence == 0 else f"{content}\x1e{occurrence}"
    digest = hashlib.md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()
    assert md5_key(content, occurrence) == str(uuid.UUID(int=int.from_bytes(digest, "little")))
