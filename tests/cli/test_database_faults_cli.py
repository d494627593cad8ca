"""The database and the machine under it fail as an operator sees it: one line that says what to do, exit
code 3, nothing written, and the same command succeeds once the cause is fixed.

The commands run through ``arrears``' own entry point (``main``), as a shell runs them. Faults a test cannot
cause for real on this machine (it runs as root, so a file's mode does not stop a write; the disk is not
full) are injected at the SQLite driver: ``PRAGMA query_only`` refuses writes exactly as a read-only file
does, ``PRAGMA max_page_count`` refuses growth exactly as a full disk does.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from arrears.cli import main
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.services.accounts import Posting, open_account, post_transaction
from arrears.store import db as store_db
from arrears.store.db import Database, make_engine, sqlite_url
from arrears.store.migrate import current_revision, head_revision, upgrade
from tests.notation import d

HEAD = head_revision()
ACCOUNTS = "external_id,portfolio,first_name,last_name\n" + "".join(
    f"A-{number},ENTERPRISE,Ann,Smith\n" for number in range(1, 2001)
)
AGAIN = "nothing was written; run the command again once that is fixed"


def arrears(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run ``arrears ARGS`` through the entry point; its exit code and what it printed on stderr."""
    capsys.readouterr()
    argv = sys.argv
    sys.argv = ["arrears", *args]
    try:
        main()
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    finally:
        sys.argv = argv
    return code, capsys.readouterr().err


def accounts(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM account").fetchone()[0])
    finally:
        connection.close()


def revision(path: Path) -> str | None:
    engine = make_engine(sqlite_url(path))
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def driver_pragma(monkeypatch: pytest.MonkeyPatch, pragma: Callable[[Any], str]) -> None:
    """Every SQLite connection the command opens also runs ``pragma(connection)``."""
    original = store_db._sqlite_pragmas

    def pragmas(dbapi_connection: Any, record: Any) -> None:
        original(dbapi_connection, record)
        dbapi_connection.execute(pragma(dbapi_connection))

    monkeypatch.setattr(store_db, "_sqlite_pragmas", pragmas)


@pytest.fixture
def path(sqlite_db: Database) -> Path:
    return Path(sqlite_db.engine.url.database or "")


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    file = tmp_path / "accounts.csv"
    file.write_text(ACCOUNTS)
    return file


def test_a_newer_schema_says_upgrade_arrears_and_is_left_alone(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    for command in (["accounts", "list"], ["migrate", "--backup"], ["init"]):
        assert arrears(capsys, *command, "--db", sqlite_url(path)) == (
            3,
            "error this database was written by a newer Arrears (revision 0099); upgrade Arrears\n",
        )
    assert revision(path) == "0099"


def test_an_older_schema_is_migrated_only_by_migrate_which_backs_the_file_up_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, csv: Path
) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(sqlite_url(path))
    upgrade(engine, "0007")
    engine.dispose()
    url = sqlite_url(path)
    older = (
        f"error this database's schema is at revision 0007, older than this Arrears ({HEAD}): run `arrears migrate`"
        " (it offers a backup of a SQLite file first)\n"
    )
    assert arrears(capsys, "accounts", "list", "--db", url) == (3, older)
    assert arrears(capsys, "import", "accounts", str(csv), "--dry-run", "--db", url) == (3, older)
    assert revision(path) == "0007"

    assert arrears(capsys, "migrate", "--backup", "--db", url)[0] == 0
    (backup,) = tmp_path.glob(f"old.db.before-{HEAD}-*.bak")
    assert (revision(backup), revision(path)) == ("0007", HEAD)
    assert arrears(capsys, "import", "accounts", str(csv), "-q", "--db", url)[0] == 0
    assert accounts(path) == 2000
    assert arrears(capsys, "migrate", "--no-backup", "--db", url)[0] == 0  # already there: nothing to do
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_a_missing_file_a_closed_port_and_urls_of_other_databases(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "none.db"
    assert arrears(capsys, "accounts", "list", "--db", sqlite_url(missing)) == (
        3,
        f"error no database at {missing}: create it with `arrears init`, or name another with --db\n",
    )
    assert not missing.exists()  # a read-only command creates no empty database
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    for scheme in ("postgresql", "postgres"):  # postgres:// is read as postgresql://
        code, error = arrears(capsys, "accounts", "list", "--db", f"{scheme}://arrears@127.0.0.1:{port}/arrears")
        assert (code, error) == (
            3,
            f'error cannot reach the database server (connection to server at "127.0.0.1", port {port} failed:'
            " Connection refused): start it, or check --db or ARREARS_DATABASE_URL\n",
        )
    for url in ("mysql://arrears@localhost/arrears", "mysql+pymysql://arrears@localhost/arrears"):
        code, error = arrears(capsys, "accounts", "list", "--db", url)
        assert (code, error.count("\n")) == (3, 1)
        assert "is not a database Arrears works with: use --db FILE (a SQLite file), sqlite:///FILE or" in error
    assert arrears(capsys, "init", "--db", sqlite_url(missing))[0] == 0
    assert revision(missing) == HEAD


def test_a_plain_path_names_a_sqlite_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert arrears(capsys, "accounts", "list", "--db", "office.db") == (
        3,
        "error no database at office.db: create it with `arrears init`, or name another with --db\n",
    )
    assert arrears(capsys, "init", "--db", "office.db")[0] == 0  # relative to the working folder
    assert revision(tmp_path / "office.db") == HEAD
    assert arrears(capsys, "accounts", "list", "--db", str(tmp_path / "office.db"))[0] == 0  # an absolute path
    assert arrears(capsys, "accounts", "list", "--db", "~/office.db")[0] == 0  # ~ is the home folder
    monkeypatch.setenv("ARREARS_DATABASE_URL", "office.db")  # the environment takes a path too
    assert arrears(capsys, "accounts", "list")[0] == 0


@pytest.mark.postgres
def test_a_missing_postgresql_database(capsys: pytest.CaptureFixture[str], postgres_engine: Any) -> None:
    url = postgres_engine.url.set(database="arrears_no_such_database").render_as_string(hide_password=False)
    code, error = arrears(capsys, "accounts", "list", "--db", url)
    assert code == 3
    assert error.startswith("error the database does not exist (connection to server at")
    assert error.endswith('database "arrears_no_such_database" does not exist): create it (createdb NAME), then run'
                          " `arrears init`\n")  # fmt: skip


def test_a_read_only_database_refuses_the_import_then_the_same_command_resumes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, path: Path, csv: Path
) -> None:
    with monkeypatch.context() as patch:
        driver_pragma(patch, lambda _: "PRAGMA query_only = ON")
        code, error = arrears(capsys, "import", "accounts", str(csv), "-q", "--db", sqlite_url(path))
    assert (code, error) == (
        3,
        "error the database file is read-only: make the file and its folder writable, or use a copy (attempt to"
        f" write a readonly database); {AGAIN}\n",
    )
    assert accounts(path) == 0
    assert arrears(capsys, "import", "accounts", str(csv), "-q", "--db", sqlite_url(path))[0] == 0
    assert accounts(path) == 2000


def test_a_database_locked_past_the_busy_timeout_then_the_same_command_resumes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, path: Path, csv: Path
) -> None:
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing (an import, a run)
    try:
        code, error = arrears(capsys, "import", "accounts", str(csv), "-q", "--db", sqlite_url(path))
    finally:
        holder.rollback()
        holder.close()
    assert (code, error) == (
        3,
        "error the database is locked by another process for longer than the busy timeout: wait for it to finish"
        f" (a running `arrears run` or import?) (database is locked); {AGAIN}\n",
    )
    assert accounts(path) == 0
    assert arrears(capsys, "import", "accounts", str(csv), "-q", "--db", sqlite_url(path))[0] == 0
    assert accounts(path) == 2000


def test_a_full_disk_during_an_import_then_the_same_command_resumes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, path: Path, csv: Path
) -> None:
    def no_growth(connection: Any) -> str:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        return f"PRAGMA max_page_count = {pages}"

    with monkeypatch.context() as patch:
        driver_pragma(patch, no_growth)
        code, error = arrears(capsys, "import", "accounts", str(csv), "-q", "--db", sqlite_url(path))
    assert (code, error) == (
        3,
        f"error the disk holding the database is full: free space on it (database or disk is full); {AGAIN}\n",
    )
    assert accounts(path) == 0
    assert arrears(capsys, "import", "accounts", str(csv), "-q", "--db", sqlite_url(path))[0] == 0
    assert accounts(path) == 2000


def test_fault_messages_of_postgresql_states() -> None:
    from psycopg import errors as pg
    from sqlalchemy.exc import OperationalError

    from arrears.store.faults import fault_message

    class Full(pg.DiskFull):
        sqlstate = "53100"

    error = OperationalError("INSERT", {}, Full("could not extend file: No space left on device"))
    assert fault_message(error) == (
        f"the database server's disk is full: free space on it (could not extend file: No space left on device); "
        f"{AGAIN}"
    )
    assert fault_message(OSError(28, "No space left on device")) == (
        f"the disk is full: free space on it (the database's, or the temporary folder's); {AGAIN}"
    )
    assert fault_message(ValueError("a bug")) is None


STRATEGY = Path(__file__).parents[2] / "examples" / "strategy.yaml"


def test_a_full_disk_during_a_run_then_the_same_command_resumes_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sqlite_db: Database, path: Path
) -> None:
    """Given the example strategy and 40 ORTHO accounts owing $1,200 due 2026-02-01, the run of 2026-03-04
    enters them all; on a full disk it fails with one line, and once there is room the same command runs it."""
    url = sqlite_url(path)
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        assert arrears(capsys, "portfolios", "add", code, code.title(), "--db", url)[0] == 0
    assert arrears(capsys, "config", "apply", str(STRATEGY), "--db", url)[0] == 0
    for number in range(40):
        open_account(sqlite_db, Account(f"O-{number}", "ORTHO", Party("Dana", "Reyes")))
        post_transaction(sqlite_db, f"O-{number}", Posting(Kind.CHARGE, 120000, d("2026-01-02"), due=d("2026-02-01")))

    def no_growth(connection: Any) -> str:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        return f"PRAGMA max_page_count = {pages}"

    with monkeypatch.context() as patch:
        driver_pragma(patch, no_growth)
        code, error = arrears(capsys, "run", "--as-of", "2026-03-04", "--db", url)
    assert (code, error) == (
        1,
        "failed run 1 (ALL, 2026-03-04) failed while writing accounts with ids 1–40: OperationalError: database or"
        " disk is full. The chunks committed before it are kept; once the cause is fixed, arrears run --as-of"
        " 2026-03-04 resumes it\n",
    )
    code, _ = arrears(capsys, "run", "--as-of", "2026-03-04", "--db", url, "--json")
    assert code == 0
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM collections_case").fetchone()[0] == 40
        assert connection.execute("SELECT status FROM run").fetchall() == [("completed",)]
