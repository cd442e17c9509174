"""Feedback: what people keep saying (themes, sentiment, quotes), then the answers, all as plain text."""

import streamlit as st

from core.feedback_themes import SENTIMENTS, fingerprint
from core.plain_text import markdown_literal
from dashboard import ui
from review_pulse import feedback_report, figures
from review_pulse.feedback_summary import FeedbackData, theme_names

PAGE_SIZE = 50  # answers per "Show more"; search narrows, the CSV holds them all

view = ui.current_view()
st.title("Feedback")
if not ui.require_data(view):
    st.stop()
ui.data_caption(view)
settings = view.settings
data = FeedbackData(view)
minimum = settings.min_group_size
names = theme_names(settings.feedback_themes)
shown, hidden = data.totals()
if hidden:
    st.caption(f"{figures.count_text(hidden, 'answer')} from weeks with {ui.suppressed_text(settings)} are hidden for anonymity.")

stored_fingerprint, not_analysed = data.analysis_state()
if not settings.analyse_feedback:
    st.info("Themes and sentiment are turned off (`analyse_feedback = false` in review_pulse.toml): "
            "the answers are listed below without them.")
elif stored_fingerprint != fingerprint(settings.feedback_themes) or not_analysed:
    st.warning("Themes and sentiment are out of date: the theme settings changed, or answers were loaded before "
               "they existed. Run an ingest (the same export again will do) to recompute them:")
    st.code(ui.ingest_command(view.db_path), language="bash", wrap_lines=True)

# --- themes at a glance ---
if shown > 0:
    st.subheader("Themes")
    overview = ui.show_chart(feedback_report.feedback_themes, view).rows  # the chart's rows, built once per snapshot
    # Built only while open: the trend reads every quarter's comments, whatever the period.
    with st.expander("Themes per quarter", key=ui.THEME_TREND_OPEN, on_change="rerun") as trend:
        if trend.open:
            ui.show_chart(feedback_report.feedback_theme_trend, view)
    quotes = data.quotes()
    mix = {(theme_id, sentiment): int(comments)
           for theme_id, sentiment, comments in zip(overview["theme"], overview["sentiment"], overview["comments"])}
    theme_totals = {theme_id: int(total) for theme_id, total in zip(overview["theme"], overview["theme_total"])}
    st.subheader("What people said")
    if not quotes:
        st.caption(f"Quotes appear for themes with at least {minimum} comments in the period.")
    cards = st.columns(2)
    for number, (theme_id, picked) in enumerate(quotes.items()):
        with cards[number % 2].container(border=True):
            st.caption(f"**{markdown_literal(names[theme_id])}** · {theme_totals[theme_id]} comments · "
                       + " · ".join(f"{mix.get((theme_id, s), 0)} {s}" for s in SENTIMENTS))
            for sentiment, text in picked:
                st.text(f"“{text}” ({sentiment})")  # plain text: no Markdown, links, images or HTML
    with st.expander("Emerging topics (what the theme dictionary may miss)"):
        st.caption("Topics found in the words themselves (TF-IDF + NMF, computed on this machine). "
                   f"A topic is shown when at least {minimum} comments belong to it.")
        if st.toggle("Find emerging topics", key="feedback_topics"):
            topics = data.emerging_topics()
            if not topics:
                st.info("Not enough comments in this period to find topics.")
            for number, topic in enumerate(topics, 1):
                st.caption(f"**Topic {number}:** {markdown_literal(', '.join(topic.terms))} · {topic.comments} comments, "
                           f"{topic.untagged} with no theme from the dictionary")
                for example in topic.examples:
                    st.text(f"“{example}”")

# --- the answers ---
st.subheader("Answers")
search = st.text_input("Search feedback", key="feedback_search", placeholder="e.g. roadmap, action items")
chip_themes = tuple(st.pills("Theme", list(names), selection_mode="multi", key="feedback_themes",
                             format_func=lambda theme_id: markdown_literal(names[theme_id])) or ())  # labels are Markdown
chip_sentiments = tuple(st.pills("Sentiment", list(SENTIMENTS), selection_mode="multi", key="feedback_sentiments",
                                 format_func=str.capitalize) or ())
filters = (search, chip_themes, chip_sentiments)
if st.session_state.get("feedback_shown_for") != (view, filters):
    st.session_state["feedback_shown_for"] = (view, filters)
    st.session_state["feedback_shown"] = PAGE_SIZE
total = data.count(*filters)
filtered = bool(search.strip() or chip_themes or chip_sentiments)

count_text = f"{total:,} answer{'s' if total != 1 else ''}"
if search.strip():
    count_text += f" matching “{markdown_literal(search.strip())}”"
if chip_themes or chip_sentiments:
    count_text += " in " + markdown_literal(" or ".join(names[t] for t in chip_themes) or "any theme")
    count_text += (", " + " or ".join(chip_sentiments)) if chip_sentiments else ""
if filtered and 0 < total < minimum:
    # A narrow filter would single out a few people's words: say so instead of showing them.
    st.info(f"{ui.suppressed_text(settings, 'comments').capitalize()} match these filters; they are not shown, for anonymity. Widen the filters.")
    st.stop()
st.markdown(f"**{count_text}** to *{markdown_literal(settings.feedback_question.text)}*")

answers = data.comments(*filters, limit=st.session_state["feedback_shown"])
if answers.empty:
    st.info("No feedback matches." if filtered else "No open-text feedback in this period yet.")
    st.stop()

ui.csv_download(lambda: data.comments(*filters).assign(themes=lambda f: f["themes"].map(", ".join)), "feedback")
for week, text, sentiment, _score, themes in answers.itertuples(index=False):
    with st.container(border=True):
        tags = " · ".join([sentiment.capitalize(), *(names.get(t, t) for t in themes)])
        st.caption(f"Week of {week:%d %b %Y} · {markdown_literal(tags)}")
        st.text(text)  # plain text: no Markdown, links, images or HTML

if total > len(answers):
    more = min(PAGE_SIZE, total - len(answers))

    def show_more() -> None:
        st.session_state["feedback_shown"] += PAGE_SIZE

    st.button(f"Show {more} more of {total - len(answers):,}", on_click=show_more)
