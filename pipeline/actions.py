"""Follow-up actions from the trackers teams already export: pure parsing into typed records.

Formats, detected from a CSV header or the JSON's shape (and named in the run summary):

* ``jira``        Jira's CSV export: Summary, Issue key, Status, Resolution, Created, Resolved,
                  Due date, and ``Labels`` repeated once per label (``Labels (2)``… after
                  ``pipeline.sources.files.dedupe_headers``). Dates like ``12/Mar/24 9:41 AM``.
* ``linear``      Linear's CSV export: ID, Team, Title, Status, Labels ("a, b"), Created,
                  Completed, Canceled, Due Date (ISO 8601 times).
* ``github``      ``gh issue list --json number,title,state,stateReason,labels,createdAt,closedAt,url``.
* ``github-rest`` GitHub's REST API issue list (``GET /repos/{owner}/{repo}/issues``: ``html_url``,
                  ``created_at``, ``closed_at``, ``state``, ``state_reason``, labels as objects);
                  pull requests (items with a ``pull_request`` key) are skipped and counted.
* ``incident.io`` the follow-ups API response (``{"follow_ups": [...]}``) or its list.
* ``sheet``       a plain sheet: Review date, Action, Status, Due, Done, Link (+ Series, Team).

People are never read into a record: assignee, reporter, creator and watcher columns (and
the JSON objects of that kind) are named in the summary as dropped. Columns that are not
mapped are only named, never stored, not even in rejects.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote

from pipeline.errors import SourceFileError
from pipeline.parse.keys import KeyMaker
from pipeline.parse.times import TimeError, TimeParser, dayfirst_decision
from pipeline.records import Reject
from pipeline.sources.files import RawTable, cell_text
from pipeline.sources.json_files import JsonDocument
from core.links import safe_link, without_userinfo
from core.plain_text import one_line
from core.words import count_text
from core.settings import Settings, normalise_header

OPEN, DONE, DROPPED = "open", "done", "dropped"

# Defaults covering Jira, Linear, GitHub, incident.io and hand-kept sheets (compared after
# normalise_header, so "Won't do", "won't_do" and "WONT DO" are one). Duplicates are dropped:
# the work was not done under this action (it lives on elsewhere). Anything not listed is
# open, and named in the summary as an unknown status, never guessed as done.
DEFAULT_STATUSES: dict[str, tuple[str, ...]] = {
    DONE: ("Done", "Closed", "Resolved", "Completed", "Complete", "Fixed", "Finished"),
    DROPPED: ("Canceled", "Cancelled", "Won't do", "Wont do", "Won't fix", "Not doing", "Not planned",
              "Duplicate", "Deleted", "Declined", "Rejected", "Cannot reproduce", "Obsolete"),
    OPEN: ("Open", "To do", "Todo", "Backlog", "Triage", "In progress", "In review", "In QA", "Blocked",
           "Outstanding", "Selected for development", "Reopened", "New", "Started", "Planned", "On hold",
           "Waiting", "Ready", "Ready for dev", "Icebox", "Doing"),
}
# Jira resolutions that mean the work was not done, whatever the (done-category) status says.
DROPPED_RESOLUTIONS = ("Won't do", "Wont do", "Won't fix", "Duplicate", "Cannot reproduce", "Declined", "Incomplete",
                       "Obsolete", "Not a bug", "Rejected")

# Columns that name people. Never read; the summary names them as dropped.
PEOPLE_WORDS = frozenset({"assignee", "assignees", "reporter", "creator", "watcher", "watchers", "owner", "author",
                          "lead", "requester", "approver", "approvers", "voter", "voters", "subscriber",
                          "subscribers", "user", "email", "participants", "responder"})
PEOPLE_JSON_KEYS = ("assignee", "assignees", "author", "creator", "reporter", "owner", "user", "closedBy", "closed_by")

MAX_TITLE_CHARS = 500
GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])(\d{2}):?(\d{2})\b")
# Starts where a run of spaces does and names at most 200 characters: neither a run of spaces nor
# one of "(" is scanned to its end from each character. (A JS zone name is ~30 characters.)
JS_DATE_NAME = re.compile(r"(?<!\s)\s*\([^)]{0,200}\)\s*$")  # "… GMT+0000 (Coordinated Universal Time)"
JIRA_DATE = re.compile(
    r"^(\d{1,2})/([^\W\d_]{3})/(\d{2}|\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
TRUE_WORDS = {"true", "yes", "y", "x", "done", "1", "✓", "✔", "☑", "✅", "✔️", "☑️"}  # with emoji forms
FALSE_WORDS = {"false", "no", "n", "0", "", "☐"}
ZERO_TIME_PREFIX = "0001-01-01"  # what gh prints for an issue that was never closed


class ActionsFormatError(SourceFileError):
    """An actions file is not one of the formats above, or holds no usable action."""


@dataclass(frozen=True)
class ActionItem:
    """One follow-up action. No field can name a person."""

    action_key: str  # the tracker's key (OPS-12, ENG-7), else its URL: a later export replaces the row
    series: str
    title: str
    status: str  # open | done | dropped
    tracker_status: str  # as the tracker wrote it
    created: date | None
    due: date | None
    closed: date | None
    team: str | None
    source: str  # the format: jira | linear | github | incident.io | sheet
    link: str | None  # http(s) only
    review_date: date | None  # from a review-date column or a review label; else linked by creation date
    link_method: str | None  # "review date column" | "label" | None
    source_file: str
    source_line: int


@dataclass
class ParsedActions:
    source: str
    format: str
    actions: list[ActionItem] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    unknown_statuses: Counter = field(default_factory=Counter)  # tracker status -> actions, kept open
    dropped_columns: list[str] = field(default_factory=list)  # people columns, never read
    unused_columns: list[str] = field(default_factory=list)
    refused_links: int = 0  # links that were not http(s), or held a user name/password; stored as no link
    skipped_pull_requests: int = 0  # GitHub's REST issue list holds pull requests too; they are not actions
    closed_without_reason: int = 0  # GitHub issues closed with no state reason: counted done, may be "not planned"
    duplicate_rows: int = 0  # a sheet's rows repeated exactly (with or without a link): stored once, counted
    shortened_titles: int = 0  # titles over MAX_TITLE_CHARS: stored cut, with "…", and counted
    date_order_guessed: bool = False  # slash dates, none settling D/M vs M/D: read M/D, noted, --strict refuses it


# --- statuses ------------------------------------------------------------------------


class StatusMap:
    """Tracker status -> open/done/dropped: the defaults, then the settings' additions."""

    def __init__(self, settings: Settings) -> None:
        self.known: dict[str, str] = {}
        for status, names in DEFAULT_STATUSES.items():
            for name in names:
                self.known[normalise_header(name)] = status
        for status, names in settings.action_statuses:
            for name in names:
                self.known[normalise_header(name)] = status
        self.dropped_resolutions = {normalise_header(r) for r in DROPPED_RESOLUTIONS}

    def classify(self, tracker_status: str, resolution: str = "") -> tuple[str, bool]:
        """(status, known). An unknown status is open: never guessed as done."""
        status = self.known.get(normalise_header(tracker_status))
        if status == DONE and resolution and normalise_header(resolution) in self.dropped_resolutions:
            return DROPPED, True
        return (status, True) if status else (OPEN, False)


# --- dates ---------------------------------------------------------------------------


class DateReader:
    """Calendar days (in the settings' timezone) from tracker dates and times."""

    def __init__(self, settings: Settings, dayfirst: bool, *, future_ok: bool, now: datetime | None = None) -> None:
        # Due dates are in the future by nature; creation and closing dates are not.
        self.parser = TimeParser(settings.tz, dayfirst, now=datetime(9000, 1, 1) if future_ok else now)

    def read(self, value: object) -> date | None:
        """None for a blank cell; TimeError with a reason for a cell that is not a date."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            text = value.strip()
            if text.startswith(ZERO_TIME_PREFIX):
                return None
            jira = JIRA_DATE.match(text)
            if jira:
                return self._jira(jira)
            text = GMT_OFFSET.sub(lambda m: f"{m.group(1)}{m.group(2)}:{m.group(3)}", JS_DATE_NAME.sub("", text))
            value = text
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        _utc, local = self.parser.parse(value)
        return local.date()

    def _jira(self, match: re.Match) -> date:
        day, month_name, year, hour, minute, second, meridiem = match.groups()
        month = MONTHS.get(month_name.lower())
        if month is None:
            raise TimeError("a Jira date with an unknown month name (export Jira dates in English)")
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        hours = int(hour or 0)
        if meridiem:
            hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
        try:
            moment = datetime(full_year, month, int(day), hours, int(minute or 0), int(second or 0))
        except ValueError:
            raise TimeError("a Jira date that is not a date") from None
        _utc, local = self.parser.parse(moment)
        return local.date()


# --- shared row building -------------------------------------------------------------


@dataclass
class _Row:
    """One action's fields as text/values, before checking."""

    line: int
    key: str
    title: str
    tracker_status: str
    resolution: str = ""
    created: object = None
    due: object = None
    closed: object = None
    cancelled: object = None
    labels: tuple[str, ...] = ()
    team: str | None = None
    link: str | None = None
    series: str | None = None
    review_date: object = None
    done_flag: object = None  # a sheet's "Done" cell: a date, or a tick
    raw: dict[str, str] = field(default_factory=dict)  # mapped fields only, for a reject




class _Builder:
    def __init__(self, source: str, fmt: str, settings: Settings, series: str | None, dayfirst: bool = False) -> None:
        self.parsed = ParsedActions(source, fmt)
        self.item_source = "github" if fmt == "github-rest" else fmt  # the contract's `source`: the tracker
        self.settings = settings
        self.series = series or settings.default_series
        self.statuses = StatusMap(settings)
        self.past = DateReader(settings, dayfirst, future_ok=False)
        self.future = DateReader(settings, dayfirst, future_ok=True)
        self.label_pattern = re.compile(settings.action_review_label)
        self.reject_keys = KeyMaker("action:")

    def add(self, row: _Row) -> None:
        # A link's user name and password are cut from what may be kept (a gh key is its URL; a
        # reject keeps its cells); the link itself is refused and counted in _item.
        row.key = without_userinfo(row.key)
        row.raw = {name: without_userinfo(value) for name, value in row.raw.items()}
        try:
            item = self._item(row)
        except _RowProblem as problem:
            import json

            raw_json = json.dumps(row.raw, ensure_ascii=False, sort_keys=True)
            key = self.reject_keys.key(self.parsed.source, str(problem), raw_json)
            self.parsed.rejects.append(Reject(key, self.parsed.source, row.line, str(problem), row.raw))
            return
        self.parsed.actions.append(item)
        if len(" ".join(row.title.split())) > MAX_TITLE_CHARS:
            self.parsed.shortened_titles += 1  # said in the summary: a cut is never silent

    def _date(self, reader: DateReader, value: object, what: str) -> date | None:
        try:
            return reader.read(value)
        except TimeError as exc:
            raise _RowProblem(f"{what}: {exc}") from None

    def _item(self, row: _Row) -> ActionItem:
        title = " ".join(row.title.split())
        if not title:
            raise _RowProblem("no title")
        if len(title) > MAX_TITLE_CHARS:
            title = title[: MAX_TITLE_CHARS - 1] + "…"
        review_date = self._date(self.past, row.review_date, "review date")
        link_method = "review date column" if review_date else None
        if review_date is None:
            for label in row.labels:
                match = self.label_pattern.search(label.strip())
                if match:
                    try:
                        review_date = date.fromisoformat(match.group(1))
                    except ValueError:
                        raise _RowProblem("a review label whose date is not a date (YYYY-MM-DD)") from None
                    link_method = "label"
                    break
        created = self._date(self.past, row.created, "created")
        if created is None:
            created = review_date  # a sheet's action was written down at its review
        if created is None:
            raise _RowProblem("no creation date")
        due = self._date(self.future, row.due, "due date")
        closed = self._date(self.past, row.closed, "closed date")
        cancelled = self._date(self.past, row.cancelled, "canceled date")
        tracker_status = row.tracker_status.strip()
        done_date = None
        marked_done = False  # the Done cell holds a tick or a date
        if row.done_flag is not None:
            flag = cell_text(row.done_flag)
            if flag.casefold() in TRUE_WORDS:
                done_date = None
                marked_done = True
            elif flag.casefold() not in FALSE_WORDS:
                done_date = self._date(self.past, row.done_flag, "done")
                marked_done = True
            tracker_status = tracker_status or ("Done" if marked_done else "")
        if not tracker_status:
            raise _RowProblem("no status (fill in Status, or Done with a date or a tick)" if self.parsed.format == "sheet"
                              else "no status")
        status, known = self.statuses.classify(tracker_status, row.resolution)
        if marked_done and status == OPEN:
            # Which one was updated is not guessed: before, the Status won and the tick was dropped.
            raise _RowProblem(f"Status says {one_line(tracker_status)[:40]!r} (open) but Done is filled in "
                              f"({one_line(cell_text(row.done_flag))[:40]!r}): update the Status or clear Done")
        if not known:
            self.parsed.unknown_statuses[tracker_status] += 1
        if status == OPEN:
            closed = None  # a reopened issue keeps its old resolution date in some exports
        else:
            closed = closed or done_date or cancelled
        link = row.link
        if link is not None and safe_link(link) is None:
            self.parsed.refused_links += 1
            link = None
        if link is None and self.settings.action_link_template and row.key and not row.key.startswith(("http", "sheet:")):
            link = safe_link(self.settings.action_link_template.replace("{key}", quote(row.key, safe="")))
        key = row.key or (link or "")
        if not key and self.parsed.format != "sheet":  # sheet rows without a link are keyed later
            raise _RowProblem("no key (Issue key / ID) or link")
        return ActionItem(
            action_key=key, series=(row.series or self.series), title=title, status=status,
            tracker_status=tracker_status[:100], created=created, due=due, closed=closed,
            team=(row.team or None), source=self.item_source, link=link, review_date=review_date,
            link_method=link_method, source_file=self.parsed.source, source_line=row.line,
        )

    def finish(self, rows_seen: int) -> ParsedActions:
        parsed = self.parsed
        if not parsed.actions:
            if not rows_seen:
                raise ActionsFormatError(parsed.source, f"{parsed.format} export with no rows: export again with the actions in it")
            first = parsed.rejects[0]
            raise ActionsFormatError(
                parsed.source,
                f"no usable action in {count_text(rows_seen, 'row')} of this {parsed.format} export "
                f"(first: line {first.line}: {first.reason}); fix those rows and load it again",
            )
        return parsed


class _RowProblem(ValueError):
    pass


# --- CSV / sheet formats -------------------------------------------------------------

@dataclass(frozen=True)
class _TableFormat:
    name: str
    required: tuple[str | tuple[str, ...], ...]  # normalised headers that identify the format (a tuple: any of them)
    fields: dict[str, tuple[str, ...]]  # field -> accepted normalised headers, best first
    labels: str | None = None  # normalised header of the (repeated) labels column


TABLE_FORMATS = (
    _TableFormat("jira", ("issue key", "summary", "status"), {
        "key": ("issue key",), "title": ("summary",), "status": ("status",), "resolution": ("resolution",),
        "created": ("created",), "closed": ("resolved",), "due": ("due date",),
        "team": ("team", "custom field team"),
    }, labels="labels"),
    _TableFormat("linear", ("id", "team", "title", "status"), {
        "key": ("id",), "title": ("title",), "status": ("status",), "team": ("team",), "created": ("created",),
        "closed": ("completed",), "cancelled": ("canceled", "cancelled"), "due": ("due date",),
    }, labels="labels"),
    _TableFormat("sheet", (("action", "action item", "action items"),), {
        "title": ("action", "action item", "action items"), "status": ("status",), "review_date": ("review date", "review"),
        "due": ("due", "due date"), "done": ("done", "done on", "completed"), "link": ("link", "url", "ticket"),
        "series": ("series", "review series"), "team": ("team",), "created": ("created",),
    }),
)


def _is_people_header(header: str) -> bool:
    key = normalise_header(header)
    return key in ("name", "full name", "display name") or bool(set(key.split()) & PEOPLE_WORDS)


def detect_table_format(header: list[str]) -> _TableFormat | None:
    keys = {normalise_header(h) for h in header}
    for fmt in TABLE_FORMATS:
        if all(not keys.isdisjoint((need,) if isinstance(need, str) else need) for need in fmt.required):
            return fmt
    return None


_REPEAT_SUFFIX = re.compile(r"^(.*?)(?: (\d+))?$")


def parse_actions_table(table: RawTable, settings: Settings, series: str | None = None) -> ParsedActions:
    """A CSV/xlsx/Sheet table of actions. Raises ActionsFormatError when the header fits no format."""
    fmt = detect_table_format(table.header)
    if fmt is None:
        raise ActionsFormatError(
            table.source,
            "not a known actions export: expected a Jira CSV (Issue key, Summary, Status…), a Linear CSV "
            "(ID, Team, Title, Status…) or a sheet with an Action (or Action item) column (and Review date, Status, "
            "Due, Done, Link)",
        )
    normalised = [normalise_header(h) for h in table.header]
    titles = [h for h, key in zip(table.header, normalised) if key in fmt.fields["title"]]
    if len(titles) > 1:  # which one names the action is not guessed
        raise ActionsFormatError(table.source, f"more than one column could be the action's title "
                                               f"({', '.join(map(repr, titles))}); rename the ones that are not")
    columns: dict[str, int] = {}
    for name, candidates in fmt.fields.items():
        for candidate in candidates:
            if candidate in normalised and normalised.index(candidate) not in columns.values():
                columns[name] = normalised.index(candidate)
                break
    label_columns = [] if fmt.labels is None else [
        i for i, key in enumerate(normalised) if _REPEAT_SUFFIX.match(key).group(1) == fmt.labels
    ]
    if fmt.name == "sheet" and "status" not in columns and "done" not in columns:
        raise ActionsFormatError(table.source, "the sheet has an Action column but no Status or Done column: add one")
    if fmt.name == "jira" and "created" not in columns:
        raise ActionsFormatError(table.source, "the Jira export has no Created column: include it in the export")
    mapped = set(columns.values()) | set(label_columns)
    people = [i for i, h in enumerate(table.header) if i not in mapped and _is_people_header(h)]
    # D/M/Y or M/D/Y is settled per file by any date column that shows it (Jira's 12/Mar/24 needs no guess).
    date_columns = [columns[c] for c in ("review_date", "created", "due", "closed", "cancelled", "done") if c in columns]
    dayfirst, guessed = dayfirst_decision(
        settings, [row[c] for c in date_columns for row in table.rows if c < len(row)], table.source)
    builder = _Builder(table.source, fmt.name, settings, series, dayfirst=dayfirst)
    builder.parsed.date_order_guessed = guessed
    builder.parsed.dropped_columns = [table.header[i] for i in people]
    builder.parsed.unused_columns = [h for i, h in enumerate(table.header) if i not in mapped and i not in people]

    def cell(row: list[object], name: str) -> object:
        index = columns.get(name)
        return row[index] if index is not None and index < len(row) else None

    raws: dict[int, dict[str, str]] = {}  # line -> its reject cells, should a link conflict refuse it
    for row, line in zip(table.rows, table.line_numbers):
        raw = {table.header[i]: cell_text(row[i]) for i in sorted(mapped) if i < len(row) and cell_text(row[i])}
        labels: list[str] = []
        for i in label_columns:
            value = cell_text(row[i]) if i < len(row) else ""
            # Jira repeats the column, Linear joins them with ", "; a sheet cell may do either.
            parts = [value] if fmt.name == "jira" else value.split(",")
            labels.extend(part.strip() for part in parts if part.strip())
        key = cell_text(cell(row, "key"))
        link = cell_text(cell(row, "link")) or None
        if fmt.name == "sheet":
            key = safe_link(link) or ""
        sheet_row = _Row(
            line=line, key=key, title=cell_text(cell(row, "title")), tracker_status=cell_text(cell(row, "status")),
            resolution=cell_text(cell(row, "resolution")), created=cell(row, "created"), due=cell(row, "due"),
            closed=cell(row, "closed"), cancelled=cell(row, "cancelled"), labels=tuple(labels),
            team=cell_text(cell(row, "team")) or None, link=link, series=cell_text(cell(row, "series")) or None,
            review_date=cell(row, "review_date"), done_flag=cell(row, "done") if "done" in columns else None, raw=raw,
        )
        builder.add(sheet_row)
        raws[line] = sheet_row.raw  # as add left it: a link's login cut
    if fmt.name == "sheet":
        _merge_sheet_duplicates(builder, raws)
        _key_sheet_rows(builder.parsed)
    return builder.finish(len(table.rows))


# What a reader of a sheet calls the fields two rows of one link may disagree on.
_COMPARED_FIELDS = (("title", "Action"), ("review_date", "review date"), ("series", "series"),
                    ("tracker_status", "status"), ("due", "due"), ("closed", "done"), ("team", "team"))


def _merge_sheet_duplicates(builder: _Builder, raws: dict[int, dict[str, str]]) -> None:
    """A row repeated exactly is one action, stored once and counted, whether or not it has a link.
    Rows sharing a link but not their content are all refused: one link is one action, and which
    row is right is not this code's guess."""
    import json

    parsed = builder.parsed
    unique: list[ActionItem] = []
    seen: set[ActionItem] = set()
    for item in parsed.actions:
        shape = _replace(item, source_line=0)
        if shape in seen:
            parsed.duplicate_rows += 1
            continue
        seen.add(shape)
        unique.append(item)
    by_link: dict[str, list[ActionItem]] = {}
    for item in unique:
        if item.action_key:
            by_link.setdefault(item.action_key, []).append(item)
    refused: set[int] = set()
    for items in by_link.values():
        if len(items) < 2:
            continue
        differ = [label for name, label in _COMPARED_FIELDS if len({getattr(i, name) for i in items}) > 1]
        for item in items:
            others = ", ".join(str(i.source_line) for i in items if i is not item)
            named = differ[0] if len(differ) == 1 else ", ".join(differ[:-1]) + " and " + differ[-1]
            reason = (f"the same Link as line {others} with a different {named}: one link is one "
                      "action; give each row its own link, or delete the stale row")
            raw = raws.get(item.source_line, {})
            key = builder.reject_keys.key(parsed.source, reason, json.dumps(raw, ensure_ascii=False, sort_keys=True))
            parsed.rejects.append(Reject(key, parsed.source, item.source_line, reason, raw))
            refused.add(id(item))
    parsed.actions = [item for item in unique if id(item) not in refused]


def _key_sheet_rows(parsed: ParsedActions) -> None:
    """A sheet row without a link is keyed by its series, review date and title: the same row in a
    later download replaces it; an edited title is a new action (the summary counts both)."""
    from core.keys import md5_key

    seen: Counter = Counter()
    keyed = []
    for item in parsed.actions:
        if item.action_key:
            keyed.append(item)
            continue
        content = "\x1f".join((item.series, item.review_date.isoformat() if item.review_date else "", item.title))
        key = "sheet:" + md5_key(content, seen[content])
        seen[content] += 1
        keyed.append(_replace(item, action_key=key))
    parsed.actions = keyed


def _replace(item: ActionItem, **changes: object) -> ActionItem:
    from dataclasses import replace

    return replace(item, **changes)


# --- JSON formats --------------------------------------------------------------------


def _github_status(state: str, reason: str) -> str:
    """gh and the REST API say the same in two spellings (CLOSED/NOT_PLANNED, closed/not_planned)."""
    state, reason = state.upper(), reason.upper()
    return (reason.replace("_", " ").lower() if state == "CLOSED" and reason else state.lower()).capitalize()


def _gh_row(issue: dict, index: int) -> _Row:
    state = cell_text(issue.get("state"))
    labels = tuple(cell_text(l.get("name") if isinstance(l, dict) else l) for l in issue.get("labels") or [])
    url = cell_text(issue.get("url")) or None
    raw = {k: cell_text(issue.get(k)) for k in ("number", "title", "state", "stateReason", "createdAt", "closedAt", "url") if cell_text(issue.get(k))}
    return _Row(line=index, key=url or "", title=cell_text(issue.get("title")),
                tracker_status=_github_status(state, cell_text(issue.get("stateReason"))),
                created=issue.get("createdAt"), closed=issue.get("closedAt"), labels=labels, link=url, raw=raw)


def _github_rest_row(issue: dict, index: int) -> _Row:
    state = cell_text(issue.get("state"))
    labels = tuple(cell_text(l.get("name") if isinstance(l, dict) else l) for l in issue.get("labels") or [])
    url = cell_text(issue.get("html_url")) or None  # the same address gh calls `url`: both exports key one action
    raw = {k: cell_text(issue.get(k)) for k in ("number", "title", "state", "state_reason", "created_at", "closed_at", "html_url") if cell_text(issue.get(k))}
    return _Row(line=index, key=url or "", title=cell_text(issue.get("title")),
                tracker_status=_github_status(state, cell_text(issue.get("state_reason"))),
                created=issue.get("created_at"), closed=issue.get("closed_at"), labels=labels, link=url, raw=raw)


def _incident_row(follow_up: dict, index: int) -> _Row:
    reference = follow_up.get("external_issue_reference") or {}
    if not isinstance(reference, dict):
        reference = {}
    permalink = cell_text(reference.get("issue_permalink")) or None
    # Exported to a tracker: keyed by the tracker's key, so a Jira export of the same issue updates it.
    key = cell_text(reference.get("issue_name")) or permalink or cell_text(follow_up.get("id"))
    labels = tuple(cell_text(l.get("name") if isinstance(l, dict) else l) for l in follow_up.get("labels") or [])
    status = cell_text(follow_up.get("status"))
    closed = follow_up.get("completed_at")
    if not closed and normalise_header(status) in ("not doing", "deleted"):
        closed = follow_up.get("updated_at")
    raw = {k: cell_text(follow_up.get(k)) for k in ("id", "title", "status", "created_at", "completed_at", "incident_id") if cell_text(follow_up.get(k))}
    return _Row(line=index, key=key, title=cell_text(follow_up.get("title")), tracker_status=status.replace("_", " "),
                created=follow_up.get("created_at"), closed=closed, labels=labels, link=permalink, raw=raw)


JSON_FORMATS: dict[str, Callable[[dict, int], _Row]] = {"github": _gh_row, "github-rest": _github_rest_row,
                                                        "incident.io": _incident_row}
GH_USED = {"number", "title", "state", "stateReason", "labels", "createdAt", "closedAt", "url"}
GITHUB_REST_USED = {"number", "title", "state", "state_reason", "labels", "created_at", "closed_at", "html_url"}
# Each format's name for its state reason: a closed issue without one cannot be told done from not planned.
STATE_REASON_KEYS = {"github": "stateReason", "github-rest": "state_reason"}
INCIDENT_USED = {"id", "title", "status", "created_at", "completed_at", "updated_at", "labels", "external_issue_reference"}


def detect_json_format(data: object) -> tuple[str, list] | None:
    items = data.get("follow_ups") if isinstance(data, dict) else data
    if isinstance(data, dict) and isinstance(items, list):
        return "incident.io", items
    if not isinstance(items, list):
        return None
    first = next((i for i in items if isinstance(i, dict)), None)
    if first is None:
        return None
    if "html_url" in first and "created_at" in first and "state" in first:
        return "github-rest", items
    if "stateReason" in first or ("number" in first and "state" in first):
        return "github", items
    if "incident_id" in first or "external_issue_reference" in first or ("status" in first and "created_at" in first):
        return "incident.io", items
    return None


def parse_actions_json(document: JsonDocument, settings: Settings, series: str | None = None) -> ParsedActions:
    found = detect_json_format(document.data)
    if found is None:
        raise ActionsFormatError(
            document.source,
            "not a known actions export: expected `gh issue list --json number,title,state,stateReason,labels,"
            "createdAt,closedAt,url` (an array), GitHub's REST issue list, or incident.io's follow-ups API response "
            "({\"follow_ups\": [...]})",
        )
    fmt, items = found
    builder = _Builder(document.source, fmt, settings, series)
    used = {"github": GH_USED, "github-rest": GITHUB_REST_USED}.get(fmt, INCIDENT_USED)
    reason_key = STATE_REASON_KEYS.get(fmt)
    keys_seen: dict[str, None] = {}
    rows_seen = 0
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows_seen += 1
            builder.parsed.rejects.append(Reject(builder.reject_keys.key(document.source, "not an object", str(index)),
                                                 document.source, index, "not a JSON object", {}))
            continue
        if fmt == "github-rest" and "pull_request" in item:
            builder.parsed.skipped_pull_requests += 1
            continue
        rows_seen += 1
        keys_seen.update(dict.fromkeys(item))
        if reason_key and cell_text(item.get("state")).upper() == "CLOSED" and not cell_text(item.get(reason_key)):
            builder.parsed.closed_without_reason += 1
        builder.add(JSON_FORMATS[fmt](item, index))
    builder.parsed.dropped_columns = [k for k in keys_seen if k in PEOPLE_JSON_KEYS or _is_people_header(k)]
    builder.parsed.unused_columns = [k for k in keys_seen if k not in used and k not in builder.parsed.dropped_columns]
    if fmt == "github" and items and not any(isinstance(i, dict) and i.get("url") for i in items):
        raise ActionsFormatError(document.source, "the gh export has no url field: add url to --json "
                                 "(gh issue list --json number,title,state,stateReason,labels,createdAt,closedAt,url)")
    if fmt == "github-rest" and items and not rows_seen:
        raise ActionsFormatError(document.source, f"GitHub REST issue list with only pull requests "
                                 f"({builder.parsed.skipped_pull_requests}): no issue to load as an action")
    return builder.finish(rows_seen)


def latest_per_key(parsed: list[ParsedActions]) -> list[ActionItem]:
    """Every action once: a later file (or row) of the same run wins, as a later export would."""
    latest: dict[str, ActionItem] = {}
    for p in parsed:
        for item in p.actions:
            latest.pop(item.action_key, None)
            latest[item.action_key] = item
    return list(latest.values())

