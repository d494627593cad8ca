"""The run, the worklist, completing work and explain, as a person uses them from the command line."""

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


def test_run_worklist_complete_and_explain(sqlite_db: Database) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        assert call("portfolios", "add", code, code.title(), "--db", url)[0] == 0
    assert call("config", "apply", str(STRATEGY), "--db", url)[0] == 0
    # ORTHO overrides the enterprise rules: balance > $100.00, more than 30 days past due (due Feb 1: 31 days
    # on Mar 4); balance ranges
    # send $500.00–$2,499.99 to cho with the Call 1 chain.
    open_account(sqlite_db, Account("O-1", "ORTHO", Party("Dana", "Reyes")))
    post_transaction(sqlite_db, "O-1", Posting(Kind.CHARGE, 120000, d("2026-01-02"), due=d("2026-02-01")))

    code, output = call("run", "--as-of", "2026-03-04", "--db", url, "--json")
    assert code == 0
    first = json.loads(output)[0]
    assert (first["counts"]["entered"], first["this_attempt"]["entered"]) == (1, 1)

    code, output = call("run", "--as-of", "2026-03-04", "--db", url)
    assert code == 0 and "had already run: this run wrote nothing new" in output

    code, output = call("worklist", "--collector", "cho", "--date", "2026-03-04", "--db", url, "--json")
    items = json.loads(output)
    assert [(i["account"], i["action"], i["kind"], i["band"]) for i in items] == [
        ("O-1", "Call 1", "phone_call", "medium")
    ]

    # a collector or group the configuration does not know is an error, not an empty worklist
    code, output = call("worklist", "--collector", "chi", "--date", "2026-03-04", "--db", url)
    assert code == 1 and "collector: is not a collector or group (known: ann, ben, cho" in " ".join(output.split())
    code, output = call("worklist", "--group", "NIGHT", "--date", "2026-03-04", "--db", url)
    assert code == 1 and "group: is not a collector or group" in output and "(got 'NIGHT')" in output
    code, output = call("worklist", "--promises", "--collector", "chi", "--date", "2026-03-04", "--db", url)
    assert code == 1 and "collector: is not a collector or group" in output

    code, output = call("activity", "complete", str(items[0]["id"]), "--outcome", "will pay Friday", "--date",
                        "2026-03-04", "--db", url)  # fmt: skip
    assert code == 1 and "outcome: is not an outcome code (known: CONNECTED (connected conversation), PROMISE " \
                         "(promise)" in " ".join(output.split())  # fmt: skip
    code, output = call("activity", "complete", str(items[0]["id"]), "--outcome", "PROMISE", "--note",
                        "will pay Friday", "--date", "2026-03-04", "--db", url)  # fmt: skip
    assert code == 0 and "done: PROMISE" in output
    assert json.loads(call("worklist", "--collector", "cho", "--date", "2026-03-04", "--db", url, "--json")[1]) == []

    code, output = call("explain", "O-1", "--as-of", "2026-03-04", "--db", url, "--json")
    explained = json.loads(output)
    assert explained["policy"] == "portfolio ORTHO overrides the enterprise rules (configuration version 1)"
    assert explained["verdict"] == "in collections (internal) since 2026-03-04"
    assert explained["assignment"] == "balance range: rule 2 ($500.00–$2,499.99) → cho, work 'Call 1'"
    assert [(p["action"], p["due"]) for p in explained["pending"]] == [("Call 2", "2026-03-11")]

    code, output = call("run", "--as-of", "2026-03-03", "--db", url)
    assert code == 1 and "refused" in output

    code, output = call("run", "--through", "2026-03-06", "--db", url, "--json")
    assert code == 0 and [r["as_of"] for r in json.loads(output)] == ["2026-03-05", "2026-03-06"]
