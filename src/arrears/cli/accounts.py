"""Commands about the data itself: init, migrate, portfolios, accounts, rebuild-summaries."""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

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
    parse_amount,
    parse_date,
    print_json,
    resolve_user,
    shown,
    user_errors,
)
from arrears.cli.tables import WideOption, extra, money, show_table, text, whole
from arrears.domain.money import Money, format_cents

if TYPE_CHECKING:
    from arrears.services.account_page import AccountPage

accounts_app = typer.Typer(
    help="Accounts: look at them (ledger, aging, summary), update, close and reopen them.", no_args_is_help=True
)
portfolios_app = typer.Typer(
    help="Portfolios: practices, clients, divisions under the enterprise.", no_args_is_help=True
)
app.add_typer(accounts_app, name="accounts")
app.add_typer(portfolios_app, name="portfolios")


@app.command()
def init(db: DbOption = None) -> None:
    """Create the database (or bring its schema up to date)."""
    from arrears.services.database import database_location

    database = open_db(db, migrate=True)
    console.print(f"database ready: {database_location(database)}")


@app.command()
def migrate(
    db: DbOption = None,
    backup: Annotated[
        bool | None,
        typer.Option(
            "--backup/--no-backup",
            help="Copy a SQLite file beside itself before migrating. Default: ask on a terminal, else back up.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Bring the schema of an existing database up to date with this Arrears (other commands never do)."""
    from arrears.services.database import migrate_database

    if backup is None:
        backup = not sys.stdin.isatty() or typer.confirm("Back up the database file first (SQLite)?", default=True)
    with user_errors():
        done = migrate_database(db, backup=backup)
    if done.backup is not None:
        console.print(f"backed up to {shown(done.backup)}")
    before = done.before or "no schema"
    if done.before == done.after:
        console.print(f"{shown(done.location)}: already at revision {done.after}")
    else:
        console.print(f"{shown(done.location)}: migrated from {before} to revision {done.after}")


@app.command("rebuild-summaries")
def rebuild_summaries_command(db: DbOption = None) -> None:
    """Recompute every account summary from the ledger (one transaction)."""
    from rich.progress import Progress

    from arrears.services.database import rebuild_summaries

    database = open_db(db)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("summaries", total=None)
        count = rebuild_summaries(database, progress=lambda n: progress.advance(task, n))
    console.print(f"rebuilt {count:,} account summaries")


@portfolios_app.command("list")
def portfolios_list(wide: WideOption = False, db: DbOption = None, json: JsonOption = False) -> None:
    """List portfolios with the maximum amount their accounts take."""
    from arrears.services.queries import list_portfolios

    rows = list_portfolios(open_db(db))
    if json:
        print_json(rows)
        return
    cells = [(shown(r["code"]), shown(r["name"]), shown(r["parent"] or ""),
              r["maximum_amount"] + ("" if r["maximum_amount_cents"] is not None else " (inherited)")) for r in rows]
    show_table((whole("code"), text("name"), whole("parent"), whole("maximum amount", right=True)), cells,
               wide=wide)  # fmt: skip


MaximumOption = Annotated[
    str | None,
    typer.Option("--maximum-amount", help="Largest transaction, claim or installment its accounts take "
                 "(default: the enterprise's, else 10,000,000.00).", show_default=False),
]  # fmt: skip


@portfolios_app.command("add")
def portfolios_add(
    code: Annotated[str, typer.Argument(help="Short unique code, e.g. NORTH.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    maximum_amount: MaximumOption = None,
    db: DbOption = None,
) -> None:
    """Add a portfolio under the enterprise."""
    from arrears.services.accounts import create_portfolio

    cents = parse_amount(maximum_amount, "maximum-amount")
    with user_errors():
        create_portfolio(open_db(db), code, name, cents)
    console.print(f"portfolio {code} added")


@portfolios_app.command("maximum")
def portfolios_maximum(
    code: Annotated[str, typer.Argument(help="The portfolio (ENTERPRISE sets the default of every portfolio).")],
    amount: Annotated[str | None, typer.Argument(help="The largest amount, e.g. 25,000,000.00.")] = None,
    inherit: Annotated[
        bool, typer.Option("--inherit", help="Drop its own maximum: the enterprise's (or the default) applies.")
    ] = False,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Set the largest transaction, claim or installment a portfolio's accounts take; amounts above it are
    refused by every import and posting (what is stored already stays)."""
    from arrears.services.accounts import set_portfolio_maximum

    if (amount is None) == (not inherit):
        raise typer.BadParameter("give either an AMOUNT or --inherit", param_hint="AMOUNT")
    cents = parse_amount(amount, "amount")
    with user_errors():
        set_portfolio_maximum(open_db(db), code, cents, resolve_user(user))
    said = "inherited" if cents is None else str(Money(cents))
    console.print(f"maximum amount of {code}: {said}")


@accounts_app.command("list")
def accounts_list(
    portfolio: Annotated[str | None, typer.Option(help="Only this portfolio's accounts.")] = None,
    in_collections: Annotated[bool, typer.Option("--in-collections", help="Only accounts in collections.")] = False,
    collector: Annotated[
        str | None, typer.Option(help="Only accounts whose open case this collector (or group) works.")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="Only cases in this status: internal, pending_external, held, resolved.")
    ] = None,
    min_balance: Annotated[str | None, typer.Option(help="Only balances of at least this amount, e.g. 100.00.")] = None,
    dpd_over: Annotated[int | None, typer.Option(help="Only accounts more than this many days past due.")] = None,
    where: Annotated[
        str | None, typer.Option(help="A condition, e.g. \"balance > 500 AND NOT on_payment_plan\".")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Day of the days past due (default: today).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (a page).")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many rows first (the next page).")] = 0,
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List accounts, largest balance first, with their collector, case status and days past due."""
    from arrears.services.account_list import AccountFilter, search_accounts

    when = parse_date(as_of, "as-of") or date.today()
    with user_errors():
        cents = parse_amount(min_balance, "min-balance")
        criteria = AccountFilter(portfolio, in_collections, collector, status, cents, dpd_over, where, limit, offset)
        rows = search_accounts(open_db(db), criteria, when)
    if json:
        print_json([row.as_dict() for row in rows])
        return
    columns = (whole("account"), text("guarantor"), money("balance"), whole("dpd", right=True), text("case"),
               text("collector"), extra("portfolio"), extra("mode"), extra("oldest unpaid due"),
               extra("last payment"))  # fmt: skip
    cells = [
        (shown(row.external_id), shown(f"{row.last_name}, {row.first_name}".strip(", ")),
         format_cents(row.balance_cents), str(row.days_past_due), (row.case_status or "").replace("_", " "),
         shown(row.collector or ""), shown(row.portfolio), row.mode, str(row.oldest_unpaid_due or ""),
         str(row.last_payment_date or ""))
        for row in rows
    ]  # fmt: skip
    show_table(columns, cells, title=f"accounts on {when}" + (f" (from row {offset + 1})" if offset else ""), wide=wide)


@accounts_app.command("show")
def accounts_show(
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the position (default: today).")] = None,
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The account page: guarantor and flags, ledger and aging, the collections case, plans and claims, pending
    work, and a timeline of everything that happened, newest first."""
    from arrears.services.account_page import account_page

    when = parse_date(as_of, "as-of") or date.today()
    with user_errors():
        page = account_page(open_db(db), account, when)
    if json:
        print_json(page.as_dict())
        return
    view = page.view
    g = view.guarantor
    console.print(f"[bold]{shown(view.external_id)}[/bold]  {shown(g['name'])}  ({shown(view.portfolio)}, {view.mode})")
    phones = "  ".join(f"{p['type']}: {shown(p['number'])}" for p in g["phones"])
    console.print(f"{shown(g['address'])}  {shown(g['time_zone'])}  {phones}")
    if g["flags"]:
        console.print("flags: " + ", ".join(g["flags"]))
    lines = [
        (str(line.id), str(line.posted), line.kind, format_cents(line.amount_cents), str(line.due or ""),
         shown(line.description or (f"reverses {line.reverses}" if line.reverses else "")), line.source or "")
        for line in view.lines
    ]  # fmt: skip
    show_table((whole("id", right=True), whole("posted"), whole("kind"), money("amount"), whole("due"), text("note"),
          extra("source")), lines, title="ledger", wide=wide)  # fmt: skip
    pos = view.position
    # a credit balance is unapplied credit (nothing is open to age): shown as its own column, not as a
    # negative "current"
    buckets = [*pos.owed_aging, *([("credit", -pos.credit_cents)] if pos.credit_cents else [])]
    show_table([money(name) for name, _ in buckets], [[format_cents(cents) for _, cents in buckets]],
         title=f"aging on {pos.as_of}", wide=wide)  # fmt: skip
    owed = (f"credit balance {format_cents(pos.credit_cents)} (overpaid: nothing owed)" if pos.credit_cents
            else f"balance {format_cents(pos.balance_cents)}")  # fmt: skip
    console.print(
        f"{owed}; {pos.days_past_due} days past due"
        + (f" (oldest unpaid due {pos.oldest_unpaid_due})" if pos.oldest_unpaid_due else "")
        + (
            f"; last payment {format_cents(pos.last_payment_cents or 0)} on {pos.last_payment_date}"
            if pos.last_payment_date
            else "; no payment"
        )
    )
    _print_case_and_work(page, wide)


Text = Annotated[str | None, typer.Option(show_default=False)]


@accounts_app.command("update")
def accounts_update(
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    first_name: Text = None,
    last_name: Text = None,
    address1: Text = None,
    address2: Text = None,
    city: Text = None,
    state: Text = None,
    postal_code: Text = None,
    email: Text = None,
    time_zone: Annotated[str | None, typer.Option(help="IANA time zone, e.g. America/Chicago.")] = None,
    phone: Annotated[str | None, typer.Option(help="The first phone number ('' removes it).")] = None,
    phone_type: Annotated[str | None, typer.Option(help="home, mobile, work or other.")] = None,
    deceased: Annotated[str | None, typer.Option(help="true or false.")] = None,
    bankruptcy: Annotated[str | None, typer.Option(help="true or false.")] = None,
    attorney_represented: Annotated[str | None, typer.Option(help="true or false.")] = None,
    cease_communication: Annotated[str | None, typer.Option(help="true or false.")] = None,
    do_not_call: Annotated[str | None, typer.Option(help="true or false.")] = None,
    dispute_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD ('' clears the dispute).")] = None,
    status_code: Text = None,
    user: UserOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Change fields of an account or its guarantor; each changed field is audited with its old and new value."""
    from arrears.services.account_work import update_account

    given = {
        "first_name": first_name, "last_name": last_name, "address1": address1, "address2": address2,
        "city": city, "state": state, "postal_code": postal_code, "email": email, "time_zone": time_zone,
        "phone": phone, "phone_type": phone_type, "deceased": deceased, "bankruptcy": bankruptcy,
        "attorney_represented": attorney_represented, "cease_communication": cease_communication,
        "do_not_call": do_not_call, "dispute_date": dispute_date, "status_code": status_code,
    }  # fmt: skip
    fields = {name: value for name, value in given.items() if value is not None}
    with user_errors():
        changes = update_account(open_db(db), account, fields, actor=resolve_user(user))
    if json:
        print_json([{"field": c.field, "before": c.before, "after": c.after} for c in changes])
        return
    if not changes:
        console.print(f"account {shown(account)}: nothing changed")
    for change in changes:
        console.print(f"{shown(account)} {change.field}: {shown(change.before)!s} -> {shown(change.after)!s}")




@accounts_app.command("close")
def accounts_close(
    account: AccountArgument,
    reason: ReasonOption,
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Close an account: its collections cases are resolved, pending work is cancelled (except work marked
    do-not-autodelete), payment plans are marked done; the ledger stays."""
    from arrears.services.account_work import close_account

    day = parse_date(on, "on") or date.today()
    with user_errors():
        closing = close_account(open_db(db), account, day, reason, actor=resolve_user(user))
    console.print(
        f"account {shown(account)} closed on {day}: {closing.cases_resolved} case(s) resolved, "
        f"{closing.activities_cancelled} activities cancelled, {closing.activities_kept} kept (do-not-autodelete), "
        f"{closing.plans_ended} payment plan(s) ended"
        + (f", {closing.promises_ended} promise(s) to pay cancelled" if closing.promises_ended else "")
    )


@accounts_app.command("reopen")
def accounts_reopen(
    account: AccountArgument,
    reason: ReasonOption,
    on: OnOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """Make a closed account active again; the promises its closing cancelled stand again while their window is
    open (payments made meanwhile count). The next run decides whether it enters collections."""
    from arrears.services.account_work import reopen_account

    day = parse_date(on, "on") or date.today()
    with user_errors():
        reopening = reopen_account(open_db(db), account, day, reason, actor=resolve_user(user))
    promises = ""
    if reopening.promises_reopened or reopening.promises_left_cancelled:
        promises = (f": {reopening.promises_reopened} promises reopened, {reopening.promises_left_cancelled} left "
                    "cancelled (their window ended while it was closed)")  # fmt: skip
    console.print(f"account {shown(account)} reopened on {day}{promises}")


def _print_case_and_work(page: AccountPage, wide: bool) -> None:
    """The case line, plans, claims, pending work and the timeline of an account page."""
    case = page.current_case
    if case is None:
        console.print("collections: never in collections")
    else:
        state = f"{case.track} collections: {case.status} since {case.entered_on}, collector {shown(case.assignee)}, "
        state += f"work '{shown(case.work)}'"
        if case.closed_on:
            state += f"; closed {case.closed_on}: {shown(case.close_reason or '')}"
        if case.hold_reason:
            state += f"; held: {shown(case.hold_reason)}"
        console.print(state + (f"; episode {case.episode}" if case.episode > 1 else ""))
    console.print("statements: " + ("on hold" if page.statement_hold else "sent"))
    for plan in page.plans:
        console.print(
            f"plan {shown(plan['external_id'])}: {format_cents(plan['installment_cents'])} {plan['frequency']} from "
            f"{plan['first_due_date']}" + ("" if plan["active"] else " (ended)")
        )
    for promise in page.promises:
        console.print(f"promise {promise.id}: {shown(promise.describe())}, taken {promise.created_on} by "
                      f"{shown(promise.collector)} ({promise.channel})")  # fmt: skip
    for claim in page.claims:
        console.print(
            f"claim {shown(claim['external_id'])} {shown(claim['payer'])} billed {claim['billed_date']}: "
            f"{format_cents(claim['amount_cents'])}, paid {format_cents(claim['paid_cents'])}, {claim['status']}"
        )
    if page.pending:
        work = [(str(a.id), f"{a.due_date}{a.due_at.strftime(' %H:%M') if a.due_at else ''}", a.kind,
                 shown(a.action), shown(a.assignee), a.status) for a in page.pending]  # fmt: skip
        show_table((whole("id", right=True), whole("due"), whole("kind"), text("action"), text("collector"),
              whole("status")), work, title="pending work", wide=wide)  # fmt: skip
    show_table((whole("on"), whole("what"), text("")), [(str(e.on), e.kind, shown(e.text)) for e in page.timeline],
         title="timeline (newest first)", wide=wide)  # fmt: skip
