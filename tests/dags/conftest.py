"""Point Airflow at a throw-away home before anything imports it (tests/dags only)."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_HOME = Path(tempfile.mkdtemp(prefix="adops-airflow-"))
os.environ.setdefault("AIRFLOW_HOME", str(_HOME))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_HOME / 'airflow.db'}")


# --- dag.test() against the emulator: a temp ADOPS_HOME, the tiktok_default connection, the API pool ---


@dataclass
class DagRunEnv:
    """What an end-to-end DAG test needs: the emulator, the run's settings and its data interval end."""

    server: Any
    settings: Any
    interval_end: datetime
    advertiser_ids: list[str]

    def run(self, dag_id: str, file: str) -> dict[str, Any]:
        """``dag.test()`` one DAG file at the emulator's clock; each task's return value by task id
        (``task[i]`` for mapped ones). Raises naming the task states when the run did not succeed."""
        from adops.airflow_runner import DagRunFailed, load_dags

        run = load_dags(ROOT / "dags" / file)[dag_id].test(logical_date=self.interval_end)
        tis = run.get_task_instances()
        if not str(run.state).endswith("success"):
            raise DagRunFailed(f"{dag_id} finished {run.state}: {[(ti.task_id, ti.state) for ti in tis]}")
        return {ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]":
                ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index if ti.map_index >= 0 else None)
                for ti in tis}


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Migrate the throw-away metadata DB once and create the pool the mapped API tasks run in."""
    from airflow.utils import db

    from adops.airflow_runner import ensure_pool

    db.upgradedb()
    ensure_pool()


@pytest.fixture
def dag_env(airflow_db, fresh_server, tmp_path, monkeypatch) -> DagRunEnv:
    """Environment of an Airflow worker pointed at a private emulator and a temp DuckDB/SQLite home."""
    from adops.airflow_runner import connection_json
    from adops.embedded import emulator_session
    from adops.settings import load

    session = emulator_session(fresh_server.url)
    creds = session["credentials"]
    ids = [str(i) for i in creds["advertiser_ids"]]
    for key in [k for k in os.environ if k.startswith(("ADOPS_", "TIKTOK_", "AIRFLOW_CONN_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ADOPS_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_DEFAULT", connection_json(
        fresh_server.base_url, creds["access_token"], ids, creds.get("app_id"), creds.get("secret")))
    return DagRunEnv(fresh_server, load(), session["now"], ids)
