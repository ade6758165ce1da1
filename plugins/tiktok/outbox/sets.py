"""Lookup and send for the status and bid-mode sets, for the outbox worker (``TikTokWriteChannel``).

The cycle sends these in batches itself (``tiktok.changes``); an intent it leaves UNKNOWN (unclear
answer) or PENDING (halted mid-cycle) is finished by the worker one intent at a time, through these:
look the value up, and only when it is not in effect send the absolute value again.
"""
from __future__ import annotations

from typing import Any

from adops.outbox import Found, Intent, Sent
from tiktok.api.batching import get_by_ids, update_status
from tiktok.outbox.kinds import BID_MODE_SET, STATUS_SETS

OTHER_SETS = frozenset({BID_MODE_SET, *STATUS_SETS})
CENT = 0.005


def _target(intent: Intent) -> tuple[str, str]:
    kind = STATUS_SETS.get(intent.action, "adgroup")
    return kind, str(intent.payload[f"{kind}_id"])


def set_matches(client: Any, intent: Intent) -> Found | None:
    """Found when the object already has the intended status / bid type (and bid)."""
    kind, ident = _target(intent)
    fields = [f"{kind}_id", "operation_status", "bid_type", "conversion_bid_price"]
    rows = get_by_ids(client, kind, intent.account_id, [ident], fields=fields if kind == "adgroup" else fields[:2])
    if not rows:
        return None
    row, want = rows[0], intent.payload
    if intent.action in STATUS_SETS:
        same = row.get("operation_status") == want["operation_status"]
    else:
        same = row.get("bid_type") == want["bid_type"] and (
            "conversion_bid_price" not in want
            or abs(float(row.get("conversion_bid_price") or 0) - float(want["conversion_bid_price"])) < CENT)
    return Found(ident, {"skipped": True}) if same else None


def send_set(writer: Any, intent: Intent) -> Sent:
    kind, ident = _target(intent)
    if intent.action in STATUS_SETS:
        update_status(writer, kind, intent.account_id, [ident], intent.payload["operation_status"],
                      idempotency_key=intent.idempotency_key)
    else:
        writer.call("adgroup.update", dict(intent.payload), idempotency_key=intent.idempotency_key)
    return Sent(ident)
