"""Circuit breakers per endpoint family, so a sick TikTok service is left alone instead of hammered.

One ``pybreaker.CircuitBreaker`` per family ("report", "campaign", "adgroup", "ad", "file", "event",
"oauth", …): it opens after 5 *consecutive* transient failures (5xxxx, HTTP 5xx, timeouts; never a
4xxxx, which says our request was wrong, nor a throttle, which the limiter absorbs), lets one trial
call through after 60 s (half-open), and closes again on success. While open, calls fail fast with
``CircuitOpen`` carrying the family and advertiser, so the caller pauses that advertiser's automation
rather than queueing blind retries. With ``REDIS_URL`` set, state is shared through Redis
(``pybreaker.CircuitRedisStorage`` under a namespaced key) so every worker sees the same circuit.

pybreaker reads ``datetime.now()`` itself; to keep tests instant we record ``opened_at`` with our
injected clock (as a datetime of its seconds) and decide "still open?" ourselves before pybreaker does.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pybreaker

from tiktok.api.errors import TikTokError, Transient, UnknownOutcome

T = TypeVar("T")
NAMESPACE = "adops:cb"


class CircuitOpen(TikTokError):
    """The endpoint family's circuit is open: pause this advertiser's automation, do not retry now."""

    def __init__(self, family: str, advertiser_id: str | None = None, *, retry_in: float | None = None,
                 path: str | None = None) -> None:
        super().__init__(f"circuit open for {family!r} endpoints", path=path)
        self.family, self.advertiser_id, self.retry_in = family, advertiser_id, retry_in


def family_of(path: str) -> str:
    """``report/task/create/`` → ``report``; ``oauth2/…`` → ``oauth``; ``file/video/ad/upload/`` → ``file``."""
    head = path.strip("/").split("/", 1)[0]
    return "oauth" if head.startswith("oauth") else head


def counts_as_failure(exc: BaseException) -> bool:
    """Only faults of TikTok's side trip the breaker: transient errors and writes with no answer."""
    return isinstance(exc, (Transient, UnknownOutcome))


class _ClockMemoryStorage(pybreaker.CircuitMemoryStorage):
    def __init__(self, state: str, clock: Callable[[], float]) -> None:
        super().__init__(state)
        self._clock, self._opened = clock, 0.0

    @property
    def opened_at(self) -> Any:
        return datetime.fromtimestamp(self._opened, UTC) if self._opened else None

    @opened_at.setter
    def opened_at(self, _now: Any) -> None:
        self._opened = self._clock()


class _ClockRedisStorage(pybreaker.CircuitRedisStorage):
    """pybreaker's Redis storage with ``opened_at`` as a float from our clock (shared, wall time)."""

    def __init__(self, state: str, redis_object: Any, namespace: str, clock: Callable[[], float]) -> None:
        self._clock = clock
        super().__init__(state, redis_object, namespace=namespace)

    @property
    def opened_at(self) -> Any:
        value = self._redis.get(self._namespace("opened_at"))
        return datetime.fromtimestamp(float(value), UTC) if value else None

    @opened_at.setter
    def opened_at(self, _now: Any) -> None:
        self._redis.set(self._namespace("opened_at"), repr(self._clock()))


class Breakers:
    """A lazily created breaker per family; ``call(path, fn, advertiser_id)`` runs ``fn`` through it."""

    def __init__(self, *, fail_max: int = 5, reset_timeout: float = 60.0, redis: Any = None,
                 namespace: str = "default", clock: Callable[[], float] = time.time) -> None:
        self.fail_max, self.reset_timeout = fail_max, reset_timeout
        self.redis, self.namespace, self.clock = redis, namespace, clock
        self._breakers: dict[str, pybreaker.CircuitBreaker] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **kwargs: Any) -> Breakers:
        url = (env if env is not None else os.environ).get("REDIS_URL")
        if url:
            import redis

            return cls(redis=redis.Redis.from_url(url), **kwargs)
        return cls(**kwargs)

    def breaker(self, family: str) -> pybreaker.CircuitBreaker:
        with self._lock:
            if family not in self._breakers:
                self._breakers[family] = pybreaker.CircuitBreaker(
                    fail_max=self.fail_max, reset_timeout=self.reset_timeout, name=family,
                    exclude=[lambda exc: not counts_as_failure(exc)], state_storage=self._storage(family),
                    throw_new_error_on_trip=False)
            return self._breakers[family]

    def _storage(self, family: str) -> pybreaker.CircuitBreakerStorage:
        if self.redis is None:
            return _ClockMemoryStorage(pybreaker.STATE_CLOSED, self.clock)
        return _ClockRedisStorage(pybreaker.STATE_CLOSED, self.redis, f"{NAMESPACE}:{self.namespace}:{family}",
                                  self.clock)

    def state(self, family: str) -> str:
        """``closed``, ``open`` or ``half-open`` (shared when Redis-backed)."""
        return self.breaker(family).current_state

    def is_open(self, family: str) -> bool:
        """True while calls to ``family`` would fail fast (open and the reset timeout not yet elapsed)."""
        return self.retry_in(family) > 0

    def retry_in(self, family: str) -> float:
        """Seconds until ``family`` lets a trial call through (0 when closed): how long automation pauses."""
        return self._retry_in(self.breaker(family))

    def _retry_in(self, cb: pybreaker.CircuitBreaker) -> float:
        if cb.current_state != pybreaker.STATE_OPEN:
            return 0.0
        opened = cb._state_storage.opened_at
        opened_s = opened.timestamp() if opened is not None else 0.0
        return max(0.0, opened_s + self.reset_timeout - self.clock())

    def call(self, path: str, fn: Callable[[], T], advertiser_id: str | None = None) -> T:
        """Run ``fn`` under the family's breaker; ``CircuitOpen`` instead of a call while it is open."""
        family = family_of(path)
        cb = self.breaker(family)
        retry_in = self._retry_in(cb)
        if retry_in > 0:
            raise CircuitOpen(family, advertiser_id, retry_in=retry_in, path=path)
        if cb.current_state == pybreaker.STATE_OPEN:
            cb.half_open()
        try:
            result = fn()
        except BaseException as exc:
            self._record(cb, exc)
            raise
        self._record(cb, None)
        return result

    @staticmethod
    def _record(cb: pybreaker.CircuitBreaker, exc: BaseException | None) -> None:
        """Feed an outcome to pybreaker's state machine without holding its lock during the HTTP call.

        ``CircuitBreaker.call`` holds one lock for the whole call, which would serialise every request
        of a family; replaying the finished outcome keeps the lock to a few microseconds.
        """
        def replay() -> None:
            if exc is not None:
                raise exc

        try:
            cb.call(replay)
        except pybreaker.CircuitBreakerError:
            pass
        except BaseException as raised:
            if raised is not exc:
                raise

    def reset(self, family: str) -> None:
        self.breaker(family).close()
