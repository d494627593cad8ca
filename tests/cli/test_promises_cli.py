"""Promises from the command line: a call completed with a promise, a promise taken directly, the account's
promises and the promise desk."""

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


def call(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--db", url])
    return result.exit_code, " ".join(result.output.split())


def test_take_list_and_desk(sqlite_db: Database) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        assert call(url, "portfolios", "add", code, code.title())[0] == 0
    assert call(url, "config", "apply", str(STRATEGY))[0] == 0
    open_account(sqlite_db, Account("O-1", "ORTHO", Party("Dana", "Reyes")))
    post_transaction(sqlite_db, "O-1", Posting(Kind.CHARGE, 120000, d("2026-01-02"), due=d("2026-02-01")))
    assert call(url, "run", "--as-of", "2026-03-04")[0] == 0
    (item,) = json.loads(call(url, "worklist", "--collector", "cho", "--date", "2026-03-04", "--json")[1])

    code, output = call(url, "activity", "complete", str(item["id"]), "--outcome", "PROMISE", "--date", "2026-03-04",
                        "--amount", "100", "--due", "2027-03-15", "--repeat", "monthly")  # fmt: skip
    assert code == 0 and "promise taken: $100.00 due 2027-03-15 monthly" in output
    code, output = call(url, "promise", "add", "O-1", "--amount", "60.00", "--due", "2027-03-15", "--repeat",
                        "fortnightly")  # fmt: skip
    assert code == 2 and "'fortnightly' must be weekly, biweekly" in output
    code, output = call(url, "promise", "add", "O-1", "--amount", "60.00", "--due", "2027-03-15", "--grace", "120",
                        "--on", "2026-03-05")  # fmt: skip
    assert code == 1 and "grace: must be between 0 and 99 days (got '120')" in output
    code, output = call(url, "promise", "add", "O-1", "--amount", "60.00", "--due", "2027-03-15", "--channel",
                        "portal", "--on", "2026-03-05", "--user", "cho")  # fmt: skip
    assert code == 0 and "promise 2 taken on O-1: $60.00 due 2027-03-15" in output

    listed = json.loads(call(url, "promise", "list", "O-1", "--json")[1].replace("\n", ""))
    # ORTHO's grace is 5 days (examples/strategy.yaml), the enterprise's 3
    shown = [(p["id"], p["amount_cents"], p["repeat"], p["grace_days"], p["collector"], p["channel"]) for p in listed]
    assert shown == [(2, 6000, "", 5, "cho", "portal"), (1, 10000, "monthly", 5, "cho", "phone")]
    code, output = call(url, "promises", "list", "--date", "2027-03-15", "--collector", "cho")
    assert code == 0 and "promise desk cho on 2027-03-15" in output and output.count("O-1") == 2
    code, output = call(url, "worklist", "--promises", "--date", "2027-03-15", "--json")
    assert [p["desk"] for p in json.loads(output)] == ["due today", "due today"]
    code, output = call(url, "report", "promises", "--from", "2026-03-01", "--to", "2026-03-31", "--json")
    report = [(line["portfolio"], line["collector"], line["taken"], line["promised_cents"], line["kept_rate"])
              for line in json.loads(output)]  # fmt: skip
    assert report == [("ORTHO", "cho", 2, 16_000, None), ("ORTHO", "*", 2, 16_000, None)]
    code, output = call(url, "report", "promises", "--from", "2026-03-31", "--to", "2026-03-01")
    assert code == 1 and "to: is before --from (2026-03-31)" in output
    code, output = call(url, "accounts", "show", "O-1")
    assert code == 0 and "promise 1: $100.00 monthly due 2027-03-15 (grace 5 days): open" in output


def test_an_imported_payment_judges_the_promise_as_it_posts_and_the_report_says_so(
    sqlite_db: Database, tmp_path: Path
) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        assert call(url, "portfolios", "add", code, code.title())[0] == 0
    assert call(url, "config", "apply", str(STRATEGY))[0] == 0
    open_account(sqlite_db, Account("O-1", "ORTHO", Party("Dana", "Reyes")))
    post_transaction(sqlite_db, "O-1", Posting(Kind.CHARGE, 120000, d("2026-01-02"), due=d("2026-02-01")))
    code, output = call(url, "promise", "add", "O-1", "--amount", "100", "--due", "2027-03-15", "--repeat",
                        "monthly", "--on", "2026-03-05", "--collector", "cho")  # fmt: skip
    assert code == 0, output
    path = tmp_path / "payments.csv"
    path.write_text("external_id,account,kind,amount,posted,source\nP-1,O-1,payment,100.00,2027-03-16,guarantor\n")
    code, output = call(url, "import", "transactions", str(path), "--quiet")
    assert code == 0 and "as the transactions posted:" in output and "promises_judged: 1" in output
    (promise,) = json.loads(call(url, "promise", "list", "O-1", "--json")[1].replace("\n", ""))
    assert (promise["status"], promise["due"]) == ("open", "2027-04-15")
    code, output = call(url, "import", "transactions", str(path), "--json")
    assert json.loads(output)["effects"] == {}  # the replayed file makes nothing happen again
