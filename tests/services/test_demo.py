"""The demo portfolio: deterministic, realistic, and true to every ledger rule (SQLite and PostgreSQL)."""

import hashlib
import json
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arrears.domain.calendar import add_months
from arrears.domain.errors import ValidationFailed
from arrears.domain.ledger import Kind, entry_problems, plan_delinquent, replay, summarize
from arrears.domain.model import Account, ClaimStatus, Party
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.services.compliance import compliance_report
from arrears.services.demo import (
    DEMO_CODES,
    SERVICES,
    STATE_TIME_ZONES,
    Behaviour,
    Category,
    DemoResult,
    build_demo,
    generate_demo,
)
from arrears.services.reports import BUCKETS, portfolio_report
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database, make_engine, sqlite_url
from arrears.store.models import (
    AccountRow,
    AccountSummaryRow,
    ActivityRow,
    AuditRow,
    ClaimRow,
    CollectionsCaseRow,
    ConfigEntityRow,
    HistoryRow,
    LedgerLineRow,
    LetterRow,
    PartyRow,
    PaymentPlanRow,
    PhoneRow,
    RunRow,
)
from arrears.store.summaries import claim_from_row, compute, entry_from_row, plan_from_row
from tests.examples import example_text

AS_OF = date(2026, 3, 1)
ACCOUNTS = 150
SEED = 7
ZONES = {
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
}


@pytest.fixture
def demo(db: Database) -> DemoResult:
    return build_demo(db, ACCOUNTS, SEED, AS_OF)


def rows(db: Database, model: type) -> list[tuple]:
    table = model.__table__
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]


def fingerprint(db: Database) -> str:
    digest = hashlib.sha256()
    for model in (PartyRow, PhoneRow, AccountRow, LedgerLineRow, ClaimRow, PaymentPlanRow):
        digest.update(repr(rows(db, model)).encode())
    return digest.hexdigest()


def ledgers(db: Database) -> dict[int, list]:
    grouped = defaultdict(list)
    with db.engine.connect() as connection:
        table = LedgerLineRow.__table__
        for row in connection.execute(select(table).order_by(table.c.account_id, table.c.id)):
            grouped[row.account_id].append(row)
    return grouped


def test_the_same_seed_builds_the_same_rows(db: Database, demo: DemoResult, tmp_path) -> None:
    other = Database.connect(sqlite_url(tmp_path / "again.db"))
    try:
        again = build_demo(other, ACCOUNTS, SEED, AS_OF)
        assert fingerprint(other) == fingerprint(db)
        assert (again.ledger_lines, again.behaviour_of) == (demo.ledger_lines, demo.behaviour_of)
    finally:
        other.dispose()


def test_generation_is_pure_and_depends_on_seed_and_date() -> None:
    first, again = generate_demo(40, 1, AS_OF), generate_demo(40, 1, AS_OF)
    assert (first.parties, first.ledger, first.claims, first.plans) == (
        again.parties,
        again.ledger,
        again.claims,
        again.plans,
    )
    assert generate_demo(40, 2, AS_OF).ledger != first.ledger
    assert generate_demo(40, 1, AS_OF + timedelta(days=1)).ledger != first.ledger


def test_every_line_obeys_the_ledger_rules(db: Database, demo: DemoResult) -> None:
    by_id = {}
    for account_id, lines in ledgers(db).items():
        entries = [entry_from_row(row) for row in lines]
        for entry in entries:
            assert entry_problems(entry) == [], entry
            by_id[entry.seq] = (account_id, entry)
        state = replay(entries)  # raises on a reversal of no payment, a double reversal or another amount
        assert state.balance_cents >= 0 and state.unapplied_credit_cents == 0
    reversals = [(account, e) for account, e in by_id.values() if e.kind is Kind.REVERSAL]
    assert reversals, "a few NSF reversals"
    for account, reversal in reversals:
        target_account, payment = by_id[reversal.reverses]
        assert target_account == account and payment.kind is Kind.PAYMENT
        assert payment.amount_cents == reversal.amount_cents and payment.posted < reversal.posted
    assert len(by_id) == demo.ledger_lines


def test_summaries_equal_the_domain_summary_of_each_ledger(db: Database, demo: DemoResult) -> None:
    grouped = ledgers(db)
    with db.session() as session:
        plans = defaultdict(list)
        for row in session.execute(select(PaymentPlanRow.__table__).order_by(PaymentPlanRow.id)):
            if row.active:
                plans[row.account_id].append(plan_from_row(row))
        claims = defaultdict(list)
        for row in session.execute(select(ClaimRow.__table__)):
            claims[row.account_id].append(claim_from_row(row))
        stored = session.scalars(select(AccountSummaryRow)).all()
    assert len(stored) == ACCOUNTS
    for row in stored:
        expected = summarize(
            [entry_from_row(line) for line in grouped.get(row.account_id, [])],
            plans[row.account_id][-1] if plans.get(row.account_id) else None,
        )
        assert (
            row.balance_cents,
            row.oldest_unpaid_due,
            row.last_payment_date,
            row.last_payment_cents,
            row.last_guarantor_payment_date,
            row.on_payment_plan,
            row.plan_next_unpaid_due,
            row.plan_grace_days,
        ) == (
            expected.balance_cents,
            expected.oldest_unpaid_due,
            expected.last_payment_date,
            expected.last_payment_cents,
            expected.last_guarantor_payment_date,
            expected.on_payment_plan,
            expected.plan_next_unpaid_due,
            expected.plan_grace_days,
        )
        assert row.insurance_balance_cents == sum(c.unpaid_cents for c in claims[row.account_id])


def test_the_report_buckets_add_up_to_the_balance(db: Database, demo: DemoResult) -> None:
    report = portfolio_report(db, AS_OF)
    assert [p.code for p in report.portfolios] == list(DEMO_CODES)
    assert sum(p.accounts for p in report.portfolios) == report.total.accounts == ACCOUNTS
    for portfolio in (*report.portfolios, report.total):
        assert [name for name, _ in portfolio.aging] == list(BUCKETS)
        assert sum(cents for _, cents in portfolio.aging) - portfolio.credit_cents == portfolio.balance_cents
    with db.session() as session:
        stored = session.scalar(select(func.sum(AccountSummaryRow.balance_cents)))
    assert report.total.balance_cents == stored > 0
    assert report.total.bucket("120+") > 0 and report.total.bucket("current") > 0
    # Earlier, everything is younger: nothing posted after the date counts.
    earlier = portfolio_report(db, AS_OF - timedelta(days=200))
    assert earlier.total.balance_cents != report.total.balance_cents
    assert sum(c for _, c in earlier.total.aging) - earlier.total.credit_cents == earlier.total.balance_cents


def test_every_behaviour_and_every_time_zone_appears(db: Database, demo: DemoResult) -> None:
    assert set(demo.behaviours) == {b.value for b in Behaviour}
    assert set(demo.time_zones) == ZONES
    with db.session() as session:
        parties = session.scalars(select(PartyRow)).all()
        assert {p.time_zone for p in parties} == ZONES
        for party in parties:
            assert party.time_zone == STATE_TIME_ZONES[party.state], (party.city, party.state)
            assert re.fullmatch(r"\d{5}", party.postal_code) and party.address1 and party.last_name
            assert party.email == "" or re.fullmatch(r"[a-z.]+\d*@example\.(com|net|org)", party.email)
        phones = session.scalars(select(PhoneRow)).all()
        assert {p.type for p in phones} == {"mobile", "home", "work"}
        assert all(re.fullmatch(r"\(\d{3}\) 555-01\d\d", p.number) for p in phones)


def test_charges_claims_and_plans_look_like_a_medical_practice(db: Database, demo: DemoResult) -> None:
    ranges = {Category.VISIT: (90, 250), Category.PROCEDURE: (400, 4000), Category.LAB: (20, 150)}
    first_day = add_months(AS_OF, -18)
    seen = set()
    for lines in ledgers(db).values():
        for line in lines:
            assert first_day <= line.posted_date <= AS_OF
            if line.kind == Kind.CHARGE:
                service = SERVICES[line.description.split()[0]]
                low, high = ranges[service.category]
                assert low * 100 <= line.amount_cents <= high * 100
                assert line.due_date == line.service_date + timedelta(days=30)
                seen.add(service.category)
    assert seen == set(Category)
    with db.session() as session:
        claims = session.scalars(select(ClaimRow)).all()
        assert {c.status for c in claims} >= {ClaimStatus.PAID, ClaimStatus.DENIED, ClaimStatus.OPEN}
        assert {c.payer for c in claims} >= {"Aetna", "Medicare", "UnitedHealthcare"}
        assert any(c.status == ClaimStatus.OPEN and (AS_OF - c.billed_date).days > 90 for c in claims)
        assert all(0 <= c.paid_cents <= c.amount_cents for c in claims)
        summary_of = {s.account_id: s for s in session.scalars(select(AccountSummaryRow))}
        external = dict(session.execute(select(AccountRow.id, AccountRow.external_id)).all())
        plans = session.scalars(select(PaymentPlanRow)).all()
    kept = broken = 0
    for plan in plans:
        assert plan.frequency == "monthly"
        behaviour = demo.behaviour_of[external[plan.account_id]]
        summary = summary_of[plan.account_id]
        late = plan_delinquent(summary.plan_next_unpaid_due, plan.grace_days, AS_OF)
        if behaviour is Behaviour.PLAN_BROKEN:
            assert plan.active and late
            broken += 1
        elif plan.active:
            assert behaviour is Behaviour.PLAN_KEPT and not late
            kept += 1
    assert kept and broken


def test_flags_appear_at_low_rates() -> None:
    parties = generate_demo(2000, 3, AS_OF).parties
    for flag in ("deceased", "bankruptcy", "attorney_represented", "cease_communication", "do_not_call"):
        assert 0 < sum(p[flag] for p in parties) < 0.05 * len(parties), flag
    disputes = [p["dispute_date"] for p in parties if p["dispute_date"]]
    assert 0 < len(disputes) < 0.05 * len(parties)
    assert all(AS_OF - timedelta(days=180) <= day <= AS_OF for day in disputes)


def test_building_twice_refuses_and_writes_nothing(db: Database, demo: DemoResult) -> None:
    before = fingerprint(db)
    with pytest.raises(ValidationFailed) as failure:
        build_demo(db, 10, SEED, AS_OF)
    assert failure.value.problems[0].field == "portfolio"
    assert fingerprint(db) == before


def test_the_demo_follows_rows_already_there(tmp_path) -> None:
    """Ids continue after existing rows, so a database with other data keeps it."""
    path = tmp_path / "busy.db"
    db = Database.connect(sqlite_url(path))
    try:
        create_portfolio(db, "NORTH", "North Clinic")
        open_account(db, Account("N-1", "NORTH", Party("Ann", "Smith")))
        build_demo(db, 20, SEED, AS_OF)
        report = portfolio_report(db, AS_OF)
        assert [p.code for p in report.portfolios] == ["NORTH", *DEMO_CODES]
        assert report.total.accounts == 21
        for account_id, lines in ledgers(db).items():
            replay([entry_from_row(row) for row in lines])
            assert account_id > 1
    finally:
        db.dispose()


def test_new_rows_after_the_demo_get_fresh_ids(db: Database, demo: DemoResult) -> None:
    """The demo gives ids explicitly; PostgreSQL sequences must move past them."""
    create_portfolio(db, "NORTH", "North Clinic")
    account_id = open_account(db, Account("N-1", "NORTH", Party("Ann", "Smith")))
    assert account_id == ACCOUNTS + 1


def test_a_demo_needs_accounts() -> None:
    with pytest.raises(ValidationFailed):
        generate_demo(0, SEED, AS_OF)


# --- the daily runs over the last days -------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"
RUN_ACCOUNTS = 120
RUN_DAYS = 30


def build_and_run(db: Database, accounts: int = RUN_ACCOUNTS, days: int = RUN_DAYS) -> DemoResult:
    return build_demo(db, accounts, SEED, AS_OF, days=days, strategy_text=example_text(), strategy_name="s.yaml")


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Database, DemoResult]]:
    """A SQLite demo of 120 accounts whose last 30 days ran with examples/strategy.yaml (built once)."""
    path = tmp_path_factory.mktemp("ran") / "demo.db"
    shutil.copy(sqlite_template, path)
    db = Database(make_engine(sqlite_url(path)))
    yield db, build_and_run(db)
    db.dispose()


def contents(db: Database, model: type, *skip: str) -> list[tuple]:
    """Every row of a table without the columns in ``skip``, sorted: comparable across two builds."""
    table = model.__table__
    columns = [c for c in table.c if c.name not in skip]
    with db.engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(select(*columns)))


def summaries_match_a_rebuild(db: Database) -> None:
    table = AccountSummaryRow.__table__
    with db.engine.connect() as connection:
        stored = {row.account_id: row._asdict() for row in connection.execute(select(table))}
        rebuilt = compute(connection, sorted(stored))
    assert len(rebuilt) == len(stored)
    for row in rebuilt:
        expected, actual = dict(row), dict(stored[row["account_id"]])
        expected.pop("updated_at"), actual.pop("updated_at")
        assert actual == expected


def test_the_demo_applies_the_strategy_and_runs_each_day(ran: tuple[Database, DemoResult]) -> None:
    db, result = ran
    days = [AS_OF - timedelta(days=RUN_DAYS - 1 - n) for n in range(RUN_DAYS)]
    with db.session() as session:
        kinds = set(session.scalars(select(ConfigEntityRow.kind)))
        assert {"collector", "action", "series", "letter"} <= kinds
        assert set(session.scalars(select(ConfigEntityRow.updated_by))) == {"demo"}
        assert set(session.scalars(select(AuditRow.actor))) == {"demo"}
        runs = session.scalars(select(RunRow).order_by(RunRow.id)).all()
    assert [r.as_of for r in runs] == days  # one run a day, in order
    assert {(r.scope, r.status, r.attempts) for r in runs} == {("ALL", "completed", 1)}
    summary = result.collections
    assert summary is not None and result.days == RUN_DAYS
    assert (summary.first_day, summary.last_day, summary.runs) == (days[0], AS_OF, RUN_DAYS)
    totals: Counter[str] = Counter()
    for run in runs:
        totals.update(json.loads(run.counts))
    assert summary.counts == {name: count for name, count in totals.items() if count}
    assert summary.count("entered") > 0 and summary.count("errors") == 0
    assert set(result.seconds) == {"generate", "load", "summarize", "run", "total"}


def test_the_runs_give_work_to_the_strategy_collectors_and_queue_letters(ran: tuple[Database, DemoResult]) -> None:
    db, result = ran
    summary = result.collections
    assert summary is not None
    strategy = load_strategy(db)
    team = {c.code for c in strategy.collectors} | {g.code for g in strategy.groups}
    with db.session() as session:
        activities = session.scalars(select(ActivityRow)).all()
        letters = session.scalars(select(LetterRow)).all()
    assert activities and {a.assignee for a in activities} <= team
    assert len({a.assignee for a in activities} & {c.code for c in strategy.collectors}) >= 2
    assert Counter(a.kind for a in activities) == Counter(summary.activities)
    assert {k: sum(n.values()) for k, n in summary.by_collector.items()} == Counter(a.assignee for a in activities)
    assert summary.activities.keys() >= {"letter", "phone_call", "review"}
    assert len(letters) == summary.count("letters_queued") > 0
    assert {letter.template for letter in letters} <= {"G30", "G60", "G90"}
    open_work = Counter(
        (a.assignee, a.kind)
        for a in activities
        if a.status == "open" and a.due_date <= AS_OF and a.kind in ("phone_call", "review")
    )
    assert open_work and {(who, kind): n for who, kinds in summary.worklist.items() for kind, n in kinds.items()} == (
        open_work
    )


def test_the_runs_with_guardrails_never_contact_in_breach(ran: tuple[Database, DemoResult]) -> None:
    """The demo's flagged parties (bankrupt, deceased, represented, cease, disputed, do not call) meet the
    default US rules: the report checks every letter and referral again and finds no breach."""
    db, result = ran
    summary = result.collections
    assert summary is not None
    report = compliance_report(db, summary.first_day, summary.last_day)
    assert report.engine_breaches == 0 and report.breaches == []
    gated = Counter(
        f"compliance.{verdict}.{rule}"
        for figures in report.portfolios.values()
        for verdict in ("held", "deferred", "redirected")
        for rule, count in getattr(figures, verdict).items()
        for _ in range(count)
    )
    assert gated and gated == {k: v for k, v in summary.counts.items() if k.startswith("compliance.")}
    letters = sum(f.contacts["letter"] for f in report.portfolios.values())
    assert letters == summary.count("letters_queued")


def posted_by_run(line: LedgerLineRow) -> bool:
    """A fee, penalty, deposit demand or one-off charge the run posted itself (after reading the merge data)."""
    return (line.external_id or "").startswith("fee:")


def test_each_run_saw_what_was_posted_by_its_day_and_nothing_later(ran: tuple[Database, DemoResult]) -> None:
    db, _ = ran
    grouped = ledgers(db)
    for lines in grouped.values():
        posted = [line.posted_date for line in lines]  # in id order
        assert posted == sorted(posted) and posted[-1] <= AS_OF
        replay([entry_from_row(line) for line in lines])
    with db.session() as session:
        letters = session.scalars(select(LetterRow)).all()
    assert letters
    for letter in letters:
        # The merge data is what the run read on the day it queued the letter: the ledger up to that day.
        seen = [
            entry_from_row(line)
            for line in grouped[letter.account_id]
            if line.posted_date < letter.queued_on or (line.posted_date == letter.queued_on and not posted_by_run(line))
        ]
        merge = json.loads(letter.merge_data)
        expected = summarize(seen)
        position = merge["position"]
        assert (merge["as_of"], position["balance_cents"], position["oldest_unpaid_due"]) == (
            letter.queued_on.isoformat(),
            expected.balance_cents,
            expected.oldest_unpaid_due.isoformat(),
        )
    summaries_match_a_rebuild(db)


def test_the_days_end_with_the_generated_history(ran: tuple[Database, DemoResult]) -> None:
    """Written day by day, claims decided and plans paid off on the way, the rows end as generated."""
    db, _ = ran
    data = generate_demo(RUN_ACCOUNTS, SEED, AS_OF)
    assert contents(db, ClaimRow) == sorted(tuple(row.values()) for row in data.claims)
    assert contents(db, PaymentPlanRow) == sorted(tuple(row.values()) for row in data.plans)
    window = AS_OF - timedelta(days=RUN_DAYS)
    assert any(window < day for day in data.claims_decided.values())

    def line(row: dict, reverses: tuple | None) -> tuple:
        return (row["account_id"], row["kind"], row["amount_cents"], row["posted_date"], row["description"], reverses)

    generated = {row["id"]: row for row in data.ledger}
    expected = Counter(
        line(row, line(generated[row["reverses_id"]], None) if row["reverses_id"] else None) for row in data.ledger
    )
    stored = {row.id: row._asdict() for lines in ledgers(db).values() for row in lines if not posted_by_run(row)}
    actual = Counter(
        line(row, line(stored[row["reverses_id"]], None) if row["reverses_id"] else None) for row in stored.values()
    )
    assert actual == expected


def test_the_same_seed_runs_the_same_days(ran: tuple[Database, DemoResult], sqlite_db: Database) -> None:
    db, result = ran
    again = build_and_run(sqlite_db)
    assert again.collections == result.collections
    for model, skip in (
        (ActivityRow, ("id",)),
        (LetterRow, ("id",)),
        (CollectionsCaseRow, ()),
        (HistoryRow, ("id",)),
        (LedgerLineRow, ()),
        (RunRow, ("started_at", "finished_at", "owner")),
    ):
        assert contents(sqlite_db, model, *skip) == contents(db, model, *skip), model.__tablename__


def test_a_few_days_run_on_both_backends(db: Database) -> None:
    result = build_and_run(db, accounts=60, days=3)
    assert result.collections is not None and result.collections.runs == 3
    with db.session() as session:
        assert session.scalars(select(RunRow.status)).all() == ["completed"] * 3
        assert session.scalar(select(func.max(LedgerLineRow.posted_date))) <= AS_OF
        assert session.scalar(select(func.count()).select_from(ActivityRow)) > 0
    summaries_match_a_rebuild(db)
    # Ids were given explicitly, day by day: new rows still get fresh ones (PostgreSQL sequences moved).
    with db.session() as session:
        external_id, last_line = session.execute(
            select(AccountRow.external_id, func.max(LedgerLineRow.id)).join(
                LedgerLineRow, LedgerLineRow.account_id == AccountRow.id
            ).group_by(AccountRow.external_id).order_by(AccountRow.external_id).limit(1)
        ).one()
        top = session.scalar(select(func.max(LedgerLineRow.id)))
    line_id = post_transaction(db, external_id, Posting(Kind.CHARGE, 1000, AS_OF, due=AS_OF, description="test"))
    assert line_id == top + 1 > last_line
    assert open_account(db, Account("N-1", DEMO_CODES[0], Party("Ann", "Smith"))) == 61


def test_days_must_not_be_negative(sqlite_db: Database) -> None:
    with pytest.raises(ValidationFailed):
        build_demo(sqlite_db, 10, SEED, AS_OF, days=-1)
