"""dag.test() of feast_features over marts built from the emulator: online features equal the mart."""
from __future__ import annotations

import duckdb
import pytest

from adops.features import store
from adops.transform import build_marts, dbt_env
from tests.integration.loads.support import client_for
from tiktok.ingest import ingest_window

pytestmark = pytest.mark.dags
FEATURES = ["spend_7d", "conversions_7d", "cpa_7d", "spend", "daily_budget", "days_of_history"]


def latest_rows(settings) -> list[dict]:
    """Each ad group's newest mart row: what the online store must serve after materialisation."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        cursor = con.execute(f"select * from {settings.marts_schema}.fct_adgroup_features_daily "
                             "qualify row_number() over (partition by adgroup_id order by date_day desc) = 1 "
                             "order by adgroup_id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def online(settings, adgroup_ids: list[str]) -> dict[str, list]:
    fs = store(settings)
    return fs.get_online_features(features=fs.get_feature_service("adgroup_optimizer"),
                                  entity_rows=[{"adgroup_id": a} for a in adgroup_ids]).to_dict()


def test_feast_features_serves_the_latest_mart_row_online_and_a_rerun_changes_nothing(dag_env, monkeypatch):
    for key, value in dbt_env(dag_env.settings).items():
        monkeypatch.setenv(key, value)
    client, advertiser_id = client_for(dag_env.server)
    ingest_window(client, advertiser_id, dag_env.interval_end, dag_env.settings)
    build_marts(dag_env.settings, unit_tests=False)
    latest = latest_rows(dag_env.settings)
    assert latest

    first = dag_env.run("feast_features", "features.py")["publish_features"]
    assert first["rows"]["fct_adgroup_features_daily"] >= len(latest)
    assert "adgroup_optimizer" in first["feature_services"]
    ids = [row["adgroup_id"] for row in latest]
    served = online(dag_env.settings, ids)
    assert served["adgroup_id"] == ids
    for column in FEATURES:
        expected = [None if row[column] is None else float(row[column]) for row in latest]
        got = [None if v is None else float(v) for v in served[column]]
        assert got == pytest.approx(expected), column

    second = dag_env.run("feast_features", "features.py")["publish_features"]
    assert second["rows"] == first["rows"] and online(dag_env.settings, ids) == served
