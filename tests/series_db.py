"""A small organisation with three review series, built through the real CLI (tests of the Series page).

* Checkout review: 2026-Q2 and Q3, 7-9 responses a week, mostly agreeing; one Q3 week has 3 (hidden).
* Platform review: 2026-Q2 and Q3, 6-8 responses a week, lower scores.
* Security review: 6 responses a week in the last four weeks of Q2, then 2 responses in each of two
  Q3 weeks: its 2026-Q3 is under the threshold (4 responses in the quarter).

Attendance, follow-up actions and talking-point polls per series, so every column of the page has a
figure. The tests recount what they expect from the loaded rows, never from these constants.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from core.settings import Settings
from pipeline.cli import main as pipeline_main

STATEMENTS = Settings().statement_texts
SERIES = ("Checkout review", "Platform review", "Security review")
UNDER_THRESHOLD = "Security review"  # in 2026-Q3
FIRST_WEEK = date(2026, 3, 30)  # a Monday; the review is on Wednesday
WEEKS = 26  # 2026-Q2 and 2026-Q3
HIDDEN_CHECKOUT_WEEK = 20  # a Q3 week of Checkout with 3 responses


def _responses(series: str, week: int, rng: random.Random) -> list[tuple[int, ...]]:
    if series == "Checkout review":
        n = 3 if week == HIDDEN_CHECKOUT_WEEK else rng.randint(7, 9)
        return [tuple(rng.choice((4, 4, 5, 5, 5, 3)) for _ in STATEMENTS) for _ in range(n)]
    if series == "Platform review":
        return [tuple(rng.choice((2, 3, 3, 4, 4, 5)) for _ in STATEMENTS) for _ in range(rng.randint(6, 8))]
    if 9 <= week <= 12:  # Security: the end of Q2
        return [tuple(rng.choice((3, 4, 4, 5)) for _ in STATEMENTS) for _ in range(6)]
    if week in (14, 15):  # Security: 2 responses in each of two Q3 weeks
        return [(1, 2, 1, 2), (2, 1, 2, 1)]
    return []


def build_series_db(folder: Path, seed: int = 26) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    survey, attendance, actions, polls = (folder / name for name in ("surveys.csv", "attendance.csv",
                                                                      "actions.csv", "polls.csv"))
    with open(survey, "w", newline="", encoding="utf-8") as s, open(attendance, "w", newline="", encoding="utf-8") as a, \
            open(polls, "w", newline="", encoding="utf-8") as p:
        surveys, meetings, votes = csv.writer(s), csv.writer(a), csv.writer(p)
        surveys.writerow(["Timestamp", "Series", *STATEMENTS, "How could we improve?"])
        meetings.writerow(["Date", "Series", "Attendees"])
        votes.writerow(["Date", "Talking point", "Votes", "Kind", "Series"])
        for week in range(WEEKS):
            review = FIRST_WEEK + timedelta(weeks=week, days=2)
            for series in SERIES:
                answers = _responses(series, week, rng)
                if not answers:
                    continue
                meetings.writerow([review.isoformat(), series, len(answers) + rng.randint(3, 6) + week // 4])
                for i, row in enumerate(answers):
                    surveys.writerow([f"{review} 16:{i:02d}", series, *row, f"{series} note {week}-{i}"])
                theme = ("Alerting", "Runbooks", "Deploys")[(week + SERIES.index(series)) % 3 if series != "Checkout review"
                                                            else (0 if week % 2 else 2)]
                votes.writerow([review.isoformat(), theme, rng.randint(3, 8), "theme", series])
                votes.writerow([review.isoformat(), "The incident itself", rng.randint(0, 4), "incident", series])
    with open(actions, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Review date", "Action", "Status", "Due", "Series"])
        for week, series, status, due in ((2, "Checkout review", "open", "2026-05-01"),
                                          (15, "Checkout review", "done", ""),
                                          (16, "Platform review", "open", "2026-07-30"),
                                          (18, "Platform review", "open", "2099-12-31"),
                                          (20, "Platform review", "open", ""),
                                          (22, "Security review", "open", "2026-09-01")):
            review = FIRST_WEEK + timedelta(weeks=week, days=2)
            writer.writerow([review.isoformat(), f"{series} follow-up {week}", status, due, series])
    db = folder / "series.duckdb"
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey), "--attendance", str(attendance),
                          "--actions", str(actions), "--polls", str(polls)]) == 0
    return db
