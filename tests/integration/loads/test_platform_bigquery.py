"""The decision records' BigQuery path: dlt's real BigQuery destination, only Google's client replaced.

JSON columns must reach BigQuery as JSON text (one STRING column whatever the JSON holds), every table
must merge on its primary key, and the dataset is ``ADOPS_PLATFORM_DATASET`` in the configured region.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from adops import changelog
from adops.control import ControlPlane
from adops.platform_load import TABLES, load_platform
from adops.settings import load
from ml.plan import AD, ADGROUP, BUDGET, PAUSED, STATUS, Change
from tests.integration.dbt.test_bigquery_sql import fake_keyfile
from tests.integration.loads.bigquery_fake import FakeBigQueryClient
from tests.integration.loads.test_bigquery_load import jsonl

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)


@pytest.fixture
def bigquery(monkeypatch, tmp_path):
    FakeBigQueryClient.reset()
    monkeypatch.setattr("google.cloud.bigquery.Client", FakeBigQueryClient)
    monkeypatch.setenv("ADOPS_PLATFORM_DATASET", "decisions_eu")
    return load({"ADOPS_HOME": str(tmp_path), "ADOPS_WAREHOUSE_DESTINATION": "bigquery",
                 "BIGQUERY_PROJECT": "adops-prod", "BIGQUERY_LOCATION": "EU",
                 "BIGQUERY_KEYFILE": str(fake_keyfile(tmp_path / "key.json"))})


def test_change_log_reaches_bigquery_as_json_text_merged_on_its_key(bigquery):
    control = ControlPlane(bigquery.control_db_url)
    control.propose("p1", "tiktok", "adv", "optimize.cycle", {"verdicts": []})
    with Session(control.engine) as session, session.begin():
        changelog.log_change(session, "p1", "adv", NOW, Change(BUDGET, ADGROUP, "g1", 200.0, 240.0, "up"), "allow",
                             ["inside policy"], "applied", detail={"intent": 7})
        changelog.log_change(session, "p1", "adv", NOW, Change(STATUS, AD, "a1", "enabled", PAUSED, "tired"),
                             "block", ["kill switch"], "blocked")
    control.dispose()

    summary = load_platform(bigquery)

    assert summary.tables == {"plans": 1, "change_log": 2}
    assert {name: ds.location for name, ds in FakeBigQueryClient.datasets.items()} \
        == {"decisions_eu": "EU", "decisions_eu_staging": "EU"}
    [(config, data)] = [(c, d) for t, c, d in FakeBigQueryClient.loads if t == "adops-prod.decisions_eu_staging.change_log"]
    assert config.source_format == "NEWLINE_DELIMITED_JSON"
    rows = {r["entity_id"]: r for r in jsonl(data)}
    assert [json.loads(rows["g1"][c]) for c in ("current", "proposed")] == [200.0, 240.0]
    assert rows["a1"]["proposed"] == '"paused"'  # a JSON string scalar, kept as JSON text
    assert json.loads(rows["g1"]["detail"]) == {"intent": 7} and json.loads(rows["a1"]["verdict_reasons"]) == [
        "kill switch"]
    ddl = "\n".join(FakeBigQueryClient.queries).split("CREATE TABLE `adops-prod`.`decisions_eu`.`change_log`")[1]
    created = ddl.split("CREATE TABLE")[0]
    assert "`current` STRING" in created and "`verdict_reasons` STRING" in created and " JSON" not in created
    for table in ("plans", "change_log"):
        key = TABLES[table].primary_key
        merge = next(q for q in FakeBigQueryClient.queries if q.startswith(f"DELETE FROM `adops-prod`.`decisions_eu`.`{table}`"))
        assert f"d.`{key}` = s.`{key}`" in merge, merge[:300]
