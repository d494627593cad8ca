"""Commands about letters: portfolio letterheads (``arrears portfolios letterhead``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arrears.cli.accounts import portfolios_app
from arrears.cli.app import DbOption, console, open_db, user_errors
from arrears.services.letters import Letterhead, set_letterhead


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
    if logo is not None and not logo.is_file():
        raise typer.BadParameter(f"no file at {logo}", param_hint="--logo")
    image = logo.read_bytes() if logo is not None else None
    with user_errors():
        set_letterhead(open_db(db), code, Letterhead(address1, address2, city, state, postal_code, phone, image))
    console.print(f"letterhead of {code} saved")
