"""The advertiser's own sales system: one order per realised (final) conversion plus organic orders.

Orders are generated on demand, hour by hour, from a generator keyed by (seed, advertiser, hour),
so they are identical however and whenever they are asked for. Attributed orders of an ad-hour
add up to the purchase value TikTok reports for it once final. Hours not yet simulated have none.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from .clock import fmt
from .market_truth import S_SALES, keyed_rng

if TYPE_CHECKING:
    from .market import Market

CACHE_LIMIT = 300_000  # orders kept in memory before the cache is dropped and regenerated on demand


def sales_between(market: Market, advertiser_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Orders of ``advertiser_id`` with ``start <= order_time < end`` (UTC), oldest first."""
    with market.lock:
        market.sync()
        col = market.adv_col.get(advertiser_id)
        if col is None:
            return []
        h0 = max(0, math.floor(market.hour_of(start)))
        h1 = min(market.hours_done, math.ceil(market.hour_of(end)))
        ads = _advertiser_ads(market, advertiser_id)
        orders: list[dict[str, Any]] = []
        for hour in range(h0, h1):
            orders.extend(_hour_orders(market, col, hour, ads))
    lo, hi = fmt(start), fmt(end)
    return [o for o in orders if lo <= o["order_time"] < hi]


def _advertiser_ads(market: Market, advertiser_id: str) -> dict[str, Any]:
    with market.store.lock:
        rows = sorted((a["index"], a["ad_id"], a["adgroup_id"], a["campaign_id"])
                      for a in market.store.ads.values()
                      if a["advertiser_id"] == advertiser_id and a.get("index", -1) >= 0)
        currency = market.store.advertisers[advertiser_id].get("currency", "USD")
    rows = [r for r in rows if r[0] < market.truth_table.ads.n]
    return {"index": np.array([r[0] for r in rows], dtype=np.int64), "ids": rows, "currency": currency}


def _hour_orders(market: Market, col: int, hour: int, ads: dict[str, Any]) -> list[dict[str, Any]]:
    key = (col, hour)
    cached = market.sales_cache.get(key)
    if cached is None:
        cached = _generate(market, col, hour, ads)
        count = market.sales_cache.get("_count", 0) + len(cached)  # type: ignore[call-overload]
        if count > CACHE_LIMIT:
            market.sales_cache.clear()
            count = len(cached)
        market.sales_cache["_count"] = count  # type: ignore[index]
        market.sales_cache[key] = cached
    return cached


def _generate(market: Market, col: int, hour: int, ads: dict[str, Any]) -> list[dict[str, Any]]:
    """Attributed orders first (ad by ad), then organic ones, each at a random second of the hour."""
    cfg = market.cfg
    r = keyed_rng(market.seed, S_SALES, col, hour)
    idx = ads["index"]
    conv = market.data.field("conversions")[hour, idx].astype(np.int64) if len(idx) else np.zeros(0, np.int64)
    value = market.data.field("purchase_value")[hour, idx].astype(np.float64) if len(idx) else np.zeros(0)
    owner = np.repeat(np.arange(len(idx)), conv)
    values = _order_values(r, cfg, len(owner))
    per_ad = np.bincount(owner, values, minlength=len(idx)).astype(np.float64)
    values = np.round(values * np.divide(value, per_ad, out=np.ones_like(per_ad), where=per_ad > 0)[owner], 2)
    attributable = r.random(len(owner)) < cfg["attributable_share"]
    local_hour = (market.time_of(hour).astimezone(market.adv_tz[col])).hour
    organic = int(r.poisson(cfg["organic_orders_per_day"] * market.hour_shares[local_hour]))
    organic_values = np.round(_order_values(r, cfg, organic), 2)
    seconds = r.integers(0, 3600, len(owner) + organic)
    start = market.time_of(hour)
    orders = []
    for j in range(len(owner) + organic):
        ad = ads["ids"][owner[j]] if j < len(owner) and attributable[j] else None
        amount = values[j] if j < len(owner) else organic_values[j - len(owner)]
        orders.append(_order(market, col, hour, j, start + timedelta(seconds=int(seconds[j])), float(amount),
                             ads["currency"], ad))
    orders.sort(key=lambda o: (o["order_time"], o["order_id"]))
    return orders


def _order_values(r: np.random.Generator, cfg: dict[str, Any], n: int) -> np.ndarray:
    sigma = cfg["aov_log_sigma"]
    return cfg["average_order_value"] * np.exp(sigma * r.standard_normal(n) - sigma ** 2 / 2)


def _order(market: Market, col: int, hour: int, j: int, when: datetime, value: float, currency: str,
           ad: tuple | None) -> dict[str, Any]:
    order_id = f"SO{col + 1:02d}{hour:06d}{j:05d}"
    click = None
    if ad is not None:
        click = "E_C_P_" + hashlib.md5(f"{market.seed}:{order_id}:{ad[1]}".encode()).hexdigest()[:28]
    return {"order_id": order_id, "order_time": fmt(when), "value": round(value, 2), "currency": currency,
            "ttclid": click, "click_id": click,
            "ad_id": ad[1] if ad else None, "adgroup_id": ad[2] if ad else None,
            "campaign_id": ad[3] if ad else None, "attributed": ad is not None}
