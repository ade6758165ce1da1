from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.creatives import CreativesConfig, prune
from ml.plan import AD, ENABLED, PAUSED, STATUS, AccountState, AdGroupState, AdState, DayObs

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 10, 12, tzinfo=UTC)


def ad(ad_id: str, rate: float, *, spend: float = 100.0, days: int = 14, decay: float = 0.0,
       status: str = ENABLED, rng: np.random.Generator | None = None, lifetime: float = 100_000.0) -> AdState:
    """An ad converting ``rate`` per dollar, falling by ``decay`` per day (fatigue); Poisson if ``rng``."""
    obs = []
    for i in range(days):
        expected = spend * rate * (1 - decay) ** i
        conv = float(rng.poisson(expected)) if rng is not None else expected
        obs.append(DayObs(date(2026, 10, 27) + timedelta(days=i), spend=spend, conversions=conv,
                          impressions=spend * 100))
    return AdState(ad_id, status=status, days=tuple(obs), impressions_total=lifetime)


def account(*groups: AdGroupState) -> AccountState:
    return AccountState("adv", NOW, "UTC", "USD", daily_budget=1000.0, target_cpa=17.0, adgroups=groups)


def adgroup(gid: str, *ads: AdState) -> AdGroupState:
    return AdGroupState(gid, "c1", budget=400.0, ads=ads)


def paused(changes) -> set[str]:
    assert all(c.kind == STATUS and c.level == AD and c.proposed == PAUSED and c.reason for c in changes)
    return {c.entity_id for c in changes}


def test_known_worst_fatigued_creative_is_paused_and_the_best_never():
    hits = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        g = adgroup("g", ad("best", 0.09, rng=rng), ad("mid1", 0.07, rng=rng), ad("mid2", 0.065, rng=rng),
                    ad("worst", 0.05, decay=0.04, rng=rng, lifetime=600_000.0))
        out = paused(prune(account(g), seed=seed))
        assert "best" not in out
        hits += "worst" in out
    assert hits >= 18


def test_worst_without_evident_fatigue_is_kept_unless_fatigue_is_not_required():
    g = adgroup("g", ad("a", 0.08), ad("b", 0.08), ad("c", 0.08), ad("worst", 0.04))
    assert prune(account(g)) == []
    out = prune(account(g), config=CreativesConfig(require_fatigue=False))
    assert paused(out) == {"worst"}
    assert "P(worst of 4 ads)" in out[0].reason


def test_ads_with_too_little_data_are_never_paused():
    g = adgroup("g", ad("a", 0.08), ad("b", 0.08), ad("c", 0.08),
                ad("thin", 0.0, spend=5.0, days=14, lifetime=900_000.0))   # $35 in 7 days: < 3 CPAs
    assert prune(account(g)) == []
    no_minimum = CreativesConfig(min_spend_cpas=0.0, min_impressions=0.0)
    assert paused(prune(account(g), config=no_minimum)) == {"thin"}   # the minimum is what holds it


def test_close_ads_are_left_alone():
    g = adgroup("g", ad("a", 0.080, decay=0.01), ad("b", 0.078, decay=0.01), ad("c", 0.076, decay=0.01))
    assert prune(account(g)) == []


def test_bad_data_holds_the_adgroup_and_bad_config_names_the_field():
    broken = AdState("nan", days=(DayObs(date(2026, 11, 9), spend=float("nan"), conversions=1.0),))
    g = adgroup("g", ad("a", 0.09), ad("b", 0.09), ad("c", 0.09), ad("w", 0.02, decay=0.05), broken)
    assert prune(account(g)) == []
    with pytest.raises(ValueError, match="min_active"):
        CreativesConfig(min_active=0)


def test_same_state_and_seed_give_the_same_pauses():
    rng = np.random.default_rng(1)
    groups = [adgroup(f"g{k}", *(ad(f"g{k}a{i}", r, rng=rng, decay=0.03, lifetime=500_000.0)
                                 for i, r in enumerate((0.08, 0.075, 0.06, 0.058)))) for k in range(12)]
    cfg = CreativesConfig(p_worst=0.5)
    first = prune(account(*groups), seed=5, config=cfg)
    assert first and first == prune(account(*groups), seed=5, config=cfg)


arms = st.lists(st.tuples(st.floats(0.01, 0.2), st.floats(0.0, 0.08), st.sampled_from([ENABLED, ENABLED, PAUSED]),
                          st.floats(0.0, 300.0)), min_size=1, max_size=7)


@settings(max_examples=120, deadline=None)
@given(st.lists(arms, min_size=1, max_size=4), st.integers(1, 4), st.integers(0, 3), st.integers(0, 10))
def test_min_active_ads_invariant_holds(spec, min_active, max_pauses, seed):
    groups = [adgroup(f"g{k}", *(ad(f"g{k}a{i}", r, decay=d, status=s, spend=sp, lifetime=1e6)
                                 for i, (r, d, s, sp) in enumerate(arms_)))
              for k, arms_ in enumerate(spec)]
    cfg = CreativesConfig(min_active=min_active, max_pauses_per_adgroup=max_pauses, p_worst=0.3, min_gap=0.0)
    out = paused(prune(account(*groups), seed=seed, config=cfg))
    for g in groups:
        active = {a.ad_id for a in g.ads if a.status == ENABLED}
        assert out & {a.ad_id for a in g.ads} <= active
        assert len(active - out) >= min(min_active, len(active))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.03, 0.12), min_size=3, max_size=6), st.integers(0, 50))
def test_the_truly_best_ad_is_never_paused(rates, seed):
    ads = [ad(f"a{i}", r, decay=0.03, spend=150.0, lifetime=1e6) for i, r in enumerate(rates)]
    best = f"a{int(np.argmax(rates))}"
    cfg = CreativesConfig(max_pauses_per_adgroup=3)
    assert best not in paused(prune(account(adgroup("g", *ads)), seed=seed, config=cfg))
