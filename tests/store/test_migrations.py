"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from arrears.store.db import Database
from arrears.store.tables import metadata


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_the_enterprise_is_the_root_portfolio(db: Database) -> None:
    from sqlalchemy import select

    from arrears.store.models import PortfolioRow

    with db.session() as session:
        rows = session.execute(select(PortfolioRow.code, PortfolioRow.parent_id)).all()
    assert rows == [("ENTERPRISE", None)]


def test_the_revisions_read_from_the_migration_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from arrears.store.migrate import MIGRATIONS, head_revision, is_known, revisions

    script = ScriptDirectory(str(MIGRATIONS))
    assert revisions() == {rev.revision: rev.down_revision for rev in script.walk_revisions()}
    assert head_revision() == script.get_current_head()
    assert is_known("0001") and is_known(head_revision()) and not is_known("9999")


def test_the_stored_revision_is_read_as_alembic_reads_it(db: Database) -> None:
    from arrears.store.migrate import current_revision, head_revision

    with db.engine.connect() as connection:
        assert current_revision(db.engine) == MigrationContext.configure(connection).get_current_revision()
    assert current_revision(db.engine) == head_revision()
    empty = Database.connect("sqlite://", migrate=False)
    assert current_revision(empty.engine) is None
