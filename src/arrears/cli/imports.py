"""``arrears import accounts|transactions|claims|plans FILE.csv``: validate a whole file, then write it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arrears.cli.app import (
    DbOption,
    JsonOption,
    UserOption,
    app,
    console,
    errors,
    open_db,
    parse_date,
    print_json,
    resolve_user,
    shown,
    user_errors,
)
from arrears.cli.tables import show_table, text, whole
from arrears.services.import_columns import COLUMNS, ImportKind

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from arrears.services.importing import ImportReport

import_app = typer.Typer(
    help=(
        "Import a CSV file of accounts, transactions, claims or payment plans. The file is validated whole "
        "first: one bad row rejects it, every problem is reported (row as numbered in the file, header = 1) "
        "and nothing is written (exit code 1). Rows whose external_id is already stored are skipped as "
        "unchanged (listed as conflicts when they differ), so importing a file twice changes nothing; stored "
        "accounts are updated instead, field by field, each change audited (--dry-run lists them). "
        "Columns are documented in docs/import.md and in each command's --help."
    ),
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file (UTF-8, header row first).")
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]

_PHASES = {"validate": "validating", "write": "writing", "summaries": "summaries"}


def columns_help(kind: ImportKind) -> str:
    """The documented columns of ``kind``, for a command's ``--help`` (required ones marked)."""
    lines = [f"{column.name}{' (required)' if column.required else ''}: {column.help}" for column in COLUMNS[kind]]
    return "\n\n".join(lines)


def _progress_bar(enabled: bool) -> tuple[Progress | None, dict[str, TaskID]]:
    if not enabled:
        return None, {}
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
    )
    return bar, {}


def run_import(
    kind: ImportKind, path: Path, db: str | None, as_json: bool, dry_run: bool, quiet: bool, user: str | None = None,
    plan: str | None = None, start_date: str | None = None,
) -> None:
    """Import ``path``, show the report and exit 1 when the file was rejected."""
    from arrears.services.importing import import_file

    show_progress = not quiet and not as_json and errors.is_terminal
    bar, tasks = _progress_bar(show_progress)

    def progress(phase: str, done: int, total: int) -> None:
        if bar is None:
            return
        if phase not in tasks:
            tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=total)
        bar.update(tasks[phase], completed=done, total=total)

    with user_errors():
        start = parse_date(start_date, "start-date")
        database = open_db(db)
        try:
            if bar is not None:
                with bar:
                    report = import_file(database, kind, path, progress, dry_run=dry_run, actor=resolve_user(user),
                                         plan=plan, plan_user=user, plan_start=start)  # fmt: skip
            else:
                report = import_file(database, kind, path, dry_run=dry_run, actor=resolve_user(user), plan=plan,
                                     plan_user=user, plan_start=start)  # fmt: skip
        finally:
            database.dispose()
    if as_json:
        print_json(report.to_dict())
    else:
        show_report(report)
    if not report.ok:
        raise typer.Exit(1)


def show_report(report: ImportReport) -> None:
    """Counts, then conflicts and problems as tables."""
    if not report.ok:
        rows = [(str(p.row), shown(p.column), shown(p.value), shown(p.rule)) for p in report.problems]
        show_table((whole("row", right=True), whole("column"), text("value"), text("rule")), rows,
             title=f"{shown(report.path)}: rejected, nothing written")  # fmt: skip
        hidden = report.problem_count - len(report.problems)
        more = f" ({hidden:,} more not shown)" if hidden else ""
        console.print(f"[red]{report.problem_count:,} problem(s){more}[/red] in {report.rows:,} rows")
        return
    if report.dry_run:
        console.print(f"{report.path}: {report.rows:,} rows valid (dry run: nothing written)")
        if report.kind is ImportKind.ACCOUNTS:
            console.print(
                f"would insert {report.inserted:,}, update {report.updated:,}, leave {report.unchanged:,} unchanged"
            )
    else:
        updated = f"updated {report.updated:,}, " if report.kind is ImportKind.ACCOUNTS else ""
        console.print(
            f"{report.path}: {report.rows:,} rows, inserted {report.inserted:,}, {updated}"
            f"unchanged {report.unchanged:,}, conflicting {report.conflicting:,}; summaries refreshed for "
            f"{report.accounts_refreshed:,} accounts"
        )
    if report.plan is not None:
        ran = report.plan
        console.print(f"plan {ran.plan} ran on {ran.ran:,} new accounts")
        if ran.skipped_closed:
            console.print(f"  skipped (closed): {', '.join(shown(e) for e in ran.skipped_closed)}")
        for name, count in sorted(ran.counts.items()):
            console.print(f"  {name}: {count:,}")
    if report.effects:
        console.print("as the transactions posted:")
        for name, count in sorted(report.effects.items()):
            console.print(f"  {name}: {count:,}")
    if report.reopened:
        console.print("closed accounts set back to active, reopened as by `arrears accounts reopen`:")
        for name, count in sorted(report.reopened.items()):
            console.print(f"  {name}: {count:,}")
    if report.updates:
        title = "would change" if report.dry_run else "updated"
        rows = [(str(u.row), shown(u.external_id), u.field, shown(u.before), shown(u.after)) for u in report.updates]
        columns = (whole("row", right=True), whole("external_id"), whole("field"), text("before"), text("after"))
        show_table(columns, rows, title=f"{title}: field by field")
    if report.conflicts:
        rows = [(str(c.row), shown(c.external_id), ", ".join(c.columns)) for c in report.conflicts]
        show_table((whole("row", right=True), whole("external_id"), text("differing columns")), rows,
             title="conflicts: stored with different content, left as stored")  # fmt: skip


PlanOption = Annotated[
    str | None,
    typer.Option("--plan", help="A contact plan to run on each new account, in the import's transaction (once per "
                 "imported account: a replayed file runs nothing); --user is its current operator."),
]  # fmt: skip
StartOption = Annotated[
    str | None,
    typer.Option("--start-date", help="With --plan, for a plan that prompts for a start date: the start date "
                 "YYYY-MM-DD (the reference of its delay days, not of day of month).", show_default=False),
]  # fmt: skip


def _command(kind: ImportKind, summary: str) -> None:
    def command(
        file: FileArgument,
        db: DbOption = None,
        as_json: JsonOption = False,
        dry_run: DryRunOption = False,
        quiet: QuietOption = False,
        user: UserOption = None,
    ) -> None:
        run_import(kind, file, db, as_json, dry_run, quiet, user)

    command.__doc__ = (
        f"{summary}\n\nColumns (header names, any order; optional ones may be left out):\n\n" + columns_help(kind)
    )
    import_app.command(kind.value)(command)


@import_app.command(ImportKind.ACCOUNTS.value)
def import_accounts(
    file: FileArgument,
    db: DbOption = None,
    as_json: JsonOption = False,
    dry_run: DryRunOption = False,
    quiet: QuietOption = False,
    user: UserOption = None,
    plan: PlanOption = None,
    start_date: StartOption = None,
) -> None:
    run_import(ImportKind.ACCOUNTS, file, db, as_json, dry_run, quiet, user, plan, start_date)


import_accounts.__doc__ = (
    "Import accounts with their guarantor.\n\nColumns (header names, any order; optional ones may be left out):"
    "\n\n" + columns_help(ImportKind.ACCOUNTS)
)
_command(ImportKind.TRANSACTIONS, "Import ledger transactions; refreshes the touched accounts' summaries, and "
         "judges promises, settles milestones and runs the plans of linked transaction types as the lines post.")
_command(ImportKind.CLAIMS, "Import insurance claims; refreshes the touched accounts' summaries.")
_command(ImportKind.PLANS, "Import payment plans; refreshes the touched accounts' summaries.")

__all__ = ["import_app", "run_import"]
