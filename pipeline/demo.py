"""Demo data: realistic *source files*, then the normal pipeline loads them.

Two quarters (2026-Q2 and 2026-Q3) of weekly Wednesday reviews. Scores rise from
about 3.8 to about 4.5, attendance grows about 50% over the first quarter, and
two busy weeks have low attendance and fewer than 5 responses. Each review opens with a talking-points
poll (a Slack export with Polly and Simple Poll messages; see pipeline.demo_polls). The team's calendar
of known busy weeks (``calendar.csv``) is loaded too, so the Overview's attendance early warning has
something to compare.
"""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from pipeline.demo_polls import DEMO_THEMES, demo_poll_export
from pipeline.errors import IngestError
from pipeline.guards import refuse_foreign_database, remove_demo_rows
from pipeline.ingest import IngestRequest, IngestResult, ingest
from pipeline.parse.answers import LABEL_FOR_SCORE
from pipeline.parse.attendance import parse_attendance
from pipeline.sources.files import read_table
from core.settings import Settings
from core.store import staged_write, write_lock

FIRST_REVIEW = date(2026, 4, 1)  # a Wednesday
REVIEW_WEEKS = 26
BUSY_WEEKS = {8: 7, 19: 6}  # week index -> attendees (an outage week, a release crunch)
STATEMENT_OFFSETS = (0.0, -0.1, 0.25, -0.2)  # safety scores highest, learning lowest
# The demo's calendar for the attendance early warning (issue 25): the release crunch (week 19) was a
# launch, and so is the review after the demo's last. Written as ``calendar.csv`` and loaded like any
# team's calendar (`ingest --calendar`).
DEMO_BUSY_WEEKS = {(FIRST_REVIEW + timedelta(weeks=19)).isoformat(): "launch",
                   (FIRST_REVIEW + timedelta(weeks=REVIEW_WEEKS)).isoformat(): "launch"}

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


def write_demo_calendar(out_dir: Path) -> Path:
    """``calendar.csv``: the team's known busy weeks, one row each (Date, Kind, Note)."""
    path = out_dir / "calendar.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Kind", "Note"])
        for day, kind in DEMO_BUSY_WEEKS.items():
            writer.writerow([day, kind.capitalize(), "Release train"])
    return path


def build_demo(db_path: Path, settings: Settings, source_dir: Path | None = None, seed: int = 7) -> IngestResult:
    """Write the demo's exports, then load them as `ingest` would, in one run marked as the demo's."""
    source_dir = source_dir or db_path.parent / "demo-sources"
    survey_path, attendance_path = write_demo_sources(source_dir, settings, seed)
    attendance = parse_attendance(read_table(attendance_path), settings)  # the polls follow its meetings
    polls_path = _write_demo_polls(source_dir, attendance, seed)
    actions_path = write_demo_actions(source_dir, seed)  # follow-up actions (issue 13)
    calendar_path = write_demo_calendar(source_dir)  # known busy weeks (issue 25)
    # The demo's poll themes and tracker links apply unless the settings name their own; neither
    # setting is read by the survey, attendance or feedback steps.
    demo_settings = _demo_action_settings(settings if settings.themes else replace(settings, themes=DEMO_THEMES))
    return ingest(IngestRequest(db_path, demo_settings, surveys=(survey_path,), attendance=(attendance_path,),
                                polls=(polls_path,), actions=(actions_path,), calendar=(calendar_path,), demo=True))


def _write_demo_polls(source_dir: Path, attendance, seed: int) -> Path:  # noqa: ANN001
    """Talking points (issue 12): the opening poll of every review, as a Slack export."""
    meetings = sorted(attendance.meetings, key=lambda m: m.meeting_date)
    return demo_poll_export(source_dir / "slack_export.zip", [m.meeting_date for m in meetings],
                            [m.title or "The incident" for m in meetings], [m.attendees for m in meetings], seed)


# --- follow-up actions (issue 13): a Jira CSV export, loaded through the CLI's parser ---
ACTION_TITLES = [
    "Add alert on {thing}", "Write a runbook for {thing}", "Load-test {thing} before the next release",
    "Add a dashboard panel for {thing}", "Automate the rollback of {thing}", "Document the on-call steps for {thing}",
    "Add a synthetic check for {thing}", "Set an SLO for {thing}", "Remove the manual step in {thing}",
]
DEMO_JIRA_HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Resolution", "Assignee",
                    "Reporter", "Creator", "Created", "Updated", "Resolved", "Due date", "Labels", "Labels",
                    "Watchers", "Watchers", "Description"]
DEMO_JIRA_BROWSE = "https://jira.example.com/browse/{key}"


def _jira_time(moment: datetime) -> str:
    return moment.strftime("%d/%b/%y ") + moment.strftime("%I:%M %p").lstrip("0")


def write_demo_actions(out_dir: Path, seed: int = 7) -> Path:
    """``jira_actions.csv``: a few follow-ups per review, most done, some dropped, some open and overdue."""
    rng = random.Random(seed + 13)
    rows: list[list[str]] = []
    number = 200
    for week in range(REVIEW_WEEKS):
        review_day = FIRST_REVIEW + timedelta(weeks=week)
        incident = INCIDENTS[week % len(INCIDENTS)]
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            number += 1
            created = datetime.combine(review_day, datetime.min.time()) + timedelta(
                days=rng.choice((0, 0, 1, 2)), hours=rng.randint(9, 17), minutes=rng.randint(0, 59))
            due = created + timedelta(days=rng.choice((14, 21, 30, 45)))
            roll = rng.random()
            age = (FIRST_REVIEW + timedelta(weeks=REVIEW_WEEKS) - review_day).days
            if roll < 0.12:
                status, resolution, resolved = "Closed", "Won't Do", created + timedelta(days=rng.randint(3, 40))
            elif roll < 0.12 + min(0.8, 0.25 + age / 200):
                status, resolution, resolved = "Done", "Done", created + timedelta(days=rng.randint(2, 70))
            else:
                status, resolution, resolved = rng.choice(("To Do", "In Progress", "Selected for Development")), "", None
            if resolved is not None and resolved.date() > FIRST_REVIEW + timedelta(weeks=REVIEW_WEEKS + 1):
                status, resolution, resolved = "In Progress", "", None  # not closed yet when the demo ends
            if resolved is None and week >= REVIEW_WEEKS - 3:
                due = created + timedelta(days=100)  # the latest reviews' open actions are not due yet
            labels = ["incident-review", f"review-{review_day.isoformat()}" if rng.random() < 0.5 else ""]
            people = rng.sample(NAMES, 4)
            thing = incident if incident[:2].isupper() else incident[0].lower() + incident[1:]  # "CDN purge storm"
            title = rng.choice(ACTION_TITLES).format(thing=thing)
            rows.append([title, f"OPS-{number}", str(10_000 + number), "Task", status, rng.choice(("High", "Medium")),
                         resolution, people[0], people[1], people[1], _jira_time(created),
                         _jira_time(resolved or created), _jira_time(resolved) if resolved else "",
                         due.strftime("%d/%b/%y"), *labels, people[2], people[3], f"Follow-up from {incident}."])
    path = out_dir / "jira_actions.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DEMO_JIRA_HEADER)
        writer.writerows(rows)
    return path


def _demo_action_settings(settings: Settings) -> Settings:
    """Demo issues link to a placeholder Jira unless the settings name a real one."""
    return settings if settings.action_link_template else replace(settings, action_link_template=DEMO_JIRA_BROWSE)
# --- end of follow-up actions ---


def remove_demo(db_path: Path) -> dict[str, int]:
    """Delete the demo's rows (every run marked as the demo's); real data stays."""
    if not db_path.exists():
        raise IngestError(f"{db_path}: no such database")
    with write_lock(db_path), staged_write(db_path) as con:
        refuse_foreign_database(con, db_path, force=False)
        return remove_demo_rows(con)
