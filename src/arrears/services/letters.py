"""Letter use cases: preview a configured letter template for one account."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.letters.render import LetterError, MergeData, RenderedLetter, letter_context, render_letter
from arrears.services.config import load_strategy
from arrears.services.queries import account_view
from arrears.store.db import Database
from arrears.store.models import AccountRow, PartyRow, PortfolioRow

_PARTY_FIELDS = ("first_name", "last_name", "address1", "address2", "city", "state", "postal_code")


def merge_data(db: Database, account_external_id: str, as_of: date) -> MergeData:
    """The merge data of one account on ``as_of`` (its position from :func:`account_view`)."""
    view = account_view(db, account_external_id, as_of)
    with db.session() as session:
        row = session.execute(
            select(PartyRow, PortfolioRow.name)
            .join(AccountRow, AccountRow.guarantor_id == PartyRow.id)
            .join(PortfolioRow, PortfolioRow.id == AccountRow.portfolio_id)
            .where(AccountRow.external_id == account_external_id)
        ).one()
        party, portfolio_name = row
        fields = {name: getattr(party, name) or "" for name in _PARTY_FIELDS}
    return MergeData(fields, view.external_id, view.status_code, view.portfolio, portfolio_name, view.position, as_of)


def preview_letter(db: Database, letter_code: str, account_external_id: str, as_of: date) -> tuple[str, str]:
    """The letter ``letter_code`` rendered for one account on ``as_of``: (subject, body).

    An unknown letter or account is :class:`NotFound`; a template that cannot be rendered (unknown merge
    field, bad syntax) is :class:`ValidationFailed` naming the letter and the field.
    """
    template = load_strategy(db).letter(letter_code)
    if template is None:
        raise NotFound(f"no letter '{letter_code}'")
    data = merge_data(db, account_external_id, as_of)
    try:
        rendered: RenderedLetter = render_letter(template, letter_context(data))
    except LetterError as error:
        raise ValidationFailed([Problem(f"letters[{letter_code}]", str(error))]) from error
    return rendered.subject, rendered.body
