"""The files that leave Arrears: ``letters list|export``, ``referrals export``, ``credit-reports export``,
``statement-holds export``, and ``runs list|show``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from arrears.cli.app import DbOption, JsonOption, app, console, open_db, parse_date, print_json, shown, user_errors
from arrears.cli.letters import letters_app
from arrears.cli.tables import WideOption, show_table, text, whole

referrals_app = typer.Typer(help="Referrals to external collections: the agency's placement file.",
                            no_args_is_help=True)  # fmt: skip
credit_app = typer.Typer(help="Credit reports the run made: the file a bureau submission starts from.",
                         no_args_is_help=True)  # fmt: skip
holds_app = typer.Typer(help="Statement holds: the file for the billing system.", no_args_is_help=True)
runs_app = typer.Typer(help="The daily runs: their records, counts and errors.", no_args_is_help=True)
app.add_typer(referrals_app, name="referrals")
app.add_typer(credit_app, name="credit-reports")
app.add_typer(holds_app, name="statement-holds")
app.add_typer(runs_app, name="runs")

OutFile = Annotated[Path, typer.Argument(dir_okay=False, help="The CSV file to write (UTF-8).")]


@letters_app.command("list")
def letters_list(
    status: Annotated[str | None, typer.Option(help="queued or printed.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Only letters queued on this day.")] = None,
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List letters: template, account, day queued, status, day printed."""
    from arrears.services.exports import list_letters

    with user_errors():
        rows = list_letters(open_db(db), status, parse_date(on, "date"))
    if json:
        print_json(rows)
        return
    cells = [(str(row["id"]), shown(row["account"]), shown(row["template"]), str(row["queued_on"]), row["status"],
              str(row["printed_on"] or ""), row["addressee"].replace("_", " ")) for row in rows]  # fmt: skip
    show_table((whole("id", right=True), whole("account"), whole("template"), whole("queued"), whole("status"),
          whole("printed"), text("to")), cells, wide=wide)  # fmt: skip


@letters_app.command("export")
def letters_export(
    file: OutFile,
    on: Annotated[str, typer.Option("--date", help="The day the letters were queued.")],
    db: DbOption = None,
) -> None:
    """Write one CSV row per letter queued on a day with its merge data (for a print shop's mail merge)."""
    from arrears.services.exports import export_letters

    day = parse_date(on, "date") or date.today()
    with user_errors():
        count = export_letters(open_db(db), day, file)
    console.print(f"{count} queued letters of {day} written to {shown(file)}")


@referrals_app.command("export")
def referrals_export(
    file: OutFile,
    since: Annotated[str, typer.Option("--since", help="Referrals made on or after this day.")],
    db: DbOption = None,
) -> None:
    """Write the accounts placed with external collections since a day, with the fields of an agency placement
    file; marks them sent (re-exporting the same range writes the same file)."""
    from arrears.services.exports import export_referrals

    day = parse_date(since, "since") or date.today()
    with user_errors():
        result = export_referrals(open_db(db), day, file, on=date.today())
    console.print(f"{result.rows} referrals since {day} written to {shown(file)} ({result.newly_sent} newly sent)")


@credit_app.command("export")
def credit_reports_export(
    file: OutFile,
    on: Annotated[str, typer.Option("--date", help="The day the run made the reports.")],
    db: DbOption = None,
) -> None:
    """Write the credit reports the run made on a day, one row each with the Metro 2 base-segment fields Arrears
    holds; marks them sent (re-exporting the same day writes the same file)."""
    from arrears.services.exports import export_credit_reports

    day = parse_date(on, "date") or date.today()
    with user_errors():
        result = export_credit_reports(open_db(db), day, file, today=date.today())
    console.print(f"{result.rows} credit reports of {day} written to {shown(file)} ({result.newly_sent} newly sent)")


@holds_app.command("export")
def statement_holds_export(
    file: OutFile,
    released_since: Annotated[
        str | None, typer.Option("--since", help="Also the accounts released from collections since this day.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Write the accounts whose statements are on hold (and those released since a day) for the billing system."""
    from arrears.services.exports import export_statement_holds

    with user_errors():
        holds, releases = export_statement_holds(open_db(db), file, parse_date(released_since, "since"))
    console.print(f"{holds} on hold, {releases} released, written to {shown(file)}")


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(help="At most this many runs.")] = 20,
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The latest runs, newest first."""
    from arrears.services.exports import list_runs

    rows = list_runs(open_db(db), limit)
    if json:
        print_json(rows)
        return
    cells = [(str(row["id"]), str(row["as_of"]), shown(row["scope"]), row["status"], str(row["attempts"]),
              str(row["config_version"] or ""), str(row["counts"].get("entered", 0)), str(row["errors"]))
             for row in rows]  # fmt: skip
    show_table((whole("id", right=True), whole("as of"), text("scope"), whole("status"), whole("attempts", right=True),
          whole("config", right=True), whole("entered", right=True), whole("errors", right=True)), cells,
         wide=wide)  # fmt: skip


@runs_app.command("show")
def runs_show(
    run: Annotated[int, typer.Argument(help="The run's id (from runs list).")],
    wide: WideOption = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """One run: its counts, its per-account errors by external id, the configuration version it used."""
    from arrears.services.exports import show_run

    with user_errors():
        view = show_run(open_db(db), run)
    if json:
        print_json(view)
        return
    console.print(f"run {view['id']}: {view['scope']} as of {view['as_of']}, {view['status']}, "
                  f"{view['attempts']} attempt(s), configuration version {view['config_version'] or '-'}")  # fmt: skip
    console.print(f"started {view['started_at']}, finished {view['finished_at'] or '-'}")
    if view["failure"]:
        console.print(f"failure: {shown(view['failure'])}")
    show_table((text("count"), whole("value", right=True)), [(n, str(v)) for n, v in view["counts"].items()],
         title="counts", wide=wide)  # fmt: skip
    if view["errors"]:
        failed = [(shown(e["account"]), shown(e["reason"])) for e in view["errors"]]
        show_table((whole("account"), text("error")), failed, title="errors", wide=wide)
