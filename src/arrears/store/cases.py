"""Repository of collections cases: the episodes of an account and its history, as plain records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from arrears.store import tables


@dataclass(frozen=True, slots=True)
class CaseEpisode:
    """One stored episode of an account's collections case, with the dates of its changes."""

    track: str
    episode: int
    status: str
    """Where the episode stands now (not on an earlier date: see the dates)."""
    entered_on: date
    referred_on: date | None
    closed_on: date | None
    close_reason: str | None
    entry_reason: str
    assignee: str
    assignment_rule: int | None
    """The 0-based index of the assignment rule that matched at entry; None when the defaults applied."""
    work: str
    is_current: bool
    hold_reason: str | None = None
    """Why a held episode is held (the rule id and reason of a compliance hold)."""


def case_episodes(connection: Connection, account_id: int) -> list[CaseEpisode]:
    """Every episode of the account's cases, by track and episode number."""
    case = tables.collections_case.c
    rows = connection.execute(
        select(
            case.track, case.episode, case.status, case.entered_on, case.referred_on, case.closed_on,
            case.close_reason, case.entry_reason, case.assignee, case.assignment_rule, case.work, case.is_current,
            case.hold_reason,
        )
        .where(case.account_id == account_id)
        .order_by(case.track, case.episode)
    )  # fmt: skip
    return [CaseEpisode(**row._mapping) for row in rows]


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One line of an account's collections history."""

    on: date
    event: str
    detail: str


def history_until(connection: Connection, account_id: int, day: date) -> list[HistoryEvent]:
    """What happened to the account's collections on or before ``day``, oldest first."""
    h = tables.history.c
    rows = connection.execute(
        select(h.on, h.event, h.detail).where(h.account_id == account_id, h.on <= day).order_by(h.on, h.id)
    )
    return [HistoryEvent(**row._mapping) for row in rows]
