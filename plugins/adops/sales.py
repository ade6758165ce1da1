"""The advertiser's own sales as the raw ``orders`` table (merge on ``order_id``), for ROAS.

Two ways in: a sales API paged like the emulator's ``/__emulator/sales`` (read over the run's data
interval plus a look-back, since late orders arrive), and a drop folder of CSV/Parquet files.
Files may arrive late, twice, or restated under a new name: orders merge by ``order_id`` (the
latest file wins), so nothing is ever counted twice. Unchanged files are skipped via dlt state.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import requests

from adops.rowcheck import BadInput, convert, require_currency, require_keys

TABLE = "orders"
PRIMARY_KEY = ["order_id"]
REQUIRED = ("order_id", "order_time", "value", "currency")
TEXT = ("advertiser_id", "ttclid", "ad_id", "adgroup_id", "campaign_id", "source")
COLUMNS = {"order_id": "text", "order_time": "timestamp", "value": "double", "currency": "text",
           "attributed": "bool", **dict.fromkeys(TEXT, "text")}
FILE_TYPES = (".csv", ".parquet")
FEED_TIME = "%Y-%m-%d %H:%M:%S"


def order_row(raw: dict[str, Any], where: Any, source: str, advertiser_id: str | None = None) -> dict[str, Any]:
    """A typed order: UTC timestamp, float value, known currency, IDs as text; bad rows stop the load."""
    for column in REQUIRED:
        if column not in raw:
            raise BadInput(TABLE, column, where, "required column is missing")
    require_keys(TABLE, raw, PRIMARY_KEY, where)
    row = {k: (None if raw.get(k) in (None, "") else str(raw[k])) for k in TEXT}
    row.update(order_id=str(raw["order_id"]), source=source,
               order_time=convert(TABLE, "order_time", where, _utc, raw["order_time"]),
               value=convert(TABLE, "value", where, float, raw["value"]),
               currency=require_currency(TABLE, raw["currency"], where))
    row["advertiser_id"] = row["advertiser_id"] or advertiser_id
    attributed = raw.get("attributed")
    row["attributed"] = (str(attributed).lower() in {"1", "true", "yes"}) if attributed not in (None, "") \
        else row["ad_id"] is not None
    return row


def iter_feed(url: str, advertiser_id: str, start: datetime, end: datetime, page_size: int = 1000,
              session: requests.Session | None = None) -> Iterator[dict[str, Any]]:
    """Orders with ``start <= order_time < end`` from a paged sales API (``{data: {list, page_info}}``)."""
    http = session or requests.Session()
    params = {"advertiser_id": advertiser_id, "start": start.astimezone(UTC).strftime(FEED_TIME),
              "end": end.astimezone(UTC).strftime(FEED_TIME), "page_size": page_size}
    page = 1
    while True:
        resp = http.get(url, params={**params, "page": page}, timeout=60)
        resp.raise_for_status()
        data = resp.json().get("data") or {}
        for n, raw in enumerate(data.get("list") or []):
            yield order_row(raw, f"feed page {page} #{n}", "feed", advertiser_id)
        if page >= int((data.get("page_info") or {}).get("total_page") or 0):
            return
        page += 1


def iter_drop_folder(folder: Path, seen: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Orders of new or changed files, oldest first; within a run the latest file's row wins."""
    files = sorted((p for p in folder.iterdir() if p.suffix.lower() in FILE_TYPES),
                   key=lambda p: (p.stat().st_mtime_ns, p.name))
    latest: dict[str, dict[str, Any]] = {}
    for path in files:
        stamp = f"{path.stat().st_mtime_ns}:{path.stat().st_size}"
        if seen.get(path.name) == stamp:
            continue
        for n, raw in enumerate(_read(path)):
            row = order_row(raw, f"{path.name} row {n + 1}", f"drop:{path.name}")
            latest[row["order_id"]] = row
        seen[path.name] = stamp
    yield from latest.values()


@dlt.source(name="sales", max_table_nesting=0)
def sales(feed_url: str | None = None, advertiser_ids: tuple[str, ...] = (), start: datetime | None = None,
          end: datetime | None = None, drop_dir: Path | None = None) -> Any:
    """``orders`` from the feed (per advertiser, over [start, end)) and/or a drop folder."""
    columns = {c: {"data_type": t} for c, t in COLUMNS.items()}

    @dlt.resource(name=TABLE, write_disposition="merge", primary_key=PRIMARY_KEY, columns=columns,
                  schema_contract={"data_type": "freeze"})
    def orders() -> Iterator[dict[str, Any]]:
        if feed_url and start and end:
            for adv in advertiser_ids:
                yield from iter_feed(feed_url, adv, start, end)
        if drop_dir is not None and drop_dir.is_dir():
            yield from iter_drop_folder(drop_dir, dlt.current.resource_state().setdefault("files", {}))

    return orders


def feed_window(interval_start: datetime, interval_end: datetime, lookback_days: int) -> tuple[datetime, datetime]:
    """The run's data interval widened by the look-back: orders recorded late are picked up again."""
    return interval_start - timedelta(days=max(0, lookback_days)), interval_end


def _read(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        yield from pq.read_table(path).to_pylist()
        return
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _utc(value: Any) -> datetime:
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def ingest_sales(interval_start: datetime, interval_end: datetime, settings: Any = None,
                 advertiser_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """One run of ``sales_ingest``: the feed over the widened interval plus any new drop files.

    ``advertiser_ids``: whose orders the feed returns. The DAG passes the TikTok connection's ids (the
    same source of truth as ``tiktok_ingest``); outside Airflow, or when the connection names none,
    ``TIKTOK_ADVERTISER_IDS`` is the fallback.
    """
    from adops.settings import load
    from adops.warehouse import run_load

    settings = settings or load()
    start, end = feed_window(interval_start, interval_end, settings.sales_lookback_days)
    ids = feed_advertisers(settings, advertiser_ids)
    source = sales(settings.sales_feed_url, ids, start, end, settings.sales_drop_dir)
    summary = run_load(settings, source, "sales")
    return {"start": start.isoformat(), "end": end.isoformat(), "advertiser_ids": list(ids), "rows": summary.tables}


def feed_advertisers(settings: Any, advertiser_ids: Sequence[str] | None) -> tuple[str, ...]:
    """The given ids, else ``TIKTOK_ADVERTISER_IDS``; an error naming both when the feed needs ids and none
    are known (a drop folder alone needs none)."""
    ids = tuple(str(i) for i in advertiser_ids or ()) or tuple(settings.tiktok_advertiser_ids)
    if settings.sales_feed_url and not ids:
        raise ValueError("ADOPS_SALES_FEED_URL is set but no advertiser IDs are known: list them in the "
                         "advertiser_ids extra of the tiktok_default Airflow connection (what tiktok_ingest "
                         "reads), or set TIKTOK_ADVERTISER_IDS (comma-separated) when running outside Airflow")
    return ids
