"""Collections Admin, Guarantor Collections (seed 003), through a test client on both databases: the enterprise
rules with the seed's bounds, a practice's override (the enterprise values read-only until it is checked), its
task assignment with the rules table, and the confirmation before changing the type deletes the rules."""

from __future__ import annotations

import re

from arrears.domain.strategy import AssignmentRule, AssignmentType, EntryRules
from arrears.services.stored_strategy import load_strategy
from tests.web.conftest import Site

RULES = {"balance_over": "25.00", "days_past_due_over": "45", "min_payment": "25.00", "min_payment_percent": "10",
         "payment_window_days": "30", "delinquent_grace_days": "10", "force_delinquent_plans": "1",
         "suspend_statements": "1"}  # fmt: skip


def test_the_enterprise_rules_keep_the_seeds_bounds_and_save_nothing_when_broken(admin: Site) -> None:
    tab = admin.client.get("/admin/guarantor").text
    assert re.search(r"NORTH\)</label></td><td>Yes</td><td>Enterprise</td>", tab)
    assert re.search(r"SOUTH\)</label></td><td>Yes</td><td>Portfolio</td>", tab)
    assert re.search(r"OFF\)</label></td><td>No</td>", tab)
    before = load_strategy(admin.db).entry_policy.enterprise
    refused = admin.post("/admin/guarantor/enterprise", **RULES | {"days_past_due_over": "1000",
                                                                   "min_payment_percent": "0"})  # fmt: skip
    assert refused.status_code == 422
    text = refused.text
    assert re.search(r'id="enterprise-days_past_due_over-error">must be between 0 and 999<', text)
    assert re.search(r'id="enterprise-min_payment_percent-error">must be between 1 and 100<', text)
    assert load_strategy(admin.db).entry_policy.enterprise == before
    saved = admin.post("/admin/guarantor/enterprise", **RULES | {"balance_over": "50.00"})
    assert saved.status_code == 303
    rules = load_strategy(admin.db).entry_policy.enterprise
    assert (rules.balance_over_cents, rules.days_past_due_over, rules.min_payment_percent, rules.suspend_statements,
            rules.notes_to_account_notes, rules.insurance_claim_days_over) == (5000, 45, 10, True, False, 60)


def test_a_practice_overrides_the_enterprise_rules_and_changes_its_task_assignment(admin: Site) -> None:
    page = admin.client.get("/admin/guarantor/practice?selected=NORTH").text
    assert "The enterprise rules, read-only" in page
    assert re.search(r'id="practice-days_past_due_over"[^>]*disabled', page)
    assert 'value="45"' in page  # the enterprise's 45 days, shown read-only
    shown = admin.post("/admin/guarantor/practice?op=refresh", portfolio="NORTH", enabled="1",
                       override_enterprise="1")  # fmt: skip
    assert not re.search(r'id="practice-days_past_due_over"[^>]*disabled', shown.text)
    saved = admin.post("/admin/guarantor/practice", portfolio="NORTH", enabled="1", override_enterprise="1",
                       **RULES | {"days_past_due_over": "60"}, default_collector="DEF", default_action="Letter 30",
                       insurance_action="Claim Series")  # fmt: skip
    assert saved.status_code == 303
    north = load_strategy(admin.db).entry_policy.portfolio("NORTH")
    assert north is not None and north.override_enterprise and north.rules is not None
    assert north.rules.days_past_due_over == 60 and north.rules.insurance_claim_days_over == 60
    assert "Portfolio</td>" in admin.client.get("/admin/guarantor").text.split("NORTH)")[1][:60]
    # a rule refused names its field; then one added
    refused = admin.post("/admin/guarantor/practice/rule", portfolio="NORTH", **{"from": "I", "to": "M"},
                         assignee="nobody")  # fmt: skip
    assert refused.status_code == 422 and 'id="r-assignee-error"' in refused.text
    added = admin.post("/admin/guarantor/practice/rule", portfolio="NORTH", **{"from": "I", "to": "M"},
                       assignee="LO", default_work="Call 1")  # fmt: skip
    assert added.status_code == 303
    rules = load_strategy(admin.db).entry_policy.portfolio("NORTH").assignment.rules
    assert rules[-1] == AssignmentRule("I", "M", collector="LO", default_work="Call 1")
    # changing the type asks first, then deletes the rules
    asked = admin.post("/admin/guarantor/practice/type", portfolio="NORTH", assignment_type="balance_range")
    assert "Changing the type deletes the rules" in asked.text and "I–M → LO (Call 1)" in asked.text
    assert load_strategy(admin.db).entry_policy.portfolio("NORTH").assignment.rules == rules
    changed = admin.post("/admin/guarantor/practice/type", portfolio="NORTH", assignment_type="balance_range",
                         confirmed="yes")  # fmt: skip
    assert changed.status_code == 303
    assignment = load_strategy(admin.db).entry_policy.portfolio("NORTH").assignment
    assert (assignment.assignment_type, assignment.rules) == (AssignmentType.BALANCE_RANGE, ())
    balance = admin.post("/admin/guarantor/practice/rule", portfolio="NORTH", **{"from": "500.00", "to": "2,500.00"},
                         assignee="BO")  # fmt: skip
    assert balance.status_code == 303
    assert load_strategy(admin.db).entry_policy.portfolio("NORTH").assignment.rules == (
        AssignmentRule(50_000, 250_000, collector="BO"),)
    removed = admin.post("/admin/guarantor/practice/rule/remove", portfolio="NORTH", number="1")
    assert removed.status_code == 303
    assert load_strategy(admin.db).entry_policy.portfolio("NORTH").assignment.rules == ()


def test_turning_the_override_off_shows_the_enterprise_rules_again(admin: Site) -> None:
    south = load_strategy(admin.db).entry_policy.portfolio("SOUTH")
    assert south is not None and south.override_enterprise
    page = admin.client.get("/admin/guarantor/practice?selected=SOUTH").text
    assert 'id="practice-days_past_due_over" name="days_past_due_over" type="number" value="30"' in page
    page = {"portfolio": "SOUTH", "enabled": "1", "default_collector": "DEF", "default_action": "Letter 30"}
    refused = admin.post("/admin/guarantor/practice", **page)  # the enterprise's insurance collections need it
    assert refused.status_code == 422
    assert 'id="p-insurance-action-error">is required when insurance collections are on<' in refused.text
    assert load_strategy(admin.db).entry_policy.portfolio("SOUTH") == south
    saved = admin.post("/admin/guarantor/practice", **page, insurance_action="Claim Series")
    assert saved.status_code == 303
    south = load_strategy(admin.db).entry_policy.portfolio("SOUTH")
    assert south is not None and not south.override_enterprise and south.rules is None
    assert isinstance(load_strategy(admin.db).entry_policy.enterprise, EntryRules)
    assert re.search(r'id="practice-days_past_due_over"[^>]*value="45"[^>]*disabled',
                     admin.client.get("/admin/guarantor/practice?selected=SOUTH").text)  # fmt: skip
