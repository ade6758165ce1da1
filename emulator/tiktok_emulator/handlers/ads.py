"""ad/get|create|update|status/update/ (v1.3) and v1.2 ad/create/ (flat form, no ``creatives``).

New ads start in review (``AD_STATUS_AUDIT``); the market decides approval later, so these handlers
never overwrite a review status -- only a delete ends it.
"""
from __future__ import annotations

from typing import Any

from .. import errors
from ..entities import make_ad
from ..routing import Ctx, route
from ..store import Store, serialize
from . import objects, validate

MAX_CREATIVES = 20
CREATIVE_FIELDS = ("ad_name", "ad_format", "ad_text", "call_to_action", "identity_type", "identity_id",
                   "display_name", "video_id", "image_ids", "landing_page_url", "operation_status",
                   "deeplink", "tracking_pixel_id", "page_id")
PASS_THROUGH = ("deeplink", "tracking_pixel_id", "page_id")


@route("GET", "ad/get/")
def ad_get(ctx: Ctx) -> dict[str, Any]:
    return objects.list_objects(ctx, "ad")


@route("POST", "ad/create/", v12="ad/create/")
def ad_create(ctx: Ctx) -> dict[str, Any]:
    body, store, now = ctx.params, ctx.emulator.store, ctx.emulator.clock.now()
    adv = ctx.advertiser_id()
    key = validate.request_key(body)
    with store.lock:
        ad_ids = objects.recall(store, adv, "ad", key)
        if ad_ids is None:
            adgroup = _adgroup(store, adv, body)
            flat = ctx.version == "v1.2" and "creatives" not in body
            creatives = [{k: body[k] for k in CREATIVE_FIELDS if k in body}] if flat else _creatives(body)
            checked = [_creative(store, adv, c, "" if flat else f"creatives[{i}].") for i, c in enumerate(creatives)]
            ad_ids = []
            for fields in checked:
                ad = make_ad(store, adv, adgroup, fields, now)
                ctx.emulator.market.register_ad(ad)
                ad_ids.append(ad["ad_id"])
            objects.remember(store, adv, "ad", key, ad_ids)
        return _answer(ctx, [store.ads[i] for i in ad_ids])


def _answer(ctx: Ctx, ads: list[dict[str, Any]]) -> dict[str, Any]:
    listed = [serialize(ad, string_ids=ctx.string_ids) for ad in ads]
    return {"ad_ids": [a["ad_id"] for a in listed], "creatives": listed}


def _adgroup(store: Store, adv: str, body: dict[str, Any]) -> dict[str, Any]:
    if not validate.present(body, "adgroup_id"):
        raise errors.missing("adgroup_id")
    adgroup = objects.find(store, "adgroup", adv, body["adgroup_id"], "adgroup_id")
    objects.ensure_changeable(store, "adgroup", adgroup, "adgroup_id")
    return adgroup


def _creatives(body: dict[str, Any]) -> list[dict[str, Any]]:
    creatives = body.get("creatives")
    if creatives in (None, "", []):
        raise errors.missing("creatives")
    if not isinstance(creatives, list) or not all(isinstance(c, dict) for c in creatives):
        raise errors.param_error("creatives", "must be an array of creative objects")
    if len(creatives) > MAX_CREATIVES:
        raise errors.param_error("creatives", f"at most {MAX_CREATIVES} creatives per request, got {len(creatives)}")
    return creatives


def _creative(store: Store, adv: str, creative: dict[str, Any], prefix: str) -> dict[str, Any]:
    """One creative, checked; field names in errors carry ``prefix`` (``creatives[2].ad_text``)."""
    c = {prefix + k: v for k, v in creative.items()}
    fields: dict[str, Any] = {
        "ad_name": validate.text(c, prefix + "ad_name", required=True),
        "ad_format": validate.enum(c, prefix + "ad_format", validate.AD_FORMATS, required=True),
        "ad_text": validate.text(c, prefix + "ad_text", required=True, max_len=100),
        "operation_status": validate.enum(c, prefix + "operation_status", validate.CREATE_STATUSES, default="ENABLE"),
    }
    if validate.present(c, prefix + "call_to_action"):
        fields["call_to_action"] = validate.enum(c, prefix + "call_to_action", validate.CALL_TO_ACTIONS)
    if validate.present(c, prefix + "landing_page_url"):
        url = validate.text(c, prefix + "landing_page_url", max_len=2048)
        if not url.startswith(("http://", "https://")):
            raise errors.param_error(prefix + "landing_page_url", f"must be an http(s) URL, got {url!r}")
        fields["landing_page_url"] = url
    fields.update(_identity(store, adv, c, prefix))
    fields.update(_media(store, adv, c, prefix, fields["ad_format"]))
    for name in PASS_THROUGH:
        if validate.present(c, prefix + name):
            fields[name] = str(c[prefix + name])
    return fields


def _identity(store: Store, adv: str, c: dict[str, Any], prefix: str) -> dict[str, Any]:
    """identity_type + identity_id (v1.3), or just a display_name (the v1.2 form)."""
    out: dict[str, Any] = {"identity_type": validate.enum(c, prefix + "identity_type", validate.IDENTITY_TYPES,
                                                          default="CUSTOMIZED_USER")}
    if validate.present(c, prefix + "display_name"):
        out["display_name"] = validate.text(c, prefix + "display_name", max_len=40)
    if not validate.present(c, prefix + "identity_id"):
        if "display_name" not in out:
            raise errors.missing(prefix + "identity_id")
        return out
    identity_id = str(c[prefix + "identity_id"])
    if out["identity_type"] == "CUSTOMIZED_USER":
        identity = store.identities.get(identity_id)
        if identity is None or identity.get("advertiser_id") != adv:
            raise errors.not_exist("identity", identity_id)
    out["identity_id"] = identity_id
    return out


def _media(store: Store, adv: str, c: dict[str, Any], prefix: str, ad_format: str) -> dict[str, Any]:
    """The video (SINGLE_VIDEO) or images (SINGLE_IMAGE, carousels) must be this advertiser's uploads."""
    out: dict[str, Any] = {}
    if validate.present(c, prefix + "video_id") or ad_format == "SINGLE_VIDEO":
        if not validate.present(c, prefix + "video_id"):
            raise errors.missing(prefix + "video_id")
        video_id = str(c[prefix + "video_id"])
        video = store.videos.get(video_id)
        if video is None or video.get("advertiser_id") != adv:
            raise errors.not_exist("video", video_id)
        out["video_id"] = video_id
    needs_images = ad_format in ("SINGLE_IMAGE", "CAROUSEL", "CAROUSEL_ADS")
    if validate.present(c, prefix + "image_ids") or needs_images:
        if not validate.present(c, prefix + "image_ids"):
            raise errors.missing(prefix + "image_ids")
        image_ids = validate.str_list(c, prefix + "image_ids")
        for image_id in image_ids:
            image = store.images.get(image_id)
            if image is None or image.get("advertiser_id") != adv:
                raise errors.not_exist("image", image_id)
        out["image_ids"] = image_ids
    return out


@route("POST", "ad/update/")
def ad_update(ctx: Ctx) -> dict[str, Any]:
    """Replace (or with ``patch_update`` merge) the creatives of existing ads of one ad group."""
    body, store = ctx.params, ctx.emulator.store
    adv = ctx.advertiser_id()
    patch = validate.flag(body, "patch_update")
    with store.lock:
        adgroup = _adgroup(store, adv, body)
        plan = []
        for i, creative in enumerate(_creatives(body)):
            prefix = f"creatives[{i}]."
            if not validate.present(creative, "ad_id"):
                raise errors.missing(prefix + "ad_id")
            ad = objects.find(store, "ad", adv, creative["ad_id"], prefix + "ad_id")
            if ad["adgroup_id"] != adgroup["adgroup_id"]:
                raise errors.param_error(prefix + "ad_id", f"ad {ad['ad_id']} is not in ad group {adgroup['adgroup_id']}")
            objects.ensure_changeable(store, "ad", ad, prefix + "ad_id")
            base = {k: ad[k] for k in CREATIVE_FIELDS if ad.get(k) not in (None, "", [])} if patch else {}
            merged = {**base, **{k: v for k, v in creative.items() if k != "ad_id"}}
            merged.pop("operation_status", None)
            plan.append((ad, _creative(store, adv, merged, prefix)))
        for ad, fields in plan:
            fields.pop("operation_status", None)
            changed = {k: v for k, v in fields.items() if ad.get(k) != v}
            ad.update(changed)
            if changed:
                ad["modify_time"] = ctx.emulator.clock.now()
        return _answer(ctx, [ad for ad, _ in plan])


@route("POST", "ad/status/update/")
def ad_status_update(ctx: Ctx) -> dict[str, Any]:
    body, store = ctx.params, ctx.emulator.store
    adv = ctx.advertiser_id()
    aco = validate.ids(body, "aco_ad_ids", required=False)
    ids = validate.ids(body, "ad_ids", required=not aco)
    status = validate.enum(body, "operation_status", validate.OPERATION_STATUSES, required=True)
    if aco:  # the emulator has no automated-creative (ACO) ads
        raise errors.not_exist("ad", aco[0])
    with store.lock:
        ads = [objects.find(store, "ad", adv, i, "ad_ids") for i in ids]
        for ad in ads:
            objects.ensure_changeable(store, "ad", ad, "ad_ids")
        for ad in ads:
            if ad["operation_status"] != status:
                ad["operation_status"] = status
                ad["modify_time"] = ctx.emulator.clock.now()
            objects.restatus(store, "ad", ad)
    wire = [i if ctx.string_ids else int(i) for i in ids]
    return {"ad_ids": wire, "aco_ad_ids": [], "status": status}
