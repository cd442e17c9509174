"""Real-world exports (tests/realworld/, replicas of real files from 7 tools) load right, or are refused.

For each manifest entry: a settings file naming the statements (declaring a mapping, labels or a
scale only where a real user would have to), the real CLI into a real DuckDB file, and the figures
compared with tests/realworld/recount.py, an independent recount (csv/openpyxl only). Files that must
be refused are asserted by their exact one-line refusal. Then an anonymity scan: no identity value
from the manifest appears in any column of any table.

REVIEW_PULSE_REALWORLD_DIR=<folder with manifest.json> runs the same over another folder (e.g. a
local cache of real files that are not committed); skipped when unset.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

HERE = Path(__file__).resolve().parent / "realworld"
sys.path.insert(0, str(HERE))
from recount import recount  # noqa: E402

ALL_ENTRIES = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
# Committed replicas; the manifest also lists real files kept only in a local cache (not in git).
MANIFEST = [entry for entry in ALL_ENTRIES if (HERE / entry["file"]).exists()]

# What a user of each file has to declare beyond the statement texts: nothing is guessed.
DECLARED: dict[str, dict] = {
    # Question codes ('REVIEW[SQ001]') say nothing about the statement: map each column.
    "limesurvey_codes_semicolon.csv": {"statements_by_column": True},
    # Legacy Qualtrics: row 1 is V1..V10, so the tool is not recognised; name its layout.
    "qualtrics_legacy_v_columns.csv": {"header_rows": 2, "time_column": "EndDate"},
    "qualtrics_qualtRics_sample_legacy.csv": {"header_rows": 2, "time_column": "EndDate"},  # the real legacy file
}


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _default_label(label: str, score: int, scale_max: int) -> bool:
    """Whether the product's defaults already read this label (then a user declares nothing)."""
    from pipeline.parse.answers import AnswerError, parse_answer

    try:
        return parse_answer(label, None, scale_max) == score
    except AnswerError:
        return False


def settings_for(entry: dict) -> str:
    """The review_pulse.toml a user would write for this export."""
    declared = DECLARED.get(entry["file"], {})
    statements = []
    for key, text in entry["statements"].items():
        alias = key.strip() if key.strip() != text and not declared.get("statements_by_column") else None
        aliases = f", aliases = [{_toml_string(alias)}]" if alias else ""
        statements.append(f"  {{ text = {_toml_string(text)}{aliases} }},")
    lines = ["statements = [", *dict.fromkeys(statements), "]"]
    if entry.get("feedback_column"):
        lines.append(f"feedback_question = {_toml_string(entry['feedback_column'].strip())}")
    scale_max = entry["scale_max"]
    labels = {k: v for k, v in entry["labels"].items() if not _default_label(k, v, scale_max)}
    source: list[str] = []
    if scale_max != 5:
        source.append(f"scale_max = {scale_max}")
    if labels and scale_max == 5:
        lines.append("[answer_labels]")
        lines += [f"{_toml_string(k)} = {v}" for k, v in labels.items()]
    elif labels:
        source.append("answer_labels = {" + ", ".join(f"{_toml_string(k)} = {v}" for k, v in labels.items()) + "}")
    if declared.get("header_rows"):
        source.append(f"header_rows = {declared['header_rows']}")
    if declared.get("time_column"):
        source.append(f"time_column = {_toml_string(declared['time_column'])}")
    if declared.get("statements_by_column"):
        source.append("statements = {" + ", ".join(f"{_toml_string(text)} = {_toml_string(key)}"
                                                  for key, text in entry["statements"].items()) + "}")
    if source:
        lines += ["[[sources]]", f"files = [{_toml_string(entry['file'])}]", *source]
    return "\n".join(lines) + "\n"


def _ingest(entry: dict, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> tuple[int, str, str, Path]:
    settings = tmp_path / "review_pulse.toml"
    settings.write_text(settings_for(entry), encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    db = tmp_path / "reviews.duckdb"
    args = ["ingest", "--db", str(db), "--surveys", str(folder / entry["file"])]
    if entry.get("worksheet"):
        args += ["--worksheet", entry["worksheet"]]
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err, db


def _db_figures(db: Path, entry: dict) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        responses = con.execute("SELECT count(*) FROM responses").fetchall()[0][0]
        feedback = con.execute("SELECT count(*) FROM responses WHERE feedback IS NOT NULL").fetchall()[0][0]
        rows = dict((s, (n, mean, raw_mean, scale)) for s, n, mean, raw_mean, scale in con.execute(
            """SELECT statement, count(*), avg(score), avg(raw_score), max(scale_max)
               FROM answers GROUP BY statement""").fetchall())
    return {"responses": responses, "feedback": feedback, "statements": rows}


def _expected_refusal(entry: dict, folder: Path) -> str:
    """The exact one-line refusal, built from the file with the csv module."""
    path = folder / entry["file"]
    if entry["file"] == "limesurvey_all_incomplete.csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [r for r in csv.reader(handle) if any(c.strip() for c in r)]
        return (f"error: {path}: no usable response; {len(rows) - 1} row{'' if len(rows) == 2 else 's'} rejected, most often "
                f"({len(rows) - 1}x): incomplete response (no submission time: the respondent never submitted it); "
                "nothing was loaded")
    if entry["file"] == "google_forms_no_timestamp.csv":
        header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        shown = ", ".join(repr(h.strip()) for h in header[:12])
        more = f" and {len(header) - 12} more" if len(header) > 12 else ""
        return (f"error: {path}: no submission-time column (headers: {shown}{more}); "
                "name it with --time-column or in [[sources]]")
    if entry["file"] == "qualtrics_unrelated_study.csv":
        statements = "; ".join(repr(t) for t in dict.fromkeys(entry["statements"].values()))
        return (f"error: {path}: no survey statement columns found (wide layout needs a column per statement, "
                f"e.g. {statements}; long layout needs Time, Question and Answer columns); "
                "map them in [[sources]] or add the headers as aliases")
    raise AssertionError(f"no expected refusal written for {entry['file']}")


def _check(entry: dict, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Path:
    code, out, err, db = _ingest(entry, folder, tmp_path, monkeypatch, capsys)
    if entry.get("expect_refusal"):
        assert code == 2, out
        assert err.strip() == _expected_refusal(entry, folder)
        assert len(err.strip().splitlines()) == 1
        assert not any(value in err for value in entry.get("identity_values", []))
        if db.exists():
            with duckdb.connect(str(db), read_only=True) as con:
                assert con.execute("SELECT count(*) FROM responses").fetchall()[0][0] == 0
        return db
    assert code == 0, err
    expected = recount(entry, folder)
    got = _db_figures(db, entry)
    assert got["responses"] == expected["responses"]
    assert got["feedback"] == expected["feedback"]
    k = entry["scale_max"]
    for text, figures in expected["statements"].items():
        n, mean, raw_mean, scale = got["statements"].get(text, (0, None, None, None))
        assert n == figures["count"], text
        if n:
            assert raw_mean == pytest.approx(figures["mean"], abs=1e-6), text
            assert mean == pytest.approx(1 + (figures["mean"] - 1) * 4 / (k - 1), abs=1e-6), text
            assert scale == k
    assert "Ingested into" in out
    return db


def _entries(manifest: list[dict]) -> list:
    return [pytest.param(entry, id=entry["file"]) for entry in manifest]


@pytest.mark.parametrize("entry", _entries(MANIFEST))
def test_real_export_loads_right_or_is_refused(entry: dict, tmp_path: Path, monkeypatch, capsys) -> None:
    _check(entry, HERE, tmp_path, monkeypatch, capsys)


def _all_text(db: Path) -> list[str]:
    """Every value of every column of every table, as text (the anonymity scan reads it all)."""
    texts = []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        for table in tables:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()]
            for column in columns:
                texts += [v for (v,) in con.execute(
                    f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{table}"').fetchall() if v]
    return texts


@pytest.mark.parametrize("entry", _entries([e for e in MANIFEST if not e.get("expect_refusal")]))
def test_identity_values_are_stored_nowhere(entry: dict, tmp_path: Path, monkeypatch, capsys) -> None:
    code, _out, err, db = _ingest(entry, HERE, tmp_path, monkeypatch, capsys)
    assert code == 0, err
    stored = "\n".join(_all_text(db))
    leaked = [value for value in entry["identity_values"] if value and value in stored]
    assert leaked == []


CACHE = os.environ.get("REVIEW_PULSE_REALWORLD_DIR")


def _cache_entries() -> list[dict]:
    """Entries for the real files in REVIEW_PULSE_REALWORLD_DIR: its own manifest.json if it has one,
    else the committed manifest's entries whose files are not committed but are in that folder."""
    folder = Path(CACHE) if CACHE else None
    if folder is None or not folder.is_dir():
        return []
    if (folder / "manifest.json").exists():
        entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    else:
        entries = [e for e in ALL_ENTRIES if not (HERE / e["file"]).exists()]
    return [e for e in entries if (folder / e["file"]).exists()]


CACHE_ENTRIES = _cache_entries()


@pytest.mark.skipif(not CACHE_ENTRIES, reason="REVIEW_PULSE_REALWORLD_DIR (a folder of real exports) not given")
@pytest.mark.parametrize("entry", _entries(CACHE_ENTRIES) or [pytest.param({}, id="none")])
def test_cached_real_files(entry: dict, tmp_path: Path, monkeypatch, capsys) -> None:
    folder = Path(CACHE or ".")
    db = _check(entry, folder, tmp_path, monkeypatch, capsys)
    if not entry.get("expect_refusal"):
        stored = "\n".join(_all_text(db))
        assert [value for value in entry.get("identity_values", []) if value and value in stored] == []


# --- the CSV fast path: which files take it, and the same database either way ------------------

# The committed CSVs the loader leaves to its Python row path, and why (csv_fast_path's own words).
# Every other loadable CSV is parsed inside DuckDB (issue 23 target 5: the Python path is the exception).
PYTHON_PATH_CSVS: dict[str, str | None] = {}


def _csv_entries(entries: list[dict]) -> list:
    return _entries([e for e in entries if Path(e["file"]).suffix.lower() == ".csv" and not e.get("expect_refusal")])


def _load_both_ways(entry: dict, folder: Path, tmp_path: Path):
    from core.settings import load_settings
    from tests.test_csv_fast_path import load_both_ways

    settings_file = tmp_path / "review_pulse.toml"
    settings_file.write_text(settings_for(entry), encoding="utf-8")
    return load_both_ways(tmp_path, load_settings(settings_file), [folder / entry["file"]])


@pytest.mark.parametrize("entry", _csv_entries(MANIFEST))
def test_real_csv_loads_the_same_either_way(entry: dict, tmp_path: Path) -> None:
    """The fast path's database equals the Python path's, row for row, on every committed CSV, and each
    file takes the path listed above."""
    fast, _python = _load_both_ways(entry, HERE, tmp_path)
    source = str(HERE / entry["file"])
    if entry["file"] in PYTHON_PATH_CSVS:
        assert fast.parsed_in_duckdb == []
        reason = PYTHON_PATH_CSVS[entry["file"]]
        assert fast.fast_path_declined.get(source) == reason
    else:
        assert fast.parsed_in_duckdb == [source], fast.fast_path_declined


@pytest.mark.skipif(not CACHE_ENTRIES, reason="REVIEW_PULSE_REALWORLD_DIR (a folder of real exports) not given")
@pytest.mark.parametrize("entry", _csv_entries(CACHE_ENTRIES) or [pytest.param({"file": "none.csv"}, id="none")])
def test_cached_real_csvs_load_the_same_either_way(entry: dict, tmp_path: Path) -> None:
    _load_both_ways(entry, Path(CACHE or "."), tmp_path)


def _workbook_entries(entries: list[dict]) -> list:
    return _entries([e for e in entries if Path(e["file"]).suffix.lower() in (".xlsx", ".xlsm")
                     and not e.get("expect_refusal")])


def _load_with_either_reader(entry: dict, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Load a workbook with calamine allowed and with openpyxl forced; both databases and summaries equal."""
    from core.settings import load_settings
    from pipeline.sources import files
    from tests.test_calamine_sheets import tab_readers
    from tests.test_csv_fast_path import TABLE_QUERIES, db_contents, ingest_one_way

    settings_file = tmp_path / "review_pulse.toml"
    settings_file.write_text(settings_for(entry), encoding="utf-8")
    settings_ = load_settings(settings_file)
    path = folder / entry["file"]
    calamine = ingest_one_way(tmp_path / "calamine.duckdb", settings_, True, [path])
    with monkeypatch.context() as patch:
        patch.setattr(files, "calamine_refusal", lambda *scans: "forced by the test")
        reference = ingest_one_way(tmp_path / "openpyxl.duckdb", settings_, True, [path])
    assert not isinstance(calamine, str), calamine
    assert calamine.lines() == reference.lines()
    got, want = db_contents(tmp_path / "calamine.duckdb"), db_contents(tmp_path / "openpyxl.duckdb")
    for table in TABLE_QUERIES:
        assert got[table] == want[table], table
    return tab_readers(path, settings_.limits)


@pytest.mark.parametrize("entry", _workbook_entries(MANIFEST))
def test_real_workbook_loads_the_same_with_either_reader(entry: dict, tmp_path: Path, monkeypatch) -> None:
    """Every committed workbook: calamine reads each tab (pipeline.sources.calamine_sheets) and the load
    equals openpyxl's, row for row."""
    readers = _load_with_either_reader(entry, HERE, tmp_path, monkeypatch)
    assert set(readers.values()) == {"calamine"}, readers


@pytest.mark.skipif(not CACHE_ENTRIES, reason="REVIEW_PULSE_REALWORLD_DIR (a folder of real exports) not given")
@pytest.mark.parametrize("entry", _workbook_entries(CACHE_ENTRIES) or [pytest.param(
    {"file": "none.xlsx"}, id="none", marks=pytest.mark.skip(reason="no workbook among the cache's manifest entries"))])
def test_cached_real_workbooks_load_the_same_with_either_reader(entry: dict, tmp_path: Path, monkeypatch) -> None:
    _load_with_either_reader(entry, Path(CACHE or "."), tmp_path, monkeypatch)
