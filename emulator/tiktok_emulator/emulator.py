"""The emulator as one object: scenario, simulated clock, store, market, traffic rules, webhooks.

It holds no sockets; ``server.EmulatorServer`` puts it on a port, and tests may drive it directly.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from . import scenario as scenarios
from .clock import SimClock, parse
from .market import Market
from .seed import seed_store
from .store import Store
from .traffic import Traffic
from .webhooks import WebhookDispatcher


class Emulator:
    """A TikTok Marketing API account and the simulated ad market behind it."""

    def __init__(self, scenario: dict[str, Any] | str = "default", seed: int | None = None) -> None:
        self.scenario = scenarios.load(scenario) if isinstance(scenario, str) else scenario
        self.seed = int(self.scenario.get("seed", 7) if seed is None else seed)
        self.clock = SimClock(parse(self.scenario["now"]))
        self.store = Store()
        seed_store(self.store, self.scenario, self.seed, self.clock.now())
        self.market = Market(self.scenario, self.store, self.clock, self.seed)
        self.market.bootstrap()
        self.clock.on_advance(self.market.advance_to)
        self.traffic = Traffic(self.scenario, self.seed)
        self.webhooks = WebhookDispatcher(self)
        self.market.on_event = self.webhooks.emit
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()

    @property
    def app_id(self) -> str:
        return str(self.scenario["app"]["app_id"])

    @property
    def app_secret(self) -> str:
        return str(self.scenario["app"]["secret"])

    def count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    def close(self) -> None:
        self.webhooks.close()
