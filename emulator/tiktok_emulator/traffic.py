"""What happens to a call before its handler runs: TikTok's rate limits, then injected faults.

``dispatch._run`` calls ``Traffic.before`` after authentication on every ``/open_api/`` route. It
either raises an ``ApiError`` (a throttle code, an injected envelope error, a revoked token) or
returns a ``Decision`` that dispatch carries out: sleep, answer a gateway error page, or apply the
write and then drop the connection. Fault draws come from one RNG seeded from the scenario seed,
so the same seed and the same sequence of calls give the same faults.
"""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import errors
from .faults import matches, message_for, normalize
from .params import json_value
from .ratelimit import RateLimiter

if TYPE_CHECKING:
    from .emulator import Emulator
    from .routing import Ctx, Route


@dataclass
class Decision:
    """How dispatch should alter one call: pause first, answer a gateway page, or drop the reply."""

    delay_s: float = 0.0
    http_status: int | None = None
    drop: bool = False


class Traffic:
    """Rate limiter plus the current fault rules of one emulator."""

    def __init__(self, scenario: dict[str, Any], seed: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.seed = int(seed)
        self.limiter = RateLimiter(scenario.get("rate_limits") or {}, clock)
        self._lock = threading.Lock()
        self._faults: list[dict[str, Any]] = []
        self._rng = random.Random()
        self.set_faults(list(scenario.get("faults") or []))

    def set_faults(self, faults: list[dict[str, Any]]) -> None:
        """Replace the rules (validated first) and restart the RNG, so a rerun draws the same faults."""
        rules = [normalize(f, f"faults[{i}]") for i, f in enumerate(faults)]
        with self._lock:
            self._faults = [{**rule, "fired": 0} for rule in rules]
            self._rng = random.Random(f"faults:{self.seed}")

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The current rules with how often each has fired."""
        with self._lock:
            return [dict(f) for f in self._faults]

    def before(self, ctx: Ctx, route: Route, emulator: Emulator) -> Decision | None:
        advertiser_id = _advertiser(ctx)
        self.limiter.check(_app_id(ctx, emulator), route.path, advertiser_id)
        fired = self._draw(route.path, ctx.method, route.write)
        if not fired:
            return None
        decision = Decision()
        for fault in fired:
            if fault.get("delay_ms"):
                decision.delay_s += fault["delay_ms"] / 1000.0
            elif fault.get("http_status"):
                decision.http_status = decision.http_status or fault["http_status"]
            elif fault.get("drop_after_apply"):
                decision.drop = True
        terminal = next((f for f in fired if f.get("code") or f.get("revoke_token")), None)
        if terminal is not None and not decision.http_status:
            time.sleep(decision.delay_s)
            if terminal.get("revoke_token"):
                _revoke(ctx, emulator)
            raise errors.ApiError(terminal["code"], message_for(terminal["code"], advertiser_id))
        return decision

    def _draw(self, path: str, method: str, write: bool) -> list[dict[str, Any]]:
        """Rules that fire on this call; every matching rule draws once, in order, from the seeded RNG."""
        fired = []
        with self._lock:
            for fault in self._faults:
                if not matches(fault, path, method, write):
                    continue
                if fault["rate"] >= 1.0 or self._rng.random() < fault["rate"]:
                    fault["fired"] += 1
                    fired.append(dict(fault))
        return fired


def _revoke(ctx: Ctx, emulator: Emulator) -> None:
    """Revoke the caller's token as the advertiser would, then fail the call like TikTok does."""
    token = ctx.token
    if token is not None and not token.revoked:
        token.revoked = True
        emulator.webhooks.token_revoked(token)
    raise errors.ApiError(errors.INVALID_ACCESS_TOKEN, "Access token is incorrect or has been revoked.")


def _app_id(ctx: Ctx, emulator: Emulator) -> str:
    if ctx.token is not None:
        return ctx.token.app_id
    return str(ctx.params.get("app_id") or emulator.app_id)


def _advertiser(ctx: Ctx) -> str | None:
    value = json_value(ctx.params.get("advertiser_id"))
    return str(value) if isinstance(value, (str, int)) and str(value).strip() else None
