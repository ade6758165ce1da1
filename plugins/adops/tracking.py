"""One MLflow run per optimisation cycle: the decision's parameters, metrics and the plan as an artifact.

The run is tagged with the plan id and looked up by it before one is created, so re-running a cycle
never adds a second run. By default the tracking store is a local SQLite file under ``ADOPS_HOME``
(``mlflow/mlflow.db``, artifacts next to it; MLflow 3 refuses the old ``./mlruns`` file store);
``MLFLOW_TRACKING_URI`` points it elsewhere. MLflow is imported only here, and only when called.
"""
from __future__ import annotations

import json
import os
from typing import Any

from adops.settings import Settings

EXPERIMENT = "adops-optimize"
PLAN_TAG = "adops.plan_id"


def tracking_uri(settings: Settings) -> str:
    configured = os.environ.get("MLFLOW_TRACKING_URI")
    if configured:
        return configured
    folder = settings.home / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _client(settings: Settings) -> tuple[Any, str]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri(settings))
    exp = client.get_experiment_by_name(EXPERIMENT)
    if exp is not None:
        return client, exp.experiment_id
    artifacts = None if os.environ.get("MLFLOW_TRACKING_URI") else (settings.home / "mlflow" / "artifacts").as_uri()
    try:
        return client, client.create_experiment(EXPERIMENT, artifact_location=artifacts)
    except Exception:  # noqa: BLE001  another advertiser's task created it a moment ago
        exp = client.get_experiment_by_name(EXPERIMENT)
        if exp is None:
            raise
        return client, exp.experiment_id


def find_run(settings: Settings, plan_id: str) -> str | None:
    """The run id already recorded for ``plan_id``, if any."""
    client, exp_id = _client(settings)
    return _find(client, exp_id, plan_id)


def _find(client: Any, exp_id: str, plan_id: str) -> str | None:
    quoted = plan_id.replace("'", "\\'")
    runs = client.search_runs([exp_id], filter_string=f"tags.`{PLAN_TAG}` = '{quoted}'", max_results=1)
    return runs[0].info.run_id if runs else None


def log_cycle(settings: Settings, plan_id: str, account_id: str, params: dict[str, Any],
              metrics: dict[str, float], artifact: dict[str, Any]) -> tuple[str, bool]:
    """``(run id, created)``: the cycle's run, created once (a re-run finds and returns the first)."""
    client, exp_id = _client(settings)
    existing = _find(client, exp_id, plan_id)
    if existing is not None:
        return existing, False
    run = client.create_run(exp_id, run_name=plan_id[-100:], tags={PLAN_TAG: plan_id, "adops.account_id": account_id})
    run_id = run.info.run_id
    try:
        for key, value in sorted(params.items()):
            client.log_param(run_id, key[:250], _short(value))
        for key, value in sorted(metrics.items()):
            if value is not None:
                client.log_metric(run_id, key[:250], float(value))
        client.log_text(run_id, json.dumps(artifact, indent=2, sort_keys=True, default=str), "plan.json")
    except Exception:
        client.delete_run(run_id)  # a half-logged run must not count as the cycle's run: a re-run logs again
        raise
    client.set_terminated(run_id)
    return run_id, True


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text[:6000]
