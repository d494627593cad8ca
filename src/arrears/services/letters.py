"""Letter use cases: preview a configured letter template for one account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, select

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.ledger import position
from arrears.letters.render import LetterError, MergeData, RenderedLetter, letter_context, render_letter
from arrears.services.config import load_strategy
from arrears.store.db import Database
from arrears.store.merge_facts import read_merge_facts
from arrears.store.models import AccountRow


def merge_data_for(connection: Connection, account_ids: Sequence[int], as_of: date) -> dict[int, MergeData]:
    """The letter merge data of ``account_ids`` on ``as_of``: the one definition the run, print and preview use."""
    return {
        account_id: MergeData(
            facts.party, facts.external_id, facts.status_code, facts.portfolio_code, facts.portfolio_name,
            position(facts.entries, as_of), as_of,
        )
        for account_id, facts in read_merge_facts(connection, account_ids).items()
    }


def merge_data(db: Database, account_external_id: str, as_of: date) -> MergeData:
    """The merge data of one account on ``as_of``."""
    with db.engine.connect() as connection:
        account_id = connection.scalar(select(AccountRow.id).where(AccountRow.external_id == account_external_id))
        if account_id is None:
            raise NotFound(f"no account {account_external_id!r}")
        return merge_data_for(connection, [account_id], as_of)[account_id]


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
