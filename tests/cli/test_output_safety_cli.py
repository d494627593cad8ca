"""What the command line prints of imported text: control characters escaped, never acted on."""

from pathlib import Path

from typer.testing import CliRunner

from arrears.cli import accounts, imports  # noqa: F401  (registers the commands on the app)
from arrears.cli.app import app
from arrears.services.accounts import create_portfolio
from arrears.store.db import Database, sqlite_url

runner = CliRunner()


def test_terminal_escape_sequences_in_an_imported_name_are_shown_escaped(sqlite_db: Database, tmp_path: Path) -> None:
    create_portfolio(sqlite_db, "NORTH", "North Clinic")
    url = sqlite_url(sqlite_db.engine.url.database or "")
    path = tmp_path / "accounts.csv"
    # a window title, a screen clear, a colour and Rich markup in the guarantor's name
    path.write_text(
        "external_id,portfolio,first_name,last_name\nA-1,NORTH,\x1b]0;pwned\x07\x1b[2J,[bold]Smith\x1b[31m\u202e\n"
    )
    assert runner.invoke(app, ["import", "accounts", str(path), "--db", url, "-q"]).exit_code == 0

    for command in (["accounts", "show", "A-1"], ["accounts", "list"]):
        result = runner.invoke(app, [*command, "--db", url])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
        assert "[bold]Smi" in result.output  # markup is shown, not applied
    shown = runner.invoke(app, ["accounts", "show", "A-1", "--db", url]).output
    assert "\\x1b]0;pwned\\x07\\x1b[2J [bold]Smith\\x1b[31m\\u202e  (NORTH" in shown


def test_date_options_are_yyyy_mm_dd_only(sqlite_db: Database) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    for text in ("20260304", "2026-W10-3"):
        result = runner.invoke(app, ["accounts", "show", "A-1", "--as-of", text, "--db", url])
        assert result.exit_code == 2
        assert f"Invalid value for --as-of: {text!r} is not a date (YYYY-MM-DD)" in " ".join(result.output.split())
