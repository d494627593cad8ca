"""Fixtures: the same store tests run on SQLite and on PostgreSQL.

PostgreSQL comes from ``ARREARS_TEST_POSTGRES_URL`` (default: the local server, database ``test``).
Without a reachable server those tests skip with the reason; under ``CI=true`` they fail instead.
Each pytest-xdist worker gets a schema of its own, so workers never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from arrears.domain.model import ENTERPRISE
from arrears.store.db import Database, make_engine, sqlite_url
from arrears.store.migrate import upgrade
from arrears.store.tables import metadata

POSTGRES_URL = os.environ.get("ARREARS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session", autouse=True)
def strategy_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The cache directory of the stored strategy (arrears.services.stored_strategy): one per test session, so
    that the tests and the commands they start keep their strategies there and not in the user's cache."""
    directory = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("ARREARS_CACHE_DIR")
    os.environ["ARREARS_CACHE_DIR"] = str(directory)
    yield directory
    if previous is None:
        del os.environ["ARREARS_CACHE_DIR"]
    else:
        os.environ["ARREARS_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "arrears.db"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """An engine on this worker's own, freshly migrated PostgreSQL schema."""
    schema = f"arrears_test_{_worker()}_{os.getpid()}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # any failure to reach the server means the same thing here
        admin.dispose()
        reason = f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(reason)
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _reset_postgres(engine: Engine) -> None:
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(
            text("INSERT INTO portfolio (code, name) VALUES (:code, 'Enterprise')"), {"code": ENTERPRISE}
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database: SQLite file, then PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "arrears.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(make_engine(sqlite_url(path)))
    else:
        engine = request.getfixturevalue("postgres_engine")
        _reset_postgres(engine)
        database = Database(engine)
    yield database
    if request.param == "sqlite":
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """An empty, migrated SQLite database, for tests about SQLite itself or the CLI."""
    path = tmp_path / "arrears.db"
    shutil.copy(sqlite_template, path)
    database = Database(make_engine(sqlite_url(path)))
    yield database
    database.dispose()
