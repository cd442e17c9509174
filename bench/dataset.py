"""A large, realistic dataset written as *source files* (what users export), fast and seeded.

* ``surveys.csv``: one wide Slack-Workflow-Builder export for many review series:
  ``Timestamp,Series,Submitted by,<statements…>,How could we improve?``, times as
  Slack writes them (``9/30/2026 16:02:11``), labels as the form offers them,
  ~3% skipped statements, ~1/3 with varied open-text feedback, a few bad rows.
* ``attendance.csv``: ``Date,Series,Incident,Attendees``, one row per meeting.

Full size: 40 series x 5 years of weekly reviews x ~30 responses = ~310,000
responses, ~1.2 M answers, ~100,000 feedback texts.
"""

from __future__ import annotations

import csv
import json
import random
import re
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from pipeline.demo import IMPROVE, INCIDENTS, PRAISE
from core.settings import Settings

LAST_DAY = date(2026, 9, 25)  # a Friday: the last review week is wholly in 2026-Q3 (and in the past)

TEAMS = [
    "Payments", "Checkout", "Identity", "Search", "Platform", "Data", "Mobile", "Web", "Billing", "Messaging",
    "Infra", "SRE", "Security", "Storage", "Networking", "Growth", "Ads", "Maps", "Media", "Notifications",
    "Fraud", "Ledger", "Catalog", "Pricing", "Logistics", "Support tools", "ML platform", "Observability",
    "Developer tools", "Edge", "Kafka", "Databases", "Auth", "Partners", "Onboarding", "Analytics", "Risk",
    "Compliance", "Localization", "Release",
]
FIRST_NAMES = ["Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lea", "Mo", "Nia",
               "Omar", "Pia", "Raj", "Sara", "Tom", "Uma", "Vik", "Wen", "Xia", "Yara", "Zoe", "Ari", "Bea", "Cal",
               "Dev", "Eva", "Finn", "Gia", "Hugo", "Ida", "Jay", "Kim", "Lars", "Mia", "Nils", "Ola"]
LAST_NAMES = ["Souza", "Okafor", "Wei", "Levi", "Novak", "Zahra", "Berg", "Sato", "Petrov", "Müller", "Lund", "Rossi",
              "Haddad", "Brown", "Aziz", "Kowalski", "Patel", "Lind", "Chen", "Rao", "Das", "Li", "Zhu", "Nassar",
              "Martin", "Cohen", "Silva", "Reed", "Shah", "Horn", "Ek", "Russo", "Lenz", "Park", "Kim", "Vogel"]
OPENERS = ["", "", "", "Honestly, ", "Overall ", "FWIW: ", "+1 to last week: ", "Minor thing — ", "Thanks! ",
           "Not sure this is the place, but ", "Again: ", "As an on-call engineer, ", "From the product side, "]
TOPICS = ["the timeline", "the action items", "the alerting discussion", "the runbook", "the deploy pipeline",
          "the customer impact section", "the root-cause tree", "the dashboards we looked at", "the rollback",
          "the follow-up owners", "the contributing factors", "the comms to support", "the capacity numbers"]
VERDICTS = ["was really clear", "felt rushed", "needs more time", "was the best part", "could be shorter",
            "was hard to follow", "helped a lot", "should be shared beforehand", "went too deep", "was spot on"]
EMOJI = ["", "", "", "", " 👍", " 🙏", " ⏰", " 🔥", " 🙂", " 🚀"]
ANSWER_STYLES = (
    {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree", 5: "Strongly agree"},
)
STATEMENT_OFFSETS = (0.0, -0.1, 0.25, -0.2)


@dataclass
class DatasetInfo:
    surveys: str
    attendance: str
    series: int
    years: float
    meetings: int
    survey_rows: int
    bad_rows: int
    answers_written: int
    feedback_texts: int
    survey_bytes: int
    attendance_bytes: int
    seconds: float
    first_day: str
    last_day: str
    sample_series: str
    quarter: str

    def as_dict(self) -> dict:
        return asdict(self)


def series_names(count: int) -> list[str]:
    names = []
    for i in range(count):
        team = TEAMS[i % len(TEAMS)]
        suffix = "" if i < len(TEAMS) else f" {i // len(TEAMS) + 1}"
        names.append(f"{team} incident review{suffix}")
    return names


def _feedback(rng: random.Random, mood: float, incident: str) -> str:
    pool = PRAISE if rng.random() < mood else IMPROVE
    kind = rng.random()
    if kind < 0.35:
        text = rng.choice(pool)
    elif kind < 0.7:
        text = f"{rng.choice(OPENERS)}{rng.choice(TOPICS)} {rng.choice(VERDICTS)}."
        text = text[0].upper() + text[1:]
    elif kind < 0.9:
        text = f"{rng.choice(pool)} Re “{incident}”: {rng.choice(TOPICS)} {rng.choice(VERDICTS)}."
    else:  # a longer, multi-line answer
        text = "\n".join(f"- {rng.choice(TOPICS)} {rng.choice(VERDICTS)}" for _ in range(rng.randint(2, 5)))
        text = f"{rng.choice(pool)}\n{text}"
    return text + rng.choice(EMOJI)


def generate(out_dir: Path, *, series_count: int = 40, years: float = 5.0, mean_responses: float = 30.0,
             seed: int = 20260930, settings: Settings | None = None) -> DatasetInfo:
    started = time.perf_counter()
    settings = settings or Settings()
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    survey_path = out_dir / "surveys.csv"
    attendance_path = out_dir / "attendance.csv"
    statements = settings.statement_texts
    offsets = STATEMENT_OFFSETS[: len(statements)] + (0.0,) * max(0, len(statements) - len(STATEMENT_OFFSETS))
    labels = ANSWER_STYLES[0]
    first_day = LAST_DAY - timedelta(days=round(365.25 * years) - 1)
    people = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
    # Attendees per meeting average ~48; a response rate of 0.5-0.75 gives ~30 responses.
    attendee_base = 48.0 * mean_responses / 30.0

    survey_rows: list[tuple[float, list[str]]] = []
    attendance_rows: list[list[str]] = []
    answers_written = feedback_texts = meetings = 0
    total_days = (LAST_DAY - first_day).days
    for index, series in enumerate(series_names(series_count)):
        weekday = index % 5  # Monday..Friday
        day = first_day + timedelta(days=(weekday - first_day.weekday()) % 7)
        base = attendee_base * rng.uniform(0.75, 1.25)
        trend = rng.uniform(-0.4, 0.6)  # how much the series' score improves over the years
        level = rng.uniform(3.4, 4.1)
        week = 0
        while day <= LAST_DAY:
            progress = (day - first_day).days / max(total_days, 1)
            busy = rng.random() < 0.03
            attendees = max(6, round(base * (0.85 + 0.3 * progress) + rng.gauss(0, base * 0.08)))
            if busy:
                attendees = rng.randint(5, 9)
            incident = INCIDENTS[(week + index) % len(INCIDENTS)]
            attendance_rows.append([day.isoformat(), series, incident, str(attendees)])
            meetings += 1
            responses = rng.randint(2, 4) if busy else max(5, round(attendees * rng.uniform(0.5, 0.75)))
            week_mean = level + trend * progress + rng.gauss(0, 0.12)
            mood = min(1.0, max(0.0, (week_mean - 3.0) / 2))
            start = datetime.combine(day, datetime.min.time()) + timedelta(hours=15, minutes=55)
            for _ in range(responses):
                submitted = start + timedelta(seconds=rng.randint(0, 36 * 3600))
                answers = []
                for offset in offsets:
                    if rng.random() < 0.03:
                        answers.append("")
                        continue
                    score = min(5, max(1, round(rng.gauss(week_mean + offset, 0.7))))
                    answers.append(labels[score])
                    answers_written += 1
                feedback = ""
                if rng.random() < 1 / 3:
                    feedback = _feedback(rng, mood, incident)
                    feedback_texts += 1
                stamp = f"{submitted.month}/{submitted.day}/{submitted.year} {submitted:%H:%M:%S}"
                survey_rows.append((submitted.timestamp(), [stamp, series, rng.choice(people), *answers, feedback]))
            day += timedelta(weeks=1)
            week += 1
    survey_rows.sort(key=lambda item: item[0])  # Slack exports are chronological across series
    rows = [row for _, row in survey_rows]
    # A few rows every real export has, which the pipeline must reject with a reason.
    blank = [""] * len(statements)
    bad = [
        ["not recorded", series_names(1)[0], "Ben Okafor", *(["Agree"] * len(statements)), ""],
        ["6/10/2026 16:20:00", series_names(1)[0], "Cal Reed", "N/A", *(["Agree"] * (len(statements) - 1)), "n/a"],
        ["3/4/2025 16:20:00", series_names(1)[0], "Dana Levi", *blank, ""],
        ["12/31/2030 09:00:00", series_names(1)[0], "Eli Novak", *(["Agree"] * len(statements)), "from the future"],
    ]
    step = max(1, len(rows) // (len(bad) + 1))
    for i, row in enumerate(bad, start=1):
        rows.insert(i * step, row)

    header = ["Timestamp", "Series", "Submitted by", *statements, settings.feedback_question.text]
    with open(survey_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    with open(attendance_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Series", "Incident", "Attendees"])
        writer.writerows(attendance_rows)
    return DatasetInfo(
        surveys=str(survey_path),
        attendance=str(attendance_path),
        series=series_count,
        years=years,
        meetings=meetings,
        survey_rows=len(rows),
        bad_rows=len(bad),
        answers_written=answers_written,
        feedback_texts=feedback_texts,
        survey_bytes=survey_path.stat().st_size,
        attendance_bytes=attendance_path.stat().st_size,
        seconds=round(time.perf_counter() - started, 2),
        first_day=first_day.isoformat(),
        last_day=LAST_DAY.isoformat(),
        sample_series=series_names(series_count)[0],
        quarter="2026-Q2",
    )


# --- issue #10: a second file shaped like a real form export ----------------------------------------


@dataclass
class ExportShapedInfo:
    surveys: str
    settings: str
    rows: int
    bad_rows: int
    survey_bytes: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def generate_export_shaped(out_dir: Path, *, rows: int = 300_000, seed: int = 20261128,
                           settings: Settings | None = None) -> ExportShapedInfo:
    """``export_shaped.csv``: a Google Forms responses sheet as downloaded (``Timestamp``,
    ``Email Address``, ``Name``, ``IP Address``, ``Team``, one column per statement answered
    with labels such as "Strongly agree", the feedback question), plus the review_pulse.toml
    a user writes for it (``Team`` is the series: declared in [[sources]]). The identity
    columns are there to show they cost nothing: they are never read into the database."""
    started = time.perf_counter()
    settings = settings or Settings()
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "export_shaped.csv"
    toml = out_dir / "export_shaped.toml"
    statements = settings.statement_texts
    labels = ANSWER_STYLES[0]
    teams = TEAMS[:24]
    first = datetime(2021, 10, 1, 9, 0)
    step = (datetime(2026, 9, 25, 18, 0) - first).total_seconds() / rows
    header = ["Timestamp", "Email Address", "Name", "IP Address", "Team", *statements, settings.feedback_question.text]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(rows):
            moment = first + timedelta(seconds=i * step + rng.random() * step)
            first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            mean = 3.6 + rng.gauss(0, 0.6)
            answers = ["" if rng.random() < 0.03 else labels[min(5, max(1, round(rng.gauss(mean, 0.8))))]
                       for _ in statements]
            feedback = _feedback(rng, (mean - 3.0) / 2, rng.choice(INCIDENTS)) if rng.random() < 0.3 else ""
            writer.writerow([
                f"{moment.month}/{moment.day}/{moment.year} {moment:%H:%M:%S}",
                f"{first_name.lower()}.{last_name.lower()}{i % 97}@example.com",
                f"{first_name} {last_name}",
                f"10.{i % 256}.{(i // 256) % 256}.{rng.randint(1, 254)}",
                rng.choice(teams),
                *answers,
                feedback,
            ])
        bad = [["not recorded", "x@example.com", "X Y", "10.0.0.1", "SRE", *(["Agree"] * len(statements)), ""],
               ["6/10/2026 16:20:00", "y@example.com", "Y Z", "10.0.0.2", "SRE", "N/A", *(["Agree"] * (len(statements) - 1)), ""]]
        writer.writerows(bad)
    toml.write_text(
        "# What a user writes for a Google Forms sheet whose series is the 'Team' question.\n"
        '[[sources]]\nfiles = ["export_shaped.csv"]\nseries_column = "Team"\n', encoding="utf-8")
    return ExportShapedInfo(str(path), str(toml), rows + len(bad), len(bad), path.stat().st_size,
                            round(time.perf_counter() - started, 2))


# --- issue #23: a real-shaped export: 300,000 responses, 35% with a comment, ~74,600 distinct ------

LABELLED_SETS = sorted((Path(__file__).resolve().parent).glob("feedback_*.csv"))
_NUMBER = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
STOCK_ANSWERS = ["Good", "Good session", "Great session", "n/a", "N/A", "None", "No", "Nothing", "nothing to add",
                 "All good", "Thanks", "Thanks!", "Keep it up", "Too long", "Useful", "Fine", "-", "No comments",
                 "Good meeting", "Nothing really", "👍", "Great", "Nope", "Good discussion", "Ran over again"]
REPLY_OPENERS = ["", "", "", "", "", "Honestly, ", "Overall ", "FWIW: ", "Minor thing — ", "Thanks! ", "Again: ",
                 "As an on-call engineer, ", "From the product side, ", "+1 to last week. ", "Same as before: ",
                 "This week: ", "Re the {incident}: ", "For the {team} folks, ", "tbh ", "One thing: "]
REPLY_CLOSERS = ["", "", "", "", "", "", " Thanks.", " Cheers", " 👍", " 🙏", " ⏰", " (again)", " Thanks {name}!",
                 " cc {name}", " See {ticket}.", " Otherwise fine.", " 🙂", " Good work overall."]


def _labelled_sentences() -> list[str]:
    """Every sentence of the hand-labelled comments: what people write, in their words."""
    sentences: list[str] = []
    for path in LABELLED_SETS:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                sentences += [s.strip() for s in _SENTENCE_END.split(row["text"]) if s.strip()]
    return sorted(set(sentences))


def real_shaped_comments(count: int, seed: int = 20261206) -> list[str]:
    """``count`` distinct comments shaped like real answers to "How could we improve?": one to three
    sentences of the labelled sets' comments, their numbers changed, an opener or a closer naming a
    team, an incident, a person or a ticket. Distinct because people write different things; the
    same words, because they write about the same meetings."""
    rng = random.Random(seed)
    sentences = _labelled_sentences()
    people = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]

    def fill(template: str) -> str:
        return template.format(incident=rng.choice(INCIDENTS), team=rng.choice(TEAMS),
                               name=rng.choice(people).split()[0], ticket=f"INC-{rng.randint(100, 99999)}")

    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        parts = rng.sample(sentences, rng.choices((1, 2, 3), (55, 33, 12))[0])
        body = " ".join(_NUMBER.sub(lambda m: str(rng.randint(1, 90)), part) for part in parts)
        text = fill(rng.choice(REPLY_OPENERS)) + body + fill(rng.choice(REPLY_CLOSERS))
        if rng.random() < 0.15:
            text = text.lower()
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


@dataclass
class RealShapedInfo:
    surveys: str
    rows: int
    series: int
    comments: int
    distinct_comments: int
    survey_bytes: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def generate_real_shaped(out_dir: Path, *, rows: int = 300_000, series_count: int = 40, comment_share: float = 0.35,
                         distinct_comments: int = 74_600, seed: int = 20261206,
                         settings: Settings | None = None) -> RealShapedInfo:
    """``real_shaped.csv``: a Slack Workflow Builder export (``Timestamp,Series,Submitted by``, the
    statements answered with labels, the feedback question) of ``rows`` responses over
    ``series_count`` series and five years, ``comment_share`` of them with a comment, of which
    ``distinct_comments`` are distinct (the rest are the short answers people repeat, "Good session",
    or a comment written again)."""
    started = time.perf_counter()
    settings = settings or Settings()
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "real_shaped.csv"
    statements = settings.statement_texts
    labels = ANSWER_STYLES[0]
    series = series_names(series_count)
    commented = round(rows * comment_share)
    distinct = real_shaped_comments(max(0, distinct_comments - len(STOCK_ANSWERS)), seed)
    # Every distinct comment once, the rest repeats: mostly the stock answers, some a comment again.
    comments = distinct + STOCK_ANSWERS
    comments += [rng.choice(STOCK_ANSWERS) if rng.random() < 0.8 else rng.choice(distinct)
                 for _ in range(max(0, commented - len(comments)))]
    comments = comments[:commented]
    rng.shuffle(comments)
    with_comment = set(rng.sample(range(rows), len(comments)))
    first = datetime(2021, 10, 1, 9, 0)
    step = (datetime(2026, 9, 25, 18, 0) - first).total_seconds() / rows
    header = ["Timestamp", "Series", "Submitted by", *statements, settings.feedback_question.text]
    people = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
    feed = iter(comments)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(rows):
            moment = first + timedelta(seconds=i * step + rng.random() * step)
            mean = 3.6 + rng.gauss(0, 0.6)
            answers = ["" if rng.random() < 0.03 else labels[min(5, max(1, round(rng.gauss(mean, 0.8))))]
                       for _ in statements]
            writer.writerow([f"{moment.month}/{moment.day}/{moment.year} {moment:%H:%M:%S}", rng.choice(series),
                             rng.choice(people), *answers, next(feed) if i in with_comment else ""])
    return RealShapedInfo(str(path), rows, series_count, len(comments), len(set(comments)), path.stat().st_size,
                          round(time.perf_counter() - started, 2))


# --- issue #23: follow-up actions and talking-point polls for every review of the dataset ----------


@dataclass
class FollowupsInfo:
    polls: str  # a Slack workspace export, one channel per series
    actions: str  # an actions sheet with a Series column
    settings: str  # the review_pulse.toml a team writes for them: [[themes]] and [poll_channels]
    poll_count: int
    option_count: int
    action_count: int
    open_actions: int
    polls_bytes: int
    actions_bytes: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


ACTIONS_HEADER = ["Series", "Review date", "Action", "Status", "Due", "Done", "Link", "Owner"]
ACTION_LINK = "https://jira.example.com/browse/{key}"


def channel_name(series: str) -> str:
    return "ir-" + re.sub(r"[^a-z0-9]+", "-", series.lower().replace(" incident review", "")).strip("-")


def generate_followups(out_dir: Path, attendance_csv: Path, *, seed: int = 20261207) -> FollowupsInfo:
    """For every review in ``attendance_csv``: its opening talking-points poll (Polly some weeks,
    Simple Poll in others, as in the demo: two options about the incident, two recurring themes,
    "Other"; about two thirds of the room vote) and a few follow-up actions (0-4, in a sheet with
    Series, Review date, Action, Status, Due, Done, Link and an Owner column the loader drops), older
    ones mostly done, some dropped, recent ones open, some overdue."""
    from pipeline.demo import ACTION_TITLES
    from pipeline.demo_polls import DEMO_CHANNEL, DEMO_THEMES, THEME_OPTIONS, polly_message, simple_poll_message, \
        write_slack_export

    started = time.perf_counter()
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    with attendance_csv.open(encoding="utf-8", newline="") as handle:
        meetings = [(date.fromisoformat(r["Date"]), r["Series"], r["Incident"], int(r["Attendees"]))
                    for r in csv.DictReader(handle)]
    series_list = sorted({m[1] for m in meetings})
    channels = {s: channel_name(s) for s in series_list}
    assert len(set(channels.values())) == len(channels), "two series share a channel name"
    first_day, last_day = min(m[0] for m in meetings), max(m[0] for m in meetings)
    span = max(1, (last_day - first_day).days)
    theme_names = list(THEME_OPTIONS)
    people = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
    days: dict[tuple[str, date], list[dict]] = {}
    actions: list[list[str]] = []
    option_count = open_actions = 0
    number = 1000
    for index, (review_day, series, incident, attendees) in enumerate(sorted(meetings)):
        progress = (review_day - first_day).days / span
        posted = datetime.combine(review_day, datetime.min.time(), tzinfo=timezone.utc).timestamp() + 15 * 3600 + 58 * 60
        first, second = rng.sample(theme_names, 2)
        options = [f"{incident}: timeline and detection", f"{incident}: the fix and follow-ups",
                   rng.choice(THEME_OPTIONS[first]), rng.choice(THEME_OPTIONS[second]), "Other"]
        pull = 0.6 + 1.2 * progress  # themes gain ground over the years
        weights = [1.3, 1.0, pull * rng.uniform(0.6, 1.4), pull * rng.uniform(0.4, 1.2), 0.25]
        counts = [0] * len(options)
        for _ in range(max(4, round(attendees * rng.uniform(0.55, 0.8)))):
            counts[rng.choices(range(len(options)), weights)[0]] += 1
        tally = list(zip(options, counts))
        edited = posted + 60 * rng.randint(3, 12)
        title = f"Talking points: {incident}"
        if index % 2 == 0:
            message = polly_message(f"bench{index:05d}Pq", title, tally, posted, edited, rng)
        else:
            message = simple_poll_message(str(uuid.UUID(int=rng.getrandbits(128))), title, tally, posted, edited, rng)
        days.setdefault((channels[series], review_day), []).append(message)
        option_count += len(options)
        thing = incident if incident[:2].isupper() else incident[0].lower() + incident[1:]
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            number += 1
            due = review_day + timedelta(days=rng.choice((14, 21, 30, 45)))
            age = (last_day - review_day).days
            roll = rng.random()
            done = ""
            if roll < 0.12:
                status = "Won't do"
            elif roll < 0.12 + min(0.85, 0.2 + age / 200):
                finished = review_day + timedelta(days=rng.randint(2, 70))
                status, done = ("Done", finished.isoformat()) if finished <= last_day else ("In progress", "")
            else:
                status = rng.choice(("To do", "In progress", "Blocked"))
            open_actions += status in ("To do", "In progress", "Blocked")
            link = ACTION_LINK.format(key=f"OPS-{number}") if rng.random() < 0.8 else ""
            actions.append([series, review_day.isoformat(), rng.choice(ACTION_TITLES).format(thing=thing), status,
                            due.isoformat(), done, link, rng.choice(people)])
    polls_path = write_slack_export(out_dir / "slack_polls.zip", days)
    assert DEMO_CHANNEL not in channels.values()
    actions_path = out_dir / "actions.csv"
    with open(actions_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ACTIONS_HEADER)
        writer.writerows(actions)
    settings_path = out_dir / "followups.toml"
    lines = ["# What a team writes for its talking-point polls: the recurring themes, and channel -> series."]
    for theme in DEMO_THEMES:
        lines += ["[[themes]]", f"name = {json.dumps(theme.name)}", f"keywords = {json.dumps(list(theme.keywords))}", ""]
    lines.append("[poll_channels]")
    lines += [f"{json.dumps(channel)} = {json.dumps(series)}" for series, channel in channels.items()]
    settings_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return FollowupsInfo(str(polls_path), str(actions_path), str(settings_path), len(meetings), option_count,
                         len(actions), open_actions, polls_path.stat().st_size, actions_path.stat().st_size,
                         round(time.perf_counter() - started, 2))
