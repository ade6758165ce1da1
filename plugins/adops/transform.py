"""Run the dbt project in-process with dbt's programmatic runner (``dbtRunner``).

The same call works for the DuckDB default and BigQuery (``ADOPS_DBT_TARGET=bigquery``); dbt reads
the warehouse path and schemas from the environment, which this function sets from ``Settings``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from adops.settings import Settings


class DbtBuildFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class DbtSummary:
    success: bool
    passed: int
    failed: int
    target_dir: str


def dbt_env(settings: Settings) -> dict[str, str]:
    return {
        "ADOPS_WAREHOUSE_PATH": str(settings.warehouse_path),
        "ADOPS_WAREHOUSE_DATASET": settings.raw_dataset,
        "ADOPS_MARTS_SCHEMA": settings.marts_schema,
        "ADOPS_DBT_TARGET": settings.dbt_target,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def build_marts(settings: Settings, select: str | None = None) -> DbtSummary:
    """``dbt build`` (models + tests); raises ``DbtBuildFailed`` naming the failing nodes."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(settings))
    args = ["build", "--project-dir", str(settings.dbt_project_dir), "--profiles-dir", str(settings.dbt_project_dir),
            "--target", settings.dbt_target, "--target-path", str(settings.dbt_target_dir),
            "--log-path", str(settings.dbt_log_dir), "--quiet", "--no-use-colors"]
    if select:
        args += ["--select", select]
    result = dbtRunner().invoke(args)
    nodes = list(result.result or []) if result.result is not None else []
    failed = [n.node.name for n in nodes if str(getattr(n, "status", "")) in ("error", "fail")]
    summary = DbtSummary(bool(result.success), len(nodes) - len(failed), len(failed), str(settings.dbt_target_dir))
    if not result.success:
        raise DbtBuildFailed(f"dbt build failed: {failed or result.exception}")
    return summary
