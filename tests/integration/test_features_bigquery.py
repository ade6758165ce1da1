"""The Feast export on BigQuery writes the same Parquet files as on DuckDB, from the same marts.

The marts come from a real build (emulator → DuckDB → dbt) and are copied into the BigQuery stand-in
(``bigquery_wap_fake``: datasets are DuckDB schemas, queries translated from BigQuery SQL); only Google's
client is replaced. The two exports are compared row for row, and Feast materialises from the BigQuery one.
"""
from __future__ import annotations

import duckdb
import pytest

from adops.features import EXPORTS, FeatureExportError, export_marts, export_path, publish
from adops.settings import load
from tests.integration.dbt.bigquery_wap_fake import FakeWapClient
from tests.integration.dbt.test_bigquery_sql import fake_keyfile
from tests.integration.test_features import published  # noqa: F401  (the module-scoped build)

pytestmark = pytest.mark.integration


@pytest.fixture
def bigquery(published, monkeypatch, tmp_path):  # noqa: F811
    duck, _, _ = published
    FakeWapClient.reset()
    monkeypatch.setattr("google.cloud.bigquery.Client", FakeWapClient)
    FakeWapClient.sql(f"attach '{duck.warehouse_path}' as built (read_only)")
    FakeWapClient.sql(f'create schema "{duck.marts_schema}"')
    for mart in EXPORTS:
        FakeWapClient.sql(f'create table "{duck.marts_schema}".{mart} as select * from built.{duck.marts_schema}.{mart}')
    FakeWapClient.sql("detach built")
    settings = load({"ADOPS_HOME": str(tmp_path), "ADOPS_WAREHOUSE_DESTINATION": "bigquery",
                     "BIGQUERY_PROJECT": "adops-prod", "BIGQUERY_KEYFILE": str(fake_keyfile(tmp_path / "key.json"))})
    return duck, settings


def rows(path, columns: list[str]) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(f"select {', '.join(columns)} from read_parquet(?) order by all", [str(path)]).fetchall()


def test_the_bigquery_export_equals_the_duckdb_export_and_feast_materialises_it(bigquery):
    duck, settings = bigquery
    counts = export_marts(settings)
    assert counts == export_marts(duck) and all(n > 0 for n in counts.values())
    assert not settings.warehouse_path.exists()  # BigQuery was read, not a local DuckDB file
    for mart, columns in EXPORTS.items():
        compared = [*columns, "event_ts"]  # created_ts is the export's own clock
        assert rows(export_path(settings.home, mart), compared) == rows(export_path(duck.home, mart), compared)
    summary = publish(settings)
    assert summary.rows == counts and summary.feature_views == ["ad_daily", "adgroup_daily", "adgroup_trailing"]


def test_two_rows_for_one_ad_group_and_day_in_bigquery_are_refused(bigquery):
    _, settings = bigquery
    FakeWapClient.sql(f"insert into {settings.marts_schema}.fct_adgroup_features_daily "
                      f"select * from {settings.marts_schema}.fct_adgroup_features_daily limit 1")
    with pytest.raises(FeatureExportError, match=r"fct_adgroup_features_daily: adgroup_id=.* has 2 rows"):
        export_marts(settings)
