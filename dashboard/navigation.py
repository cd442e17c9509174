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


# Offered only when the DB holds two or more review series (issue 26), after the Overview.
SERIES_PAGE = ("pages/series.py", "Series", ":material/view_list:")


def page_list(with_series: bool) -> list[tuple[str, str, str]]:
    """The pages offered, in order: the Series page right after the Overview when there are several series."""
    return [PAGES[0], *([SERIES_PAGE] if with_series else []), *PAGES[1:]]


def pages(with_series: bool = True) -> list[st.Page]:
    import streamlit as st  # PAGES alone is read without Streamlit (the browser tests' page list)

    return [st.Page(path, title=title, icon=icon, default=index == 0)
            for index, (path, title, icon) in enumerate(page_list(with_series))]
