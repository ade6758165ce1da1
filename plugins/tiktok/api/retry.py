"""One retry policy with named predicates (google-api-core's shape), built on tenacity.

Full jitter, 1 s doubling to a 64 s cap, at most six attempts, an overall deadline, and an HTTP
``Retry-After`` as a floor when a gateway sends one. Only
rate limits and transient faults are retried; a non-retryable 4xxxx and an ``UnknownOutcome`` write
never are. ``sleep`` and ``random`` are injected so tests run instantly and deterministically.
"""
from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from tiktok.api.errors import RateLimited, TikTokError, Transient, UnknownOutcome

T = TypeVar("T")


def is_rate_limited(exc: BaseException) -> bool:
    return isinstance(exc, RateLimited)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, Transient) and not isinstance(exc, UnknownOutcome)


def is_retryable(exc: BaseException) -> bool:
    """Retry throttling and transient faults; never a request TikTok rejected or an ambiguous write."""
    return is_rate_limited(exc) or is_transient(exc)


@dataclass
class RetryPolicy:
    """How long to keep trying. ``call(fn)`` runs ``fn`` under the policy and re-raises the last error."""

    initial: float = 1.0
    maximum: float = 64.0
    multiplier: float = 2.0
    max_attempts: int = 6
    deadline: float | None = 180.0  # overall, across attempts; None = attempts only
    predicate: Callable[[BaseException], bool] = is_retryable
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = field(default=_random.random)
    on_retry: Callable[[int, BaseException, float], None] | None = None

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, initial * multiplier ** (attempt - 1))]."""
        ceiling = min(self.maximum, self.initial * self.multiplier ** max(attempt - 1, 0))
        return self.random() * ceiling

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Full-jitter backoff, never shorter than a server's ``Retry-After``."""
        wait = self.backoff(state.attempt_number)
        exc = state.outcome.exception() if state.outcome is not None else None
        floor = getattr(exc, "retry_after", None)
        return max(wait, floor) if floor else wait

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        if self.on_retry and state.outcome is not None and state.next_action is not None:
            self.on_retry(state.attempt_number, state.outcome.exception(), state.next_action.sleep)

    def _stop(self) -> tenacity.stop.stop_base:
        stop = tenacity.stop_after_attempt(self.max_attempts)
        return stop | tenacity.stop_after_delay(self.deadline) if self.deadline else stop

    def call(self, fn: Callable[[], T]) -> T:
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(self.predicate),
            wait=self._wait,
            stop=self._stop(),
            sleep=self.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        return retrying(fn)

    @classmethod
    def no_retry(cls) -> RetryPolicy:
        return cls(max_attempts=1)


def describe(exc: BaseException) -> dict[str, Any]:
    """A JSON-able summary of an error for logs and audit rows."""
    if isinstance(exc, TikTokError):
        return {"type": type(exc).__name__, "code": exc.code, "message": exc.message, "request_id": exc.request_id}
    return {"type": type(exc).__name__, "message": str(exc)}
