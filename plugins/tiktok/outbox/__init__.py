"""Idempotent TikTok writes through the media-agnostic outbox (``adops.outbox``).

``create_intent`` / ``budget_intent`` / ``bid_intent`` build checked intents; ``TikTokWriteChannel``
looks effects up by ref tag (creates) or current value (absolute sets) and sends each write once.
"""
from __future__ import annotations

from tiktok.outbox.channel import TikTokWriteChannel, classify
from tiktok.outbox.intents import CHANNEL, bid_intent, budget_intent, create_intent
from tiktok.outbox.kinds import has_tag, request_id_for, tag, tagged

__all__ = ["CHANNEL", "TikTokWriteChannel", "bid_intent", "budget_intent", "classify", "create_intent", "has_tag",
           "request_id_for", "tag", "tagged"]
