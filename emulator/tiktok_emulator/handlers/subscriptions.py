"""Subscription API: where TikTok should send webhooks (tiktok-api.md §5; bububa ``model/subscription``).

These endpoints authenticate the developer app with ``app_id`` + ``secret`` instead of the
Access-Token header, so they register with ``auth=False``. The token inside ``subscription_detail``
is still checked, because revoking it later kills the subscription.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .. import errors
from ..params import as_dict, as_list, paginate
from ..routing import Ctx, route
from ..store import serialize
from ..webhook_rules import SUBSCRIBE_ENTITIES

ADVERTISER_ENTITIES = frozenset({"AD_GROUP", "AD", "LEAD", "CREATIVE_FATIGUE"})
TOKEN_OPTIONAL = frozenset({"API_SERVICE_STATUS", "TCM_VIDEOS"})
LEAD_SOURCES = frozenset({"INSTANT_FORM", "DIRECT_MESSAGE"})
NOTIFY_FREQUENCIES = frozenset({"5_MINUTE", "15_MINUTE", "30_MINUTE", "60_MINUTE"})
MAX_ADVERTISER_IDS = 100


def _check_app(ctx: Ctx) -> str:
    """The caller's app id; 40101 when the app is unknown or the secret does not match."""
    for name in ("app_id", "secret"):
        if ctx.get(name) in (None, ""):
            raise errors.missing(name)
    app_id, secret = str(ctx.get("app_id")), str(ctx.get("secret"))
    app = ctx.emulator.store.apps.get(app_id)
    if app is None or app.get("secret") != secret:
        raise errors.ApiError(errors.INVALID_PARTNER, "Invalid app_id or secret.")
    return app_id


@route("POST", "subscription/subscribe/", auth=False)
def subscribe(ctx: Ctx) -> dict[str, Any]:
    app_id = _check_app(ctx)
    entity = ctx.get("subscribe_entity")
    if entity in (None, ""):
        raise errors.missing("subscribe_entity")
    if entity not in SUBSCRIBE_ENTITIES:
        raise errors.param_error("subscribe_entity", f"must be one of {', '.join(SUBSCRIBE_ENTITIES)}, got {entity!r}")
    url = _callback_url(ctx.get("callback_url"))
    detail = _detail(ctx, app_id, str(entity))
    store = ctx.emulator.store
    sub_id = store.new_id("77")
    with store.lock:
        store.subscriptions[sub_id] = {
            "subscription_id": sub_id, "app_id": app_id, "subscribe_entity": entity, "callback_url": url,
            "subscription_detail": detail, "status": "ACTIVE", "create_time": ctx.emulator.clock.now(),
        }
    return {"subscription_id": sub_id if ctx.string_ids else int(sub_id)}


def _callback_url(value: Any) -> str:
    if value in (None, ""):
        raise errors.missing("callback_url")
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc or len(str(value)) > 1024:
        raise errors.param_error("callback_url", f"must be an http(s) URL, got {value!r}")
    return str(value)


def _detail(ctx: Ctx, app_id: str, entity: str) -> dict[str, Any]:
    """Validate ``subscription_detail`` for the entity, naming the bad field as TikTok does."""
    detail = as_dict(ctx.get("subscription_detail"), "subscription_detail")
    if not detail:
        raise errors.missing("subscription_detail")
    token = detail.get("access_token")
    if token in (None, ""):
        if entity not in TOKEN_OPTIONAL:
            raise errors.missing("subscription_detail.access_token")
    else:
        known = ctx.emulator.store.tokens.get(str(token))
        if known is None or known.revoked or known.app_id != app_id:
            raise errors.ApiError(errors.INVALID_ACCESS_TOKEN,
                                  "subscription_detail.access_token: Access token is incorrect or has been revoked.")
        ctx.token = known  # advertiser checks below run against the subscribing token
    if entity in ADVERTISER_ENTITIES:
        _detail_advertiser(ctx, detail, entity)
    if entity in ("AD_ACCOUNT_SUSPENSION", "REPORT_DATA_CHANGE"):
        _detail_advertiser_ids(ctx, detail, entity)
    if entity == "TCM_VIDEOS" and not detail.get("tto_tmc_account_id"):
        raise errors.missing("subscription_detail.tto_tmc_account_id")
    if entity == "REPORT_DATA_CHANGE":
        freq = detail.setdefault("notify_frequency", "5_MINUTE")
        if freq not in NOTIFY_FREQUENCIES:
            raise errors.param_error("subscription_detail.notify_frequency",
                                     f"must be one of {', '.join(sorted(NOTIFY_FREQUENCIES))}, got {freq!r}")
    return detail


def _detail_advertiser(ctx: Ctx, detail: dict[str, Any], entity: str) -> None:
    adv = detail.get("advertiser_id")
    if entity == "LEAD":
        source = detail.setdefault("lead_source", "INSTANT_FORM")
        if source not in LEAD_SOURCES:
            raise errors.param_error("subscription_detail.lead_source", f"must be INSTANT_FORM or DIRECT_MESSAGE, got {source!r}")
        if not adv and detail.get("library_id"):
            return
    if adv in (None, ""):
        raise errors.missing("subscription_detail.advertiser_id")
    detail["advertiser_id"] = str(adv)
    ctx.check_advertiser(str(adv), "subscription_detail.advertiser_id")


def _detail_advertiser_ids(ctx: Ctx, detail: dict[str, Any], entity: str) -> None:
    ids = [str(a) for a in as_list(detail.get("advertiser_ids"), "subscription_detail.advertiser_ids")]
    if not ids and not (entity == "AD_ACCOUNT_SUSPENSION" and detail.get("bc_id")):
        raise errors.missing("subscription_detail.advertiser_ids")
    if len(ids) > MAX_ADVERTISER_IDS:
        raise errors.param_error("subscription_detail.advertiser_ids", f"at most {MAX_ADVERTISER_IDS} ids, got {len(ids)}")
    for adv in ids:
        ctx.check_advertiser(adv, "subscription_detail.advertiser_ids")
    detail["advertiser_ids"] = ids


@route("GET", "subscription/get/", auth=False)
def get_subscriptions(ctx: Ctx) -> dict[str, Any]:
    """Active subscriptions of the app. ``subscriptions`` is TikTok's key; ``list`` is kept as an alias."""
    app_id = _check_app(ctx)
    entity = ctx.get("subscribe_entity")
    with ctx.emulator.store.lock:
        subs = [s for s in ctx.emulator.store.subscriptions.values()
                if s["app_id"] == app_id and s["status"] == "ACTIVE" and (not entity or s["subscribe_entity"] == entity)]
    page, info = paginate(subs, ctx.params, default_size=10)
    rows = [_public(s, ctx.string_ids) for s in page]
    return {"subscriptions": rows, "list": rows, "page_info": info}


def _public(sub: dict[str, Any], string_ids: bool) -> dict[str, Any]:
    fields = ["app_id", "subscription_id", "subscribe_entity", "callback_url", "subscription_detail"]
    return serialize(sub, fields, string_ids=string_ids)


@route("POST", "subscription/unsubscribe/", auth=False)
def unsubscribe(ctx: Ctx) -> dict[str, Any]:
    app_id = _check_app(ctx)
    sub_id = ctx.get("subscription_id")
    if sub_id in (None, ""):
        raise errors.missing("subscription_id")
    store = ctx.emulator.store
    with store.lock:
        sub = store.subscriptions.get(str(sub_id))
        if sub is None or sub["app_id"] != app_id or sub["status"] != "ACTIVE":
            raise errors.not_exist("subscription", str(sub_id))
        sub["status"] = "DELETED"
    return {"subscription_id": str(sub_id) if ctx.string_ids else int(str(sub_id))}
