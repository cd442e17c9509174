"""Feedback sentiment and themes: exact labels on clear cases, stored at load time, recomputed on change."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from pipeline.feedback_analysis import FeedbackAnalyser, fingerprint
from core.feedback_themes import DEFAULT_FEEDBACK_THEMES
from core.settings import SettingsError, load_settings

ANALYSER = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # incident vocabulary is neutral here
        ("The sev1 outage timeline.", "neutral"),
        ("We covered the failed deploy and the critical crash.", "neutral"),
        ("The kill switch was used during the outage.", "neutral"),
        # praise that names nothing to fix
        ("Nothing to improve", "positive"),
        ("no notes", "positive"),
        ("Keep it up!", "positive"),
        # the domain's complaints
        ("Too long.", "negative"),
        ("It ran over again", "negative"),
        ("We went down a rabbit hole", "negative"),
        ("It felt unsafe", "negative"),
        ("A bit blamey", "negative"),
        ("Waste of time", "negative"),
        # negation
        ("Not a waste of time", "positive"),
        ("It wasn't safe to disagree", "negative"),
        ("I learned nothing new", "negative"),
        # a request is a suggestion, not a judgement
        ("Could we get the incident doc a day earlier?", "neutral"),
        ("Please share the recording.", "neutral"),
        ("Great session, well facilitated.", "positive"),
        ("😴", "negative"),
        ("👍", "positive"),
        # incident vocabulary is neutral (more of it), and so are discourse words and apologies
        ("The security incident review", "neutral"),
        ("Reviewed the fatal error and the degraded API", "neutral"),
        ("We talked about the noisy alerts", "neutral"),
        ("Pager storm, rollback and hotfix: covered", "neutral"),
        ("Honestly, the sev2 postmortem was useful", "positive"),
        ("Sorry for joining late, the on-call page went off", "neutral"),
        # a negation covers its clause and stops at its end
        ("We didn't have time to discuss the good stuff", "negative"),
        ("No feedback, great as always", "positive"),
        ("Not long, but dull", "negative"),
        ("Nope, all good", "positive"),
        # negators: a complaint alone, praise when what they negate is bad
        ("Nobody owns the follow-ups", "negative"),
        ("Nobody got blamed", "positive"),
        ("We never get the doc in time", "negative"),
        ("It never runs over anymore", "positive"),
        ("I don't think the breakouts work", "negative"),
        ("Too rushed at the end to agree on actions", "negative"),
        # complaints without sentiment words
        ("The actions are still open", "negative"),
        ("The follow-up keeps getting pushed", "negative"),
        ("Same three people every week", "negative"),
        ("Only five people showed up", "negative"),
        ("Started ten minutes late", "negative"),
        ("Half the room was on their phones", "negative"),
        ("We didn't get to the actions", "negative"),
        ("The slides were unreadable", "negative"),
        ("Felt like a trial", "negative"),
        ("Fine but long", "negative"),
        ("Maybe a bit long", "negative"),  # a hedge, not a request
        # suggestions are neutral, clause by clause
        ("More voices from support would be great.", "neutral"),
        ("Would appreciate the graphs in the invite", "neutral"),
        ("I think we'd get more out of it if the owner presented", "neutral"),
        ("Start on time", "neutral"),
        ("Useful, would like the graphs next time", "positive"),
        # sarcasm
        ("Great, another hour of timeline. Loved it.", "negative"),
        ("Oh wonderful, the same three people talked again", "negative"),
        ("Yay, more status updates", "negative"),
        ('Really "productive" hour', "negative"),
        ("Re “Checkout happy path”: the timeline was clear", "positive"),  # a name in quotes, not irony
        ("Brilliant, the recording link was broken", "negative"),
        ("Love how we ran out of time again", "negative"),
        ("Best review yet /s", "negative"),
        ("Great, we finished early", "positive"),  # sincere
        ("Love how blameless this has become", "positive"),
        # round 3: complaints without sentiment words
        ("The doc came out 5 minutes before the meeting", "negative"),
        ("Same two SREs answered everything", "negative"),
        ("Thirty people on the call and three of them talking", "negative"),
        ("We spent the whole hour on one graph", "negative"),
        ("Last week's actions weren't even mentioned", "negative"),
        ("The invite got moved again", "negative"),
        ("It's at 9pm for me", "negative"),
        ("I was asked why I missed it in front of everyone", "negative"),
        ("People were pointing fingers", "negative"),
        ("Room went silent after that", "negative"),
        ("Couldnt hear the room", "negative"),  # a negation without its apostrophe
        # round 3: sarcasm cues
        ("Truly riveting stuff.", "negative"),
        ("Loved spending an hour on log formats", "negative"),
        ("Loved hearing from the on-call engineer", "positive"),  # sincere
        ("Really enjoyed being grilled about it", "negative"),
        ("Nice to see the same root cause again", "negative"),
        ("Good thing we have an agenda. Oh wait.", "negative"),
        ("Can't wait for next week's sequel with the same outage", "negative"),
        ("yeah super productive, we agreed to look into it", "negative"),
        ("A whole 3 minutes on actions", "negative"),
        ("Early start for me, love that for me", "negative"),
        # round 3: litotes and negated intent
        ("Not bad", "positive"),
        ("Not the worst review", "positive"),
        ("Not bad, not great", "neutral"),
        ("I wouldn't change anything", "positive"),
        ("Not sure I have anything to add", "neutral"),
        ("Not once did we look at the old actions", "negative"),
        ("Nobody opens the tracker again", "negative"),
        # round 3: the incident's words and suggestions
        ("Useful to see where the canary should have caught the bad deploy", "positive"),
        ("No strong feelings this week", "neutral"),
        ("Postmortem for the DNS outage: fine, nothing special", "neutral"),
        ("nah all fine", "positive"),
        ("pls record it", "neutral"),
        ("A question box might make it easier to ask things", "neutral"),
        ("I think that would save us time", "neutral"),
        # round 4: a request's reasons, praise leading into a complaint, complaints without sentiment words
        ("Maybe use a board for the timeline, easier to see at a glance", "neutral"),
        ("Would be good to assign an owner to each action", "neutral"),
        ("Worth inviting the vendor when a dependency fails", "neutral"),
        ("Highlight what went well too, not just what broke", "neutral"),
        ("Keep it up!", "positive"),
        ("We should pick incidents more carefully; minor ones waste everyone's time.", "negative"),
        ("so glad we ran 30 min over, I didn't need lunch anyway", "negative"),
        ("Loved hearing the same three voices for an hour", "negative"),
        ("Loved hearing from the on-call engineer directly", "positive"),
        ("Loved that we spent real time on why the breaker never tripped", "positive"),
        ("I didn't feel like I could ask questions as the new person", "negative"),
        ("None of the action items had owners", "negative"),
        ("half the on-call folks don't even show up anymore", "negative"),
        ("it ate a good chunk of the meeting", "negative"),
        ("the action items go into a spreadsheet and die there", "negative"),
        ("Postmortem for the cache stampede was the clearest one yet", "positive"),
        (":upside_down_face: another hour of timeline", "negative"),
        ("great session :tada:", "positive"),
    ],
)
def test_sentiment_labels(text: str, label: str) -> None:
    assert ANALYSER.sentiment(text)[0] == label


def test_lexicon_regexes_are_checked(tmp_path: Path) -> None:
    """A regex in the lexicon that does not compile, or that captures, is named with its table."""
    lexicon = tmp_path / "lexicon.toml"
    lexicon.write_text("[patterns]\n'(same) people' = -1.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[patterns\]: write \(\?:\.\.\.\) instead"):
        FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES, lexicon_path=lexicon)
    lexicon.write_text("[requests]\nstart = ['could (?:we']\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[requests\] start: .* is not a valid regex"):
        FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES, lexicon_path=lexicon)


def test_vader_alone_reads_incident_words_as_negative() -> None:
    """Why the domain lexicon exists: VADER alone calls an incident description negative."""
    assert FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES, domain_lexicon=False).sentiment("The sev1 outage crash.")[0] == "negative"


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("Too long, and we went down a rabbit hole on the timeline.", ("time", "focus")),
        ("It felt blamey when the deploy came up.", ("safety",)),
        ("Great takeaways about DNS.", ("learning",)),
        ("The same few voices dominated; the facilitator should step in.", ("facilitation",)),
        ("Who owns the action items?", ("actions",)),
        ("Please share the pre-read and the diagram beforehand.", ("preparation",)),
        ("The time slot is bad for the APAC time zone.", ("scheduling",)),
        ("No notes, keep it up!", ()),  # "no notes" is praise, not about notes
        ("Honestly, great session.", ()),  # "honestly" opens a sentence; it is not about honesty
        ("It's become a status meeting.", ("focus",)),
        ("I left without knowing who owns what.", ("actions",)),
        ("Could we record it for people on call?", ("preparation", "scheduling")),
        ("Great session.", ()),
        # round 3: synonyms and word forms a reader expects
        ("People were pointing fingers at the platform team", ("safety",)),
        ("Being asked in front of everyone felt bad", ("safety",)),
        ("Couldn't fault the facilitation", ("facilitation",)),  # an idiom, not about fault
        ("Great breakdown of the failover", ("learning",)),
        ("She walked through the retry logic", ("learning",)),
        ("We linked it back to previous incidents", ("focus",)),
        ("Good to also cover what went right", ("focus",)),
        ("Ran 25 mins over", ("time",)),
        ("Whiteboard sketch of the request path", ("preparation",)),
        ("Skip it on release weeks", ("scheduling",)),
        ("It's at 7pm for me", ("scheduling",)),
        ("Please record it, I'm on PST", ("preparation", "scheduling")),
        ("Same two people answered every question", ("facilitation",)),
        # round 4
        ("Add a glossary of the acronyms for support folks", ("learning",)),
        ("We keep discussing the same issues", ("focus",)),
        ("It went round in circles", ("focus",)),
    ],
)
def test_themes(text: str, themes: tuple[str, ...]) -> None:
    assert ANALYSER.theme_ids(text) == themes


def test_theme_settings_override_and_validate(tmp_path: Path) -> None:
    path = tmp_path / "review_pulse.toml"
    path.write_text('[feedback_themes.tooling]\nname = "Tooling"\nkeywords = ["grafana", "pager*"]\n'
                    '[feedback_themes.scheduling]\nkeywords = []\n', encoding="utf-8")
    themes = load_settings(path).feedback_themes
    ids = [t.id for t in themes]
    assert "tooling" in ids and "scheduling" not in ids and ids[:7] == [t.id for t in DEFAULT_FEEDBACK_THEMES[:7]]
    assert FeedbackAnalyser(themes).theme_ids("The PagerDuty and Grafana links") == ("tooling",)
    path.write_text('[feedback_themes.time]\nkeywords = "too long"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="feedback_themes.time: 'keywords' must be a list"):
        load_settings(path)


def _ingest(db: Path, survey: Path, settings_path: Path | None, monkeypatch) -> None:
    if settings_path is not None:
        monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_path))
    assert main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0


def test_load_stores_analysis_and_recomputes_when_themes_change(tmp_path: Path, monkeypatch) -> None:
    db, survey = tmp_path / "f.duckdb", tmp_path / "s.csv"
    comments = ["Too long.", "Great takeaways, no notes.", "The sev1 outage timeline.", ""]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Timestamp", "Good use of my time", "Feedback"])
    writer.writerows([f"2026-03-04 16:0{i}", 4, text] for i, text in enumerate(comments))
    survey.write_text(buffer.getvalue(), encoding="utf-8")
    _ingest(db, survey, None, monkeypatch)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT text, sentiment, themes FROM feedback ORDER BY text").fetchall()
        stored = con.execute("SELECT fingerprint FROM feedback_analysis_state").fetchall()
    assert rows == [("Great takeaways, no notes.", "positive", ["learning"]),
                    ("The sev1 outage timeline.", "neutral", ["focus"]),
                    ("Too long.", "negative", ["time"])]
    assert stored == [(fingerprint(DEFAULT_FEEDBACK_THEMES),)]
    # A new theme in the settings: the next load (nothing new in it) re-tags every comment.
    settings_path = tmp_path / "review_pulse.toml"
    settings_path.write_text('[feedback_themes.incidents]\nname = "Incidents"\nkeywords = ["sev1", "outage"]\n', encoding="utf-8")
    _ingest(db, survey, settings_path, monkeypatch)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT text, themes FROM feedback ORDER BY text").fetchall()
        assert con.execute("SELECT count(*) FROM feedback_analysis").fetchall() == [(3,)]
    assert rows[1] == ("The sev1 outage timeline.", ["focus", "incidents"])


def test_emerging_topics_find_what_the_dictionary_misses() -> None:
    from review_pulse.emerging_topics import find_topics

    grafana = [f"The Grafana dashboard for service {i} kept timing out on load" for i in range(12)]
    vendor = [f"Vendor escalation with Acme cloud support took {i} days to answer" for i in range(12)]
    pager = [f"PagerDuty escalation policy paged the wrong rotation again, case {i}" for i in range(12)]
    texts = grafana + vendor + pager
    topics = find_topics(texts, [False] * len(texts), n_topics=3, min_group_size=5)
    assert len(topics) == 3 and sum(t.comments for t in topics) == 36
    groups = [grafana, vendor, pager]
    # Each topic's examples come from one group of comments, and the three topics are the three groups.
    found = sorted(next(g for g, group in enumerate(groups) if set(t.examples) <= set(group)) for t in topics)
    assert found == [0, 1, 2]
    for topic in topics:
        assert topic.untagged == topic.comments and len(topic.examples) == 2 and set(topic.examples) <= set(texts)
    # Too few comments for topics to mean anything, or a topic under the minimum group: nothing shown.
    assert find_topics(texts[:10], [False] * 10, n_topics=3, min_group_size=5) == []
    assert all(t.comments >= 13 for t in find_topics(texts, [False] * 36, n_topics=3, min_group_size=13))


def test_many_comments_are_analysed_in_worker_processes_with_the_same_results() -> None:
    from pipeline.feedback_analysis import analyse_texts

    texts = [f"{text} (case {i})" for i, text in enumerate(["Too long.", "Not a waste of time", "Who owns the actions?",
                                                             "Great takeaways", "😴"] * 8)]
    serial = analyse_texts(DEFAULT_FEEDBACK_THEMES, texts, parallel_from=10**9)
    assert analyse_texts(DEFAULT_FEEDBACK_THEMES, texts, parallel_from=1) == serial
    assert serial["Too long. (case 0)"].sentiment == "negative" and serial["Who owns the actions? (case 2)"].themes == ("actions",)


def test_vader_fast_path_scores_as_vader_does() -> None:
    """The ASCII fast path (VADER's polarity_scores without its emoji pass) changes no score."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from pipeline.feedback_analysis import vader_analyser

    ours, vaders = vader_analyser(), SentimentIntensityAnalyzer()
    for text in ["Too long. Again.", "NOT a waste of time!!", "kind of ok but the pre-read was GREAT", "  padded  ",
                 "Great 👍", "😴", "", "No, not really...", "Never so good", "without doubt the best",
                 "Naïve café — “quoted” ‘single’ review", "Re “Checkout happy path”: good 🙂", "Ça va 🚀",
                 "It was the bomb, kind of", "sort of good", "never this bad", "not so great, but not terrible",
                 "Hardly useful. Barely fine. Not bad at all, NOT great either"]:
        assert ours.polarity_scores(text) == vaders.polarity_scores(text), text


def test_phrase_alternation_matches_whole_words_longest_first() -> None:
    from pipeline.feedback_analysis import phrase_alternation

    pattern = phrase_alternation(["ran over", "ran", "learn*", "learn more", "q&a", "too long", "way too long"])
    assert [m.group(0) for m in pattern.finditer("We ran-over, RAN, learnings; learn more Q&A way  too long rant")] == [
        "ran-over", "RAN", "learnings", "learn more", "Q&A", "way  too long"]


def test_accuracy_bench_reports_every_holdout_with_its_role(tmp_path: Path, monkeypatch) -> None:
    """bench.feedback_accuracy picks up each feedback_holdout*.csv and says whether it was tuned on."""
    import json

    import bench.feedback_accuracy as accuracy

    header = "text,sentiment,themes,kind\n"
    (tmp_path / "feedback_eval.csv").write_text(header + '"Too long.",negative,time,terse\n', encoding="utf-8")
    for name in ("feedback_holdout", "feedback_holdout2", "feedback_holdout3", "feedback_holdout9"):
        (tmp_path / f"{name}.csv").write_text(header + '"Great takeaways.",positive,learning,praise\n', encoding="utf-8")
    monkeypatch.setattr(accuracy, "BENCH", tmp_path)
    monkeypatch.setattr(accuracy, "EVAL_PATH", tmp_path / "feedback_eval.csv")
    monkeypatch.setattr(accuracy, "RESULTS", tmp_path / "results")
    assert accuracy.main([]) == 0
    results = json.loads((tmp_path / "results" / "feedback_accuracy.json").read_text(encoding="utf-8"))
    assert list(results) == ["feedback_eval", "feedback_holdout", "feedback_holdout2", "feedback_holdout3",
                             "feedback_holdout9"]
    assert [results[name]["tuned_on"] for name in results] == [True, True, True, True, None]
    assert results["feedback_holdout"]["role"] == "earlier holdout, used for error analysis in round 2"
    assert results["feedback_holdout2"]["role"] == "blind for round 2 (76.7%); used for error analysis in round 3"
    assert results["feedback_holdout3"]["role"] == "blind for round 3 (73.0%); used for error analysis in round 4"
    report = (tmp_path / "results" / "feedback_accuracy.md").read_text(encoding="utf-8")
    assert "| blind for round 3 (73.0%); used for error analysis in round 4 | yes | 1 |" in report
    assert "not described in SET_ROLES" in report


def test_accuracy_bench_reports_second_annotator_agreement_only_for_sets_it_labelled_whole(tmp_path: Path, monkeypatch) -> None:
    """The second annotator's agreement is counted from the two label files, and left out for a set it covers in part."""
    import json

    import bench.feedback_accuracy as accuracy

    header = "text,sentiment,themes,kind\n"
    (tmp_path / "feedback_holdout3.csv").write_text(
        header + '"Too long.",negative,time,terse\n"Doc was late",negative,preparation,complaint\n'
        '"Could we rotate the facilitator?",neutral,facilitation,suggestion\n"nice one",positive,,terse\n',
        encoding="utf-8")
    # Agrees on 3 of 4 sentiments; themes: tp = time + preparation = 2, fp = focus, fn = facilitation.
    (tmp_path / "second.csv").write_text(
        'text,sentiment,themes\n"Too long.",negative,time;focus\n"Doc was late",negative,preparation\n'
        '"Could we rotate the facilitator?",positive,\n"nice one",positive,\n', encoding="utf-8")
    monkeypatch.setattr(accuracy, "BENCH", tmp_path)
    monkeypatch.setattr(accuracy, "EVAL_PATH", tmp_path / "feedback_eval.csv")
    monkeypatch.setattr(accuracy, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(accuracy, "SECOND_ANNOTATOR_PATH", tmp_path / "second.csv")
    # The second annotator labelled only one of these two.
    (tmp_path / "feedback_eval.csv").write_text(header + '"Too long.",negative,time,terse\n"Unlabelled by the second",'
                                                'positive,,terse\n', encoding="utf-8")
    assert accuracy.main([]) == 0
    results = json.loads((tmp_path / "results" / "feedback_accuracy.json").read_text(encoding="utf-8"))
    assert results["feedback_eval"]["second_annotator"] is None
    second = results["feedback_holdout3"]["second_annotator"]
    assert second["comments"] == 4 and second["sentiment_agreement"] == 3 / 4
    assert (second["themes"]["precision"], second["themes"]["recall"]) == (2 / 3, 2 / 3)
    report = (tmp_path / "results" / "feedback_accuracy.md").read_text(encoding="utf-8")
    assert "| 75.0% / 0.667 (n=4) |" in report and report.count("| — |") == 1


@pytest.mark.parametrize("via_arrow", [False, True], ids=["list parameters", "arrow"])
def test_each_response_gets_its_comments_analysis_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       via_arrow: bool) -> None:
    """refresh_feedback_analysis stores one row per response with a comment, whichever response first
    brought the comment: the same comment on several responses, one a later load brings again, and
    blank comments (none). Expected rows from the analyser itself, per response."""
    from core import schema
    from core.settings import Settings
    from pipeline.ingest import IngestRequest, ingest

    monkeypatch.setattr(schema, "ARROW_FROM_ROWS", 0 if via_arrow else 10**9)
    statements = list(Settings().statement_texts)
    header = ["Timestamp", *statements, "How could we improve?"]

    def export(name: str, comments: list[str], day: int) -> Path:
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header, *[[f"2026-03-{day:02d} 10:{i:02d}", "4", "4", "3", "5", c]
                                                    for i, c in enumerate(comments)]])
        return path

    db = tmp_path / "r.duckdb"
    first = ["Ran over again", "Ran over again", "Great facilitation", "", "   ", "Ran over again", "Who owns the actions?"]
    later = ["Great facilitation", "Too long.", "Too long."]
    ingest(IngestRequest(db, Settings(), surveys=(export("first.csv", first, 4),)))
    ingest(IngestRequest(db, Settings(), surveys=(export("later.csv", later, 11),)))
    with duckdb.connect(str(db), read_only=True) as con:
        responses = con.execute("SELECT response_key, feedback FROM responses").fetchall()
        stored = sorted(con.execute("SELECT response_key, sentiment, sentiment_score, themes FROM feedback_analysis").fetchall())
    expected = sorted((key, (a := ANALYSER.analyse(text)).sentiment, a.score, list(a.themes))
                      for key, text in responses if text is not None and text.strip())
    assert len(responses) == len(first) + len(later) and len(expected) == 8
    assert stored == expected
