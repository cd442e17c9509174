"""Data: where the numbers come from, how fresh they are, and what was rejected."""

from pathlib import Path

import streamlit as st

from review_pulse import ui
from review_pulse.run_log import failed_runs

view = ui.current_view()
st.title("Data")
st.caption(f"Database: `{view.db_path}`")

failures = failed_runs(view.db_path)
if not ui.require_data(view):
    if not failures.empty:
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
        "dropped_columns": st.column_config.TextColumn("Identity columns dropped"),
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
    st.caption("Rows that could not be used, with the reason. Identity columns were removed before storing.")
    rejects["source_file"] = rejects["source_file"].map(lambda s: Path(s).name if "/" in s else s)
    st.dataframe(
        rejects[["source_file", "line", "reason", "raw", "kind", "run_id"]],
        hide_index=True,
        width="stretch",
        column_config={
            "source_file": st.column_config.TextColumn("File"),
            "line": st.column_config.NumberColumn("Line", width="small"),
            "reason": st.column_config.TextColumn("Reason", width="large"),
            "raw": st.column_config.TextColumn("Row as read", width="large"),
            "kind": st.column_config.TextColumn("Kind", width="small"),
            "run_id": st.column_config.NumberColumn("Run", width="small"),
        },
    )

st.subheader("Load more data")
st.page_link("pages/load_data.py", label="Upload an export or sync the sheets", icon=":material/upload_file:")
st.caption("Or from a terminal on the server:")
st.code(ui.ingest_command(view.db_path), language="bash", wrap_lines=True)
st.caption("Re-loading the same or a larger export only adds what is new. See the README for Google Sheets.")
