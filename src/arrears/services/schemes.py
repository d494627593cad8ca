"""Milestone schemes and credit rating, read-only: a scheme's collections actions summary, a party's rating."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from arrears.domain.errors import NotFound
from arrears.domain.strategy import Strategy
from arrears.domain.strategy.schemes import ActionSummaryLine, actions_summary
from arrears.store import milestones as store_milestones
from arrears.store.db import Database


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
        party = store_milestones.party_of(connection, who)
        if party is None:
            raise NotFound(f"no party {who!r} (give a party id or an account's external id)")
        awards = [(on, points) for on, points in store_milestones.party_points(connection, party[0]) if on <= as_of]
    marked = [(on, points, rating.counted(on, as_of)) for on, points in awards]
    counted = sum(points for _, points, within in marked if within)
    return PartyRating(party[0], party[1], as_of, counted, sum(p for _, p in awards), rating.level(counted),
                       rating.lookback_days, marked)  # fmt: skip
