"""Why an account is (or is not) in collections: every entry rule with the account's value and threshold,
the assignment that matched, and every pending activity with the reason it exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from arrears.domain.cases import OPEN_CASE, PENDING_ACTIVITY
from arrears.domain.errors import NotFound
from arrears.domain.money import format_cents
from arrears.domain.strategy import Strategy
from arrears.services.run import features_frame
from arrears.store.db import Database
from arrears.store.models import AccountRow, ActivityRow, CollectionsCaseRow, HistoryRow


@dataclass(frozen=True, slots=True)
class Check:
    """One rule: what it asks, the account's value, and whether it holds."""

    rule: str
    value: str
    threshold: str
    holds: bool


@dataclass(slots=True)
class Explanation:
    """The whole answer for one account on one date."""

    account: str
    as_of: date
    portfolio: str
    policy: str
    checks: list[Check] = field(default_factory=list)
    verdict: str = ""
    assignment: str = ""
    cases: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "account": self.account,
            "as_of": self.as_of.isoformat(),
            "portfolio": self.portfolio,
            "policy": self.policy,
            "checks": [{s: getattr(c, s) for s in Check.__slots__} for c in self.checks],
            "verdict": self.verdict,
            "assignment": self.assignment,
            "cases": self.cases,
            "pending": self.pending,
            "history": self.history,
        }


def explain(db: Database, external_id: str, as_of: date, strategy: Strategy) -> Explanation:
    """Explain the account ``external_id`` on ``as_of`` under ``strategy``."""
    with db.engine.connect() as connection:
        account_id = connection.scalar(select(AccountRow.id).where(AccountRow.external_id == external_id))
        if account_id is None:
            raise NotFound(f"no account {external_id!r}")
        frame = features_frame(connection, strategy, as_of, account_id, account_id, None)
        row = frame.row(0, named=True)
        cases = connection.execute(select(CollectionsCaseRow).where(CollectionsCaseRow.account_id == account_id))
        case_rows = [
            {"track": c.track, "episode": c.episode, "status": c.status, "entered_on": c.entered_on,
             "assignee": c.assignee, "work": c.work, "entry_reason": c.entry_reason, "closed_on": c.closed_on,
             "close_reason": c.close_reason}
            for c in cases
        ]  # fmt: skip
        pending = connection.execute(
            select(ActivityRow)
            .where(ActivityRow.account_id == account_id, ActivityRow.status.in_([s.value for s in PENDING_ACTIVITY]))
            .order_by(ActivityRow.due_date, ActivityRow.id)
        )
        pending_rows = [
            {"id": a.id, "kind": a.kind, "action": a.action, "assignee": a.assignee, "due": a.due_date,
             "status": a.status, "reason": a.reason}
            for a in pending
        ]  # fmt: skip
        history = connection.execute(
            select(HistoryRow).where(HistoryRow.account_id == account_id).order_by(HistoryRow.on, HistoryRow.id)
        )
        history_rows = [{"on": h.on, "event": h.event, "detail": h.detail} for h in history]
    portfolio = row["portfolio"]
    policy = strategy.entry_policy
    if not row["enabled"]:
        source = "collections disabled for this portfolio (no entry rules apply)"
    elif policy.assignment_level(portfolio) == "Portfolio":
        source = f"portfolio {portfolio} overrides the enterprise rules"
    else:
        source = "enterprise rules"
    result = Explanation(
        external_id, as_of, portfolio, source, cases=case_rows, pending=pending_rows, history=history_rows
    )
    if row["enabled"]:
        result.checks = [
            Check("balance is greater than", format_cents(row["balance"]), format_cents(row["balance_over"]),
                  row["balance"] > row["balance_over"]),
            Check("days past due is more than", str(row["days_past_due"]), str(row["days_over"]),
                  row["days_past_due"] > row["days_over"]),
            Check(
                f"no guarantor payment of max(${row['min_payment'] / 100:,.2f}, {row['min_percent']}%) "
                f"in the last {row['window_days']} days",
                f"largest {format_cents(row['largest_payment'])}",
                f"required {format_cents(row['required_payment'])}",
                row["largest_payment"] < row["required_payment"],
            ),
            Check("delinquent payment plan forced to collections (grace days)",
                  str(row["plan_next_unpaid_due"] or "no missed installment"),
                  f"{row['plan_grace']} days" if row["force_plans"] else "off", bool(row["plan_missed"])),
        ]  # fmt: skip
    in_collections = row["g_status"] in OPEN_CASE
    if in_collections:
        result.verdict = f"in collections ({row['g_status']}) since {row['g_entered_on']}"
    elif row["enters"]:
        result.verdict = "qualifies: enters guarantor collections on the next run of this date"
    else:
        result.verdict = "does not qualify for guarantor collections"
    index = row["rule_index"]
    assignment = policy.assignment(portfolio)
    if assignment is not None:
        how = (
            f"rule {index + 1} ({assignment.rules[index].from_}–{assignment.rules[index].to})"
            if index is not None
            else "no rule matched: defaults"
        )
        result.assignment = (
            f"{assignment.assignment_type.value.replace('_', ' ')}: {how} → {row['assignee']}, work '{row['work']}'"
        )
    return result
