"""One backtest job: one (scenario, seed, policy) on its own in-process emulator, 14 simulated days.

Every cycle (2 simulated hours): load the new report rows with the platform's report parameters
(``tiktok.report_fetch``: real-time hourly rows for today, daily rows for the last 3 days, which
restates late conversions), refresh ad group versions from ``adgroup/get``, read the marts into an
``AccountState``, ask the policy for changes, pass them through the guardrails and write the allowed
budgets with one ``adgroup/budget/update/`` call. Scoring uses the emulator's truth totals (expected
conversions) between the first and last cycle.

Only the reports a decision reads are pulled (``Policy.marts`` / ``Policy.reads``): none for equal
and oracle, daily rows for rules and MABWiser, both for ours. Report serving is a pure read of the
emulator, and a daily row keeps the value of the last pull whose window held it, so pulling the daily
report at each day's last cycle besides the cycles that read it gives every decision the same rows
as pulling everything every cycle (``Job(pull="every")``, checked by the smoke test).
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from _backtest_guard import Guard
from _backtest_marts import merge, open_warehouse
from _backtest_policies import POLICIES
from _backtest_state import read_state

from tiktok.api import TikTokClient, static_token
from tiktok.extract import fetch_advertiser, iter_entities
from tiktok.report_fetch import chunks, request_params
from tiktok.report_specs import SPECS
from tiktok_emulator import scenario as scenarios
from tiktok_emulator.server import start_in_process

# Only what the optimiser's marts use (the raw tables' other columns stay NULL): 5x smaller pages.
METRICS = ["campaign_id", "adgroup_id", "impressions", "clicks", "conversion", "spend"]


@dataclass(frozen=True)
class Job:
    scenario: str
    seed: int
    policy: str
    days: int
    step_hours: int
    compiled: dict
    pull: str = "needed"  # "needed": only the reports the policy reads; "every": both, every cycle (same results)


class Feed:
    """The emulator as the platform sees it: reports, entities, budget writes, and the admin clock."""

    def __init__(self, server: Any) -> None:
        self.url = server.url
        self.session = requests.Session()
        self.session.trust_env = False  # 127.0.0.1: no proxy or netrc look-ups on every request
        creds = self.session.get(f"{self.url}/__emulator/credentials", timeout=30).json()["data"]
        self.client = TikTokClient(server.base_url, session=self.session, token_provider=static_token(creds["access_token"]))
        self.advertiser_id = str(creds["advertiser_ids"][0])
        self.advertiser = fetch_advertiser(self.client, self.advertiser_id)
        self.tz = ZoneInfo(self.advertiser.get("timezone") or "UTC")

    def now(self) -> datetime:
        text = self.session.get(f"{self.url}/__emulator/clock", timeout=30).json()["data"]["now"]
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)

    def advance(self, hours: float) -> None:
        r = self.session.post(f"{self.url}/__emulator/clock/advance", params={"hours": hours}, timeout=300)
        r.raise_for_status()

    def truth(self) -> dict[str, Any]:
        return self.session.get(f"{self.url}/__emulator/truth", timeout=300).json()["data"]

    def set_budgets(self, budgets: dict[str, float]) -> None:
        if budgets:
            self.client.call("adgroup.budget.update", {"advertiser_id": self.advertiser_id, "budget": [
                {"adgroup_id": gid, "budget": round(b, 2)} for gid, b in budgets.items()]})

    def load(self, con: Any, now: datetime, daily_days: int, hourly_days: int = 1, *, hourly: bool = True,
             daily: bool = True) -> None:
        """Merge the pulled windows into the raw tables (replace the window: restated rows win).

        Real-time hourly rows for today (the optimiser reads today's hours), daily rows for the last
        ``daily_days`` days (yesterday's and older late conversions), ad group versions (always: every
        version of a budget is kept). ``hourly`` / ``daily`` False skip that report's pull.
        """
        today = now.astimezone(self.tz).date()
        for table, first, wanted in (("ad_report_hourly", today - timedelta(days=hourly_days - 1), hourly),
                                     ("ad_report_daily", today - timedelta(days=daily_days - 1), daily)):
            if not wanted:
                continue
            spec = SPECS[table]
            rows = list(iter_report(self.client, spec, self.advertiser, first, today))
            merge(con, table, rows, spec.primary_key, f"cast({spec.time_dim} as date) >= ?", [first])
        rows = list(iter_entities(self.client, self.advertiser_id, "adgroup"))
        merge(con, "adgroup_history", rows, ["adgroup_id", "modify_time"])


def iter_report(client: TikTokClient, spec: Any, advertiser: dict[str, Any], start: Any, end: Any) -> Any:
    """Sync report pages with the platform's request parameters; rows flattened cheaply.

    ``tiktok.report_fetch.flatten`` validates every field in Python (~0.2 ms a row), which would
    dominate 84 cycles x 100 jobs; here ``merge`` turns "-" into NULL and DuckDB casts the text.
    """
    adv = str(advertiser["advertiser_id"])
    extra = {"advertiser_id": adv, "currency": advertiser.get("currency"), "timezone": advertiser.get("timezone")}
    for first, last in chunks(spec, start, end):
        params = {**request_params(spec, adv, first, last), "metrics": METRICS}
        for row in client.paginate("report.integrated.get", params):
            yield {**row.get("dimensions", {}), **row.get("metrics", {}), **extra}


def run_job(job: Job) -> dict[str, Any]:
    """Returns spend, expected conversions, guardrail counts and timings for one job."""
    if job.pull not in ("needed", "every"):
        raise ValueError(f"Job.pull: {job.pull!r} is not one of 'needed', 'every'")
    t0, cpu0 = _time.perf_counter(), _time.process_time()
    cfg = scenarios.load(job.scenario, overrides={"rate_limits": {"enabled": False}})
    server = start_in_process(cfg, seed=job.seed)
    try:
        result = _run(job, server, t0)
    finally:
        server.stop()
    result["cpu_s"] = round(_time.process_time() - cpu0, 2)  # the job's process (one job at a time): client and emulator
    return result


def _run(job: Job, server: Any, t0: float) -> dict[str, Any]:
    feed = Feed(server)
    con = open_warehouse(job.compiled)
    merge(con, "advertiser", [feed.advertiser], ["id"])
    every = job.pull == "every"
    policy = POLICIES[job.policy](seed=job.seed, feed=feed)
    wanted = ("days", "hours") if every else policy.marts
    now = feed.now()
    feed.load(con, now, daily_days=15, hourly_days=1, hourly="hours" in wanted)
    first = feed.truth()
    live = [g for g in first["adgroups"] if g["delivering"]]
    daily_budget = round(sum(g["budget"] for g in live), 2)
    history = read_state(con, feed.advertiser_id, now, daily_budget=daily_budget, target_cpa=1.0, marts=("days",))
    spend = sum(d.spend for g in history.adgroups for d in g.days[:-1])
    conv = sum(d.conversions for g in history.adgroups for d in g.days[:-1])
    target = spend / conv if conv > 0 else 1.0  # the advertiser's trailing CPA: the practitioners' target
    guard = Guard(feed.tz)
    timing = {"load_s": 0.0, "decide_s": 0.0, "sim_s": 0.0}
    step = timedelta(hours=job.step_hours)
    for _cycle in range(job.days * 24 // job.step_hours):
        t = _time.perf_counter()
        marts = wanted if every or policy.reads(now, feed.tz) else ()
        state = read_state(con, feed.advertiser_id, now, daily_budget=daily_budget, target_cpa=target, marts=marts)
        changes = policy.decide(state)
        timing["decide_s"] += _time.perf_counter() - t
        feed.set_budgets(guard.apply(state, changes))
        t = _time.perf_counter()
        feed.advance(job.step_hours)
        now = now + step
        timing["sim_s"] += _time.perf_counter() - t
        t = _time.perf_counter()
        reads = every or policy.reads(now, feed.tz)  # the next decision's: pull only what it reads
        feed.load(con, now, daily_days=3, hourly=reads and "hours" in wanted,
                  daily="days" in wanted and (reads or _last_of_day(now, step, feed.tz)))
        timing["load_s"] += _time.perf_counter() - t
    last = feed.truth()
    return _score(job, first, last, daily_budget, guard, policy, timing, _time.perf_counter() - t0)


def _last_of_day(now: datetime, step: timedelta, tz: Any) -> bool:
    """The day's last cycle: its daily pull is the last one of the window's oldest day.

    A day's daily row stays as the last pull whose window held it, so a policy that reads the marts
    only at some cycles sees exactly the rows it would see pulling every cycle when the daily report is
    pulled at each day's last cycle as well as at the cycles that read (hourly rows: only today's are read).
    """
    return (now + step).astimezone(tz).date() != now.astimezone(tz).date()


def _score(job: Job, first: dict, last: dict, daily_budget: float, guard: Guard, policy: Any,
           timing: dict[str, float], wall: float) -> dict[str, Any]:
    before = {g["adgroup_id"]: g for g in first["adgroups"]}
    spend = sum(g["total_spend"] - before[g["adgroup_id"]]["total_spend"] for g in last["adgroups"])
    conv = sum(g["total_conversions_expected"] - before[g["adgroup_id"]]["total_conversions_expected"]
               for g in last["adgroups"])
    realised = sum(g["total_conversions_realised"] - before[g["adgroup_id"]]["total_conversions_realised"]
                   for g in last["adgroups"])
    return {"seed": job.seed, "policy": job.policy, "label": getattr(policy, "label", job.policy),
            "spend": round(spend, 2), "conversions_expected": round(conv, 3), "conversions_realised": realised,
            "cpa": spend / conv if conv > 0 else float("inf"), "spend_ratio": spend / (daily_budget * job.days),
            **_diagnostics(last, daily_budget),
            "guardrail_violations": guard.violations, "not_allowed": guard.not_allowed, "applied": guard.applied, "ignored_non_budget": guard.ignored,
            "guard": guard.source, "refused_by_rule": guard.reasons, "wall_s": round(wall, 2), **{k: round(v, 2) for k, v in timing.items()}}


def _diagnostics(truth: dict[str, Any], daily_budget: float) -> dict[str, Any]:
    """Where a policy stands at the end: budget past the ad groups' saturation spend, learning phases."""
    live = [g for g in truth["adgroups"] if g["delivering"] and g["budget"]]
    over = sum(max(g["budget"] - g["saturation_spend"], 0.0) for g in live)
    oracle = truth.get("oracle", {}).get("oracle_budgets", {})
    gap = sum(abs(g["budget"] - oracle.get(g["adgroup_id"], g["budget"])) for g in live) / 2
    return {"end_share_past_saturation": round(over / daily_budget, 4),
            "end_share_off_oracle": round(gap / daily_budget, 4),
            "end_in_learning": sum(bool(g["multiplier_parts"]["learning"]) for g in live)}
