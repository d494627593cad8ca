"""One account's features, entry and assignment: the per-account twin of the run's frames.

The daily run derives the date-dependent fields, evaluates entry and resolution and assigns over a whole
frame at once (:mod:`arrears.batch.features`, :mod:`arrears.batch.rules`); ``explain`` asks the same of one
account and should not need a frame library for it. These functions take the account's row as the features
read gives it (:mod:`arrears.domain.fields`: cents ``int``, ``date``, ``bool``, ``str``, ``None`` for a
missing value) and add the same columns with the same values, missing values included. They are built on
the per-account rules (:meth:`EntryRules.required_payment_cents`, :func:`match_assignment`,
:func:`arrears.domain.ledger.plan_delinquent`, :func:`arrears.domain.conditions.evaluate`); property tests
check that they and the frames agree on random accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from arrears.domain.cases import OPEN_CASE, WORKED_CASE
from arrears.domain.conditions import account_condition, evaluate
from arrears.domain.ledger import plan_delinquent
from arrears.domain.strategy import EntryRules, Strategy, match_assignment

_WORKED = frozenset(s.value for s in WORKED_CASE)
_OPEN = frozenset(s.value for s in OPEN_CASE)


def _days_since(as_of: date, day: date | None) -> int | None:
    return None if day is None else (as_of - day).days


def derive(row: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """``row`` with the date-dependent fields of the condition catalogue, as
    :func:`arrears.batch.features.derive`: days past due (0 without an unpaid charge), payment plan delinquent
    by the plan's own grace, in collections, oldest claim age; and, where the row has their columns, days since
    the last payment, days in collections and the collector (both only while the case is worked)."""
    in_collections = row["g_status"] in _WORKED
    days_past_due = _days_since(as_of, row["oldest_unpaid_due_date"])
    derived = {
        **row,
        "days_past_due": 0 if days_past_due is None else max(days_past_due, 0),
        "payment_plan_delinquent": row["on_payment_plan"] is True
        and plan_delinquent(row["plan_next_unpaid_due"], row["plan_grace_days"] or 0, as_of),
        "in_collections": in_collections,
        "oldest_claim_age_days": _days_since(as_of, row["oldest_open_claim_billed"]),
    }
    if "last_payment_date" in row:
        derived["days_since_last_payment"] = _days_since(as_of, row["last_payment_date"])
    if "g_entered_on" in row:
        derived["days_in_collections"] = _days_since(as_of, row["g_entered_on"]) if in_collections else None
    if "g_assignee" in row:
        derived["collector"] = row["g_assignee"] if in_collections else None
    return derived


def rules_columns(rules: EntryRules | None) -> dict[str, Any]:
    """A portfolio's effective entry rules (None: its collections are off) as the run's rules frame holds them
    (:func:`arrears.batch.rules.rules_frame`): ``enabled`` false and the default thresholds when off."""
    effective = rules or EntryRules()
    return {
        "enabled": rules is not None,
        "balance_over": effective.balance_over_cents,
        "days_over": effective.days_past_due_over,
        "min_payment": effective.min_payment_cents,
        "min_percent": effective.min_payment_percent,
        "window_days": effective.payment_window_days,
        "force_plans": effective.force_delinquent_plans,
        "plan_grace": effective.delinquent_grace_days,
        "suspend_statements": effective.suspend_statements,
        "notes_to_account": effective.notes_to_account_notes,
        "insurance_days": effective.insurance_claim_days_over if rules is not None else None,
    }


def _greater(value: int | None, than: int | None) -> bool:
    return value is not None and than is not None and value > than


def evaluate_entry(
    row: Mapping[str, Any], strategy: Strategy, payments: Iterable[tuple[date, int]], as_of: date
) -> dict[str, Any]:
    """``row`` (after :func:`derive`) with the entry and resolution columns of
    :func:`arrears.batch.rules.evaluate_entry`: its portfolio's rules, the largest standing guarantor payment
    among ``payments`` (posted, cents) inside the window, the required payment, whether the entry policy's
    condition and its rules hold, the plan late beyond the policy's grace, and whether the account enters or
    resolves on either track."""
    portfolio = row["portfolio"]
    rules = None if portfolio is None else strategy.entry_policy.effective_rules(portfolio)
    columns = rules_columns(rules)
    # an account without a portfolio finds no row in the run's rules frame: every rule column missing
    out = {**row, **(columns if portfolio is not None else dict.fromkeys(columns) | {"enabled": False})}
    window = out["window_days"]
    inside = [amount for posted, amount in payments if window is not None and (as_of - posted).days < window]
    out["largest_payment"] = max(inside, default=0)
    balance = out["balance"]
    out["required_payment"] = None if rules is None or balance is None else rules.required_payment_cents(balance)
    if rules is not None and rules.has_condition and rules.condition:
        out["entry_condition"] = evaluate(account_condition(rules.condition), out)
    else:
        out["entry_condition"] = True
    by_rules = rules is not None and evaluate(account_condition(rules.rules_condition), out)
    grace = out["plan_grace"]
    out["plan_late"] = (
        out["on_payment_plan"] is True
        and grace is not None
        and plan_delinquent(out["plan_next_unpaid_due"], grace, as_of)
    )
    out["qualifies_by_rules"] = by_rules and out["entry_condition"]
    out["plan_missed"] = out["force_plans"] is True and out["plan_late"] and out["entry_condition"]
    g_open = out["g_status"] in _OPEN
    i_open = out["i_status"] in _OPEN
    active = out["mode"] == "active" and out["enabled"]
    insurance_due = _greater(out["oldest_claim_age_days"], out["insurance_days"])
    qualifies = out["qualifies_by_rules"] or out["plan_missed"]
    out["enters"] = active and not g_open and _greater(balance, 0) and qualifies
    out["resolves"] = g_open and balance is not None and balance <= 0
    out["enters_insurance"] = active and not i_open and insurance_due
    insurance_balance = out["insurance_balance"]
    out["resolves_insurance"] = i_open and insurance_balance is not None and insurance_balance <= 0
    return out


def assign(row: Mapping[str, Any], strategy: Strategy) -> dict[str, Any]:
    """``row`` with ``assignee``, ``work``, ``rule_index`` and ``insurance_work``, as
    :func:`arrears.batch.rules.assign`: the first settings of the account's portfolio decide, the plan is
    delinquent by the policy's grace after :func:`evaluate_entry` (else by its own); no settings, no
    assignment."""
    settings = None if row["portfolio"] is None else strategy.entry_policy.portfolio(row["portfolio"])
    if settings is None:
        return {**row, "assignee": None, "work": None, "rule_index": None, "insurance_work": None}
    assignment = settings.assignment
    delinquent = row["plan_late" if "plan_late" in row else "payment_plan_delinquent"]
    match = match_assignment(assignment, row["guarantor_last_name"] or "", row["balance"], delinquent, row)
    return {
        **row,
        "assignee": match.assignee,
        "work": match.work,
        "rule_index": match.rule_index,
        "insurance_work": assignment.insurance_action or None,
    }
