"""Repository of what the compliance rules read and what they leave behind: the contact facts of many
accounts at once (party flags and representatives, phones, call attempts, letters sent, the debt's facts),
call attempts, the release gate's log, the contacts of a period (for the compliance report), and the flags
and representatives a collector or an import sets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from arrears.domain.compliance import CONVERSATIONS, AttemptClass, CallAttempt, ContactFacts, LetterFlags
from arrears.domain.compliance_rules import contact_facts
from arrears.store import tables
from arrears.store.bulk import query_rows
from arrears.store.models import (
    AccountRow,
    HistoryRow,
    PartyRoleRow,
    PartyRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

BATCH = 5000
FLAG_COLUMNS = {
    "bankruptcy": tables.party.c.bankruptcy, "bankruptcy_filed": tables.party.c.bankruptcy_filed,
    "deceased": tables.party.c.deceased, "deceased_notified": tables.party.c.deceased_notified,
    "cease_communication": tables.party.c.cease_communication, "cease_requested": tables.party.c.cease_requested,
    "attorney_represented": tables.party.c.attorney_represented, "disputed_on": tables.party.c.dispute_date,
    "dispute_verified_on": tables.party.c.dispute_verified, "do_not_call": tables.party.c.do_not_call,
}  # fmt: skip
"""ContactFacts field → party column."""
DEBT_COLUMNS = {
    "medical": tables.account.c.medical, "original_balance_cents": tables.account.c.original_balance_cents,
    "first_bill_on": tables.account.c.first_bill_date, "assistance_applied_on": tables.account.c.assistance_applied_on,
    "assistance_decided_on": tables.account.c.assistance_decided_on,
}  # fmt: skip
"""ContactFacts field → account column."""


def utc(moment: datetime) -> datetime:
    """A stored moment as aware UTC (SQLite gives back the naive UTC text it was given)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _batches(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[start : start + BATCH]) for start in range(0, len(ids), BATCH)]


def _listed(ids: Sequence[int]) -> str:
    """Ids as integer literals for ``IN (…)``: binding thousands of parameters one by one costs more than the
    database spends on the query."""
    return ", ".join(str(int(i)) for i in ids) or "NULL"


_ACCOUNT_COLUMNS = ", ".join(
    ["a.id", "a.guarantor_id", "p.time_zone", "p.state", "s.balance_cents", "s.oldest_unpaid_due", "c.entered_on",
     "c.anchor_due"]
    + [f"p.{column.key}" for column in FLAG_COLUMNS.values()]
    + [f"a.{column.key}" for column in DEBT_COLUMNS.values()]
)  # fmt: skip
_FLAG_DATES = frozenset({"bankruptcy_filed", "deceased_notified", "cease_requested", "disputed_on",
                         "dispute_verified_on"})  # fmt: skip
_DEBT_DATES = frozenset({"first_bill_on", "assistance_applied_on", "assistance_decided_on"})
_CONVERSATIONS = frozenset(cls.value for cls in CONVERSATIONS)
"""The outcome classes that are a conversation with the party (a promise, a refusal, a dispute… were one)."""
_CONVERSATIONS_SQL = ", ".join(f"'{value}'" for value in sorted(_CONVERSATIONS))


def _date(value: Any) -> date | None:
    """A date column as the driver gives it (SQLite: ISO text, of a few hundred distinct days: parsed once each)."""
    if value is None or isinstance(value, date):
        return value
    return _iso_day(value)


@lru_cache(maxsize=8192)
def _iso_day(text: str) -> date:
    return date.fromisoformat(text[:10])


def _moment(value: Any) -> datetime:
    """A moment column as the driver gives it (SQLite: the naive UTC text SQLAlchemy stored), aware UTC."""
    return utc(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


def read_contact_facts(
    connection: Connection,
    account_ids: Sequence[int],
    as_of: date,
    templates: Mapping[str, LetterFlags],
    lookback_days: int,
) -> dict[int, ContactFacts]:
    """The contact facts of ``account_ids`` as they stand on ``as_of``: call attempts of the last
    ``lookback_days`` days (and the conversations of every day: the last one, the first of the current case),
    letters queued up to ``as_of`` and not returned. Four queries per batch, read straight from the driver's
    cursor (no per-row Row objects: the run reads these for every account it decides)."""
    facts: dict[int, ContactFacts] = {}
    end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC) + timedelta(hours=14)
    start = end - timedelta(days=lookback_days + 2)  # a margin for every zone's local day
    for batch in _batches(account_ids):
        listed = _listed(batch)
        # The case join bounded by the batch's ids too: otherwise PostgreSQL hashes every current case.
        rows = query_rows(
            connection,
            f"SELECT {_ACCOUNT_COLUMNS} FROM account a JOIN party p ON p.id = a.guarantor_id "
            "JOIN account_summary s ON s.account_id = a.id LEFT OUTER JOIN collections_case c "
            "ON c.account_id = a.id AND c.track = 'guarantor' AND c.is_current "
            f"AND c.account_id BETWEEN {int(min(batch))} AND {int(max(batch))} WHERE a.id IN ({listed})",
        )
        parties = _listed(sorted({row[1] for row in rows}))
        phones: dict[int, list[str]] = {}
        roles: dict[int, list[str]] = {}
        for party_id, what, value in query_rows(
            connection,
            f"SELECT party_id, 'phone', number FROM phone WHERE party_id IN ({parties}) "
            f"UNION ALL SELECT party_id, 'role', role FROM party_role WHERE party_id IN ({parties})",
        ):
            (phones if what == "phone" else roles).setdefault(party_id, []).append(value)
        calls: dict[int, list[tuple[datetime, str, str]]] = {}
        for account_id, at, outcome, phone_type in query_rows(
            connection,
            "SELECT account_id, at, outcome_class, phone_type FROM call_attempt "
            f"WHERE account_id IN ({listed}) AND at < {{}} AND (at > {{}} OR outcome_class IN ({_CONVERSATIONS_SQL}))",
            (end, start),
        ):
            calls.setdefault(account_id, []).append((_moment(at), outcome, phone_type or ""))
        letters: dict[int, list[tuple[str, date, date]]] = {}
        for account_id, template, first, last in query_rows(
            connection,
            "SELECT account_id, template, MIN(queued_on), MAX(queued_on) FROM letter "
            f"WHERE account_id IN ({listed}) AND channel = 'letter' AND status <> 'returned' AND queued_on <= {{}} "
            "GROUP BY account_id, template",
            (as_of,),
        ):
            letters.setdefault(account_id, []).append((template, _date(first), _date(last)))  # type: ignore[arg-type]
        flagged = len(FLAG_COLUMNS)
        for account_id, party_id, zone, state, balance, oldest, entered, anchor, *values in rows:
            # Only the flags and debt facts that are set: most parties have none (False, NULL: the defaults).
            flags = {
                name: (_date(v) if name in _FLAG_DATES else True)
                for name, v in zip(FLAG_COLUMNS, values[:flagged], strict=True) if v
            }  # fmt: skip
            debt: dict[str, Any] = {
                name: (_date(v) if name in _DEBT_DATES else bool(v) if name == "medical" else v)
                for name, v in zip(DEBT_COLUMNS, values[flagged:], strict=True) if v is not None and v is not False
            }  # fmt: skip
            dues = [day for day in (_date(anchor), _date(oldest)) if day is not None]
            debt["first_delinquency"] = min(dues) if dues else None
            case_start = _date(entered)
            made = calls.get(account_id, ())
            talks = [at for at, outcome, _ in made if outcome in _CONVERSATIONS]
            in_case = [at for at in talks if case_start is not None and at.date() >= case_start]
            facts[account_id] = contact_facts(
                time_zone=zone or "", state=state or "", phones=phones.get(party_id, ()), flags=flags,
                roles=roles.get(party_id, ()),
                attempts=[CallAttempt(at, AttemptClass(outcome), kind) for at, outcome, kind in made if at > start],
                last_conversation=max(talks) if talks else None, first_conversation=min(in_case) if in_case else None,
                letters=letters.get(account_id, ()), templates=templates, case_entered_on=case_start,
                balance_cents=int(balance or 0), debt=debt,
            )  # fmt: skip
    return facts


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def add_call_attempt(
    connection: Connection, account_id: int, activity_id: int | None, at: datetime, outcome: str,
    outcome_class: AttemptClass, actor: str, breach: str | None, phone_type: str = "",
) -> None:
    """Record one call attempt (its moment stored in UTC)."""
    connection.execute(
        tables.call_attempt.insert().values(
            account_id=account_id, activity_id=activity_id, at=at.astimezone(UTC), outcome=outcome,
            outcome_class=outcome_class.value, phone_type=phone_type, actor=actor, breach=breach,
        )
    )  # fmt: skip


def add_history_line(connection: Connection, account_id: int, key: str, on: date, event: str, detail: str) -> None:
    """One line of the account's collections history, in the caller's transaction."""
    connection.execute(
        tables.history.insert().values(key=key[:300], account_id=account_id, on=on, event=event, detail=detail)
    )


def portfolio_of(connection: Connection, account_id: int) -> str:
    """The portfolio code of an account."""
    code = connection.scalar(
        select(tables.portfolio.c.code).join(tables.account, tables.account.c.portfolio_id == tables.portfolio.c.id)
        .where(tables.account.c.id == account_id)
    )  # fmt: skip
    return str(code)


# ----------------------------------------------------------------------------------- the gate's log, report


@dataclass(frozen=True, slots=True)
class GateEvent:
    """One line of the release gate's log: what it did to an activity other than allow it."""

    on: date
    portfolio: str
    account: str
    activity_key: str
    channel: str
    verdict: str
    rule: str
    reason: str
    until: datetime | None


def gate_events(connection: Connection, first: date, last: date, account_id: int | None = None) -> list[GateEvent]:
    """The gate's log from ``first`` to ``last`` (of one account, or all), in date order."""
    event = tables.compliance_event.c
    query = (
        select(event.on, tables.portfolio.c.code, tables.account.c.external_id, event.activity_key, event.channel,
               event.verdict, event.rule, event.reason, event.until)
        .join(tables.account, tables.account.c.id == event.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .where(event.on >= first, event.on <= last)
        .order_by(event.on, event.id)
    )  # fmt: skip
    if account_id is not None:
        query = query.where(event.account_id == account_id)
    return [
        GateEvent(_day(on), code, external, key, channel, verdict, rule, reason, utc(until) if until else None)
        for on, code, external, key, channel, verdict, rule, reason, until in connection.execute(query)
    ]


def gate_counts(connection: Connection, first: date, last: date) -> list[tuple[str, str, str, int]]:
    """(portfolio, verdict, rule, count) of the gate's log from ``first`` to ``last``."""
    query = (
        select(tables.portfolio.c.code, tables.compliance_event.c.verdict, tables.compliance_event.c.rule, func.count())
        .join(tables.account, tables.account.c.id == tables.compliance_event.c.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .where(tables.compliance_event.c.on >= first, tables.compliance_event.c.on <= last)
        .group_by(tables.portfolio.c.code, tables.compliance_event.c.verdict, tables.compliance_event.c.rule)
    )  # fmt: skip
    return [(code, verdict, rule, int(count)) for code, verdict, rule, count in connection.execute(query)]


@dataclass(frozen=True, slots=True)
class EngineContact:
    """A contact the daily run made: a letter, e-mail or SMS queued, a referral to an agency, or a credit report
    (with the balance it reported)."""

    account_id: int
    portfolio: str
    account: str
    on: date
    channel: str
    template: str
    addressee: str
    key: str
    balance_cents: int | None = None


def engine_contacts(connection: Connection, first: date, last: date) -> list[EngineContact]:
    """Every letter, e-mail and SMS the run queued and every referral and credit report it made from ``first``
    to ``last``."""
    letter, referral, report = tables.letter.c, tables.referral.c, tables.credit_report.c
    letters = (
        select(letter.account_id, tables.portfolio.c.code, tables.account.c.external_id, letter.queued_on,
               letter.channel, letter.template, letter.addressee, letter.key)
        .join(tables.account, tables.account.c.id == letter.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .where(letter.queued_on >= first, letter.queued_on <= last)
    )  # fmt: skip
    referrals = (
        select(referral.account_id, tables.portfolio.c.code, tables.account.c.external_id, referral.on, referral.agency,
               referral.key)
        .join(tables.account, tables.account.c.id == referral.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .where(referral.on >= first, referral.on <= last)
    )  # fmt: skip
    reports = (
        select(report.account_id, tables.portfolio.c.code, tables.account.c.external_id, report.on,
               report.key, report.balance_cents)
        .join(tables.account, tables.account.c.id == report.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .where(report.on >= first, report.on <= last)
    )  # fmt: skip
    found = [
        EngineContact(account_id, code, external, _day(on), channel, template, addressee, key)
        for account_id, code, external, on, channel, template, addressee, key in connection.execute(letters)
    ]
    found += [
        EngineContact(account_id, code, external, _day(on), "referral", agency, "", key)
        for account_id, code, external, on, agency, key in connection.execute(referrals)
    ]
    found += [
        EngineContact(account_id, code, external, _day(on), "credit_report", "", "", key, int(balance))
        for account_id, code, external, on, key, balance in connection.execute(reports)
    ]
    return sorted(found, key=lambda c: (c.on, c.account_id, c.key))


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A call attempt a collector recorded, with the rule it broke when it was made (None: none)."""

    portfolio: str
    account: str
    time_zone: str
    at: datetime
    outcome: str
    outcome_class: str
    actor: str
    breach: str | None


def call_records(connection: Connection, first: date, last: date) -> list[CallRecord]:
    """Every call attempt made from ``first`` to ``last`` (UTC days, with a day's margin either side for the
    zones of the parties; the caller keeps those whose local day falls inside)."""
    start = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=2), time(0), tzinfo=UTC)
    call = tables.call_attempt.c
    query = (
        select(tables.portfolio.c.code, tables.account.c.external_id, tables.party.c.time_zone, call.at,
               call.outcome, call.outcome_class, call.actor, call.breach)
        .join(tables.account, tables.account.c.id == call.account_id)
        .join(tables.party, tables.party.c.id == tables.account.c.guarantor_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .where(call.at >= start, call.at < end)
        .order_by(call.at)
    )  # fmt: skip
    return [
        CallRecord(code, external, zone or "", utc(at), outcome, cls, actor, breach)
        for code, external, zone, at, outcome, cls, actor, breach in connection.execute(query)
    ]


# ---------------------------------------------------------------------------------- flags and representatives


def guarantor_rows(session: Session, external_ids: Sequence[str]) -> dict[str, tuple[AccountRow, PartyRow]]:
    """The account and guarantor rows of each account ``external_ids`` names (unknown ones are left out)."""
    found: dict[str, tuple[AccountRow, PartyRow]] = {}
    for start in range(0, len(external_ids), BATCH):
        batch = list(external_ids[start : start + BATCH])
        for account, party in session.execute(
            select(AccountRow, PartyRow).join(tables.party, tables.party.c.id == tables.account.c.guarantor_id)
            .where(tables.account.c.external_id.in_(batch))
        ):  # fmt: skip
            found[account.external_id] = (account, party)
    return found


def set_columns(row: AccountRow | PartyRow, values: Mapping[str, object]) -> dict[str, object]:
    """Set ``values`` on a row; return the values they replace."""
    before = {name: getattr(row, name) for name in values}
    for name, value in values.items():
        setattr(row, name, value)
    return before


ROLE_FIELDS = ("name", "address1", "address2", "city", "state", "postal_code", "phone", "email", "since")


def put_role(session: Session, party_id: int, role: str, values: Mapping[str, object]) -> dict[str, object] | None:
    """Put the representative of ``role`` on file for the party (replacing the one there); return the one
    it replaces (None when there was none)."""
    party_role = tables.party_role.c
    row = session.scalar(select(PartyRoleRow).where(party_role.party_id == party_id, party_role.role == role))
    before = {name: getattr(row, name) for name in ROLE_FIELDS} if row is not None else None
    if row is None:
        row = PartyRoleRow(party_id=party_id, role=role)
        session.add(row)
    for name in ROLE_FIELDS:
        setattr(row, name, values.get(name) or ("" if name != "since" else None))
    return before


def remove_role(session: Session, party_id: int, role: str) -> dict[str, object] | None:
    """Remove the representative of ``role``; return it (None when there was none)."""
    party_role = tables.party_role.c
    row = session.scalar(select(PartyRoleRow).where(party_role.party_id == party_id, party_role.role == role))
    if row is None:
        return None
    before = {name: getattr(row, name) for name in ROLE_FIELDS}
    session.delete(row)
    return before


def add_history(session: Session, account_id: int, key: str, on: date, event: str, detail: str) -> None:
    """One line of the account's collections history."""
    session.add(HistoryRow(key=key[:300], account_id=account_id, on=on, event=event, detail=detail))


def accounts_of_activities(connection: Connection, activity_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """(account id, portfolio code) of each activity ``activity_ids`` names."""
    found: dict[int, tuple[int, str]] = {}
    for batch in _batches(activity_ids):
        for activity_id, account_id, code in connection.execute(
            select(tables.activity.c.id, tables.account.c.id, tables.portfolio.c.code)
            .join(tables.account, tables.account.c.id == tables.activity.c.account_id)
            .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
            .where(tables.activity.c.id.in_(batch))
        ):  # fmt: skip
            found[activity_id] = (account_id, code)
    return found
