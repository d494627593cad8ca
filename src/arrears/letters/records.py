"""The merge data a queued letter records, as JSON, and back: one format for the run, print and preview.

The daily run stores :func:`merge_record` of each letter's :class:`~arrears.letters.merge_data.MergeData` with the
queued letter; printing or previewing it later rebuilds the same merge data with :func:`merge_data_from_record`,
so a queued letter renders with exactly the facts of the day it was queued (its plan's standing, the
representatives on file). The letterhead's logo is not recorded (it is the portfolio's, read when the letter is
printed); records written before letterheads, itemizations, plans, representatives or promises existed read
back with none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.itemization import CATEGORY, Itemization, ItemLine
from arrears.domain.ledger import Frequency, Kind, PaymentPlan, PlanStanding, Position
from arrears.domain.promises import PromiseOnFile, PromiseState, PromiseStatus, PromiseTerms, Repeat
from arrears.letters.merge_data import MergeData


def _day(value: object) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value))


def _itemization_record(items: Itemization | None) -> dict[str, Any] | None:
    if items is None:
        return None
    return {
        "date": items.date.isoformat(),
        "balance_cents": items.balance_cents,
        "lines": [[line.posted.isoformat(), line.kind.value, line.description, line.amount_cents]
                  for line in items.lines],
    }  # fmt: skip


def _itemization(record: Mapping[str, Any] | None) -> Itemization | None:
    if not record:
        return None
    since = _day(record["date"])
    assert since is not None
    lines = []
    for posted, kind, description, cents in record["lines"]:
        day = _day(posted)
        assert day is not None
        lines.append(ItemLine(day, Kind(kind), CATEGORY[Kind(kind)], str(description), int(cents)))
    return Itemization(since, int(record["balance_cents"]), tuple(lines))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _plan_record(standing: PlanStanding | None) -> dict[str, Any] | None:
    if standing is None:
        return None
    plan = standing.plan
    return {
        "installment_cents": plan.installment_cents, "frequency": plan.frequency.value,
        "first_due": plan.first_due.isoformat(), "grace_days": plan.grace_days, "start": _iso(plan.start),
        "installments": plan.installments, "paid": standing.paid, "remaining": standing.remaining,
        "next_due": _iso(standing.next_due),
    }  # fmt: skip


def _plan(record: Mapping[str, Any] | None) -> PlanStanding | None:
    if not record:
        return None
    first_due = _day(record["first_due"])
    assert first_due is not None
    installments = record["installments"]
    plan = PaymentPlan(int(record["installment_cents"]), Frequency(record["frequency"]), first_due,
                       int(record["grace_days"]), _day(record["start"]),
                       None if installments is None else int(installments))  # fmt: skip
    return PlanStanding(plan, int(record["paid"]), int(record["remaining"]), _day(record["next_due"]))


def _promise_record(promise: PromiseOnFile | None) -> dict[str, Any] | None:
    if promise is None:
        return None
    terms, state = promise.terms, promise.state
    repeat = terms.repeat
    return {
        "amount_cents": terms.amount_cents, "first_due": terms.first_due.isoformat(),
        "repeat_period": repeat.period.value if repeat is not None and repeat.period is not None else None,
        "repeat_days": repeat.days if repeat is not None else None, "grace_days": terms.grace_days,
        "advance": terms.advance, "installment": state.installment, "paid_cents": state.paid_cents,
        "status": state.status.value, "collector": promise.collector, "collector_name": promise.collector_name,
        "channel": promise.channel,
    }  # fmt: skip


def _promise(record: Mapping[str, Any] | None) -> PromiseOnFile | None:
    if not record:
        return None
    first_due = _day(record["first_due"])
    assert first_due is not None
    period, days = record["repeat_period"], record["repeat_days"]
    repeat = Repeat(RepeatPeriod(period)) if period else Repeat(days=int(days)) if days else None
    terms = PromiseTerms(int(record["amount_cents"]), first_due, repeat, int(record["grace_days"]),
                         bool(record["advance"]))  # fmt: skip
    state = PromiseState(int(record["installment"]), int(record["paid_cents"]), PromiseStatus(record["status"]))
    return PromiseOnFile(terms, state, str(record["collector"]), str(record["collector_name"]),
                         str(record["channel"]))  # fmt: skip


def _representatives(record: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    return {str(role): {str(k): str(v) for k, v in fields.items()} for role, fields in (record or {}).items()}


def merge_record(data: MergeData) -> dict[str, Any]:
    """A JSON-ready record of ``data`` (dates as ISO text). The plan, the representatives and the promise are
    recorded only when there are any (a record without them reads back with none)."""
    position = data.position
    optional: dict[str, Any] = {}
    if data.plan is not None:
        optional["plan"] = _plan_record(data.plan)
    if data.representatives:
        optional["representatives"] = {role: dict(fields) for role, fields in data.representatives.items()}
    if data.promise is not None:
        optional["promise"] = _promise_record(data.promise)
    return {
        "party": dict(data.party),
        "external_id": data.external_id,
        "status_code": data.status_code,
        "portfolio_code": data.portfolio_code,
        "portfolio_name": data.portfolio_name,
        "letterhead": {key: value for key, value in data.letterhead.items() if key != "logo"},
        "as_of": data.as_of.isoformat(),
        "position": {
            "as_of": position.as_of.isoformat(),
            "balance_cents": position.balance_cents,
            "oldest_unpaid_due": position.oldest_unpaid_due.isoformat() if position.oldest_unpaid_due else None,
            "days_past_due": position.days_past_due,
            "aging": [[name, cents] for name, cents in position.aging],
            "last_payment_date": position.last_payment_date.isoformat() if position.last_payment_date else None,
            "last_payment_cents": position.last_payment_cents,
        },
        "itemization": _itemization_record(data.itemization),
        **optional,
    }


def merge_data_from_record(record: Mapping[str, Any], logo: str = "") -> MergeData:
    """The merge data :func:`merge_record` recorded; ``logo`` is the portfolio's logo as a data: URI."""
    p = record["position"]
    as_of = _day(record["as_of"])
    position_as_of = _day(p["as_of"])
    assert as_of is not None and position_as_of is not None
    position = Position(
        as_of=position_as_of,
        balance_cents=int(p["balance_cents"]),
        oldest_unpaid_due=_day(p["oldest_unpaid_due"]),
        days_past_due=int(p["days_past_due"]),
        aging=tuple((str(name), int(cents)) for name, cents in p["aging"]),
        last_payment_date=_day(p["last_payment_date"]),
        last_payment_cents=p["last_payment_cents"],
    )
    letterhead = {str(k): str(v) for k, v in (record.get("letterhead") or {}).items()}
    if logo:
        letterhead["logo"] = logo
    return MergeData(
        {str(k): str(v) for k, v in record["party"].items()},
        str(record["external_id"]),
        str(record["status_code"]),
        str(record["portfolio_code"]),
        str(record["portfolio_name"]),
        position,
        as_of,
        letterhead=letterhead,
        itemization=_itemization(record.get("itemization")),
        plan=_plan(record.get("plan")),
        representatives=_representatives(record.get("representatives")),
        promise=_promise(record.get("promise")),
    )
