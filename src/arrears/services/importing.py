"""Importing CSV files of accounts, transactions, claims and payment plans.

An import reads its file twice, streaming, in chunks: the first pass validates every row (columns, dates,
amounts, references, duplicates, the domain's rules) and writes nothing; only when no row broke a rule
does the second pass write, in chunks of bulk inserts, inside one database transaction that also brings
the summaries of the touched accounts up to date. A bad file is rejected whole: the report lists every
broken rule with the row number as in the file (the header is row 1).

Rows are keyed by ``external_id``: a row whose external id is already in the database is not written
again. It counts as *unchanged*; when its content differs from what is stored it is also listed as a
*conflict* (never overwritten), so re-importing a file is a no-op.
"""

from __future__ import annotations

import csv
import gc
import marshal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from operator import itemgetter
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, Table, func, insert, select, text

from arrears.domain.ledger import Entry, Frequency, Kind, PaymentPlan, Source, entry_problems, plan_problems
from arrears.domain.model import Claim, ClaimStatus, Mode, Party, PhoneType, claim_problems
from arrears.domain.money import Money, MoneyError
from arrears.services.accounts import party_problems
from arrears.store import summaries
from arrears.store.db import Database
from arrears.store.models import (
    AccountRow,
    AccountSummaryRow,
    ClaimRow,
    LedgerLineRow,
    PartyRow,
    PaymentPlanRow,
    PhoneRow,
    PortfolioRow,
)
from arrears.store.uow import UnitOfWork

ACCOUNTS: Table = AccountRow.__table__  # type: ignore[assignment]
PARTIES: Table = PartyRow.__table__  # type: ignore[assignment]
PHONES: Table = PhoneRow.__table__  # type: ignore[assignment]
LEDGER: Table = LedgerLineRow.__table__  # type: ignore[assignment]
CLAIMS: Table = ClaimRow.__table__  # type: ignore[assignment]
PLANS: Table = PaymentPlanRow.__table__  # type: ignore[assignment]
SUMMARIES: Table = AccountSummaryRow.__table__  # type: ignore[assignment]
PORTFOLIOS: Table = PortfolioRow.__table__  # type: ignore[assignment]

CHUNK = 10_000
"""Rows per chunk: per bulk insert and per look-up query."""
LOOKUP = 5_000
"""Keys per ``IN (...)`` query."""
MAX_PROBLEMS = 10_000
"""Problems kept in a report (all are counted); keeps memory bounded on a file that is wrong throughout."""


class ImportKind(StrEnum):
    """What a file holds."""

    ACCOUNTS = "accounts"
    TRANSACTIONS = "transactions"
    CLAIMS = "claims"
    PLANS = "plans"


@dataclass(frozen=True, slots=True)
class Column:
    """A documented column of an import file."""

    name: str
    required: bool
    help: str


def _c(name: str, help: str, required: bool = False) -> Column:
    return Column(name, required, help)


BOOL_HELP = "true/false, yes/no, y/n, 1/0; empty is false"
COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.ACCOUNTS: (
        _c("external_id", "the account's id in your system; unique", True),
        _c("portfolio", "code of an existing portfolio", True),
        _c("first_name", "guarantor's first name"),
        _c("last_name", "guarantor's last name", True),
        _c("address1", "street address"),
        _c("address2", "second address line"),
        _c("city", "city"),
        _c("state", "state"),
        _c("postal_code", "postal code"),
        _c("email", "e-mail address"),
        _c("time_zone", "IANA time zone, e.g. America/Chicago; default America/New_York"),
        _c("phone", "phone number"),
        _c("phone_type", "home, mobile, work or other; default home"),
        _c("mode", "active or closed; default active"),
        _c("status_code", "your status code, up to 20 characters"),
        _c("opened", "date the account was opened (YYYY-MM-DD)"),
        _c("deceased", BOOL_HELP),
        _c("bankruptcy", BOOL_HELP),
        _c("attorney_represented", BOOL_HELP),
        _c("cease_communication", BOOL_HELP),
        _c("dispute_date", "date the debt was disputed (YYYY-MM-DD)"),
        _c("do_not_call", BOOL_HELP),
    ),
    ImportKind.TRANSACTIONS: (
        _c("external_id", "the transaction's id in your system; unique", True),
        _c("account", "external id of the account (in the database)", True),
        _c("kind", "charge, payment, adjustment, fee, penalty, deposit, write_off or reversal", True),
        _c("amount", "12.50 or $1,234.56; positive, except adjustments (signed, not zero)", True),
        _c("posted", "posting date (YYYY-MM-DD)", True),
        _c("due", "due date; required for charges"),
        _c("service", "service date; a charge cannot fall due before it"),
        _c("source", "guarantor or insurance; required for payments, only for payments"),
        _c("reverses", "reversals only: external id of the payment reversed (in the file or the database)"),
        _c("description", "free text, up to 200 characters"),
    ),
    ImportKind.CLAIMS: (
        _c("external_id", "the claim's id in your system; unique", True),
        _c("account", "external id of the account (in the database)", True),
        _c("payer", "insurance payer", True),
        _c("billed", "date the claim was billed (YYYY-MM-DD)", True),
        _c("amount", "amount billed, greater than zero", True),
        _c("paid", "amount the payer paid; default 0, at most the amount"),
        _c("status", "open, paid, denied or closed; default open"),
    ),
    ImportKind.PLANS: (
        _c("external_id", "the plan's id in your system; unique", True),
        _c("account", "external id of the account (in the database)", True),
        _c("installment", "installment amount, greater than zero", True),
        _c("frequency", "weekly, biweekly or monthly", True),
        _c("first_due", "due date of the first installment (YYYY-MM-DD)", True),
        _c("grace_days", "days an installment may be late before the plan is missed, 0-999; default 0"),
        _c("start", "payments from this date count towards the plan; default every payment"),
        _c("installments", "number of installments, at least 1; default open-ended"),
        _c("active", "true/false; default true. The latest active plan of an account counts"),
    ),
}


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One broken rule in a file: the row (as numbered in the file, header = 1), column, value and rule."""

    row: int
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        shown = f" (got {self.value!r})" if self.value else ""
        return f"row {self.row}, {self.column or 'row'}: {self.rule}{shown}"


@dataclass(frozen=True, slots=True)
class Conflict:
    """A row whose external id is already stored with different content; it was not written."""

    row: int
    external_id: str
    columns: tuple[str, ...]


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    kind: ImportKind
    path: str
    dry_run: bool = False
    rows: int = 0
    inserted: int = 0
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    accounts_refreshed: int = 0
    timings: dict[str, float] = field(default_factory=lambda: {"validate": 0.0, "write": 0.0, "summaries": 0.0})

    @property
    def ok(self) -> bool:
        """True when every row passed validation (the file was, or in a dry run would be, imported)."""
        return self.problem_count == 0

    @property
    def conflicting(self) -> int:
        """Rows counted as unchanged whose stored content differs from the file."""
        return len(self.conflicts)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (for JSON)."""
        return {
            "kind": self.kind.value,
            "path": self.path,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "rows": self.rows,
            "inserted": self.inserted,
            "unchanged": self.unchanged,
            "conflicting": self.conflicting,
            "conflicts": [
                {"row": c.row, "external_id": c.external_id, "columns": list(c.columns)} for c in self.conflicts
            ],
            "problem_count": self.problem_count,
            "problems": [{"row": p.row, "column": p.column, "value": p.value, "rule": p.rule} for p in self.problems],
            "accounts_refreshed": self.accounts_refreshed,
            "timings": {name: round(seconds, 3) for name, seconds in self.timings.items()},
        }


ProgressCallback = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: phase ``validate`` (bytes of the file), ``write`` (rows), ``summaries``
(accounts)."""


# ---------------------------------------------------------------------------------------------- parsing


_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f", ""})


def parse_cents(text: str) -> int:
    """Cents of an amount: a fast path for plain ``1234.56``, else :meth:`Money.parse`."""
    if len(text) > 3 and text[-3] == "." and text.isascii():
        whole, cents = text[:-3], text[-2:]
        if whole.isdigit() and cents.isdigit():
            return int(whole) * 100 + int(cents)
    return Money.parse(text).cents


class _Sink:
    """Collects problems of a pass, keeping at most ``limit`` of them."""

    def __init__(self, report: ImportReport, limit: int) -> None:
        self.report = report
        self.limit = limit
        self._row = 0
        self._seen: set[tuple[str, str]] = set()

    def __call__(self, row: int, column: str, value: str, rule: str) -> None:
        report = self.report
        if row != self._row:
            self._row, self._seen = row, set()
        if (column, rule) in self._seen:
            return  # the same rule found twice on a row (by the reader and by the domain's rules)
        self._seen.add((column, rule))
        report.problem_count += 1
        if len(report.problems) < self.limit:
            report.problems.append(RowProblem(row, column, value, rule))


class _Cells:
    """Column positions of a file's header; absent optional columns read as the empty text."""

    def __init__(self, header: list[str], columns: Sequence[Column]) -> None:
        self.width = len(header)
        names = [name.strip().lower() for name in header]
        self.position = {name: names.index(name) for name in names}
        self.known = {column.name for column in columns}
        absent = self.width  # rows get one empty cell appended: absent columns point at it
        self.index = {column.name: self.position.get(column.name, absent) for column in columns}
        self.header_problems: list[tuple[str, str, str]] = []
        for column in columns:
            if column.required and column.name not in self.position:
                self.header_problems.append((column.name, "", "is a required column and is missing"))
        seen: set[str] = set()
        for name in names:
            if name in seen:
                self.header_problems.append((name, name, "appears more than once in the header"))
            elif name not in self.known:
                known = ", ".join(column.name for column in columns)
                self.header_problems.append((name, name, f"is not a column of this file (known: {known})"))
            seen.add(name)


class _Reader:
    """A CSV file read row by row in chunks of ``(row number, cells)``; the header is row 1."""

    def __init__(self, path: Path) -> None:
        self.handle: TextIO = path.open(newline="", encoding="utf-8-sig")
        self.size = path.stat().st_size
        self.reader = csv.reader(self.handle)
        self.header = next(self.reader, None)
        self.line = self.reader.line_num

    def position(self) -> int:
        """Bytes of the file read so far (ahead by at most one buffer)."""
        return min(self.handle.buffer.tell(), self.size)

    def chunks(self, size: int) -> Iterator[list[tuple[int, list[str]]]]:
        chunk: list[tuple[int, list[str]]] = []
        reader = self.reader
        line = self.line
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not cells:
                continue
            cells.append("")
            chunk.append((start, cells))
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.handle.close()


def _in_batches(keys: Sequence[Any], size: int = LOOKUP) -> Iterator[Sequence[Any]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


class _AccountIds:
    """Account external id → id, loaded as the file names them (``IN`` queries), then cached."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.unknown: set[str] = set()

    def resolve(self, connection: Connection, external_ids: set[str]) -> None:
        wanted = sorted(external_ids - self.ids.keys() - self.unknown)
        for batch in _in_batches(wanted):
            query = select(ACCOUNTS.c.external_id, ACCOUNTS.c.id).where(ACCOUNTS.c.external_id.in_(batch))
            self.ids.update({ext: account_id for ext, account_id in connection.execute(query)})
        self.unknown.update(ext for ext in wanted if ext not in self.ids)


# ---------------------------------------------------------------------------------------------- importers

Record = tuple[Any, ...]
"""A validated row, ready to write: ``(row number, external id, *values)`` with ``values`` lined up with the
importer's ``fields``; dates are ISO text, the account is its id. Records are spooled between the passes."""


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _plain(value: Any) -> Any:
    """A stored value as a record holds it (dates as ISO text), for comparing a row with what is stored."""
    return value.isoformat() if isinstance(value, date) else value


def _lengths(table: Table) -> dict[str, int]:
    """The most characters each text column of ``table`` holds."""
    return {
        column.name: length for column in table.columns if (length := getattr(column.type, "length", None)) is not None
    }


class _Importer:
    """The shared machinery: per-row conversion, duplicates, references, unchanged rows and bulk writes.

    A subclass converts the cells of a row (:meth:`convert`) into ``(external id, account external id,
    values)``, reporting every broken rule; the first pass turns valid rows into records and spools them;
    the second pass reads the records back and writes the new ones.
    """

    kind: ImportKind
    table: Table
    fields: tuple[str, ...]
    labels: tuple[str, ...]
    """The file's column name for each of ``fields`` (named in conflicts)."""
    has_account = True

    def __init__(self, connection: Connection, cells: _Cells, bad: _Sink) -> None:
        self.connection = connection
        self.cells = cells
        self.bad = bad
        self.accounts = _AccountIds()
        self.seen: dict[str, int] = {}
        self.touched: set[int] = set()
        self.lengths = _lengths(self.table)

    # -- helpers for subclasses

    def text(self, row: int, cells: list[str], name: str, column: str | None = None) -> str:
        value = cells[self.cells.index[name]].strip()
        limit = self.lengths.get(column or name)
        if limit is not None and len(value) > limit:
            self.bad(row, name, value, f"is longer than {limit} characters")
        return value

    def required(self, row: int, cells: list[str], name: str, column: str | None = None) -> str:
        value = self.text(row, cells, name, column)
        if not value:
            self.bad(row, name, "", "is required")
        return value

    def day(self, row: int, cells: list[str], name: str, required: bool = False) -> date | None:
        value = cells[self.cells.index[name]].strip()
        if not value:
            if required:
                self.bad(row, name, "", "is required")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.bad(row, name, value, "is not a date (YYYY-MM-DD)")
            return None

    def money(self, row: int, cells: list[str], name: str, default: int | None = None) -> int | None:
        value = cells[self.cells.index[name]].strip()
        if not value:
            if default is None:
                self.bad(row, name, "", "is required")
            return default
        try:
            return parse_cents(value)
        except MoneyError:
            self.bad(row, name, value, "is not an amount (e.g. 12.50 or $1,234.56)")
            return None

    def number(self, row: int, cells: list[str], name: str) -> int | None:
        value = cells[self.cells.index[name]].strip()
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            self.bad(row, name, value, "is not a whole number")
            return None

    def flag(self, row: int, cells: list[str], name: str, default: bool = False) -> bool:
        value = cells[self.cells.index[name]].strip().lower()
        if not value:
            return default
        if value in _TRUE:
            return True
        if value not in _FALSE:
            self.bad(row, name, value, "must be true or false")
        return False

    def choice(self, row: int, cells: list[str], name: str, enum: type[StrEnum], default: Any = None) -> Any:
        value = cells[self.cells.index[name]].strip()
        if not value:
            if default is None:
                self.bad(row, name, "", "is required")
            return default
        try:
            return enum(value.lower())
        except ValueError:
            self.bad(row, name, value, f"must be one of {', '.join(member.value for member in enum)}")
            return None

    def value(self, cells: list[str], column: str) -> str:
        """The stripped text of ``column`` (empty when the file has no such column)."""
        index = self.cells.index.get(column)
        return cells[index].strip() if index is not None else ""

    # -- the first pass

    def convert(self, row: int, cells: list[str]) -> tuple[str, str, tuple[Any, ...]] | None:
        """``(external id, account external id, values)`` of a row, or None when it cannot be read.

        Values may still break a rule that :meth:`convert` reported; the row is then not spooled.
        """
        raise NotImplementedError

    def check(self, chunk: list[tuple[int, list[str]]]) -> list[Record]:
        """First pass over a chunk: report every problem; return the records of the rows (if none so far)."""
        width = self.cells.width + 1
        bad, seen = self.bad, self.seen
        report = bad.report
        if self.has_account:
            index = self.cells.index["account"]
            self.accounts.resolve(self.connection, {cells[index].strip() for _, cells in chunk if len(cells) == width})
        ids = self.accounts.ids
        records: list[Record] = []
        for row, cells in chunk:
            if len(cells) != width:
                bad(row, "", "", f"has {len(cells) - 1} fields; the header has {width - 1}")
                continue
            converted = self.convert(row, cells)
            if converted is None:
                continue
            ext, account, values = converted
            if ext and seen.setdefault(ext, row) != row:
                bad(row, "external_id", ext, f"appears more than once in the file (first at row {seen[ext]})")
            if self.has_account:
                account_id = ids.get(account)
                if account_id is None:
                    if account:
                        bad(row, "account", account, "is not a known account")
                    continue
                values = (account_id, *values)
            if not report.problem_count:
                records.append((row, ext, *values))
        return records

    def finish_check(self) -> None:
        """Checks that need the whole file (after the first pass)."""
        self.seen.clear()

    # -- the second pass

    def existing(self, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Stored values (lined up with ``fields``) of the rows among ``external_ids`` already in the table."""
        columns = [self.table.c[name] for name in self.fields]
        return self._stored(select(self.table.c.external_id, *columns), self.table, external_ids)

    def _stored(self, query: Any, table: Table, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Run ``query`` (external id first) for the ``external_ids`` of ``table`` that are stored.

        A range count first: a chunk of new rows (usually ids in a run no stored id falls into) costs one
        index probe instead of one per row.
        """
        low, high = min(external_ids), max(external_ids)
        column = table.c.external_id
        if not self.connection.scalar(select(func.count()).where(column >= low, column <= high)):
            return {}
        stored: dict[str, tuple[Any, ...]] = {}
        for batch in _in_batches(external_ids):
            for row in self.connection.execute(query.where(column.in_(batch))):
                stored[row[0]] = tuple(_plain(value) for value in row[1:])
        return stored

    def write(self, records: list[Record], report: ImportReport) -> None:
        """Second pass over a chunk of records: insert the new ones; count (and compare) the stored ones."""
        if not records:
            return
        stored = self.existing([record[1] for record in records])
        fresh = records
        if stored:
            fresh = []
            for record in records:
                old = stored.get(record[1])
                if old is None:
                    fresh.append(record)
                else:
                    self.unchanged(report, record, old)
        self.insert([record[1:] for record in fresh])
        if self.has_account:
            self.touched.update(record[2] for record in fresh)
        report.inserted += len(fresh)

    def unchanged(self, report: ImportReport, record: Record, stored: tuple[Any, ...]) -> None:
        report.unchanged += 1
        differing = tuple(label for label, new, old in zip(self.labels, record[2:], stored, strict=True) if new != old)
        if differing and len(report.conflicts) < self.bad.limit:
            report.conflicts.append(Conflict(record[0], record[1], differing))

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``(external id, *values)`` tuples."""
        _insert_many(self.connection, self.table, ("external_id", *self.fields), rows)

    def finish_write(self, report: ImportReport, progress: ProgressCallback | None) -> None:
        """After the last chunk: bring the summaries of the touched accounts up to date."""
        if not self.touched:
            return
        started = time.perf_counter()
        connection = self.connection
        total = connection.scalar(select(func.count()).select_from(ACCOUNTS)) or 0
        if len(self.touched) * 2 >= total:
            # Most accounts were touched: one ordered pass over every account beats IN-lists of most of them.
            done = 0

            def tick(count: int) -> None:
                nonlocal done
                done += count
                if progress:
                    progress("summaries", done, total)

            report.accounts_refreshed = summaries.rebuild_all(connection, progress=tick)
        else:
            ids = sorted(self.touched)
            for start in range(0, len(ids), 5000):
                summaries.refresh(connection, ids[start : start + 5000])
                if progress:
                    progress("summaries", min(start + 5000, len(ids)), len(ids))
            report.accounts_refreshed = len(ids)
        report.timings["summaries"] = time.perf_counter() - started


def _insert_many(connection: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Bulk-insert plain tuples (dates as ISO text) on the import's own connection and transaction:
    ``executemany`` through the DBAPI on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL."""
    if not rows:
        return
    columns = ", ".join(names)
    if connection.dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
        return
    marks = ", ".join("?" * len(names))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)


_KINDS = {kind.value: kind for kind in Kind}
_SOURCES = {source.value: source for source in Source}
_RULE_COLUMNS = {"due_date": "due", "service_date": "service"}


class _Transactions(_Importer):
    kind = ImportKind.TRANSACTIONS
    table = LEDGER
    fields = (
        "account_id",
        "kind",
        "amount_cents",
        "posted_date",
        "due_date",
        "service_date",
        "source",
        "reverses_id",
        "description",
    )
    labels = ("account", "kind", "amount", "posted", "due", "service", "source", "reverses", "description")

    def __init__(self, connection: Connection, cells: _Cells, bad: _Sink) -> None:
        super().__init__(connection, cells, bad)
        self.payments: dict[str, tuple[int, str, int, date]] = {}
        self.reversals: list[tuple[int, str, str, int, date, str]] = []
        self.reversal_ids: dict[str, int] = {}
        index = cells.index
        self.columns = itemgetter(
            *(
                index[name]
                for name in (
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
                )
            )
        )

    def convert(self, row: int, cells: list[str]) -> tuple[str, str, tuple[Any, ...]] | None:
        """The careful reading of a row: every problem reported; see :meth:`check` for the fast one."""
        bad = self.bad
        ext = self.required(row, cells, "external_id")
        account = self.required(row, cells, "account", "external_id")
        kind_text = self.value(cells, "kind")
        kind = _KINDS.get(kind_text.lower())
        if kind is None:
            bad(row, "kind", kind_text, f"must be one of {', '.join(_KINDS)}")
        amount = self.money(row, cells, "amount")
        posted = self.day(row, cells, "posted", required=True)
        due = self.day(row, cells, "due")
        service = self.day(row, cells, "service")
        source_text = self.value(cells, "source")
        source = None
        if source_text:
            source = _SOURCES.get(source_text.lower())
            if source is None:
                bad(row, "source", source_text, "must be guarantor or insurance")
        reverses = self.text(row, cells, "reverses", "external_id") or None
        description = self.text(row, cells, "description")
        if kind is None or amount is None or posted is None:
            return None
        return ext, account, (kind, amount, posted, due, service, source, reverses, description)

    def check(self, chunk: list[tuple[int, list[str]]]) -> list[Record]:
        """First pass, fast: rows read without a hitch take the quick road; any doubt takes :meth:`convert`."""
        width = self.cells.width + 1
        bad, seen, columns = self.bad, self.seen, self.columns
        report = bad.report
        index = self.cells.index["account"]
        self.accounts.resolve(self.connection, {cells[index].strip() for _, cells in chunk if len(cells) == width})
        ids = self.accounts.ids
        payments, reversals = self.payments, self.reversals
        fromisoformat = date.fromisoformat
        kinds, sources = _KINDS, _SOURCES
        kind_text = {kind: kind.value for kind in Kind}  # plain str for the spool (and no enum property per row)
        source_text = {source: source.value for source in Source}
        payment, reversal = Kind.PAYMENT, Kind.REVERSAL
        records: list[Record] = []
        for row, cells in chunk:
            if len(cells) != width:
                bad(row, "", "", f"has {len(cells) - 1} fields; the header has {width - 1}")
                continue
            ext, account, kind, amount, posted, due, service, source, reverses, description = columns(cells)
            try:
                ext, account, description = ext.strip(), account.strip(), description.strip()
                if not ext or not account or len(ext) > 64 or len(account) > 64 or len(description) > 200:
                    raise ValueError
                kind = kinds[kind]
                if len(amount) > 3 and amount[-3] == "." and amount.isascii() and amount[:-3].isdigit():
                    amount = int(amount[:-3]) * 100 + int(amount[-2:])
                else:
                    amount = parse_cents(amount)
                posted = fromisoformat(posted)
                due = fromisoformat(due) if due else None
                service = fromisoformat(service) if service else None
                source = sources[source] if source else None
                reverses = reverses.strip() or None
                if reverses is not None and len(reverses) > 64:
                    raise ValueError
            except (KeyError, ValueError):
                converted = self.convert(row, cells)
                if converted is None:
                    continue
                ext, account, (kind, amount, posted, due, service, source, reverses, description) = converted
            for rule_field, rule in entry_problems(
                Entry(0, kind, amount, posted, due, service, source, None if reverses is None else 0)
            ):
                column = _RULE_COLUMNS.get(rule_field, rule_field)
                bad(row, column, self.value(cells, column), rule)
            if seen.setdefault(ext, row) != row:
                bad(row, "external_id", ext, f"appears more than once in the file (first at row {seen[ext]})")
            account_id = ids.get(account)
            if account_id is None:
                bad(row, "account", account, "is not a known account")
            if kind is payment:
                payments[ext] = (row, account, amount, posted)
            elif kind is reversal and reverses is not None:
                reversals.append((row, ext, account, amount, posted, reverses))
            if not report.problem_count:
                records.append(
                    (
                        row,
                        ext,
                        account_id,
                        kind_text[kind],
                        amount,
                        posted.isoformat(),
                        None if due is None else due.isoformat(),
                        None if service is None else service.isoformat(),
                        None if source is None else source_text[source],
                        reverses,
                        description,
                    )
                )
        return records

    def _lines(self, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Stored lines among ``external_ids``: id, kind, account external id, amount, posted, reversed by."""
        reversal = LEDGER.alias("reversal")
        query = (
            select(
                LEDGER.c.external_id,
                LEDGER.c.id,
                LEDGER.c.kind,
                ACCOUNTS.c.external_id,
                LEDGER.c.amount_cents,
                LEDGER.c.posted_date,
                reversal.c.external_id,
            )
            .join(ACCOUNTS, ACCOUNTS.c.id == LEDGER.c.account_id)
            .outerjoin(reversal, reversal.c.reverses_id == LEDGER.c.id)
        )
        return self._stored(query, LEDGER, external_ids) if external_ids else {}

    def finish_check(self) -> None:
        super().finish_check()
        stored = self._lines(sorted({target for *_, target in self.reversals}))
        reversed_in_file: dict[str, int] = {}
        bad = self.bad
        for row, ext, account, amount, posted, target in self.reversals:
            payment_row = 0
            if target in stored:
                _id, kind, paid_account, paid, paid_on, reversed_by = stored[target]
                if reversed_by is not None and reversed_by != ext:
                    bad(row, "reverses", target, f"the payment is already reversed (by {reversed_by})")
            elif target in self.payments:
                payment_row, paid_account, paid, paid_day = self.payments[target]
                kind, paid_on = Kind.PAYMENT.value, paid_day.isoformat()
            else:
                bad(row, "reverses", target, "is not a payment in this file or in the database")
                continue
            if kind != Kind.PAYMENT.value:
                bad(row, "reverses", target, f"names a {kind}, not a payment")
                continue
            if paid_account != account:
                bad(row, "reverses", target, f"is a payment of account {paid_account}, not of {account}")
            if amount != paid:
                bad(
                    row,
                    "amount",
                    Money(amount).plain(),
                    f"a reversal must equal the payment it reverses ({Money(paid).plain()})",
                )
            if posted.isoformat() < paid_on:
                bad(row, "posted", posted.isoformat(), f"is before the payment it reverses ({paid_on})")
            if payment_row > row:
                bad(row, "reverses", target, f"the payment must come before its reversal (it is at row {payment_row})")
            first = reversed_in_file.setdefault(target, row)
            if first != row:
                bad(row, "reverses", target, f"the payment is already reversed at row {first}")
        self.payments.clear()
        self.reversals.clear()

    def existing(self, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Stored lines, with the external id of the payment a reversal reverses in place of its line id."""
        reversed_line = LEDGER.alias("reversed")
        query = select(
            LEDGER.c.external_id,
            *(LEDGER.c[name] for name in self.fields[:7]),
            reversed_line.c.external_id,
            LEDGER.c.description,
        ).outerjoin(reversed_line, reversed_line.c.id == LEDGER.c.reverses_id)
        return self._stored(query, LEDGER, external_ids)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        # rows: (ext, account_id, kind, amount, posted, due, service, source, reverses ext, description)
        targets = sorted({values[8] for values in rows if values[8] is not None} - self.reversal_ids.keys())
        if targets:
            self.reversal_ids.update({ext: line[0] for ext, line in self._lines(targets).items()})
        pending: list[tuple[Any, ...]] = []
        for values in rows:
            target = values[8]
            if target is not None:
                if target not in self.reversal_ids:  # its payment is earlier in this chunk: write that first
                    super().insert(pending)
                    pending = []
                    self.reversal_ids.update({ext: line[0] for ext, line in self._lines([target]).items()})
                values = (*values[:8], self.reversal_ids[target], values[9])
            pending.append(values)
        super().insert(pending)


class _Claims(_Importer):
    kind = ImportKind.CLAIMS
    table = CLAIMS
    fields = ("account_id", "payer", "billed_date", "amount_cents", "paid_cents", "status")
    labels = ("account", "payer", "billed", "amount", "paid", "status")

    def convert(self, row: int, cells: list[str]) -> tuple[str, str, tuple[Any, ...]] | None:
        ext = self.required(row, cells, "external_id")
        account = self.required(row, cells, "account", "external_id")
        payer = self.required(row, cells, "payer")
        billed = self.day(row, cells, "billed", required=True)
        amount = self.money(row, cells, "amount")
        paid = self.money(row, cells, "paid", default=0)
        status = self.choice(row, cells, "status", ClaimStatus, ClaimStatus.OPEN)
        if billed is None or amount is None or paid is None or status is None:
            return None
        for column, rule in claim_problems(Claim(ext, payer, billed, amount, paid, status)):
            self.bad(row, column, self.value(cells, column), rule)
        return ext, account, (payer, billed.isoformat(), amount, paid, status.value)


class _Plans(_Importer):
    kind = ImportKind.PLANS
    table = PLANS
    fields = (
        "account_id",
        "installment_cents",
        "frequency",
        "first_due_date",
        "grace_days",
        "start_date",
        "installments",
        "active",
    )
    labels = ("account", "installment", "frequency", "first_due", "grace_days", "start", "installments", "active")

    def convert(self, row: int, cells: list[str]) -> tuple[str, str, tuple[Any, ...]] | None:
        ext = self.required(row, cells, "external_id")
        account = self.required(row, cells, "account", "external_id")
        installment = self.money(row, cells, "installment")
        frequency = self.choice(row, cells, "frequency", Frequency)
        first_due = self.day(row, cells, "first_due", required=True)
        grace = self.number(row, cells, "grace_days")
        start = self.day(row, cells, "start")
        installments = self.number(row, cells, "installments")
        active = self.flag(row, cells, "active", default=True)
        if installment is None or frequency is None or first_due is None:
            return None
        grace = grace or 0
        plan = PaymentPlan(installment, frequency, first_due, grace, start, installments)
        for column, rule in plan_problems(plan):
            self.bad(row, column, self.value(cells, column), rule)
        return (
            ext,
            account,
            (installment, frequency.value, first_due.isoformat(), grace, _iso(start), installments, active),
        )


_PARTY_FIELDS = (
    "first_name",
    "last_name",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "email",
    "time_zone",
    "deceased",
    "bankruptcy",
    "attorney_represented",
    "cease_communication",
    "dispute_date",
    "do_not_call",
)
_FLAGS = ("deceased", "bankruptcy", "attorney_represented", "cease_communication", "do_not_call")


class _Accounts(_Importer):
    """Accounts with their guarantor (a party) and phone; each new account gets an empty summary."""

    kind = ImportKind.ACCOUNTS
    table = ACCOUNTS
    fields = ("portfolio_id", "mode", "status_code", "opened_date", *_PARTY_FIELDS, "phone", "phone_type")
    labels = ("portfolio", "mode", "status_code", "opened", *_PARTY_FIELDS, "phone", "phone_type")
    has_account = False

    def __init__(self, connection: Connection, cells: _Cells, bad: _Sink) -> None:
        super().__init__(connection, cells, bad)
        self.lengths.update(_lengths(PARTIES))
        self.lengths["phone"] = _lengths(PHONES)["number"]
        self.portfolios = {code: pid for code, pid in connection.execute(select(PORTFOLIOS.c.code, PORTFOLIOS.c.id))}

    def convert(self, row: int, cells: list[str]) -> tuple[str, str, tuple[Any, ...]] | None:
        bad = self.bad
        ext = self.required(row, cells, "external_id")
        code = self.required(row, cells, "portfolio", "code")
        portfolio = self.portfolios.get(code)
        if code and portfolio is None:
            bad(row, "portfolio", code, "is not a known portfolio")
        mode = self.choice(row, cells, "mode", Mode, Mode.ACTIVE)
        status_code = self.text(row, cells, "status_code")
        opened = self.day(row, cells, "opened")
        party: dict[str, Any] = {name: self.text(row, cells, name) for name in _PARTY_FIELDS[:9]}
        party["time_zone"] = party["time_zone"] or "America/New_York"
        party.update({name: self.flag(row, cells, name) for name in _FLAGS})
        party["dispute_date"] = self.day(row, cells, "dispute_date")
        phone = self.text(row, cells, "phone")
        phone_type = self.choice(row, cells, "phone_type", PhoneType, PhoneType.HOME)
        for problem in party_problems(Party(**party)):
            bad(row, problem.field, problem.value, problem.rule)
        if portfolio is None or mode is None or phone_type is None:
            return None
        party["dispute_date"] = _iso(party["dispute_date"])
        return (
            ext,
            "",
            (
                portfolio,
                mode.value,
                status_code,
                _iso(opened),
                *(party[name] for name in _PARTY_FIELDS),
                phone or None,
                phone_type.value if phone else None,
            ),
        )

    def existing(self, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        query = select(
            ACCOUNTS.c.external_id,
            ACCOUNTS.c.portfolio_id,
            ACCOUNTS.c.mode,
            ACCOUNTS.c.status_code,
            ACCOUNTS.c.opened_date,
            *(PARTIES.c[name] for name in _PARTY_FIELDS),
            PARTIES.c.id,
        ).join(PARTIES, PARTIES.c.id == ACCOUNTS.c.guarantor_id)
        stored = self._stored(query, ACCOUNTS, external_ids)
        if not stored:
            return {}
        phones: dict[int, tuple[str, str]] = {}
        party_ids = [values[-1] for values in stored.values()]
        for batch in _in_batches(party_ids):
            phone_query = (
                select(PHONES.c.party_id, PHONES.c.number, PHONES.c.type)
                .where(PHONES.c.party_id.in_(batch))
                .order_by(PHONES.c.id.desc())
            )
            for party_id, number, kind in self.connection.execute(phone_query):
                phones[party_id] = (number, kind)  # by id, descending: the party's first phone is kept
        return {ext: (*values[:-1], *phones.get(values[-1], (None, None))) for ext, values in stored.items()}

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        connection = self.connection
        # (ext, portfolio, mode, status, opened, *party, phone, phone type); Core wants date objects back
        dated = {"dispute_date"}
        party_rows = [
            {
                name: (date.fromisoformat(value) if name in dated and value else value)
                for name, value in zip(_PARTY_FIELDS, values[5:20], strict=True)
            }
            for values in rows
        ]
        party_ids = (
            connection.execute(insert(PARTIES).returning(PARTIES.c.id, sort_by_parameter_order=True), party_rows)
            .scalars()
            .all()
        )
        phones = [
            {"party_id": party_id, "number": values[20], "type": values[21]}
            for party_id, values in zip(party_ids, rows, strict=True)
            if values[20]
        ]
        if phones:
            connection.execute(insert(PHONES), phones)
        account_rows = [
            {
                "external_id": values[0],
                "portfolio_id": values[1],
                "guarantor_id": party_id,
                "mode": values[2],
                "status_code": values[3],
                "opened_date": date.fromisoformat(values[4]) if values[4] else None,
            }
            for party_id, values in zip(party_ids, rows, strict=True)
        ]
        account_ids = (
            connection.execute(insert(ACCOUNTS).returning(ACCOUNTS.c.id, sort_by_parameter_order=True), account_rows)
            .scalars()
            .all()
        )
        # A new account has no ledger, plan or claim: its summary is the empty one.
        empty = summaries.summary_values(0, 0, [], None, [])
        connection.execute(
            insert(SUMMARIES),
            [
                {**empty, "account_id": account_id, "portfolio_id": values[1]}
                for account_id, values in zip(account_ids, rows, strict=True)
            ],
        )


_IMPORTERS: dict[ImportKind, type[_Importer]] = {
    ImportKind.ACCOUNTS: _Accounts,
    ImportKind.TRANSACTIONS: _Transactions,
    ImportKind.CLAIMS: _Claims,
    ImportKind.PLANS: _Plans,
}


def _deferred_indexes(connection: Connection, table: Table) -> list[str]:
    """On SQLite, drop ``table``'s plain secondary indexes for a bulk load; return the SQL that re-creates them.

    SQLite DDL is transactional: if the import fails the indexes come back with the rollback. Unique
    indexes (the external id, the reversal link) stay: they guard the data while it is written.
    """
    rows = connection.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL"
            " AND sql NOT LIKE 'CREATE UNIQUE%'"
        ),
        {"table": table.name},
    ).all()
    for name, _sql in rows:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the import makes millions of short-lived tuples and no cycles,
    and the collector re-scanning them costs a third of the time. Reference counting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _begin_writing(connection: Connection) -> None:
    """On SQLite, take the write lock now (``BEGIN IMMEDIATE``) unless a transaction is already open.

    The sqlite3 driver opens a transaction only before a data change; without this, a DDL statement or
    the reads of the write pass would run outside the import's single transaction.
    """
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# ---------------------------------------------------------------------------------------------- the use case


def import_file(
    db: Database,
    kind: ImportKind | str,
    path: str | Path,
    progress: ProgressCallback | None = None,
    *,
    dry_run: bool = False,
    chunk_size: int = CHUNK,
    max_problems: int = MAX_PROBLEMS,
) -> ImportReport:
    """Validate the CSV file at ``path`` whole, then (unless ``dry_run``) write it in one transaction.

    Bad rows are not exceptions: they come back as ``report.problems`` (the first ``max_problems``; all
    are counted) and nothing is written. Rows whose external id is already stored are skipped
    (``unchanged``; also listed in ``conflicts`` when their content differs).
    """
    kind = ImportKind(kind)
    path = Path(path)
    report = ImportReport(kind, str(path), dry_run=dry_run)
    bad = _Sink(report, max_problems)
    reader = _Reader(path)
    with reader, tempfile.TemporaryFile() as spool, _gc_paused():
        if reader.header is None:
            bad(1, "", "", "the file is empty: the first row must name the columns")
            return report
        cells = _Cells(reader.header, COLUMNS[kind])
        for column, value, rule in cells.header_problems:
            bad(1, column, value, rule)
        if cells.header_problems:
            return report
        with UnitOfWork(db) as uow:
            connection = uow.session.connection()
            importer = _IMPORTERS[kind](connection, cells, bad)
            started = time.perf_counter()
            chunks = 0
            for chunk in reader.chunks(chunk_size):
                records = importer.check(chunk)
                report.rows += len(chunk)
                if report.ok and not dry_run:
                    data = marshal.dumps(records)
                    spool.write(len(data).to_bytes(8, "little"))
                    spool.write(data)
                    chunks += 1
                if progress:
                    progress("validate", reader.position(), reader.size)
            importer.finish_check()
            report.timings["validate"] = time.perf_counter() - started
            if not report.ok or dry_run:
                return report

            started = time.perf_counter()
            recreate = []
            if connection.dialect.name == "sqlite":
                _begin_writing(connection)
                if importer.table is LEDGER and report.rows > (connection.scalar(select(func.max(LEDGER.c.id))) or 0):
                    recreate = _deferred_indexes(connection, LEDGER)
            spool.seek(0)
            written = 0
            for _ in range(chunks):
                records = marshal.loads(spool.read(int.from_bytes(spool.read(8), "little")))
                importer.write(records, report)
                written += len(records)
                if progress:
                    progress("write", written, report.rows)
            for sql in recreate:
                connection.exec_driver_sql(sql)
            report.timings["write"] = time.perf_counter() - started
            importer.finish_write(report, progress)
            uow.commit()
    return report
