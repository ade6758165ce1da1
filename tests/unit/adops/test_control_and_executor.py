from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from adops.control import APPLIED, ControlPlane
from adops.executor import plan_id_for, run_cycle, trailing_kpis
from adops.settings import load

pytestmark = pytest.mark.unit


@pytest.fixture
def settings(tmp_path: Path):
    cfg = load({"ADOPS_HOME": str(tmp_path)})
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        con.execute("create schema analytics")
        con.execute("""create table analytics.fct_adgroup_performance_daily (
            adgroup_id varchar, advertiser_id varchar, date_day date, spend double, conversions bigint,
            daily_budget double)""")
        for i, cpa in enumerate([10, 12, 14, 16, 18, 20, 25, 40]):
            for d in range(7):
                con.execute("insert into analytics.fct_adgroup_performance_daily values (?, 'adv', ?, 100, ?, 200)",
                            [f"g{i}", date(2026, 10, 31) - timedelta(days=d), round(100 / cpa)])
    return cfg


@dataclass
class FakeChannel:
    name: str = "fake"
    calls: list = field(default_factory=list)

    def apply_budgets(self, account_id, plan_id, targets):
        self.calls.append((account_id, plan_id, dict(targets)))
        return type("R", (), {"applied": targets, "skipped": {}, "idempotency_key": "k"})()


def test_settings_defaults_live_under_adops_home(tmp_path):
    cfg = load({"ADOPS_HOME": str(tmp_path), "TIKTOK_ADVERTISER_IDS": "1, 2"})
    assert cfg.warehouse_path == tmp_path / "warehouse.duckdb"
    assert cfg.control_db_url == f"sqlite:///{tmp_path / 'control.db'}"
    assert cfg.tiktok_advertiser_ids == ("1", "2") and cfg.airflow_home == tmp_path / "airflow"


def test_trailing_kpis_sum_the_window(settings):
    kpis = {k.adgroup_id: k for k in trailing_kpis(settings, "adv", date(2026, 10, 31), 7)}
    assert kpis["g0"].spend == 700 and kpis["g0"].conversions == 70 and kpis["g0"].budget == 200


def test_cycle_applies_once_and_a_rerun_of_the_plan_is_skipped(settings):
    channel = FakeChannel()
    first = run_cycle(settings, channel, "adv", "plan-A", date(2026, 10, 31))
    assert first.status == APPLIED and first.applied == 4 and len(channel.calls) == 1
    assert channel.calls[0][2] == {"g0": 240.0, "g1": 240.0, "g6": 160.0, "g7": 160.0}
    second = run_cycle(settings, channel, "adv", "plan-A", date(2026, 10, 31))
    assert second.status == "skipped" and second.applied == 4 and len(channel.calls) == 1
    record = ControlPlane(settings.control_db_url).get("plan-A")
    assert record.status == APPLIED and record.outcome["applied"]["g0"] == 240.0


def test_failed_apply_is_recorded_and_raised(settings):
    class Broken(FakeChannel):
        def apply_budgets(self, *a):
            raise RuntimeError("api down")

    with pytest.raises(RuntimeError):
        run_cycle(settings, Broken(), "adv", "plan-B", date(2026, 10, 31))
    assert ControlPlane(settings.control_db_url).get("plan-B").status == "failed"


def test_plan_id_is_deterministic_per_window():
    from datetime import UTC, datetime

    end = datetime(2026, 11, 1, tzinfo=UTC)
    assert plan_id_for("optimize", "adv", end) == plan_id_for("optimize", "adv", end)
    assert plan_id_for("optimize", "adv", end) != plan_id_for("optimize", "adv", end + timedelta(hours=2))
