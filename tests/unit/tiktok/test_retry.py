from __future__ import annotations

import pytest

from tiktok.api import AuthError, InvalidRequest, RateLimited, RetryPolicy, Transient, UnknownOutcome
from tiktok.api.retry import is_rate_limited, is_retryable, is_transient

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("exc, retry", [
    (RateLimited("x", code=40100), True), (Transient("x", code=50000), True),
    (InvalidRequest("x", code=40002), False), (AuthError("x", code=40105), False),
    (UnknownOutcome("x"), False), (ValueError("x"), False),
])
def test_only_rate_limits_and_transient_faults_are_retryable(exc, retry):
    assert is_retryable(exc) is retry


def test_named_predicates():
    assert is_rate_limited(RateLimited("x")) and not is_rate_limited(Transient("x"))
    assert is_transient(Transient("x")) and not is_transient(RateLimited("x"))


def test_full_jitter_doubles_from_one_second_and_caps_at_64():
    policy = RetryPolicy(random=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 64, 64]
    assert RetryPolicy(random=lambda: 0.25).backoff(3) == 1.0


def test_call_sleeps_between_attempts_and_reraises_last_error():
    sleeps: list[float] = []
    attempts = []

    def fail():
        attempts.append(1)
        raise RateLimited("slow down", code=40100)

    with pytest.raises(RateLimited):
        RetryPolicy(sleep=sleeps.append, random=lambda: 0.5, max_attempts=4).call(fail)
    assert len(attempts) == 4 and sleeps == [0.5, 1.0, 2.0]


def test_on_retry_callback_sees_attempt_and_error():
    seen = []
    answers = iter([Transient("a"), "done"])

    def fn():
        value = next(answers)
        if isinstance(value, Exception):
            raise value
        return value

    policy = RetryPolicy(sleep=lambda s: None, random=lambda: 1.0, on_retry=lambda n, e, s: seen.append((n, str(e), s)))
    assert policy.call(fn) == "done"
    assert seen == [(1, "a", 1.0)]
