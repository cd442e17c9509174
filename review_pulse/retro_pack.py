"""The retro pack: every chart (PNG, SVG, CSV) and a summary for one period, for the app and the CLI."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from review_pulse import feedback_report, report, talking_points_report
from review_pulse.view import DataView
from core.errors import UserFacingError
from review_pulse.export import build_zip, export_filename, summary_markdown
from core.quarters import parse_period
from review_pulse.retro_report import retro_report_files
from core.settings import Settings


class ExportError(UserFacingError):
    """The export cannot be made (unknown quarter, no data…)."""


def build_retro_pack(view: DataView) -> bytes:
    files = {export_filename("summary", view.period.title, "md"): summary_markdown(view.summary())}
    # talking points: issue 12; feedback themes: issue 15
    items = report.all_items(view) + talking_points_report.talking_point_items(view) + feedback_report.feedback_items(view)
    items_of_actions, files_of_actions = _actions_part(view)
    files.update(files_of_actions)
    # Issue 15: summary_<quarter>.pdf is the multi-page retro report; slides and the feedback CSV join it.
    files.update(retro_report_files(view, items=items + items_of_actions))
    return build_zip(items + items_of_actions, view.period.title, files)


# --- follow-up actions (issue 13): their charts, summary and the open list, when any are loaded ---
def _actions_part(view: DataView) -> tuple[list, dict[str, bytes | str]]:
    from review_pulse import action_report
    from review_pulse.export import frame_to_csv_bytes

    if view.action_count() == 0:
        return [], {}
    quarter = view.period.title
    return action_report.all_action_items(view), {
        export_filename("actions-summary", quarter, "md"): action_report.summary_markdown(view),
        export_filename("open-actions", quarter, "csv"): frame_to_csv_bytes(action_report.open_actions_rows(view)),
    }
# --- end of follow-up actions ---


def retro_pack_filename(view: DataView) -> str:
    return export_filename("retro-pack", view.period.title, "zip")


def export_quarter(
    db_path: Path, settings: Settings, quarter: str, out_dir: Path, series: str | None = None, as_zip: bool = False,
    organisation: bool = False,
) -> list[Path]:
    """What `python -m pipeline export` runs: the same files the app's Retro pack button gives (with
    ``organisation``: the Series page's organisation pack)."""
    if organisation and series is not None:
        raise ExportError("--organisation compares every review series: leave out --series")
    period = parse_period(quarter, settings.fiscal_year_start_month)
    if period is None:
        raise ExportError(f"--quarter {quarter!r}: use a quarter such as 2026-Q2, or 'all'")
    if not db_path.exists():
        raise ExportError(f"{db_path}: no database; run `python -m pipeline ingest` first")
    view = DataView(db_path, period, series, settings)
    if view.status().state != "ready":
        raise ExportError(f"{db_path}: the database holds no data yet")
    if series is not None and series not in view.series_options():
        raise ExportError(f"no review series {series!r}; the database has {', '.join(view.series_options())}")
    if organisation:
        from review_pulse.action_report import today_for
        from review_pulse.series_pack import build_series_pack, series_pack_filename

        if len(view.series_options()) < 2:
            raise ExportError(f"{db_path}: --organisation compares review series, and the database holds one")
        pack, pack_name = build_series_pack(view, today_for(view)), series_pack_filename(view)
    else:
        pack, pack_name = build_retro_pack(view), retro_pack_filename(view)
    out_dir.mkdir(parents=True, exist_ok=True)
    if as_zip:
        target = out_dir / pack_name
        target.write_bytes(pack)
        return [target]
    written = []
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        for name in archive.namelist():
            target = out_dir / name
            target.write_bytes(archive.read(name))
            written.append(target)
    return written
