"""The Typer application and what every command shares: the database option, JSON output, errors.

Start-up is kept light: the command modules import their use cases (``arrears.services``, and through them the
database, Polars, the PDF renderer) inside each command, so ``arrears --help`` and a command that reads one
account load only what that command needs (tests/cli/test_startup_cli.py holds it).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, time
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from arrears.domain.calendar import parse_day
from arrears.domain.errors import NotFound, ValidationFailed
from arrears.domain.money import Money, MoneyError

if TYPE_CHECKING:
    from arrears.services.database import Database

app = typer.Typer(
    name="arrears",
    help="Arrears: open collections automation. Database: --db FILE or URL, else ARREARS_DATABASE_URL, else"
    " ./arrears.db.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True, soft_wrap=True)  # an error is one line, however narrow the terminal

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="The database: a SQLite file, or a URL (sqlite:///FILE, postgresql://USER@HOST:PORT/NAME); default"
        " ARREARS_DATABASE_URL, else ./arrears.db.", show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Who does it, for the audit (default: ARREARS_USER, ARREARS_ACTOR or your login).",
                 show_default=False),
]  # fmt: skip
AccountArgument = Annotated[str, typer.Argument(help="The account's external id.")]
OnOption = Annotated[str | None, typer.Option("--on", help="The day (default: today).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the account's history and audit).")]


def resolve_user(name: str | None) -> str:
    """The user a change is audited with: the one named, else ``ARREARS_USER`` or ``ARREARS_ACTOR``, else the
    login name (``cli`` where the system has none, as in some containers)."""
    if name and name.strip():
        return name.strip()
    try:
        return os.environ.get("ARREARS_USER") or os.environ.get("ARREARS_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


FAULT_EXIT = 3
"""Exit code of a command the database or the machine failed (1: input refused; 2: a usage error)."""


def open_db(url: str | None, *, migrate: bool = False) -> Database:
    """Open the database the user named (``migrate``: creating it or bringing its schema up to date); a
    database that cannot be used is one line on stderr and exit code 3."""
    from arrears.services.database import DatabaseFault, open_database

    try:
        return open_database(url, migrate=migrate)
    except DatabaseFault as fault:
        errors.print(f"[red]error[/red] {escape(str(fault))}")
        raise typer.Exit(FAULT_EXIT) from fault


def parse_date(text: str | None, name: str = "date") -> date | None:
    """An ISO date from an option, or a clear usage error naming the option."""
    if text is None:
        return None
    try:
        return parse_day(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint=f"--{name}") from error


def parse_amount(text: str | None, name: str) -> int | None:
    """Cents of an amount from an option (``25,000,000.00``), or a clear usage error naming the option."""
    if text is None:
        return None
    try:
        return Money.parse(text).cents
    except MoneyError as error:
        raise typer.BadParameter(str(error), param_hint=f"--{name}") from error


def parse_time(text: str | None, name: str = "time") -> time | None:
    """A time of day (HH:MM) from an option, or a clear usage error naming the option."""
    if text is None:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not a time (HH:MM)", param_hint=f"--{name}") from error


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
"""Characters a terminal acts on or that reorder text: control characters (ESC starts the sequences that
move the cursor, clear the screen or set the window title), line and paragraph separators, bidi controls."""


def shown(value: object) -> str:
    """Stored text made safe to print: control characters written as escapes (``\\x1b``), Rich markup
    escaped, so an imported name can neither rewrite the operator's screen nor style the output."""
    text = _UNSAFE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), str(value))
    return escape(text)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON (dates as ISO text)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _fault_line(error: BaseException) -> str | None:
    """The one line of a failure of the database or the machine (None for anything else: a bug)."""
    from arrears.services.database import DatabaseFault, fault_message

    return str(error) if isinstance(error, DatabaseFault) else fault_message(error)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn validation and lookup failures into a readable message and exit code 1, and a failure of the
    database or the machine (a lock, a full disk, a lost server) into one line and exit code 3."""
    try:
        yield
    except ValidationFailed as failure:
        for problem in failure.problems:
            errors.print(f"[red]error[/red] {escape(str(problem))}")
        raise typer.Exit(1) from failure
    except NotFound as missing:
        errors.print(f"[red]error[/red] {escape(str(missing))}")
        raise typer.Exit(1) from missing
    except Exception as error:
        message = _fault_line(error)
        if message is None:
            raise
        errors.print(f"[red]error[/red] {escape(message)}")
        raise typer.Exit(FAULT_EXIT) from error


def command_line(arguments: Sequence[str]) -> Callable[[], Any]:
    """The command line that runs ``arguments``: only the command or group they name, or the whole application
    for ``--help``, no arguments or a name it does not have. Typer reads the signature of every command it
    builds, which for all of them costs a command more than reading an account does."""
    import copy

    import typer.main

    name = arguments[0] if arguments and not arguments[0].startswith("-") else None
    groups = [group for group in app.registered_groups if group.name == name]
    commands = [command for command in app.registered_commands if command.callback
                and (command.name or typer.main.get_command_name(command.callback.__name__)) == name]  # fmt: skip
    if not groups and not commands:
        return typer.main.get_command(app)
    named = copy.copy(app)
    named.registered_groups, named.registered_commands = groups, commands
    return typer.main.get_group(named)  # a group even around one command, so that its name is read as one


def main() -> None:
    """Entry point of the ``arrears`` command: a failure of the database or the machine in any command is
    one line on stderr and exit code 3, never a traceback."""
    try:
        command_line(sys.argv[1:])()
    except Exception as error:
        message = _fault_line(error)
        if message is None:
            raise
        errors.print(f"[red]error[/red] {escape(message)}")
        sys.exit(FAULT_EXIT)
