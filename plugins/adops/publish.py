"""Write-audit-publish for the marts: dbt builds and tests in a side schema; only a clean build is published.

``dbt build`` writes every model into ``<marts>__wap`` and runs every test there. If any model or
test fails, nothing is copied: analysts and the optimiser keep reading the previous good marts,
and a ``tests_failed`` status row makes ``optimize`` refuse to decide until a build passes (the side
schema keeps the failed build for inspection and is dropped before the next build, which is full). If all pass,
``warehouse.publish_tables`` swaps the tables into the marts schema in one transaction (on BigQuery, the
side dataset's tables are copied by copy jobs and the status row is written last: ``adops.publish_bigquery``;
``adops.warehouse`` picks the implementation from ``ADOPS_WAREHOUSE_DESTINATION``). The DAG
runs dbt through Cosmos and then ``publish_built`` / ``record_failure``; ``build_and_publish`` is
the same sequence in one call (CLI, benchmarks, tests).
"""
from __future__ import annotations

import logging
from dataclasses import asdict, replace
from typing import Any

from adops.loadlock import lock_for
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


def build_and_publish(settings: Settings, build_id: str, unit_tests: bool = False) -> dict[str, Any]:
    """Write (dbt into the side schema), audit (dbt tests there), publish (copy) — DuckDB and BigQuery.

    The side schema keeps the incremental marts between builds, so a build redoes only the days the
    loads touched. Unit tests check SQL, not data: CI runs them (``unit_tests=True`` here too).
    """
    prepare_build(settings)
    try:
        summary = build_marts(replace(settings, marts_schema=build_schema(settings)), unit_tests=unit_tests)
    except DbtBuildFailed as exc:
        record_failure(settings, build_id, str(exc))
        raise MartsNotPublished(f"{exc}; nothing published, {settings.marts_schema} still holds the last good "
                                "build") from exc
    return {**asdict(summary), "published": publish_built(settings, build_id)}


def publish_built(settings: Settings, build_id: str) -> list[str]:
    """Publish what dbt built and tested in the side schema (the DAG's step after its Cosmos group)."""
    from adops.warehouse import publish_tables

    return publish_tables(settings, build_schema(settings), build_id)


def record_failure(settings: Settings, build_id: str, detail: str) -> bool:
    """Record ``tests_failed`` (the side schema keeps the failed build for inspection).

    Returns False (records nothing) when this build already ended at the raw-data gate: dbt did not
    run then. The check and the record happen under one write hold of the warehouse lock.
    """
    from adops.warehouse import last_build, record_build

    with lock_for(settings):
        last = last_build(settings)
        if last and last["build_id"] == build_id and last["status"] == "gate_failed":
            return False
        record_build(settings, build_id, "tests_failed", detail)
    return True


def prepare_build(settings: Settings) -> bool:
    """Before dbt: if the last build that ran dbt failed, drop the side schema (True), so this one is full.

    A failed build may have left some incremental marts updated and others not, or rows its tests
    rejected; rebuilding from the raw tables once is cheaper than reasoning about that state.
    """
    from adops.warehouse import drop_schema, last_build

    with lock_for(settings):  # one write hold: no publish lands between the check and the drop
        last = last_build(settings, statuses=(PUBLISHED, "tests_failed"))
        if last is None or last["status"] == PUBLISHED:
            return False
        drop_schema(settings, build_schema(settings))
    return True


def require_good_marts(settings: Settings) -> dict[str, Any] | None:
    """Raise ``MartsBlocked`` unless the newest marts build published (no record yet: allowed)."""
    from adops.warehouse import last_build

    last = last_build(settings)
    if last and last["status"] != PUBLISHED:
        raise MartsBlocked(f"optimize refused: the last marts build ({last['build_id']}) ended "
                           f"{last['status']}: {last['detail']}")
    return None if last is None else {k: str(v) for k, v in last.items()}
