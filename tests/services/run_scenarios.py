"""The daily run's scenario kit: a strategy, a world notation, and readers of what the run wrote.

The world notation: an unindented line opens an account ``CODE LAST_NAME PORTFOLIO [FACT ...]``, where a
fact is a flag of the guarantor (``deceased``, ``bankruptcy``, ``attorney_represented``,
``cease_communication``, ``do_not_call``), ``state=TX``, ``disputed=2026-02-01`` or ``status=HOLD`` (the
account's status code); the indented lines under it are its ledger in :mod:`tests.notation` form, or
``claim BILLED AMOUNT`` (an open insurance claim), or ``plan INSTALLMENT monthly from FIRST_DUE [grace N]``
(a payment plan)::

    ann Adams NORTH bankruptcy state=TX
        2026-01-01 charge 100.00 due 2026-01-15
        2026-02-10 payment 10.00 guarantor

Kept importable without pytest: the kill-and-resume test's child process imports the strategy from here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, text

from arrears.domain.ledger import Frequency, PaymentPlan
from arrears.domain.model import Account, Claim, Party
from arrears.domain.money import Money
from arrears.domain.strategy import (
    Action,
    ActionKind,
    ActionParams,
    AssignmentRule,
    AssignmentType,
    CollectionType,
    Collector,
    EntryPolicy,
    EntryRules,
    FinalAction,
    LetterTemplate,
    PortfolioCollections,
    Series,
    SeriesStep,
    Strategy,
    TaskAssignment,
    validate_strategy,
)
from arrears.domain.strategy.schemes import Milestone, MilestoneAction, MilestoneActionKind, Scheme
from arrears.services.accounts import Posting, add_claim, add_payment_plan, create_portfolio, open_account
from arrears.services.accounts import post_transaction as post
from arrears.store.db import Database
from arrears.store.models import AccountRow, RunRow
from arrears.store.tables import metadata
from tests.notation import d, ledger

G, INS = CollectionType.GUARANTOR, CollectionType.INSURANCE


def _action(name: str, kind: ActionKind, ctype: CollectionType = G, **params: Any) -> Action:
    nxt, days = params.pop("next_action", None), params.pop("follow_up_days", None)
    return Action(name, ctype, kind, ActionParams(**params), next_action=nxt, follow_up_days=days, all_portfolios=True)


ACTIONS = (
    _action("Letter 30", ActionKind.LETTER, template_code="L30"),
    _action("Letter 60", ActionKind.LETTER, template_code="L60"),
    _action("Call 1", ActionKind.PHONE_CALL, next_action="Call 2", follow_up_days=7),
    _action("Call 2", ActionKind.PHONE_CALL),
    _action("Plan Call", ActionKind.PHONE_CALL),
    _action("Late Fee", ActionKind.FEE, amount_cents=1500, description="Collection fee"),
    _action("Collections Note", ActionKind.NOTE, text="Account sent to collections"),
    _action("Status COLL", ActionKind.STATUS_CHANGE, status_code="COLL"),
    _action("Refer", ActionKind.EXTERNAL_REFERRAL, agency="Acme Agency"),
    _action("Claim Letter", ActionKind.LETTER, INS, template_code="CLM"),
    _action("Claim Review", ActionKind.REVIEW, INS),
)
SERIES = (
    Series(
        "Guarantor Letters",
        G,
        (SeriesStep("Letter 30", 30), SeriesStep("Letter 60", 30)),
        FinalAction.EXTERNAL_COLLECTIONS,
        all_portfolios=True,
    ),
    Series(
        "Claim Series",
        INS,
        (SeriesStep("Claim Letter", 14), SeriesStep("Claim Review", 14)),
        FinalAction.CUSTOM,
        custom_action="Claim Review",
        all_portfolios=True,
    ),
    Series(
        "Full Works",
        G,
        (SeriesStep("Letter 30", 0), SeriesStep("Late Fee", 0), SeriesStep("Collections Note", 0)),
        FinalAction.CUSTOM,
        custom_action="Status COLL",
        all_portfolios=True,
    ),
)
COLLECTORS = tuple(Collector(code, code) for code in ("AL", "BO", "DEF", "PP", "LO", "HI"))
LETTERS = tuple(LetterTemplate(code, code, body="Dear {{ first_name }}", validation_notice=code == "L30")
                for code in ("L30", "L60", "CLM"))  # fmt: skip
"""L30, the first letter of a guarantor case, is its validation notice (the release gate's V02 wants one)."""

ENTERPRISE_RULES = EntryRules(
    balance_over_cents=2500,
    days_past_due_over=45,
    min_payment_cents=2500,
    min_payment_percent=10,
    payment_window_days=30,
    force_delinquent_plans=True,
    delinquent_grace_days=10,
    suspend_statements=True,
    insurance_claim_days_over=60,
)
NORTH = PortfolioCollections(
    "NORTH",
    assignment=TaskAssignment(
        AssignmentType.NAME_RANGE,
        default_collector="DEF",
        default_action="Letter 30",
        rules=(
            AssignmentRule("A", "D", collector="AL", default_work="Guarantor Letters"),
            AssignmentRule("E", "H", collector="BO", default_work="Call 1"),
            AssignmentRule("A", "Z", collector="PP", default_work="Plan Call", missed_plan_only=True),
        ),
        insurance_action="Claim Series",
    ),
)
SOUTH = PortfolioCollections(
    "SOUTH",
    override_enterprise=True,
    rules=EntryRules(
        balance_over_cents=10_000,
        days_past_due_over=30,
        min_payment_cents=5_000,
        min_payment_percent=20,
        payment_window_days=60,
    ),
    assignment=TaskAssignment(
        AssignmentType.BALANCE_RANGE,
        default_collector="DEF",
        default_action="Letter 30",
        rules=(
            AssignmentRule(10_001, 50_000, collector="LO", default_work="Collections Note"),
            AssignmentRule(50_001, 250_000, collector="HI", default_work="Late Fee"),
        ),
    ),
)
OFF = PortfolioCollections("OFF", collections_enabled=False)
PORTFOLIOS = ("NORTH", "SOUTH", "OFF")

STRATEGY = Strategy(
    collectors=COLLECTORS,
    letters=LETTERS,
    actions=ACTIONS,
    series=SERIES,
    entry_policy=EntryPolicy(ENTERPRISE_RULES, (NORTH, SOUTH, OFF)),
)
assert not validate_strategy(STRATEGY, PORTFOLIOS), validate_strategy(STRATEGY, PORTFOLIOS)


def resume_strategy() -> Strategy:
    """NORTH's default action is "Full Works" (letter, fee, note, status change on the entry day), so a
    resumed run has every kind of effect to duplicate or lose."""
    full = replace(NORTH, assignment=replace(NORTH.assignment, default_action="Full Works"))
    return with_portfolio(with_rules(notes_to_account_notes=True), full)


def milestone_resume_strategy() -> Strategy:
    """:func:`resume_strategy` with an enterprise milestone scheme every account can enter (30 and 45 days past
    due, jumping): on the resume data set's day a resumed run has milestone moves and every kind of milestone
    action to duplicate or lose."""
    K = MilestoneActionKind
    scheme = Scheme(
        "RESUME", "Resumed scheme",
        (
            Milestone("30 days", days_past_due=30, duration_days=10,
                      actions=(MilestoneAction(K.NOTICE, template="L30"),
                               MilestoneAction(K.ONE_OFF_CHARGE, line_item_type="Late fee", amount_cents=1_500),
                               MilestoneAction(K.LOG, text="Reached 30 days"))),
            Milestone("45 days", days_past_due=45, duration_days=10,
                      actions=(MilestoneAction(K.CREDIT_RATING, points=25),
                               MilestoneAction(K.ALERT, text="45 days past due"),
                               MilestoneAction(K.SERVICE_REQUEST, request_type="Review", assignee="AL",
                                               condition="balance > 1000"))),
        ),
        jump=True,
    )  # fmt: skip
    return replace(resume_strategy(), schemes=(scheme,))


def with_rules(strategy: Strategy = STRATEGY, **changes: Any) -> Strategy:
    """The strategy with the enterprise entry rules changed."""
    policy = strategy.entry_policy
    return replace(strategy, entry_policy=replace(policy, enterprise=replace(policy.enterprise, **changes)))


def with_portfolio(strategy: Strategy, settings: PortfolioCollections) -> Strategy:
    """The strategy with one portfolio's settings replaced (or added)."""
    policy = strategy.entry_policy
    others = tuple(p for p in policy.portfolios if p.portfolio != settings.portfolio)
    return replace(strategy, entry_policy=replace(policy, portfolios=(*others, settings)))


# ---------------------------------------------------------------------------------------- the world


def portfolios(db: Database, *codes: str) -> None:
    for code in codes or PORTFOLIOS:
        create_portfolio(db, code, f"{code.title()} Clinic")


def world(db: Database, notation: str) -> dict[str, int]:
    """Open the accounts of ``notation`` with their ledgers, claims and plans; return code → account id."""
    ids: dict[str, int] = {}
    code = ""
    lines: list[str] = []

    def flush() -> None:
        if code:
            _ledger(db, code, lines)

    for raw in notation.strip("\n").splitlines():
        if not raw.strip():
            continue
        if not raw[0].isspace():
            flush()
            code, last_name, portfolio, *facts = raw.split("#")[0].split()
            lines = []
            ids[code] = _open(db, code, last_name, portfolio, facts)
        else:
            lines.append(raw.split("#")[0].strip())
    flush()
    return ids


def _open(db: Database, code: str, last_name: str, portfolio: str, facts: list[str]) -> int:
    party: dict[str, Any] = {}
    status = ""
    for fact in facts:
        name, _, value = fact.partition("=")
        if name == "status":
            status = value
        elif name == "state":
            party["state"] = value
        elif name == "disputed":
            party["dispute_date"] = d(value)
        else:
            party[name] = True
    guarantor = Party(code.title(), last_name, **party)
    return open_account(db, Account(code, portfolio, guarantor, status_code=status))


def _ledger(db: Database, code: str, lines: list[str]) -> None:
    postings = [line for line in lines if not line.startswith(("claim ", "plan "))]
    for number, entry in enumerate(ledger("\n".join(postings)), start=1):
        posting = Posting(entry.kind, entry.amount_cents, entry.posted, entry.due, entry.service, entry.source)
        post(db, code, replace(posting, external_id=f"{code}-{number}"))
    for line in lines:
        words = line.split()
        if words[0] == "claim":
            add_claim(
                db, code, Claim(f"{code}-claim-{words[1]}", "Acme Health", d(words[1]), Money.parse(words[2]).cents)
            )
        elif words[0] == "plan":
            grace = int(words[words.index("grace") + 1]) if "grace" in words else 0
            plan = PaymentPlan(Money.parse(words[1]).cents, Frequency(words[2]), d(words[4]), grace_days=grace)
            add_payment_plan(db, code, f"{code}-plan", plan)


def charge(db: Database, code: str, amount: str, posted: str, due: str, ref: str) -> None:
    from arrears.domain.ledger import Kind

    post(db, code, Posting(Kind.CHARGE, Money.parse(amount).cents, d(posted), due=d(due), external_id=ref))


def pay(db: Database, code: str, amount: str, posted: str, ref: str) -> None:
    from arrears.domain.ledger import Kind, Source

    post(
        db, code, Posting(Kind.PAYMENT, Money.parse(amount).cents, d(posted), source=Source.GUARANTOR, external_id=ref)
    )


# ------------------------------------------------------------------------------------------ readers


def _rows(db: Database, sql: str) -> list[Any]:
    with db.engine.connect() as connection:
        return list(connection.execute(text(sql)))


def activities(db: Database) -> list[str]:
    """Every activity as ``account: due action (kind) assignee status``, by account then due date."""
    rows = _rows(
        db,
        "SELECT a.external_id, v.due_date, v.action, v.kind, v.assignee, v.status, v.track, v.episode "
        "FROM activity v JOIN account a ON a.id = v.account_id ORDER BY a.external_id, v.due_date, v.key",
    )
    return [
        f"{r[0]}: {_date(r[1])} {r[2]} ({r[3]}) {r[4]} {r[5]}"
        + (f" [{r[6]}]" if r[6] != "guarantor" else "")
        + (f" episode {r[7]}" if r[7] != 1 else "")
        for r in rows
    ]


def cases(db: Database) -> dict[str, tuple[str, ...]]:
    """Per account code (``code/insurance`` for the insurance track): status, entered on, assignee, work."""
    rows = _rows(
        db,
        "SELECT a.external_id, c.track, c.status, c.entered_on, c.assignee, c.work, c.episode "
        "FROM collections_case c JOIN account a ON a.id = c.account_id WHERE c.is_current",
    )
    return {
        (r[0] if r[1] == "guarantor" else f"{r[0]}/{r[1]}"): (r[2], _date(r[3]), r[4], r[5])
        + ((f"episode {r[6]}",) if r[6] != 1 else ())
        for r in rows
    }


def case_row(db: Database, code: str, track: str = "guarantor") -> Any:
    (row,) = (row for row in table(db, "collections_case", code) if row.track == track)
    return row


def account_row(db: Database, code: str) -> Any:
    with db.engine.connect() as connection:
        return connection.execute(select(AccountRow).where(AccountRow.external_id == code)).one()


def balance(db: Database, code: str) -> int:
    (row,) = _rows(
        db,
        "SELECT s.balance_cents FROM account_summary s JOIN account a ON a.id = s.account_id "
        f"WHERE a.external_id = '{code}'",
    )
    return int(row[0])


def table(db: Database, name: str, code: str | None = None) -> list[Any]:
    """The rows of a table (of one account), typed, in id order."""
    rows = metadata.tables[name]
    query = select(rows).order_by(*rows.primary_key.columns)
    if code is not None:
        query = query.where(
            rows.c.account_id == select(AccountRow.id).where(AccountRow.external_id == code).scalar_subquery()
        )
    with db.engine.connect() as connection:
        return list(connection.execute(query))


def run_record(db: Database, as_of: date) -> tuple[str, dict[str, int], list[dict[str, Any]]]:
    with db.engine.connect() as connection:
        row = connection.execute(select(RunRow).where(RunRow.as_of == as_of)).one()
    return row.status, json.loads(row.counts), json.loads(row.errors)


EFFECT_TABLES = (
    "collections_case",
    "activity",
    "letter",
    "note",
    "history",
    "ledger_line",
    "account",
    "account_summary",
)
VOLATILE = {"id", "run_id", "updated_at", "started_at", "finished_at"}


def contents(connection: Connection, tables: tuple[str, ...] = EFFECT_TABLES) -> dict[str, list[tuple[str, ...]]]:
    """The rows of ``tables`` without ids, run ids and timestamps, sorted: comparable across databases."""
    result = {}
    for name in tables:
        rows = connection.execute(text(f"SELECT * FROM {name}")).mappings().all()
        result[name] = sorted(tuple(f"{k}={_plain(v)}" for k, v in row.items() if k not in VOLATILE) for row in rows)
    return result


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    return _date(value) if isinstance(value, date) else str(value)


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
