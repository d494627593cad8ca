"""What a letter's merge data is made of, read for many accounts at once: the guarantor, the account and
portfolio, and the ledger lines from which the account's position (balance, aging) on a date is computed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from arrears.domain.ledger import Entry
from arrears.store.models import AccountRow, LedgerLineRow, PartyRow, PortfolioRow
from arrears.store.summaries import entry_from_row

PARTY_FIELDS = ("first_name", "last_name", "address1", "address2", "city", "state", "postal_code")


@dataclass(frozen=True, slots=True)
class MergeFacts:
    """One account's facts for its letters."""

    account_id: int
    party: dict[str, str]
    external_id: str
    status_code: str
    portfolio_code: str
    portfolio_name: str
    entries: tuple[Entry, ...]


def read_merge_facts(connection: Connection, account_ids: Sequence[int]) -> dict[int, MergeFacts]:
    """The merge facts of ``account_ids`` (unknown ids are left out)."""
    facts: dict[int, MergeFacts] = {}
    for start in range(0, len(account_ids), 2000):
        batch = list(account_ids[start : start + 2000])
        lines: dict[int, list[Entry]] = {i: [] for i in batch}
        query = select(LedgerLineRow.__table__).where(LedgerLineRow.account_id.in_(batch))
        for row in connection.execute(query.order_by(LedgerLineRow.account_id, LedgerLineRow.posted_date,
                                                     LedgerLineRow.id)):  # fmt: skip
            lines[row.account_id].append(entry_from_row(row))
        accounts = connection.execute(
            select(AccountRow.id, AccountRow.external_id, AccountRow.status_code, PortfolioRow.code,
                   PortfolioRow.name, *(getattr(PartyRow, name) for name in PARTY_FIELDS))
            .join(PortfolioRow, PortfolioRow.id == AccountRow.portfolio_id)
            .join(PartyRow, PartyRow.id == AccountRow.guarantor_id)
            .where(AccountRow.id.in_(batch))
        )  # fmt: skip
        for account_id, external_id, status_code, code, name, *party in accounts:
            facts[account_id] = MergeFacts(
                account_id, {f: v or "" for f, v in zip(PARTY_FIELDS, party, strict=True)}, external_id,
                status_code or "", code, name, tuple(lines[account_id]),
            )  # fmt: skip
    return facts
