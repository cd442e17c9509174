"""Demo talking-point polls: a Slack workspace export whose review channel holds the opening
poll of every review, posted by Polly some weeks and by Simple Poll in others.

The message shapes follow the public fixtures of slackdump (github.com/rusq/slackdump:
internal/viewer/renderer/fixtures/polly.json and internal/fixtures/assets/messages/bot_message.json);
the ids, names and texts here are made up.
"""

from __future__ import annotations

import json
import random
import uuid
import zipfile
from datetime import date, datetime, time, timezone
from pathlib import Path

from core.settings import Theme

DEMO_CHANNEL = "incident-review"
# Three themes that recur across incidents, with the words their options use.
DEMO_THEMES = (
    Theme("Alerting & on-call", ("alert fatigue", "paging", "on-call", "alerts")),
    Theme("Deploys & rollbacks", ("rollback", "rollbacks", "deploy", "deploys", "feature flags")),
    Theme("Runbooks & docs", ("runbook", "runbooks", "documentation")),
)
THEME_OPTIONS = {
    "Alerting & on-call": ["Alert fatigue on the on-call rota", "Paging the right team first", "Noisy alerts after deploys"],
    "Deploys & rollbacks": ["Rollback speed across services", "Feature flags as a kill switch", "Deploy freezes before holidays"],
    "Runbooks & docs": ["Runbooks that are out of date", "Where our documentation lives"],
}
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "keycap_ten")


def _mention(rng: random.Random) -> str:
    return "<@U" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10)) + ">"


def polly_message(poll_id: str, title: str, options: list[tuple[str, int]], posted: float, edited: float | None,
                  rng: random.Random) -> dict:
    """A Polly poll as a Slack export holds it: title section, voting buttons, results in
    section ``fields`` ("label  \\n\\n`bar`  |  pct% (count)\\n\\n<@voters>"), a total."""
    total = sum(votes for _label, votes in options)
    fields = []
    for label, votes in options:
        pct = round(100 * votes / total) if total else 0
        bar = ("█" * round(25 * votes / total) if total else "").ljust(25)
        voters = ", ".join(_mention(rng) for _ in range(votes))
        text = f"{label}  \n\n`{bar}`  |  {pct}% ({votes})" + (f"\n\n{voters}" if voters else "")
        fields.append({"type": "mrkdwn", "text": text, "verbatim": True})
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*", "verbatim": True}, "block_id": "t1",
         "accessory": {"type": "overflow", "action_id": f"PollMessage({poll_id}).PollMessageOverflowMenu()",
                       "options": [{"text": {"type": "plain_text", "text": "Settings", "emoji": True}, "value": "settings"}]}},
        {"type": "actions", "block_id": "b1", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": label, "emoji": True},
             "action_id": f"PollMessage({poll_id}).VotingButton({i})", "value": str(i)}
            for i, (label, _votes) in enumerate(options)]},
    ]
    for start in range(0, len(fields), 2):  # Polly puts two results side by side per section
        blocks.append({"type": "section", "block_id": f"r{start}", "fields": fields[start:start + 2]})
    blocks += [
        {"type": "context", "block_id": "c1", "elements": [{"type": "mrkdwn", "text": f"*Total Votes*: {total}", "verbatim": True}]},
        {"type": "actions", "block_id": "v1", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "View All Responses ", "emoji": True},
             "action_id": f"PollMessage({poll_id}).ViewAllResponsesButton"}]},
        {"type": "divider", "block_id": "d1"},
        {"type": "context", "block_id": "c2", "elements": [
            {"type": "mrkdwn", "text": "Sender: Review facilitator | :unlock: *Responses:* Non-Anonymous", "verbatim": True}]},
    ]
    message = {
        "type": "message", "user": "U0POLLYAPP1",
        "text": f"*Review facilitator* (Polly Sender: {_mention(rng)}) has a polly for you!",
        "ts": f"{posted:.6f}", "bot_id": "B0POLLY0001",
        "bot_profile": {"app_id": "A04E6JX41", "id": "B0POLLY0001", "name": "Polly", "team_id": "T0DEMO0001"},
        "team": "T0DEMO0001", "blocks": blocks,
    }
    if edited is not None:
        message["edited"] = {"user": "B0POLLY0001", "ts": f"{edited:.6f}"}
    return message


def simple_poll_message(poll_uuid: str, title: str, options: list[tuple[str, int]], posted: float,
                        edited: float | None, rng: random.Random) -> dict:
    """A Simple Poll poll: ``bot_message`` with blocks ``poll-<uuid>-vote-<n>`` reading
    ":one: label    `count`" and the voters on the next line, and a "Created by … with /poll" context."""
    blocks: list[dict] = [{
        "type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*", "emoji": None},
        "block_id": f"poll-{poll_uuid}-title-and-menu",
        "accessory": {"type": "overflow", "action_id": "title-and-menu", "options": [
            {"text": {"type": "plain_text", "text": ":lock: Close Poll", "emoji": True}, "value": "close_poll"}]},
    }]
    for i, (label, votes) in enumerate(options):
        vote_id = 42503654 + i
        text = f":{NUMBER_WORDS[i]}: {label}" + (f"    `{votes}`" if votes else "")
        if votes:
            text += "\n" + ", ".join(_mention(rng) for _ in range(votes))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text, "emoji": None},
                       "block_id": f"poll-{poll_uuid}-vote-{vote_id}",
                       "accessory": {"type": "button", "text": {"type": "plain_text", "text": f":{NUMBER_WORDS[i]}:",
                                                                "emoji": True}, "action_id": f"vote-{vote_id}"}})
    blocks.append({"type": "context", "block_id": "ctx1", "elements": [
        {"type": "mrkdwn", "text": f"Created by {_mention(rng)} with /poll", "emoji": None}]})
    message = {"type": "message", "text": title, "ts": f"{posted:.6f}", "subtype": "bot_message",
               "bot_id": "B0SIMPLE001", "blocks": blocks}
    if edited is not None:
        message["edited"] = {"user": "B0SIMPLE001", "ts": f"{edited:.6f}"}
    return message


def write_slack_export(target: Path, days: dict[tuple[str, date], list[dict]], as_zip: bool = True) -> Path:
    """A workspace export: channels.json, users.json (no people), one folder per channel, a file per day."""
    channels = sorted({channel for channel, _day in days})
    files: dict[str, str] = {
        "channels.json": json.dumps([{"id": f"C0DEMO{i:04d}", "name": name, "created": 1700000000, "is_general": False}
                                     for i, name in enumerate(channels)], indent=1),
        "users.json": "[]",
    }
    for (channel, day), messages in sorted(days.items()):
        files[f"{channel}/{day.isoformat()}.json"] = json.dumps(messages, indent=1, ensure_ascii=False)
    if as_zip:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
    else:
        for name, text in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text(text, encoding="utf-8")
    return target


def demo_poll_export(target: Path, review_days: list[date], incidents: list[str], attendees: list[int],
                     seed: int = 7) -> Path:
    """One poll per review, posted at 15:58 UTC on the review day, voted on for a few minutes.

    Two options about the incident, two recurring themes, and "Other". Early reviews favour
    the incident; later ones pick the themes more often, as the team learns to look across incidents.
    """
    rng = random.Random(seed)
    days: dict[tuple[str, date], list[dict]] = {}
    theme_names = list(THEME_OPTIONS)
    for week, (review_day, incident, people) in enumerate(zip(review_days, incidents, attendees)):
        posted = datetime.combine(review_day, time(15, 58), tzinfo=timezone.utc).timestamp()
        first, second = rng.sample(theme_names, 2)
        options = [f"{incident}: timeline and detection", f"{incident}: the fix and follow-ups",
                   rng.choice(THEME_OPTIONS[first]), rng.choice(THEME_OPTIONS[second]), "Other"]
        theme_pull = 0.6 + 1.2 * week / max(1, len(review_days) - 1)  # themes gain ground over time
        weights = [1.3, 1.0, theme_pull * rng.uniform(0.6, 1.4), theme_pull * rng.uniform(0.4, 1.2), 0.25]
        voters = max(4, round(people * rng.uniform(0.55, 0.8)))
        counts = [0] * len(options)
        for _ in range(voters):
            counts[rng.choices(range(len(options)), weights)[0]] += 1
        tally = list(zip(options, counts))
        edited = posted + 60 * rng.randint(3, 12)
        if week % 2 == 0:
            message = polly_message(f"demo{week:03d}Pq", f"Talking points: {incident}", tally, posted, edited, rng)
        else:
            message = simple_poll_message(str(uuid.UUID(int=rng.getrandbits(128))), f"Talking points: {incident}",
                                          tally, posted, edited, rng)
        chatter = {"type": "message", "user": "U0DEMOCHAT1", "text": "Starting in two minutes", "ts": f"{posted - 90:.6f}"}
        other_bot = {"type": "message", "subtype": "bot_message", "bot_id": "B0REMINDER1", "text": "Reminder: review today",
                     "ts": f"{posted - 3600:.6f}"}
        days[(DEMO_CHANNEL, review_day)] = [other_bot, chatter, message]
    return write_slack_export(target, days)
