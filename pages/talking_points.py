"""Talking points: what the room chose in each review's opening poll, and the themes that keep coming back."""

import shlex

import streamlit as st

from dashboard import data, ui
from review_pulse import figures, talking_points_report

view = ui.current_view()
st.title("Talking points")
if not ui.require_data(view):
    st.stop()
ui.data_caption(view)

polls = view.poll_count()
if not polls:
    db = shlex.quote(str(view.db_path))
    st.info("No talking-point polls in this period. Load the review channel's Slack export (Polly or Simple Poll "
            "polls), a talking-points sheet, or a poll app's export on the Load data page:")
    ui.load_data_link("Load talking-point polls", kind="polls")
    st.caption("Or from a terminal:")
    st.code(f"python -m pipeline ingest --db {db} --polls slack_export.zip\n"
            f"python -m pipeline ingest --db {db} --polls talking_points.csv\n"
            f"python -m pipeline ingest --db {db} --polls-sheet SHEET_KEY_OR_URL --worksheet NAME",
            language="bash", wrap_lines=True)
    st.caption("Name recurring themes with [[themes]] in review_pulse.toml (see the README), then load again.")
    st.stop()

h = data.run_on_view(talking_points_report.poll_headline, view)
first, second, third, fourth = st.columns(4)
first.metric("Reviews with a poll", f"{h.reviews}", help="Review weeks in the period with at least one poll")
second.metric("Votes", f"{h.votes:,}")
third.metric("Top pick was a theme", f"{h.theme_picks} of {h.decided}",
             help="Reviews whose most-voted point was a cross-incident theme (reviews where nobody voted are left out)")
fourth.metric("“Other” votes", ui.fmt_pct(None if h.other_vote_share is None else 100 * h.other_vote_share),
              help="Share of all votes that went to “Other” / “Something else”")

st.subheader("What the room chose")
ui.show_chart(talking_points_report.talking_point_choices, view)
# Built only while open: over All time the table is every option of every review (52,200 rows at 40 series).
with st.expander("Every option, per review", key=ui.OPTIONS_TABLE_OPEN, on_change="rerun") as options_table:
    if options_table.open:
        st.dataframe(  # cells are shown as plain text
            data.run_on_view(talking_points_report.choices_table, view), hide_index=True, width="stretch",
            column_config={"week": "Week", "series": "Series", "point": "Talking point", "kind": "Kind", "theme": "Theme",
                           "votes": st.column_config.NumberColumn("Votes", format="%d"),
                           "share": st.column_config.NumberColumn("Share", format="percent"), "top": "Top",
                           "discussed": "Discussed"},
        )

st.subheader("Recurring themes")
themes = view.recurring_themes()
if themes.empty:
    st.info("No option matched a theme in this period. Add [[themes]] with keywords to review_pulse.toml, "
            "then load the polls again; the ingest summary lists the options that matched none.")
else:
    trends = themes[themes["trend"]]
    st.caption(f"{len(trends)} of {figures.count_text(len(themes), 'theme')} came up in 3 or more reviews this period (a trend).")
    ui.show_chart(talking_points_report.recurring_themes, view)
    st.subheader("Theme timeline")
    ui.show_chart(talking_points_report.theme_timeline, view)

st.subheader("Themes vs the incident")
ui.show_chart(talking_points_report.topic_balance, view)

st.subheader("Beside the survey")
st.caption("Survey means in weeks whose most-voted point was a cross-incident theme, beside weeks whose top "
           "pick was the incident itself. This shows the two side by side only: it makes no causal claim, "
           "and other things differ between those weeks.")
ui.show_chart(talking_points_report.beside_survey, view)
hidden = view.beside_survey_hidden_weeks()
if hidden:
    st.caption(f"{figures.count_text(hidden, 'review week')} with {ui.suppressed_text(view.settings)} are left out for anonymity.")
