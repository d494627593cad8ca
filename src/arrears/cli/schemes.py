"""Commands about milestone schemes and credit rating: ``arrears schemes show`` and ``arrears party rating``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape

from arrears.cli.app import (
    AccountArgument,
    DbOption,
    JsonOption,
    OnOption,
    ReasonOption,
    UserOption,
    app,
    console,
    open_db,
    parse_date,
    print_json,
    resolve_user,
    user_errors,
)
from arrears.cli.tables import WideOption, show_table, text, whole

schemes_app = typer.Typer(help="Milestone schemes (seed 004).", no_args_is_help=True)
party_app = typer.Typer(help="Parties: their credit rating.", no_args_is_help=True)
app.add_typer(schemes_app, name="schemes")
app.add_typer(party_app, name="party")


@schemes_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="The scheme's code.")], wide: WideOption = False, db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The collections actions summary of a scheme: every action of every milestone (read-only)."""
    from arrears.services.schemes import scheme_actions
    from arrears.services.stored_strategy import load_strategy

    with user_errors():
        lines = scheme_actions(load_strategy(open_db(db)), code)
    if json:
        print_json([asdict(line) for line in lines])
        return
    rows = [(escape(line.milestone), str(line.number), line.kind, line.perform_on, escape(line.condition),
             escape(line.action)) for line in lines]  # fmt: skip
    show_table((text("milestone"), whole("#", right=True), whole("kind"), whole("perform on"), text("condition"),
          text("action")), rows, title=f"collections actions of {escape(code)}", wide=wide)  # fmt: skip


@schemes_app.command("hold")
def hold(
    account: AccountArgument,
    reason: ReasonOption,
    until: Annotated[str | None, typer.Option(help="The last day held (default: until released).")] = None,
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Hold an account in its milestone scheme: the run does not move it (unless the scheme lets held accounts
    decrement and resolve)."""
    from arrears.services.schemes import hold_in_scheme
    from arrears.services.stored_strategy import load_strategy

    database = open_db(db)
    day = parse_date(on, "on") or date.today()
    last = parse_date(until, "until")
    with user_errors():
        code = hold_in_scheme(database, account, reason, on=day, until=last, actor=resolve_user(user),
                              strategy=load_strategy(database))  # fmt: skip
    through = f" through {last}" if last else " until released"
    console.print(f"{escape(account)} held in scheme {escape(code)} from {day}{through}")


@schemes_app.command("release")
def release(account: AccountArgument, on: OnOption = None, user: UserOption = None, db: DbOption = None) -> None:
    """Release an account's scheme hold: the next run moves it again."""
    from arrears.services.schemes import release_from_scheme_hold

    day = parse_date(on, "on") or date.today()
    with user_errors():
        release_from_scheme_hold(open_db(db), account, on=day, actor=resolve_user(user))
    console.print(f"{escape(account)}: scheme hold released")


@party_app.command("rating")
def rating(
    party: Annotated[str, typer.Argument(help="A party id, or the external id of one of its accounts.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="The day (default: today).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A party's credit points within the look-back and the level they give (more points, worse rating)."""
    from arrears.services.schemes import party_rating
    from arrears.services.stored_strategy import load_strategy

    database = open_db(db)
    with user_errors():
        result = party_rating(database, party, parse_date(as_of, "as-of") or date.today(), load_strategy(database))
    if json:
        print_json(result.as_dict())
        return
    window = f"the last {result.lookback_days} days" if result.lookback_days else "the whole history"
    console.print(f"{escape(result.name)} (party {result.party_id}) on {result.as_of}: {result.points} points in "
                  f"{window} ({result.all_points} in all): {result.level}")  # fmt: skip
