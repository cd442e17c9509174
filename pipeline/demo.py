"""Demo data: realistic *source files*, then the normal pipeline loads them.

Two quarters (2026-Q2 and 2026-Q3) of weekly Wednesday reviews. Scores rise from
about 3.8 to about 4.5, attendance grows about 50% over the first quarter, and
two busy weeks have low attendance and fewer than 5 responses.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from pipeline.errors import IngestError
from pipeline.guards import refuse_foreign_database, remove_demo_rows
from pipeline.loader import RunSummary, load
from pipeline.parse import LABEL_FOR_SCORE, parse_attendance, parse_surveys
from pipeline.sources.files import read_table
from review_pulse.settings import Settings
from review_pulse.store import staged_write, write_lock

FIRST_REVIEW = date(2026, 4, 1)  # a Wednesday
REVIEW_WEEKS = 26
BUSY_WEEKS = {8: 7, 19: 6}  # week index -> attendees (an outage week, a release crunch)
STATEMENT_OFFSETS = (0.0, -0.1, 0.25, -0.2)  # safety scores highest, learning lowest

INCIDENTS = [
    "Checkout latency spike", "Login outage in the EU", "Search index corruption", "Payment webhook backlog",
    "DNS misconfiguration", "Certificate expiry on API gateway", "Kafka consumer lag", "Disk full on build agents",
    "Feature flag rollout gone wrong", "Cache stampede after deploy", "Rate limiter misfire", "Database failover",
    "Email delivery delays", "Mobile push notifications dropped", "CDN purge storm", "Config drift in staging",
    "Queue poison message", "Memory leak in image service", "Clock skew in auth tokens", "Cron job double-run",
    "Third-party map API outage", "Legacy billing job timeout", "Permissions regression", "Slow dashboards after migration",
    "Noisy alerting on call", "Backup restore drill",
]
PRAISE = [
    "Great facilitation, everyone got a chance to speak.",
    "Really liked the timeline walkthrough — very clear.",
    "The cross-incident theme on alert fatigue was super useful 👍",
    "Loved hearing from the on-call engineer directly.",
    "Good balance between the incident and the bigger themes.",
    "Felt safe to admit what I got wrong. Thank you!",
    "The poll at the start made the agenda feel like ours.",
    "Learned a lot about how the failover actually works 🙏",
    "Short and focused, exactly the right length.",
    "Nice that we ended with owners for each follow-up.",
    "Très bien organisé, merci !",
    "Appreciated the diagram of the request path.",
]
IMPROVE = [
    "Action items never seem to make it onto the roadmap — can we track them?",
    "We ran out of time for the 'other' topics again.",
    "Could we share the incident doc a day before?",
    "Too much detail on the timeline, not enough on what we change.",
    "Hard to follow for people outside the team; a glossary would help.",
    "Please record it for people in other time zones.",
    "The same two people did most of the talking.",
    "Busy week, I could only join for 10 minutes.",
    "Would be good to revisit last month's action items.",
    "Can we pick talking points that span more than one incident?",
    "The chat was more useful than the call; can we capture it?",
    "Start on time please ⏰",
    "A bit too blame-y when we discussed the deploy.",
    "Move it away from release day, attendance suffers.",
]
ABOUT_INCIDENT = [
    "The {incident} timeline finally made sense to me.",
    "Would love a follow-up on {incident} in a month.",
    "Who owns the action items from {incident}?",
    "{incident}: we should have paged the database team earlier.",
    "Good call to compare {incident} with last quarter's outage.",
    "I still don't get why the {incident} alert didn't fire.",
    "Can the {incident} fixes go on the Q roadmap instead of the backlog?",
    "Great that support joined for {incident}.",
]
NAMES = ["Ana Souza", "Ben Okafor", "Chen Wei", "Dana Levi", "Eli Novak", "Fatima Zahra", "Gus Berg",
         "Hana Sato", "Ivan Petrov", "Jo Müller", "Kai Lund", "Lea Rossi", "Mo Haddad", "Nia Brown",
         "Omar Aziz", "Pia Kowalski", "Raj Patel", "Sara Lind", "Tom Chen", "Uma Rao", "Vik Das",
         "Wen Li", "Xia Zhu", "Yara Nassar", "Zoe Martin", "Ari Cohen", "Bea Silva", "Cal Reed",
         "Dev Shah", "Eva Horn", "Finn Ek", "Gia Russo", "Hugo Lenz", "Ida Berg", "Jay Park"]


def _attendance_for(week: int, rng: random.Random) -> int:
    if week in BUSY_WEEKS:
        return BUSY_WEEKS[week]
    # ~18 at the start, ~31 after one quarter (+50% last 4 weeks vs first 4), ~36 later.
    if week < 13:
        base = 18 + 13 * week / 12
    else:
        base = 31 + 5 * (week - 13) / 12
    return max(8, round(base + rng.gauss(0, 1.5)))


def write_demo_sources(out_dir: Path, settings: Settings, seed: int = 7) -> tuple[Path, Path]:
    """Write ``survey_responses.csv`` (Slack Workflow Builder columns) and ``attendance.csv``."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    survey_path = out_dir / "survey_responses.csv"
    attendance_path = out_dir / "attendance.csv"
    statements = settings.statement_texts
    header = ["Timestamp", "Submitted by", *statements, settings.feedback_question.text]
    survey_rows: list[list[str]] = []
    attendance_rows: list[list[str]] = []
    for week in range(REVIEW_WEEKS):
        review_day = FIRST_REVIEW + timedelta(weeks=week)
        attendees = _attendance_for(week, rng)
        attendance_rows.append([review_day.isoformat(), INCIDENTS[week % len(INCIDENTS)], str(attendees)])
        if week in BUSY_WEEKS:
            responses = BUSY_WEEKS[week] // 2  # fewer than the minimum group size
        else:
            responses = max(5, round(attendees * rng.uniform(0.55, 0.75)))
        week_mean = 3.75 + 0.95 * week / (REVIEW_WEEKS - 1)
        people = rng.sample(NAMES, k=min(responses, len(NAMES)))
        start = datetime.combine(review_day, datetime.min.time()) + timedelta(hours=15, minutes=55)
        for person in people:
            submitted = start + timedelta(minutes=rng.randint(0, 36 * 60))
            answers = []
            for offset in STATEMENT_OFFSETS[: len(statements)] + (0.0,) * (len(statements) - len(STATEMENT_OFFSETS)):
                if rng.random() < 0.03:
                    answers.append("")  # a skipped statement
                    continue
                score = min(5, max(1, round(rng.gauss(week_mean + offset, 0.65))))
                answers.append(LABEL_FOR_SCORE[score] if score != 3 else "Neither agree nor disagree")
            feedback = ""
            if rng.random() < 0.4:
                pool = PRAISE if rng.random() < (week_mean - 3.0) / 2 else IMPROVE
                parts = [rng.choice(pool)]
                if rng.random() < 0.45:
                    template = rng.choice(ABOUT_INCIDENT)
                    incident = INCIDENTS[week % len(INCIDENTS)]
                    if not template.startswith("{incident}"):
                        incident = incident[0].lower() + incident[1:]  # "the checkout latency spike"
                    parts.insert(rng.randrange(2), template.format(incident=incident))
                feedback = " ".join(parts)
            survey_rows.append([submitted.strftime("%-m/%-d/%Y %H:%M:%S"), person, *answers, feedback])
    # Two rows the pipeline must reject, as real exports have them.
    blank_tail = [""] * max(0, len(statements) - 4)
    survey_rows.insert(40, ["not recorded", "Ben Okafor", "Agree", "Agree", "Strongly agree", "Agree", *blank_tail, ""])
    survey_rows.insert(120, ["6/10/2026 16:20:00", "Cal Reed", "N/A", "Agree", "Agree", "Agree", *blank_tail, "n/a"])
    with open(survey_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(survey_rows)
    with open(attendance_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Incident", "Attendees"])
        writer.writerows(attendance_rows)
    return survey_path, attendance_path


def build_demo(db_path: Path, settings: Settings, source_dir: Path | None = None, seed: int = 7) -> RunSummary:
    source_dir = source_dir or db_path.parent / "demo-sources"
    survey_path, attendance_path = write_demo_sources(source_dir, settings, seed)
    surveys = parse_surveys(read_table(survey_path), settings)
    attendance = parse_attendance(read_table(attendance_path), settings)
    # demo=True: refused when the DB holds real data; the run is marked so --remove can find it.
    return load(db_path, settings, [surveys], [attendance], [str(survey_path), str(attendance_path)], demo=True)


def remove_demo(db_path: Path) -> dict[str, int]:
    """Delete the demo's rows (every run marked as the demo's); real data stays."""
    if not db_path.exists():
        raise IngestError(f"{db_path}: no such database")
    with write_lock(db_path), staged_write(db_path) as con:
        refuse_foreign_database(con, db_path, force=False)
        return remove_demo_rows(con)
