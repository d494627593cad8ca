"""Repository of activities: what a worklist shows, what was pending on a date, and completing one."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, Row, bindparam, case, func, or_, select

from arrears.domain.cases import PENDING_ACTIVITY, ActivityEvent, ActivityStatus, activity_transition
from arrears.store import tables
from arrears.store.models import ActivityRow, NoteRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One stored activity with the days of its changes."""

    id: int
    kind: str
    action: str
    assignee: str
    due_date: date
    status: str
    """Where the activity stands now (not on an earlier date: see the days)."""
    reason: str
    created_on: date | None
    released_on: date | None
    done_on: date | None
    cancelled_on: date | None


def activities_pending_on(connection: Connection, account_id: int, day: date) -> list[ActivityRecord]:
    """The account's activities that existed on ``day`` and were neither done nor cancelled on or before it,
    by due date. An activity without a creation day (written before those days were kept) counts as existing."""
    a = tables.activity.c
    rows = connection.execute(
        select(
            a.id, a.kind, a.action, a.assignee, a.due_date, a.status, a.reason, a.created_on, a.released_on,
            a.done_on, a.cancelled_on,
        )
        .where(
            a.account_id == account_id,
            or_(a.created_on.is_(None), a.created_on <= day),
            or_(a.status.in_(sorted(s.value for s in PENDING_ACTIVITY)), a.done_on > day, a.cancelled_on > day),
        )
        .order_by(a.due_date, a.id)
    )  # fmt: skip
    return [ActivityRecord(**row._mapping) for row in rows]


def _open_work_of(
    kinds: Collection[str], assignees: Collection[str] | None, portfolios: Collection[str] | None
) -> list[ColumnElement[bool]]:
    """Open activities of ``kinds`` (of ``assignees`` only, on accounts of ``portfolios`` only, when given).

    The status is written into the statement, not bound: only then can SQLite and PostgreSQL (whose prepared
    statements are planned once for any value) read them from the open activities' partial index alone."""
    a = tables.activity.c
    wanted = [a.status == bindparam("open", ActivityStatus.OPEN.value, literal_execute=True), a.kind.in_(sorted(kinds))]
    if assignees is not None:
        wanted.append(a.assignee.in_(sorted(assignees)))
    if portfolios is not None:
        account, portfolio = tables.account.c, tables.portfolio.c
        within = select(account.id).join(tables.portfolio, portfolio.id == account.portfolio_id)
        wanted.append(a.account_id.in_(within.where(portfolio.code.in_(sorted(portfolios)))))
    return wanted


def worklist_candidates(
    connection: Connection, on: date, kinds: Collection[str], assignees: Collection[str] | None,
    portfolios: Collection[str] | None = None, first: int | None = None,
) -> Sequence[Row[tuple[int, str, str, str, date, datetime | None, int]]]:
    """What orders the worklist, of the open activities of ``kinds`` due by ``on`` (of ``assignees`` only, on
    accounts of ``portfolios`` only, when given) that can be among its first ``first`` (all of them without
    ``first``), unordered: (id, guarantor last name, first name, kind, due date, due moment, priority).
    :func:`worklist_lines` reads the rest of a line.

    With ``first``, the candidates are the first ``first`` by the part of the order the database sorts
    (untimed before timed, by due moment; due on ``on`` first, then by due day; priority, high first) and every
    activity tied with the last of them on that part: the caller orders a tie by guarantor name, which the
    database would not compare as Python does. Both are read from the open activities' index
    (``ix_activity_open_order``) without the table."""
    a = tables.activity.c
    work = _open_work_of(kinds, assignees, portfolios)
    query = (
        select(a.id, tables.party.c.last_name, tables.party.c.first_name, a.kind, a.due_date, a.due_at, a.priority)
        .join(tables.account, tables.account.c.id == a.account_id)
        .join(tables.party, tables.party.c.id == tables.account.c.guarantor_id)
    )  # fmt: skip
    if first is None:
        return connection.execute(query.where(*work, a.due_date <= on)).all()
    timed, earlier_day = case((a.due_at.is_(None), 0), else_=1), case((a.due_date == on, 0), else_=1)
    order = (timed, a.due_at, earlier_day, a.due_date, a.priority.desc(), a.id)
    chosen = select(a.id, a.due_at, a.due_date, a.priority).where(*work, a.due_date <= on).order_by(*order)
    picked = connection.execute(chosen.limit(first)).all()
    if not picked:
        return []
    found = {row.id: row for row in connection.execute(query.where(a.id.in_(sorted(row.id for row in picked)))).all()}
    if len(picked) == first:  # the last one's due day is by ``on``, so the tie needs no bound of its own
        last = picked[-1]
        moment = a.due_at.is_(None) if last.due_at is None else a.due_at == last.due_at
        tie = query.where(*work, moment, a.due_date == last.due_date, a.priority == last.priority)
        found |= {row.id: row for row in connection.execute(tie).all()}  # a query of its own: read from the index
    return list(found.values())


def worklist_lines(
    connection: Connection, ids: Collection[int]
) -> Sequence[Row[tuple[int, str, str, str, str, str, str, date, datetime | None, int, str]]]:
    """The worklist lines of activities ``ids``, unordered: (id, account external id, guarantor last name, first
    name, kind, action, assignee, due date, due moment, priority, reason)."""
    a = tables.activity.c
    query = (
        select(
            a.id, tables.account.c.external_id, tables.party.c.last_name, tables.party.c.first_name, a.kind, a.action,
            a.assignee, a.due_date, a.due_at, a.priority, a.reason,
        )
        .join(tables.account, tables.account.c.id == a.account_id)
        .join(tables.party, tables.party.c.id == tables.account.c.guarantor_id)
        .where(a.id.in_(sorted(ids)))
    )  # fmt: skip
    return connection.execute(query).all()


def activity_by_id(session: Session, activity_id: int) -> ActivityRow | None:
    """The activity ``activity_id``, locked for update where the database can lock a row."""
    return session.get(ActivityRow, activity_id, with_for_update=True)


def record_completion(
    session: Session, activity: ActivityRow, status: ActivityStatus, outcome: str, note: str | None, on: date,
    *, note_text: str, author: str,
) -> None:
    """Write a completed activity's outcome and day, and its collection note, in the caller's transaction."""
    activity.status, activity.outcome, activity.note, activity.done_on = status.value, outcome, note, on
    session.add(
        NoteRow(
            account_id=activity.account_id, on=on, scope="collection_action", note_type="collections",
            text=note_text, author=author,
        )
    )  # fmt: skip


def forward_in_place(activity: ActivityRow, due: date, due_at: datetime | None) -> None:
    """Forward a completed repeating contact to its next period: scheduled again on ``due`` (its outcome stays in
    the collection note written when it was completed)."""
    status = activity_transition(ActivityStatus(activity.status), ActivityEvent.REPEAT)
    activity.status, activity.due_date, activity.due_at = status.value, due, due_at
    activity.released_on = activity.done_on = None
    activity.outcome = activity.note = None


def add_next_period(
    session: Session, activity: ActivityRow, key: str, due: date, due_at: datetime | None, on: date
) -> None:
    """Schedule the next period of a completed repeating contact as a contact of its own (the completed one
    stays as the period's copy); nothing when that period is already stored."""
    if session.scalar(select(tables.activity.c.id).where(tables.activity.c.key == key)) is not None:
        return
    session.add(
        ActivityRow(
            key=key, account_id=activity.account_id, track=activity.track, episode=activity.episode,
            kind=activity.kind, action=activity.action, origin=activity.origin, series=activity.series,
            step=activity.step, origin_ref=activity.origin_ref, assignee=activity.assignee, due_date=due,
            due_at=due_at, priority=activity.priority, status=ActivityStatus.SCHEDULED.value,
            no_auto_delete=activity.no_auto_delete, reason=f"repeat: next period after {activity.due_date}"[:300],
            created_on=on, amount_cents=activity.amount_cents,
        )
    )  # fmt: skip


def add_collection_note(session: Session, account_id: int, on: date, text: str, author: str) -> None:
    """A line in the account's collection notes, in the caller's transaction."""
    session.add(NoteRow(account_id=account_id, on=on, scope="collection_action", note_type="collections",
                        text=text, author=author))  # fmt: skip


def _by_assignee_and_kind(connection: Connection, *where: ColumnElement[bool]) -> dict[str, dict[str, int]]:
    activity = tables.activity.c
    query = (
        select(activity.assignee, activity.kind, func.count())
        .where(*where)
        .group_by(activity.assignee, activity.kind)
        .order_by(activity.assignee, activity.kind)
    )
    grouped: dict[str, dict[str, int]] = {}
    for assignee, kind, count in connection.execute(query):
        grouped.setdefault(assignee, {})[kind] = count
    return grouped


def created_by_runs(connection: Connection, run_ids: Collection[int]) -> dict[str, dict[str, int]]:
    """Assignee → activity kind → how many activities the runs ``run_ids`` created."""
    return _by_assignee_and_kind(connection, tables.activity.c.run_id.in_(list(run_ids)))


def open_work_due_by(connection: Connection, day: date, kinds: Collection[str]) -> dict[str, dict[str, int]]:
    """Assignee → activity kind → how many open activities of ``kinds`` are due on or before ``day``."""
    activity = tables.activity.c
    return _by_assignee_and_kind(
        connection, activity.status == ActivityStatus.OPEN.value, activity.due_date <= day,
        activity.kind.in_(sorted(kinds)),
    )  # fmt: skip
