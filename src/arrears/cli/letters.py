"""Commands about letters: printing the day's batch (``arrears letters print``) and portfolio letterheads
(``arrears portfolios letterhead``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from arrears.cli.accounts import portfolios_app
from arrears.cli.app import DbOption, app, console, open_db, parse_date, user_errors

letters_app = typer.Typer(help="Letters: print the queued letters of a day for the print shop.", no_args_is_help=True)
app.add_typer(letters_app, name="letters")


@letters_app.command("print")
def letters_print(
    day: Annotated[
        str | None,
        typer.Option(
            "--date", help="The day the letters were queued (default: the latest day with letters).", show_default=False
        ),
    ] = None,
    portfolio: Annotated[str | None, typer.Option(help="Only this portfolio's letters.", show_default=False)] = None,
    output: Annotated[Path, typer.Option(help="Folder the PDFs and the index are written to.")] = Path("letters"),
    db: DbOption = None,
) -> None:
    """Print a day's queued letters: one PDF for the print shop (a cover sheet, then the letters in postal
    order), one PDF per letter, an index CSV; the letters are marked printed (a reprint writes nothing new)."""
    from arrears.services.letter_print import print_batch

    with user_errors():
        batch = print_batch(open_db(db), output, day=parse_date(day), portfolio=portfolio, printed_on=date.today())
    console.print(
        f"{batch.letters} letter{'s' if batch.letters != 1 else ''}, {batch.pages} pages (cover sheet included) of "
        f"{batch.day.isoformat()}: "
        f"{batch.combined}, index {batch.index}, one PDF per letter in {batch.folder}"
    )
    console.print(
        f"{batch.newly_printed} marked printed" if batch.newly_printed else "reprint: every letter was printed before"
    )


@portfolios_app.command("letterhead")
def portfolios_letterhead(
    code: Annotated[str, typer.Argument(help="Portfolio code.")],
    address1: Annotated[str, typer.Option(help="First address line.")] = "",
    address2: Annotated[str, typer.Option(help="Second address line.")] = "",
    city: Annotated[str, typer.Option(help="City.")] = "",
    state: Annotated[str, typer.Option(help="State.")] = "",
    postal_code: Annotated[str, typer.Option("--postal-code", help="ZIP / postal code.")] = "",
    phone: Annotated[str, typer.Option(help="Billing office phone number.")] = "",
    logo: Annotated[Path | None, typer.Option(help="Logo image: PNG, JPEG or GIF.", show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Set the letterhead a portfolio prints on its letters (fields left empty come from its parent)."""
    from arrears.services.letters import Letterhead, set_letterhead

    if logo is not None and not logo.is_file():
        raise typer.BadParameter(f"no file at {logo}", param_hint="--logo")
    image = logo.read_bytes() if logo is not None else None
    with user_errors():
        set_letterhead(open_db(db), code, Letterhead(address1, address2, city, state, postal_code, phone, image))
    console.print(f"letterhead of {code} saved")
