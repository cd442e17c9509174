"""Quarters (calendar or fiscal) and which review weeks fall in them.

A review week belongs to the quarter that holds its Thursday (the ISO-8601 rule
for weeks that straddle a boundary), so a week starting Mon 30 March with its
review on Wed 1 April counts in Q2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

ALL_TIME = "all"
_LABEL = re.compile(r"^([0-9]{4})-Q([1-4])$", re.ASCII)  # ASCII digits only: int() also reads other scripts'
# Quarters a link may name: the span of ALL_TIME_PERIOD, so every date stays inside what
# Python's date can hold (9999-Q4 ends in year 10000) and inside the DB's week range.
FIRST_YEAR, LAST_YEAR = 1900, 2998


@dataclass(frozen=True)
class Period:
    """A quarter or all time; ``label`` is what goes in the URL (``2026-Q2`` or ``all``)."""

    label: str
    start: date
    end: date  # inclusive

    @property
    def title(self) -> str:
        return "All time" if self.label == ALL_TIME else self.label

    @property
    def week_bounds(self) -> tuple[date, date]:
        """week_start values whose Thursday lies in the period."""
        return self.start - timedelta(days=3), self.end - timedelta(days=3)


ALL_TIME_PERIOD = Period(ALL_TIME, date(1900, 1, 1), date(2999, 12, 31))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def quarter_for_day(day: date, fiscal_start_month: int = 1) -> Period:
    """The (fiscal) quarter holding ``day``. A fiscal year is named by the year it starts in."""
    offset = (day.month - fiscal_start_month) % 12
    fiscal_year = day.year if day.month >= fiscal_start_month else day.year - 1
    quarter = offset // 3 + 1
    return quarter_from_parts(fiscal_year, quarter, fiscal_start_month)


def quarter_from_parts(fiscal_year: int, quarter: int, fiscal_start_month: int = 1) -> Period:
    start_year, start_month = _add_months(fiscal_year, fiscal_start_month, 3 * (quarter - 1))
    end_year, end_month = _add_months(start_year, start_month, 3)
    return Period(f"{fiscal_year}-Q{quarter}", date(start_year, start_month, 1), date(end_year, end_month, 1) - timedelta(days=1))


def quarter_for_week(week_start: date, fiscal_start_month: int = 1) -> Period:
    return quarter_for_day(week_start + timedelta(days=3), fiscal_start_month)


def parse_period(label: str | None, fiscal_start_month: int = 1) -> Period | None:
    """``2026-Q2`` or ``all`` (any case) -> Period; anything else -> None."""
    if not label:
        return None
    label = label.strip()
    if label.lower() in (ALL_TIME, "all time", "all-time"):
        return ALL_TIME_PERIOD
    match = _LABEL.match(label.upper())
    if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        return None
    return quarter_from_parts(int(match.group(1)), int(match.group(2)), fiscal_start_month)


def previous_quarter(period: Period, fiscal_start_month: int = 1) -> Period | None:
    if period.label == ALL_TIME:
        return None
    return quarter_for_day(period.start - timedelta(days=1), fiscal_start_month)


def quarters_between(first_week: date, last_week: date, fiscal_start_month: int = 1) -> list[Period]:
    """Every quarter from the one holding ``first_week`` to the one holding ``last_week``, newest first."""
    quarters = []
    current = quarter_for_week(first_week, fiscal_start_month)
    last = quarter_for_week(last_week, fiscal_start_month)
    while current.start <= last.start:
        quarters.append(current)
        current = quarter_for_day(current.end + timedelta(days=1), fiscal_start_month)
    return list(reversed(quarters))
