"""Hostile inputs through the real CLI: every file either fails the run with one
clear line and leaves the DB byte-for-byte as it was, or loads exactly the rows
we can count by eye in tests/hostile/make_corpus.py. Never a traceback.

Also the anonymity scan: identity values in the inputs appear nowhere in the DB.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
CORPUS = HOSTILE / "corpus"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def _load_generator():
    spec = importlib.util.spec_from_file_location("hostile_make_corpus", HOSTILE / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


mc = _load_generator()
S1, S2, S3, S4, FB = mc.S1, mc.S2, mc.S3, mc.S4, mc.FB


# --- helpers -------------------------------------------------------------------


def ingest(capsys: pytest.CaptureFixture, db: Path, *args: object) -> tuple[int, str, str]:
    """Run ``python -m pipeline ingest --db DB ARGS`` in-process."""
    capsys.readouterr()
    code = main(["ingest", "--db", str(db), *(str(a) for a in args)])
    out, err = capsys.readouterr()
    return code, out, err


def ingest_subprocess(db: Path, *args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-m", "pipeline", "ingest", "--db", str(db), *(str(a) for a in args)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )


def file_state(db: Path) -> str | None:
    """The DB's bytes as a hash (None when there is no file)."""
    return hashlib.sha256(db.read_bytes()).hexdigest() if db.exists() else None


def assert_one_line_error(code: int, err: str, source: Path | str, problem: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert str(source) in lines[0], err
    assert problem.casefold() in lines[0].casefold(), err


def assert_no_leftovers(db: Path) -> None:
    """No staging copy, reader's link or WAL beside the DB after a run."""
    stray = [p.name for p in db.parent.iterdir() if ".next-" in p.name or ".read-" in p.name or p.name.endswith(".wal")]
    assert stray == []


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def count(db: Path, table: str) -> int:
    return query(db, f"SELECT count(*) FROM {table}")[0][0]


def rejects_by_line(db: Path) -> dict[int, tuple[str, dict]]:
    rows = query(db, "SELECT line, reason, raw FROM rejects ORDER BY line")
    lines = [r[0] for r in rows]
    assert len(lines) == len(set(lines)), rows
    return {line: (reason, json.loads(raw)) for line, reason, raw in rows}


def feedback_texts(db: Path) -> list[str]:
    return sorted(r[0] for r in query(db, "SELECT feedback FROM responses WHERE feedback IS NOT NULL"))


def answers_by_feedback(db: Path) -> dict[str, dict[str, int]]:
    rows = query(db, """SELECT r.feedback, a.statement, a.score FROM responses r
                        JOIN answers a USING (response_key)""")
    result: dict[str, dict[str, int]] = {}
    for feedback, statement, score in rows:
        result.setdefault(feedback, {})[statement] = score
    return result


@pytest.fixture(scope="module")
def baseline_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DB with some data in it, so 'unchanged' means more than 'still missing'."""
    folder = tmp_path_factory.mktemp("baseline")
    db = folder / "reviews.duckdb"
    assert main(["ingest", "--db", str(db), "--surveys", str(CORPUS / "tabs.tsv")]) == 0
    return db


@pytest.fixture
def live_db(baseline_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "live" / "reviews.duckdb"
    db.parent.mkdir()
    shutil.copy2(baseline_db, db)
    return db


# --- the corpus itself -------------------------------------------------------------


def test_corpus_is_what_the_generator_writes(tmp_path: Path) -> None:
    written = mc.write_corpus(tmp_path / "fresh")
    assert len(written) >= 30
    committed = sorted(p.name for p in CORPUS.iterdir())
    assert committed == sorted(p.name for p in written)
    for path in written:
        assert (CORPUS / path.name).read_bytes() == path.read_bytes(), f"{path.name}: run make_corpus.py"


# --- files that must fail the run --------------------------------------------------

UNREADABLE = [
    ("empty.csv", "the file is empty"),
    ("blank_lines_only.csv", "the file is empty"),
    ("random_bytes.csv", "binary content"),
    ("picture.png", "binary content"),
    ("truncated_utf8.csv", "ends in the middle of a UTF-8 character"),
    ("unclosed_quote.csv", "malformed CSV near line 3"),
    ("nul_in_text.csv", "binary content"),
    ("corrupt.xlsx", "not a readable .xlsx workbook"),
    ("truncated.xlsx", "not a readable .xlsx workbook"),
    ("old_format.xls", "old Excel .xls format"),
    ("no_statements.csv", "no survey statement columns"),
    ("no_time_column.csv", "no submission-time column"),
    ("same_statement_twice.csv", "both answer"),
]


@pytest.mark.parametrize(("name", "problem"), UNREADABLE, ids=[n for n, _ in UNREADABLE])
def test_unreadable_file_fails_with_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture, tmp_path: Path, live_db: Path, name: str, problem: str
) -> None:
    bad = CORPUS / name
    # No DB yet: none is created.
    missing = tmp_path / "new" / "reviews.duckdb"
    code, out, err = ingest(capsys, missing, "--surveys", bad)
    assert_one_line_error(code, err, bad, problem)
    assert not missing.exists()
    # A live DB, a good file before the bad one: the DB keeps its exact bytes.
    before = file_state(live_db)
    code, out, err = ingest(capsys, live_db, "--surveys", CORPUS / "labels.csv", bad)
    assert_one_line_error(code, err, bad, problem)
    assert file_state(live_db) == before
    assert_no_leftovers(live_db)


@pytest.mark.parametrize(
    ("name", "problem"),
    [("picture.png", "binary content"), ("tabs.tsv", "no attendee count column"), ("corrupt.xlsx", "not a readable")],
)
def test_unreadable_attendance_file_changes_nothing(
    capsys: pytest.CaptureFixture, live_db: Path, name: str, problem: str
) -> None:
    before = file_state(live_db)
    code, _, err = ingest(capsys, live_db, "--surveys", CORPUS / "labels.csv", "--attendance", CORPUS / name)
    assert_one_line_error(code, err, CORPUS / name, problem)
    assert file_state(live_db) == before


def test_missing_file_and_empty_folder(capsys: pytest.CaptureFixture, tmp_path: Path, live_db: Path) -> None:
    before = file_state(live_db)
    missing = tmp_path / "nope.csv"
    code, _, err = ingest(capsys, live_db, "--surveys", missing)
    assert_one_line_error(code, err, missing, "no such file")
    folder = tmp_path / "empty-folder"
    folder.mkdir()
    (folder / "notes.md").write_text("not an export")
    code, _, err = ingest(capsys, live_db, "--surveys", folder)
    assert_one_line_error(code, err, folder, "holds no .csv or .xlsx")
    assert file_state(live_db) == before


@pytest.mark.parametrize(
    ("name", "problem"),
    [("empty.csv", "the file is empty"), ("random_bytes.csv", "binary content"),
     ("corrupt.xlsx", "not a readable .xlsx workbook"), ("old_format.xls", "old Excel .xls format"),
     ("truncated_utf8.csv", "UTF-8")],
)
def test_unreadable_file_via_subprocess(live_db: Path, name: str, problem: str) -> None:
    before = file_state(live_db)
    result = ingest_subprocess(live_db, "--surveys", CORPUS / "labels.csv", CORPUS / name)
    assert_one_line_error(result.returncode, result.stderr, CORPUS / name, problem)
    assert file_state(live_db) == before
    assert_no_leftovers(live_db)


def test_strict_mode_with_rejects_changes_nothing(capsys: pytest.CaptureFixture, live_db: Path) -> None:
    before = file_state(live_db)
    code, _, err = ingest(capsys, live_db, "--strict", "--surveys", CORPUS / "labels.csv")
    assert code == 2 and err.startswith("error: --strict: 5 rows rejected") and len(err.strip().splitlines()) == 1
    assert str(CORPUS / "labels.csv") in err
    assert file_state(live_db) == before


# --- files that load: exact numbers ------------------------------------------------

# name -> (responses, answers, {reject line: words its reason must contain})
LOADABLE = {
    "header_only.csv": (0, 0, {}),
    "utf16le_no_bom.csv": (3, 12, {}),
    "utf16_bom_tab.txt": (2, 8, {4: "a number, but not a whole number from 1 to 5"}),
    "cp1252_accents.csv": (3, 12, {}),
    "cp1252_accent_at_end.csv": (1, 4, {}),
    "formulas.csv": (6, 24, {8: "not a 1-5 answer"}),
    "html_payloads.csv": (8, 32, {}),
    "rtl_emoji.csv": (5, 20, {}),
    "dates_range.csv": (3, 12, {4: "before 2000", 5: "before 2000", 6: "in the future",
                                7: "no full date", 8: "no full date"}),
    "timezones.csv": (7, 28, {}),
    "serial_dates.csv": (4, 16, {}),
    "day_first.csv": (3, 12, {}),
    "month_first.csv": (2, 8, {}),
    "blank_headers.csv": (2, 8, {4: "not a 1-5 answer or an agree/disagree label"}),
    "twice.csv": (3, 12, {5: "a number, but not a whole number from 1 to 5"}),
    "semicolon.csv": (2, 8, {4: "a number, but not a whole number from 1 to 5"}),
    "tabs.tsv": (2, 8, {}),
    "crlf.csv": (2, 8, {6: "a number, but not a whole number from 1 to 5"}),
    "cr_only.csv": (2, 8, {}),
    "bom_quoted_header.csv": (2, 8, {}),
    "leading_blank_lines.csv": (1, 4, {6: "no answers"}),
    "labels.csv": (4, 13, {6: "a number, but not a whole number from 1 to 5", 7: "a number, but not a whole number from 1 to 5", 8: "a number, but not a whole number from 1 to 5", 9: "not a 1-5 answer or an agree/disagree label", 10: "not a 1-5 answer or an agree/disagree label"}),
    "long_with_id.csv": (2, 6, {9: "not a 1-5 answer or an agree/disagree label"}),
    "long_without_id.csv": (2, 4, {}),
    # Answers to questions that are not statements are not stored, not even as rejects.
    "long_unknown_question.csv": (1, 2, {}),
    "responses.xlsx": (4, 16, {5: "not a 1-5 answer or an agree/disagree label"}),
}


def assert_loaded(db: Path, responses: int, answers: int, rejects: dict[int, str]) -> None:
    assert count(db, "responses") == responses
    assert count(db, "answers") == answers
    found = rejects_by_line(db)
    assert sorted(found) == sorted(rejects)
    for line, words in rejects.items():
        assert words in found[line][0], (line, found[line][0])


@pytest.mark.parametrize("name", sorted(LOADABLE))
def test_loadable_file_gives_exact_counts(capsys: pytest.CaptureFixture, db_path: Path, name: str) -> None:
    responses, answers, rejects = LOADABLE[name]
    code, out, err = ingest(capsys, db_path, "--surveys", CORPUS / name)
    assert (code, err) == (0, "")
    assert f"responses added:     {responses}\n" in out
    assert_loaded(db_path, responses, answers, rejects)
    assert query(db_path, "SELECT DISTINCT source_file FROM rejects UNION SELECT DISTINCT source_file FROM responses") in (
        [], [(str(CORPUS / name),)])
    # Loading the same export again stores nothing twice.
    code, out, _ = ingest(capsys, db_path, "--surveys", CORPUS / name)
    assert code == 0 and "responses added:     0\n" in out
    assert_loaded(db_path, responses, answers, rejects)
    assert_no_leftovers(db_path)


@pytest.mark.parametrize("name", ["utf16_bom_tab.txt", "responses.xlsx", "semicolon.csv", "long_with_id.csv"])
def test_loadable_file_via_subprocess(db_path: Path, name: str) -> None:
    responses, answers, rejects = LOADABLE[name]
    result = ingest_subprocess(db_path, "--surveys", CORPUS / name)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert_loaded(db_path, responses, answers, rejects)


def test_reject_keeps_the_raw_row(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "labels.csv")[0] == 0
    reason, raw = rejects_by_line(db_path)[9]
    assert S1 in reason
    assert raw == {"Timestamp": "2025-03-03 10:07", S1: "yes", S2: "4", S3: "4", S4: "4", FB: "yes"}


def test_answer_labels_in_any_case_and_spacing(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "labels.csv")[0] == 0
    assert answers_by_feedback(db_path) == {
        "labels": {S1: 5, S2: 3, S3: 5, S4: 1},
        "more labels": {S1: 2, S2: 4, S3: 3, S4: 4},
        "mixed": {S1: 3, S2: 4, S3: 1, S4: 2},
        "partial": {S1: 5},
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("formulas.csv", [t.strip() for t in mc.FORMULAS]),  # surrounding whitespace is trimmed
        ("html_payloads.csv", mc.PAYLOADS),
        ("rtl_emoji.csv", mc.RTL_EMOJI),
    ],
)
def test_payloads_in_feedback_are_stored_verbatim(
    capsys: pytest.CaptureFixture, db_path: Path, name: str, expected: list[str]
) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / name)[0] == 0
    assert feedback_texts(db_path) == sorted(expected)
    # The public view the dashboard reads returns the same text.
    assert sorted(r[0] for r in query(db_path, "SELECT text FROM feedback")) == sorted(expected)


def test_formula_text_in_an_answer_is_rejected_and_kept_as_text(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "formulas.csv")[0] == 0
    _, raw = rejects_by_line(db_path)[8]
    assert raw[S1] == '=HYPERLINK("http://evil.example","5")'


def test_encodings_decode_to_the_right_text(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    for name in ("utf16le_no_bom.csv", "utf16_bom_tab.txt", "cp1252_accents.csv", "cp1252_accent_at_end.csv",
                 "bom_quoted_header.csv"):
        assert ingest(capsys, db_path, "--surveys", CORPUS / name)[0] == 0
    assert feedback_texts(db_path) == sorted([
        "Très bien", "Ça va",  # UTF-16 LE, no BOM
        "Grüße, merci",  # UTF-16 with BOM, tabs
        "Très bien, merci", "Señor Müller’s “quotes” – dash", "café",  # cp1252, ends "café" CRLF
        "merci au café",  # cp1252 whose only accent is 3 bytes from the end: not a cut UTF-8 file
        "with bom",
    ])
    # The UTF-8 BOM did not end up in the time column's name.
    assert query(db_path, "SELECT count(*) FROM rejects WHERE raw LIKE '%\ufeff%'")[0][0] == 0


def test_line_endings_and_line_numbers(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "crlf.csv", CORPUS / "cr_only.csv")[0] == 0
    lines = query(db_path, "SELECT source_file, source_line, feedback FROM responses ORDER BY 1, 2")
    assert [(Path(f).name, line, text) for f, line, text in lines] == [
        ("cr_only.csv", 2, "cr one"), ("cr_only.csv", 3, "cr two"),
        ("crlf.csv", 2, "first line\r\nsecond line"), ("crlf.csv", 4, "plain"),
    ]


def _utc_by_feedback(db: Path) -> dict[str, tuple[datetime, datetime]]:
    return {fb: (utc, local) for fb, utc, local in query(db, "SELECT feedback, submitted_utc, submitted_local FROM responses")}


def test_timezone_suffixes_with_utc_settings(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "timezones.csv")[0] == 0
    utc = {fb: u for fb, (u, _) in _utc_by_feedback(db_path).items()}
    assert utc == {
        "zulu": datetime(2025, 3, 3, 10, 0),
        "plus two": datetime(2025, 3, 3, 8, 0),
        "minus five": datetime(2025, 3, 3, 15, 0),
        "utc suffix": datetime(2025, 3, 3, 10, 0),
        "plus five thirty": datetime(2025, 3, 3, 4, 30, 0, 250000),
        "naive": datetime(2025, 3, 3, 10, 0),
        "naive summer": datetime(2025, 7, 1, 10, 0),
    }


def test_timezone_suffixes_with_a_local_timezone(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path
) -> None:
    settings = tmp_path / "review_pulse.toml"
    settings.write_text('timezone = "Europe/Berlin"\n')
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    assert ingest(capsys, db_path, "--surveys", CORPUS / "timezones.csv")[0] == 0
    # Berlin is UTC+1 in March and UTC+2 in July; naive times are Berlin time.
    assert _utc_by_feedback(db_path) == {
        "zulu": (datetime(2025, 3, 3, 10, 0), datetime(2025, 3, 3, 11, 0)),
        "plus two": (datetime(2025, 3, 3, 8, 0), datetime(2025, 3, 3, 9, 0)),
        "minus five": (datetime(2025, 3, 3, 15, 0), datetime(2025, 3, 3, 16, 0)),
        "utc suffix": (datetime(2025, 3, 3, 10, 0), datetime(2025, 3, 3, 11, 0)),
        "plus five thirty": (datetime(2025, 3, 3, 4, 30, 0, 250000), datetime(2025, 3, 3, 5, 30, 0, 250000)),
        "naive": (datetime(2025, 3, 3, 9, 0), datetime(2025, 3, 3, 10, 0)),
        "naive summer": (datetime(2025, 7, 1, 8, 0), datetime(2025, 7, 1, 10, 0)),
    }


def test_serial_numbers_and_epochs(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "serial_dates.csv")[0] == 0
    utc = {fb: u for fb, (u, _) in _utc_by_feedback(db_path).items()}
    assert utc == {
        "serial day": datetime(2025, 3, 3),  # 45719 days after 1899-12-30
        "serial evening": datetime(2025, 3, 3, 18, 0),  # .75 of a day
        "epoch seconds": datetime(2025, 3, 3, 11, 6, 40),  # 1741000000 s after 1970-01-01
        "epoch millis": datetime(2025, 3, 3, 11, 6, 40),
    }


def test_day_month_order_is_decided_per_column(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "day_first.csv", CORPUS / "month_first.csv")[0] == 0
    days = {fb: u.date() for fb, (u, _) in _utc_by_feedback(db_path).items()}
    assert days == {
        "third of February": date(2025, 2, 3),
        "thirteenth of February": date(2025, 2, 13),
        "first of March": date(2025, 3, 1),
        "second of March": date(2025, 3, 2),
    }
    # "thirteenth of February" is the same response (time, answers, feedback) in both files: stored once.
    assert count(db_path, "responses") == 4


def test_dates_before_2000_and_in_the_future(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "dates_range.csv")[0] == 0
    utc = {fb: u for fb, (u, _) in _utc_by_feedback(db_path).items()}
    assert utc == {
        "first moment of 2000": datetime(2000, 1, 1),
        "ordinary": datetime(2025, 3, 3, 10, 0),
        "rfc 2822 style": datetime(2025, 3, 3, 9, 15),
    }


def test_duplicate_and_blank_headers(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     db_path: Path) -> None:
    # Two columns under the feedback question's name: which one is the feedback is the user's to say.
    source = CORPUS / "duplicate_headers.csv"
    code, _out, err = ingest(capsys, db_path, "--surveys", source)
    assert (code, err) == (2, f"error: {source}: columns 6 ({FB!r}) and 9 ('{FB} (2)') both answer the feedback "
                              f"question {FB!r}; name one as feedback_column in [[sources]] or remove the other\n")
    assert not db_path.exists() or query(db_path, "SELECT count(*) FROM responses")[0][0] == 0
    settings = tmp_path / "review_pulse.toml"
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    # Declaring the name both columns share says no more than the header did: refused too.
    settings.write_text(f'[[sources]]\nfiles = ["duplicate_headers.csv"]\nfeedback_column = "{FB}"\n', encoding="utf-8")
    code, _out, err = ingest(capsys, db_path, "--surveys", source)
    assert (code, err) == (2, f"error: {source}: {FB!r}, the feedback column (from [[sources]]), names two columns, "
                              f"6 ({FB!r}) and 9 ('{FB} (2)'); rename one of them in the file, or name the second "
                              f"as '{FB} (2)'\n")
    settings.write_text(f'[[sources]]\nfiles = ["duplicate_headers.csv"]\nfeedback_column = "{FB} (2)"\n',
                        encoding="utf-8")
    assert ingest(capsys, db_path, "--surveys", source)[0] == 0
    assert query(db_path, "SELECT count(*) FROM responses")[0][0] == 2
    # The declared column is the feedback; the other is not mixed in.
    assert feedback_texts(db_path) == ["only in the second", "second feedback"]
    _, raw = rejects_by_line(db_path)[4]
    # Only mapped columns are kept in a reject: the repeated and unrelated ones are only named.
    assert "Notes" not in raw and "Notes (2)" not in raw and FB not in raw and raw[f"{FB} (2)"] == "x"
    assert {"Notes", "Notes (2)", FB} <= set(query(db_path, "SELECT dropped_columns FROM ingest_runs")[0][0].split(", "))

    other = db_path.with_name("blank.duckdb")
    code, out, _ = ingest(capsys, other, "--surveys", CORPUS / "blank_headers.csv")
    assert code == 0
    _, raw = rejects_by_line(other)[4]
    # Blank header cells get a name; unmapped columns (misc notes, Slack member ids) are not stored.
    assert raw == {"Timestamp": "2025-03-03 10:10", S1: "yes", S2: "4", S3: "4", S4: "4", FB: "bad"}
    assert "column 9" in query(other, "SELECT dropped_columns FROM ingest_runs")[0][0]


def test_same_file_twice_in_one_run(capsys: pytest.CaptureFixture, tmp_path: Path, db_path: Path) -> None:
    twice = CORPUS / "twice.csv"
    code, out, _ = ingest(capsys, db_path, "--surveys", twice, twice)
    assert code == 0
    # Two identical rows inside the export stay two responses; the second copy of the file adds nothing.
    assert count(db_path, "responses") == 3
    assert query(db_path, "SELECT count(*) FROM responses WHERE feedback = 'same'")[0][0] == 2
    assert count(db_path, "answers") == 12
    assert count(db_path, "rejects") == 1
    # A later run with a folder holding a copy of the file, plus the file itself: nothing new.
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copyfile(twice, folder / "renamed copy.csv")
    code, out, _ = ingest(capsys, db_path, "--surveys", folder, twice)
    assert code == 0 and "responses added:     0\n" in out
    assert count(db_path, "responses") == 3 and count(db_path, "rejects") == 1


def test_long_layouts(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    for name in ("long_with_id.csv", "long_without_id.csv"):
        assert ingest(capsys, db_path, "--surveys", CORPUS / name)[0] == 0
    rows = query(db_path, """SELECT r.submitted_utc, r.feedback, a.statement, a.score
                             FROM responses r JOIN answers a USING (response_key)""")
    assert sorted(rows, key=repr) == sorted([
        (datetime(2025, 3, 3, 10, 0), "long A feedback", S1, 5),
        (datetime(2025, 3, 3, 10, 0), "long A feedback", S2, 4),
        (datetime(2025, 3, 3, 10, 0), "long A feedback", S3, 4),
        (datetime(2025, 3, 3, 10, 0), "long A feedback", S4, 3),
        (datetime(2025, 3, 3, 10, 5), None, S1, 2),
        (datetime(2025, 3, 3, 10, 5), None, S2, 1),
        (datetime(2025, 3, 3, 10, 0), "long no id", S1, 5),
        (datetime(2025, 3, 3, 10, 0), "long no id", S2, 4),
        (datetime(2025, 3, 3, 10, 7), None, S1, 3),
        (datetime(2025, 3, 3, 10, 7), None, S4, 2),
    ], key=repr)


def test_xlsx_cells_keep_their_types(capsys: pytest.CaptureFixture, db_path: Path) -> None:
    assert ingest(capsys, db_path, "--surveys", CORPUS / "responses.xlsx")[0] == 0
    rows = query(db_path, "SELECT source_line, submitted_utc, feedback FROM responses ORDER BY source_line")
    assert rows == [
        (2, datetime(2025, 3, 3, 10, 0), "+cmd from xlsx"),
        (3, datetime(2025, 3, 3, 10, 5), None),
        (4, datetime(2025, 3, 3, 12, 0), "serial number time"),  # 45719.5
        (7, datetime(2025, 3, 3, 10, 20), "@SUM(A1) text cell"),
    ]
    assert query(db_path, """SELECT a.statement, a.score FROM answers a JOIN responses r USING (response_key)
                             WHERE r.source_line = 3 ORDER BY a.statement""") == sorted(
        [(S1, 5), (S2, 4), (S3, 4), (S4, 3)])


# --- large inputs, generated here --------------------------------------------------


def test_five_megabyte_cell(capsys: pytest.CaptureFixture, tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "big_cell.csv"
    source.write_bytes(mc.big_cell_csv())
    code, _, err = ingest(capsys, db_path, "--surveys", source)
    assert (code, err) == (0, "")
    assert_loaded(db_path, 1, 4, {3: "feedback is 5,242,880 characters (limit 20,000)", 4: "not a 1-5 answer"})
    # The rejects keep a capped copy of the row, not 5 MB of it.
    for reason, raw in rejects_by_line(db_path).values():
        assert len(reason) < 500
        assert sum(len(v) for v in raw.values()) < 10_000
    assert db_path.stat().st_size < 20 * 1024 * 1024


def test_ten_thousand_columns(capsys: pytest.CaptureFixture, tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "wide.csv"
    source.write_bytes(mc.ten_thousand_columns_csv())
    code, _, err = ingest(capsys, db_path, "--surveys", source)
    assert (code, err) == (0, "")
    assert_loaded(db_path, 2, 8, {4: "a number, but not a whole number from 1 to 5"})
    assert feedback_texts(db_path) == ["wide one", "wide two"]
    _, raw = rejects_by_line(db_path)[4]
    # The reject keeps the mapped cells only; the 9,994 extra columns are named, never stored.
    assert "Extra 1" not in raw and raw[FB] == "wide bad" and len(raw) == 6


# --- anonymity ------------------------------------------------------------------------

NAMES = ["Zebulon Quintavalle", "Marisol Fenwick", "Oluwaseun Prakash"]
EMAILS = ["zebulon.q@example.org", "marisol.fenwick@example.net", "o.prakash@corp.example.com"]
SLACK_IDS = ["U024BE7LH", "W012A3CDE", "U07QWERTY9"]
SECRETS = NAMES + EMAILS + SLACK_IDS


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_bytes(mc._utf8(rows))
    return path


def _identity_inputs(folder: Path) -> tuple[list[Path], list[Path]]:
    zeb, mar, olu = NAMES
    zeb_mail, mar_mail, olu_mail = EMAILS
    u1, w2, u3 = SLACK_IDS
    wide = _write_csv(folder / "wide_identity.csv", [
        ["Timestamp", "Submitted by", "Email Address", S1, S2, S3, S4, FB, "Slack user", "Respondent", "", "Who"],
        ["2025-03-03 10:00", zeb, zeb_mail, "5", "4", "4", "3", "good", u1, zeb, w2, mar],
        ["2025-03-03 10:05", mar, mar_mail, "4", "4", "4", "4", "", w2, mar, u3, olu],
        ["2025-03-03 10:10", olu, olu_mail, "yes", "4", "4", "4", "bad answer", u3, olu, u1, zeb],  # reject
        ["not a time", zeb, zeb_mail, "4", "4", "4", "4", "bad time", u1, zeb, w2, mar],  # reject
        ["2025-03-03 10:20", mar, mar_mail, "3", "3", "3", "3", "cell beyond the header", w2, mar, u3, olu, zeb_mail],
    ])
    # "ID" holds Slack member ids: it names people, so it is neither a response id nor stored.
    long_ids = _write_csv(folder / "long_identity.csv", [
        ["Timestamp", "Username", "Question", "Answer", "ID"],
        ["2025-03-03 10:00", zeb, S1, "5", u1],
        ["2025-03-03 10:00", zeb, S2, "4", u1],
        ["2025-03-03 10:00", zeb, FB, "long feedback", u1],
        ["2025-03-03 10:00", mar, S1, "2", w2],  # same time, another person: another response
        ["2025-03-03 10:00", mar, "Favourite snack?", "crisps", w2],  # not a statement: not stored
        ["2025-03-10 10:00", zeb, S1, "maybe", u1],  # reject: bad answer
        ["2025-03-10 10:00", zeb, S3, "3", u1],  # a response a week later
    ])
    long_email = _write_csv(folder / "long_email.csv", [
        ["Response ID", "Submitted at", "Email", "Question", "Answer"],
        ["r1", "2025-03-04 09:00", olu_mail, S1, "4"],
        ["r1", "2025-03-04 09:00", olu_mail, S4, "n/a"],  # reject: bad answer
        ["r2", "someday", mar_mail, S2, "4"],  # reject: bad time
        ["r3", "2025-03-04 09:30", f"<@{u1}|zebulon>", S2, "5"],
    ])
    per_attendee = _write_csv(folder / "attendance_people.csv", [
        ["Date", "Attendee", "Attendee email", "Meeting"],
        ["2025-03-05", zeb, zeb_mail, "Checkout outage review"],
        ["2025-03-05", mar, mar_mail, "Checkout outage review"],
        ["2025-03-05", zeb.lower(), zeb_mail, "Checkout outage review"],  # the same person again
        ["2025-03-12", olu, olu_mail, "DNS review"],
        ["someday", mar, mar_mail, "DNS review"],  # reject: bad date
        ["2025-03-12", "", "", "DNS review"],  # reject: no attendee
    ])
    names_under_count = _write_csv(folder / "attendance_list.csv", [
        ["Date", "Attendees"],
        ["2025-03-19", zeb],
        ["2025-03-19", mar],
        ["2025-03-19", u3],
    ])
    slack_people = _write_csv(folder / "attendance_slack.csv", [
        ["Meeting date", "Participant", "Slack ID"],
        ["2025-03-26", zeb, u1],
        ["2025-03-26", mar, w2],
        ["not a date", olu, u3],  # reject
    ])
    return [wide, long_ids, long_email], [per_attendee, names_under_count, slack_people]


def _xlsx_with_identity(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Timestamp", "Name", "Slack ID", S1, S2, S3, S4, FB])
    sheet.append([datetime(2025, 3, 6, 10, 0), NAMES[2], SLACK_IDS[2], 5, 5, 5, 5, "xlsx ok"])
    sheet.append([datetime(2025, 3, 6, 10, 5), NAMES[0], SLACK_IDS[0], 7, 5, 5, 5, "xlsx bad"])  # reject
    book.save(path)
    return path


def all_text_in_db(db: Path) -> list[tuple[str, str, str]]:
    """Every value of every column of every table and view, as text."""
    found = []
    with duckdb.connect(str(db), read_only=True) as con:
        relations = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
        for (relation,) in relations:
            columns = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
                [relation],
            ).fetchall()
            for (column,) in columns:
                values = con.execute(
                    f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{relation}" WHERE "{column}" IS NOT NULL'
                ).fetchall()
                found.extend((relation, column, v[0]) for v in values)
    return found


def test_identity_values_are_stored_nowhere(capsys: pytest.CaptureFixture, tmp_path: Path, db_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    surveys, attendance = _identity_inputs(inputs)
    surveys.append(_xlsx_with_identity(inputs / "identity.xlsx"))
    code, out, err = ingest(capsys, db_path, "--surveys", *surveys, "--attendance", *attendance)
    assert (code, err) == (0, "")

    # The run did load things (the scan below is not vacuous).
    per_file = dict(query(db_path, "SELECT source_file, count(*) FROM responses GROUP BY 1"))
    assert {Path(k).name: v for k, v in per_file.items()} == {
        "wide_identity.csv": 3, "long_identity.csv": 3, "long_email.csv": 2, "identity.xlsx": 1}
    rejects = dict(query(db_path, "SELECT source_file, count(*) FROM rejects GROUP BY 1"))
    assert {Path(k).name: v for k, v in rejects.items()} == {
        "wide_identity.csv": 2, "long_identity.csv": 1, "long_email.csv": 2, "identity.xlsx": 1,
        "attendance_people.csv": 2, "attendance_slack.csv": 1}
    assert query(db_path, "SELECT meeting_date, attendees FROM meetings ORDER BY 1") == [
        (date(2025, 3, 5), 2), (date(2025, 3, 12), 1), (date(2025, 3, 19), 3), (date(2025, 3, 26), 2)]

    texts = all_text_in_db(db_path)
    relations = {r for r, _, _ in texts}
    assert {"responses", "answers", "rejects", "meetings", "ingest_runs", "feedback", "weekly_scores",
            "weekly_statement_scores", "weekly_attendance"} <= relations
    leaks = [(rel, col, value[:120]) for rel, col, value in texts
             for secret in SECRETS if secret.casefold() in value.casefold()]
    assert leaks == []
    # The dropped columns are reported by name.
    dropped = query(db_path, "SELECT dropped_columns FROM ingest_runs")[0][0]
    for header in ("Submitted by", "Email Address", "Slack user", "Respondent", "Who", "Username", "ID", "Email"):
        assert header in dropped.split(", "), dropped


# Planted in every answer to a question that is neither a statement nor the feedback question.
UNMAPPED_ANSWER = "planted.marker.41x@example.org"
ID_TIME_QUESTION_ANSWER = ["Response ID", "Timestamp", "Question", "Answer"]
# name -> (header, rows); the long layout's question is its column: an unmapped one is never stored.
LONG_UNMAPPED_QUESTIONS = {
    "with a response id": (ID_TIME_QUESTION_ANSWER, [
        ["r1", "2025-03-03 10:00", S1, "5"],
        ["r1", "2025-03-03 10:00", "What is your email address?", UNMAPPED_ANSWER],
        ["r1", "2025-03-03 10:00", FB, "shorter please"],
        ["r2", "2025-03-03 10:05", S2, "4"],
        ["r2", "not a time", "Your name", UNMAPPED_ANSWER],  # a bad time too: still not stored
        ["r2", "2025-03-03 10:05", S3, "maybe"],  # a reject, its raw row without the marker
        ["r3", "2025-03-03 10:10", "Your name", UNMAPPED_ANSWER],  # only unmapped answers: no response
        ["r4", "2025-03-03 10:15", "", UNMAPPED_ANSWER],  # no question at all
        ["r4", "not a time", S4, "3"],  # a reject
        ["r4", "2025-03-03 10:15", S4, "3"],
    ]),
    "grouped by time": (["Timestamp", "Question", "Answer"], [
        ["2025-03-03 10:00", S1, "2"],
        ["2025-03-03 10:00", "Team", UNMAPPED_ANSWER],
        ["2025-03-03 10:20", "Team", UNMAPPED_ANSWER],
        ["2025-03-03 10:30", S2, "1"],
        ["2025-03-03 10:30", S3, "1"],
        ["2025-03-03 10:30", S4, "six"],  # a reject
    ]),
}


def long_counts(header: list[str], rows: list[list[str]]) -> tuple[int, int, int]:
    """(responses, answers, rejects) the rows make: a response is a response id (else a time) with a good
    answer to a statement or feedback; a statement's answer other than 1-5, or a bad time, is a reject."""
    column = {name: header.index(name) for name in header}
    good_time = lambda row: row[column["Timestamp"]].startswith("2025-")  # noqa: E731
    good_answer = lambda row: row[column["Answer"]] in {"1", "2", "3", "4", "5"}  # noqa: E731
    mapped = [row for row in rows if row[column["Question"]] in (S1, S2, S3, S4, FB)]
    stored = [row for row in mapped if good_time(row) and (row[column["Question"]] == FB or good_answer(row))]
    group = column.get("Response ID", column["Timestamp"])
    answers = sum(1 for row in stored if row[column["Question"]] != FB)
    return len({row[group] for row in stored}), answers, len(mapped) - len(stored)


@pytest.mark.parametrize("case", sorted(LONG_UNMAPPED_QUESTIONS))
def test_long_layout_answers_to_unmapped_questions_are_stored_nowhere(tmp_path: Path, case: str) -> None:
    from core.settings import Settings
    from tests.test_csv_fast_path import load_both_ways

    header, rows = LONG_UNMAPPED_QUESTIONS[case]
    source = _write_csv(tmp_path / "long.csv", [header, *rows])
    summary, _ = load_both_ways(tmp_path, Settings(), [source])
    responses, answers, rejects = long_counts(header, rows)
    db = tmp_path / "python.duckdb"
    assert [count(db, "responses"), count(db, "answers"), count(db, "rejects")] == [responses, answers, rejects]
    assert (summary.responses_added, summary.answers_added, summary.rejects_added) == (responses, answers, rejects)
    texts = all_text_in_db(db)
    assert {"responses", "answers", "rejects", "ingest_runs"} <= {relation for relation, _, _ in texts}
    assert [(relation, column) for relation, column, value in texts if UNMAPPED_ANSWER in value] == []
    # Named in the summary as not stored, as a wide file's unmapped column is.
    unmapped = sorted({f"Question = {row[header.index('Question')]!r}" for row in rows
                       if row[header.index("Answer")] == UNMAPPED_ANSWER})
    assert unmapped and all(name in summary.unused_columns for name in unmapped)
    assert UNMAPPED_ANSWER not in "\n".join(summary.lines())


def test_long_layout_without_a_mapped_question_is_refused(capsys: pytest.CaptureFixture, tmp_path: Path,
                                                          db_path: Path) -> None:
    source = _write_csv(tmp_path / "long.csv", [
        ["Timestamp", "Question", "Answer"],
        ["2025-03-03 10:00", "What is your email address?", UNMAPPED_ANSWER],
        ["2025-03-03 10:00", "Your name", UNMAPPED_ANSWER],
    ])
    code, out, err = ingest(capsys, db_path, "--surveys", source)
    assert_one_line_error(code, err, source, "no question in column 'Question' is a statement or the feedback question")
    assert "add each question's text as an alias of its statement in review_pulse.toml" in err
    assert UNMAPPED_ANSWER not in out + err
    assert file_state(db_path) is None


def test_attendance_counts_stay_counts(capsys: pytest.CaptureFixture, tmp_path: Path, db_path: Path) -> None:
    # Counts typed with words ("about 12 people") are still counts; a word alone is a reject (line 5).
    source = _write_csv(tmp_path / "attendance.csv", [
        ["Date", "Attendees", "Incident"],
        ["2025-03-05", "12", "Checkout outage"],
        ["2025-03-12", "14", "DNS"],
        ["2025-03-19", "about 12 people", "Certificates"],
        ["2025-03-26", "lots", "Queue"],
    ])
    code, _, err = ingest(capsys, db_path, "--attendance", source)
    assert (code, err) == (0, "")
    assert query(db_path, "SELECT meeting_date, attendees, title FROM meetings ORDER BY 1") == [
        (date(2025, 3, 5), 12, "Checkout outage"), (date(2025, 3, 12), 14, "DNS"), (date(2025, 3, 19), 12, "Certificates")]
    assert {line: reason for line, (reason, _) in rejects_by_line(db_path).items()} == {
        5: "attendee count: text where a number was expected"}
