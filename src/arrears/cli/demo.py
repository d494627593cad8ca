"""``arrears demo``: build a deterministic, realistic demo database, run the collections engine over its
last days, and show the portfolios' aging and what collections did."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from arrears.cli.app import JsonOption, app, console, errors, parse_date, print_json, shown, user_errors
from arrears.domain.money import format_cents

if TYPE_CHECKING:
    from rich.progress import TaskID

    from arrears.services.demo import CollectionsSummary, DemoResult
    from arrears.services.reports import PortfolioReport

STAGES = {
    "generate": "generating accounts",
    "load": "loading rows",
    "summarize": "summarizing accounts",
    "run": "running days",
}
DEMO_URL = "http://127.0.0.1:8000/"
"""Where ``arrears serve`` answers by default."""
FIGURES = (
    ("entered", "entered collections"),
    ("resolved", "resolved"),
    ("referred", "referred to external collections"),
    ("letters_queued", "letters queued"),
    ("fees_posted", "fees posted"),
)


def _remove_database(path: Path) -> None:
    """Delete a SQLite file and its WAL/journal companions, so the demo starts from nothing."""
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a directory", param_hint="--out")
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _table(report: PortfolioReport) -> Table:
    """One column per portfolio (and the total), one row per figure: fits an 80-column terminal."""
    from arrears.services.reports import BUCKETS

    columns = [*report.portfolios, report.total]
    table = Table(title=f"Portfolios at {report.as_of.isoformat()}", title_justify="left")
    table.add_column("")
    for column in columns:
        table.add_column("Total" if column is report.total else column.code, justify="right", no_wrap=True)
    table.add_row("accounts", *(f"{c.accounts:,}" for c in columns))
    table.add_row("balance", *(format_cents(c.balance_cents) for c in columns), style="bold")
    table.add_section()
    for bucket in BUCKETS:
        table.add_row(bucket, *(format_cents(c.bucket(bucket)) for c in columns))
    table.add_row("credit", *(format_cents(-c.credit_cents) for c in columns))
    return table


def _collections_table(summary: CollectionsSummary) -> Table:
    """What the runs did, in total."""
    table = Table(title=f"Collections: {summary.runs} daily runs", title_justify="left")
    table.add_column("")
    table.add_column("count", justify="right")
    for name, label in FIGURES:
        table.add_row(label, f"{summary.count(name):,}")
    table.add_section()
    for kind, count in sorted(summary.activities.items()):
        table.add_row(f"activities: {kind.replace('_', ' ')}", f"{count:,}")
    if summary.count("errors"):
        table.add_section()
        table.add_row("account errors", f"{summary.count('errors'):,}", style="yellow")
    return table


def _collector_table(summary: CollectionsSummary) -> Table:
    """One column per assignee (collector or group) and the total; activities created, then open work."""
    from arrears.domain.strategy import OPERATOR_KINDS

    assignees = sorted(set(summary.by_collector) | set(summary.worklist))
    kinds = sorted({kind for counts in summary.by_collector.values() for kind in counts})
    operator = sorted(kind.value for kind in OPERATOR_KINDS)
    table = Table(title="Activities by collector", title_justify="left")
    table.add_column("")
    for assignee in assignees:
        table.add_column(assignee, justify="right", no_wrap=True)
    table.add_column("Total", justify="right", no_wrap=True)

    def row(label: str, counts: dict[str, dict[str, int]], kind: str, style: str | None = None) -> None:
        values = [counts.get(assignee, {}).get(kind, 0) for assignee in assignees]
        table.add_row(label, *(f"{value:,}" for value in values), f"{sum(values):,}", style=style)

    for kind in kinds:
        row(kind.replace("_", " "), summary.by_collector, kind)
    table.add_section()
    for kind in operator:
        row(f"open {kind.replace('_', ' ')}s", summary.worklist, kind, "bold")
    return table


@app.command()
def demo(
    accounts: Annotated[int, typer.Option("--accounts", min=1, help="How many accounts to generate.")] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")] = 42,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            min=0,
            help="Run the collections engine over the last N days of the history, day by day "
            "(0: only build the data).",
        ),
    ] = 120,
    out: Annotated[
        Path, typer.Option("--out", help="SQLite file to create (an existing one is replaced).")
    ] = Path("arrears-demo.db"),
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date the 18 months of history end (YYYY-MM-DD); default today.",
                     show_default=False),
    ] = None,
    strategy: Annotated[
        Path | None,
        typer.Option("--strategy", help="Strategy document to apply before the runs (default: "
                     "examples/strategy.yaml).", show_default=False),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Build a realistic demo database (three medical portfolios, 18 months of ledgers, claims and plans),
    apply a collections strategy and run the engine over the last days, one run a day."""
    from arrears.services.database import open_sqlite_file
    from arrears.services.demo import build_demo, demo_example, example_strategy_path
    from arrears.services.reports import portfolio_report
    from arrears.services.security import add_demo_logins

    end = parse_date(as_of, "as-of") or date.today()
    text, name = None, "strategy.yaml"
    if days:
        document = strategy or example_strategy_path()
        if not document.is_file():
            raise typer.BadParameter(f"no strategy document at {document}", param_hint="--strategy")
        text, name = document.read_text(encoding="utf-8"), str(document)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    _remove_database(out)
    database = open_sqlite_file(out)
    try:
        with user_errors(), Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            result = build_demo(
                database, accounts, seed, end, progress, days=days, strategy_text=text, strategy_name=name
            )
        report = portfolio_report(database, end)
        example = demo_example(database, end) if days else None
        logins = add_demo_logins(database, datetime.now(UTC)) if days else []
    finally:
        database.dispose()
    if json:
        print_json(_as_json(result, report, out) | {"example": asdict(example) if example else None,
                                                    "logins": [asdict(login) for login in logins]})  # fmt: skip
        return
    ran = ""
    if result.collections is not None:
        first = end - timedelta(days=days - 1)
        ran = f", ran {days} days ({first.isoformat()} to {end.isoformat()}) with {name}"
    console.print(
        f"Built {result.accounts:,} accounts, {result.ledger_lines:,} ledger lines, {result.claims:,} claims and "
        f"{result.plans:,} payment plans in {out} (seed {seed}, history to {end.isoformat()}){ran} "
        f"in {result.seconds['total']:.1f} s.",
        soft_wrap=True,
    )
    console.print(_table(report))
    for portfolio in report.portfolios:
        console.print(f"  {portfolio.code:<8} {portfolio.name}", highlight=False, soft_wrap=True)
    if result.collections is not None:
        console.print(_collections_table(result.collections))
        console.print(_collector_table(result.collections))
    if example is not None:
        # the account ids depend on the day the history ends: name one that is in collections today
        where = shown(f"sqlite:///{out}")
        console.print(
            f"Look at an account in collections ({shown(example.action)}, first on {shown(example.collector)}'s "
            f"worklist on {end.isoformat()}):\n"
            f"  arrears accounts show {shown(example.account)} --db {where}\n"
            f"  arrears worklist --collector {shown(example.collector)} --db {where}\n"
            f"  arrears explain {shown(example.account)} --db {where}",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    if logins:
        console.print(
            f"Serve the web pages and the API: ARREARS_MODE=development arrears serve --db "
            f"{shown(f'sqlite:///{out}')}, then open {DEMO_URL} (the API's documentation is at {DEMO_URL}docs) "
            "and log in as one of:", highlight=False, soft_wrap=True,
        )  # fmt: skip
        for login in logins:
            seen = ", ".join(login.portfolios) or "every portfolio"
            console.print(f"  {shown(login.login):<10} {login.role:<10} password {shown(login.password)}  ({seen})",
                          highlight=False, soft_wrap=True)  # fmt: skip


def _as_json(result: DemoResult, report: PortfolioReport, out: Path) -> dict[str, object]:
    return {
        "database": str(out),
        "seed": result.seed,
        "as_of": result.as_of.isoformat(),
        "days": result.days,
        "accounts": result.accounts,
        "parties": result.parties,
        "phones": result.phones,
        "ledger_lines": result.ledger_lines,
        "claims": result.claims,
        "payment_plans": result.plans,
        "behaviours": result.behaviours,
        "time_zones": result.time_zones,
        "seconds": result.seconds,
        **report.as_dict(),
        "collections": result.collections.as_dict() if result.collections is not None else None,
    }
