"""Commands about the compliance guardrails: ``arrears compliance report`` and ``arrears flags``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from arrears.cli.app import DbOption, JsonOption, app, console, open_db, parse_date, print_json, shown, user_errors
from arrears.cli.tables import WideOption, show_table, text, whole
from arrears.domain.flags import FLAGS, ROLES, FlagChange, RoleChange

compliance_app = typer.Typer(help="The compliance guardrails: what they held, deferred, and any breach.",
                             no_args_is_help=True)  # fmt: skip
app.add_typer(compliance_app, name="compliance")


@compliance_app.command("report")
def report(
    first: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    last: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Contacts made, held and deferred per rule and portfolio, and every contact made in breach of a rule
    (the engine's must be zero; a collector's call recorded outside the rules is listed)."""
    from arrears.services.compliance import compliance_report

    start, end = parse_date(first, "from"), parse_date(last, "to")
    assert start is not None and end is not None  # both options are required
    with user_errors():
        result = compliance_report(open_db(db), start, end)
    if json:
        print_json(result.as_dict())
        return
    listed = lambda counts: ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "-"  # noqa: E731
    rows = [(shown(code), listed(f.contacts), listed(f.held), listed(f.deferred), listed(f.redirected))
            for code, f in sorted(result.portfolios.items())]  # fmt: skip
    show_table((whole("portfolio"), text("contacts made"), text("held"), text("deferred"), text("redirected")), rows,
         title=f"compliance {result.first} to {result.last}", wide=wide)  # fmt: skip
    manual = len(result.breaches) - result.engine_breaches
    console.print(f"contacts made in breach: engine {result.engine_breaches}, collectors {manual}")
    for breach in result.breaches:
        console.print(f"{breach.on} {breach.portfolio} {breach.account} {breach.channel} by {breach.made_by}: "
                      f"{escape(breach.reason)}")  # fmt: skip


flags_app = typer.Typer(help="Compliance flags and representatives of a party and its debt.", no_args_is_help=True)
app.add_typer(flags_app, name="flags")


@flags_app.command("set")
def flags_set(
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    flag: Annotated[str, typer.Argument(help=f"One of: {', '.join(FLAGS)}.")],
    on: Annotated[str | None, typer.Option("--date", help="The day it took effect (filed, notified, …).")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Clear the flag instead of setting it.")] = False,
    actor: Annotated[str, typer.Option(help="Who sets it (audited).")] = "cli",
    db: DbOption = None,
) -> None:
    """Set (or clear) a flag of an account's guarantor or debt; audited, and kept in the account's history."""
    from arrears.services.flags import set_flags

    change = FlagChange(account, flag, parse_date(on, "date"), clear)
    with user_errors():
        set_flags(open_db(db), [change], on=date.today(), actor=actor)
    console.print(f"{account}: {flag} {'cleared' if clear else 'set'}")


@flags_app.command("role")
def flags_role(
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str, typer.Option(help="The representative's name.")] = "",
    address1: Annotated[str, typer.Option(help="First address line.")] = "",
    address2: Annotated[str, typer.Option(help="Second address line.")] = "",
    city: Annotated[str, typer.Option(help="City.")] = "",
    state: Annotated[str, typer.Option(help="State.")] = "",
    postal_code: Annotated[str, typer.Option("--postal-code", help="ZIP / postal code.")] = "",
    phone: Annotated[str, typer.Option(help="Phone.")] = "",
    email: Annotated[str, typer.Option(help="E-mail.")] = "",
    since: Annotated[str | None, typer.Option(help="On file since (YYYY-MM-DD).")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the representative of this role.")] = False,
    actor: Annotated[str, typer.Option(help="Who sets it (audited).")] = "cli",
    db: DbOption = None,
) -> None:
    """Put an attorney or an estate representative on file (letters are then addressed to them)."""
    from arrears.services.flags import set_flags

    change = RoleChange(account, role, name, address1, address2, city, state, postal_code, phone, email,
                        parse_date(since, "since"), remove)  # fmt: skip
    with user_errors():
        set_flags(open_db(db), [change], on=date.today(), actor=actor)
    console.print(f"{account}: {role.replace('_', ' ')} {'removed' if remove else 'on file'}")


@flags_app.command("import")
def flags_import(
    file: Annotated[Path, typer.Argument(help="CSV: account, flag (or role), date, clear, name, address…")],
    actor: Annotated[str, typer.Option(help="Who imports it (audited).")] = "import",
    db: DbOption = None,
) -> None:
    """Set flags and representatives from a CSV file: every row checked first, all written or none."""
    from arrears.services.flags import read_flags_file, set_flags

    if not file.is_file():
        raise typer.BadParameter(f"no file at {file}", param_hint="FILE")
    with user_errors():
        changes, rows = read_flags_file(file)
        done = set_flags(open_db(db), changes, on=date.today(), actor=actor, where=rows)
    console.print(f"flags set {done.flags_set}, cleared {done.flags_cleared}; representatives on file "
                  f"{done.roles_set}, removed {done.roles_removed}")  # fmt: skip
