"""Canonical JSON and the intent key derived from it: one definition for the outbox and every channel.

Equal payloads must hash equal whatever their key order or number spelling (``200`` == ``200.0``), or a
retried intent would look new. Pure standard library, so the connector packages can import it cheaply.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, numbers normalised, so equal payloads hash equal (``200`` == ``200.0``)."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value)


def intent_key(plan_id: str, object_id: str, action: str, payload: Any) -> str:
    """A stable 32-hex key for one intended write: a pure function of (plan, object, action, payload)."""
    material = canonical_json({"plan_id": plan_id, "object_id": object_id, "action": action, "payload": payload})
    return hashlib.sha256(material.encode()).hexdigest()[:32]
