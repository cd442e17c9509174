"""Exact-shaped follow-up action exports for the tests, written by hand after the real formats.

SOURCES (shapes checked, nothing copied):
* Jira CSV: "Export > CSV (all fields)" headers as in public fixtures, e.g. a header beginning
  ``Summary,Issue key,Issue id,Parent id,Issue Type,Status,Project key,…,Priority,Resolution,
  Assignee,Reporter,Creator,Created,Updated,Last Viewed,Resolved,…,Due Date,…,Watchers,…,Sprint,Sprint,…``
  and tests of Jira importers with ``Labels,Labels`` repeated and dates like ``21/Sep/26 10:30 AM``
  (Jira Cloud's default ``dd/MMM/yy h:mm a``); a Comment cell is ``date;author;body``.
* Linear CSV: the full export header ``ID,Team,Title,Description,Status,Estimate,Priority,Project ID,
  Project,Creator,Assignee,Labels,Cycle Number,Cycle Name,Cycle Start,Cycle End,Created,Updated,
  Started,Triaged,Completed,Canceled,Archived,Due Date,Parent issue,Initiatives,Project Milestone ID,
  Project Milestone,SLA Status,Roadmaps``; labels joined by ", "; times ISO 8601 with Z, and in
  some exports JavaScript's Date.toString() (``Tue May 14 2024 08:53:33 GMT+0000 (…)``).
* gh: ``gh issue list --json …`` prints an array; ``state`` OPEN/CLOSED, ``stateReason`` COMPLETED,
  NOT_PLANNED, REOPENED or "" for open issues; labels are objects with id/name/description/color;
  ``closedAt`` null or Go's zero time ``0001-01-01T00:00:00Z`` when never closed.
* incident.io: API v2 ``GET /v2/follow-ups`` answers ``{"follow_ups": [...]}``, each with assignee and
  creator objects (people), completed_at, created_at, description, external_issue_reference
  {issue_name, issue_permalink, provider}, id, incident_id, labels (strings), priority, status
  (outstanding / completed / deleted / not_doing), title, updated_at (api-docs.incident.io, Follow-ups V2).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

# Names of people in the fixtures: none of them may be stored anywhere.
PEOPLE = ("Ana Souza", "Ben Okafor", "Chen Wei", "Priya Lead", "ana@example.com", "ben@example.com",
          "Lisa Example", "lisa@example.com", "U02AYNF2XJM", "Dana Owner", "ana.jira")

MEETINGS = ["2026-03-04", "2026-03-11", "2026-03-18", "2026-03-25"]  # Wednesdays, series "Incident review"

JIRA_HEADER = ["Summary", "Issue key", "Issue id", "Parent id", "Issue Type", "Status", "Project key", "Project name",
               "Project lead", "Priority", "Resolution", "Assignee", "Reporter", "Creator", "Created", "Updated",
               "Last Viewed", "Resolved", "Due date", "Labels", "Labels", "Labels", "Description", "Watchers",
               "Watchers", "Sprint", "Sprint", "Custom field (Story Points)", "Comment"]


def _jira(summary, key, status, resolution, created, resolved, due, labels, updated="20/Mar/26 4:00 PM"):
    labels = (list(labels) + ["", "", ""])[:3]
    return [summary, key, key.split("-")[1] + "00", "", "Task", status, "OPS", "Operations", "Priya Lead", "High",
            resolution, "Ana Souza", "Ben Okafor", "Ben Okafor", created, updated, "", resolved, due, *labels,
            "Multi-line\ndescription, with a comma", "Ana Souza", "Chen Wei", "OPS Sprint 5", "", "3",
            "06/Mar/26 9:00 AM;ana.jira;On it"]


JIRA_ROWS = [
    _jira("Add alert on checkout p99 latency", "OPS-101", "Done", "Done", "05/Mar/26 10:12 AM", "19/Mar/26 3:30 PM",
          "31/Mar/26 12:00 AM", ["incident-review", "review-2026-03-04"]),
    _jira("Runbook for DNS failover", "OPS-102", "Closed", "Won't Do", "11/Mar/26 2:05 PM", "01/Apr/26 11:00 AM", "", []),
    _jira("Chaos test for Kafka consumer lag", "OPS-103", "In Progress", "", "12/Mar/26 9:41 AM", "", "15/Apr/26",
          ["postmortem"]),
    _jira("Rotate API gateway certificates automatically", "OPS-104", "Awaiting Deploy", "", "26/Mar/26 11:00 AM", "",
          "", ["security", "certs"]),
    _jira("Tidy the on-call handbook", "OPS-105", "To Do", "", "02/Mar/26 9:00 AM", "", "", []),
    _jira("", "OPS-106", "To Do", "", "03/Mar/26 9:00 AM", "", "", []),
    _jira("Dashboard for queue depth", "OPS-107", "Resolved", "Fixed", "18/Mar/26 3:15 PM", "02/May/26 10:00 AM", "",
          ["review-2026-03-18"]),
]
# (key, status, created, closed, review week Monday or None, due) as the tests expect them.
JIRA_EXPECTED = {
    "OPS-101": ("done", "2026-03-05", "2026-03-19", "2026-03-02", "2026-03-31"),
    "OPS-102": ("dropped", "2026-03-11", "2026-04-01", "2026-03-09", None),
    "OPS-103": ("open", "2026-03-12", None, "2026-03-09", "2026-04-15"),
    "OPS-104": ("open", "2026-03-26", None, "2026-03-23", None),
    "OPS-105": ("open", "2026-03-02", None, None, None),
    "OPS-107": ("done", "2026-03-18", "2026-05-02", "2026-03-16", None),
}

LINEAR_HEADER = ["ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project ID", "Project", "Creator",
                 "Assignee", "Labels", "Cycle Number", "Cycle Name", "Cycle Start", "Cycle End", "Created", "Updated",
                 "Started", "Triaged", "Completed", "Canceled", "Archived", "Due Date", "Parent issue", "Initiatives",
                 "Project Milestone ID", "Project Milestone", "SLA Status", "Roadmaps"]


def _linear(key, team, title, status, labels, created, completed="", canceled="", due=""):
    return [key, team, title, "Body", status, "3", "High", "", "", "ana@example.com", "ben@example.com", labels, "", "",
            "", "", created, "2026-04-01T10:00:00.000Z", "", "", completed, canceled, "", due, "", "", "", "", "", ""]


LINEAR_ROWS = [
    _linear("ENG-12", "Platform", "Add retry budget to payment webhooks", "Done", "Reliability, review-2026-03-04",
            "2026-03-04T16:20:00.000Z", completed="2026-03-20T10:00:00.000Z", due="2026-03-31"),
    _linear("ENG-13", "Platform", "Remove legacy billing cron", "Canceled", "",
            "Wed Mar 11 2026 15:00:00 GMT+0000 (Coordinated Universal Time)", canceled="2026-04-02T09:00:00.000Z"),
    _linear("ENG-14", "Mobile", "Alert on push delivery drop", "In Progress", "Bug", "2026-03-19T08:00:00Z",
            due="2026-04-10"),
    _linear("ENG-15", "Mobile", "Tidy up dashboards", "Todo", "", "2026-03-26T12:00:00.000Z"),
]
LINEAR_EXPECTED = {
    "ENG-12": ("done", "2026-03-04", "2026-03-20", "2026-03-02", "2026-03-31"),
    "ENG-13": ("dropped", "2026-03-11", "2026-04-02", "2026-03-09", None),
    "ENG-14": ("open", "2026-03-19", None, "2026-03-16", "2026-04-10"),
    "ENG-15": ("open", "2026-03-26", None, "2026-03-23", None),
}

HOSTILE_TITLE = "**Fix** <img src=x onerror=alert(1)> [click](javascript:alert(1)) $x^2$"


def _label(name):
    return {"id": "LA_kwDOAbc" + name[:4], "name": name, "description": "", "color": "ededed"}


GH_ISSUES = [
    {"number": 41, "title": "Document the failover drill", "state": "CLOSED", "stateReason": "COMPLETED",
     "labels": [_label("review-2026-03-18"), _label("docs")], "createdAt": "2026-03-18T17:02:11Z",
     "closedAt": "2026-03-30T08:15:00Z", "url": "https://github.com/acme/platform/issues/41",
     "assignees": [{"id": "MDQ6", "login": "ana-souza", "name": "Ana Souza"}]},
    {"number": 42, "title": "Add cache stampede protection", "state": "CLOSED", "stateReason": "NOT_PLANNED",
     "labels": [], "createdAt": "2026-03-11T12:00:00Z", "closedAt": "2026-03-14T09:00:00Z",
     "url": "https://github.com/acme/platform/issues/42"},
    {"number": 43, "title": HOSTILE_TITLE, "state": "OPEN", "stateReason": "", "labels": [_label("bug")],
     "createdAt": "2026-03-25T10:00:00Z", "closedAt": "0001-01-01T00:00:00Z",
     "url": "https://github.com/acme/platform/issues/43"},
    {"number": 44, "title": "Reopened: tune alert thresholds", "state": "OPEN", "stateReason": "REOPENED",
     "labels": [], "createdAt": "2026-03-04T18:00:00Z", "closedAt": None,
     "url": "https://github.com/acme/platform/issues/44"},
]
GH_EXPECTED = {
    "https://github.com/acme/platform/issues/41": ("done", "2026-03-18", "2026-03-30", "2026-03-16", None),
    "https://github.com/acme/platform/issues/42": ("dropped", "2026-03-11", "2026-03-14", "2026-03-09", None),
    "https://github.com/acme/platform/issues/43": ("open", "2026-03-25", None, "2026-03-23", None),
    "https://github.com/acme/platform/issues/44": ("open", "2026-03-04", None, "2026-03-02", None),
}

# GitHub's REST API issue list (GET /repos/acme/platform/issues?state=all), shaped as documented:
# snake_case times, `url` is the API address and `html_url` the page, labels and people as objects,
# pull requests in the same list with a `pull_request` object. Issues 41-44 are the gh export's
# issues above, so both exports key the same four actions.
_OCTOCAT = {"login": "ana-souza", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==", "type": "User", "site_admin": False,
            "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4", "html_url": "https://github.com/ana-souza",
            "url": "https://api.github.com/users/ana-souza"}


def _rest_label(name):
    return {"id": 208045946, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=", "name": name, "description": "", "color": "ededed",
            "default": False, "url": f"https://api.github.com/repos/acme/platform/labels/{name}"}


def _rest_issue(number, title, state, state_reason, created, closed, labels=(), pull_request=False):
    api = f"https://api.github.com/repos/acme/platform/issues/{number}"
    issue = {
        "url": api, "repository_url": "https://api.github.com/repos/acme/platform",
        "labels_url": api + "/labels{/name}", "comments_url": api + "/comments", "events_url": api + "/events",
        "html_url": f"https://github.com/acme/platform/{'pull' if pull_request else 'issues'}/{number}",
        "id": 1000 + number, "node_id": f"I_kwDOAbc{number}", "number": number, "title": title,
        "user": _OCTOCAT, "labels": [_rest_label(n) for n in labels], "state": state, "locked": False,
        "assignee": _OCTOCAT, "assignees": [_OCTOCAT], "milestone": None, "comments": 2,
        "created_at": created, "updated_at": closed or created, "closed_at": closed,
        "author_association": "MEMBER", "active_lock_reason": None, "body": "Follow-up from the review.",
        "closed_by": _OCTOCAT if closed else None,
        "reactions": {"url": api + "/reactions", "total_count": 0, "+1": 0, "-1": 0},
        "timeline_url": api + "/timeline", "performed_via_github_app": None, "state_reason": state_reason,
    }
    if pull_request:
        issue["pull_request"] = {"url": f"https://api.github.com/repos/acme/platform/pulls/{number}",
                                 "html_url": f"https://github.com/acme/platform/pull/{number}",
                                 "diff_url": f"https://github.com/acme/platform/pull/{number}.diff",
                                 "patch_url": f"https://github.com/acme/platform/pull/{number}.patch",
                                 "merged_at": closed}
    return issue


GITHUB_REST_ISSUES = [
    _rest_issue(41, "Document the failover drill", "closed", "completed", "2026-03-18T17:02:11Z",
                "2026-03-30T08:15:00Z", labels=("review-2026-03-18", "docs")),
    _rest_issue(45, "Bump the runbook linter", "closed", None, "2026-03-19T09:00:00Z", "2026-03-20T09:00:00Z",
                pull_request=True),
    _rest_issue(42, "Add cache stampede protection", "closed", "not_planned", "2026-03-11T12:00:00Z",
                "2026-03-14T09:00:00Z"),
    _rest_issue(43, "Page the secondary after 10 minutes", "open", None, "2026-03-25T10:00:00Z", None, labels=("bug",)),
    _rest_issue(44, "Reopened: tune alert thresholds", "open", "reopened", "2026-03-04T18:00:00Z", None),
    _rest_issue(46, "Retire the legacy status page", "closed", "duplicate", "2026-03-12T10:00:00Z",
                "2026-03-13T10:00:00Z"),
    _rest_issue(47, "Pin the deploy tool version", "closed", None, "2026-03-05T10:00:00Z", "2026-03-06T10:00:00Z"),
    _rest_issue(48, "Dashboards for the queue depth", "open", None, "2026-03-26T10:00:00Z", None, pull_request=True),
]
# key -> (status, created, closed); 45 and 48 are pull requests, skipped. 47 was closed before
# GitHub had state reasons (null): counted done, and the summary says it could be "not planned".
GITHUB_REST_EXPECTED = {
    "https://github.com/acme/platform/issues/41": ("done", "2026-03-18", "2026-03-30"),
    "https://github.com/acme/platform/issues/42": ("dropped", "2026-03-11", "2026-03-14"),
    "https://github.com/acme/platform/issues/43": ("open", "2026-03-25", None),
    "https://github.com/acme/platform/issues/44": ("open", "2026-03-04", None),
    "https://github.com/acme/platform/issues/46": ("dropped", "2026-03-12", "2026-03-13"),
    "https://github.com/acme/platform/issues/47": ("done", "2026-03-05", "2026-03-06"),
}
GITHUB_REST_PULL_REQUESTS = 2
GITHUB_REST_CLOSED_WITHOUT_REASON = 1  # 47 (45 is a pull request: skipped before it is counted)


_LISA = {"email": "lisa@example.com", "id": "01FCNDV6P870EA6S7TK1DSYDG0", "name": "Lisa Example", "role": "viewer",
         "slack_user_id": "U02AYNF2XJM"}


def _follow_up(id_, title, status, created, completed=None, labels=(), reference=None, updated="2026-04-03T10:00:00Z"):
    return {"assignee": _LISA, "completed_at": completed, "created_at": created, "creator": {"user": _LISA},
            "description": "Call the fire brigade", "external_issue_reference": reference, "id": id_,
            "incident_id": "01HINCIDENT000000000000001", "labels": list(labels),
            "priority": {"description": "Do it soon", "id": "01PRIO", "name": "Medium", "rank": 2},
            "status": status, "title": title, "updated_at": updated}


INCIDENT_IO = {
    "follow_ups": [
        _follow_up("01HFU0000000000000000000A1", "Page the database team earlier", "completed",
                   "2026-03-11T13:28:57.801578Z", completed="2026-03-27T13:28:57.801578Z",
                   labels=["review-2026-03-11"],
                   reference={"issue_name": "OPS-110", "issue_permalink": "https://acme.atlassian.net/browse/OPS-110",
                              "provider": "jira"}),
        _follow_up("01HFU0000000000000000000A2", "Add a synthetic login check", "outstanding",
                   "2026-03-19T09:00:00Z"),
        _follow_up("01HFU0000000000000000000A3", "Rewrite the status page", "not_doing", "2026-03-19T09:30:00Z",
                   updated="2026-03-21T08:00:00Z"),
        _follow_up("01HFU0000000000000000000A4", "Old duplicate follow-up", "deleted", "2026-03-05T09:30:00Z",
                   updated="2026-03-06T08:00:00Z"),
    ],
    "pagination_meta": {"after": None, "page_size": 25},
}
INCIDENT_EXPECTED = {
    "OPS-110": ("done", "2026-03-11", "2026-03-27", "2026-03-09", None),
    "01HFU0000000000000000000A2": ("open", "2026-03-19", None, "2026-03-16", None),
    "01HFU0000000000000000000A3": ("dropped", "2026-03-19", "2026-03-21", "2026-03-16", None),
    "01HFU0000000000000000000A4": ("dropped", "2026-03-05", "2026-03-06", "2026-03-02", None),
}

SHEET_HEADER = ["Review date", "Action", "Status", "Due", "Done", "Link", "Series", "Team", "Owner", "Notes"]
SHEET_ROWS = [
    ["2026-03-04", "Share the timeline template", "Done", "2026-03-18", "2026-03-10", "https://docs.example.com/t", "",
     "SRE", "Dana Owner", "ask in #sre"],
    ["2026-03-11", "Pair on-call shadowing", "", "", "TRUE", "", "", "SRE", "Dana Owner", ""],
    ["18/03/2026", "Write the DNS change checklist", "Open", "2026-04-01", "", "javascript:alert(1)", "", "", "Dana Owner", ""],
    ["", "A row with no date", "Open", "", "", "", "", "", "", ""],
]
SHEET_EXPECTED_TITLES = {
    "Share the timeline template": ("done", "2026-03-04", "2026-03-10", "2026-03-02", "2026-03-18"),
    "Pair on-call shadowing": ("done", "2026-03-11", None, "2026-03-09", None),
    "Write the DNS change checklist": ("open", "2026-03-18", None, "2026-03-16", "2026-04-01"),
}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_attendance(path: Path) -> Path:
    return write_csv(path, ["Date", "Incident", "Attendees"], [[d, f"Incident {i}", "12"] for i, d in enumerate(MEETINGS)])


def write_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "jira": write_csv(folder / "jira.csv", JIRA_HEADER, JIRA_ROWS),
        "linear": write_csv(folder / "linear.csv", LINEAR_HEADER, LINEAR_ROWS),
        "sheet": write_csv(folder / "sheet.csv", SHEET_HEADER, SHEET_ROWS),
    }
    files["github"] = folder / "gh.json"
    files["github"].write_text(json.dumps(GH_ISSUES, indent=2), encoding="utf-8")
    files["incident.io"] = folder / "follow-ups.json"
    files["incident.io"].write_text(json.dumps(INCIDENT_IO, indent=2), encoding="utf-8")
    return files
