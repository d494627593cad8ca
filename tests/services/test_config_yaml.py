"""The configuration as YAML: round trip, diff, atomic apply, and every error of a bad document with its path.

The seeds' numbers through the document: follow-up days 0 and 1000 rejected, 1 and 999 accepted (only with a
next action); percent 0 and 101 rejected; a series of one step rejected; an insurance series ending in external
collections rejected; overlapping ranges rejected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from arrears.services import config, config_versions
from arrears.services.accounts import create_portfolio
from arrears.services.config_document import DocumentError, dump_strategy, parse_document
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from arrears.store.models import AuditRow, ConfigEntityRow
from tests.examples import example_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"
PORTFOLIOS = {"FAMILY", "ORTHO", "OUTPT"}


def example() -> dict:
    return yaml.safe_load(example_text())


def problems(document: dict | str, portfolios: set[str] | None = PORTFOLIOS) -> list[str]:
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    return [f"{e.path}: {e.rule}" for e in parse_document(text, "strategy.yaml", portfolios).errors]


def action(document: dict, name: str) -> dict:
    return next(a for a in document["actions"] if a["name"] == name)


def counts(db: Database) -> tuple[int, int]:
    """Configuration entities and their audit rows (the portfolios' own rows, made when they were added, apart)."""
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(ConfigEntityRow)) or 0,
            session.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.entity != "portfolio")) or 0,
        )


@pytest.fixture
def portfolios(db: Database) -> Database:
    for code in sorted(PORTFOLIOS):
        create_portfolio(db, code, f"{code} practice")
    return db


# ------------------------------------------------------------------------------ the document alone


def test_the_example_is_valid_and_realistic() -> None:
    parsed = parse_document(example_text(), str(EXAMPLE), PORTFOLIOS)
    assert parsed.errors == ()
    strategy = parsed.strategy
    assert strategy is not None
    letters = strategy.series_named("Guarantor Letters")
    assert letters is not None and letters.final_action.value == "external_collections"
    assert [strategy.letter(code).name for code in letters.step_letters(strategy.actions)] == [  # type: ignore[union-attr,arg-type]
        "Guarantor 30 day", "60 day", "90 day final notice"
    ]  # fmt: skip
    assert [step.days_until_next for step in letters.steps] == [30, 30, 30]
    assert [(a.name, a.next_action, a.follow_up_days) for a in strategy.actions if a.name[-1].isdigit()] == [
        ("Call 1", "Call 2", 7), ("Call 2", "Review", 14)
    ]  # fmt: skip
    policy = strategy.entry_policy
    assert [policy.assignment_level(code) for code in ("FAMILY", "ORTHO", "OUTPT")] == [
        "Enterprise", "Portfolio", "Enterprise"
    ]  # fmt: skip
    assert policy.enterprise.balance_over_cents == 2500 and policy.enterprise.min_payment_percent == 10
    family = policy.assignment("FAMILY")
    assert family is not None
    assert [(r.from_, r.to, r.collector) for r in family.rules[:3]] == [
        ("A", "H", "ann"), ("I", "P", "ben"), ("Q", "Z", "cho")
    ]  # fmt: skip
    ortho = policy.assignment("ORTHO")
    assert ortho is not None and ortho.rules[1].from_ == 50000 and ortho.rules[1].to == 249999


def test_follow_up_days_through_the_document() -> None:
    for days, expected in ((0, ["must be between 1 and 999"]), (1000, ["must be between 1 and 999"]), (1, []),
                           (999, [])):  # fmt: skip
        document = example()
        action(document, "Call 1")["follow_up_days"] = days
        assert [p.split(": ", 1)[1] for p in problems(document)] == expected
        assert all(p.startswith("actions[Call 1].follow_up_days") for p in problems(document))
    document = example()
    del action(document, "Call 1")["next_action"]
    assert problems(document) == ["actions[Call 1].follow_up_days: is only allowed when a next action is set"]


def test_percent_series_and_ranges_through_the_document() -> None:
    for percent in (0, 101):
        document = example()
        document["entry_policy"]["enterprise"]["min_payment_percent"] = percent
        document["entry_policy"]["portfolios"][1]["rules"]["min_payment_percent"] = percent
        assert problems(document) == [
            "entry_policy.enterprise.min_payment_percent: must be between 1 and 100",
            "entry_policy.portfolios[ORTHO].rules.min_payment_percent: must be between 1 and 100",
        ]
    document = example()
    document["series"][0]["steps"] = document["series"][0]["steps"][:1]
    assert problems(document) == ["series[Guarantor Letters].steps: must include at least 2 actions"]
    document = example()
    insurance = document["series"][1]
    insurance["final_action"] = "external_collections"
    del insurance["custom_action"]
    assert [p.split(" (")[0] for p in problems(document)] == [
        "series[Insurance Follow-up].final_action: must be custom for an insurance series"
    ]
    document = example()
    document["entry_policy"]["portfolios"][0]["assignment"]["rules"][1]["from"] = "G"
    document["entry_policy"]["portfolios"][1]["assignment"]["rules"][1]["to"] = "2500.00"
    assert problems(document) == [
        "entry_policy.portfolios[FAMILY].assignment.rules[2]: overlaps assignment rule 1 (A–H)",
        "entry_policy.portfolios[ORTHO].assignment.rules[3]: overlaps assignment rule 2 ($500.00–$2,500.00)",
    ]


def test_a_bad_document_reports_every_error_with_its_path() -> None:
    document = example()
    action(document, "Call 1")["follow_up_days"] = "7"  # wrong type
    action(document, "Call 2")["colour"] = "blue"  # unknown key
    action(document, "Review")["next_action"] = "Call 9"  # missing reference
    action(document, "Review")["follow_up_days"] = 3
    document["collectors"][0]["user_level"] = 100  # breaks a rule
    document["entry_policy"]["enterprise"]["balance_over"] = 25  # money must be text
    document["entry_policy"]["portfolios"][2]["assignment"]["default_collector"] = "dan"  # missing reference
    document["entry_policy"]["portfolios"][1]["assignment"]["rules"][0]["from"] = "zero"
    document["series"][0]["steps"].append({"action": "Letter 120"})  # missing key and reference
    document["extras"] = []  # unknown section
    assert problems(document) == [
        "extras: is not a known key (known: version, collectors, groups, users, letters, actions, series, plans, "
        "transaction_types, schemes, entry_policy, compliance, credit_rating, promises, migrations)",
        "actions[Call 1].follow_up_days: must be a whole number",
        "actions[Call 2].colour: is not a known key (known: name, collection_type, kind, params, letter, "
        "next_action, follow_up_days, inactive, all_portfolios, portfolios)",
        "series[Guarantor Letters].steps[4].days_until_next: is required",
        'entry_policy.enterprise.balance_over: must be an amount written as text, e.g. "25.00"',
        'entry_policy.portfolios[ORTHO].assignment.rules[1].from: must be an amount such as "500.00" for a '
        "balance range",
        "collectors[ann].user_level: must be between 0 and 99",
        "actions[Review].next_action: names an unknown action 'Call 9'",
        "series[Guarantor Letters].steps[4].action: names an unknown action 'Letter 120'",
        "entry_policy.portfolios[OUTPT].assignment.default_collector: names an unknown collector 'dan'",
    ]


def test_unknown_portfolios_kinds_and_unnamed_items() -> None:
    document = example()
    document["actions"].append({"collection_type": "guarantor", "kind": "telegram"})
    document["entry_policy"]["portfolios"][0]["portfolio"] = "FAMILLY"
    assert problems(document) == [
        "actions[11].name: is required",
        "actions[11].kind: must be one of 'letter', 'phone_call', 'review', 'note', 'status_change', 'fee', "
        "'service_request', 'alert', 'email', 'sms', 'external_referral', 'run_plan', 'credit_points' or "
        "'credit_report'",
        "entry_policy.portfolios[FAMILLY].portfolio: names an unknown portfolio 'FAMILLY'",
    ]


def test_not_yaml_duplicate_keys_and_empty_documents() -> None:
    assert problems("actions: [\n  {name: x\n") == [
        "line 3, column 1: is not valid YAML: expected ',' or '}', but got '<stream end>'"
    ]
    [duplicate] = problems("version: 1\nversion: 1\n")
    assert duplicate.startswith("line 2, column 1: is not valid YAML: found duplicate key 'version'")
    assert problems("") == [": the document is empty"]
    assert str(DocumentError("a.yaml", "actions[x].kind", "is required")) == "a.yaml: actions[x].kind: is required"


def test_the_yaml_round_trips_without_a_database() -> None:
    strategy = parse_document(example_text(), "x", PORTFOLIOS).strategy
    assert strategy is not None
    text = dump_strategy(strategy)
    again = parse_document(text, "x", PORTFOLIOS)
    assert again.errors == () and again.strategy == strategy and dump_strategy(strategy) == text


def test_a_credit_report_action_through_the_document() -> None:
    document = example()
    document["actions"].append({"name": "Credit Report", "collection_type": "guarantor", "kind": "credit_report",
                               "all_portfolios": True})  # fmt: skip
    parsed = parse_document(yaml.safe_dump(document, sort_keys=False), "x", PORTFOLIOS)
    assert parsed.errors == () and parsed.strategy is not None
    report = parsed.strategy.action("Credit Report")
    assert report is not None and report.kind.value == "credit_report"
    assert "kind: credit_report" in dump_strategy(parsed.strategy)
    action(document, "Credit Report").update(collection_type="insurance", params={"agency": "Equifax"})
    assert problems(document) == [
        "actions[Credit Report].collection_type: must be guarantor for a credit report (it reports the guarantor's "
        "debt)",
        "actions[Credit Report].params.agency: is not used by actions of kind credit_report",
    ]


# ------------------------------------------------------------------------------ through the database


def test_export_apply_export_is_identical_and_a_second_apply_changes_nothing(portfolios: Database) -> None:
    db = portfolios
    first = config.apply_document(db, example_text(), str(EXAMPLE), actor="admin")
    assert first.applied and first.errors == ()
    assert first.diff["action"]["added"][:4] == [
        "Guarantor 30 day letter", "Guarantor 60 day letter", "Guarantor 90 day final notice", "Call 1"
    ]  # fmt: skip
    assert first.diff["portfolio_collections"]["added"] == ["FAMILY", "ORTHO", "OUTPT"]
    assert first.diff["plan"]["added"] == ["NEW", "MONTHLY", "C1", "PROMISE", "CLOSE", "LEGAL", "BROKEN"]
    assert first.diff["scheme"]["added"] == ["OUTPT-STAGES"]
    exported = config_versions.export_document(db)
    rows, audit_rows = counts(db)
    assert first.diff["portfolio_compliance"]["added"] == ["ORTHO"]  # the enterprise keeps the US defaults
    assert rows == audit_rows == len(first.changes) == 40  # the auditor user among them

    second = config.apply_document(db, exported, "exported.yaml", actor="admin")
    assert second.applied and second.changes == () and second.diff == {}
    assert counts(db) == (rows, audit_rows)  # no new audit rows
    assert config_versions.export_document(db) == exported
    assert config.apply_document(db, example_text(), "again.yaml").changes == ()
    assert load_strategy(db) == parse_document(example_text(), "x", PORTFOLIOS).strategy


def test_apply_shows_added_changed_removed_and_dry_run_writes_nothing(portfolios: Database) -> None:
    db = portfolios
    config.apply_document(db, example_text(), "strategy.yaml")
    before, exported = counts(db), config_versions.export_document(db)
    document = example()
    document["actions"] = [a for a in document["actions"] if a["name"] != "Collection fee"]
    action(document, "Call 1")["follow_up_days"] = 10
    document["users"].append({"login": "mia", "name": "Mia Lopez", "user_level": 30})
    text = yaml.safe_dump(document, sort_keys=False)

    dry = config.apply_document(db, text, "new.yaml", dry_run=True)
    assert dry.ok and not dry.applied
    assert dry.diff == {
        "user": {"added": ["mia"], "changed": [], "removed": []},
        "action": {"added": [], "changed": ["Call 1"], "removed": ["Collection fee"]},
    }  # fmt: skip
    # the actions after the removed one keep their order among the rest: they are not reported as moved
    changed = {c.key: c.fields for c in dry.changes if c.change == "changed"}
    assert changed == {"Call 1": ("follow_up_days",)}
    assert [str(d) for c in dry.changes for d in c.details] == ["actions[Call 1].follow_up_days: 7 → 10"]
    assert counts(db) == before and config_versions.export_document(db) == exported

    with pytest.raises(config.RemovalsNeedConfirmation) as question:  # removing asks first
        config.apply_document(db, text, "new.yaml", actor="manager")
    assert question.value.descriptions == ("removed action 'Collection fee'",)
    assert counts(db) == before and config_versions.export_document(db) == exported
    done = config.apply_document(db, text, "new.yaml", actor="manager", confirm=question.value.removals)
    assert done.applied and done.changes == dry.changes
    assert counts(db) == (before[0], before[1] + len(done.changes))
    assert done.version == 2 and config_versions.versions(db)[0].summary.startswith(
        "apply new.yaml: added user 'mia'; changed action 'Call 1' (follow_up_days)"
    )
    log = config_versions.audit_log(db, entity="action", limit=10)
    removed = next(row for row in log if row["action"] == "deleted")
    assert (removed["key"], removed["actor"], removed["after"]) == ("Collection fee", "manager", None)
    assert removed["before"]["params"] == {"amount": "25.00", "description": "Collection processing fee"}


def test_swapped_entities_are_reported_moved_and_the_stored_order_follows_adds_and_removals(
    portfolios: Database,
) -> None:
    db = portfolios
    config.apply_document(db, example_text(), "strategy.yaml")
    document = example()
    names = [a["name"] for a in document["actions"]]
    first, second = names.index("Call payer"), names.index("Bill guarantor")
    document["actions"][first], document["actions"][second] = document["actions"][second], document["actions"][first]
    swapped = config.apply_document(db, yaml.safe_dump(document, sort_keys=False), "swapped.yaml")
    assert {c.key: c.fields for c in swapped.changes} == {"Bill guarantor": ("position",), "Call payer": ("position",)}

    # a removal near the top and an addition in the middle: the rest keep their order, none is reported moved
    document["actions"] = [a for a in document["actions"] if a["name"] != "Collection fee"]
    document["actions"].insert(2, {**action(document, "Call 1"), "name": "Call 1b"})
    edited = config.apply_document(db, yaml.safe_dump(document, sort_keys=False), "edited.yaml", confirm=True)
    assert sorted((c.change, c.key) for c in edited.changes) == [("added", "Call 1b"), ("removed", "Collection fee")]
    exported = yaml.safe_load(config_versions.export_document(db))
    assert [a["name"] for a in exported["actions"]] == [a["name"] for a in document["actions"]]


def test_a_bad_file_changes_nothing_and_reports_every_error(portfolios: Database) -> None:
    db = portfolios
    config.apply_document(db, example_text(), "strategy.yaml")
    before, exported = counts(db), config_versions.export_document(db)
    document = example()
    action(document, "Call 1")["follow_up_days"] = "seven"  # wrong type
    document["letters"][0]["footer"] = "x"  # unknown key
    document["series"][0]["steps"][0]["action"] = "Guarantor 15 day letter"  # missing reference
    document["users"] = []  # would remove users: valid on its own, but the document is refused as a whole
    result = config.apply_document(db, yaml.safe_dump(document, sort_keys=False), "bad.yaml", actor="x")
    assert not result.ok and not result.applied and result.changes == ()
    assert [str(error) for error in result.errors] == [
        "bad.yaml: letters[G30].footer: is not a known key (known: code, name, subject, body, body_file, "
        "stylesheet, stylesheet_file, response_days, validation_notice, demands_payment, cease_notice, eca_notice)",
        "bad.yaml: actions[Call 1].follow_up_days: must be a whole number",
        "bad.yaml: series[Guarantor Letters].steps[1].action: names an unknown action 'Guarantor 15 day letter'",
    ]
    assert counts(db) == before and config_versions.export_document(db) == exported


def test_a_document_naming_a_portfolio_the_database_does_not_know_is_refused(db: Database) -> None:
    create_portfolio(db, "FAMILY", "Family")
    result = config.apply_document(db, example_text(), "strategy.yaml")
    assert {str(e).split(": ", 1)[1] for e in result.errors} == {
        "actions[Collection fee].portfolios: names an unknown portfolio 'ORTHO'",
        "entry_policy.portfolios[ORTHO].portfolio: names an unknown portfolio 'ORTHO'",
        "entry_policy.portfolios[OUTPT].portfolio: names an unknown portfolio 'OUTPT'",
        "compliance.portfolios[ORTHO].portfolio: names an unknown portfolio 'ORTHO'",
        "schemes[OUTPT-STAGES].portfolio: names an unknown portfolio 'OUTPT'",
        "promises.portfolios[ORTHO].portfolio: names an unknown portfolio 'ORTHO'",
    }
    assert counts(db) == (0, 0)


# ------------------------------------------------------------------------------------------ conditions


def with_conditions() -> dict:
    """The example with a condition on the enterprise rules, on ORTHO's own rules and on an assignment rule."""
    document = example()
    policy = document["entry_policy"]
    policy["enterprise"]["condition"] = "NOT bankruptcy AND NOT deceased"
    policy["portfolios"][1]["rules"]["condition"] = "guarantor_state IN ('TX', 'OK') OR balance > $5,000"
    family_rules = policy["portfolios"][0]["assignment"]["rules"]
    family_rules.insert(0, {"from": "A", "to": "Z", "collector": "ben", "condition": "attorney_represented"})
    return document


def test_conditions_round_trip_through_the_document(portfolios: Database) -> None:
    text = yaml.safe_dump(with_conditions(), sort_keys=False, allow_unicode=True)
    parsed = parse_document(text, "strategy.yaml", PORTFOLIOS)
    assert parsed.errors == () and parsed.strategy is not None
    policy = parsed.strategy.entry_policy
    assert policy.enterprise.condition == "NOT bankruptcy AND NOT deceased"
    family = policy.assignment("FAMILY")
    assert family is not None and family.rules[0].condition == "attorney_represented"
    exported = dump_strategy(parsed.strategy)
    assert "condition: NOT bankruptcy AND NOT deceased" in exported
    applied = config.apply_document(portfolios, exported, "conditions.yaml", actor="admin")
    assert applied.applied and applied.errors == ()
    assert config_versions.export_document(portfolios) == exported
    assert load_strategy(portfolios) == parsed.strategy
    assert config.apply_document(portfolios, exported, "again.yaml").changes == ()


def test_a_bad_condition_is_refused_on_save_with_its_path_and_position(portfolios: Database) -> None:
    document = with_conditions()
    policy = document["entry_policy"]
    policy["enterprise"]["condition"] = "NOT bankrupt AND NOT deceased"
    policy["portfolios"][1]["rules"]["condition"] = "balance > 'a lot'"
    policy["portfolios"][0]["assignment"]["rules"][0]["condition"] = "attorney_represented AND"
    policy["portfolios"][2]["assignment"]["rules"][0]["condition"] = 5
    found = problems(document)
    assert found[0] == "entry_policy.portfolios[OUTPT].assignment.rules[1].condition: must be text"
    assert found[1].startswith(
        "entry_policy.enterprise.condition: line 1, column 5: unknown field 'bankrupt'; did you mean: bankruptcy? "
        "(known fields: balance, days_past_due, oldest_unpaid_due_date,"
    )
    assert found[2:] == [
        "entry_policy.portfolios[FAMILY].assignment.rules[1].condition: line 1, column 25: syntax error: the "
        "condition ends too early; expected a field name or a value (500, $1,234.56, 'text', DATE '2026-03-01', "
        "TRUE, FALSE), NOT, '('",
        "entry_policy.portfolios[ORTHO].rules.condition: line 1, column 11: balance is money; value 'a lot' is text",
    ]
    before = counts(portfolios)
    result = config.apply_document(portfolios, yaml.safe_dump(document), "bad.yaml")
    assert not result.applied and len(result.errors) == 4
    assert counts(portfolios) == before


# ------------------------------------------------------------------------------ one pass, every error


def test_four_errors_are_reported_at_once_schema_and_rules_together() -> None:
    document = example()
    action(document, "Call 1")["follow_up_days"] = "7"  # 1. schema: text where a number belongs ...
    action(document, "Call 1")["next_action"] = "Call 9"  # 2. ... and a rule broken by the same action
    document["collectors"].append({"code": "c" * 100, "name": "Long code"})  # 3. longer than activity.assignee
    document["entry_policy"]["enterprise"]["balance_over"] = "1" + "0" * 23 + ".00"  # 4. $10^23
    assert problems(document) == [
        "actions[Call 1].follow_up_days: must be a whole number",
        "actions[Call 1].next_action: names an unknown action 'Call 9'",
        f"collectors[{'c' * 40}… (100 characters)].code: must be at most 60 characters (it is stored in "
        "activity.assignee); it has 100",
        "entry_policy.enterprise.balance_over: must be at most $1,000,000,000.00",
    ]


def test_a_broken_value_leaves_the_rest_of_its_item_checked_without_repeating_itself() -> None:
    document = example()
    call_2 = action(document, "Call 2")
    call_2["next_action"] = 5  # broken: its follow-up days are not reported again as "only with a next action"
    fee = action(document, "Collection fee")
    fee["portfolios"] = ["NOWHERE"]
    fee["params"]["amount"] = 25  # broken: not reported again as "required for a fee"
    fee["letter"] = "G45"
    ortho = document["entry_policy"]["portfolios"][1]
    ortho["rules"]["days_past_due_over"] = "30"  # the rest of ORTHO's rules and assignment are still checked
    ortho["rules"]["min_payment_percent"] = 0
    ortho["assignment"]["default_collector"] = "zed"
    assert problems(document) == [
        "actions[Call 2].next_action: must be text",
        'actions[Collection fee].params.amount: must be an amount written as text, e.g. "25.00"',
        "entry_policy.portfolios[ORTHO].rules.days_past_due_over: must be a whole number",
        "entry_policy.portfolios[ORTHO].rules.min_payment_percent: must be between 1 and 100",
        "actions[Collection fee].letter: names an unknown letter template 'G45'",
        "actions[Collection fee].portfolios: names an unknown portfolio 'NOWHERE'",
        "entry_policy.portfolios[ORTHO].assignment.default_collector: names an unknown collector 'zed'",
    ]


def test_every_duplicate_key_is_reported_with_the_rest() -> None:
    text = example_text().replace(
        "    next_action: Call 2\n", "    next_action: Call 2\n    next_action: Call 3\n"
    ).replace("    user_level: 99\n", "    user_level: 99\n    user_level: 100\n")
    found = problems(text)
    assert [p.split(": is not valid YAML: ")[1] for p in found[:2]] == [
        "found duplicate key 'user_level'", "found duplicate key 'next_action'"
    ]  # fmt: skip
    assert found[2:] == [
        "users[admin].user_level: must be between 0 and 99",
        "actions[Call 1].next_action: names an unknown action 'Call 3'",
    ]


# ------------------------------------------------------------------------------ lengths and amounts


def test_every_key_fits_the_columns_it_is_stored_in() -> None:
    document = example()
    document["collectors"].append({"code": "c" * 60, "name": "At the limit"})
    document["groups"].append({"code": "g" * 61, "name": "One over"})
    document["letters"].append({"code": "L" * 100, "name": "At the limit", "body": "Dear {{ party.first_name }}"})
    document["letters"].append({"code": "M" * 150, "name": "Too long", "body": "Dear {{ party.first_name }}"})
    document["users"].append({"login": "u" * 201, "name": "Too long"})
    action(document, "Bill guarantor")["params"]["status_code"] = "S" * 21
    action(document, "Collection fee")["params"]["description"] = "d" * 201
    assert [p.split("(it is stored in ")[1] for p in problems(document)] == [
        "activity.assignee); it has 61",
        "config_entity.name); it has 201",
        "letter.template); it has 150",
        "ledger_line.description); it has 201",
        "account.status_code); it has 21",
    ]
    assert problems(document)[0] == (
        f"groups[{'g' * 40}… (61 characters)].code: must be at most 60 characters (it is stored in "
        "activity.assignee); it has 61"
    )


def test_amounts_above_the_ceiling_of_a_billion_dollars_are_refused() -> None:
    """A portfolio may take amounts above the default $10M maximum, so configured amounts are bounded by the
    ceiling every portfolio maximum is bounded by."""
    document = example()
    document["entry_policy"]["enterprise"]["min_payment"] = "1000000000.00"  # the ceiling itself is accepted
    assert problems(document) == []
    document["entry_policy"]["enterprise"]["min_payment"] = "1000000000.01"
    action(document, "Collection fee")["params"]["amount"] = "1" + "0" * 20 + ".00"  # a fee of $10^20
    document["entry_policy"]["portfolios"][1]["rules"]["balance_over"] = "9999999999.99"
    document["entry_policy"]["portfolios"][1]["assignment"]["rules"][2]["to"] = "2000000000.00"
    assert problems(document) == [
        "actions[Collection fee].params.amount: must be at most $1,000,000,000.00",
        "entry_policy.enterprise.min_payment: must be at most $1,000,000,000.00",
        "entry_policy.portfolios[ORTHO].rules.balance_over: must be at most $1,000,000,000.00",
        "entry_policy.portfolios[ORTHO].assignment.rules[3].to: must be at most $1,000,000,000.00",
    ]


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), st.dates(),
    st.sampled_from(["Call 1", "G30", "ann", "FAMILY", "25.00", "name_range", "letter", "custom"]),
)  # fmt: skip
_KEYS = st.one_of(
    st.sampled_from([
        "name", "code", "kind", "params", "next_action", "follow_up_days", "steps", "action", "from", "to",
        "rules", "assignment", "portfolio", "move_to", "cancel", "balance_over", "collection_type", "type",
    ]),
    st.text(max_size=5), st.integers(), st.dates(),
)  # fmt: skip
_YAMLISH = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
                        max_leaves=12)  # fmt: skip


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["collectors", "letters", "actions", "series", "entry_policy", "compliance", "migrations",
                         "version"]),
        _YAMLISH,
        max_size=4,
    )
)
def test_any_yaml_shaped_document_gives_problems_never_an_exception(document: dict) -> None:
    parsed = parse_document(yaml.safe_dump(document), "fuzz.yaml", PORTFOLIOS)
    assert all(isinstance(error, DocumentError) and error.rule for error in parsed.errors)
