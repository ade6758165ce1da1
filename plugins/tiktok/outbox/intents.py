"""Building TikTok write intents: checked up front, so a bad request is refused before it is recorded.

Keys come from ``tiktok.api.idempotency.derive_key`` (plan id, object, action, canonical payload),
computed once here; budgets and bids are absolute targets, never deltas.
"""
from __future__ import annotations

from typing import Any

from adops.outbox import IntentSpec, InvalidIntent
from tiktok.api.idempotency import derive_key
from tiktok.outbox.kinds import (
    BID_FIELDS,
    BID_MODE_SET,
    BID_SET,
    BUDGET_SET,
    CREATES,
    OPERATION_STATUSES,
    STATUS_SETS,
    object_name,
)

CHANNEL = "tiktok"


def create_intent(tenant: str, advertiser_id: str, plan_id: str, object_id: str, action: str,
                  payload: dict[str, Any]) -> IntentSpec:
    """A campaign/ad group/ad create. ``object_id`` is the plan's own name for the object-to-be."""
    if action not in CREATES:
        raise InvalidIntent(f"action {action!r}: expected one of {', '.join(sorted(CREATES))}")
    body = {**payload, "advertiser_id": str(advertiser_id)}
    body.pop("request_id", None)  # derived from the key at send time, never chosen by the caller
    if action == "ad.create" and len(body.get("creatives") or []) != 1:
        raise InvalidIntent("ad.create: an intent creates exactly one ad (one creative)")
    name = object_name(action, body)
    if not isinstance(name, str) or not name.strip():
        raise InvalidIntent(f"{action}: {CREATES[action].name_field} is required")
    parent = CREATES[action].parent_filter
    if parent and not body.get(parent[0]):
        raise InvalidIntent(f"{action}: {parent[0]} is required")
    return _spec(tenant, advertiser_id, plan_id, object_id, action, body)


def budget_intent(tenant: str, advertiser_id: str, plan_id: str, adgroup_id: str, budget: float) -> IntentSpec:
    """Set an ad group's daily budget to an absolute value (a repeat is harmless, equal is skipped)."""
    if not budget or float(budget) <= 0:
        raise InvalidIntent(f"budget for ad group {adgroup_id}: must be > 0, got {budget!r}")
    body = {"advertiser_id": str(advertiser_id), "adgroup_id": str(adgroup_id), "budget": round(float(budget), 2)}
    return _spec(tenant, advertiser_id, plan_id, str(adgroup_id), BUDGET_SET, body)


def bid_intent(tenant: str, advertiser_id: str, plan_id: str, adgroup_id: str, bid: float,
               field: str = "bid_price") -> IntentSpec:
    """Set an ad group's bid (``bid_price`` or ``conversion_bid_price``) to an absolute value."""
    if field not in BID_FIELDS:
        raise InvalidIntent(f"bid field {field!r}: expected one of {', '.join(BID_FIELDS)}")
    if not bid or float(bid) <= 0:
        raise InvalidIntent(f"{field} for ad group {adgroup_id}: must be > 0, got {bid!r}")
    body = {"advertiser_id": str(advertiser_id), "adgroup_id": str(adgroup_id), field: round(float(bid), 2)}
    return _spec(tenant, advertiser_id, plan_id, str(adgroup_id), BID_SET, body)


def status_intent(tenant: str, advertiser_id: str, plan_id: str, level: str, object_id: str,
                  status: str) -> IntentSpec:
    """Set an ad group's or ad's operation status (ENABLE/DISABLE): absolute, so a repeat is harmless."""
    action = next((a for a, kind in STATUS_SETS.items() if kind == level), None)
    if action is None:
        raise InvalidIntent(f"status level {level!r}: expected one of {', '.join(STATUS_SETS.values())}")
    if status not in OPERATION_STATUSES:
        raise InvalidIntent(f"operation_status for {level} {object_id}: expected one of "
                            f"{', '.join(OPERATION_STATUSES)}, got {status!r}")
    body = {"advertiser_id": str(advertiser_id), f"{level}_id": str(object_id), "operation_status": status}
    return _spec(tenant, advertiser_id, plan_id, str(object_id), action, body)


def bid_mode_intent(tenant: str, advertiser_id: str, plan_id: str, adgroup_id: str, cost_cap: bool,
                    bid: float | None = None) -> IntentSpec:
    """Switch an ad group to Cost Cap (``bid`` required: TikTok refuses BID_TYPE_CUSTOM without one) or back."""
    body: dict[str, Any] = {"advertiser_id": str(advertiser_id), "adgroup_id": str(adgroup_id),
                            "bid_type": "BID_TYPE_CUSTOM" if cost_cap else "BID_TYPE_NO_BID"}
    if cost_cap:
        if not bid or float(bid) <= 0:
            raise InvalidIntent(f"Cost Cap for ad group {adgroup_id}: needs a bid > 0 (a BID change in the same "
                                f"plan, or a current bid), got {bid!r}")
        body["conversion_bid_price"] = round(float(bid), 2)
    return _spec(tenant, advertiser_id, plan_id, str(adgroup_id), BID_MODE_SET, body)


def _spec(tenant: str, advertiser_id: str, plan_id: str, object_id: str, action: str,
          body: dict[str, Any]) -> IntentSpec:
    if not tenant or not advertiser_id or not plan_id:
        raise InvalidIntent("tenant, advertiser_id and plan_id are required")
    key = derive_key(plan_id, object_id, action, body)
    return IntentSpec(tenant=tenant, channel=CHANNEL, account_id=str(advertiser_id), plan_id=plan_id,
                      object_id=object_id, action=action, payload=body, idempotency_key=key)
