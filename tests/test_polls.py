"""Talking points (issue 12): Polly and Simple Poll messages from Slack exports, talking-points sheets
and long poll exports, through the real CLI into a real DuckDB file; view values against hand counts.

The Slack messages below are exact-shaped after slackdump's public fixtures
(github.com/rusq/slackdump: internal/viewer/renderer/fixtures/polly.json and
internal/fixtures/assets/messages/bot_message.json), with texts and ids of our own.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import unicodedata
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from pipeline import polls as poll_parsers
from pipeline.cli import main
from pipeline.sources import slack_export
from core.settings import Settings, Theme, load_settings
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401  (fixture)

VOTER_IDS = ["U0AAAAAAA1", "U0AAAAAAA2", "U0AAAAAAA3", "U0AAAAAAA4", "U0AAAAAAA5", "U0BBBBBBB1", "U0BBBBBBB2",
             "U0CCCCCCC9", "W0DDDDDDD1", "UHSD97ZA5"]
# Wednesday 1 April 2026, 16:00 UTC; the review of the week of 30 March.
POSTED = datetime(2026, 4, 1, 16, 0, tzinfo=timezone.utc).timestamp()


def m(user: str) -> str:
    return f"<@{user}>"


# Polly: title in the first section, results in section `fields`, poll id in PollMessage(<id>).
POLLY = {
    "type": "message",
    "user": "U089AJ964TE",
    "text": f"*Facilitator* (Polly Sender: {m('UHSD97ZA5')}) has a polly for you!",
    "ts": f"{POSTED:.6f}",
    "edited": {"user": "B089LPE68BB", "ts": f"{POSTED + 300:.6f}"},
    "bot_id": "B089LPE68BB",
    "bot_profile": {"app_id": "A04E6JX41", "id": "B089LPE68BB", "name": "Polly", "team_id": "THY5HTZ8U"},
    "team": "THY5HTZ8U",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Talking points: checkout latency*", "verbatim": True},
         "block_id": "xv7cA",
         "accessory": {"type": "overflow", "action_id": "PollMessage(k3vQyaqwEwErYhA2Z).PollMessageOverflowMenu()",
                       "options": [{"text": {"type": "plain_text", "text": "Settings", "emoji": True}, "value": "settings"}]}},
        {"type": "actions", "block_id": "2BTuw", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Checkout latency: detection", "emoji": True},
             "action_id": "PollMessage(k3vQyaqwEwErYhA2Z).VotingButton(0)", "value": "one"}]},
        {"type": "section", "block_id": "nl1gk", "fields": [
            {"type": "mrkdwn", "verbatim": True,
             "text": "Checkout latency: detection  \n\n`██████████               `  |  42% (5)\n\n"
                     + ", ".join(m(u) for u in VOTER_IDS[:5])},
            {"type": "mrkdwn", "verbatim": True,
             "text": "Alert fatigue &amp; paging  \n\n`██████                   `  |  25% (3)\n\n"
                     + ", ".join(m(u) for u in VOTER_IDS[5:8])},
        ]},
        {"type": "section", "block_id": "fmNoP", "fields": [
            {"type": "mrkdwn", "verbatim": True,
             "text": f"Ask {m('U0CCCCCCC9')} about runbooks  \n\n`████████                 `  |  33% (4)\n\n"
                     + ", ".join(m(u) for u in [VOTER_IDS[8], VOTER_IDS[9], VOTER_IDS[0], VOTER_IDS[1]])},
            {"type": "mrkdwn", "verbatim": True, "text": "Other  \n\n`                         `  |  0% (0)"},
        ]},
        {"type": "context", "block_id": "2ZI/p", "elements": [{"type": "mrkdwn", "text": "*Total Votes*: 12", "verbatim": True}]},
        {"type": "actions", "block_id": "7kaNy", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "View All Responses ", "emoji": True},
             "action_id": "PollMessage(k3vQyaqwEwErYhA2Z).ViewAllResponsesButton"}]},
        {"type": "divider", "block_id": "Vx4ym"},
        {"type": "context", "block_id": "2dckx", "elements": [
            {"type": "mrkdwn", "text": "Sender: Facilitator | :unlock: *Responses:* Non-Anonymous", "verbatim": True}]},
    ],
}
POLLY_COUNTS = {"Checkout latency: detection": 5, "Alert fatigue & paging": 3, "Ask @someone about runbooks": 4, "Other": 0}

# Simple Poll: bot_message, blocks poll-<uuid>-vote-<n> reading ":one: label    `count`", voters below.
SIMPLE_UUID = "4a4cb7f3-4714-4099-b184-61c1bc14bc66"
SIMPLE = {
    "type": "message",
    "text": "Talking points: DNS",
    "ts": f"{POSTED + 7 * 86400:.6f}",
    "edited": {"user": "BUEBX9AUR", "ts": f"{POSTED + 7 * 86400 + 600:.6f}"},
    "subtype": "bot_message",
    "bot_id": "BUEBX9AUR",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Talking points: DNS*", "emoji": None},
         "block_id": f"poll-{SIMPLE_UUID}-title-and-menu",
         "accessory": {"type": "overflow", "action_id": "title-and-menu", "options": [
             {"text": {"type": "plain_text", "text": ":lock: Close Poll", "emoji": True}, "value": "close_poll"}]}},
        {"type": "section", "text": {"type": "mrkdwn", "emoji": None,
                                     "text": ":one: DNS change review    `6`\n" + ", ".join(m(u) for u in VOTER_IDS[:6])},
         "block_id": f"poll-{SIMPLE_UUID}-vote-42503654",
         "accessory": {"type": "button", "text": {"type": "plain_text", "text": ":one:", "emoji": True}, "action_id": "vote-42503654"}},
        {"type": "section", "text": {"type": "mrkdwn", "emoji": None,
                                     "text": ":two: Rollback speed    `2`\n" + ", ".join(m(u) for u in VOTER_IDS[6:8])},
         "block_id": f"poll-{SIMPLE_UUID}-vote-42503655",
         "accessory": {"type": "button", "text": {"type": "plain_text", "text": ":two:", "emoji": True}, "action_id": "vote-42503655"}},
        {"type": "section", "text": {"type": "mrkdwn", "emoji": None, "text": ":three: Runbooks out of date"},
         "block_id": f"poll-{SIMPLE_UUID}-vote-42503656",
         "accessory": {"type": "button", "text": {"type": "plain_text", "text": ":three:", "emoji": True}, "action_id": "vote-42503656"}},
        {"type": "section", "text": {"type": "mrkdwn", "emoji": None,
                                     "text": ":four: Something else    `2`\n" + ", ".join(m(u) for u in VOTER_IDS[8:10])},
         "block_id": f"poll-{SIMPLE_UUID}-vote-42503657",
         "accessory": {"type": "button", "text": {"type": "plain_text", "text": ":four:", "emoji": True}, "action_id": "vote-42503657"}},
        {"type": "context", "block_id": "RcSh", "elements": [
            {"type": "mrkdwn", "text": f"Created by {m('U0AAAAAAA1')} with /poll", "emoji": None}]},
    ],
}
SIMPLE_COUNTS = {"DNS change review": 6, "Rollback speed": 2, "Runbooks out of date": 0, "Something else": 2}

OTHER_MESSAGES = [
    {"type": "message", "user": "U0AAAAAAA1", "text": f"thanks {m('U0BBBBBBB1')}!", "ts": f"{POSTED + 60:.6f}"},
    {"type": "message", "subtype": "bot_message", "bot_id": "B0REMIND01", "text": "Reminder: review at 4pm", "ts": f"{POSTED - 3600:.6f}"},
    {"type": "message", "subtype": "channel_join", "user": "U0AAAAAAA2", "text": f"{m('U0AAAAAAA2')} has joined", "ts": f"{POSTED - 10:.6f}"},
    # Polly's own non-poll message (no results fields): ignored, not a poll.
    {"type": "message", "text": "Your polly closes in 1 hour", "ts": f"{POSTED + 120:.6f}", "bot_id": "B089LPE68BB",
     "bot_profile": {"name": "Polly", "id": "B089LPE68BB"}, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Closing soon"}}]},
]

THEMES_TOML = """
default_series = "Incident review"
[[themes]]
name = "Alerting"
keywords = ["alert fatigue", "paging"]
[[themes]]
name = "Runbooks"
aliases = ["runbooks"]
[[themes]]
name = "Rollbacks"
keywords = ["rollback speed"]
[poll_channels]
"#incident-review" = "Incident review"
"ops-review" = "Ops review"
"""


def write_export(path: Path, days: dict[tuple[str, str], list], as_zip: bool = False, extra: dict[str, bytes] | None = None) -> Path:
    files = {"channels.json": json.dumps([{"id": f"C{i}", "name": c} for i, c in enumerate(sorted({c for c, _ in days}))]).encode(),
             "users.json": json.dumps([{"id": "U0AAAAAAA1", "name": "ana", "real_name": "Ana Souza"}]).encode()}
    for (channel, day), messages in days.items():
        files[f"{channel}/{day}.json"] = messages if isinstance(messages, bytes) else json.dumps(messages).encode()
    files.update(extra or {})
    if as_zip:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
    else:
        for name, data in files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_bytes(data)
    return path


@pytest.fixture
def themed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings_path = tmp_path / "review_pulse.toml"
    settings_path.write_text(THEMES_TOML)
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_path))
    return load_settings()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    days = {("incident-review", "2026-04-01"): [OTHER_MESSAGES[1], OTHER_MESSAGES[2], POLLY, OTHER_MESSAGES[0], OTHER_MESSAGES[3]],
            ("incident-review", "2026-04-08"): [SIMPLE],
            ("random", "2026-04-01"): [OTHER_MESSAGES[0]]}
    return write_export(tmp_path / "export.zip", days, as_zip=True)


def ingest(db: Path, *args: str) -> int:
    return main(["ingest", "--db", str(db), *args])


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def every_stored_text(db: Path) -> str:
    """Every cell of every table, as text: what 'never stored' is checked against."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()]
        return "\n".join(str(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)


# --- parsers -----------------------------------------------------------------


def test_polly_message_parses_to_its_labels_and_counts() -> None:
    poll_id, title, options = poll_parsers.parse_polly(POLLY)
    assert poll_id == "polly:k3vQyaqwEwErYhA2Z" and title == "*Talking points: checkout latency*"
    assert {poll_parsers.clean_text(label): votes for label, votes in options} == POLLY_COUNTS


def test_simple_poll_message_parses_including_the_option_nobody_voted_for() -> None:
    poll_id, title, options = poll_parsers.parse_simple_poll(SIMPLE)
    assert poll_id == f"simple-poll:{SIMPLE_UUID}"
    assert {poll_parsers.clean_text(label): votes for label, votes in options} == SIMPLE_COUNTS


@pytest.mark.parametrize(("message", "app"), [
    (POLLY, "polly"), (SIMPLE, "simple-poll"), *[(msg, None) for msg in OTHER_MESSAGES[:3]],
    ({"type": "message", "subtype": "message_changed", "message": SIMPLE}, "simple-poll"),
])
def test_poll_app_is_recognised_only_for_poll_messages(message: dict, app: str | None) -> None:
    assert poll_parsers.poll_app(message) == app


@pytest.mark.parametrize(("point", "expected"), [
    ("Alert fatigue on call", ("theme", "Alerting")),
    ("PAGING the right team", ("theme", "Alerting")),
    ("Where the runbooks live", ("theme", "Runbooks")),
    ("Rollback speed", ("theme", "Rollbacks")),
    ("Other", ("other", None)),
    ("Something else", ("other", None)),
    ("Other (add in thread)", ("other", None)),
    ("Otherwise fine", ("incident", None)),
    ("Other: whatever you bring", ("other", None)),
    ("Something else?", ("other", None)),
    ("Other teams paging us", ("theme", "Alerting")),
    ("Checkout latency: detection", ("incident", None)),
    ("Pagingfoo", ("incident", None)),  # whole words only
])
def test_classification(themed: Settings, point: str, expected: tuple) -> None:
    assert poll_parsers.classify(point, themed.themes) == expected


def test_settings_read_themes_and_channel_series(themed: Settings) -> None:
    assert themed.themes[0] == Theme("Alerting", ("alert fatigue", "paging"))
    assert themed.themes[1] == Theme("Runbooks", ("runbooks",))
    assert dict(themed.poll_channels) == {"incident-review": "Incident review", "ops-review": "Ops review"}


# --- through the CLI into the DB ---------------------------------------------


def test_export_loads_polls_and_never_stores_a_voter(themed: Settings, export: Path, db_path: Path, capsys) -> None:
    assert ingest(db_path, "--polls", str(export)) == 0
    out = capsys.readouterr().out
    # 5 messages + 1 + 1 in all; the two polls are not "ignored".
    assert "polls loaded:        2 (5 other Slack messages ignored)" in out
    assert "options matching no theme (add [[themes]] to review_pulse.toml if they recur): " \
           "Checkout latency: detection; DNS change review\n" in out
    stored = every_stored_text(db_path)
    for voter in VOTER_IDS + ["U089AJ964TE"]:
        assert voter not in stored
    assert "Ana Souza" not in stored  # users.json is never read
    got = {(p, v) for p, v in rows(db_path, "SELECT point, votes FROM poll_options")}
    assert got == set(POLLY_COUNTS.items()) | set(SIMPLE_COUNTS.items())


def test_talking_points_view_matches_a_hand_count(themed: Settings, export: Path, db_path: Path, tmp_path: Path) -> None:
    attendance = tmp_path / "attendance.csv"
    attendance.write_text("Date,Attendees\n2026-04-01,20\n2026-04-08,18\n")
    assert ingest(db_path, "--polls", str(export), "--attendance", str(attendance)) == 0
    got = rows(db_path, "SELECT week_start, series, point, kind, theme, votes, share, rank FROM talking_points ORDER BY week_start, rank, point")
    polly_total, simple_total = sum(POLLY_COUNTS.values()), sum(SIMPLE_COUNTS.values())
    assert (polly_total, simple_total) == (12, 10)
    first, second = date(2026, 3, 30), date(2026, 4, 6)
    assert got == [
        (first, "Incident review", "Checkout latency: detection", "incident", None, 5, 5 / 12, 1),
        (first, "Incident review", "Ask @someone about runbooks", "theme", "Runbooks", 4, 4 / 12, 2),
        (first, "Incident review", "Alert fatigue & paging", "theme", "Alerting", 3, 3 / 12, 3),
        (first, "Incident review", "Other", "other", None, 0, 0.0, 4),
        (second, "Incident review", "DNS change review", "incident", None, 6, 6 / 10, 1),
        (second, "Incident review", "Rollback speed", "theme", "Rollbacks", 2, 2 / 10, 2),
        (second, "Incident review", "Something else", "other", None, 2, 2 / 10, 2),  # a tie shares the rank
        (second, "Incident review", "Runbooks out of date", "theme", "Runbooks", 0, 0.0, 4),
    ]
    assert rows(db_path, "SELECT * FROM weekly_topics ORDER BY week_start") == [
        (first, "Incident review", 1, 12, "Checkout latency: detection", "incident", None),
        (second, "Incident review", 1, 10, "DNS change review", "incident", None),
    ]


def test_week_follows_the_review_like_survey_responses(export: Path, db_path: Path, tmp_path: Path) -> None:
    """The Simple Poll was posted on Wed 8 April; with the review held on Tue 7 April it belongs to that review's
    week; with the last review 9 days before, to its own week."""
    attendance = tmp_path / "attendance.csv"
    attendance.write_text("Date,Attendees\n2026-03-30,20\n")
    assert ingest(db_path, "--polls", str(export), "--attendance", str(attendance)) == 0
    assert rows(db_path, "SELECT week_start FROM poll_weeks ORDER BY 1") == [(date(2026, 3, 30),), (date(2026, 4, 6),)]
    attendance.write_text("Date,Attendees\n2026-03-30,20\n2026-03-29,1\n")
    other = tmp_path / "a2.csv"
    other.write_text("Date,Attendees\n2026-03-27,20\n")  # Friday before: the 1 April poll is within 7 days
    db2 = tmp_path / "two.duckdb"
    assert ingest(db2, "--polls", str(export), "--attendance", str(other)) == 0
    assert rows(db2, "SELECT week_start FROM poll_weeks ORDER BY 1") == [(date(2026, 3, 23),), (date(2026, 4, 6),)]


def test_latest_edit_wins_whatever_the_file_order(export: Path, db_path: Path, tmp_path: Path) -> None:
    earlier = copy.deepcopy(SIMPLE)
    earlier["edited"]["ts"] = f"{POSTED + 7 * 86400 + 60:.6f}"
    earlier["blocks"][1]["text"]["text"] = ":one: DNS change review    `1`\n<@U0AAAAAAA1>"
    folder = tmp_path / "edits"
    # The newer tally first (an earlier day file), the older edit later: the edit time decides, not the order.
    write_export(folder, {("incident-review", "2026-04-07"): [SIMPLE], ("incident-review", "2026-04-08"): [earlier]})
    assert ingest(db_path, "--polls", str(folder)) == 0
    assert rows(db_path, "SELECT votes FROM poll_options WHERE point = 'DNS change review'") == [(6,)]
    assert rows(db_path, "SELECT count(*) FROM polls") == [(1,)]


@pytest.mark.parametrize(("copies", "dns_votes", "rejected"), [
    # The same edit twice with different tallies: the poll is refused, each copy a reject naming the other.
    (["other tally"], None, 2),
    (["same"], 6, 0),  # an exact copy is one poll
    (["other tally", "later edit"], 3, 0),  # a later edit settles it
])
def test_one_poll_edit_with_two_tallies_is_refused(db_path: Path, tmp_path: Path, copies: list[str],
                                                   dns_votes: int | None, rejected: int) -> None:
    messages = [SIMPLE]
    for kind in copies:
        copy_of = copy.deepcopy(SIMPLE)
        if kind == "other tally":
            copy_of["blocks"][1]["text"]["text"] = ":one: DNS change review    `1`\n<@U0AAAAAAA1>"
        elif kind == "later edit":
            copy_of["edited"]["ts"] = f"{float(SIMPLE['edited']['ts']) + 60:.6f}"
            copy_of["blocks"][1]["text"]["text"] = ":one: DNS change review    `3`\n<@U0AAAAAAA1>"
        messages.append(copy_of)
    folder = write_export(tmp_path / "copies", {("incident-review", "2026-04-07"): messages, ("incident-review", "2026-04-01"): [POLLY]})
    assert ingest(db_path, "--polls", str(folder)) == 0
    stored = rows(db_path, "SELECT votes FROM poll_options WHERE point = 'DNS change review'")
    assert stored == ([] if dns_votes is None else [(dns_votes,)])
    assert rows(db_path, "SELECT count(*) FROM polls") == [(1 if dns_votes is None else 2,)]  # Polly's poll stays
    reasons = [r for (r,) in rows(db_path, "SELECT reason FROM rejects")]
    assert len(reasons) == rejected
    assert all(r.startswith("the same poll edit with different vote counts also at ") and "message" in r for r in reasons)


def test_reload_replaces_the_tally_and_adds_nothing(export: Path, db_path: Path, tmp_path: Path) -> None:
    assert ingest(db_path, "--polls", str(export)) == 0
    assert ingest(db_path, "--polls", str(export)) == 0
    assert rows(db_path, "SELECT count(*), sum(votes) FROM poll_options") == [(8, 22)]
    later = copy.deepcopy(POLLY)
    later["edited"]["ts"] = f"{POSTED + 900:.6f}"
    later["blocks"][3]["fields"][1]["text"] = "Other  \n\n`███                      `  |  8% (1)\n\n<@U0AAAAAAA3>"
    folder = tmp_path / "later"
    write_export(folder, {("incident-review", "2026-04-01"): [later]})
    assert ingest(db_path, "--polls", str(folder)) == 0
    assert rows(db_path, "SELECT count(*), sum(votes) FROM poll_options") == [(8, 23)]
    assert rows(db_path, "SELECT count(*) FROM polls") == [(2,)]
    # The older export loaded again: its tally is an earlier edit and replaces nothing.
    assert ingest(db_path, "--polls", str(export)) == 0
    assert rows(db_path, "SELECT count(*), sum(votes) FROM poll_options") == [(8, 23)]


def test_summary_lists_unmatched_options_that_recur_first(db_path: Path, tmp_path: Path, capsys) -> None:
    sheet = write_csv(tmp_path / "p.csv", [["Date", "Talking point", "Votes"], ["2026-04-01", "Zebra", "1"],
                                           ["2026-04-01", "Vendor outages", "2"], ["2026-04-08", "Vendor outages", "1"],
                                           ["2026-04-08", "Other", "1"]])
    assert ingest(db_path, "--polls", str(sheet)) == 0
    assert "if they recur): Vendor outages (2 polls); Zebra\n" in capsys.readouterr().out


def test_a_poll_nobody_voted_in(db_path: Path, tmp_path: Path) -> None:
    empty = copy.deepcopy(SIMPLE)
    for block in empty["blocks"][1:5]:
        block["text"]["text"] = block["text"]["text"].split("    `")[0].split("\n")[0]
    folder = write_export(tmp_path / "zero", {("incident-review", "2026-04-08"): [empty]})
    assert ingest(db_path, "--polls", str(folder)) == 0
    assert rows(db_path, "SELECT DISTINCT votes, share, rank FROM talking_points") == [(0, None, 1)]
    assert rows(db_path, "SELECT polls, total_votes, top_point, top_kind FROM weekly_topics") == [(1, 0, None, None)]


@pytest.mark.parametrize("broken", [b"[{\"type\": \"message\", ", b"{\"not\": \"a list\"}", b"\xff\xfe\x00garbage"])
def test_a_malformed_day_file_loads_nothing_and_names_the_file(export: Path, db_path: Path, tmp_path: Path, capsys,
                                                               broken: bytes) -> None:
    assert ingest(db_path, "--polls", str(export)) == 0
    before = digest(db_path)
    capsys.readouterr()
    bad = write_export(tmp_path / "bad.zip", {("incident-review", "2026-04-01"): [POLLY],
                                              ("incident-review", "2026-04-15"): broken}, as_zip=True)
    assert ingest(db_path, "--polls", str(bad)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "incident-review/2026-04-15.json" in err and "nothing was loaded" in err, err
    assert digest(db_path) == before


def test_an_export_without_polls_fails_the_run(db_path: Path, tmp_path: Path, capsys) -> None:
    folder = write_export(tmp_path / "chatter", {("general", "2026-04-01"): OTHER_MESSAGES})
    assert ingest(db_path, "--polls", str(folder)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(folder) in err and "no usable poll" in err and "4 messages" in err
    assert not db_path.exists()


def test_a_broken_poll_message_is_a_reject_without_voters(export: Path, db_path: Path, tmp_path: Path) -> None:
    broken = copy.deepcopy(POLLY)
    broken["blocks"][2]["fields"][0]["text"] = f"half a result {m('U0AAAAAAA1')}"
    folder = write_export(tmp_path / "broken", {("incident-review", "2026-04-01"): [broken],
                                                ("incident-review", "2026-04-08"): [SIMPLE]})
    assert ingest(db_path, "--polls", str(folder)) == 0
    (kind, source, reason, raw), = rows(db_path, "SELECT kind, source_file, reason, raw FROM rejects")
    assert kind == "poll" and source.endswith("incident-review/2026-04-01.json") and "Polly option" in reason
    assert "U0AAAAAAA1" not in reason + raw and "half a result" not in reason  # the kind of problem, not the text
    assert rows(db_path, "SELECT count(*) FROM polls") == [(1,)]


@pytest.mark.parametrize("member", ["../evil.json", "/etc/evil.json", "incident-review/../../evil.json"])
def test_zip_with_a_path_outside_the_export_is_refused(db_path: Path, tmp_path: Path, capsys, member: str) -> None:
    bad = write_export(tmp_path / "bad.zip", {("incident-review", "2026-04-01"): [POLLY]}, as_zip=True,
                       extra={member: b"[]"})
    assert ingest(db_path, "--polls", str(bad)) == 2
    assert "unsafe path" in capsys.readouterr().err and not db_path.exists()


def test_a_truncated_zip_is_one_line(export: Path, db_path: Path, tmp_path: Path, capsys) -> None:
    cut = tmp_path / "cut.zip"
    cut.write_bytes(export.read_bytes()[: export.stat().st_size // 2])
    assert ingest(db_path, "--polls", str(cut)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged ZIP" in err and not db_path.exists()


def test_zip_bomb_is_refused(db_path: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_export, "MAX_TOTAL_BYTES", 64 * 1024)
    padding = [{"type": "message", "text": "x" * 1000, "ts": f"{POSTED:.6f}"}] * 200  # ~200 KB, compresses to little
    bad = write_export(tmp_path / "bomb.zip", {("incident-review", "2026-04-01"): [POLLY, *padding]}, as_zip=True)
    assert bad.stat().st_size < 64 * 1024
    assert ingest(db_path, "--polls", str(bad)) == 2
    assert "larger than" in capsys.readouterr().err and not db_path.exists()


UNLISTED_LINE = "polls skipped, their channel is not in [poll_channels]: "


@pytest.mark.parametrize(("configured", "stored", "skipped"), [
    # [poll_channels] set: an unlisted channel's poll is skipped and named with the fix, never filed anywhere.
    (True, [("polly", "Ops review")], "unmapped (1 poll)"),
    # None set: every channel's polls take default_series, as README documents.
    (False, [("polly", "Incident review"), ("simple-poll", "Incident review")], None),
])
def test_channel_maps_to_series_and_unlisted_channels_are_skipped_by_name(
        db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, configured: bool, stored, skipped) -> None:
    settings_path = tmp_path / "review_pulse.toml"
    settings_path.write_text(THEMES_TOML if configured else THEMES_TOML.split("[poll_channels]")[0])
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_path))
    # The Simple Poll twice (an edit): one poll in the count, not two.
    folder = write_export(tmp_path / "two", {("ops-review", "2026-04-01"): [POLLY],
                                             ("unmapped", "2026-04-08"): [SIMPLE, SIMPLE]})
    assert ingest(db_path, "--polls", str(folder)) == 0
    out = capsys.readouterr().out
    assert rows(db_path, "SELECT app, series FROM polls ORDER BY 1") == stored
    if skipped:
        assert f"{UNLISTED_LINE}{skipped}; add the channel to [poll_channels] in review_pulse.toml" in out
        assert "polls loaded:        1 (0 other Slack messages ignored)" in out
    else:
        assert UNLISTED_LINE not in out


def test_an_export_whose_polls_are_all_in_unlisted_channels_fails_naming_them(
        themed: Settings, db_path: Path, tmp_path: Path, capsys) -> None:
    folder = write_export(tmp_path / "lunch", {("random", "2026-04-01"): [POLLY], ("lunch", "2026-04-08"): [SIMPLE]})
    assert ingest(db_path, "--polls", str(folder)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lunch (1 poll), random (1 poll)" in err and "add the channel to [poll_channels]" in err
    assert not db_path.exists()


NFC_NAME = unicodedata.normalize("NFC", "revisión-incidentes")
NFD_NAME = unicodedata.normalize("NFD", NFC_NAME)


@pytest.mark.parametrize(("as_zip", "listed", "folder", "mapped"), [
    # macOS re-zips folder names decomposed; channels.json keeps them composed (and the reverse, for safety).
    (True, NFC_NAME, NFD_NAME, NFC_NAME),
    (False, NFC_NAME, NFD_NAME, NFC_NAME),
    (True, NFD_NAME, NFC_NAME, NFC_NAME),
    (True, NFC_NAME, NFD_NAME, NFD_NAME),  # the settings' key decomposed
])
def test_channel_names_match_in_either_unicode_form(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys, as_zip: bool, listed: str, folder: str, mapped: str) -> None:
    assert listed != folder or mapped != listed  # each case mixes the two forms
    settings_path = tmp_path / "review_pulse.toml"
    settings_path.write_text(f'default_series = "Incident review"\n[poll_channels]\n"{mapped}" = "Revisión"\n'
                             '"ops-review" = "Ops review"\n', encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_path))
    channels = json.dumps([{"id": "C1", "name": listed}, {"id": "C2", "name": "ops-review"},
                           {"id": "C3", "name": "quiet"}]).encode()
    path = write_export(tmp_path / ("e.zip" if as_zip else "e"), {(folder, "2026-04-01"): [POLLY],
                                                                   ("ops-review", "2026-04-08"): [SIMPLE]},
                        as_zip=as_zip, extra={"channels.json": channels})
    assert ingest(db_path, "--polls", str(path)) == 0
    out = capsys.readouterr().out
    assert rows(db_path, "SELECT app, series FROM polls ORDER BY 1") == [("polly", "Revisión"), ("simple-poll", "Ops review")]
    # Listed without a folder: named, not passed over in silence.
    assert "channels in channels.json without day files in the export (nothing read from them): quiet\n" in out
    assert UNLISTED_LINE not in out


# --- tables: the talking-points sheet and long exports -----------------------

SHEET = [
    ["Date", "Talking point", "Votes", "Kind", "Theme", "Discussed", "Series", "Email", "Notes"],
    ["2026-04-01", "Checkout latency: detection", "5", "", "", "yes", "", "ana@example.com", "secret note"],
    ["2026-04-01", "Alert fatigue", "3", "", "", "no", "", "ben@example.com", ""],
    ["2026-04-01", "Vendor SLAs", "4", "theme", "Third parties", "", "", "", ""],
    ["2026-04-01", "Pager rota", "2", "incident", "", "", "", "", ""],
    ["2026-04-08", "Other", "1", "", "", "", "Ops review", "", ""],
    ["2026-04-08", "DNS", "many", "", "", "", "Ops review", "", ""],
    ["2026-04-08", "Runbooks", "2", "unknown", "", "", "Ops review", "", ""],
]


def write_csv(path: Path, table: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(table)
    return path


def expected_from(path: Path) -> dict[tuple[str, str], int]:
    """Votes per (date, point) straight from the CSV, rows with a whole-number vote only."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {(r["Date"], r["Talking point"]): int(r["Votes"]) for r in csv.DictReader(handle)
                if r["Votes"].isdigit() and r["Kind"] in ("", "incident", "theme", "other")}


def test_talking_points_sheet_csv(themed: Settings, db_path: Path, tmp_path: Path, capsys) -> None:
    path = write_csv(tmp_path / "points.csv", SHEET)
    assert ingest(db_path, "--polls", str(path)) == 0
    got = {(str(d), p): v for d, p, v in rows(db_path, """SELECT CAST(p.held_local AS DATE), o.point, o.votes
                                                         FROM poll_options o JOIN polls p USING (poll_id)""")}
    assert got == expected_from(path)
    assert rows(db_path, "SELECT point, kind, theme, discussed FROM poll_options ORDER BY poll_id, option_order") == [
        ("Checkout latency: detection", "incident", None, True), ("Alert fatigue", "theme", "Alerting", False),
        ("Vendor SLAs", "theme", "Third parties", None), ("Pager rota", "incident", None, None),  # explicit Kind wins
        ("Other", "other", None, None)]
    assert rows(db_path, "SELECT DISTINCT series FROM polls ORDER BY 1") == [("Incident review",), ("Ops review",)]
    assert sorted(r for (r,) in rows(db_path, "SELECT reason FROM rejects")) == [
        "kind: not incident, theme or other", "votes: not a whole number"]
    stored = every_stored_text(db_path)
    assert "example.com" not in stored and "secret note" not in stored


def test_talking_points_sheet_xlsx(db_path: Path, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for row in SHEET:
        book.active.append([int(c) if c.isdigit() else c for c in row])
    path = tmp_path / "points.xlsx"
    book.save(path)
    assert ingest(db_path, "--polls", str(path)) == 0
    got = {(str(d), p): v for d, p, v in rows(db_path, """SELECT CAST(p.held_local AS DATE), o.point, o.votes
                                                         FROM poll_options o JOIN polls p USING (poll_id)""")}
    assert got == expected_from(write_csv(tmp_path / "same.csv", SHEET))


def test_long_export_one_row_per_vote(db_path: Path, tmp_path: Path, capsys) -> None:
    votes = [["Timestamp", "Option", "Voter"]] + [
        [f"2026-04-01 16:0{i % 10}:00", option, f"voter number {i}"]
        for i, option in enumerate(["Detection"] * 4 + ["Alert fatigue"] * 2 + ["Other"])]
    path = write_csv(tmp_path / "votes.csv", votes)
    assert ingest(db_path, "--polls", str(path)) == 0
    with open(path, newline="") as handle:
        expected: dict[str, int] = {}
        for record in csv.DictReader(handle):
            expected[record["Option"]] = expected.get(record["Option"], 0) + 1
    assert dict(rows(db_path, "SELECT point, votes FROM poll_options")) == expected
    assert "voter number" not in every_stored_text(db_path)
    assert "voter columns dropped (never stored): Voter" in capsys.readouterr().out


@pytest.mark.parametrize(("table", "message"), [
    ([["When", "What"], ["2026-04-01", "x"]], "needs a Date and a Talking point"),
    ([["Date", "Talking point", "Votes"], ["someday", "x", "1"]], "no usable poll"),
    ([["Date", "Option", "Topic"], ["2026-04-01", "x", "y"]], "more than one column could be the talking point"),
])
def test_unusable_tables_fail_the_run(db_path: Path, tmp_path: Path, capsys, table, message: str) -> None:
    path = write_csv(tmp_path / "t.csv", table)
    assert ingest(db_path, "--polls", str(path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and str(path) in err, err


def test_talking_points_from_a_google_sheet(sheets_api: SheetsApiServer, monkeypatch: pytest.MonkeyPatch,
                                            db_path: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)
    key = "1RevPulseTalkingPoints0000000000000000000Ef"
    sheets_api.add_sheet(key, {"Notes": [["nothing"]], "Polls": SHEET}, title="Talking points")
    assert ingest(db_path, "--polls-sheet", key, "--worksheet", "Polls", "--timeout", "5", "--retries", "1") == 0
    expected = expected_from(write_csv(tmp_path / "same.csv", SHEET))
    got = {(str(d), p): v for d, p, v in rows(db_path, """SELECT CAST(p.held_local AS DATE), o.point, o.votes
                                                         FROM poll_options o JOIN polls p USING (poll_id)""")}
    assert got == expected
    assert rows(db_path, "SELECT DISTINCT source_file FROM polls") == [(f"sheet {key} / Polls",)]


@pytest.mark.parametrize(("toml", "message"), [
    ('[[themes]]\nkeywords = ["x"]', "needs a 'name'"),
    ('[[themes]]\nname = "A"\nkeywords = "alerts"', "must be lists of strings"),
    ('themes = "A"', "must be a list of"),
    ('[poll_channels]\nreview = 3', "maps a channel name"),
])
def test_broken_theme_settings_are_one_clear_message(tmp_path: Path, toml: str, message: str) -> None:
    from core.settings import SettingsError

    path = tmp_path / "review_pulse.toml"
    path.write_text(toml)
    with pytest.raises(SettingsError, match=message):
        load_settings(path)


def test_a_poll_dated_in_the_future_is_a_reject(tmp_path: Path) -> None:
    future = copy.deepcopy(SIMPLE)
    future["ts"] = f"{datetime(2030, 1, 1, tzinfo=timezone.utc).timestamp():.6f}"
    folder = write_export(tmp_path / "future", {("incident-review", "2026-04-08"): [future, POLLY]})
    export = slack_export.read_slack_export(folder)
    parsed = poll_parsers.parse_slack_export(export, Settings(), now=datetime(2026, 5, 1))
    assert [p.app for p in parsed.polls] == ["polly"]
    assert [r.reason for r in parsed.rejects] == ["time is in the future"]


# The week's top pick as core.schema defined it before (a window over every option): the reference the
# view's min_by form must equal, ties included.
WEEKLY_TOPICS_WINDOW_FORM = """
WITH options AS (
    SELECT w.week_start, w.series, o.poll_id, o.option_order, o.point, o.kind, o.theme, o.votes, p.held_utc
    FROM poll_options AS o JOIN poll_weeks AS w USING (poll_id) JOIN polls AS p USING (poll_id)
), totals AS (
    SELECT week_start, series, count(DISTINCT poll_id)::BIGINT AS polls, sum(votes)::BIGINT AS total_votes
    FROM options GROUP BY week_start, series
), top AS (
    SELECT * FROM options
    QUALIFY row_number() OVER (PARTITION BY week_start, series ORDER BY votes DESC, held_utc, poll_id, option_order) = 1
)
SELECT t.week_start, t.series, t.polls, t.total_votes,
       CASE WHEN top.votes > 0 THEN top.point END AS top_point,
       CASE WHEN top.votes > 0 THEN top.kind END AS top_kind,
       CASE WHEN top.votes > 0 THEN top.theme END AS top_theme
FROM totals AS t JOIN top USING (week_start, series)
"""

_COPY_POLLS = ("INSERT INTO poll_options SELECT poll_id || '{tag}', option_order, point, kind, theme, votes, discussed "
               "FROM poll_options WHERE NOT contains(poll_id, '-')",
               "INSERT INTO polls SELECT poll_id || '{tag}', series, held_utc + INTERVAL ({hours}) HOUR, "
               "held_local + INTERVAL ({hours}) HOUR, title, app, edited_ts, source_file, run_id FROM polls "
               "WHERE NOT contains(poll_id, '-')")
TOP_PICK_VARIANTS = {
    "demo": [],
    "every option tied": ["UPDATE poll_options SET votes = 3"],  # the first listed wins
    "nobody voted": ["UPDATE poll_options SET votes = 0"],  # no top pick
    "an earlier poll the same week": [s.format(tag="-early", hours=-1) for s in _COPY_POLLS],
    "a poll held at the same time": [s.format(tag="-same", hours=0) for s in _COPY_POLLS],  # the poll id decides
    # polls held at the same time tie on their top votes, the copy's winner listed earlier: the poll id decides
    "a tie between polls held together": [
        "UPDATE poll_options SET votes = CASE WHEN option_order = 2 THEN 5 ELSE 1 END",
        *[s.format(tag="-tie", hours=0) for s in _COPY_POLLS],
        "UPDATE poll_options SET votes = CASE WHEN option_order = 1 THEN 5 ELSE 1 END WHERE contains(poll_id, '-tie')"],
    "votes scattered": ["UPDATE poll_options SET votes = hash(poll_id || point) % 4",
                        *[s.format(tag="-later", hours=2) for s in _COPY_POLLS],
                        "UPDATE poll_options SET votes = hash(point || poll_id) % 3 WHERE contains(poll_id, '-later')"],
}


@pytest.mark.parametrize("variant", sorted(TOP_PICK_VARIANTS))
def test_weekly_topics_view_equals_its_window_form(demo_db: Path, tmp_path: Path, variant: str) -> None:
    from tests.db_variants import demo_variant

    db = demo_variant(demo_db, tmp_path, TOP_PICK_VARIANTS[variant])
    order = " ORDER BY week_start, series"
    view = rows(db, "SELECT * FROM weekly_topics" + order)
    assert view == rows(db, f"SELECT * FROM ({WEEKLY_TOPICS_WINDOW_FORM})" + order)
    assert view and all(polls >= 1 for _w, _s, polls, *_rest in view)
    if variant == "nobody voted":
        assert all(top is None for *_rest, top, _kind, _theme in view)


@pytest.mark.parametrize(
    ("days", "held", "guessed"),
    [
        (["03/02/2025", "03/02/2025"], ["2025-03-02"], True),  # nothing settles it: M/D, noted
        (["03/02/2025", "13/02/2025"], ["2025-02-03", "2025-02-13"], False),  # 13/02 proves D/M
        (["2025/03/02", "2025-03-09"], ["2025-03-02", "2025-03-09"], False),  # year first: no guess
    ],
)
def test_talking_points_sheet_dates_read_month_day_for_want_of_evidence_are_noted(
        db_path: Path, tmp_path: Path, capsys, days: list[str], held: list[str], guessed: bool) -> None:
    path = write_csv(tmp_path / "points.csv", [["Date", "Talking point", "Votes"]]
                     + [[day, f"Point {i}", "1"] for i, day in enumerate(days)])
    assert ingest(db_path, "--polls", str(path)) == 0
    out = capsys.readouterr().out
    assert [str(d) for (d,) in rows(db_path, "SELECT DISTINCT CAST(held_local AS DATE) FROM polls ORDER BY 1")] == sorted(held)
    assert (f"{path}: note: dates read as month/day, as nothing in the file says which" in out) is guessed


def test_talking_points_sheet_dates_settling_the_order_both_ways_refuse_the_file(db_path: Path, tmp_path: Path,
                                                                                 capsys) -> None:
    path = write_csv(tmp_path / "points.csv", [["Date", "Talking point", "Votes"], ["13/02/2025", "Paging", "1"],
                                               ["02/14/2025", "Alerts", "2"]])
    assert ingest(db_path, "--polls", str(path)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: the dates disagree on day/month order (13/02/2025 can only be day/month, "
                          "02/14/2025 only month/day)") and 'date_order = "DMY" or "MDY"' in err and err.count("\n") == 1
    assert not db_path.exists() or rows(db_path, "SELECT count(*) FROM polls") == [(0,)]
