"""adgroup/get|create|update|budget/update|status/update/ (v1.3) and v1.2 adgroup/create/.

Every budget, bid and operation_status change goes to ``market.note_change``: the market restarts
learning on large changes, so a change it does not hear about would make the simulation lie.
"""
from __future__ import annotations

from typing import Any

from .. import errors
from ..entities import make_adgroup
from ..routing import Ctx, route
from ..store import serialize
from . import objects, validate
from .validate import ADGROUP_BUDGET_MIN, LIMITED_BUDGET_MODES

ALL_PLACEMENTS = ["PLACEMENT_TIKTOK", "PLACEMENT_PANGLE", "PLACEMENT_GLOBAL_APP_BUNDLE"]
MARKET_FIELDS = frozenset({"budget", "bid_price", "conversion_bid_price", "bid_type", "operation_status"})
UPDATABLE_LISTS = ("location_ids", "languages", "operating_systems", "interest_category_ids", "audience_ids")


@route("GET", "adgroup/get/")
def adgroup_get(ctx: Ctx) -> dict[str, Any]:
    return objects.list_objects(ctx, "adgroup")


@route("POST", "adgroup/create/", v12="adgroup/create/")
def adgroup_create(ctx: Ctx) -> dict[str, Any]:
    body, store, now = ctx.params, ctx.emulator.store, ctx.emulator.clock.now()
    adv = ctx.advertiser_id()
    key = validate.request_key(body)
    with store.lock:
        prior = objects.recall(store, adv, "adgroup", key)
        if prior is None:
            if not validate.present(body, "campaign_id"):
                raise errors.missing("campaign_id")
            campaign = objects.find(store, "campaign", adv, body["campaign_id"], "campaign_id")
            objects.ensure_changeable(store, "campaign", campaign, "campaign_id")
            fields = _create_fields(body, campaign, now)
            adgroup = make_adgroup(store, adv, campaign, fields, now)
            objects.restatus(store, "adgroup", adgroup)
            ctx.emulator.market.register_adgroup(adgroup)
            objects.remember(store, adv, "adgroup", key, adgroup["adgroup_id"])
            prior = adgroup["adgroup_id"]
        return serialize(store.adgroups[prior], string_ids=ctx.string_ids)


def _create_fields(body: dict[str, Any], campaign: dict[str, Any], now) -> dict[str, Any]:
    fields: dict[str, Any] = {"adgroup_name": validate.text(body, "adgroup_name", required=True)}
    fields.update(_placement(body))
    fields.update(_budget(body, campaign))
    fields.update(_schedule(body, now))
    fields.update(_targeting(body, {}))
    fields.update(_bidding(body, {}))
    fields["operation_status"] = validate.enum(body, "operation_status", validate.CREATE_STATUSES, default="ENABLE")
    for name in ("promotion_type", "optimization_event"):
        if validate.present(body, name):
            fields[name] = validate.text(body, name, max_len=100)
    if validate.present(body, "pixel_id"):
        fields["pixel_id"] = validate.ident(body["pixel_id"], "pixel_id")
    return fields


def _placement(body: dict[str, Any]) -> dict[str, Any]:
    """v1.3 ``placement_type`` (+ ``placements``), or the v1.2 form: a ``placement`` list alone."""
    name = "placements" if validate.present(body, "placements") else "placement"
    listed = validate.enum_list(body, name, validate.PLACEMENTS | {"PLACEMENT_AUTOMATIC"})
    kind = validate.enum(body, "placement_type", validate.PLACEMENT_TYPES)
    if kind is None:
        if not listed:
            raise errors.missing("placement_type")
        kind = "PLACEMENT_TYPE_AUTOMATIC" if "PLACEMENT_AUTOMATIC" in listed else "PLACEMENT_TYPE_NORMAL"
    listed = [p for p in listed if p != "PLACEMENT_AUTOMATIC"]
    if kind == "PLACEMENT_TYPE_AUTOMATIC":
        return {"placement_type": kind, "placements": list(ALL_PLACEMENTS)}
    if not listed:
        raise errors.missing("placements")
    return {"placement_type": kind, "placements": listed}


def _budget(body: dict[str, Any], campaign: dict[str, Any]) -> dict[str, Any]:
    """Ad-group budget (≥ 20 for DAY/TOTAL); not needed under a budget-optimised (CBO) campaign."""
    cbo = bool(campaign.get("budget_optimize_on"))
    mode = validate.enum(body, "budget_mode", validate.BUDGET_MODES,
                         default="BUDGET_MODE_INFINITE" if cbo else "BUDGET_MODE_DAY")
    limited = mode in LIMITED_BUDGET_MODES
    budget = validate.money(body, "budget", required=limited and not cbo,
                            minimum=ADGROUP_BUDGET_MIN if limited else None, default=0.0)
    return {"budget_mode": mode, "budget": budget}


def _schedule(body: dict[str, Any], now) -> dict[str, Any]:
    kind = validate.enum(body, "schedule_type", validate.SCHEDULE_TYPES, default="SCHEDULE_FROM_NOW")
    start = validate.when(body, "schedule_start_time") or now
    end = validate.when(body, "schedule_end_time")
    if kind == "SCHEDULE_START_END" and end is None:
        raise errors.missing("schedule_end_time")
    if end is not None and end <= start:
        raise errors.param_error("schedule_end_time", "must be later than schedule_start_time")
    out = {"schedule_type": kind, "schedule_start_time": start, "schedule_end_time": end}
    if validate.present(body, "dayparting"):
        out["dayparting"] = _dayparting(body["dayparting"])
    return out


def _dayparting(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 336 or set(value) - {"0", "1"}:
        raise errors.param_error("dayparting", "must be a 336-character string of 0 and 1 (7 days x 48 half hours)")
    return value


def _targeting(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Audience fields; on update only those present in ``body`` come back."""
    out: dict[str, Any] = {}
    if validate.present(body, "gender") or not current:
        out["gender"] = validate.enum(body, "gender", validate.GENDERS, default="GENDER_UNLIMITED")
    if validate.present(body, "age_groups"):
        out["age_groups"] = validate.enum_list(body, "age_groups", validate.AGE_GROUPS)
    for name in UPDATABLE_LISTS:
        if validate.present(body, name):
            out[name] = validate.str_list(body, name)
    return out


def _bidding(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Bid fields merged over ``current``; BID_TYPE_CUSTOM needs a positive bid to bid with."""
    out: dict[str, Any] = {}
    for name, allowed in (("optimization_goal", validate.OPTIMIZATION_GOALS), ("bid_type", validate.BID_TYPES),
                          ("billing_event", validate.BILLING_EVENTS), ("deep_bid_type", validate.DEEP_BID_TYPES),
                          ("pacing", validate.PACINGS)):
        if validate.present(body, name):
            out[name] = validate.enum(body, name, allowed)
    for name in ("bid_price", "conversion_bid_price", "roas_bid"):
        if validate.present(body, name):
            out[name] = validate.money(body, name)
    merged = {"bid_type": "BID_TYPE_NO_BID", "bid_price": 0.0, "conversion_bid_price": 0.0, **current, **out}
    if merged["bid_type"] == "BID_TYPE_CUSTOM" and not (merged["bid_price"] or merged["conversion_bid_price"]):
        raise errors.param_error("bid_price", "BID_TYPE_CUSTOM needs bid_price or conversion_bid_price > 0")
    return out


@route("POST", "adgroup/update/")
def adgroup_update(ctx: Ctx) -> dict[str, Any]:
    body, store = ctx.params, ctx.emulator.store
    adv = ctx.advertiser_id()
    if not validate.present(body, "adgroup_id"):
        raise errors.missing("adgroup_id")
    with store.lock:
        adgroup = objects.find(store, "adgroup", adv, body["adgroup_id"], "adgroup_id")
        objects.ensure_changeable(store, "adgroup", adgroup, "adgroup_id")
        changes = _update_fields(body, adgroup)
        apply_changes(ctx, adgroup, changes)
        return serialize(adgroup, string_ids=ctx.string_ids)


def _update_fields(body: dict[str, Any], adgroup: dict[str, Any]) -> dict[str, Any]:
    for name, current in (("placement_type", adgroup["placement_type"]), ("placements", adgroup["placements"]),
                          ("placement", adgroup["placements"])):
        value = body.get(name)
        same = sorted(value) == sorted(current) if isinstance(value, list) else value == current
        if validate.present(body, name) and not same:
            raise errors.param_error(name, "placements cannot be changed after the ad group is created")
    changes: dict[str, Any] = {}
    if validate.present(body, "adgroup_name"):
        changes["adgroup_name"] = validate.text(body, "adgroup_name")
    if validate.present(body, "budget"):
        limited = adgroup["budget_mode"] in LIMITED_BUDGET_MODES
        changes["budget"] = validate.money(body, "budget", minimum=ADGROUP_BUDGET_MIN if limited else None)
    start = validate.when(body, "schedule_start_time") or adgroup["schedule_start_time"]
    end = validate.when(body, "schedule_end_time") or adgroup["schedule_end_time"]
    if end is not None and end <= start:
        raise errors.param_error("schedule_end_time", "must be later than schedule_start_time")
    changes.update({k: v for k, v in (("schedule_start_time", start), ("schedule_end_time", end))
                    if validate.present(body, k)})
    if validate.present(body, "dayparting"):
        changes["dayparting"] = _dayparting(body["dayparting"])
    changes.update(_targeting(body, adgroup))
    changes.update(_bidding(body, adgroup))
    if validate.present(body, "optimization_event"):
        changes["optimization_event"] = validate.text(body, "optimization_event", max_len=100)
    return changes


def apply_changes(ctx: Ctx, adgroup: dict[str, Any], changes: dict[str, Any]) -> None:
    """Write changes, tell the market about budget/bid/status, keep ads' adgroup_name (under the lock)."""
    store, market = ctx.emulator.store, ctx.emulator.market
    changed = False
    for name, new in changes.items():
        old = adgroup.get(name)
        if old == new:
            continue
        adgroup[name], changed = new, True
        if name in MARKET_FIELDS:
            market.note_change(adgroup["adgroup_id"], name, old, new)
        if name == "adgroup_name":
            for ad in store.ads.values():
                if ad["adgroup_id"] == adgroup["adgroup_id"]:
                    ad["adgroup_name"] = new
    if changed:
        adgroup["modify_time"] = ctx.emulator.clock.now()
    if "operation_status" in changes:
        objects.restatus(store, "adgroup", adgroup)


@route("POST", "adgroup/budget/update/")
def adgroup_budget_update(ctx: Ctx) -> dict[str, Any]:
    """Absolute budgets for several ad groups in one call; all entries are checked before any applies."""
    body, store = ctx.params, ctx.emulator.store
    adv = ctx.advertiser_id()
    if not (validate.present(body, "budget") or validate.present(body, "schedule_budget")):
        raise errors.missing("budget")
    with store.lock:
        plan = [*_budget_entries(store, adv, body, "budget"), *_budget_entries(store, adv, body, "schedule_budget")]
        for adgroup, amount in plan:
            apply_changes(ctx, adgroup, {"budget": amount})
    return {}


def _budget_entries(store, adv: str, body: dict[str, Any], name: str) -> list[tuple[dict[str, Any], float]]:
    entries = body.get(name) or []
    if not isinstance(entries, list):
        raise errors.param_error(name, f"must be an array of {{adgroup_id, {name}}}")
    plan = []
    for i, entry in enumerate(entries):
        where = f"{name}[{i}]"
        if not isinstance(entry, dict) or not validate.present(entry, "adgroup_id"):
            raise errors.missing(f"{where}.adgroup_id")
        adgroup = objects.find(store, "adgroup", adv, entry["adgroup_id"], f"{where}.adgroup_id")
        objects.ensure_changeable(store, "adgroup", adgroup, f"{where}.adgroup_id")
        limited = adgroup["budget_mode"] in LIMITED_BUDGET_MODES
        amount = validate.money({f"{where}.{name}": entry.get(name)}, f"{where}.{name}", required=True,
                                minimum=ADGROUP_BUDGET_MIN if limited else None)
        plan.append((adgroup, amount))
    return plan


@route("POST", "adgroup/status/update/")
def adgroup_status_update(ctx: Ctx) -> Any:
    """ENABLE/DISABLE/DELETE up to 20 ad groups; with allow_partial_success bad IDs go to error_list."""
    body, store = ctx.params, ctx.emulator.store
    adv = ctx.advertiser_id()
    ids = validate.ids(body, "adgroup_ids")
    status = validate.enum(body, "operation_status", validate.OPERATION_STATUSES, required=True)
    partial = validate.flag(body, "allow_partial_success")
    done, error_list = [], []
    with store.lock:
        targets = []
        for ident in ids:
            try:
                adgroup = objects.find(store, "adgroup", adv, ident, "adgroup_ids")
                objects.ensure_changeable(store, "adgroup", adgroup, "adgroup_ids")
            except errors.ApiError as exc:
                if not partial:
                    raise
                error_list.append({"adgroup_id": _wire(ctx, ident), "error_message": exc.message})
                continue
            targets.append(adgroup)
        for adgroup in targets:
            apply_changes(ctx, adgroup, {"operation_status": status})
            done.append(_wire(ctx, adgroup["adgroup_id"]))
    data = {"adgroup_ids": done, "status": status, "error_list": error_list}
    if error_list:
        from ..dispatch import envelope  # late import: dispatch imports the handlers package
        return envelope(20001, "Partial success.", data)
    return data


def _wire(ctx: Ctx, ident: str) -> Any:
    return ident if ctx.string_ids else int(ident)
