"""Benchmark ``arrears import``: generate accounts and transactions, then time importing them.

    python benchmarks/import_bench.py                       # 50,000 accounts, 1,000,000 transactions, SQLite
    python benchmarks/import_bench.py --rows 200000 --accounts 10000
    python benchmarks/import_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The CSV files are generated with a fixed seed, streaming, into ``benchmarks/data/`` (gitignored) and
reused when they already exist with the same parameters. Each run imports the accounts into a fresh
database (a new SQLite file, or the schema ``import_bench`` of the PostgreSQL database, dropped first),
then times the transactions import: the validation pass, the write pass and the summary refresh, each
reported on its own, as rows per second, with the peak resident memory of the process (taken before the
floor is measured) and the floor to compare with (:func:`honest_floor`): the same file read by pyarrow, each
row's account looked up and its amount cast to cents, and the rows bulk-written into a copy of the ledger
table with the same indexes (ADBC's ingest on SQLite, ``COPY`` on PostgreSQL) — the work no import can avoid,
with no validation and no summaries. The CPU seconds of both (this process's, threads included) follow. The
load average is printed last: figures taken on a loaded machine
are not a verdict, the ratio to the floor measured in the same run is the better guide.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sqlite3
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import func, select, text

from arrears.domain.model import ENTERPRISE
from arrears.services.accounts import create_portfolio
from arrears.services.importing import ImportKind, ImportReport, import_file
from arrears.store import tables
from arrears.store.db import Database, make_engine, sqlite_url
from arrears.store.migrate import upgrade

DATA = Path(__file__).with_name("data")
PORTFOLIOS = ("NORTH", "SOUTH", "EAST", "WEST")
FIRST = ("Ann", "Bob", "Carla", "Dev", "Eve", "Farid", "Gina", "Hugo", "Iris", "Jon", "Kim", "Lena")
LAST = ("Smith", "Jones", "Garcia", "Nguyen", "Brown", "Okafor", "Muller", "Rossi", "Kowalski", "Tanaka")
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
START = date(2025, 1, 1)
HEADER = ("external_id", "account", "kind", "amount", "posted", "due", "service", "source", "reverses", "description")


def generate_accounts(path: Path, accounts: int, seed: int) -> None:
    """Write ``accounts`` account rows to ``path``."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "external_id",
                "portfolio",
                "first_name",
                "last_name",
                "address1",
                "city",
                "state",
                "postal_code",
                "time_zone",
                "phone",
                "phone_type",
                "opened",
            ]
        )
        for n in range(accounts):
            writer.writerow(
                [
                    f"A{n:07d}",
                    PORTFOLIOS[n % len(PORTFOLIOS)],
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    f"{rng.randint(1, 9999)} Main St",
                    "Dayton",
                    "OH",
                    f"{45400 + n % 99:05d}",
                    rng.choice(ZONES),
                    f"555-{n % 10000:04d}",
                    "mobile" if n % 3 else "home",
                    (START - timedelta(days=n % 365)).isoformat(),
                ]
            )


def generate_transactions(path: Path, accounts: int, rows: int, seed: int) -> None:
    """Write ``rows`` ledger lines, in posting-date order, spread over ``accounts`` accounts.

    About half are charges (due 30 days after posting, with a service date), a third guarantor or insurance
    payments, the rest fees, adjustments and a few NSF reversals of an earlier payment of the same account.
    """
    rng = random.Random(seed)
    days = 365
    per_day = rows // days + 1
    last_payment: list[tuple[str, str, date] | None] = [None] * accounts
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "external_id",
                "account",
                "kind",
                "amount",
                "posted",
                "due",
                "service",
                "source",
                "reverses",
                "description",
            ]
        )
        for day in range(days):
            posted = START + timedelta(days=day)
            posted_text = posted.isoformat()
            due_text = (posted + timedelta(days=30)).isoformat()
            service_text = (posted - timedelta(days=3)).isoformat()
            for _ in range(min(per_day, rows - written)):
                n = rng.randrange(accounts)
                account = f"A{n:07d}"
                ext = f"T{written:08d}"
                roll = rng.random()
                if roll < 0.5:
                    row = [
                        ext,
                        account,
                        "charge",
                        f"{rng.randint(500, 50000) / 100:.2f}",
                        posted_text,
                        due_text,
                        service_text,
                        "",
                        "",
                        "office visit",
                    ]
                elif roll < 0.83:
                    amount = f"{rng.randint(500, 30000) / 100:.2f}"
                    source = "insurance" if roll < 0.6 else "guarantor"
                    row = [ext, account, "payment", amount, posted_text, "", "", source, "", ""]
                    last_payment[n] = (ext, amount, posted)
                elif roll < 0.9:
                    row = [ext, account, "fee", "25.00", posted_text, "", "", "", "", "late fee"]
                elif roll < 0.995 or last_payment[n] is None:
                    row = [
                        ext,
                        account,
                        "adjustment",
                        f"-{rng.randint(100, 2000) / 100:.2f}",
                        posted_text,
                        "",
                        "",
                        "",
                        "",
                        "courtesy",
                    ]
                else:
                    paid = last_payment[n]
                    assert paid is not None
                    row = [ext, account, "reversal", paid[1], posted_text, "", "", "", paid[0], "NSF"]
                    last_payment[n] = None
                writer.writerow(row)
                written += 1
            if written >= rows:
                break


def honest_floor(path: Path, db: Database) -> dict[str, float]:
    """Seconds the unavoidable work of the import takes with the fastest tools known, and no validation.

    ``read``: pyarrow reads the file (every column as text) and Polars joins each row's account to its id and
    turns the amount into cents by a plain cast; ``write``: the rows are bulk-written into a copy of the
    ``ledger_line`` table with its unique indexes (on SQLite ADBC's ingest, on PostgreSQL ``COPY``), then its two
    other indexes are built. On SQLite the copy is dropped afterwards; on PostgreSQL it is a temporary table in a
    transaction that is rolled back.
    """
    timings = {"read": 0.0, "write": 0.0}
    started = time.perf_counter()
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(HEADER, pa.string())))
    with db.engine.connect() as connection:
        accounts = pl.DataFrame(
            connection.execute(text("SELECT external_id, id FROM account")).all(),
            schema={"account": pl.String, "account_id": pl.Int64},
            orient="row",
        )
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    del table
    lines = frame.join(accounts, on="account", how="inner", maintain_order="left").select(
        pl.col("account_id"),
        pl.col("external_id"),
        pl.col("kind"),
        (pl.col("amount").cast(pl.Float64) * 100).round().cast(pl.Int64).alias("amount_cents"),
        pl.col("posted").alias("posted_date"),
        pl.when(pl.col("due") != "").then(pl.col("due")).alias("due_date"),
        pl.when(pl.col("service") != "").then(pl.col("service")).alias("service_date"),
        pl.when(pl.col("source") != "").then(pl.col("source")).alias("source"),
        pl.col("description"),
    )
    del frame
    timings["read"] = time.perf_counter() - started
    started = time.perf_counter()
    if db.dialect == "sqlite":
        database = db.engine.url.database or ""
        connection = sqlite3.connect(database, isolation_level=None)
        ddl = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'ledger_line'").fetchone()[0]
        indexes = [
            sql.replace("ON ledger_line", "ON floor_line").replace("INDEX ix_", "INDEX floor_ix_")
            for (sql,) in connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger_line' AND sql IS NOT NULL"
            )
        ]
        connection.execute("DROP TABLE IF EXISTS floor_line")
        connection.execute(ddl.replace("CREATE TABLE ledger_line", "CREATE TABLE floor_line", 1))
        connection.close()
        with adbc_sqlite.connect(database) as adbc:
            with adbc.cursor() as cursor:
                cursor.adbc_ingest("floor_line", lines.to_arrow(), mode="append")
                for sql in indexes:
                    cursor.execute(sql)
            adbc.commit()
        timings["write"] = time.perf_counter() - started
        connection = sqlite3.connect(database, isolation_level=None)
        connection.execute("DROP TABLE floor_line")
        connection.close()
        return timings
    with db.engine.connect() as connection:
        connection.exec_driver_sql("CREATE TEMP TABLE floor_line (LIKE ledger_line INCLUDING DEFAULTS)")
        for index in ("UNIQUE (external_id)", "UNIQUE (reverses_id)"):
            connection.exec_driver_sql(f"ALTER TABLE floor_line ADD {index}")
        driver: Any = connection.connection.driver_connection
        columns = ", ".join(lines.columns)
        with driver.cursor() as cursor, cursor.copy(f"COPY floor_line ({columns}) FROM STDIN (FORMAT csv)") as copy:
            for part in lines.iter_slices(100_000):
                copy.write(part.write_csv(include_header=False))
        connection.exec_driver_sql("CREATE INDEX ON floor_line (account_id, posted_date, id)")
        connection.exec_driver_sql("CREATE INDEX ON floor_line (kind, account_id, posted_date)")
        timings["write"] = time.perf_counter() - started
        connection.rollback()
    return timings


def fresh_database(url: str | None, workdir: Path) -> Database:
    """A new, migrated database: a SQLite file in ``workdir``, or a PostgreSQL schema of its own."""
    if url is None:
        path = workdir / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return Database.connect(sqlite_url(path))
    schema = "import_bench"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    with engine.begin() as connection:
        if not connection.execute(text("SELECT count(*) FROM portfolio")).scalar():
            connection.execute(text("INSERT INTO portfolio (code, name) VALUES (:c, 'Enterprise')"), {"c": ENTERPRISE})
    return Database(engine)


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def show(label: str, report: ImportReport, seconds: float) -> None:
    """One line per import: counts and speed."""
    print(
        f"{label:<13} {report.rows:>9,} rows  inserted {report.inserted:>9,}  unchanged {report.unchanged:>9,}  "
        f"{seconds:7.2f} s  {report.rows / seconds:>9,.0f} rows/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50_000, help="accounts to generate (default 50,000)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="transaction rows (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file in benchmarks/data/)")
    parser.add_argument("--data", type=Path, default=DATA, help="where the generated files go")
    parser.add_argument("--reimport", action="store_true", help="also time importing the same file again")
    parser.add_argument("--no-floor", action="store_true", help="skip measuring the floor")
    args = parser.parse_args(argv)

    args.data.mkdir(parents=True, exist_ok=True)
    accounts_csv = args.data / f"accounts-{args.accounts}-{args.seed}.csv"
    transactions_csv = args.data / f"transactions-{args.accounts}-{args.rows}-{args.seed}.csv"
    started = time.perf_counter()
    if not accounts_csv.exists():
        generate_accounts(accounts_csv, args.accounts, args.seed)
    if not transactions_csv.exists():
        generate_transactions(transactions_csv, args.accounts, args.rows, args.seed)
    print(
        f"data          {transactions_csv} ({transactions_csv.stat().st_size / 2**20:,.1f} MiB), "
        f"ready in {time.perf_counter() - started:.1f} s"
    )

    db = fresh_database(args.url, args.data)
    print(f"database      {db.engine.url.render_as_string(hide_password=True)} ({db.dialect})")
    for code in PORTFOLIOS:
        create_portfolio(db, code, f"{code.title()} Clinic")

    started = time.perf_counter()
    report = import_file(db, ImportKind.ACCOUNTS, accounts_csv)
    show("accounts", report, time.perf_counter() - started)
    assert report.ok, report.problems[:5]

    started, cpu = time.perf_counter(), time.process_time()
    report = import_file(db, ImportKind.TRANSACTIONS, transactions_csv)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert report.ok, report.problems[:5]
    show("transactions", report, seconds)
    timings = report.timings
    print(
        f"  validate {timings['validate']:6.2f} s   write {timings['write']:6.2f} s   "
        f"summaries {timings['summaries']:6.2f} s ({report.accounts_refreshed:,} accounts, "
        f"{report.accounts_refreshed / max(timings['summaries'], 1e-9):,.0f} accounts/s)"
    )
    if args.reimport:
        started = time.perf_counter()
        again = import_file(db, ImportKind.TRANSACTIONS, transactions_csv)
        show("re-import", again, time.perf_counter() - started)
    with db.session() as session:
        lines = session.scalar(select(func.count()).select_from(tables.ledger_line))
    print(f"ledger lines  {lines:,}")
    print(f"peak RSS      {peak_rss_mib():,.0f} MiB")
    if not args.no_floor:
        floor_cpu = time.process_time()
        floor = honest_floor(transactions_csv, db)
        floor_cpu = time.process_time() - floor_cpu
        total = floor["read"] + floor["write"]
        print(
            f"floor         pyarrow read + account join {floor['read']:.2f} s + bulk write with the indexes "
            f"{floor['write']:.2f} s = {total:.2f} s = {report.rows / total:,.0f} rows/s; "
            f"import / floor = {seconds / total:.2f}x"
        )
        print(
            f"cpu           import {cpu:.2f} s, floor {floor_cpu:.2f} s (this process: on SQLite the database's work "
            f"too, on PostgreSQL the client's only); import / floor = {cpu / max(floor_cpu, 1e-9):.2f}x"
        )
    print(f"load average  {' '.join(f'{load:.2f}' for load in os.getloadavg())} (1, 5, 15 min)")
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
