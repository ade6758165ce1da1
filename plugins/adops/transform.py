"""Run the dbt project in-process with dbt's programmatic runner (``dbtRunner``).

The same call works for the DuckDB default and BigQuery (``ADOPS_DBT_TARGET=bigquery``); dbt reads
the warehouse path and schemas from the environment, which this function sets from ``Settings``.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from adops.settings import Settings

PROJECT_SUFFIXES = (".sql", ".yml", ".yaml", ".csv")


class DbtBuildFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class DbtSummary:
    success: bool
    passed: int
    failed: int
    target_dir: str


def dbt_env(settings: Settings) -> dict[str, str]:
    """What dbt reads from the environment. The schema dbt writes goes in ``ADOPS_DBT_SCHEMA``, never in
    ``ADOPS_MARTS_SCHEMA``: runners leave these variables in the process (Cosmos copies them into
    ``os.environ``), and the side schema must not become the marts schema of later tasks."""
    return {
        "ADOPS_WAREHOUSE_PATH": str(settings.warehouse_path),
        "ADOPS_WAREHOUSE_DATASET": settings.raw_dataset,
        "ADOPS_DBT_SCHEMA": settings.marts_schema,
        "ADOPS_DBT_TARGET": settings.dbt_target,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def build_args(settings: Settings, select: str | None = None, full_refresh: bool = False,
               unit_tests: bool = True) -> list[str]:
    """The ``dbt build`` command line. Unit tests check SQL logic, not data: dbt recommends running
    them in development and CI only, so the scheduled build may leave them out (``unit_tests=False``)."""
    args = ["build", "--project-dir", str(settings.dbt_project_dir), "--profiles-dir", str(settings.dbt_project_dir),
            "--target", settings.dbt_target, "--target-path", str(settings.dbt_target_dir),
            "--log-path", str(settings.dbt_log_dir), "--quiet", "--no-use-colors"]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    return args


@contextlib.contextmanager
def scoped_env(values: dict[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for one in-process dbt call, then restore what was there, so a
    build into another schema (the write-audit side schema, a test's) never leaks into later calls."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _write_lock(settings: Settings) -> contextlib.AbstractContextManager[None]:
    if settings.warehouse_destination != "duckdb":
        return contextlib.nullcontext()
    from adops.loadlock import warehouse_lock

    return warehouse_lock(settings.warehouse_path, settings.warehouse_lock_timeout_s)


def _close_duckdb(settings: Settings) -> None:
    """dbt-duckdb keeps its DuckDB connection open between in-process invocations (``keep_open``), and while
    this process holds the file no other process can open it, lock or no lock: close it before the lock
    is released (the next invocation reopens it)."""
    if settings.dbt_target != "duckdb":
        return
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with contextlib.suppress(Exception):  # no environment: nothing is open
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()


def build_marts(settings: Settings, select: str | None = None, full_refresh: bool = False,
                unit_tests: bool = True) -> DbtSummary:
    """``dbt build`` (models + tests); raises ``DbtBuildFailed`` naming the failing nodes.

    The big marts are incremental (whole days, see dbt/macros/incremental.sql); ``full_refresh``
    rebuilds them from the raw tables instead.
    """
    from dbt.cli.main import dbtRunner

    with scoped_env(dbt_env(settings)), _write_lock(settings):  # DuckDB has one writer: queue, don't fail
        try:
            result = dbtRunner().invoke(build_args(settings, select, full_refresh, unit_tests))
        finally:
            _close_duckdb(settings)
    nodes = list(result.result or []) if result.result is not None else []
    failed = [n.node.name for n in nodes if str(getattr(n, "status", "")) in ("error", "fail")]
    summary = DbtSummary(bool(result.success), len(nodes) - len(failed), len(failed), str(settings.dbt_target_dir))
    if not result.success:
        raise DbtBuildFailed(f"dbt build failed: {failed or result.exception}")
    return summary


def ensure_manifest(settings: Settings) -> Path:
    """dbt's ``manifest.json`` for Cosmos, parsed again only when a project file is newer.

    ``dbt parse`` reads the project and profiles only: no ``dbt deps``, no warehouse, no network,
    so Airflow can render the marts group offline. Returns the manifest's path.
    """
    from dbt.cli.main import dbtRunner

    manifest = settings.dbt_target_dir / "manifest.json"
    project = settings.dbt_project_dir
    newest = max(p.stat().st_mtime for p in project.rglob("*") if p.suffix in PROJECT_SUFFIXES
                 and "target" not in p.parts and "logs" not in p.parts)
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        return manifest
    with scoped_env(dbt_env(settings)):
        result = dbtRunner().invoke(["parse", "--project-dir", str(project), "--profiles-dir", str(project),
                                     "--target", settings.dbt_target, "--target-path", str(settings.dbt_target_dir),
                                     "--log-path", str(settings.dbt_log_dir), "--quiet", "--no-use-colors"])
    if not result.success or not manifest.exists():
        raise DbtBuildFailed(f"dbt parse failed: {result.exception}")
    return manifest
