"""What the outbox needs to know about each TikTok write: endpoints, id and name fields, ref tags.

A create carries its intent's ref in the object's name (`` ~x:<ref>``) so that, after an unclear
outcome or a crash, the object can be found again by name; TikTok ignores ``Idempotency-Key`` and
its ``request_id`` dedupe is undocumented for campaigns, so the name tag is what we rely on.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

NAME_MAX = 512
TAG_PREFIX = " ~x:"


@dataclass(frozen=True)
class CreateKind:
    """One creatable object type (campaign, ad group, ad)."""

    action: str
    get: str
    id_field: str
    name_field: str
    name_filter: bool  # does ``*/get/`` filter by name? (ad/get/ does not: match by name client-side)
    parent_filter: tuple[str, str] | None  # (payload field, filtering key) narrowing the lookup


CREATES: dict[str, CreateKind] = {
    "campaign.create": CreateKind("campaign.create", "campaign.get", "campaign_id", "campaign_name", True, None),
    "adgroup.create": CreateKind("adgroup.create", "adgroup.get", "adgroup_id", "adgroup_name", True,
                                 ("campaign_id", "campaign_ids")),
    "ad.create": CreateKind("ad.create", "ad.get", "ad_id", "ad_name", False, ("adgroup_id", "adgroup_ids")),
}
BUDGET_SET, BID_SET = "adgroup.budget.set", "adgroup.bid.set"
BID_MODE_SET = "adgroup.bid_mode.set"  # Cost Cap (BID_TYPE_CUSTOM + a bid) <-> Maximum Delivery (BID_TYPE_NO_BID)
ADGROUP_STATUS_SET, AD_STATUS_SET = "adgroup.status.set", "ad.status.set"
STATUS_SETS = {ADGROUP_STATUS_SET: "adgroup", AD_STATUS_SET: "ad"}  # action -> tiktok.api.batching kind
SETS = frozenset({BUDGET_SET, BID_SET, BID_MODE_SET, *STATUS_SETS})
OPERATION_STATUSES = ("ENABLE", "DISABLE")  # what a plan may set (DELETE is never automated)
BID_FIELDS = ("bid_price", "conversion_bid_price")


def tag(ref: str) -> str:
    return f"{TAG_PREFIX}{ref}"


def tagged(name: str, ref: str) -> str:
    """``name`` with the ref tag appended, the base shortened so the whole stays ≤ 512 characters."""
    suffix = tag(ref)
    return name[: NAME_MAX - len(suffix)] + suffix


def has_tag(name: Any, ref: str) -> bool:
    return isinstance(name, str) and name.endswith(tag(ref))


def request_id_for(key: str) -> str:
    """TikTok's numeric ``request_id`` body field, derived from the idempotency key (stable per intent)."""
    return str(int(hashlib.sha256(key.encode()).hexdigest()[:15], 16))


def object_name(action: str, payload: dict[str, Any]) -> Any:
    """The name a create payload carries (ads: the single creative's ``ad_name``)."""
    kind = CREATES[action]
    if action == "ad.create":
        creatives = payload.get("creatives") or [{}]
        return creatives[0].get(kind.name_field)
    return payload.get(kind.name_field)


def with_name(action: str, payload: dict[str, Any], name: str) -> dict[str, Any]:
    """A copy of ``payload`` whose object name is ``name`` (the stored payload stays untouched)."""
    body = dict(payload)
    if action == "ad.create":
        body["creatives"] = [{**body["creatives"][0], "ad_name": name}]
    else:
        body[CREATES[action].name_field] = name
    return body
