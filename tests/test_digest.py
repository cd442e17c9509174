"""The weekly Slack digest (issue 25): its figures against a recount from the demo's rows and against the
pages' data, Block Kit limits, escaping of hostile strings, and `python -m pipeline digest` against a
local fake Slack (webhook and Web API): retries on 429 and 5xx, one line on 4xx, no double posts, dry
run, and the secrets never written anywhere."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pandas as pd
import pytest

from core.quarters import quarter_for_week
from core.settings import DigestSettings, Settings, load_settings
from pipeline import cli
from review_pulse import action_report, digest as dg, figures
from tests.slack_fake import UPLOAD_PATH, WEBHOOK_PATH, Reply, fake_slack

SERIES = "Incident review"
TODAY = date(2026, 10, 1)
TOKEN = "xoxb-111-222-TOKENSECRETvalue"
DASHBOARD = "https://reviews.example.com/pulse"


# --- figures: a recount from the rows, and the pages' data ------------------------------------------


def recount(db: Path, week: date, min_group: int = 5, target_days: int = 30) -> dict:
    """The week's figures from the raw tables, without the read layer."""
    quarter = quarter_for_week(week)
    week_from, week_to = quarter.start - timedelta(days=3), quarter.end - timedelta(days=3)
    con = duckdb.connect(str(db), read_only=True)
    try:
        answers = con.execute("""
            SELECT w.week_start, a.statement, s.statement_order, a.score
            FROM answers a JOIN response_weeks w USING (response_key) JOIN statements s USING (statement)
            WHERE w.series = ? AND w.week_start BETWEEN ? AND ?""", [SERIES, week_from, week_to]).df()
        responses = dict(con.execute("""SELECT week_start, count(*) FROM response_weeks
            WHERE series = ? AND week_start BETWEEN ? AND ? GROUP BY 1""", [SERIES, week_from, week_to]).fetchall())
        meetings = con.execute("""SELECT CAST(date_trunc('week', meeting_date) AS DATE) AS week, sum(attendees) AS n
            FROM meetings WHERE series = ? GROUP BY 1 ORDER BY 1""", [SERIES]).df()
        open_rows = con.execute("""SELECT title, created, coalesce(due, created + ?::INTEGER) < ? AS overdue
            FROM action_items WHERE status = 'open' AND series = ? AND created <= ? ORDER BY created, action_key""",
                                [target_days, TODAY, SERIES, quarter.end]).fetchall()
        polls = con.execute("""SELECT p.poll_id, CAST(p.held_local AS DATE) AS day, p.held_utc, o.option_order, o.point, o.votes
            FROM polls p JOIN poll_options o USING (poll_id) WHERE p.series = ?""", [SERIES]).df()
    finally:
        con.close()
    answers["week_start"] = pd.to_datetime(answers["week_start"]).dt.date

    def statements_of(w: date) -> pd.DataFrame:
        if responses.get(w, 0) < min_group:
            return answers.iloc[0:0].groupby("statement").agg(n=("score", "size"), mean=("score", "mean"))
        part = answers[answers["week_start"] == w]
        grouped = part.groupby(["statement", "statement_order"])["score"].agg(n="size", total="sum", mean="mean").reset_index()
        return grouped[grouped["n"] >= min_group].sort_values("statement_order")

    shown = statements_of(week)
    hidden = responses.get(week, 0) < min_group
    score = None if hidden or shown.empty else shown["total"].sum() / shown["n"].sum()
    lagging = previous = None
    if not hidden and not shown.empty:
        lowest = shown.assign(r=shown["mean"].round(2)).sort_values(["r", "statement_order"]).iloc[0]
        lagging = (lowest["statement"], lowest["mean"])
        earlier = sorted(w for w in set(answers["week_start"]) if w < week)
        if earlier:
            before = statements_of(earlier[-1])
            match = before[before["statement"] == lowest["statement"]] if not before.empty else before
            previous = float(match["mean"].iloc[0]) if len(match) else None
    meetings["week"] = pd.to_datetime(meetings["week"]).dt.date
    in_quarter = meetings[(meetings["week"] >= week_from) & (meetings["week"] <= week_to)]
    attendees = in_quarter.loc[in_quarter["week"] == week, "n"]
    before = in_quarter[in_quarter["week"] < week].tail(4)["n"]
    # The week's polls: the latest review on or before the poll's day, at most 7 days before; else its own week.
    review_days = sorted(meetings_days(db))
    def poll_week(day: date) -> date:
        held = [m for m in review_days if m <= day]
        anchor = held[-1] if held and held[-1] >= day - timedelta(days=7) else day
        return anchor - timedelta(days=anchor.weekday())
    polls["week"] = [poll_week(pd.Timestamp(d).date()) for d in polls["day"]]
    week_polls = polls[polls["week"] == week].sort_values(["votes", "held_utc", "poll_id", "option_order"],
                                                         ascending=[False, True, True, True])
    return {
        "hidden": hidden,
        "responses": 0 if hidden else responses.get(week, 0),
        "score": score,
        "lagging": lagging,
        "previous": previous,
        "attendees": int(attendees.iloc[0]) if len(attendees) else None,
        "attendance_mean": float(before.mean()) if len(before) >= 2 else None,
        "response_rate": None if hidden or not len(attendees) else responses.get(week, 0) / int(attendees.iloc[0]),
        "top_point": week_polls["point"].iloc[0] if len(week_polls) and week_polls["votes"].iloc[0] > 0 else None,
        "open": len(open_rows),
        "overdue": sum(1 for r in open_rows if r[2]),
        "oldest": open_rows[0][0] if open_rows else None,
    }


def meetings_days(db: Path) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT meeting_date FROM meetings WHERE series = ?", [SERIES]).fetchall()]
    finally:
        con.close()


def close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)


WEEKS = [
    ("latest", None),
    ("hidden week (3 responses)", date(2026, 8, 10)),
    ("the week before was hidden", date(2026, 6, 1)),
    ("first week of a quarter", date(2026, 6, 29)),
    ("a busy week's successor", date(2026, 8, 17)),
]


@pytest.mark.parametrize(("case", "week"), WEEKS, ids=[c for c, _ in WEEKS])
def test_digest_figures_equal_a_recount_and_the_pages_data(demo_db: Path, case: str, week: date | None) -> None:
    settings = Settings(digest=DigestSettings(dashboard_url=DASHBOARD))
    week = week or dg.latest_review_week(demo_db, settings, SERIES)
    view = dg.week_view(demo_db, settings, SERIES, week)
    d = dg.build_digest(view, week, TODAY)
    expected = recount(demo_db, week)

    # against the rows
    assert d.hidden == expected["hidden"]
    assert close(d.score, expected["score"]) and d.responses == expected["responses"]
    assert (d.lagging is None) == (expected["lagging"] is None)
    if d.lagging is not None:
        assert d.lagging.statement == expected["lagging"][0] and close(d.lagging.score, expected["lagging"][1])
        assert close(d.lagging.previous_score, expected["previous"])
        if expected["previous"] is not None:
            assert d.lagging.change == f"{round(expected['lagging'][1], 2) - round(expected['previous'], 2):+.2f}"
    assert d.attendees == expected["attendees"]
    assert close(d.attendance_mean, expected["attendance_mean"])
    assert close(d.response_rate, expected["response_rate"])
    assert d.top_point == expected["top_point"]
    assert (d.open_actions, d.overdue_actions) == (expected["open"], expected["overdue"])
    assert (d.oldest_open.title if d.oldest_open else None) == expected["oldest"]

    # against what the pages read (Overview/Survey agreement, Attendance, Actions)
    scores = view.weekly_scores()
    row = scores[scores["week_start"].dt.date == week].iloc[0]
    assert bool(row["suppressed"]) == d.hidden
    if not d.hidden:
        assert close(float(row["mean_score"]), d.score) and int(row["responses"]) == d.responses
    attendance = view.weekly_attendance()
    arow = attendance[attendance["week_start"].dt.date == week].iloc[0]
    assert int(arow["attendees"]) == d.attendees
    assert close(None if pd.isna(arow["previous_mean"]) else float(arow["previous_mean"]), d.attendance_mean)
    assert bool(arow["busy_week"]) == d.busy_week
    headline = action_report.headline(view, TODAY)
    assert (headline.open_now, headline.overdue_now) == (d.open_actions, d.overdue_actions)

    # what the message says
    message = dg.digest_message(d)
    text = json.dumps(message, ensure_ascii=False)
    if d.hidden:
        assert "fewer than 5 responses" in text.lower() and "n = " not in text
        assert "/ 5" not in text and "Average score" not in text
    else:
        assert f"{figures.score_text(expected['score'])}" in text and f"n = {expected['responses']} responses" in text
    if expected["attendance_mean"] is not None:
        assert figures.mean_text(expected["attendance_mean"]) in text
    assert f"{expected['open']} open · {expected['overdue']} overdue" in text
    link = [b for b in message["blocks"] if b["type"] == "context"][0]["elements"][0]["text"]
    url = link[1:link.index("|")].replace("&amp;", "&")
    assert parse_qs(urlsplit(url).query) == {"quarter": [view.period.label], "series": [SERIES]}


def test_the_attendance_page_words_a_busy_week_as_the_digest_does(demo_db: Path) -> None:
    """The Attendance page's busy-week caption uses the same figure and words (previous_mean)."""
    settings = Settings()
    week = date(2026, 8, 10)
    d = dg.build_digest(dg.week_view(demo_db, settings, SERIES, week), week, TODAY)
    assert d.busy_week
    page = (Path(__file__).resolve().parent.parent / "pages" / "attendance.py").read_text(encoding="utf-8")
    assert "figures.against_mean_text(a, m)" in page and 'busy["previous_mean"]' in page
    assert figures.against_mean_text(d.attendees, d.attendance_mean) in dg.attendance_text(d)


# --- escaping and limits ---------------------------------------------------------------------------

HOSTILE = [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<!here|here>", "&lt;!here|here&gt;"),
    ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
    ("<@U123ABC>", "&lt;@\u2060U123ABC&gt;"),
    ("&amp;", "&amp;amp;"),
    ("@here and @channel", "@\u2060here and @\u2060channel"),
    ("a\nb\r\n\x1b[2Jc", "a b [2Jc"),
    ("R&D <team>", "R&amp;D &lt;team&gt;"),
]


@pytest.mark.parametrize(("raw", "escaped"), HOSTILE)
def test_mrkdwn_escape(raw: str, escaped: str) -> None:
    assert dg.mrkdwn_escape(raw) == escaped


_LATEST: dict[Path, dg.Digest] = {}


def hostile_digest(demo_db: Path, **changes: object) -> dg.Digest:
    """The demo's latest digest (built once: the demo DB is read-only) with data strings replaced."""
    if demo_db not in _LATEST:
        settings = Settings(digest=DigestSettings(dashboard_url=DASHBOARD))
        week = dg.latest_review_week(demo_db, settings, SERIES)
        _LATEST[demo_db] = dg.build_digest(dg.week_view(demo_db, settings, SERIES, week), week, TODAY)
    return dataclasses.replace(_LATEST[demo_db], **changes)


@pytest.mark.parametrize("raw", [h for h, _ in HOSTILE])
def test_no_data_string_can_ping_link_or_mention(demo_db: Path, raw: str) -> None:
    d = hostile_digest(
        demo_db, series=raw, top_point=raw, top_kind="theme", top_theme=raw, discussed=(raw, raw + "2"),
        lagging=dataclasses.replace(hostile_digest(demo_db).lagging, statement=raw),
        oldest_open=dg.OldestAction(raw, 40, True, "https://tracker.example/x?a=1&b=<2>|3"))
    message = dg.digest_message(d, risk_line=raw)
    texts = [message["text"]] + [t for t in strings_of(message["blocks"])]
    for text in texts:
        # the only Slack controls are our two links: the dashboard's and the tracker's
        controls = [part.split(">", 1)[0] for part in text.split("<")[1:]]
        assert all(c.startswith(("https://reviews.example.com/pulse?", "https://tracker.example/x?")) for c in controls), text
        assert "<!" not in text and "<@" not in text and "@here" not in text and "@channel" not in text
        assert "\n\x1b" not in text and "\x1b" not in text
    tracker = [c for t in texts for c in t.split("<")[1:] if c.startswith("https://tracker")][0]
    assert tracker.split("|", 1)[0] == "https://tracker.example/x?a=1&amp;b=%3C2%3E%7C3"


def strings_of(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return []


def test_block_kit_limits_hold_for_a_huge_digest(demo_db: Path) -> None:
    long = "Ω" * 5000 + " <!channel> & more"
    d = hostile_digest(demo_db, series=long, top_point=long, discussed=tuple(f"{long}{i}" for i in range(40)),
                       oldest_open=dg.OldestAction(long, 400, True, None))
    blocks = dg.digest_blocks(d, risk_line=long)
    assert len(blocks) <= dg.MAX_BLOCKS
    header = blocks[0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("…")
    for block in blocks:
        if "text" in block and block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
        assert len(block.get("fields", [])) <= 10
    assert len(dg.digest_message(d)["text"]) <= 3000


LIMIT_CASES = [
    ("header", [dg.header("x" * 400)], lambda b: len(b[0]["text"]["text"]) == 150 and b[0]["text"]["text"].endswith("…")),
    ("section text", [dg.section("y" * 5000)], lambda b: len(b[0]["text"]["text"]) == 3000),
    ("fields", [dg.fields_section([f"f{i}" for i in range(14)])],
     lambda b: len(b[0]["fields"]) == 10 and b[0]["fields"][-1]["text"] == "f9 · f10 · f11 · f12 · f13"),
    ("blocks", [dg.section(str(i)) for i in range(60)],
     lambda b: len(b) == 50 and "11 more blocks left out" in b[-1]["elements"][0]["text"]),
    ("context", [dg.context("z" * 4000)], lambda b: len(b[0]["elements"][0]["text"]) == 3000),
    ("within limits: unchanged", [dg.header("ok"), dg.section("fine")],
     lambda b: b == [dg.header("ok"), dg.section("fine")]),
]


@pytest.mark.parametrize(("case", "blocks", "check"), LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
def test_fit_blocks(case: str, blocks: list[dict], check) -> None:  # noqa: ANN001
    assert check(dg.fit_blocks(blocks))


CLIP_CASES = [
    ("abc", 10, "abc"),
    ("abcdefghijkl", 5, "abcd…"),
    ("abcd&amp;efgh", 8, "abcd…"),  # never half an entity
    ("ab <https://x.example|link> cd", 12, "ab…"),  # never half a link
    ("ab <https://x.example|link> cd", 28, "ab <https://x.example|link>…"),
]


@pytest.mark.parametrize(("text", "limit", "clipped"), CLIP_CASES)
def test_clip(text: str, limit: int, clipped: str) -> None:
    assert dg.clip(text, limit) == clipped and len(dg.clip(text, limit)) <= limit


LINK_CASES = [
    ("2026-Q3", "Incident review", "https://reviews.example.com/pulse?quarter=2026-Q3&series=Incident%20review"),
    ("2026-Q1", "R&D <ops>|x", "https://reviews.example.com/pulse?quarter=2026-Q1&series=R%26D%20%3Cops%3E%7Cx"),
    ("all", None, "https://reviews.example.com/pulse?quarter=all"),
]


@pytest.mark.parametrize(("quarter", "series", "url"), LINK_CASES)
def test_dashboard_link_uses_the_sidebars_query_parameters(quarter: str, series: str | None, url: str) -> None:
    link = dg.dashboard_link(DASHBOARD, quarter, series)
    assert link == url
    assert parse_qs(urlsplit(link).query) == {"quarter": [quarter], **({"series": [series]} if series else {})}


@pytest.mark.usefixtures("apptest_like_a_server")
def test_the_dashboard_link_opens_the_digest_week_quarter(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link's query parameters are the ones the sidebar reads: the app opened with them shows that quarter."""
    from streamlit.testing.v1 import AppTest

    link = dg.dashboard_link(DASHBOARD, "2026-Q2", SERIES)
    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    for name, values in parse_qs(urlsplit(link).query).items():
        at.query_params[name] = values[0]
    at.run()
    assert not at.exception, at.exception
    assert next(box for box in at.sidebar.selectbox if box.label == "Quarter").value == "2026-Q2"
    assert at.query_params["quarter"] == "2026-Q2"


def test_no_dashboard_url_means_no_link(demo_db: Path) -> None:
    d = hostile_digest(demo_db, dashboard_url=None)
    assert "Open the dashboard" not in json.dumps(dg.digest_message(d))


def test_risk_line_is_a_section_when_given(demo_db: Path) -> None:
    d = hostile_digest(demo_db)
    plain = dg.digest_blocks(d)
    warned = dg.digest_blocks(d, risk_line="Next review (12 Mar) is at risk: <!here>")
    assert len(warned) == len(plain) + 1
    assert "Next review (12 Mar) is at risk: &lt;!here&gt;" in warned[-2]["text"]["text"]


# --- the command against a fake Slack --------------------------------------------------------------


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy2(demo_db, folder / "reviews.duckdb")
    return folder / "reviews.duckdb"


def use_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, extra: str = "") -> None:
    path = tmp_path / "review_pulse.toml"
    path.write_text(f'[digest]\ndashboard_url = "{DASHBOARD}"\n{extra}', encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(path))
    load_settings(path)  # a typo here would fail every test below with a settings error instead


class Runs:
    """Every CLI run's output, for the secrets check."""

    def __init__(self, capsys: pytest.CaptureFixture) -> None:
        self.capsys = capsys
        self.seen: list[str] = []

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = self.capsys.readouterr()
        self.seen += [out, err]
        return code, out, err


@pytest.fixture
def run(capsys: pytest.CaptureFixture) -> Runs:
    return Runs(capsys)


def webhook_env(monkeypatch: pytest.MonkeyPatch, url: str, variable: str = "SLACK_WEBHOOK_URL") -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv(variable, url)


def bot_env(monkeypatch: pytest.MonkeyPatch, api_url: str) -> None:
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", api_url)


def posts(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT series, week_start, via, channel FROM digest_posts ORDER BY posted_at").fetchall()
    finally:
        con.close()


def test_webhook_post_then_no_double_post_then_force(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      run: Runs) -> None:
    use_settings(monkeypatch, tmp_path)
    with fake_slack() as slack:
        webhook_env(monkeypatch, slack.webhook_url)
        code, dry, _ = run("digest", "--db", str(db), "--dry-run")
        assert code == 0 and slack.requests == []
        code, out, err = run("digest", "--db", str(db))
        assert code == 0 and "Posted the digest of Incident review, week of 2026-09-21" in out, err
        assert [r.json for r in slack.to(WEBHOOK_PATH)] == [json.loads(dry)]  # what was sent is what dry-run shows
        assert posts(db) == [(SERIES, date(2026, 9, 21), "webhook", None)]

        code, out, _ = run("digest", "--db", str(db))
        assert code == 0 and "already posted" in out and "--force" in out
        assert len(slack.to(WEBHOOK_PATH)) == 1 and len(posts(db)) == 1

        code, out, _ = run("digest", "--db", str(db), "--force")
        assert code == 0 and len(slack.to(WEBHOOK_PATH)) == 2 and len(posts(db)) == 2


def test_webhook_url_from_the_variable_named_in_settings(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         run: Runs) -> None:
    use_settings(monkeypatch, tmp_path, 'webhook_url_env = "REVIEWS_SLACK_HOOK"\n')
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    with fake_slack() as slack:
        webhook_env(monkeypatch, slack.webhook_url, "REVIEWS_SLACK_HOOK")
        code, _, err = run("digest", "--db", str(db), "--week", "2026-08-12")
        assert code == 0, err
        sent = slack.to(WEBHOOK_PATH)[0].json
        assert "fewer than 5 responses" in json.dumps(sent).lower()
        assert posts(db) == [(SERIES, date(2026, 8, 10), "webhook", None)]


def test_dry_run_needs_no_secret_and_sends_nothing(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   run: Runs) -> None:
    use_settings(monkeypatch, tmp_path)
    for variable in ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    code, out, err = run("digest", "--db", str(db), "--dry-run", "--week", "2026-06-01")
    assert code == 0 and "dry run: nothing was sent" in err
    message = json.loads(out)
    assert set(message) == {"text", "blocks"} and message["blocks"][0]["type"] == "header"
    assert posts(db) == [] if has_posts_table(db) else True
    code, _, err = run("digest", "--db", str(db))
    assert code == 2 and err.count("\n") == 1 and "SLACK_WEBHOOK_URL" in err and "SLACK_BOT_TOKEN" in err


def has_posts_table(db: Path) -> bool:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'digest_posts'").fetchone()[0])
    finally:
        con.close()


# (case, replies to the webhook, exit code, requests made, words in the one error line, minimum seconds)
WEBHOOK_FAILURES = [
    ("429 then success, after Retry-After", [Reply(429, "rate_limited", {"Retry-After": "1"})], 0, 2, None, 1.0),
    ("500 then success", [Reply(500, "internal_error")], 0, 2, None, 0.0),
    ("503 twice then success", [Reply(503, "x"), Reply(503, "x")], 0, 3, None, 0.0),
    ("429 forever: bounded", [Reply(429, "rate_limited", {"Retry-After": "0"})] * 10, 2, 4,
     ["rate-limiting", "after 4 tries"], 0.0),
    ("429 asking for an hour: no wait", [Reply(429, "rate_limited", {"Retry-After": "3600"})], 2, 1,
     ["asks to wait 3600 s"], 0.0),
    ("403 invalid_token", [Reply(403, "invalid_token")], 2, 1, ["invalid_token", "check the variable SLACK_WEBHOOK_URL"], 0.0),
    ("404 no_service", [Reply(404, "no_service")], 2, 1, ["no_service", "check the variable SLACK_WEBHOOK_URL"], 0.0),
    ("400 invalid_blocks", [Reply(400, "invalid_blocks")], 2, 1, ["invalid_blocks", "--dry-run"], 0.0),
]


@pytest.mark.parametrize(("case", "replies", "code", "tries", "words", "seconds"), WEBHOOK_FAILURES,
                         ids=[c[0] for c in WEBHOOK_FAILURES])
def test_webhook_retries_and_failures(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Runs,
                                      case: str, replies: list, code: int, tries: int, words: list | None,
                                      seconds: float) -> None:
    use_settings(monkeypatch, tmp_path)
    with fake_slack() as slack:
        webhook_env(monkeypatch, slack.webhook_url)
        slack.script(WEBHOOK_PATH, *replies)
        started = time.monotonic()
        result, out, err = run("digest", "--db", str(db))
        elapsed = time.monotonic() - started
    assert result == code and len(slack.to(WEBHOOK_PATH)) == tries, (out, err)
    assert elapsed >= seconds
    if words:
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert all(w in err for w in words), err
        assert not has_posts_table(db) or posts(db) == []  # nothing recorded: the next run tries again
    else:
        assert posts(db) == [(SERIES, date(2026, 9, 21), "webhook", None)]
    assert slack.webhook_url not in out + err and "webhooksecretpart42" not in out + err


def test_bot_posts_and_uploads_the_chart(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Runs) -> None:
    use_settings(monkeypatch, tmp_path, 'channel = "#incident-review"\nupload_chart = true\n')
    with fake_slack() as slack:
        bot_env(monkeypatch, slack.api_url)
        code, out, err = run("digest", "--db", str(db), "--series", SERIES)
        assert code == 0 and "with its chart" in out, err
        post = slack.to("/api/chat.postMessage")[0]
        assert post.headers["authorization"] == f"Bearer {TOKEN}"
        body = post.json
        assert body["channel"] == "#incident-review" and body["blocks"][0]["type"] == "header"
        assert body["link_names"] is False and body["parse"] == "none"
        asked = slack.to("/api/files.getUploadURLExternal")[0].json
        assert asked["filename"].startswith("score-trend_Incident-review_2026-09-21") and int(asked["length"]) > 1000
        uploaded = slack.to(UPLOAD_PATH)[0].raw
        assert b"\x89PNG" in uploaded
        done = slack.to("/api/files.completeUploadExternal")[0].json
        assert done["channel_id"] == "C0DIGEST" and done["thread_ts"] == "1700000000.000100"
        assert json.loads(done["files"])[0]["id"] == "F0CHART"
    assert posts(db) == [(SERIES, date(2026, 9, 21), "bot", "#incident-review")]


def test_a_failed_chart_upload_still_records_the_post(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      run: Runs) -> None:
    use_settings(monkeypatch, tmp_path, 'channel = "C0DIGEST"\nupload_chart = true\n')
    with fake_slack() as slack:
        bot_env(monkeypatch, slack.api_url)
        slack.script("/api/files.completeUploadExternal", Reply(200, {"ok": False, "error": "missing_scope"}))
        code, out, err = run("digest", "--db", str(db))
        assert code == 2 and err.count("\n") == 1, (out, err)
        assert "the digest was posted, but its chart was not" in err and "files:write" in err
        assert "nothing was posted" not in err
        assert posts(db) == [(SERIES, date(2026, 9, 21), "bot", "C0DIGEST")]
        code, out, _ = run("digest", "--db", str(db))  # the message is not posted twice
        assert code == 0 and "already posted" in out and len(slack.to("/api/chat.postMessage")) == 1


# (case, Web API reply to chat.postMessage, words in the one line, tries)
BOT_FAILURES = [
    ("invalid_auth", [Reply(200, {"ok": False, "error": "invalid_auth"})], ["invalid_auth", "check SLACK_BOT_TOKEN"], 1),
    ("invalid_token", [Reply(200, {"ok": False, "error": "invalid_token"})], ["check SLACK_BOT_TOKEN"], 1),
    ("channel_not_found", [Reply(200, {"ok": False, "error": "channel_not_found"})],
     ["channel_not_found", "invite the bot", "[digest] channel"], 1),
    ("missing_scope", [Reply(200, {"ok": False, "error": "missing_scope"})], ["chat:write"], 1),
    ("403", [Reply(403, {"ok": False, "error": "invalid_auth"})], ["check SLACK_BOT_TOKEN"], 1),
    ("500 forever", [Reply(500, {"ok": False, "error": "fatal_error"})] * 10, ["after 4 tries"], 4),
    ("429 forever", [Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})] * 10,
     ["rate-limiting", "after 4 tries"], 4),
]


@pytest.mark.parametrize(("case", "replies", "words", "tries"), BOT_FAILURES, ids=[c[0] for c in BOT_FAILURES])
def test_bot_failures_are_one_line_with_the_fix(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Runs,
                                                case: str, replies: list, words: list, tries: int) -> None:
    use_settings(monkeypatch, tmp_path, 'channel = "#incident-review"\n')
    with fake_slack() as slack:
        bot_env(monkeypatch, slack.api_url)
        slack.script("/api/chat.postMessage", *replies)
        code, out, err = run("digest", "--db", str(db))
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, (out, err)
    assert all(w in err for w in words), err
    assert len(slack.to("/api/chat.postMessage")) == tries
    assert TOKEN not in out + err


def test_bot_without_a_channel_is_refused(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Runs) -> None:
    use_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    code, _, err = run("digest", "--db", str(db))
    assert code == 2 and "[digest] channel" in err and TOKEN not in err


def test_secrets_never_appear_in_output_logs_or_files(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      run: Runs, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    use_settings(monkeypatch, tmp_path, 'channel = "#incident-review"\nupload_chart = true\n')
    with fake_slack() as slack:
        secrets = [TOKEN, slack.webhook_url, "webhooksecretpart42"]
        bot_env(monkeypatch, slack.api_url)
        slack.script("/api/chat.postMessage", Reply(500, {"ok": False, "error": "x"}),
                     Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}))
        assert run("digest", "--db", str(db))[0] == 0
        slack.script("/api/chat.postMessage", Reply(200, {"ok": False, "error": "invalid_auth"}))
        assert run("digest", "--db", str(db), "--force")[0] == 2
        monkeypatch.delenv("SLACK_BOT_TOKEN")
        webhook_env(monkeypatch, slack.webhook_url)
        slack.script(WEBHOOK_PATH, Reply(429, "rate_limited", {"Retry-After": "0"}), Reply(403, "invalid_token"))
        assert run("digest", "--db", str(db), "--force")[0] == 2
        assert run("digest", "--db", str(db), "--force")[0] == 0
        assert run("digest", "--db", str(db), "--dry-run")[0] == 0
    assert len(posts(db)) == 2
    everything = "\n".join(run.seen) + caplog.text
    files = [p for p in db.parent.rglob("*") if p.is_file()] + [tmp_path / "review_pulse.toml"]
    for secret in secrets:
        assert secret not in everything
        for path in files:
            assert secret.encode() not in path.read_bytes(), path


def test_a_missing_or_unknown_series_or_week_is_one_line(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         run: Runs) -> None:
    use_settings(monkeypatch, tmp_path)
    for argv, words in [
        (["--series", "Nope", "--dry-run"], ["no review series 'Nope'", "'Incident review'"]),
        (["--week", "2026-02-30", "--dry-run"], ["--week", "YYYY-MM-DD"]),
        (["--week", "2025-01-08", "--series", SERIES, "--dry-run"], ["no review and no survey responses", "2025-01-06"]),
    ]:
        code, _, err = run("digest", "--db", str(db), *argv)
        assert code == 2 and err.count("\n") == 1 and all(w in err for w in words), err
    code, _, err = run("digest", "--db", str(tmp_path / "none.duckdb"), "--dry-run")
    assert code == 2 and "no database" in err


def test_settings_refuse_a_webhook_url_in_place_of_the_variables_name(tmp_path: Path) -> None:
    from core.settings import SettingsError

    path = tmp_path / "s.toml"
    path.write_text('[digest]\nwebhook_url_env = "https://hooks.slack.com/services/T/B/SECRETVALUE"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        load_settings(path)
    assert "NAME of an environment variable" in str(raised.value) and "SECRETVALUE" not in str(raised.value)
    path.write_text('[digest]\nchanel = "#x"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="did you mean 'channel'"):
        load_settings(path)


# --- the figures added for the digest (review_pulse.figures), on hand-made rows ----------------------

AGAINST_MEAN = [
    (7, 22.5, "69% below the previous 4 weeks' mean (22.5)"),
    (35, 35.25, "1% below the previous 4 weeks' mean (35.2)"),
    (29, 19.0, "53% above the previous 4 weeks' mean (19.0)"),
    (20, 20.1, "level with the previous 4 weeks' mean (20.1)"),
    (20, None, ""),
    (20, 0.0, ""),
]


@pytest.mark.parametrize(("attendees", "mean", "text"), AGAINST_MEAN)
def test_against_mean_text(attendees: int, mean: float | None, text: str) -> None:
    assert figures.against_mean_text(attendees, mean) == text


def statement_rows(rows: list[tuple[str, str, int, float | None, bool]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["week_start", "statement", "statement_order", "mean_score", "suppressed"])
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame


LAGGING = [
    # (case, rows, week, expected (statement, score, previous week, previous score, change) or None)
    ("lowest as shown; the week before", [
        ("2026-03-02", "A", 1, 4.0, False), ("2026-03-02", "B", 2, 3.9, False),
        ("2026-03-09", "A", 1, 4.1, False), ("2026-03-09", "B", 2, 3.8, False)],
     "2026-03-09", ("B", 3.8, "2026-03-02", 3.9, "-0.10")),
    ("a tie as shown goes to survey order", [
        ("2026-03-09", "A", 1, 3.804, False), ("2026-03-09", "B", 2, 3.796, False)],
     "2026-03-09", ("A", 3.804, None, None, "—")),
    ("a hidden statement is never the lagging one", [
        ("2026-03-09", "A", 1, 4.0, False), ("2026-03-09", "B", 2, None, True)],
     "2026-03-09", ("A", 4.0, None, None, "—")),
    ("hidden the week before: no change", [
        ("2026-03-02", "A", 1, None, True), ("2026-03-09", "A", 1, 4.2, False)],
     "2026-03-09", ("A", 4.2, "2026-03-02", None, "—")),
    ("a wholly hidden week has none", [("2026-03-09", "A", 1, None, True)], "2026-03-09", None),
]


@pytest.mark.parametrize(("case", "rows", "week", "expected"), LAGGING, ids=[c[0] for c in LAGGING])
def test_week_lagging_statement(case: str, rows: list, week: str, expected: tuple | None) -> None:
    found = figures.week_lagging_statement(statement_rows(rows), date.fromisoformat(week))
    if expected is None:
        assert found is None
        return
    statement, score, previous_week, previous_score, change = expected
    assert (found.statement, found.score, found.previous_score, found.change) == (statement, score, previous_score, change)
    assert found.previous_week == (date.fromisoformat(previous_week) if previous_week else None)


def test_the_early_warning_rides_along_for_the_latest_week_only(db: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch, run: Runs) -> None:
    """The digest carries the Overview's early-warning sentence (the same function, the same words)
    for the series' latest review, and none for an older --week, whose "next review" is history.
    The demo's calendar is its calendar.csv, loaded into the DB: no [calendar] settings needed."""
    from review_pulse.attendance_risk import next_review_risk

    path = tmp_path / "review_pulse.toml"
    path.write_text(f'[digest]\ndashboard_url = "{DASHBOARD}"\n', encoding="utf-8")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(path))
    settings = load_settings(path)
    latest = dg.latest_review_week(db, settings, SERIES)
    risk = next_review_risk(dg.week_view(db, settings, SERIES, latest))
    assert risk is not None and risk.at_risk and "is at risk" in risk.sentence

    code, out, err = run("digest", "--db", str(db), "--dry-run")
    assert code == 0, err
    sections = [b["text"]["text"] for b in json.loads(out)["blocks"] if b["type"] == "section" and "text" in b]
    assert f":warning: {dg.mrkdwn_escape(risk.sentence)}" in sections

    code, out, err = run("digest", "--db", str(db), "--dry-run", "--week", "2026-06-01")
    assert code == 0, err
    assert risk.sentence not in out and ":warning:" not in out


def test_a_future_week_is_refused_in_one_line(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              run: Runs) -> None:
    use_settings(monkeypatch, tmp_path)
    future = date.today() + timedelta(days=21)
    code, out, err = run("digest", "--db", str(db), "--dry-run", "--week", future.isoformat())
    assert code == 2 and out == "" and err.count("\n") == 1 and "is in the future" in err


def test_a_week_without_data_for_every_series_fails_and_dry_run_stdout_stays_json(
        db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Runs) -> None:
    """Skipped series are said on stderr, so --dry-run's stdout is JSON lines only; when every series
    was skipped, nothing was posted and a scheduled job must not pass silently (exit 2)."""
    use_settings(monkeypatch, tmp_path)
    code, out, err = run("digest", "--db", str(db), "--dry-run", "--week", "2020-01-06")
    assert code == 2 and out == "" and "nothing to post" in err
    code, out, err = run("digest", "--db", str(db), "--dry-run")
    assert code == 0 and all(json.loads(line) for line in out.splitlines())


# (variable, value, refused?) — a secret travels over https, plain http only to this machine
SECRET_TRANSPORTS = [
    ("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/webhooksecretpart42", False),
    ("SLACK_WEBHOOK_URL", "http://127.0.0.1:8080/services/T0/B0/webhooksecretpart42", False),
    ("SLACK_WEBHOOK_URL", "http://hooks.slack.com/services/T0/B0/webhooksecretpart42", True),
    ("SLACK_WEBHOOK_URL", "hooks.slack.com/services/T0/B0/webhooksecretpart42", True),
    ("SLACK_API_URL", "http://slack-proxy.internal/api/", True),
    ("SLACK_API_URL", "https://slack-proxy.internal/api/", False),
]


@pytest.mark.parametrize(("variable", "value", "refused"), SECRET_TRANSPORTS)
def test_secrets_travel_over_https_only(variable: str, value: str, refused: bool) -> None:
    from pipeline.sources.slack import SlackError, target_from_env

    environ = {variable: value}
    if variable == "SLACK_API_URL":
        environ["SLACK_BOT_TOKEN"] = TOKEN
    settings = DigestSettings(channel="#incident-review")
    if not refused:
        assert target_from_env(settings, environ).via == ("bot" if "SLACK_BOT_TOKEN" in environ else "webhook")
        return
    with pytest.raises(SlackError) as refusal:
        target_from_env(settings, environ)
    message = str(refusal.value)
    assert f"check the variable {variable}" in message and "webhooksecretpart42" not in message and TOKEN not in message
