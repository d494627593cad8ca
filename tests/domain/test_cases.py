"""The case and activity transition tables: every move outside them is refused."""

from __future__ import annotations

import itertools

import pytest

from arrears.domain.cases import (
    ACTIVITY_TRANSITIONS,
    CASE_TRANSITIONS,
    OPEN_CASE,
    PENDING_ACTIVITY,
    ActionOrigin,
    ActivityEvent,
    ActivityStatus,
    CaseEvent,
    CaseStatus,
    MilestoneActionOrigin,
    PlanEventOrigin,
    SeriesStepOrigin,
    TransitionRefused,
    activity_sources,
    activity_transition,
    case_transition,
    origin_from_columns,
    origin_reference,
    origin_tag,
)


def test_open_and_pending_are_read_from_the_tables() -> None:
    assert {CaseStatus.INTERNAL, CaseStatus.PENDING_EXTERNAL, CaseStatus.HELD} == OPEN_CASE
    assert {ActivityStatus.SCHEDULED, ActivityStatus.OPEN, ActivityStatus.HELD} == PENDING_ACTIVITY


@pytest.mark.parametrize(("status", "event"), list(itertools.product(CaseStatus, CaseEvent)))
def test_every_case_move_outside_the_table_is_refused(status: CaseStatus, event: CaseEvent) -> None:
    if (status, event) in CASE_TRANSITIONS:
        assert case_transition(status, event) is CASE_TRANSITIONS[status, event]
    else:
        with pytest.raises(TransitionRefused, match=f"a {status.value} case cannot {event.value}"):
            case_transition(status, event)


@pytest.mark.parametrize(("status", "event"), list(itertools.product(ActivityStatus, ActivityEvent)))
def test_every_activity_move_outside_the_table_is_refused(status: ActivityStatus, event: ActivityEvent) -> None:
    if (status, event) in ACTIVITY_TRANSITIONS:
        assert activity_transition(status, event) is ACTIVITY_TRANSITIONS[status, event]
    else:
        with pytest.raises(TransitionRefused):
            activity_transition(status, event)


def test_a_resolved_case_and_a_cancelled_activity_are_final_and_done_only_revives_or_repeats() -> None:
    assert not [event for event in CaseEvent if (CaseStatus.RESOLVED, event) in CASE_TRANSITIONS]
    assert not [event for event in ActivityEvent if (ActivityStatus.CANCELLED, event) in ACTIVITY_TRANSITIONS]
    # A done activity moves only when reopening an account revives the promise whose contact its closing did, or
    # when a completed contact of a repeating plan event is forwarded to its next period.
    assert [event for event in ActivityEvent if (ActivityStatus.DONE, event) in ACTIVITY_TRANSITIONS] == [
        ActivityEvent.REVIVE, ActivityEvent.REPEAT]  # fmt: skip
    for event in (ActivityEvent.REVIVE, ActivityEvent.REPEAT):
        assert activity_transition(ActivityStatus.DONE, event) is ActivityStatus.SCHEDULED
        assert activity_sources(event) == {ActivityStatus.DONE}


def test_only_open_work_can_be_completed_and_what_a_cancel_may_touch() -> None:
    assert activity_sources(ActivityEvent.COMPLETE) == {ActivityStatus.OPEN}
    assert activity_sources(ActivityEvent.CANCEL) == PENDING_ACTIVITY
    with pytest.raises(TransitionRefused, match="a scheduled activity cannot complete"):
        activity_transition(ActivityStatus.SCHEDULED, ActivityEvent.COMPLETE)


@pytest.mark.parametrize(
    "origin",
    [
        ActionOrigin("Call 1"),
        SeriesStepOrigin("Guarantor Letters", 2),
        PlanEventOrigin("NEW", 3, "import:row-17"),
        MilestoneActionOrigin("UTIL", "30 days: notice", 1, "entry"),
    ],
)
def test_every_origin_round_trips_through_its_stored_columns(origin: object) -> None:
    action = origin.action if isinstance(origin, ActionOrigin) else "x"
    series = origin.series if isinstance(origin, SeriesStepOrigin) else None
    step = origin.step if isinstance(origin, SeriesStepOrigin) else None
    rebuilt = origin_from_columns(origin_tag(origin), action, series, step, origin_reference(origin))  # type: ignore[arg-type]
    assert rebuilt == origin
