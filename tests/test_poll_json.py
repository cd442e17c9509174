"""The polls uploader reads a .json as a Slack day file or refuses it naming the fix (issue #22, item 14).

It never reads JSON as CSV: a CSV reader took a Slack JSON's first line for a header and the refusal
quoted it (a Slack id, a real name, message text) into the failed-runs log.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from core.run_log import failed_runs_path
from core.settings import Settings
from pipeline.app_loading import BrowserLoadError, load_outcome, start_upload_load
from tests.test_polls import OTHER_MESSAGES, POLLY, POLLY_COUNTS, SIMPLE, SIMPLE_COUNTS

SECRET_ID, SECRET_NAME, SECRET_TEXT = "U0SECRET42", "Ana Secretname", "the secret incident detail"


def load_files(db: Path, settings: Settings, kind: str, paths: list[Path]) -> None:
    """Load uploads as the Load data page does (its child process); a refusal raises as the page shows it."""
    outcome = load_outcome(start_upload_load(db, settings, kind, paths).wait(), db, [f"upload {p.name}" for p in paths])
    if isinstance(outcome, BrowserLoadError):
        raise outcome


def test_a_slack_day_file_uploaded_as_json_is_loaded_as_polls(tmp_path: Path) -> None:
    day = tmp_path / "2026-04-01.json"
    day.write_text(json.dumps([*OTHER_MESSAGES, POLLY, SIMPLE]), encoding="utf-8")
    db = tmp_path / "reviews.duckdb"
    load_files(db, Settings(), "polls", [day])
    with duckdb.connect(str(db), read_only=True) as con:
        stored = dict(con.execute("SELECT point, votes FROM talking_points").fetchall())
        polls = con.execute("SELECT count(*) FROM polls").fetchone()[0]
    assert polls == 2
    assert stored == {**POLLY_COUNTS, **SIMPLE_COUNTS}
    assert not failed_runs_path(db).exists()


NOT_DAY_FILES = {
    # A message's fields as an object, not a list of messages: its first line was read as a CSV header.
    "one message object": {"user": SECRET_ID, "user_profile": {"real_name": SECRET_NAME}, "text": SECRET_TEXT,
                           "ts": "1775059200.000100"},
    # users.json: people, never messages.
    "users.json": [{"id": SECRET_ID, "name": "ana", "real_name": SECRET_NAME, "profile": {"title": SECRET_TEXT}}],
    "a list of strings": [SECRET_ID, SECRET_NAME, SECRET_TEXT],
    "an empty list": [],
    "a tracker export": [{"number": 7, "title": SECRET_TEXT, "state": "OPEN", "author": {"login": SECRET_NAME}}],
}


@pytest.mark.parametrize("document", NOT_DAY_FILES.values(), ids=NOT_DAY_FILES.keys())
def test_a_json_that_is_no_slack_day_file_is_refused_without_its_content(tmp_path: Path, document: object) -> None:
    upload = tmp_path / "polls.json"
    upload.write_text(json.dumps(document, indent=1), encoding="utf-8")
    db = tmp_path / "reviews.duckdb"
    with pytest.raises(BrowserLoadError) as refused:
        load_files(db, Settings(), "polls", [upload])
    message = str(refused.value)
    assert "\n" not in message
    assert message == (f"{upload}: not a Slack day file (a JSON list of messages); upload the whole Slack export ZIP, "
                       "or the talking points as a CSV or .xlsx sheet")
    log = failed_runs_path(db).read_text(encoding="utf-8")
    assert len(log.splitlines()) == 1 and "not a Slack day file" in log
    for secret in (SECRET_ID, SECRET_NAME, SECRET_TEXT, "ana"):
        assert secret not in log
    assert not db.exists()


def test_broken_json_is_refused_as_json_not_read_as_csv(tmp_path: Path) -> None:
    upload = tmp_path / "polls.json"
    upload.write_text(f'[{{"user": "{SECRET_ID}", "text": "{SECRET_TEXT}"', encoding="utf-8")
    db = tmp_path / "reviews.duckdb"
    with pytest.raises(BrowserLoadError, match=r"not valid JSON \(line 1, column \d+"):
        load_files(db, Settings(), "polls", [upload])
    log = failed_runs_path(db).read_text(encoding="utf-8")
    assert SECRET_ID not in log and SECRET_TEXT not in log
