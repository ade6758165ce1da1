"""Parse and validate a report request (sync ``report/integrated/get/`` and async ``report/task/create/``).

Validation follows TikTok's documented rules (dimension/level consistency, date-range limits,
lifetime restrictions) and answers 40002 naming the offending field. Airbyte 4.7.0's v1.2-era
``filters`` and ``lifetime`` names are accepted as aliases.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import errors
from .market_truth import BREAKDOWNS
from .params import as_bool, as_int, as_list, json_value
from .report_metrics import METRICS

LEVELS = {"AUCTION_ADVERTISER": 0, "AUCTION_CAMPAIGN": 1, "AUCTION_ADGROUP": 2, "AUCTION_AD": 3}
ID_DIMS = {"advertiser_id": 0, "campaign_id": 1, "adgroup_id": 2, "ad_id": 3}
TIME_DIMS = ("stat_time_day", "stat_time_hour")
AUDIENCE_DIMS = tuple(BREAKDOWNS)
OTHER_REPORT_TYPES = {"PLAYABLE_MATERIAL", "CATALOG", "BC", "TT_SHOP"}
STATUS_FIELDS = {"campaign_status": 1, "adgroup_status": 2, "ad_status": 3}
ID_FILTERS = {"campaign_ids": "campaign_id", "adgroup_ids": "adgroup_id", "ad_ids": "ad_id"}


@dataclass
class Query:
    """A validated report request."""

    advertiser_id: str
    report_type: str
    level: int
    dimensions: list[str]
    metrics: list[str]
    time_dim: str | None
    id_level: int | None
    breakdowns: list[str]
    lifetime: bool
    start: date | None
    end: date | None
    id_filters: dict[str, set[str]] = field(default_factory=dict)
    status_filters: dict[str, set[str]] = field(default_factory=dict)
    total_metrics: bool = False
    order_field: str | None = None
    descending: bool = False
    empty: bool = False  # a valid request for data the emulator does not model (RESERVATION, CATALOG, ...)


def parse_query(params: dict[str, Any], advertiser_id: str) -> Query:
    """Turn request parameters into a ``Query`` or raise 40002 naming the field."""
    get = params.get
    report_type = str(json_value(get("report_type")) or "")
    if not report_type:
        raise errors.missing("report_type")
    if report_type not in {"BASIC", "AUDIENCE"} | OTHER_REPORT_TYPES:
        raise errors.param_error("report_type", f"invalid value {report_type!r}")
    empty = report_type in OTHER_REPORT_TYPES or str(json_value(get("service_type")) or "AUCTION") == "RESERVATION"
    level = _level(get("data_level"), report_type, empty)
    dimensions = [str(d) for d in as_list(get("dimensions"), "dimensions")]
    if not dimensions:
        raise errors.missing("dimensions")
    metrics = [str(m) for m in as_list(get("metrics"), "metrics")] or ["spend", "impressions"]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise errors.param_error("metrics", f"unknown metric(s): {', '.join(unknown)}")
    time_dim, id_level, breakdowns = _dimensions(dimensions, report_type, level)
    lifetime = _lifetime(params)
    start, end = _dates(params, lifetime, time_dim, bool(breakdowns))
    query = Query(advertiser_id, report_type, level, dimensions, metrics, time_dim, id_level, breakdowns,
                  lifetime, start, end, empty=empty,
                  total_metrics=as_bool(get("enable_total_metrics"), "enable_total_metrics"))
    _filters(params, query)
    _ordering(params, query)
    return query


def _level(raw: Any, report_type: str, empty: bool) -> int:
    value = str(json_value(raw) or "")
    if not value:
        if report_type in {"BASIC", "AUDIENCE"}:
            raise errors.missing("data_level")
        return 0
    if value.startswith("RESERVATION_") and value.replace("RESERVATION_", "AUCTION_") in LEVELS:
        return LEVELS[value.replace("RESERVATION_", "AUCTION_")]
    if value not in LEVELS:
        raise errors.param_error("data_level", f"invalid value {value!r}; use one of {', '.join(LEVELS)}")
    return LEVELS[value]


def _dimensions(dims: list[str], report_type: str, level: int) -> tuple[str | None, int | None, list[str]]:
    known = set(ID_DIMS) | set(TIME_DIMS) | set(AUDIENCE_DIMS)
    for dim in dims:
        if dim not in known:
            raise errors.param_error("dimensions", f"unsupported dimension {dim!r}")
        if dim in ID_DIMS and ID_DIMS[dim] > level:
            raise errors.param_error("dimensions", f"dimension {dim!r} is finer than data_level")
    if len(set(dims)) != len(dims):
        raise errors.param_error("dimensions", "duplicated dimension")
    times = [d for d in dims if d in TIME_DIMS]
    if len(times) > 1:
        raise errors.param_error("dimensions", "stat_time_day and stat_time_hour cannot be combined")
    breakdowns = [d for d in dims if d in AUDIENCE_DIMS]
    if report_type == "AUDIENCE" and not breakdowns:
        raise errors.param_error("dimensions", f"an AUDIENCE report needs one of {', '.join(AUDIENCE_DIMS)}")
    if report_type == "BASIC" and any(d != "country_code" for d in breakdowns):
        bad = next(d for d in breakdowns if d != "country_code")
        raise errors.param_error("dimensions", f"dimension {bad!r} needs report_type AUDIENCE")
    id_levels = [ID_DIMS[d] for d in dims if d in ID_DIMS]
    return (times[0] if times else None), (max(id_levels) if id_levels else None), breakdowns


def _lifetime(params: dict[str, Any]) -> bool:
    """``query_lifetime``; Airbyte's ``lifetime`` alias counts only when no dates are given.

    (Airbyte's audience "lifetime" stream sends ``lifetime=true`` together with a 365-day date range,
    which v1.3 treats as an ordinary date-range query.)
    """
    if as_bool(params.get("query_lifetime"), "query_lifetime"):
        return True
    has_dates = params.get("start_date") not in (None, "") or params.get("end_date") not in (None, "")
    return as_bool(params.get("lifetime"), "lifetime") and not has_dates


def _dates(params: dict[str, Any], lifetime: bool, time_dim: str | None,
           audience: bool) -> tuple[date | None, date | None]:
    if lifetime:
        if time_dim or audience:
            raise errors.param_error("query_lifetime", "lifetime reports cannot use time or audience dimensions")
        return None, None
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if end < start:
        raise errors.param_error("end_date", "must not be earlier than start_date")
    days = (end - start).days + 1
    if time_dim == "stat_time_hour" and days > 1:
        raise errors.param_error("start_date/end_date", "with stat_time_hour the range may span at most 1 day")
    if time_dim == "stat_time_day" and days > 30:
        raise errors.param_error("start_date/end_date", "with stat_time_day the range may span at most 30 days")
    if days > 366:
        raise errors.param_error("start_date/end_date", "the range may span at most 365 days")
    return start, end


def _date(params: dict[str, Any], name: str) -> date:
    raw = json_value(params.get(name))
    if raw in (None, ""):
        raise errors.missing(name)
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise errors.param_error(name, f"must be YYYY-MM-DD, got {raw!r}") from None


def _filters(params: dict[str, Any], query: Query) -> None:
    """``filtering`` (v1.3) or ``filters`` (Airbyte alias): a list of {field_name, filter_type, filter_value}."""
    raw = params.get("filtering", params.get("filters"))
    items = _decode(raw)
    if isinstance(items, dict):  # object form: {"campaign_ids": [...], ...}
        items = [{"field_name": k, "filter_type": "IN", "filter_value": v} for k, v in items.items()]
    if not isinstance(items, list):
        raise errors.param_error("filtering", "must be a JSON array of {field_name, filter_type, filter_value}")
    for item in items:
        if not isinstance(item, dict) or "field_name" not in item:
            raise errors.param_error("filtering", "each filter needs field_name, filter_type and filter_value")
        name = str(item["field_name"])
        values = {str(v) for v in as_list(_decode(item.get("filter_value")), "filtering.filter_value")}
        if name in ID_FILTERS:
            query.id_filters[ID_FILTERS[name]] = values
        elif name in STATUS_FIELDS:
            query.status_filters[name] = values


def _decode(raw: Any) -> Any:
    if raw is None or raw == "":
        return []
    value = json_value(raw)
    if isinstance(value, str):
        try:  # a Python repr (single quotes) from a templated client
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise errors.param_error("filtering", f"malformed value {value[:60]!r}") from None
    return value


def _ordering(params: dict[str, Any], query: Query) -> None:
    order = json_value(params.get("order_field"))
    if order not in (None, ""):
        query.order_field = str(order)
        kind = str(json_value(params.get("order_type")) or "DESC").upper()
        if kind not in {"ASC", "DESC"}:
            raise errors.param_error("order_type", "must be ASC or DESC")
        query.descending = kind == "DESC"


def page_params(params: dict[str, Any]) -> tuple[int, int]:
    page = as_int(params.get("page"), "page", default=1, lo=1)
    size = as_int(params.get("page_size"), "page_size", default=10, lo=1, hi=1000)
    return page, size
