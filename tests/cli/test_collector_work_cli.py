"""A collector's hand work from the command line: note, follow-up, reassign, place and recall, with --user."""

from __future__ import annotations

import json
from dataclasses import replace

from typer.testing import CliRunner

from arrears.cli import app
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.store.db import Database, sqlite_url
from tests.services.run_scenarios import STRATEGY, portfolios, table, world

runner = CliRunner()
SAVED = replace(STRATEGY, letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters))


def call(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())  # as read, whatever the terminal wraps


def test_place_follow_up_reassign_note_and_recall(sqlite_db: Database) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    portfolios(sqlite_db)
    world(sqlite_db, "adams Adams NORTH\n    2026-01-20 charge 300.00 due 2026-02-10")
    assert apply_document(sqlite_db, dump_strategy(SAVED), actor="admin", confirm=True).errors == ()
    me = ("--user", "maria", "--db", url)

    code, output = call("collections", "recall", "adams", "--reason", "x", *me)
    assert code == 1 and "is not in guarantor collections: nothing to recall" in output
    code, output = call("collections", "place", "adams", "--reason", "asked for a call", "--on", "2026-02-21", *me)
    assert code == 0, output
    assert "placed in guarantor collections on 2026-02-21: collector AL, work 'Guarantor Letters'" in output
    code, output = call("collections", "place", "adams", "--reason", "again", "--on", "2026-02-21", *me)
    assert code == 1 and "is already in guarantor collections (internal since 2026-02-21, collector AL)" in output

    code, output = call("activity", "add", "adams", "--kind", "phone_call", "--due", "2026-02-23", "--time",
                        "10:30", "--priority", "80", "--on", "2026-02-21", *me)  # fmt: skip
    assert code == 0 and "phone_call on 2026-02-23 10:30 for adams" in output, output
    listing = runner.invoke(app, ["worklist", "--collector", "AL", "--date", "2026-02-23", "--db", url, "--json"])
    (item,) = (i for i in json.loads(listing.output) if i["action"] == "Follow-up")
    assert (item["kind"], item["priority"], item["band"]) == ("phone_call", 80, "high")
    code, output = call("activity", "add", "adams", "--kind", "letter", "--due", "2026-02-23", *me)
    assert code == 2 and "'letter' is not review or phone_call" in output

    code, output = call("activity", "reassign", str(item["id"]), "--collector", "DEF", *me)
    assert code == 0 and f"activity {item['id']} reassigned from AL to DEF" in output
    code, output = call("accounts", "reassign", "adams", "--collector", "NOBODY", *me)
    assert code == 1 and "collector: is not a collector or group" in output
    code, output = call("accounts", "reassign", "adams", "--collector", "HI", "--on", "2026-02-21", *me)
    assert code == 0 and "account adams reassigned to HI with 2 pending activities" in output
    code, output = call("note", "add", "adams", "promised to call back", "--on", "2026-02-21", *me)
    assert code == 0 and "added to account adams" in output
    code, output = call("collections", "recall", "adams", "--reason", "billing error", "--on", "2026-02-22", *me)
    assert code == 0 and "recalled from collections on 2026-02-22; 2 activities cancelled" in output
    assert [(row.entity, row.action) for row in table(sqlite_db, "audit") if row.actor == "maria"] == [
        ("case", "placed"), ("activity", "added"), ("activity", "reassigned"), ("case", "reassigned"),
        ("note", "added"), ("case", "recalled"),
    ]  # fmt: skip
