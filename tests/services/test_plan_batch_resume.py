"""A plan batch killed part-way (SIGKILL to a real process) and run again resumes where it stopped: it ends
with exactly what an uninterrupted batch leaves (contacts, letters, notes, fees, history, the batch record)
and runs no account twice. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from arrears.domain.plans import AssignTo, EventType, Plan, PlanEvent, Timing
from arrears.domain.strategy import LetterTemplate
from arrears.services import config
from arrears.services.config_document import dump_strategy
from arrears.services.plans import BatchResult, run_batch
from arrears.store.db import Database, make_engine
from arrears.store.models import PlanBatchRow
from tests.services.run_processes import ACCOUNTS, AS_OF, ROOT
from tests.services.run_scenarios import EFFECT_TABLES, contents, resume_strategy
from tests.services.test_run_resume import Fresh, fresh  # noqa: F401  (the fixture)

CHUNK = 5
LETTERS = tuple(LetterTemplate(code, code, body="Dear {{ party.first_name }}") for code in ("L30", "L60", "CLM"))
AT = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
SWEEP = Plan("SWEEP", "A letter, a note, a fee, a status, a call in 90 minutes and a review in 3 days", events=(
    PlanEvent(1, EventType.LETTER, "L30"),
    PlanEvent(2, EventType.NOTE, "Swept"),
    PlanEvent(3, EventType.TRANSACTION, "fee", amount_cents=500),
    PlanEvent(4, EventType.STATUS_CHANGE, "SWEPT"),
    PlanEvent(5, EventType.PHONE_CALL, "Follow the letter", delay_minutes=90,
              assign_to=AssignTo.SPECIFIC_OPERATOR, operator="AL"),
    PlanEvent(6, EventType.REVIEW, "Check the sweep", timing=Timing.DELAY_DAYS, days=3),
))  # fmt: skip
WHERE = "balance > 0"
BATCH = f"""
import sys
from datetime import datetime
from arrears.services.plans import run_batch
from arrears.store.db import Database, make_engine
run_batch(Database(make_engine(sys.argv[1])), "SWEEP", on=datetime.fromisoformat(sys.argv[2]).date(),
          at=datetime.fromisoformat(sys.argv[2]), where={WHERE!r}, chunk_size={CHUNK})
"""


def _configured(url: str) -> Database:
    db = Database(make_engine(url))
    strategy = replace(resume_strategy(), plans=(SWEEP,), letters=LETTERS)
    assert config.apply_document(db, dump_strategy(strategy), "plans.yaml").ok
    return db


def _batch(db: Database) -> BatchResult:
    return run_batch(db, "SWEEP", on=AS_OF, at=AT, where=WHERE, chunk_size=CHUNK)


def _record(engine: Engine) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(PlanBatchRow)).all()


def _kill_part_way(url: str) -> int:
    """Run the batch in a child process and SIGKILL it once some chunks have committed; the account id done."""
    engine = make_engine(url)
    child = subprocess.Popen(
        [sys.executable, "-c", BATCH, url, AT.isoformat()], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300  # only a hung child takes that long, even on a crowded machine
        while not (rows := _record(engine)) or (rows[0].done_through or 0) < 2 * CHUNK:
            assert child.poll() is None, f"the batch ended on its own (exit {child.returncode}) before the kill"
            assert time.monotonic() < deadline, "the batch committed no chunk in 300 s"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    [row] = _record(engine)
    engine.dispose()
    assert child.returncode == -signal.SIGKILL
    assert row.finished_at is None, "the batch finished before the kill: make the data set bigger"
    return int(row.done_through)


def test_a_batch_killed_part_way_resumes_to_the_uninterrupted_state(fresh: Fresh) -> None:  # noqa: F811
    reference = _configured(fresh("reference"))
    expected = _batch(reference)
    with reference.engine.connect() as connection:
        expected_tables = contents(connection, (*EFFECT_TABLES, "plan_batch"))
    reference.dispose()
    assert expected.ran > 100 and expected.counts["letters_queued"] == expected.ran

    url = fresh("resumed")
    _configured(url).dispose()
    done_through = _kill_part_way(url)
    assert done_through < ACCOUNTS
    db = Database(make_engine(url))
    resumed = _batch(db)
    with db.engine.connect() as connection:
        tables = contents(connection, (*EFFECT_TABLES, "plan_batch"))
    assert resumed.resumed and resumed.batch_id == expected.batch_id
    assert (resumed.ran, dict(resumed.counts)) == (expected.ran, dict(expected.counts))
    for name in (*EFFECT_TABLES, "plan_batch"):
        assert tables[name] == expected_tables[name], f"{name} differs from the uninterrupted batch"
    again = _batch(db)  # the batch is finished: running it again is a new batch, and it schedules nothing twice
    assert not again.resumed and again.batch_id != expected.batch_id
    with db.engine.connect() as connection:
        assert contents(connection, EFFECT_TABLES)["activity"] != []
        batches = json.loads(connection.execute(select(PlanBatchRow.counts).where(
            PlanBatchRow.id == again.batch_id)).scalar_one())  # fmt: skip
    db.dispose()
    assert batches["ran"] == expected.ran
