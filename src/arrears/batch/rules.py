"""Entry policy, resolution and task assignment evaluated over the whole features frame at once.

The small per-portfolio configuration becomes a frame joined on ``portfolio`` (the thresholds the history
and ``explain`` show); the entry rules and every configured condition are compiled by the condition language
(:mod:`arrears.batch.conditions`) and evaluated as Polars expressions over all accounts. The per-account
meaning is that of :mod:`arrears.domain` (:meth:`EntryRules.required_payment_cents`, :func:`match_assignment`,
:func:`arrears.domain.ledger.plan_delinquent`), and :mod:`arrears.domain.features` gives one account every
column this module adds; property tests check that they agree on random accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import polars as pl

from arrears.batch.conditions import to_polars
from arrears.domain.cases import OPEN_CASE
from arrears.domain.conditions import account_condition
from arrears.domain.features import rules_columns
from arrears.domain.strategy import (
    NAME_WHITESPACE,
    AssignmentRule,
    AssignmentType,
    EntryRules,
    Strategy,
    TaskAssignment,
    rule_bounds,
)

RULE_COLUMNS = {
    "enabled": pl.Boolean,
    "balance_over": pl.Int64,
    "days_over": pl.Int64,
    "min_payment": pl.Int64,
    "min_percent": pl.Int64,
    "window_days": pl.Int64,
    "force_plans": pl.Boolean,
    "plan_grace": pl.Int64,
    "suspend_statements": pl.Boolean,
    "notes_to_account": pl.Boolean,
    "insurance_days": pl.Int64,
}


def rules_frame(strategy: Strategy, portfolios: Iterable[str]) -> pl.DataFrame:
    """One row per portfolio with its effective entry rules (``enabled`` false when collections are off)."""
    policy = strategy.entry_policy
    rows = [{"portfolio": code, **rules_columns(policy.effective_rules(code))} for code in sorted(set(portfolios))]
    return pl.DataFrame(rows, schema={"portfolio": pl.Utf8, **RULE_COLUMNS})


def largest_window_days(strategy: Strategy, portfolios: Iterable[str]) -> int:
    """The longest payment window of any enabled portfolio (how far back payments must be read)."""
    windows = [r.payment_window_days for p in portfolios if (r := strategy.entry_policy.effective_rules(p))]
    return max(windows, default=0)


def largest_payments(payments: pl.DataFrame, frame: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Per account, the largest standing guarantor payment inside its portfolio's window."""
    windows = frame.select("account_id", "window_days")
    return (
        payments.join(windows, on="account_id")
        .filter((pl.lit(as_of) - pl.col("posted")).dt.total_days() < pl.col("window_days"))
        .group_by("account_id")
        .agg(largest_payment=pl.col("amount").max())
    )


def required_payment(balance: pl.Expr, min_payment: pl.Expr, min_percent: pl.Expr) -> pl.Expr:
    """max($Y, Z% of the balance rounded up to the cent) in integers, as
    :meth:`EntryRules.required_payment_cents`: with balance = 100 q + r (0 <= r < 100),
    ceil(Z * balance / 100) = Z q + ceil(Z r / 100), and ceil(a / b) = -((-a) // b). Splitting the balance
    keeps Z * balance from overflowing 64 bits for any balance the frame can hold; a balance of zero or less
    needs $Y (its percentage is not positive, and $Y is never negative)."""
    positive = balance.clip(lower_bound=0)
    whole, rest = positive // 100, positive % 100
    percent_of_balance = min_percent * whole - ((-(min_percent * rest)) // 100)
    return pl.max_horizontal(min_payment, percent_of_balance)


def plan_delinquent(on_payment_plan: pl.Expr, next_unpaid_due: pl.Expr, grace_days: pl.Expr, as_of: date) -> pl.Expr:
    """On a payment plan whose oldest unpaid installment is more than ``grace_days`` late, never null, as
    :func:`arrears.domain.ledger.plan_delinquent`."""
    late = (pl.lit(as_of) - next_unpaid_due).dt.total_days() > grace_days
    return (on_payment_plan & next_unpaid_due.is_not_null() & late).fill_null(False)


def _by_policy(
    strategy: Strategy, portfolios: Iterable[str], condition: Callable[[EntryRules], pl.Expr], otherwise: bool
) -> pl.Expr:
    """Per account, ``condition`` of its portfolio's effective entry rules (``otherwise`` where none apply).

    Portfolios sharing the same rules (all that follow the enterprise) share one branch."""
    members: dict[EntryRules, list[str]] = {}
    for code in sorted(set(portfolios)):
        if (rules := strategy.entry_policy.effective_rules(code)) is not None:
            members.setdefault(rules, []).append(code)
    result = pl.lit(otherwise)
    for rules, codes in members.items():
        result = pl.when(pl.col("portfolio").is_in(codes)).then(condition(rules)).otherwise(result)
    return result


def _additional(rules: EntryRules) -> pl.Expr:
    return to_polars(account_condition(rules.condition)) if rules.has_condition and rules.condition else pl.lit(True)


def evaluate_entry(frame: pl.DataFrame, strategy: Strategy, payments: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Add entry and resolution columns: ``enters``, ``qualifies_by_rules``, ``entry_condition``, ``plan_late``,
    ``plan_missed``, ``resolves``, ``required_payment``, ``largest_payment``, and the insurance equivalents
    ``enters_insurance``, ``resolves_insurance``.

    Guarantor entry is the portfolio's rules compiled as a condition (:attr:`EntryRules.rules_condition`),
    or a payment plan delinquent beyond the policy's grace days when those are forced in; either way only
    where the policy's additional condition (``entry_condition``, true without one) holds."""
    codes = frame.get_column("portfolio").drop_nulls().unique().to_list()
    frame = frame.join(rules_frame(strategy, codes), on="portfolio", how="left").with_columns(
        pl.col("enabled").fill_null(False)
    )
    frame = frame.join(largest_payments(payments, frame, as_of), on="account_id", how="left").with_columns(
        pl.col("largest_payment").fill_null(0),
        required_payment=pl.when(pl.col("enabled")).then(
            required_payment(pl.col("balance"), pl.col("min_payment"), pl.col("min_percent"))
        ),
    )
    balance = pl.col("balance")
    # One meaning of "open" for both tracks: a referred insurance case still resolves when its claim is paid.
    g_open = pl.col("g_status").is_in(sorted(s.value for s in OPEN_CASE)).fill_null(False)
    i_open = pl.col("i_status").is_in(sorted(s.value for s in OPEN_CASE)).fill_null(False)
    active = (pl.col("mode") == "active") & pl.col("enabled")
    condition = _by_policy(strategy, codes, _additional, otherwise=True)
    by_rules = _by_policy(strategy, codes, lambda rules: to_polars(account_condition(rules.rules_condition)), False)
    # Delinquent beyond the policy's grace period: what forces an account in, and what a "missed payment
    # plan only" assignment rule looks at (see :func:`assign`).
    plan_late = plan_delinquent(pl.col("on_payment_plan"), pl.col("plan_next_unpaid_due"), pl.col("plan_grace"), as_of)
    claim_age = pl.col("oldest_claim_age_days")
    insurance_due = (pl.col("insurance_days").is_not_null() & (claim_age > pl.col("insurance_days"))).fill_null(False)
    frame = frame.with_columns(entry_condition=condition, plan_late=plan_late)
    qualifies = (by_rules & pl.col("entry_condition")).fill_null(False)
    plan_missed = (pl.col("force_plans") & pl.col("plan_late") & pl.col("entry_condition")).fill_null(False)
    frame = frame.with_columns(qualifies_by_rules=qualifies, plan_missed=plan_missed)
    enters = active & ~g_open & (balance > 0) & (pl.col("qualifies_by_rules") | pl.col("plan_missed"))
    return frame.with_columns(
        enters=enters.fill_null(False),
        resolves=(g_open & (balance <= 0)).fill_null(False),
        enters_insurance=(active & ~i_open & insurance_due).fill_null(False),
        resolves_insurance=(i_open & (pl.col("insurance_balance") <= 0)).fill_null(False),
    )


def _initial() -> pl.Expr:
    """First letter A–Z of the guarantor's last name, as :func:`arrears.domain.strategy.name_initial`: spaces
    skipped, the first character decomposed (accents removed), an ASCII letter upper-cased, else null."""
    first = pl.col("guarantor_last_name").fill_null("").str.strip_chars_start(NAME_WHITESPACE).str.slice(0, 1)
    letter = first.str.normalize("NFKD").str.slice(0, 1)
    return pl.when(letter.str.contains("^[A-Za-z]$")).then(letter.str.to_uppercase())


def _rule_matches(assignment: TaskAssignment, rule: AssignmentRule) -> pl.Expr | None:
    """Where the rule's range (and its condition) hold; None for a rule that never matches."""
    bounds = rule_bounds(rule, assignment.assignment_type)
    if bounds is None or not rule.has_one_assignee:
        return None
    low, high = bounds
    if assignment.assignment_type is AssignmentType.NAME_RANGE:
        matches = pl.col("initial").is_between(pl.lit(chr(low)), pl.lit(chr(high)))
    else:
        matches = pl.col("balance").is_between(low, high)
    if rule.has_condition and rule.condition is not None:
        matches = matches & to_polars(account_condition(rule.condition))
    return matches


def assign(frame: pl.DataFrame, strategy: Strategy) -> pl.DataFrame:
    """Add ``assignee``, ``work``, ``rule_index`` (0-based or null) and ``insurance_work`` per account.

    Missed-payment-plan-only rules come first for accounts whose plan is delinquent; then the table in
    order; then the portfolio's default collector and default action. After :func:`evaluate_entry`, a plan
    is delinquent when an installment is unpaid beyond the policy's grace period (``plan_late``, the fact
    that forces delinquent plans in), else by the plan's own grace (``payment_plan_delinquent``).
    """
    frame = frame.with_columns(initial=_initial())
    delinquent = pl.col("plan_late" if "plan_late" in frame.columns else "payment_plan_delinquent")
    assignee = pl.lit(None, dtype=pl.Utf8)
    work = pl.lit(None, dtype=pl.Utf8)
    rule_index = pl.lit(None, dtype=pl.Int64)
    insurance = pl.lit(None, dtype=pl.Utf8)
    # Built from the last choice to the first, so the earliest matching branch wins.
    for settings in reversed(strategy.entry_policy.portfolios):
        assignment = settings.assignment
        in_portfolio = pl.col("portfolio") == settings.portfolio
        p_assignee = pl.lit(assignment.default_collector)
        p_work = pl.lit(assignment.default_action)
        p_index = pl.lit(None, dtype=pl.Int64)
        indexed = list(enumerate(assignment.rules))
        ordered = [(i, r, True) for i, r in indexed if r.missed_plan_only]
        ordered += [(i, r, False) for i, r in indexed if not r.missed_plan_only]
        for index, rule, missed_only in reversed(ordered):
            matches = _rule_matches(assignment, rule)
            if matches is None:
                continue
            if missed_only:
                matches = matches & delinquent
            matches = matches.fill_null(False)
            p_assignee = pl.when(matches).then(pl.lit(rule.assignee)).otherwise(p_assignee)
            p_work = pl.when(matches).then(pl.lit(rule.work(assignment.default_action))).otherwise(p_work)
            p_index = pl.when(matches).then(pl.lit(index, dtype=pl.Int64)).otherwise(p_index)
        assignee = pl.when(in_portfolio).then(p_assignee).otherwise(assignee)
        work = pl.when(in_portfolio).then(p_work).otherwise(work)
        rule_index = pl.when(in_portfolio).then(p_index).otherwise(rule_index)
        insurance = pl.when(in_portfolio).then(pl.lit(assignment.insurance_action or None)).otherwise(insurance)
    return frame.with_columns(assignee=assignee, work=work, rule_index=rule_index, insurance_work=insurance)
