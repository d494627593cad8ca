"""The command line starts light: ``arrears --help`` loads no database, data-frame, PDF or fake-data library,
and a command that reads one account or a worklist loads neither the PDF renderer nor Faker.

Each command runs in a fresh interpreter (the test process has imported everything already), which then
names the heavy libraries it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.core
import typer.main

from arrears.cli import app
from arrears.cli.app import command_line
from arrears.store.db import Database, sqlite_url
from tests.services.run_scenarios import portfolios, world

HEAVY = (
    "polars", "faker", "weasyprint", "sqlalchemy", "sqlalchemy.orm", "alembic", "holidays", "lark", "jinja2", "yaml",
    "rich.progress", "fastapi", "starlette", "uvicorn", "argon2", "pydantic",
)

_CHILD = f"""
import json, sys
from arrears.cli import main
sys.argv = ["arrears", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(name for name in {HEAVY!r} if name in sys.modules)), file=sys.stderr)
"""


def loaded(*arguments: str) -> list[str]:
    """The heavy libraries ``arrears ARGUMENTS`` imported, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _CHILD, *arguments], capture_output=True, text=True, timeout=120,
                          check=True)  # fmt: skip
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_help_imports_no_heavy_library() -> None:
    assert loaded("--help") == []
    assert loaded("accounts", "--help") == []
    assert loaded("serve", "--help") == []
    assert loaded("users", "add", "--help") == []


@pytest.fixture
def url(sqlite_db: Database) -> str:
    portfolios(sqlite_db)
    world(sqlite_db, "ACCT-1 Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-15")
    return sqlite_url(sqlite_db.engine.url.database or "")


def test_simple_commands_load_neither_the_pdf_renderer_nor_faker_nor_the_migrations(url: str) -> None:
    show = loaded("accounts", "show", "ACCT-1", "--as-of", "2026-02-20", "--db", url)
    worklist = loaded("worklist", "--date", "2026-02-20", "--db", url)
    explain = loaded("explain", "ACCT-1", "--as-of", "2026-02-20", "--db", url)
    for modules in (show, worklist, explain):
        assert "sqlalchemy" in modules  # the command did reach the database
        assert "weasyprint" not in modules and "faker" not in modules
        # the schema is checked against the migration files' head without Alembic; no progress bar is shown
        assert "alembic" not in modules and "rich.progress" not in modules
        assert "fastapi" not in modules and "argon2" not in modules  # the server's libraries stay out
    # they read the Core tables: the ORM is neither imported nor configured (a tenth of a second of every start)
    assert "sqlalchemy.orm" not in show and "sqlalchemy.orm" not in worklist and "sqlalchemy.orm" not in explain
    # the account page and the worklist are plain queries, and explain evaluates its one account with the per-account
    # twin of the run's frames: no data frames, and no letter template is rendered
    assert "polars" not in show and "polars" not in worklist and "polars" not in explain
    assert "jinja2" not in show and "jinja2" not in worklist
    # the account page reads no strategy: no condition grammar, no configuration document (whose schema is pydantic's),
    # and the command line parses its options without pydantic
    assert "lark" not in show and "yaml" not in show and "pydantic" not in show
    # explain reads no configuration document either,
    # its conditions come compiled with the stored strategy (kept by the worklist before it: no grammar is built),
    # and the letters' merge data needs no template engine
    assert "pydantic" not in explain and "yaml" not in explain
    assert "lark" not in explain and "jinja2" not in explain
    # the worklist reads the strategy: parsed by the first command, then found in the cache while the configuration
    # is unchanged, without the configuration document's models
    again = loaded("worklist", "--date", "2026-02-20", "--db", url)
    assert "pydantic" not in again and "yaml" not in again
    assert "lark" not in again  # its conditions come compiled: no grammar to build


def test_a_database_behind_the_migrations_is_refused_without_loading_alembic(tmp_path: Path, url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0016'"))
    engine.dispose()
    done = subprocess.run([sys.executable, "-c", _CHILD, "worklist", "--db", url], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    assert "older than this Arrears" in done.stdout + done.stderr and "arrears migrate" in done.stdout + done.stderr
    assert "alembic" not in json.loads(done.stderr.strip().splitlines()[-1])


def _shape(command: Any) -> tuple[Any, ...]:
    """What a user meets of a command: its name, help, options and arguments, and its subcommands'."""
    params = tuple((p.name, tuple(p.opts), p.required, repr(p.default)) for p in command.params)
    subcommands = tuple(_shape(sub) for _, sub in sorted(getattr(command, "commands", {}).items()))
    return command.name, command.help, params, subcommands


def test_the_command_line_of_one_command_is_that_command_of_the_whole_application() -> None:
    whole = typer.main.get_command(app)
    assert isinstance(whole, typer.core.TyperGroup)
    for name, command in whole.commands.items():
        alone = command_line([name, "--db", "x.db"])
        assert list(alone.commands) == [name]
        assert _shape(alone.commands[name]) == _shape(command)
    for arguments in ([], ["--help"], ["acounts", "list"]):  # help and a mistyped name see every command
        assert sorted(command_line(arguments).commands) == sorted(whole.commands)
