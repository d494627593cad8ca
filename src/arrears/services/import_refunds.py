"""Refunds in a transactions import: each refund row may pay back at most the credit balance of its account on
the day it is posted (the rule is :func:`arrears.domain.ledger.refund_problem`, the one the posting of a single
transaction applies). The credit is that of the stored ledger and of the file's rows posted before the refund
(posted date, then row), so a payment and its refund may come in the same file; a refund refused is left out of
the credit of those after it."""

from __future__ import annotations

from datetime import date

import polars as pl

from arrears.domain.ledger import Entry, Kind, refund_problem
from arrears.domain.money import Money
from arrears.store.db import Connection
from arrears.store.ledger import balance_lines

_COLUMNS = ("ext", "account_id", "row", "kind", "cents", "posted")


class RefundCheck:
    """Collects the checked rows of each frame of the file, then names the refund rows that pay back more than
    the credit (row, column, value, rule)."""

    def __init__(self) -> None:
        self.frames: list[pl.DataFrame] = []
        self.any_refund = False

    def add(self, rows: pl.DataFrame) -> None:
        """Keep the checked rows of a frame (``_COLUMNS``: external id, account id, row, kind, cents, posted)."""
        self.frames.append(rows.select(_COLUMNS))
        self.any_refund = self.any_refund or bool(rows.get_column("kind").eq(Kind.REFUND.value).any())

    def problems(self, connection: Connection) -> list[tuple[int, str, str, str]]:
        """The refund rows over their account's credit; the rows kept are let go."""
        frames, self.frames = self.frames, []
        if not self.any_refund:
            return []
        rows = pl.concat(frames)
        accounts = rows.filter(pl.col("kind") == Kind.REFUND.value).get_column("account_id").unique().to_list()
        rows = rows.filter(pl.col("account_id").is_in(accounts))
        stored = balance_lines(connection, accounts)
        known = {ext for _, _, ext, _, _, _ in stored if ext is not None}
        after = max((line for _, line, _, _, _, _ in stored), default=0)
        ledgers: dict[int, list[Entry]] = {}
        for account_id, line, _, kind, cents, posted in stored:
            ledgers.setdefault(account_id, []).append(Entry(line, Kind(kind), cents, posted))
        refunds: list[tuple[int, Entry]] = []
        for ext, account_id, row, kind, cents, posted in rows.iter_rows():
            if ext in known:
                continue  # stored already: not posted again
            entry = Entry(after + row, Kind(kind), cents, date.fromisoformat(posted))
            ledgers.setdefault(account_id, []).append(entry)
            if entry.kind is Kind.REFUND:
                refunds.append((account_id, entry))
        found = []
        for account_id, refund in sorted(refunds, key=lambda item: (item[1].posted, item[1].seq)):
            problem = refund_problem(ledgers[account_id], refund)
            if problem is not None:  # reported, and left out of the credit of the refunds after it
                ledgers[account_id].remove(refund)
                found.append((refund.seq - after, problem[0], Money(refund.amount_cents).plain(), problem[1]))
        return sorted(found)
