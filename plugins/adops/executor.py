"""The thin executor: read the KPI mart, ask ``ml.rules`` for budgets, apply them through a channel.

Media-agnostic: a channel is anything with ``apply_budgets(account_id, plan_id, targets)`` (TikTok's
lives in ``tiktok.budgets``). The plan is recorded before it is sent and its outcome after, and a
plan id already applied is skipped, so re-running the same window changes nothing.

Before anything is read or sent, the channel's automation gate (``adops.automation``) is asked: an
account whose credentials need re-authorisation is *skipped*, one whose API is failing is *paused*;
either way the plan row says why and nothing is sent. A channel that halts mid-cycle (token revoked,
circuit opened) is recorded the same way instead of as a failure, because retrying would not help.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from adops.automation import AutomationHalted, Gate, gate_for
from adops.control import APPLIED, FAILED, NOOP, ControlPlane
from adops.settings import Settings
from adops.warehouse import read_table
from ml.rules import AdGroupKpi, BudgetDecision, propose_budgets

MART = "fct_adgroup_performance_daily"


class BudgetChannel(Protocol):
    """``automation_allowed`` is optional (``gate_for`` treats a channel without it as always allowed)."""

    name: str

    def apply_budgets(self, account_id: str, plan_id: str, targets: dict[str, float]) -> Any: ...

    def automation_allowed(self, account_id: str) -> Gate | tuple[bool, str]: ...


@dataclass
class CycleResult:
    plan_id: str
    account_id: str
    status: str  # applied | noop | skipped (already done, or gate: reason says) | paused | failed
    proposed: int = 0
    applied: int = 0
    skipped_unchanged: int = 0
    decisions: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    retry_in: float | None = None


def plan_id_for(dag_id: str, account_id: str, interval_end: Any) -> str:
    """Deterministic per run window: the same window always gets the same plan id."""
    stamp = interval_end.isoformat() if hasattr(interval_end, "isoformat") else str(interval_end)
    return f"{dag_id}:{account_id}:{stamp}"


def trailing_kpis(settings: Settings, account_id: str, end_day: date, days: int) -> list[AdGroupKpi]:
    """Per-ad-group spend, conversions and latest budget over ``days`` ending at ``end_day`` (inclusive)."""
    sql = f"""
        select adgroup_id, sum(spend) as spend, sum(conversions) as conversions,
               arg_max(daily_budget, date_day) as budget
        from {settings.marts_schema}.{MART}
        where advertiser_id = ? and date_day between ? and ?
        group by adgroup_id order by adgroup_id"""
    rows = read_table(settings, sql, [account_id, end_day - timedelta(days=days - 1), end_day])
    return [AdGroupKpi(str(r["adgroup_id"]), float(r["spend"] or 0), float(r["conversions"] or 0),
                       float(r["budget"] or 0)) for r in rows]


def run_cycle(settings: Settings, channel: BudgetChannel, account_id: str, plan_id: str,
              end_day: date | Callable[[], date]) -> CycleResult:
    """One optimisation cycle for one account: gate → read → propose → record → apply → record.

    ``end_day`` may be a callable, resolved only once the gate has passed: finding the account's
    local day can itself need the (blocked) API.
    """
    control = ControlPlane(settings.control_db_url)
    try:
        done = control.get(plan_id)
        if done is not None and done.status in (APPLIED, NOOP):
            return CycleResult(plan_id, account_id, "skipped", **(done.outcome or {}).get("counts", {}))
        gate = gate_for(channel, account_id)
        if not gate:
            return _halted(control, channel, account_id, plan_id, gate, {})
        day = end_day() if callable(end_day) else end_day
        decisions = propose_budgets(trailing_kpis(settings, account_id, day, settings.lookback_days))
        return _apply(control, channel, account_id, plan_id, decisions)
    except AutomationHalted as halted:  # raised while resolving the day, before anything was proposed
        return _halted(control, channel, account_id, plan_id, halted.gate, {})
    finally:
        control.dispose()


def _halted(control: ControlPlane, channel: BudgetChannel, account_id: str, plan_id: str, gate: Gate,
            changes: dict[str, float]) -> CycleResult:
    """Record the plan as skipped/paused with the gate's reason; nothing was (or will be) sent for it."""
    control.propose(plan_id, channel.name, account_id, "budget.update", {"targets": changes})
    control.finish(plan_id, gate.status, {**gate.as_outcome(), "counts": {"proposed": len(changes), "applied": 0,
                                                                          "skipped_unchanged": 0}})
    return CycleResult(plan_id, account_id, gate.status, proposed=len(changes), reason=gate.reason,
                       retry_in=gate.retry_in)


def _apply(control: ControlPlane, channel: BudgetChannel, account_id: str, plan_id: str,
           decisions: list[BudgetDecision]) -> CycleResult:
    changes = {d.adgroup_id: d.new_budget for d in decisions if d.changed}
    result = CycleResult(plan_id, account_id, NOOP, proposed=len(changes),
                         decisions=[asdict(d) for d in decisions if d.changed])
    control.propose(plan_id, channel.name, account_id, "budget.update", {"targets": changes})
    if not changes:
        control.finish(plan_id, NOOP, {"counts": _counts(result)})
        return result
    try:
        written = channel.apply_budgets(account_id, plan_id, changes)
    except AutomationHalted as halted:
        out = _halted(control, channel, account_id, plan_id, halted.gate, changes)
        out.decisions = result.decisions
        return out
    except Exception as exc:
        control.finish(plan_id, FAILED, {"error": repr(exc)})
        raise
    result.status, result.applied, result.skipped_unchanged = APPLIED, len(written.applied), len(written.skipped)
    control.finish(plan_id, APPLIED, {"counts": _counts(result), "applied": written.applied,
                                      "skipped": written.skipped}, written.idempotency_key)
    return result


def _counts(result: CycleResult) -> dict[str, int]:
    return {"proposed": result.proposed, "applied": result.applied, "skipped_unchanged": result.skipped_unchanged}
