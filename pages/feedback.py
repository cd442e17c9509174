"""Feedback: the open-text answers, newest first, shown as plain text."""

import streamlit as st

from review_pulse import ui

view = ui.current_view()
st.title("Feedback")
if not ui.require_data(view):
    st.stop()
ui.data_caption(view)

search = st.text_input("Search feedback", key="feedback_search", placeholder="e.g. roadmap, action items")
answers = view.feedback(search)
hidden = view.hidden_feedback_count()

count_text = f"{len(answers)} answer{'s' if len(answers) != 1 else ''}"
if search.strip():
    count_text += f" matching “{search.strip()}”"
st.markdown(f"**{count_text}** to *{view.settings.feedback_question.text}*")
if hidden:
    st.caption(f"{hidden} answer(s) from weeks with {ui.suppressed_text(view.settings)} are hidden for anonymity.")

if answers.empty:
    st.info("No feedback matches." if search.strip() else "No open-text feedback in this period yet.")
else:
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
    ui.csv_download(answers, "feedback")
