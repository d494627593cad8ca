"""``arrears demo``: build a deterministic, realistic demo database and show its portfolios' aging."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arrears.cli.app import JsonOption, app, console, errors, parse_date, print_json, user_errors
from arrears.domain.money import format_cents
from arrears.services.demo import DemoResult, build_demo
from arrears.services.reports import BUCKETS, PortfolioReport, portfolio_report
from arrears.store.db import Database, sqlite_url

STAGES = {"generate": "generating accounts", "load": "loading rows", "summarize": "summarizing accounts"}


def _remove_database(path: Path) -> None:
    """Delete a SQLite file and its WAL/journal companions, so the demo starts from nothing."""
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a directory", param_hint="--out")
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _table(report: PortfolioReport) -> Table:
    """One column per portfolio (and the total), one row per figure: fits an 80-column terminal."""
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
    return table


@app.command()
def demo(
    accounts: Annotated[int, typer.Option("--accounts", min=1, help="How many accounts to generate.")] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")] = 42,
    out: Annotated[
        Path, typer.Option("--out", help="SQLite file to create (an existing one is replaced).")
    ] = Path("arrears-demo.db"),
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date the 18 months of history end (YYYY-MM-DD); default today.",
                     show_default=False),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Build a realistic demo database: three medical portfolios with 18 months of ledgers, claims and plans."""
    end = parse_date(as_of, "as-of") or date.today()
    _remove_database(out)
    database = Database.connect(sqlite_url(out))
    try:
        with user_errors(), Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
        ) as bar:
            tasks = {stage: bar.add_task(label, total=None) for stage, label in STAGES.items()}

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(tasks[stage], completed=done, total=total)

            result = build_demo(database, accounts, seed, end, progress)
        report = portfolio_report(database, end)
    finally:
        database.dispose()
    if json:
        print_json(_as_json(result, report, out))
        return
    console.print(
        f"Built {result.accounts:,} accounts, {result.ledger_lines:,} ledger lines, {result.claims:,} claims and "
        f"{result.plans:,} payment plans in {out} (seed {seed}, history to {end.isoformat()}) "
        f"in {result.seconds['total']:.1f} s.",
        soft_wrap=True,
    )
    console.print(_table(report))
    for portfolio in report.portfolios:
        console.print(f"  {portfolio.code:<8} {portfolio.name}", highlight=False, soft_wrap=True)


def _as_json(result: DemoResult, report: PortfolioReport, out: Path) -> dict[str, object]:
    return {
        "database": str(out),
        "seed": result.seed,
        "as_of": result.as_of.isoformat(),
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
    }
