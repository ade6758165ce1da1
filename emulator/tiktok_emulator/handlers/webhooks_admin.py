"""Admin routes for webhooks: the delivery log, and a way to make a lead happen.

Leads have no API of their own in the emulator (they come from TikTok's instant forms), so tests and
demos create one with ``POST /__emulator/leads`` and watch ``lead.create`` arrive at their receiver.
"""
from __future__ import annotations

from typing import Any

from .. import errors
from ..params import as_dict
from ..routing import Ctx, raw_route

DEFAULT_ANSWERS = {"name": "Test Lead", "email": "lead@example.com", "phone_number": "+14155550100"}


@raw_route("GET", "/__emulator/webhooks")
def delivery_log(ctx: Ctx) -> dict[str, Any]:
    hooks = ctx.emulator.webhooks
    deliveries = hooks.deliveries()
    event = ctx.params.get("event")
    if event:
        deliveries = [d for d in deliveries if d["event"] == event]
    return {"deliveries": deliveries, "pending": hooks.pending()}


@raw_route("POST", "/__emulator/leads")
def create_lead(ctx: Ctx) -> dict[str, Any]:
    """Create a lead on an ad (the given ad, the first ad of the given ad group, or the advertiser's first)."""
    emu = ctx.emulator
    adv_id = str(ctx.params.get("advertiser_id") or "")
    if not adv_id:
        raise errors.missing("advertiser_id")
    advertiser = emu.store.advertisers.get(adv_id)
    if advertiser is None:
        raise errors.ApiError(errors.NOT_EXIST, f"advertiser_id {adv_id} does not exist.")
    ad = _pick_ad(emu.store.ads, adv_id, ctx.params.get("adgroup_id"), ctx.params.get("ad_id"))
    answers = as_dict(ctx.params.get("fields"), "fields") or DEFAULT_ANSWERS
    entry = {
        "id": emu.store.new_id("76"), "lead_source": str(ctx.params.get("lead_source") or "INSTANT_FORM"),
        "page_id": str(ctx.params.get("page_id") or "7500000000000000001"),
        "page_name": str(ctx.params.get("page_name") or "Instant Form"),
        "advertiser_id": adv_id, "advertiser_name": advertiser.get("name", ""), "library_id": "",
        "campaign_id": ad.get("campaign_id", ""), "campaign_name": ad.get("campaign_name", ""),
        "adgroup_id": ad.get("adgroup_id", ""), "adgroup_name": ad.get("adgroup_name", ""),
        "ad_id": ad.get("ad_id", ""), "ad_name": ad.get("ad_name", ""),
        "create_time": int(emu.clock.now().timestamp()),
        "changes": [{"field": k, "value": v} for k, v in answers.items()],
    }
    emu.webhooks.leads.append(entry)
    emu.webhooks.emit("lead.create", adv_id, entry)
    return {"lead": entry}


def _pick_ad(ads: dict[str, dict[str, Any]], adv_id: str, adgroup_id: Any, ad_id: Any) -> dict[str, Any]:
    if ad_id:
        ad = ads.get(str(ad_id))
        if ad is None or ad["advertiser_id"] != adv_id:
            raise errors.not_exist("ad", str(ad_id))
        return ad
    for ad in ads.values():
        if ad["advertiser_id"] == adv_id and (not adgroup_id or ad["adgroup_id"] == str(adgroup_id)):
            return ad
    if adgroup_id:
        raise errors.not_exist("adgroup", str(adgroup_id))
    return {}
