"""Date rules shared by ledgers, plans and schedules: month arithmetic clamped to the month's end.

The contact plan rules of seed 002 live here too: delay days, day of month (clamped to the month's end),
next month same day, delay minutes (minutes or H:MM on a 24-hour clock) and repeat periods. Month arithmetic
is python-dateutil's ``relativedelta``, which clamps a day past a month's end to its last day.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta
from enum import StrEnum

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


def day_of_month(today: date, day: int) -> date:
    """Seed 002 "Day of month": that day this month, or of next month when ``today`` is already past it.

    A day beyond the month's end is the month's last day (31 in February 2027 is the 28th, in 2028 the 29th),
    so a run on the last day of a shorter month is due today."""
    this_month: date = today.replace(day=1) + relativedelta(day=day)
    if this_month >= today:
        return this_month
    next_month: date = today.replace(day=1) + relativedelta(months=1, day=day)
    return next_month


def next_month_same_day(today: date) -> date:
    """Seed 002 "Next month same day": the same day next month, clamped to its last day (Jan 31 → Feb 28)."""
    return add_months(today, 1)


_CLOCK = re.compile(r"(\d{1,3}):([0-5]\d)\Z")
_MINUTES = re.compile(r"\d{1,5}\Z")


def parse_delay_minutes(text: str) -> int:
    """Seed 002 "Minutes": ``40`` is 40 minutes, ``1:00`` one hour (H:MM on a 24-hour clock).

    Raises ``ValueError`` with the rule when the text is neither."""
    value = text.strip()
    clock = _CLOCK.match(value)
    if clock is not None:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    if _MINUTES.match(value):
        return int(value)
    raise ValueError("must be minutes (40) or hours and minutes on a 24-hour clock (1:00)")


def format_delay_minutes(minutes: int) -> str:
    """Minutes as the plan form writes them: ``40`` below an hour, else ``H:MM``."""
    return str(minutes) if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}"


def delayed_moment(now: datetime, minutes: int) -> datetime:
    """Seed 002 "Delay": the moment the plan is invoked plus ``minutes`` (15:26:43 + 1:00 → 16:26:43)."""
    return now + timedelta(minutes=minutes)


class RepeatPeriod(StrEnum):
    """How far a repeating contact is forwarded each time it occurs (seed 002 "Repeat")."""

    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUALLY = "semiannually"
    ANNUALLY = "annually"


_PERIODS: dict[RepeatPeriod, relativedelta] = {
    RepeatPeriod.DAILY: relativedelta(days=1),
    RepeatPeriod.WEEKLY: relativedelta(weeks=1),
    RepeatPeriod.BIWEEKLY: relativedelta(weeks=2),
    RepeatPeriod.MONTHLY: relativedelta(months=1),
    RepeatPeriod.QUARTERLY: relativedelta(months=3),
    RepeatPeriod.SEMIANNUALLY: relativedelta(months=6),
    RepeatPeriod.ANNUALLY: relativedelta(years=1),
}


def forward(due: date, period: RepeatPeriod, times: int = 1) -> date:
    """``due`` forwarded ``times`` periods (months clamped to the month's end)."""
    step = _PERIODS[period]
    result: date = due + step * times
    return result


def forward_past(due: date, period: RepeatPeriod, today: date) -> date:
    """The first occurrence after ``today`` of a contact due on ``due`` repeating every ``period`` (a repeat
    that missed runs is forwarded past them, not once per missed period). Counted from ``due``, so that a
    monthly contact of the 31st comes back to the 31st after a shorter month."""
    times = 1
    while forward(due, period, times) <= today:
        times += 1
    return forward(due, period, times)
@functools.lru_cache(maxsize=256)
def _holidays(country: str, state: str, year: int) -> frozenset[date]:
    import holidays  # imported when first needed: it loads every country's calendar (seconds without .pyc)

    return frozenset(holidays.country_holidays(country, subdiv=state or None, years=year).keys())


def is_business_day(day: date, country: str = "US", state: str = "") -> bool:
    """Monday to Friday and not a public holiday of ``country`` (and of its ``state``, when given)."""
    return day.weekday() < 5 and day not in _holidays(country, state, day.year)


def add_business_days(start: date, count: int, country: str = "US", state: str = "") -> date:
    """The day ``count`` business days after ``start`` (``start`` itself when ``count`` is 0)."""
    day = start
    left = count
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day, country, state):
            left -= 1
    return day


def holiday_calendars() -> dict[str, tuple[str, ...]]:
    """The holiday calendars the holidays library knows: each country's ISO 3166 code and its states or provinces
    with holidays of their own."""
    import holidays

    return {country: tuple(states) for country, states in sorted(holidays.list_supported_countries().items())}


def holiday_calendar_problem(country: str, state: str = "") -> str | None:
    """Why ``country`` / ``state`` is not a holiday calendar the holidays library knows, or None."""
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        return f"country '{country}' has no holiday calendar (use an ISO 3166 code such as US, CA, GB)"
    if state and state not in supported[country]:
        return f"'{state}' is not a state or province of {country} with its own holidays"
    return None
