"""campaign/get|create|update|status/update/ (v1.3) and the v1.2 paths the requirements name.

Budget and status changes are reported to the market for every ad group of the campaign (field
``campaign_<name>``), because delivery happens at ad-group level and the market must re-plan there.
"""
from __future__ import annotations

from typing import Any

from .. import errors
from ..entities import make_campaign
from ..routing import ROUTES, Ctx, Route, route
from ..store import STATUS_DELETE, serialize
from . import objects, validate
from .validate import CAMPAIGN_BUDGET_MIN, LIMITED_BUDGET_MODES


@route("GET", "campaign/get/", v12="campaign/get/")
def campaign_get(ctx: Ctx) -> dict[str, Any]:
    return objects.list_objects(ctx, "campaign")


@route("POST", "campaign/create/", v12="campaign/create/")
def campaign_create(ctx: Ctx) -> dict[str, Any]:
    body, store = ctx.params, ctx.emulator.store
    adv = ctx.advertiser_id()
    key = validate.request_key(body)
    with store.lock:
        prior = objects.recall(store, adv, "campaign", key)
    if prior is None:
        fields = _create_fields(body)
        with store.lock:
            prior = objects.recall(store, adv, "campaign", key)
            if prior is None:
                campaign = make_campaign(store, adv, fields, ctx.emulator.clock.now())
                objects.restatus(store, "campaign", campaign)
                objects.remember(store, adv, "campaign", key, campaign["campaign_id"])
                prior = campaign["campaign_id"]
    with store.lock:
        return serialize(store.campaigns[prior], string_ids=ctx.string_ids)


def _create_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Checked create parameters, in entity form (ready for ``entities.make_campaign``)."""
    fields: dict[str, Any] = {
        "campaign_name": validate.text(body, "campaign_name", required=True),
        "objective_type": validate.enum(body, "objective_type", validate.OBJECTIVE_TYPES, required=True),
        "campaign_type": validate.enum(body, "campaign_type", validate.CAMPAIGN_TYPES, default="REGULAR_CAMPAIGN"),
        "special_industries": validate.enum_list(body, "special_industries", validate.SPECIAL_INDUSTRIES),
        "budget_optimize_on": validate.flag(body, "budget_optimize_on"),
        "operation_status": validate.enum(body, "operation_status", validate.CREATE_STATUSES, default="ENABLE"),
    }
    mode = validate.enum(body, "budget_mode", validate.BUDGET_MODES, default="BUDGET_MODE_INFINITE")
    if fields["budget_optimize_on"] and mode != "BUDGET_MODE_DAY":
        raise errors.param_error("budget_mode", "campaign budget optimization (budget_optimize_on) "
                                                "requires BUDGET_MODE_DAY")
    limited = mode in LIMITED_BUDGET_MODES
    fields["budget_mode"] = mode
    fields["budget"] = validate.money(body, "budget", required=limited,
                                      minimum=CAMPAIGN_BUDGET_MIN if limited else None, default=0.0)
    if validate.present(body, "optimization_goal"):
        fields["optimization_goal"] = validate.enum(body, "optimization_goal", validate.OPTIMIZATION_GOALS)
    for name in ("app_promotion_type", "rf_campaign_type", "app_id"):
        if validate.present(body, name):
            fields[name] = str(body[name])
    return fields


@route("POST", "campaign/update/", v12="campaign/update/")
def campaign_update(ctx: Ctx) -> dict[str, Any]:
    body, store = ctx.params, ctx.emulator.store
    adv = ctx.advertiser_id()
    if not validate.present(body, "campaign_id"):
        raise errors.missing("campaign_id")
    with store.lock:
        campaign = objects.find(store, "campaign", adv, body["campaign_id"], "campaign_id")
        objects.ensure_changeable(store, "campaign", campaign, "campaign_id")
        changes = _update_fields(body, campaign)
        _apply_campaign(ctx, campaign, changes)
        return serialize(campaign, string_ids=ctx.string_ids)


def _update_fields(body: dict[str, Any], campaign: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if validate.present(body, "campaign_name"):
        changes["campaign_name"] = validate.text(body, "campaign_name")
    mode = validate.enum(body, "budget_mode", validate.BUDGET_MODES, default=campaign["budget_mode"])
    limited = mode in LIMITED_BUDGET_MODES
    budget = validate.money(body, "budget", minimum=CAMPAIGN_BUDGET_MIN if limited else None)
    if budget is None and limited and campaign["budget"] < CAMPAIGN_BUDGET_MIN:
        raise errors.missing("budget")
    if mode != campaign["budget_mode"]:
        changes["budget_mode"] = mode
    if budget is not None:
        changes["budget"] = budget
    if validate.present(body, "roas_bid"):
        changes["roas_bid"] = validate.money(body, "roas_bid")
    if "special_industries" in body:
        changes["special_industries"] = validate.enum_list(body, "special_industries", validate.SPECIAL_INDUSTRIES)
    if validate.present(body, "po_number"):
        changes["po_number"] = validate.text(body, "po_number", max_len=100)
    return changes


def _apply_campaign(ctx: Ctx, campaign: dict[str, Any], changes: dict[str, Any]) -> None:
    """Write changes, keep children's copies of the name in step and tell the market (under the lock)."""
    store, market = ctx.emulator.store, ctx.emulator.market
    groups = [g for g in store.adgroups.values() if g["campaign_id"] == campaign["campaign_id"]]
    for name, new in changes.items():
        old = campaign.get(name)
        if old == new:
            continue
        campaign[name] = new
        if name in ("budget", "budget_mode", "operation_status"):
            for group in groups:
                market.note_change(group["adgroup_id"], "campaign_" + name, old, new)
        if name == "campaign_name":
            for child in [*groups, *(a for a in store.ads.values() if a["campaign_id"] == campaign["campaign_id"])]:
                child["campaign_name"] = new
        campaign["modify_time"] = ctx.emulator.clock.now()
    if "operation_status" in changes:
        objects.restatus(store, "campaign", campaign)


@route("POST", "campaign/status/update/")
def campaign_status_update(ctx: Ctx) -> dict[str, Any]:
    body = ctx.params
    adv = ctx.advertiser_id()
    ids = validate.ids(body, "campaign_ids")
    status = validate.enum(body, "operation_status", validate.OPERATION_STATUSES, required=True)
    _set_status(ctx, adv, ids, status, "campaign_ids")
    wire = [serialize({"campaign_id": i}, string_ids=ctx.string_ids)["campaign_id"] for i in ids]
    return {"campaign_ids": wire, "status": status,
            "campaign_list": [{"campaign_id": w, "status": status} for w in wire]}


def _set_status(ctx: Ctx, adv: str, ids: list[str], status: str, field: str) -> None:
    """All-or-nothing: every ID is checked before any campaign changes."""
    store = ctx.emulator.store
    with store.lock:
        campaigns = [objects.find(store, "campaign", adv, i, field) for i in ids]
        for campaign in campaigns:
            objects.ensure_changeable(store, "campaign", campaign, field)
        for campaign in campaigns:
            _apply_campaign(ctx, campaign, {"operation_status": status})


def campaign_delete(ctx: Ctx) -> dict[str, Any]:
    """v1.2 only: logical delete of up to 20 campaigns (v1.3 uses status/update with DELETE)."""
    adv = ctx.advertiser_id()
    ids = validate.ids(ctx.params, "campaign_ids")
    _set_status(ctx, adv, ids, STATUS_DELETE, "campaign_ids")
    return {"campaign_ids": [serialize({"campaign_id": i}, string_ids=False)["campaign_id"] for i in ids]}


ROUTES[("v1.2", "POST", "campaign/delete/")] = Route("POST", "campaign/delete/", campaign_delete, True, True)
