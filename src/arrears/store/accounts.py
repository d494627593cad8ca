"""Repository of accounts: finding one by its external id, and listing them with their summary."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select

from arrears.domain.flags import SHOWN_PARTY_FLAGS
from arrears.store import tables
from arrears.store.bulk import IN_LIST, rows_by_external_id
from arrears.store.models import AccountRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def account_id_of(connection: Connection, external_id: str) -> int | None:
    """The internal id of the account ``external_id``; None when there is none."""
    return connection.scalar(select(tables.account.c.id).where(tables.account.c.external_id == external_id))


def account_by_external_id(session: Session, external_id: str) -> AccountRow | None:
    """The account ``external_id`` (its guarantor, phones and portfolio load on use); None when there is none."""
    return session.scalar(select(AccountRow).where(tables.account.c.external_id == external_id))


def account_card(connection: Connection, external_id: str) -> tuple[Any, list[Any]] | None:
    """The account ``external_id`` as its page shows it: a row of the account's columns, its ``portfolio`` code
    and its guarantor's columns (``party_id``, name, address, e-mail, time zone and flags), with the guarantor's
    phones (number, type) in the order they were given; None when there is no such account."""
    account, party, portfolio = tables.account, tables.party, tables.portfolio
    found = connection.execute(
        select(account, portfolio.c.code.label("portfolio"), party.c.id.label("party_id"),
               *(party.c[name] for name in GUARANTOR_CARD_COLUMNS))
        .join(portfolio, portfolio.c.id == account.c.portfolio_id)
        .join(party, party.c.id == account.c.guarantor_id)
        .where(account.c.external_id == external_id)
    ).first()  # fmt: skip
    if found is None:
        return None
    phone = tables.phone
    phones = list(connection.execute(
        select(phone.c.number, phone.c.type).where(phone.c.party_id == found.party_id).order_by(phone.c.id)
    ))  # fmt: skip
    return found, phones


GUARANTOR_CARD_COLUMNS = (
    "first_name", "last_name", "address1", "city", "state", "postal_code", "email", "time_zone",
    *SHOWN_PARTY_FLAGS, "dispute_date",
)  # fmt: skip
"""The guarantor's columns :func:`account_card` reads (none of them is also an account column)."""


def account_exists(session: Session, external_id: str) -> bool:
    """Whether an account ``external_id`` is stored."""
    return session.scalar(select(tables.account.c.id).where(tables.account.c.external_id == external_id)) is not None


def account_ids_of(connection: Connection, external_ids: Iterable[str]) -> dict[str, int]:
    """External id → internal id of those of ``external_ids`` that are stored accounts (one ``IN`` list)."""
    account = tables.account.c
    query = select(account.external_id, account.id).where(account.external_id.in_(list(external_ids)))
    return {external_id: account_id for external_id, account_id in connection.execute(query)}


def every_account_id(connection: Connection) -> list[tuple[str, int]]:
    """(external id, id) of every account."""
    return [(external_id, account_id) for external_id, account_id in connection.execute(
        select(tables.account.c.external_id, tables.account.c.id)
    )]  # fmt: skip


def account_count(connection: Connection) -> int:
    """How many accounts are stored."""
    return connection.scalar(select(func.count()).select_from(tables.account)) or 0


def stored_accounts(
    connection: Connection, party_columns: Sequence[str], external_ids: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """External id → (portfolio id, mode, status code, opened date, the guarantor's ``party_columns``, the
    guarantor's first phone number and type, or None twice) of the stored accounts among ``external_ids``."""
    accounts, parties, phones_table = tables.account, tables.party, tables.phone
    query = select(
        accounts.c.external_id,
        accounts.c.portfolio_id,
        accounts.c.mode,
        accounts.c.status_code,
        accounts.c.opened_date,
        *(parties.c[name] for name in party_columns),
        parties.c.id,
    ).join(parties, parties.c.id == accounts.c.guarantor_id)
    stored = rows_by_external_id(connection, query, accounts, external_ids)
    if not stored:
        return {}
    phones: dict[int, tuple[str, str]] = {}
    party_ids = [values[-1] for values in stored.values()]
    for start in range(0, len(party_ids), IN_LIST):
        phone_query = (
            select(phones_table.c.party_id, phones_table.c.number, phones_table.c.type)
            .where(phones_table.c.party_id.in_(party_ids[start : start + IN_LIST]))
            .order_by(phones_table.c.id.desc())
        )
        for party_id, number, kind in connection.execute(phone_query):
            phones[party_id] = (number, kind)  # by id, descending: the party's first phone is kept
    return {ext: (*values[:-1], *phones.get(values[-1], (None, None))) for ext, values in stored.items()}


def add_parties(connection: Connection, parties: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert the parties (column → value); return their ids in the order given."""
    table = tables.party
    return list(
        connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), list(parties)).scalars()
    )


def add_phones(connection: Connection, phones: Sequence[Mapping[str, Any]]) -> None:
    """Insert phone numbers (``party_id``, ``number``, ``type``)."""
    if phones:
        connection.execute(insert(tables.phone), list(phones))


def add_accounts(connection: Connection, accounts: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert the accounts (column → value); return their ids in the order given."""
    table = tables.account
    return list(
        connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), list(accounts)).scalars()
    )


def add_summaries(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert account summary rows (the summary of an account that has none yet)."""
    if rows:
        connection.execute(insert(tables.account_summary), list(rows))


def statement_hold_of(connection: Connection, account_id: int) -> bool:
    """Whether the account's statements are on hold."""
    return bool(connection.scalar(select(tables.account.c.statement_hold).where(tables.account.c.id == account_id)))


def _listing_query(
    *,
    portfolio: str | None,
    portfolios: Collection[str] | None,
    assignees: Collection[str] | None,
    case_statuses: Collection[str] | None,
    min_balance_cents: int | None,
    oldest_due_before: date | None,
) -> Any:
    case = tables.collections_case.alias("g")
    summary = tables.account_summary
    query = (
        select(
            tables.account.c.external_id,
            tables.portfolio.c.code.label("portfolio"),
            tables.party.c.last_name,
            tables.party.c.first_name,
            tables.account.c.mode,
            summary.c.balance_cents,
            summary.c.oldest_unpaid_due,
            summary.c.last_payment_date,
            case.c.status.label("case_status"),
            case.c.assignee.label("collector"),
        )
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .join(tables.party, tables.party.c.id == tables.account.c.guarantor_id)
        .join(summary, summary.c.account_id == tables.account.c.id)
        .outerjoin(
            case,
            (case.c.account_id == tables.account.c.id) & case.c.is_current.is_(True) & (case.c.track == "guarantor"),
        )
    )
    if portfolio:
        query = query.where(tables.portfolio.c.code == portfolio)
    if portfolios is not None:
        query = query.where(tables.portfolio.c.code.in_(sorted(portfolios)))
    if assignees is not None:
        query = query.where(case.c.assignee.in_(sorted(assignees)))
    if case_statuses is not None:
        query = query.where(case.c.status.in_(sorted(case_statuses)))
    if min_balance_cents is not None:
        query = query.where(summary.c.balance_cents >= min_balance_cents)
    if oldest_due_before is not None:
        query = query.where(summary.c.oldest_unpaid_due < oldest_due_before, summary.c.balance_cents > 0)
    return query.order_by(summary.c.balance_cents.desc(), tables.account.c.external_id)


def account_listing(
    connection: Connection,
    *,
    portfolio: str | None = None,
    portfolios: Collection[str] | None = None,
    assignees: Collection[str] | None = None,
    case_statuses: Collection[str] | None = None,
    min_balance_cents: int | None = None,
    oldest_due_before: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Accounts with their guarantor, summary and current guarantor case (status and collector, None when never
    in collections), largest balance first (then by external id), filtered by each criterion given: the
    portfolio's code (or one of ``portfolios``), the case's collector among ``assignees``, the case's status among
    ``case_statuses``, a balance of at least ``min_balance_cents``, an unpaid balance due before
    ``oldest_due_before``; then paged."""
    query = _listing_query(portfolio=portfolio, portfolios=portfolios, assignees=assignees,
                           case_statuses=case_statuses, min_balance_cents=min_balance_cents,
                           oldest_due_before=oldest_due_before).offset(offset).limit(limit)  # fmt: skip
    return [dict(row._mapping) for row in connection.execute(query)]


def account_listing_count(
    connection: Connection,
    *,
    portfolio: str | None = None,
    portfolios: Collection[str] | None = None,
    assignees: Collection[str] | None = None,
    case_statuses: Collection[str] | None = None,
    min_balance_cents: int | None = None,
    oldest_due_before: date | None = None,
) -> int:
    """How many accounts :func:`account_listing` lists over every page with the same criteria."""
    query = _listing_query(portfolio=portfolio, portfolios=portfolios, assignees=assignees,
                           case_statuses=case_statuses, min_balance_cents=min_balance_cents,
                           oldest_due_before=oldest_due_before).order_by(None)  # fmt: skip
    return connection.scalar(select(func.count()).select_from(query.subquery())) or 0


def guarantor_flag_columns(connection: Connection, external_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The flag columns of each account's guarantor (``domain.flags.SHOWN_PARTY_FLAGS`` and ``dispute_date``),
    by the account's external id."""
    if not external_ids:
        return {}
    party = tables.party.c
    names = (*SHOWN_PARTY_FLAGS, "dispute_date")
    query = (
        select(tables.account.c.external_id, *(party[name] for name in names))
        .join(tables.party, tables.party.c.id == tables.account.c.guarantor_id)
        .where(tables.account.c.external_id.in_(sorted(external_ids)))
    )
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in connection.execute(query)}
