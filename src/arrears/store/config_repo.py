"""Configuration storage beside its entities: numbered versions, the lock that serializes changes, and the
collections work (pending activities, open cases, queued letters) that names configured things.

The configuration entities themselves are ``config_entity`` rows (:class:`~arrears.store.models.ConfigEntityRow`);
this module holds what a configuration change needs besides them. Nothing here commits: the caller's unit
of work does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, Connection, func, insert, select, text, update

from arrears.domain.cases import OPEN_CASE, ORIGIN_TAGS, PENDING_ACTIVITY, ActivityStatus, PlanEventOrigin
from arrears.store import tables
from arrears.store.models import (
    ConfigEntityRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SAMPLE_ACCOUNTS = 5
"""How many account numbers a description of work in use names."""
_BATCH = 5000
"""Ids per ``IN (...)`` list."""

# The states of pending work and open cases, as domain/cases.py defines them: one function each, so that every
# query here asks the same.


def pending_activity() -> ColumnElement[bool]:
    """Activities not yet done or cancelled: scheduled, open (in a worklist) or held."""
    return tables.activity.c.status.in_(sorted(status.value for status in PENDING_ACTIVITY))


def open_case() -> ColumnElement[bool]:
    """Cases not yet resolved: worked internally, referred to external collections, or held."""
    return tables.collections_case.c.status.in_(sorted(status.value for status in OPEN_CASE))


QUEUED_LETTER = "queued"
CANCELLED = ActivityStatus.CANCELLED.value
"""The state of cancelled work: activities, and letters cancelled before they were printed."""

# -------------------------------------------------------------------------------------------- lock


def lock_configuration(connection: Connection) -> None:
    """Serialize configuration changes until the end of the transaction.

    PostgreSQL: a transaction-level advisory lock. SQLite: a write that changes nothing takes the database's
    write lock now, so that two changes cannot both read the same configuration and then both write.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(7413)"))  # 7413: this lock's arbitrary number
    else:
        version = tables.config_version
        connection.execute(update(version).where(text("0 = 1")).values(number=version.c.number))


# ---------------------------------------------------------------------------------------- versions


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One configuration version without its document."""

    number: int
    created_at: datetime
    actor: str
    summary: str


def current_version(connection: Connection) -> int | None:
    """The number of the newest configuration version; None when no version was recorded yet."""
    return connection.scalar(select(func.max(tables.config_version.c.number)))


def add_version(connection: Connection, *, at: datetime, actor: str, summary: str, document: str) -> int:
    """Record the next configuration version (the lock of :func:`lock_configuration` must be held)."""
    number = (current_version(connection) or 0) + 1
    connection.execute(
        insert(tables.config_version)
        .values(number=number, created_at=at, actor=actor, summary=summary, document=document)
    )  # fmt: skip
    return number


def versions(connection: Connection) -> list[VersionInfo]:
    """Every version, newest first."""
    version = tables.config_version.c
    query = select(version.number, version.created_at, version.actor, version.summary).order_by(version.number.desc())
    return [VersionInfo(*row) for row in connection.execute(query)]


def version_document(connection: Connection, number: int) -> str | None:
    """The document of version ``number``; None when there is no such version."""
    return connection.scalar(select(tables.config_version.c.document).where(tables.config_version.c.number == number))


def latest_run_version(connection: Connection, as_of: date) -> tuple[date, int | None] | None:
    """(as-of date, configuration version) of the latest run on or before ``as_of``; None without one."""
    query = select(tables.run.c.as_of, tables.run.c.config_version).where(tables.run.c.as_of <= as_of)
    row = connection.execute(query.order_by(tables.run.c.as_of.desc(), tables.run.c.id.desc()).limit(1)).first()
    return None if row is None else (row[0], row[1])


# ------------------------------------------------------------------------------- work that uses names

UsedAs = Literal["action", "series", "assignee", "letter"]
"""What the name is to the work: an activity's action or series (and a case's work), an assignee, a template."""


@dataclass(frozen=True, slots=True)
class WorkUse:
    """How much collections work uses one name, with a few of the accounts."""

    activities: int = 0
    """Pending activities."""
    cases: int = 0
    """Open cases (working it, or assigned to it)."""
    letters: int = 0
    """Queued letters."""
    accounts: tuple[str, ...] = ()
    """The first account numbers (external ids), sorted."""
    more_accounts: bool = False

    @property
    def any(self) -> bool:
        return bool(self.activities or self.cases or self.letters)


def _activity_filter(used_as: UsedAs, name: str) -> ColumnElement[bool] | None:
    if used_as == "action":
        return (tables.activity.c.action == name) & pending_activity()
    if used_as == "series":
        return (tables.activity.c.series == name) & pending_activity()
    if used_as == "assignee":
        return (tables.activity.c.assignee == name) & pending_activity()
    return None


def _case_filter(used_as: UsedAs, name: str) -> ColumnElement[bool] | None:
    if used_as in ("action", "series"):
        return (tables.collections_case.c.work == name) & open_case()
    if used_as == "assignee":
        return (tables.collections_case.c.assignee == name) & open_case()
    return None


def work_using(connection: Connection, used_as: UsedAs, name: str) -> WorkUse:
    """The pending activities, open cases and queued letters that name ``name`` as ``used_as``."""
    counts: dict[str, int] = {}
    accounts: set[str] = set()
    sources: list[tuple[str, Any, Any]] = []
    activity, case = _activity_filter(used_as, name), _case_filter(used_as, name)
    if activity is not None:
        sources.append(("activities", tables.activity.c.account_id, activity))
    if case is not None:
        sources.append(("cases", tables.collections_case.c.account_id, case))
    if used_as == "letter":
        queued = (tables.letter.c.template == name) & (tables.letter.c.status == QUEUED_LETTER)
        sources.append(("letters", tables.letter.c.account_id, queued))
    for what, account_column, condition in sources:
        counts[what] = connection.scalar(select(func.count()).select_from(account_column.table).where(condition)) or 0
        if counts[what]:
            first = (
                select(tables.account.c.external_id)
                .join(account_column.table, account_column == tables.account.c.id)
                .where(condition)
                .distinct()
                .order_by(tables.account.c.external_id)
                .limit(SAMPLE_ACCOUNTS + 1)
            )
            accounts.update(connection.scalars(first))
    shown = tuple(sorted(accounts))
    return WorkUse(
        counts.get("activities", 0),
        counts.get("cases", 0),
        counts.get("letters", 0),
        shown[:SAMPLE_ACCOUNTS],
        len(shown) > SAMPLE_ACCOUNTS,
    )


def plan_event_work(connection: Connection, plan: str, sequence: int) -> WorkUse:
    """The pending contacts event ``sequence`` of contact plan ``plan`` made (their origin names the plan and the
    event's sequence number), with a few of their accounts."""
    condition = (
        (tables.activity.c.origin == ORIGIN_TAGS[PlanEventOrigin])
        & tables.activity.c.origin_ref.like(f"plan:{plan}:{sequence}:%")
        & pending_activity()
    )
    count = connection.scalar(select(func.count()).select_from(tables.activity).where(condition)) or 0
    if not count:
        return WorkUse()
    first = (
        select(tables.account.c.external_id)
        .join(tables.activity, tables.activity.c.account_id == tables.account.c.id)
        .where(condition)
        .distinct()
        .order_by(tables.account.c.external_id)
        .limit(SAMPLE_ACCOUNTS + 1)
    )
    shown = tuple(connection.scalars(first))
    return WorkUse(count, accounts=shown[:SAMPLE_ACCOUNTS], more_accounts=len(shown) > SAMPLE_ACCOUNTS)


@dataclass(frozen=True, slots=True)
class PendingActivity:
    """A pending activity as a configuration change sees it."""

    id: int
    account_id: int
    kind: str
    action: str
    series: str | None
    step: int | None
    assignee: str
    status: str

    @property
    def in_worklist(self) -> bool:
        """Released into a collector's worklist, waiting for a person."""
        return self.status == ActivityStatus.OPEN.value


def pending_activities(connection: Connection, used_as: UsedAs, name: str) -> list[PendingActivity]:
    """The pending activities that name ``name`` as their action, series or assignee, in id order."""
    condition = _activity_filter(used_as, name)
    if condition is None:
        return []
    activity = tables.activity.c
    query = select(
        activity.id, activity.account_id, activity.kind, activity.action, activity.series,
        activity.step, activity.assignee, activity.status,
    ).where(condition).order_by(activity.id)  # fmt: skip
    return [PendingActivity(*row) for row in connection.execute(query)]


def _batches(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


def update_activities(connection: Connection, ids: Sequence[int], values: Mapping[str, object]) -> None:
    """Set ``values`` on the activities ``ids`` that are still pending."""
    for batch in _batches(ids):
        connection.execute(
            update(tables.activity).where(tables.activity.c.id.in_(batch), pending_activity()).values(**values)
        )


def cancel_activities(connection: Connection, ids: Sequence[int], on: date) -> None:
    """Cancel the activities ``ids`` that are still pending, on ``on``."""
    update_activities(connection, ids, {"status": CANCELLED, "cancelled_on": on})


@dataclass(frozen=True, slots=True)
class OpenCase:
    """An open case as a configuration change sees it."""

    account_id: int
    track: str
    episode: int
    work: str
    assignee: str

    @property
    def key(self) -> str:
        return f"{self.account_id}/{self.track}/{self.episode}"


def open_cases(connection: Connection, used_as: UsedAs, name: str) -> list[OpenCase]:
    """The open cases whose work (``action``/``series``) or assignee is ``name``."""
    condition = _case_filter(used_as, name)
    if condition is None:
        return []
    case = tables.collections_case.c
    query = select(
        case.account_id, case.track, case.episode, case.work, case.assignee,
    ).where(condition).order_by(case.account_id, case.track)  # fmt: skip
    return [OpenCase(*row) for row in connection.execute(query)]


def move_cases(connection: Connection, used_as: UsedAs, name: str, new_name: str) -> None:
    """Give the open cases whose work (or assignee) is ``name`` the work (or assignee) ``new_name``."""
    condition = _case_filter(used_as, name)
    if condition is not None:
        column = "assignee" if used_as == "assignee" else "work"
        connection.execute(update(tables.collections_case).where(condition).values({column: new_name}))


def queued_letters(connection: Connection, template: str) -> list[tuple[int, int]]:
    """(id, account id) of the queued letters of ``template``."""
    query = select(tables.letter.c.id, tables.letter.c.account_id).where(
        tables.letter.c.template == template, tables.letter.c.status == QUEUED_LETTER
    )
    return [(row[0], row[1]) for row in connection.execute(query.order_by(tables.letter.c.id))]


def update_letters(connection: Connection, ids: Sequence[int], values: Mapping[str, object]) -> None:
    """Set ``values`` on the letters ``ids`` that are still queued."""
    for batch in _batches(ids):
        connection.execute(
            update(tables.letter)
            .where(tables.letter.c.id.in_(batch), tables.letter.c.status == QUEUED_LETTER)
            .values(**values)
        )


def add_audit_rows(connection: Connection, rows: Iterable[Mapping[str, object]]) -> None:
    """Insert audit rows (``at, actor, entity, entity_key, action, before, after``) in bulk."""
    batch = list(rows)
    if batch:
        connection.execute(insert(tables.audit), batch)


def config_entity_bodies(connection: Connection) -> list[tuple[str, str, int, str]]:
    """(kind, name, position, body) of every stored configuration entity, in :func:`config_entities`' order
    (plain rows: what a strategy is read from)."""
    c = tables.config_entity.c
    query = select(c.kind, c.name, c.position, c.body).order_by(c.kind, c.position, c.name)
    return [(kind, name, position, body) for kind, name, position, body in connection.execute(query)]


def config_entities(session: Session) -> list[ConfigEntityRow]:
    """Every stored configuration entity, by kind, position and name (changes to them write in the session)."""
    entity = tables.config_entity.c
    query = select(ConfigEntityRow).order_by(entity.kind, entity.position, entity.name)
    return list(session.scalars(query))
