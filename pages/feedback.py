"""Feedback: the open-text answers, newest first, shown as plain text."""

import streamlit as st

from review_pulse import ui

PAGE_SIZE = 50  # answers per "Show more"; search narrows, the CSV holds them all

view = ui.current_view()
st.title("Feedback")
if not ui.require_data(view):
    st.stop()
ui.data_caption(view)

search = st.text_input("Search feedback", key="feedback_search", placeholder="e.g. roadmap, action items")
if st.session_state.get("feedback_shown_for") != (view, search):
    st.session_state["feedback_shown_for"] = (view, search)
    st.session_state["feedback_shown"] = PAGE_SIZE
total = view.feedback_count(search)
answers = view.feedback(search, limit=st.session_state["feedback_shown"])
hidden = view.hidden_feedback_count()

count_text = f"{total:,} answer{'s' if total != 1 else ''}"
if search.strip():
    count_text += f" matching “{ui.literal_markdown(search.strip())}”"
st.markdown(f"**{count_text}** to *{ui.literal_markdown(view.settings.feedback_question.text)}*")
if hidden:
    st.caption(f"{hidden} answer(s) from weeks with {ui.suppressed_text(view.settings)} are hidden for anonymity.")

if answers.empty:
    st.info("No feedback matches." if search.strip() else "No open-text feedback in this period yet.")
    st.stop()

ui.csv_download(lambda: view.feedback(search), "feedback")
for week, text in answers.itertuples(index=False):
    with st.container(border=True):
        st.caption(f"Week of {week:%d %b %Y}")
        st.text(text)  # plain text: no Markdown, links, images or HTML

if total > len(answers):
    more = min(PAGE_SIZE, total - len(answers))

    def show_more() -> None:
        st.session_state["feedback_shown"] += PAGE_SIZE

    st.button(f"Show {more} more of {total - len(answers):,}", on_click=show_more)
