"""The daily run and the outbox scheduled inside the server (``arrears serve --scheduler``), on APScheduler.

Each server that schedules them starts the daily run at the configured time of day and sends the outbox every
few minutes. Several servers may schedule the same jobs: the run's lease lets one of them run the date (the
others are refused while it runs and find it completed after), and the outbox claims each message before
sending it, so nothing is done twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from arrears.services.database import Database
from arrears.services.outbox import channels_from_environment, send_outbox
from arrears.services.run import RunRefused, scheduled_run

log = logging.getLogger("arrears.scheduler")
RUN_JOB, OUTBOX_JOB = "daily-run", "outbox"


def run_today(db: Database, today: Callable[[], date] = date.today) -> str:
    """Start today's run unless it is done or another server runs it; what happened, as logged."""
    try:
        result = scheduled_run(db, today())
    except RunRefused as refused:
        said = f"daily run not started: {refused}"
    else:
        said = "daily run already completed today" if result is None else (
            f"daily run of {result.as_of} done: {result.accounts} accounts, {len(result.errors)} errors")  # fmt: skip
    log.info(said)
    return said


def send_due(db: Database) -> str:
    """Send the outbox's due messages on the channels the environment configures; what happened, as logged."""
    sent = send_outbox(db, channels_from_environment(os.environ), datetime.now(UTC))
    said = f"outbox: {sent.moved_in} moved in, {dict(sent.outcomes)}"
    log.info(said)
    return said


def start_scheduler(db: Database, run_at: time, outbox_minutes: int) -> BackgroundScheduler:
    """A started scheduler running :func:`run_today` daily at ``run_at`` (the server's local time) and
    :func:`send_due` every ``outbox_minutes``; a job still running when it is due again is not started twice."""
    scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    scheduler.add_job(run_today, CronTrigger(hour=run_at.hour, minute=run_at.minute), args=[db], id=RUN_JOB)
    scheduler.add_job(send_due, IntervalTrigger(minutes=outbox_minutes), args=[db], id=OUTBOX_JOB)
    scheduler.start()
    log.info(f"scheduled: the daily run at {run_at:%H:%M}, the outbox every {outbox_minutes} minutes")
    return scheduler
