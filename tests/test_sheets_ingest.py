"""`python -m pipeline ingest --attendance-sheet/--surveys-sheet` end to end: real gspread over HTTP
to the local Sheets API server, faults from Google, DB untouched on failure, secrets never shown."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pipeline.cli import main
from core.run_log import failed_runs
from core.settings import Settings
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
KEY = "1RevPulseAttendanceSheet000000000000000000Ab"
SURVEY_KEY = "1RevPulseSurveySheet0000000000000000000000Cd"
S = Settings()
ATTENDANCE = [
    ["Date", "Incident", "Attendees", "", "Attendees"],  # a blank and a duplicate header
    ["46085", "Checkout latency", "21", "", "x"],  # 2026-03-04 as a Sheets serial date
    ["3/11/2026", "DNS", "25", "", ""],
]
SURVEYS = [
    ["Timestamp", "Email Address", *S.statement_texts, "How could we improve?"],
    ["46085.7", "ana@example.com", "5", "4", "Agree", "Strongly agree", "Great"],
    ["46085.71", "ben@example.com", "3", "3", "3", "3", ""],
]


def ingest(db: Path, *extra: str) -> int:
    return main(["ingest", "--db", str(db), "--timeout", "2", "--retries", "2", *extra])


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture
def google(sheets_api: SheetsApiServer, monkeypatch: pytest.MonkeyPatch) -> SheetsApiServer:
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)
    sheets_api.add_sheet(KEY, {"Attendance": ATTENDANCE}, title="Review attendance")
    sheets_api.add_sheet(SURVEY_KEY, {"Form responses 1": SURVEYS}, title="Survey")
    return sheets_api


def test_attendance_and_surveys_from_sheets(google: SheetsApiServer, db_path: Path, capsys) -> None:
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"
    assert ingest(db_path, "--attendance-sheet", url, "--worksheet", "Attendance",
                  "--surveys-sheet", SURVEY_KEY, "--worksheet", "Form responses 1") == 0
    out = capsys.readouterr().out
    assert "meetings loaded:     2" in out and "responses added:     2" in out
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT meeting_date, attendees, title FROM meetings ORDER BY 1").fetchall() == [
            (date(2026, 3, 4), 21, "Checkout latency"), (date(2026, 3, 11), 25, "DNS")]
        assert con.execute("SELECT week_start, responses, mean_score FROM weekly_scores").fetchall() == [
            (date(2026, 3, 2), 2, pytest.approx((5 + 4 + 4 + 5 + 3 * 4) / 8))]
        dump = str(con.execute("SELECT * FROM responses").fetchall()) + str(con.execute("SELECT * FROM rejects").fetchall())
    assert "example.com" not in dump


def test_a_tab_title_with_a_slash_gets_its_sources_entry(google: SheetsApiServer, db_path: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """The [[sources]] entry names the whole tab title, "Q1 / replies", not what follows its last " / "."""
    rows = [["Logged moment", *S.statement_texts], ["2026-03-04 16:00", "5", "4", "4", "5"], ["2026-03-04 16:05", "3", "3", "3", "3"]]
    google.add_sheet("1RevPulseSlashTabSheet00000000000000000000Ef", {"Q1 / replies": rows}, title="Slash")
    settings = tmp_path / "review_pulse.toml"
    settings.write_text('[[sources]]\nsheets = ["Q1 / replies"]\ntime_column = "Logged moment"\n')
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    assert ingest(db_path, "--surveys-sheet", "1RevPulseSlashTabSheet00000000000000000000Ef", "--worksheet", "Q1 / replies") == 0
    assert "responses added:     2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("faults", "attempts"),
    [
        ([("status", 429, {"Retry-After": "1"})], 2),
        ([("status", 500), ("status", 503)], 3),
    ],
)
def test_transient_google_faults_are_retried(google: SheetsApiServer, db_path: Path, faults, attempts: int) -> None:
    google.script(faults, on="values")
    assert ingest(db_path, "--attendance-sheet", KEY) == 0
    assert len(google.requests_of("values")) == attempts
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meetings").fetchall() == [(2,)]


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ([("status", 503)] * 3, "after 3 attempts"),
        ([("hang", 5)] * 3, "no answer from the Google Sheets API within 2.0 s"),
        ([("malformed",)], "unexpected response"),
        ([("status", 403)], "share"),
        ([("status", 404)], "not found"),
    ],
)
def test_google_failures_are_one_line_and_change_nothing(
    google: SheetsApiServer, tmp_path: Path, db_path: Path, capsys, faults, message: str
) -> None:
    csv_attendance = tmp_path / "a.csv"
    csv_attendance.write_text("Date,Attendees\n2026-03-04,9\n")
    assert ingest(db_path, "--attendance", str(csv_attendance)) == 0
    before = digest(db_path)
    capsys.readouterr()
    google.script(faults, on="values" if faults[0][0] != "status" or faults[0][1] == 503 else "api")
    assert ingest(db_path, "--attendance-sheet", KEY) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and err.count("\n") == 0 and message in err, err
    assert KEY in err
    assert digest(db_path) == before
    logged = failed_runs(db_path)
    assert len(logged) == 1 and message in logged.iloc[0]["message"]


def test_unknown_worksheet_lists_the_tabs(google: SheetsApiServer, db_path: Path, capsys) -> None:
    assert ingest(db_path, "--attendance-sheet", KEY, "--worksheet", "Attendence") == 2
    err = capsys.readouterr().err
    assert "Attendence" in err and "Attendance" in err


def _service_account(tmp_path: Path) -> tuple[Path, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {
        "type": "service_account", "project_id": "review-pulse-test", "private_key_id": "FAKEKEYID0123456789",
        "private_key": pem, "client_email": "review-pulse@review-pulse-test.iam.gserviceaccount.com",
        "client_id": "1234567890", "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    return path, pem


def test_credentials_are_never_printed_or_logged(google: SheetsApiServer, tmp_path: Path) -> None:
    """Run the real CLI in a subprocess with a recognisable fake key and check every output."""
    credentials, pem = _service_account(tmp_path)
    google.script([("status", 403)], on="api")
    db = tmp_path / "r.duckdb"
    env = {**os.environ, "SHEETS_EMULATOR_HOST": google.host, "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
           "REVIEW_PULSE_SETTINGS": str(tmp_path / "none.toml")}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "ingest", "--db", str(db), "--attendance-sheet", KEY, "--timeout", "5"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "review-pulse@review-pulse-test.iam.gserviceaccount.com" in result.stderr  # what to share the sheet with
    outputs = result.stdout + result.stderr + failed_runs(db).to_string()
    secret_lines = [line for line in pem.splitlines() if "PRIVATE KEY" not in line]
    assert not any(line in outputs for line in secret_lines)
    assert "FAKEKEYID0123456789" not in outputs
    assert any(g for g in google.token_grants)  # the real service-account token flow ran against the fake


def test_retries_in_a_real_process_still_end_in_one_line(google: SheetsApiServer, tmp_path: Path) -> None:
    google.script([("status", 503)] * 3, on="values")
    env = {**os.environ, "SHEETS_EMULATOR_HOST": google.host, "PYTHONPATH": str(ROOT),
           "REVIEW_PULSE_SETTINGS": str(tmp_path / "none.toml")}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "ingest", "--db", str(tmp_path / "r.duckdb"), "--attendance-sheet", KEY,
         "--retries", "2"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "after 3 attempts" in result.stderr, result.stderr
    assert not (tmp_path / "r.duckdb").exists()
