"""Settings from environment variables, with defaults that run on one machine (``make run``).

| variable | default |
|---|---|
| ADOPS_HOME | ./var |
| ADOPS_WAREHOUSE_PATH | $ADOPS_HOME/warehouse.duckdb |
| ADOPS_WAREHOUSE_DESTINATION | duckdb (or bigquery) |
| ADOPS_WAREHOUSE_DATASET | tiktok_ads (raw dataset / schema) |
| ADOPS_CONTROL_DB_URL | sqlite:///$ADOPS_HOME/control.db |
| ADOPS_LOOKBACK_DAYS | 7 |
| ADOPS_FINALIZE_LOOKBACK_DAYS | 3 (1–28; the finalising pull's look-back; a weekly sweep reads 28) |
| ADOPS_ASYNC_REPORT_ROWS | 10000 (a report window this large goes through async report tasks) |
| ADOPS_SALES_FEED_URL | unset (the advertiser's sales API, e.g. the emulator's /__emulator/sales) |
| ADOPS_SALES_DROP_DIR | unset (a folder of order CSV/Parquet files) |
| ADOPS_SALES_LOOKBACK_DAYS | 3 |
| ADOPS_LOADER_FILE_FORMAT | parquet (dlt's load files; columnar loads are ~5x faster than inserts) |
| ADOPS_EVENTS_FEED_URL, ADOPS_EVENTS_DROP_DIR | unset (server-side events: an API listing or JSON/JSONL files) |
| ADOPS_WAREHOUSE_LOCK_TIMEOUT_S | 600 (how long a DuckDB load waits for another process's load) |
| BIGQUERY_PROJECT, BIGQUERY_LOCATION, BIGQUERY_KEYFILE | unset, US, unset (shared by the dlt loads and dbt's bigquery target) |
| ADOPS_DBT_TARGET | duckdb |
| ADOPS_MARTS_SCHEMA | analytics (dbt's target schema / BigQuery dataset) |
| TIKTOK_BASE_URL, TIKTOK_ACCESS_TOKEN, TIKTOK_ADVERTISER_IDS (comma-separated), TIKTOK_APP_ID, TIKTOK_APP_SECRET (or TIKTOK_SECRET) | unset |
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path)


def _optional_path(value: str | None) -> Path | None:
    return _path(value) if value else None


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_path: Path
    warehouse_destination: str
    raw_dataset: str
    control_db_url: str
    lookback_days: int
    dbt_target: str
    marts_schema: str = "analytics"
    dbt_project_dir: Path = REPO_ROOT / "dbt"
    tiktok_base_url: str | None = None
    tiktok_access_token: str | None = field(default=None, repr=False)
    tiktok_advertiser_ids: tuple[str, ...] = ()
    tiktok_app_id: str | None = None
    tiktok_secret: str | None = field(default=None, repr=False)
    finalize_lookback_days: int = 3
    async_report_rows: int = 10_000
    sales_feed_url: str | None = None
    sales_drop_dir: Path | None = None
    sales_lookback_days: int = 3
    events_feed_url: str | None = None
    events_drop_dir: Path | None = None
    loader_file_format: str = "parquet"
    warehouse_lock_timeout_s: float = 600.0
    bigquery_project: str | None = None
    bigquery_location: str = "US"
    bigquery_keyfile: Path | None = None

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.home / "dbt" / "logs"

    @property
    def dlt_pipelines_dir(self) -> Path:
        return self.home / "dlt"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"


def load(env: dict[str, str] | None = None) -> Settings:
    """Read settings now (not at import time), so tests and ``adops run`` can set the environment first."""
    env = dict(os.environ if env is None else env)
    home = _path(env.get("ADOPS_HOME", "var"))
    ids = tuple(i.strip() for i in env.get("TIKTOK_ADVERTISER_IDS", "").split(",") if i.strip())
    return Settings(
        home=home,
        warehouse_path=_path(env.get("ADOPS_WAREHOUSE_PATH", str(home / "warehouse.duckdb"))),
        warehouse_destination=env.get("ADOPS_WAREHOUSE_DESTINATION", "duckdb"),
        raw_dataset=env.get("ADOPS_WAREHOUSE_DATASET", "tiktok_ads"),
        control_db_url=env.get("ADOPS_CONTROL_DB_URL", f"sqlite:///{home / 'control.db'}"),
        lookback_days=int(env.get("ADOPS_LOOKBACK_DAYS", "7")),
        dbt_target=env.get("ADOPS_DBT_TARGET", "duckdb"),
        marts_schema=env.get("ADOPS_MARTS_SCHEMA", "analytics"),
        dbt_project_dir=_path(env.get("ADOPS_DBT_PROJECT_DIR", str(REPO_ROOT / "dbt"))),
        tiktok_base_url=env.get("TIKTOK_BASE_URL") or None,
        tiktok_access_token=env.get("TIKTOK_ACCESS_TOKEN") or None,
        tiktok_advertiser_ids=ids,
        tiktok_app_id=env.get("TIKTOK_APP_ID") or None,
        tiktok_secret=env.get("TIKTOK_APP_SECRET") or env.get("TIKTOK_SECRET") or None,
        finalize_lookback_days=min(28, max(1, int(env.get("ADOPS_FINALIZE_LOOKBACK_DAYS", "3")))),
        async_report_rows=int(env.get("ADOPS_ASYNC_REPORT_ROWS", "10000")),
        sales_feed_url=env.get("ADOPS_SALES_FEED_URL") or None,
        sales_drop_dir=_optional_path(env.get("ADOPS_SALES_DROP_DIR")),
        sales_lookback_days=int(env.get("ADOPS_SALES_LOOKBACK_DAYS", "3")),
        events_feed_url=env.get("ADOPS_EVENTS_FEED_URL") or None,
        events_drop_dir=_optional_path(env.get("ADOPS_EVENTS_DROP_DIR")),
        loader_file_format=env.get("ADOPS_LOADER_FILE_FORMAT", "parquet"),
        warehouse_lock_timeout_s=float(env.get("ADOPS_WAREHOUSE_LOCK_TIMEOUT_S", "600")),
        bigquery_project=env.get("BIGQUERY_PROJECT") or None,
        bigquery_location=env.get("BIGQUERY_LOCATION") or "US",
        bigquery_keyfile=_optional_path(env.get("BIGQUERY_KEYFILE")),
    )
