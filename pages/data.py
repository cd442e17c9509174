"""Data: where the numbers come from, how fresh they are, and what was rejected."""

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
st.dataframe(runs, hide_index=True, width="stretch")
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
    st.dataframe(rejects, hide_index=True, width="stretch")

st.subheader("Load more data")
st.code(ui.ingest_command(view.db_path), language="bash")
st.caption("Re-loading the same or a larger export only adds what is new. See the README for Google Sheets.")
