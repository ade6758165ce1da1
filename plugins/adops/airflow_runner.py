"""The thin Airflow adapter for ``adops run``: environment, metadata DB, and ``dag.test()`` runs.

This is the only ``adops`` module that imports Airflow, and it does so inside functions, after
``configure_environment`` has set ``AIRFLOW_HOME`` and friends (Airflow reads them at import).
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from adops.settings import REPO_ROOT, Settings

POOL = "tiktok_api"
POOL_SLOTS = 4


class DagRunFailed(RuntimeError):
    pass


def connection_json(base_url: str, token: str, advertiser_ids: list[str], app_id: str | None,
                    secret: str | None) -> str:
    """``AIRFLOW_CONN_TIKTOK_DEFAULT`` in Airflow's JSON form (host = base URL, password = token)."""
    return json.dumps({"conn_type": "tiktok", "host": base_url, "password": token,
                       "extra": {"advertiser_ids": advertiser_ids, "app_id": app_id, "secret": secret}})


def airflow_env(settings: Settings, conn_json: str) -> dict[str, str]:
    home = settings.airflow_home
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__OPENLINEAGE__DISABLED": "True",
        "AIRFLOW_CONN_TIKTOK_DEFAULT": conn_json,
    }


def configure_environment(settings: Settings, conn_json: str) -> None:
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    os.environ.update(airflow_env(settings, conn_json))


def ensure_metadata_db(settings: Settings) -> bool:
    """Create/migrate the SQLite metadata DB once per Airflow version; returns True if it migrated."""
    import airflow
    from airflow.utils import db

    marker = settings.airflow_home / f".migrated-{airflow.__version__}"
    migrated = False
    if not marker.exists() or not (settings.airflow_home / "airflow.db").exists():
        db.upgradedb()
        marker.write_text("ok\n")
        migrated = True
    ensure_pool()
    return migrated


def ensure_pool() -> None:
    """The ``tiktok_api`` pool the mapped API tasks queue in (sized to the API quota), and the one-slot pool
    of the tasks that open the DuckDB warehouse file (one writer at a time; see ``adops.loadlock``)."""
    from airflow.models.pool import Pool

    from adops.loadlock import WAREHOUSE_POOL

    Pool.create_or_update_pool(POOL, slots=POOL_SLOTS, description="TikTok API quota", include_deferred=False)
    Pool.create_or_update_pool(WAREHOUSE_POOL, slots=1, description="DuckDB warehouse: one task at a time",
                               include_deferred=False)


def load_dags(dags_folder: Path | None = None) -> dict[str, Any]:
    """The DAGs of a folder, or of one DAG file inside it (cheaper when only that DAG runs)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder or REPO_ROOT / "dags"))
    if bag.import_errors:
        raise DagRunFailed(f"DAG import errors: {bag.import_errors}")
    return bag.dags


def run_dag(dags: dict[str, Any], dag_id: str, logical_date: datetime) -> str:
    """``dag.test()`` one run; raises ``DagRunFailed`` naming the failed tasks."""
    run = dags[dag_id].test(logical_date=logical_date)
    state = str(getattr(run, "state", ""))
    if not state.endswith("success"):
        failed = [ti.task_id for ti in run.get_task_instances() if str(ti.state).endswith("failed")]
        raise DagRunFailed(f"{dag_id} finished {state}; failed tasks: {failed}")
    return state
