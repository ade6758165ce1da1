"""Report metrics: how each one is computed from summed delivery columns and formatted as TikTok does.

Values are strings: money with 2 decimals, counts as integers, rates as percentages with 2 decimals,
and ``"-"`` when a ratio's denominator is zero. Metrics the market does not model (app installs,
leads, onsite shopping) answer 0, or ``"-"`` for their cost ratios, so every metric Airbyte 4.7.0
requests is accepted. Columns arrive as float64 numpy arrays for the rows being rendered.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

Cols = dict[str, np.ndarray]
Renderer = Callable[[Cols], list[str]]


def reach(cols: Cols) -> np.ndarray:
    """Unique users from a row's impressions and its time window: frequency grows with the window,
    so reach is never a sum over hours."""
    freq = 1.0 + 0.3 * np.log1p(cols["window_hours"] / 24.0)
    return np.where(cols["impressions"] > 0, np.maximum(1.0, np.round(cols["impressions"] / freq)), 0.0)


@cache
def _count(name: str) -> Renderer:
    return lambda c: list(map(str, np.round(c[name]).astype(np.int64).tolist()))


@cache
def _money(name: str) -> Renderer:
    return lambda c: [f"{v:.2f}" for v in c[name].tolist()]


@cache
def _const(text: str) -> Renderer:
    return lambda c: [text] * len(c["impressions"])


@cache
def _ratio(num: str | Callable[[Cols], np.ndarray], den: str | Callable[[Cols], np.ndarray],
           scale: float = 1.0) -> Renderer:
    """num/den*scale with 2 decimals; ``"-"`` where den is zero."""
    def render(c: Cols) -> list[str]:
        n = num(c) if callable(num) else (c[num] if num else np.zeros(len(c["impressions"])))
        d = den(c) if callable(den) else c[den]
        out = np.divide(n * scale, d, out=np.zeros(len(d)), where=d > 0)
        return [f"{v:.2f}" if ok else "-" for v, ok in zip(out.tolist(), (d > 0).tolist(), strict=True)]
    return render


def _reach_count(c: Cols) -> list[str]:
    return list(map(str, reach(c).astype(np.int64).tolist()))


def _seconds_per_user(c: Cols) -> np.ndarray:
    return c["play_seconds"]


CONV = "conversions"
METRICS: dict[str, Renderer] = {
    "spend": _money("spend"), "cash_spend": _money("spend"), "billed_cost": _money("spend"),
    "voucher_spend": _const("0.00"), "impressions": _count("impressions"), "gross_impressions": _count("impressions"),
    "clicks": _count("clicks"), "ctr": _ratio("clicks", "impressions", 100), "cpc": _ratio("spend", "clicks"),
    "cpm": _ratio("spend", "impressions", 1000), "reach": _reach_count, "frequency": _ratio("impressions", reach),
    "cost_per_1000_reached": _ratio("spend", reach, 1000),
    "conversion": _count(CONV), "cost_per_conversion": _ratio("spend", CONV),
    "conversion_rate": _ratio(CONV, "clicks", 100), "conversion_rate_v2": _ratio(CONV, "impressions", 100),
    "real_time_conversion": _count(CONV), "real_time_cost_per_conversion": _ratio("spend", CONV),
    "real_time_conversion_rate": _ratio(CONV, "clicks", 100),
    "real_time_conversion_rate_v2": _ratio(CONV, "impressions", 100),
    "result": _count(CONV), "cost_per_result": _ratio("spend", CONV), "result_rate": _ratio(CONV, "impressions", 100),
    "real_time_result": _count(CONV), "real_time_cost_per_result": _ratio("spend", CONV),
    "real_time_result_rate": _ratio(CONV, "impressions", 100),
    "secondary_goal_result": _const("-"), "cost_per_secondary_goal_result": _const("-"),
    "secondary_goal_result_rate": _const("-"),
    "complete_payment": _count(CONV), "cost_per_complete_payment": _ratio("spend", CONV),
    "complete_payment_rate": _ratio(CONV, "clicks", 100), "total_complete_payment_rate": _ratio(CONV, "clicks", 100),
    "value_per_complete_payment": _ratio("purchase_value", CONV),
    "purchase": _count(CONV), "cost_per_purchase": _ratio("spend", CONV), "purchase_rate": _ratio(CONV, "clicks", 100),
    "total_purchase_value": _money("purchase_value"), "total_complete_payment": _money("purchase_value"),
    "cta_conversion": _count(CONV), "cta_purchase": _count(CONV), "vta_conversion": _const("0"),
    "vta_purchase": _const("0"), "total_pageview": _count("clicks"),
    "total_onsite_shopping_value": _const("0.00"), "onsite_shopping": _const("0"),
    "video_play_actions": _count("video_play_actions"), "video_watched_2s": _count("video_watched_2s"),
    "video_watched_6s": _count("video_watched_6s"), "engaged_view": _count("video_watched_6s"),
    "video_views_p25": _count("video_views_p25"), "video_views_p50": _count("video_views_p50"),
    "video_views_p75": _count("video_views_p75"), "video_views_p100": _count("video_views_p100"),
    "average_video_play": _ratio("play_seconds", "video_play_actions"),
    "average_video_play_per_user": _ratio(_seconds_per_user, reach),
    "likes": _count("likes"), "comments": _count("comments"), "shares": _count("shares"),
    "follows": _count("follows"), "profile_visits": _count("profile_visits"),
    "profile_visits_rate": _ratio("profile_visits", "impressions", 100),
    "clicks_on_music_disc": _const("0"),
}
ZERO_EVENTS = ("app_install", "real_time_app_install", "registration", "sales_lead", "total_sales_lead",
               "total_app_event_add_to_cart", "app_event_add_to_cart", "total_registration", "checkout",
               "add_to_wishlist", "download_start", "page_browse_view", "button_click", "form", "subscribe")
for _event in ZERO_EVENTS:
    METRICS.setdefault(_event, _const("0"))
for _name in ("cost_per_app_install", "real_time_app_install_cost", "cost_per_registration", "cost_per_sales_lead",
              "cost_per_total_sales_lead", "cost_per_total_app_event_add_to_cart", "cost_per_checkout"):
    METRICS[_name] = _ratio("", "zero")
for _name in ("registration_rate", "sales_lead_rate", "app_install_rate", "checkout_rate"):
    METRICS[_name] = _ratio("", "clicks", 100)

# Attribute metrics: resolved from the row's entity; "-" below the row's granularity.
ATTRIBUTES: dict[str, tuple[int, str]] = {
    "advertiser_id": (0, "advertiser_id"), "advertiser_name": (0, "advertiser_name"), "currency": (0, "currency"),
    "campaign_id": (1, "campaign_id"), "campaign_name": (1, "campaign_name"), "objective_type": (1, "objective_type"),
    "adgroup_id": (2, "adgroup_id"), "adgroup_name": (2, "adgroup_name"), "placement_type": (2, "placement_label"),
    "promotion_type": (2, "promotion_label"), "tt_app_id": (2, "tt_app_id"), "tt_app_name": (2, "tt_app_name"),
    "mobile_app_id": (2, "mobile_app_id"), "dpa_target_audience_type": (2, "dpa_target_audience_type"),
    "optimization_goal": (2, "optimization_goal"), "bid_strategy": (2, "bid_type"),
    "ad_id": (3, "ad_id"), "ad_name": (3, "ad_name"), "ad_text": (3, "ad_text"),
    "call_to_action": (3, "call_to_action"), "image_mode": (3, "ad_format"),
}
for _attr in ATTRIBUTES:
    METRICS.setdefault(_attr, _const("-"))  # placeholder so validation knows the name

PLACEMENT_LABELS = {"PLACEMENT_TYPE_AUTOMATIC": "Automatic Placement", "PLACEMENT_TYPE_NORMAL": "Select Placement"}
PROMOTION_LABELS = {"WEBSITE": "Website", "APP_ANDROID": "App", "APP_IOS": "App", "LEAD_GENERATION": "Lead Generation",
                    "TIKTOK_SHOP": "TikTok Shop", "WEBSITE_OR_DISPLAY": "Website"}


class _Recorder(dict):
    """Records which columns a renderer reads (dependency discovery without a hand-kept table)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def __getitem__(self, key: str) -> np.ndarray:
        self.seen.add(key)
        return np.zeros(1)


@cache
def columns_for(name: str) -> frozenset[str]:
    """Summed columns metric ``name`` needs."""
    if name in ATTRIBUTES:
        return frozenset()
    recorder = _Recorder()
    METRICS[name](recorder)
    return frozenset(recorder.seen - {"zero"})


def render(metrics: list[str], cols: Cols, entities: list[dict[str, Any]] | None, level: int) -> dict[str, list[str]]:
    """Column of strings per metric for the given rows (``entities[i]`` describes row i)."""
    n = len(cols["impressions"])
    cols = {**cols, "zero": np.zeros(n)}
    out: dict[str, list[str]] = {}
    done: dict[Renderer, list[str]] = {}  # many metrics share a renderer (conversion, result, purchase...)
    for name in metrics:
        if name in ATTRIBUTES:
            min_level, key = ATTRIBUTES[name]
            if entities is None or level < min_level:
                out[name] = ["-"] * n
            else:
                out[name] = [str(e.get(key) if e.get(key) not in (None, "") else "-") for e in entities]
        else:
            fn = METRICS[name]
            if fn not in done:
                done[fn] = fn(cols)
            out[name] = done[fn]
    return out
