"""How ``adops.marts`` reads: DECIMAL money as the exact floats, corrupt values named, the GC restored."""
from __future__ import annotations

import gc
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import pytest

from adops.marts import Held, _gc_paused, account_state
from adops.settings import load
from tests.integration.cycle_support import create_marts

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)
SPENDS = ("12.345678", "0.100000", "199.999999", "7.000001")


@pytest.fixture
def cfg(tmp_path):
    cfg = load({"ADOPS_HOME": str(tmp_path)})
    create_marts(cfg)
    with duckdb.connect(str(cfg.warehouse_path)) as con:   # the real marts keep money as DECIMAL
        for table in ("fct_adgroup_performance_daily", "fct_ad_performance_daily", "fct_ad_performance_hourly"):
            con.execute(f"alter table analytics.{table} alter spend type decimal(28, 6)")
        con.execute("insert into analytics.dim_adgroups values ('g1', 'c1', 'adv', 100, 'BID_TYPE_NO_BID', "
                    "'ENABLE', null, 'USD', 'UTC', true, null)")
        con.execute("insert into analytics.dim_ads values ('a1', 'g1', 'adv', 'text', 'ENABLE', true)")
        for i, spend in enumerate(SPENDS):
            day = date(2026, 10, 28 + i)
            con.execute("insert into analytics.fct_adgroup_performance_daily values "
                        "('g1', 'adv', ?, ?, 1, 100, 5, null)", [day, spend])
            con.execute("insert into analytics.fct_ad_performance_daily values ('a1', 'g1', 'adv', ?, ?, 1, 100, 5)",
                        [day, spend])
            con.execute("insert into analytics.fct_ad_performance_hourly values ('a1', 'g1', 'adv', ?, ?, 0, 10)",
                        [datetime(2026, 11, 1, i), spend])
    return cfg


def test_decimal_money_reads_as_the_float_python_would_make(cfg):
    state = account_state(cfg, "adv", NOW)
    (g,) = state.adgroups
    exact = [float(Decimal(s)) for s in SPENDS]
    assert [d.spend for d in g.days] == exact and [d.spend for d in g.ads[0].days] == exact
    assert [h.spend for h in g.hours] == exact and all(type(h.spend) is float for h in g.hours)
    assert [d.budget for d in g.days] == [None] * 4   # NULL budget: unknown, not zero, and not an error


def test_the_first_corrupt_value_is_named_with_its_row(cfg):
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        con.execute("update analytics.fct_ad_performance_daily set impressions = 'nan' where date_day = '2026-10-30'")
    with pytest.raises(Held, match=r"fct_ad_performance_daily: impressions = nan for a1 on 2026-10-30"):
        account_state(cfg, "adv", NOW)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_gc_is_paused_while_reading_and_left_as_it_was(enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        with _gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), _gc_paused():
            raise RuntimeError("a failed read")
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
