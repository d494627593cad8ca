"""Bulk writes give the state one statement per row gives, on SQLite (executemany) and PostgreSQL (COPY into a
staging table, then one statement per round)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from arrears.store.bulk import insert_ignore, update_many, upsert
from arrears.store.db import Database
from arrears.store.models import NoteRow, PortfolioRow
from arrears.store.run_writer import ACCOUNTS
from tests.services.run_scenarios import portfolios, world

NOTES = NoteRow.__table__
PORTFOLIOS = PortfolioRow.__table__


def _note(key: str, text: str, on: date, account: int) -> dict[str, object]:
    return {"key": key, "account_id": account, "on": on, "scope": "account", "note_type": "collections", "text": text,
            "author": "arrears"}  # fmt: skip


def test_insert_ignore_keeps_the_first_of_a_key_and_the_order_of_the_rows(db: Database) -> None:
    portfolios(db)
    ann = world(db, "ann Irving NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")["ann"]
    day = date(2026, 3, 1)
    with db.engine.begin() as connection:
        rows = [_note("b", "second", day, ann), _note("a", "first", day, ann), _note("b", "again", day, ann)]
        insert_ignore(connection, NOTES, rows, ["key"])
    with db.engine.begin() as connection:  # a second call in another transaction: only the new key
        insert_ignore(connection, NOTES, [_note("a", "later", day, ann), _note("c", "third", date(2026, 3, 2), ann)],
                      ["key"])  # fmt: skip
        rows = connection.execute(select(NoteRow.key, NoteRow.text, NoteRow.on).order_by(NoteRow.id)).all()
    assert [tuple(row) for row in rows] == [
        ("b", "second", date(2026, 3, 1)),
        ("a", "first", date(2026, 3, 1)),
        ("c", "third", date(2026, 3, 2)),
    ]


def test_upsert_of_a_key_twice_in_one_call_leaves_the_last_row(db: Database) -> None:
    with db.engine.begin() as connection:
        rows = [{"code": "X", "name": "one"}, {"code": "Y", "name": "why"}, {"code": "X", "name": "two"}]
        upsert(connection, PORTFOLIOS, rows, ["code"])
        names = dict(connection.execute(select(PortfolioRow.code, PortfolioRow.name)).all())
    assert (names["X"], names["Y"]) == ("two", "why")


def test_update_many_applies_the_rows_in_order_when_one_row_is_picked_twice(db: Database) -> None:
    portfolios(db)
    ids = world(db, "ann Irving NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    account = ids["ann"]
    sql = "UPDATE account SET status_code = status_code || {}, closed_date = {} WHERE id = {}"
    with db.engine.begin() as connection:
        update_many(
            connection,
            ACCOUNTS,
            sql,
            ["status_code", "closed_date", "id"],
            [("A", date(2026, 3, 1), account), ("B", None, account), ("C", date(2026, 3, 3), account)],
        )
        row = connection.execute(ACCOUNTS.select().where(ACCOUNTS.c.id == account)).one()
    assert (row.status_code, row.closed_date) == ("ABC", date(2026, 3, 3))
