"""Loading from the browser (the Load data page): upload, preview, fix the mapping, load, sync.

AppTest drives the real page on real DuckDB files; expected figures are recounted from the
rows written here with the csv module, never through the pipeline.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import stat
import tomllib
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.app_loading import (
    BrowserLoadError, BrowserMapping, Upload, failed_since, file_pattern, last_sheet_sync, remember_mapping, safe_upload_name, saved_uploads,
)
from pipeline.cli import main as pipeline_main
from core.access import may_load_data
from core.run_log import failed_runs
from core.settings import Settings, load_settings
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
S = Settings()
STATEMENTS = list(S.statement_texts)
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "review-pulse", "client_secret": "not-a-secret",
        "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration"}

pytestmark = pytest.mark.usefixtures("apptest_like_a_server")

# A survey export whose time column has a header no tool uses: detection refuses it, the
# facilitator names it in the select box. "Respondent e-mail" is never mapped, so never stored.
ROWS = [
    ["2026-03-04 16:05", "ana@example.com", "5", "4", "4", "5", "Shorter please"],
    ["2026-03-04 16:07", "ben@example.com", "4", "4", "3", "4", ""],
    ["2026-03-04 16:09", "cy@example.com", "3", "5", "4", "2", "More themes"],
    ["2026-03-04 16:12", "di@example.com", "5", "5", "5", "5", ""],
    ["2026-03-05 09:30", "ed@example.com", "2", "3", "4", "4", "Ran over"],
    ["2026-03-05 09:45", "fa@example.com", "4", "", "4", "5", ""],
]
HEADER = ["Logged (UTC)", "Respondent e-mail", *STATEMENTS, "How could we improve?"]


def export_bytes(rows: list[list[str]] = ROWS, header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def recount(data: bytes) -> dict[str, tuple[int, float]]:
    """Answers per statement and their mean, straight from the CSV text."""
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    result = {}
    for statement in STATEMENTS:
        scores = [int(row[statement]) for row in table if row[statement].strip()]
        result[statement] = (len(scores), sum(scores) / len(scores))
    return result


def open_load_page(monkeypatch: pytest.MonkeyPatch, db_path: Path, settings_file: Path | None = None,
                   settings_text: str = "") -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db_path))
    if settings_file is not None:
        settings_file.write_text(settings_text)
        monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/load_data.py").run()
    assert not at.exception, at.exception
    return at


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def plain(markdown: str) -> str:
    """Text shown through markdown_literal, with its backslash escapes and word joiners taken off."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def texts(at: AppTest) -> str:
    return "\n".join(plain(v) for v in [*(t.value for t in at.text), *(m.value for m in at.markdown),
                                         *(c.value for c in at.caption), *(e.value for e in at.error),
                                         *(s.value for s in at.success)])


# --- the whole flow ------------------------------------------------------------------------


def test_upload_preview_fix_the_time_column_and_load(monkeypatch, tmp_path: Path, db_path: Path) -> None:
    data = export_bytes()
    at = open_load_page(monkeypatch, db_path, tmp_path / "settings.toml")
    at.file_uploader(key="upload_surveys").set_value(("after-review.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    # Refused with the fix named, and nothing to load yet.
    assert any("no submission-time column" in plain(e.value) and "after-review.csv" in plain(e.value)
               for e in at.error), texts(at)
    load = next(b for b in at.button if b.label.startswith("Load "))
    assert load.disabled
    assert not db_path.exists()

    at.selectbox(key="map_time").set_value("Logged (UTC)").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Usable rows"] == "6" and shown["Rejected rows"] == "0"
    assert "Respondent e-mail" in texts(at)  # named as not stored
    assert "ana@example.com" not in texts(at)  # its values are never shown

    next(b for b in at.button if b.label.startswith("Load ")).click().run()
    assert not at.exception, at.exception
    assert any("Loaded: run" in s.value for s in at.success), texts(at)

    expected = recount(data)
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone() == (6,)
        got = dict((s, (n, m)) for s, n, m in con.execute(
            "SELECT statement, count(*), avg(score) FROM answers GROUP BY 1").fetchall())
        dump = " ".join(str(row) for table in ("responses", "answers", "rejects", "ingest_runs")
                        for row in con.execute(f"SELECT * FROM {table}").fetchall())
    for statement, (count, mean) in expected.items():
        assert got[statement][0] == count and got[statement][1] == pytest.approx(mean, abs=1e-9)
    assert "example.com" not in dump
    assert "after-review.csv" in dump  # the run names the file as uploaded

    # The Overview now has data.
    at.switch_page("pages/overview.py").run()
    assert not at.exception and len(at.metric) == 5


def test_remembered_mapping_is_saved_and_the_cli_uses_it(monkeypatch, tmp_path: Path, db_path: Path) -> None:
    settings_file = tmp_path / "settings.toml"
    at = open_load_page(monkeypatch, db_path, settings_file, "# our settings\nmin_group_size = 5\n")
    at.file_uploader(key="upload_surveys").set_value(("review_2026-03-04.csv", export_bytes(), "text/csv")).run()
    at.selectbox(key="map_time").set_value("Logged (UTC)").run()
    at.checkbox(key="remember_mapping").check().run()
    assert at.text_input(key="remember_pattern").value == "review_*-*-*.csv"
    next(b for b in at.button if b.label.startswith("Load ")).click().run()
    assert not at.exception, at.exception

    saved = settings_file.read_text()
    assert saved.startswith("# our settings")  # comments kept
    assert tomllib.loads(saved)["sources"] == [{"files": ["review_*-*-*.csv"], "time_column": "Logged (UTC)"}]
    # Next week's export loads from the command line with no flags.
    later = tmp_path / "review_2026-03-11.csv"
    later.write_bytes(export_bytes([["2026-03-11 16:00", "gi@example.com", "5", "5", "5", "5", ""]]))
    assert pipeline_main(["ingest", "--db", str(db_path), "--surveys", str(later)]) == 0
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone() == (7,)


def test_a_failed_upload_changes_nothing_and_is_listed(monkeypatch, tmp_path: Path, db_path: Path) -> None:
    good = tmp_path / "first.csv"
    good.write_bytes(export_bytes(header=["Timestamp", *HEADER[1:]]))
    assert pipeline_main(["ingest", "--db", str(db_path), "--surveys", str(good)]) == 0
    before = digest(db_path)
    at = open_load_page(monkeypatch, db_path)
    at.segmented_control(key="upload_kind").set_value("attendance").run()
    at.file_uploader(key="upload_attendance").set_value(("attendance.csv", b"Meeting,Room\nDNS,4\n", "text/csv")).run()
    next(b for b in at.button if b.label.startswith("Load ")).click().run()
    assert not at.exception, at.exception
    assert any(plain(e.value).startswith("Nothing was loaded") for e in at.error), texts(at)
    assert digest(db_path) == before
    logged = failed_runs(db_path)
    assert len(logged) == 1 and logged.iloc[0]["sources"] == "upload attendance.csv"


def test_hostile_file_name_and_cells_render_as_text(monkeypatch, tmp_path: Path, db_path: Path) -> None:
    name = "![x](http://evil.example/p.png) **bold** \x1b[2J.csv"
    header = ["Timestamp", "<img src=x onerror=alert(1)>", *STATEMENTS, "How could we improve?"]
    rows = [["2026-03-04 16:05", "x", "5", "5", "5", "nine", "**bold** [link](http://evil.example)"]]
    at = open_load_page(monkeypatch, db_path)
    at.file_uploader(key="upload_surveys").set_value((name, export_bytes(rows, header), "text/csv")).run()
    assert not at.exception, at.exception
    for element in [*at.markdown, *at.caption, *at.error, *at.warning, *at.info]:
        assert "](http" not in element.value.replace("\\]", "").replace("\\(", "(") or "\\" in element.value
        assert "<img" not in element.value
    assert any("img src" in t.value for t in at.text)  # the header, shown as plain text


def test_uploads_are_written_privately_and_removed(tmp_path: Path) -> None:
    with saved_uploads([Upload("../../etc/passwd", b"a"), Upload("a.csv", b"1"), Upload("a.csv", b"2")]) as paths:
        folder = paths[0].parent
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 and p.parent == folder for p in paths)
        assert [p.name for p in paths] == ["passwd", "a.csv", "a (2).csv"]
        assert [p.read_bytes() for p in paths] == [b"a", b"1", b"2"]
    assert not folder.exists()


@pytest.mark.parametrize(("name", "safe"), [
    ("export.csv", "export.csv"),
    ("C:\\Users\\ana\\Downloads\\Form responses 1.xlsx", "Form responses 1.xlsx"),
    ("../../.bashrc", "bashrc"),
    ("\x1b]0;pwned\x07.csv", "_]0_pwned_.csv"),
    ("", "upload"),
])
def test_safe_upload_name(name: str, safe: str) -> None:
    assert safe_upload_name(name) == safe


@pytest.mark.parametrize(("name", "pattern"), [
    ("review_2026-03-04.csv", "review_*-*-*.csv"),
    ("Incident review (Responses).xlsx", "Incident review (Responses).xlsx"),
    ("odd[1].csv", "odd[[]*].csv"),
])
def test_file_pattern_for_the_next_exports(name: str, pattern: str) -> None:
    assert file_pattern(name) == pattern


def test_a_mapping_the_cli_would_refuse_is_not_saved(tmp_path: Path) -> None:
    settings_file = tmp_path / "s.toml"
    settings_file.write_text("min_group_size = 5\n")
    with pytest.raises(Exception, match="not saved"):
        remember_mapping(settings_file, BrowserMapping(time_column="When"), "   ")
    assert settings_file.read_text() == "min_group_size = 5\n"
    remember_mapping(settings_file, BrowserMapping(statements=((STATEMENTS[0], "Q1"),), scale_max=7), "q_*.csv")
    assert load_settings(settings_file).sources[0].scale_max == 7


# --- the settings file, written safely --------------------------------------------------------


def _saved_patterns(settings_file: Path) -> list[str]:
    return [entry["files"][0] for entry in tomllib.loads(settings_file.read_text()).get("sources", [])]


def test_a_symlinked_settings_file_is_updated_at_its_target_with_its_mode(tmp_path: Path) -> None:
    real = tmp_path / "etc" / "review_pulse.toml"
    real.parent.mkdir()
    real.write_text("# shared settings\nmin_group_size = 7\n")
    real.chmod(0o640)
    link = tmp_path / "app" / "review_pulse.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    remember_mapping(link, BrowserMapping(time_column="Logged (UTC)"), "review_*.csv")
    assert link.is_symlink() and link.resolve() == real
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert real.read_text().startswith("# shared settings")
    assert _saved_patterns(real) == ["review_*.csv"] and load_settings(link).min_group_size == 7
    assert sorted(p.name for p in real.parent.iterdir()) == [".review_pulse.toml.lock", "review_pulse.toml"]


@contextlib.contextmanager
def _read_only_folder(tmp_path: Path):
    """A folder holding a settings file that this process may not write in. Permission bits do not
    stop root, so as root it is a read-only tmpfs mount (skipped where mounting is not allowed)."""
    folder = tmp_path / "settings"
    folder.mkdir()
    if os.geteuid() != 0:
        (folder / "review_pulse.toml").write_text("min_group_size = 5\n")
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    import subprocess

    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("root cannot mount a read-only folder here")
    try:
        (folder / "review_pulse.toml").write_text("min_group_size = 5\n")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_read_only_settings_folder_is_one_clear_line(tmp_path: Path) -> None:
    with _read_only_folder(tmp_path) as folder:
        with pytest.raises(BrowserLoadError) as caught:
            remember_mapping(folder / "review_pulse.toml", BrowserMapping(time_column="When"), "q_*.csv")
        message = str(caught.value)
        assert message.startswith(f"the mapping was not saved: cannot write the settings file in {folder} ("), message
        assert "\n" not in message
        assert (folder / "review_pulse.toml").read_text() == "min_group_size = 5\n"
        assert sorted(p.name for p in folder.iterdir()) == ["review_pulse.toml"]


def _save_many(settings_file: str, worker: int, saves: int, start) -> None:
    start.wait()
    for number in range(saves):
        remember_mapping(Path(settings_file), BrowserMapping(time_column=f"T{worker}"), f"w{worker}_{number}_*.csv")


def test_saves_at_the_same_time_all_land(tmp_path: Path) -> None:
    import multiprocessing

    settings_file = tmp_path / "review_pulse.toml"
    settings_file.write_text("# ours\n")
    workers, saves = 6, 5
    context = multiprocessing.get_context("fork")
    start = context.Barrier(workers)
    processes = [context.Process(target=_save_many, args=(str(settings_file), w, saves, start)) for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * workers
    assert sorted(_saved_patterns(settings_file)) == sorted(f"w{w}_{n}_*.csv" for w in range(workers) for n in range(saves))
    assert settings_file.read_text().startswith("# ours")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".review_pulse.toml.lock", "review_pulse.toml"]


def test_the_page_says_in_one_line_when_the_settings_folder_is_not_writable(monkeypatch, tmp_path: Path,
                                                                           db_path: Path) -> None:
    # /sys is a folder in which no process, root included, may create a file.
    unwritable = Path("/sys/review_pulse_settings.toml")
    if not Path("/sys").is_dir():
        pytest.skip("needs Linux's /sys")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(unwritable))
    at = open_load_page(monkeypatch, db_path)
    at.file_uploader(key="upload_surveys").set_value(("review_2026-03-04.csv", export_bytes(), "text/csv")).run()
    at.selectbox(key="map_time").set_value("Logged (UTC)").run()
    at.checkbox(key="remember_mapping").check().run()
    next(b for b in at.button if b.label.startswith("Load ")).click().run()
    assert not at.exception, at.exception
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and "\n" not in errors[0], texts(at)
    assert errors[0].startswith("Nothing was loaded: the mapping was not saved: cannot write the settings file in /sys")
    assert not unwritable.exists()


# --- who may load --------------------------------------------------------------------------


@pytest.mark.parametrize(("settings", "sign_in", "email", "verified", "allowed"), [
    (Settings(), False, None, None, True),  # local use: open
    (Settings(browser_loading=False), False, None, None, False),
    (Settings(editors=("ana@example.com",)), True, "Ana@Example.com", True, True),
    (Settings(editors=("@example.com",)), True, "ben@example.com", None, True),  # provider sends no claim
    (Settings(editors=("@example.com",)), True, "ben@example.com", False, False),  # unverified address
    (Settings(editors=("@example.com",)), True, "ben@example.com", "false", False),  # sent as a string
    (Settings(editors=("@example.com",)), True, "ben@example.com", "true", True),
    (Settings(editors=("@example.com",)), True, "ben@example.com.evil.org", True, False),
    (Settings(editors=("ana@example.com",)), True, "ben@example.com", True, False),
    (Settings(), True, "ana@example.com", True, False),  # sign-in but no editors: nobody loads
    (Settings(editors=("@example.com",), browser_loading=False), True, "ana@example.com", True, False),
])
def test_who_may_load(settings: Settings, sign_in: bool, email, verified, allowed: bool) -> None:
    assert may_load_data(settings, sign_in, email, verified) is allowed


def test_a_viewer_without_editor_rights_sees_no_upload(monkeypatch, demo_db: Path, tmp_path: Path) -> None:
    settings_file = tmp_path / "s.toml"
    settings_file.write_text('allowed_email_domains = ["example.com"]\neditors = ["lead@example.com"]\n')
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    for email, uploads in (("viewer@example.com", 0), ("lead@example.com", 1)):
        at = AppTest.from_file(APP, default_timeout=90)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": email, "email_verified": True}
        at.run()
        at.switch_page("pages/load_data.py").run()
        assert not at.exception, at.exception
        assert len(at.get("file_uploader")) == uploads, email
        assert ("Sync now" in [b.label for b in at.button]) is False  # no sheets configured


def test_browser_loading_can_be_turned_off(monkeypatch, tmp_path: Path, db_path: Path) -> None:
    at = open_load_page(monkeypatch, db_path, tmp_path / "s.toml", "browser_loading = false\n")
    assert len(at.get("file_uploader")) == 0
    assert any("turned off" in i.value for i in at.info)


# --- Sync from Google Sheets ---------------------------------------------------------------

SHEET_KEY = "1RevPulseAttendanceSheet000000000000000000Ab"


def test_sync_now_reads_the_configured_sheets_and_reports_a_403(
        monkeypatch, tmp_path: Path, db_path: Path, sheets_api: SheetsApiServer) -> None:
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)
    sheets_api.add_sheet(SHEET_KEY, {"Attendance": [["Date", "Attendees"], ["2026-03-04", "21"], ["2026-03-11", "25"]]})
    settings_text = f'[[sheets]]\nkind = "attendance"\nkey = "{SHEET_KEY}"\nworksheet = "Attendance"\n'
    at = open_load_page(monkeypatch, db_path, tmp_path / "s.toml", settings_text)
    assert any("Not synced yet" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Sync now").click().run()
    assert not at.exception, at.exception
    assert any("Loaded: run 1" in s.value for s in at.success), texts(at)
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT sum(attendees), count(*) FROM meetings").fetchone() == (46, 2)
    at.run()
    assert any("Last successful sync:" in c.value for c in at.caption)

    before = digest(db_path)
    sheets_api.script([("status", 403)], on="api")
    next(b for b in at.button if b.label == "Sync now").click().run()
    assert not at.exception, at.exception
    failure = next(plain(e.value) for e in at.error if plain(e.value).startswith("Nothing was loaded"))
    assert "share" in failure and "\n" not in failure
    assert digest(db_path) == before
    at.run()
    assert any("Last sync failed" in w.value for w in at.warning)


def test_pipeline_sync_is_the_same_run(monkeypatch, tmp_path: Path, db_path: Path, sheets_api: SheetsApiServer,
                                       capsys) -> None:
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)
    sheets_api.add_sheet(SHEET_KEY, {"Attendance": [["Date", "Attendees"], ["2026-03-04", "21"]]})
    settings_file = tmp_path / "s.toml"
    settings_file.write_text(f'[[sheets]]\nkind = "attendance"\nkey = "{SHEET_KEY}"\n')
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
    assert pipeline_main(["sync", "--db", str(db_path), "--timeout", "5"]) == 0
    assert "meetings loaded:     1" in capsys.readouterr().out
    settings_file.write_text("")
    assert pipeline_main(["sync", "--db", str(db_path)]) == 2
    assert "no sheets are configured" in capsys.readouterr().err


def test_last_sheet_sync_reads_runs_that_read_a_sheet() -> None:
    from datetime import datetime

    runs = [(datetime(2026, 3, 1), "a.csv"), (datetime(2026, 3, 2), "sheet KEY / Attendance\nb.csv"),
            (datetime(2026, 3, 3), "upload c.csv")]
    assert last_sheet_sync(runs) == datetime(2026, 3, 2)
    assert last_sheet_sync([]) is None
    failures = [("2026-03-02T00:00:00", "sheet KEY", "403"), ("2026-03-01T00:00:00", "sheet KEY", "404")]
    assert failed_since(datetime(2026, 3, 2, 0, 0, 0, 500), failures) == "403"  # same second: later
    assert failed_since(datetime(2026, 3, 2, 0, 0, 1), failures) is None
    assert failed_since(None, [("2026-03-01T00:00:00", "upload a.csv", "x")]) is None


def test_upload_limit_is_set_and_stated() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 200
    assert config["server"]["enableXsrfProtection"] is True
    assert os.path.exists(ROOT / "pages" / "load_data.py")
