"""Which ads a report covers and what entity each report row stands for.

Reads the store (under its lock) once per report: applies ID and status filters (deleted objects
are hidden unless ``*_status IN ["STATUS_ALL"]``), maps every selected ad to its row entity
(advertiser, campaign, ad group or ad) and collects the attributes metrics such as
``campaign_name`` or ``placement_type`` render.

Speed (10,000 ads must answer in a few milliseconds): the advertiser's ad/parent structure never
changes without the store or the market growing, so it is cached per store and keyed on those
sizes; statuses and names can change on any write, so they are re-read on every request, once per
distinct (operation_status, secondary_status) pair, and turned into numpy masks. Row entities are
built lazily, only for the rows a page renders.
"""
from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .market_sim import zone
from .report_metrics import PLACEMENT_LABELS, PROMOTION_LABELS
from .report_query import STATUS_FIELDS, Query

if TYPE_CHECKING:
    from .market import Market
    from .store import Store

KEYS = ("advertiser_id", "campaign_id", "adgroup_id", "ad_id")
_LAYOUTS: weakref.WeakKeyDictionary[Store, dict[str, tuple[tuple[int, ...], Layout]]] = weakref.WeakKeyDictionary()


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


class Layout:
    """An advertiser's reportable ads (store order) with their parents, IDs and per-level sort ranks.

    Holds the store's own dicts: handlers update entities in place and never replace or remove one,
    so only additions (store sizes) and market registration (``index``) can make a layout stale.
    """

    def __init__(self, store: Store, advertiser_id: str, n_ads: int) -> None:
        self.ads = [ad for ad in store.ads.values()
                    if ad["advertiser_id"] == advertiser_id and ad.get("index", n_ads) < n_ads]
        self.groups = [store.adgroups.get(ad["adgroup_id"], {}) for ad in self.ads]
        self.camps = [store.campaigns.get(ad["campaign_id"], {}) for ad in self.ads]
        self.index = np.array([ad["index"] for ad in self.ads], dtype=np.int64)
        self.adgroup_of = np.array([g.get("index", 0) for g in self.groups], dtype=np.int64)
        self.ids = {key: np.array([str(obj.get(key, ad.get(key))) for ad, obj in zip(self.ads, objs, strict=True)],
                                  dtype=str)
                    for key, objs in (("campaign_id", self.camps), ("adgroup_id", self.groups), ("ad_id", self.ads))}
        self.ranks = {level: _ranks([ad[KEYS[level]] for ad in self.ads]) for level in (1, 2, 3)}
        self.distinct = {1: _distinct(self.camps), 2: _distinct(self.groups), 3: _distinct(self.ads)}

    def status_mask(self, level: int, allowed: set[str]) -> np.ndarray:
        """``status_ok`` for every ad's entity at ``level`` (1 campaign, 2 ad group, 3 ad), as a mask.

        Read once per distinct entity, and ``status_ok`` (which only looks at the two status fields)
        runs once per distinct pair of them.
        """
        entities, which = self.distinct[level]
        codes: dict[tuple[Any, Any], int] = {}
        per_entity = np.array([codes.setdefault((e.get("operation_status"), e.get("secondary_status", "")), len(codes))
                               for e in entities], dtype=np.int64)
        if not codes:
            return np.zeros(0, dtype=bool)
        table = np.array([status_ok({"operation_status": op, "secondary_status": sec}, allowed) for op, sec in codes])
        return table[per_entity][which]


def _distinct(objs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The distinct dicts (by identity, first-seen order) and each position's index among them."""
    seen: dict[int, int] = {}
    which = np.array([seen.setdefault(id(o), len(seen)) for o in objs], dtype=np.int64)
    return list({id(o): o for o in objs}.values()), which


def _ranks(keys: list[str]) -> np.ndarray:
    """Each ad's entity key as its position in TikTok's ID order (shorter IDs first)."""
    position = {k: i for i, k in enumerate(sorted(set(keys), key=lambda k: (len(k), k)))}
    return np.array([position[k] for k in keys], dtype=np.int64)


def layout(market: Market, advertiser_id: str) -> Layout:
    """The cached ``Layout``, rebuilt when an entity was added or the market registered one (store lock held)."""
    store = market.store
    n_ads = market.truth_table.ads.n
    signature = (len(store.ads), len(store.adgroups), len(store.campaigns), n_ads, market.truth_table.groups.n)
    per_store = _LAYOUTS.setdefault(store, {})
    cached = per_store.get(advertiser_id)
    if cached is None or cached[0] != signature:
        cached = (signature, Layout(store, advertiser_id, n_ads))
        per_store[advertiser_id] = cached
    return cached[1]


def select_ads(market: Market, q: Query) -> dict[str, Any]:
    """Selected ad columns, their row entity, and per-entity attributes (call with market.lock held)."""
    store, level = market.store, q.id_level or 0
    with store.lock:
        adv = store.advertisers[q.advertiser_id]
        lay = layout(market, q.advertiser_id)
        keep = _mask(lay, q)
    chosen = np.nonzero(keep)[0]
    if level:
        first, group_of = _first_and_position(lay.ranks[level][chosen])
        members = chosen[first]  # the first selected ad of each entity is the row's representative
    else:
        group_of, members = np.zeros(len(chosen), dtype=np.int64), chosen[:1]
    return {"index": lay.index[chosen], "group_of": group_of.astype(np.int64).reshape(-1),
            "adgroup_of": lay.adgroup_of[chosen], "groups": Entities(store, lay, level, adv, members.tolist()),
            "group_rank": np.arange(len(members)), "shares": market.truth_table.shares,
            "tz": zone(adv.get("timezone", "UTC"))}


def _first_and_position(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ranks, return_index=True, return_inverse=True)[1:]``, without its sort when the
    ranks already ascend (ads stored in ID order, the usual case)."""
    if len(ranks) and np.all(ranks[1:] >= ranks[:-1]):
        new = np.empty(len(ranks), dtype=bool)
        new[0], new[1:] = True, ranks[1:] != ranks[:-1]
        return np.flatnonzero(new), np.cumsum(new) - 1
    _, first, position = np.unique(ranks, return_index=True, return_inverse=True)
    return first, position


def _mask(lay: Layout, q: Query) -> np.ndarray:
    """Ads passing the ID filters and, for every level down to the report's, the status filters."""
    keep = np.ones(len(lay.ads), dtype=bool)
    for key, allowed in q.id_filters.items():
        keep &= np.isin(lay.ids[key], np.array(sorted(allowed), dtype=str))
    for name, lvl in STATUS_FIELDS.items():
        if lvl > (q.id_level if q.id_level is not None else q.level):
            continue
        allowed = q.status_filters.get(name, {"STATUS_NOT_DELETE"})
        if "STATUS_ALL" not in allowed and len(keep):
            keep &= lay.status_mask(lvl, allowed)
    return keep


class Entities(Sequence):
    """Row entities in row-group order, built on first use (a page touches at most 1,000 of them)."""

    def __init__(self, store: Store, lay: Layout, level: int, adv: dict[str, Any], members: list[int]) -> None:
        self.store, self.lay, self.level, self.adv, self.members = store, lay, level, adv, members
        self.built: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, i: int) -> dict[str, Any]:  # type: ignore[override]
        ent = self.built.get(i)
        if ent is None:
            with self.store.lock:
                at, lay = self.members[i], self.lay  # the entity's first selected ad
                ent = self.built[i] = _entity(self.level, self.adv, lay.camps[at], lay.groups[at], lay.ads[at])
        return ent


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
