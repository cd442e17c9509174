"""Pure export helpers: CSV (injection-safe), PNG/SVG via vl-convert, ZIP bundle,
Markdown (and optional PDF) retro summary.  No Streamlit imports, no file I/O:
everything returns bytes/str for the caller to offer as a download.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import altair as alt
import pandas as pd

from core import anonymity
from review_pulse import chart_values, figures
from review_pulse.figures import Summary
from core.plain_text import chart_text, clean_spec

__all__ = [
    "VL_VERSION",
    "ExportItem",
    "neutralise_cell",
    "frame_to_csv_bytes",
    "chart_to_png",
    "chart_to_svg",
    "chart_to_pdf",
    "export_filename",
    "build_zip",
    "summary_markdown",
    "summary_lines",
    "chart_spec",
]

#: vl-convert wants "v6_4"-style version strings; derive it from the schema
#: Altair writes so the compiled spec and the converter always agree.
VL_VERSION = "_".join(alt.SCHEMA_VERSION.split(".")[:2])

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def neutralise_cell(value: Any) -> Any:
    """OWASP CSV-injection guard: prefix risky *strings* with a single quote.

    Strings starting with ``= + - @``, tab or carriage return get a leading
    ``'``.  Anything that is not a string (numbers, including negative ones,
    dates, None) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _iso(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return value
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is None and value == value.normalize():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _csv_column(col: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        s = pd.to_datetime(col)
        if getattr(s.dt, "tz", None) is None and bool((s.dropna() == s.dropna().dt.normalize()).all()):
            out = s.dt.strftime("%Y-%m-%d")
        else:
            out = s.map(lambda v: v.isoformat() if pd.notna(v) else None)
        return out.astype(object).where(s.notna(), None)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col
    # object / string / category columns: convert dates, neutralise strings.
    return col.astype(object).map(lambda v: neutralise_cell(_iso(v)))


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for Excel & co: UTF-8 with BOM, no index, ISO dates, every string
    cell (and header) neutralised against formula injection."""
    out = pd.DataFrame({i: _csv_column(frame.iloc[:, i]) for i in range(frame.shape[1])})
    out.columns = [neutralise_cell(str(c)) for c in frame.columns]
    text = out.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------


def chart_spec(chart: Any, validate: bool = True) -> dict:
    """The Vega-Lite spec of a chart, as the browser and vl-convert get it: every string
    cleaned of control characters, which make vl-convert abort the whole process.

    ``validate=False`` skips Altair's JSON-schema check (half of ``to_dict``; the spec is the same):
    for the page, whose charts are the exports' charts, which are checked on every export."""
    return clean_spec(dict(chart) if isinstance(chart, Mapping) else chart.to_dict(validate=validate))



def chart_to_svg(chart: alt.TopLevelMixin | Mapping) -> str:
    """Render an Altair chart (or a Vega-Lite dict) to an SVG string."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart_spec(chart), vl_version=VL_VERSION)


def chart_to_png(chart: alt.TopLevelMixin | Mapping, scale: float = 2) -> bytes:
    """Render to PNG; ``scale=2`` gives a sharp image for slides (2x the SVG size)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart_spec(chart), vl_version=VL_VERSION, scale=scale)


def chart_to_pdf(chart: alt.TopLevelMixin | Mapping) -> bytes:
    """Render to a (vector) PDF."""
    import vl_convert as vlc

    return vlc.vegalite_to_pdf(chart_spec(chart), vl_version=VL_VERSION)


# --------------------------------------------------------------------------
# File names & ZIP
# --------------------------------------------------------------------------

_QUARTER_RE = re.compile(r"^\d{4}-Q[1-4]$")


def _safe_token(text: str, *, keep_case: bool = False) -> str:
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    token = re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-")
    token = token if keep_case else token.lower()
    return token[:60].strip("-")


def export_filename(slug: str, quarter_label: str, ext: str) -> str:
    """``weekly-agreement_2026-Q2.png``; "All time" -> ``all-time``.

    Only ``[A-Za-z0-9._-]`` survive: no spaces, no path separators, no "..".
    """
    slug_part = _safe_token(slug) or "chart"
    quarter = _safe_token(quarter_label, keep_case=True)
    quarter_part = quarter if _QUARTER_RE.match(quarter) else quarter.lower()
    quarter_part = quarter_part or "all-time"
    ext_part = re.sub(r"[^a-z0-9]", "", str(ext).lower().lstrip(".")) or "bin"
    return f"{slug_part}_{quarter_part}.{ext_part}"


@dataclass
class ExportItem:
    """One chart to export, with exactly the rows it shows, and the rows of its CSV: the same, or, for a chart
    that draws the latest of many (``all_rows``), every one of them, read only when the CSV is made."""

    slug: str
    title: str
    chart: Any
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    all_rows: Callable[[], pd.DataFrame] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The finished chart's rows (every layer's) as the values Altair would make of them, made a column
        # at a time (review_pulse.chart_values): the same spec, built in a fraction of the time.
        chart_values.use_chart_values(self.chart)

    def csv_rows(self) -> pd.DataFrame:
        if self.all_rows is not None:
            return self.all_rows()
        return self.rows if self.rows is not None else pd.DataFrame()


def _zip_write(zf: zipfile.ZipFile, name: str, data: bytes, made: dt.date) -> None:
    # The export's day at midnight: an unzipped file shows when it was exported (not 1980), and
    # two exports of the same data on one day are still the same bytes.
    info = zipfile.ZipInfo(name, date_time=(made.year, made.month, made.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def _safe_member_name(name: str) -> str:
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()).strip("-")
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)
    if not stem:
        raise ValueError(f"unsafe or empty file name in ZIP: {name!r}")
    return f"{stem}.{ext}" if ext else stem


def build_zip(
    items: list[ExportItem],
    quarter_label: str,
    extra_files: Mapping[str, bytes | str] | None = None,
    made: dt.date | None = None,
) -> bytes:
    """ZIP with ``<slug>_<quarter>.png`` (scale 2), ``.svg`` and ``.csv`` per
    item (in item order), then ``extra_files`` sorted by name.  Every entry is dated
    ``made`` (default: today, UTC) at midnight, so the same input on one day gives
    byte-identical output."""
    made = made or dt.datetime.now(dt.timezone.utc).date()
    import vl_convert as vlc

    names: set[str] = set()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def add(name: str, data: bytes) -> None:
            if name in names:
                raise ValueError(f"duplicate file name in ZIP: {name}")
            names.add(name)
            _zip_write(zf, name, data, made)

        for item in items:
            svg = chart_to_svg(item.chart)
            # Rasterise the SVG we already have: one Vega render instead of two,
            # and the PNG is exactly 2x the SVG.
            png = vlc.svg_to_png(svg, scale=2)
            add(export_filename(item.slug, quarter_label, "png"), png)
            add(export_filename(item.slug, quarter_label, "svg"), svg.encode("utf-8"))
            add(export_filename(item.slug, quarter_label, "csv"), frame_to_csv_bytes(item.csv_rows()))
        for name in sorted((extra_files or {}).keys()):
            data = extra_files[name]
            add(_safe_member_name(name), data.encode("utf-8") if isinstance(data, str) else bytes(data))
    return buf.getvalue()


# --------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------

DASH = "—"


def summary_lines(s: Summary) -> list[tuple[str, str]]:
    """(label, text) pairs of the retro summary: the headline's figures as every surface shows them."""
    h = s.headline
    hidden = f"{DASH} (hidden: {anonymity.fewer_than(s.min_group_size)})"
    rows: list[tuple[str, str]] = []
    if h.verdict is None:
        rows.append(("Average score", f"{DASH} ({figures.missing_average(h, s.min_group_size)})"))
    else:
        rows.append(("Average score", f"{h.verdict.shown} / 5"))
    rows.append(("Target", f"{h.target:g} / 5 {DASH} {figures.target_status(h)}"))
    if h.previous_average is None:
        rows.append(("Previous period", f"{DASH} (no comparable data)"))
    elif h.average_score is None:
        rows.append(("Previous period", f"{figures.score_text(h.previous_average)} / 5"))
    else:
        rows.append(("Previous period", f"{figures.score_text(h.previous_average)} / 5 (change {h.change})"))
    if h.latest_week is None:
        rows.append(("Latest week", f"{DASH} (no review held yet)"))
    elif h.latest_week_score is None:
        rows.append(("Latest week", f"{h.latest_week.isoformat()}: {hidden}"))
    else:
        flag = "at target" if h.latest_week_meets_target else "below target"
        rows.append(("Latest week", f"{h.latest_week.isoformat()}: {figures.score_text(h.latest_week_score)} / 5 ({flag})"))
    rows.append(("Weeks at target", f"{h.weeks_at_target} of {h.weeks_scored} weeks with scores shown"))
    growth = h.attendance_growth_pct
    rows.append(("Attendance growth",
                 f"{DASH} (not enough weeks yet)" if growth is None else f"{growth:+.0f}% ({figures.growth_basis(h.growth_weeks)})"))
    rows.append(("Response rate", f"{DASH} (hidden or no attendance recorded)" if h.response_rate is None
                 else figures.percent_text(h.response_rate)))
    rows.append(("Responses", f"{h.responses}"))
    return rows


def summary_markdown(s: Summary) -> str:
    """One-page Markdown retro summary from the headline figures."""
    # Quarter and series are user-supplied: escaped like the table cells, on one line.
    heading = f"# Review Pulse {DASH} {md_inline(s.quarter)}" + (f" · {md_inline(s.series)}" if s.series else "")
    lines = [heading, ""]
    lines += ["| Measure | Value |", "| --- | --- |"]
    for label, text in summary_lines(s):
        lines.append(f"| {label} | {md_inline(text)} |")
    lines.append("")
    notes = [s.freshness.strip()] if s.freshness.strip() else []
    notes.append(anonymity.rule_note(s.min_group_size))
    notes.append("Scores: 1 = strongly disagree … 5 = strongly agree")
    notes.append(figures.AGREE_RULE)
    lines.append("_" + " · ".join(md_inline(x) for x in notes) + "_")
    lines.append("")
    return "\n".join(lines)


# Every character that starts Markdown or HTML inline syntax (links, images, emphasis, code,
# tables, raw HTML and entities, strikethrough, math in GitHub's renderer); plain text
# such as "4.12 / 5" stays readable in the raw .md file.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>$&!#~])")


def md_inline(text: str) -> str:
    """User or computed text on one Markdown line: escaped, control characters and line breaks as spaces."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(chart_text(str(text)).split()))
