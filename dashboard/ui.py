"""Streamlit pieces shared by app.py and the pages: filters, empty states, charts with downloads."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from core import anonymity
from core.errors import UserFacingError
from core.access import sign_in_allowed
from dashboard import navigation
from dashboard.data import CACHE_KEYS, CACHE_TTL_SECONDS, cached_view
from review_pulse import figures
from review_pulse.view import DataView, latest_period
from review_pulse.export import ExportItem, chart_spec, chart_to_png, chart_to_svg, export_filename, frame_to_csv_bytes
from core.plain_text import markdown_literal
from core.quarters import ALL_TIME, ALL_TIME_PERIOD, parse_period
from core.settings import Settings
from core.store import data_version

ALL_SERIES = "All series"
VIEW_KEY = "review_pulse_view"
QUARTER_IN_URL = "quarter_in_url"  # the quarter this session last wrote to the URL
RETRO_PACK_KEY = "retro_pack_built"  # (period, series, data version) and the ZIP's bytes
SERIES_PACK_KEY = "series_pack_built"  # the same, for the organisation's pack (Series page)
_LOGGER = logging.getLogger(__name__)


def sidebar_filters(db_path: Path, settings: Settings) -> DataView:
    """Draw the quarter (and series) selectors; keep them in session state and the URL.

    Streamlit clears query params when the page changes, so the selection lives
    in session state and is written back to the URL on every run of every page.
    """
    base = cached_view(db_path, ALL_TIME_PERIOD, None, settings)
    status = base.status()
    if status.state != "ready":
        st.session_state[VIEW_KEY] = base
        return base

    series_options = base.series_options()
    series: str | None = None
    if len(series_options) > 1:
        choices = [ALL_SERIES, *series_options]
        if st.session_state.get("series") not in choices:
            wanted = st.query_params.get("series")
            st.session_state["series"] = wanted if wanted in choices else ALL_SERIES
        picked = st.sidebar.selectbox("Review series", choices, key="series")
        series = None if picked == ALL_SERIES else picked

    scoped = cached_view(db_path, ALL_TIME_PERIOD, series, settings)
    periods = scoped.periods()
    labels = [p.label for p in periods] + [ALL_TIME]
    linked = st.query_params.get("quarter")
    if linked and linked != st.session_state.get(QUARTER_IN_URL):
        # A link (st.page_link with a quarter, e.g. from Load data) asked for a quarter the session
        # did not write: it wins over the quarter picked before.
        st.session_state.pop("quarter", None)
    if st.session_state.get("quarter") not in labels:
        wanted = parse_period(st.query_params.get("quarter"), settings.fiscal_year_start_month)
        if wanted is not None and wanted.label not in labels:
            labels.insert(0, wanted.label)  # a linked quarter without data still opens, empty
        st.session_state["quarter"] = wanted.label if wanted is not None else latest_period(periods).label
    if st.session_state["quarter"] not in labels:
        labels.insert(0, st.session_state["quarter"])
    st.sidebar.selectbox(
        "Quarter",
        labels,
        key="quarter",
        format_func=lambda label: "All time" if label == ALL_TIME else label,
        help="Calendar quarters" if settings.fiscal_year_start_month == 1
        else f"Fiscal quarters; the fiscal year starts in month {settings.fiscal_year_start_month}",
    )
    period = parse_period(st.session_state["quarter"], settings.fiscal_year_start_month) or ALL_TIME_PERIOD

    st.query_params["quarter"] = st.session_state[QUARTER_IN_URL] = period.label
    if series is not None:
        st.query_params["series"] = series
    elif "series" in st.query_params:
        del st.query_params["series"]

    view = cached_view(db_path, period, series, settings)
    st.session_state[VIEW_KEY] = view
    return view


def current_view() -> DataView:
    if VIEW_KEY not in st.session_state:
        # Streamlit ran this page file without app.py: a deep link opened before the entry
        # point ever ran on this server, while the legacy pages/ auto-detection is still on.
        # Registering our navigation turns that mode off; the rerun goes through app.py.
        st.navigation(navigation.pages(), position="hidden")
        st.rerun()
    return st.session_state[VIEW_KEY]


def ingest_command(db_path: Path) -> str:
    return f"python -m pipeline ingest --db {shlex.quote(str(db_path))} --surveys SURVEY.csv --attendance ATTENDANCE.csv"


LOAD_DATA_PAGE = "pages/load_data.py"


def load_data_link(label: str = "Load data", kind: str | None = None) -> None:
    """The way to the Load data page from an empty state (it tells a viewer who may not load what to do);
    ``kind`` picks what the page offers to upload (its "What are you loading?")."""
    st.page_link(LOAD_DATA_PAGE, label=label, icon=":material/upload_file:",
                 query_params={"kind": kind} if kind else None)


def require_data(view: DataView) -> bool:
    """Show what to do when there is nothing to show; True when the page can draw."""
    status = view.status()
    if status.state == "ready":
        return True
    if status.state == "missing":
        st.info(f"No database yet at {markdown_literal(view.db_path)}. Load your survey export and attendance with:")
        st.code(ingest_command(view.db_path), language="bash", wrap_lines=True)
        st.caption("Or try the demo data: `python -m pipeline demo`")
        load_data_link("Or upload your exports on Load data")
    elif status.state == "empty" and status.detail:
        st.info(f"The database holds {status.detail}, but no survey responses or meetings yet: the pages take "
                "their quarters and review series from those. Load your survey export and attendance with:")
        st.code(ingest_command(view.db_path), language="bash", wrap_lines=True)
    elif status.state == "empty":
        st.info("The database has no survey responses or meetings yet. Load some with:")
        st.code(ingest_command(view.db_path), language="bash", wrap_lines=True)
        load_data_link("Or upload your exports on Load data")
    else:
        show_damaged_database(view.db_path, status.detail)
    return False


def show_damaged_database(db_path: Path, detail: str) -> None:
    """What every page shows when the DB file cannot be read: what happened and how to restore.

    The exports are the source of truth and re-loading them adds nothing twice, so a new
    file built from them is a full restore. The failed-run log lives beside the DB, not in it.
    """
    from core.run_log import failed_runs

    st.error("The database file is damaged and cannot be read. Nothing was changed; the dashboard "
             "will show data again once the file is replaced.")
    st.text(f"File: {db_path}\nDetail: {detail}")
    st.markdown("**How to restore**: move the damaged file aside, then load your exports again into a new "
                "file at the same path (the survey exports and the attendance sheet are the source of truth; "
                "loading the same rows twice adds nothing). If you keep backups of the file, copying the last "
                "good one back also works.")
    st.code(f"mv {shlex.quote(str(db_path))} {shlex.quote(str(db_path) + '.damaged')}\n{ingest_command(db_path)}",
            language="bash", wrap_lines=True)
    failures = failed_runs(db_path)
    if not failures.empty:
        st.subheader("Failed runs")
        st.dataframe(failures, hide_index=True, width="stretch")


def fmt_score(value: float | None, out_of: str = "") -> str:
    return "—" if value is None else f"{figures.score_text(value)}{out_of}"


def fmt_pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.0f}%" if signed else f"{value:.0f}%"


def suppressed_text(settings: Settings, what: str = "responses") -> str:
    return anonymity.fewer_than(settings.min_group_size, what)


@st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=256, show_spinner=False, hash_funcs=CACHE_KEYS)
def _built_chart(builder: Callable[..., ExportItem], view: DataView, version: tuple | None,
                 args: tuple, fit_width: bool = True) -> tuple[ExportItem, dict]:
    """Build a chart and its validated Vega-Lite spec once per view and snapshot.

    Building Altair objects and validating them costs more than everything else on a
    warm rerun; both are pure functions of the view and the data, shared read-only.
    """
    item = builder(view, *args)
    return item, page_spec(item.chart, fit_width)


def page_spec(chart: object, fit_width: bool = True) -> dict:
    """The Vega-Lite spec a page draws for ``chart`` (the benchmark draws the Overview's with it too)."""
    spec = chart_spec(chart, validate=False)  # the same spec; PNG/SVG exports of this chart validate it
    # Fit the width to the page but keep the chart's own height: Streamlit's default "fit"
    # counts titles and legends inside the height and squashes the plot.
    if fit_width:  # a single or layered view; a grid of panels (facet) keeps its own size
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    # SVG, not canvas: text stays selectable and the phone test reads every label's box from the page.
    spec["usermeta"] = {"embedOptions": {"renderer": "svg"}}
    return spec


def show_chart(builder: Callable[..., ExportItem], view: DataView, *args: object, fit_width: bool = True) -> ExportItem:
    """Draw a chart built by a ``review_pulse.report`` function, then PNG / SVG / CSV buttons that render on click."""
    item, spec = _built_chart(builder, view, data_version(view.db_path), args, fit_width)
    st.vega_lite_chart(dict(spec), width="stretch" if fit_width else "content")
    _download_buttons(item)
    return item


def _download_buttons(item: ExportItem) -> None:
    quarter = _quarter_for_files()
    key = item.slug
    columns = st.columns([1, 1, 1, 5])
    columns[0].download_button(
        "PNG", data=lambda: chart_to_png(item.chart, scale=2), file_name=export_filename(item.slug, quarter, "png"),
        mime="image/png", key=f"{key}-png", on_click="ignore", icon=":material/image:",
        help="The chart as a PNG at 2× scale, for slides",
    )
    columns[1].download_button(
        "SVG", data=lambda: chart_to_svg(item.chart), file_name=export_filename(item.slug, quarter, "svg"),
        mime="image/svg+xml", key=f"{key}-svg", on_click="ignore", icon=":material/draw:",
        help="The chart as SVG, for docs",
    )
    columns[2].download_button(
        "CSV", data=lambda: frame_to_csv_bytes(item.csv_rows()), file_name=export_filename(item.slug, quarter, "csv"),
        mime="text/csv", key=f"{key}-csv", on_click="ignore", icon=":material/table:",
        help="Exactly the rows this chart shows" if item.all_rows is None else
        "Every row of the period: the chart draws the latest of them",
    )


def _quarter_for_files() -> str:
    return current_view().period.title


def data_caption(view: DataView) -> None:
    fresh = view.freshness()
    parts = [f"{view.period.title} · {view.series_label}"]  # the series is user-supplied: escaped below
    if fresh.latest_response:
        parts.append(f"latest response {fresh.latest_response:%Y-%m-%d}")
    if fresh.latest_meeting:
        parts.append(f"latest meeting {fresh.latest_meeting:%Y-%m-%d}")
    st.caption(markdown_literal(" · ".join(parts), line_break=" "))


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all: open, for local use
        return False


def require_sign_in(settings: Settings) -> None:
    """With an [auth] section in secrets.toml, require OIDC sign-in (and an allowed domain)."""
    if not auth_configured():
        return
    if not st.user.is_logged_in:
        st.title("Review Pulse")
        st.write("Sign in to see how your incident reviews are going.")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    email = str(st.user.get("email") or "")
    if not sign_in_allowed(email, st.user.get("email_verified", None), settings.allowed_email_domains):
        st.error("This account is not allowed here. Ask an admin to add your email domain "
                 "(and sign in with a verified email address).")
        st.text(f"Signed in as: {email or 'no email address'}")  # the claim is the user's: plain text
        st.button("Sign out", on_click=st.logout)
        st.stop()
    st.sidebar.button("Sign out", on_click=st.logout)


def csv_download(rows: Callable[[], pd.DataFrame], slug: str) -> None:
    """A CSV button whose rows are fetched only when clicked."""
    st.download_button(
        "CSV", data=lambda: frame_to_csv_bytes(rows()), file_name=export_filename(slug, _quarter_for_files(), "csv"),
        mime="text/csv", key=f"{slug}-csv", on_click="ignore", icon=":material/table:",
    )


def retro_pack_button(view: DataView) -> None:
    """Build the pack on a click, then offer it; a build that fails is one line on the page.

    (A download button with a callable would build it on the click too, but a failure there
    only reaches the server log: the browser downloads nothing and says nothing.)
    """
    from review_pulse.retro_pack import build_retro_pack, retro_pack_filename

    _pack_button(view, build_retro_pack, retro_pack_filename(view), "retro-pack", "retro pack", RETRO_PACK_KEY)


def series_pack_button(view: DataView, today) -> None:  # noqa: ANN001  (a date)
    """The organisation's pack (issue 26): every series compared, then one page per series."""
    from review_pulse.series_pack import build_series_pack, series_pack_filename

    _pack_button(view, lambda v: build_series_pack(v, today), series_pack_filename(view), "series-pack",
                 "organisation pack", SERIES_PACK_KEY)


def _pack_button(view: DataView, build: Callable[[DataView], bytes], file_name: str, key: str, noun: str,
                 state_key: str) -> None:
    built_for = (view.period.label, view.series_label, data_version(view.db_path))
    if st.button(f"Build {noun}", key=f"{key}-build", icon=":material/folder_zip:"):
        st.session_state.pop(state_key, None)
        try:
            with st.spinner(f"Building the {noun}…"):
                st.session_state[state_key] = (built_for, build(view))
        except UserFacingError as exc:
            st.error(markdown_literal(f"The {noun} could not be built: {exc}", line_break=" "))
        except Exception:  # noqa: BLE001  a bug: logged with its traceback, one line on the page
            _LOGGER.exception("building the %s failed", noun)
            st.error(f"The {noun} could not be built (the error is in the server log); each chart's "
                     "PNG, SVG and CSV buttons still work.")
    built = st.session_state.get(state_key)
    if built is not None and built[0] == built_for:
        st.download_button(
            f"Download {noun} (ZIP)",
            data=built[1],
            file_name=file_name,
            mime="application/zip",
            key=key,
            on_click="ignore",
            type="primary",
            icon=":material/download:",
        )


# Expanders whose content is built only while they are open (on_change="rerun"): their open state.
THEME_TREND_OPEN = "feedback_theme_trend_open"
OPTIONS_TABLE_OPEN = "talking_points_table_open"

# --- the Series page (issue 26) ---------------------------------------------------------------------

SERIES_TABLE_KEY = "series_table"
SERIES_TABLE_ORDER = "series_table_order"  # the table's series, in the order shown
OPEN_SERIES_OVERVIEW = "series_open_overview"


def has_several_series(db_path: Path, settings: Settings) -> bool:
    """Whether the Series page is offered: the DB holds two or more review series."""
    import duckdb

    try:
        base = cached_view(db_path, ALL_TIME_PERIOD, None, settings)
        return base.status().state == "ready" and len(base.series_options()) >= 2
    except duckdb.Error:  # damaged: every page says so (app.py)
        return False


def url_choice(where, label: str, param: str, options: dict[str, str], default: str) -> str:  # noqa: ANN001
    """A selectbox whose choice lives in the URL (``?param=key``), so a link keeps it; unknown: the default."""
    key = f"url_choice_{param}"
    if st.session_state.get(key) not in options:
        wanted = st.query_params.get(param)
        st.session_state[key] = wanted if wanted in options else default
    chosen = where.selectbox(label, list(options), key=key, format_func=options.__getitem__)
    st.query_params[param] = chosen
    return chosen


def _series_row_clicked() -> None:
    # A callback: it runs before the next run draws the sidebar, so the series filter can still be set.
    selection = st.session_state[SERIES_TABLE_KEY].selection.rows
    order = st.session_state.get(SERIES_TABLE_ORDER, [])
    if selection and selection[0] < len(order):
        st.session_state["series"] = order[selection[0]]
        st.session_state[OPEN_SERIES_OVERVIEW] = True


def follow_series_drill_down() -> None:
    """After a row of the Series table was clicked: open the Overview for that series (``?series=``)."""
    if st.session_state.pop(OPEN_SERIES_OVERVIEW, False):
        st.switch_page(navigation.PAGES[0][0])


def series_table(rows: pd.DataFrame, settings: Settings) -> None:
    """The Series page's table, one row per series; a click on a row opens its Overview."""
    st.session_state[SERIES_TABLE_ORDER] = rows["series"].tolist()
    hidden = suppressed_text(settings)
    column = st.column_config
    st.dataframe(
        rows, hide_index=True, placeholder=figures.DASH,  # a hidden series' figures are missing, not zero
        width="stretch", key=SERIES_TABLE_KEY, on_select=_series_row_clicked,
        selection_mode="single-row", row_height=36,
        column_config={
            "series": column.TextColumn("Series", pinned=True, width="medium"),
            "score": column.TextColumn("Average score", help=f"Mean of every answer in the quarter's weeks, as on the "
                                       f"Overview; {hidden} in every week: no figure"),
            "target_gap": column.NumberColumn("vs target", format="%+.2f",
                                              help=f"Score as shown minus the target {settings.target_score:g}; "
                                              "the table opens sorted by it, worst first"),
            "responses": column.NumberColumn("n", help="Responses in the weeks shown"),
            "change": column.NumberColumn("Change", format="%+.2f", help="Against the previous quarter"),
            "weeks_at_target": column.TextColumn("Weeks at target", help="Weeks at target, of the weeks with scores shown"),
            "lagging_statement": column.TextColumn("Lagging statement", width="medium",
                                                   help="The statement with the lowest mean this quarter"),
            "attendance_growth_pct": column.NumberColumn("Attendance growth", format="%+.0f%%",
                                                         help=figures.GROWTH_RULE),
            "response_rate": column.NumberColumn("Response rate", format="%.0f%%",
                                                 help=figures.RESPONSE_RATE_RULE[0].upper() + figures.RESPONSE_RATE_RULE[1:]),
            "open_actions": column.NumberColumn("Open actions"),
            "overdue_actions": column.NumberColumn("Overdue"),
            "top_theme": column.TextColumn("Top recurring theme",
                                           help="The talking-point theme with most votes among those on the ballot "
                                           "in 3 or more reviews"),
            "weekly_scores": column.LineChartColumn("Weekly score", y_min=1, y_max=5,
                                                    help="Each week's average on 1–5 (each quarter's, for All time), weeks with a score "
                                                    f"shown only: the charts below show the hidden ones ({hidden})"),
        },
    )
