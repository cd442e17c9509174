"""The read layer's one entry point: a view of the DB for a period and series (no Streamlit).

Pages, exports, the retro pack and the CLI read through ``DataView``; each method calls
one named query function of the read layer directly. How a call runs is the view's
``runner``: plainly here (the CLI's export), through ``st.cache_data`` in the app
(``dashboard.data``), keyed on the DB file's identity so a new snapshot shows at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from core.quarters import ALL_TIME_PERIOD, Period, previous_quarter, quarter_for_day, quarter_for_week
from core.settings import Settings
from review_pulse import action_queries, feedback_queries, queries, series_queries, talking_points_queries
from review_pulse.figures import Headline, Summary, headline

# (query function, db_path, *arguments) -> its result
Runner = Callable[..., Any]


def run_uncached(function: Callable[..., Any], db_path: Path, *args: Any) -> Any:
    return function(db_path, *args)


@dataclass(frozen=True)
class DataView:
    """What a page or an export reads: one DB, one period, one series (None = all)."""

    db_path: Path
    period: Period
    series: str | None
    settings: Settings
    runner: Runner = field(default=run_uncached, compare=False)

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        result = self.runner(function, self.db_path, *args)
        # Callers may add columns; never let that leak into a cache.
        return result.copy() if isinstance(result, pd.DataFrame) else result

    def filters(self, period: Period | None = None) -> queries.Filters:
        week_from, week_to = (period or self.period).week_bounds
        return queries.Filters(week_from, week_to, self.series, self.settings.min_group_size)

    # --- status and choices ---
    def status(self) -> queries.DbStatus:
        return self.call(queries.db_status)  # keyed on the file's identity, so a new file is seen at once

    def series_options(self) -> list[str]:
        return self.call(queries.series_list)

    def periods(self) -> list[Period]:
        """The quarters holding at least one response or meeting, newest first (a quarter without data is
        not offered: it would open on empty pages)."""
        weeks = self.call(queries.data_weeks, self.series)
        return quarters_with_weeks(weeks, self.settings.fiscal_year_start_month)

    def run_days(self, run_id: int) -> list[date]:
        """The days a load's responses and meetings are on (the Load data page says where they went)."""
        return self.call(queries.run_days, run_id)

    # --- figures ---
    def weekly_statement_scores(self) -> pd.DataFrame:
        return self.call(queries.weekly_statement_scores, self.filters())

    def weekly_scores(self, period: Period | None = None) -> pd.DataFrame:
        return self.call(queries.weekly_scores, self.filters(period))

    def statement_scores(self, period: Period | None = None) -> pd.DataFrame:
        return self.call(queries.statement_scores, self.filters(period))

    def late_responses(self) -> pd.DataFrame:
        return self.call(queries.late_responses, self.filters())

    def answer_distribution(self) -> pd.DataFrame:
        return self.call(queries.answer_distribution, self.filters(), self.settings.statement_texts)

    def weekly_attendance(self) -> pd.DataFrame:
        return self.call(queries.weekly_attendance, self.filters(), self.settings.busy_week_ratio)

    def review_days(self) -> pd.DataFrame:
        return self.call(queries.review_days, self.filters())

    def busy_weeks(self) -> pd.DataFrame:
        """The known busy weeks loaded for this series (issue 25; whatever the period): week_start, kind."""
        return self.call(queries.busy_weeks, self.series)

    def all_time(self) -> DataView:
        """The same DB and series over every week (the early warning reads the whole history)."""
        return replace(self, period=ALL_TIME_PERIOD)

    def feedback(self, search: str = "", limit: int | None = None) -> pd.DataFrame:
        return self.call(queries.feedback, self.filters(), search, limit)

    def feedback_count(self, search: str = "") -> int:
        return self.call(queries.feedback_count, self.filters(), search)

    def hidden_feedback_count(self) -> int:
        return self.call(feedback_queries.feedback_totals, self.filters())[1]

    def freshness(self) -> queries.Freshness:
        return self.call(queries.freshness, self.series)

    def ingest_runs(self, limit: int = 20) -> pd.DataFrame:
        return self.call(queries.ingest_runs, limit)

    def rejects(self, limit: int = 1000) -> pd.DataFrame:
        return self.call(queries.rejects, limit)

    def table_counts(self) -> dict[str, int]:
        return self.call(queries.table_counts)

    def rescaled_answers(self) -> list[tuple[int, int]]:
        return self.call(queries.rescaled_answers)

    def headline(self) -> Headline:
        previous = previous_quarter(self.period, self.settings.fiscal_year_start_month)
        previous_scores = self.weekly_scores(previous) if previous is not None else None
        if previous_scores is not None and previous_scores.empty:
            previous_scores = None
        return headline(self.weekly_scores(), previous_scores, self.weekly_attendance(), self.settings.target_score)

    def summary(self) -> Summary:
        return Summary(self.period.title, self.series_label, self.headline(), self.freshness().label,
                       self.settings.min_group_size)

    # --- the Series page (issue 26): every series side by side, review_pulse.series_queries ---
    def series_comparison(self, today: date) -> series_queries.SeriesComparison:
        """Every series' Overview headline for this period (whatever ``series`` is), one row each."""
        previous = previous_quarter(self.period, self.settings.fiscal_year_start_month)
        current = queries.Filters(*self.period.week_bounds, None, self.settings.min_group_size)
        before = None if previous is None else queries.Filters(*previous.week_bounds, None, self.settings.min_group_size)
        s = self.settings
        return self.call(series_queries.series_comparison, current, before, s.target_score, self.period.end, today,
                         s.action_target_days, s.fiscal_year_start_month)

    # --- follow-up actions (issue 13): review_pulse.action_queries ---
    def action_count(self) -> int:
        return self.call(action_queries.action_count)

    def period_actions(self) -> pd.DataFrame:
        return self.call(action_queries.period_actions, *self.period.week_bounds, self.series)

    def reviews_held(self) -> int:
        return self.call(action_queries.reviews_held, *self.period.week_bounds, self.series)

    def open_actions(self, today: date) -> pd.DataFrame:
        return self.call(action_queries.open_actions, self.period.end, self.series, today, self.settings.action_target_days)

    def review_health(self) -> pd.DataFrame:
        learned, good_use = action_queries.health_statements(self.settings.statement_texts)
        return self.call(action_queries.review_health, self.filters(), learned, good_use)
    # --- end of follow-up actions ---

    # --- talking points (issue 12) ---
    def poll_count(self) -> int:
        return self.call(talking_points_queries.poll_count, self.filters())

    def talking_points(self) -> pd.DataFrame:
        return self.call(talking_points_queries.talking_points, self.filters())

    def latest_talking_points(self, latest: int) -> tuple[pd.DataFrame, int]:
        """The options of the period's latest ``latest`` reviews, and how many reviews it holds."""
        rows, reviews = self.call(talking_points_queries.latest_talking_points, self.filters(), latest)
        return rows.copy(), reviews  # as call() copies a frame: callers may add columns

    def incident_points(self) -> pd.DataFrame:
        return self.call(talking_points_queries.incident_points, self.filters())

    def weekly_topics(self) -> pd.DataFrame:
        return self.call(talking_points_queries.weekly_topics, self.filters())

    def poll_headline_counts(self) -> tuple[int, int, int, int]:
        return self.call(talking_points_queries.poll_headline_counts, self.filters())

    def recurring_themes(self) -> pd.DataFrame:
        return self.call(talking_points_queries.recurring_themes, self.filters())

    def theme_timeline(self) -> pd.DataFrame:
        return self.call(talking_points_queries.theme_timeline, self.filters())

    def topic_balance(self) -> pd.DataFrame:
        return self.call(talking_points_queries.balance, self.filters())

    def beside_survey(self) -> pd.DataFrame:
        return self._beside_survey()[0]

    def beside_survey_hidden_weeks(self) -> int:
        return self._beside_survey()[1]

    def _beside_survey(self) -> tuple[pd.DataFrame, int]:  # one cached query for both
        return self.call(talking_points_queries.beside_survey_figures, self.filters(),
                         survey_comparison_statements(self.settings))

    @property
    def series_label(self) -> str:
        if self.series:
            return self.series
        options = self.series_options() if self.status().state == "ready" else []
        return options[0] if len(options) == 1 else "All series"


def survey_comparison_statements(settings: Settings) -> tuple[str, ...]:
    """The statements the talking points are compared with: the settings' own wording of
    "discussed the right things" and "learned something new" (matched by their aliases)."""
    from core.settings import normalise_header

    wanted = ("discussed the right things", "learned something new")
    found = []
    for key in wanted:
        for statement in settings.statements:
            names = [normalise_header(statement.text), *(normalise_header(a) for a in statement.aliases)]
            if any(key in name for name in names):
                found.append(statement.text)
                break
    return tuple(found)


def quarters_with_weeks(weeks: list[date], fiscal_start_month: int = 1) -> list[Period]:
    """The distinct quarters of these weeks, newest first."""
    found = {quarter_for_week(week, fiscal_start_month) for week in weeks}
    return sorted(found, key=lambda period: period.start, reverse=True)


def quarters_of_days(days: list[date], fiscal_start_month: int = 1) -> list[Period]:
    """The distinct quarters of these days, oldest first (where a load's rows went)."""
    return sorted({quarter_for_day(day, fiscal_start_month) for day in days}, key=lambda period: period.start)


def latest_period(periods: list[Period]) -> Period:
    return periods[0] if periods else ALL_TIME_PERIOD
