"""The dashboard under bad luck and bad input: odd quarter links, a damaged DB file,
rejected rows from hidden weeks, and sign-in claims. Real DB files, the app through AppTest."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.cli import main as pipeline_main
from core.quarters import parse_period
from core.settings import Settings
from core.access import sign_in_allowed

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
S = Settings()
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "review-pulse", "client_secret": "not-a-secret",
        "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration"}

pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


# --- 10. quarter links ------------------------------------------------------------------

ODD_QUARTERS = ["9999-Q4", "0000-Q1", "\u0662\u0660\u0662\u0666-Q1", "\u0968\u0966\u0968\u0966-Q2", "2026-Q\u0663",
                "１９９９-Q1", "2999-Q1"]


@pytest.mark.parametrize("label", ODD_QUARTERS)
def test_out_of_range_and_non_ascii_quarters_are_not_quarters(label: str) -> None:
    assert parse_period(label) is None
    assert parse_period(label, 7) is None


@pytest.mark.parametrize("label", ["9999-Q4", "0000-Q1", "\u0662\u0660\u0662\u0666-Q1"])
def test_odd_quarter_links_fall_back_to_the_latest_quarter(demo_db: Path, monkeypatch, label: str) -> None:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["quarter"] = label
    at.run()
    assert not at.exception and not at.error
    assert at.sidebar.selectbox[0].value == "2026-Q3"
    assert len(at.metric) == 5


# --- 13. a damaged DB file ---------------------------------------------------------------


@pytest.fixture
def damaged_db(demo_db: Path, tmp_path: Path) -> Path:
    """The demo DB cut to its first 10%: it opens and its catalogue reads, its data does not.
    Before the cut, a failed ingestion left its entry in the failed-run log beside it."""
    db = tmp_path / "reviews.duckdb"
    shutil.copy(demo_db, db)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01binary")
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(broken)]) == 2
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 10])
    return db


@pytest.mark.parametrize("page", [None, "pages/agreement.py", "pages/attendance.py", "pages/feedback.py", "pages/data.py"])
def test_a_damaged_db_says_so_and_how_to_restore(damaged_db: Path, monkeypatch, page: str | None) -> None:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(damaged_db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    assert any("database file is damaged" in e.value for e in at.error)
    assert any("How to restore" in m.value for m in at.markdown)
    assert any("python -m pipeline ingest" in c.value and ".damaged" in c.value for c in at.code)
    # The failed runs are logged outside the DB, so they are still listed.
    assert "Failed runs" in [h.value for h in at.subheader]
    assert any("broken.csv" in str(v) for v in at.dataframe[-1].value["message"])


def test_a_file_that_is_not_a_db_gets_the_same_page(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "reviews.duckdb"
    db.write_bytes(b"not a database" * 1000)
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert any("database file is damaged" in e.value for e in at.error)
    assert [h.value for h in at.subheader].count("Failed runs") <= 1


# --- 3. rejected rows --------------------------------------------------------------------


def test_rejected_rows_show_the_reason_and_columns_never_the_answers(tmp_path: Path, monkeypatch) -> None:
    """A rejected row from a week of 2 responses: its answers and feedback stay out of the page."""
    survey = tmp_path / "s.csv"
    with open(survey, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", *S.statement_texts, "How could we improve?"])
        writer.writerow(["2026-03-04 16:00", 1, "N/A", 2, 1, "my very own secret words"])
        writer.writerow(["2026-03-04 16:01", 4, 4, 4, 4, ""])
        writer.writerow(["not a time at all", 5, 5, 5, 5, "another secret"])
    db = tmp_path / "r.duckdb"
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert "raw" not in table.columns and "columns" in table.columns
    cells = " ".join(str(v) for v in table.astype(str).to_numpy().ravel())
    assert "secret" not in cells
    by_line = dict(zip(table["line"], table["columns"]))
    assert by_line[2] == S.statement_texts[1]  # the reason names the statement with "N/A"
    assert S.statement_texts[0] in by_line[4] and "Timestamp" in by_line[4]  # no column named: the row's columns
    everything_shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.text])
    assert "secret" not in everything_shown


# --- 18. sign-in -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "verified", "allowed"),
    [("lead@example.com", None, True),  # the provider does not send the claim (e.g. Microsoft Entra ID)
     ("lead@example.com", True, True), ("lead@example.com", "true", True), ("lead@example.com", "True", True),
     ("lead@example.com", False, False), ("lead@example.com", "false", False), ("lead@example.com", 0, False),
     ("lead@example.com", "", False), ("lead@elsewhere.org", True, False), ("", True, False),
     ("lead@EXAMPLE.com", True, True), ("lead@example.com.evil.org", True, False)],
)
def test_sign_in_needs_an_allowed_domain_and_no_unverified_claim(email: str, verified: object, allowed: bool) -> None:
    assert sign_in_allowed(email, verified, ("example.com",)) is allowed


def open_signed_in(monkeypatch, demo_db: Path, tmp_path: Path, user: dict) -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    settings = tmp_path / "settings.toml"
    settings.write_text('allowed_email_domains = ["example.com"]\n')
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    return at.run()


def test_an_unverified_email_is_turned_away(monkeypatch, demo_db: Path, tmp_path: Path) -> None:
    at = open_signed_in(monkeypatch, demo_db, tmp_path,
                        {"is_logged_in": True, "email": "lead@example.com", "email_verified": False})
    assert not at.exception
    assert "is not allowed here" in at.error[0].value and len(at.metric) == 0


def test_a_verified_email_gets_in(monkeypatch, demo_db: Path, tmp_path: Path) -> None:
    at = open_signed_in(monkeypatch, demo_db, tmp_path,
                        {"is_logged_in": True, "email": "lead@example.com", "email_verified": True})
    assert not at.exception and len(at.metric) == 5


def test_the_refused_email_is_shown_as_text(monkeypatch, demo_db: Path, tmp_path: Path) -> None:
    email = "![x](https://evil.example/t.png)**b**@elsewhere.org"
    at = open_signed_in(monkeypatch, demo_db, tmp_path, {"is_logged_in": True, "email": email})
    assert not at.exception
    assert email in [t.value.removeprefix("Signed in as: ") for t in at.text]
    assert not [e.value for e in [*at.error, *at.markdown, *at.caption] if "evil.example" in e.value]
