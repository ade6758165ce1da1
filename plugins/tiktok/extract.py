"""Read TikTok objects and reports and turn them into flat raw rows for the warehouse.

Rows keep TikTok's field names (like Fivetran's TikTok schema), IDs as strings, ``"-"`` as None
(never zero), and carry the advertiser's currency and time zone so no later step has to guess them.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tiktok.api.client import TikTokClient
from tiktok.api.encoding import none_if_dash, to_float, to_int

AD_REPORT_DIMENSIONS = ["ad_id", "stat_time_day"]
AD_REPORT_ATTRIBUTES = ["campaign_id", "adgroup_id", "campaign_name", "adgroup_name", "ad_name"]
AD_REPORT_COUNTS = ["impressions", "clicks", "conversion"]
AD_REPORT_AMOUNTS = ["spend"]
MAX_DAYS_PER_CALL = 30  # TikTok's limit for stat_time_day reports
ENTITY_ENDPOINTS = {"campaign": "campaign.get", "adgroup": "adgroup.get", "ad": "ad.get"}
ID_SUFFIXES = ("_id",)


def report_window(interval_end: datetime, lookback_days: int, time_zone: str) -> tuple[date, date]:
    """Advertiser-local dates covering ``lookback_days`` before the run's data-interval end (inclusive).

    The window comes from the DAG run, never from ``now()``, so a re-run reads the same days.
    """
    local_end = interval_end.astimezone(ZoneInfo(time_zone))
    end_day = (local_end - timedelta(microseconds=1)).date()
    return end_day - timedelta(days=max(lookback_days, 1) - 1), end_day


def date_chunks(start: date, end: date, days: int = MAX_DAYS_PER_CALL) -> Iterator[tuple[date, date]]:
    """Split an inclusive date range into calls TikTok accepts."""
    cursor = start
    while cursor <= end:
        stop = min(end, cursor + timedelta(days=days - 1))
        yield cursor, stop
        cursor = stop + timedelta(days=1)


def fetch_advertiser(client: TikTokClient, advertiser_id: str) -> dict[str, Any]:
    """The advertiser's info row (currency and time zone matter for every report row)."""
    data = client.call("advertiser.info", {"advertiser_ids": [advertiser_id]})
    rows = data.get("list") or []
    if not rows:
        raise LookupError(f"advertiser {advertiser_id} not returned by advertiser/info/")
    return advertiser_row(rows[0])


def advertiser_row(info: dict[str, Any]) -> dict[str, Any]:
    row = _stringify_ids(info)
    row["id"] = row.get("advertiser_id")
    return row


def iter_entities(client: TikTokClient, advertiser_id: str, kind: str) -> Iterator[dict[str, Any]]:
    """Every campaign, ad group or ad of an advertiser, as history rows (pk: id + modify_time)."""
    for entity in client.paginate(ENTITY_ENDPOINTS[kind], {"advertiser_id": advertiser_id}):
        yield entity_row(entity)


def entity_row(entity: dict[str, Any]) -> dict[str, Any]:
    return _stringify_ids({k: none_if_dash(v) for k, v in entity.items()})


def iter_ad_report_rows(client: TikTokClient, advertiser: dict[str, Any], start: date,
                        end: date) -> Iterator[dict[str, Any]]:
    """Daily ad-level BASIC report rows for the window, flattened, in ≤30-day calls."""
    for chunk_start, chunk_end in date_chunks(start, end):
        params = {
            "advertiser_id": advertiser["advertiser_id"], "report_type": "BASIC", "data_level": "AUCTION_AD",
            "service_type": "AUCTION", "dimensions": AD_REPORT_DIMENSIONS,
            "metrics": AD_REPORT_ATTRIBUTES + AD_REPORT_COUNTS + AD_REPORT_AMOUNTS,
            "start_date": chunk_start.isoformat(), "end_date": chunk_end.isoformat(),
        }
        for row in client.paginate("report.integrated.get", params):
            yield flatten_report_row(row, advertiser)


def flatten_report_row(row: dict[str, Any], advertiser: dict[str, Any]) -> dict[str, Any]:
    """``{dimensions, metrics}`` → one flat row: typed metrics, ``"-"`` → None, IDs as strings."""
    flat: dict[str, Any] = {}
    for key, value in (row.get("dimensions") or {}).items():
        flat[key] = none_if_dash(value)
    for key, value in (row.get("metrics") or {}).items():
        if key in AD_REPORT_COUNTS:
            flat[key] = to_int(value)
        elif key in AD_REPORT_AMOUNTS:
            flat[key] = to_float(value)
        else:
            flat[key] = none_if_dash(value)
    flat = _stringify_ids(flat)
    flat["advertiser_id"] = str(advertiser["advertiser_id"])
    flat["currency"] = advertiser.get("currency")
    flat["timezone"] = advertiser.get("timezone")
    return flat


def _stringify_ids(row: dict[str, Any]) -> dict[str, Any]:
    """v1.3 IDs are strings; keep them strings even if a source sent numbers (v1.2, Airbyte mocks)."""
    return {k: (str(v) if k.endswith(ID_SUFFIXES) and v is not None and not isinstance(v, str) else v)
            for k, v in row.items()}
