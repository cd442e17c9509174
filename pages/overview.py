"""Overview: is the review healthy, and is it getting better?"""

import streamlit as st

from dashboard import data, ui
from review_pulse import attendance_risk, figures, report
from core.plain_text import markdown_literal
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
    help=figures.GROWTH_RULE
    + (f" ({h.growth_weeks} review weeks with attendance)" if h.growth_weeks else ""),
)
rate.metric(
    "Response rate",
    ui.fmt_pct(None if h.response_rate is None else h.response_rate * 100),
    help=figures.RESPONSE_RATE_RULE[0].upper() + figures.RESPONSE_RATE_RULE[1:],
)
weeks.metric(
    "Weeks at target",
    f"{h.weeks_at_target} of {h.weeks_scored}",
    help=f"Weeks whose average score, as shown, is at least {settings.target_score:g}, out of weeks with scores shown"
    + (f"; {h.weeks_hidden} hidden ({ui.suppressed_text(settings)})" if h.weeks_hidden else ""),
)

if h.verdict is not None:
    (st.success if h.verdict.meets else st.warning)(h.verdict.sentence)

# Attendance early warning (issue 25): the next review after the series' latest, from all its history.
outlook = data.run_on_view(attendance_risk.outlook, view)  # cached: its pandas work is not redone per rerun
if isinstance(outlook, attendance_risk.TooLittleHistory):
    st.caption(outlook.sentence)
else:
    if outlook.at_risk:  # st.error is kept for errors
        st.warning(markdown_literal(outlook.sentence), icon=":material/group_off:")
    else:
        st.info(markdown_literal(outlook.sentence), icon=":material/groups:")
    with st.expander("Attendance early warning: why, and what helped before"):
        st.markdown("\n".join(f"- {markdown_literal(reason[:1].upper() + reason[1:])}" for reason in outlook.reasons))
        if outlook.suggestions:
            st.markdown("**After earlier dips**\n\n" + "\n".join(f"- {markdown_literal(s)}" for s in outlook.suggestions))
        else:
            st.caption("No earlier dip has recovered yet, so there is nothing to learn from.")
        st.caption(f"A dip: attendance below {settings.busy_week_ratio:.0%} of the mean of the 4 review weeks before. "
                   "Busy weeks come from `[calendar] busy_weeks` in the settings; the attendance sheet has dates, "
                   "no times, so time slots are not compared.")

ui.show_chart(report.score_trend, view)

st.divider()
st.subheader("Retro pack")
st.caption(f"Every chart as PNG and SVG with its CSV, the retro report (PDF) and slides (PPTX), and the "
           f"feedback with themes and sentiment (CSV) for {view.period.title}, in one ZIP.")
ui.retro_pack_button(view)
