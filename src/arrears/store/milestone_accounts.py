"""One account's place in the milestone schemes (seed 004), read and changed one account at a time: its state
and why it last moved, its scheme hold, its party's credit points, and who stands in a scheme. The run's
frame reads and writes of every account's state are in :mod:`arrears.store.milestones`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select

from arrears.domain.strategy.schemes import MilestoneState, Scheme
from arrears.store import tables
from arrears.store.db import fetch_rows

STATES = tables.milestone_state
assert isinstance(STATES, Table)
HOLDS = tables.scheme_hold
assert isinstance(HOLDS, Table)


def state_of(connection: Connection, account_id: int, schemes: Sequence[Scheme]) -> MilestoneState | None:
    """The account's milestone state, as the run reads it (:func:`arrears.store.milestones.read_states`): the
    stored milestone's position in its scheme (a scheme configured twice: the last; a milestone no longer
    configured: None, before the first), or None when the account never was in a scheme."""
    columns = (STATES.c.scheme, STATES.c.milestone, STATES.c.reached_on, STATES.c.entry_balance_cents,
               STATES.c.moved_on, STATES.c.resolved)  # fmt: skip
    row = connection.execute(select(*columns).where(STATES.c.account_id == account_id)).first()
    if row is None:
        return None
    code, name, reached_on, entry_balance, moved_on, resolved = row
    scheme = {s.code: s for s in schemes}.get(code)
    names = [m.name for m in scheme.milestones] if scheme is not None else []
    index = names.index(name) if name in names else None
    return MilestoneState(code, index, _day(reached_on), int(entry_balance), _day(moved_on), bool(resolved))


def scheme_hold(connection: Connection, account_id: int) -> dict[str, Any] | None:
    """The account's scheme hold (held on, until, reason, actor), if it has one."""
    row = connection.execute(select(HOLDS).where(HOLDS.c.account_id == account_id)).mappings().first()
    if row is None:
        return None
    return {name: _day(value) if name in ("held_on", "until") else value for name, value in row.items()}


def put_hold(
    connection: Connection, account_id: int, held_on: date, until: date | None, reason: str, actor: str
) -> None:
    """Hold the account in its scheme (replacing a hold it has)."""
    connection.execute(delete(HOLDS).where(HOLDS.c.account_id == account_id))
    connection.execute(insert(HOLDS).values(account_id=account_id, held_on=held_on, until=until, reason=reason[:300],
                                            actor=actor[:100]))  # fmt: skip


def drop_hold(connection: Connection, account_id: int) -> None:
    """Release the account's scheme hold."""
    connection.execute(delete(HOLDS).where(HOLDS.c.account_id == account_id))


def _day(value: Any) -> Any:
    """A date column as a date (SQLite returns ISO text through the driver)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def last_reason(connection: Connection, account_id: int) -> str:
    """Why the account last moved in its scheme (empty when it never was in one)."""
    row = connection.execute(select(STATES.c.reason).where(STATES.c.account_id == account_id)).first()
    return str(row[0]) if row is not None else ""


def accounts_in_scheme(connection: Connection, code: str, sample: int = 5) -> tuple[int, list[str]]:
    """How many accounts stand in scheme ``code`` (not resolved), and the external ids of the first ``sample``."""
    wanted = (STATES.c.scheme == code, STATES.c.resolved.is_(False))
    count = connection.execute(select(func.count()).select_from(STATES).where(*wanted)).scalar_one()
    first = connection.execute(
        select(tables.account.c.external_id).join(STATES, STATES.c.account_id == tables.account.c.id).where(*wanted)
        .order_by(tables.account.c.external_id).limit(sample)
    ).scalars()  # fmt: skip
    return int(count), list(first)


def party_of(connection: Connection, who: str) -> tuple[int, str] | None:
    """(party id, name) of the party ``who`` names: a party id, or the external id of one of its accounts."""
    if who.isdigit():
        sql = f"SELECT id, first_name, last_name FROM party WHERE id = {int(who)}"
        rows = fetch_rows(connection, sql)
    else:
        rows = list(connection.execute(
            select(tables.party.c.id, tables.party.c.first_name, tables.party.c.last_name)
            .join(tables.account, tables.account.c.guarantor_id == tables.party.c.id)
            .where(tables.account.c.external_id == who)
        ))  # fmt: skip
    if not rows:
        return None
    party_id, first, last = rows[0]
    return int(party_id), f"{first} {last}".strip()


def party_points(connection: Connection, party_id: int) -> list[tuple[Any, int]]:
    """Every credit-point award of a party: (day, points)."""
    table = tables.credit_point
    assert isinstance(table, Table)
    query = select(table.c.on, table.c.points).where(table.c.party_id == party_id).order_by(table.c.on)
    return [(_day(on), int(points)) for on, points in connection.execute(query)]
