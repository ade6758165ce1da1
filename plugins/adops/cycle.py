"""One optimisation cycle for one account: marts → decide → guardrails → apply / approve → log → MLflow.

Requirements workflow 3 and issue 5: the channel's automation gate first (re-consent needed →
skipped, failing API → paused), then the account's state from the marts (``adops.marts``; missing,
stale or corrupt data holds the account with a reason, a change-log row and an alert), a plan from
``ml.decide.decide``, a verdict per change from the guardrails. ``allow`` changes go out through the
channel (TikTok: batched, through the outbox), ``approve`` ones become approval requests with the
what-if next to them, ``block`` ones are only logged. Every change lands in the change log with its
verdict and outcome, and the cycle leaves one MLflow run.

The plan id names the run window: a re-run of a finished cycle returns at once (no reads, no writes,
no new log rows, no second run); a re-run of an unfinished one resumes the stored plan.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from adops import cycle_record as rec
from adops.automation import AutomationHalted, Gate, gate_for
from adops.changelog import AWAITING, BLOCKED, DONE_OUTCOMES, DRY_RUN, HALTED
from adops.control import APPLIED, FINAL, HELD, INCOMPLETE, NOOP, ControlPlane, PlanRecord
from adops.marts import Held, account_state
from adops.settings import Settings
from ml.plan import BUDGET, Change, Plan

log = logging.getLogger(__name__)


class ChangeChannel(Protocol):
    """A medium's writer: ``apply`` answers an outcome (``.outcome``, ``.detail``) per change key."""

    name: str

    def apply(self, account_id: str, plan_id: str, changes: list[Change]) -> dict[tuple[str, str, str], Any]: ...


@dataclass
class CycleResult:
    plan_id: str
    account_id: str
    status: str  # applied | noop | held | incomplete | failed | skipped | paused
    proposed: int = 0
    applied: int = 0
    skipped_unchanged: int = 0
    budget_applied: int = 0
    awaiting_approval: int = 0
    blocked: int = 0
    dry_run: int = 0
    unknown: int = 0
    failed: int = 0
    reason: str = ""
    retry_in: float | None = None
    mlflow_run_id: str | None = None
    outcomes: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        names = ("proposed", "applied", "skipped_unchanged", "budget_applied", "awaiting_approval", "blocked",
                 "dry_run", "unknown", "failed")
        return {n: getattr(self, n) for n in names}


def _default_decide() -> Callable[..., Plan]:
    from ml.decide import decide

    return decide


def run_cycle(settings: Settings, channel: ChangeChannel, account_id: str, plan_id: str, now: datetime, *,
              decide: Callable[..., Plan] | None = None, seed: int = 0, policy: Any = None,
              track: bool = True) -> CycleResult:
    """The cycle for ``account_id`` in the window ``plan_id`` names, as of ``now`` (the window's end)."""
    control = ControlPlane(settings.control_db_url)
    try:
        done = control.get(plan_id)
        if done is not None and done.status in FINAL:
            return _finished(settings, control, done, account_id, track)
        gate = gate_for(channel, account_id)
        if not gate:
            return _gated(control, channel.name, account_id, plan_id, gate, done)
        verdicts = rec.stored_verdicts(done)
        if verdicts is None:
            decided = _decide(settings, control, channel.name, account_id, plan_id, now, decide, seed, policy)
            if isinstance(decided, CycleResult):
                return _tracked(settings, control, decided, track)
            verdicts = decided
        result = _apply(control, channel, account_id, plan_id, now, verdicts)
        return _tracked(settings, control, result, track)
    finally:
        control.dispose()


def _decide(settings: Settings, control: ControlPlane, channel: str, account_id: str, plan_id: str, now: datetime,
            decide: Callable[..., Plan] | None, seed: int, policy: Any) -> list[Any] | CycleResult:
    """State → plan → verdicts, recorded before anything is sent; a held account answers its result."""
    from adops.guardrails import GuardContext, check_plan, feasible, load_policy

    policy = policy if policy is not None else load_policy(control.engine, account_id)
    try:
        state = account_state(settings, account_id, now, policy)
    except Held as held:
        return _hold(control, channel, account_id, plan_id, now, held.reason)
    feas = feasible(state, policy)
    if not feas.ok:
        return _hold(control, channel, account_id, plan_id, now, "; ".join(feas.reasons))
    lookback_h = max(48.0, float(getattr(policy, "bid_cooldown_h", 0.0)), float(getattr(policy, "budget_cooldown_h", 0.0)))
    day_start, last_applied = rec.guard_history(control.engine, account_id, now, state.timezone, lookback_h)
    state = rec.with_change_times(state, last_applied)
    plan = (decide or _default_decide())(state, seed=seed)
    if plan.held:
        return _hold(control, channel, account_id, plan_id, now, plan.held, plan)
    ctx = GuardContext.from_state(state, day_start=day_start, last_applied=last_applied)
    verdicts = check_plan(plan, ctx, policy)
    rec.record_decision(control, channel, plan_id, plan, verdicts, {"seed": seed})
    return verdicts


def _apply(control: ControlPlane, channel: ChangeChannel, account_id: str, plan_id: str, now: datetime,
           verdicts: list[Any]) -> CycleResult:
    from adops import changelog

    logged = {(r["level"], r["entity_id"], r["kind"]): r["outcome"]
              for r in changelog.rows(control.engine, plan_id=plan_id)}
    todo = [v.change for v in verdicts if v.applies and logged.get(v.change.key) not in DONE_OUTCOMES]
    outcomes: dict[tuple[str, str, str], Any] = {}
    halted: Gate | None = None
    try:
        outcomes = channel.apply(account_id, plan_id, todo) if todo else {}
    except AutomationHalted as exc:
        halted = exc.gate
    rec.record_outcomes(control.engine, plan_id, outcomes, now)
    if halted is not None:
        with_halt = {c.key: _Outcome(HALTED, {"reason": halted.reason}) for c in todo if c.key not in outcomes}
        rec.record_outcomes(control.engine, plan_id, with_halt, now)
    final = {**logged, **{k: o.outcome for k, o in outcomes.items()}}
    result = _summarise(plan_id, account_id, verdicts, final)
    if halted is not None:
        result.status, result.reason, result.retry_in = halted.status, halted.reason, halted.retry_in
        control.finish(plan_id, halted.status, {**halted.as_outcome(), "counts": result.counts()})
        return result
    control.finish(plan_id, result.status, {"counts": result.counts(), "outcomes": result.outcomes})
    return result


@dataclass
class _Outcome:
    outcome: str
    detail: dict[str, Any]


def _summarise(plan_id: str, account_id: str, verdicts: list[Any], final: dict[tuple, str]) -> CycleResult:
    result = CycleResult(plan_id, account_id, NOOP, proposed=len(verdicts))
    for v in verdicts:
        outcome = final.get(v.change.key, "")
        result.outcomes[":".join(v.change.key)] = outcome
        result.applied += outcome == "applied"
        result.budget_applied += outcome == "applied" and v.change.kind == BUDGET
        result.skipped_unchanged += outcome == "unchanged"
        result.awaiting_approval += outcome == AWAITING
        result.blocked += outcome == BLOCKED
        result.dry_run += outcome == DRY_RUN
        result.unknown += outcome in ("unknown", "deferred", HALTED, "pending")
        result.failed += outcome == "failed"
    if result.unknown:
        result.status = INCOMPLETE
    elif result.failed:
        result.status = "failed"
    elif result.applied:
        result.status = APPLIED
    return result


def _hold(control: ControlPlane, channel: str, account_id: str, plan_id: str, now: datetime, reason: str,
          plan: Plan | None = None) -> CycleResult:
    rec.record_hold(control, channel, plan_id, account_id, now, reason, plan)
    result = CycleResult(plan_id, account_id, HELD, reason=reason)
    control.finish(plan_id, HELD, {"reason": reason, "counts": result.counts()})
    return result


def _gated(control: ControlPlane, channel: str, account_id: str, plan_id: str, gate: Gate,
           done: PlanRecord | None) -> CycleResult:
    """Skipped/paused by the gate before anything was sent: the plan row says why.

    A plan already decided (paused mid-apply) keeps its stored verdicts, so the next run resumes it.
    """
    if done is None:
        control.propose(plan_id, channel, account_id, rec.ACTION, {})
    result = CycleResult(plan_id, account_id, gate.status, reason=gate.reason, retry_in=gate.retry_in)
    control.finish(plan_id, gate.status, {**gate.as_outcome(), "counts": result.counts()})
    return result


def _finished(settings: Settings, control: ControlPlane, done: PlanRecord, account_id: str,
              track: bool) -> CycleResult:
    """A re-run of a finished cycle: nothing is read or sent; only a missing MLflow run is made up for."""
    outcome = done.outcome or {}
    result = CycleResult(done.plan_id, account_id, "skipped", reason=f"plan already {done.status}",
                         mlflow_run_id=outcome.get("mlflow_run_id"))
    for name, value in (outcome.get("counts") or {}).items():
        setattr(result, name, value)
    if track and not result.mlflow_run_id:
        result.status = done.status
        _tracked(settings, control, result, track)
        result.status = "skipped"
    return result


def _tracked(settings: Settings, control: ControlPlane, result: CycleResult, track: bool) -> CycleResult:
    """One MLflow run per cycle (looked up by plan id); a tracking failure is recorded, not raised."""
    if not track or result.status not in (*FINAL, INCOMPLETE, "failed"):
        return result
    from adops.tracking import log_cycle

    record = control.get(result.plan_id)
    payload, outcome = (record.payload or {}), dict(record.outcome or {})
    plan = payload.get("plan") or {}
    params = {**(plan.get("params") or {}), "seed": payload.get("seed", 0), "account_id": result.account_id}
    metrics = {**(plan.get("metrics") or {}), **{f"cycle.{k}": float(v) for k, v in result.counts().items()}}
    artifact = {"plan_id": result.plan_id, "status": result.status, "reason": result.reason, **payload,
                "outcomes": result.outcomes}
    try:
        result.mlflow_run_id, _ = log_cycle(settings, result.plan_id, result.account_id, params, metrics, artifact)
        outcome["mlflow_run_id"] = result.mlflow_run_id
    except Exception as exc:  # noqa: BLE001  the writes are done; a re-run logs the run again
        log.warning("MLflow run for %s not recorded: %s", result.plan_id, exc)
        outcome["tracking_error"] = repr(exc)
    control.finish(result.plan_id, record.status, outcome)
    return result
