"""Publish the optimiser's features with Feast: export marts to Parquet, ``apply``, materialise online.

Why Parquet: Feast's default ``file`` (dask) offline store reads Parquet and needs no extra service;
Feast's DuckDB offline store needs ibis, which we do not ship. Exporting a snapshot of the mart also
decouples Feast from the warehouse file: only the export reads it (read-only, under the warehouse's
shared lock, so it waits for a load or build instead of failing); ``apply`` and materialisation read
the Parquet files and never hold the lock.

Why ``date_day + 1 day`` as the event timestamp: a day's trailing 7/14-day numbers are only complete
once the day is over, so they become *available* at the next midnight (UTC — the mart carries no
time zone). Stamping them at the start of the day would leak that day's outcome into training rows.

Feast and DuckDB are imported lazily so importing this module (e.g. from a DAG file) stays cheap.
Nothing here imports Airflow.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adops.settings import REPO_ROOT, Settings

FEATURE_REPO = REPO_ROOT / "feature_repo"
# mart → (entity columns, feature columns cast to Feast-friendly types). Decimals become DOUBLE and
# HUGEINT sums BIGINT, because Parquet decimals do not map onto Feast's Float64 / Int64.
EXPORTS: dict[str, dict[str, str]] = {
    "fct_adgroup_features_daily": {
        "adgroup_id": "varchar", "advertiser_id": "varchar", "currency": "varchar",
        "daily_budget": "double", "spend": "double", "conversions": "bigint",
        "spend_7d": "double", "conversions_7d": "bigint", "cpa_7d": "double", "ctr_7d": "double",
        "spend_14d": "double", "conversions_14d": "bigint", "cpa_14d": "double", "ctr_14d": "double",
        "days_of_history": "bigint",
    },
    "fct_ad_performance_daily": {
        "ad_id": "varchar", "adgroup_id": "varchar", "advertiser_id": "varchar", "currency": "varchar",
        "impressions": "bigint", "clicks": "bigint", "spend": "double", "conversions": "bigint",
        "ctr": "double", "cvr": "double", "cpa": "double", "hook_rate": "double", "completion_rate": "double",
    },
}
ENTITY_KEY = {"fct_adgroup_features_daily": "adgroup_id", "fct_ad_performance_daily": "ad_id"}


class FeatureExportError(RuntimeError):
    """The mart cannot be published as features (missing, not on DuckDB, or ambiguous per entity and day)."""


@dataclass(frozen=True)
class FeatureRunSummary:
    rows: dict[str, int]
    start: str
    end: str
    feature_views: list[str]
    feature_services: list[str]


def features_dir(home: Path) -> Path:
    """Where exports, the registry and the SQLite online store live (``$ADOPS_HOME/features``)."""
    return home / "features"


def export_path(home: Path, mart: str) -> Path:
    return features_dir(home) / f"{mart}.parquet"


def export_marts(settings: Settings) -> dict[str, int]:
    """Copy each features mart to Parquet with ``event_ts`` (end of the day) and ``created_ts`` columns.

    Written to a temporary file and renamed, so a concurrent reader never sees half a file. All marts
    are read in one read-only connection under the shared lock: one consistent snapshot, and a writer
    (load, dbt, publish) in another process is waited for.
    """
    if settings.warehouse_destination == "bigquery":
        return _export_bigquery(settings)
    from adops.loadlock import read_connection

    out_dir = features_dir(settings.home)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).replace(tzinfo=None)
    rows: dict[str, int] = {}
    with read_connection(settings.warehouse_path, settings.warehouse_lock_timeout_s) as con:
        con.execute("set TimeZone = 'UTC'")
        for mart, columns in EXPORTS.items():
            table = f"{settings.marts_schema}.{mart}"
            key = ENTITY_KEY[mart]
            dupes = con.execute(f"select {key}, date_day, count(*) from {table} group by 1, 2 "
                                "having count(*) > 1 limit 1").fetchone()
            if dupes:
                raise FeatureExportError(f"{table}: {key}={dupes[0]} has {dupes[2]} rows on {dupes[1]} "
                                         "(several currencies?) — Feast needs one row per entity and time")
            select = ", ".join(f"cast({c} as {t}) as {c}" for c, t in columns.items())
            target = export_path(settings.home, mart)
            tmp = target.with_suffix(".parquet.tmp")
            con.execute(f"copy (select {select}, "
                        "cast(date_day + interval 1 day as timestamp) at time zone 'UTC' as event_ts, "
                        f"cast(? as timestamp) at time zone 'UTC' as created_ts from {table} "
                        f"order by {key}, date_day) to '{tmp}' (format parquet)", [created])
            os.replace(tmp, target)
            rows[mart] = int(con.execute(f"select count(*) from {table}").fetchone()[0])
    return rows


BIGQUERY_TYPES = {"varchar": "STRING", "double": "FLOAT64", "bigint": "INT64"}


def _export_bigquery(settings: Settings) -> dict[str, int]:
    """The same Parquet files from the marts dataset in BigQuery (one query per mart, typed by BigQuery).

    Feast keeps reading local Parquet (no BigQuery offline store to configure), so the feature views and
    the point-in-time semantics are the same on both warehouses.
    """
    import pandas as pd

    from adops import publish_bigquery

    bq = publish_bigquery.client(settings)
    out_dir = features_dir(settings.home)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).replace(microsecond=0)
    rows: dict[str, int] = {}
    for mart, columns in EXPORTS.items():
        table, key = f"`{bq.project}.{settings.marts_schema}.{mart}`", ENTITY_KEY[mart]
        dupes = list(bq.query(f"select {key}, date_day, count(*) as n from {table} group by 1, 2 "
                              "having count(*) > 1 limit 1").result())
        if dupes:
            found = dupes[0]
            raise FeatureExportError(f"{settings.marts_schema}.{mart}: {key}={found[0]} has {found[2]} rows on "
                                     f"{found[1]} (several currencies?) — Feast needs one row per entity and time")
        select = ", ".join(f"cast({c} as {BIGQUERY_TYPES[t]}) as {c}" for c, t in columns.items())
        frame = bq.query(f"select {select}, date_day from {table} order by {key}, date_day").result().to_dataframe()
        for column, kind in columns.items():  # the DuckDB export's Parquet types, NULLs kept
            frame[column] = frame[column].astype({"bigint": "Int64", "double": "float64"}.get(kind, "object"))
        frame["event_ts"] = (pd.to_datetime(frame.pop("date_day")) + pd.Timedelta(days=1)).dt.tz_localize("UTC")
        frame["created_ts"] = pd.Timestamp(created)
        target = export_path(settings.home, mart)
        tmp = target.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
        rows[mart] = len(frame)
    return rows


def store(settings: Settings, repo_path: Path = FEATURE_REPO) -> Any:
    """``FeatureStore(repo_path=...)``; feature_store.yaml reads ``${ADOPS_HOME}``, set here from settings."""
    from feast import FeatureStore

    os.environ["ADOPS_HOME"] = str(settings.home.resolve())
    features_dir(settings.home).mkdir(parents=True, exist_ok=True)
    return FeatureStore(repo_path=str(repo_path))


def definitions(repo_path: Path = FEATURE_REPO) -> list[Any]:
    """The Feast objects declared in ``feature_repo/features.py``.

    Loaded with importlib and applied through the SDK instead of ``feast apply``'s ``apply_total``,
    which ``os.chdir``s the whole (Airflow worker) process into the repo.
    """
    from feast import Entity, FeatureService, FeatureView, FileSource

    spec = importlib.util.spec_from_file_location("adops_feature_repo", repo_path / "features.py")
    if spec is None or spec.loader is None:
        raise FeatureExportError(f"no feature definitions at {repo_path / 'features.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kinds = (Entity, FileSource, FeatureView, FeatureService)
    return [v for v in vars(module).values() if isinstance(v, kinds)]


def apply(settings: Settings, repo_path: Path = FEATURE_REPO) -> Any:
    """Register entities, sources, views and services in the registry (the SDK's ``feast apply``)."""
    fs = store(settings, repo_path)
    fs.apply(definitions(repo_path))
    return fs


def exported_window(settings: Settings) -> tuple[datetime, datetime]:
    """The earliest and latest ``event_ts`` over all exports: what ``materialize`` must cover."""
    import duckdb

    paths = [str(export_path(settings.home, m)) for m in EXPORTS]
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        low, high = con.execute("select min(event_ts), max(event_ts) from read_parquet(?)", [paths]).fetchone()
    if low is None:
        raise FeatureExportError("the feature marts are empty; nothing to materialise")
    return low.astimezone(UTC), high.astimezone(UTC)


def publish(settings: Settings, repo_path: Path = FEATURE_REPO) -> FeatureRunSummary:
    """The DAG task's body: export marts → apply → materialise the whole exported window online.

    The whole window, not ``materialize_incremental``: restated days rewrite the export, and the
    online store keeps only each entity's latest row, so re-materialising is idempotent and cheap.
    Data dates can lie ahead of the wall clock (emulator scenarios), which incremental runs would skip.
    """
    rows = export_marts(settings)
    fs = apply(settings, repo_path)
    start, end = exported_window(settings)
    fs.materialize(start_date=start - timedelta(seconds=1), end_date=end + timedelta(seconds=1))
    return FeatureRunSummary(
        rows=rows, start=start.isoformat(), end=end.isoformat(),
        feature_views=sorted(v.name for v in fs.list_feature_views()),
        feature_services=sorted(s.name for s in fs.list_feature_services()),
    )
