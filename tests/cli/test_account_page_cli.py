"""The account page and the account list from the command line: 80 columns unless --wide, ids and money whole."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from arrears.cli import app
from arrears.domain.ledger import Kind
from arrears.services.accounts import Posting, post_transaction
from arrears.store.db import Database, sqlite_url
from tests.notation import d
from tests.services.run_scenarios import portfolios, world

runner = CliRunner()


def test_list_fits_80_columns_and_show_has_the_case_and_timeline(sqlite_db: Database) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    portfolios(sqlite_db)
    world(sqlite_db, "ACCT-2026-000123 Montgomery-Featherstonehaugh NORTH\n"
                     "    2025-11-01 charge 1234567.89 due 2025-11-15")
    post_transaction(sqlite_db, "ACCT-2026-000123", Posting(Kind.FEE, 1500, d("2026-02-01"), description="late fee"))
    listing = runner.invoke(app, ["accounts", "list", "--as-of", "2026-02-20", "--db", url]).output
    assert max(len(line) for line in listing.splitlines()) <= 80
    assert "ACCT-2026-000123" in listing and "$1,234,582.89" in listing and "97" in listing
    assert "portfolio" not in listing
    wide = runner.invoke(app, ["accounts", "list", "--wide", "--as-of", "2026-02-20", "--db", url]).output
    assert "portfolio" in wide and "Montgomery-Featherstonehaugh, Acct-2026-000123" in " ".join(wide.split())
    rows = json.loads(runner.invoke(app, ["accounts", "list", "--json", "--as-of", "2026-02-20", "--db", url]).output)
    assert [(r["external_id"], r["days_past_due"], r["case_status"]) for r in rows] == [("ACCT-2026-000123", 97, None)]
    bad = runner.invoke(app, ["accounts", "list", "--collector", "NOBODY", "--db", url])
    assert bad.exit_code == 1 and "collector: is not a collector or group" in bad.output

    page = runner.invoke(app, ["accounts", "show", "ACCT-2026-000123", "--as-of", "2026-02-20", "--db", url])
    text = " ".join(page.output.split())
    assert page.exit_code == 0
    assert "collections: never in collections" in text and "statements: sent" in text
    assert "timeline (newest first)" in text and "2026-02-01 │ fee │ fee $15.00: late fee" in text
    data = json.loads(runner.invoke(app, ["accounts", "show", "ACCT-2026-000123", "--json", "--db", url]).output)
    assert (data["cases"], data["timeline"][0]["kind"]) == ([], "fee")


def test_the_page_shows_a_credit_balance_and_its_refund(sqlite_db: Database) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    portfolios(sqlite_db)
    world(sqlite_db, "A-7 Adams NORTH\n    2026-01-05 charge 100.00 due 2026-02-04\n"
                     "    2026-02-10 payment 125.00 guarantor")  # fmt: skip
    page = runner.invoke(app, ["accounts", "show", "A-7", "--as-of", "2026-02-20", "--db", url])
    text = " ".join(page.output.split())
    assert page.exit_code == 0, page.output
    assert "credit balance $25.00 (overpaid: nothing owed); 0 days past due" in text
    # the aging: nothing open, the $25.00 in a credit column of its own
    assert "┃ current ┃ 1-30 ┃ 31-60 ┃ 61-90 ┃ 91-120 ┃ 120+ ┃ credit ┃" in text
    assert "│ $0.00 │ $0.00 │ $0.00 │ $0.00 │ $0.00 │ $0.00 │ -$25.00 │" in text
    data = json.loads(runner.invoke(app, ["accounts", "show", "A-7", "--as-of", "2026-02-20", "--json",
                                          "--db", url]).output)  # fmt: skip
    assert (data["balance_cents"], data["credit_cents"], data["aging_cents"]["current"]) == (-2500, 2500, -2500)
    # what is owed per bucket, as the page and the letters show it: nothing; the credit apart (aging_cents, kept
    # as it was, nets the credit into current so that its buckets sum to the balance)
    assert data["owed_aging_cents"] == {"current": 0, "1-30": 0, "31-60": 0, "61-90": 0, "91-120": 0, "120+": 0}
    post_transaction(sqlite_db, "A-7", Posting(Kind.REFUND, 2500, d("2026-02-15"), description="refund by check"))
    page = runner.invoke(app, ["accounts", "show", "A-7", "--as-of", "2026-02-20", "--db", url])
    text = " ".join(page.output.split())
    assert "balance $0.00; 0 days past due" in text and "refund │ $25.00" in text and "credit ┃" not in text
