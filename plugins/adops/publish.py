"""Write-audit-publish for the marts: dbt builds and tests in a side schema; only a clean build is published.

``dbt build`` writes every model into ``<marts>__wap`` and runs every test there. If any model or
test fails, nothing is copied: analysts and the optimiser keep reading the previous good marts,
and a ``tests_failed`` status row makes ``optimize`` refuse to decide until a build passes. If all
pass, ``warehouse.publish_tables`` swaps the tables into the marts schema in one transaction.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, replace
from typing import Any

from adops.settings import Settings
from adops.transform import DbtBuildFailed, build_marts

log = logging.getLogger(__name__)
PUBLISHED = "published"


class MartsNotPublished(RuntimeError):
    """dbt failed in the side schema; the previous marts were left in place."""


class MartsBlocked(RuntimeError):
    """The last marts build did not publish, so decisions must not be made on the marts."""


def build_schema(settings: Settings) -> str:
    return f"{settings.marts_schema}__wap"


def build_and_publish(settings: Settings, build_id: str) -> dict[str, Any]:
    """Write (dbt into the side schema), audit (dbt tests there), publish (atomic copy) — DuckDB."""
    from adops.warehouse import publish_tables, record_build

    if settings.warehouse_destination != "duckdb":  # BigQuery: see the note in adops.warehouse
        log.warning("write-audit-publish is DuckDB-only; building %s in place", settings.marts_schema)
        return asdict(build_marts(settings))
    try:
        summary = build_marts(replace(settings, marts_schema=build_schema(settings)))
    except DbtBuildFailed as exc:
        record_build(settings, build_id, "tests_failed", str(exc))
        raise MartsNotPublished(f"{exc}; nothing published, {settings.marts_schema} still holds the last good "
                                "build") from exc
    tables = publish_tables(settings, build_schema(settings), build_id)
    return {**asdict(summary), "published": tables}


def require_good_marts(settings: Settings) -> dict[str, Any] | None:
    """Raise ``MartsBlocked`` unless the newest marts build published (no record yet: allowed)."""
    from adops.warehouse import last_build

    last = last_build(settings) if settings.warehouse_destination == "duckdb" else None
    if last and last["status"] != PUBLISHED:
        raise MartsBlocked(f"optimize refused: the last marts build ({last['build_id']}) ended "
                           f"{last['status']}: {last['detail']}")
    return None if last is None else {k: str(v) for k, v in last.items()}
