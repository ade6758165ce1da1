"""What the outbox is asked to do: a spec for one remote write, and the names derived from it.

``external_ref`` names the *logical operation* (tenant, account, operation id) and is UNIQUE, so
recording the same operation twice is a no-op. The idempotency key and the payload fingerprint are
computed once here, from the intent, before anything is sent (DESIGN convention 6).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from adops.canonical import canonical_json, intent_key

REF_LEN = 16


def external_ref(tenant: str, account_id: str, logical_op_id: str) -> str:
    """``sha256(tenant|account|logical_op_id)[:16]``: short enough to tag an object's name with."""
    return hashlib.sha256(f"{tenant}|{account_id}|{logical_op_id}".encode()).hexdigest()[:REF_LEN]


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


default_key = intent_key  # channels may pass their own keys; TikTok derives the same one


@dataclass(frozen=True)
class IntentSpec:
    """One write the platform intends to make. ``payload`` is the untagged body the plan asked for."""

    tenant: str
    channel: str
    account_id: str
    plan_id: str
    object_id: str
    action: str
    payload: dict[str, Any]
    logical_op_id: str = ""
    idempotency_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.logical_op_id:
            object.__setattr__(self, "logical_op_id", f"{self.plan_id}:{self.object_id}:{self.action}")
        if not self.idempotency_key:
            key = default_key(self.plan_id, self.object_id, self.action, self.payload)
            object.__setattr__(self, "idempotency_key", key)

    @property
    def external_ref(self) -> str:
        return external_ref(self.tenant, self.account_id, self.logical_op_id)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.payload)
