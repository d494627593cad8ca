"""Letter use cases: the merge data of queued letters, previewing a template for one account, letterheads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.itemization import itemization_date, itemize
from arrears.domain.ledger import entry_from_line, plan_paid_cents, plan_standing, position_lines, replay
from arrears.domain.strategy import LetterTemplate
from arrears.letters.merge_data import MergeData
from arrears.services.stored_strategy import load_strategy
from arrears.store.accounts import account_id_of
from arrears.store.db import Connection, Database
from arrears.store.merge_facts import read_letterheads, read_merge_facts
from arrears.store.portfolios import portfolio_by_code
from arrears.store.uow import UnitOfWork


def merge_data_for(
    connection: Connection, account_ids: Sequence[int], as_of: date, with_logo: bool = False
) -> dict[int, MergeData]:
    """The letter merge data of ``account_ids`` on ``as_of``: the one definition the run, print and preview use.

    The logo is left out unless ``with_logo``: a queued letter records its portfolio, and the logo is read
    when the letter is printed rather than copied into every queued letter.
    """
    letterheads = read_letterheads(connection, with_logo)
    data = {}
    for account_id, facts in read_merge_facts(connection, account_ids).items():
        pos = position_lines(facts.lines, as_of)
        since = itemization_date(facts.anchor_due, pos.oldest_unpaid_due, as_of)
        entries = [entry_from_line(line) for line in facts.lines]
        plan = None
        if facts.plan is not None:
            payments = replay(entry for entry in entries if entry.posted <= as_of).payments
            plan = plan_standing(facts.plan, plan_paid_cents(facts.plan, payments, as_of), pos.balance_cents)
        data[account_id] = MergeData(
            facts.party, facts.external_id, facts.status_code, facts.portfolio_code, facts.portfolio_name, pos,
            as_of, letterhead=letterheads.get(facts.portfolio_code, {}),
            itemization=itemize(entries, since, as_of, facts.descriptions), plan=plan,
            representatives=facts.representatives, promise=facts.promise,
        )  # fmt: skip
    return data


def merge_data(db: Database, account_external_id: str, as_of: date) -> MergeData:
    """The merge data of one account on ``as_of``."""
    with db.engine.connect() as connection:
        account_id = account_id_of(connection, account_external_id)
        if account_id is None:
            raise NotFound(f"no account {account_external_id!r}")
        return merge_data_for(connection, [account_id], as_of, with_logo=True)[account_id]


def preview_letter(db: Database, letter_code: str, account_external_id: str, as_of: date) -> tuple[str, str]:
    """The letter ``letter_code`` rendered for one account on ``as_of``: (subject, body).

    An unknown letter or account is :class:`NotFound`; a template that cannot be rendered (unknown merge
    field, bad syntax) is :class:`ValidationFailed` naming the letter and the field.
    """
    template = load_strategy(db).letter(letter_code)
    if template is None:
        raise NotFound(f"no letter '{letter_code}'")
    return preview_template(db, template, account_external_id, as_of)


def preview_template(
    db: Database, template: LetterTemplate, account_external_id: str, as_of: date
) -> tuple[str, str]:
    """``template`` (saved or not: the admin page previews what is being edited) rendered for one account on
    ``as_of``: (subject, body); :class:`NotFound` for an unknown account, :class:`ValidationFailed` naming the
    letter and the field for a template that cannot be rendered."""
    from arrears.letters.render import LetterError, letter_context, render_letter  # Jinja2 only where one renders

    data = merge_data(db, account_external_id, as_of)
    try:
        rendered = render_letter(template, letter_context(data, template))
    except LetterError as error:
        raise ValidationFailed([Problem(f"letters[{template.code}]", str(error))]) from error
    return rendered.subject, rendered.body


@dataclass(frozen=True, slots=True)
class Letterhead:
    """What a portfolio prints at the top of its letters besides its name; an empty field is its parent's."""

    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    logo: bytes | None = None
    """A PNG, JPEG or GIF image (its type is read from its first bytes), at most :data:`LOGO_LIMIT` bytes."""


LOGO_LIMIT = 512 * 1024
_LOGO_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))
_LETTERHEAD_LENGTHS = {"address1": 200, "address2": 200, "city": 100, "state": 40, "postal_code": 20, "phone": 40}


def logo_type(logo: bytes) -> str | None:
    """The MIME type of a logo from its first bytes, or None when it is not a PNG, JPEG or GIF image."""
    return next((kind for magic, kind in _LOGO_TYPES if logo.startswith(magic)), None)


def set_letterhead(db: Database, portfolio_code: str, letterhead: Letterhead) -> None:
    """Store the letterhead of ``portfolio_code`` (every field replaced; ``logo=None`` removes the logo)."""
    problems = [
        Problem(name, f"is at most {length} characters", getattr(letterhead, name)[:40])
        for name, length in _LETTERHEAD_LENGTHS.items()
        if len(getattr(letterhead, name)) > length
    ]
    kind = ""
    if letterhead.logo is not None:
        kind = logo_type(letterhead.logo) or ""
        if not kind:
            problems.append(Problem("logo", "must be a PNG, JPEG or GIF image"))
        if len(letterhead.logo) > LOGO_LIMIT:
            problems.append(Problem("logo", f"is at most {LOGO_LIMIT:,} bytes", f"{len(letterhead.logo):,} bytes"))
    with UnitOfWork(db) as uow:
        row = portfolio_by_code(uow.session, portfolio_code)
        if row is None:
            raise NotFound(f"no portfolio {portfolio_code!r}")
        if problems:
            raise ValidationFailed(problems)
        for name in _LETTERHEAD_LENGTHS:
            setattr(row, name, getattr(letterhead, name).strip())
        row.logo, row.logo_type = letterhead.logo, kind
        uow.commit()
