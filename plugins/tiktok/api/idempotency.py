"""Idempotency keys derived from the intent, once, before any retry loop (stripe-python's rule).

TikTok does not honour the header; we send it anyway and rely on our own control plane for the
guarantee. A key is a pure function of (plan id, object id, action, canonical payload), so the same
intent always yields the same key — on a retry, after a crash, or on a second run of the same plan.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

HEADER = "Idempotency-Key"


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, floats normalised (``200`` and ``200.0`` hash the same)."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value)).normalize()
        return format(number, "f")
    return str(value)


def derive_key(plan_id: str, object_id: str, action: str, payload: Any) -> str:
    """A stable 32-hex key for one intended write."""
    material = canonical_json({"plan_id": plan_id, "object_id": object_id, "action": action, "payload": payload})
    return hashlib.sha256(material.encode()).hexdigest()[:32]
