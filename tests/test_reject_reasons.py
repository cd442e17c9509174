"""Reject reasons and refusals name the column and the kind of problem, never a cell's value
(issue #22 item 6): not in the rejects table, the failed-runs log, the CLI's output or the Data page.

Every cell of every hostile row carries a marker no rule of ours could write; the marker must be
found nowhere a reason or a message is shown. (The rejects table's raw column keeps the mapped
cells of a rejected row on purpose, see README "Nothing dropped silently"; it is not checked here.)
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core.run_log import failed_runs_path
from pipeline.cli import main

from tests.survey_text import FB, S1, S2, S3, S4

MARK = "Zq7marker"  # in every hostile cell; nothing we write contains it
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _csv(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


GOOD = ["2026-03-04 16:00", "Alpha", "4", "4", "4", "4", "fine"]
HEADER = ["Timestamp", "Series", S1, S2, S3, S4, FB]

# Each hostile row carries the marker in the cells that make it a reject (and in the others too).
HOSTILE_SURVEY_ROWS = [
    [f"{MARK} Totally unsafe", "Alpha", f"{MARK} I am afraid of my lead", "4", "4", "4", f"{MARK} note"],
    ["2026-03-04 16:05", "Alpha", f"Totally unsafe {MARK}", "4", "4", "4", ""],
    ["2026-03-04 16:06", "Alpha", f"7{MARK}", "4", "4", "4", ""],
    [f"03/04 {MARK}", "Alpha", "4", "4", "4", "4", ""],  # no full date
    [f"4:05 PM {MARK}", "Alpha", "4", "4", "4", "4", ""],
    [f"2026-03-04 16:00 XYZ{MARK}", "Alpha", "4", "4", "4", "4", ""],
    ["", "Alpha", f"{MARK}", f"{MARK}", "", "", ""],
]


def _run(capsys: pytest.CaptureFixture, db: Path, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["ingest", "--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out + err


def _attendance(tmp: Path) -> Path:
    return _csv(tmp / "attendance.csv", [["Date", "Attendees"], *[[f"2026-03-0{d}", "12"] for d in range(1, 8)],
                                         ["2026-03-11", f"{MARK} lots"], ["2026-03-12", f"1.5{MARK}"],
                                         [f"{MARK}", "12"], ["2026-03-01", "14"]])


def _slack_json(tmp: Path, name: str) -> Path:
    """A Slack channel day file (a person's id, real name and message) loaded as if it were a CSV."""
    path = tmp / name
    path.write_text(json.dumps([{"type": "message", "user": f"U{MARK}", "user_profile": {"real_name": f"Ana {MARK}"},
                                 "text": f"{MARK} my private message", "ts": "1772640000.000200"}]), encoding="utf-8")
    return path


def _jira(tmp: Path) -> Path:
    return _csv(tmp / "jira.csv", [
        ["Summary", "Issue key", "Status", "Created", "Labels"],
        ["Fix the pager", "OPS-1", "Done", "12/Mar/26 9:41 AM", ""],
        [f"Title {MARK}", "OPS-2", "Done", f"12/{MARK}/26 9:41 AM", ""],
        [f"Title {MARK}", "OPS-3", "Done", "12/Mar/26 9:41 AM", f"review-2026-13-{MARK}"],
    ])


def _polls(tmp: Path) -> Path:
    return _csv(tmp / "polls.csv", [
        ["Date", "Talking point", "Votes", "Kind", "Discussed"],
        ["2026-03-04", "Alert noise", "3", "theme", "yes"],
        ["2026-03-04", "Pager rota", f"many {MARK}", "incident", "yes"],
        ["2026-03-04", "Other", "1", f"{MARK}", "yes"],
        ["2026-03-04", "Runbooks", "1", "theme", f"{MARK}"],
        [f"{MARK}", "Runbooks", "1", "theme", "yes"],
    ])


# (what is loaded, CLI arguments built from tmp_path, whether the run must succeed)
CASES = [
    ("survey rejects", lambda t: ["--surveys", str(_csv(t / "s.csv", [HEADER, GOOD, *HOSTILE_SURVEY_ROWS]))], 0),
    ("a survey with no usable row", lambda t: ["--surveys", str(_csv(t / "s.csv", [HEADER, *HOSTILE_SURVEY_ROWS]))], 2),
    ("--strict", lambda t: ["--strict", "--surveys", str(_csv(t / "s.csv", [HEADER, GOOD, *HOSTILE_SURVEY_ROWS]))], 2),
    ("attendance", lambda t: ["--attendance", str(_attendance(t))], 0),
    ("actions rows", lambda t: ["--actions", str(_jira(t))], 0),
    ("poll rows", lambda t: ["--polls", str(_polls(t))], 0),
    ("Slack JSON as an actions CSV", lambda t: ["--actions", str(_slack_json(t, "actions.csv"))], 2),
    ("Slack JSON as a polls CSV", lambda t: ["--polls", str(_slack_json(t, "polls.csv"))], 2),
    ("Slack JSON as a survey CSV", lambda t: ["--surveys", str(_slack_json(t, "survey.csv"))], 2),
]


@pytest.mark.parametrize(("label", "arguments", "code"), CASES, ids=[c[0] for c in CASES])
def test_no_reason_or_message_quotes_a_cell(capsys: pytest.CaptureFixture, tmp_path: Path, label: str,
                                            arguments, code: int) -> None:
    db = tmp_path / "reviews.duckdb"
    got, output = _run(capsys, db, *arguments(tmp_path))
    assert got == code, output
    assert MARK not in output
    log = failed_runs_path(db)
    assert (log.exists() and log.stat().st_size > 0) == (code != 0)
    if log.exists():
        assert MARK not in log.read_text(encoding="utf-8")
    if code == 0:
        with duckdb.connect(str(db), read_only=True) as con:
            reasons = [r for (r,) in con.execute("SELECT reason FROM rejects").fetchall()]
        assert reasons, "the hostile rows are rejects"
        assert not [r for r in reasons if MARK in r]


def test_data_page_shows_no_cell_of_a_rejected_row(capsys: pytest.CaptureFixture, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "reviews.duckdb"
    survey = _csv(tmp_path / "s.csv", [HEADER, *[GOOD[:1] + [f"Team {n}"] + GOOD[2:] for n in range(2)],
                                       *HOSTILE_SURVEY_ROWS])
    assert _run(capsys, db, "--surveys", str(survey))[0] == 0
    assert _run(capsys, db, "--actions", str(_slack_json(tmp_path, "actions.csv")))[0] == 2  # a failed run, listed
    with duckdb.connect(str(db), read_only=True) as con:
        rejects = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
    assert rejects == len(HOSTILE_SURVEY_ROWS)
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, at.exception
    shown = [str(frame.value.to_dict()) for frame in at.dataframe]
    shown += [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.table]
    assert any("not a 1-5 answer" in s for s in shown)  # the reasons are on the page
    assert not [s for s in shown if MARK in s]
