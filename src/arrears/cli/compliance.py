"""Commands about the compliance guardrails: ``arrears compliance report``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from arrears.cli.app import DbOption, JsonOption, app, console, open_db, parse_date, print_json, user_errors
from arrears.services.compliance import compliance_report

compliance_app = typer.Typer(help="The compliance guardrails: what they held, deferred, and any breach.",
                             no_args_is_help=True)  # fmt: skip
app.add_typer(compliance_app, name="compliance")


@compliance_app.command("report")
def report(
    first: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    last: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Contacts made, held and deferred per rule and portfolio, and every contact made in breach of a rule
    (the engine's must be zero; a collector's call recorded outside the rules is listed)."""
    start, end = parse_date(first, "from"), parse_date(last, "to")
    assert start is not None and end is not None  # both options are required
    with user_errors():
        result = compliance_report(open_db(db), start, end)
    if json:
        print_json(result.as_dict())
        return
    table = Table("portfolio", "contacts made", "held", "deferred", "redirected",
                  title=f"compliance {result.first} to {result.last}")  # fmt: skip
    shown = lambda counts: ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "-"  # noqa: E731
    for code, figures in sorted(result.portfolios.items()):
        table.add_row(code, shown(figures.contacts), shown(figures.held), shown(figures.deferred),
                      shown(figures.redirected))  # fmt: skip
    console.print(table)
    manual = len(result.breaches) - result.engine_breaches
    console.print(f"contacts made in breach: engine {result.engine_breaches}, collectors {manual}")
    for breach in result.breaches:
        console.print(f"{breach.on} {breach.portfolio} {breach.account} {breach.channel} by {breach.made_by}: "
                      f"{escape(breach.reason)}")  # fmt: skip
