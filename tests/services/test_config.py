"""Collections Admin use cases, through the services and the database (SQLite and PostgreSQL).

Seed 000: follow-up days 1–999, only with a next action. Seed 001: a series has at least two actions; an
insurance series ends in a custom action, never external collections. Seed 003: percentage 1–100, days 0–999;
assignment ranges may not overlap and from ≤ to; changing the assignment type deletes the rules.
Every use case validates before writing, writes only what changed and audits it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from arrears.domain.errors import NotFound, ValidationFailed
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.domain.plans import EventType, Plan, PlanEvent, Timing
from arrears.domain.strategy import (
    Action,
    ActionKind,
    ActionParams,
    AssignmentRule,
    AssignmentType,
    CollectionType,
    Collector,
    CollectorGroup,
    EntryRules,
    FinalAction,
    LetterTemplate,
    Series,
    SeriesStep,
    User,
)
from arrears.services import config, config_entities, config_rules, config_versions
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.services.letters import preview_letter
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from arrears.store.models import AuditRow, ConfigEntityRow

GUAR, INS = CollectionType.GUARANTOR, CollectionType.INSURANCE


def call(name: str, next_action: str | None = None, days: int | None = None, **extra: object) -> Action:
    return Action(name, GUAR, ActionKind.PHONE_CALL, next_action=next_action, follow_up_days=days,
                  all_portfolios=True, **extra)  # type: ignore[arg-type]  # fmt: skip


def letter_action(name: str, template: str) -> Action:
    return Action(name, GUAR, ActionKind.LETTER, ActionParams(template_code=template), all_portfolios=True)


def counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(ConfigEntityRow)) or 0,
            session.scalar(select(func.count()).select_from(AuditRow)) or 0,
        )


def audits(db: Database) -> list[AuditRow]:
    with db.session() as session:
        return list(session.scalars(select(AuditRow).order_by(AuditRow.id)))


def refused(db: Database, use_case, *args, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    """The problems of a refused use case, checking that nothing was written."""
    before = counts(db)
    with pytest.raises(ValidationFailed) as failure:
        use_case(db, *args, **kwargs)
    assert counts(db) == before
    return [str(problem) for problem in failure.value.problems]


@pytest.fixture
def admin(db: Database) -> Database:
    """Three portfolios, collectors ann/ben/cho, a group, letters, the call chain and the guarantor letters."""
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        create_portfolio(db, code, f"{code} practice")
    config_entities.create_group(db, CollectorGroup("plans", "Payment plan desk"), actor="admin")
    for code in ("ann", "ben", "cho"):
        config_entities.create_collector(db, Collector(code, code.title()), actor="admin")
    for code in ("G30", "G60"):
        letter = LetterTemplate(code, f"{code} letter", "Balance", "Dear {{ party.first_name }}")
        config_entities.create_letter(db, letter)
    config_entities.create_action(db, letter_action("Letter 30", "G30"))
    config_entities.create_action(db, call("Review"))
    config_entities.create_action(db, call("Call 2", "Review", 14))
    config_entities.create_action(db, call("Call 1", "Call 2", 7))
    config_entities.create_series(
        db,
        Series("Guarantor Letters", GUAR, (SeriesStep("Letter 30", 30), SeriesStep("Call 1", 30)),
               FinalAction.EXTERNAL_COLLECTIONS, all_portfolios=True),
    )  # fmt: skip
    config_rules.set_enterprise_rules(db, EntryRules(2500, 45, 2500, 10, 30, True, 10, True))
    config_rules.set_portfolio_collections(
        db, "FAMILY", collections_enabled=True, default_collector="ann", default_action="Guarantor Letters"
    )
    return db


def test_follow_up_days_1_to_999_only_with_a_next_action(admin: Database) -> None:
    for days in (0, 1000):
        assert refused(admin, config_entities.update_action, "Call 1", call("Call 1", "Call 2", days)) == [
            "actions[Call 1].follow_up_days: must be between 1 and 999"
        ]
    for days in (1, 999):
        config_entities.update_action(admin, "Call 1", call("Call 1", "Call 2", days))
        assert load_strategy(admin).action("Call 1").follow_up_days == days  # type: ignore[union-attr]
    assert refused(admin, config_entities.create_action, call("Call 3", None, 7)) == [
        "actions[Call 3].follow_up_days: is only allowed when a next action is set"
    ]
    assert refused(admin, config_entities.create_action, call("Call 3", "Review", None)) == [
        "actions[Call 3].follow_up_days: is required when a next action is set"
    ]


def test_percentage_1_to_100_and_days_0_to_999(admin: Database) -> None:
    rules = EntryRules(2500, 45, 2500, 10, 30)
    for percent in (0, 101):
        assert refused(admin, config_rules.set_enterprise_rules, replace(rules, min_payment_percent=percent)) == [
            "entry_policy.enterprise.min_payment_percent: must be between 1 and 100"
        ]
    assert refused(admin, config_rules.set_enterprise_rules, replace(rules, days_past_due_over=1000)) == [
        "entry_policy.enterprise.days_past_due_over: must be between 0 and 999"
    ]
    for percent, days in ((1, 0), (100, 999)):
        config_rules.set_enterprise_rules(admin, replace(rules, min_payment_percent=percent, payment_window_days=days))
        assert load_strategy(admin).entry_policy.enterprise.min_payment_percent == percent


def test_series_rules_of_seed_001(admin: Database) -> None:
    one_step = Series("Short", GUAR, (SeriesStep("Letter 30", 30),), FinalAction.EXTERNAL_COLLECTIONS,
                      all_portfolios=True)  # fmt: skip
    assert refused(admin, config_entities.create_series, one_step) == [
        "series[Short].steps: must include at least 2 actions"
    ]
    config_entities.create_action(admin, Action("Check claim", INS, ActionKind.REVIEW, all_portfolios=True))
    config_entities.create_action(admin, Action("Call payer", INS, ActionKind.PHONE_CALL, all_portfolios=True))
    insurance = Series("Insurance", INS, (SeriesStep("Check claim", 15), SeriesStep("Call payer", 30)),
                       FinalAction.EXTERNAL_COLLECTIONS, all_portfolios=True)  # fmt: skip
    [problem] = refused(admin, config_entities.create_series, insurance)
    assert problem.startswith("series[Insurance].final_action: must be custom for an insurance series")
    custom = replace(insurance, final_action=FinalAction.CUSTOM, custom_action="Call payer")
    config_entities.create_series(admin, custom)
    assert load_strategy(admin).series_named("Insurance") is not None


def test_assignment_ranges_may_not_overlap_and_from_is_not_after_to(admin: Database) -> None:
    config_rules.add_assignment_rule(admin, "FAMILY", AssignmentRule("A", "H", collector="ann"))
    config_rules.add_assignment_rule(admin, "FAMILY", AssignmentRule("I", "P", collector="ben"))
    assert refused(admin, config_rules.add_assignment_rule, "FAMILY", AssignmentRule("P", "Z", collector="cho")) == [
        "entry_policy.portfolios[FAMILY].assignment.rules[3]: overlaps assignment rule 2 (I–P)"
    ]
    assert refused(admin, config_rules.add_assignment_rule, "FAMILY", AssignmentRule("Z", "Q", collector="cho")) == [
        "entry_policy.portfolios[FAMILY].assignment.rules[3]: from (Z) must not be greater than to (Q)"
    ]
    config_rules.add_assignment_rule(admin, "FAMILY", AssignmentRule("Q", "Z", collector="cho", default_work="Call 1"))
    config_rules.add_assignment_rule(admin, "FAMILY", AssignmentRule("A", "Z", group="plans", missed_plan_only=True))
    config_rules.update_assignment_rule(admin, "FAMILY", 3, AssignmentRule("Q", "Y", collector="cho"))
    config_rules.remove_assignment_rule(admin, "FAMILY", 4)
    rules = config_rules.assignment_rules(admin, "FAMILY")
    assert [config_rules.describe_rule(rule) for rule in rules] == ["A–H → ann", "I–P → ben", "Q–Y → cho"]
    with pytest.raises(NotFound):
        config_rules.remove_assignment_rule(admin, "FAMILY", 4)


def test_changing_the_assignment_type_clears_the_rules_only_with_confirmation(admin: Database) -> None:
    config_rules.add_assignment_rule(admin, "FAMILY", AssignmentRule("A", "H", collector="ann"))
    config_rules.add_assignment_rule(admin, "FAMILY", AssignmentRule("I", "Z", collector="ben"))
    before = counts(admin)
    with pytest.raises(config.ConfirmationRequired) as question:
        config_rules.change_assignment_type(admin, "FAMILY", AssignmentType.BALANCE_RANGE)
    assert question.value.descriptions == ("A–H → ann", "I–Z → ben")
    assert "deletes its 2 assignment rules" in str(question.value)
    assert counts(admin) == before and len(config_rules.assignment_rules(admin, "FAMILY")) == 2

    removed = config_rules.change_assignment_type(admin, "FAMILY", "balance_range", confirm=True, actor="manager")
    assert len(removed) == 2 and config_rules.assignment_rules(admin, "FAMILY") == ()
    last = audits(admin)[-1]
    assert (last.actor, last.entity, last.entity_key, last.action) == (
        "manager", "portfolio_collections", "FAMILY", "updated"
    )  # fmt: skip
    assert len(json.loads(last.before)["assignment"]["rules"]) == 2  # type: ignore[arg-type]
    assert json.loads(last.after)["assignment"]["type"] == "balance_range"  # type: ignore[arg-type]
    # balance ranges now: dollars, inclusive, not overlapping
    config_rules.add_assignment_rule(admin, "FAMILY", AssignmentRule(0, 49999, collector="ann"))
    overlapping = AssignmentRule(49999, 250000, collector="ben")
    assert refused(admin, config_rules.add_assignment_rule, "FAMILY", overlapping) == [
        "entry_policy.portfolios[FAMILY].assignment.rules[2]: overlaps assignment rule 1 ($0.00–$499.99)"
    ]
    # no rules to delete: no question
    assert config_rules.change_assignment_type(admin, "ORTHO", AssignmentType.BALANCE_RANGE) == ()


def test_delete_in_use_is_refused_with_the_list_of_users(admin: Database) -> None:
    before = counts(admin)
    with pytest.raises(config.InUse) as failure:
        config_entities.delete_action(admin, "Call 1")
    assert failure.value.users == ("action 'Call 1' is step 2 of series 'Guarantor Letters'",)
    with pytest.raises(config.InUse) as failure:
        config_entities.delete_action(admin, "Review")
    assert failure.value.users == ("action 'Review' is the next action of action 'Call 2'",)
    with pytest.raises(config.InUse) as failure:
        config_entities.delete_collector(admin, "ann")
    assert failure.value.users == ("collector 'ann' is the default collector of portfolio 'FAMILY'",)
    with pytest.raises(config.InUse) as failure:
        config_entities.delete_letter(admin, "G30")
    assert "letter 'G30' is the letter template of action 'Letter 30'" in failure.value.users
    assert counts(admin) == before
    config_entities.delete_letter(admin, "G60")
    with pytest.raises(NotFound):
        config_entities.delete_letter(admin, "G60")
    assert load_strategy(admin).letter("G60") is None


def test_contact_plans_are_created_checked_replaced_and_deleted_like_the_document_s(admin: Database) -> None:
    monthly = Plan("MONTHLY", "Monthly reminder", events=(
        PlanEvent(1, EventType.LETTER, "G60"),
        PlanEvent(2, EventType.RUN_PLAN, "MONTHLY", timing=Timing.NEXT_MONTH_SAME_DAY),
    ))  # fmt: skip
    config_entities.create_plan(admin, monthly, actor="admin")
    # the rules of seed 002, checked against the whole configuration before anything is written
    wrong = replace(monthly, events=(PlanEvent(1, EventType.LETTER, "G99"),
                                     PlanEvent(2, EventType.RUN_PLAN, "MONTHLY")))  # fmt: skip
    problems = [
        "plans[MONTHLY].events[1].description: names an unknown letter template 'G99'",
        "plans[MONTHLY].events[2].description: a plan may call itself only later (next month same day, a delay), "
        "never immediately",
    ]
    assert [str(p) for p in config_entities.plan_problems(admin, wrong, "MONTHLY")] == problems
    assert refused(admin, config_entities.update_plan, "MONTHLY", wrong) == problems
    assert [str(p) for p in config_entities.plan_problems(admin, monthly)] == ["plans[MONTHLY]: plan already exists"]
    assert config_entities.plan_problems(admin, replace(monthly, description="Changed"), "MONTHLY") == []
    config_entities.create_plan(admin, Plan("CALLER", events=(PlanEvent(1, EventType.RUN_PLAN, "MONTHLY"),)))
    with pytest.raises(config.InUse) as failure:
        config_entities.delete_plan(admin, "MONTHLY")
    assert failure.value.users == ("plan 'MONTHLY' is run by event 1 of plan 'CALLER'",)
    config_entities.delete_plan(admin, "CALLER")
    config_entities.delete_plan(admin, "MONTHLY")  # a plan that runs itself again does not keep itself
    assert load_strategy(admin).plans == ()
    assert [row.action for row in audits(admin) if row.entity == "plan"] == ["created", "created", "deleted",
                                                                             "deleted"]  # fmt: skip


def test_every_change_is_audited_with_actor_before_and_after(admin: Database) -> None:
    start = len(audits(admin))
    config_entities.create_user(admin, User("mia", "Mia Lopez", 40), actor="admin")
    assert refused(admin, config_entities.create_user, User("zed", "Zed", 100)) == [
        "users[zed].user_level: must be between 0 and 99"
    ]
    config_entities.update_user(admin, "mia", User("mia", "Mia Lopez", 60), actor="manager")
    config_entities.update_user(admin, "mia", User("mia", "Mia Lopez", 60), actor="manager")  # nothing changed
    config_entities.delete_user(admin, "mia", actor="admin")
    rows = audits(admin)[start:]
    assert [(r.actor, r.entity, r.entity_key, r.action) for r in rows] == [
        ("admin", "user", "mia", "created"),
        ("manager", "user", "mia", "updated"),
        ("admin", "user", "mia", "deleted"),
    ]
    created, updated, deleted = rows
    assert created.before is None and json.loads(created.after)["user_level"] == 40  # type: ignore[arg-type]
    assert json.loads(updated.before)["user_level"] == 40  # type: ignore[arg-type]
    assert json.loads(updated.after)["user_level"] == 60  # type: ignore[arg-type]
    assert deleted.after is None and deleted.at is not None
    log = config_versions.audit_log(admin, entity="user", limit=1)
    assert log[0]["action"] == "deleted" and log[0]["before"]["name"] == "Mia Lopez"


def test_one_change_writes_only_that_entity(admin: Database) -> None:
    start = len(audits(admin))
    changes = config_entities.update_action(admin, "Call 1", call("Call 1", "Call 2", 10), actor="ann")
    assert [str(change) for change in changes] == ["changed action 'Call 1' (follow_up_days)"]
    assert [(r.entity, r.entity_key) for r in audits(admin)[start:]] == [("action", "Call 1")]


def test_duplicates_unknown_references_and_renames(admin: Database) -> None:
    assert refused(admin, config_entities.create_collector, Collector("ann", "Another Ann")) == [
        "collectors[ann]: collector already exists"
    ]
    assert refused(admin, config_entities.create_action, call("Call 9", "Call 99", 3)) == [
        "actions[Call 9].next_action: names an unknown action 'Call 99'"
    ]
    # renaming an action that a series uses leaves a dangling reference: refused
    [problem] = refused(admin, config_entities.update_action, "Call 1", call("First call", "Call 2", 7))
    assert problem == "series[Guarantor Letters].steps[2].action: names an unknown action 'Call 1'"
    with pytest.raises(NotFound):
        config_entities.update_action(admin, "Nope", call("Nope"))


def test_letter_templates_are_checked_on_save(admin: Database) -> None:
    bad = LetterTemplate("BAD", "Bad", "Hi", "Dear\n{% if balance %}")
    [problem] = refused(admin, config_entities.create_letter, bad)
    assert problem.startswith("letters[BAD].body: has a template error on line 2")
    [problem] = refused(admin, config_entities.create_letter, LetterTemplate("BAD", "Bad", "Hi {{ guarantor }}", "x"))
    assert problem.startswith("letters[BAD].subject: uses unknown merge field 'guarantor'")


def test_portfolio_table_of_seed_003(admin: Database) -> None:
    config_rules.set_portfolio_collections(
        admin, "ORTHO", collections_enabled=True, override_enterprise=True,
        rules=EntryRules(10000, 30, 5000, 15, 45), default_collector="cho", default_action="Call 1",
    )  # fmt: skip
    table = {line.portfolio: line for line in config_rules.portfolio_table(admin)}
    assert [(p, line.collections_enabled, line.assignment_level) for p, line in table.items()] == [
        ("FAMILY", "Yes", "Enterprise"),
        ("ORTHO", "Yes", "Portfolio"),
        ("OUTPT", "No", "Enterprise"),
    ]
    assert table["FAMILY"].rules.balance_over_cents == 2500  # the enterprise values, read-only
    assert table["ORTHO"].rules.balance_over_cents == 10000
    assert table["OUTPT"].rules == load_strategy(admin).entry_policy.enterprise
    assert table["ORTHO"].as_dict()["rules"]["balance_over"] == "100.00"
    # unchecking the override drops the portfolio's rules; checking it again starts from the enterprise rules
    config_rules.set_portfolio_collections(admin, "ORTHO", override_enterprise=False)
    assert load_strategy(admin).entry_policy.portfolio("ORTHO").rules is None  # type: ignore[union-attr]
    config_rules.set_portfolio_collections(admin, "ORTHO", override_enterprise=True)
    ortho = load_strategy(admin).entry_policy.portfolio("ORTHO")
    assert ortho is not None and ortho.rules == load_strategy(admin).entry_policy.enterprise
    # an enabled portfolio needs a default collector and action
    assert refused(admin, config_rules.set_portfolio_collections, "OUTPT", collections_enabled=True) == [
        "entry_policy.portfolios[OUTPT].assignment.default_collector: is required",
        "entry_policy.portfolios[OUTPT].assignment.default_action: is required",
    ]
    assert refused(admin, config_rules.set_portfolio_collections, "NOWHERE", collections_enabled=False) == [
        "entry_policy.portfolios[NOWHERE].portfolio: names an unknown portfolio 'NOWHERE'"
    ]


def test_preview_letter_for_one_account(admin: Database) -> None:
    config_entities.create_letter(
        admin,
        LetterTemplate("FINAL", "90 day final notice", "Final notice: {{ account.external_id }}",
                       "Dear {{ party.full_name }}, you owe {{ balance }} ({{ days_past_due }} days).\n"
                       "{{ portfolio.name }}, {{ today | date }}"),
    )  # fmt: skip
    open_account(admin, Account("A-1", "FAMILY", Party("Ann", "Smith", city="Dayton")))
    post_transaction(admin, "A-1", Posting(Kind.CHARGE, 125050, date(2026, 1, 1), due=date(2026, 1, 1)))
    subject, body = preview_letter(admin, "FINAL", "A-1", date(2026, 3, 1))
    assert subject == "Final notice: A-1"
    assert body == "Dear Ann Smith, you owe $1,250.50 (59 days).\nFAMILY practice, March 1, 2026"
    with pytest.raises(NotFound):
        preview_letter(admin, "NOPE", "A-1", date(2026, 3, 1))
    with pytest.raises(ValidationFailed, match=r"letters\[FINAL\]\.body: uses unknown merge field 'party\.frist_name'"):
        config_entities.update_letter(admin, "FINAL", LetterTemplate("FINAL", "Final", "x", "{{ party.frist_name }}"))
    assert preview_letter(admin, "FINAL", "A-1", date(2026, 3, 1))[0] == "Final notice: A-1"
