"""The weekly Slack digest (issue 25): one review week of one series as a typed record, and that
record as a Block Kit message with a plain-text fallback. Pure: no Streamlit, no SQL, no network.

Every figure is read through ``DataView`` and worded by ``review_pulse.figures``, the definitions
the pages use, so the digest and the dashboard it links to never disagree:

* the week's score, n and "hidden": ``weekly_scores`` (a hidden week shows no score, only
  "fewer than N responses");
* the lagging statement and its change from the review week before: ``figures.week_lagging_statement``
  over ``weekly_statement_scores``;
* attendance against the mean of the 4 review weeks before it (the busy-week rule's baseline) and the
  response rate: ``weekly_attendance``;
* what the room chose: ``weekly_topics`` (the week's top pick) and ``talking_points`` (options marked
  discussed);
* open, overdue and the oldest open action: the Actions page's headline and list.

Weeks are read inside the week's quarter, as the linked page shows them: the first review week of a
quarter has no "week before", and attendance needs two earlier weeks of the quarter for its mean.

Every string that came from data (series, statements, poll options, action titles) goes through
``mrkdwn_escape`` before it is placed in a message, so nothing in the data can become a mention, a
link or a channel ping. ``fit_blocks`` enforces Block Kit's limits by truncating with an ellipsis.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd

from core import anonymity
from core.links import safe_link
from core.quarters import ALL_TIME_PERIOD, quarter_for_week
from core.settings import Settings
from review_pulse import figures
from review_pulse.attendance_risk import AttendanceRisk, next_review_risk
from review_pulse.view import DataView

# Block Kit's limits (https://docs.slack.dev/reference/block-kit/blocks)
MAX_HEADER_CHARS = 150
MAX_TEXT_CHARS = 3000  # a section's text, a context element
MAX_FIELD_CHARS = 2000  # each of a section's fields
MAX_FIELDS = 10
MAX_BLOCKS = 50
MAX_FALLBACK_CHARS = 3000  # the notification text: Slack truncates long ones; keep it readable
MAX_ITEM_CHARS = 200  # one data string (a poll option, an action title) inside a line
ELLIPSIS = "…"
DISCUSSED_SHOWN = 5  # options marked discussed, listed in the message
LINK_SAFE = ":/?#[]@!$&'*+,;=%~-._"  # what stays as typed in a link's address; the rest is percent-encoded


# --- escaping and limits -------------------------------------------------------------------------


def mrkdwn_escape(text: object) -> str:
    """A data string as literal text in Slack mrkdwn (and plain_text), on one line.

    Slack reads ``<…>`` as a link, mention or ``<!channel>`` ping, so ``&``, ``<`` and ``>`` become
    entities (``&`` first). A bare ``@here`` / ``@channel`` is pinged by clients that parse names,
    so a word joiner goes after every ``@``. Control characters and line breaks become spaces.
    """
    line = "".join(" " if unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029" else ch for ch in str(text))
    line = " ".join(line.split())
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u2060")


def link_address(url: str) -> str:
    """An http(s) address inside a Slack ``<address|label>`` link: percent-encoded where Slack or the
    link's syntax would read it (``|``, spaces, ``<``, ``>``), then ``&`` as an entity, as Slack asks."""
    return quote(url, safe=LINK_SAFE).replace("&", "&amp;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut. Never cuts inside
    an entity (``&amp;``) or a link (``<url|label>``), which would leave Slack half a token to read."""
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    head = text[:cut]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    opened = head.rfind("<")
    if opened != -1 and ">" not in head[opened:]:
        head = head[:opened]
    return head.rstrip() + ELLIPSIS


def item(text: object, limit: int = MAX_ITEM_CHARS) -> str:
    """One data string, escaped and cut to ``limit`` characters of the original text."""
    raw = " ".join(str(text).split())
    return mrkdwn_escape(raw if len(raw) <= limit else raw[: limit - 1].rstrip() + ELLIPSIS)


def _fit_text(obj: dict, limit: int) -> dict:
    return {**obj, "text": clip(str(obj.get("text", "")), limit)}


def fit_blocks(blocks: list[dict]) -> list[dict]:
    """Block Kit's limits enforced by truncation: a header's text ≤ 150 characters, a section's text
    ≤ 3,000, each field ≤ 2,000 and at most 10 fields (the rest are folded into the 10th), context
    elements ≤ 3,000, and at most 50 blocks (the 50th says how many were left out)."""
    fitted = []
    for block in blocks:
        block = dict(block)
        if block.get("type") == "header":
            block["text"] = _fit_text(block["text"], MAX_HEADER_CHARS)
        elif block.get("type") == "section":
            if "text" in block:
                block["text"] = _fit_text(block["text"], MAX_TEXT_CHARS)
            if "fields" in block:
                fields = list(block["fields"])
                if len(fields) > MAX_FIELDS:
                    rest = " · ".join(str(f.get("text", "")).replace("\n", " ") for f in fields[MAX_FIELDS - 1:])
                    fields = fields[: MAX_FIELDS - 1] + [{"type": "mrkdwn", "text": rest}]
                block["fields"] = [_fit_text(f, MAX_FIELD_CHARS) for f in fields]
        elif block.get("type") == "context":
            block["elements"] = [_fit_text(e, MAX_TEXT_CHARS) if "text" in e else e for e in block["elements"]]
        fitted.append(block)
    if len(fitted) > MAX_BLOCKS:
        left_out = len(fitted) - (MAX_BLOCKS - 1)
        fitted = fitted[: MAX_BLOCKS - 1] + [context(f"{figures.count_text(left_out, 'more block')} left out "
                                                     "(Slack shows at most 50)")]
    return fitted


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": False}}


def section(text: str) -> dict:
    # verbatim: Slack does not turn bare URLs or #channel names of the text into links
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def fields_section(fields: list[str]) -> dict:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": f, "verbatim": True} for f in fields]}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


# --- the record ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OldestAction:
    title: str
    age_days: int
    overdue: bool
    link: str | None  # http(s) only (the read layer blanks anything else)


@dataclass(frozen=True)
class Digest:
    """One review week of one series, as the digest says it. Raw values (escaped only when worded)."""

    series: str
    week: date  # the review week's Monday
    quarter: str  # the week's quarter ("2026-Q3"): what the dashboard link opens
    target: float
    min_group_size: int
    hidden: bool  # fewer than min_group_size responses: no score, n, statement or response rate
    score: float | None  # the week's average score (every visible answer)
    responses: int  # n behind the score (0 when hidden)
    lagging: figures.WeekStatement | None
    previous_week_hidden: bool  # the week before was hidden: no change is shown
    attendees: int | None  # None: no review in the attendance for this week
    attendance_mean: float | None  # the 4 review weeks before (the busy-week rule's baseline)
    busy_week: bool
    response_rate: float | None
    polls: int
    top_point: str | None  # the week's most-voted option (None: no poll or no votes)
    top_kind: str | None
    top_theme: str | None
    discussed: tuple[str, ...]  # options marked discussed
    actions_loaded: bool
    open_actions: int
    overdue_actions: int
    oldest_open: OldestAction | None
    today: date  # the day open and overdue are counted on
    dashboard_url: str | None

    @property
    def verdict(self) -> figures.Verdict | None:
        return None if self.hidden else figures.verdict(self.score, self.target)


def dashboard_link(base_url: str | None, quarter: str, series: str | None) -> str | None:
    """The dashboard at this quarter and series: the query parameters the sidebar reads and writes
    (dashboard/ui.sidebar_filters: ``quarter`` = the period label, ``series`` = the series name)."""
    base = safe_link(base_url) if base_url else None
    if base is None:
        return None
    params = {"quarter": quarter, **({"series": series} if series else {})}
    # quote_via=quote: a space is %20 (not +); <, > and | are percent-encoded too, so the
    # address cannot end a Slack <url|label> link early.
    return quote(base.split("?", 1)[0].split("#", 1)[0], safe=":/%~-._") + "?" + urlencode(params, quote_via=quote)


def latest_review_week(db_path: Path, settings: Settings, series: str | None) -> date | None:
    """The latest week with a review (a meeting in the attendance) of the series; without any
    attendance, the latest week with survey responses."""
    view = DataView(db_path, ALL_TIME_PERIOD, series, settings)
    attendance = view.weekly_attendance()
    if len(attendance):
        return attendance["week_start"].iloc[-1].date()
    scores = view.weekly_scores()
    return scores["week_start"].iloc[-1].date() if len(scores) else None


def week_view(db_path: Path, settings: Settings, series: str | None, week: date) -> DataView:
    """The view the digest reads: the week's quarter (what the dashboard link opens) and series."""
    return DataView(db_path, quarter_for_week(week, settings.fiscal_year_start_month), series, settings)


def _row_of_week(frame: pd.DataFrame, week: date) -> pd.Series | None:
    rows = frame[frame["week_start"].dt.date == week] if len(frame) else frame
    return rows.iloc[0] if len(rows) else None


def build_digest(view: DataView, week: date, today: date) -> Digest | None:
    """The digest of ``week`` (a Monday) from ``view`` (its quarter and one series); None when the
    series has neither a review nor survey responses that week."""
    from review_pulse import action_report  # the Actions page's figures

    settings = view.settings
    scores = view.weekly_scores()
    attendance = view.weekly_attendance()
    score_row, attendance_row = _row_of_week(scores, week), _row_of_week(attendance, week)
    if score_row is None and attendance_row is None:
        return None
    hidden = bool(score_row is not None and score_row["suppressed"])
    score = None if score_row is None or hidden or figures.is_missing(score_row["mean_score"]) else float(score_row["mean_score"])

    statements = view.weekly_statement_scores()
    lagging = None if hidden else figures.week_lagging_statement(statements, week)
    previous_hidden = False
    if lagging is not None and lagging.previous_week is not None and lagging.previous_score is None:
        before = _row_of_week(scores, lagging.previous_week)
        previous_hidden = bool(before is not None and before["suppressed"])

    topics = view.weekly_topics() if view.poll_count() else pd.DataFrame(columns=["week_start"])
    topic = _row_of_week(topics, week) if len(topics) else None
    points = view.talking_points() if topic is not None else pd.DataFrame(columns=["week_start"])
    week_points = points[points["week_start"].dt.date == week] if len(points) else points
    discussed = tuple(dict.fromkeys(str(p) for p in week_points.loc[week_points["discussed"].fillna(False).astype(bool), "point"])) \
        if len(week_points) else ()

    actions_loaded = view.action_count() > 0
    oldest = None
    open_now = overdue = 0
    if actions_loaded:
        headline = action_report.headline(view, today)
        open_now, overdue = headline.open_now, headline.overdue_now
        rows = view.open_actions(today)
        if len(rows):
            first = rows.loc[rows["age_days"].idxmax()]  # oldest first; the first of the oldest
            oldest = OldestAction(str(first["title"]), int(first["age_days"]), bool(first["overdue"]),
                                  first["link"] if isinstance(first["link"], str) else None)

    def value(row: pd.Series | None, column: str) -> Any:
        return None if row is None or figures.is_missing(row[column]) else row[column]

    return Digest(
        series=view.series or view.series_label,
        week=week,
        quarter=view.period.label,
        target=settings.target_score,
        min_group_size=settings.min_group_size,
        hidden=hidden,
        score=score,
        responses=0 if hidden or score_row is None else int(score_row["responses"]),
        lagging=lagging,
        previous_week_hidden=previous_hidden,
        attendees=None if attendance_row is None else int(attendance_row["attendees"]),
        attendance_mean=None if value(attendance_row, "previous_mean") is None else float(attendance_row["previous_mean"]),
        busy_week=bool(attendance_row is not None and attendance_row["busy_week"]),
        response_rate=None if hidden or value(attendance_row, "response_rate") is None else float(attendance_row["response_rate"]),
        polls=0 if topic is None else int(topic["polls"]),
        top_point=value(topic, "top_point"),
        top_kind=value(topic, "top_kind"),
        top_theme=value(topic, "top_theme"),
        discussed=discussed,
        actions_loaded=actions_loaded,
        open_actions=open_now,
        overdue_actions=overdue,
        oldest_open=oldest,
        today=today,
        dashboard_url=dashboard_link(settings.digest.dashboard_url, view.period.label, view.series),
    )


# --- the words -------------------------------------------------------------------------------------


def day_text(day: date) -> str:
    """"2 Mar 2026" (no leading zero, so every platform prints the same)."""
    return f"{day.day} {day:%b %Y}"


def score_line(d: Digest) -> str:
    if d.hidden:
        return (f"*{anonymity.fewer_than(d.min_group_size).capitalize()}* this week: the score is hidden for "
                "anonymity.")
    if d.score is None:
        return "*No survey responses* this week."
    return f"*{d.verdict.sentence}* · n = {figures.count_text(d.responses, 'response')}"


def lagging_text(d: Digest) -> str:
    if d.hidden or d.lagging is None:
        return "—"
    lag = d.lagging
    line = f"“{item(lag.statement)}” {figures.score_text(lag.score)}"
    if lag.previous_score is not None:
        return f"{line} ({lag.change} vs week of {day_text(lag.previous_week)})"
    if d.previous_week_hidden:
        return f"{line} (no change shown: the week before had {anonymity.fewer_than(d.min_group_size)})"
    return f"{line} (no earlier week in {d.quarter} to compare)"


def attendance_text(d: Digest) -> str:
    if d.attendees is None:
        return "no review in the attendance this week"
    text = figures.count_text(d.attendees, "attendee")
    against = figures.against_mean_text(d.attendees, d.attendance_mean)
    text += f", {against}" if against else " (no earlier weeks to compare yet this quarter)"
    return text + (" · attendance dip" if d.busy_week else "")


def room_text(d: Digest) -> str:
    if not d.polls:
        return "no talking-point poll this week"
    if d.top_point is None:
        return "poll held, nobody voted"
    kind = f"theme: {item(d.top_theme, 80)}" if d.top_kind == "theme" and d.top_theme else (d.top_kind or "")
    text = f"“{item(d.top_point)}”" + (f" ({kind})" if kind else "")
    others = [p for p in d.discussed if p != d.top_point]
    if others:
        shown = ", ".join(f"“{item(p, 80)}”" for p in others[:DISCUSSED_SHOWN])
        more = len(others) - DISCUSSED_SHOWN
        text += f"; also discussed {shown}" + (f" and {more} more" if more > 0 else "")
    return text


def actions_text(d: Digest) -> str:
    if not d.actions_loaded:
        return "no follow-up actions loaded"
    return f"{d.open_actions} open · {d.overdue_actions} overdue"


def oldest_text(d: Digest) -> str:
    if d.oldest_open is None:
        return "—"
    o = d.oldest_open
    title = item(o.title)
    link = f"<{link_address(o.link)}|{title}>" if o.link else title
    return f"{link} ({figures.count_text(o.age_days, 'day')} old{', overdue' if o.overdue else ''})"


def title_text(d: Digest) -> str:
    return f"{d.series} · review of the week of {day_text(d.week)}"


def digest_blocks(d: Digest, risk_line: str | None = None, at_risk: bool = True) -> list[dict]:
    """The Block Kit blocks. ``risk_line``: a sentence from the attendance early warning
    ("Next review (12 Mar) is at risk: …"), shown as its own section when given, with a
    warning sign when ``at_risk``."""
    fields = [
        f"*Lagging statement*\n{lagging_text(d)}",
        f"*Attendance*\n{attendance_text(d)}",
        f"*Response rate*\n{'—' if d.hidden or d.response_rate is None else figures.percent_text(d.response_rate)}",
        f"*The room chose*\n{room_text(d)}",
        f"*Follow-up actions*\n{actions_text(d)}",
        f"*Oldest open action*\n{oldest_text(d)}",
    ]
    blocks = [header(item(title_text(d), MAX_HEADER_CHARS)), section(score_line(d)), fields_section(fields)]
    if risk_line:
        sign = ":warning:" if at_risk else ":calendar:"
        blocks.append(section(f"{sign} {item(risk_line, MAX_TEXT_CHARS)}"))
    notes = [f"Open and overdue as of {day_text(d.today)}"]
    if d.dashboard_url:
        notes.insert(0, f"<{link_address(d.dashboard_url)}|Open the dashboard for {item(d.quarter)}>")
    notes.append(anonymity.rule_note(d.min_group_size))
    blocks.append(context(" · ".join(notes)))
    return fit_blocks(blocks)


def fallback_text(d: Digest, risk_line: str | None = None) -> str:
    """The notification's plain text (also what screen readers and old clients show)."""
    if d.hidden:
        score = f"{anonymity.fewer_than(d.min_group_size)}, score hidden"
    elif d.score is None:
        score = "no survey responses"
    else:
        score = f"average {d.verdict.shown} / 5 ({d.verdict.short}), n = {d.responses}"
    parts = [item(title_text(d)), score, f"attendance: {attendance_text(d)}", f"actions: {actions_text(d)}"]
    if risk_line:
        parts.append(item(risk_line))
    if d.dashboard_url:
        parts.append(link_address(d.dashboard_url))
    return clip(" · ".join(parts), MAX_FALLBACK_CHARS)


def digest_message(d: Digest, risk_line: str | None = None, at_risk: bool = True) -> dict[str, Any]:
    """What is sent: ``{"text": fallback, "blocks": [...]}`` (a webhook's body; chat.postMessage's arguments)."""
    return {"text": fallback_text(d, risk_line), "blocks": digest_blocks(d, risk_line, at_risk)}


def early_warning(view: DataView, week: date) -> AttendanceRisk | None:
    """The attendance early warning the Overview shows, for the review after ``week`` — only when
    ``week`` is the series' latest review: the warning looks forward from the latest week, so for
    an older ``--week`` it would describe another review."""
    if week != latest_review_week(view.db_path, view.settings, view.series):
        return None
    return next_review_risk(view)


def digest_chart_png(view: DataView) -> bytes:
    """The quarter's average weekly score chart, as the Overview and the retro pack draw it."""
    from review_pulse import report
    from review_pulse.export import chart_to_png

    return chart_to_png(report.score_trend(view).chart, scale=2)


_SLUG = re.compile(r"[^A-Za-z0-9]+")


def chart_filename(d: Digest) -> str:
    return f"score-trend_{_SLUG.sub('-', d.series[:200]).strip('-')[:40] or 'series'}_{d.week:%Y-%m-%d}.png"
