"""Attendance: weekly attendance, growth against the period's start, response rate, attendance dips."""

import streamlit as st

from dashboard import ui
from review_pulse import figures, report

view = ui.current_view()
st.title("Attendance")
if not ui.require_data(view):
    st.stop()
ui.data_caption(view)

rows = view.weekly_attendance()
if rows.empty:
    st.info("No attendance in this period" + (f" for {view.series}" if view.series else "")
            + ". Upload the attendance export on Load data (What are you loading? Attendance), or from the "
            "command line: `python -m pipeline ingest --attendance-sheet KEY_OR_URL --worksheet NAME`.")
    ui.load_data_link("Load attendance", kind="attendance")
    st.stop()

h = view.headline()
busy = rows[rows["busy_week"]]
first, second, third = st.columns(3)
first.metric("Attendance growth", ui.fmt_pct(h.attendance_growth_pct, signed=True),
             help=figures.GROWTH_RULE)
second.metric("Average attendance", f"{rows['attendees'].mean():.1f}", help="Mean attendees per review week")
third.metric("Attendance dips", str(len(busy)),
             help=f"Weeks below {view.settings.busy_week_ratio:.0%} of the average of the 4 weeks before")

ui.show_chart(report.attendance, view)
if not busy.empty:
    # The same words as the weekly Slack digest: figures.against_mean_text on the read layer's previous_mean.
    st.caption("Attendance dips: " + ", ".join(f"{w:%d %b} ({a} attendees, {figures.against_mean_text(a, m)})"
                                          for w, a, m in zip(busy["week_start"], busy["attendees"], busy["previous_mean"])))

st.subheader("Response rate")
ui.show_chart(report.response_rate, view)
