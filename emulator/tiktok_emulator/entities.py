"""Factories for the objects the API serves, with TikTok's field names and defaults.

The seeder and the create endpoints both build objects here, so a seeded campaign and one created
over the API look the same on the wire. Validation of client input happens in the handlers.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from .store import Store


def make_advertiser(store: Store, spec: dict[str, Any], number: int, created: datetime) -> dict[str, Any]:
    adv_id = f"70000000000000000{number:02d}"
    adv = {
        "advertiser_id": adv_id, "name": spec.get("name", f"Advertiser {number}"),
        "status": "STATUS_ENABLE", "role": "ROLE_ADVERTISER", "rejection_reason": "",
        "currency": spec.get("currency", "USD"), "timezone": spec.get("timezone", "UTC"),
        "display_timezone": spec.get("timezone", "UTC"), "company": spec.get("name", "Company"),
        "industry": "291102", "address": "1 Market Street", "country": spec.get("country", "US"),
        "contacter": "Ops Team", "email": "ads@example.com", "cellphone_number": "", "telephone_number": "",
        "language": "en", "license_no": "", "license_url": "", "description": "",
        "balance": float(spec.get("balance", 1_000_000.0)), "create_time": int(created.timestamp()),
        "owner_bc_id": "7100000000000000001", "advertiser_account_type": "AUCTION",
    }
    store.advertisers[adv_id] = adv
    return adv


def make_identity(store: Store, adv_id: str, display_name: str) -> dict[str, Any]:
    ident = {
        "identity_id": hashlib.md5(f"{adv_id}:{display_name}".encode()).hexdigest()[:32],
        "identity_type": "CUSTOMIZED_USER", "display_name": display_name, "profile_image": "",
        "identity_authorized_bc_id": None, "available_status": "AVAILABLE",
        "can_push_video": False, "can_pull_video": False, "advertiser_id": adv_id,
    }
    store.identities[ident["identity_id"]] = ident
    return ident


def make_campaign(store: Store, adv_id: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    campaign = {
        "advertiser_id": adv_id, "campaign_id": store.new_id("17"), "campaign_name": "",
        "campaign_type": "REGULAR_CAMPAIGN", "objective_type": "WEB_CONVERSIONS", "objective": "LANDING_PAGE",
        "budget_mode": "BUDGET_MODE_INFINITE", "budget": 0.0, "budget_optimize_on": False,
        "operation_status": "ENABLE", "secondary_status": "CAMPAIGN_STATUS_ENABLE",
        "is_new_structure": True, "is_smart_performance_campaign": False, "is_search_campaign": False,
        "roas_bid": 0.0, "deep_bid_type": None, "special_industries": [],
        "create_time": now, "modify_time": now,
    }
    campaign.update(fields)
    store.campaigns[campaign["campaign_id"]] = campaign
    return campaign


def make_adgroup(store: Store, adv_id: str, campaign: dict[str, Any], fields: dict[str, Any],
                 now: datetime) -> dict[str, Any]:
    adgroup = {
        "advertiser_id": adv_id, "campaign_id": campaign["campaign_id"], "campaign_name": campaign["campaign_name"],
        "adgroup_id": store.new_id("18"), "adgroup_name": "",
        "placement_type": "PLACEMENT_TYPE_NORMAL", "placements": ["PLACEMENT_TIKTOK"],
        "location_ids": ["6252001"], "age_groups": ["AGE_18_24", "AGE_25_34", "AGE_35_44"],
        "gender": "GENDER_UNLIMITED", "languages": [], "operating_systems": [], "promotion_type": "WEBSITE",
        "budget_mode": "BUDGET_MODE_DAY", "budget": 200.0, "schedule_type": "SCHEDULE_FROM_NOW",
        "schedule_start_time": now, "schedule_end_time": None, "dayparting": None,
        "optimization_goal": "CONVERT", "optimization_event": "COMPLETE_PAYMENT", "pixel_id": "7200000000000000001",
        "billing_event": "OCPM", "bid_type": "BID_TYPE_NO_BID", "bid_price": 0.0, "conversion_bid_price": 0.0,
        "deep_bid_type": "DEFAULT", "pacing": "PACING_MODE_SMOOTH",
        "operation_status": "ENABLE", "secondary_status": "ADGROUP_STATUS_DELIVERY_OK",
        "create_time": now, "modify_time": now,
    }
    adgroup.update(fields)
    store.adgroups[adgroup["adgroup_id"]] = adgroup
    return adgroup


def make_ad(store: Store, adv_id: str, adgroup: dict[str, Any], fields: dict[str, Any], now: datetime,
            approved: bool = False) -> dict[str, Any]:
    """A new ad; unless ``approved`` it waits in review (``AD_STATUS_AUDIT``) until the market decides."""
    ad = {
        "advertiser_id": adv_id, "campaign_id": adgroup["campaign_id"], "campaign_name": adgroup["campaign_name"],
        "adgroup_id": adgroup["adgroup_id"], "adgroup_name": adgroup["adgroup_name"],
        "ad_id": store.new_id("19"), "ad_name": "", "ad_format": "SINGLE_VIDEO", "ad_text": "",
        "call_to_action": "SHOP_NOW", "video_id": None, "image_ids": [], "identity_type": "CUSTOMIZED_USER",
        "identity_id": None, "display_name": None, "landing_page_url": "https://shop.example.com/p",
        "operation_status": "ENABLE",
        "secondary_status": "AD_STATUS_DELIVERY_OK" if approved else "AD_STATUS_AUDIT",
        "is_aco": False, "create_time": now, "modify_time": now,
    }
    ad.update(fields)
    store.ads[ad["ad_id"]] = ad
    return ad


def make_video(store: Store, adv_id: str, file_name: str, now: datetime, *, duration: float = 15.0,
               ready: bool = False, signature: str | None = None, size: int = 1_048_576) -> dict[str, Any]:
    digest = hashlib.md5(f"{adv_id}:{file_name}".encode()).hexdigest()
    video = {
        "advertiser_id": adv_id, "video_id": f"v10033g50000{digest[:20]}", "material_id": store.new_id("73"),
        "video_cover_url": f"https://p16.emulator.local/{digest}.jpeg", "preview_url": f"https://v16.emulator.local/{digest}.mp4",
        "preview_url_expire_time": None, "duration": duration, "width": 720, "height": 1280, "format": "mp4",
        "bit_rate": 2_000_000, "size": size, "signature": signature or digest, "file_name": file_name,
        "displayable": ready, "allowed_placements": ["PLACEMENT_TIKTOK"], "allow_download": True,
        "create_time": now, "modify_time": now, "fix_task_id": None, "flaw_types": [],
    }
    store.videos[video["video_id"]] = video
    return video


def make_image(store: Store, adv_id: str, file_name: str, now: datetime, *, signature: str | None = None,
               size: int = 102_400, width: int = 720, height: int = 1280) -> dict[str, Any]:
    digest = hashlib.md5(f"{adv_id}:{file_name}".encode()).hexdigest()
    image = {
        "advertiser_id": adv_id, "image_id": f"ad-site-i18n-sg/{digest}", "material_id": store.new_id("74"),
        "is_carousel_usable": True, "displayable": True, "width": width, "height": height, "format": "jpeg",
        "image_url": f"https://p16.emulator.local/{digest}.jpeg", "signature": signature or digest,
        "size": size, "file_name": file_name, "create_time": now, "modify_time": now,
    }
    store.images[image["image_id"]] = image
    return image
