"""TikTok's throttling: app-level QPS/QPM tiers (40100), endpoint limits (40016), per advertiser (40133).

TikTok signals throttling only in the body (HTTP 200, no Retry-After), so clients must learn to
back off from the code alone; the emulator reproduces the three codes and the windows behind them.
Windows run on real (monotonic) time because clients experience throttling in real time. QPS counts
calls in the current whole second (a fixed window, so a burst straddling two seconds can pass) and
QPM counts the last 60 seconds (sliding), so a client that keeps every second under the QPS limit
can still run into QPM. The clock is injectable so unit tests can step through a minute.
"""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from . import errors

TIERS: dict[str, tuple[int, int]] = {  # tier -> (QPS, QPM), per developer app and path
    "basic": (10, 600),
    "advanced": (20, 1200),
    "premium": (30, 1800),
    "ultimate": (50, 3000),
}
# Endpoints TikTok documents at 1000 QPS on every tier; a scenario's per_endpoint overrides these.
BUILTIN_ENDPOINT_QPS: dict[str, float] = {"event/track/": 1000, "pixel/track/": 1000, "pixel/batch/": 1000}
SECOND, MINUTE = 1.0, 60.0


class RateLimiter:
    """Per-second and per-minute counters keyed by (app, path) and (advertiser, path).

    Only admitted requests are counted: a throttled call does not extend the penalty, which matches
    what clients observe (backing off for a second is enough to get through again).
    """

    def __init__(self, config: dict[str, Any], clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = bool(config.get("enabled", True))
        tier = str(config.get("tier") or "basic").lower()
        if tier not in TIERS:
            raise ValueError(f"rate_limits.tier: must be one of {', '.join(TIERS)}, got {tier!r}")
        self.qps, self.qpm = TIERS[tier]
        self.per_endpoint = {**BUILTIN_ENDPOINT_QPS, **{str(k): float(v) for k, v in
                                                        (config.get("per_endpoint") or {}).items()}}
        per_adv = config.get("per_advertiser_qps")
        self.per_advertiser_qps = float(per_adv) if per_adv else None
        self.clock = clock
        self._lock = threading.Lock()
        self._hits: defaultdict[tuple[str, ...], deque[float]] = defaultdict(deque)

    def check(self, app_id: str, path: str, advertiser_id: str | None = None) -> None:
        """Admit one request or raise the ``ApiError`` TikTok would answer with."""
        if not self.enabled:
            return
        now = self.clock()
        with self._lock:
            app_key = ("app", app_id, path)
            endpoint_qps = self.per_endpoint.get(path)
            if endpoint_qps is not None:
                if self._count(app_key, now, SECOND) >= endpoint_qps:
                    raise errors.ApiError(errors.BIZ_FC_ERROR,
                                          f"Requests made too frequently. The limit of {path} is "
                                          f"{endpoint_qps:g} QPS per app.")
            else:
                self._check_tier(app_key, now, path)
            adv_key = ("adv", advertiser_id or "", path)
            if self.per_advertiser_qps and advertiser_id:
                if self._count(adv_key, now, SECOND) >= self.per_advertiser_qps:
                    raise errors.ApiError(errors.ADVERTISER_QPS_LIMIT,
                                          f"Advertiser ({advertiser_id})'s QPS of {path} reaches QPS limit "
                                          f"({self.per_advertiser_qps:g}). Please retry later.")
                self._hits[adv_key].append(now)
            self._hits[app_key].append(now)

    def _check_tier(self, key: tuple[str, ...], now: float, path: str) -> None:
        if self._count(key, now, SECOND) >= self.qps:
            raise errors.ApiError(errors.REQUEST_TOO_FREQUENT,
                                  f"Request too frequent. App QPS limit of {self.qps} reached on {path}; "
                                  "please retry later.")
        if self._count(key, now, MINUTE) >= self.qpm:
            raise errors.ApiError(errors.REQUEST_TOO_FREQUENT,
                                  f"Request too frequent. App QPM limit of {self.qpm} reached on {path}; "
                                  "please retry later.")

    def _count(self, key: tuple[str, ...], now: float, window: float) -> int:
        """Hits in the current second (``SECOND``) or the last minute; drops hits older than a minute."""
        hits = self._hits[key]
        while hits and hits[0] <= now - MINUTE:
            hits.popleft()
        if window >= MINUTE:
            return len(hits)
        second_start = math.floor(now)
        count = 0
        for stamp in reversed(hits):
            if stamp < second_start:
                break
            count += 1
        return count

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
