"""Benchmark ``arrears letters print``: letters per second for a batch of queued letters, and its floor.

    python benchmarks/letters_bench.py                    # 1,000 letters, one process per core
    python benchmarks/letters_bench.py --letters 200 --workers 1 2

It builds a fresh SQLite database in ``benchmarks/data/`` with one portfolio (letterhead and logo), the
example strategy's validation notice (``examples/letters/validation-notice.html`` with its stylesheet) and N
queued letters, each with its own guarantor, address, balance and itemization — the rows the daily run writes
(``letter`` with its merge record), inserted directly so only printing is timed. Then, for each worker count,
it times ``print_batch`` on a copy (rendering every letter, the per-letter PDFs, the combined PDF, the index and
marking the batch printed) and prints letters/s.

The floor is WeasyPrint alone on the same processes: a fixed minimal page (one paragraph, the same fonts)
rendered N times with the same pool — what HTML-to-PDF costs before a letter has any content.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from arrears.domain.itemization import ItemCategory, Itemization, ItemLine
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.domain.strategy import LetterTemplate
from arrears.letters.pdf import render_many
from arrears.letters.records import merge_record
from arrears.letters.render import sample_data
from arrears.services.accounts import create_portfolio, open_account
from arrears.services.config_entities import create_letter
from arrears.services.letter_print import print_batch
from arrears.services.letters import Letterhead, set_letterhead
from arrears.store import tables
from arrears.store.bulk import insert_ignore
from arrears.store.db import Database, sqlite_url

DATA = Path(__file__).with_name("data")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "letters"
DAY = date(2026, 3, 2)
FIRST = ("Ann", "Bea", "Cal", "Dora", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun")
LAST = ("Adams", "Baker", "Cole", "Diaz", "Evans", "Ford", "Gray", "Hill", "Ito", "Jones")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cf00000301010018dd8db40000000049454e44ae426082"
)
MINIMAL = "<!DOCTYPE html><html><body><p>Ann Smith, $1,234.56</p></body></html>"


def build(path: Path, letters: int) -> None:
    """A database with ``letters`` queued validation notices, each for its own account."""
    db = Database.connect(sqlite_url(path))
    create_portfolio(db, "FAMILY", "Maple Grove Family Practice")
    set_letterhead(db, "FAMILY", Letterhead("400 Maple Grove Rd", "Suite 200", "Dayton", "OH", "45409",
                                            "(937) 555-0100", PNG))  # fmt: skip
    css = (EXAMPLES / "letter.css").read_text()
    create_letter(db, LetterTemplate("G30", "Validation notice", "Notice of the debt",
                                     (EXAMPLES / "validation-notice.html").read_text(), stylesheet=css))  # fmt: skip
    base = sample_data(DAY)
    rows = []
    for n in range(letters):
        party = {"first_name": FIRST[n % 10], "last_name": f"{LAST[(n // 10) % 10]}{n // 100 or ''}",
                 "address1": f"{100 + n} Elm St", "address2": "", "city": "Dayton", "state": "OH",
                 "postal_code": f"45{(n * 37) % 1000:03d}"}  # fmt: skip
        external_id = f"A-{n + 1:05d}"
        account_id = open_account(db, Account(external_id, "FAMILY", Party(**party)))
        cents = 5_000 + (n * 7919) % 200_000
        items = Itemization(DAY - timedelta(days=90), cents - 2_500, (
            ItemLine(DAY - timedelta(days=60), Kind.CHARGE, ItemCategory.CHARGE, "Office visit", 4_000),
            ItemLine(DAY - timedelta(days=30), Kind.PAYMENT, ItemCategory.PAYMENT, "Payment", -1_500),
        ))  # fmt: skip
        data = replace(base, party=party, external_id=external_id,
                       position=replace(base.position, balance_cents=cents), itemization=items)  # fmt: skip
        rows.append({"key": f"letter:bench/{n}", "account_id": account_id, "template": "G30", "channel": "letter",
                     "queued_on": DAY, "merge_data": json.dumps(merge_record(data), sort_keys=True),
                     "status": "queued", "addressee": ""})  # fmt: skip
    with db.engine.begin() as connection:  # the rows the daily run writes for queued letters
        insert_ignore(connection, tables.letter, rows, ["key"])
    db.dispose()


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[os.cpu_count() or 1])
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    source = DATA / f"letters-{args.letters}.db"
    if not source.exists():
        print(f"building {source} ({args.letters:,} queued letters)", flush=True)
        build(source, args.letters)
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {args.letters:,} letters")
    for workers in args.workers:
        with tempfile.TemporaryDirectory(dir=DATA) as scratch:
            copy = Path(scratch) / "letters.db"
            shutil.copy(source, copy)
            db = Database.connect(sqlite_url(copy))
            began, cpu_began = time.perf_counter(), _cpu()
            batch = print_batch(db, Path(scratch) / "out", day=DAY, printed_on=DAY, workers=workers)
            seconds, cpu = time.perf_counter() - began, _cpu() - cpu_began
            db.dispose()
        floor_began, floor_cpu_began = time.perf_counter(), _cpu()
        render_many([(MINIMAL, DAY)] * args.letters, workers)
        floor, floor_cpu = time.perf_counter() - floor_began, _cpu() - floor_cpu_began
        rate, floor_rate = batch.letters / seconds, args.letters / floor
        print(
            f"workers {workers}: {batch.letters:,} letters, {batch.pages:,} pages in {seconds:.1f} s = "
            f"{rate:.1f} letters/s; floor (minimal page) {floor_rate:.1f} pages/s; ratio {rate / floor_rate:.2f}"
        )
        print(
            f"  cpu: {cpu:.1f} s ({cpu / batch.letters * 1000:.0f} ms a letter), floor {floor_cpu:.1f} s "
            f"({floor_cpu / args.letters * 1000:.0f} ms a page); cpu ratio {floor_cpu / cpu:.2f}; "
            f"load {os.getloadavg()[0]:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
