"""Importing CSV files of accounts, transactions, claims and payment plans.

An import reads its file twice, streaming, in chunks: the first pass validates every row (columns, dates,
amounts, references, duplicates, the domain's rules) and writes nothing; only when no row broke a rule
does the second pass write, in chunks of bulk inserts, inside one database transaction that also brings
the summaries of the touched accounts up to date. A bad file is rejected whole: the report lists every
broken rule with the row number as in the file (the header is row 1).

Transactions (the big files) are read by pyarrow's streaming CSV reader a block of the file at a time
(:class:`arrears.services.import_reader.ArrowFrames`) and validated as Polars frames
(:meth:`_Transactions.check_frame`): the rules are expressions over the frame, and
any value the vectorized reading is not sure of goes through the same careful readers as the other kinds,
so the problems reported are those of the row-by-row reading. Accounts, claims and plans are read row by
row with the csv module.

Rows are keyed by ``external_id``: a row whose external id is already in the database is not written
again. It counts as *unchanged*; when its content differs from what is stored it is also listed as a
*conflict* (never overwritten), so re-importing a file is a no-op. Accounts are the exception: a stored
account whose fields differ is *updated* (a keyed upsert, :meth:`_Accounts.unchanged`), field by field with
an audit row each, for the columns the file has (a column left out is left as stored; an empty cell clears an
optional field); only a change of portfolio stays a conflict. A dry run of accounts lists those updates.
"""

from __future__ import annotations

import csv
import io
import marshal
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TextIO

import polars as pl

from arrears.domain.calendar import EARLIEST_DAY, day_range_problem, horizon, parse_day
from arrears.domain.errors import Problem, ValidationFailed, clip
from arrears.domain.ledger import Frequency, Kind, PaymentPlan, Source, plan_problems
from arrears.domain.model import Claim, ClaimStatus, Mode, Party, PhoneType, claim_problems
from arrears.domain.money import ANY_AMOUNT, AmountLimit, Money, MoneyError
from arrears.domain.plans import Plan
from arrears.domain.strategy import Strategy
from arrears.services.account_work import reopen_imported
from arrears.services.accounts import party_problems
from arrears.services.collector import collector_paused
from arrears.services.import_columns import COLUMNS, Column, ImportKind
from arrears.services.import_reader import ArrowFrames, BlockTooSmall
from arrears.services.import_refunds import RefundCheck
from arrears.services.plans import PlanRuns, check_start_date, run_on_imported, runnable_plan
from arrears.services.posting_effects import after_import
from arrears.services.stored_strategy import load_strategy
from arrears.store import summaries, tables
from arrears.store.account_work import update_imported_accounts
from arrears.store.accounts import (
    account_count,
    account_ids_of,
    add_accounts,
    add_parties,
    add_phones,
    add_summaries,
    every_account_id,
    stored_accounts,
)
from arrears.store.bulk import (
    begin_writing,
    drop_secondary_indexes,
    load_frame,
    load_tuples,
    recreate_indexes,
    sqlite_cache,
    stored_values,
    upsert,
)
from arrears.store.db import Connection, Database, Table
from arrears.store.ledger import accounts_with_lines, lines_to_check, link_reversals, stored_lines
from arrears.store.loading import highest_id, portfolio_id_by_code
from arrears.store.portfolios import amount_limits, portfolios_of_accounts
from arrears.store.staging import Stage, can_stage, staged
from arrears.store.uow import UnitOfWork

ACCOUNTS: Table = tables.account  # type: ignore[assignment]
PARTIES: Table = tables.party  # type: ignore[assignment]
PHONES: Table = tables.phone  # type: ignore[assignment]
LEDGER: Table = tables.ledger_line  # type: ignore[assignment]
CLAIMS: Table = tables.claim  # type: ignore[assignment]
PLANS: Table = tables.payment_plan  # type: ignore[assignment]
SUMMARIES: Table = tables.account_summary  # type: ignore[assignment]

CHUNK = 10_000
"""Rows per chunk: per bulk insert and per look-up query."""
LOOKUP = 5_000
"""Keys per ``IN (...)`` query."""
FRAME_BYTES_PER_ROW = 256
"""Transactions are validated a block of ``chunk_size * FRAME_BYTES_PER_ROW`` bytes of the file at a time
(with the default chunk, 5 MiB: some 75,000 rows of a typical file; a block is at least 16 KiB and grows when a
row is longer)."""
SQLITE_CACHE_KIB = 64 * 1024
"""SQLite page cache during the write pass and the summary refresh."""
SQLITE_INDEX_CACHE_KIB = 8 * 1024
"""SQLite page cache while the ledger's indexes are rebuilt after a large load (its sorter holds as much in memory
before spilling to a temporary file): the build reads the table once in order, so a large cache buys nothing and
would add its size to the summaries computed meanwhile."""
MAX_PROBLEMS = 10_000
"""Problems kept in a report (all are counted); keeps memory bounded on a file that is wrong throughout."""


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

    def as_problem(self) -> Problem:
        """This problem in the one problem shape."""
        return Problem(f"row {self.row}, {self.column or 'row'}", self.rule, self.value)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A row whose external id is already stored with different content; it was not written."""

    row: int
    external_id: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldUpdate:
    """One field of a stored account that a row of the file changes: before and after (as the file reads)."""

    row: int
    external_id: str
    field: str
    before: Any
    after: Any


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    kind: ImportKind
    path: str
    dry_run: bool = False
    rows: int = 0
    inserted: int = 0
    unchanged: int = 0
    updated: int = 0
    """Stored accounts whose fields the file changed (each changed field is in ``updates``)."""
    updates: list[FieldUpdate] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    accounts_refreshed: int = 0
    plan: PlanRuns | None = None
    """What the contact plan run on each new account did (``import accounts --plan``)."""
    effects: Counter[str] = field(default_factory=Counter)
    """What the imported transactions made happen as they posted (:mod:`arrears.services.posting_effects`)."""
    reopened: Counter[str] = field(default_factory=Counter)
    """What reopening the closed accounts the file set back to active made happen
    (:func:`arrears.services.account_work.reopen_imported`)."""
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
            "updated": self.updated,
            "updates": [
                {"row": u.row, "external_id": u.external_id, "field": u.field, "before": u.before, "after": u.after}
                for u in self.updates
            ],
            "conflicting": self.conflicting,
            "conflicts": [
                {"row": c.row, "external_id": c.external_id, "columns": list(c.columns)} for c in self.conflicts
            ],
            "problem_count": self.problem_count,
            "problems": [{"row": p.row, "column": p.column, "value": p.value, "rule": p.rule} for p in self.problems],
            "accounts_refreshed": self.accounts_refreshed,
            "plan": self.plan.as_dict() if self.plan is not None else None,
            "effects": dict(sorted(self.effects.items())),
            "reopened": dict(sorted(self.reopened.items())),
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
            report.problems.append(RowProblem(row, column, clip(value), rule))


class _Cells:
    """Column positions of a file's header; absent optional columns read as the empty text."""

    def __init__(self, header: list[str], columns: Sequence[Column]) -> None:
        self.width = len(header)
        names = [name.strip().lower() for name in header]
        self.names = names
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
            self.ids.update(account_ids_of(connection, batch))
        self.unknown.update(ext for ext in wanted if ext not in self.ids)


class _Limits:
    """The amount limit of each account's portfolio (accounts looked up as the file names them, then cached)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.by_portfolio = amount_limits(connection)
        self.portfolio_of: dict[int, int] = {}
        self.floor = min((limit.maximum_cents for limit in self.by_portfolio.values()), default=0)
        """No amount up to this breaks any portfolio's limit: only larger ones need their account's."""

    def resolve(self, account_ids: Iterable[int]) -> None:
        """Look up the portfolios of ``account_ids`` not looked up yet."""
        self.portfolio_of.update(portfolios_of_accounts(self.connection, set(account_ids) - self.portfolio_of.keys()))

    def of(self, account_id: int) -> AmountLimit:
        """The limit of ``account_id``'s portfolio (resolved before)."""
        return self.by_portfolio[self.portfolio_of[account_id]]


# ---------------------------------------------------------------------------------------------- importers

Record = tuple[Any, ...]
"""A validated row, ready to write: ``(row number, external id, *values)`` with ``values`` lined up with the
importer's ``fields``; dates are ISO text, the account is its id. Records are spooled between the passes."""


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _plain(value: Any) -> Any:
    """A stored value as a record holds it (dates as ISO text), for comparing a row with what is stored."""
    return value.isoformat() if isinstance(value, date) else value


def _plain_values(stored: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {ext: tuple(_plain(value) for value in values) for ext, values in stored.items()}


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
    lists_changes = False
    """Whether a dry run goes through the write pass too (to list what it would change, writing nothing)."""
    dry_run = False
    actor = "import"
    """Who the import's audit rows name."""
    amount_fields: tuple[str, ...] = ()
    """The ``fields`` holding amounts, each at most the maximum of its account's portfolio."""

    def __init__(self, connection: Connection, cells: _Cells, bad: _Sink, today: date) -> None:
        self.connection = connection
        self.cells = cells
        self.bad = bad
        self.today = today
        self.accounts = _AccountIds()
        self.limits = _Limits(connection)
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
        day, rule = _read_day(required, self.today)(value)
        if rule is not None:
            self.bad(row, name, value, rule)
        return None if day is None else date.fromisoformat(day)

    def money(self, row: int, cells: list[str], name: str, default: int | None = None) -> int | None:
        value = cells[self.cells.index[name]].strip()
        if not value:
            if default is None:
                self.bad(row, name, "", "is required")
            return default
        cents, rule = _read_amount(value)
        if rule is not None:
            self.bad(row, name, value, rule)
        return cents

    def number(self, row: int, cells: list[str], name: str) -> int | None:
        value = cells[self.cells.index[name]].strip()
        if not value:
            return None
        if not _WHOLE_NUMBER.match(value):
            self.bad(row, name, value, "is not a whole number")
            return None
        return int(value)

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
            named = {cells[index].strip() for _, cells in chunk if len(cells) == width}
            self.accounts.resolve(self.connection, named)
            if self.amount_fields:
                self.limits.resolve(self.accounts.ids[ext] for ext in named if ext in self.accounts.ids)
        ids = self.accounts.ids
        amounts = [(self.fields.index(name), self.labels[self.fields.index(name)]) for name in self.amount_fields]
        records: list[Record] = []
        names = self.cells.names
        for row, cells in chunk:
            if len(cells) != width:
                bad(row, "", "", f"has {len(cells) - 1} fields; the header has {width - 1}")
                continue
            for name, cell in zip(names, cells, strict=False):
                if "\x00" in cell:
                    bad(row, name, "", NUL_RULE)
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
                limit = self.limits.of(account_id) if amounts else ANY_AMOUNT
                for position, label in amounts:
                    if (rule := limit.problem(values[position])) is not None:
                        bad(row, label, self.value(cells, label), rule)
            if not report.problem_count:
                records.append((row, ext, *values))
        return records

    def finish_check(self) -> None:
        """Checks that need the whole file (after the first pass)."""
        self.seen.clear()

    # -- the second pass

    def existing(self, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Stored values (lined up with ``fields``) of the rows among ``external_ids`` already in the table."""
        return _plain_values(stored_values(self.connection, self.table, self.fields, external_ids))

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
        load_tuples(self.connection, self.table, ("external_id", *self.fields), rows)

    @contextmanager
    def summarizing(self) -> Iterator[None]:
        """Work done while the block runs (the table's indexes are rebuilt), for :meth:`finish_write`: none here."""
        yield

    def finish_write(self, report: ImportReport, progress: ProgressCallback | None) -> None:
        """After the last chunk: bring the summaries of the touched accounts up to date."""
        if not self.touched:
            return
        started = time.perf_counter()
        connection = self.connection
        total = account_count(connection)
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


_KINDS = {kind.value: kind for kind in Kind}
_SOURCES = {source.value: source for source in Source}
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character :meth:`str.strip` removes: ``str.strip_chars(_WHITESPACE)`` is Python's ``strip()``."""
_PLAIN_AMOUNT = r"^-?[0-9]{1,7}(\.[0-9]{1,2})?$"
"""Amounts read in the frame (``12.50``, ``-3``, ``7.5``; below :data:`MAX_AMOUNT_CENTS`); any other text goes
through :func:`parse_cents`."""
_WHOLE_NUMBER = re.compile(r"-?[0-9]+\Z")
NUL_RULE = "holds a NUL byte (\\x00), which no database stores in text; remove it from the file"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
"""Dates read in the frame; any other text goes through :meth:`date.fromisoformat`."""
_KIND_ENUM = pl.Enum([kind.value for kind in Kind])
_SOURCE_ENUM = pl.Enum([source.value for source in Source])
_PROBLEM_SCHEMA = {"row": pl.Int64, "seq": pl.Int64, "column": pl.String, "value": pl.String, "rule": pl.String}


def _odd_values(
    frame: pl.DataFrame, column: str, fast: pl.Expr, convert: Callable[[str], tuple[Any, str | None]], dtype: Any
) -> tuple[pl.Expr, pl.Expr]:
    """The careful reading of the values of ``column`` the vectorized reading (``fast``) does not take.

    Each distinct such value is read once, in Python (``convert`` gives its value and broken rule); returns
    expressions of the value and of the rule (null when none) of those rows.
    """
    odd = frame.filter(~fast).get_column(column).unique()
    if odd.is_empty():
        return pl.lit(None, dtype=dtype), pl.lit(None, dtype=pl.String)
    keys = odd.to_list()
    converted = [convert(key) for key in keys]
    values = pl.Series([value for value, _ in converted], dtype=dtype)
    rules = pl.Series([rule for _, rule in converted], dtype=pl.String)
    raw = pl.col(column)
    return (
        raw.replace_strict(keys, values, default=None, return_dtype=dtype),
        raw.replace_strict(keys, rules, default=None, return_dtype=pl.String),
    )


def _read_amount(text: str) -> tuple[int | None, str | None]:
    """The cents of an amount and the rule it breaks (None when it breaks none): the one reading of every
    amount of every import, row by row and in the frame."""
    value = text.strip()
    if not value:
        return None, "is required"
    try:
        cents = parse_cents(value)
    except MoneyError:
        return None, "is not an amount (e.g. 12.50 or $1,234.56)"
    too_large = ANY_AMOUNT.problem(cents)
    return (None, too_large) if too_large else (cents, None)


def _read_day(required: bool, today: date) -> Callable[[str], tuple[str | None, str | None]]:
    """A reader of dates (ISO text of the date, rule broken): strictly ``YYYY-MM-DD``, from 1900 to the
    horizon of ``today``."""

    def read(text: str) -> tuple[str | None, str | None]:
        value = text.strip()
        if not value:
            return None, "is required" if required else None
        try:
            day = parse_day(value)
        except ValueError:
            return None, "is not a date (YYYY-MM-DD)"
        out_of_range = day_range_problem(day, today)
        return (None, out_of_range) if out_of_range else (day.isoformat(), None)

    return read


def _read_kind(text: str) -> tuple[str | None, str | None]:
    kind = _KINDS.get(text.strip().lower())
    return (kind.value, None) if kind is not None else (None, f"must be one of {', '.join(_KINDS)}")


def _read_source(text: str) -> tuple[str | None, str | None]:
    value = text.strip()
    if not value:
        return None, None
    source = _SOURCES.get(value.lower())
    return (source.value, None) if source is not None else (None, "must be guarantor or insurance")


class _Transactions(_Importer):
    """Ledger lines, validated a frame of rows at a time (Polars), with the exact rules of :meth:`convert`.

    Values the vectorized reading is sure of (plain amounts, ISO dates, exact kinds and sources) are read in
    the frame; any other value is read once per distinct text by the careful Python readers, so every
    problem is reported as the row-by-row reading reports it. Row numbers come with the frame.
    """

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
    record_columns = (
        "row",
        "ext",
        "account_id",
        "kind",
        "amount",
        "posted",
        "due",
        "service",
        "source",
        "reverses",
        "description",
    )

    def __init__(self, connection: Connection, cells: _Cells, bad: _Sink, today: date) -> None:
        super().__init__(connection, cells, bad, today)
        self.stage: Stage | None = None
        """The spooled records, staged in SQLite for the write pass (None: written through the driver)."""
        self.payments: list[pl.DataFrame] = []
        self.reversals: list[pl.DataFrame] = []
        self.refunds = RefundCheck()
        self.first_rows = pl.DataFrame(schema={"ext": pl.String, "first": pl.Int64})
        self.account_ids = pl.DataFrame(schema={"account": pl.String, "account_id": pl.Int64})
        self.every_account = False
        self.file_accounts: set[int] = set()
        """The accounts the file's rows name (while no row broke a rule)."""
        self.targets = pl.Series("ext", [], dtype=pl.String)
        """External ids of the payments the file's reversals reverse."""
        self.new_accounts: pl.Series | None = None
        """Accounts of the file that had no ledger line before this import (:meth:`find_new_accounts`)."""
        self.new_lines: list[pl.DataFrame] = []
        """The lines written for :attr:`new_accounts`: their whole ledgers, summarized without reading them back."""
        self.new_reversals: dict[int, str] = {}
        """Row → external id of the payment it reverses, of the reversals among :attr:`new_lines`."""
        self.new_payments: dict[str, int] = {}
        """External id → row of the reversed payments among :attr:`new_lines`."""
        self.read_back: list[int] = []
        """Touched accounts whose summaries are computed by reading their ledgers back."""
        self.summarized: list[tuple[list[str], list[tuple[Any, ...]]]] | None = None
        """The summary rows :meth:`summarizing` computed, by batch of accounts (None: none computed)."""

    def _resolve(self, accounts: pl.Series) -> None:
        """Look up the accounts of a frame not looked up yet: by ``IN`` lists when they are few, else by
        reading the whole account id map once (then every later frame only joins)."""
        if self.every_account:
            return
        new = accounts.to_frame("account").join(self.account_ids, on="account", how="anti")
        wanted = set(new.get_column("account").to_list()) - self.accounts.unknown
        if not wanted:
            return
        if len(wanted) > LOOKUP:
            rows = every_account_id(self.connection)
            self.account_ids = pl.DataFrame(rows, schema=self.account_ids.schema, orient="row")
            self.every_account = True
            return
        known = self.accounts
        known.resolve(self.connection, wanted)
        found = {ext: known.ids[ext] for ext in wanted if ext in known.ids}
        if found:
            frame = pl.DataFrame(
                {"account": list(found), "account_id": list(found.values())}, schema=self.account_ids.schema
            )
            self.account_ids = pl.concat([self.account_ids, frame])

    def check_frame(self, frame: pl.DataFrame, ragged: list[tuple[int, int]]) -> pl.DataFrame | None:
        """First pass over a frame of rows (``row`` and the file's columns, as text) that have as many fields as
        the header; ``ragged`` are the ``(row, fields)`` that do not. Reports every problem, in row order, and
        returns the records of the rows (as :data:`record_columns`) while no row of the file broke a rule."""
        width = self.cells.width
        present = set(frame.columns)

        def text(name: str) -> pl.Expr:
            return (pl.col(name) if name in present else pl.lit("", dtype=pl.String)).alias(name)

        def stripped(name: str) -> pl.Expr:
            return text(name).str.strip_chars(_WHITESPACE)

        nul_columns = [name for name in self.cells.names if name in present]
        f = frame.select(
            pl.col("row").cast(pl.Int64),
            *(pl.col(name).str.contains("\x00", literal=True).alias(f"nul_{name}") for name in nul_columns),
            stripped("external_id").alias("ext"),
            stripped("account"),
            text("kind"),
            text("amount"),
            text("posted"),
            text("due"),
            text("service"),
            text("source"),
            stripped("reverses"),
            stripped("description"),
        )
        kind, amount = pl.col("kind"), pl.col("amount")
        # ISO texts of dates in range compare as the dates do; any other text is read by _read_day
        earliest, latest = EARLIEST_DAY.isoformat(), horizon(self.today).isoformat()
        f = f.with_columns(
            kind.is_in(list(_KINDS)).alias("kind_fast"),
            amount.str.contains(_PLAIN_AMOUNT).alias("amount_fast"),
            pl.col("source").is_in(["", *_SOURCES]).alias("source_fast"),
            *(
                (
                    pl.col(name).str.contains(_ISO_DATE)
                    & (pl.col(name) >= earliest)
                    & (pl.col(name) <= latest)
                    & pl.col(name).str.to_date("%Y-%m-%d", strict=False).is_not_null()
                ).alias(f"{name}_fast")
                for name in ("posted", "due", "service")
            ),
        )
        kind_fast, amount_fast, source_fast = pl.col("kind_fast"), pl.col("amount_fast"), pl.col("source_fast")
        day_fast = {name: pl.col(f"{name}_fast") for name in ("posted", "due", "service")}
        odd_kind, kind_rule = _odd_values(f, "kind", kind_fast, _read_kind, pl.String)
        odd_amount, amount_rule = _odd_values(f, "amount", amount_fast, _read_amount, pl.Int64)
        odd_source, source_rule = _odd_values(f, "source", source_fast, _read_source, pl.String)
        days = {
            name: _odd_values(f, name, day_fast[name], _read_day(name == "posted", self.today), pl.String)
            for name in ("posted", "due", "service")
        }
        digits = amount.str.strip_prefix("-")
        cents = digits.str.extract(r"^([0-9]+)", 1).cast(pl.Int64) * 100 + digits.str.extract(
            r"\.([0-9]+)$", 1
        ).str.pad_end(2, "0").cast(pl.Int64).fill_null(0)
        limit = self.lengths["external_id"]
        f = f.with_columns(
            pl.when(kind_fast).then(kind).otherwise(odd_kind).alias("kind_value"),
            kind_rule.alias("kind_rule"),
            pl.when(amount_fast)
            .then(pl.when(amount.str.starts_with("-")).then(-cents).otherwise(cents))
            .otherwise(odd_amount)
            .alias("cents"),
            amount_rule.alias("amount_rule"),
            pl.when(source_fast)
            .then(pl.when(pl.col("source") == "").then(None).otherwise(pl.col("source")))
            .otherwise(odd_source)
            .alias("source_value"),
            source_rule.alias("source_rule"),
            *(
                expr
                for name, (odd_day, day_rule) in days.items()
                for expr in (
                    pl.when(day_fast[name]).then(pl.col(name)).otherwise(odd_day).alias(f"{name}_value"),
                    day_rule.alias(f"{name}_rule"),
                )
            ),
            pl.when(pl.col("reverses") == "").then(None).otherwise(pl.col("reverses")).alias("reverses_value"),
        )
        f = f.with_columns(
            (
                pl.col("kind_value").is_not_null()
                & pl.col("cents").is_not_null()
                & pl.col("posted_value").is_not_null()
            ).alias("converted")
        )
        self._resolve(f.filter(pl.col("converted") & (pl.col("account") != "")).get_column("account").unique())
        f = f.join(self.account_ids, on="account", how="left", maintain_order="left")

        problems = [
            pl.DataFrame(
                {
                    "row": [row for row, _ in ragged],
                    "seq": [0] * len(ragged),
                    "column": [""] * len(ragged),
                    "value": [""] * len(ragged),
                    "rule": [f"has {fields} fields; the header has {width}" for _, fields in ragged],
                },
                schema=_PROBLEM_SCHEMA,
            )
        ]

        checks: list[tuple[int, pl.Expr, str, pl.Expr, pl.Expr | str]] = []

        def problem(seq: int, when: pl.Expr, column: str, value: pl.Expr, rule: pl.Expr | str) -> None:
            checks.append((seq, when, column, value, rule))

        def blank(name: str) -> pl.Expr:
            return pl.col(name).str.strip_chars(_WHITESPACE)

        # -- what the careful reading of a row reports, in its order
        ext, account = pl.col("ext"), pl.col("account")
        for seq, name in enumerate(nul_columns, start=-len(nul_columns)):
            problem(seq, pl.col(f"nul_{name}"), name, pl.lit(""), NUL_RULE)
        problem(1, ext.str.len_chars() > limit, "external_id", ext, f"is longer than {limit} characters")
        problem(2, ext == "", "external_id", pl.lit(""), "is required")
        problem(3, account.str.len_chars() > limit, "account", account, f"is longer than {limit} characters")
        problem(4, account == "", "account", pl.lit(""), "is required")
        problem(5, pl.col("kind_rule").is_not_null(), "kind", blank("kind"), pl.col("kind_rule"))
        problem(6, pl.col("amount_rule").is_not_null(), "amount", blank("amount"), pl.col("amount_rule"))
        for seq, name in enumerate(("posted", "due", "service"), start=7):
            problem(seq, pl.col(f"{name}_rule").is_not_null(), name, blank(name), pl.col(f"{name}_rule"))
        problem(10, pl.col("source_rule").is_not_null(), "source", blank("source"), pl.col("source_rule"))
        reverses = pl.col("reverses")
        problem(11, reverses.str.len_chars() > limit, "reverses", reverses, f"is longer than {limit} characters")
        described = self.lengths["description"]
        description = pl.col("description")
        problem(
            12,
            description.str.len_chars() > described,
            "description",
            description,
            f"is longer than {described} characters",
        )
        # -- the domain's rules (entry_problems), then duplicates and references, on the rows read
        converted = pl.col("converted")
        kind_value, cents = pl.col("kind_value"), pl.col("cents")
        due, service = pl.col("due_value"), pl.col("service_value")
        source, reversing = pl.col("source_value"), pl.col("reverses_value")
        adjustment, charge = kind_value == Kind.ADJUSTMENT.value, kind_value == Kind.CHARGE.value
        payment, reversal = kind_value == Kind.PAYMENT.value, kind_value == Kind.REVERSAL.value
        problem(13, converted & adjustment & (cents == 0), "amount", blank("amount"), "an adjustment must not be zero")
        problem(
            14,
            converted & ~adjustment & (cents <= 0),
            "amount",
            blank("amount"),
            pl.format("a {} amount must be greater than zero", kind_value),
        )
        problem(15, converted & charge & due.is_null(), "due", blank("due"), "a charge needs a due date")
        problem(
            16,
            converted & charge & due.is_not_null() & service.is_not_null() & (due < service),
            "due",
            blank("due"),
            "a charge cannot fall due before its service date",
        )
        problem(
            17,
            converted & payment & source.is_null(),
            "source",
            blank("source"),
            "a payment needs a source: guarantor or insurance",
        )
        problem(
            18, converted & ~payment & source.is_not_null(), "source", blank("source"), "only payments have a source"
        )
        problem(
            19,
            converted & reversal & reversing.is_null(),
            "reverses",
            reverses,
            "a reversal must name the payment it reverses",
        )
        problem(
            20,
            converted & ~reversal & reversing.is_not_null(),
            "reverses",
            reverses,
            "only a reversal reverses a payment",
        )
        # duplicates: against the first row of each external id, in this frame or an earlier one
        named = f.filter(converted & (ext != "")).select("row", "ext")
        firsts = named.unique(subset="ext", keep="first", maintain_order=True).select("ext", first="row")
        earlier = self.first_rows.filter(pl.col("ext").is_in(firsts.get_column("ext").implode()))
        firsts = pl.concat([earlier, firsts.join(earlier.select("ext"), on="ext", how="anti")])
        f = f.join(firsts, on="ext", how="left", maintain_order="left")
        problem(
            21,
            converted & (ext != "") & (pl.col("first") != pl.col("row")),
            "external_id",
            ext,
            pl.format("appears more than once in the file (first at row {})", pl.col("first")),
        )
        self.first_rows = pl.concat([self.first_rows, firsts.join(earlier.select("ext"), on="ext", how="anti")])
        problem(
            22,
            converted & (account != "") & pl.col("account_id").is_null(),
            "account",
            account,
            "is not a known account",
        )
        # amounts above the smallest portfolio maximum (usually none) are checked against their account's
        over = f.filter(converted & pl.col("account_id").is_not_null() & (cents.abs() > self.limits.floor))
        accounts = over.get_column("account_id").unique().to_list()
        self.limits.resolve(accounts)
        limits = {account_id: self.limits.of(account_id) for account_id in accounts}
        f = f.join(
            pl.DataFrame(
                {
                    "account_id": list(limits),
                    "maximum": [limit.maximum_cents for limit in limits.values()],
                    "limit_rule": [limit.rule for limit in limits.values()],
                },
                schema={"account_id": pl.Int64, "maximum": pl.Int64, "limit_rule": pl.String},
            ),
            on="account_id",
            how="left",
            maintain_order="left",
        )
        problem(23, converted & (cents.abs() > pl.col("maximum")), "amount", blank("amount"), pl.col("limit_rule"))

        # one pass finds the rows with a problem (usually none); only those are looked at rule by rule
        broken = f.filter(pl.any_horizontal(*(when.fill_null(False) for _, when, *_ in checks)))
        for seq, when, column, value, rule in checks if not broken.is_empty() else ():
            found = broken.filter(when).select(
                pl.col("row"),
                pl.lit(seq, dtype=pl.Int64).alias("seq"),
                pl.lit(column, dtype=pl.String).alias("column"),
                value.cast(pl.String).alias("value"),
                (pl.lit(rule, dtype=pl.String) if isinstance(rule, str) else rule).alias("rule"),
            )
            if not found.is_empty():
                problems.append(found)
        found = pl.concat(problems).sort("row", "seq")
        bad = self.bad
        for row, _seq, column, value, rule in found.iter_rows():
            bad(row, column, value, rule)
        self.payments.append(f.filter(converted & payment).select("ext", "row", "account", "cents", "posted_value"))
        self.reversals.append(
            f.filter(converted & reversal & reversing.is_not_null()).select(
                "row", "ext", "account", "cents", "posted_value", "reverses_value"
            )
        )
        if bad.report.problem_count:
            return None
        self.refunds.add(f.select("ext", "account_id", "row", kind="kind_value", cents="cents", posted="posted_value"))
        self.file_accounts.update(f.get_column("account_id").unique().to_list())
        return f.select(
            "row",
            "ext",
            "account_id",
            pl.col("kind_value").alias("kind"),
            pl.col("cents").alias("amount"),
            pl.col("posted_value").alias("posted"),
            pl.col("due_value").alias("due"),
            pl.col("service_value").alias("service"),
            pl.col("source_value").alias("source"),
            pl.col("reverses_value").alias("reverses"),
            "description",
        )

    def _lines(self, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Stored lines among ``external_ids``: id, kind, account external id, amount, posted, reversed by."""
        return _plain_values(lines_to_check(self.connection, external_ids))

    def finish_check(self) -> None:
        super().finish_check()
        for row, column, value, rule in self.refunds.problems(self.connection):
            self.bad(row, column, value, rule)
        self.first_rows = self.first_rows.clear()
        reversals = pl.concat(self.reversals) if self.reversals else pl.DataFrame()
        self.reversals.clear()
        payments = pl.concat(self.payments) if self.payments else pl.DataFrame()
        self.payments.clear()
        if reversals.is_empty():
            return
        targets = reversals.get_column("reverses_value").unique()
        self.targets = targets
        stored = self._lines(sorted(targets.to_list()))
        in_file = {
            ext: (row, account, amount, posted)
            for ext, row, account, amount, posted in payments.filter(pl.col("ext").is_in(targets.implode()))
            .unique(subset="ext", keep="last", maintain_order=True)
            .iter_rows()
        }
        reversed_in_file: dict[str, int] = {}
        bad = self.bad
        for row, ext, account, amount, posted, target in reversals.iter_rows():
            payment_row = 0
            if target in stored:
                _id, kind, paid_account, paid, paid_on, reversed_by = stored[target]
                if reversed_by is not None and reversed_by != ext:
                    bad(row, "reverses", target, f"the payment is already reversed (by {reversed_by})")
            elif target in in_file:
                payment_row, paid_account, paid, paid_on = in_file[target]
                kind = Kind.PAYMENT.value
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
            if posted < paid_on:
                bad(row, "posted", posted, f"is before the payment it reverses ({paid_on})")
            if payment_row > row:
                bad(row, "reverses", target, f"the payment must come before its reversal (it is at row {payment_row})")
            first = reversed_in_file.setdefault(target, row)
            if first != row:
                bad(row, "reverses", target, f"the payment is already reversed at row {first}")

    def existing(self, external_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """Stored lines, with the external id of the payment a reversal reverses in place of its line id."""
        return _plain_values(stored_lines(self.connection, self.fields[:7], external_ids))

    def find_new_accounts(self) -> None:
        """Before the write pass (while the ledger's indexes are there): which accounts of the file have no
        ledger line yet. Their summaries are computed from the lines written (:meth:`finish_write`)."""
        ids = sorted(self.file_accounts)
        old = accounts_with_lines(self.connection, ids)
        self.new_accounts = pl.Series("account_id", [i for i in ids if i not in old], dtype=pl.Int64)

    def write_frame(self, frame: pl.DataFrame, report: ImportReport, offset: int = 0) -> None:
        """Second pass over a frame of records (the spool's records ``offset + 1`` on): insert the new ones; count
        (and compare) the stored ones."""
        if frame.is_empty():
            return
        ext = frame.get_column("ext")
        stored = self.existing(ext.to_list())
        if stored:
            known = ext.is_in(list(stored))
            for record in frame.filter(known).iter_rows():
                self.unchanged(report, record, stored[record[1]])
            frame = frame.filter(~known)
        reversals = frame.filter(pl.col("reverses").is_not_null())
        names = ("external_id", *self.fields)
        if self.stage is not None and not stored:  # the whole frame is new: move it from the stage inside SQLite
            sources = [*self.record_columns[1:9], "NULL", "description"]
            self.stage.insert(LEDGER, names, sources, offset + 1, offset + frame.height)
        else:
            values = frame.select(*self.record_columns[1:9], pl.lit(None).alias("reverses"), "description")
            load_frame(self.connection, LEDGER, names, values)
        if not reversals.is_empty():
            # each reversal points at its payment by id: stored, or written just now (earlier in the file)
            link_reversals(self.connection, reversals.select(target="reverses", ext="ext").to_dicts())
        if self.new_accounts is not None and not self.new_accounts.is_empty():
            mine = frame.filter(pl.col("account_id").is_in(self.new_accounts.implode()))
            if not mine.is_empty():
                self.new_lines.append(
                    mine.select(
                        pl.col("account_id"),
                        pl.col("row"),
                        pl.col("kind").cast(_KIND_ENUM),
                        pl.col("amount"),
                        pl.col("posted").str.to_date("%Y-%m-%d"),
                        pl.col("due").str.to_date("%Y-%m-%d"),
                        pl.col("source").cast(_SOURCE_ENUM),
                    )
                )
                for row, target in mine.filter(pl.col("reverses").is_not_null()).select("row", "reverses").iter_rows():
                    self.new_reversals[row] = target
                if not self.targets.is_empty():
                    paid = mine.filter(pl.col("ext").is_in(self.targets.implode())).select("ext", "row")
                    self.new_payments.update(paid.iter_rows())
        self.touched.update(frame.get_column("account_id").unique().to_list())
        report.inserted += frame.height

    @contextmanager
    def summarizing(self) -> Iterator[None]:
        """While the block runs (the ledger's indexes are rebuilt): the summaries of the accounts that had no ledger
        line before this import, computed in a thread from the lines just written (their whole ledgers, in
        posting order: posted date, then row of the file, which is the order of their ids). Their portfolios,
        plans and claims are read first; the rows are stored by :meth:`finish_write`."""
        lines = pl.concat(self.new_lines, rechunk=False) if self.new_lines else None
        self.new_lines.clear()
        if lines is None or not self.touched:
            yield
            return
        # a reversal's seq is the row of its payment (a payment of the same account, so in these lines)
        paid_rows = {row: self.new_payments.get(target) for row, target in self.new_reversals.items()}
        unlinked = [row for row, paid in paid_rows.items() if paid is None]
        if unlinked:  # cannot be (validated); read those ledgers back rather than guess
            accounts = lines.filter(pl.col("row").is_in(unlinked)).get_column("account_id").unique()
            lines = lines.filter(~pl.col("account_id").is_in(accounts.implode()))
        in_memory = lines.get_column("account_id").unique().sort().to_list()
        self.read_back = sorted(self.touched - set(in_memory))
        if len(self.read_back) * 2 >= account_count(self.connection):
            yield  # most accounts read back: finish_write makes one ordered pass over all
            return
        known = [summaries.facts(self.connection, in_memory[at : at + 5000]) for at in range(0, len(in_memory), 5000)]
        paid = pl.DataFrame(
            {"row": list(paid_rows), "reverses": list(paid_rows.values())},
            schema={"row": pl.Int64, "reverses": pl.Int64},
        )
        with ThreadPoolExecutor(1, thread_name_prefix="arrears-summaries") as pool:
            computing = pool.submit(_summarize_new, lines, paid, known)
            del lines
            try:
                yield
            finally:
                self.summarized = computing.result()

    def finish_write(self, report: ImportReport, progress: ProgressCallback | None) -> None:
        """Bring the summaries of the touched accounts up to date: store those :meth:`summarizing` computed, and
        compute the others by reading their ledgers back."""
        if self.summarized is None:
            super().finish_write(report, progress)
            return
        started = time.perf_counter()
        connection = self.connection
        old = self.read_back
        count = len(old) + sum(len(rows) for _, rows in self.summarized)
        done = 0
        for start in range(0, len(old), 5000):
            batch = old[start : start + 5000]
            summaries.refresh(connection, batch)
            done += len(batch)
            if progress:
                progress("summaries", done, count)
        for columns, rows in self.summarized:
            upsert(connection, SUMMARIES, [dict(zip(columns, row, strict=True)) for row in rows], ["account_id"])
            done += len(rows)
            if progress:
                progress("summaries", done, count)
        self.summarized = None
        report.accounts_refreshed = count
        report.timings["summaries"] = time.perf_counter() - started


_LINE_COLUMNS = ("account_id", "row", "kind", "amount", "posted", "due", "source", "reverses")
"""The columns of the written lines :func:`_summarize_new` reads, in :func:`summaries.line_groups`' order."""


def _summarize_new(
    lines: pl.DataFrame, paid: pl.DataFrame, batches: list[summaries.Facts]
) -> list[tuple[list[str], list[tuple[Any, ...]]]]:
    """The summary rows (column names, then values) of each batch of accounts (their facts), from ``lines``, their
    whole ledgers (a line's seq is its row; ``paid``: the row of each reversal and of the payment it reverses).

    The lines are ordered by account once (an index: no copy of the frame); a thousand accounts' lines at a time
    are taken in posting order and turned into Python values."""
    order = lines.get_column("account_id").arg_sort()
    ids = lines.get_column("account_id").gather(order)
    now = datetime.now(UTC)
    out = []
    for known in batches:
        values: list[tuple[Any, ...]] = []
        for at in range(0, len(known.portfolios), 1000):
            some = summaries.Facts(known.portfolios[at : at + 1000], known.plans, known.claims)
            first = int(ids.search_sorted(some.portfolios[0][0], "left"))
            last = int(ids.search_sorted(some.portfolios[-1][0], "right"))
            part = (
                lines.select(pl.all().gather(order.slice(first, last - first)))
                .join(paid, on="row", how="left")
                .sort("account_id", "posted", "row")
            )
            columns = (part.get_column(name).to_list() for name in _LINE_COLUMNS)
            rows = summaries.summary_rows(some, dict(summaries.line_groups(zip(*columns, strict=True))), now)
            values.extend(tuple(row.values()) for row in rows)  # tuples: a third of the memory of dicts
        out.append((list(rows[0]), values))
    return out


class _Claims(_Importer):
    kind = ImportKind.CLAIMS
    table = CLAIMS
    fields = ("account_id", "payer", "billed_date", "amount_cents", "paid_cents", "status")
    labels = ("account", "payer", "billed", "amount", "paid", "status")
    amount_fields = ("amount_cents", "paid_cents")

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
    amount_fields = ("installment_cents",)

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
    lists_changes = True

    def __init__(self, connection: Connection, cells: _Cells, bad: _Sink, today: date) -> None:
        super().__init__(connection, cells, bad, today)
        self.created: list[tuple[int, str]] = []
        """(account id, external id) of every account this import inserted."""
        self.reopened: list[str] = []
        """External ids of the closed accounts this import set back to active (reopened as by hand)."""
        self.lengths.update(_lengths(PARTIES))
        self.lengths["phone"] = _lengths(PHONES)["number"]
        self.portfolios = portfolio_id_by_code(connection)

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
        return _plain_values(stored_accounts(self.connection, _PARTY_FIELDS, external_ids))

    def unchanged(self, report: ImportReport, record: Record, stored: tuple[Any, ...]) -> None:
        """A stored account: update the fields of the columns the file has whose value differs (the keyed
        upsert); a different portfolio is a conflict, left as stored."""
        changes = _account_changes(set(self.cells.position), self.labels, record[2:], stored, self.today)
        if "portfolio_id" in changes:
            changes.pop("portfolio_id")
            if len(report.conflicts) < self.bad.limit:
                report.conflicts.append(Conflict(record[0], record[1], ("portfolio",)))
        if not changes:
            report.unchanged += 1
            return
        report.updated += 1
        for name, (before, after) in changes.items():
            if len(report.updates) < self.bad.limit:
                report.updates.append(FieldUpdate(record[0], record[1], name, _plain(before), _plain(after)))
        if not self.dry_run:
            update_imported_accounts(self.connection, [(record[1], changes)], actor=self.actor,
                                     at=datetime.now(UTC))  # fmt: skip
            if changes.get("mode", ("", ""))[0] == Mode.CLOSED.value:
                self.reopened.append(record[1])

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows or self.dry_run:
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
        party_ids = add_parties(connection, party_rows)
        phones = [
            {"party_id": party_id, "number": values[20], "type": values[21]}
            for party_id, values in zip(party_ids, rows, strict=True)
            if values[20]
        ]
        add_phones(connection, phones)
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
        account_ids = add_accounts(connection, account_rows)
        self.created.extend(zip(account_ids, (values[0] for values in rows), strict=True))
        # A new account has no ledger, plan or claim: its summary is the empty one.
        empty = summaries.summary_values(0, 0, [], None, [])
        add_summaries(
            connection,
            [
                {**empty, "account_id": account_id, "portfolio_id": values[1]}
                for account_id, values in zip(account_ids, rows, strict=True)
            ],
        )


_COLUMN_OF_LABEL = {"portfolio": "portfolio_id", "opened": "opened_date"}
"""The stored column of a file's column, where their names differ."""
_DATED = frozenset({"opened", "dispute_date"})


def _account_changes(
    present: set[str], labels: Sequence[str], new: Sequence[Any], old: Sequence[Any], today: date
) -> dict[str, tuple[Any, Any]]:
    """Stored column → (before, after) of the fields of an account row that differ from what is stored, among
    the columns the file has; dates come back as dates. Closing by import dates the closure ``today``."""
    changes: dict[str, tuple[Any, Any]] = {}
    for label, after, before in zip(labels, new, old, strict=True):
        if label not in present or after == before:
            continue
        if label == "phone_type" and not (new[labels.index("phone")] or old[labels.index("phone")]):
            continue  # a type without a number is nothing to store
        if label in _DATED:
            before = date.fromisoformat(before) if before else None
            after = date.fromisoformat(after) if after else None
        changes[_COLUMN_OF_LABEL.get(label, label)] = (before, after)
    if "mode" in changes:
        closing = changes["mode"][1] == Mode.CLOSED.value
        changes["closed_date"] = (None, today) if closing else (today, None)
    return changes


_IMPORTERS: dict[ImportKind, type[_Importer]] = {
    ImportKind.ACCOUNTS: _Accounts,
    ImportKind.TRANSACTIONS: _Transactions,
    ImportKind.CLAIMS: _Claims,
    ImportKind.PLANS: _Plans,
}


def _spool(spool: IO[bytes], frame: pl.DataFrame) -> None:
    """Append ``frame`` to the spool file (Arrow IPC, length first)."""
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    data = buffer.getbuffer()
    spool.write(len(data).to_bytes(8, "little"))
    spool.write(data)


def _spooled_frames(spool: IO[bytes], chunks: int) -> Iterator[pl.DataFrame]:
    """The ``chunks`` frames :func:`_spool` wrote, from the start of the spool (left at its start again)."""
    spool.seek(0)
    for _ in range(chunks):
        yield pl.read_ipc(io.BytesIO(spool.read(int.from_bytes(spool.read(8), "little"))))
    spool.seek(0)


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
    today: date | None = None,
    actor: str = "import",
    plan: str | None = None,
    plan_user: str | None = None,
    at: datetime | None = None,
    plan_start: date | None = None,
) -> ImportReport:
    """Validate the CSV file at ``path`` whole, then (unless ``dry_run``) write it in one transaction.

    With ``plan`` (accounts only), the contact plan runs on each account the import creates, in the same
    transaction (the engine's ``Imported`` fact, keyed by the account's import row, so a replayed file runs
    nothing twice), on ``today`` at the moment ``at`` (default: now); ``plan_user`` is its current operator and
    must be allowed to run it; ``plan_start`` is the start date of a plan that prompts for one (required for such a
    plan, refused for another). A plan that is unknown, a sub-plan, one whose start date is missing or not wanted or
    one the user may not run is refused before anything is read; a plan that fails on an account rejects the import.

    Imported transactions make happen what they make happen when they post, in the import's transaction
    (:func:`arrears.services.posting_effects.after_import`: promises judged, milestones settled, linked plans run;
    ``report.effects``).

    Bad rows are not exceptions: they come back as ``report.problems`` (the first ``max_problems``; all
    are counted) and nothing is written. ``chunk_size`` is the rows per chunk read and written (for
    transactions: blocks of ``chunk_size * FRAME_BYTES_PER_ROW`` bytes of the file). Rows whose external
    id is already stored are skipped (``unchanged``; also listed in ``conflicts`` when their content
    differs) — except accounts, whose changed fields are updated and audited in ``actor``'s name (a dry run
    lists them in ``report.updates``). Dates must fall between 1900-01-01 and five years after ``today``
    (default: the clock's).

    A file that is not UTF-8 is refused whole with one problem: the line and column of its first bad byte.
    """
    kind = ImportKind(kind)
    path = Path(path)
    run = None
    if plan is None and plan_start is not None:
        raise ValidationFailed([Problem("--start-date", "is the start date of the plan --plan runs: give --plan")])
    if plan is not None:
        if kind is not ImportKind.ACCOUNTS:
            raise ValidationFailed([Problem("--plan", "runs a contact plan on new accounts: import accounts only")])
        strategy = load_strategy(db)
        chosen = runnable_plan(strategy, plan, plan_user)
        check_start_date(chosen, plan_start)
        run = _PlanOnImport(strategy, chosen, plan_user or "", at or datetime.now(UTC), plan_start)
    options = (progress, dry_run, chunk_size, max_problems, today or date.today(), actor, run)
    block_bytes = chunk_size * FRAME_BYTES_PER_ROW
    try:
        while True:
            try:
                return _import(db, kind, path, block_bytes, *options)
            except BlockTooSmall:  # a row longer than a block; validation wrote nothing, so read again
                if block_bytes >= path.stat().st_size:
                    raise
                block_bytes *= 16
    except UnicodeDecodeError:  # the transaction rolled back: nothing is written
        report = ImportReport(kind, str(path), dry_run=dry_run)
        row, column, rule = _first_bad_byte(path)
        _Sink(report, max_problems)(row, column, "", rule)
        return report


@dataclass(frozen=True, slots=True)
class _PlanOnImport:
    """The contact plan an accounts import runs on each new account."""

    strategy: Strategy
    plan: Plan
    user: str
    at: datetime
    start_date: date | None = None


def _first_bad_byte(path: Path) -> tuple[int, str, str]:
    """``(line, column, rule)`` of the first byte of ``path`` that is not UTF-8.

    The column is found by counting the commas before the byte on its line (outside quotes); a quoted field
    that spans lines makes the line number run ahead of the row's, so the rule names the line.
    """
    header: list[str] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                text = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                before = line[: error.start]
                quoted = False
                fields = 0
                for byte in before:
                    if byte == ord('"'):
                        quoted = not quoted
                    elif byte == ord(",") and not quoted:
                        fields += 1
                column = header[fields] if fields < len(header) else f"field {fields + 1}"
                byte = line[error.start]
                rule = (
                    f"is not UTF-8 text (byte 0x{byte:02X} at line {number}, byte {len(before) + 1} of the line); "
                    "save the file as UTF-8 (Latin-1 and Windows-1252 files are not read)"
                )
                return number, column, rule
            if number == 1:
                header = [name.strip().lower() for name in next(csv.reader([text]), [])]
    return 1, "", "is not UTF-8 text; save the file as UTF-8"


def _import(
    db: Database,
    kind: ImportKind,
    path: Path,
    block_bytes: int,
    progress: ProgressCallback | None,
    dry_run: bool,
    chunk_size: int,
    max_problems: int,
    today: date,
    actor: str,
    run: _PlanOnImport | None,
) -> ImportReport:
    """:func:`import_file` of a file that is UTF-8 (a decoding error escapes as the exception), transactions read
    ``block_bytes`` of the file at a time (a longer row escapes as :class:`BlockTooSmall`)."""
    report = ImportReport(kind, str(path), dry_run=dry_run)
    bad = _Sink(report, max_problems)
    framed = kind is ImportKind.TRANSACTIONS
    reader: _Reader | ArrowFrames = ArrowFrames(path, block_bytes) if framed else _Reader(path)
    with reader, tempfile.TemporaryFile() as spool, collector_paused():
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
            importer = _IMPORTERS[kind](connection, cells, bad, today)
            importer.dry_run, importer.actor = dry_run, actor
            spooling = not dry_run or importer.lists_changes
            started = time.perf_counter()
            chunks = 0
            if isinstance(reader, ArrowFrames):
                assert isinstance(importer, _Transactions)
                names = [name.strip().lower() for name in reader.header]
                for frame, ragged in reader.frames(names):
                    records = importer.check_frame(frame, ragged)
                    report.rows += frame.height + len(ragged)
                    if records is not None and report.ok and not dry_run:
                        _spool(spool, records)
                        chunks += 1
                    if progress:
                        progress("validate", reader.position(), reader.size)
            else:
                for chunk in reader.chunks(chunk_size):
                    checked = importer.check(chunk)
                    report.rows += len(chunk)
                    if report.ok and spooling:
                        data = marshal.dumps(checked)
                        spool.write(len(data).to_bytes(8, "little"))
                        spool.write(data)
                        chunks += 1
                    if progress:
                        progress("validate", reader.position(), reader.size)
            importer.finish_check()
            report.timings["validate"] = time.perf_counter() - started
            if not report.ok or not spooling:
                return report

            started = time.perf_counter()
            recreate = []
            sqlite = connection.dialect.name == "sqlite"
            stage = (
                staged(connection, _spooled_frames(spool, chunks))
                if isinstance(importer, _Transactions) and can_stage(connection)
                else nullcontext(None)
            )
            with stage as staged_rows:
                if sqlite:
                    begin_writing(connection)
                if isinstance(importer, _Transactions):
                    importer.stage = staged_rows
                    before = highest_id(connection, "ledger_line")  # the lines above it are this import's
                    importer.find_new_accounts()  # while the ledger's account index is there
                    if report.rows > highest_id(connection, "ledger_line"):
                        recreate = drop_secondary_indexes(connection, LEDGER)
                with sqlite_cache(connection, SQLITE_CACHE_KIB if sqlite else 0):
                    spool.seek(0)
                    written = 0
                    for _ in range(chunks):
                        data = spool.read(int.from_bytes(spool.read(8), "little"))
                        if isinstance(importer, _Transactions):
                            frame = pl.read_ipc(io.BytesIO(data))
                            importer.write_frame(frame, report, written)
                            written += frame.height
                        else:
                            records = marshal.loads(data)
                            importer.write(records, report)
                            written += len(records)
                        if progress:
                            progress("write", written, report.rows)
                    with importer.summarizing(), sqlite_cache(connection, SQLITE_INDEX_CACHE_KIB if sqlite else 0):
                        recreate_indexes(connection, recreate)
                    report.timings["write"] = time.perf_counter() - started
                    importer.finish_write(report, progress)
                if isinstance(importer, _Transactions):  # promises, milestones and linked plans, as they post
                    started = time.perf_counter()
                    report.effects = after_import(connection, load_strategy(uow.session), importer.touched, before)
                    report.timings["effects"] = time.perf_counter() - started
                if isinstance(importer, _Accounts) and importer.reopened:  # as `arrears accounts reopen` does
                    report.reopened = reopen_imported(uow.session, importer.reopened, today, actor=actor)
                if run is not None and isinstance(importer, _Accounts) and not dry_run:
                    ran = run_on_imported(connection, run.strategy, run.plan, importer.created, on=today,
                                          at=run.at, user=run.user, start_date=run.start_date)  # fmt: skip
                    if ran.errors:  # all or nothing: the accounts are not imported without their plan
                        raise ValidationFailed(ran.errors)
                    report.plan = ran
                if not dry_run:
                    uow.commit()
    return report
