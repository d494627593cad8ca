"""The command line starts light: ``arrears --help`` loads no database, data-frame, PDF or fake-data library,
and a command that reads one account or a worklist loads neither the PDF renderer nor Faker.

Each command runs in a fresh interpreter (the test process has imported everything already), which then
names the heavy libraries it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from arrears.store.db import Database, sqlite_url
from tests.services.run_scenarios import portfolios, world

HEAVY = ("polars", "faker", "weasyprint", "sqlalchemy", "alembic", "holidays", "lark")

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


@pytest.fixture
def url(sqlite_db: Database) -> str:
    portfolios(sqlite_db)
    world(sqlite_db, "ACCT-1 Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-15")
    return sqlite_url(sqlite_db.engine.url.database or "")


def test_simple_commands_load_neither_the_pdf_renderer_nor_faker(url: str) -> None:
    show = loaded("accounts", "show", "ACCT-1", "--as-of", "2026-02-20", "--db", url)
    worklist = loaded("worklist", "--date", "2026-02-20", "--db", url)
    explain = loaded("explain", "ACCT-1", "--as-of", "2026-02-20", "--db", url)
    for modules in (show, worklist, explain):
        assert "sqlalchemy" in modules  # the command did reach the database
        assert "weasyprint" not in modules and "faker" not in modules
    # the account page and the worklist are plain queries: no data frames
    assert "polars" not in show and "polars" not in worklist
