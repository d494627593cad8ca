"""What a signed-in user may open: an account or an activity outside their portfolios is not found, the same
answer as an id that does not exist (it says nothing of what exists)."""

from __future__ import annotations

from arrears.domain.access import Principal
from arrears.domain.errors import NotFound
from arrears.services.database import Database
from arrears.services.security import account_portfolio, activity_portfolio
from arrears.web.session import PageRefused


def account_in_scope(db: Database, principal: Principal, external_id: str) -> str:
    """``external_id`` when the user may open that account; 404 otherwise."""
    try:
        visible = principal.sees(account_portfolio(db, external_id))
    except NotFound:
        visible = False
    if not visible:
        raise PageRefused(404, f"There is no account {external_id!r} in your portfolios.")
    return external_id


def activity_in_scope(db: Database, principal: Principal, activity_id: int) -> int:
    """``activity_id`` when the user may work that activity; 404 otherwise."""
    try:
        visible = principal.sees(activity_portfolio(db, activity_id))
    except NotFound:
        visible = False
    if not visible:
        raise PageRefused(404, f"There is no activity {activity_id} in your portfolios.")
    return activity_id
