"""Milestone schemes and credit rating, read-only: a scheme's collections actions summary, a party's rating."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from arrears.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from arrears.domain.strategy import Strategy
from arrears.domain.strategy.schemes import ActionSummaryLine, actions_summary, scheme_for
from arrears.store import milestone_accounts
from arrears.store.account_work import add_history
from arrears.store.accounts import account_by_external_id
from arrears.store.audit import append_audit
from arrears.store.db import Database
from arrears.store.uow import UnitOfWork


def scheme_actions(strategy: Strategy, code: str) -> tuple[ActionSummaryLine, ...]:
    """The collections actions summary of scheme ``code``: every action of every milestone."""
    scheme = strategy.scheme(code)
    if scheme is None:
        known = ", ".join(s.code for s in strategy.schemes) or "none configured"
        raise NotFound(f"no scheme {code!r} (known: {known})")
    return actions_summary(scheme)


@dataclass(frozen=True, slots=True)
class PartyRating:
    """A party's credit points and the level they give on a day."""

    party_id: int
    name: str
    as_of: date
    points: int
    """The points within the look-back: what the level is derived from."""
    all_points: int
    level: str
    lookback_days: int | None
    awards: list[tuple[date, int, bool]] = field(default_factory=list)
    """Each award: the day, the points, and whether it counts (within the look-back)."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["awards"] = [{"on": on.isoformat(), "points": points, "counted": counted}
                          for on, points, counted in self.awards]  # fmt: skip
        return data


def party_rating(db: Database, who: str, as_of: date, strategy: Strategy) -> PartyRating:
    """The credit rating of the party ``who`` names (its id, or one of its accounts) on ``as_of``."""
    rating = strategy.credit_rating
    with db.engine.connect() as connection:
        party = milestone_accounts.party_of(connection, who)
        if party is None:
            raise NotFound(f"no party {who!r} (give a party id or an account's external id)")
        awards = [(on, points) for on, points in milestone_accounts.party_points(connection, party[0]) if on <= as_of]
    marked = [(on, points, rating.counted(on, as_of)) for on, points in awards]
    counted = sum(points for _, points, within in marked if within)
    return PartyRating(party[0], party[1], as_of, counted, sum(p for _, p in awards), rating.level(counted),
                       rating.lookback_days, marked)  # fmt: skip


def hold_in_scheme(
    db: Database, external_id: str, reason: str, *, on: date, until: date | None = None, actor: str,
    strategy: Strategy,
) -> str:
    """Hold the account in its milestone scheme from ``on`` (through ``until``, or until released): the run does
    not move it, unless the scheme lets held accounts decrement and resolve (seed 004). Audited, with a line in
    the account's history; returns the scheme's code. Refused without a reason, with ``until`` before ``on``,
    and for an account whose portfolio has no scheme."""
    problems = []
    if not reason.strip():
        problems.append(Problem("reason", "is required: say why the account is held"))
    if until is not None and until < on:
        problems.append(Problem("until", f"must not be before the day the hold starts ({on})", until.isoformat()))
    with UnitOfWork(db) as uow:
        session = uow.session
        account = account_by_external_id(session, external_id)
        if account is None:
            raise NotFound(f"no account {external_id!r}")
        scheme = scheme_for(strategy.schemes, account.portfolio.code)
        if scheme is None:
            problems.append(Problem("account", f"portfolio {account.portfolio.code} has no milestone scheme",
                                    external_id))  # fmt: skip
        if problems:
            raise ValidationFailed(problems)
        assert scheme is not None
        connection = session.connection()
        before = milestone_accounts.scheme_hold(connection, account.id)
        milestone_accounts.put_hold(connection, account.id, on, until, reason.strip(), actor)
        through = f" through {until}" if until is not None else " until released"
        add_history(session, account.id, on, "scheme_hold", f"held in scheme '{scheme.code}' from {on}{through}: "
                    f"{reason.strip()}"[:500])  # fmt: skip
        after = {"held_on": on.isoformat(), "until": until.isoformat() if until else None, "reason": reason.strip()}
        append_audit(session, actor=actor, entity="scheme_hold", key=external_id, action="held",
                     before=_plain_hold(before), after=after)  # fmt: skip
        uow.commit()
    return scheme.code


def release_from_scheme_hold(db: Database, external_id: str, *, on: date, actor: str) -> None:
    """Release the account's scheme hold: the next run moves it again. Refused when it has none (a conflict)."""
    with UnitOfWork(db) as uow:
        session = uow.session
        account = account_by_external_id(session, external_id)
        if account is None:
            raise NotFound(f"no account {external_id!r}")
        connection = session.connection()
        before = milestone_accounts.scheme_hold(connection, account.id)
        if before is None:
            raise Conflict([Problem("account", "has no scheme hold to release", external_id)])
        milestone_accounts.drop_hold(connection, account.id)
        add_history(session, account.id, on, "scheme_release", f"scheme hold released on {on} ({before['reason']})")
        append_audit(session, actor=actor, entity="scheme_hold", key=external_id, action="released",
                     before=_plain_hold(before), after=None)  # fmt: skip
        uow.commit()


def _plain_hold(hold: dict[str, Any] | None) -> dict[str, Any] | None:
    if hold is None:
        return None
    return {"held_on": str(hold["held_on"]), "until": str(hold["until"]) if hold["until"] else None,
            "reason": hold["reason"]}  # fmt: skip
