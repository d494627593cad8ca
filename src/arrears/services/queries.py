"""Read-only views for people: an account with its ledger and aging, account and portfolio listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from arrears.domain.errors import NotFound
from arrears.domain.flags import SHOWN_PARTY_FLAGS, shown_flags
from arrears.domain.ledger import Position, position
from arrears.domain.money import Money
from arrears.store import summaries
from arrears.store.accounts import account_card
from arrears.store.db import Database
from arrears.store.ledger import account_ledger
from arrears.store.portfolios import amount_limits, portfolio_listing


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """A ledger line as shown to a person."""

    id: int
    external_id: str | None
    kind: str
    amount_cents: int
    posted: date
    due: date | None
    source: str | None
    reverses: int | None
    description: str


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account, its guarantor, ledger and position at a date."""

    external_id: str
    portfolio: str
    mode: str
    status_code: str
    guarantor: dict[str, Any]
    lines: tuple[LedgerLine, ...]
    position: Position

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "external_id": self.external_id,
            "portfolio": self.portfolio,
            "mode": self.mode,
            "status_code": self.status_code,
            "guarantor": self.guarantor,
            "as_of": self.position.as_of.isoformat(),
            "balance_cents": self.position.balance_cents,
            "credit_cents": self.position.credit_cents,
            "oldest_unpaid_due": self.position.oldest_unpaid_due,
            "days_past_due": self.position.days_past_due,
            "aging_cents": dict(self.position.aging),
            "owed_aging_cents": dict(self.position.owed_aging),
            "last_payment_date": self.position.last_payment_date,
            "last_payment_cents": self.position.last_payment_cents,
            "ledger": [_line_dict(line) for line in self.lines],
        }


def _line_dict(line: LedgerLine) -> dict[str, Any]:
    return {name: getattr(line, name) for name in LedgerLine.__slots__}


def account_view(db: Database, external_id: str, as_of: date) -> AccountView:
    """The account ``external_id`` with its ledger and its position on ``as_of``."""
    with db.engine.connect() as connection:
        card = account_card(connection, external_id)
        if card is None:
            raise NotFound(f"no account {external_id!r}")
        account, phones = card
        rows = account_ledger(connection, account.id)
    guarantor = {
        "name": f"{account.first_name} {account.last_name}".strip(),
        "address": ", ".join(p for p in (account.address1, account.city, account.state, account.postal_code) if p),
        "email": account.email,
        "time_zone": account.time_zone,
        "phones": [{"number": p.number, "type": p.type} for p in phones],
        "flags": shown_flags({name: getattr(account, name) for name in (*SHOWN_PARTY_FLAGS, "dispute_date")}),
    }
    lines = tuple(
        LedgerLine(r.id, r.external_id, r.kind, r.amount_cents, r.posted_date, r.due_date, r.source, r.reverses_id,
                   r.description)
        for r in rows
    )  # fmt: skip
    return AccountView(
        external_id=account.external_id,
        portfolio=account.portfolio,
        mode=account.mode,
        status_code=account.status_code,
        guarantor=guarantor,
        lines=lines,
        position=position((summaries.entry_from_row(r) for r in rows), as_of),
    )


def list_portfolios(db: Database) -> list[dict[str, Any]]:
    """Every portfolio with its parent and the maximum amount its accounts take (``maximum_amount``, the one
    in force; ``maximum_amount_cents``, its own setting or None)."""
    with db.engine.connect() as connection:
        limits = {limit.portfolio: limit for limit in amount_limits(connection).values()}
        return [
            {**row, "maximum_amount": str(Money(limits[row["code"]].maximum_cents))}
            for row in portfolio_listing(connection)
        ]
