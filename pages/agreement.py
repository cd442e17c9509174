"""Survey agreement: weekly agreement per statement against the target, and the spread of answers."""

import streamlit as st

from dashboard import ui
from review_pulse import figures, report

view = ui.current_view()
st.title("Survey agreement")
if not ui.require_data(view):
    st.stop()
ui.data_caption(view)

metric = st.segmented_control(
    "Show",
    options=["mean", "agree"],
    format_func={"mean": "Mean score (1–5)", "agree": "% agree"}.get,
    default="mean",
    key="agreement_metric",
) or "mean"
ui.show_chart(report.weekly_agreement, view, metric)
st.caption(
    f"Weeks below the target are circled. Weeks with {ui.suppressed_text(view.settings)} are hidden "
    "for anonymity, and so is a statement that fewer people answered in a week (a gap in its line); "
    "the bars under the chart show how many people answered each week. "
    f"{figures.AGREE_RULE}; a mean meets the target when the mean as shown (2 decimals) is at or above it."
)

st.subheader("How the room answered")
st.caption("A mean hides a split room: the spread of answers over the period, centred on neutral.")
ui.show_chart(report.answer_distribution, view)
