"""Promises to pay: their rows, the payments counted toward them, and the reads of the promise desk and the run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from arrears.domain.effects import ENDED_BY_CLOSE
from arrears.domain.promises import OPEN_PROMISE, REVERSIBLE, PromiseStatus
from arrears.store import tables
from arrears.store.bulk import insert_ignore, update_many
from arrears.store.db import fetch_rows
from arrears.store.models import ActivityRow, PromisePaymentRow, PromiseRow

if TYPE_CHECKING:
    from arrears.store.db import Session

PROMISES = tables.promise
PROMISE_PAYMENTS = tables.promise_payment
OPEN_SQL = ", ".join(f"'{s.value}'" for s in sorted(OPEN_PROMISE))
_REVERSIBLE_SQL = ", ".join(f"'{s.value}'" for s in sorted(REVERSIBLE))


def add_promise(session: Session, row: PromiseRow) -> int | None:
    """Insert a promise unless one of the same key exists; its id, or None when it already existed."""
    if session.scalar(select(tables.promise.c.id).where(tables.promise.c.key == row.key)) is not None:
        return None
    session.add(row)
    session.flush()
    return row.id


def insert_promises(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert promises made by the run or a plan run (a key that exists is left as it is)."""
    insert_ignore(connection, PROMISES, list(rows), ["key"])


def cancel_open_promises(session: Session, account_id: int, on: date) -> list[int]:
    """End the account's open promises as cancelled by its closing on ``on``; their ids."""
    promise = tables.promise.c
    found = list(session.scalars(select(PromiseRow).where(
        promise.account_id == account_id, promise.status.in_([s.value for s in OPEN_PROMISE]))))  # fmt: skip
    for row in found:
        row.status, row.ended_on, row.judged_on = PromiseStatus.CANCELLED.value, on, on
        row.ended_by = ENDED_BY_CLOSE
    return [row.id for row in found]


def closing_cancelled(session: Session, account_id: int) -> list[PromiseRow]:
    """The account's promises its closing cancelled (oldest first)."""
    query = select(PromiseRow).where(
        tables.promise.c.account_id == account_id, tables.promise.c.status == PromiseStatus.CANCELLED.value,
        tables.promise.c.ended_by == ENDED_BY_CLOSE,
    ).order_by(tables.promise.c.id)  # fmt: skip
    return list(session.scalars(query))


def done_promise_contacts(session: Session, account_id: int, keys: Iterable[str]) -> dict[str, ActivityRow]:
    """The account's promise contacts among ``keys`` (a plan-made promise's key is its contact's) that are done,
    by key."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    activity = tables.activity.c
    query = select(ActivityRow).where(
        activity.account_id == account_id, activity.kind == "promise", activity.status == "done",
        activity.key.in_(wanted),
    )  # fmt: skip
    return {row.key: row for row in session.scalars(query)}


def uncounted_payments(session: Session, account_id: int, start: date, end: date) -> list[tuple[int, date, int]]:
    """(line, day, cents) of the account's guarantor payments posted in [start, end] that no promise counted and
    that were not reversed, in posting order."""
    ledger, reversal = tables.ledger_line.c, tables.ledger_line.alias("reversal").c
    query = (
        select(ledger.id, ledger.posted_date, ledger.amount_cents)
        .where(
            ledger.account_id == account_id, ledger.kind == "payment",
            ledger.source == "guarantor", ledger.posted_date.between(start, end),
            ~select(tables.promise_payment.c.id).where(tables.promise_payment.c.line_id == ledger.id).exists(),
            ~select(reversal.id).where(reversal.reverses_id == ledger.id).exists(),
        )
        .order_by(ledger.posted_date, ledger.id)
    )  # fmt: skip
    return [(int(line), day, abs(int(cents))) for line, day, cents in session.execute(query).all()]


def count_payments(session: Session, promise_id: int, counted: Iterable[tuple[int, int, int]], day_of: dict[int, date]
                   ) -> None:  # fmt: skip
    """Record payments counted toward a promise: (line, cents, installment), with each line's day."""
    for line, cents, installment in counted:
        session.add(PromisePaymentRow(promise_id=promise_id, line_id=line, amount_cents=cents, paid_on=day_of[line],
                                      installment=installment, reversed=False))  # fmt: skip


def promises_of(connection: Connection, account_id: int) -> list[Any]:
    """The account's promises (rows of the promise table), newest first."""
    promise = tables.promise
    return list(connection.execute(
        select(promise).where(promise.c.account_id == account_id).order_by(promise.c.id.desc())
    ))  # fmt: skip


def promise_payments(session: Session, promise_ids: Iterable[int]) -> list[PromisePaymentRow]:
    """The payments counted toward the promises, in payment order."""
    ids = list(promise_ids)
    if not ids:
        return []
    payment = tables.promise_payment.c
    query = select(PromisePaymentRow).where(payment.promise_id.in_(ids)).order_by(payment.id)
    return list(session.scalars(query))


def desk_rows(connection: Connection, on: date, yesterday: date, assignees: set[str] | None) -> list[Any]:
    """Promises due on ``on`` that still stand, and promises broken on ``yesterday``'s run: rows of the promise
    table with the account's ``account_external_id`` and the guarantor's ``guarantor_last`` and ``guarantor_first``
    names."""
    promise, account, party = tables.promise, tables.account, tables.party
    query = (
        select(promise, account.c.external_id.label("account_external_id"),
               party.c.last_name.label("guarantor_last"), party.c.first_name.label("guarantor_first"))
        .join(account, account.c.id == promise.c.account_id)
        .join(party, party.c.id == account.c.guarantor_id)
        .where(
            (promise.c.status.in_([s.value for s in OPEN_PROMISE]) & (promise.c.due_date == on))
            | ((promise.c.status == PromiseStatus.BROKEN.value) & (promise.c.ended_on == yesterday))
        )
    )  # fmt: skip
    if assignees is not None:
        query = query.where(promise.c.collector.in_(sorted(assignees)))
    return list(connection.execute(query))


# ------------------------------------------------------------------------------------------- the run


def counted_lines(connection: Connection, line_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(promise, line) pairs already counted among ``line_ids`` (so a rerun counts nothing twice)."""
    if not line_ids:
        return set()
    listed = ", ".join(str(int(i)) for i in line_ids)
    sql = f"SELECT promise_id, line_id FROM promise_payment WHERE line_id IN ({listed})"
    return {(int(p), int(line)) for p, line in fetch_rows(connection, sql)}


def reversed_today(connection: Connection, first: int, last: int, as_of: date) -> list[tuple[int, int, int]]:
    """(promise, reversed line, cents) for each payment counted toward a promise that a reversal posted on
    ``as_of`` takes back, on the accounts with ids in [first, last] (a reversal already marked is left out)."""
    return _reversals(f"r.posted_date = '{as_of.isoformat()}' AND r.account_id BETWEEN {int(first)} AND {int(last)}",
                      connection)  # fmt: skip


def reversals_of(connection: Connection, reversal_ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """(promise, reversed line, cents) for each payment counted toward a promise that one of the reversals
    ``reversal_ids`` takes back (a reversal already marked is left out)."""
    if not reversal_ids:
        return []
    return _reversals(f"r.id IN ({', '.join(str(int(i)) for i in reversal_ids)})", connection)


def reversal_accounts(connection: Connection, reversal_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(account, reversal line) of each of ``reversal_ids``."""
    if not reversal_ids:
        return []
    listed = ", ".join(str(int(i)) for i in reversal_ids)
    sql = f"SELECT account_id, id FROM ledger_line WHERE id IN ({listed}) ORDER BY id DESC"
    return [(int(a), int(r)) for a, r in fetch_rows(connection, sql)]


def _reversals(where: str, connection: Connection) -> list[tuple[int, int, int]]:
    sql = (
        "SELECT pp.promise_id, pp.line_id, pp.amount_cents FROM ledger_line r "
        "JOIN promise_payment pp ON pp.line_id = r.reverses_id "
        "JOIN promise p ON p.id = pp.promise_id "
        f"WHERE r.kind = 'reversal' AND NOT pp.reversed AND p.status IN ({_REVERSIBLE_SQL}) AND {where}"
    )
    return [(int(p), int(line), int(c)) for p, line, c in fetch_rows(connection, sql)]


def promise_rows(connection: Connection, promise_ids: Sequence[int]) -> list[Any]:
    """The promises of ``promise_ids`` (all columns)."""
    if not promise_ids:
        return []
    return list(connection.execute(select(PROMISES).where(PROMISES.c.id.in_(list(promise_ids)))).all())


def standing_payments(connection: Connection, promise_ids: Sequence[int]) -> list[tuple[int, int, date, int]]:
    """(promise, line, day, cents) of every payment counted toward the promises and not reversed."""
    if not promise_ids:
        return []
    query = select(PROMISE_PAYMENTS.c.promise_id, PROMISE_PAYMENTS.c.line_id, PROMISE_PAYMENTS.c.paid_on,
                   PROMISE_PAYMENTS.c.amount_cents).where(
        PROMISE_PAYMENTS.c.promise_id.in_(list(promise_ids)), PROMISE_PAYMENTS.c.reversed.is_(False))  # fmt: skip
    return [(int(p), int(line), day, int(c)) for p, line, day, c in connection.execute(query).all()]


def write_judgements(
    connection: Connection, updates: Sequence[dict[str, Any]], counted: Sequence[dict[str, Any]],
    reversed_lines: Sequence[tuple[int, int]],
) -> None:
    """Write what the day did to promises: their new state (only from the state they were read in, so a
    second writer changes nothing), the payments counted, and the counted payments reversed."""
    insert_ignore(connection, PROMISE_PAYMENTS, list(counted), ["promise_id", "line_id"])
    update_many(connection, PROMISE_PAYMENTS, "UPDATE promise_payment SET reversed = {} WHERE promise_id = {} AND "
                "line_id = {}", ["reversed", "promise_id", "line_id"],
                [(True, promise_id, line_id) for promise_id, line_id in reversed_lines])  # fmt: skip
    update_many(
        connection, PROMISES,
        "UPDATE promise SET status = {}, installment = {}, paid_cents = {}, due_date = {}, judged_on = {}, "
        "ended_on = {}, ended_by = {} WHERE id = {} AND status = {} AND installment = {} AND paid_cents = {}",
        ["status", "installment", "paid_cents", "due_date", "judged_on", "ended_on", "ended_by", "id", "status",
         "installment", "paid_cents"],
        [(c["status"], c["installment"], c["paid"], c["due"], c["on"], c["ended_on"], c.get("ended_by"), c["id"],
          c["was"], c["was_installment"], c["was_paid"]) for c in updates],
    )  # fmt: skip


def report_rows(connection: Connection, start: date, end: date) -> list[tuple[str, str, str, int, int, int]]:
    """(portfolio, collector, status, installment, amount, collected) of each promise taken in [start, end];
    collected: the payments counted toward it and not reversed, paid in [start, end]."""
    sql = (
        "SELECT po.code, p.collector, p.status, p.installment, p.amount_cents, "
        "COALESCE((SELECT SUM(pp.amount_cents) FROM promise_payment pp WHERE pp.promise_id = p.id "
        f"AND NOT pp.reversed AND pp.paid_on BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'), 0) "
        "FROM promise p JOIN account a ON a.id = p.account_id JOIN portfolio po ON po.id = a.portfolio_id "
        f"WHERE p.created_on BETWEEN '{start.isoformat()}' AND '{end.isoformat()}' ORDER BY po.code, p.collector"
    )
    return [(str(c), str(w), str(s), int(i), int(a), int(k)) for c, w, s, i, a, k in
            fetch_rows(connection, sql)]  # fmt: skip


def any_promise(connection: Connection) -> bool:
    """True when some promise has ever been taken (a posting judges none otherwise)."""
    return connection.scalar(select(PROMISES.c.id).limit(1)) is not None
