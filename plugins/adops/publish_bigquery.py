"""Write-audit-publish on BigQuery: copy jobs out of ``<marts>__wap``, then the status row, last.

dbt builds and tests in the ``<marts>__wap`` dataset exactly as on DuckDB (``adops.publish``). BigQuery
has no transaction around DDL or copy jobs, so publishing is ordered instead: every base table of the
side dataset is copied over its published twin (a copy job with WRITE_TRUNCATE: whole table, metadata
only within one region, no slot time), and only then is the ``published`` row inserted into
``adops_audit.marts_builds``. Readers (``optimize``, through ``require_good_marts``) trust the marts
only once that row says so; a copy that fails leaves a ``publish_failed`` row naming the table, and the
next publish copies every table again. Views (dbt's staging models) are not copied: they would keep
reading the side dataset.

``adops.warehouse`` hands its status and side-schema functions to this module when
``ADOPS_WAREHOUSE_DESTINATION=bigquery``, so ``adops.publish`` runs the same steps on both warehouses.
Credentials are the loads' (``BIGQUERY_KEYFILE`` or Application Default Credentials), and the client is
imported lazily: google-cloud-bigquery comes with dbt-bigquery, and DuckDB users never load it.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from adops.settings import Settings

log = logging.getLogger(__name__)
STATUS_TABLE = "marts_builds"
PUBLISH_FAILED = "publish_failed"
BASE_TABLE = "TABLE"  # list_tables' table_type of a base table (views say VIEW / MATERIALIZED_VIEW)


class PublishFailed(RuntimeError):
    """A copy job failed mid-publish: the marts are partly new, and the status row says publish_failed."""

    def __init__(self, message: str, table: str, copied: list[str]) -> None:
        super().__init__(message)
        self.table, self.copied = table, copied


def client(settings: Settings) -> Any:
    """A BigQuery client in ``BIGQUERY_PROJECT`` / ``BIGQUERY_LOCATION``, with the loads' credentials."""
    from google.cloud import bigquery

    from adops.warehouse import bigquery_keyfile_text

    key = bigquery_keyfile_text(settings)
    if key is None:  # Application Default Credentials (and their project when BIGQUERY_PROJECT is unset)
        return bigquery.Client(project=settings.bigquery_project, location=settings.bigquery_location)
    from google.oauth2 import service_account

    try:
        credentials = service_account.Credentials.from_service_account_info(json.loads(key))
    except (ValueError, KeyError) as exc:
        raise ValueError(f"BIGQUERY_KEYFILE={settings.bigquery_keyfile} is not a service-account JSON key ({exc}): "
                         "download one from IAM > Service accounts > Keys, or unset it to use Application "
                         "Default Credentials") from exc
    return bigquery.Client(project=settings.bigquery_project, credentials=credentials,
                           location=settings.bigquery_location)


def _status_table(bq: Any) -> str:
    from adops.warehouse import AUDIT_SCHEMA

    return f"{bq.project}.{AUDIT_SCHEMA}.{STATUS_TABLE}"


def _ensure_dataset(bq: Any, settings: Settings, name: str) -> None:
    from google.cloud import bigquery

    dataset = bigquery.Dataset(f"{bq.project}.{name}")
    dataset.location = settings.bigquery_location
    bq.create_dataset(dataset, exists_ok=True)


def record_build(settings: Settings, build_id: str, status: str, detail: str = "", bq: Any = None) -> None:
    """Insert one status row (a DML insert: readable by the next query at once, unlike a streaming insert,
    which can be refused for a while after the table is first created)."""
    from google.cloud import bigquery

    from adops.warehouse import AUDIT_SCHEMA

    bq = bq or client(settings)
    _ensure_dataset(bq, settings, AUDIT_SCHEMA)
    schema = [bigquery.SchemaField(name, kind, mode="REQUIRED" if name != "detail" else "NULLABLE") for name, kind in
              (("build_id", "STRING"), ("status", "STRING"), ("detail", "STRING"), ("recorded_at", "TIMESTAMP"))]
    bq.create_table(bigquery.Table(_status_table(bq), schema=schema), exists_ok=True)
    params = [bigquery.ScalarQueryParameter(name, "STRING", value)
              for name, value in (("build_id", build_id), ("status", status), ("detail", detail))]
    bq.query(f"insert into `{_status_table(bq)}` (build_id, status, detail, recorded_at) "
             "values (@build_id, @status, @detail, current_timestamp())",
             job_config=bigquery.QueryJobConfig(query_parameters=params)).result()


def last_build(settings: Settings, statuses: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """The newest status row (of ``statuses``, default any), or None when no build was recorded yet."""
    from google.api_core.exceptions import NotFound
    from google.cloud import bigquery

    bq = client(settings)
    where, params = "", []
    if statuses:
        where, params = "where status in unnest(@statuses)", [bigquery.ArrayQueryParameter("statuses", "STRING",
                                                                                           list(statuses))]
    sql = (f"select build_id, status, detail, recorded_at from `{_status_table(bq)}` {where} "
           "order by recorded_at desc limit 1")
    try:
        rows = list(bq.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params)).result())
    except NotFound:  # no adops_audit dataset or status table: nothing was ever built here
        return None
    return dict(rows[0].items()) if rows else None


def read_frames(settings: Settings, tables: list[str]) -> dict[str, Any]:
    """The raw tables that exist in the raw dataset, as DataFrames: what the quality gate checks on BigQuery."""
    from google.api_core.exceptions import NotFound

    bq = client(settings)
    try:
        present = {t.table_id for t in bq.list_tables(f"{bq.project}.{settings.raw_dataset}")}
    except NotFound:  # nothing loaded yet: the gate has nothing to check
        return {}
    return {t: bq.query(f"select * from `{bq.project}.{settings.raw_dataset}.{t}`").result().to_dataframe()
            for t in tables if t in present}


def drop_dataset(settings: Settings, dataset: str) -> None:
    """Drop the side dataset and its tables (after a failed build, so the next build is full)."""
    bq = client(settings)
    bq.delete_dataset(f"{bq.project}.{dataset}", delete_contents=True, not_found_ok=True)


def publish_tables(settings: Settings, source: str, build_id: str) -> list[str]:
    """Copy every base table of ``source`` over the marts dataset's, then record ``published``.

    Raises ``PublishFailed`` naming the table whose copy failed (and the tables copied before it), after
    recording ``publish_failed`` so ``optimize`` refuses the half-published marts.
    """
    from google.api_core.exceptions import GoogleAPIError, NotFound
    from google.cloud import bigquery

    from adops.publish import MartsNotPublished

    bq = client(settings)
    target = settings.marts_schema
    try:
        tables = sorted(t.table_id for t in bq.list_tables(f"{bq.project}.{source}") if t.table_type == BASE_TABLE)
    except NotFound as exc:
        raise MartsNotPublished(f"nothing to publish: dataset {bq.project}.{source} does not exist; run dbt build "
                                "into it first (adops.publish.build_and_publish or the build_marts DAG)") from exc
    _ensure_dataset(bq, settings, target)
    config = bigquery.CopyJobConfig(write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE)
    copied: list[str] = []
    for table in tables:
        try:
            bq.copy_table(f"{bq.project}.{source}.{table}", f"{bq.project}.{target}.{table}", job_config=config).result()
        except GoogleAPIError as exc:
            detail = f"copy of {source}.{table} into {target} failed after {len(copied)} table(s) {copied}: {exc}"
            record_build(settings, build_id, PUBLISH_FAILED, detail, bq=bq)
            raise PublishFailed(detail + "; the next successful publish copies every table again", table,
                                copied) from exc
        copied.append(table)
    record_build(settings, build_id, "published", f"{len(tables)} tables", bq=bq)
    log.info("published %d tables from %s to %s (build %s)", len(tables), source, target, build_id)
    return tables
