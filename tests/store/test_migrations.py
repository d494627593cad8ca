"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from arrears.store.db import Database
from arrears.store.models import Base


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_enterprise_is_the_root_portfolio(db: Database) -> None:
    from sqlalchemy import select

    from arrears.store.models import PortfolioRow

    with db.session() as session:
        rows = session.execute(select(PortfolioRow.code, PortfolioRow.parent_id)).all()
    assert rows == [("ENTERPRISE", None)]
