"""Which weekly digests were posted (issue 25): read before posting, written after a post succeeded,
so a second run of `python -m pipeline digest` for the same week does not post it again.

The record is (series, week, when, webhook or bot, the channel setting): never a URL or a token.
Writing follows every writer's pattern (core.store): the folder's lock, a private copy, an atomic publish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from core.schema import DIGEST_TABLES
from core.store import connect_read_only, staged_write, write_lock
from pipeline.errors import IngestError

POSTS_STORED = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'digest_posts'"
LAST_POST = """
SELECT posted_at, via, channel FROM digest_posts WHERE series = $series AND week_start = $week
ORDER BY posted_at DESC LIMIT 1
"""
RECORD_POST = "INSERT INTO digest_posts (series, week_start, posted_at, via, channel) VALUES ($series, $week, $at, $via, $channel)"


@dataclass(frozen=True)
class PostRecord:
    posted_at: datetime  # UTC
    via: str
    channel: str | None

    @property
    def described(self) -> str:
        where = f"bot, {self.channel}" if self.via == "bot" and self.channel else self.via
        return f"{self.posted_at:%Y-%m-%d %H:%M} UTC ({where})"


def last_post(db_path: Path, series: str, week: date) -> PostRecord | None:
    """The latest post of this series' digest for this week, if any (a DB from before has none)."""
    with connect_read_only(db_path) as con:
        if not con.execute(POSTS_STORED).fetchall()[0][0]:
            return None
        rows = con.execute(LAST_POST, {"series": series, "week": week}).fetchall()
    return PostRecord(*rows[0]) if rows else None


def record_post(db_path: Path, series: str, week: date, via: str, channel: str | None,
                now: datetime | None = None) -> None:
    at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    try:
        with write_lock(db_path), staged_write(db_path) as con:
            con.execute(DIGEST_TABLES)
            con.execute(RECORD_POST, {"series": series, "week": week, "at": at, "via": via, "channel": channel})
    except (OSError, duckdb.Error) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise IngestError(f"the digest was posted, but {db_path} could not record it ({detail}): a second run "
                          "would post it again until the file is writable") from None
