"""Failed ingestion runs, logged beside the DB because a failed run must not touch the DB."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def failed_runs_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".failed-runs.jsonl")


def record_failed_run(db_path: Path, sources: list[str], message: str) -> None:
    entry = {
        "failed_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds"),
        "sources": sources,
        "message": message,
    }
    path = failed_runs_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def failed_runs(db_path: Path, limit: int = 50) -> pd.DataFrame:
    """Newest first; a damaged line is skipped rather than breaking the Data page."""
    import pandas as pd  # the app reads this; the CLI only writes and need not import pandas
    columns = ["failed_at (UTC)", "sources", "message"]
    path = failed_runs_path(db_path)
    if not path.exists():
        return pd.DataFrame(columns=columns)
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
            entries.append((entry["failed_at"], ", ".join(entry["sources"]), entry["message"]))
        except (ValueError, KeyError, TypeError):
            continue
    return pd.DataFrame(list(reversed(entries))[:limit], columns=columns)
