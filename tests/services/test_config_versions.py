"""Strategy versions, on SQLite and PostgreSQL: every change that writes configuration is a numbered version
with its time, actor, summary and whole document; each run records the version it used; explain names it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml
from sqlalchemy import delete, select

from arrears.services import config, config_entities, config_versions
from arrears.services.accounts import create_portfolio
from arrears.services.explain import explain
from arrears.services.run import run_day
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from arrears.store.models import ConfigVersionRow, RunRow
from tests.examples import example_text
from tests.notation import d
from tests.services.run_scenarios import world

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"


def portfolios(db: Database) -> None:
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        create_portfolio(db, code, f"{code} practice")


def test_every_change_is_a_numbered_version_with_its_whole_document(db: Database) -> None:
    portfolios(db)
    assert config_versions.versions(db) == []
    first = config.apply_document(db, example_text(), "strategy.yaml", actor="admin")
    exported = config_versions.export_document(db)
    assert first.version == 1 and config_versions.export_document(db, version=1) == exported
    assert config.apply_document(db, exported, "again.yaml", actor="admin").version is None  # no change, no version

    call_1 = load_strategy(db).action("Call 1")
    assert call_1 is not None
    config_entities.update_action(db, "Call 1", replace(call_1, follow_up_days=10), actor="manager")
    [second, one] = config_versions.versions(db)
    assert (second.number, second.actor, second.summary) == (2, "manager", "changed action 'Call 1' (follow_up_days)")
    assert (one.number, one.actor) == (1, "admin") and one.summary.startswith("apply strategy.yaml: added collector")
    assert second.created_at >= one.created_at
    assert config_versions.export_document(db, version=2) == config_versions.export_document(db)
    assert yaml.safe_load(config_versions.export_document(db, version=1))["actions"][3]["follow_up_days"] == 7
    assert config_versions.version_strategy(db, 1).action("Call 1") == call_1
    assert [str(detail) for change in config_versions.version_diff(db, 1, 2) for detail in change.details] == [
        "actions[Call 1].follow_up_days: 7 → 10"
    ]
    assert config_versions.version_diff(db, 2) == ()


def test_the_first_change_of_a_configuration_never_versioned_records_it_first(db: Database) -> None:
    portfolios(db)
    config.apply_document(db, example_text(), "strategy.yaml")
    before = config_versions.export_document(db)
    with db.transaction() as session:  # a database configured before versions were recorded
        session.execute(delete(ConfigVersionRow))
    config_entities.delete_user(db, "manager", actor="admin")
    assert [(v.number, v.actor, v.summary) for v in config_versions.versions(db)] == [
        (2, "admin", "removed user 'manager'"),
        (1, "system", "the configuration before versions were recorded"),
    ]
    assert config_versions.export_document(db, version=1) == before


def test_each_run_records_the_version_it_used_and_explain_names_it(db: Database) -> None:
    portfolios(db)
    world(db, "O-1 Olsen ORTHO\n    2026-01-15 charge 600.00 due 2026-01-15\n")
    run_day(db, d("2026-02-27"))  # no configuration yet: no version
    config.apply_document(db, example_text(), "strategy.yaml")
    run_day(db, d("2026-03-01"))
    config_entities.delete_user(db, "manager")
    with db.engine.connect() as connection:
        assert list(connection.execute(select(RunRow.as_of, RunRow.config_version).order_by(RunRow.as_of))) == [
            (d("2026-02-27"), None), (d("2026-03-01"), 1)
        ]  # fmt: skip
    strategy = load_strategy(db)
    assert explain(db, "O-1", d("2026-03-01"), strategy).policy == (
        "portfolio ORTHO overrides the enterprise rules (configuration version 2; the run of 2026-03-01 used "
        "version 1)"
    )
    run_day(db, d("2026-03-02"))
    assert explain(db, "O-1", d("2026-03-02"), strategy).policy.endswith("(configuration version 2)")
    assert explain(db, "O-1", d("2026-02-27"), strategy).policy.endswith(
        "(configuration version 2; the run of 2026-02-27 recorded no version)"
    )
