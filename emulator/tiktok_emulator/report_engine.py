"""Compute a report from the market's per-ad-hour arrays with numpy, then render only the asked page.

Steps: pick the advertiser's ads that pass the filters; sum hours into time buckets (local days or
hours in the advertiser's zone, or one bucket); hold back late conversions; split into audience
categories if asked (largest remainder, so splits sum exactly); group ads into the report's entity;
drop rows without impressions; sort by time then ID.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from .market_data import HourlyData, arrival_share
from .market_truth import BREAKDOWNS
from .report_entities import select_ads
from .report_metrics import ATTRIBUTES, columns_for, render
from .report_query import Query
from .report_split import split_cells

if TYPE_CHECKING:
    from .market import Market

SUM_FIELDS = ("spend", "impressions", "clicks", "conversions", "purchase_value", "video_play_actions",
              "video_watched_2s", "video_watched_6s", "video_views_p25", "video_views_p50", "video_views_p75",
              "video_views_p100", "likes", "comments", "shares", "follows", "profile_visits")


@dataclass
class Report:
    """All rows of a report as arrays; ``rows(lo, hi)`` renders a slice as TikTok's row dicts."""

    query: Query
    cols: dict[str, np.ndarray]       # one value per row
    bucket: np.ndarray
    group: np.ndarray
    cat: np.ndarray | None
    labels: list[str]                 # per bucket
    groups: list[dict[str, Any]]      # per group: ids and attributes
    cat_labels: list[tuple[str, ...]]
    window_total: float

    def __len__(self) -> int:
        return len(self.bucket)

    def rows(self, lo: int = 0, hi: int | None = None) -> list[dict[str, Any]]:
        sl = slice(lo, len(self) if hi is None else hi)
        cols = {k: v[sl] for k, v in self.cols.items()}
        ents = [self.groups[g] for g in self.group[sl].tolist()]
        metrics = render(self.query.metrics, cols, ents, self.query.id_level or 0)
        dims = self._dims(sl, ents)
        names = list(metrics)
        return [{"dimensions": d, "metrics": dict(zip(names, vals, strict=True))}
                for d, vals in zip(dims, zip(*metrics.values(), strict=True), strict=True)] if names else \
            [{"dimensions": d, "metrics": {}} for d in dims]

    def _dims(self, sl: slice, ents: list[dict[str, Any]]) -> list[dict[str, str]]:
        q = self.query
        labels = [self.labels[b] for b in self.bucket[sl].tolist()]
        cats = [self.cat_labels[c] for c in self.cat[sl].tolist()] if self.cat is not None else None
        out = []
        for i, ent in enumerate(ents):
            row: dict[str, str] = {}
            for dim in q.dimensions:
                if dim in BREAKDOWNS:
                    row[dim] = cats[i][q.breakdowns.index(dim)]  # type: ignore[index]
                elif dim in ("stat_time_day", "stat_time_hour"):
                    row[dim] = labels[i]
                else:
                    row[dim] = str(ent.get(dim, "-"))
            out.append(row)
        return out

    def totals(self) -> dict[str, str]:
        """``total_metrics``: the numeric metrics over every row (reach over the whole window)."""
        cols = {k: np.array([v.sum()]) for k, v in self.cols.items()}
        cols["window_hours"] = np.array([self.window_total])
        numeric = [m for m in self.query.metrics if m not in ATTRIBUTES]
        return {k: v[0] for k, v in render(numeric, cols, None, -1).items()}


def build_report(market: Market, q: Query) -> Report:
    """Run ``q`` against the market as it stands now (a consistent snapshot under the market lock)."""
    with market.lock:
        market.sync()
        sel = select_ads(market, q)
        starts, labels, lengths, h0, h1 = _buckets(market, q, sel["tz"])
        cells = _sum_cells(market, q, sel["index"], starts, h0, h1) if len(labels) and len(sel["index"]) else None
    if cells is None or q.empty:
        return _empty(q, sel)
    cols, (n_g, n_k), cat_labels = _group(q, cells, sel)
    keep = np.flatnonzero(cols["impressions"] > 0)  # row = (bucket * n_g + group) * n_k + category
    cols = {k: v[keep] for k, v in cols.items()}
    bucket, group, cat = keep // (n_g * n_k), keep // n_k % n_g, keep % n_k if q.breakdowns else None
    cols["window_hours"] = lengths[bucket]
    order = _order(q, bucket, group, cat, cols, sel["group_rank"])
    if order is not None:
        cols = {k: v[order] for k, v in cols.items()}
        bucket, group, cat = bucket[order], group[order], cat[order] if cat is not None else None
    return Report(q, cols, bucket, group, cat, labels, sel["groups"], cat_labels, float(lengths.sum()))


def _empty(q: Query, sel: dict[str, Any]) -> Report:
    zero_i, zero_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    cols = {k: zero_f for k in (*SUM_FIELDS, "play_seconds", "window_hours")}
    return Report(q, cols, zero_i, zero_i, None, [], sel["groups"], [], 0.0)


def _buckets(market: Market, q: Query, tz: Any) -> tuple[np.ndarray, list[str], np.ndarray, int, int]:
    """Time buckets as hour offsets: local days, hours, or one span, clipped to reported hours."""
    visible = market.visible_hours()
    if q.lifetime:
        h0, h1 = 0, visible
    else:
        h0 = max(0, _local_midnight_hour(market, q.start, tz))  # type: ignore[arg-type]
        h1 = min(visible, _local_midnight_hour(market, q.end + timedelta(days=1), tz))  # type: ignore[operator]
    if h1 <= h0:
        return np.zeros(0, dtype=np.int64), [], np.zeros(0), h0, h0
    if q.time_dim == "stat_time_hour":
        starts = np.arange(h0, h1)
        labels = [market.time_of(h).astimezone(tz).strftime("%Y-%m-%d %H:00:00") for h in range(h0, h1)]
    elif q.time_dim == "stat_time_day":
        starts, labels = _day_starts(market, q, tz, h0, h1)
    else:
        starts, labels = np.array([h0]), ["-"]
    lengths = np.diff(np.append(starts, h1)).astype(np.float64)
    return starts - h0, labels, lengths, h0, h1


def _day_starts(market: Market, q: Query, tz: Any, h0: int, h1: int) -> tuple[np.ndarray, list[str]]:
    starts, labels = [], []
    day = q.start
    while day <= q.end:  # type: ignore[operator]
        lo = max(h0, _local_midnight_hour(market, day, tz))
        hi = min(h1, _local_midnight_hour(market, day + timedelta(days=1), tz))
        if hi > lo:
            starts.append(lo)
            labels.append(f"{day.isoformat()} 00:00:00")
        day += timedelta(days=1)
    return np.array(starts, dtype=np.int64), labels


def _local_midnight_hour(market: Market, day: date, tz: Any) -> int:
    return int(np.floor(market.hour_of(datetime.combine(day, time(0), tzinfo=tz)) + 1e-9))


def _sum_cells(market: Market, q: Query, idx: np.ndarray, starts: np.ndarray, h0: int,
               h1: int) -> dict[str, np.ndarray]:
    """Per (bucket, selected ad) sums, with conversions not yet arrived held back."""
    data, cfg = market.data, market.cfg
    now_h = market.hour_of(market.clock.now())
    ages = now_h - np.arange(h0, h1)
    share = arrival_share(ages, cfg["conversion_lag_hours"], cfg["finalize_hours"], bool(cfg["late_conversions"]))
    needed = {"impressions", *(c for m in q.metrics for c in columns_for(m))}
    if q.order_field:
        needed.add({"conversion": "conversions", "result": "conversions"}.get(q.order_field, q.order_field))
    n_cols = int(idx.max()) + 1
    in_order = n_cols == len(idx) and np.array_equal(idx, np.arange(n_cols))  # then no gather is needed
    out = {}
    for name in SUM_FIELDS:
        if name not in needed and not (name.startswith("video_") and "play_seconds" in needed):
            continue
        total = data.memo(("report_sums", name, h0, h1, starts.tobytes(), n_cols),
                          lambda name=name: _reduce(data, name, h0, h1, starts, n_cols))
        if name in ("conversions", "purchase_value"):
            late = data.memo(("report_late", name, h0, h1, starts.tobytes(), share.tobytes()),
                             lambda name=name: data.late_deficit(name, h0, h1, starts, share))
            total = total - late[:, :n_cols]
        out[name] = total if in_order else total[:, idx]
    if "spend" in out:
        out["spend"] = np.round(out["spend"], 2)
    if "play_seconds" in needed:
        out["play_seconds"] = _play_seconds(out, market.truth_table.ads.duration[idx])
    return out


def _reduce(data: HourlyData, name: str, h0: int, h1: int, starts: np.ndarray, n_cols: int) -> np.ndarray:
    """``data.reduce`` for the first ``n_cols`` ads, as float64: the same sums, added in the same order.

    One axis-0 ``np.add.reduce`` per bucket: ``np.add.reduceat`` along the hour axis casts element by
    element and is about 4x slower on the ``large`` scenario's 10,000 columns. Counts are summed in
    float64 directly (exact: far below 2**53), which saves the int64 array and its cast, and the
    fresh memory a request touches is what dominates at this size (page faults).
    """
    block = data.field(name)[h0:h1, :n_cols]
    out = np.empty((len(starts), n_cols), dtype=np.float64)
    ends = [*starts[1:].tolist(), h1 - h0]
    for i, (lo, hi) in enumerate(zip(starts.tolist(), ends, strict=True)):
        np.add.reduce(block[lo:hi], axis=0, dtype=np.float64, out=out[i])
    return out


def _play_seconds(out: dict[str, np.ndarray], duration: np.ndarray) -> np.ndarray:
    """Seconds watched, from the quartile funnel: a play that stopped between quartiles counts half way."""
    funnel = (0.125 * (out["video_play_actions"] - out["video_views_p25"]) + 0.375 * (out["video_views_p25"] - out["video_views_p50"])
              + 0.625 * (out["video_views_p50"] - out["video_views_p75"]) + 0.875 * (out["video_views_p75"] - out["video_views_p100"])
              + out["video_views_p100"])
    return funnel * duration[None, :]


def _group(q: Query, cells: dict[str, np.ndarray], sel: dict[str, Any]):
    """Collapse (bucket, ad[, category]) cells into (bucket, group[, category]) rows, plus (n_g, n_k)."""
    n_b, n_a = cells["impressions"].shape
    n_g = len(sel["groups"])
    gidx = sel["group_of"]
    if not q.breakdowns and n_g == n_a and np.array_equal(gidx, np.arange(n_a)):  # one ad per row, in ID order
        return {name: arr.ravel() for name, arr in cells.items()}, (n_g, 1), []
    if q.breakdowns:
        cells, n_k, cat_labels = split_cells(cells, sel["adgroup_of"], q.breakdowns, sel["shares"])
        key = ((np.arange(n_b)[:, None, None] * n_g + gidx[None, :, None]) * n_k + np.arange(n_k)[None, None, :]).ravel()
    else:
        n_k, cat_labels = 1, []
        key = (np.arange(n_b)[:, None] * n_g + gidx[None, :]).ravel()
    return {name: np.bincount(key, arr.ravel(), minlength=n_b * n_g * n_k)
            for name, arr in cells.items()}, (n_g, n_k), cat_labels


def _order(q: Query, bucket: np.ndarray, group: np.ndarray, cat: np.ndarray | None, cols: dict[str, np.ndarray],
           group_rank: np.ndarray) -> np.ndarray | None:
    """Time, then entity ID, then category; an ``order_field`` on a summed column goes first.

    ``None`` when the rows already stand in that order: ``_group`` lays them out bucket-major, then
    group, then category, and groups are numbered in ID order, so only an ``order_field`` sorts.
    """
    field = {"conversion": "conversions", "result": "conversions"}.get(q.order_field or "", q.order_field)
    if field not in cols and np.array_equal(group_rank, np.arange(len(group_rank))):
        return None
    keys = [cat if cat is not None else np.zeros(len(bucket)), group_rank[group], bucket]
    if field in cols:
        keys.append(-cols[field] if q.descending else cols[field])
    return np.lexsort(keys)
