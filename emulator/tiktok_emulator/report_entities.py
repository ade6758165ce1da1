"""Which ads a report covers and what entity each report row stands for.

Reads the store (under its lock) once per report: applies ID and status filters (deleted objects
are hidden unless ``*_status IN ["STATUS_ALL"]``), maps every selected ad to its row entity
(advertiser, campaign, ad group or ad) and collects the attributes metrics such as
``campaign_name`` or ``placement_type`` render.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .market_sim import zone
from .report_metrics import PLACEMENT_LABELS, PROMOTION_LABELS
from .report_query import STATUS_FIELDS, Query

if TYPE_CHECKING:
    from .market import Market

KEYS = ("advertiser_id", "campaign_id", "adgroup_id", "ad_id")


def deleted(entity: dict[str, Any]) -> bool:
    return entity.get("operation_status") == "DELETE" or str(entity.get("secondary_status", "")).endswith("_DELETE")


def status_ok(entity: dict[str, Any], allowed: set[str]) -> bool:
    """Match TikTok's primary-status filter values against an entity."""
    if "STATUS_ALL" in allowed:
        return True
    is_deleted = deleted(entity)
    for value in allowed:
        if value == "STATUS_DELETE" and is_deleted:
            return True
        if value == "STATUS_DELIVERY_OK" and entity.get("operation_status") == "ENABLE" and not is_deleted:
            return True
        if value == "STATUS_DISABLE" and entity.get("operation_status") == "DISABLE":
            return True
        if value not in {"STATUS_DELETE", "STATUS_DELIVERY_OK", "STATUS_DISABLE"} and not is_deleted:
            return True
    return False


def select_ads(market: Market, q: Query) -> dict[str, Any]:
    """Selected ad columns, their row entity, and per-entity attributes (call with market.lock held)."""
    store, level = market.store, q.id_level or 0
    n_ads = market.truth_table.ads.n
    with store.lock:
        adv = store.advertisers[q.advertiser_id]
        chosen, entities, group_of, adgroup_of = [], {}, [], []
        for ad in store.ads.values():
            if ad["advertiser_id"] != q.advertiser_id or ad.get("index", n_ads) >= n_ads:
                continue
            group = store.adgroups.get(ad["adgroup_id"], {})
            camp = store.campaigns.get(ad["campaign_id"], {})
            if not _passes(q, ad, group, camp):
                continue
            key = ad[KEYS[level]] if level else q.advertiser_id
            if key not in entities:
                entities[key] = _entity(level, adv, camp, group, ad)
            chosen.append(ad["index"])
            group_of.append(key)
            adgroup_of.append(group.get("index", 0))
    keys = sorted(entities, key=lambda k: (len(k), k))
    position = {k: i for i, k in enumerate(keys)}
    return {"index": np.array(chosen, dtype=np.int64),
            "group_of": np.array([position[k] for k in group_of], dtype=np.int64),
            "adgroup_of": np.array(adgroup_of, dtype=np.int64),
            "groups": [entities[k] for k in keys], "group_rank": np.arange(len(keys)),
            "shares": market.truth_table.shares, "tz": zone(adv.get("timezone", "UTC"))}


def _passes(q: Query, ad: dict, group: dict, camp: dict) -> bool:
    objs = {"campaign_id": camp, "adgroup_id": group, "ad_id": ad}
    for key, allowed in q.id_filters.items():
        if str(objs[key].get(key, ad.get(key))) not in allowed:
            return False
    for name, lvl in STATUS_FIELDS.items():
        if lvl > (q.id_level if q.id_level is not None else q.level):
            continue
        entity = (camp, group, ad)[lvl - 1]
        if not status_ok(entity, q.status_filters.get(name, {"STATUS_NOT_DELETE"})):
            return False
    return True


def _entity(level: int, adv: dict, camp: dict, group: dict, ad: dict) -> dict[str, Any]:
    ent: dict[str, Any] = {"advertiser_id": adv["advertiser_id"], "advertiser_name": adv.get("name"),
                           "currency": adv.get("currency", "USD")}
    if level >= 1:
        ent.update(campaign_id=camp.get("campaign_id"), campaign_name=camp.get("campaign_name"),
                   objective_type=camp.get("objective_type"))
    if level >= 2:
        ent.update(adgroup_id=group.get("adgroup_id"), adgroup_name=group.get("adgroup_name"),
                   placement_label=PLACEMENT_LABELS.get(group.get("placement_type"), "Select Placement"),
                   promotion_label=PROMOTION_LABELS.get(group.get("promotion_type"), "Website"),
                   tt_app_id="0", tt_app_name="-", mobile_app_id="0", dpa_target_audience_type="-",
                   optimization_goal=group.get("optimization_goal"), bid_type=group.get("bid_type"))
    if level >= 3:
        ent.update(ad_id=ad["ad_id"], ad_name=ad.get("ad_name"), ad_text=ad.get("ad_text"),
                   call_to_action=ad.get("call_to_action"), ad_format=ad.get("ad_format"))
    return ent
