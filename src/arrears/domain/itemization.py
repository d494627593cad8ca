"""Itemization of a debt for a letter: what was owed on the itemization date, and every charge, fee, payment
and adjustment posted since, so that the two add up to the balance owed today (Regulation F's itemization
table: "As of <date>, you owed … Between <date> and today you were charged … you paid or were credited …").

The itemization date of an account's letters is the due date of the oldest charge that was unpaid when the
account entered collections (its case's anchor), so every letter of one collections episode itemizes from
the same date; without a case it is the oldest unpaid due date on the letter's date, else the letter's date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from arrears.domain.ledger import Entry, Kind


class ItemCategory(StrEnum):
    """Where a ledger line shows in an itemization."""

    CHARGE = "charges"
    FEE = "fees"
    PAYMENT = "payments"
    ADJUSTMENT = "adjustments"


CATEGORY: Final[Mapping[Kind, ItemCategory]] = {
    Kind.CHARGE: ItemCategory.CHARGE,
    Kind.FEE: ItemCategory.FEE,
    Kind.PENALTY: ItemCategory.FEE,
    Kind.DEPOSIT: ItemCategory.FEE,
    Kind.PAYMENT: ItemCategory.PAYMENT,
    Kind.REVERSAL: ItemCategory.PAYMENT,
    Kind.REFUND: ItemCategory.PAYMENT,
    Kind.ADJUSTMENT: ItemCategory.ADJUSTMENT,
    Kind.WRITE_OFF: ItemCategory.ADJUSTMENT,
}
"""A reversed payment and a refund show as (positive) payment lines: they take back what was credited."""


def balance_effect(entry: Entry) -> int:
    """What ``entry`` does to the balance, in signed cents (payments and write-offs lower it)."""
    if entry.kind in (Kind.PAYMENT, Kind.WRITE_OFF):
        return -entry.amount_cents
    return entry.amount_cents


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One ledger line since the itemization date; ``amount_cents`` is its signed effect on the balance."""

    posted: date
    kind: Kind
    category: ItemCategory
    description: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Itemization:
    """The balance owed on ``date`` and the lines posted after it, up to the letter's date."""

    date: date
    balance_cents: int
    lines: tuple[ItemLine, ...]

    def total(self, category: ItemCategory) -> int:
        """The signed sum of the lines of ``category``."""
        return sum(line.amount_cents for line in self.lines if line.category is category)

    @property
    def balance_now_cents(self) -> int:
        """The balance on ``date`` plus every line since: the balance on the letter's date."""
        return self.balance_cents + sum(line.amount_cents for line in self.lines)


def itemization_date(anchor_due: date | None, oldest_unpaid_due: date | None, on: date) -> date:
    """The itemization date of a letter written on ``on`` (see the module's description); never after ``on``."""
    chosen = anchor_due or oldest_unpaid_due or on
    return min(chosen, on)


def itemize(
    entries: Iterable[Entry], since: date, on: date, descriptions: Mapping[int, str] | None = None
) -> Itemization:
    """The itemization of a ledger from ``since`` to ``on``: lines posted on or before ``since`` make the
    opening balance, lines posted after it (and by ``on``) are listed in posting order."""
    described = descriptions or {}
    opening, lines = 0, []
    for entry in sorted(entries, key=lambda e: (e.posted, e.seq)):
        if entry.posted > on:
            continue
        if entry.posted <= since:
            opening += balance_effect(entry)
            continue
        description = described.get(entry.seq, "")
        lines.append(ItemLine(entry.posted, entry.kind, CATEGORY[entry.kind], description, balance_effect(entry)))
    return Itemization(since, opening, tuple(lines))
