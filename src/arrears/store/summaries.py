"""Account summaries: one row per account with what the daily run reads, computed from the ledger.

Summaries are computed from plain ledger lines (:data:`arrears.domain.ledger.LedgerLine`) read in posting
order straight off the ``(account_id, posted_date, id)`` index: no ORM object, enum or :class:`Entry` per
line. :func:`rebuild_all` reads the whole ledger in one ordered pass; :func:`compute` (and :func:`refresh`)
read the lines of the accounts asked for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from arrears.domain.ledger import (
    Entry,
    Frequency,
    Kind,
    LedgerLine,
    PaymentPlan,
    Source,
    Summary,
    summarize,
    summarize_lines,
)
from arrears.domain.model import Claim, ClaimStatus
from arrears.store import tables
from arrears.store.bulk import among, upsert

LEDGER = tables.ledger_line
PLANS = tables.payment_plan
CLAIMS = tables.claim
ACCOUNTS = tables.account
SUMMARIES: Table = tables.account_summary  # type: ignore[assignment]

_KINDS = {kind.value: kind for kind in Kind}
_SOURCES = {source.value: source for source in Source}
LINE_COLUMNS = "account_id, id, kind, amount_cents, posted_date, due_date, source, reverses_id"
"""What a summary reads of a ledger line, in :func:`line_groups`' order."""


def entry_from_row(row: Any) -> Entry:
    """A domain ledger entry from a ``ledger_line`` row."""
    source = row.source
    return Entry(
        seq=row.id,
        kind=_KINDS[row.kind],
        amount_cents=row.amount_cents,
        posted=row.posted_date,
        due=row.due_date,
        service=row.service_date,
        source=_SOURCES[source] if source else None,
        reverses=row.reverses_id,
    )


def plan_from_row(row: Any) -> PaymentPlan:
    """A domain payment plan from a ``payment_plan`` row."""
    return PaymentPlan(
        installment_cents=row.installment_cents,
        frequency=Frequency(row.frequency),
        first_due=row.first_due_date,
        grace_days=row.grace_days,
        start=row.start_date,
        installments=row.installments,
    )


def claim_from_row(row: Any) -> Claim:
    """A domain claim from a ``claim`` row."""
    return Claim(row.external_id, row.payer, row.billed_date, row.amount_cents, row.paid_cents, ClaimStatus(row.status))


def _values(
    account_id: int, portfolio_id: int, summary: Summary, claims: Sequence[Claim], now: datetime
) -> dict[str, Any]:
    open_claims = [c for c in claims if c.unpaid_cents > 0]
    return {
        "account_id": account_id,
        "portfolio_id": portfolio_id,
        "balance_cents": summary.balance_cents,
        "oldest_unpaid_due": summary.oldest_unpaid_due,
        "last_payment_date": summary.last_payment_date,
        "last_payment_cents": summary.last_payment_cents,
        "last_guarantor_payment_date": summary.last_guarantor_payment_date,
        "on_payment_plan": summary.on_payment_plan,
        "plan_next_unpaid_due": summary.plan_next_unpaid_due,
        "plan_grace_days": summary.plan_grace_days,
        "insurance_balance_cents": sum(c.unpaid_cents for c in open_claims),
        "oldest_open_claim_billed": min((c.billed for c in open_claims), default=None),
        "open_claim_count": len(open_claims),
        "updated_at": now,
    }


def summary_values(
    account_id: int, portfolio_id: int, entries: Iterable[Entry], plan: PaymentPlan | None, claims: Sequence[Claim]
) -> dict[str, Any]:
    """The ``account_summary`` row of one account."""
    return _values(account_id, portfolio_id, summarize(entries, plan), claims, datetime.now(UTC))


def _grouped(
    connection: Connection, table: Any, account_ids: Sequence[int], convert: Callable[[Any], Any], *where: Any
) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    query = select(table).where(among(connection, table.c.account_id, account_ids), *where)
    for row in connection.execute(query.order_by(table.c.account_id, table.c.id)):
        grouped[row.account_id].append(convert(row))
    return grouped


@dataclass(frozen=True, slots=True)
class Facts:
    """What a summary reads besides the ledger, for a set of accounts (:func:`facts`)."""

    portfolios: list[tuple[int, int]]
    """``(account id, portfolio id)`` of each account, in id order."""
    plans: dict[int, PaymentPlan]
    """Account id → its latest active payment plan."""
    claims: dict[int, list[Claim]]
    """Account id → its claims."""


def facts(connection: Connection, account_ids: Sequence[int]) -> Facts:
    """The portfolios, latest active plans and claims of ``account_ids`` (three queries)."""
    plans = _grouped(connection, PLANS, account_ids, plan_from_row, PLANS.c.active.is_(True))
    claims = _grouped(connection, CLAIMS, account_ids, claim_from_row)
    query = select(ACCOUNTS.c.id, ACCOUNTS.c.portfolio_id).where(among(connection, ACCOUNTS.c.id, account_ids))
    portfolios = [
        (account_id, portfolio_id) for account_id, portfolio_id in connection.execute(query.order_by(ACCOUNTS.c.id))
    ]
    return Facts(portfolios, {account_id: rows[-1] for account_id, rows in plans.items()}, dict(claims))


def summary_rows(
    known: Facts, ledgers: Mapping[int, Sequence[LedgerLine]], now: datetime | None = None
) -> list[dict[str, Any]]:
    """The ``account_summary`` rows of the accounts of ``known`` (in id order), from their whole ledgers in
    posting order (an account missing from ``ledgers`` has none). Pure: no database."""
    moment = now or datetime.now(UTC)
    plans, claims = known.plans, known.claims
    return [
        _values(
            account_id,
            portfolio_id,
            summarize_lines(ledgers.get(account_id, ()), plans.get(account_id)),
            claims.get(account_id, []),
            moment,
        )
        for account_id, portfolio_id in known.portfolios
    ]


def line_groups(rows: Iterable[Sequence[Any]]) -> Generator[tuple[int, list[LedgerLine]], None, None]:
    """``(account id, lines)`` from rows of :data:`LINE_COLUMNS` ordered by account, posted date and id.

    Dates may come as ``date`` (PostgreSQL, SQLAlchemy) or as ISO text (SQLite through the driver); each
    distinct value is converted once.
    """
    days: dict[Any, date] = {}

    def day(value: Any) -> date:
        converted = days[value] = value if isinstance(value, date) else date.fromisoformat(value)
        return converted

    current = -1
    lines: list[LedgerLine] = []
    get = days.get
    for account_id, seq, kind, amount, posted, due, source, reverses in rows:
        if account_id != current:
            if lines:
                yield current, lines
            current, lines = account_id, []
        posted_day = get(posted) or day(posted)
        due_day = None if due is None else (get(due) or day(due))
        lines.append((seq, kind, amount, posted_day, due_day, source, reverses))
    if lines:
        yield current, lines


def compute(
    connection: Connection, account_ids: Sequence[int], ledgers: Mapping[int, Sequence[LedgerLine]] | None = None
) -> list[dict[str, Any]]:
    """Summary rows for ``account_ids``, computed from their ledgers, active plans and claims.

    ``ledgers``: the accounts' whole ledgers in posting order, when the caller has them (an import of the
    lines of accounts that had none); else they are read from the database.
    """
    if not account_ids:
        return []
    if ledgers is None:
        c = LEDGER.c
        query = (
            select(c.account_id, c.id, c.kind, c.amount_cents, c.posted_date, c.due_date, c.source, c.reverses_id)
            .where(among(connection, c.account_id, account_ids))
            .order_by(c.account_id, c.posted_date, c.id)
        )
        ledgers = dict(line_groups(connection.execute(query)))
    return summary_rows(facts(connection, account_ids), ledgers)


def refresh(connection: Connection, account_ids: Sequence[int]) -> None:
    """Recompute and store the summaries of ``account_ids`` inside the caller's transaction."""
    for start in range(0, len(account_ids), 5000):
        upsert(connection, SUMMARIES, compute(connection, account_ids[start : start + 5000]), ["account_id"])


def _all_lines(connection: Connection, fetch: int = 20_000) -> Iterator[Sequence[Any]]:
    """Every ledger line (:data:`LINE_COLUMNS`) in account, posted date and id order, streamed through the
    driver on the caller's connection and transaction (a server-side cursor on PostgreSQL)."""
    driver: Any = connection.connection.driver_connection
    sql = f"SELECT {LINE_COLUMNS} FROM ledger_line ORDER BY account_id, posted_date, id"
    postgresql = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="arrears_summary_lines") if postgresql else driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(fetch):
            yield from rows
    finally:
        cursor.close()


def rebuild_all(connection: Connection, batch: int = 5000, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every account's summary from its ledger; return how many accounts were summarized.

    One ordered pass over the whole ledger, merged with the accounts in id order; plans and claims are
    read per batch of accounts.
    """
    accounts = connection.execute(select(ACCOUNTS.c.id, ACCOUNTS.c.portfolio_id).order_by(ACCOUNTS.c.id)).all()
    groups = line_groups(_all_lines(connection))
    pending = next(groups, None)
    for start in range(0, len(accounts), batch):
        chunk = accounts[start : start + batch]
        ids = [account_id for account_id, _ in chunk]
        plans = _grouped(connection, PLANS, ids, plan_from_row, PLANS.c.active.is_(True))
        claims = _grouped(connection, CLAIMS, ids, claim_from_row)
        now = datetime.now(UTC)
        rows = []
        for account_id, portfolio_id in chunk:
            while pending is not None and pending[0] < account_id:  # lines of no account: cannot be (foreign key)
                pending = next(groups, None)
            lines: Sequence[LedgerLine] = ()
            if pending is not None and pending[0] == account_id:
                lines = pending[1]
                pending = next(groups, None)
            plan = plans[account_id][-1] if plans.get(account_id) else None
            rows.append(
                _values(account_id, portfolio_id, summarize_lines(lines, plan), claims.get(account_id, []), now)
            )
        upsert(connection, SUMMARIES, rows, ["account_id"])
        if progress:
            progress(len(chunk))
    groups.close()
    return len(accounts)
