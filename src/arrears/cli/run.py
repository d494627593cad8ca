"""Commands of the daily run and the collectors: run, worklist, activity complete, explain."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from arrears.cli.app import (
    DbOption,
    JsonOption,
    app,
    console,
    errors,
    open_db,
    parse_date,
    parse_time,
    print_json,
    shown,
    user_errors,
)
from arrears.cli.promises import (
    AdvanceOption,
    AmountOption,
    ChannelOption,
    DueOption,
    GraceOption,
    RepeatOption,
    print_desk,
    promise_request,
)
from arrears.cli.tables import WideOption, extra, show_table, text, whole
from arrears.domain.money import format_cents
from arrears.domain.priority import priority_band

if TYPE_CHECKING:
    from arrears.services.run import RunResult

activity_app = typer.Typer(
    help="Work on activities: add a follow-up, reassign, complete a call or a review.", no_args_is_help=True
)
app.add_typer(activity_app, name="activity")


def _print_run(result: RunResult) -> None:
    counts = result.counts
    rows = [(name.replace("activities.", "activities: ").replace("_", " "), f"{counts[name]:,}")
            for name in sorted(counts) if counts[name]]  # fmt: skip
    show_table((text("what"), whole("count", right=True)), rows, title=f"run {result.run_id}: {result.scope} on "
         f"{result.as_of}")  # fmt: skip
    console.print(f"{result.accounts:,} accounts in {result.seconds:.2f} s")
    if not any(n for name, n in result.this_attempt.items() if name != "errors") and any(counts.values()):
        console.print(f"{result.as_of} had already run: this run wrote nothing new (the table is the date's record)")
    for error in result.errors[:20]:
        errors.print(f"[yellow]account {error.account_id}[/yellow]: {error.reason}")
    if len(result.errors) > 20:
        errors.print(f"... and {len(result.errors) - 20} more errors (see the run record)")


@app.command()
def run(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Run for this date (YYYY-MM-DD).")] = None,
    through: Annotated[
        str | None,
        typer.Option("--through", help="Catch up every day a portfolio in scope has not run, up to this date."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="With --through and no earlier run: the first day to run.")
    ] = None,
    portfolio: Annotated[str | None, typer.Option(help="Only this portfolio (default: all).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, help="Worker processes over account-id partitions (default: one per core from 100,000 accounts)."
        ),
    ] = None,
    allow_future: Annotated[
        bool, typer.Option("--allow-future", help="Allow a run date after today (refused by default).")
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Run the partitions on a Dask cluster: its scheduler (tcp://HOST:8786), or local:N for N worker "
            "processes here. PostgreSQL only; workers take the database password from ARREARS_DATABASE_PASSWORD, "
            "ARREARS_DATABASE_PASSWORD_FILE or libpq's PGPASSWORD / ~/.pgpass."
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Run the engine: entry, assignment, actions and series, resolution — idempotent and resumable."""
    from arrears.services.run import ALL, PendingRun, RunFailed, RunRefused, pending_runs, run_day
    from arrears.services.stored_strategy import load_strategy

    if (as_of is None) == (through is None):
        raise typer.BadParameter("give exactly one of --as-of and --through")
    first_day = parse_date(as_of, "as-of")
    last_day = parse_date(through, "through")
    first_run_day = parse_date(since, "since")
    database = open_db(db)
    strategy = load_strategy(database)
    today = None if allow_future else date.today()
    results = []
    with user_errors():
        try:
            if last_day is not None:
                plan = pending_runs(database, last_day, portfolio, first_run_day, today=today)
            else:
                plan = [PendingRun(first_day, portfolio or ALL)]  # type: ignore[arg-type]
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            for step in plan:
                if json:
                    results.append(
                        run_day(
                            database,
                            step.as_of,
                            step.portfolio,
                            strategy=strategy,
                            workers=workers,
                            today=today,
                            cluster=cluster,
                        )
                    )
                    continue
                with Progress(
                    TextColumn(f"run {step.scope} {step.as_of}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                    transient=True,
                ) as progress:
                    task = progress.add_task("accounts", total=None)
                    result = run_day(
                        database,
                        step.as_of,
                        step.portfolio,
                        strategy=strategy,
                        workers=workers,
                        today=today,
                        progress=lambda n, task=task: progress.advance(task, n),
                        cluster=cluster,
                    )
                results.append(result)
                _print_run(result)
        except (RunRefused, RunFailed) as stopped:
            label = "refused" if isinstance(stopped, RunRefused) else "failed"
            errors.print(f"[red]{label}[/red] {escape(str(stopped))}")
            raise typer.Exit(1) from stopped
    if json:
        print_json([r.as_dict() for r in results])
    elif not plan:
        console.print(f"nothing to run: every day up to that date has run for {portfolio or 'every portfolio'}")


@app.command("worklist")
def worklist_command(
    collector: Annotated[str | None, typer.Option(help="A collector's work (and their groups').")] = None,
    group: Annotated[str | None, typer.Option(help="A group's work (and its members').")] = None,
    on: Annotated[str | None, typer.Option("--date", help="The day of the worklist (default: today).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many lines.")] = 100,
    promises: Annotated[bool, typer.Option("--promises", help="The promise desk instead: promises due on the day "
                                           "and broken yesterday.")] = False,
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A collector's worklist in Collect!'s order: due today, then oldest first; priority, name, type. Today's
    worklist hides the calls a contact rule forbids now and lists when each may be made."""
    from arrears.services.stored_strategy import load_strategy
    from arrears.services.worklist import worklist, worklist_assignees

    if promises:
        print_desk(db, collector, group, on, json)
        return
    database = open_db(db)
    day = parse_date(on, "date") or date.today()
    now = None if on else datetime.now().astimezone()
    with user_errors():
        items = worklist(database, day, worklist_assignees(load_strategy(database), collector, group), limit, now)
    if json:
        print_json([item.as_dict() for item in items])
        return
    later = [item for item in items if not item.callable_now]
    items = [item for item in items if item.callable_now]
    columns = (whole("id", right=True), whole("due"), whole("priority"), whole("account"), text("guarantor"),
               text("action"), extra("type"), extra("assignee"))  # fmt: skip
    rows = [
        (str(item.id), f"{item.due}{item.due_at.strftime(' %H:%M') if item.due_at else ''}",
         f"{item.priority} {priority_band(item.priority)}", shown(item.account), shown(item.guarantor),
         shown(item.action), item.kind, shown(item.assignee))
        for item in items
    ]  # fmt: skip
    show_table(columns, rows, title=f"worklist {shown(collector or group or 'everyone')} on {day}", wide=wide)
    if later:
        rows = [
            (str(item.id), shown(item.account), shown(item.action),
             f"{item.not_before:%Y-%m-%d %H:%M %Z}" if item.not_before else "held", shown(item.blocked))
            for item in later
        ]  # fmt: skip
        columns = (whole("id", right=True), whole("account"), text("action"), whole("may call from"),
                   text("why not now"))
        show_table(columns, rows, title="calls not allowed now", wide=wide)


@activity_app.command("complete")
def activity_complete(
    activity: Annotated[int, typer.Argument(help="The activity id (from the worklist).")],
    outcome: Annotated[str, typer.Option(help="A configured outcome code, e.g. PROMISE, NOANSWER, LEFTMSG (arrears "
                                              "config show lists them); free text goes in --note.")],
    note: Annotated[str, typer.Option(help="A note for the account's collection notes.")] = "",
    on: Annotated[str | None, typer.Option("--date", help="When it was done (default: today).")] = None,
    at: Annotated[str | None, typer.Option("--time", help="When the call was made, HH:MM in the party's time zone "
                                           "(default: now, or noon of --date).")] = None,
    actor: Annotated[str, typer.Option(help="Who completed it.")] = "cli",
    amount: AmountOption = None,
    due: DueOption = None,
    repeat: RepeatOption = None,
    grace: GraceOption = None,
    advance: AdvanceOption = False,
    channel: ChannelOption = "phone",
    db: DbOption = None,
) -> None:
    """Complete a pending activity with an outcome. A call is recorded as made now (or at --time, or at noon of
    --date) and checked against the contact rules of that moment: one that broke a rule is recorded all the same,
    flagged with the rule and reason (printed as a warning) for the compliance report. With a promise outcome,
    --amount and --due (and --repeat, --grace, --advance) take the promise the party made."""
    from arrears.services.worklist import complete_activity

    day = parse_date(on, "date")
    local = parse_time(at)
    promise = promise_request(amount, due, repeat, grace, advance, channel)
    with user_errors():
        breach = complete_activity(open_db(db), activity, outcome, note, on=day or date.today(), actor=actor,
                                   at=None if day or local else datetime.now().astimezone(),
                                   local_time=local, promise=promise)  # fmt: skip
    console.print(f"activity {activity} done: {outcome}")
    if promise is not None:
        console.print(f"promise taken: {format_cents(promise.amount_cents)} due {promise.due}"
                      f"{' ' + str(promise.repeat) if promise.repeat else ''}")  # fmt: skip
    if breach:
        errors.print(f"[yellow]warning[/yellow] the call broke a contact rule and is flagged: {escape(breach)}")


@app.command()
def explain(
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="The date to explain (default: today).")] = None,
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Why an account is or is not in collections: each rule with its value and threshold, the assignment,
    every pending activity with the reason it exists, each compliance rule that held or deferred work, and the
    account's milestone in its scheme (why, and what the next one needs and when)."""
    from arrears.services.explain import explain as explain_account
    from arrears.services.stored_strategy import load_strategy

    database = open_db(db)
    with user_errors():
        result = explain_account(database, account, parse_date(as_of, "as-of") or date.today(), load_strategy(database))
    if json:
        print_json(result.as_dict())
        return
    console.print(f"[bold]{result.account}[/bold] ({result.portfolio}) on {result.as_of}: {result.verdict}")
    console.print(f"entry rules: {result.policy}")
    if result.checks:
        rows = [(shown(c.rule), shown(c.value), shown(c.threshold), "yes" if c.holds else "no") for c in result.checks]
        show_table((text("rule"), whole("account"), whole("threshold"), whole("holds")), rows, wide=wide)
    if result.assignment:
        console.print(f"assignment: {result.assignment}")
    if result.milestone:
        console.print(f"milestones: {escape(result.milestone)}")
    for promise in result.promises:
        console.print(escape(promise))
    for case in result.cases:
        console.print(
            f"case {case['track']} #{case['episode']}: {case['status']} since {case['entered_on']}"
            + (f", closed {case['closed_on']}: {case['close_reason']}" if case["closed_on"] else "")
            + (f", held: {case['hold_reason']}" if case["hold_reason"] else "")
        )
    if result.pending:
        rows = [(str(p["id"]), str(p["due"]), p["kind"], shown(p["action"]), shown(p["assignee"]), shown(p["reason"]))
                for p in result.pending]  # fmt: skip
        pending = (whole("id", right=True), whole("due"), extra("type"), text("action"), text("assignee"), text("why"))
        show_table(pending, rows, title="pending activities", wide=wide)
    for event in result.history[-10:]:
        console.print(f"{event['on']} {event['event']}: {event['detail']}")
    if result.compliance:
        console.print("compliance rules that held, deferred or redirected work:")
        for gated in result.compliance:
            console.print(f"{gated['on']} {gated['rule']} {gated['verdict']} {gated['channel']}: "
                          f"{escape(gated['reason'])}")  # fmt: skip
