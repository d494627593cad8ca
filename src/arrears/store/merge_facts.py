"""What a letter's merge data is made of, read for many accounts at once: the guarantor and the
representatives on file, the account and portfolio with its letterhead, the anchor of the current guarantor
case (the itemization date), the payment plan, the promise to pay that stands, and the ledger lines (with their
descriptions) from which the account's position, itemization and plan standing on a date are computed."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.ledger import LedgerLine, PaymentPlan
from arrears.domain.promises import PromiseOnFile, PromiseState, PromiseStatus, PromiseTerms, Repeat
from arrears.store import tables
from arrears.store.promises import OPEN_SQL
from arrears.store.summaries import LINE_COLUMNS, PLANS, line_groups, plan_from_row

PARTY_FIELDS = ("first_name", "last_name", "address1", "address2", "city", "state", "postal_code")
ADDRESS_FIELDS = ("address1", "address2", "city", "state", "postal_code")
REPRESENTATIVE_FIELDS = ("name", *ADDRESS_FIELDS)


@dataclass(frozen=True, slots=True)
class MergeFacts:
    """One account's facts for its letters."""

    account_id: int
    party: dict[str, str]
    external_id: str
    status_code: str
    portfolio_code: str
    portfolio_name: str
    lines: tuple[LedgerLine, ...]
    """The whole ledger in posting order."""
    descriptions: dict[int, str]
    """Ledger line id → its description, for the itemization."""
    anchor_due: date | None
    """The current guarantor case's anchor: the oldest unpaid due date when it entered collections."""
    plan: PaymentPlan | None = None
    """The account's payment plan: the latest active one."""
    representatives: dict[str, dict[str, str]] = field(default_factory=dict)
    """The guarantor's representatives on file by role (attorney, estate_representative): name and address
    (:data:`REPRESENTATIVE_FIELDS`)."""
    promise: PromiseOnFile | None = None
    """The account's oldest promise to pay that stands (the one payments count toward), None without one."""


def logo_uri(logo: bytes | None, logo_type: str) -> str:
    """A logo as a ``data:`` URI (empty without a logo): letters embed it, nothing is fetched to print one."""
    if not logo:
        return ""
    return f"data:{logo_type or 'image/png'};base64,{base64.b64encode(logo).decode('ascii')}"


def read_letterheads(connection: Connection, with_logo: bool = True) -> dict[str, dict[str, str]]:
    """Every portfolio's letterhead by code: address fields, phone, logo (a data: URI, left empty unless
    ``with_logo``). A portfolio without an address, phone or logo of its own takes its parent's."""
    # the table's columns, not the row class's: naming the class would map every row class (the ORM's import
    # and configuration, about 0.3 s of CPU) in each of a daily run's worker processes
    portfolio = tables.portfolio.c
    columns = [portfolio[name] for name in ("id", "code", "parent_id", *ADDRESS_FIELDS, "phone", "logo_type")]
    if with_logo:
        columns.append(portfolio.logo)
    rows = {row.id: row for row in connection.execute(select(*columns))}

    def own(row_id: int) -> dict[str, str]:
        row = rows[row_id]
        head = {f: getattr(row, f) or "" for f in (*ADDRESS_FIELDS, "phone")}
        head["logo"] = logo_uri(row.logo, row.logo_type) if with_logo else ""
        return head

    def letterhead(row_id: int, depth: int = 0) -> dict[str, str]:
        head = own(row_id)
        parent = rows[row_id].parent_id
        if parent is None or parent not in rows or depth > 20:
            return head
        inherited = letterhead(parent, depth + 1)
        if not head["address1"]:
            head.update({f: inherited[f] for f in ADDRESS_FIELDS})
        for name in ("phone", "logo"):
            head[name] = head[name] or inherited[name]
        return head

    return {row.code: letterhead(row_id) for row_id, row in rows.items()}


def _day(value: object) -> date | None:
    # SQLite hands the driver's ISO text back; PostgreSQL a date.
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value))


def _standing_promises(connection: Connection, cursor: Any, ids: str) -> dict[int, PromiseOnFile]:
    """The oldest promise that stands of each account of ``ids`` (a list of ids as SQL), with its collector's
    configured name."""
    cursor.execute(
        "SELECT account_id, amount_cents, first_due, installment, paid_cents, status, grace_days, repeat_period, "
        f"repeat_days, advance, collector, channel FROM promise WHERE account_id IN ({ids}) AND status IN "
        f"({OPEN_SQL}) ORDER BY account_id, id DESC"
    )
    rows = {row[0]: row for row in cursor.fetchall()}  # by id, descending: the oldest of an account is left
    if not rows:
        return {}
    codes = sorted({row[10] for row in rows.values()})
    names = {name: str(json.loads(body).get("name") or name) for name, body in connection.execute(
        select(tables.config_entity.c.name, tables.config_entity.c.body)
        .where(tables.config_entity.c.kind == "collector", tables.config_entity.c.name.in_(codes)))}  # fmt: skip
    found = {}
    for account_id, amount, first_due, installment, paid, status, grace, period, days, advance, who, channel in (
        rows.values()
    ):  # fmt: skip
        repeat = Repeat(RepeatPeriod(period)) if period else Repeat(days=days) if days else None
        terms = PromiseTerms(int(amount), _day(first_due) or date.min, repeat, int(grace), bool(advance))
        state = PromiseState(int(installment), int(paid), PromiseStatus(status))
        found[account_id] = PromiseOnFile(terms, state, who, names.get(who, who), channel)
    return found


def read_merge_facts(connection: Connection, account_ids: Sequence[int]) -> dict[int, MergeFacts]:
    """The merge facts of ``account_ids`` (unknown ids are left out). Read through the driver: the run reads
    this for every letter it queues."""
    facts: dict[int, MergeFacts] = {}
    party = ", ".join(f"g.{name}" for name in PARTY_FIELDS)
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(account_ids), 2000):
            batch = list(account_ids[start : start + 2000])
            ids = ", ".join(str(int(i)) for i in batch)
            cursor.execute(
                f"SELECT {LINE_COLUMNS}, description FROM ledger_line WHERE account_id IN ({ids}) "
                "ORDER BY account_id, posted_date, id"
            )
            rows = cursor.fetchall()
            lines = dict(line_groups(row[:-1] for row in rows))
            descriptions: dict[int, dict[int, str]] = {i: {} for i in batch}
            for row in rows:
                if row[-1]:
                    descriptions[row[0]][row[1]] = row[-1]
            # Bounded by the batch's range too: for a list alone PostgreSQL scans every case.
            cursor.execute(
                f"SELECT account_id, anchor_due FROM collections_case WHERE account_id IN ({ids}) "
                f"AND track = 'guarantor' AND is_current AND account_id BETWEEN {int(min(batch))} AND {int(max(batch))}"
            )
            anchors = {account_id: _day(anchor) for account_id, anchor in cursor.fetchall()}
            representatives: dict[int, dict[str, dict[str, str]]] = {i: {} for i in batch}
            cursor.execute(
                f"SELECT a.id, r.role, {', '.join(f'r.{name}' for name in REPRESENTATIVE_FIELDS)} FROM account a "
                f"JOIN party_role r ON r.party_id = a.guarantor_id WHERE a.id IN ({ids})"
            )
            for account_id, role, *values in cursor.fetchall():
                fields = zip(REPRESENTATIVE_FIELDS, values, strict=True)
                representatives[account_id][role] = {name: value or "" for name, value in fields}
            plans = {row.account_id: plan_from_row(row) for row in connection.execute(
                select(PLANS).where(PLANS.c.account_id.in_(batch), PLANS.c.active.is_(True))
                .order_by(PLANS.c.account_id, PLANS.c.id)
            )}  # fmt: skip  # by id: the latest active plan of an account is the one left
            promises = _standing_promises(connection, cursor, ids)
            cursor.execute(
                f"SELECT a.id, a.external_id, a.status_code, p.code, p.name, {party} FROM account a "
                f"JOIN portfolio p ON p.id = a.portfolio_id JOIN party g ON g.id = a.guarantor_id WHERE a.id IN ({ids})"
            )
            for account_id, external_id, status_code, code, name, *values in cursor.fetchall():
                facts[account_id] = MergeFacts(
                    account_id, {f: v or "" for f, v in zip(PARTY_FIELDS, values, strict=True)}, external_id,
                    status_code or "", code, name, tuple(lines.get(account_id, ())), descriptions[account_id],
                    anchors.get(account_id), plans.get(account_id), representatives[account_id],
                    promises.get(account_id),
                )  # fmt: skip
    finally:
        cursor.close()
    return facts
