"""Data: where the numbers come from, how fresh they are, and what was rejected."""

from pathlib import Path

import streamlit as st

from core.plain_text import markdown_literal
from dashboard import ui
from review_pulse import queries
from core.run_log import failed_runs

view = ui.current_view()
st.title("Data")
st.caption(f"Database: {markdown_literal(view.db_path)}")

failures = failed_runs(view.db_path)
if not ui.require_data(view):
    if not failures.empty and view.status().state != "unreadable":  # the damaged-file page lists them
        st.subheader("Failed runs")
        st.dataframe(failures, hide_index=True, width="stretch")
    st.stop()

fresh = view.freshness()
counts = view.table_counts()
cols = st.columns(4)
cols[0].metric("Latest response", f"{fresh.latest_response:%Y-%m-%d}" if fresh.latest_response else "—")
cols[1].metric("Latest meeting", f"{fresh.latest_meeting:%Y-%m-%d}" if fresh.latest_meeting else "—")
cols[2].metric("Responses stored", f"{counts['responses']:,}")
cols[3].metric("Rejected rows", f"{counts['rejects']:,}")
for scale_max, answers in view.rescaled_answers():
    st.info(f"{answers:,} answers were given on a {scale_max}-point scale (the *Answer scale* chosen when the export "
            "was mapped on Load data) and rescaled linearly onto 1–5 for every figure; the answers as given are kept.")

st.subheader("Ingestion runs")
runs = view.ingest_runs()
runs["sources"] = runs["sources"].map(lambda text: ", ".join(Path(s).name if "/" in s else s for s in text.splitlines()))
st.dataframe(
    runs[["run_id", "finished_at", "sources", "responses_added", "responses_present", "rejects_added",
          "meetings_loaded", "dropped_columns"]],
    hide_index=True,
    width="stretch",
    column_config={
        "run_id": st.column_config.NumberColumn("Run", width="small"),
        "finished_at": st.column_config.DatetimeColumn("Finished (UTC)", format="YYYY-MM-DD HH:mm"),
        "sources": st.column_config.TextColumn("Sources", width="medium"),
        "responses_added": st.column_config.NumberColumn("Responses added"),
        "responses_present": st.column_config.NumberColumn("Already present"),
        "rejects_added": st.column_config.NumberColumn("New rejects"),
        "meetings_loaded": st.column_config.NumberColumn("Meetings"),
        "dropped_columns": st.column_config.TextColumn("Columns not stored"),
    },
)
if not failures.empty:
    st.subheader("Failed runs")
    st.caption("These runs changed nothing in the database.")
    st.dataframe(failures, hide_index=True, width="stretch")

st.subheader("Rejected rows")
rejects = view.rejects()
if rejects.empty:
    st.success("No rows have been rejected.")
else:
    st.caption("Rows that could not be used: the reason and the columns involved. The rows' answers are "
               "never shown here (they may come from a week too small to show), and only mapped columns (time, "
               "statements, feedback, series) are ever stored; fix the file and load it again.")
    rejects["source_file"] = rejects["source_file"].map(lambda s: Path(s).name if "/" in s else s)
    st.dataframe(
        rejects[["source_file", "line", "reason", "columns", "kind", "run_id"]],
        hide_index=True,
        width="stretch",
        column_config={
            "source_file": st.column_config.TextColumn("File"),
            "line": st.column_config.NumberColumn("Line", width="small"),
            "reason": st.column_config.TextColumn("Reason", width="large"),
            "columns": st.column_config.TextColumn("Columns involved", width="large"),
            "kind": st.column_config.TextColumn("Kind", width="small"),
            "run_id": st.column_config.NumberColumn("Run", width="small"),
        },
    )

late = view.late_responses()
if not late.empty:
    st.subheader("Late responses")
    st.caption(f"In the quarter and series picked in the sidebar: responses that reached a week after it closed "
               f"({queries.WEEK_CLOSES_AFTER_DAYS} days after it began) and its figures were frozen — loaded late, or "
               "put there by a later change to the attendance. They are not counted in it, so two downloads of the "
               "same week can never be subtracted to reveal one person's answers. Those the attendance moved out of "
               "an earlier closed week stay counted there (its figures are frozen too): the last column.")
    st.dataframe(
        late, hide_index=True, width="content",
        column_config={"week_start": st.column_config.DateColumn("Week of", format="YYYY-MM-DD"),
                       "late_responses": st.column_config.NumberColumn("Late responses"),
                       "counted_elsewhere": st.column_config.NumberColumn("Of which counted in their frozen week")},
    )

st.subheader("Load more data")
st.page_link("pages/load_data.py", label="Upload an export or sync the sheets", icon=":material/upload_file:")
st.caption("Or from a terminal on the server:")
st.code(ui.ingest_command(view.db_path), language="bash", wrap_lines=True)
st.caption("Re-loading the same or a larger export only adds what is new. See the README for Google Sheets.")
