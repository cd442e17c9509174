"""The feedback theme dictionary: the product's default, and how review_pulse.toml overrides it.

A theme is an id, a display name and keywords/phrases. A keyword matches whole words,
ignoring case; a space in a phrase also matches a hyphen or several spaces; a trailing
``*`` matches any word ending ("blam*" finds blame, blamey, blaming).
No Streamlit and no DuckDB here: settings, the loader, the Feedback page and the benchmark
all import it. What a stored analysis depends on (``fingerprint``) lives here too, so the page
can tell that the stored themes are out of date without importing the pipeline.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass(frozen=True)
class FeedbackTheme:
    id: str
    name: str
    keywords: tuple[str, ...]


def _theme(theme_id: str, name: str, keywords: str) -> FeedbackTheme:
    return FeedbackTheme(theme_id, name, tuple(k.strip() for k in keywords.split("|") if k.strip()))


DEFAULT_FEEDBACK_THEMES: tuple[FeedbackTheme, ...] = (
    _theme("time", "Time and pace",
           "too long|long meeting|ran over|run over|runs over|running over|overran|overrun*|went over|goes over|"
           "over time|overtime|length|lengthy|long winded|dragged|drags|dragging|pace|paced|pacing|rushed|rushing|"
           "hour|hours|minutes|mins|shorter|too short|time box*|timebox*|on time|finished early|ended early|end early|"
           "out of time|ran out of time|time keeping|timekeep*|slow|slower|faster|quicker|brisk|efficient*|"
           "waste of time|took forever|forever|half an hour|30 min*|45 min*|60 min*|90 min*|ended late|ran long|"
           "runs long|too much time|enough time|more time|less time|time for questions|fast|short|ages|whole hour|took up|use of my time|⏰|q&a|q and a|"
           "min over|mins over|minutes over|min early|mins early|minutes early|drag on|drags on|dragged on"),
    _theme("focus", "Focus and topics",
           "rabbit hole*|off topic|tangent*|right topics|right things|wrong topics|right incidents|focus*|timeline|"
           "timelines|blow by blow|minute by minute|play by play|recap*|retelling|re-telling|patterns|pattern|themes|"
           "cross incident|across incidents|recurring|systemic|bigger picture|big picture|root cause*|"
           "contributing factor*|deep dive*|too deep|in the weeds|weeds|sidetrack*|side track*|derail*|digress*|"
           "on track|off track|topic|topics|relevant|irrelevant|scope|what went wrong|bikeshed*|minutiae|nitty gritty|"
           "went deep|details|detail|trends|drifting|drifted|same points|redundant|in more depth|why we reviewed|status update*|status meeting*|which incidents|same incidents|near miss*|underlying|fewer incidents|similar incidents|repeat incidents|why it happened|"
           "previous incident*|earlier incident*|past incident*|other incident*|linked back|link back|"
           "tie back|tied back|connect the dots|connected the dots|comparison|compared|by theme|what went right|went right|"
           "what mattered|things that mattered|depth|debate about|debates about|debate over|technical debate*|spent the whole|spent the entire|"
           "same root cause|across several|squeezed|crammed|"
           # Round 4: what was discussed and what was not.
           "common thread|round in circles|went round|wandered|wander*|go deeper|went deeper|dig deeper|deeper|"
           "what went well|went well too|side discussion*|severity level*|arguing about|argued about|"
           "instead of what|whole point|same issue|same issues|same discussion|same conclusion*|same problem*|"
           "keep discussing|kept discussing|keep hitting|looked at|together rather|incidents per session|"
           "incidents together|hijacked|talked about that|talk about that|wasn't on the agenda|not on the agenda"),
    _theme("safety", "Safety and blame",
           "blam*|finger pointing|judged|judging|judgement*|judgment*|judgy|unsafe|safe|safety|psychological*|"
           "speak up|speaking up|spoke up|speak freely|comfortable|uncomfortable|defensive|hostile|attacked|"
           "called out|calling out|shamed|shaming|shame|scared|afraid|fear|intimidat*|disagree|disagreeing|"
           "honest|admit*|openly|openness|trust|respectful|disrespect*|vulnerable|tone|grilled|grilling|"
           "interrogat*|embarrass*|constructive|punitive|scapegoat*|witch hunt|on the spot|put on the spot|"
           "who did it|whose fault|honesty|screwed up|messed up|got wrong|a trial|handled with care|tense|fault|naming names|named and shamed|singled out|pile on|piled on|"
           "pointing fingers|point fingers|pointed fingers|in front of|"
           "why didn't you|who pushed|who broke|who caused|nervous|anxious|anonymous*|safe space|went silent|raise things|called on"),
    _theme("learning", "Learning and insight",
           "learn*|takeaway*|take away*|lesson*|insight*|knowledge|understand*|understood|new to me|til|"
           "eye opening|educational|teach*|taught|interesting|discover*|knowledge sharing|knowledge transfer|"
           "context|now i know|didn't know|did not know|aha|informative|enlightening|useful to hear|"
           "how other teams|other teams' systems|explained|explanation*|walkthrough|walk through|picked up|hearing how|made it click|fascinating|had no idea|"
           "walked through|walks through|walking through|finally get|get how|see how|breakdown|break down|"
           "hearing from|first hand|firsthand|5 whys|five whys|useful to see|helpful to see|interesting to see|"
           "good to see how|comparison|compared|"
           # Round 4: understanding and its absence ("over my head", "nobody explains the acronyms").
           "explain|explains|explaining|glossary|acronym*|jargon|case study|case studies|over my head|"
           "came away with|come away with|get anything out of|got anything out of|got nothing out of|"
           "take something away|took something away|take nothing away|took nothing away|reasoning|newcomers|"
           "new joiners|deep dive*"),
    _theme("facilitation", "Facilitation and structure",
           "facilitat*|moderat*|structure*|unstructured|agenda|format|chair|chaired|chairing|host|hosted|hosting|"
           "well run|dominat*|same people|same voices|same few|few voices|few people|loudest|loud voices|"
           "talked over|talk over|talking over|interrupt*|quiet*|everyone a chance|chance to speak|round robin|"
           "breakout*|template|ground rules|organised|organized|disorganised|disorganized|chaotic|chaos|messy|"
           "flow|run the meeting|ran the meeting|runs the meeting|kept us on track|keep us on track|"
           "hogged|hogging|monologue*|free for all|heard from everyone|everyone spoke|nobody spoke|"
           "silent|participation|participate*|the host|the chair|hand raise*|raise hands|parking lot|voices|remote people|remote attendees|turn to speak|get a word in|the room|hybrid|upfront|"
           "timeboxing|time boxing|say a word|said a word|said anything|say anything|same two people|"
           "same three people|same four people|same few people|same two sres|same two engineers|of them talking|cameras|camera off|cameras off|offline|took it offline|take it offline"),
    _theme("actions", "Actions and follow-up",
           "action*|follow up|follow ups|followup*|follow through|followed up|follow-through|owner|owners|ownership|"
           "owned|assign*|tracking|tracked|tracker|jira|ticket*|backlog|roadmap|todo*|to do*|next steps|next step|"
           "remediat*|deadline*|due date*|close the loop|closed the loop|accountab*|commitment*|"
           "nothing changes|nothing ever changes|never get done|never done|gets done|got done|outcome*|fixes|"
           "fix it|fixed|prioriti*|progress on|decisions|decision|decided|who owns|owns what|"
           "look into|looking into|agreed to"),
    _theme("preparation", "Preparation and materials",
           "pre read*|preread*|prep|prepar*|prepped|unprepared|beforehand|in advance|ahead of time|"
           "ahead of the meeting|before the meeting|the doc|incident doc|write up|writeup*|write-ups|document*|doc|"
           "docs|diagram*|slides|slide deck|deck|recording*|recorded|record it|notes|note taker|note taking|"
           "notetak*|summary|summaries|read up|homework|draft|postmortem doc|post mortem doc|graphs|dashboards|"
           "screenshots|logs|data ready|materials|charts|visuals|shared screen|screen share|link|"
           "whiteboard|sketch|wrote up|written up|slide|tl;dr|tldr|graph|dependency graph"),
    _theme("scheduling", "Scheduling and attendance",
           "time slot*|timeslot*|slot|schedul*|reschedul*|calendar|invite*|clash*|conflicts with|double booked|"
           "attendance|attend|attending|attended|turnout|turn out|busy|on call week|time zone*|timezone*|morning|"
           "afternoon|evening|friday*|monday*|tuesday*|wednesday*|thursday*|lunch*|start time|earlier slot|"
           "later slot|biweekly|bi weekly|fortnightly|monthly|every week|cadence|frequency|couldn't make it|"
           "could not make it|can't make it|cannot make it|missed it|miss it|apac|emea|americas|us folks|"
           "us team|europe|holiday*|vacation|pto|cancel*|postpone*|async|asynchronous|too early|too late|"
           "was on call|i'm on call|am on call|people on call|those on call|folks on call|"
           "release week|crunch|release freeze|small group|too many people|invite|empty room|few people showed|showed up|show up|no one came|nobody came|"
           "release weeks|6pm|7pm|8pm|9pm|10pm|11pm|5am|6am|7am|pst|pdt|est|edt|cet|cest|bst|aest|sgt|jst|ist|"
           "singapore|sydney|bangalore|india|london|new york|san francisco|after hours|out of hours|logged off"),
)


def themes_from_toml(raw: object, where: str) -> tuple[FeedbackTheme, ...]:
    """``[feedback_themes.<id>]`` tables: an id given replaces that default, a new id is added,
    ``keywords = []`` removes a theme. Raises ValueError naming the key to fix."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: [feedback_themes] must be a table of [feedback_themes.<id>] tables")
    themes = {t.id: t for t in DEFAULT_FEEDBACK_THEMES}
    for theme_id, body in raw.items():
        key = f"{where}: feedback_themes.{theme_id}"
        if not isinstance(body, dict):
            raise ValueError(f"{key} must be a table with 'name' and 'keywords'")
        unknown = set(body) - {"name", "keywords"}
        if unknown:
            raise ValueError(f"{key}: unknown {'key' if len(unknown) == 1 else 'keys'} {', '.join(sorted(unknown))} (use 'name' and 'keywords')")
        keywords = body.get("keywords", list(themes[theme_id].keywords) if theme_id in themes else None)
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise ValueError(f"{key}: 'keywords' must be a list of non-empty strings")
        if not keywords:
            themes.pop(theme_id, None)
            continue
        name = body.get("name", themes[theme_id].name if theme_id in themes else theme_id)
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{key}: 'name' must be a non-empty string")
        themes[theme_id] = FeedbackTheme(theme_id, name.strip(), tuple(k.strip() for k in keywords))
    return tuple(themes.values())


# --- what a stored analysis depends on (the pipeline writes it, the Feedback page compares it) ---
SENTIMENTS = ("positive", "neutral", "negative")
# Bump when the analyser's rules (pipeline/feedback_analysis.py) change, so stored results are recomputed.
RULES_VERSION = "4"
LEXICON_PATH = Path(__file__).resolve().parent / "data" / "review_lexicon.toml"


def fingerprint(themes: Sequence[FeedbackTheme], lexicon_path: Path = LEXICON_PATH) -> str:
    """What the stored analysis depends on: the theme settings, the lexicon file, VADER and our rules."""
    from importlib.metadata import version

    content = json.dumps(
        {
            "themes": [[t.id, t.name, list(t.keywords)] for t in themes],
            "lexicon": hashlib.sha256(lexicon_path.read_bytes()).hexdigest(),
            "vader": version("vaderSentiment"),
            "rules": RULES_VERSION,
        },
        sort_keys=True,
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]
