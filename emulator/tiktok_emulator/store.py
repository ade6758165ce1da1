"""In-memory state of the emulated TikTok account: apps, tokens, advertisers and ad objects.

Entities are plain dicts keyed by TikTok's own field names, holding Python values (``datetime``
for times, ``float`` for money). ``serialize`` turns one into wire form (string IDs, ``YYYY-MM-DD
HH:MM:SS`` UTC). ``index`` is the entity's column in the market's arrays and never leaves the
emulator. Every mutation happens under ``Store.lock``.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import fmt

STATUS_ENABLE, STATUS_DISABLE, STATUS_DELETE = "ENABLE", "DISABLE", "DELETE"
PRIVATE_FIELDS = frozenset({"index"})
ID_FIELDS = frozenset({
    "advertiser_id", "campaign_id", "adgroup_id", "ad_id", "identity_id", "video_id", "image_id",
    "material_id", "pixel_id", "owner_bc_id", "subscription_id", "task_id",
})


@dataclass
class Token:
    access_token: str
    app_id: str
    advertiser_ids: list[str]
    scope: list[int] = field(default_factory=lambda: [1, 2, 3, 4])
    expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    revoked: bool = False


class Store:
    """Every object the emulated API serves. IDs are deterministic 19-digit strings."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.apps: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Token] = {}
        self.auth_codes: dict[str, dict[str, Any]] = {}
        self.advertisers: dict[str, dict[str, Any]] = {}
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.adgroups: dict[str, dict[str, Any]] = {}
        self.ads: dict[str, dict[str, Any]] = {}
        self.identities: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.report_tasks: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.create_requests: dict[tuple[str, str, str], Any] = {}  # (advertiser, kind, request_id) -> result
        self._ids = itertools.count(1)

    def new_id(self, prefix: str = "17") -> str:
        """A 19-digit numeric string ID, unique within the store and stable for a given history."""
        with self.lock:
            n = next(self._ids)
        return f"{prefix}{n:017d}"

    def table(self, kind: str) -> dict[str, dict[str, Any]]:
        return {"campaign": self.campaigns, "adgroup": self.adgroups, "ad": self.ads}[kind]


def serialize(entity: dict[str, Any], fields: list[str] | None = None, *, string_ids: bool = True) -> dict:
    """Wire form of an entity: string IDs (v1.3) or integer IDs (v1.2), UTC time strings."""
    out: dict[str, Any] = {}
    for key, value in entity.items():
        if key in PRIVATE_FIELDS or (fields and key not in fields):
            continue
        out[key] = _wire(key, value, string_ids)
    return out


def _wire(key: str, value: Any, string_ids: bool) -> Any:
    if isinstance(value, datetime):
        return fmt(value)
    if key in ID_FIELDS and value is not None:
        return _id(value, string_ids)
    if key.endswith("_ids") and isinstance(value, list):
        return [_id(v, string_ids) for v in value]
    return value


def _id(value: Any, string_ids: bool) -> Any:
    text = str(value)
    return text if string_ids or not text.isdigit() else int(text)
