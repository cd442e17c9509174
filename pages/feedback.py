"""Feedback: the open-text answers, newest first, shown as plain text."""

import streamlit as st

from review_pulse import ui

SHOWN = 500  # newest answers sent to the browser; search narrows, the CSV holds them all

view = ui.current_view()
st.title("Feedback")
if not ui.require_data(view):
    st.stop()
ui.data_caption(view)

search = st.text_input("Search feedback", key="feedback_search", placeholder="e.g. roadmap, action items")
total = view.feedback_count(search)
answers = view.feedback(search, limit=SHOWN)
hidden = view.hidden_feedback_count()

count_text = f"{total:,} answer{'s' if total != 1 else ''}"
if search.strip():
    count_text += f" matching “{search.strip()}”"
st.markdown(f"**{count_text}** to *{view.settings.feedback_question.text}*")
if hidden:
    st.caption(f"{hidden} answer(s) from weeks with {ui.suppressed_text(view.settings)} are hidden for anonymity.")

if answers.empty:
    st.info("No feedback matches." if search.strip() else "No open-text feedback in this period yet.")
else:
    if total > len(answers):
        st.caption(f"Showing the newest {len(answers):,}; search to narrow, or download them all as CSV.")
    # st.dataframe shows text as text: no Markdown or HTML in feedback is rendered.
    st.dataframe(
        answers.rename(columns={"week_start": "Week", "text": "Feedback"}),
        hide_index=True,
        width="stretch",
        column_config={
            "Week": st.column_config.DateColumn("Week", format="YYYY-MM-DD", width="small"),
            "Feedback": st.column_config.TextColumn("Feedback", width="large"),
        },
    )
    ui.csv_download(lambda: view.feedback(search), "feedback")
