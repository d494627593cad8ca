"""The compliance report and explain's compliance lines, as a person uses them from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from arrears.cli import app
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.services.accounts import Posting, open_account, post_transaction
from arrears.store.db import Database, sqlite_url
from tests.notation import d

STRATEGY = Path(__file__).parents[2] / "examples" / "strategy.yaml"
runner = CliRunner()


def call(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_do_not_call_party_shows_its_held_call_in_explain_and_the_report(sqlite_db: Database) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        assert call("portfolios", "add", code, code.title(), "--db", url)[0] == 0
    assert call("config", "apply", str(STRATEGY), "--db", url)[0] == 0
    # ORTHO: $1,200.00 due Feb 1 is 31 days past due on Mar 4 and goes to cho with the Call 1 chain.
    open_account(sqlite_db, Account("O-1", "ORTHO", Party("Dana", "Reyes", do_not_call=True)))
    post_transaction(sqlite_db, "O-1", Posting(Kind.CHARGE, 120000, d("2026-01-02"), due=d("2026-02-01")))
    assert call("run", "--as-of", "2026-03-04", "--db", url)[0] == 0

    code, output = call("explain", "O-1", "--as-of", "2026-03-04", "--db", url)
    assert code == 0 and "2026-03-04 H06 held phone: do not call: no phone calls" in output

    code, output = call("compliance", "report", "--from", "2026-03-01", "--to", "2026-03-31", "--db", url, "--json")
    assert code == 0
    report = json.loads(output)
    assert report["portfolios"]["ORTHO"]["held"] == {"H06": 1}
    assert (report["engine_breaches"], report["manual_breaches"]) == (0, 0)

    code, output = call("compliance", "report", "--from", "2026-03-01", "--to", "2026-03-31", "--db", url)
    assert code == 0 and "contacts made in breach: engine 0, collectors 0" in output

    code, output = call("compliance", "report", "--from", "2026-03-31", "--to", "2026-03-01", "--db", url)
    assert code == 1 and "to: is before --from 2026-03-31" in output


def test_flags_are_set_cleared_and_imported_from_the_command_line(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    assert call("portfolios", "add", "ORTHO", "Ortho", "--db", url)[0] == 0
    open_account(sqlite_db, Account("O-1", "ORTHO", Party("Dana", "Reyes")))

    code, output = call("flags", "set", "O-1", "bankruptcy", "--date", "2026-02-20", "--actor", "ann", "--db", url)
    assert code == 0 and "O-1: bankruptcy set" in output
    code, output = call("flags", "set", "O-1", "bankrupt", "--db", url)
    assert code == 1 and "flag: is not a flag (known: bankruptcy, deceased" in output
    code, output = call("flags", "role", "O-1", "attorney", "--name", "Lee Counsel", "--db", url)
    assert code == 0 and "O-1: attorney on file" in output

    path = tmp_path / "flags.csv"
    path.write_text("account,flag,date,clear\nO-1,bankruptcy,,true\nO-1,do_not_call,,\n")
    code, output = call("flags", "import", str(path), "--db", url)
    assert code == 0 and "flags set 1, cleared 1; representatives on file 0, removed 0" in output
    code, output = call("explain", "O-1", "--db", url)  # today: the import's changes are dated today
    assert code == 0 and "flag-cleared: bankruptcy cleared (by import)" in output


def test_a_call_completed_outside_the_window_is_recorded_with_a_warning(sqlite_db: Database) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        assert call("portfolios", "add", code, code.title(), "--db", url)[0] == 0
    assert call("config", "apply", str(STRATEGY), "--db", url)[0] == 0
    open_account(sqlite_db, Account("O-1", "ORTHO", Party("Dana", "Reyes")))
    post_transaction(sqlite_db, "O-1", Posting(Kind.CHARGE, 120000, d("2026-01-02"), due=d("2026-02-01")))
    assert call("run", "--as-of", "2026-03-04", "--db", url)[0] == 0
    items = json.loads(call("worklist", "--date", "2026-03-04", "--json", "--db", url)[1])
    (item,) = [i for i in items if i["action"] == "Call 1"]
    code, output = call("activity", "complete", str(item["id"]), "--outcome", "NOANSWER", "--date", "2026-03-04",
                        "--time", "07:45", "--db", url)  # fmt: skip
    assert code == 0 and f"activity {item['id']} done: NOANSWER" in output
    assert "the call broke a contact rule and is flagged: R03: 07:45:00 in America/New_York" in " ".join(output.split())
    code, output = call("compliance", "report", "--from", "2026-03-04", "--to", "2026-03-04", "--db", url, "--json")
    assert json.loads(output)["manual_breaches"] == 1
    code, output = call("activity", "complete", str(item["id"]), "--outcome", "NOANSWER", "--time", "7h", "--db", url)
    assert code != 0 and "is not a time (HH:MM)" in output
