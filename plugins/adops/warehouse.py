"""The warehouse seen from Python: run a dlt load into it, and read a mart out of it.

Media-agnostic: any dlt source (TikTok today) is loaded with merge semantics into the configured
destination — a DuckDB file by default, BigQuery when ``ADOPS_WAREHOUSE_DESTINATION=bigquery``.
"""
from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Any

import dlt

from adops.loadlock import lock_for, read_connection
from adops.settings import Settings

log = logging.getLogger(__name__)
# Whenever Airflow is importable, dlt imports it and looks every config value up in Airflow Variables
# (hundreds of metadata reads per load: ~10 s on a first load here). Our dlt config comes from env and
# config files only, so that provider stays off unless PROVIDERS__ENABLE_AIRFLOW_SECRETS says otherwise.
os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")


@dataclass(frozen=True)
class LoadSummary:
    pipeline: str
    tables: dict[str, int]
    load_ids: list[str]


def destination(settings: Settings) -> Any:
    """The dlt destination from settings: the DuckDB file, or BigQuery (see ``bigquery_destination``)."""
    if settings.warehouse_destination == "duckdb":
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(str(settings.warehouse_path))
    if settings.warehouse_destination == "bigquery":
        return bigquery_destination(settings)
    raise ValueError(f"ADOPS_WAREHOUSE_DESTINATION={settings.warehouse_destination!r} is not supported: "
                     "set it to duckdb (default) or bigquery")


def bigquery_destination(settings: Settings) -> Any:
    """dlt's BigQuery destination configured from the same variables as dbt's ``bigquery`` target.

    ``BIGQUERY_PROJECT`` and ``BIGQUERY_LOCATION`` go to the destination, so raw tables land in the
    project and region the marts are built in. ``BIGQUERY_KEYFILE`` (a service-account JSON key) is
    passed as credentials; without it dlt resolves its own config (``DESTINATION__BIGQUERY__
    CREDENTIALS__*``, secrets.toml) or falls back to Application Default Credentials, like dbt's oauth.
    """
    return dlt.destinations.bigquery(credentials=bigquery_keyfile_text(settings), location=settings.bigquery_location,
                                     project_id=settings.bigquery_project)


def bigquery_keyfile_text(settings: Settings) -> str | None:
    """The service-account JSON key named by ``BIGQUERY_KEYFILE``, or None (Application Default Credentials)."""
    if settings.bigquery_keyfile is None:
        return None
    if not settings.bigquery_keyfile.is_file():
        raise ValueError(f"BIGQUERY_KEYFILE={settings.bigquery_keyfile} is not a file: point it at a "
                         "service-account JSON key, or unset it to use Application Default Credentials")
    return settings.bigquery_keyfile.read_text(encoding="utf-8")


def _lock(settings: Settings) -> contextlib.AbstractContextManager[None]:
    """The warehouse file's cross-process write lock (DuckDB has one writer); BigQuery needs none."""
    return lock_for(settings)


def _read(settings: Settings) -> contextlib.AbstractContextManager[Any]:
    """A read-only connection under the shared lock: waits for a writer instead of failing on DuckDB's lock."""
    return read_connection(settings.warehouse_path, settings.warehouse_lock_timeout_s)


def loader_file_format(settings: Settings) -> str:
    """``ADOPS_LOADER_FILE_FORMAT`` for DuckDB; always jsonl for BigQuery (dlt's preferred format there,
    and the only one that carries the JSON columns of the entity tables, such as ``placements``)."""
    return "jsonl" if settings.warehouse_destination == "bigquery" else settings.loader_file_format


def run_load(settings: Settings, source: Any, pipeline_name: str) -> LoadSummary:
    """Load one source; every resource declares merge + primary key, so re-runs replace, not append.

    ``pipeline.run`` split into its steps so only the steps that open the warehouse (restoring state,
    loading) hold the write lock: extraction (API calls, minutes when throttled) runs in parallel.
    """
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=destination(settings),
        dataset_name=settings.raw_dataset,
        pipelines_dir=str(settings.dlt_pipelines_dir),
    )
    with _lock(settings):
        if pipeline.config.restore_from_destination:
            pipeline.sync_destination()
        if pipeline.has_pending_data:
            _finish_or_drop_pending(pipeline)
    pipeline.extract(source, loader_file_format=loader_file_format(settings))
    normalized = pipeline.normalize()
    with _lock(settings):
        info = pipeline.load()
    counts = {name: int(n) for name, n in normalized.row_counts.items() if not name.startswith("_dlt")}
    return LoadSummary(pipeline_name, counts, list(info.loads_ids))


def _finish_or_drop_pending(pipeline: Any) -> None:
    """Finish what an interrupted load left behind, or drop it when it is broken.

    A load killed mid-commit leaves a half-written package that would fail every later run. Finishing
    it keeps another window's rows; when that fails, dropping it is safe because every table merges on
    its primary key, so re-extracting the window restores exactly the same rows.
    """
    try:
        pipeline.normalize()
        pipeline.load()
    except Exception as exc:  # noqa: BLE001  any failure here means the package is unusable
        log.warning("dropping pending dlt packages of %s left by an interrupted load: %s", pipeline.pipeline_name, exc)
        pipeline.drop_pending_packages()


def read_table(settings: Settings, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a query against the local DuckDB warehouse, as dicts (read-only use)."""
    with _read(settings) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- write-audit-publish on DuckDB ------------------------------------------------------------
# On BigQuery (adops.publish_bigquery) dbt builds into the `<marts>__wap` dataset, each base table is
# copied over the published one by a copy job with WRITE_TRUNCATE, and the status row is inserted last
# into `adops_audit.marts_builds`. BigQuery DDL cannot run inside a multi-statement transaction, so
# readers must trust the marts only once that status row says "published". The four functions below
# that write or read the status and the side schema hand over to it when the destination is bigquery.

AUDIT_SCHEMA = "adops_audit"
_STATUS_DDL = (f"create schema if not exists {AUDIT_SCHEMA}; create table if not exists {AUDIT_SCHEMA}.marts_builds "
               "(build_id text, status text, detail text, recorded_at timestamptz)")


def read_frames(settings: Settings, tables: list[str]) -> dict[str, Any]:
    """The raw tables that exist, as pandas DataFrames (for the quality gate), from DuckDB or BigQuery."""
    if settings.warehouse_destination == "bigquery":
        from adops import publish_bigquery

        return publish_bigquery.read_frames(settings, tables)
    with _read(settings) as con:
        present = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                             "where table_schema = ?", [settings.raw_dataset]).fetchall()}
        return {t: con.execute(f'select * from "{settings.raw_dataset}"."{t}"').df() for t in tables if t in present}


def record_build(settings: Settings, build_id: str, status: str, detail: str = "", con: Any = None) -> None:
    """Append one marts-build status row (published / tests_failed / gate_failed / publish_failed)."""
    import duckdb

    if settings.warehouse_destination == "bigquery":
        from adops import publish_bigquery

        return publish_bigquery.record_build(settings, build_id, status, detail)

    if con is not None:  # inside the caller's transaction (and lock)
        con.execute(_STATUS_DDL)
        con.execute(f"insert into {AUDIT_SCHEMA}.marts_builds values (?, ?, ?, now())", [build_id, status, detail])
        return
    with _lock(settings), duckdb.connect(str(settings.warehouse_path)) as own:
        record_build(settings, build_id, status, detail, con=own)


def last_build(settings: Settings, statuses: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """The newest status row (of ``statuses``, default any), or None if there is none."""
    if settings.warehouse_destination == "bigquery":
        from adops import publish_bigquery

        return publish_bigquery.last_build(settings, statuses)
    if not settings.warehouse_path.exists():
        return None
    with _read(settings) as con:
        found = con.execute("select 1 from information_schema.tables where table_schema = ? and "
                            "table_name = 'marts_builds'", [AUDIT_SCHEMA]).fetchone()
        if not found:
            return None
        where = f"where status in ({', '.join('?' for _ in statuses)})" if statuses else ""
        cursor = con.execute(f"select build_id, status, detail, recorded_at from {AUDIT_SCHEMA}.marts_builds "
                             f"{where} order by recorded_at desc limit 1", list(statuses or ()))
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None


def publish_tables(settings: Settings, source_schema: str, build_id: str) -> list[str]:
    """Copy every table dbt built in ``source_schema`` into the marts schema in ONE transaction.

    The status row commits with the copies: readers see either all old marts or all new ones.
    Incremental marts copy only the days this build rebuilt (see ``_publish_table``).
    """
    import duckdb

    if settings.warehouse_destination == "bigquery":
        from adops import publish_bigquery

        return publish_bigquery.publish_tables(settings, source_schema, build_id)
    target = settings.marts_schema
    with _lock(settings), duckdb.connect(str(settings.warehouse_path)) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = ? "
                                            "and table_type = 'BASE TABLE' order by 1", [source_schema]).fetchall()]
        con.execute("begin transaction")
        try:
            con.execute(f'create schema if not exists "{target}"')
            for table in tables:
                _publish_table(con, source_schema, target, table)
            record_build(settings, build_id, "published", f"{len(tables)} tables", con=con)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return tables


def drop_schema(settings: Settings, schema: str) -> None:
    """Drop a build schema and everything in it (after a failed build, so the next one is a full build)."""
    import duckdb

    if settings.warehouse_destination == "bigquery":
        from adops import publish_bigquery

        return publish_bigquery.drop_dataset(settings, schema)
    if settings.warehouse_path.exists():
        with _lock(settings), duckdb.connect(str(settings.warehouse_path)) as con:
            con.execute(f'drop schema if exists "{schema}" cascade')


def _columns(con: Any, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute("select column_name from information_schema.columns where table_schema = ? "
                                      "and table_name = ? order by ordinal_position", [schema, table]).fetchall()]


def _publish_table(con: Any, source: str, target: str, table: str) -> None:
    """Copy one table; for an incremental mart (``date_day`` + ``_built_at``) only the rebuilt days.

    The published copy equals the side schema's table after the previous publish (a failed build drops
    the side schema, so the next one is full), and a build replaces whole days stamped with its
    ``_built_at``: replacing those days in the copy makes it equal again, without copying 90 days.
    """
    src, dst = f'"{source}"."{table}"', f'"{target}"."{table}"'
    columns = _columns(con, source, table)
    if {"date_day", "_built_at"} <= set(columns) and _columns(con, target, table) == columns:
        rebuilt = f"select * from {src} where _built_at = (select max(_built_at) from {src})"
        con.execute(f"delete from {dst} where date_day in (select distinct date_day from ({rebuilt}))")
        con.execute(f"insert into {dst} {rebuilt}")
    else:
        con.execute(f"create or replace table {dst} as select * from {src}")
