"""A collector's hand work: ``note add``, ``activity add|reassign``, ``accounts reassign``, ``collections
place|recall``. Each is audited with ``--user`` (default from the environment)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from arrears.cli.accounts import accounts_app
from arrears.cli.app import (
    AccountArgument,
    DbOption,
    OnOption,
    ReasonOption,
    UserOption,
    app,
    console,
    open_db,
    parse_date,
    parse_time,
    resolve_user,
    shown,
    user_errors,
)
from arrears.cli.run import activity_app
from arrears.domain.priority import DEFAULT_PRIORITY

note_app = typer.Typer(help="Notes on an account.", no_args_is_help=True)
collections_app = typer.Typer(
    help="Place an account in guarantor collections by hand, or recall it (seed 003).", no_args_is_help=True
)
app.add_typer(note_app, name="note")
app.add_typer(collections_app, name="collections")



@note_app.command("add")
def note_add_command(
    account: AccountArgument,
    text: Annotated[str, typer.Argument(help="The note.")],
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Write a note on an account."""
    from arrears.services.collector_work import note_add

    day = parse_date(on, "on") or date.today()
    with user_errors():
        note_id = note_add(open_db(db), account, text, on=day, actor=resolve_user(user))
    console.print(f"note {note_id} added to account {shown(account)}")


@activity_app.command("add")
def activity_add_command(
    account: AccountArgument,
    kind: Annotated[str, typer.Option("--kind", help="review or phone_call.")],
    due: Annotated[str, typer.Option("--due", help="The day it is due (YYYY-MM-DD).")],
    at: Annotated[str | None, typer.Option("--time", help="HH:MM in the party's time zone.")] = None,
    priority: Annotated[int, typer.Option(help="1-99: 66-99 high, 34-65 medium, 1-33 low.")] = DEFAULT_PRIORITY,
    collector: Annotated[str | None, typer.Option(help="Who does it (default: the case's collector).")] = None,
    reason: Annotated[str, typer.Option(help="Why (shown with it in the worklist).")] = "",
    no_auto_delete: Annotated[bool, typer.Option(help="Keep it when the account is closed or recalled.")] = False,
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Schedule a follow-up (a call or a review) on an account in collections; it shows in the collector's
    worklist from its due day."""
    from arrears.domain.strategy import ActionKind
    from arrears.services.collector_work import FollowUp, activity_add

    day = parse_date(on, "on") or date.today()
    due_day = parse_date(due, "due") or day
    if kind not in {k.value for k in (ActionKind.REVIEW, ActionKind.PHONE_CALL)}:
        raise typer.BadParameter(f"{kind!r} is not review or phone_call", param_hint="--kind")
    follow_up = FollowUp(ActionKind(kind), due_day, parse_time(at), priority, collector, reason, no_auto_delete)
    with user_errors():
        activity_id = activity_add(open_db(db), account, follow_up, on=day, actor=resolve_user(user))
    console.print(f"activity {activity_id} added: {kind} on {due_day}{' ' + at if at else ''} for {shown(account)}")


@activity_app.command("reassign")
def activity_reassign_command(
    activity: Annotated[int, typer.Argument(help="The activity id.")],
    collector: Annotated[str, typer.Option(help="The collector or group that gets it.")],
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Give a pending activity to another collector or group."""
    from arrears.services.collector_work import activity_reassign

    with user_errors():
        before = activity_reassign(open_db(db), activity, collector, actor=resolve_user(user))
    console.print(f"activity {activity} reassigned from {shown(before)} to {shown(collector)}")


@accounts_app.command("reassign")
def accounts_reassign_command(
    account: AccountArgument,
    collector: Annotated[str, typer.Option(help="The collector or group that gets the case and its work.")],
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Give an account's collections case and all its pending work to another collector or group."""
    from arrears.services.collector_work import accounts_reassign

    day = parse_date(on, "on") or date.today()
    with user_errors():
        moved = accounts_reassign(open_db(db), account, collector, on=day, actor=resolve_user(user))
    console.print(f"account {shown(account)} reassigned to {shown(collector)} with {moved} pending activities")


@collections_app.command("place")
def collections_place_command(
    account: AccountArgument,
    reason: ReasonOption,
    work: Annotated[
        str | None, typer.Option(help="The action or series to start (default: the assignment rules').")
    ] = None,
    collector: Annotated[str | None, typer.Option(help="Who works it (default: the assignment rules').")] = None,
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Place an account in guarantor collections by hand; its first activity is due at once."""
    from arrears.services.collector_work import collections_place

    day = parse_date(on, "on") or date.today()
    with user_errors():
        placed = collections_place(open_db(db), account, reason, on=day, actor=resolve_user(user), work=work,
                                   collector=collector)  # fmt: skip
    console.print(
        f"account {shown(account)} placed in guarantor collections on {day}: collector {shown(placed.assignee)}, "
        f"work '{shown(placed.work)}' (first: {shown(placed.first_action)})"
        + ("; statements on hold" if placed.statement_hold else "")
    )


@collections_app.command("recall")
def collections_recall_command(
    account: AccountArgument,
    reason: ReasonOption,
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Take an account out of guarantor collections: the case is resolved, pending work cancelled (except
    do-not-autodelete work), statements released."""
    from arrears.services.collector_work import collections_recall

    day = parse_date(on, "on") or date.today()
    with user_errors():
        cancelled = collections_recall(open_db(db), account, reason, on=day, actor=resolve_user(user))
    console.print(f"account {shown(account)} recalled from collections on {day}; {cancelled} activities cancelled")
