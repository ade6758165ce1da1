"""Which subscriptions an event goes to, and the ``object`` number TikTok puts in the delivery body.

Kept apart from delivery so the subscription endpoints and the dispatcher share one definition.
Object numbers follow tiktok-api.md §5 (bububa ``webhook/request.go``); ``authorization.removed``
and account suspension have no documented number, so the emulator sends 0 for them.
"""
from __future__ import annotations

from typing import Any

SUBSCRIBE_ENTITIES = ("LEAD", "AD_GROUP", "AD", "CREATIVE_FATIGUE", "AD_ACCOUNT_SUSPENSION", "TCM_VIDEOS",
                      "REPORT_DATA_CHANGE", "API_SERVICE_STATUS")
OBJECT_CODES: dict[str, int] = {
    "lead.create": 1,
    "adgroup.review_status_update": 2,
    "ad.review_status_update": 3,
    "creative.fatigue_status_update": 8,
    "tcm.video_linked": 10,
    "report.data_change": 11,
    "api.service_status_update": 14,
    "ad_account.suspension_status_update": 0,
    "authorization.removed": 0,
}
# An ad's review update also reaches AD_GROUP subscribers of its ad group.
EVENT_ENTITIES: dict[str, frozenset[str]] = {
    "lead.create": frozenset({"LEAD"}),
    "adgroup.review_status_update": frozenset({"AD_GROUP"}),
    "ad.review_status_update": frozenset({"AD", "AD_GROUP"}),
    "creative.fatigue_status_update": frozenset({"CREATIVE_FATIGUE"}),
    "tcm.video_linked": frozenset({"TCM_VIDEOS"}),
    "report.data_change": frozenset({"REPORT_DATA_CHANGE"}),
    "api.service_status_update": frozenset({"API_SERVICE_STATUS"}),
    "ad_account.suspension_status_update": frozenset({"AD_ACCOUNT_SUSPENSION"}),
}
FILTER_FIELDS = ("adgroup_id", "ad_id", "page_id")


def subscription_matches(sub: dict[str, Any], event: str, advertiser_id: str, entry: dict[str, Any]) -> bool:
    """Whether an active subscription should receive ``event`` about ``advertiser_id``."""
    if sub.get("status", "ACTIVE") != "ACTIVE":
        return False
    detail = sub.get("subscription_detail") or {}
    if event == "authorization.removed":
        same_app = entry.get("app_id") in (None, sub.get("app_id"))
        return same_app and covers_advertiser(detail, advertiser_id)
    entity = sub.get("subscribe_entity")
    if entity not in EVENT_ENTITIES.get(event, frozenset()):
        return False
    if entity == "API_SERVICE_STATUS":
        return True
    if not covers_advertiser(detail, advertiser_id):
        return False
    for name in FILTER_FIELDS:  # a narrower subscription only hears about its own object
        wanted = detail.get(name)
        if wanted and entry.get(name) is not None and str(entry[name]) != str(wanted):
            return False
    if entity == "LEAD":
        return detail.get("lead_source", "INSTANT_FORM") == entry.get("lead_source", "INSTANT_FORM")
    return True


def covers_advertiser(detail: dict[str, Any], advertiser_id: str) -> bool:
    if str(detail.get("advertiser_id") or "") == advertiser_id:
        return True
    return advertiser_id in {str(a) for a in detail.get("advertiser_ids") or []}
