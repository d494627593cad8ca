"""Repository of ledger lines: an account's ledger, and every line posted by a date for the portfolio reports."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, func, select, text

from arrears.domain.ledger import Entry
from arrears.store import tables
from arrears.store.bulk import IN_LIST, rows_by_external_id
from arrears.store.summaries import entry_from_row

LEDGER = tables.ledger_line
ACCOUNTS = tables.account


def account_ledger(connection: Connection, account_id: int) -> list[Row[tuple[object, ...]]]:
    """Every ledger line of the account (all columns), in posting order."""
    return list(
        connection.execute(
            select(LEDGER).where(LEDGER.c.account_id == account_id).order_by(LEDGER.c.posted_date, LEDGER.c.id)
        )
    )


def entries_posted_by(
    connection: Connection, as_of: date, portfolio_ids: Collection[int]
) -> Iterator[tuple[int, list[Entry]]]:
    """Each account of ``portfolio_ids`` with a line posted on or before ``as_of``: its portfolio id and its
    ledger entries to that day, in posting order (accounts by id)."""
    rows = connection.execute(
        select(
            ACCOUNTS.c.portfolio_id,
            LEDGER.c.account_id,
            LEDGER.c.id,
            LEDGER.c.kind,
            LEDGER.c.amount_cents,
            LEDGER.c.posted_date,
            LEDGER.c.due_date,
            LEDGER.c.service_date,
            LEDGER.c.source,
            LEDGER.c.reverses_id,
        )
        .join(ACCOUNTS, ACCOUNTS.c.id == LEDGER.c.account_id)
        .where(LEDGER.c.posted_date <= as_of, ACCOUNTS.c.portfolio_id.in_(list(portfolio_ids)))
        .order_by(LEDGER.c.account_id, LEDGER.c.id)
    )
    yield from _by_account(rows)


def _by_account(rows: Iterable[Row[tuple[object, ...]]]) -> Iterator[tuple[int, list[Entry]]]:
    account, portfolio, entries = None, 0, list[Entry]()
    for row in rows:
        if row.account_id != account:
            if account is not None:
                yield portfolio, entries
            account, portfolio, entries = row.account_id, row.portfolio_id, []
        entries.append(entry_from_row(row))
    if account is not None:
        yield portfolio, entries


def ledger_entries(connection: Connection, account_id: int) -> list[Entry]:
    """The account's ledger as domain entries, in the order the lines were stored."""
    rows = connection.execute(select(LEDGER).where(LEDGER.c.account_id == account_id).order_by(LEDGER.c.id))
    return [entry_from_row(row) for row in rows]


def line_external_id_taken(connection: Connection, external_id: str) -> bool:
    """Whether a ledger line with the external id ``external_id`` is stored."""
    return connection.scalar(select(LEDGER.c.id).where(LEDGER.c.external_id == external_id)) is not None


_LINK_REVERSAL = text(
    "UPDATE ledger_line SET reverses_id = (SELECT paid.id FROM ledger_line AS paid WHERE paid.external_id = :target)"
    " WHERE external_id = :ext"
)


def link_reversals(connection: Connection, links: Sequence[Mapping[str, str]]) -> None:
    """Point each reversal at the payment it reverses by id: ``links`` are ``{"ext": reversal's external id,
    "target": payment's external id}`` (the payment stored earlier or in the same transaction)."""
    if links:
        connection.execute(_LINK_REVERSAL, list(links))


def stored_lines(
    connection: Connection, columns: Sequence[str], external_ids: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """External id → the values of ``columns`` of the stored lines among ``external_ids``, then the external id
    of the payment a reversal reverses (None for other lines) and the description."""
    reversed_line = LEDGER.alias("reversed")
    query = select(
        LEDGER.c.external_id,
        *(LEDGER.c[name] for name in columns),
        reversed_line.c.external_id,
        LEDGER.c.description,
    ).outerjoin(reversed_line, reversed_line.c.id == LEDGER.c.reverses_id)
    return rows_by_external_id(connection, query, LEDGER, external_ids)


def lines_to_check(connection: Connection, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """External id → (id, kind, account external id, amount, posted, external id of the line reversing it or
    None) of the stored lines among ``external_ids``: what checking a reversal against its payment needs."""
    reversal = LEDGER.alias("reversal")
    query = (
        select(
            LEDGER.c.external_id,
            LEDGER.c.id,
            LEDGER.c.kind,
            ACCOUNTS.c.external_id,
            LEDGER.c.amount_cents,
            LEDGER.c.posted_date,
            reversal.c.external_id,
        )
        .join(ACCOUNTS, ACCOUNTS.c.id == LEDGER.c.account_id)
        .outerjoin(reversal, reversal.c.reverses_id == LEDGER.c.id)
    )
    return rows_by_external_id(connection, query, LEDGER, external_ids)


def accounts_with_lines(connection: Connection, account_ids: Sequence[int]) -> set[int]:
    """Those of ``account_ids`` that have at least one ledger line."""
    if not account_ids or connection.scalar(select(func.max(LEDGER.c.id))) is None:
        return set()
    has_lines = select(LEDGER.c.id).where(LEDGER.c.account_id == ACCOUNTS.c.id).exists()
    found: set[int] = set()
    for start in range(0, len(account_ids), IN_LIST):
        batch = account_ids[start : start + IN_LIST]
        found.update(connection.execute(select(ACCOUNTS.c.id).where(ACCOUNTS.c.id.in_(batch), has_lines)).scalars())
    return found


def lines_posted_since(
    connection: Connection, since_id: int, kinds: Collection[str]
) -> list[tuple[int, int, str, int, date, str | None]]:
    """(account, line, kind, cents, posted date, source) of every line of ``kinds`` with an id above ``since_id``
    (the lines a bulk write of this transaction has just added), in id order."""
    if not kinds:
        return []
    query = (
        select(LEDGER.c.account_id, LEDGER.c.id, LEDGER.c.kind, LEDGER.c.amount_cents, LEDGER.c.posted_date,
               LEDGER.c.source)
        .where(LEDGER.c.id > since_id, LEDGER.c.kind.in_(sorted(kinds)))
        .order_by(LEDGER.c.id)
    )  # fmt: skip
    return [(int(a), int(i), str(k), int(c), p, s) for a, i, k, c, p, s in connection.execute(query)]


def balance_lines(
    connection: Connection, account_ids: Sequence[int]
) -> list[tuple[int, int, str | None, str, int, date]]:
    """(account id, line id, external id, kind, amount, posted) of every ledger line of the accounts, in id
    order: what the balance of a day is summed from."""
    if not account_ids:
        return []
    query = (
        select(LEDGER.c.account_id, LEDGER.c.id, LEDGER.c.external_id, LEDGER.c.kind, LEDGER.c.amount_cents,
               LEDGER.c.posted_date)
        .where(LEDGER.c.account_id.in_(sorted(set(account_ids))))
        .order_by(LEDGER.c.id)
    )  # fmt: skip
    return [(int(a), int(i), e, str(k), int(c), p) for a, i, e, k, c, p in connection.execute(query).all()]
