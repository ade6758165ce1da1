"""What campaign, ad-group and ad endpoints share: lookups, deletion, secondary status, listing, idempotency.

Kept in one place so that the three ``*/get/`` endpoints filter, hide deleted objects and page the
same way, and so a status change on a campaign shows up consistently on its ad groups and ads.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import errors
from ..params import as_dict, as_list, paginate
from ..routing import Ctx
from ..store import STATUS_DELETE, STATUS_DISABLE, Store, serialize
from . import validate

Entity = dict[str, Any]
Predicate = Callable[[Entity], bool]
MAX_FILTER_IDS = 100


@dataclass(frozen=True)
class Kind:
    name: str
    id_field: str
    ids_filter: str
    name_field: str
    status_prefix: str
    delivering: str


KINDS = {
    "campaign": Kind("campaign", "campaign_id", "campaign_ids", "campaign_name", "CAMPAIGN_STATUS_",
                     "CAMPAIGN_STATUS_ENABLE"),
    "adgroup": Kind("adgroup", "adgroup_id", "adgroup_ids", "adgroup_name", "ADGROUP_STATUS_",
                    "ADGROUP_STATUS_DELIVERY_OK"),
    "ad": Kind("ad", "ad_id", "ad_ids", "ad_name", "AD_STATUS_", "AD_STATUS_DELIVERY_OK"),
}
PRIMARY_STATUSES = frozenset({
    "STATUS_ALL", "STATUS_NOT_DELETE", "STATUS_DELETE", "STATUS_DELIVERY_OK", "STATUS_DISABLE",
    "STATUS_NOT_DELIVERY", "STATUS_TIME_DONE", "STATUS_RF_CLOSED", "STATUS_FROZEN",
})
# Secondary statuses this module derives from operation_status; any other value (budget exceeded,
# in review, not started...) belongs to the market and survives an unrelated status change.
DERIVED = {
    "adgroup": frozenset({"ADGROUP_STATUS_DELIVERY_OK", "ADGROUP_STATUS_DISABLE", "ADGROUP_STATUS_DELETE",
                          "ADGROUP_STATUS_CAMPAIGN_DISABLE", "ADGROUP_STATUS_CAMPAIGN_DELETE"}),
    "ad": frozenset({"AD_STATUS_DELIVERY_OK", "AD_STATUS_DISABLE", "AD_STATUS_DELETE", "AD_STATUS_ADGROUP_DISABLE",
                     "AD_STATUS_CAMPAIGN_DISABLE", "AD_STATUS_ADGROUP_DELETE", "AD_STATUS_CAMPAIGN_DELETE"}),
}
IN_REVIEW = frozenset({"AD_STATUS_AUDIT", "AD_STATUS_AUDIT_DENY", "AD_STATUS_REAUDIT"})


def find(store: Store, kind: str, adv: str, raw_id: Any, field: str) -> Entity:
    """The object, or 40007 -- also for another advertiser's object, so IDs do not leak across accounts."""
    ident = validate.ident(raw_id, field)
    entity = store.table(kind).get(ident)
    if entity is None or entity["advertiser_id"] != adv:
        raise errors.not_exist(kind, ident)
    return entity


def _parents(store: Store, kind: str, entity: Entity) -> tuple[Entity | None, Entity | None]:
    campaign = store.campaigns.get(entity.get("campaign_id", "")) if kind != "campaign" else None
    adgroup = store.adgroups.get(entity.get("adgroup_id", "")) if kind == "ad" else None
    return campaign, adgroup


def is_deleted(store: Store, kind: str, entity: Entity) -> bool:
    """Deleted itself or under a deleted parent: hidden by default and frozen for writes."""
    if entity.get("operation_status") == STATUS_DELETE:
        return True
    return any(p is not None and p.get("operation_status") == STATUS_DELETE for p in _parents(store, kind, entity))


def ensure_changeable(store: Store, kind: str, entity: Entity, field: str) -> None:
    if is_deleted(store, kind, entity):
        ident = entity[KINDS[kind].id_field]
        raise errors.param_error(field, f"The {kind} {ident} has been deleted and cannot be changed.")


def secondary_for(store: Store, kind: str, entity: Entity) -> str:
    """The secondary_status implied by this object's and its parents' operation_status."""
    own, current = entity.get("operation_status"), entity.get("secondary_status", "")
    if kind == "campaign":
        return {STATUS_DELETE: "CAMPAIGN_STATUS_DELETE", STATUS_DISABLE: "CAMPAIGN_STATUS_DISABLE"}.get(
            own, "CAMPAIGN_STATUS_ENABLE")
    prefix = KINDS[kind].status_prefix
    if own == STATUS_DELETE:
        return prefix + "DELETE"
    if kind == "ad" and current in IN_REVIEW:
        return current
    campaign, adgroup = _parents(store, kind, entity)
    chain = [(adgroup, "ADGROUP_"), (campaign, "CAMPAIGN_")]
    for parent, label in chain:
        if parent is not None and parent.get("operation_status") == STATUS_DELETE:
            return f"{prefix}{label}DELETE"
    if own == STATUS_DISABLE:
        return prefix + "DISABLE"
    for parent, label in chain:
        if parent is not None and parent.get("operation_status") == STATUS_DISABLE:
            return f"{prefix}{label}DISABLE"
    return KINDS[kind].delivering if current in DERIVED[kind] else current


def restatus(store: Store, kind: str, entity: Entity) -> None:
    """Recompute secondary_status of ``entity`` and everything below it (call under the lock)."""
    entity["secondary_status"] = secondary_for(store, kind, entity)
    if kind == "campaign":
        groups = [g for g in store.adgroups.values() if g["campaign_id"] == entity["campaign_id"]]
        for group in groups:
            group["secondary_status"] = secondary_for(store, "adgroup", group)
        ids = {g["adgroup_id"] for g in groups}
        children = [a for a in store.ads.values() if a["adgroup_id"] in ids]
    elif kind == "adgroup":
        children = [a for a in store.ads.values() if a["adgroup_id"] == entity["adgroup_id"]]
    else:
        children = []
    for ad in children:
        ad["secondary_status"] = secondary_for(store, "ad", ad)


def recall(store: Store, adv: str, kind: str, request_id: str | None) -> Any:
    """The result of an earlier create with the same request_id ("only one will succeed")."""
    return None if request_id is None else store.create_requests.get((adv, kind, request_id))


def remember(store: Store, adv: str, kind: str, request_id: str | None, result: Any) -> None:
    if request_id is not None:
        store.create_requests[(adv, kind, request_id)] = result


def list_objects(ctx: Ctx, kind: str) -> dict[str, Any]:
    """``*/get/``: filter, hide deleted unless asked, newest first, exact paging, field selection."""
    adv = ctx.advertiser_id()
    fields = [str(f) for f in as_list(ctx.get("fields"), "fields")]
    raw_filter = ctx.get("filtering") if "filtering" in ctx.params else ctx.get("filters")
    predicates = _predicates(ctx.emulator.store, kind, as_dict(raw_filter, "filtering"))
    store = ctx.emulator.store
    with store.lock:
        rows = [e for e in store.table(kind).values()
                if e["advertiser_id"] == adv and all(p(e) for p in predicates)]
        id_field = KINDS[kind].id_field
        rows.sort(key=lambda e: (e["create_time"], e[id_field]), reverse=True)
        page, info = paginate(rows, ctx.params)
        listed = [serialize(e, fields or None, string_ids=ctx.string_ids) for e in page]
    return {"list": listed, "page_info": info}


def _predicates(store: Store, kind: str, filtering: dict[str, Any]) -> list[Predicate]:
    preds: list[Predicate] = []
    for key, field in (("campaign_ids", "campaign_id"), ("adgroup_ids", "adgroup_id"), ("ad_ids", "ad_id")):
        if key in filtering and field in _fields_of(kind):
            wanted = _filter_ids(filtering[key], key)
            preds.append(lambda e, f=field, w=wanted: e[f] in w)
    name_field = KINDS[kind].name_field
    if filtering.get(name_field):
        needle = str(filtering[name_field]).lower()
        preds.append(lambda e: needle in str(e.get(name_field, "")).lower())
    if kind == "campaign" and filtering.get("campaign_type"):
        preds.append(lambda e: e.get("campaign_type") == filtering["campaign_type"])
    if filtering.get("objective_type"):
        wanted_obj = filtering["objective_type"]
        preds.append(lambda e: _campaign_of(store, kind, e).get("objective_type") == wanted_obj)
    if kind != "campaign" and filtering.get("billing_events"):
        events = set(as_list(filtering["billing_events"], "filtering.billing_events"))
        preds.append(lambda e: (e if kind == "adgroup" else store.adgroups.get(e["adgroup_id"], {}))
                     .get("billing_event") in events)
    preds.extend(_time_predicates(filtering))
    preds.append(_status_predicate(store, kind, filtering))
    return preds


def _fields_of(kind: str) -> tuple[str, ...]:
    return {"campaign": ("campaign_id",), "adgroup": ("campaign_id", "adgroup_id"),
            "ad": ("campaign_id", "adgroup_id", "ad_id")}[kind]


def _campaign_of(store: Store, kind: str, entity: Entity) -> Entity:
    return entity if kind == "campaign" else store.campaigns.get(entity["campaign_id"], {})


def _filter_ids(value: Any, key: str) -> set[str]:
    items = as_list(value, f"filtering.{key}")
    if len(items) > MAX_FILTER_IDS:
        raise errors.ApiError(errors.ID_LIMIT_EXCEED,
                              f"filtering.{key}: at most {MAX_FILTER_IDS} IDs per request, got {len(items)}")
    return {validate.ident(v, f"filtering.{key}") for v in items}


def _time_predicates(filtering: dict[str, Any]) -> list[Predicate]:
    start = validate.when(filtering, "creation_filter_start_time")
    end = validate.when(filtering, "creation_filter_end_time")
    preds: list[Predicate] = []
    if start is not None:
        preds.append(lambda e: e["create_time"] >= start)
    if end is not None:
        preds.append(lambda e: e["create_time"] <= end)
    return preds


def _status_predicate(store: Store, kind: str, filtering: dict[str, Any]) -> Predicate:
    primary = filtering.get("primary_status") or None
    secondary = filtering.get("secondary_status") or None
    prefix = KINDS[kind].status_prefix
    if primary is not None and primary not in PRIMARY_STATUSES:
        raise errors.param_error("filtering.primary_status", f"invalid value {primary!r}")
    if secondary is not None and (not isinstance(secondary, str) or not secondary.startswith(prefix)):
        raise errors.param_error("filtering.secondary_status", f"invalid value {secondary!r}; must start with {prefix}")
    show_all = primary == "STATUS_ALL" or secondary == prefix + "ALL"
    wants_deleted = primary == "STATUS_DELETE" or (secondary or "").endswith("DELETE")

    def keep(e: Entity) -> bool:
        deleted = is_deleted(store, kind, e)
        if deleted and not (show_all or wants_deleted):
            return False
        if primary is not None and not _primary_match(kind, primary, e, deleted):
            return False
        if secondary is None or secondary in (prefix + "ALL",):
            return True
        if secondary == prefix + "NOT_DELETE":
            return not deleted
        return e.get("secondary_status") == secondary

    return keep


def _primary_match(kind: str, primary: str, e: Entity, deleted: bool) -> bool:
    delivering = e.get("secondary_status") == KINDS[kind].delivering
    return {
        "STATUS_ALL": True, "STATUS_NOT_DELETE": not deleted, "STATUS_DELETE": deleted,
        "STATUS_DELIVERY_OK": delivering and not deleted,
        "STATUS_DISABLE": e.get("operation_status") == STATUS_DISABLE and not deleted,
        "STATUS_NOT_DELIVERY": not delivering and not deleted,
        "STATUS_TIME_DONE": str(e.get("secondary_status", "")).endswith(("TIME_DONE", "_DONE")),
        "STATUS_FROZEN": e.get("operation_status") == "FROZEN",
    }.get(primary, False)
