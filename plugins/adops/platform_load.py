"""The control plane's decision and audit records, copied into the warehouse with dlt's ``sql_database``.

Analysts answer "what did the optimiser decide, why, who approved it and what did TikTok do?" from
``fct_decisions`` (dbt/models/marts), so the records the cycle keeps in the control-plane DB (SQLite by
default, PostgreSQL in production) are loaded into the platform dataset (``ADOPS_PLATFORM_DATASET``,
default ``adops_platform``) next to the raw TikTok tables, through the same destination and warehouse
lock as every other load (``adops.warehouse.run_load``).

Only decision and audit tables are listed (``TABLES``): never ``oauth_tokens`` / ``oauth_states``
(encrypted tokens, consent state) nor ``api_log`` (one row per HTTP attempt: large, and not a decision
record). Every table merges on its primary key and is read incrementally from its cursor's last value
minus a lag (a row committed late with an older stamp or id, as concurrent PostgreSQL transactions do,
is still picked up; the merge makes re-reading it harmless), so a re-load changes nothing.
``approvals`` has no update stamp (a decision or an outcome changes a row in place), so it is re-read
whole: one row per human decision, a small table.

JSON columns are loaded as JSON text (``json_as_text`` declares them text, ``_cast_json`` selects them
as text): a JSON scalar (a budget in ``current``) and an object (a reason list) then land in one string
column on DuckDB and BigQuery alike, instead of dlt splitting scalars into variant columns; dbt reads
them with ``json_text`` / ``json_number`` (dbt/macros/json_text.sql). The pyarrow backend hands dlt
Arrow tables that go to Parquet without per-row normalisation (about half the CPU of row dicts here);
dlt adds no bookkeeping columns to Arrow items, so each batch gets ``_dlt_load_id`` (which load last
wrote a row) and ``_dlt_id`` (the primary key as text: unique and stable), as the TikTok sources do.
"""
from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, replace
from typing import Any

import dlt
import pyarrow as pa
import sqlalchemy as sa
from dlt.sources.sql_database import sql_database

from adops.db import make_engine, migrate
from adops.settings import Settings
from adops.warehouse import LoadSummary, run_load

log = logging.getLogger(__name__)

PIPELINE = "adops_platform"
DEFAULT_DATASET = "adops_platform"
DECISIONS = "+fct_decisions"  # the mart and its staging parents


@dataclass(frozen=True)
class TableSpec:
    """How one control-plane table is loaded: primary key, incremental cursor (None: whole) and its lag
    (seconds for a timestamp, ids for an id: how far behind the last value seen each load re-reads)."""

    primary_key: str
    cursor: str | None = None
    lag: float | None = None


STAMP_LAG_S = 300.0  # 5 minutes: longer than any control-plane transaction
TABLES: dict[str, TableSpec] = {
    "plans": TableSpec("plan_id", "updated_at", STAMP_LAG_S),  # one row per cycle: status, outcome counts
    "change_log": TableSpec("id", "updated_at", STAMP_LAG_S),  # one row per proposed change: verdict, outcome
    "approvals": TableSpec("id"),  # decided in place (no update stamp): re-read whole, merged
    "outbox_intents": TableSpec("id", "updated_at", STAMP_LAG_S),  # one per remote write: state, remote id
    "outbox_events": TableSpec("id", "id", 1000),  # append-only audit of every claim, send and settlement
}
SECRET_TABLES = frozenset({"oauth_tokens", "oauth_states"})


def platform_dataset(env: dict[str, str] | None = None) -> str:
    """``ADOPS_PLATFORM_DATASET`` (dbt's ``adops_platform`` source reads the same variable)."""
    value = (os.environ if env is None else env).get("ADOPS_PLATFORM_DATASET") or DEFAULT_DATASET
    if not value.replace("_", "").isalnum():
        raise ValueError(f"ADOPS_PLATFORM_DATASET={value!r}: use letters, digits and underscores only "
                         "(it names a DuckDB schema / BigQuery dataset)")
    return value


def json_as_text(sql_type: Any) -> Any:
    """``type_adapter_callback``: JSON columns become text columns (see the module docstring)."""
    return sa.Text() if isinstance(sql_type, sa.JSON) else sql_type


def _cast_json(query: Any, table: sa.Table, *_: Any) -> Any:
    """``query_adapter_callback``: select JSON columns as their JSON text, so every database driver
    (sqlite3 hands back text, psycopg parses JSON into dicts) yields the same strings."""
    json_cols = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    if not json_cols:
        return query
    return query.with_only_columns(*[sa.cast(c, sa.Text).label(c.name) if c.name in json_cols else c
                                     for c in table.columns], maintain_column_froms=True)


def dlt_columns(primary_key: str) -> Any:
    """An ``add_map`` appending ``_dlt_load_id`` (this load) and ``_dlt_id`` (the key) to Arrow batches."""
    def append(item: Any) -> Any:
        if not isinstance(item, pa.Table):
            return item
        load_id = dlt.current.load_package_state()["load_id"]
        item = item.append_column(pa.field("_dlt_load_id", pa.string(), nullable=False),
                                  pa.array([load_id] * item.num_rows, pa.string()))
        return item.append_column(pa.field("_dlt_id", pa.string(), nullable=False),
                                  item.column(primary_key).cast(pa.string()))
    return append


def platform_source(engine: sa.engine.Engine, tables: dict[str, TableSpec] | None = None) -> Any:
    """The ``sql_database`` source over ``tables`` (default ``TABLES``), merge + incremental hints set."""
    tables = TABLES if tables is None else tables
    secret = SECRET_TABLES & set(tables)
    if secret:
        raise ValueError(f"tables {sorted(secret)} hold credentials and are never copied to the warehouse")
    source = sql_database(engine, table_names=list(tables), reflection_level="full", backend="pyarrow",
                          type_adapter_callback=json_as_text, query_adapter_callback=_cast_json)
    for name, spec in tables.items():
        incremental = None if spec.cursor is None else dlt.sources.incremental(spec.cursor, lag=spec.lag)
        source.resources[name].apply_hints(primary_key=spec.primary_key, write_disposition="merge",
                                           incremental=incremental)
        source.resources[name].add_map(dlt_columns(spec.primary_key))
    return source


def load_platform(settings: Settings, tables: dict[str, TableSpec] | None = None) -> LoadSummary:
    """Copy the decision and audit records into the platform dataset (a re-load changes nothing)."""
    migrate(settings.control_db_url)  # a fresh control DB has every table, so the first load is complete
    engine = make_engine(settings.control_db_url)
    try:
        target = replace(settings, raw_dataset=platform_dataset())
        return run_load(target, platform_source(engine, tables), PIPELINE)
    finally:
        engine.dispose()


def load_decisions(settings: Settings) -> dict[str, Any]:
    """``load_platform`` as a plain dict (the optimize DAG's ``load_decisions`` task returns it to XCom)."""
    return asdict(load_platform(settings))


def publish_decisions(settings: Settings, build_id: str) -> list[str]:
    """Rebuild ``fct_decisions`` (and its staging views) after a cycle, test it, publish it.

    For ``adops run``, which runs the DAGs one after another: the marts were built before the cycle,
    so without this the decisions it just made would wait for the next marts build. Same
    write-audit-publish as ``build_marts`` (side schema, tests, one-transaction copy), and only on top of
    a published build: after a failed one the side schema is incomplete, and publishing it would mark
    the marts good. Airflow does not call this: its ``build_marts`` builds ``fct_decisions`` with every
    other mart, and two builds must not share the side schema at the same time.
    """
    from adops.publish import PUBLISHED, MartsNotPublished, build_schema, publish_built, record_failure
    from adops.transform import DbtBuildFailed, build_marts
    from adops.warehouse import last_build

    last = last_build(settings, statuses=(PUBLISHED, "tests_failed"))
    if last is None or last["status"] != PUBLISHED:
        log.warning("fct_decisions not refreshed: no published marts build to add it to (last: %s)", last)
        return []
    try:
        build_marts(replace(settings, marts_schema=build_schema(settings)), select=DECISIONS, unit_tests=False)
    except DbtBuildFailed as exc:
        record_failure(settings, build_id, str(exc))
        raise MartsNotPublished(f"{exc}; fct_decisions not published, {settings.marts_schema} keeps the last "
                                "good build") from exc
    return publish_built(settings, build_id)
