"""The cycle hands the decision code the times it last changed each ad group (learning, bid cooldown)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adops.cycle_record import with_change_times
from ml.plan import AD, ADGROUP, BID, BID_MODE, BUDGET, STATUS, AccountState, AdGroupState

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def state(*groups: AdGroupState) -> AccountState:
    return AccountState("adv", NOW, "UTC", "USD", 400.0, 17.0, adgroups=groups)


def test_bid_and_budget_times_come_from_the_change_log():
    g1, g2 = AdGroupState("g1", "c1", 200.0), AdGroupState("g2", "c1", 200.0)
    log = {(ADGROUP, "g1", BUDGET): NOW - timedelta(hours=2), (ADGROUP, "g1", BID): NOW - timedelta(hours=30),
           (ADGROUP, "g1", BID_MODE): NOW - timedelta(hours=5), (AD, "g2", STATUS): NOW}
    out = with_change_times(state(g1, g2), log)
    assert out.adgroups[0].bid_changed == NOW - timedelta(hours=5)   # the later of bid and bid mode
    assert out.adgroups[0].last_changed == NOW - timedelta(hours=2)  # any budget/bid lever
    assert (out.adgroups[1].bid_changed, out.adgroups[1].last_changed) == (None, None)  # an ad's status is not g2's


def test_known_times_are_kept_when_the_log_has_nothing():
    earlier = NOW - timedelta(days=3)
    g = AdGroupState("g1", "c1", 200.0, last_changed=earlier, bid_changed=earlier)
    assert with_change_times(state(g), {}).adgroups[0] == g
