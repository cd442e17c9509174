"""Series: which reviews are healthy and which need help, every series side by side (issue 26)."""

import streamlit as st

from dashboard import ui
from review_pulse import action_report, figures, series_report

ui.follow_series_drill_down()  # a row was clicked: open that series' Overview
view = ui.current_view()
st.title("Review series compared")
if not ui.require_data(view):
    st.stop()

settings = view.settings
today = action_report.today_for(view)
sorts = {key: label for key, (label, _column, _ascending) in series_report.SORTS.items()}
sort = ui.url_choice(st.columns([2, 3])[0], "Sort by", "sort", sorts, series_report.DEFAULT_SORT)
result = series_report.comparison(view, today, sort)
hidden = int(result.rows["hidden"].sum())
st.caption(f"{view.period.title} · {len(result.rows)} series, whatever the sidebar's series filter · the Overview's "
           f"figures for each series, target {settings.target_score:g}"
           + (f" · {hidden} hidden ({figures.hidden_every_week(settings.min_group_size)})" if hidden else ""))
st.caption("Click a row to open that series' Overview. Sort with *Sort by* (kept in the link) or a column header.")
ui.series_table(series_report.table_rows(result, settings.min_group_size), settings)
ui.csv_download(lambda: series_report.comparison_rows(result, settings.min_group_size), "series-comparison")

per = "week" if result.bucket == "week" else "quarter"  # All time: per quarter
st.subheader(f"Score per {per}, per series")
ui.show_chart(series_report.small_multiples, view, today, sort, fit_width=False)
st.subheader(f"Series × {per}s")
ui.show_chart(series_report.heat_strip, view, today, sort)

st.divider()
st.subheader("Organisation retro pack")
st.caption(f"The comparison and one page per series for {view.period.title}, as a PDF report and slides (PPTX), "
           "with both charts as PNG, SVG and CSV and the table as CSV, in one ZIP. Building it draws a chart per "
           "series, so it takes a while with many series.")
ui.series_pack_button(view, today)
