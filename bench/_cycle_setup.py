"""Set-up for ``bench/cycle.py`` (not timed): the emulator, the warehouse with history, the marts.

The history a cycle decides on (14 days of the daily ad report, entities, yesterday's and today's
hours) is loaded through the platform's own path — ``tiktok.ingest.ingest_window`` and
``tiktok.sources.tiktok_reports`` + ``adops.warehouse.run_load`` — then ``dbt build`` makes the marts.
The emulator's rate limiter is switched off for this part only (it is the earlier hourly/daily DAG
runs' work, not the cycle's) and switched back on, reset, before the cycle is timed.
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
HISTORY_DAYS = 14
MARTS = ("+dim_adgroups +dim_ads +fct_adgroup_performance_daily +fct_ad_performance_hourly "
         "+fct_ad_performance_daily +fct_creative_performance")  # what adops.marts reads, and their parents


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


def scenario_for(campaigns: int | None, tier: str | None) -> dict[str, Any]:
    """The ``large`` scenario, optionally cut to ``campaigns`` campaigns or run at another tier."""
    overrides: dict[str, Any] = {"history_days": HISTORY_DAYS + 1}
    if tier:
        overrides["rate_limits"] = {"tier": tier}
    scen = scenarios.load("large", overrides=overrides)
    if campaigns:
        scen["advertisers"] = [{**scen["advertisers"][0], "campaigns": int(campaigns)}]
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
        summary = build_marts(rig.settings)   # every model: the marts' tests read ones the cycle does not
        say(f"marts built in {time.perf_counter() - t:.1f} s ({summary.passed} nodes passed)")
        warm_stores(rig.settings)
    finally:
        rig.limiter.reset()
        rig.limiter.enabled = True


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
