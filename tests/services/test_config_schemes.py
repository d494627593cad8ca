"""The ``schemes`` and ``credit_rating`` sections of the configuration document (seed 004): validated with
paths like the rest, stored as audited entities and round-tripped through export and apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from arrears.domain.strategy.schemes import DurationUnit, MilestoneActionKind, PerformOn
from arrears.services import config, config_versions
from arrears.services.accounts import create_portfolio
from arrears.services.config_document import dump_strategy, parse_document
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from tests.examples import example_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"
PORTFOLIOS = {"FAMILY", "ORTHO", "OUTPT"}


def with_schemes(schemes: list[dict[str, Any]], **sections: Any) -> str:
    document = yaml.safe_load(example_text())
    document["schemes"] = schemes
    document.update(sections)
    return yaml.safe_dump(document, sort_keys=False)


def problems(schemes: list[dict[str, Any]], **sections: Any) -> list[str]:
    text = with_schemes(schemes, **sections)
    return [f"{e.path}: {e.rule}" for e in parse_document(text, "s.yaml", PORTFOLIOS).errors]


SEED_SCHEME = {
    "code": "WATER", "name": "Water collections", "portfolio": "OUTPT",
    "milestones": [
        {"name": "30 days", "days_past_due": 30, "duration_days": 10,
         "actions": [{"kind": "notice", "template": "G30"},
                     {"kind": "one_off_charge", "line_item_type": "Late fee", "amount": "25.00"}]},
        {"name": "60 days", "days_past_due": 60, "duration_days": 10,
         "actions": [{"kind": "credit_rating", "points": 50}]},
        {"name": "90 days", "days_past_due": 90, "reversal_milestone": "60 days"},
    ],
}  # fmt: skip


def test_the_example_has_a_scheme_with_every_kind_of_action_and_the_credit_rating_setup() -> None:
    parsed = parse_document(EXAMPLE.read_text(), str(EXAMPLE), PORTFOLIOS)
    assert parsed.errors == () and parsed.strategy is not None
    (scheme,) = parsed.strategy.schemes
    assert [m.name for m in scheme.milestones] == ["First notice", "Final notice", "Service review"]
    assert [m.days_past_due for m in scheme.milestones] == [30, 60, 90]
    assert scheme.min_entry_cents == 2_500 and scheme.milestones[0].duration_unit is DurationUnit.BUSINESS
    kinds = {a.kind for m in scheme.milestones for a in m.actions}
    assert kinds == set(MilestoneActionKind)
    assert {a.perform_on for m in scheme.milestones for a in m.actions} == set(PerformOn)
    rating = parsed.strategy.credit_rating
    assert [(level.name, level.min_points) for level in rating.levels] == [("Gold", 0), ("Silver", 50), ("Bronze", 100)]
    assert rating.lookback_days == 730 and rating.level(49) == "Gold" and rating.level(50) == "Silver"
    assert rating.level(100) == "Bronze"


def test_a_scheme_round_trips_through_the_yaml() -> None:
    parsed = parse_document(with_schemes([SEED_SCHEME]), "s.yaml", PORTFOLIOS)
    assert parsed.errors == () and parsed.strategy is not None
    (scheme,) = parsed.strategy.schemes
    assert scheme.milestones[0].actions[1].amount_cents == 2_500
    exported = dump_strategy(parsed.strategy)
    again = parse_document(exported, "x", PORTFOLIOS)
    assert again.errors == () and again.strategy == parsed.strategy and dump_strategy(again.strategy) == exported


def test_every_bad_value_is_reported_with_its_path() -> None:
    bad = {
        "code": "WATER", "name": "Water", "portfolio": "NOWHERE", "min_entry_amount": 25,
        "entry_condition": "balanse > 10", "holiday_country": "XX",
        "milestones": [
            {"name": "first", "days_past_due": 60, "duration_days": 1000},
            {"name": "second", "days_past_due": 30, "reversal_milestone": "third",
             "actions": [{"kind": "one_off_charge", "line_item_type": "Fee"},
                         {"kind": "service_request", "request_type": "Shut-off", "assignee": "nobody"},
                         {"kind": "credit_rating", "points": 0, "text": "why"},
                         {"kind": "notice", "template": "G99", "perform_on": "payment"}]},
            {"name": "second"},
        ],
    }  # fmt: skip
    found = problems([bad], credit_rating={"levels": [{"name": "Gold", "min_points": 10},
                                                      {"name": "Silver", "min_points": 5}], "lookback_days": 0})
    unknown_field = found.pop(3)
    assert unknown_field.startswith(
        "schemes[WATER].entry_condition: line 1, column 1: unknown field 'balanse'; did you mean: balance? (known "
    )
    assert found == [
        'schemes[WATER].min_entry_amount: must be an amount written as text, e.g. "25.00"',
        "schemes[WATER].milestones[2].actions[4].perform_on: must be one of 'entry', 'decrement', 'full_payment' "
        "or 'formula'",
        "schemes[WATER].portfolio: names an unknown portfolio 'NOWHERE'",
        "schemes[WATER].holidays: country 'XX' has no holiday calendar (use an ISO 3166 code such as US, CA, GB)",
        "schemes[WATER].milestones[1].duration_days: must be between 0 and 999",
        "schemes[WATER].milestones[2].days_past_due: must be more than the previous milestone's (60)",
        "schemes[WATER].milestones[2].reversal_milestone: names an unknown milestone 'third' (known: first, second, "
        "second)",
        "schemes[WATER].milestones[2].actions[1].amount: give either a fixed amount or percent_of_balance",
        "schemes[WATER].milestones[2].actions[2].assignee: names an unknown collector or group 'nobody'",
        "schemes[WATER].milestones[2].actions[3].text: is not used by a credit rating",
        "schemes[WATER].milestones[2].actions[3].points: must be between 1 and 999",
        "schemes[WATER].milestones[2].actions[4].template: names an unknown letter template 'G99'",
        "schemes[WATER].milestones[3].name: milestone 'second' is defined more than once",
        "schemes[WATER].milestones[3]: must say what reaches it: days_past_due, amount or condition",
        "credit_rating.levels[1].min_points: must be 0 for the first level (every party has a level)",
        "credit_rating.levels[2].min_points: must be more than the previous level's (10)",
        "credit_rating.lookback_days: must be at least 1 (leave it out for the whole history)",
    ]


def test_one_active_scheme_per_portfolio_and_collection_type() -> None:
    second = {**SEED_SCHEME, "code": "WATER-2"}
    assert problems([SEED_SCHEME, second]) == [
        "schemes[WATER-2]: portfolio 'OUTPT' already has the active guarantor scheme 'WATER'"
    ]
    assert problems([SEED_SCHEME, {**second, "inactive": True}]) == []


def test_apply_stores_the_schemes_audited_and_export_gives_them_back(db: Database) -> None:
    for code in sorted(PORTFOLIOS):
        create_portfolio(db, code, f"{code} practice")
    first = config.apply_document(db, EXAMPLE.read_text(), str(EXAMPLE), actor="admin")
    assert first.applied and first.diff["scheme"]["added"] == ["OUTPT-STAGES"]
    assert "credit_rating" not in first.diff  # the example's setup is the default one: nothing stored
    changed = config.apply_document(
        db, with_schemes([SEED_SCHEME], credit_rating={"levels": [{"name": "Good", "min_points": 0},
                                                                  {"name": "Poor", "min_points": 80}]}),
        "s.yaml", actor="admin", confirm=True,
    )  # fmt: skip
    assert changed.applied and changed.diff["scheme"]["added"] == ["WATER"]
    assert changed.diff["scheme"]["removed"] == ["OUTPT-STAGES"]
    stored = load_strategy(db)
    assert [s.code for s in stored.schemes] == ["WATER"] and stored.credit_rating.lookback_days is None
    assert stored.credit_rating.level(79) == "Good" and stored.credit_rating.level(80) == "Poor"
    exported = config_versions.export_document(db)
    assert yaml.safe_load(exported)["schemes"][0]["code"] == "WATER"
    assert config.apply_document(db, exported, "exported.yaml", actor="admin").changes == ()
