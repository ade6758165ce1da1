"""Deciding approval requests: ``approve`` applies the change through the cycle's channel, ``reject`` logs it.

An approved change goes out exactly like an automatic one — same channel, same outbox, same plan id
(so its intent key is the one the plan implies) — and its change-log row gets the outcome. The kill
switch and dry-run still win over a human's approval: with either on, approving is refused and the
request stays pending. When the channel's gate is closed (re-consent needed, circuit open) the
decision is recorded and the write waits; approving the same request again retries the write.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from adops import approvals, changelog
from adops.approvals import APPLIED, APPROVED, FAILED, PENDING, REJECTED, Approval, ApprovalError
from adops.automation import AutomationHalted, gate_for
from adops.control import ControlPlane
from adops.settings import Settings


def reject(settings: Settings, approval_id: int, actor: str, note: str | None = None) -> dict[str, Any]:
    control = ControlPlane(settings.control_db_url)
    try:
        with Session(control.engine) as session, session.begin():
            row = approvals.decide(session, approval_id, REJECTED, actor, note)
            key = (row.level, row.entity_id, row.kind)
            changelog.set_outcome(session, row.plan_id, key, changelog.REJECTED,
                                  {"approval_id": row.id, "by": row.decided_by})
        return approvals.get(control.engine, approval_id)
    finally:
        control.dispose()


def approve(settings: Settings, channel: Any, approval_id: int, actor: str, note: str | None = None) -> dict[str, Any]:
    """Record the approval (who, when) and apply the change now; answers the request as stored after."""
    control = ControlPlane(settings.control_db_url)
    try:
        current = approvals.get(control.engine, approval_id)
        _refuse_if_policy_forbids(control, current)
        if current["status"] == PENDING:
            with Session(control.engine) as session, session.begin():
                approvals.decide(session, approval_id, APPROVED, actor, note)
        elif current["status"] != APPROVED:
            raise ApprovalError(f"approval {approval_id} is {current['status']}; only pending (or approved but "
                                f"not yet applied) requests can be approved")
        _apply(control, channel, approvals.get(control.engine, approval_id))
        return approvals.get(control.engine, approval_id)
    finally:
        control.dispose()


def _refuse_if_policy_forbids(control: ControlPlane, row: dict[str, Any]) -> None:
    from adops.guardrails import load_policy

    policy = load_policy(control.engine, row["account_id"])
    if getattr(policy, "kill_switch", False):
        raise ApprovalError(f"account {row['account_id']}: the kill switch is on, nothing may be written; "
                            f"turn it off (`adops policy set {row['account_id']} kill_switch=false`) first")
    if getattr(policy, "dry_run", False):
        raise ApprovalError(f"account {row['account_id']}: the policy is in dry-run, nothing may be written; "
                            f"turn dry_run off first")


def _apply(control: ControlPlane, channel: Any, row: dict[str, Any]) -> None:
    change = approvals.change_of(row)
    gate = gate_for(channel, row["account_id"])
    if not gate:
        _finish(control, row, None, {"not_sent": gate.status, "reason": gate.reason})
        return
    try:
        outcomes = channel.apply(row["account_id"], row["plan_id"], [change])
    except AutomationHalted as halted:
        _finish(control, row, None, {"not_sent": halted.gate.status, "reason": halted.gate.reason})
        return
    result = outcomes.get(change.key)
    outcome = result.outcome if result is not None else "failed"
    detail = dict(result.detail) if result is not None else {"error": "the channel answered nothing"}
    status = APPLIED if outcome in changelog.DONE_OUTCOMES else FAILED if outcome == "failed" else None
    _finish(control, row, status, {"outcome": outcome, **detail}, outcome)


def _finish(control: ControlPlane, row: dict[str, Any], status: str | None, detail: dict[str, Any],
            log_outcome: str | None = None) -> None:
    """Store what applying did; ``status`` None keeps the request approved (the write is still owed)."""
    with Session(control.engine) as session, session.begin():
        approval = session.get(Approval, row["id"])
        approval.outcome = detail
        if status is not None:
            approval.status = status
        if log_outcome is not None:
            changelog.set_outcome(session, row["plan_id"], (row["level"], row["entity_id"], row["kind"]),
                                  log_outcome, {"approval_id": row["id"], "by": row["decided_by"], **detail})
