"""The outbox's retry schedule and channel stops: exponential backoff with a reproducible jitter."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.outbox import (
    RETRY,
    GiveUp,
    Retry,
    RetryPolicy,
    StopReason,
    after_temporary_failure,
    backoff,
    is_opt_out_reply,
    stopped_by,
    with_sms_opt_out,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_backoff_doubles_from_one_minute_within_twenty_percent_and_stops_at_six_hours() -> None:
    waits = [backoff(attempt, "email:A-1/s1").total_seconds() for attempt in range(1, 12)]
    for attempt, wait in enumerate(waits, start=1):
        nominal = min(60 * 2 ** (attempt - 1), 6 * 3600)
        assert 0.8 * nominal <= wait <= 1.2 * nominal, (attempt, wait)
    assert waits == [backoff(attempt, "email:A-1/s1").total_seconds() for attempt in range(1, 12)]  # reproducible
    assert waits[:3] != [backoff(attempt, "email:B-2/s1").total_seconds() for attempt in range(1, 4)]  # spread


@given(st.integers(min_value=1, max_value=40), st.text(max_size=30))
def test_every_wait_is_within_the_jitter_of_the_capped_backoff(attempt: int, key: str) -> None:
    nominal = min(RETRY.base.total_seconds() * RETRY.factor ** (attempt - 1), RETRY.cap.total_seconds())
    assert nominal * 0.8 - 0.001 <= backoff(attempt, key).total_seconds() <= nominal * 1.2 + 0.001


def test_a_temporary_failure_retries_until_the_last_attempt_and_respects_retry_after() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=0)
    assert after_temporary_failure(1, "k", NOW, "HTTP 500", policy=policy) == Retry(NOW + timedelta(minutes=1))
    assert after_temporary_failure(2, "k", NOW, "HTTP 500", policy=policy) == Retry(NOW + timedelta(minutes=2))
    # a 429 asking for 10 minutes waits 10 minutes, not the 1-minute backoff
    assert after_temporary_failure(1, "k", NOW, "HTTP 429", timedelta(minutes=10), policy) == Retry(
        NOW + timedelta(minutes=10)
    )
    assert after_temporary_failure(3, "k", NOW, "HTTP 500", policy=policy) == GiveUp("HTTP 500 (after 3 attempts)")


def test_an_opt_out_or_a_hard_bounce_stops_the_channel() -> None:
    assert stopped_by(frozenset()) is None
    assert stopped_by(frozenset({StopReason.OPT_OUT})) == "the party opted out of this channel"
    assert stopped_by(frozenset({StopReason.HARD_BOUNCE})) == "an earlier message to this address bounced"
    assert [is_opt_out_reply(text) for text in ("STOP", " stop. ", "Unsubscribe", "stop calling me", "OK")] == [
        True, True, True, False, False,
    ]  # fmt: skip
    assert with_sms_opt_out("Your balance is $100.00.") == "Your balance is $100.00. Reply STOP to opt out."
    assert with_sms_opt_out("Pay now. Text STOP to end.") == "Pay now. Text STOP to end."
