"""Input checks for the write endpoints, each failing as TikTok's 40002 with the field named.

TikTok's messages say which field is wrong; a client that logs them can be fixed without guessing,
so every check here takes the field's name and puts it first in the message. Enum sets are those of
tiktok-api.md §4 (mostly [BB] ``enum/*.go``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import errors
from ..clock import parse

OBJECTIVE_TYPES = frozenset({
    "APP_PROMOTION", "WEB_CONVERSIONS", "REACH", "TRAFFIC", "VIDEO_VIEWS", "PRODUCT_SALES", "ENGAGEMENT",
    "LEAD_GENERATION", "RF_REACH", "TOPVIEW_REACH", "RF_TRAFFIC", "RF_VIDEO_VIEW", "RF_ENGAGEMENT",
    "RF_APP_INSTALL", "BRAND_CONSIDERATION", "APP_INSTALL", "CONVERSIONS", "CATALOG_SALES", "SHOP_PURCHASES",
})
BUDGET_MODES = frozenset({"BUDGET_MODE_INFINITE", "BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL",
                          "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"})
LIMITED_BUDGET_MODES = frozenset({"BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL"})
CAMPAIGN_TYPES = frozenset({"REGULAR_CAMPAIGN", "IOS14_CAMPAIGN"})
SPECIAL_INDUSTRIES = frozenset({"HOUSING", "EMPLOYMENT", "CREDIT"})
PLACEMENT_TYPES = frozenset({"PLACEMENT_TYPE_AUTOMATIC", "PLACEMENT_TYPE_NORMAL"})
PLACEMENTS = frozenset({"PLACEMENT_TIKTOK", "PLACEMENT_PANGLE", "PLACEMENT_GLOBAL_APP_BUNDLE"})
OPTIMIZATION_GOALS = frozenset({
    "CLICK", "CONVERT", "INSTALL", "IN_APP_EVENT", "SHOW", "VIDEO_VIEW", "REACH", "LEAD_GENERATION",
    "CONVERSATION", "FOLLOWERS", "PROFILE_VIEWS", "PAGE_VISIT", "PAGE_VISITS", "VALUE",
    "AUTOMATIC_VALUE_OPTIMIZATION", "GMV", "PURCHASES", "INITIATE_CHECKOUTS", "MT_LIVE_ROOM",
    "PRODUCT_CLICK_IN_LIVE", "ENGAGED_VIEW", "ENGAGED_VIEW_FIFTEEN", "TRAFFIC_LANDING_PAGE_VIEW",
    "CONVERSION_LEADS", "DESTINATION_VISIT", "PREFERRED_LEAD",
})
BID_TYPES = frozenset({"BID_TYPE_CUSTOM", "BID_TYPE_NO_BID"})
DEEP_BID_TYPES = frozenset({"DEFAULT", "MIN", "PACING", "VO_MIN", "VO_MIN_ROAS", "VO_HIGHEST_VALUE", "AEO"})
BILLING_EVENTS = frozenset({"CPC", "CPM", "CPV", "OCPC", "OCPM", "GD"})
PACINGS = frozenset({"PACING_MODE_SMOOTH", "PACING_MODE_FAST"})
SCHEDULE_TYPES = frozenset({"SCHEDULE_START_END", "SCHEDULE_FROM_NOW"})
GENDERS = frozenset({"GENDER_MALE", "GENDER_FEMALE", "GENDER_UNLIMITED"})
AGE_GROUPS = frozenset({"AGE_13_17", "AGE_18_24", "AGE_25_34", "AGE_35_44", "AGE_45_54", "AGE_55_100"})
CALL_TO_ACTIONS = frozenset({
    "APPLY_NOW", "BOOK_NOW", "CALL_NOW", "CONTACT_US", "DOWNLOAD_NOW", "EXPERIENCE_NOW", "GET_QUOTE",
    "GET_SHOWTIMES", "GET_TICKETS_NOW", "INSTALL_NOW", "INTERESTED", "LEARN_MORE", "LISTEN_NOW", "ORDER_NOW",
    "PLAY_GAME", "PREORDER_NOW", "READ_MORE", "SEND_MESSAGE", "SHOP_NOW", "SIGN_UP", "SUBSCRIBE", "VIEW_NOW",
    "VIEW_PROFILE", "VISIT_STORE", "WATCH_LIVE", "WATCH_NOW",
})
AD_FORMATS = frozenset({"SINGLE_VIDEO", "SINGLE_IMAGE", "CAROUSEL", "CAROUSEL_ADS", "LIVE_CONTENT",
                        "CATALOG_CAROUSEL"})
IDENTITY_TYPES = frozenset({"CUSTOMIZED_USER", "AUTH_CODE", "TT_USER", "BC_AUTH_TT"})
OPERATION_STATUSES = frozenset({"ENABLE", "DISABLE", "DELETE"})
CREATE_STATUSES = frozenset({"ENABLE", "DISABLE"})
NAME_MAX = 512
CAMPAIGN_BUDGET_MIN = 50.0
ADGROUP_BUDGET_MIN = 20.0


def present(body: dict[str, Any], name: str) -> bool:
    return body.get(name) not in (None, "", [])


def text(body: dict[str, Any], name: str, *, required: bool = False, max_len: int = NAME_MAX,
         min_len: int = 1, default: str | None = None) -> str | None:
    """A string field; TikTok counts characters, so a 512-char limit is 512 code points."""
    if not present(body, name):
        if required:
            raise errors.missing(name)
        return default
    value = body[name]
    if not isinstance(value, str):
        raise errors.param_error(name, f"must be a string, got {value!r}")
    if not min_len <= len(value) <= max_len:
        raise errors.param_error(name, f"length must be between {min_len} and {max_len} characters, "
                                       f"got {len(value)}")
    return value


def enum(body: dict[str, Any], name: str, allowed: frozenset[str], *, required: bool = False,
         default: str | None = None) -> str | None:
    if not present(body, name):
        if required:
            raise errors.missing(name)
        return default
    value = body[name]
    if value not in allowed:
        raise errors.param_error(name, f"invalid value {value!r}; allowed: {', '.join(sorted(allowed))}")
    return value


def enum_list(body: dict[str, Any], name: str, allowed: frozenset[str], *, default: list | None = None) -> list:
    if not present(body, name):
        return list(default or [])
    value = body[name]
    if not isinstance(value, list):
        raise errors.param_error(name, "must be an array")
    bad = [v for v in value if v not in allowed]
    if bad:
        raise errors.param_error(name, f"invalid value(s) {bad!r}; allowed: {', '.join(sorted(allowed))}")
    return list(dict.fromkeys(value))


def str_list(body: dict[str, Any], name: str, *, default: list | None = None) -> list[str]:
    if not present(body, name):
        return list(default or [])
    value = body[name]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise errors.param_error(name, "must be an array of strings")
    return [str(v) for v in value]


def money(body: dict[str, Any], name: str, *, required: bool = False, minimum: float | None = None,
          default: float | None = None) -> float | None:
    """A non-negative amount in the account currency, at least ``minimum`` when given."""
    if not present(body, name):
        if required:
            raise errors.missing(name)
        return default
    value = body[name]
    try:
        if isinstance(value, bool):
            raise TypeError
        amount = float(value)
    except (TypeError, ValueError):
        raise errors.param_error(name, f"must be a number, got {value!r}") from None
    if amount != amount or amount < 0:  # NaN or negative
        raise errors.param_error(name, f"must be a non-negative number, got {value!r}")
    if minimum is not None and amount < minimum:
        raise errors.param_error(name, f"must be at least {minimum:g}, got {amount:g}")
    return amount


def flag(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name)
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    if value in (0, 1, "true", "false", "0", "1"):
        return value in (1, "true", "1")
    raise errors.param_error(name, f"must be true or false, got {value!r}")


def when(body: dict[str, Any], name: str) -> datetime | None:
    """A ``YYYY-MM-DD HH:MM:SS`` UTC time, as every TikTok time parameter is written."""
    if not present(body, name):
        return None
    value = body[name]
    try:
        return parse(str(value))
    except ValueError:
        raise errors.param_error(name, f"must be 'YYYY-MM-DD HH:MM:SS', got {value!r}") from None


def ident(value: Any, name: str) -> str:
    """An object ID: a numeric string (v1.3) or integer (v1.2)."""
    text_value = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text_value.isdigit():
        raise errors.param_error(name, f"must be a numeric ID, got {value!r}")
    return text_value


def ids(body: dict[str, Any], name: str, *, hi: int = 20, required: bool = True) -> list[str]:
    """An ID array of 1..``hi`` entries (status updates take at most 20)."""
    value = body.get(name)
    if value in (None, "", []):
        if required:
            raise errors.missing(name)
        return []
    if not isinstance(value, list):
        raise errors.param_error(name, "must be an array of IDs")
    if len(value) > hi:
        raise errors.param_error(name, f"must contain 1 to {hi} IDs, got {len(value)}")
    return list(dict.fromkeys(ident(v, name) for v in value))


def request_key(body: dict[str, Any]) -> str | None:
    """The optional idempotency ``request_id`` of a create call."""
    value = body.get("request_id")
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise errors.param_error("request_id", f"must be a string or integer, got {value!r}")
    return str(value)
