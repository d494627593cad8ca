"""Configuration changes that would strand collections work, on SQLite and PostgreSQL.

Given the example strategy (examples/strategy.yaml) and three accounts run on 2026-03-01:

    F-1 Adams  FAMILY  $300.00 due 2026-01-01  → ann, series "Guarantor Letters": the 30 day letter is queued
                                                 (G30), the 60 day letter is pending for 2026-03-31
    O-1 Olsen  ORTHO   $600.00 due 2026-01-15  → cho (balance $500.00–$2,499.99), "Call 1" in cho's worklist,
    O-2 Ortiz  ORTHO   $750.00 due 2026-01-10    "Call 2" pending for 2026-03-08

a document that removes or renames an action, series, collector or letter this work names is refused with
what uses it, unless its ``migrations`` section moves the work or cancels it; then that is done in the same
transaction, audited, and the next runs go on without errors.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from arrears.domain.errors import ValidationFailed
from arrears.services import config, config_entities, config_versions
from arrears.services.accounts import create_portfolio
from arrears.services.run import run_day
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from arrears.store.models import AuditRow
from tests.examples import example_text
from tests.notation import d
from tests.services.run_scenarios import activities, cases, table, world

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"


@pytest.fixture
def worked(db: Database) -> Database:
    """The example strategy applied and run on 2026-03-01 for F-1, O-1 and O-2."""
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        create_portfolio(db, code, f"{code} practice")
    assert config.apply_document(db, example_text(), "strategy.yaml").version == 1
    world(
        db,
        """
F-1 Adams FAMILY
    2026-01-01 charge 300.00 due 2026-01-01
O-1 Olsen ORTHO
    2026-01-15 charge 600.00 due 2026-01-15
O-2 Ortiz ORTHO
    2026-01-10 charge 750.00 due 2026-01-10
""",
    )
    assert run_day(db, d("2026-03-01")).errors == []
    return db


BEFORE = [
    "F-1: 2026-03-01 Guarantor 30 day letter (letter) ann done",
    "F-1: 2026-03-31 Guarantor 60 day letter (letter) ann scheduled",
    "O-1: 2026-03-01 Call 1 (phone_call) cho open",
    "O-1: 2026-03-08 Call 2 (phone_call) cho scheduled",
    "O-2: 2026-03-01 Call 1 (phone_call) cho open",
    "O-2: 2026-03-08 Call 2 (phone_call) cho scheduled",
]


def example() -> dict[str, Any]:
    return yaml.safe_load(example_text())  # type: ignore[no-any-return]


def text_of(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def renamed(old: str, new: str) -> dict[str, Any]:
    """The example with every occurrence of a name replaced (a rename, as a document says it)."""
    return yaml.safe_load(example_text().replace(old, new))  # type: ignore[no-any-return]


def errors(db: Database, document: dict[str, Any]) -> list[str]:
    """The errors of applying the document, checking that nothing was written."""
    exported, count = config_versions.export_document(db), len(config_versions.versions(db))
    result = config.apply_document(db, text_of(document), "strategy.yaml", confirm=True)
    assert config_versions.export_document(db) == exported and len(config_versions.versions(db)) == count
    return [f"{e.path}: {e.rule}" for e in result.errors]


def apply(db: Database, document: dict[str, Any], actor: str = "manager") -> config.ApplyResult:
    result = config.apply_document(db, text_of(document), "strategy.yaml", actor=actor, confirm=True)
    assert result.applied, result.errors
    return result


def audit_of(db: Database, entity: str) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    with db.session() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.entity == entity).order_by(AuditRow.id))
        return [(r.actor, r.action, json.loads(r.before or "null"), json.loads(r.after or "null")) for r in rows]


# ------------------------------------------------------------------------------------------ actions


def test_renaming_an_action_that_work_uses_is_refused_with_what_uses_it(worked: Database) -> None:
    assert errors(worked, renamed("Call 1", "First call")) == [
        "migrations.actions[Call 1]: action 'Call 1' is used by 2 pending activities and 2 open cases' work "
        "(accounts O-1, O-2): add migrations.actions[Call 1] with move_to: <another action> or cancel: true"
    ]
    assert activities(worked) == BEFORE


def test_a_migration_moves_the_work_in_the_same_transaction_and_audits_it(worked: Database) -> None:
    document = renamed("Call 1", "First call")
    document["migrations"] = {"actions": {"Call 1": {"move_to": "First call"}}}
    dry = config.apply_document(worked, text_of(document), "strategy.yaml", dry_run=True)
    assert [str(outcome) for outcome in dry.migrations] == [
        "action 'Call 1' is used by 2 pending activities and 2 open cases' work (accounts O-1, O-2): moved to "
        "'First call'"
    ]
    assert activities(worked) == BEFORE  # a dry run moves nothing

    result = apply(worked, document)
    assert activities(worked) == [line.replace("Call 1", "First call") for line in BEFORE]
    assert cases(worked)["O-1"] == ("internal", "2026-03-01", "cho", "First call")
    assert [row[:3] for row in audit_of(worked, "activity")] == [
        ("manager", "moved", {"action": "Call 1", "kind": "phone_call"}),
        ("manager", "moved", {"action": "Call 1", "kind": "phone_call"}),
    ]
    assert [row[1:] for row in audit_of(worked, "collections_case")] == [
        ("moved", {"work": "Call 1"}, {"work": "First call"}),
        ("moved", {"work": "Call 1"}, {"work": "First call"}),
    ]
    assert "moved to 'First call'" in config_versions.versions(worked)[0].summary and result.version == 2
    # the document's own migrations are not configuration: the export has none, and applies again unchanged
    assert "migrations" not in config_versions.export_document(worked)
    assert config.apply_document(worked, text_of(document), "again.yaml").changes == ()


def test_cancelled_work_of_a_removed_action_leaves_the_next_run_without_errors(worked: Database) -> None:
    document = example()
    document["actions"] = [a for a in document["actions"] if a["name"] != "Call 2"]
    next(a for a in document["actions"] if a["name"] == "Call 1")["next_action"] = "Review"
    assert errors(worked, document) == [
        "migrations.actions[Call 2]: action 'Call 2' is used by 2 pending activities (accounts O-1, O-2): add "
        "migrations.actions[Call 2] with move_to: <another action> or cancel: true"
    ]
    document["migrations"] = {"actions": {"Call 2": {"cancel": True}}}
    apply(worked, document)
    assert [line for line in activities(worked) if "Call 2" in line] == [
        "O-1: 2026-03-08 Call 2 (phone_call) cho cancelled",
        "O-2: 2026-03-08 Call 2 (phone_call) cho cancelled",
    ]
    assert audit_of(worked, "activity")[0][1:] == ("cancelled", {"status": "scheduled"}, {"status": "cancelled"})
    assert run_day(worked, d("2026-03-08")).errors == []


def test_work_moves_only_where_it_can_be_done(worked: Database) -> None:
    document = renamed("Call 1", "First call")
    document["migrations"] = {"actions": {"Call 1": {"move_to": "Guarantor 60 day letter"}}}
    assert errors(worked, document) == [
        "migrations.actions[Call 1].move_to: 2 activities of 'Call 1' wait in a collector's worklist, but action "
        "'Guarantor 60 day letter' (letter) is not worklist work"
    ]
    document["migrations"] = {"actions": {"Call 1": {"move_to": "Call payer"}}}
    assert errors(worked, document) == [
        "migrations.actions[Call 1].move_to: action 'Call payer' is insurance work; 'Call 1' was guarantor work"
    ]
    document["migrations"] = {"actions": {"Call 1": {"move_to": "Call 9"}, "Review": {"cancel": True}}}
    assert errors(worked, document) == [
        "migrations.actions[Review]: action 'Review' is kept by this change: only the work of what a change "
        "removes or renames moves",
        "migrations.actions[Call 1].move_to: names an unknown action 'Call 9'",
    ]
    document["migrations"] = {"actions": {"Call 1": {"move_to": "First call", "cancel": True}, "Call 2": {}}}
    assert errors(worked, document) == [
        "migrations.actions[Call 1]: must say where the work moves (move_to: NAME) or cancel: true",
        "migrations.actions[Call 2]: must say where the work moves (move_to: NAME) or cancel: true",
        "migrations.actions[Call 1]: action 'Call 1' is used by 2 pending activities and 2 open cases' work "
        "(accounts O-1, O-2): add migrations.actions[Call 1] with move_to: <another action> or cancel: true",
    ]


# ------------------------------------------------------------------------------ series, collectors, letters


def test_a_renamed_series_keeps_each_pending_step(worked: Database) -> None:
    document = renamed("Guarantor Letters", "Letters 2026")
    assert errors(worked, document) == [
        "migrations.series[Guarantor Letters]: series 'Guarantor Letters' is used by 1 pending activity and 1 open "
        "case' work (accounts F-1): add migrations.series[Guarantor Letters] with move_to: <another series> or "
        "cancel: true"
    ]
    document["migrations"] = {"series": {"Guarantor Letters": {"move_to": "Insurance Follow-up"}}}
    assert errors(worked, document)[0] == (
        "migrations.series[Guarantor Letters].move_to: series 'Insurance Follow-up' is a insurance series; "
        "'Guarantor Letters' was guarantor"
    )
    document["migrations"] = {"series": {"Guarantor Letters": {"move_to": "Letters 2026"}}}
    apply(worked, document)
    (pending,) = [row for row in table(worked, "activity", "F-1") if row.status == "scheduled"]
    assert (pending.series, pending.step, pending.action) == ("Letters 2026", 1, "Guarantor 60 day letter")
    assert cases(worked)["F-1"][3] == "Letters 2026"
    run = run_day(worked, d("2026-03-31"))
    assert run.errors == [] and activities(worked)[1:3] == [
        "F-1: 2026-03-31 Guarantor 60 day letter (letter) ann done",
        "F-1: 2026-04-30 Guarantor 90 day final notice (letter) ann scheduled",
    ]


def test_a_removed_collector_hands_the_work_over(worked: Database) -> None:
    document = renamed("cho", "ben")  # cho's rules and defaults go to ben; the collector entry is a duplicate
    document["collectors"] = [c for c in document["collectors"] if c["name"] != "Cho Park"]
    assert errors(worked, document) == [
        "migrations.collectors[cho]: collector 'cho' is the assignee of 4 pending activities and 2 open cases "
        "(accounts O-1, O-2): add migrations.collectors[cho] with move_to: <another collector> or cancel: true"
    ]
    document["migrations"] = {"collectors": {"cho": {"cancel": True}}}
    assert errors(worked, document) == [
        "migrations.collectors[cho]: 2 open cases are assigned to 'cho' and their next work would go to a code "
        "that no longer exists: move them (move_to)"
    ]
    document["migrations"] = {"collectors": {"cho": {"move_to": "early-out"}}}  # a group takes it over
    apply(worked, document)
    assert [line for line in activities(worked) if line.startswith("O-1")] == [
        "O-1: 2026-03-01 Call 1 (phone_call) early-out open",
        "O-1: 2026-03-08 Call 2 (phone_call) early-out scheduled",
    ]
    assert cases(worked)["O-2"][2] == "early-out"


def test_a_removed_letter_template_moves_its_queued_letters(worked: Database) -> None:
    document = renamed("G30", "G31")
    assert errors(worked, document) == [
        "migrations.letters[G30]: letter 'G30' is the template of 1 queued letter (accounts F-1): add "
        "migrations.letters[G30] with move_to: <another letter> or cancel: true"
    ]
    document["migrations"] = {"letters": {"G30": {"move_to": "G31"}}}
    apply(worked, document)
    assert [(row.template, row.status) for row in table(worked, "letter", "F-1")] == [("G31", "queued")]
    assert audit_of(worked, "queued_letter")[0][1:] == ("moved", {"template": "G30"}, {"template": "G31"})


# ------------------------------------------------------------------------------------------ the services


def test_the_single_entity_services_refuse_and_migrate_the_same_way(worked: Database) -> None:
    call_1 = load_strategy(worked).action("Call 1")
    assert call_1 is not None
    config_entities.update_action(worked, "Call 1", replace(call_1, next_action="Review"), actor="admin")
    with pytest.raises(config.WorkInUse) as failure:  # no configuration names Call 2 now; two activities do
        config_entities.delete_action(worked, "Call 2")
    assert [str(problem) for problem in failure.value.problems] == [
        "actions[Call 2]: action 'Call 2' is used by 2 pending activities (accounts O-1, O-2): say where it moves "
        "(move_work_to=<another action>) or cancel it (cancel_work=True)"
    ]
    with pytest.raises(ValidationFailed, match="move its work or cancel it, not both"):
        config_entities.delete_action(worked, "Call 2", move_work_to="Review", cancel_work=True)
    config_entities.delete_action(worked, "Call 2", move_work_to="Review", actor="admin")
    assert [line for line in activities(worked) if "03-08" in line] == [
        "O-1: 2026-03-08 Review (review) cho scheduled",
        "O-2: 2026-03-08 Review (review) cho scheduled",
    ]
    assert [(v.number, v.actor, v.summary) for v in config_versions.versions(worked)][:2] == [
        (3, "admin", "removed action 'Call 2'; action 'Call 2' is used by 2 pending "
                     "activities (accounts O-1, O-2): moved to 'Review'"),
        (2, "admin", "changed action 'Call 1' (next_action)"),
    ]  # fmt: skip
    assert run_day(worked, d("2026-03-08")).errors == []
