"""Idempotent ad-group budget writes: absolute values, one batched call, skip what already matches.

The Idempotency-Key is derived from the plan before the call (and before any retry); a write with
no answer is reconciled by reading the budgets back, never by sending again blindly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adops.automation import Gate
from tiktok.api.batching import get_by_ids, update_budgets
from tiktok.api.client import TikTokClient
from tiktok.api.errors import UnknownOutcome
from tiktok.api.idempotency import derive_key
from tiktok.automation import TikTokGate, halting

ACTION = "adgroup.budget.update"
CENT = 0.005


@dataclass
class BudgetWriteResult:
    """What happened to each requested ad group (ids), and the key the write carried."""

    applied: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, float] = field(default_factory=dict)
    idempotency_key: str | None = None
    reconciled: bool = False


def read_budgets(client: TikTokClient, advertiser_id: str, adgroup_ids: list[str]) -> dict[str, float]:
    """Current daily budgets of the given ad groups (``tiktok.api.batching``: 100 ids per request)."""
    rows = get_by_ids(client, "adgroup", advertiser_id, adgroup_ids, fields=["adgroup_id", "budget"])
    return {str(row["adgroup_id"]): float(row["budget"]) for row in rows}


def budget_payload(advertiser_id: str, targets: dict[str, float]) -> dict[str, Any]:
    """The request body, in a stable order so the derived key is stable too."""
    return {"advertiser_id": advertiser_id,
            "budget": [{"adgroup_id": gid, "budget": round(targets[gid], 2)} for gid in sorted(targets)]}


def apply_budgets(client: TikTokClient, advertiser_id: str, plan_id: str,
                  targets: dict[str, float]) -> BudgetWriteResult:
    """Set absolute budgets; ad groups already at their target are skipped and nothing is sent for them."""
    current = read_budgets(client, advertiser_id, sorted(targets))
    result = BudgetWriteResult()
    todo = {}
    for gid, value in targets.items():
        if abs(current.get(gid, -1.0) - value) < CENT:
            result.skipped[gid] = round(value, 2)
        else:
            todo[gid] = round(value, 2)
    if not todo:
        return result
    payload = budget_payload(advertiser_id, todo)
    result.idempotency_key = derive_key(plan_id, advertiser_id, ACTION, payload)
    try:
        update_budgets(client, advertiser_id, todo, idempotency_key=result.idempotency_key)
    except UnknownOutcome:
        after = read_budgets(client, advertiser_id, sorted(todo))
        if any(abs(after.get(gid, -1.0) - value) >= CENT for gid, value in todo.items()):
            raise
        result.reconciled = True
    result.applied = todo
    return result


class TikTokBudgetChannel:
    """TikTok as a budget channel for ``adops.executor`` (media-agnostic core, TikTok-specific write).

    ``automation_allowed`` is the executor's gate (token NEEDS_REAUTH → skipped, write family's
    circuit open → paused); a revocation or an opening circuit met while writing halts the same way.
    """

    name = "tiktok"

    def __init__(self, client: TikTokClient, *, token_store: Any = None) -> None:
        self.client = client
        self.gate = TikTokGate(client, token_store=token_store)

    def automation_allowed(self, account_id: str) -> Gate:
        return self.gate(account_id)

    def apply_budgets(self, account_id: str, plan_id: str, targets: dict[str, float]) -> BudgetWriteResult:
        with halting():
            return apply_budgets(self.client, account_id, plan_id, targets)
