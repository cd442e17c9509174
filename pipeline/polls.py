"""Talking-point polls: pure parsing of Slack poll-app messages and poll tables into typed records.

Sources (read by ``pipeline.sources``):

* Slack workspace exports: messages of the **Polly** and **Simple Poll** apps. Both apps
  edit their message as votes arrive, so the export holds the final tally; when the same
  poll appears more than once, the latest edit wins.
* A talking-points sheet (one row per option: Date, Talking point, Votes, optional Kind,
  Theme, Discussed, Series) and a generic long poll export (time, option, and a vote count
  or one row per vote) are the same table shape to this module.

People are never stored: voter mentions (``<@U…>``) are cut from every text, voter columns
of tables are dropped on read, and a reject keeps only the cells that were mapped.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pipeline.errors import SourceFileError
from pipeline.parse.cells import shown_headers
from pipeline.parse.columns import is_identity_header, looks_like_identity_values
from pipeline.parse.keys import KeyMaker
from pipeline.parse.times import TimeError, TimeParser, dayfirst_decision
from pipeline.records import Reject
from pipeline.sources.files import RawTable, cell_text
from pipeline.sources.slack_export import SlackExport, nfc
from core.settings import Settings, Theme, normalise_header
from core.words import count_text

KINDS = ("incident", "theme", "other")
# "Other", "Something else?", "Other (add in thread)", "Other: …" — not "Other teams' alerts".
_OTHER = re.compile(r"^\W*(?:other|something else|anything else)\W*(?:[(:\-\u2013\u2014].*)?$", re.IGNORECASE | re.DOTALL)
MAX_POINT_CHARS = 300
# Slack text is cut to this many characters BEFORE any pattern reads it: a poll's label, bar and
# count come first (its voters follow), so a hostile export's megabyte field costs what 10,000 do.
MAX_SLACK_TEXT_CHARS = 10_000
MAX_OPTIONS = 50


# --- records ---------------------------------------------------------------


@dataclass(frozen=True)
class PollOption:
    point: str
    votes: int
    kind: str  # incident | theme | other
    theme: str | None
    discussed: bool | None = None


@dataclass(frozen=True)
class Poll:
    poll_id: str  # the app's own id (Polly, Simple Poll) or series + date (tables): re-loading replaces the tally
    series: str
    held_utc: datetime  # naive UTC
    held_local: datetime  # naive, in the settings' timezone
    title: str | None
    app: str  # polly | simple-poll | sheet
    options: tuple[PollOption, ...]
    source_file: str
    version: float = 0.0  # the message's latest edit (Slack ts); the highest wins

    @property
    def total_votes(self) -> int:
        return sum(o.votes for o in self.options)


@dataclass
class ParsedPolls:
    source: str
    layout: str  # "slack export" | "table"
    polls: list[Poll] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    messages_read: int = 0
    messages_ignored: int = 0  # not a poll of Polly or Simple Poll: counted, never stored
    dropped_columns: list[str] = field(default_factory=list)  # voter columns, never stored
    unused_columns: list[str] = field(default_factory=list)
    # With [poll_channels] set: channel -> ids of the polls skipped because it is not listed.
    unlisted_channels: dict[str, set[str]] = field(default_factory=dict)
    channels_without_folder: list[str] = field(default_factory=list)  # in channels.json, no day files
    date_order_guessed: bool = False  # slash dates, none settling D/M vs M/D: read M/D, noted, --strict refuses it

    @property
    def unmatched_options(self) -> list[str]:
        """Options that matched no theme (kind incident), one per poll they were in: candidates for
        new [[themes]]; the ones that recur are the interesting ones."""
        return [o.point for p in self.polls for o in {o.point: o for o in p.options}.values() if o.kind == "incident"]


class PollMessageError(ValueError):
    """A poll-app message whose options cannot be read; kept as a reject with this reason."""


# --- text ------------------------------------------------------------------

# Slack escapes "<" in message text, so none of its <…> tokens holds one: excluding "<" from their
# bodies keeps a run of "<" from being scanned to its end once per "<" (quadratic).
_MENTION = re.compile(r"<@[UWB][A-Z0-9]+(?:\|[^<>]*)?>")
_SPECIAL = re.compile(r"<!(?:subteam\^[A-Z0-9]+\|)?([^<>|]+)(?:\|[^<>]*)?>")
_LABELLED_LINK = re.compile(r"<(?:[^<|>]*)\|([^<>]*)>")
_BARE_LINK = re.compile(r"<([^<>|]*)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain_text(text: object) -> str:
    """A table cell as typed, except user mentions (ids are never kept) and control characters."""
    return _CONTROL.sub("", _MENTION.sub("@someone", str(text or "")[:MAX_SLACK_TEXT_CHARS])).strip()[:MAX_POINT_CHARS]


def clean_text(text: object) -> str:
    """Slack mrkdwn as plain text, with every user mention replaced: ids are never kept."""
    value = _MENTION.sub("@someone", str(text or "")[:MAX_SLACK_TEXT_CHARS])
    value = _SPECIAL.sub(lambda m: "@" + m.group(1).split("^")[0], value)
    value = _LABELLED_LINK.sub(r"\1", value)
    value = _BARE_LINK.sub(r"\1", value)
    value = html.unescape(value)  # Slack escapes &, < and > in message text
    value = _CONTROL.sub("", value).strip()
    if len(value) > 2 and value[0] == value[-1] and value[0] in "*_~":
        value = value[1:-1].strip()  # "*Talking points*": the title's bold, not part of it
    return value[:MAX_POINT_CHARS]


# --- classification --------------------------------------------------------


def classify(point: str, themes: tuple[Theme, ...]) -> tuple[str, str | None]:
    """(kind, theme): a theme whose name or keyword occurs as words in the point; "Other" /
    "Something else" is other; anything else is about the incident under review."""
    if _OTHER.match(point):
        return "other", None
    padded = f" {normalise_header(point)} "
    for theme in themes:
        for word in (theme.name, *theme.keywords):
            needle = normalise_header(word)
            if needle and f" {needle} " in padded:
                return "theme", theme.name
    return "incident", None


def _option(point: str, votes: int, settings: Settings, kind: str | None = None, theme: str | None = None,
            discussed: bool | None = None) -> PollOption:
    """An explicit kind or theme (a sheet's columns) wins over the keywords."""
    if kind is None and theme:
        kind = "theme"
    if kind is None:
        kind, theme = classify(point, settings.themes)
    elif kind == "theme" and not theme:
        theme = classify(point, settings.themes)[1] or point
    elif kind != "theme":
        theme = None
    return PollOption(point, votes, kind, theme, discussed)


# --- Slack messages --------------------------------------------------------

_POLLY_ID = re.compile(r"PollMessage\(([^)]+)\)")
# "Monday  \n\n`█████`  |  100% (1)\n\n<@U…>": label, bar, percent, count, then voters (dropped).
# The blank line is whitespace holding two line breaks, written so it splits one way only (not
# \s*\n\s*\n\s*, which tries every split of a run of line breaks); the label ends where a run of
# whitespace starts (the shortest label always does), so each run is tried once, not from each
# of its characters.
_POLLY_FIELD = re.compile(r"^(?P<label>.*?)(?<!\s)[^\S\n]*\n[^\S\n]*\n\s*`[^`]*`\s*\|\s*[\d.]+%\s*\((?P<count>\d+)\)",
                          re.DOTALL)
_SIMPLE_VOTE_BLOCK = re.compile(r"^poll-(?P<poll>[0-9A-Za-z-]+)-vote-\d+$")
_SIMPLE_TITLE_BLOCK = re.compile(r"^poll-(?P<poll>[0-9A-Za-z-]+)-title")
_NUMBER_EMOJI = re.compile(r"^:(?:zero|one|two|three|four|five|six|seven|eight|nine|keycap_ten|ten|\d+):\s*")


def simple_option(line: str) -> tuple[str, int | None]:
    """(label, count) of a Simple Poll option line, ":one: Alert fatigue    `8`" without its emoji: the
    count is a backticked number ending the line after whitespace; no count, None. String methods,
    not a regex: a lazy label before optional trailing whitespace is quadratic on a run of spaces."""
    stripped = line.rstrip()
    if stripped.endswith("`"):
        opening = stripped.rfind("`", 0, len(stripped) - 1)
        digits = stripped[opening + 1:-1]
        if opening > 0 and digits.isdecimal() and stripped[opening - 1].isspace():
            return stripped[:opening].rstrip(), int(digits)
    return stripped, None



def _message(raw: dict) -> dict:
    # A "message_changed" event carries the edited message inside it.
    inner = raw.get("message")
    return inner if raw.get("subtype") == "message_changed" and isinstance(inner, dict) else raw


def _version(message: dict) -> float:
    edited = message.get("edited") if isinstance(message.get("edited"), dict) else {}
    for value in (edited.get("ts"), message.get("ts")):
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return 0.0


def _blocks(message: dict) -> list[dict]:
    blocks = message.get("blocks")
    return [b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []


def _action_ids(block: dict) -> list[str]:
    found = []
    accessory = block.get("accessory")
    if isinstance(accessory, dict) and isinstance(accessory.get("action_id"), str):
        found.append(accessory["action_id"])
    for element in block.get("elements", []) if isinstance(block.get("elements"), list) else []:
        if isinstance(element, dict) and isinstance(element.get("action_id"), str):
            found.append(element["action_id"])
    return found


def _text_of(block: dict) -> str:
    text = block.get("text")
    return text.get("text", "") if isinstance(text, dict) else (text if isinstance(text, str) else "")


def poll_app(message: dict) -> str | None:
    """'polly', 'simple-poll' or None for any other message."""
    message = _message(message)
    profile = message.get("bot_profile") if isinstance(message.get("bot_profile"), dict) else {}
    if profile.get("name") == "Polly":
        return "polly"
    if message.get("subtype") == "bot_message" and any(
            _SIMPLE_VOTE_BLOCK.match(str(b.get("block_id", ""))) for b in _blocks(message)):
        return "simple-poll"
    return None


def parse_polly(message: dict) -> tuple[str, str | None, list[tuple[str, int]]] | None:
    """(poll id, title, [(label, votes)]) of a Polly poll; None for Polly's other messages."""
    blocks = _blocks(_message(message))
    poll_id = next((m.group(1) for b in blocks for a in _action_ids(b) for m in [_POLLY_ID.search(a)] if m), None)
    fields = [f.get("text", "") for b in blocks if b.get("type") == "section" and isinstance(b.get("fields"), list)
              for f in b["fields"] if isinstance(f, dict)]
    if not fields:
        return None  # a reminder or a results link: not a poll message
    if poll_id is None:
        raise PollMessageError("Polly poll without a PollMessage(<id>) action")
    title = next((_text_of(b) for b in blocks if b.get("type") == "section" and _text_of(b)), None)
    options = []
    for text in fields:
        match = _POLLY_FIELD.match(str(text)[:MAX_SLACK_TEXT_CHARS])
        if match is None:
            raise PollMessageError("Polly option not in the 'label / bar | percent (count)' form")
        options.append((match.group("label"), int(match.group("count"))))
    return f"polly:{poll_id}", title, options


def parse_simple_poll(message: dict) -> tuple[str, str | None, list[tuple[str, int]]]:
    """(poll id, title, [(label, votes)]) of a Simple Poll message."""
    message = _message(message)
    blocks = _blocks(message)
    poll_id, title, options = None, None, []
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        if _SIMPLE_TITLE_BLOCK.match(block_id):
            title = _text_of(block)
        vote = _SIMPLE_VOTE_BLOCK.match(block_id)
        if not vote:
            continue
        poll_id = vote.group("poll")
        first_line = _text_of(block)[:MAX_SLACK_TEXT_CHARS].split("\n", 1)[0]  # the voters below: never read
        label, count = simple_option(_NUMBER_EMOJI.sub("", first_line.strip()))
        if not label.strip():
            raise PollMessageError("Simple Poll option without a label")
        # With no votes yet the app shows no count at all.
        options.append((label, count or 0))
    if title is None:
        title = message.get("text") if isinstance(message.get("text"), str) else None
    return f"simple-poll:{poll_id}", title, options


def _poll_id(message: dict, app: str) -> str | None:
    """A skipped poll's id, so its edits count once; "" for a poll that cannot be read, None for an
    app message that is no poll."""
    try:
        parsed = parse_polly(message) if app == "polly" else parse_simple_poll(message)
    except PollMessageError:
        return ""
    return None if parsed is None else parsed[0]


def unlisted_channels_text(unlisted: dict[str, set[str]]) -> str:
    """'random (1 poll), lunch (2 polls)': the channels a run skipped, for the summary and a refusal."""
    shown = [f"{name} ({count_text(len(ids), 'poll')})" for name, ids in sorted(unlisted.items())]
    more = f" and {len(shown) - 10} more" if len(shown) > 10 else ""
    return ", ".join(shown[:10]) + more


def parse_slack_export(export: SlackExport, settings: Settings, series: str | None = None,
                       now: datetime | None = None) -> ParsedPolls:
    """Every Polly and Simple Poll poll of the export; the latest edit of each poll wins."""
    result = ParsedPolls(export.source, "slack export", channels_without_folder=list(export.channels_without_folder))
    channel_series = {nfc(channel): name for channel, name in settings.poll_channels}
    keys = KeyMaker("poll-")
    latest: dict[str, Poll] = {}
    places: dict[str, tuple[str, int, dict[str, str]]] = {}  # where each kept poll was read
    clashes: dict[tuple[str, float], list[tuple[str, int, dict[str, str]]]] = {}
    tz = settings.tz
    moment = now or datetime.now(timezone.utc)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # naive means UTC, as in TimeParser
    latest_plausible = moment.timestamp() + 86400
    for day in export.days:
        channel = nfc(day.channel)
        # Listed channels only, once [poll_channels] is set: a #random lunch poll is no talking point.
        # A lone day file has no channel name: it takes --series or default_series, as documented.
        unlisted = bool(channel_series) and channel != "" and channel not in channel_series
        for line, raw in enumerate(day.messages, start=1):
            result.messages_read += 1
            message = _message(raw)
            app = poll_app(message)
            if app is None:
                result.messages_ignored += 1
                continue
            where = f"{export.source}:{day.name}"
            if unlisted:
                poll_id = _poll_id(message, app)
                if poll_id is None:
                    result.messages_ignored += 1
                else:  # a poll that cannot be read still counts as one of the channel's
                    result.unlisted_channels.setdefault(channel, set()).add(poll_id or f"{where}:{line}")
                continue
            try:
                parsed = parse_polly(message) if app == "polly" else parse_simple_poll(message)
                if parsed is None:
                    result.messages_ignored += 1
                    continue
                poll_id, title, options = parsed
                if not options:
                    raise PollMessageError("poll without options")
                if len(options) > MAX_OPTIONS:
                    raise PollMessageError(f"{len(options)} options; a talking-points poll has a handful")
                try:
                    posted = float(message.get("ts"))
                except (TypeError, ValueError):
                    raise PollMessageError("message without a ts (time)") from None
                if not posted >= 946684800:  # 2000-01-01 (also catches NaN)
                    raise PollMessageError("time is before 2000")
                if posted > latest_plausible:
                    raise PollMessageError("time is in the future")
            except PollMessageError as problem:
                raw_kept = {"channel": day.channel, "app": app, "ts": str(message.get("ts", ""))}
                result.rejects.append(Reject(keys.key(where, str(line), str(problem)), where, line,
                                             str(problem), raw_kept))
                continue
            held_utc = datetime.fromtimestamp(posted, tz=timezone.utc)
            points = [(clean_text(label), votes) for label, votes in options]
            poll = Poll(
                poll_id=poll_id,
                series=channel_series.get(channel) or series or settings.default_series,
                held_utc=held_utc.replace(tzinfo=None),
                held_local=held_utc.astimezone(tz).replace(tzinfo=None),
                title=clean_text(title) or None if title else None,
                app=app,
                options=tuple(_option(point or "(no label)", votes, settings) for point, votes in points),
                source_file=where,
                version=_version(message),
            )
            kept = latest.get(poll_id)
            place = (where, line, {"channel": day.channel, "app": app, "ts": str(message.get("ts", ""))})
            if kept is not None and poll.version == kept.version and poll.options != kept.options:
                # One edit of one poll with two tallies (two copies of a channel merged, say): which is
                # right is not guessed. A later edit settles it.
                clashes.setdefault((poll_id, poll.version), [places[poll_id]]).append(place)
            if kept is None or poll.version >= kept.version:
                latest[poll_id] = poll
                places[poll_id] = place
    for (poll_id, version), clashing in clashes.items():
        if poll_id in latest and latest[poll_id].version == version:
            del latest[poll_id]
            for number, (where, line, raw_kept) in enumerate(clashing):
                others = "; ".join(f"{w} message {n}" for i, (w, n, _raw) in enumerate(clashing) if i != number)
                problem = (f"the same poll edit with different vote counts also at {others}: which is right is not "
                           "guessed; export the channel again")
                result.rejects.append(Reject(keys.key(where, str(line), problem), where, line, problem, raw_kept))
    result.polls = sorted(latest.values(), key=lambda p: (p.held_utc, p.poll_id))
    return result


# --- tables: the talking-points sheet and long poll exports ----------------

DATE_HEADERS = ("date", "review date", "meeting date", "poll date", "day", "timestamp", "time", "voted at",
                "submitted at", "created at", "date time", "datetime")
POINT_HEADERS = ("talking point", "talking points", "point", "topic", "option", "option text", "choice",
                 "answer", "selected option", "poll option")
VOTES_HEADERS = ("votes", "vote count", "number of votes", "total votes", "count", "responses")
KIND_HEADERS = ("kind", "type", "category")
THEME_HEADERS = ("theme",)
DISCUSSED_HEADERS = ("discussed", "was discussed", "discussed yes no")
SERIES_HEADERS = ("series", "review series", "meeting series")
POLL_HEADERS = ("poll", "poll id", "poll title", "question", "poll question")
YES = {"yes", "y", "true", "1", "x", "discussed"}
NO = {"no", "n", "false", "0", "", "not discussed"}


def _is_voter_header(header: str) -> bool:
    """Poll exports name their people "Voter" or "Voted by", which the survey rules do not know."""
    return bool({"voter", "voters", "voted"} & set(normalise_header(header).split()))


def _column(keys: list[str], candidates: tuple[str, ...], source: str, role: str, taken: set[int]) -> int | None:
    found = [i for i, key in enumerate(keys) if key in candidates and i not in taken]
    named = {keys[i] for i in found}
    if len(named) > 1:
        raise SourceFileError(source, f"more than one column could be the {role} "
                                      f"({', '.join(sorted(named))}); rename the ones that are not")
    if found:
        taken.add(found[0])
        return found[0]
    return None


def _cell(row: list[object], index: int | None) -> object:
    return row[index] if index is not None and index < len(row) else None




def parse_poll_table(table: RawTable, settings: Settings, series: str | None = None,
                     now: datetime | None = None) -> ParsedPolls:
    """One row per option (with a Votes column) or one row per vote (without): polls by series, poll and day."""
    source = table.source
    keys = [normalise_header(h) for h in table.header]
    taken: set[int] = set()
    # People first: a voter column is dropped before anything else can map it.
    identity = [i for i, h in enumerate(table.header)
                if is_identity_header(h) or _is_voter_header(h) or looks_like_identity_values([_cell(r, i) for r in table.rows])]
    taken.update(identity)
    date_col = _column(keys, DATE_HEADERS, source, "date", taken)
    point_col = _column(keys, POINT_HEADERS, source, "talking point", taken)
    if date_col is None or point_col is None:
        missing = [name for name, col in (("a Date", date_col), ("a Talking point (or Option)", point_col)) if col is None]
        raise SourceFileError(source, f"no usable poll: needs {' and '.join(missing)} column "
                                      f"(found: {shown_headers(table.header, 8)}); see README 'Talking points'")
    votes_col = _column(keys, VOTES_HEADERS, source, "vote count", taken)
    kind_col = _column(keys, KIND_HEADERS, source, "kind", taken)
    theme_col = _column(keys, THEME_HEADERS, source, "theme", taken)
    discussed_col = _column(keys, DISCUSSED_HEADERS, source, "discussed flag", taken)
    series_col = _column(keys, SERIES_HEADERS, source, "series", taken)
    poll_col = _column(keys, POLL_HEADERS, source, "poll", taken)
    mapped = {date_col, point_col, votes_col, kind_col, theme_col, discussed_col, series_col, poll_col} - {None}
    result = ParsedPolls(source, "table")
    result.dropped_columns = [table.header[i] for i in identity]
    result.unused_columns = [h for i, h in enumerate(table.header) if i not in mapped and i not in identity]
    dayfirst, result.date_order_guessed = dayfirst_decision(settings, [_cell(r, date_col) for r in table.rows], source)
    parser = TimeParser(settings.tz, dayfirst, now=now)
    reject_keys = KeyMaker("poll-")
    # (series, poll, day) -> point -> [votes, kind, theme, discussed, first line]
    grouped: dict[tuple[str, str, object], dict[str, list]] = defaultdict(dict)
    held: dict[tuple[str, str, object], tuple[datetime, datetime]] = {}
    for row, line in zip(table.rows, table.line_numbers):
        raw = {table.header[i]: cell_text(_cell(row, i)) for i in sorted(mapped) if cell_text(_cell(row, i))}

        def reject(reason: str) -> None:
            result.rejects.append(Reject(reject_keys.key(source, str(line), reason), source, line, reason, raw))

        point = plain_text(cell_text(_cell(row, point_col)))
        if not point:
            reject("no talking point")
            continue
        try:
            utc, local = parser.parse(_cell(row, date_col))
        except TimeError as problem:
            reject(f"date: {problem}")
            continue
        votes = 1
        if votes_col is not None:
            text = cell_text(_cell(row, votes_col))
            if not re.fullmatch(r"\d{1,9}", text):
                reject("votes: not a whole number" if text else "no vote count")
                continue
            votes = int(text)
        kind = cell_text(_cell(row, kind_col)).casefold() or None
        if kind is not None and kind not in KINDS:
            reject("kind: not incident, theme or other")
            continue
        discussed_text = cell_text(_cell(row, discussed_col)).casefold()
        if discussed_col is not None and discussed_text not in YES | NO:
            reject("discussed: not yes or no")
            continue
        discussed = None if discussed_col is None or not discussed_text else discussed_text in YES
        row_series = plain_text(cell_text(_cell(row, series_col))) or series or settings.default_series
        key = (row_series, plain_text(cell_text(_cell(row, poll_col))), local.date())
        held.setdefault(key, (utc, local))
        entry = grouped[key].setdefault(point, [0, kind, plain_text(cell_text(_cell(row, theme_col))) or None, discussed])
        entry[0] += votes
    for (row_series, poll_name, day), points in grouped.items():
        utc, local = held[(row_series, poll_name, day)]
        poll_id = "sheet:" + "\x1f".join([row_series, poll_name, day.isoformat()])
        options = tuple(_option(point, votes, settings, kind, theme, discussed)
                        for point, (votes, kind, theme, discussed) in points.items())
        result.polls.append(Poll(poll_id, row_series, utc, local, poll_name or None, "sheet", options, source))
    result.polls.sort(key=lambda p: (p.held_utc, p.poll_id))
    return result

