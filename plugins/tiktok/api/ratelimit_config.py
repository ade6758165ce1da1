"""What our rate limiter enforces: TikTok's tiers, endpoint overrides and request priorities.

TikTok throttles per developer app and path by QPS and QPM (tiers basic/advanced/premium/ultimate),
some endpoints tighter than the tier (``ad/create/`` 5 QPS, ``report/task/create/`` 2 QPS), and each
advertiser per path (40133). The numbers are configuration, not code: an app upgraded to a higher tier
changes one setting. Invalid settings fail at start-up with the field named.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

TIERS: dict[str, tuple[float, float]] = {  # tier -> (QPS, QPM) per (app, path)
    "basic": (10, 600),
    "advanced": (20, 1200),
    "premium": (30, 1800),
    "ultimate": (50, 3000),
}
# Endpoints TikTok limits tighter (or looser) than the app's tier: path -> QPS.
ENDPOINT_QPS: dict[str, float] = {
    "ad/create/": 5, "report/task/create/": 2,
    "event/track/": 1000, "pixel/track/": 1000, "pixel/batch/": 1000,
}
ENDPOINT_QPM: dict[str, float] = {"report/task/create/": 60}


class Priority(IntEnum):
    """Lower value goes first: a pause must never wait behind a report pull."""

    WRITE_URGENT = 0  # pauses / status changes: stop spending now
    WRITE = 1  # budget and bid writes
    READ = 2  # entity reads
    REPORT = 3  # report pulls and async report tasks


@dataclass(frozen=True)
class KeyLimit:
    """The limits of one limiter key: a token bucket plus hard sliding windows ``(seconds, max)``."""

    key: str
    rate: float
    burst: float
    windows: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class RateLimitConfig:
    """Limits for one developer app.

    ``margin`` lengthens our windows a little beyond TikTok's, so network jitter between our clock
    and theirs never lets the 11th call of a second land inside TikTok's window. ``advertiser_qps``
    is the per-advertiser, per-path limit (40133); ``None`` disables that key.
    """

    tier: str = "basic"
    endpoint_qps: dict[str, float] = field(default_factory=lambda: dict(ENDPOINT_QPS))
    endpoint_qpm: dict[str, float] = field(default_factory=lambda: dict(ENDPOINT_QPM))
    advertiser_qps: float | None = None
    per_advertiser: bool = True
    margin: float = 0.05
    backoff_factor: float = 0.5
    backoff_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"rate_limit.tier: must be one of {', '.join(TIERS)}, got {self.tier!r}")
        for name, table in (("endpoint_qps", self.endpoint_qps), ("endpoint_qpm", self.endpoint_qpm)):
            bad = {k: v for k, v in table.items() if not float(v) > 0}
            if bad:
                raise ValueError(f"rate_limit.{name}: limits must be > 0, got {bad}")
        if self.advertiser_qps is not None and not self.advertiser_qps > 0:
            raise ValueError(f"rate_limit.advertiser_qps: must be > 0 or None, got {self.advertiser_qps}")
        if not 0 < self.backoff_factor <= 1:
            raise ValueError(f"rate_limit.backoff_factor: must be in (0, 1], got {self.backoff_factor}")
        if self.margin < 0:
            raise ValueError(f"rate_limit.margin: must be >= 0, got {self.margin}")

    def app_limit(self, app_id: str, path: str) -> KeyLimit:
        """Bucket + 1 s window + 1 min window for (app, path); the endpoint override replaces the tier QPS."""
        qps, qpm = TIERS[self.tier]
        qps = float(self.endpoint_qps.get(path, qps))
        qpm = float(self.endpoint_qpm.get(path, qpm if path not in self.endpoint_qps else qps * 60))
        return self._limit(f"app:{app_id}:{path}", qps, qpm)

    def advertiser_limit(self, advertiser_id: str, path: str) -> KeyLimit | None:
        if not self.per_advertiser:
            return None
        app = self.app_limit("-", path)
        qps = float(self.advertiser_qps) if self.advertiser_qps is not None else app.burst
        qpm = qps * 60 if self.advertiser_qps is not None else app.windows[1][1]
        return self._limit(f"adv:{advertiser_id}:{path}", qps, qpm)

    def _limit(self, key: str, qps: float, qpm: float) -> KeyLimit:
        second, minute = 1.0 + self.margin, 60.0 + self.margin
        return KeyLimit(key, rate=qps / second, burst=qps, windows=((second, qps), (minute, qpm)))


def config_from_mapping(raw: dict | None) -> RateLimitConfig:
    """A config from settings/env-style mapping; unknown keys fail loudly with their name."""
    raw = dict(raw or {})
    allowed = set(RateLimitConfig.__dataclass_fields__)
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"rate_limit: unknown setting(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    if "tier" in raw:
        raw["tier"] = str(raw["tier"]).lower()
    if "endpoint_qps" in raw:
        raw["endpoint_qps"] = {**ENDPOINT_QPS, **{str(k): float(v) for k, v in raw["endpoint_qps"].items()}}
    return RateLimitConfig(**raw)
