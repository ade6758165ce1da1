"""The simulated ad market behind the emulator: hidden truth, hourly delivery, reviews, sales.

Locking: ``Market.lock`` guards the arrays and is always taken before ``Store.lock``. The hooks the
handlers call while holding ``Store.lock`` (``register_*``, ``note_change``) never take
``Market.lock``; they only queue work under a small private lock, absorbed at the next simulation,
report or truth call. That keeps the lock order one-way and deadlock-free.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from .clock import SimClock, parse
from .market_data import HourlyData
from .market_sim import read_state, simulate_hour, utc, zone
from .market_truth import S_REVIEW, Truth, hour_shares, keyed_rng
from .store import Store

LEARNING_FIELDS = frozenset({"budget", "conversion_bid_price", "bid_price", "bid", "deep_cpa_bid"})


class Market:
    """Hidden response curves and the hour-by-hour delivery they produce (see ``market_sim``)."""

    def __init__(self, scenario: dict[str, Any], store: Store, clock: SimClock, seed: int) -> None:
        self.scenario, self.cfg, self.store, self.clock = scenario, scenario["market"], store, clock
        self.seed = int(seed)
        self.on_event: Callable[[str, str, dict], None] | None = None
        self.lock = threading.RLock()
        self._pending = threading.Lock()
        self._queued_groups: list[tuple[int, float, float]] = []
        self._queued_ads: list[tuple[int, int, float]] = []
        self._changes: list[tuple[int, float]] = []
        self._reviews: list[tuple[float, str, int]] = []
        self._events: list[tuple[str, str, dict]] = []
        self._next_group = self._next_ad = 0
        self._booted = False
        start = utc(clock.now()) - timedelta(days=int(scenario["history_days"]))
        self.origin = start.replace(minute=0, second=0, microsecond=0)
        self.truth_table = Truth(self.cfg, self.seed)
        self.data = HourlyData(0, 0)
        self.cum_imps = np.zeros(0)
        self.hours_done = 0
        self.hour_shares = hour_shares(bool(self.cfg["seasonality"]))
        self.adv_ids: list[str] = []
        self.adv_col: dict[str, int] = {}
        self.adv_tz: list[Any] = []
        self._draws: dict[tuple[int, int, int, int], np.ndarray] = {}
        self.sales_cache: dict[tuple[int, int], list[dict]] = {}

    # -- the hooks the emulator and the handlers call -------------------------------------------------
    def truth(self, at: datetime | None = None) -> dict[str, Any]:
        """The hidden truth at ``at`` (default now), JSON-able; see ``market_view.truth_view``."""
        from .market_view import truth_view

        return truth_view(self, at)

    def bootstrap(self) -> None:
        """Index every seeded entity, draw its truth and simulate the history up to ``clock.now()``."""
        with self.lock:
            with self.store.lock:
                for group in self.store.adgroups.values():
                    self.register_adgroup(group)
                for ad in self.store.ads.values():
                    self.register_ad(ad)
            self._booted = True
            self._simulate_until(self.clock.now())

    def register_adgroup(self, adgroup: dict[str, Any]) -> None:
        """Give a new ad group its market column; API-created ones start in a learning phase."""
        with self._pending:
            index = self._next_group
            self._next_group += 1
            adgroup["index"] = index
            learning = self.hour_of(self.clock.now()) + self.cfg["learning_hours"] if self._booted else -1.0
            self._queued_groups.append((index, float(adgroup.get("budget") or 0.0), learning))

    def register_ad(self, ad: dict[str, Any]) -> None:
        """Give a new ad its column; ads waiting in review get a decision after ``review_delay_hours``."""
        group = self.store.adgroups.get(ad.get("adgroup_id"), {})
        video = self.store.videos.get(ad.get("video_id") or "", {})
        with self._pending:
            index = self._next_ad
            self._next_ad += 1
            ad["index"] = index
            self._queued_ads.append((index, int(group.get("index", 0)), float(video.get("duration") or 15.0)))
            if ad.get("secondary_status") == "AD_STATUS_AUDIT":
                due = self.hour_of(self.clock.now()) + float(self.cfg["review_delay_hours"])
                self._reviews.append((due, ad["ad_id"], index))

    def note_change(self, adgroup_id: str, field: str, old: Any, new: Any) -> None:
        """A big relative budget or bid change restarts learning for ``learning_hours``."""
        if field not in LEARNING_FIELDS and field != "bid_type":
            return
        group = self.store.adgroups.get(adgroup_id)
        if group is None or "index" not in group:
            return
        if field != "bid_type":
            try:
                old_v, new_v = float(old or 0.0), float(new or 0.0)
            except (TypeError, ValueError):
                return
            if old_v <= 0 or abs(new_v - old_v) / old_v < self.cfg["learning_change_threshold"]:
                return
        elif old == new:
            return
        with self._pending:
            self._changes.append((group["index"], self.hour_of(self.clock.now()) + self.cfg["learning_hours"]))

    def advance_to(self, now: datetime) -> None:
        """Simulate every whole hour that ended by ``now``, then deliver review webhooks."""
        with self.lock:
            self._simulate_until(now)
            events, self._events = self._events, []
        for name, adv, entry in events:
            if self.on_event is not None:
                self.on_event(name, adv, entry)

    def sales(self, advertiser_id: str, start: datetime, end: datetime) -> list[dict]:
        from .market_sales import sales_between

        return sales_between(self, advertiser_id, utc(start), utc(end))

    # -- helpers shared by the simulation, reports and truth ------------------------------------------
    def hour_of(self, ts: datetime | str) -> float:
        """Hours from the market origin to ``ts`` (fractional; a string is TikTok's UTC time format)."""
        if isinstance(ts, str):
            ts = parse(ts[:19])
        return (utc(ts) - self.origin).total_seconds() / 3600.0

    def time_of(self, hour: float) -> datetime:
        return self.origin + timedelta(hours=hour)

    def visible_hours(self, now: datetime | None = None) -> int:
        """Hours a report may show: simulated and ended at least ``realtime_delay_minutes`` ago."""
        now = self.clock.now() if now is None else now
        ended = math.floor(self.hour_of(now) - self.cfg["realtime_delay_minutes"] / 60.0 + 1e-9)
        return max(0, min(self.hours_done, ended))

    def day_draws(self, stream: int, day: int, n: int, rows: int) -> np.ndarray:
        """Keyed per-day draws for ``n`` ad groups (uniform; standard normal for the noise stream)."""
        key = (stream, day, n, rows)
        cached = self._draws.get(key)
        if cached is None:
            from .market_truth import S_NOISE

            gens = [keyed_rng(self.seed, stream, day + 1_000_000, row) for row in range(rows)]
            cached = np.array([g.standard_normal(n) if stream == S_NOISE else g.random(n) for g in gens])
            if len(self._draws) > 512:
                self._draws.clear()
            self._draws[key] = cached
        return cached

    def sync(self) -> None:
        """Absorb entities and changes queued by handlers (call with ``self.lock`` held)."""
        with self._pending:
            groups, self._queued_groups = self._queued_groups, []
            ads, self._queued_ads = self._queued_ads, []
            changes, self._changes = self._changes, []
        if groups or not self.adv_ids:
            self._refresh_advertisers()
        for index, budget, learning in groups:
            self.truth_table.add_adgroup(index, budget, learning)
        for index, group, duration in ads:
            self.truth_table.add_ad(index, group, duration)
        for index, until in changes:
            col = self.truth_table.groups.cols["learning_until"]
            col[index] = max(col[index], until)
        n_ads = self.truth_table.ads.n
        if len(self.cum_imps) < n_ads:
            self.cum_imps = np.concatenate([self.cum_imps, np.zeros(n_ads - len(self.cum_imps))])
        self.data.ensure(self.hours_done, n_ads)

    def _refresh_advertisers(self) -> None:
        with self.store.lock:
            for adv_id, adv in self.store.advertisers.items():
                if adv_id not in self.adv_col:
                    self.adv_col[adv_id] = len(self.adv_ids)
                    self.adv_ids.append(adv_id)
                    self.adv_tz.append(zone(adv.get("timezone", "UTC")))

    def _simulate_until(self, now: datetime) -> None:
        self.sync()
        target = math.floor(self.hour_of(now) + 1e-9)
        if target > self.hours_done:
            state = read_state(self)
            self.data.ensure(target, self.truth_table.ads.n)
            for hour in range(self.hours_done, target):
                if self._apply_reviews(hour):
                    self.sync()
                    state = read_state(self)
                self.data.write(hour, simulate_hour(self, state, hour, self.cum_imps))
                self.hours_done = hour + 1
        self._apply_reviews(self.hour_of(now))

    def _apply_reviews(self, hour: float) -> bool:
        """Decide every review due by ``hour``; returns whether any ad changed status."""
        with self._pending:
            due = [r for r in self._reviews if r[0] <= hour + 1e-9]
            self._reviews = [r for r in self._reviews if r[0] > hour + 1e-9]
        changed = False
        for when, ad_id, index in sorted(due):
            denied = keyed_rng(self.seed, S_REVIEW, index).random() < self.cfg["review_rejection_rate"]
            with self.store.lock:
                ad = self.store.ads.get(ad_id)
                if ad is None or ad.get("secondary_status") != "AD_STATUS_AUDIT":
                    continue
                ad["secondary_status"] = "AD_STATUS_AUDIT_DENY" if denied else "AD_STATUS_DELIVERY_OK"
                entry = _review_entry(ad, denied, self.time_of(when))
            self._events.append(("ad.review_status_update", ad["advertiser_id"], entry))
            changed = True
        return changed


def _review_entry(ad: dict[str, Any], denied: bool, when: datetime) -> dict[str, Any]:
    """Webhook entry for a finished ad review (object 3, ad review)."""
    return {
        "advertiser_id": ad["advertiser_id"], "campaign_id": ad["campaign_id"], "adgroup_id": ad["adgroup_id"],
        "ad_id": ad["ad_id"], "ad_name": ad.get("ad_name", ""),
        "review_status": "REJECTED" if denied else "APPROVED",
        "secondary_status": ad["secondary_status"],
        "reject_reasons": ["Ad content does not meet advertising policies"] if denied else [],
        "time": int(when.astimezone(UTC).timestamp()),
    }
