"""Why an account is (or is not) in collections on a date: every entry rule with the account's value and
threshold, the assignment its case has, every activity pending that day with the reason it exists, and every
compliance rule that held, deferred or redirected its work (with the rule's numbers).

The case and its work are shown as they stood on the date asked, read from the days each change happened
(entered, referred, closed; created, released, done, cancelled), not as they stand today."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from arrears.domain.cases import PENDING_ACTIVITY, ActivityStatus, CaseStatus, Track
from arrears.domain.errors import NotFound
from arrears.domain.money import format_cents
from arrears.domain.promises import OPEN_PROMISE
from arrears.domain.strategy import AssignmentType, Strategy, TaskAssignment
from arrears.domain.strategy.schemes import explain_state, scheme_for
from arrears.services.account_features import account_features
from arrears.services.promises import list_promises
from arrears.services.stored_strategy import version_note
from arrears.store import milestone_accounts
from arrears.store.accounts import account_id_of
from arrears.store.activities import ActivityRecord, activities_pending_on
from arrears.store.cases import CaseEpisode, case_episodes, history_until
from arrears.store.compliance import gate_events
from arrears.store.db import Database


@dataclass(frozen=True, slots=True)
class Check:
    """One rule: what it asks, the account's value, and whether it holds."""

    rule: str
    value: str
    threshold: str
    holds: bool


@dataclass(slots=True)
class Explanation:
    """The whole answer for one account on one date."""

    account: str
    as_of: date
    portfolio: str
    policy: str
    checks: list[Check] = field(default_factory=list)
    verdict: str = ""
    assignment: str = ""
    cases: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    compliance: list[dict[str, Any]] = field(default_factory=list)
    """Each time a compliance rule held, deferred or redirected the account's work, with the rule's numbers."""
    milestone: str = ""
    """The scheme of the account's portfolio, its milestone and why, and what the next one needs and when."""
    promises: list[str] = field(default_factory=list)
    """The account's promises taken by the date: each with its terms, status and what keeps or breaks it."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "account": self.account,
            "as_of": self.as_of.isoformat(),
            "portfolio": self.portfolio,
            "policy": self.policy,
            "checks": [{s: getattr(c, s) for s in Check.__slots__} for c in self.checks],
            "verdict": self.verdict,
            "assignment": self.assignment,
            "cases": self.cases,
            "pending": self.pending,
            "history": self.history,
            "compliance": self.compliance,
            "milestone": self.milestone,
            "promises": self.promises,
        }


def episode_open_on(episode: CaseEpisode, day: date) -> bool:
    """Whether the episode was open on ``day``: entered by then and not closed on or before it."""
    return episode.entered_on <= day and (episode.closed_on is None or episode.closed_on > day)


def case_status_on(episode: CaseEpisode, day: date) -> CaseStatus:
    """The episode's state on ``day`` (entered by then), from the days of its changes: resolved from the day
    it closed, pending external from the day it was referred, otherwise its stored open state (a hold has no
    day of its own) or internal."""
    if episode.closed_on is not None and episode.closed_on <= day:
        return CaseStatus.RESOLVED
    if episode.referred_on is not None and episode.referred_on <= day:
        return CaseStatus.PENDING_EXTERNAL
    return CaseStatus.HELD if episode.status == CaseStatus.HELD.value else CaseStatus.INTERNAL


def activity_status_on(activity: ActivityRecord, day: date) -> ActivityStatus:
    """The state on ``day`` of an activity pending that day: open once released into a worklist, else
    scheduled (or held, which has no day of its own); without a release day, its stored pending state."""
    if activity.released_on is not None:
        return ActivityStatus.OPEN if activity.released_on <= day else ActivityStatus.SCHEDULED
    status = ActivityStatus(activity.status)
    return status if status in PENDING_ACTIVITY else ActivityStatus.SCHEDULED


def rule_text(assignment: TaskAssignment, index: int | None) -> str:
    """An assignment rule as a person reads it: its number and range (balances in dollars), and its condition."""
    if index is None:
        return "no rule matched: defaults"
    if index >= len(assignment.rules):
        return f"rule {index + 1} (no longer configured)"
    rule = assignment.rules[index]
    condition = f", if {rule.condition}" if rule.has_condition else ""
    if assignment.assignment_type is AssignmentType.BALANCE_RANGE:
        return f"rule {index + 1} ({format_cents(int(rule.from_))}–{format_cents(int(rule.to))}{condition})"
    return f"rule {index + 1} ({rule.from_}–{rule.to}{condition})"


def explain(db: Database, external_id: str, as_of: date, strategy: Strategy) -> Explanation:
    """Explain the account ``external_id`` on ``as_of`` under ``strategy``."""
    with db.engine.connect() as connection:
        account_id = account_id_of(connection, external_id)
        if account_id is None:
            raise NotFound(f"no account {external_id!r}")
        row = account_features(connection, strategy, as_of, account_id)
        if row is None:
            raise NotFound(f"account {external_id!r} has no summary")
        episodes = [e for e in case_episodes(connection, account_id) if e.entered_on <= as_of]
        pending = activities_pending_on(connection, account_id, as_of)
        history = history_until(connection, account_id, as_of)
        gated = gate_events(connection, date.min, as_of, account_id)
        milestone = _milestone(connection, strategy, account_id, row["portfolio"], as_of)
    case_rows = [
        {"track": e.track, "episode": e.episode, "status": case_status_on(e, as_of).value,
         "entered_on": e.entered_on, "assignee": e.assignee, "work": e.work, "entry_reason": e.entry_reason,
         "referred_on": e.referred_on if e.referred_on is not None and e.referred_on <= as_of else None,
         "closed_on": None if episode_open_on(e, as_of) else e.closed_on,
         "close_reason": None if episode_open_on(e, as_of) else e.close_reason,
         "hold_reason": e.hold_reason if case_status_on(e, as_of) is CaseStatus.HELD else None}
        for e in episodes
    ]  # fmt: skip
    pending_rows = [
        {"id": a.id, "kind": a.kind, "action": a.action, "assignee": a.assignee, "due": a.due_date,
         "status": activity_status_on(a, as_of).value, "reason": a.reason}
        for a in pending
    ]  # fmt: skip
    history_rows = [{"on": h.on, "event": h.event, "detail": h.detail} for h in history]
    compliance_rows = [
        {"on": g.on, "rule": g.rule, "verdict": g.verdict, "channel": g.channel, "activity": g.activity_key,
         "reason": g.reason, "until": g.until}
        for g in gated
    ]  # fmt: skip
    portfolio = row["portfolio"]
    policy = strategy.entry_policy
    if not row["enabled"]:
        source = "collections disabled for this portfolio (no entry rules apply)"
    elif policy.assignment_level(portfolio) == "Portfolio":
        source = f"portfolio {portfolio} overrides the enterprise rules"
    else:
        source = "enterprise rules"
    result = Explanation(
        external_id, as_of, portfolio, f"{source} ({version_note(db, as_of)})", cases=case_rows, pending=pending_rows,
        history=history_rows, compliance=compliance_rows, milestone=milestone,
    )
    if row["enabled"]:
        result.checks = [
            Check("balance is greater than", format_cents(row["balance"]), format_cents(row["balance_over"]),
                  row["balance"] > row["balance_over"]),
            Check("days past due is more than", str(row["days_past_due"]), str(row["days_over"]),
                  row["days_past_due"] > row["days_over"]),
            Check(
                f"no guarantor payment of max(${row['min_payment'] / 100:,.2f}, {row['min_percent']}%) "
                f"in the last {row['window_days']} days",
                f"largest {format_cents(row['largest_payment'])}",
                f"required {format_cents(row['required_payment'])}",
                row["largest_payment"] < row["required_payment"],
            ),
            Check("delinquent payment plan forced to collections (grace days)",
                  str(row["plan_next_unpaid_due"] or "no missed installment"),
                  f"{row['plan_grace']} days" if row["force_plans"] else "off", bool(row["plan_missed"])),
        ]  # fmt: skip
        rules = policy.effective_rules(portfolio)
        if rules is not None and rules.has_condition:
            holds = bool(row["entry_condition"])
            result.checks.append(
                Check("and the entry policy's condition holds", "holds" if holds else "does not hold",
                      str(rules.condition), holds)
            )  # fmt: skip
    case = next((e for e in episodes if e.track == Track.GUARANTOR.value and episode_open_on(e, as_of)), None)
    qualifies = (row["mode"] == "active" and row["enabled"] and row["balance"] > 0
                 and (row["qualifies_by_rules"] or row["plan_missed"]))  # fmt: skip
    if case is not None:
        result.verdict = f"in collections ({case_status_on(case, as_of).value}) since {case.entered_on}"
    elif qualifies:
        result.verdict = "qualifies: enters guarantor collections on the next run of this date"
    else:
        result.verdict = "does not qualify for guarantor collections"
    assignment = policy.assignment(portfolio)
    if case is not None:
        how = f"{_type_text(assignment)}: {rule_text(assignment, case.assignment_rule)}" if assignment else "assigned"
        result.assignment = f"{how} → {case.assignee}, work '{case.work}'"
    elif assignment is not None:
        result.assignment = (
            f"not in collections on {as_of}; the rules would give {_type_text(assignment)}: "
            f"{rule_text(assignment, row['rule_index'])} → {row['assignee']}, work '{row['work']}'"
        )
    result.promises = _promises(db, external_id, as_of, strategy)
    return result


def _promises(db: Database, external_id: str, as_of: date, strategy: Strategy) -> list[str]:
    """Each promise taken by ``as_of`` in words (as it stands now): what it is, and while it stands what keeps
    it, when it breaks, and whether it pauses the account's series and action steps."""
    lines = []
    for line in list_promises(db, external_id):
        if line.created_on > as_of:
            continue
        text = f"promise {line.id} taken {line.created_on} by {line.collector}: {line.describe()}"
        if line.status in {s.value for s in OPEN_PROMISE}:
            end = line.due + timedelta(days=line.grace_days)
            text += (f"; {format_cents(line.shortfall_cents)} more by {end} keeps it, the run of "
                     f"{end + timedelta(days=1)} breaks it without")  # fmt: skip
            if strategy.promises.pause_series:
                text += "; the account's series and action steps wait while it stands"
        lines.append(text)
    return lines


def _milestone(connection: Any, strategy: Strategy, account_id: int, portfolio: str, as_of: date) -> str:
    """The account's place in its portfolio's scheme (empty when the portfolio has none)."""
    scheme = scheme_for(strategy.schemes, portfolio)
    if scheme is None:
        return ""
    state = milestone_accounts.state_of(connection, account_id, strategy.schemes)
    text = explain_state(scheme, state, as_of, milestone_accounts.last_reason(connection, account_id))
    hold = milestone_accounts.scheme_hold(connection, account_id)
    if hold is not None and hold["held_on"] <= as_of and (hold["until"] is None or hold["until"] >= as_of):
        through = f" through {hold['until']}" if hold["until"] else " until released"
        moves = "it may still decrement and resolve" if scheme.holds_auto_resolve else "it does not move"
        text += f"; held in the scheme since {hold['held_on']}{through} ({hold['reason']}): {moves}"
    return text


def _type_text(assignment: TaskAssignment) -> str:
    return assignment.assignment_type.value.replace("_", " ")
