"""Contact plans at scale: a batch over every account, and a day of the daily run with plan work.

    .venv/bin/python benchmarks/plans_bench.py                      # 100,000 accounts, SQLite
    .venv/bin/python benchmarks/plans_bench.py --accounts 20000

It reuses the daily-run benchmark's generated, primed database (``benchmarks/data/daily-run-N-SEED.db``,
built by ``benchmarks/daily_run.py`` when missing) and works on a copy:

1. the example strategy (with its plans) is applied, and a plan ``BENCH`` is added: a letter, a note and a
   review, each due the day it is scheduled (delay 0 days), and a review in 10 days;
2. **batch**: ``arrears plan batch BENCH --where CONDITION`` (``services.plans.run_batch``) on the benchmark
   day, timed, by default over every account (``--where`` to select fewer); its contacts due that day wait for
   the run;
3. **run with plan work**: the daily run of the benchmark day (``services.run.run_day``, one worker) performs
   the batch's due letters and notes and opens its reviews, besides the day's collections work, timed.

Each is reported as accounts per second and as a ratio to the floor of ``daily_run.py`` (read every account's
row into a frame + bulk-insert as many rows as the step wrote, with the driver's ``executemany``).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from daily_run import AS_OF, DATA, Store, measure_floor

from arrears.domain.plans import EventType, Plan, PlanEvent, Timing
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.plans import run_batch
from arrears.services.run import run_day
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database, make_engine
from arrears.store.migrate import upgrade

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "strategy.yaml"
BENCH = Plan("BENCH", "benchmark: a letter, a note and a review today, a review in 10 days", events=(
    PlanEvent(1, EventType.LETTER, "G30", timing=Timing.DELAY_DAYS, days=0),
    PlanEvent(2, EventType.NOTE, "Benchmark plan ran", timing=Timing.DELAY_DAYS, days=0),
    PlanEvent(3, EventType.REVIEW, "Benchmark review", timing=Timing.DELAY_DAYS, days=0),
    PlanEvent(4, EventType.REVIEW, "Benchmark follow-up", timing=Timing.DELAY_DAYS, days=10),
))  # fmt: skip


def _written(counts: dict[str, int]) -> int:
    """Rows a step inserted or updated, from its counts (activities, letters, notes, state changes)."""
    names = ("letters_queued", "notes", "released", "cancelled", "held", "entered", "resolved", "fees_posted")
    return sum(v for k, v in counts.items() if k.startswith("activities.")) + sum(counts.get(n, 0) for n in names)


EVERY_ACCOUNT = "portfolio IN ('FAMILY', 'ORTHO', 'OUTPT')"
"""Every account of the generated database."""


def bench(accounts: int, seed: int, data: Path, where: str) -> None:
    store = Store(None, data, accounts, seed)
    if not store.exists():
        print(f"generating {accounts:,} accounts (daily_run.py's database) ...", flush=True)
        store.build()
    engine = make_engine(store.primed_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    store.restore()
    db = Database.connect(store.work_url)
    try:
        assert apply_document(db, EXAMPLE.read_text(), str(EXAMPLE), confirm=True).ok
        strategy = load_strategy(db)
        assert apply_document(db, dump_strategy(replace(strategy, plans=(*strategy.plans, BENCH))), "bench.yaml").ok
        at = datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC).replace(hour=14)
        started = time.perf_counter()
        batch = run_batch(db, "BENCH", on=AS_OF, at=at, where=where)
        batch_wall = time.perf_counter() - started
        started = time.perf_counter()
        result = run_day(db, AS_OF, workers=1)
        run_wall = time.perf_counter() - started
    finally:
        db.dispose()
    batch_rows = _written(dict(batch.counts))
    run_rows = _written(dict(result.counts))
    # The daily run's honest floor: the fastest Arrow-native read of the core rows plus a bulk write of as many
    # rows as the step wrote.
    batch_floor_s = measure_floor(store.work_url, batch_rows)["new"]["seconds"]
    run_floor_s = measure_floor(store.work_url, run_rows)["new"]["seconds"]
    print(f"accounts      {accounts:,} ({store.size()})")
    print(f"batch         plan BENCH on {batch.selected:,} accounts ({where}): wall {batch_wall:.2f} s, "
          f"{batch.selected / batch_wall:,.0f} accounts/s, {batch_rows:,} rows; floor {batch_floor_s:.2f} s; "
          f"ratio {batch_wall / batch_floor_s:.2f}")  # fmt: skip
    print(f"              counts {dict(sorted(batch.counts.items()))}")
    print(f"run           {AS_OF} with the plan's due work: wall {run_wall:.2f} s, {result.accounts / run_wall:,.0f} "
          f"accounts/s, {run_rows:,} rows; floor {run_floor_s:.2f} s; ratio {run_wall / run_floor_s:.2f}")  # fmt: skip
    print(f"              counts {dict(sorted((k, v) for k, v in result.counts.items() if v))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--where", default=EVERY_ACCOUNT, help="the batch's condition (default: every account)")
    args = parser.parse_args()
    bench(args.accounts, args.seed, args.data, args.where)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
