"""Issue #24, the facilitators' round on Load data: a title row above the header, their own
statements, where a load's rows went, plain words on the page, an empty Attendance page's way to
Load data, plurals, ZIP dates.

AppTest drives the real page on real DuckDB files; expected figures are recounted from the files
with the csv module (tests/realworld/recount.py for the Typeform replica), never through the pipeline.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import tomllib
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core.errors import Worded, for_page
from core.settings import Settings, Statement, load_settings
from core.words import count_text
from dashboard.loading_ui import where_rows_went
from pipeline.app_loading import BrowserLoadError, save_statements, statements_with
from pipeline.cli import main as pipeline_main
from pipeline.errors import WORDINGS, SourceFileError, worded
from pipeline.mapping import header_below_title, header_choices, proposed_time_column, shares_no_words
from pipeline.sources.files import RawTable
from review_pulse.export import build_zip
from review_pulse.view import quarters_of_days, quarters_with_weeks
from tests.realworld.recount import recount

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
REALWORLD = ROOT / "tests" / "realworld"
TITLE_ROW_FILE = REALWORLD / "typeform_title_row.csv"
S = Settings()
STATEMENTS = list(S.statement_texts)
AS_DETECTED = "(as detected)"
# Words of the CLI and the settings file that a page never shows (issue #24 item 6).
CLI_WORDS = ("--", "[[", "scale_max", "_column", "max_series_values", "date_order")

pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


def manifest_entry(file: str) -> dict:
    return next(e for e in json.loads((REALWORLD / "manifest.json").read_text(encoding="utf-8")) if e["file"] == file)


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def open_load_page(monkeypatch: pytest.MonkeyPatch, db_path: Path, settings_file: Path,
                   settings_text: str = "") -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db_path))
    settings_file.write_text(settings_text)
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/load_data.py").run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="upload_surveys").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def page_text(at: AppTest) -> str:
    """Every text the page shows: messages, captions, labels, help, options."""
    parts = [*(t.value for t in at.text), *(m.value for m in at.markdown), *(c.value for c in at.caption),
             *(e.value for e in at.error), *(w.value for w in at.warning), *(i.value for i in at.info),
             *(s.value for s in at.success)]
    for box in at.selectbox:
        parts += [box.label, box.help or "", *box.options]
    parts += [b.label for b in at.button] + [c.label for c in at.checkbox] + [t.label for t in at.text_input]
    return "\n".join(plain(str(p)) for p in parts)


def load_button(at: AppTest):  # noqa: ANN201
    return next(b for b in at.button if b.label.startswith("Load "))


def survey_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


# --- item 3: a title row above the header ---------------------------------------------------


def expected_options(rows: list[list[str]], header_rows: int | None) -> list[str]:
    """What the boxes must offer, from the csv rows: the real header (row 2, below the title) when
    as detected; the non-blank cells of the first N rows for N."""
    chosen = [rows[1]] if header_rows is None else rows[:header_rows]
    found: list[str] = []
    for row in chosen:
        found += [c.strip() for c in row if c.strip() and c.strip() not in found]
    return found


@pytest.mark.parametrize("header_rows", [None, 2, 1])
def test_the_boxes_follow_the_header_rows_choice_below_a_title_row(monkeypatch, tmp_path: Path, db_path: Path,
                                                                   header_rows: int | None) -> None:
    rows = csv_rows(TITLE_ROW_FILE)
    at = open_load_page(monkeypatch, db_path, tmp_path / "settings.toml")
    upload(at, TITLE_ROW_FILE.name, TITLE_ROW_FILE.read_bytes())
    if header_rows is not None:
        at.selectbox(key="map_header_rows").set_value(header_rows).run()
        assert not at.exception, at.exception
    time_box = at.selectbox(key="map_time")
    assert time_box.options[1:] == expected_options(rows, header_rows)
    if header_rows != 1:
        assert "Submit Date (UTC)" in time_box.options  # what "Submit" found nothing for


@pytest.mark.parametrize("header_rows", [None, 2])
def test_a_title_row_export_maps_in_the_boxes_and_loads(monkeypatch, tmp_path: Path, db_path: Path,
                                                        header_rows: int | None) -> None:
    entry = manifest_entry(TITLE_ROW_FILE.name)
    settings_file = tmp_path / "settings.toml"
    at = open_load_page(monkeypatch, db_path, settings_file)
    upload(at, TITLE_ROW_FILE.name, TITLE_ROW_FILE.read_bytes())
    assert load_button(at).disabled  # the team's own questions: no statement matches yet
    if header_rows is not None:
        at.selectbox(key="map_header_rows").set_value(header_rows).run()
    at.selectbox(key="map_time").set_value(entry["time_column"]).run()
    for column, statement in entry["statements"].items():
        at.selectbox(key=f"map_statement_{STATEMENTS.index(statement)}").set_value(column).run()
    at.selectbox(key="map_feedback").set_value(entry["feedback_column"]).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not load_button(at).disabled

    expected = recount(entry, REALWORLD)  # the csv module's count, title line skipped
    shown = {m.label: m.value for m in at.metric}
    assert shown["Usable rows"] == f"{expected['responses']:,}"
    # Two of the four questions share no word with the statement they were mapped onto (item 4).
    warned = [plain(w.value) for w in at.warning]
    assert len(warned) == 2, warned
    assert any("How useful was this week's incident review for you?" in w and STATEMENTS[0] in w for w in warned)
    assert any("Did we spend the time on the incidents that mattered?" in w and STATEMENTS[1] in w for w in warned)

    load_button(at).click().run()
    assert not at.exception, at.exception
    assert any("Loaded: run" in s.value for s in at.success), page_text(at)
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM responses").fetchone() == (expected["responses"],)
        got = {s: (n, m) for s, n, m in con.execute("SELECT statement, count(*), avg(score) FROM answers GROUP BY 1")
               .fetchall()}
        assert con.execute("SELECT count(feedback) FROM responses").fetchone() == (expected["feedback"],)
    for statement, figures in expected["statements"].items():
        assert got[statement][0] == figures["count"]
        assert got[statement][1] == pytest.approx(figures["mean"], abs=1e-9)

    # Item 5: the days and quarters that received rows, recounted from the file, and a link to the first.
    rows = csv_rows(TITLE_ROW_FILE)[2:]
    header = csv_rows(TITLE_ROW_FILE)[1]
    days = sorted({datetime.strptime(r[header.index("Submit Date (UTC)")], "%Y-%m-%d %H:%M:%S").date() for r in rows})
    said = page_text(at)
    assert f"Rows went to {len(days)} days" in said
    assert f"{days[0]:%Y-%m-%d}" in said and f"{days[-1]:%Y-%m-%d}" in said
    first_quarter = f"{days[0].year}-Q{(days[0].month - 1) // 3 + 1}"
    links = [link for link in at.get("page_link") if link.proto.label == f"Open {first_quarter}"]
    assert len(links) == 1 and links[0].proto.query_string == f"quarter={first_quarter}"


def test_the_first_preview_proposes_the_time_column_before_any_statement_matches(monkeypatch, tmp_path: Path,
                                                                                   db_path: Path) -> None:
    data = survey_csv(["Timestamp", "How satisfied are you with pandas?"],
                      [["2026-03-04 16:00", "4"], ["2026-03-04 16:05", "5"]])
    at = upload(open_load_page(monkeypatch, db_path, tmp_path / "settings.toml"), "pandas.csv", data)
    assert at.error  # no statement matched
    assert at.selectbox(key="map_time").options[0] == "(as detected: Timestamp)"


# --- item 4: their own statements -----------------------------------------------------------


PANDAS_ROWS = [["2026-03-04 16:00", "4"], ["2026-03-04 16:05", "5"], ["2026-03-04 16:07", "2"],
               ["2026-03-05 09:00", "5"], ["2026-03-05 09:10", ""], ["2026-03-05 09:12", "3"]]
PANDAS = "How satisfied are you with pandas?"


def test_an_editor_adds_a_statement_and_the_export_loads_onto_it(monkeypatch, tmp_path: Path, db_path: Path) -> None:
    settings_file = tmp_path / "settings.toml"
    at = open_load_page(monkeypatch, db_path, settings_file, "# ours\nmin_group_size = 5\n")
    upload(at, "pandas.csv", survey_csv(["Timestamp", PANDAS], PANDAS_ROWS))
    # Mapped onto a configured statement, the preview warns that the words do not match.
    at.selectbox(key="map_statement_0").set_value(PANDAS).run()
    assert any(PANDAS in plain(w.value) and STATEMENTS[0] in plain(w.value) for w in at.warning)
    at.selectbox(key="map_statement_0").set_value(AS_DETECTED).run()

    at.text_input(key="new_statement_text").input("  How satisfied are you   with pandas? ")
    at.text_area(key="new_statement_aliases").input("pandas satisfaction\n\nsatisfied with pandas")
    next(b for b in at.button if b.label == "Add statement").click().run()
    assert not at.exception, at.exception

    saved = tomllib.loads(settings_file.read_text())
    assert settings_file.read_text().startswith("# ours")
    assert [s["text"] for s in saved["statements"]] == [*STATEMENTS, PANDAS]  # the defaults stay
    assert saved["statements"][-1]["aliases"] == ["pandas satisfaction", "satisfied with pandas"]
    assert load_settings(settings_file).statement_texts[-1] == PANDAS  # strict settings accept it
    assert any("Added the statement" in plain(s.value) for s in at.success)

    # The column now matches its own statement exactly; nothing to pick, Load is enabled.
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]
    load_button(at).click().run()
    assert not at.exception, at.exception
    answers = [int(r[1]) for r in PANDAS_ROWS if r[1]]
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*), avg(score) FROM answers WHERE statement = ?", [PANDAS]).fetchone() == (
            len(answers), pytest.approx(sum(answers) / len(answers)))
    # The CLI reads the same settings file: next week's export loads with no flags.
    later = tmp_path / "pandas_week2.csv"
    later.write_bytes(survey_csv(["Timestamp", "Satisfied with pandas"], [["2026-03-11 16:00", "5"]]))
    assert pipeline_main(["ingest", "--db", str(db_path), "--surveys", str(later)]) == 0


def test_rename_before_anything_is_loaded_keeps_the_old_text_as_an_alias(monkeypatch, tmp_path: Path,
                                                                          db_path: Path) -> None:
    settings_file = tmp_path / "settings.toml"
    mapping = f'[[sources]]\nfiles = ["weekly_*.csv"]\nstatements = {{ "{STATEMENTS[0]}" = "Worth it?" }}\n'
    at = open_load_page(monkeypatch, db_path, settings_file, mapping)
    upload(at, "pandas.csv", survey_csv(["Timestamp", PANDAS], PANDAS_ROWS))
    at.selectbox(key="rename_statement_old").set_value(STATEMENTS[0])  # form fields: sent by the submit button
    at.text_input(key="rename_statement_new").input("Worth the hour")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert not at.exception, at.exception
    saved = tomllib.loads(settings_file.read_text())
    first = saved["statements"][0]
    assert first["text"] == "Worth the hour"
    assert STATEMENTS[0] in first["aliases"]
    assert saved["sources"][0]["statements"] == {"Worth the hour": "Worth it?"}  # the saved mapping follows
    assert load_settings(settings_file).statement_texts[0] == "Worth the hour"
    assert at.selectbox(key="map_statement_0").label == "Worth the hour"


def test_rename_is_off_once_answers_are_stored(monkeypatch, tmp_path: Path, demo_db: Path) -> None:
    at = open_load_page(monkeypatch, demo_db, tmp_path / "settings.toml")
    upload(at, "pandas.csv", survey_csv(["Timestamp", PANDAS], PANDAS_ROWS))
    assert next(b for b in at.button if b.label == "Rename").disabled
    with duckdb.connect(str(demo_db), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM answers").fetchone()[0]
    assert f"{stored:,} answers are stored" in page_text(at)


@pytest.mark.parametrize(("text", "refusal"), [
    (STATEMENTS[0].upper() + "!", "the statement was not saved: "),  # the same text as one there: strict loader
    ("   ", "the statement was not saved: write its text"),
])
def test_a_statement_the_settings_would_refuse_is_not_saved(tmp_path: Path, text: str, refusal: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("min_group_size = 5\n")
    with pytest.raises(BrowserLoadError) as caught:
        save_statements(path, statements_with(Settings(), text))
    assert str(caught.value).startswith(refusal)
    assert path.read_text() == "min_group_size = 5\n"


@pytest.mark.parametrize(("header", "aliases", "warned"), [
    ("How satisfied are you with pandas?", (), True),
    ("Good use of time", (), False),
    ("GOOD-USE of my time!!", (), False),  # case and punctuation
    ("Was it a good meeting?", (), False),
    ("Q1_1", (), False),  # a code says nothing either way
    ("the of and to", (), False),  # stopwords only
    ("Worth the hour?", ("worth the hour",), False),  # an alias counts
    ("x" * 1_000_000 + " good use of time", (), True),  # capped before any regex: the tail is never read
])
def test_a_header_sharing_no_words_with_its_statement_is_warned(header: str, aliases: tuple[str, ...],
                                                                warned: bool) -> None:
    statement = Statement("This meeting was a good use of my time", aliases)
    assert shares_no_words(header, statement) is warned


# --- item 5: the quarter list, the link that opens a quarter -----------------------------------


def ingest_csv(tmp_path: Path, db_path: Path, times: list[str]) -> None:
    path = tmp_path / f"export_{len(times)}.csv"
    path.write_bytes(survey_csv(["Timestamp", *STATEMENTS], [[t, "4", "4", "5", "3"] for t in times]))
    assert pipeline_main(["ingest", "--db", str(db_path), "--surveys", str(path)]) == 0


def test_the_quarter_list_offers_only_quarters_with_data_and_a_link_opens_one(monkeypatch, tmp_path: Path,
                                                                             db_path: Path) -> None:
    times = [f"2026-01-{d:02d} 16:0{i}" for d in (6, 13) for i in range(5)]
    times += [f"2026-08-{d:02d} 16:0{i}" for d in (4,) for i in range(5)]  # nothing in April-June
    ingest_csv(tmp_path, db_path, times)
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    quarter_box = at.sidebar.selectbox(key="quarter")
    assert quarter_box.options == ["2026-Q3", "2026-Q1", "All time"]
    assert quarter_box.value == "2026-Q3"
    at.query_params["quarter"] = "2026-Q1"  # what st.page_link(..., query_params=...) opens
    at.run()
    assert at.sidebar.selectbox(key="quarter").value == "2026-Q1"


@pytest.mark.parametrize(("weeks", "labels"), [
    ([], []),
    ([date(2026, 1, 5), date(2026, 8, 3)], ["2026-Q3", "2026-Q1"]),
    ([date(2025, 12, 29), date(2026, 3, 23)], ["2026-Q1"]),  # a week belongs to the quarter of its Thursday
    ([date(2026, 3, 30)], ["2026-Q2"]),
])
def test_quarters_with_weeks(weeks: list[date], labels: list[str]) -> None:
    assert [q.label for q in quarters_with_weeks(weeks)] == labels


@pytest.mark.parametrize(("days", "said"), [
    ([date(2026, 3, 4)], "Rows went to 1 day, 2026-03-04, in 2026-Q1."),
    ([date(2026, 3, 4), date(2026, 4, 1)], "Rows went to 2 days, 2026-03-04 and 2026-04-01, in 2026-Q1 and 2026-Q2."),
    ([date(2026, 1, 1) + timedelta(days=i) for i in range(10)], "Rows went to 10 days, 2026-01-01 to 2026-01-10, in 2026-Q1."),
])
def test_where_rows_went(days: list[date], said: str) -> None:
    assert where_rows_went(days, [q.label for q in quarters_of_days(days)]) == said


# --- item 6: plain words on the page --------------------------------------------------------

SAMPLE_FIELDS = dict(column="Logged", headers="'A', 'B'", statement=STATEMENTS[0], first=2, first_header="A",
                     second=3, second_header="B", found="250 different values (max_series_values = 200)",
                     found_page="250 different values (at most 200 are allowed)", statements="'x'", highest=7,
                     scale=7, folder="/srv/rp", problem="Permission denied", refused="the mapping was not saved",
                     question="How could we improve?", day_first="13/03/2026", month_first="03/14/2026",
                     name="Q1", labels="'Somewhat agree' and 'Agree' (both 4)", questions="'Your e-mail'",
                     raise_limit=", or raise max_series_values", role="the time column", key="time_column",
                     origin="from [[sources]]", box="the Time box", scale_max=5, top=4, shifted=5)


@pytest.mark.parametrize("kind", sorted(WORDINGS))
def test_every_message_kind_has_a_page_wording_without_cli_words(kind: str) -> None:
    message = worded(kind, **SAMPLE_FIELDS)
    assert not any(word in message.page for word in CLI_WORDS), message.page
    error = SourceFileError("upload.csv", message)
    assert str(error) == f"upload.csv: {message}"  # the CLI's line is unchanged
    assert for_page(error) == f"upload.csv: {message.page}"
    import pickle  # the load's child process sends its outcome pickled

    assert pickle.loads(pickle.dumps(error)).page_message == error.page_message
    assert for_page("plain text") == "plain text" and isinstance(message, Worded)


HEADER = ["Logged (UTC)", *STATEMENTS, "Series"]
ROWS = [["2026-03-04 16:0%d" % i, "4", "5", "4", "3", f"series {i}"] for i in range(6)]


@pytest.mark.parametrize(("name", "data", "pick", "shown"), [
    ("no time column", survey_csv(HEADER[:-1], [r[:-1] for r in ROWS]), {}, "pick it in the Submission time box"),
    ("not a survey", survey_csv(["Timestamp", PANDAS], PANDAS_ROWS), {}, "pick each statement's column"),
    ("picked time missing after header rows", survey_csv(HEADER[:-1], [r[:-1] for r in ROWS]),
     {"map_time": "Logged (UTC)", "map_header_rows": 2}, None),
    ("answers beyond 5", survey_csv(["Timestamp", STATEMENTS[0]], [["2026-03-04 16:00", "7"], ["2026-03-04 16:01", "6"]]),
     {}, "pick 1–7 in the Answer scale box"),
    ("date order guessed", survey_csv(["Timestamp", *STATEMENTS], [[f"03/04/2026 16:0{i}", "4", "4", "4", "4"]
                                                                   for i in range(5)]),
     {}, "ask an admin to set the date order"),
])
def test_the_page_never_shows_cli_words(monkeypatch, tmp_path: Path, db_path: Path, name: str, data: bytes,
                                        pick: dict, shown: str | None) -> None:
    at = upload(open_load_page(monkeypatch, db_path, tmp_path / "settings.toml"), "export.csv", data)
    for key, value in pick.items():
        at.selectbox(key=key).set_value(value).run()
        assert not at.exception, at.exception
    text = page_text(at)
    assert not [w for w in CLI_WORDS if w in text], text
    if shown:
        assert shown in text, text


def test_the_cli_keeps_its_wording(tmp_path: Path, db_path: Path, capsys) -> None:
    path = tmp_path / "no_time.csv"
    path.write_bytes(survey_csv(HEADER[:-1], [r[:-1] for r in ROWS]))
    assert pipeline_main(["ingest", "--db", str(db_path), "--surveys", str(path)]) == 2
    assert capsys.readouterr().err.rstrip().endswith("name it with --time-column or in [[sources]]")


@pytest.mark.parametrize(("rows", "time"), [
    ([["Timestamp", "How satisfied are you with pandas?"], ["2026-03-04", "4"]], "Timestamp"),
    ([["Survey export"], ["#", "Q", "Submit Date (UTC)", "Network ID"], ["a", "4", "2026-03-04", "n"]],
     "Submit Date (UTC)"),
    ([["Name", "Score"], ["ana", "4"]], None),
])
def test_proposed_time_column(rows: list[list[str]], time: str | None) -> None:
    width = max(len(r) for r in rows)
    header = [c or f"column {i + 1}" for i, c in enumerate(rows[0] + [""] * (width - len(rows[0])))]
    table = RawTable("x.csv", header, rows[1:], list(range(2, len(rows) + 1)))
    assert proposed_time_column(table) == time


@pytest.mark.parametrize(("first_row", "header_rows", "expected"), [
    (["Title", "", "", ""], None, ["#", "Q1", "Q2", "Submit Date (UTC)"]),  # a title: the header is below it
    (["#", "Q1", "", ""], None, ["#", "Q1"]),  # half the columns named: that is the header
    (["Title", "", "", ""], 2, ["Title", "#", "Q1", "Q2", "Submit Date (UTC)"]),
    (["Title", "", "", ""], 1, ["Title"]),
])
def test_header_choices(first_row: list[str], header_rows: int | None, expected: list[str]) -> None:
    header = [c or f"column {i + 1}" for i, c in enumerate(first_row)]
    rows = [["#", "Q1", "Q2", "Submit Date (UTC)"], ["tok", "4", "5", "2026-03-04 10:00:00"]]
    table = RawTable("x.csv", header, rows, [2, 3])
    assert header_choices(table, header_rows) == expected
    if header_rows is None and first_row[0] == "Title":
        assert header_below_title(table).rows == rows[1:]


# --- item 11: an empty Attendance page links to Load data -----------------------------------


def test_an_empty_attendance_page_links_to_load_data(monkeypatch, tmp_path: Path, db_path: Path) -> None:
    ingest_csv(tmp_path, db_path, [f"2026-03-04 16:0{i}" for i in range(5)])  # surveys, no meetings
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/attendance.py").run()
    assert not at.exception, at.exception
    assert any("No attendance in this period" in i.value for i in at.info)
    links = [link.proto for link in at.get("page_link")]
    assert any("load_data" in link.page and link.query_string == "kind=attendance" for link in links), links
    at.query_params["kind"] = "attendance"  # what the link opens
    at.switch_page("pages/load_data.py").run()
    assert not at.exception, at.exception
    assert at.get("file_uploader")[0].proto.label.startswith("Attendance")


# --- item 14: plurals, .gitignore, ZIP dates ------------------------------------------------


@pytest.mark.parametrize(("n", "noun", "said"), [(0, "answer", "0 answers"), (1, "answer", "1 answer"),
                                                 (2, "answer", "2 answers"), (1204, "row", "1,204 rows")])
def test_count_text(n: int, noun: str, said: str) -> None:
    assert count_text(n, noun) == said


def test_no_maybe_plural_left_in_the_product() -> None:
    """No string a user reads says "row(s)": every text constant of the product (docstrings aside)."""
    import ast

    found = []
    for folder in ("pages", "review_pulse", "pipeline", "dashboard", "core"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                        and re.search(r"[a-z]\(s\)", node.value.replace("http(s)", "")):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:80]}")
    assert not found, found


def test_the_settings_file_the_page_writes_is_ignored_by_git() -> None:
    for name in ("review_pulse.toml", ".review_pulse.toml.lock", ".review_pulse.toml.abc123.next"):
        result = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", name], check=False)
        assert result.returncode == 0, name
    result = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "review_pulse.toml.example"], check=False)
    assert result.returncode == 1


@pytest.mark.parametrize("made", [date(2026, 3, 4), None])
def test_zip_entries_carry_the_export_date(made: date | None) -> None:
    before = datetime.now(timezone.utc).date()
    data = build_zip([], "2026-Q1", {"summary.md": "# Summary\n", "rows.csv": b"a,b\n1,2\n"}, made=made)
    after = datetime.now(timezone.utc).date()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        dates = {info.date_time for info in archive.infolist()}
    expected = {made} if made else {before, after}
    assert {date(*d[:3]) for d in dates} <= expected and all(d[3:] == (0, 0, 0) for d in dates)
    assert all(d[0] != 1980 for d in dates)
