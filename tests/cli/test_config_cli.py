"""``arrears config``: export, apply (dry run, diff, every error), show, portfolios, assignment type, letters, audit."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import arrears.cli.config  # noqa: F401  (registers the commands until arrears.cli imports it)
from arrears.cli import app
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.store.db import Database, sqlite_url
from tests.examples import example_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"
runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A database with the three demo portfolios and one account, Ann Smith owing $250.00 since Jan 1."""
    database_url = sqlite_url(tmp_path / "arrears.db")
    db = Database.connect(database_url)
    for code, name in (("FAMILY", "Maple Grove Family Practice"), ("ORTHO", "Summit Orthopedic Group"),
                       ("OUTPT", "Riverside Outpatient")):  # fmt: skip
        create_portfolio(db, code, name)
    open_account(db, Account("A-1", "FAMILY", Party("Ann", "Smith", "12 Elm St", city="Dayton", state="OH")))
    post_transaction(db, "A-1", Posting(Kind.CHARGE, 25000, date(2026, 1, 1), due=date(2026, 1, 1)))
    db.dispose()
    return database_url


def run(url: str, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["config", *args, "--db", url], input=input)


def test_apply_dry_run_then_apply_then_export_round_trips(url: str, tmp_path: Path) -> None:
    dry = run(url, "apply", str(EXAMPLE), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing was written" in dry.stdout and "Guarantor Letters" in dry.stdout
    assert "actions:" not in run(url, "export").stdout  # still empty

    applied = run(url, "apply", str(EXAMPLE), "--actor", "admin")
    assert applied.exit_code == 0, applied.output
    assert "applied 40 change(s)" in applied.stdout

    out = tmp_path / "exported.yaml"
    assert run(url, "export", str(out)).exit_code == 0
    again = run(url, "apply", str(out), "--json")
    assert json.loads(again.stdout)["changes"] == []
    assert run(url, "export").stdout == out.read_text()

    audit = json.loads(run(url, "audit", "--entity", "series", "--json").stdout)
    assert {(row["key"], row["actor"], row["action"]) for row in audit} == {
        ("Guarantor Letters", "admin", "created"), ("Insurance Follow-up", "admin", "created")
    }  # fmt: skip


def test_apply_reports_every_error_and_changes_nothing(url: str, tmp_path: Path) -> None:
    document = yaml.safe_load(example_text())
    document["actions"][3]["follow_up_days"] = 1000
    document["actions"][4]["follow_up_days"] = "14"
    document["series"][0]["steps"][2]["action"] = "Guarantor 120 day letter"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document, sort_keys=False))
    result = run(url, "apply", str(bad))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}: actions[Call 2].follow_up_days: must be a whole number",
        f"{bad}: actions[Call 1].follow_up_days: must be between 1 and 999",
        f"{bad}: series[Guarantor Letters].steps[3].action: names an unknown action 'Guarantor 120 day letter'",
        "error: 3 problem(s); nothing was changed",
    ]
    audited = json.loads(run(url, "audit", "--json").stdout)
    assert [(row["entity"], row["action"]) for row in audited] == [("portfolio", "added")] * 3


def test_show_portfolios_and_preview_letter(url: str) -> None:
    assert run(url, "apply", str(EXAMPLE)).exit_code == 0
    shown = json.loads(run(url, "show", "--json").stdout)
    letters = next(s for s in shown["series"] if s["name"] == "Guarantor Letters")
    assert letters["letters"] == ["G30", "G60", "G90"] and letters["final_action"] == "external_collections"
    assert [c["code"] for c in shown["collectors"]] == ["ann", "ben", "cho"]
    promise = {"code": "PROMISE", "class": "promise", "description": "the party promised to pay"}
    assert shown["outcome_codes"][1] == promise
    table = run(url, "show")
    assert table.exit_code == 0 and "Call 1" in table.stdout
    assert "outcome codes" in table.stdout and "WRONGNUMBER" in table.stdout

    portfolios = json.loads(run(url, "portfolios", "--json").stdout)
    assert [(p["portfolio"], p["collections_enabled"], p["assignment_level"]) for p in portfolios] == [
        ("FAMILY", "Yes", "Enterprise"), ("ORTHO", "Yes", "Portfolio"), ("OUTPT", "Yes", "Enterprise")
    ]  # fmt: skip
    assert portfolios[1]["rules"]["balance_over"] == "100.00"
    assert "Enterprise" in run(url, "portfolios").stdout

    preview = run(url, "preview-letter", "G30", "A-1", "--as-of", "2026-03-01")
    assert preview.exit_code == 0, preview.output
    assert preview.stdout.startswith("Subject: Notice of the debt: account A-1\n")
    assert "Ann Smith<br>" in preview.stdout and "Total amount of the debt now:" in preview.stdout
    assert "$250.00" in preview.stdout
    missing = run(url, "preview-letter", "G45", "A-1")
    assert missing.exit_code == 1 and "no letter 'G45'" in missing.stderr


def test_assignment_type_asks_before_deleting_rules(url: str) -> None:
    assert run(url, "apply", str(EXAMPLE)).exit_code == 0
    declined = run(url, "assignment-type", "FAMILY", "balance_range", input="n\n")
    assert declined.exit_code == 1
    assert "deletes its 4 assignment rule(s)" in declined.stdout and "1. A–H → ann" in declined.stdout
    assert "aborted: nothing was changed" in declined.stdout
    rules = json.loads(run(url, "portfolios", "--json").stdout)[0]["assignment"]
    assert rules["type"] == "name_range" and len(rules["rules"]) == 4

    accepted = run(url, "assignment-type", "FAMILY", "balance_range", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "4 rule(s) deleted" in accepted.stdout
    rules = json.loads(run(url, "portfolios", "--json").stdout)[0]["assignment"]
    assert rules == {"type": "balance_range", "default_collector": "ann", "default_action": "Guarantor Letters",
                     "rules": []}  # fmt: skip

    forced = run(url, "assignment-type", "OUTPT", "balance_range", "--yes", "--actor", "manager")
    assert forced.exit_code == 0 and "3 rule(s) deleted" in forced.stdout
    audit = json.loads(run(url, "audit", "--json", "--limit", "1").stdout)[0]
    assert (audit["actor"], audit["key"], audit["action"]) == ("manager", "OUTPT", "updated")
    assert run(url, "assignment-type", "OUTPT", "alphabetical").exit_code == 2


def test_merge_fields_are_listed(url: str) -> None:
    fields = json.loads(runner.invoke(app, ["config", "merge-fields", "--json"]).stdout)
    assert "party.first_name" in fields and "balance" in fields


def _without_the_fee(tmp_path: Path) -> Path:
    document = yaml.safe_load(example_text())
    document["actions"] = [a for a in document["actions"] if a["name"] != "Collection fee"]
    changed = tmp_path / "without-fee.yaml"
    changed.write_text(yaml.safe_dump(document, sort_keys=False))
    return changed


def test_apply_asks_before_removing_and_refuses_without_a_terminal(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(url, "apply", str(EXAMPLE)).exit_code == 0
    exported, changed = run(url, "export").stdout, _without_the_fee(tmp_path)

    refused = run(url, "apply", str(changed))  # no terminal to ask at, no --yes
    assert refused.exit_code == 1
    assert (
        f"error: applying {changed} removes 1 entity (removed action 'Collection fee'); nothing was changed. There "
        "is no terminal to ask: run again with --yes to apply it"
    ) in refused.stderr
    as_json = run(url, "apply", str(changed), "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["confirmation_required"] == ["removed action 'Collection fee'"]
    assert run(url, "export").stdout == exported

    monkeypatch.setattr("arrears.cli.config._interactive", lambda: True)
    declined = run(url, "apply", str(changed), input="n\n")
    assert declined.exit_code == 1 and "aborted: nothing was changed" in declined.stdout
    assert "Applying " in declined.stdout and "  - action 'Collection fee'" in declined.stdout
    assert run(url, "export").stdout == exported

    accepted = run(url, "apply", str(changed), "--actor", "manager", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "applied 1 change(s) as configuration version 2" in accepted.stdout
    assert "Collection fee" not in run(url, "export").stdout

    monkeypatch.setattr("arrears.cli.config._interactive", lambda: False)
    restored = run(url, "apply", str(EXAMPLE), "--yes")  # adds the fee back: nothing removed, nothing asked
    assert restored.exit_code == 0 and "configuration version 3" in restored.stdout
    scripted = run(url, "apply", str(changed), "--yes")
    assert scripted.exit_code == 0 and "configuration version 4" in scripted.stdout


def test_versions_show_export_and_diff(url: str, tmp_path: Path) -> None:
    assert run(url, "apply", str(EXAMPLE), "--actor", "admin").exit_code == 0
    first = run(url, "export").stdout
    document = yaml.safe_load(example_text())
    document["actions"][3]["follow_up_days"] = 10
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(document, sort_keys=False))
    dry = run(url, "apply", str(changed), "--dry-run")
    assert "actions[Call 1].follow_up_days: 7 → 10" in dry.stdout
    applied = run(url, "apply", str(changed), "--actor", "manager")
    assert "actions[Call 1].follow_up_days: 7 → 10" in applied.stdout
    assert "as configuration version 2" in applied.stdout

    listed = json.loads(run(url, "versions", "--json").stdout)
    assert [(v["number"], v["actor"], v["summary"]) for v in listed] == [
        (2, "manager", f"apply {changed}: changed action 'Call 1' (follow_up_days)"),
        (1, "admin", listed[1]["summary"]),
    ]
    assert "configuration versions" in run(url, "versions").stdout
    assert run(url, "export", "--version", "1").stdout == first
    old = json.loads(run(url, "show", "--version", "1", "--json").stdout)
    assert next(a for a in old["actions"] if a["name"] == "Call 1")["follow_up_days"] == 7
    assert "actions[Call 1].follow_up_days: 7 → 10" in run(url, "diff", "1", "2").stdout
    assert json.loads(run(url, "diff", "1", "--json").stdout)[0]["details"] == [
        {"path": "actions[Call 1].follow_up_days", "before": 7, "after": 10}
    ]
    assert "no differences" in run(url, "diff", "2").stdout
    missing = run(url, "export", "--version", "9")
    assert missing.exit_code == 1 and "no configuration version 9" in missing.stderr
