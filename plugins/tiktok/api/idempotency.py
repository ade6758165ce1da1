"""Idempotency keys derived from the intent, once, before any retry loop (stripe-python's rule).

TikTok does not honour the header; we send it anyway and rely on our own control plane for the
guarantee. A key is a pure function of (plan id, object id, action, canonical payload), so the same
intent always yields the same key — on a retry, after a crash, or on a second run of the same plan.
"""
from __future__ import annotations

from adops.canonical import canonical_json, intent_key

HEADER = "Idempotency-Key"

__all__ = ["HEADER", "canonical_json", "derive_key"]

derive_key = intent_key  # a stable 32-hex key for one intended write
