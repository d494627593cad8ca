"""``arrears serve --scheduler``: the daily run and the outbox scheduled inside the server (APScheduler), and
several servers scheduling the same run running it once (the run's lease), on the office (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import date, time

from fastapi.testclient import TestClient

from arrears.api.app import create_app
from arrears.api.scheduler import OUTBOX_JOB, RUN_JOB, run_today, send_due, start_scheduler
from arrears.api.settings import Settings
from arrears.services.exports import list_runs
from arrears.services.run import ALL, start_run
from tests.api.conftest import Office

DAY = date(2026, 2, 21)


def test_the_server_schedules_the_daily_run_and_the_outbox(office: Office) -> None:
    settings = Settings(mode="development", allowed_hosts=["testserver"], scheduler=True, run_at=time(1, 30),
                        outbox_minutes=10)  # fmt: skip
    app = create_app(settings, database=office.db)
    with TestClient(app):
        scheduler = app.state.scheduler
        assert scheduler.running
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {RUN_JOB, OUTBOX_JOB}
        assert (jobs[RUN_JOB].next_run_time.hour, jobs[RUN_JOB].next_run_time.minute) == (1, 30)
        assert jobs[OUTBOX_JOB].trigger.interval.total_seconds() == 600
    assert not scheduler.running
    unscheduled = create_app(settings.model_copy(update={"scheduler": False}), database=office.db)
    with TestClient(unscheduled):
        assert unscheduled.state.scheduler is None


def test_servers_scheduling_the_same_run_run_it_once(office: Office) -> None:
    before = len(list_runs(office.db, 100))
    first = run_today(office.db, lambda: DAY)
    second = run_today(office.db, lambda: DAY)
    assert first.startswith(f"daily run of {DAY} done") and second == "daily run already completed today"
    assert len(list_runs(office.db, 100)) == before + 1
    # while another server holds the next day's lease, this one is refused and starts nothing
    start_run(office.db, date(2026, 2, 22), ALL)
    held = run_today(office.db, lambda: date(2026, 2, 22))
    assert held.startswith("daily run not started") and "in progress" in held
    assert len(list_runs(office.db, 100)) == before + 2


def test_the_outbox_job_sends_what_is_due(office: Office) -> None:
    assert send_due(office.db) == "outbox: 0 moved in, {}"


def test_a_started_scheduler_holds_both_jobs(office: Office) -> None:
    scheduler = start_scheduler(office.db, time(2, 0), 5)
    try:
        assert sorted(job.id for job in scheduler.get_jobs()) == sorted([RUN_JOB, OUTBOX_JOB])
    finally:
        scheduler.shutdown(wait=False)
