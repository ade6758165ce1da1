"""Client-side rate limiting so TikTok's throttles (40100/40016/40133) are absorbed, not surfaced.

``RateLimiter.acquire(path, advertiser_id, priority)`` blocks until a request may go: it must fit
the (app, path) and (advertiser, path) limits (token bucket + 1 s and 1 min sliding windows, see
``ratelimit_backends``) and one of ``max_in_flight`` slots (the ≤ 10 concurrent requests NFR).
Waiters are served by priority, then arrival: a pause or a budget write overtakes queued report pulls.
When TikTok throttles anyway (another app instance, a tighter hidden limit), ``penalize`` halves the
key's limits for a while — adaptive backoff rather than a storm of retries.

Everything time-related is injected (``clock``, ``sleep``) so tests run instantly. With ``REDIS_URL``
set, ``from_env`` shares the limits across processes, and the in-flight cap too: besides its own
counter, the limiter then takes one of ``max_in_flight`` slots of the backend's shared semaphore
(leased, so a killed worker's slots come back after ``lease_s``). Priorities order the waiters of one
process; across processes the shared slots go to whichever first-in-line waiter asks first.
"""
from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tiktok.api.errors import RateLimited
from tiktok.api.ratelimit_backends import Decision, MemoryBackend, RedisBackend
from tiktok.api.ratelimit_config import KeyLimit, Priority, RateLimitConfig, config_from_mapping

__all__ = ["Permit", "Priority", "RateLimitConfig", "RateLimitTimeout", "RateLimiter", "config_from_mapping"]

APP_CODES = frozenset({40100, 40016})
ADVERTISER_CODES = frozenset({40133})
POLL_S = 0.005  # how often a waiter that is not first in line looks again
SLOT_POLL_S = 0.01  # how often the first waiter asks Redis again while every shared slot is taken

log = logging.getLogger(__name__)


class RateLimitTimeout(RateLimited):
    """Our own limiter could not admit the request before its deadline (nothing was sent)."""


@dataclass
class Permit:
    """An admitted request: how long it waited and how many tokens were left (for the API log)."""

    path: str
    advertiser_id: str | None
    priority: Priority
    waited_ms: float
    tokens_left: float
    _release: Callable[[], None] | None = field(default=None, repr=False)

    def release(self) -> None:
        """Free the in-flight slot (idempotent)."""
        if self._release is not None:
            release, self._release = self._release, None
            release()

    def __enter__(self) -> Permit:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


@dataclass(order=True)
class _Waiter:
    rank: tuple[int, int]
    keys: frozenset[str] = field(compare=False)


class RateLimiter:
    """Priority-ordered admission against per-key limits and an in-flight cap (shared when the backend is)."""

    def __init__(self, config: RateLimitConfig | None = None, *, app_id: str = "default",
                 backend: MemoryBackend | RedisBackend | None = None, max_in_flight: int = 10,
                 timeout: float | None = 120.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] | None = None) -> None:
        if max_in_flight < 1:
            raise ValueError(f"rate_limit.max_in_flight: must be >= 1, got {max_in_flight}")
        self.config = config or RateLimitConfig()
        self.app_id = app_id
        self.backend = backend or MemoryBackend()
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self.in_flight = 0
        self.peak_in_flight = 0
        # The shared (cross-process) in-flight semaphore, when the backend has one (Redis).
        self._slots = self.backend if getattr(self.backend, "shared_slots", False) else None
        self._slots_full = False  # the last shared-slot request was refused: only the best waiter asks

    @classmethod
    def from_env(cls, config: RateLimitConfig | None = None, *, namespace: str = "default",
                 env: dict[str, str] | None = None, lease_s: float = 120.0, **kwargs: Any) -> RateLimiter:
        """Redis-backed (shared limits and in-flight cap, wall clock) when ``REDIS_URL`` is set, in-process otherwise.

        ``lease_s``: how long a shared in-flight slot outlives a worker that died without releasing it.
        """
        url = (env if env is not None else os.environ).get("REDIS_URL")
        if url:
            backend = RedisBackend.from_url(url, namespace=namespace, lease_s=lease_s)
            return cls(config, backend=backend, clock=time.time, **kwargs)
        return cls(config, **kwargs)

    # ---- admission -------------------------------------------------------------------------
    def limits(self, path: str, advertiser_id: str | None) -> list[KeyLimit]:
        limits = [self.config.app_limit(self.app_id, path)]
        if advertiser_id:
            adv = self.config.advertiser_limit(str(advertiser_id), path)
            if adv is not None:
                limits.append(adv)
        return limits

    def acquire(self, path: str, advertiser_id: str | None = None, priority: Priority = Priority.READ,
                timeout: float | None = None) -> Permit:
        """Block until the request may go; raise ``RateLimitTimeout`` after ``timeout`` seconds."""
        limits = self.limits(path, advertiser_id)
        start = self.clock()
        budget = self.timeout if timeout is None else timeout
        deadline = None if budget is None else start + budget
        me = _Waiter((int(priority), next(self._seq)), frozenset(lim.key for lim in limits))
        with self._cond:
            self._waiters.append(me)
            try:
                decision, holder = self._wait_for_turn(me, limits, deadline, path)
            finally:
                self._waiters.remove(me)
                self._cond.notify_all()
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        waited_ms = (self.clock() - start) * 1000.0
        return Permit(path, advertiser_id, Priority(priority), round(waited_ms, 3), decision.tokens_left,
                      lambda: self._release_slot(holder))

    def _wait_for_turn(self, me: _Waiter, limits: list[KeyLimit], deadline: float | None,
                       path: str) -> tuple[Decision, str | None]:
        """Called with the lock held; returns once ``me`` has been admitted (and its shared slot, if any)."""
        while True:
            now = self.clock()
            wait = POLL_S
            if self._is_first(me) and self.in_flight < self.max_in_flight:
                holder = None
                if self._slots is not None:  # the shared slot first: a token is never burnt waiting for one
                    holder = self._slots.new_holder()
                    self._slots_full = not self._slots.acquire_slot(holder, self.max_in_flight, now)
                if self._slots_full:
                    wait = SLOT_POLL_S
                else:
                    try:
                        decision = self.backend.try_acquire(limits, now)
                    except BaseException:
                        self._free_shared(holder)
                        raise
                    if decision.ok:
                        return decision, holder
                    self._free_shared(holder)  # do not hold a shared slot while waiting for our own key
                    wait = max(decision.wait, 0.0005)
            if deadline is not None:
                if now >= deadline:
                    raise RateLimitTimeout(f"rate limiter: no slot within the deadline for {path}", path=path)
                wait = min(wait, deadline - now)
            self._pause(wait)

    def _is_first(self, me: _Waiter) -> bool:
        """No better-ranked waiter shares a key with me (or any does while all slots are taken)."""
        full = self.in_flight >= self.max_in_flight or self._slots_full
        return not any(w.rank < me.rank and (full or w.keys & me.keys) for w in self._waiters)

    def _pause(self, seconds: float) -> None:
        if self._sleep is None:
            self._cond.wait(seconds)
            return
        self._cond.release()
        try:
            self._sleep(seconds)
        finally:
            self._cond.acquire()

    def _release_slot(self, holder: str | None = None) -> None:
        try:
            self._free_shared(holder)
        finally:
            with self._cond:
                self.in_flight -= 1
                self._slots_full = False  # a slot may be free again: let every first-in-line waiter ask
                self._cond.notify_all()

    def _free_shared(self, holder: str | None) -> None:
        """Give back a shared slot; if Redis cannot be told, the lease frees it (never raise from release)."""
        if holder is None or self._slots is None:
            return
        try:
            self._slots.release_slot(holder)
        except Exception:  # noqa: BLE001 - the lease expires the slot anyway
            log.warning("rate limiter: could not release shared slot %s; it frees when its lease ends", holder,
                        exc_info=True)

    def shared_in_flight(self) -> int | None:
        """Requests in flight across every process sharing the backend (``None`` without a shared cap)."""
        if self._slots is None:
            return None
        return self._slots.slots_in_use(self.clock())

    # ---- adaptation --------------------------------------------------------------------------
    def penalize(self, path: str, advertiser_id: str | None = None, code: int | None = None) -> None:
        """TikTok throttled us despite our limits: slow the key it named (app for 40100/40016, else advertiser)."""
        if code in ADVERTISER_CODES and advertiser_id:
            target = self.config.advertiser_limit(str(advertiser_id), path)
        else:
            target = self.config.app_limit(self.app_id, path)
        if target is None:
            return
        self.backend.penalize(target.key, self.config.backoff_factor, self.config.backoff_seconds, self.clock())
        with self._cond:
            self._cond.notify_all()

    def factor(self, path: str, advertiser_id: str | None = None) -> float:
        """The current scale (1.0 = full rate) of the app key, or the advertiser key when given."""
        limits = self.limits(path, advertiser_id)
        return self.backend.factor(limits[-1].key, self.clock())
