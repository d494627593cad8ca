"""The account page in text or JSON: party and flags, ledger and aging, the collections case, pending work,
and a timeline of everything that happened, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from arrears.domain.cases import OPEN_CASE, PENDING_ACTIVITY, ActivityStatus
from arrears.domain.errors import NotFound
from arrears.domain.ledger import Kind
from arrears.domain.money import format_cents
from arrears.services.promises import PromiseLine, list_promises
from arrears.services.queries import AccountView, account_view
from arrears.store.account_page import ActivityLine, page_rows
from arrears.store.accounts import account_id_of, statement_hold_of
from arrears.store.cases import CaseEpisode, case_episodes
from arrears.store.db import Database


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened on the account: the day, what kind of thing, and what it says."""

    on: date
    kind: str
    """activity, letter, note, fee, history."""
    text: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"on": self.on, "kind": self.kind, "text": self.text}


@dataclass(frozen=True, slots=True)
class AccountPage:
    """The account page: the account view, its cases, plans, claims, pending work and the timeline."""

    view: AccountView
    statement_hold: bool
    cases: tuple[CaseEpisode, ...]
    plans: tuple[dict[str, Any], ...]
    claims: tuple[dict[str, Any], ...]
    pending: tuple[ActivityLine, ...]
    timeline: tuple[TimelineEntry, ...]
    promises: tuple[PromiseLine, ...] = ()
    """Promises to pay, newest first (what happened to them is in the timeline's history)."""

    @property
    def current_case(self) -> CaseEpisode | None:
        """The guarantor case if the account has one (else the insurance case): its latest episode."""
        current = [c for c in self.cases if c.is_current]
        return next((c for c in current if c.track == "guarantor"), current[0] if current else None)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return self.view.as_dict() | {
            "statement_hold": self.statement_hold,
            "cases": [
                {name: getattr(case, name) for name in CaseEpisode.__slots__} | {"open": case.status in _OPEN}
                for case in self.cases
            ],
            "plans": list(self.plans),
            "claims": list(self.claims),
            "promises": [line.as_dict() for line in self.promises],
            "pending": [{name: getattr(a, name) for name in ActivityLine.__slots__} for a in self.pending],
            "timeline": [entry.as_dict() for entry in self.timeline],
        }


_OPEN = frozenset(status.value for status in OPEN_CASE)
_PENDING = frozenset(status.value for status in PENDING_ACTIVITY)


def _activity_entries(activity: ActivityLine) -> list[TimelineEntry]:
    what = f"{activity.action} ({activity.kind}) #{activity.id}, {activity.assignee}"
    entries = []
    if activity.created_on is not None:
        entries.append(TimelineEntry(activity.created_on, "activity", f"{what} created, due {activity.due_date}: "
                                                                       f"{activity.reason}"))  # fmt: skip
    if activity.status == ActivityStatus.DONE.value and activity.done_on is not None:
        outcome = f": {activity.outcome}" if activity.outcome else ""
        note = f" — {activity.note}" if activity.note else ""
        entries.append(TimelineEntry(activity.done_on, "activity", f"{what} done{outcome}{note}"))
    if activity.status == ActivityStatus.CANCELLED.value and activity.cancelled_on is not None:
        entries.append(TimelineEntry(activity.cancelled_on, "activity", f"{what} cancelled"))
    return entries


def account_page(db: Database, external_id: str, as_of: date) -> AccountPage:
    """The page of account ``external_id`` on ``as_of``; :class:`NotFound` when there is no such account."""
    view = account_view(db, external_id, as_of)
    with db.engine.connect() as connection:
        account_id = account_id_of(connection, external_id)
        if account_id is None:
            raise NotFound(f"no account {external_id!r}")
        rows = page_rows(connection, account_id)
        episodes = tuple(case_episodes(connection, account_id))
        hold = statement_hold_of(connection, account_id)
    timeline: list[TimelineEntry] = []
    for activity in rows.activities:
        timeline += _activity_entries(activity)
    for letter in rows.letters:
        to = f" to the {letter['addressee'].replace('_', ' ')}" if letter["addressee"] else ""
        timeline.append(TimelineEntry(letter["queued_on"], "letter", f"{letter['channel']} {letter['template']}"
                                      f"{to} queued (#{letter['id']})"))  # fmt: skip
        if letter["printed_on"] is not None:
            timeline.append(TimelineEntry(letter["printed_on"], "letter", f"{letter['channel']} {letter['template']} "
                                          f"printed (#{letter['id']})"))  # fmt: skip
    for note in rows.notes:
        timeline.append(TimelineEntry(note["on"], "note", f"{note['text']} ({note['author']})"))
    for line in view.lines:
        if line.kind in (Kind.FEE.value, Kind.PENALTY.value):
            timeline.append(TimelineEntry(line.posted, "fee", f"{line.kind} {format_cents(line.amount_cents)}"
                                          + (f": {line.description}" if line.description else "")))  # fmt: skip
    for event in rows.history:
        timeline.append(TimelineEntry(event["on"], "history", f"{event['event']}: {event['detail']}"))
    order = {"history": 0, "activity": 1, "letter": 2, "fee": 3, "note": 4}
    # newest first; within a day, the stable order above keeps cause (history) before its effects
    timeline.sort(key=lambda entry: order[entry.kind])
    timeline.sort(key=lambda entry: entry.on, reverse=True)
    pending = tuple(a for a in rows.activities if a.status in _PENDING)
    promises = tuple(list_promises(db, external_id))
    return AccountPage(view, hold, episodes, tuple(rows.plans), tuple(rows.claims), pending, tuple(timeline),
                       promises)  # fmt: skip
