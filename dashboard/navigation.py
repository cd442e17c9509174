"""The dashboard's pages, in one place for app.py and for the deep-link recovery in ui.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import streamlit as st

PAGES = (
    ("pages/overview.py", "Overview", ":material/monitor_heart:"),
    ("pages/agreement.py", "Survey agreement", ":material/thumb_up:"),
    ("pages/attendance.py", "Attendance", ":material/groups:"),
    ("pages/feedback.py", "Feedback", ":material/forum:"),
    ("pages/actions.py", "Follow-up actions", ":material/task_alt:"),  # follow-up actions (issue 13)
    ("pages/talking_points.py", "Talking points", ":material/how_to_vote:"),
    ("pages/data.py", "Data", ":material/database:"),
    ("pages/load_data.py", "Load data", ":material/upload_file:"),
)


def pages() -> list[st.Page]:
    import streamlit as st  # PAGES alone is read without Streamlit (the browser tests' page list)

    return [st.Page(path, title=title, icon=icon, default=index == 0) for index, (path, title, icon) in enumerate(PAGES)]
