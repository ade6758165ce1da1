"""What the cycle writes to the control-plane DB: the plan with its verdicts, log rows, approvals, alerts.

The plan row (table ``plans``, keyed by the run window's plan id) stores the plan and every verdict
before anything is sent, so a re-run of an unfinished cycle resumes *that* plan instead of deciding
again (a second decision could differ, and the same plan id must mean the same writes).
"""
from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from adops import approvals, changelog
from adops.alerts import raise_alert
from adops.control import ControlPlane, PlanRecord
from ml.plan import ADGROUP, BID, BID_MODE, BUDGET, AccountState, Change, Plan

ACTION = "optimize.cycle"
HELD_ALERT = "account_held"


def plan_json(plan: Plan) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(plan), default=str))


def verdict_json(v: Any) -> dict[str, Any]:
    return {"change": asdict(v.change), "decision": v.decision, "reasons": list(v.reasons),
            "rules": list(getattr(v, "rules", ())), "dry_run": bool(getattr(v, "dry_run", False))}


def stored_verdicts(record: PlanRecord | None) -> list[Any] | None:
    """The verdicts of a plan already decided under this plan id (None: nothing decided yet)."""
    payload = (record.payload or {}) if record is not None else {}
    if "verdicts" not in payload:
        return None
    from adops.guardrails import Verdict

    return [Verdict(Change(**v["change"]), v["decision"], tuple(v["reasons"]), tuple(v.get("rules", ())),
                    bool(v.get("dry_run"))) for v in payload["verdicts"]]


def outcome_for(v: Any) -> str:
    """The change-log outcome a verdict starts with (applied changes move on from ``pending``)."""
    if v.decision == "block":
        return changelog.BLOCKED
    if v.decision == "approve":
        return changelog.AWAITING
    return changelog.DRY_RUN if getattr(v, "dry_run", False) else changelog.PENDING


def record_decision(control: ControlPlane, channel: str, plan_id: str, plan: Plan, verdicts: list[Any],
                    extra: dict[str, Any]) -> None:
    """Plan, verdicts, change-log rows and approval requests, in one transaction, before any send."""
    payload = {"plan": plan_json(plan), "verdicts": [verdict_json(v) for v in verdicts],
               "what_if": approvals.what_if(plan), **extra}
    control.propose(plan_id, channel, plan.account_id, ACTION, payload)
    with Session(control.engine) as session, session.begin():
        existing = changelog.plan_rows(session, plan_id)
        for v in verdicts:
            approval_id = None
            if v.decision == "approve":
                approval_id = approvals.request(session, plan, plan_id, v.change, list(v.reasons), plan.now).id
            changelog.log_change(session, plan_id, plan.account_id, plan.now, v.change, v.decision,
                                 list(v.reasons), outcome_for(v), approval_id=approval_id, existing=existing)


def record_outcomes(engine: Engine, plan_id: str, outcomes: dict[tuple[str, str, str], Any], at: datetime) -> None:
    if not outcomes:
        return
    with Session(engine) as session, session.begin():
        changelog.set_outcomes(session, plan_id, {k: (r.outcome, r.detail) for k, r in outcomes.items()}, at=at)


def record_hold(control: ControlPlane, channel: str, plan_id: str, account_id: str, now: datetime,
                reason: str, plan: Plan | None = None) -> None:
    """The plan row (status held), the change-log hold row and one alert, committed together."""
    payload = {"held": reason, "plan": plan_json(plan) if plan is not None else None}
    control.propose(plan_id, channel, account_id, ACTION, payload)
    with Session(control.engine) as session, session.begin():
        changelog.log_hold(session, plan_id, account_id, now, reason)
        raise_alert(session, source="adops.cycle", kind=HELD_ALERT, subject=f"advertiser:{account_id}",
                    message=f"optimisation held for advertiser {account_id}: {reason}", severity="warning",
                    payload={"plan_id": plan_id, "reason": reason})


def guard_history(engine: Engine, account_id: str, now: datetime, timezone: str,
                  lookback_h: float = 48.0) -> tuple[dict, dict]:
    """``(day_start, last_applied)`` for ``GuardContext`` from the change log.

    Values at the start of the account's local day come from today's first applied change; the time
    of the last applied change looks back ``lookback_h`` (at least the longest cooldown in the policy).
    """
    local = now.astimezone(ZoneInfo(timezone))
    day_start_at = local.replace(hour=0, minute=0, second=0, microsecond=0)
    today = changelog.history(engine, account_id, day_start_at)
    recent = changelog.history(engine, account_id, now - timedelta(hours=lookback_h))
    return ({k: v["day_start"] for k, v in today.items()},
            {k: v["last_applied"] for k, v in recent.items() if v["last_applied"] is not None})


def with_change_times(state: AccountState, last_applied: dict) -> AccountState:
    """Fill each ad group's ``last_changed`` / ``bid_changed`` from the change log, so the decision code
    can hold ad groups it re-bid or re-budgeted recently (learning phase, cooldowns)."""
    def latest(gid: str, kinds: tuple[str, ...]) -> datetime | None:
        times = [last_applied.get((ADGROUP, gid, kind)) for kind in kinds]
        return max((t for t in times if t is not None), default=None)

    groups = []
    for g in state.adgroups:
        bid_at = latest(g.adgroup_id, (BID, BID_MODE))
        any_at = latest(g.adgroup_id, (BUDGET, BID, BID_MODE))
        groups.append(replace(g, bid_changed=bid_at or g.bid_changed, last_changed=any_at or g.last_changed))
    return replace(state, adgroups=tuple(groups))
