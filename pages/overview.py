"""Overview: is the review healthy, and is it getting better?"""

import streamlit as st

from dashboard import ui
from review_pulse import report
from core.quarters import previous_quarter

view = ui.current_view()
st.title("Incident review health")
if not ui.require_data(view):
    st.stop()

settings = view.settings
h = view.headline()
ui.data_caption(view)
previous = previous_quarter(view.period, settings.fiscal_year_start_month)

score, latest, growth, rate, weeks = st.columns(5)
score.metric(
    "Average score",
    ui.fmt_score(h.average_score, " / 5"),
    delta=None if h.average_score is None or h.previous_average is None else f"{h.change} vs {previous.label}",
    help=f"Mean of every answer in the period's weeks; target {settings.target_score:g}. "
    f"Weeks with {ui.suppressed_text(settings)} are left out.",
)
latest.metric(
    "Latest week",
    ui.suppressed_text(settings) if h.latest_week_suppressed else ui.fmt_score(h.latest_week_score, " / 5"),
    help=f"Week of {h.latest_week:%d %b %Y}" if h.latest_week else "No week in this period",
)
growth.metric(
    "Attendance growth",
    ui.fmt_pct(h.attendance_growth_pct, signed=True),
    help="Mean attendance of the period's last 4 review weeks against its first 4 (with fewer than 8 weeks: last half against first half)"
    + (f" ({h.growth_weeks} review weeks with attendance)" if h.growth_weeks else ""),
)
rate.metric(
    "Response rate",
    ui.fmt_pct(None if h.response_rate is None else h.response_rate * 100),
    help="Survey responses ÷ attendees, over weeks with attendance and enough responses to show",
)
weeks.metric(
    "Weeks at target",
    f"{h.weeks_at_target} of {h.weeks_scored}",
    help=f"Weeks whose average score, as shown, is at least {settings.target_score:g}, out of weeks with scores shown"
    + (f"; {h.weeks_hidden} hidden ({ui.suppressed_text(settings)})" if h.weeks_hidden else ""),
)

if h.verdict is not None:
    (st.success if h.verdict.meets else st.warning)(h.verdict.sentence)

ui.show_chart(report.score_trend, view)

st.divider()
st.subheader("Retro pack")
st.caption(f"Every chart as PNG and SVG with its CSV, the retro report (PDF) and slides (PPTX), and the "
           f"feedback with themes and sentiment (CSV) for {view.period.title}, in one ZIP.")
ui.retro_pack_button(view)
