"""Date rules shared by ledgers, plans and schedules: month arithmetic clamped to the month's end."""

from __future__ import annotations

import re
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


EARLIEST_DAY = date(1900, 1, 1)
"""No date of an account, a transaction or an activity is before this one: an earlier one is a typing error."""
HORIZON_YEARS = 5
"""Dates given to Arrears (postings, claims, plans, due dates) are at most this many years after today."""
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def parse_day(text: str) -> date:
    """The date written ``YYYY-MM-DD``; anything else (``20260105``, the week date ``2026-W01-1``) is a
    ValueError, although :meth:`date.fromisoformat` would read it."""
    if not _ISO_DAY.match(text):
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")
    return date.fromisoformat(text)


def horizon(today: date) -> date:
    """The latest date accepted on ``today``: :data:`HORIZON_YEARS` years later."""
    return add_months(today, 12 * HORIZON_YEARS)


def day_range_problem(day: date, today: date) -> str | None:
    """The rule ``day`` breaks by being too early or too far ahead of ``today``, or None."""
    if day < EARLIEST_DAY:
        return f"must not be before {EARLIEST_DAY.isoformat()}"
    latest = horizon(today)
    if day > latest:
        return f"must not be after {latest.isoformat()} ({HORIZON_YEARS} years from today)"
    return None
