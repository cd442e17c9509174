"""Follow-up actions end to end through `python -m pipeline ingest --actions/--actions-sheet`, on real DuckDB
files: each tracker's exact-shaped export, statuses, review links, people never stored, re-loads, refusals."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from tests import action_exports as ex
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401  (fixture)


def ingest(db: Path, *extra: str) -> int:
    return main(["ingest", "--db", str(db), "--timeout", "2", "--retries", "1", *extra])


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@pytest.fixture
def exports(tmp_path: Path) -> dict[str, Path]:
    files = ex.write_all(tmp_path / "exports")
    files["attendance"] = ex.write_attendance(tmp_path / "attendance.csv")
    return files


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("jira", ex.JIRA_EXPECTED),
        ("linear", ex.LINEAR_EXPECTED),
        ("github", ex.GH_EXPECTED),
        ("incident.io", ex.INCIDENT_EXPECTED),
    ],
)
def test_each_tracker_export_loads_with_status_dates_and_review(exports, db_path: Path, capsys, fmt, expected) -> None:
    assert ingest(db_path, "--attendance", str(exports["attendance"]), "--actions", str(exports[fmt])) == 0
    out = capsys.readouterr().out
    assert f"({fmt})" in out  # the detected format is named in the summary
    stored = {r[0]: r[1:] for r in rows(db_path, "SELECT action_key, status, created, closed, review_week, due, source FROM actions")}
    assert set(stored) == set(expected)
    for key, (status, created, closed, week, due) in expected.items():
        assert stored[key] == (status, _d(created), _d(closed), _d(week), _d(due), fmt), key


def test_sheet_of_actions_keys_rows_and_refuses_unsafe_links(exports, db_path: Path, capsys) -> None:
    assert ingest(db_path, "--attendance", str(exports["attendance"]), "--actions", str(exports["sheet"])) == 0
    out = capsys.readouterr().out
    assert "(sheet)" in out and "links refused (not http/https, or with a user name or password): 1" in out and "Owner" in out
    stored = {r[0]: r[1:] for r in rows(db_path, "SELECT title, status, created, closed, review_week, due, link, team FROM actions")}
    assert set(stored) == set(ex.SHEET_EXPECTED_TITLES)
    for title, (status, created, closed, week, due) in ex.SHEET_EXPECTED_TITLES.items():
        assert stored[title][:5] == (status, _d(created), _d(closed), _d(week), _d(due)), title
    assert stored["Write the DNS change checklist"][5] is None  # javascript: link dropped, never stored
    assert stored["Share the timeline template"][5:] == ("https://docs.example.com/t", "SRE")
    assert rows(db_path, "SELECT line, reason FROM rejects WHERE kind = 'action'") == [(5, "no creation date")]


def test_jira_repeated_labels_link_to_the_review_and_unknown_status_is_named(exports, db_path: Path, capsys) -> None:
    assert ingest(db_path, "--actions", str(exports["jira"])) == 0  # no meetings: only labels link
    out = capsys.readouterr().out
    assert "unknown statuses (kept open; add them to action_statuses in settings): Awaiting Deploy (1)" in out
    # The label sits in the second of three Labels columns.
    assert rows(db_path, "SELECT review_week FROM actions WHERE action_key = 'OPS-101'") == [(date(2026, 3, 2),)]
    assert rows(db_path, "SELECT link_method FROM action_items WHERE action_key = 'OPS-107'") == [("label",)]
    assert rows(db_path, "SELECT count(*) FROM actions WHERE review_week IS NULL") == [(4,)]
    assert "actions unlinked:    4" in out
    assert rows(db_path, "SELECT reason FROM rejects") == [("no title",)]


def _all_stored_text(db: Path) -> str:
    """Every value of every table, as one string."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()]
        return "\n".join(str(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)


def test_no_person_is_stored_anywhere(exports, db_path: Path, capsys) -> None:
    paths = [str(exports[k]) for k in ("jira", "linear", "github", "incident.io", "sheet")]
    assert ingest(db_path, "--attendance", str(exports["attendance"]), "--actions", *paths) == 0
    out = capsys.readouterr().out
    dump = _all_stored_text(db_path)
    for person in ex.PEOPLE:
        assert person not in dump, person
        assert person not in out, person
    for column in ("Assignee", "Reporter", "Creator", "Watchers", "Project lead", "Owner", "assignee", "creator"):
        assert column in out.split("people columns dropped (never stored): ")[1].splitlines()[0]
    with duckdb.connect(str(db_path), read_only=True) as con:
        columns = {c for (c,) in con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
    assert not {c for c in columns if any(w in c.lower() for w in ("assignee", "reporter", "creator", "watcher", "owner"))}
    # Unmapped columns are only named: a Jira description or comment never reaches the DB.
    assert "Multi-line" not in dump and "On it" not in dump and "Call the fire brigade" not in dump


SECRET_USER, SECRET_PASSWORD = "ann.smith", "Hunter2pw"
CREDENTIAL_LINK = f"https://{SECRET_USER}:{SECRET_PASSWORD}@t.example.com/x"
SHEET_HEADER = ["Series", "Review date", "Action", "Status", "Due", "Done", "Link"]


@pytest.mark.parametrize(("name", "content", "refused", "stored_links"), [
    # A sheet: one accepted row, one user-only link, and one rejected row (no title) whose cells a reject keeps.
    ("a.csv", [SHEET_HEADER,
               ["Incident review", "2026-01-07", "Link H", "To do", "", "", CREDENTIAL_LINK],
               ["Incident review", "2026-01-07", "Link I", "To do", "", "", f"https://{SECRET_USER}@t.example.com/y"],
               ["Incident review", "2026-01-07", "", "To do", "", "", CREDENTIAL_LINK],
               ["Incident review", "2026-01-07", "Link J", "To do", "", "", "https://t.example.com/z@at-in-path"]],
     2, ["https://t.example.com/z@at-in-path"]),
    # gh keys an issue by its URL: the key keeps the address without the login.
    ("gh.json", [{"number": 1, "title": "Fix it", "state": "OPEN", "stateReason": "", "labels": [],
                  "createdAt": "2026-01-07T10:00:00Z", "closedAt": None, "url": CREDENTIAL_LINK}],
     1, []),
])
def test_links_with_a_user_name_or_password_are_refused_and_never_stored(
        tmp_path: Path, db_path: Path, capsys, name: str, content: list, refused: int, stored_links: list[str]) -> None:
    path = tmp_path / name
    if name.endswith(".csv"):
        ex.write_csv(path, content[0], content[1:])
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    assert ingest(db_path, "--actions", str(path)) == 0
    out = capsys.readouterr().out
    assert f"links refused (not http/https, or with a user name or password): {refused}" in out
    assert sorted(link for (link,) in rows(db_path, "SELECT link FROM action_items WHERE link IS NOT NULL")) == stored_links
    dump = _all_stored_text(db_path)
    for secret in (SECRET_USER, SECRET_PASSWORD):
        assert secret not in dump and secret not in out, secret


@pytest.mark.parametrize(("link", "shown"), [
    (CREDENTIAL_LINK, None), ("https://u@h.example.com/", None), ("https://@h.example.com/", None),
    ("https://h.example.com/a@b", "https://h.example.com/a@b"), ("https://h.example.com/?q=a@b", "https://h.example.com/?q=a@b"),
])
def test_safe_link_refuses_userinfo(link: str, shown: str | None) -> None:
    from core.links import safe_link

    assert safe_link(link) == shown


def _sheet_row(title: str, review: str = "2026-01-07", status: str = "To do", done: str = "", link: str = "") -> list[str]:
    return ["Incident review", review, title, status, "", done, link]


EPIC = "https://t.example.com/EPIC-9"


@pytest.mark.parametrize(("sheet", "stored", "rejected", "merged"), [
    # Exact repeats are one action with or without a link; two actions on one link are both refused (lines 6, 7).
    ([_sheet_row("Same row"), _sheet_row("Same row"),
      _sheet_row("Row with link", link="https://t.example.com/DUP-1"), _sheet_row("Row with link", link="https://t.example.com/DUP-1"),
      _sheet_row("One ticket (1)", link=EPIC), _sheet_row("One ticket (2)", review="2026-01-14", status="Done", done="2026-01-20", link=EPIC)],
     {"Same row": 1, "Row with link": 1}, {6: "7", 7: "6"}, 2),
    # One link, one title, two statuses: which row is current is not guessed.
    ([_sheet_row("Stale copy", link=EPIC), _sheet_row("Stale copy", status="Done", done="2026-01-20", link=EPIC),
      _sheet_row("Kept")], {"Kept": 1}, {2: "3", 3: "2"}, 0),
    # Without a link, the same title twice with different statuses stays two actions (as before).
    ([_sheet_row("No link"), _sheet_row("No link", status="Done")], {"No link": 2}, {}, 0),
    # Three exact repeats on one link: stored once, two counted.
    ([_sheet_row("Thrice", link=EPIC)] * 3, {"Thrice": 1}, {}, 2),
])
def test_sheet_rows_sharing_a_key_are_merged_only_when_identical(
        tmp_path: Path, db_path: Path, capsys, sheet: list, stored: dict[str, int], rejected: dict[int, str], merged: int) -> None:
    path = ex.write_csv(tmp_path / "dups.csv", SHEET_HEADER, sheet)
    assert ingest(db_path, "--actions", str(path)) == 0
    out = capsys.readouterr().out
    titles: dict[str, int] = {}
    for (title,) in rows(db_path, "SELECT title FROM action_items"):
        titles[title] = titles.get(title, 0) + 1
    assert titles == stored
    reasons = dict(rows(db_path, "SELECT line, reason FROM rejects WHERE kind = 'action'"))
    assert set(reasons) == set(rejected)
    for line, other in rejected.items():
        assert reasons[line].startswith(f"the same Link as line {other} with a different ")
        assert "give each row its own link" in reasons[line]
    assert len(sheet) == sum(stored.values()) + len(rejected) + merged  # every row is accounted for
    line = f"duplicate rows stored once (the same action repeated exactly in a sheet): {merged}"
    assert (line in out) == bool(merged)


@pytest.mark.parametrize(("titles", "shortened"), [
    (["a" * 500], 0),  # at the limit: kept whole
    (["b" * 501], 1),
    (["c " * 400], 1),  # 800 characters typed, 799 once the end is trimmed: cut
    (["d" + " " * 900 + "e"], 0),  # a run of spaces is one space: 3 characters, kept
    (["f" * 600, "g" * 10, "h" * 2000], 2),
])
def test_a_title_over_the_limit_is_cut_and_counted(tmp_path: Path, db_path: Path, capsys, titles: list[str],
                                                  shortened: int) -> None:
    from pipeline.actions import MAX_TITLE_CHARS

    path = ex.write_csv(tmp_path / "long.csv", SHEET_HEADER, [_sheet_row(t) for t in titles])
    assert ingest(db_path, "--actions", str(path)) == 0
    out = capsys.readouterr().out
    stored = sorted(title for (title,) in rows(db_path, "SELECT title FROM action_items"))
    expected = []
    for title in titles:
        collapsed = " ".join(title.split())
        expected.append(collapsed if len(collapsed) <= MAX_TITLE_CHARS else collapsed[:MAX_TITLE_CHARS - 1] + "…")
    assert stored == sorted(expected)
    assert all(len(title) <= MAX_TITLE_CHARS for title in stored)
    cut = sum(len(" ".join(t.split())) > MAX_TITLE_CHARS for t in titles)
    assert cut == shortened
    line = f"titles shortened to {MAX_TITLE_CHARS} characters (ending in …): {shortened}"
    assert (line in out) == bool(shortened)


@pytest.mark.parametrize(("status", "done", "stored", "reason"), [
    ("To do", "✅", None, "Status says 'To do' (open) but Done is filled in ('✅')"),
    ("In progress", "2026-01-20", None, "Status says 'In progress' (open) but Done is filled in ('2026-01-20')"),
    ("Done", "✅", ("done", None), None),
    ("Done", "2026-01-20", ("done", "2026-01-20"), None),
    ("", "2026-01-20", ("done", "2026-01-20"), None),  # Done alone says it
    ("To do", "", ("open", None), None),
    ("To do", "no", ("open", None), None),
])
def test_an_open_status_beside_a_filled_done_cell_is_rejected(tmp_path: Path, db_path: Path, status: str, done: str,
                                                               stored: tuple | None, reason: str | None) -> None:
    path = ex.write_csv(tmp_path / "contradicts.csv", SHEET_HEADER,
                        [_sheet_row("Checked", status=status, done=done), _sheet_row("Other row")])
    assert ingest(db_path, "--actions", str(path)) == 0
    got = dict((title, (state, closed and closed.isoformat())) for title, state, closed in
               rows(db_path, "SELECT title, status, closed FROM action_items"))
    assert got.get("Checked") == stored
    assert got["Other row"] == ("open", None)
    reasons = [r for (r,) in rows(db_path, "SELECT reason FROM rejects WHERE kind = 'action'")]
    assert reasons == ([] if reason is None else [reason + ": update the Status or clear Done"])


@pytest.mark.parametrize(("first", "second", "titles", "gained", "added"), [
    # "Fix paging" gains a link in the next download: one action, now with its link.
    ([_sheet_row("Fix paging"), _sheet_row("Runbook")],
     [_sheet_row("Fix paging", link="https://t.example.com/OPS-1"), _sheet_row("Runbook"),
      _sheet_row("New one", link="https://t.example.com/OPS-2")],
     {"Fix paging": 1, "Runbook": 1, "New one": 1}, 1, 1),
    # Status changed as well as the link: still the same action.
    ([_sheet_row("Fix paging")], [_sheet_row("Fix paging", status="Done", done="2026-01-20", link="https://t.example.com/OPS-1")],
     {"Fix paging": 1}, 1, 0),
    # A different review date is a different row: both kept.
    ([_sheet_row("Fix paging")], [_sheet_row("Fix paging", review="2026-01-14", link="https://t.example.com/OPS-1")],
     {"Fix paging": 2}, 0, 1),
    # Two stored rows of that title and date (they differ in status): which one gained the link is not guessed.
    ([_sheet_row("Twice"), _sheet_row("Twice", status="Doing")], [_sheet_row("Twice", link="https://t.example.com/OPS-1")],
     {"Twice": 3}, 0, 1),
    # The reverse: the link removed in a later download is the same action too, now without its link.
    ([_sheet_row("Fix paging", link="https://t.example.com/OPS-1")], [_sheet_row("Fix paging", status="Done", done="2026-01-20")],
     {"Fix paging": 1}, -1, 0),
])
def test_a_sheet_row_that_gains_a_link_replaces_its_stored_row(tmp_path: Path, db_path: Path, capsys, first: list,
                                                               second: list, titles: dict[str, int], gained: int,
                                                               added: int) -> None:
    assert ingest(db_path, "--actions", str(ex.write_csv(tmp_path / "first.csv", SHEET_HEADER, first))) == 0
    capsys.readouterr()
    assert ingest(db_path, "--actions", str(ex.write_csv(tmp_path / "second.csv", SHEET_HEADER, second))) == 0
    out = capsys.readouterr().out
    stored: dict[str, int] = {}
    for (title,) in rows(db_path, "SELECT title FROM action_items"):
        stored[title] = stored.get(title, 0) + 1
    assert stored == titles
    linked = {title for (title,) in rows(db_path, "SELECT title FROM action_items WHERE link IS NOT NULL")}
    assert linked == {row[2] for row in second if row[6]}  # (row[2]: the Action cell, row[6]: the Link cell)
    line = f"actions given a link:  {gained} (the row stored without one replaced, not added again)"
    assert (line in out) == (gained > 0)
    lost = f"actions whose link was removed: {-gained} (the row stored with it replaced, not added again)"
    assert (lost in out) == (gained < 0)  # (gained -1: one link removed)
    assert f"actions added:       {added}\n" in out
    assert sum(titles.values()) == len(first) + added  # every stored action is a first-run row or an added one


def test_a_duplicate_left_by_an_older_version_is_cleaned_and_counted_as_an_update(tmp_path: Path, db_path: Path,
                                                                                    capsys) -> None:
    link = "https://t.example.com/OPS-1"
    assert ingest(db_path, "--actions", str(ex.write_csv(tmp_path / "a.csv", SHEET_HEADER, [_sheet_row("Fix paging")]))) == 0
    # What a version before the rule left: the row without a link and, beside it, the same row keyed by its link.
    with duckdb.connect(str(db_path)) as con:
        con.execute("INSERT INTO action_items SELECT * REPLACE (?::VARCHAR AS action_key, ?::VARCHAR AS link) "
                    "FROM action_items", [link, link])
    capsys.readouterr()
    assert ingest(db_path, "--actions", str(ex.write_csv(tmp_path / "b.csv", SHEET_HEADER,
                                                          [_sheet_row("Fix paging", link=link)]))) == 0
    out = capsys.readouterr().out
    assert rows(db_path, "SELECT action_key, link FROM action_items") == [(link, link)]
    assert "actions added:       0\n" in out and "actions updated:     1 " in out
    assert "actions given a link:  1 " in out


@pytest.mark.parametrize(("title_header", "error"), [
    ("Action", None),
    ("Action item", None),
    ("Action Items", None),
    ("Follow-up", "not a known actions export"),
])
def test_a_sheet_names_its_action_column_action_or_action_item(tmp_path: Path, db_path: Path, capsys,
                                                               title_header: str, error: str | None) -> None:
    header = ["Review date", title_header, "Status"]
    path = ex.write_csv(tmp_path / "sheet.csv", header, [["2026-01-07", "Add paging alert", "To do"],
                                                         ["2026-01-07", "Write runbook", "Done"]])
    code = ingest(db_path, "--actions", str(path))
    err = capsys.readouterr().err
    if error is None:
        assert code == 0
        assert rows(db_path, "SELECT title, status FROM action_items ORDER BY title") == [
            ("Add paging alert", "open"), ("Write runbook", "done")]
    else:
        assert code == 2 and error in err


def test_two_columns_that_could_be_the_title_are_refused(tmp_path: Path, db_path: Path, capsys) -> None:
    path = ex.write_csv(tmp_path / "sheet.csv", ["Review date", "Action", "Action item", "Status"],
                        [["2026-01-07", "Paging", "Add paging alert", "To do"]])
    assert ingest(db_path, "--actions", str(path)) == 2
    err = capsys.readouterr().err
    assert "more than one column could be the action's title ('Action', 'Action item')" in err
    assert not db_path.exists() or rows(db_path, "SELECT count(*) FROM action_items") == [(0,)]


@pytest.mark.parametrize(("tick", "status"), [("✅", "done"), ("✔️", "done"), ("☑", "done"), ("no", "open")])
def test_a_done_tick_in_emoji_form_closes_the_action(tmp_path: Path, db_path: Path, tick: str, status: str) -> None:
    path = ex.write_csv(tmp_path / "ticks.csv", SHEET_HEADER, [_sheet_row("Ticked", status="", done=tick)
                                                               if tick != "no" else _sheet_row("Ticked", done=tick)])
    assert ingest(db_path, "--actions", str(path)) == 0
    assert rows(db_path, "SELECT status FROM action_items") == [(status,)]
    assert rows(db_path, "SELECT count(*) FROM rejects") == [(0,)]


def test_reloading_a_later_export_replaces_status_and_adds_nothing_twice(exports, tmp_path: Path, db_path: Path, capsys) -> None:
    assert ingest(db_path, "--actions", str(exports["jira"])) == 0
    before = rows(db_path, "SELECT count(*) FROM action_items")[0][0]
    later = [list(r) for r in ex.JIRA_ROWS]
    later[2][5], later[2][17] = "Done", "20/Apr/26 10:00 AM"  # OPS-103 finished since
    path = ex.write_csv(tmp_path / "jira-later.csv", ex.JIRA_HEADER, later)
    capsys.readouterr()
    assert ingest(db_path, "--actions", str(path)) == 0
    out = capsys.readouterr().out
    assert "actions added:       0" in out and f"actions updated:     {before} (1 changed status)" in out
    assert rows(db_path, "SELECT count(*) FROM action_items") == [(before,)]
    assert rows(db_path, "SELECT status, closed FROM actions WHERE action_key = 'OPS-103'") == [("done", date(2026, 4, 20))]


def test_incident_io_follow_up_exported_to_jira_is_one_action(exports, db_path: Path) -> None:
    """Keyed by the tracker's key: the Jira export of OPS-110 and incident.io's follow-up are the same action."""
    assert ingest(db_path, "--actions", str(exports["incident.io"])) == 0
    assert rows(db_path, "SELECT source, status FROM actions WHERE action_key = 'OPS-110'") == [("incident.io", "done")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.csv", "Date,Topic\n2026-03-04,DNS\n", "not a known actions export"),
        ("issues.json", '{"data": [1, 2]}', "not a known actions export"),
        ("broken.json", '[{"number": 1,', "not valid JSON"),
        ("empty-jira.csv", ",".join(ex.JIRA_HEADER) + "\n", "with no rows"),
        ("no-titles.csv", "Issue key,Summary,Status,Created\nOPS-1,,Done,05/Mar/26 10:12 AM\n", "no usable action"),
        ("gh-no-url.json", json.dumps([{"number": 1, "title": "t", "state": "OPEN", "stateReason": "",
                                        "createdAt": "2026-03-04T10:00:00Z"}]), "add url to --json"),
        ("bad-dates.csv", "Issue key,Summary,Status,Created\nOPS-1,Fix,Done,yesterday\n", "created:"),
    ],
)
def test_unusable_files_fail_the_run_in_one_line_and_change_nothing(exports, tmp_path: Path, db_path: Path, capsys,
                                                                    name: str, content: str, message: str) -> None:
    assert ingest(db_path, "--actions", str(exports["linear"])) == 0
    before = digest(db_path)
    capsys.readouterr()
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    assert ingest(db_path, "--actions", str(exports["jira"]), str(bad)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and message in err and name in err, err
    assert digest(db_path) == before


def test_strict_refuses_action_rejects(exports, db_path: Path, capsys) -> None:
    assert ingest(db_path, "--strict", "--actions", str(exports["jira"])) == 2
    assert "no title" in capsys.readouterr().err
    assert not db_path.exists() or rows(db_path, "SELECT count(*) FROM action_items") == [(0,)]


def test_settings_add_statuses_and_a_label_pattern(exports, tmp_path: Path, db_path: Path, monkeypatch) -> None:
    settings = tmp_path / "review_pulse.toml"
    settings.write_text('action_target_days = 15\naction_review_label = "^retro:(\\\\d{4}-\\\\d{2}-\\\\d{2})$"\n'
                        '[action_statuses]\ndone = ["Awaiting Deploy"]\n', encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    assert ingest(db_path, "--actions", str(exports["jira"])) == 0
    assert rows(db_path, "SELECT status FROM actions WHERE action_key = 'OPS-104'") == [("done",)]
    # review-… labels no longer match the pattern: OPS-101 is unlinked without meetings.
    assert rows(db_path, "SELECT review_week FROM actions WHERE action_key = 'OPS-101'") == [(None,)]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("action_target_days = 0", "action_target_days"),
        ('action_review_label = "review-.*"', "one group"),
        ('action_link_template = "javascript:{key}"', "action_link_template"),
        ('[action_statuses]\nfinished = ["Done"]', "action_statuses"),
    ],
)
def test_bad_action_settings_are_one_line(tmp_path: Path, db_path: Path, monkeypatch, capsys, toml: str, message: str) -> None:
    settings = tmp_path / "review_pulse.toml"
    settings.write_text(toml + "\n", encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    assert ingest(db_path, "--actions", "whatever.csv") == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_link_template_gives_jira_rows_their_tracker_link(exports, tmp_path: Path, db_path: Path, monkeypatch) -> None:
    settings = tmp_path / "review_pulse.toml"
    settings.write_text('action_link_template = "https://acme.atlassian.net/browse/{key}"\n', encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    assert ingest(db_path, "--actions", str(exports["jira"])) == 0
    assert rows(db_path, "SELECT link FROM actions WHERE action_key = 'OPS-103'") == [("https://acme.atlassian.net/browse/OPS-103",)]


def test_a_folder_loads_every_export_in_it(exports, db_path: Path, capsys) -> None:
    folder = exports["jira"].parent
    assert ingest(db_path, "--attendance", str(exports["attendance"]), "--actions", str(folder)) == 0
    out = capsys.readouterr().out
    for fmt in ("jira", "linear", "github", "incident.io", "sheet"):
        assert f"({fmt})" in out
    expected = len(ex.JIRA_EXPECTED) + len(ex.LINEAR_EXPECTED) + len(ex.GH_EXPECTED) + len(ex.INCIDENT_EXPECTED) + len(ex.SHEET_EXPECTED_TITLES)
    assert rows(db_path, "SELECT count(*) FROM actions") == [(expected,)]


SHEET_KEY = "1RevPulseActionsSheet00000000000000000000Ef"


def test_actions_from_a_google_sheet(sheets_api: SheetsApiServer, monkeypatch, exports, db_path: Path, capsys) -> None:
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)
    with open(exports["sheet"], newline="", encoding="utf-8") as handle:
        values = list(csv.reader(handle))
    sheets_api.add_sheet(SHEET_KEY, {"Notes": [["x"]], "Actions": values}, title="Review actions")
    url = f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit#gid=0"
    assert ingest(db_path, "--attendance", str(exports["attendance"]), "--actions-sheet", url, "--worksheet", "Actions") == 0
    out = capsys.readouterr().out
    assert "(sheet)" in out
    assert {t for (t,) in rows(db_path, "SELECT title FROM actions")} == set(ex.SHEET_EXPECTED_TITLES)
    assert "Dana Owner" not in _all_stored_text(db_path)


# --- the pure parts, table-driven ----------------------------------------------------------

from pipeline.actions import DateReader, StatusMap  # noqa: E402
from pipeline.parse.times import TimeError  # noqa: E402
from core.settings import Settings  # noqa: E402


@pytest.mark.parametrize(
    ("tracker_status", "resolution", "expected"),
    [
        ("Done", "", ("done", True)), ("CLOSED", "", ("done", True)), ("Resolved", "Fixed", ("done", True)),
        ("Completed", "", ("done", True)), ("completed", "", ("done", True)),
        ("Closed", "Won't Do", ("dropped", True)), ("Done", "Duplicate", ("dropped", True)),
        ("Canceled", "", ("dropped", True)), ("Cancelled", "", ("dropped", True)), ("Won't do", "", ("dropped", True)),
        ("not_doing", "", ("dropped", True)), ("Not planned", "", ("dropped", True)), ("Duplicate", "", ("dropped", True)),
        ("deleted", "", ("dropped", True)),
        ("In Progress", "", ("open", True)), ("outstanding", "", ("open", True)), ("Todo", "", ("open", True)),
        ("Awaiting Deploy", "", ("open", False)), ("Shipped", "", ("open", False)),  # unknown: open, never done
    ],
)
def test_status_defaults(tracker_status: str, resolution: str, expected: tuple[str, bool]) -> None:
    assert StatusMap(Settings()).classify(tracker_status, resolution) == expected


@pytest.mark.parametrize(
    ("value", "dayfirst", "expected"),
    [
        ("12/Mar/24 9:41 AM", False, date(2024, 3, 12)),
        ("12/Mar/2024 11:59 PM", False, date(2024, 3, 12)),
        ("1/Apr/26", False, date(2026, 4, 1)),
        ("2026-03-04T16:20:00.000Z", False, date(2026, 3, 4)),
        ("Wed Mar 11 2026 15:00:00 GMT+0000 (Coordinated Universal Time)", False, date(2026, 3, 11)),
        ("0001-01-01T00:00:00Z", False, None),  # gh: never closed
        ("", False, None),
        ("18/03/2026", True, date(2026, 3, 18)),
        ("3/18/2026", False, date(2026, 3, 18)),
        (46085, False, date(2026, 3, 4)),  # a Sheets serial date
    ],
)
def test_dates_the_trackers_write(value: object, dayfirst: bool, expected: date | None) -> None:
    assert DateReader(Settings(), dayfirst, future_ok=False).read(value) == expected


@pytest.mark.parametrize(("value", "reason"), [("12/Mär/24 9:41 AM", "unknown month"), ("yesterday", "not a date"),
                                               ("31/Feb/26", "not a date"), ("March 3", "no full date")])
def test_dates_that_are_refused_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(TimeError, match=reason):
        DateReader(Settings(), False, future_ok=False).read(value)


def test_a_created_date_in_the_future_is_rejected_but_a_due_date_is_not(tmp_path: Path, db_path: Path) -> None:
    path = ex.write_csv(tmp_path / "j.csv", ["Summary", "Issue key", "Status", "Created", "Due date"], [
        ["Later", "OPS-1", "To Do", "12/Mar/99 9:41 AM", ""], ["Fine", "OPS-2", "To Do", "12/Mar/26 9:41 AM", "01/Jan/40"]])
    assert ingest(db_path, "--actions", str(path)) == 0
    assert rows(db_path, "SELECT action_key, due FROM actions") == [("OPS-2", date(2040, 1, 1))]
    assert "in the future" in rows(db_path, "SELECT reason FROM rejects")[0][0]


def test_summary_escapes_control_characters_from_the_file(tmp_path: Path, db_path: Path, capsys) -> None:
    path = ex.write_csv(tmp_path / "j.csv", ["Summary", "Issue key", "Status", "Created"],
                        [["Fix", "OPS-1", "Wait\x1b[2Jing", "12/Mar/26 9:41 AM"]])
    assert ingest(db_path, "--actions", str(path)) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Wait\\x1b[2Jing (1)" in out


def test_a_folder_of_json_exports_only(exports, tmp_path: Path, db_path: Path, capsys) -> None:
    folder = tmp_path / "json-only"
    folder.mkdir()
    for fmt in ("github", "incident.io"):
        (folder / exports[fmt].name).write_bytes(exports[fmt].read_bytes())
    (tmp_path / "empty").mkdir()
    assert ingest(db_path, "--actions", str(folder)) == 0
    assert rows(db_path, "SELECT count(*) FROM actions") == [(len(ex.GH_EXPECTED) + len(ex.INCIDENT_EXPECTED),)]
    assert ingest(db_path, "--actions", str(tmp_path / "empty")) == 2
    assert "holds no .csv, .xlsx or .json files" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "the file is empty"),
    (b"[" + b'{"number": 1},' * 10 + b'{"number": 2}]', r"the file is over 0 MB; not a tracker export"),
    (b'[{"number": 1}', r"not valid JSON \(line 1, column 15"),
    (b'[{"number": 1}, {"number": 2}]', None),
])
def test_json_export_is_refused_before_it_is_read_whole(tmp_path: Path, monkeypatch, content: bytes, problem: str | None) -> None:
    """An oversized JSON file is refused from its first MAX_JSON_BYTES + 1 bytes; a bad one with a reason."""
    import io

    from pipeline.errors import SourceFileError
    from pipeline.sources import json_files

    monkeypatch.setattr(json_files, "MAX_JSON_BYTES", 100)
    path = tmp_path / "issues.json"
    path.write_bytes(content)
    reads: list[int] = []

    class CountingReader(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(size)
            return super().read(size)

    monkeypatch.setattr(Path, "open", lambda self, *a, **k: CountingReader(content))
    if problem is None:
        assert json_files.read_json(path).data == [{"number": 1}, {"number": 2}]
    else:
        with pytest.raises(SourceFileError, match=problem):
            json_files.read_json(path)
    assert reads == [101]  # at most one byte past the limit, never the whole file


# --- GitHub: the REST API's issue list, and gh exports without stateReason -----------------


def _people_and_pr_text(db: Path) -> list[str]:
    return [t for t in ("ana-souza", "Bump the runbook linter", "Dashboards for the queue depth",
                        "api.github.com") if t in _all_stored_text(db)]


def test_github_rest_issue_list_loads_skipping_pull_requests(tmp_path: Path, db_path: Path, capsys) -> None:
    export = tmp_path / "issues.json"
    export.write_text(json.dumps(ex.GITHUB_REST_ISSUES, indent=2), encoding="utf-8")
    assert ingest(db_path, "--actions", str(export)) == 0
    out = capsys.readouterr().out
    assert "(github-rest)" in out
    assert f"pull requests skipped (not actions): {ex.GITHUB_REST_PULL_REQUESTS}" in out
    assert f"closed issues without stateReason: {ex.GITHUB_REST_CLOSED_WITHOUT_REASON}," in out
    assert "action rows rejected" not in out
    stored = {r[0]: r[1:] for r in rows(db_path, "SELECT action_key, status, created, closed, source FROM actions")}
    assert stored == {key: (status, _d(created), _d(closed), "github")
                      for key, (status, created, closed) in ex.GITHUB_REST_EXPECTED.items()}
    assert _people_and_pr_text(db_path) == []  # no people, no pull requests, no API addresses


def test_github_rest_and_gh_exports_of_one_repository_key_the_same_actions(exports, tmp_path: Path, db_path: Path,
                                                                           capsys) -> None:
    rest = tmp_path / "issues.json"
    rest.write_text(json.dumps(ex.GITHUB_REST_ISSUES), encoding="utf-8")
    assert ingest(db_path, "--actions", str(exports["github"])) == 0
    assert ingest(db_path, "--actions", str(rest)) == 0
    shared = set(ex.GH_EXPECTED) & set(ex.GITHUB_REST_EXPECTED)
    assert len(shared) == 4
    assert f"actions updated:     {len(shared)}" in capsys.readouterr().out
    assert rows(db_path, "SELECT count(*) FROM actions") == [(len(set(ex.GH_EXPECTED) | set(ex.GITHUB_REST_EXPECTED)),)]


def test_github_rest_list_of_only_pull_requests_fails_in_one_line(tmp_path: Path, db_path: Path, capsys) -> None:
    prs = [i for i in ex.GITHUB_REST_ISSUES if "pull_request" in i]
    export = tmp_path / "pulls.json"
    export.write_text(json.dumps(prs), encoding="utf-8")
    assert ingest(db_path, "--actions", str(export)) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"only pull requests ({len(prs)})" in err and "pulls.json" in err


@pytest.mark.parametrize(("fields", "closed_without_reason"), [
    # gh issue list --json … without stateReason: every closed issue may have been "not planned"
    (("number", "title", "state", "labels", "createdAt", "closedAt", "url"),
     sum(1 for i in ex.GH_ISSUES if i["state"] == "CLOSED")),
    # with it: none in the fixture lacks a reason
    (("number", "title", "state", "stateReason", "labels", "createdAt", "closedAt", "url"), 0),
])
def test_gh_export_without_state_reason_says_not_planned_is_unknown(tmp_path: Path, db_path: Path, capsys,
                                                                    fields: tuple[str, ...],
                                                                    closed_without_reason: int) -> None:
    export = tmp_path / "gh.json"
    export.write_text(json.dumps([{k: v for k, v in i.items() if k in fields} for i in ex.GH_ISSUES]), encoding="utf-8")
    assert ingest(db_path, "--actions", str(export)) == 0
    out = capsys.readouterr().out
    if closed_without_reason:
        assert (f"closed issues without stateReason: {closed_without_reason}, counted as done: "
                '"not planned" cannot be told from "done"') in out
        assert rows(db_path, "SELECT count(*) FROM actions WHERE status = 'dropped'") == [(0,)]
    else:
        assert "without stateReason" not in out


# --- D/M vs M/D in a sheet of actions: decided as for surveys ------------------------------

DATED_SHEET_HEADER = ["Series", "Review date", "Action", "Status", "Link"]


def _sheet(path: Path, review_dates: list[str]) -> Path:
    return ex.write_csv(path, DATED_SHEET_HEADER, [["Incident review", day, f"Action {i}", "To do", f"https://t.example.com/A-{i}"]
                                             for i, day in enumerate(review_dates)])


@pytest.mark.parametrize(
    ("review_dates", "stored", "guessed"),
    [
        (["03/04/2025", "07/01/2025"], ["2025-03-04", "2025-07-01"], True),  # nothing settles it: M/D, noted
        (["03/04/2025", "13/01/2025"], ["2025-04-03", "2025-01-13"], False),  # 13/01 proves D/M
        (["03/04/2025", "01/13/2025"], ["2025-03-04", "2025-01-13"], False),  # 01/13 proves M/D
        (["2025-03-04", "2025/01/07"], ["2025-03-04", "2025-01-07"], False),  # year first: no guess
    ],
)
def test_sheet_dates_read_month_day_for_want_of_evidence_are_noted(tmp_path: Path, db_path: Path, capsys,
                                                                   review_dates: list[str], stored: list[str],
                                                                   guessed: bool) -> None:
    path = _sheet(tmp_path / "actions.csv", review_dates)
    assert ingest(db_path, "--actions", str(path)) == 0
    out = capsys.readouterr().out
    assert rows(db_path, "SELECT review_date FROM action_items ORDER BY link") == [(_d(day),) for day in stored]
    assert (f"{path}: note: dates read as month/day, as nothing in the file says which" in out) is guessed
    assert ('date_order = "DMY"' in out) is guessed


def test_strict_refuses_a_sheet_whose_date_order_was_guessed(tmp_path: Path, db_path: Path, capsys) -> None:
    path = _sheet(tmp_path / "actions.csv", ["03/04/2025", "07/01/2025"])
    assert ingest(db_path, "--strict", "--actions", str(path)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --strict: {path}: the dates could be month/day or day/month") and err.count("\n") == 1
    assert not db_path.exists() or rows(db_path, "SELECT count(*) FROM action_items") == [(0,)]


def test_sheet_dates_settling_the_order_both_ways_refuse_the_file(tmp_path: Path, db_path: Path, capsys) -> None:
    # Review 14/01 proves D/M, due 01/21 M/D: no first clue decides, the user does.
    path = ex.write_csv(tmp_path / "actions.csv", ["Review date", "Action", "Status", "Due"],
                        [["14/01/2025", "Fix alert E", "To do", ""], ["02/03/2025", "Fix alert F", "To do", "01/21/2025"]])
    assert ingest(db_path, "--actions", str(path)) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {path}: the dates disagree on day/month order (14/01/2025 can only be day/month, "
                   '01/21/2025 only month/day); set date_order = "DMY" or "MDY" in review_pulse.toml '
                   "(dates that do not fit it are rejected)\n")
    assert not db_path.exists() or rows(db_path, "SELECT count(*) FROM action_items") == [(0,)]
