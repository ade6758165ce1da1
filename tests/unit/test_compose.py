"""docker-compose.airflow.yml cannot run here (no Docker engine); check that it is well-formed and complete."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.airflow.yml").read_text())


def test_has_airflow3_celery_topology() -> None:
    services = _compose()["services"]
    for name in ["postgres", "redis", "tiktok-emulator", "airflow-init", "airflow-apiserver", "airflow-scheduler",
                 "airflow-dag-processor", "airflow-triggerer", "airflow-worker"]:
        assert name in services, name
    assert services["airflow-worker"]["command"] == "celery worker"
    assert services["airflow-apiserver"]["command"] == "api-server"


def test_common_env_points_at_postgres_and_redis() -> None:
    env = _compose()["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:8080/")


def test_emulator_service_runs_the_module() -> None:
    emu = _compose()["services"]["tiktok-emulator"]
    assert emu["entrypoint"][:3] == ["python", "-m", "tiktok_emulator"]


def test_image_pins_the_same_airflow_as_requirements() -> None:
    req = (ROOT / "requirements.txt").read_text()
    docker = (ROOT / "Dockerfile.airflow").read_text()
    pinned = next(line for line in req.splitlines() if line.startswith("apache-airflow=="))
    assert pinned.split("==")[1] in docker
