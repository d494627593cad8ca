"""Commands about contact plans: ``arrears plans list|show`` and ``arrears plan run|batch``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from arrears.cli.app import DbOption, JsonOption, app, console, errors, open_db, parse_date, print_json, user_errors
from arrears.cli.tables import WideOption, extra, show_table, text, whole
from arrears.domain.calendar import format_delay_minutes
from arrears.domain.priority import priority_band

if TYPE_CHECKING:
    from arrears.domain.plans import Plan
    from arrears.services.plans import PlanRunResult

plans_app = typer.Typer(help="Contact plans: list them and show one (configure them in the YAML, docs/plans.md).")
plan_app = typer.Typer(help="Run a contact plan on one account or on many.")
app.add_typer(plans_app, name="plans")
app.add_typer(plan_app, name="plan")

UserOption = Annotated[
    str | None, typer.Option("--user", help="The signed-on user (login): plan access ranges apply.", show_default=False)
]
OnOption = Annotated[str | None, typer.Option("--on", help="Run date YYYY-MM-DD (default: today).", show_default=False)]
StartOption = Annotated[
    str | None,
    typer.Option("--start-date", help="Start date for a plan that prompts for one (the reference of delay days).",
                 show_default=False),
]  # fmt: skip


@plans_app.command("list")
def plans_list(user: UserOption = None, wide: WideOption = False, json: JsonOption = False,
               db: DbOption = None) -> None:  # fmt: skip
    """The contact plans; with --user, only those the user may see and run (sub-plans hidden)."""
    from arrears.services.plans import list_plans

    with user_errors():
        lines = list_plans(open_db(db), user)
    if json:
        print_json([line.as_dict() for line in lines])
        return
    rows = [(escape(line.code), escape(line.description), str(line.events), "yes" if line.sub_plan else "",
             escape(line.access)) for line in lines]  # fmt: skip
    show_table((whole("code"), text("description"), whole("events", right=True), whole("sub-plan"), text("access")),
               rows, wide=wide)  # fmt: skip


def _timing(plan: Plan, index: int) -> str:
    event = plan.ordered_events()[index]
    when = {
        "immediately": "immediately",
        "delay_days": f"{event.days} days",
        "day_of_month": f"day {event.day_of_month} of the month",
        "next_month_same_day": "next month same day",
    }[event.timing.value]
    if event.delay_minutes is not None:
        when += f" + {format_delay_minutes(event.delay_minutes)}"
    if event.repeat is not None:
        when += f", repeat {event.repeat.value}" + (" (copy)" if event.copy_on_repeat else "")
    return when


@plans_app.command("show")
def plans_show(code: Annotated[str, typer.Argument(help="Plan code.")], wide: WideOption = False,
               json: JsonOption = False, db: DbOption = None) -> None:  # fmt: skip
    """One plan with its switches and its events in sequence order."""
    from arrears.services.config_document import dump_model, plan_doc
    from arrears.services.plans import show_plan

    with user_errors():
        plan = show_plan(open_db(db), code)
    if json:
        print_json(dump_model(plan_doc(plan)))
        return
    switches = [name.replace("_", " ") for name in ("delete_all_pending", "prompt_before_deleting",
                "do_not_run_on_closed", "sub_plan", "prompt_for_start_date") if getattr(plan, name)]  # fmt: skip
    console.print(f"[bold]{plan.code}[/bold] {escape(plan.description)}")
    console.print(f"  switches: {', '.join(switches) or 'none'}")
    console.print(f"  access: {', '.join(f'{r.low}–{r.high}' for r in plan.access) or 'every user level'}")
    rows = []
    for index, event in enumerate(plan.ordered_events()):
        condition = event.schedule_if.condition() if event.schedule_if else ""
        who = event.operator if event.operator else event.assign_to.value.replace("_", " ")
        rows.append((str(event.sequence), event.type.value, escape(event.description), _timing(plan, index),
                     f"{event.priority} {priority_band(event.priority)}", escape(who), escape(condition)))  # fmt: skip
    columns = (whole("seq", right=True), whole("type"), text("description"), text("when"), extra("priority"),
               text("assign to"), text("schedule if"))  # fmt: skip
    show_table(columns, rows, wide=wide)


def _print_run(result: PlanRunResult) -> None:
    if result.skipped:
        errors.print(f"[yellow]skipped[/yellow] {escape(result.skipped)}")
        return
    console.print(f"plan {result.plan} ran on {result.account}: {len(result.contacts)} contacts, "
                  f"{result.deleted} pending deleted")  # fmt: skip
    for contact in result.contacts:
        moment = f" {contact.due_at.strftime('%H:%M:%S')}" if contact.due_at else ""
        console.print(f"  {contact.due}{moment} {contact.kind} {escape(contact.description)} "
                      f"{escape(f'[{contact.status}]')} {contact.assignee} — {escape(contact.reason)}")  # fmt: skip


def _ask(yes: bool, json: bool) -> object:
    """The prompt before deleting: None (already confirmed) with --yes, else a question at the terminal; without
    a terminal the plan is refused, saying how to confirm."""
    if yes:
        return None

    def confirm(contacts: Sequence[str]) -> bool:
        if json or not sys.stdin.isatty():
            errors.print(f"[red]error[/red] the plan deletes {len(contacts)} pending contacts and asks first; "
                         "there is no terminal to ask: run again with --yes")  # fmt: skip
            return False
        typer.echo("Running this plan deletes these pending contacts:")
        for contact in contacts:
            typer.echo(f"  - {contact}")
        return typer.confirm("Delete them and run the plan?", default=False)

    return confirm


@plan_app.command("run")
def plan_run(
    code: Annotated[str, typer.Argument(help="Plan code.")],
    account: Annotated[str, typer.Argument(help="Account external id.")],
    user: UserOption = None,
    start_date: StartOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete pending contacts without asking.")] = False,
    on: OnOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Run a contact plan on one account now (asks before deleting pending contacts when the plan says so)."""
    from arrears.services.plans import PlanCancelled, run_plan, show_plan

    database = open_db(db)
    day = parse_date(on, "on") or date.today()
    start = parse_date(start_date, "start-date")
    with user_errors():
        plan = show_plan(database, code)
        if plan.prompt_for_start_date and start is None:
            if json or not sys.stdin.isatty():
                errors.print(f"[red]error[/red] plan {code} prompts for a start date: give --start-date YYYY-MM-DD")
                raise typer.Exit(1)
            start = parse_date(typer.prompt("Start date (YYYY-MM-DD)"), "start-date")
        try:
            result = run_plan(database, code, account, on=day, at=datetime.now(UTC), user=user, start_date=start,
                              confirm=_ask(yes, json))  # type: ignore[arg-type]  # fmt: skip
        except PlanCancelled as cancelled:
            errors.print(f"[yellow]cancelled[/yellow] {escape(str(cancelled))}")
            raise typer.Exit(1) from cancelled
    if json:
        print_json(result.as_dict())
    else:
        _print_run(result)
    if result.skipped:
        raise typer.Exit(1)


@plan_app.command("batch")
def plan_batch(
    code: Annotated[str, typer.Argument(help="Plan code.")],
    where: Annotated[
        str | None,
        typer.Option("--where", help="Condition selecting the accounts (docs/conditions.md).", show_default=False),
    ] = None,
    accounts: Annotated[
        Path | None, typer.Option("--accounts", help="File of account external ids, one per line.", show_default=False)
    ] = None,
    user: UserOption = None,
    start_date: StartOption = None,
    on: OnOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Run a contact plan on many accounts at once (never asks; closed accounts the plan skips are logged)."""
    from arrears.services.plans import read_account_file, run_batch

    if (where is None) == (accounts is None):
        raise typer.BadParameter("give --where CONDITION or --accounts FILE (one of them)", param_hint="--where")
    database = open_db(db)
    day = parse_date(on, "on") or date.today()
    start = parse_date(start_date, "start-date")
    with user_errors():
        listed = read_account_file(accounts) if accounts is not None else None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("plan " + code), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=errors, disable=json, transient=True) as progress:
            task = progress.add_task("accounts", total=None)
            result = run_batch(
                database, code, on=day, at=datetime.now(UTC), where=where, accounts=listed, user=user,
                start_date=start, progress=lambda done, total: progress.update(task, completed=done, total=total),
            )  # fmt: skip
    if json:
        print_json(result.as_dict())
        return
    resumed = " (resumed where it stopped)" if result.resumed else ""
    console.print(f"batch {result.batch_id}{resumed}: plan {code} ran on {result.ran} of {result.selected} accounts")
    if result.skipped_closed:
        console.print(f"  skipped (closed): {', '.join(result.skipped_closed)}")
    for name, count in sorted(result.counts.items()):
        console.print(f"  {name}: {count}")
    for problem in result.errors:
        errors.print(f"[red]error[/red] {escape(str(problem))}")
