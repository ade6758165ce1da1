"""Per-ad-hour delivery arrays and their time aggregation, including late-arriving conversions.

Rows are simulated hours (``hour index`` from the market origin), columns are ads (their
``index``). Floats are float32 and counts int32 so the ``large`` scenario (10,000 ads x 14 days)
stays around a quarter of a gigabyte. Aggregation sums in 64 bits.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np

FLOAT_FIELDS = ("spend", "conversions_expected", "purchase_value")
INT_FIELDS = ("impressions", "clicks", "conversions", "video_play_actions", "video_watched_2s",
              "video_watched_6s", "video_views_p25", "video_views_p50", "video_views_p75", "video_views_p100",
              "likes", "comments", "shares", "follows", "profile_visits")
FIELDS = FLOAT_FIELDS + INT_FIELDS
HOUR_CHUNK = 48
AD_CHUNK = 64
MEMO_ENTRIES = 64


class HourlyData:
    """Delivery per (hour, ad); grows in chunks when hours are simulated or ads registered."""

    def __init__(self, hours: int, ads: int) -> None:
        self.hour_cap, self.ad_cap = 0, 0
        self.floats = np.zeros((len(FLOAT_FIELDS), 0, 0), dtype=np.float32)
        self.ints = np.zeros((len(INT_FIELDS), 0, 0), dtype=np.int32)
        self._memo: dict[Hashable, np.ndarray] = {}
        self.ensure(hours, ads)

    def ensure(self, hours: int, ads: int) -> None:
        """Make room for ``hours`` rows and ``ads`` columns (copying once per chunk, not per hour)."""
        if hours <= self.hour_cap and ads <= self.ad_cap:
            return
        new_h = max(self.hour_cap, hours + (HOUR_CHUNK if hours > self.hour_cap else 0))
        new_a = max(self.ad_cap, ads + (AD_CHUNK if ads > self.ad_cap else 0))
        floats = np.zeros((len(FLOAT_FIELDS), new_h, new_a), dtype=np.float32)
        ints = np.zeros((len(INT_FIELDS), new_h, new_a), dtype=np.int32)
        floats[:, : self.hour_cap, : self.ad_cap] = self.floats
        ints[:, : self.hour_cap, : self.ad_cap] = self.ints
        self.floats, self.ints, self.hour_cap, self.ad_cap = floats, ints, new_h, new_a
        self._memo.clear()

    def field(self, name: str) -> np.ndarray:
        """The (hours, ads) view of one field."""
        if name in FLOAT_FIELDS:
            return self.floats[FLOAT_FIELDS.index(name)]
        return self.ints[INT_FIELDS.index(name)]

    def write(self, hour: int, values: dict[str, np.ndarray]) -> None:
        """Store one simulated hour for the first ``len(values[...])`` ads."""
        for name, arr in values.items():
            self.field(name)[hour, : len(arr)] = arr
        self._memo.clear()

    def memo(self, key: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """``compute()`` (a pure function of these arrays) remembered under ``key`` until the next
        ``write`` or ``ensure``; the result is read-only.

        Report clients page through one window many times (1,000 rows a page) and each page would
        otherwise re-read every hour of every ad. Store hours through ``write`` only, or this goes stale.
        """
        hit = self._memo.get(key)
        if hit is None:
            if len(self._memo) >= MEMO_ENTRIES:
                self._memo.clear()
            hit = compute()
            hit.flags.writeable = False
            self._memo[key] = hit
        return hit

    def reduce(self, name: str, h0: int, h1: int, starts: np.ndarray) -> np.ndarray:
        """Sum rows [h0, h1) into buckets beginning at the relative offsets ``starts`` -> (buckets, ads)."""
        block = self.field(name)[h0:h1]
        dtype = np.float64 if name in FLOAT_FIELDS else np.int64
        if h1 <= h0:
            return np.zeros((len(starts), self.ad_cap), dtype=dtype)
        return np.add.reduceat(block, starts, axis=0, dtype=dtype)

    def late_deficit(self, name: str, h0: int, h1: int, starts: np.ndarray, reported: np.ndarray) -> np.ndarray:
        """How much of rows [h0, h1) has not arrived yet, per bucket.

        ``reported`` is the share F(age) visible for each row; only rows with F < 1 cost anything, so a
        30-day report touches just the last day and a half. Conversions are floored per ad-hour,
        other fields (purchase value) follow the conversions that arrived.
        """
        out = np.zeros((len(starts), self.ad_cap), dtype=np.float64)
        pending = np.nonzero(reported < 1.0)[0]
        if len(pending) == 0:
            return out
        rows = h0 + pending
        conv = self.field("conversions")[rows].astype(np.float64)
        arrived = conv * reported[pending, None]
        np.floor(arrived, out=arrived)
        if name == "conversions":
            missing = np.subtract(conv, arrived, out=arrived)  # in place: fresh memory is what costs here
        else:
            ratio = np.divide(arrived, conv, out=np.ones_like(conv), where=conv > 0)
            missing = self.field(name)[rows].astype(np.float64) * (1.0 - ratio)
        bucket = np.searchsorted(starts, pending, side="right") - 1
        for b in np.unique(bucket).tolist():  # rows in hour order, as np.add.at would add them, ~20x faster
            out[b] += np.add.reduce(missing[bucket == b], axis=0)
        return out


def arrival_share(age_hours: np.ndarray, lag_hours: float, finalize_hours: float, enabled: bool) -> np.ndarray:
    """F(age): share of an hour's final conversions visible ``age_hours`` after the hour began.

    An exponential lag with mean ``lag_hours``, rescaled so it reaches exactly 1 at ``finalize_hours``.
    """
    age = np.asarray(age_hours, dtype=float)
    if not enabled:
        return np.ones_like(age)
    full = 1.0 - np.exp(-finalize_hours / lag_hours)
    share = (1.0 - np.exp(-np.clip(age, 0, None) / lag_hours)) / full
    return np.where(age >= finalize_hours, 1.0, np.clip(share, 0.0, 1.0))
