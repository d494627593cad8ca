"""Repository of print batches: the letters queued on a day, and marking them printed.

A batch is every letter (channel ``letter``) the daily run queued on one day, of one portfolio or all. Printing
it records, per letter, the day, the page count and the PDF; one collection note; and the printed outcome on
the activity that queued it. Every write is keyed or guarded by the letter's status, so marking the same batch
twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, case, func, select, update

from arrears.domain.cases import ActivityEvent, ActivityStatus, activity_sources
from arrears.store import tables
from arrears.store.bulk import insert_ignore
from arrears.store.models import PortfolioRow

LETTER_CHANNEL = "letter"
QUEUED, PRINTED = "queued", "printed"


@dataclass(frozen=True, slots=True)
class BatchLetter:
    """One letter of a batch as stored."""

    id: int
    key: str
    account_id: int
    external_id: str
    portfolio_code: str
    template: str
    queued_on: date
    status: str
    merge_data: str
    addressee: str
    pdf: bytes | None
    pages: int | None


@dataclass(frozen=True, slots=True)
class PrintedLetter:
    """What printing one letter produced."""

    letter: BatchLetter
    pdf: bytes
    sha256: str
    pages: int
    note: str


def latest_batch_day(connection: Connection, portfolio: str | None) -> date | None:
    """The most recent day letters were queued on (of ``portfolio``, when given), or None."""
    query = select(func.max(tables.letter.c.queued_on)).where(tables.letter.c.channel == LETTER_CHANNEL)
    if portfolio is not None:
        query = query.join(tables.account, tables.account.c.id == tables.letter.c.account_id).join(
            PortfolioRow, tables.portfolio.c.id == tables.account.c.portfolio_id
        ).where(tables.portfolio.c.code == portfolio)  # fmt: skip
    day: date | None = connection.scalar(query)
    return day


def batch_days(
    connection: Connection, portfolios: Sequence[str] | None, limit: int
) -> list[tuple[date, str, int, int]]:
    """(day, portfolio, queued, printed) of the latest ``limit`` days letters were queued on, per portfolio (of
    ``portfolios`` only, when given), newest first."""
    printed = func.sum(case((tables.letter.c.status == PRINTED, 1), else_=0))
    query = (
        select(tables.letter.c.queued_on, tables.portfolio.c.code, func.count(), printed)
        .join(tables.account, tables.account.c.id == tables.letter.c.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .where(tables.letter.c.channel == LETTER_CHANNEL)
        .group_by(tables.letter.c.queued_on, tables.portfolio.c.code)
        .order_by(tables.letter.c.queued_on.desc(), tables.portfolio.c.code)
        .limit(limit)
    )  # fmt: skip
    if portfolios is not None:
        query = query.where(tables.portfolio.c.code.in_(sorted(portfolios)))
    return [(day, str(code), int(count), int(done or 0)) for day, code, count, done in connection.execute(query)]


def portfolio_exists(connection: Connection, code: str) -> bool:
    """Whether a portfolio ``code`` exists."""
    return connection.scalar(select(tables.portfolio.c.id).where(tables.portfolio.c.code == code)) is not None


def batch_size(connection: Connection, on: date, portfolio: str | None) -> int:
    """How many letters were queued on ``on`` (of ``portfolio``, when given), printed or not."""
    query = select(func.count()).select_from(tables.letter).where(tables.letter.c.channel == LETTER_CHANNEL,
                                                              tables.letter.c.queued_on == on)  # fmt: skip
    if portfolio is not None:
        query = query.join(tables.account, tables.account.c.id == tables.letter.c.account_id).join(
            PortfolioRow, tables.portfolio.c.id == tables.account.c.portfolio_id
        ).where(tables.portfolio.c.code == portfolio)  # fmt: skip
    return int(connection.scalar(query) or 0)


def batch_letters(connection: Connection, on: date, portfolio: str | None) -> list[BatchLetter]:
    """Every letter queued on ``on`` (of ``portfolio``, when given), printed or not, by id."""
    letter = tables.letter.c
    query = (
        select(
            letter.id, letter.key, letter.account_id, tables.account.c.external_id,
            tables.portfolio.c.code.label("portfolio_code"), letter.template, letter.queued_on, letter.status,
            letter.merge_data, letter.addressee, letter.pdf, letter.pages,
        )
        .join(tables.account, tables.account.c.id == letter.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .where(letter.channel == LETTER_CHANNEL, letter.queued_on == on)
        .order_by(letter.id)
    )  # fmt: skip
    if portfolio is not None:
        query = query.where(tables.portfolio.c.code == portfolio)
    return [BatchLetter(**row._mapping) for row in connection.execute(query)]


def activity_key(letter_key: str) -> str:
    """The key of the activity that queued a letter: the letter's key is ``letter:`` and that key."""
    return letter_key.removeprefix(f"{LETTER_CHANNEL}:")


def mark_printed(connection: Connection, printed: Sequence[PrintedLetter], on: date, author: str) -> int:
    """Record ``printed`` letters as printed on ``on`` in the caller's transaction: the letter's PDF, pages and
    day, one collection note each, and the ``printed`` outcome on the activity that queued it (an activity
    still open is completed). Letters printed before are left as they are. Returns how many were newly marked."""
    fresh = [item for item in printed if item.letter.status == QUEUED]
    marked = 0
    for item in fresh:
        result = connection.execute(
            update(tables.letter)
            .where(tables.letter.c.id == item.letter.id, tables.letter.c.status == QUEUED)
            .values(status=PRINTED, printed_on=on, pages=item.pages, pdf=item.pdf, pdf_sha256=item.sha256)
        )
        marked += result.rowcount
    insert_ignore(connection, tables.note, [
        {"key": f"printed:{item.letter.key}", "account_id": item.letter.account_id, "on": on,
         "scope": "collection_action", "note_type": "collections", "text": item.note, "author": author}
        for item in fresh
    ], ["key"])  # fmt: skip
    keys = [activity_key(item.letter.key) for item in fresh]
    if keys:
        completable = sorted(status.value for status in activity_sources(ActivityEvent.COMPLETE))
        connection.execute(
            update(tables.activity)
            .where(tables.activity.c.key.in_(keys), tables.activity.c.status.in_(completable))
            .values(status=ActivityStatus.DONE.value, done_on=on)
        )
        connection.execute(
            update(tables.activity)
            .where(tables.activity.c.key.in_(keys), tables.activity.c.outcome.is_(None))
            .values(outcome=PRINTED)
        )
    return marked
