"""Entry policy, resolution and task assignment evaluated over the whole features frame at once.

The small per-portfolio configuration becomes a frame joined on ``portfolio``; every rule is then one
Polars expression over all accounts. The per-account meaning is that of :mod:`arrears.domain.strategy`
(:meth:`EntryRules.required_payment_cents`, :func:`match_assignment`), which the tests check row by row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from arrears.domain.cases import OPEN_CASE
from arrears.domain.strategy import AssignmentType, EntryRules, Strategy, TaskAssignment

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
    rows = []
    policy = strategy.entry_policy
    for code in sorted(set(portfolios)):
        rules = policy.effective_rules(code)
        effective = rules or EntryRules()
        rows.append(
            {
                "portfolio": code,
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
        )
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


def evaluate_entry(frame: pl.DataFrame, rules: pl.DataFrame, payments: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Add entry and resolution columns: ``enters``, ``qualifies_by_rules``, ``plan_late``, ``plan_missed``,
    ``resolves``, ``required_payment``, ``largest_payment``, and the insurance equivalents ``enters_insurance``,
    ``resolves_insurance``."""
    frame = frame.join(rules, on="portfolio", how="left").with_columns(pl.col("enabled").fill_null(False))
    frame = frame.join(largest_payments(payments, frame, as_of), on="account_id", how="left").with_columns(
        pl.col("largest_payment").fill_null(0)
    )
    balance = pl.col("balance")
    # max($Y, Z% of the balance rounded up to the cent), in integers: ceil(a/b) = -((-a) // b)
    percent_of_balance = -((-(pl.col("min_percent") * balance)) // 100)
    required = pl.max_horizontal(pl.col("min_payment"), percent_of_balance)
    # One meaning of "open" for both tracks: a referred insurance case still resolves when its claim is paid.
    g_open = pl.col("g_status").is_in(sorted(s.value for s in OPEN_CASE)).fill_null(False)
    i_open = pl.col("i_status").is_in(sorted(s.value for s in OPEN_CASE)).fill_null(False)
    active = (pl.col("mode") == "active") & pl.col("enabled")
    by_rules = (
        (balance > pl.col("balance_over"))
        & (pl.col("days_past_due") > pl.col("days_over"))
        & (pl.col("largest_payment") < required)
    )
    # Delinquent beyond the policy's grace period: what forces an account in, and what a "missed payment
    # plan only" assignment rule looks at (see :func:`assign`).
    plan_late = (
        pl.col("on_payment_plan")
        & pl.col("plan_next_unpaid_due").is_not_null()
        & ((pl.lit(as_of) - pl.col("plan_next_unpaid_due")).dt.total_days() > pl.col("plan_grace"))
    ).fill_null(False)
    plan_missed = (pl.col("force_plans") & plan_late).fill_null(False)
    claim_age = pl.col("oldest_claim_age_days")
    insurance_due = (pl.col("insurance_days").is_not_null() & (claim_age > pl.col("insurance_days"))).fill_null(False)
    return frame.with_columns(
        required_payment=required,
        qualifies_by_rules=by_rules.fill_null(False),
        plan_late=plan_late,
        plan_missed=plan_missed,
        enters=(active & ~g_open & (balance > 0) & (by_rules | plan_missed)).fill_null(False),
        resolves=(g_open & (balance <= 0)).fill_null(False),
        enters_insurance=(active & ~i_open & insurance_due).fill_null(False),
        resolves_insurance=(i_open & (pl.col("insurance_balance") <= 0)).fill_null(False),
    )


def _initial() -> pl.Expr:
    """First letter A–Z of the guarantor's last name (accents removed), else null."""
    first = pl.col("guarantor_last_name").fill_null("").str.strip_chars().str.normalize("NFKD").str.slice(0, 1)
    upper = first.str.to_uppercase()
    return pl.when(upper.str.contains("^[A-Z]$")).then(upper)


def _rule_condition(assignment: TaskAssignment, low: str | int, high: str | int) -> pl.Expr:
    if assignment.assignment_type is AssignmentType.NAME_RANGE:
        return pl.col("initial").is_between(pl.lit(str(low).upper()), pl.lit(str(high).upper()))
    return pl.col("balance").is_between(int(low), int(high))


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
            if bool(rule.collector) == bool(rule.group):
                continue
            condition = _rule_condition(assignment, rule.from_, rule.to)
            if missed_only:
                condition = condition & delinquent
            condition = condition.fill_null(False)
            p_assignee = pl.when(condition).then(pl.lit(rule.assignee)).otherwise(p_assignee)
            p_work = pl.when(condition).then(pl.lit(rule.default_work or assignment.default_action)).otherwise(p_work)
            p_index = pl.when(condition).then(pl.lit(index, dtype=pl.Int64)).otherwise(p_index)
        assignee = pl.when(in_portfolio).then(p_assignee).otherwise(assignee)
        work = pl.when(in_portfolio).then(p_work).otherwise(work)
        rule_index = pl.when(in_portfolio).then(p_index).otherwise(rule_index)
        insurance = pl.when(in_portfolio).then(pl.lit(assignment.insurance_action or None)).otherwise(insurance)
    return frame.with_columns(assignee=assignee, work=work, rule_index=rule_index, insurance_work=insurance)
