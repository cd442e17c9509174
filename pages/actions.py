"""Follow-up actions: are the lessons from reviews followed through, and how do those reviews score?"""

import shlex

import streamlit as st

from core.plain_text import markdown_literal
from dashboard import data, ui
from review_pulse import action_report, figures
from core.links import markdown_destination, safe_link

OPEN_SHOWN = 100  # the CSV holds them all
ACTION_SEPARATOR = "\n\n"  # a blank line: each open action its own paragraph

view = ui.current_view()
st.title("Follow-up actions")
if not ui.require_data(view):
    st.stop()
ui.data_caption(view)

if view.action_count() == 0:
    st.info("No follow-up actions loaded yet. Load your tracker's export (a Jira or Linear CSV, GitHub issues or "
            "incident.io JSON, or a plain sheet) on the Load data page:")
    ui.load_data_link("Load follow-up actions", kind="actions")
    st.caption("Or from a terminal, for example a Jira CSV export:")
    st.code(f"python -m pipeline ingest --db {shlex.quote(str(view.db_path))} --actions jira-export.csv",
            language="bash", wrap_lines=True)
    st.caption("Also accepted: a Linear CSV export; `gh issue list --json number,title,state,stateReason,labels,"
               "createdAt,closedAt,url > issues.json`; incident.io's follow-ups JSON; or a sheet with Review date, "
               "Action, Status, Due, Done and Link columns (`--actions-sheet KEY_OR_URL --worksheet NAME`).")
    st.stop()

settings = view.settings
target = settings.action_target_days
today = action_report.today_for(view)
h = data.run_on_view(action_report.headline, view, today)  # cached per view and day: a rerun recounts nothing

if h.actions == 0:
    st.info(f"No follow-up actions from the reviews of {view.period.title}. Older actions still open are listed below.")
per_review, done_share, within, median = st.columns(4)
per_review.metric("Actions per review", "—" if h.per_review is None else f"{h.per_review:.1f}",
                  help=f"{h.linked} actions linked to the {h.reviews_held} reviews held in the period. An action "
                  "belongs to the review in its review-date column or review label, else to the latest review at most "
                  "7 days before it was created.")
done_share.metric("Done share", ui.fmt_pct(None if h.done_share is None else h.done_share * 100),
                  help=f"{h.done} of the period's {h.actions} actions are done ({h.dropped} dropped, "
                  f"{h.open_in_period} open)")
within.metric(f"Done within {target} days",
              ui.fmt_pct(None if h.done_within_target_share is None else h.done_within_target_share * 100),
              help=f"{h.done_within_target} of the {h.judged} actions created at least {target} days ago were done "
              f"within {target} days (setting action_target_days)")
median.metric("Median days to close", "—" if h.median_days_to_close is None else f"{h.median_days_to_close:.0f}",
              help="From creation to done, over the period's done actions")
open_now, overdue, oldest, _ = st.columns(4)
open_now.metric("Open now", str(h.open_now), help="Open today, created by the end of the period")
overdue.metric("Overdue", str(h.overdue_now),
               help=f"Open past the due date, or, without one, more than {target} days after creation")
oldest.metric("Oldest open", "—" if h.oldest_open_days is None else f"{h.oldest_open_days} days")

ui.show_chart(action_report.action_burnup, view)
ui.show_chart(action_report.action_time_to_close, view)

st.subheader("Open actions to revisit")
rows = action_report.open_actions_rows(view, today)
if rows.empty:
    st.success("No open actions: everything from these reviews is done or dropped.")
else:
    st.caption(f"{len(rows)} open, oldest first; {int(rows['overdue'].sum())} overdue. Bring them to the next review.")
    ui.csv_download(lambda: action_report.open_actions_rows(view, today), "open-actions")
    lines = []
    for row in rows.head(OPEN_SHOWN).itertuples(index=False):
        title = markdown_literal(row.title)  # plain text: never Markdown or HTML
        link = safe_link(row.link)
        label = f"[{title}]({markdown_destination(link)})" if link else title
        flag = ":red-badge[Overdue] " if row.overdue else ""
        where = " · ".join(markdown_literal(p) for p in (row.source, row.team) if isinstance(p, str) and p)
        lines.append(f"{flag}{label}  \n:gray[{row.age_days} days old · due {row.due_by:%d %b %Y} · {where}]")
    # One element, a paragraph per action (each escaped on its own): 100 elements cost a warm rerun ~15 ms.
    st.markdown(ACTION_SEPARATOR.join(lines))
    if len(rows) > OPEN_SHOWN:
        st.caption(f"{len(rows) - OPEN_SHOWN} more in the CSV.")

st.subheader("Beside review health")
st.caption("Each review's number of actions beside its *I learned something new* and *good use of my time* scores. "
           "An association, **not causation**: a review may produce actions because the incident was rich, not the "
           f"other way round. Weeks with {ui.suppressed_text(settings)} are hidden.")
ui.show_chart(action_report.action_review_health, view)
health = action_report.review_health_rows(view)
hidden = int(view.review_health()["suppressed"].sum())
if health.empty:
    st.info("No review week in this period has enough survey responses to show.")
else:
    st.dataframe(  # as tall as its rows: an inner scroll hid the last weeks
        health, hide_index=True, width="stretch", height="content",
        column_config={
            "week_start": st.column_config.DateColumn("Review week", format="D MMM YYYY"),
            "actions": st.column_config.NumberColumn("Actions"),
            "responses": st.column_config.NumberColumn("Responses (n)"),
            "learned_score": st.column_config.NumberColumn("Learned something new", format="%.2f"),
            "learned_answers": st.column_config.NumberColumn("n (learned)"),
            "good_use_score": st.column_config.NumberColumn("Good use of my time", format="%.2f"),
            "good_use_answers": st.column_config.NumberColumn("n (good use)"),
        },
    )
    ui.csv_download(lambda: action_report.review_health_rows(view), "actions-per-review")
if hidden:
    st.caption(f"{figures.count_text(hidden, 'review week')} hidden ({ui.suppressed_text(settings)}).")
