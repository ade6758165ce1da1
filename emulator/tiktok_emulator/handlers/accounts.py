"""advertiser/info/ and identity/get/: the account-level reads every client starts with.

``advertiser/info/`` is not paginated although Airbyte sends ``page_size=100``; its ``create_time`` is
a unix integer, unlike every other entity time (tiktok-api.md §1.7).
"""
from __future__ import annotations

from typing import Any

from .. import errors
from ..params import as_dict, as_list, paginate
from ..routing import Ctx, route
from ..store import serialize
from . import validate

MAX_ADVERTISER_IDS = 100
IDENTITY_PAGE_MAX = 100


@route("GET", "advertiser/info/")
def advertiser_info(ctx: Ctx) -> dict[str, Any]:
    raw = as_list(ctx.get("advertiser_ids"), "advertiser_ids")
    if not raw:
        raise errors.missing("advertiser_ids")
    if len(raw) > MAX_ADVERTISER_IDS:
        raise errors.param_error("advertiser_ids", f"at most {MAX_ADVERTISER_IDS} IDs, got {len(raw)}")
    ids = list(dict.fromkeys(validate.ident(v, "advertiser_ids") for v in raw))
    for adv in ids:
        ctx.check_advertiser(adv, "advertiser_ids")
    fields = [str(f) for f in as_list(ctx.get("fields"), "fields")] or None
    store = ctx.emulator.store
    with store.lock:
        listed = [serialize(store.advertisers[adv], fields, string_ids=ctx.string_ids) for adv in ids]
    return {"list": listed}


@route("GET", "identity/get/")
def identity_get(ctx: Ctx) -> dict[str, Any]:
    adv = ctx.advertiser_id()
    kind = ctx.get("identity_type")
    if kind not in (None, "") and kind not in validate.IDENTITY_TYPES:
        raise errors.param_error("identity_type", f"invalid value {kind!r}; allowed: "
                                                  f"{', '.join(sorted(validate.IDENTITY_TYPES))}")
    if kind == "BC_AUTH_TT" and not ctx.get("identity_authorized_bc_id"):
        raise errors.missing("identity_authorized_bc_id")
    keyword = str(as_dict(ctx.get("filtering"), "filtering").get("keyword") or "").lower()
    store = ctx.emulator.store
    with store.lock:
        found = [i for i in store.identities.values()
                 if i.get("advertiser_id") == adv and (not kind or i["identity_type"] == kind)
                 and keyword in str(i.get("display_name", "")).lower()]
        found.sort(key=lambda i: (i.get("display_name") or "", i["identity_id"]))
        page, info = paginate(found, ctx.params, default_size=10, max_size=IDENTITY_PAGE_MAX)
        listed = [{k: v for k, v in serialize(i, string_ids=ctx.string_ids).items() if k != "advertiser_id"}
                  for i in page]
    return {"identity_list": listed, "page_info": info}
