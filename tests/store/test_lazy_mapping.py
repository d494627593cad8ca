"""The row classes are mapped onto the Core tables the first time one is used, not when they are imported: a
command that only reads queries the tables and never loads the ORM. Each check runs in a fresh interpreter (the
test process has mapped them already)."""

from __future__ import annotations

import subprocess
import sys

from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.store.db import Database
from tests.api.conftest import SAVED
from tests.services.run_scenarios import portfolios, world


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_importing_the_row_classes_loads_no_orm_until_one_is_used() -> None:
    printed = _run(
        "import sys\n"
        "from arrears.store.models import AccountRow, PartyRow\n"
        "from arrears.store import tables\n"
        "print('sqlalchemy.orm' in sys.modules, AccountRow.__table__ is tables.account)\n"
        "column = AccountRow.external_id\n"  # a column read off a class maps them all
        "print('sqlalchemy.orm' in sys.modules, column.property.columns[0] is tables.account.c.external_id)\n"
        "print(PartyRow.phones.property.mapper.class_.__name__)\n"
    )
    assert printed.splitlines() == ["False True", "True True", "PhoneRow"]


def test_a_row_made_first_is_mapped_and_takes_only_its_columns() -> None:
    printed = _run(
        "from arrears.store.models import NoteRow\n"
        "from sqlalchemy import inspect\n"
        "note = NoteRow(account_id=1, text='called')\n"
        "print(inspect(note).transient, note.text)\n"
        "try:\n"
        "    NoteRow(colour='blue')\n"
        "except TypeError as error:\n"
        "    print(error)\n"
    )
    assert printed.splitlines() == ["True called", "'colour' is an invalid keyword argument for NoteRow"]


def test_a_statement_naming_a_class_first_maps_them() -> None:
    printed = _run(
        "from sqlalchemy import insert, select\n"
        "from arrears.store.models import CollectionsCaseRow, PortfolioRow\n"
        "print(insert(CollectionsCaseRow).table.name)\n"
        "print(select(PortfolioRow).selected_columns.keys()[:2])\n"
    )
    assert printed.splitlines() == ["collections_case", "['id', 'code']"]


def test_threads_using_the_rows_at_once_each_find_them_mapped() -> None:
    printed = _run(
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from arrears.store.models import AccountRow, NoteRow\n"
        "def use(i):\n"
        "    return str(AccountRow.external_id) if i % 2 else type(NoteRow(text='x')).__name__\n"
        "with ThreadPoolExecutor(8) as pool:\n"
        "    print(sorted(set(pool.map(use, range(32)))))\n"
    )
    assert printed == "['AccountRow.external_id', 'NoteRow']"


def test_each_row_class_types_exactly_its_tables_columns_with_their_nullability() -> None:
    from sqlalchemy import inspect

    from arrears.store.models import ROWS, map_rows

    map_rows()
    for row in ROWS:
        relationships = set(inspect(row).relationships.keys())
        annotations = {name: text for name, text in row.__annotations__.items() if name not in relationships}
        table = row.__table__
        assert set(annotations) == set(table.c.keys()), row.__name__
        for name, text in annotations.items():
            column = table.c[name]
            optional = text.endswith("| None]")
            assert optional == (column.nullable and not column.primary_key), f"{row.__name__}.{name}: {text}"


def test_a_daily_run_loads_no_orm(sqlite_db: Database) -> None:
    """Each worker process of a run would otherwise map every row class (about 0.2 s of CPU apiece)."""
    portfolios(sqlite_db)
    world(sqlite_db, "evans Evans NORTH\n    2025-11-01 charge 500.00 due 2025-11-15\n")
    assert apply_document(sqlite_db, dump_strategy(SAVED), actor="admin", confirm=True).errors == ()
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    printed = _run(
        "import sys\n"
        "from datetime import date\n"
        "from arrears.services.run import run_day\n"
        "from arrears.store.db import Database\n"
        f"result = run_day(Database.connect({url!r}, migrate=False), date(2026, 2, 20), workers=1)\n"
        "print(result.counts['entered'], result.counts['activities.phone_call'], 'sqlalchemy.orm' in sys.modules)\n"
    )
    assert printed == "1 2 False"
