"""`arrears run` refuses what it must (a future date, a worker count below one), reports a failed run with
its cause, and catches up per portfolio — as a person sees it from the command line."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from arrears.cli import app
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.services import run as run_service
from arrears.services.accounts import Posting, open_account, post_transaction
from arrears.store.db import Database, sqlite_url
from arrears.store.models import RunRow
from tests.notation import d

STRATEGY = Path(__file__).parents[2] / "examples" / "strategy.yaml"
runner = CliRunner()


def call(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def url(sqlite_db: Database) -> str:
    """The example strategy with FAMILY, ORTHO and OUTPT, and one ORTHO account that enters on 2026-03-04."""
    url = sqlite_url(sqlite_db.engine.url.database or "")
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        assert call("portfolios", "add", code, code.title(), "--db", url)[0] == 0
    assert call("config", "apply", str(STRATEGY), "--db", url)[0] == 0
    open_account(sqlite_db, Account("O-1", "ORTHO", Party("Dana", "Reyes")))
    post_transaction(sqlite_db, "O-1", Posting(Kind.CHARGE, 120000, d("2026-01-02"), due=d("2026-02-01")))
    return url


def runs(url: str) -> int:
    with Database.connect(url).engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(RunRow)) or 0)


def test_a_date_after_today_is_refused_unless_allowed(url: str) -> None:
    code, output = call("run", "--as-of", "9999-12-31", "--db", url)
    assert code == 1
    assert f"refused the run date 9999-12-31 is after today ({date.today()})" in " ".join(output.split())
    assert call("run", "--through", "9999-12-31", "--db", url)[0] == 1
    assert runs(url) == 0
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert call("run", "--as-of", tomorrow, "--db", url)[0] == 1
    code, output = call("run", "--as-of", tomorrow, "--allow-future", "--db", url, "--json")
    assert code == 0 and json.loads(output)[0]["as_of"] == tomorrow


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_fewer_than_one_worker_is_refused(url: str, workers: str) -> None:
    code, output = call("run", "--as-of", "2026-03-04", "--workers", workers, "--db", url)
    assert code == 2
    assert f"Invalid value for '--workers': {workers} is not in the range x>=1" in " ".join(output.split())
    assert runs(url) == 0


def test_a_failed_run_says_why_and_the_same_date_resumes_it(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*_: Any, **__: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(run_service, "write_chunk", full_disk)
        code, output = call("run", "--as-of", "2026-03-04", "--db", url)
    assert code == 1
    assert (
        "failed run 1 (ALL, 2026-03-04) failed while writing accounts with ids 1–1: OperationalError: database or "
        "disk is full. The chunks committed before it are kept; once the cause is fixed, arrears run --as-of "
        "2026-03-04 resumes it"
    ) in " ".join(output.split())
    code, output = call("run", "--as-of", "2026-03-05", "--db", url)
    assert code == 1
    assert "the run for 2026-03-04 (ALL) failed (writing accounts with ids 1–1" in " ".join(output.split())
    code, output = call("run", "--through", "2026-03-05", "--db", url, "--json")
    assert code == 0
    resumed, next_day = json.loads(output)
    assert (resumed["as_of"], resumed["this_attempt"]["entered"], next_day["as_of"]) == ("2026-03-04", 1, "2026-03-05")


def test_the_catch_up_runs_the_days_one_portfolio_skipped_for_the_others(url: str) -> None:
    assert call("run", "--as-of", "2026-11-30", "--allow-future", "--db", url)[0] == 0
    assert call("run", "--portfolio", "FAMILY", "--as-of", "2026-12-05", "--allow-future", "--db", url)[0] == 0
    code, output = call("run", "--through", "2026-12-05", "--allow-future", "--db", url, "--json")
    assert code == 0
    assert [(r["as_of"], r["scope"]) for r in json.loads(output)] == [
        (f"2026-12-0{day}", "ORTHO") for day in range(1, 6)
    ]  # OUTPT holds no account: the ORTHO runs are the only work left
    code, output = call("run", "--through", "2026-12-05", "--allow-future", "--db", url)
    assert code == 0 and "nothing to run: every day up to that date has run for every portfolio" in output
