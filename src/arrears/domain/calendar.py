"""Date rules shared by ledgers, plans and schedules: month arithmetic clamped to the month's end."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later; the 31st becomes the last day of a shorter month."""
    result: date = start + relativedelta(months=months)
    return result


def add_days(start: date, days: int) -> date:
    """``days`` calendar days after ``start``."""
    return start + timedelta(days=days)


def days_between(earlier: date, later: date) -> int:
    """Whole days from ``earlier`` to ``later`` (negative when ``later`` is before)."""
    return (later - earlier).days
