"""Set-up for ``bench/cycle.py`` (not timed): the emulator, the warehouse with history, the marts.

The history a cycle decides on (14 days of the daily ad report, entities, yesterday's and today's
hours) is loaded through the platform's own path — ``tiktok.ingest.ingest_window`` and
``tiktok.sources.tiktok_reports`` + ``adops.warehouse.run_load`` — then ``dbt build`` makes the marts.
The emulator's rate limiter is switched off for this part only (it is the earlier hourly/daily DAG
runs' work, not the cycle's) and switched back on, reset, before the cycle is timed.

The account a real cycle meets (``scenario_for``; ``--as-is`` runs the scenario file unchanged): the
``large`` file's $50 ad groups (≈ 3 conversions a day at the $17 target) never reach the 50 conversions
a week that end TikTok's learning phase, so ``ml.bidding`` rightly leaves every bid alone, and its two
ads per ad group can never lose one (``ml.creatives`` keeps ``min_active`` = 2 enabled). So the bench
account has the ``default`` scenario's $200 ad groups (≈ 60 % past learning), three ads per ad group
(15,000 ads), a month of delivery (creatives wear out), and every ``COST_CAP_EVERY``-th ad group put
on Cost Cap by its marketer ``COST_CAP_DAYS`` before the cycle (caps around the target, some outside
the ±30 % band) — through the API, so the market re-learns them as TikTok would. The product's rules
(learning threshold, bid band, evidence for pauses) are untouched.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from adops.settings import Settings
from adops.settings import load as load_settings
from adops.transform import build_marts
from adops.warehouse import run_load
from tiktok.api import TikTokClient, static_token
from tiktok.extract import fetch_advertiser
from tiktok.ingest import ingest_window
from tiktok.report_specs import HOURLY_TABLES
from tiktok.sources import tiktok_reports
from tiktok.windows import local_day
from tiktok_emulator import scenario as scenarios
from tiktok_emulator.server import EmulatorServer, start_in_process

TIME_FMT = "%Y-%m-%d %H:%M:%S"
HISTORY_DAYS = 14          # days of reports the platform keeps re-reading (ADOPS_LOOKBACK_DAYS)
ACCOUNT_DAYS = 30          # how long the bench account has been delivering when the cycle runs
ACCOUNT = {"adgroup_daily_budget": 200.0, "ads_per_adgroup": 3}   # over the large file's advertiser
COST_CAP_EVERY, COST_CAP_DAYS = 4, 8
CAP_MULTIPLES = (0.8, 0.95, 1.1, 1.25, 1.45)   # the marketer's caps, x the market's target CPA
MARTS = ("+dim_adgroups +dim_ads +fct_adgroup_performance_daily +fct_ad_performance_hourly "
         "+fct_ad_performance_daily +fct_creative_performance")  # what adops.marts reads, and their parents
# set-up: every model over TikTok's data (the marts' tests read ones the cycle does not); not the
# platform's own records (fct_decisions), which exist only once cycles have run and been loaded
SETUP_MARTS = "source:tiktok_ads+ fx_rates"


def say(message: str) -> None:
    print(f"[cycle] {message}", flush=True)


@dataclass
class Rig:
    server: EmulatorServer
    settings: Settings
    advertiser_id: str
    token: str
    scenario: dict[str, Any]

    @property
    def limiter(self) -> Any:
        """The emulator's own (server-side) rate limiter: TikTok's throttling."""
        return self.server.emulator.traffic.limiter

    def now(self) -> datetime:
        data = requests.get(f"{self.server.url}/__emulator/clock", timeout=30).json()["data"]
        return datetime.strptime(data["now"], TIME_FMT).replace(tzinfo=UTC)

    def advance(self, hours: float) -> None:
        requests.post(f"{self.server.url}/__emulator/clock/advance", json={"hours": hours},
                      timeout=600).raise_for_status()

    def requests_by_endpoint(self) -> dict[str, int]:
        return requests.get(f"{self.server.url}/__emulator/requests", timeout=30).json()["data"]["by_endpoint"]


def scenario_for(campaigns: int | None, tier: str | None, as_is: bool = False) -> dict[str, Any]:
    """The bench account on the ``large`` scenario (``as_is``: the file's account unchanged), optionally
    cut to ``campaigns`` campaigns or run at another tier.

    The boot simulates the account's life up to the Cost Cap switch; ``load_history`` simulates the rest.
    """
    days = HISTORY_DAYS + 1 if as_is else ACCOUNT_DAYS - COST_CAP_DAYS
    overrides: dict[str, Any] = {"history_days": days}
    if tier:
        overrides["rate_limits"] = {"tier": tier}
    scen = scenarios.load("large", overrides=overrides)
    account = {**scen["advertisers"][0], **({} if as_is else ACCOUNT)}
    if campaigns:
        account["campaigns"] = int(campaigns)
    scen["advertisers"] = [account]
    scen["bench_account"] = "as-is" if as_is else "realistic"
    return scen


def start(scen: dict[str, Any], home: Path, seed: int, control_db_url: str | None = None) -> Rig:
    started = time.perf_counter()
    server = start_in_process(scen, seed=seed)
    say(f"emulator {scen['name']} ({scen['advertisers'][0]['campaigns']} campaigns, rate limits "
        f"{scen['rate_limits']['tier']}) booted in {time.perf_counter() - started:.1f} s")
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    env = {"ADOPS_HOME": str(home), "ADOPS_LOOKBACK_DAYS": str(HISTORY_DAYS), "ADOPS_ASYNC_REPORT_ROWS": "100000000"}
    if control_db_url:
        env["ADOPS_CONTROL_DB_URL"] = control_db_url
    settings = load_settings(env)
    return Rig(server, settings, str(creds["advertiser_ids"][0]), creds["access_token"], scen)


def load_history(rig: Rig) -> None:
    """Entities + 14 days of the daily ad report + yesterday's and today's hours, then ``dbt build``."""
    rig.limiter.enabled = False
    try:
        client = TikTokClient(rig.server.base_url, token_provider=static_token(rig.token))
        if rig.scenario.get("bench_account") == "realistic":
            adopt_cost_caps(rig, client)
        now = rig.now()
        t = time.perf_counter()
        ingest_window(client, rig.advertiser_id, now, rig.settings)
        advertiser = fetch_advertiser(client, rig.advertiser_id)
        end = local_day(now, advertiser.get("timezone") or "UTC")
        ranges = dict.fromkeys(HOURLY_TABLES, (end - timedelta(days=1), end))
        run_load(rig.settings, tiktok_reports(client, advertiser, ranges, rig.settings.async_report_rows),
                 f"tiktok_{rig.advertiser_id}_realtime")
        say(f"history loaded in {time.perf_counter() - t:.1f} s ({client.calls} calls, limits off)")
        t = time.perf_counter()
        summary = build_marts(rig.settings, select=SETUP_MARTS)
        say(f"marts built in {time.perf_counter() - t:.1f} s ({summary.passed} nodes passed)")
        warm_stores(rig.settings)
    finally:
        rig.limiter.reset()
        rig.limiter.enabled = True


def adopt_cost_caps(rig: Rig, client: TikTokClient) -> int:
    """Every ``COST_CAP_EVERY``-th ad group to Cost Cap (caps ``CAP_MULTIPLES`` x target), then
    ``COST_CAP_DAYS`` of delivery, so the cycle finds caps with a week of data behind them."""
    t = time.perf_counter()
    target = float(rig.scenario["market"]["target_cpa"])
    groups = sorted(str(g["adgroup_id"]) for g in client.paginate(
        "adgroup.get", {"advertiser_id": rig.advertiser_id, "fields": ["adgroup_id"]}))
    chosen = groups[::COST_CAP_EVERY]
    for n, gid in enumerate(chosen):
        cap = round(target * CAP_MULTIPLES[n % len(CAP_MULTIPLES)], 2)
        client.call("adgroup.update", {"advertiser_id": rig.advertiser_id, "adgroup_id": gid,
                                       "bid_type": "BID_TYPE_CUSTOM", "conversion_bid_price": cap})
    rig.advance(COST_CAP_DAYS * 24)
    say(f"{len(chosen)} of {len(groups)} ad groups on Cost Cap, then {COST_CAP_DAYS} days of delivery "
        f"({time.perf_counter() - t:.1f} s)")
    return len(chosen)


def warm_stores(settings: Settings) -> None:
    """Create the control-plane DB (migrations) and the MLflow store, as earlier cycles would have.

    A deployment runs its first cycle once; timing the creation of these stores would measure
    Alembic and MLflow's schema set-up, not a cycle.
    """
    from adops.control import ControlPlane
    from adops.tracking import find_run

    t = time.perf_counter()
    ControlPlane(settings.control_db_url).dispose()
    find_run(settings, "bench-cycle-warm-up")
    say(f"control-plane DB and MLflow store created in {time.perf_counter() - t:.1f} s")


@contextmanager
def scratch_postgres(server: str = "postgresql+psycopg://postgres@127.0.0.1:5432") -> Iterator[str]:
    """A throw-away database on the machine's PostgreSQL (the production control plane), dropped after."""
    from sqlalchemy import create_engine, text

    name = f"bench_cycle_{os.getpid()}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
