"""The per-account look-ups the model builds once (hours, day terms, campaign members, complete days)
give exactly what the per-ad-group computations gave: same numbers, bit for bit."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ml import bidding, creatives
from ml.allocation_model import _plain_nonneg, bad_input
from ml.daywindow import complete_days
from ml.pacing import DEFAULT_CURVE, LocalHours, learn_curve, pace
from ml.plan import AccountState, AdGroupState, AdState, DayObs, HourObs
from ml.priors import hierarchical_prior
from ml.response import DayTerms, Evidence, day_records

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
TOKYO = ZoneInfo("Asia/Tokyo")


def _group(gid: str, seed: int) -> AdGroupState:
    rng = np.random.default_rng(seed)
    days = tuple(DayObs(NOW.date() - timedelta(days=d), float(rng.uniform(0, 300)), float(rng.integers(0, 20)))
                 for d in range(14, -1, -1))
    hours = tuple(HourObs(NOW - timedelta(hours=h), float(rng.uniform(0, 15)), float(rng.integers(0, 2)))
                  for h in range(40, 0, -1))
    return AdGroupState(gid, "c1", 200.0, days=days, hours=hours)


def test_local_hours_converts_each_hour_once_and_like_astimezone():
    local = LocalHours(TOKYO)
    hour = datetime(2026, 11, 19, 15, tzinfo=UTC)
    assert local(hour) == hour.astimezone(TOKYO) and local(hour).tzinfo is TOKYO
    assert local(datetime(2026, 11, 19, 15, tzinfo=UTC)) is local(hour)   # cached by value


def test_shared_day_terms_give_the_same_records_as_per_group_ones():
    groups = [_group(f"g{i}", i) for i in range(5)]
    curve = learn_curve((h for g in groups for h in g.hours), TOKYO)
    terms = DayTerms(NOW, TOKYO, curve, LocalHours(TOKYO))
    for g in groups:
        assert repr(day_records(g, NOW, TOKYO, curve, 0.72, terms)) == repr(day_records(g, NOW, TOKYO, curve, 0.72))
    assert terms.today == NOW.astimezone(TOKYO).date() and terms.age(NOW - timedelta(hours=3)) == 3.0


def test_learn_curve_and_pace_match_a_plain_loop_over_the_hours():
    groups = [_group(f"g{i}", 10 + i) for i in range(4)]
    spend, seen = np.zeros(24), np.zeros(24)
    for h in (h for g in groups for h in g.hours):
        if h.spend > 0:
            spend[h.hour.astimezone(TOKYO).hour] += h.spend
            seen[h.hour.astimezone(TOKYO).hour] += 1
    curve = learn_curve((h for g in groups for h in g.hours), TOKYO, min_spend=1.0)
    assert seen.min() > 0 and np.array_equal(curve, (spend / seen) / (spend / seen).sum())
    shared = LocalHours(TOKYO)
    assert [pace(g, NOW, TOKYO, DEFAULT_CURVE, local=shared) for g in groups] == [
        pace(g, NOW, TOKYO, DEFAULT_CURVE) for g in groups]


def test_campaign_prior_sums_members_in_order_like_a_mask():
    rng = np.random.default_rng(3)
    campaigns = [f"c{i % 7}" for i in range(60)]
    evs = [Evidence(float(c), float(x), 1.0, 1.0) for c, x in zip(rng.uniform(0, 30, 60), rng.uniform(1, 99, 60),
                                                                 strict=True)]
    _, _, levels = hierarchical_prior(evs, campaigns, fallback_rate=0.05, campaign_k=20.0, group_k=2.0)
    conv, expo = np.array([e.conversions for e in evs]), np.array([e.exposure for e in evs])
    for cid in set(campaigns):
        mask = np.array([c == cid for c in campaigns])
        expected = (float(conv[mask].sum()) + 20.0) / (float(expo[mask].sum()) + 20.0 / levels["advertiser"])
        assert levels[cid] == expected


def test_complete_days_keeps_what_needs_no_cut_and_cuts_today():
    ad = AdState("a1", days=(DayObs(NOW.date() - timedelta(days=1), 1.0, 0.0),))   # nothing to cut
    today = DayObs(NOW.date(), 5.0, 1.0)
    g = AdGroupState("g", "c", 100.0, days=(DayObs(NOW.date() - timedelta(days=1), 9.0, 1.0), today), ads=(ad,))
    state = AccountState("adv", NOW, "UTC", "USD", 100.0, 10.0, adgroups=(g,))
    cut = complete_days(state)
    assert cut.adgroups[0].days == g.days[:1] and cut.adgroups[0].ads[0] is ad
    assert complete_days(cut) is cut   # cutting again changes nothing and copies nothing


@pytest.mark.parametrize("values, ok", [
    ([1.0, 0.0, 2.5], True), ([], True), ([1.0, -0.5], False), ([1.0, math.nan], False), ([math.inf], False),
    ([-0.0, 3.0], True),
])
def test_fast_non_negative_checks_agree_with_the_one_by_one_rule(values, ok):
    assert creatives._finite_nonneg(*values) is ok and bidding._finite_nonneg(*values) is ok
    assert _plain_nonneg(values) is ok


def test_non_float_values_take_the_one_by_one_path():
    assert bidding._finite_nonneg(1.0, None) is False    # bidding treats a missing value as unusable
    assert creatives._finite_nonneg(1, 2.0) is True       # ints are numbers too
    assert _plain_nonneg([1, 2.0]) is False               # not plain floats: bad_input checks each value


def test_bad_input_still_names_the_first_bad_metric():
    g = _group("g1", 1)
    bad = AdGroupState("g2", "c1", 200.0, days=(DayObs(NOW.date(), 10.0, math.nan),))
    state = AccountState("adv", NOW, "UTC", "USD", 400.0, 10.0, adgroups=(g, bad))
    assert bad_input(state).startswith(f"ad group g2 {NOW.date()} conversions=nan")
    assert bad_input(AccountState("adv", NOW, "UTC", "USD", 400.0, 10.0, adgroups=(g,))) == ""
