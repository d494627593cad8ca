"""Promises to pay: ``promise add|list`` and the promise desk (``promises list``, ``worklist --promises``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from arrears.cli.app import (
    AccountArgument,
    DbOption,
    JsonOption,
    OnOption,
    UserOption,
    app,
    console,
    open_db,
    parse_date,
    print_json,
    resolve_user,
    shown,
    user_errors,
)
from arrears.domain.money import Money, MoneyError, format_cents
from arrears.domain.promises import PromiseChannel, Repeat, parse_repeat

if TYPE_CHECKING:
    from arrears.services.promises import PromiseLine, PromiseRequest

promise_app = typer.Typer(help="Promises to pay on an account.", no_args_is_help=True)
promises_app = typer.Typer(help="The promise desk: promises due today and broken yesterday.", no_args_is_help=True)
app.add_typer(promise_app, name="promise")
app.add_typer(promises_app, name="promises")

AmountOption = Annotated[str | None, typer.Option("--amount", help="The amount promised, e.g. 100 or 100.00.")]
DueOption = Annotated[str | None, typer.Option("--due", help="The (first) due date, YYYY-MM-DD.")]
RepeatOption = Annotated[str | None, typer.Option("--repeat", help="weekly, biweekly, monthly or N days.")]
GraceOption = Annotated[int | None, typer.Option("--grace", help="Days of grace after the due date, 0-99 "
                                                 "(default: the portfolio's).")]  # fmt: skip
AdvanceOption = Annotated[bool, typer.Option("--advance", help="Advance the promise on overpayment: a payment "
                                             "covering several installments moves it that many.")]  # fmt: skip
ChannelOption = Annotated[str, typer.Option("--channel", help="phone, letter or portal.")]


def promise_request(
    amount: str | None, due: str | None, repeat: str | None, grace: int | None, advance: bool, channel: str,
    collector: str | None = None,
) -> PromiseRequest | None:
    """The promise the options describe (None when neither --amount nor --due is given); a usage error names
    the option that is wrong."""
    from arrears.services.promises import PromiseRequest

    if amount is None and due is None:
        return None
    if amount is None or due is None:
        missing = "--amount" if amount is None else "--due"
        raise typer.BadParameter("a promise needs both --amount and --due", param_hint=missing)
    try:
        cents = Money.parse(amount).cents
    except MoneyError as error:
        raise typer.BadParameter(str(error), param_hint="--amount") from error
    every: Repeat | None = None
    if repeat is not None:
        try:
            every = parse_repeat(repeat)
        except ValueError as error:
            raise typer.BadParameter(f"{repeat!r} {error}", param_hint="--repeat") from error
    if channel not in {c.value for c in PromiseChannel}:
        raise typer.BadParameter(f"{channel!r} is not phone, letter or portal", param_hint="--channel")
    day = parse_date(due, "due")
    assert day is not None
    return PromiseRequest(cents, day, every, grace, advance, collector, PromiseChannel(channel))


@promise_app.command("add")
def promise_add_command(
    account: AccountArgument,
    amount: AmountOption = None,
    due: DueOption = None,
    repeat: RepeatOption = None,
    grace: GraceOption = None,
    advance: AdvanceOption = False,
    collector: Annotated[str | None, typer.Option(help="Who took it (default: the account's collector).")] = None,
    channel: ChannelOption = "phone",
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Take a promise to pay on an account directly (not from a call)."""
    from arrears.services.promises import add_promise

    request = promise_request(amount, due, repeat, grace, advance, channel, collector)
    if request is None:
        raise typer.BadParameter("a promise needs --amount and --due", param_hint="--amount")
    day = parse_date(on, "on") or date.today()
    with user_errors():
        promise_id = add_promise(open_db(db), account, request, on=day, actor=resolve_user(user),
                                 key=f"direct:{uuid.uuid4().hex}")  # fmt: skip
    console.print(f"promise {promise_id} taken on {shown(account)}: {format_cents(request.amount_cents)} due "
                  f"{request.due}{' ' + str(request.repeat) if request.repeat else ''}")  # fmt: skip


def _table(lines: list[PromiseLine], title: str) -> Table:
    table = Table("id", "amount", "repeat", "due", "grace", "status", "paid", "short", "collector", "channel",
                  title=title)  # fmt: skip
    for line in lines:
        table.add_row(
            str(line.id), format_cents(line.amount_cents), line.repeat or "-", str(line.due), str(line.grace_days),
            line.status, format_cents(line.paid_cents), format_cents(line.shortfall_cents), shown(line.collector),
            line.channel,
        )  # fmt: skip
    return table


def _desk_table(found: list[tuple[str, PromiseLine]], title: str) -> Table:
    table = Table("desk", "id", "account", "guarantor", "amount", "due", "short", "collector", title=title)
    for desk, line in found:
        table.add_row(desk.split()[0], str(line.id), shown(line.account), shown(line.guarantor),
                      format_cents(line.amount_cents), str(line.due), format_cents(line.shortfall_cents),
                      shown(line.collector))  # fmt: skip
    return table


@promise_app.command("list")
def promise_list_command(account: AccountArgument, db: DbOption = None, json: JsonOption = False) -> None:
    """An account's promises, newest first: terms, status, what is paid toward the installment and the shortfall."""
    from arrears.services.promises import list_promises

    with user_errors():
        lines = list_promises(open_db(db), account)
    if json:
        print_json([line.as_dict() for line in lines])
        return
    console.print(_table(lines, f"promises of {shown(account)}"))


def print_desk(db: DbOption, collector: str | None, group: str | None, on: str | None, json: bool) -> None:
    """Print the promise desk of a day (``promises list`` and ``worklist --promises``)."""
    from arrears.services.promises import promise_desk
    from arrears.services.stored_strategy import load_strategy
    from arrears.services.worklist import worklist_assignees

    database = open_db(db)
    day = parse_date(on, "date") or date.today()
    with user_errors():
        found = promise_desk(database, day, worklist_assignees(load_strategy(database), collector, group))
    if json:
        print_json([{"desk": desk, **line.as_dict()} for desk, line in found])
        return
    console.print(_desk_table(found, f"promise desk {collector or group or 'everyone'} on {day}"))


@promises_app.command("list")
def promises_list_command(
    collector: Annotated[str | None, typer.Option(help="A collector's promises (and their groups').")] = None,
    group: Annotated[str | None, typer.Option(help="A group's promises (and its members').")] = None,
    on: Annotated[str | None, typer.Option("--date", help="The day of the desk (default: today).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The promise desk: promises due on the day that still stand, then those broken by the previous day's run."""
    print_desk(db, collector, group, on, json)


report_app = typer.Typer(help="Reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("promises")
def report_promises_command(
    start: Annotated[str, typer.Option("--from", help="The first day promises were taken (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="The last day (YYYY-MM-DD).")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Promise kept rate per collector and portfolio over the promises taken in a period, with the amounts
    promised and collected (kept rate: kept / (kept + broken); standing promises are not decided yet)."""
    from arrears.services.promises import promise_report

    first, last = parse_date(start, "from"), parse_date(end, "to")
    assert first is not None and last is not None
    with user_errors():
        lines = promise_report(open_db(db), first, last)
    if json:
        print_json([line.as_dict() for line in lines])
        return
    table = Table("portfolio", "collector", "taken", "kept", "broken", "open", "kept rate", "promised", "collected",
                  title=f"promises taken {first} to {last}")  # fmt: skip
    for line in lines:
        rate = f"{line.kept_rate:.0%}" if line.kept_rate is not None else "-"
        table.add_row(shown(line.portfolio), shown(line.collector), str(line.taken), str(line.kept), str(line.broken),
                      str(line.standing), rate, format_cents(line.promised_cents), format_cents(line.collected_cents))
    console.print(table)
