"""``adops run``: the whole closed loop on one machine, against the in-process TikTok emulator.

emulator → credentials → the advertiser's sales (orders, for revenue and ROAS) → Airflow env +
metadata DB → dag.test(): tiktok_ingest, build_marts, optimize (which loads its decision records) →
fct_decisions rebuilt and published → summary → stop. Airflow's own logging goes to a file so the progress lines stay readable.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import requests

from adops.control import PAUSED, SKIPPED, ControlPlane
from adops.settings import Settings
from adops.warehouse import read_table

DAG_ORDER = ("tiktok_ingest", "build_marts", "optimize")
STEPS = 6


@dataclass
class RunSummary:
    window: tuple[str, str]
    interval_end: str
    totals: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    sales: dict[str, Any] | None = None
    decisions: dict[str, int] = field(default_factory=dict)


def emulator_session(url: str) -> dict[str, Any]:
    """Credentials and simulated clock from the emulator's admin routes (never under /open_api/)."""
    with requests.Session() as s:
        creds = s.get(f"{url}/__emulator/credentials", timeout=30).json()["data"]
        now = s.get(f"{url}/__emulator/clock", timeout=30).json()["data"]["now"]
    return {"credentials": creds, "now": datetime.strptime(now, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=UTC)}


@contextlib.contextmanager
def quiet_output(log_path: Path) -> Iterator[IO[str]]:
    """Send fd 1/2 (Airflow, dbt, dlt logging) to ``log_path``; yield a stream to the real stdout."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    console = os.fdopen(os.dup(saved_out), "w", buffering=1)
    with open(log_path, "a", buffering=1) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield console
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            console.close()


def window_totals(settings: Settings, start: date, end: date) -> list[dict[str, Any]]:
    """Spend, conversions, CPA, attributed revenue and ROAS per advertiser and currency over the window.

    Revenue and ROAS come from ``fct_campaign_kpis_daily`` in the reporting currency, because orders
    may be in another currency than the ad account; ROAS is revenue over spend, both converted.
    """
    marts = settings.marts_schema
    sql = f"""with delivery as (
                  select advertiser_id, currency, sum(spend) as spend, sum(conversions) as conversions,
                         count(distinct adgroup_id) as adgroups
                  from {marts}.fct_adgroup_performance_daily where date_day between ? and ? group by 1, 2),
              revenue as (
                  select advertiser_id, currency, max(reporting_currency) as reporting_currency,
                         cast(sum(revenue_reporting) as double) as revenue,
                         cast(sum(spend_reporting) as double) as spend_reporting
                  from {marts}.fct_campaign_kpis_daily where date_day between ? and ? group by 1, 2)
              select delivery.*, revenue.reporting_currency, coalesce(revenue.revenue, 0) as revenue,
                     revenue.spend_reporting
              from delivery left join revenue using (advertiser_id, currency) order by 1, 2"""
    rows = read_table(settings, sql, [start, end, start, end])
    for row in rows:
        row["cpa"] = (row["spend"] / row["conversions"]) if row["conversions"] else None
        row["roas"] = (row["revenue"] / row["spend_reporting"]) if row["spend_reporting"] else None
    return rows


def plan_rows(settings: Settings, plan_ids: list[str]) -> list[dict[str, Any]]:
    control = ControlPlane(settings.control_db_url)
    try:
        out = []
        for pid in plan_ids:
            rec = control.get(pid)
            if rec is not None:
                out.append({"plan_id": pid, "status": rec.status, "outcome": rec.outcome})
        return out
    finally:
        control.dispose()


def files_of(settings: Settings) -> dict[str, str]:
    return {"warehouse": str(settings.warehouse_path), "control DB": settings.control_db_url,
            "dbt target": str(settings.dbt_target_dir), "Airflow home": str(settings.airflow_home),
            "Airflow log": str(settings.airflow_home / "adops-run.log")}


def elapsed(t0: float) -> str:
    return f"{time.monotonic() - t0:5.1f}s"


@dataclass
class Target:
    """Where the loop talks to: the in-process emulator, or the TikTok API named by TIKTOK_* settings."""

    base_url: str
    token: str
    advertiser_ids: list[str]
    app_id: str | None
    secret: str | None
    interval_end: datetime
    describe: str
    stop: Any = None
    sales_feed_url: str | None = None


def emulator_target(scenario: str, seed: int) -> Target:
    from tiktok_emulator.server import start_in_process

    server = start_in_process(scenario, seed=seed)
    try:
        session = emulator_session(server.url)
    except Exception:
        server.stop()
        raise
    creds = session["credentials"]
    return Target(server.base_url, creds["access_token"], [str(i) for i in creds["advertiser_ids"]],
                  creds.get("app_id"), creds.get("secret"), session["now"], f"emulator at {server.url}", server.stop,
                  f"{server.url}/__emulator/sales")


def settings_target(settings: Settings) -> Target:
    """TikTok sandbox/production from TIKTOK_* variables; the window ends at the last full UTC hour."""
    if not (settings.tiktok_base_url and settings.tiktok_access_token and settings.tiktok_advertiser_ids):
        raise ValueError("set TIKTOK_BASE_URL, TIKTOK_ACCESS_TOKEN and TIKTOK_ADVERTISER_IDS (or use the emulator)")
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return Target(settings.tiktok_base_url, settings.tiktok_access_token, list(settings.tiktok_advertiser_ids),
                  settings.tiktok_app_id, settings.tiktok_secret, end, f"TikTok API at {settings.tiktok_base_url}")


def run_closed_loop(settings: Settings, scenario: str = "default", seed: int = 7, use_emulator: bool = True,
                    console: IO[str] | None = None) -> RunSummary:
    """The six steps of ``make run``; returns what the summary prints."""
    out = console or sys.stdout
    t0 = time.monotonic()
    step = f"starting the TikTok emulator (scenario {scenario}, seed {seed})" if use_emulator \
        else "connecting to the TikTok API from TIKTOK_* settings"
    print(f"[1/{STEPS}] {step}…", file=out, flush=True)
    target = emulator_target(scenario, seed) if use_emulator else settings_target(settings)
    try:
        print(f"      {target.describe}, clock {target.interval_end:%Y-%m-%d %H:%M} UTC, "
              f"advertisers {', '.join(target.advertiser_ids)} ({elapsed(t0)})", file=out, flush=True)
        sales = load_sales(settings, target)
        if sales is not None:
            print(f"      sales: {sales['rows'].get('orders', 0):,} orders loaded, {sales['start'][:10]} … "
                  f"{sales['end'][:10]} ({elapsed(t0)})", file=out, flush=True)
        plans = run_dags(settings, target, t0, out)
        decisions = refresh_decisions(settings, target, t0, out)
        return replace(summarise(settings, target, plans, t0), sales=sales, decisions=decisions)
    finally:
        if target.stop:
            target.stop()


def load_sales(settings: Settings, target: Target) -> dict[str, Any] | None:
    """The advertiser's orders over the report window, loaded before dbt so the marts carry revenue.

    The feed is read from a day before the window's first local day (any time zone) to the interval end;
    ``ingest_sales`` adds its own look-back for late orders. Orders merge on ``order_id``, so a second
    ``adops run`` changes nothing. Without a feed (or drop folder) there is nothing to load.
    """
    from adops.sales import ingest_sales

    feed = target.sales_feed_url or settings.sales_feed_url
    if not feed and settings.sales_drop_dir is None:
        return None
    start = target.interval_end - timedelta(days=settings.lookback_days + 1)
    return ingest_sales(start, target.interval_end, replace(settings, sales_feed_url=feed),
                        tuple(target.advertiser_ids))


def run_dags(settings: Settings, target: Target, t0: float, out: IO[str]) -> list[dict[str, Any]]:
    """Steps 2-5: Airflow environment and metadata DB, then dag.test() of each DAG in order."""
    from adops import airflow_runner as af
    from adops.executor import plan_id_for

    print(f"[2/{STEPS}] preparing Airflow (SQLite metadata DB, tiktok_default connection)…", file=out, flush=True)
    af.configure_environment(settings, af.connection_json(target.base_url, target.token, target.advertiser_ids,
                                                          target.app_id, target.secret))
    with quiet_output(settings.airflow_home / "adops-run.log") as console:
        migrated = af.ensure_metadata_db(settings)
        dags = af.load_dags()
        print(f"      metadata DB {'migrated' if migrated else 'up to date'}, DAGs: {', '.join(sorted(dags))} "
              f"({elapsed(t0)})", file=console, flush=True)
        plan_ids = [plan_id_for("optimize", adv, target.interval_end) for adv in target.advertiser_ids]
        before = {p["plan_id"] for p in plan_rows(settings, plan_ids)}
        for n, dag_id in enumerate(DAG_ORDER, start=3):
            print(f"[{n}/{STEPS}] dag.test {dag_id} (data interval end {target.interval_end:%Y-%m-%d %H:%M} UTC)…",
                  file=console, flush=True)
            af.run_dag(dags, dag_id, target.interval_end)
            print(f"      {dag_id}: success ({elapsed(t0)})", file=console, flush=True)
    plans = plan_rows(settings, plan_ids)
    for plan in plans:
        plan["already_applied"] = plan["plan_id"] in before
    return plans


def refresh_decisions(settings: Settings, target: Target, t0: float, out: IO[str]) -> dict[str, int]:
    """Step 6: the optimize DAG loaded the cycle's records; publish fct_decisions with them (outcome counts)."""
    from adops.platform_load import publish_decisions

    print(f"[{STEPS}/{STEPS}] publishing fct_decisions (the cycle's changes, verdicts and outcomes)…", file=out,
          flush=True)
    with quiet_output(settings.airflow_home / "adops-run.log"):
        published = publish_decisions(settings, f"decisions:{target.interval_end.isoformat()}:{time.time():.0f}")
    if "fct_decisions" not in published:
        print(f"      fct_decisions not refreshed: no published marts build ({elapsed(t0)})", file=out, flush=True)
        return {}
    rows = read_table(settings, f"select outcome, count(*) as n from {settings.marts_schema}.fct_decisions "
                                "group by 1 order by 1")
    counts = {r["outcome"]: int(r["n"]) for r in rows}
    print(f"      fct_decisions: {sum(counts.values())} changes ({elapsed(t0)})", file=out, flush=True)
    return counts


def summarise(settings: Settings, target: Target, plans: list[dict[str, Any]], t0: float) -> RunSummary:
    from tiktok.extract import report_window

    tz = _advertiser_timezone(settings, target.advertiser_ids[0]) if target.advertiser_ids else "UTC"
    start, end = report_window(target.interval_end, settings.lookback_days, tz)
    return RunSummary((start.isoformat(), end.isoformat()), target.interval_end.isoformat(),
                      window_totals(settings, start, end), plans, files_of(settings), time.monotonic() - t0)


def _advertiser_timezone(settings: Settings, advertiser_id: str) -> str:
    rows = read_table(settings, f"select timezone from {settings.raw_dataset}.advertiser where id = ?",
                      [advertiser_id])
    return (rows[0]["timezone"] if rows else None) or "UTC"


def format_summary(summary: RunSummary) -> str:
    lines = [f"Summary — report window {summary.window[0]} … {summary.window[1]} "
             f"(data interval end {summary.interval_end})"]
    for t in summary.totals:
        cpa = f"{t['cpa']:.2f}" if t["cpa"] is not None else "n/a"
        roas = f"{t['roas']:.2f}" if t.get("roas") is not None else "n/a"
        revenue = f"{t.get('revenue') or 0:,.2f}" + (f" {t['reporting_currency']}" if t.get("reporting_currency") else "")
        lines.append(f"  advertiser {t['advertiser_id']} ({t['currency']}, {t['adgroups']} ad groups): "
                     f"spend {t['spend']:,.2f}  conversions {int(t['conversions'] or 0):,}  CPA {cpa}  "
                     f"revenue {revenue}  ROAS {roas}")
    if summary.sales is not None:
        lines.append(f"  sales: {summary.sales['rows'].get('orders', 0):,} orders merged from "
                     f"{summary.sales['start'][:10]} to {summary.sales['end'][:10]} (revenue counts orders "
                     "attributed to a click inside the attribution window)")
    if summary.decisions:
        lines.append(f"  decisions: {sum(summary.decisions.values())} changes in fct_decisions ("
                     + ", ".join(f"{n} {outcome}" for outcome, n in summary.decisions.items()) + ")")
    for p in summary.plans:
        counts = (p["outcome"] or {}).get("counts", {})
        if p["already_applied"] and p["status"] not in (SKIPPED, PAUSED):
            state = f"skipped: plan already {p['status']} by an earlier run ({counts.get('applied', 0)} changes then)"
        elif p["status"] in (SKIPPED, PAUSED):
            state = f"{p['status']}: {(p['outcome'] or {}).get('reason', '')}, nothing sent"
        else:
            state = (f"{p['status']}: {counts.get('budget_applied', counts.get('applied', 0))} budget changes applied, "
                     f"{counts.get('skipped_unchanged', 0)} already at target")
        lines.append(f"  plan {p['plan_id']}: {state}")
    lines.append("  files:")
    lines += [f"    {name:<12} {where}" for name, where in summary.files.items()]
    lines.append(f"  took {summary.seconds:.1f}s")
    return "\n".join(lines)
