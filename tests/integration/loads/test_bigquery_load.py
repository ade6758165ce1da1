"""The BigQuery load path: dlt's BigQuery destination configured from our settings, merging every raw table.

Only Google's client is replaced (``bigquery_fake``); dlt's destination, our sources and ``run_load``
run for real, so the SQL and load jobs asserted here are what BigQuery would receive.
"""
from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import dlt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adops.sales import ingest_sales
from adops.settings import load
from adops.warehouse import destination
from tests.integration.loads.bigquery_fake import FakeBigQueryClient
from tests.integration.loads.support import client_for
from tiktok.ingest import ingest_window

pytestmark = pytest.mark.integration
EMAIL = "loader@adops-keys.iam.gserviceaccount.com"
END = datetime(2026, 10, 31, tzinfo=UTC)


@pytest.fixture(scope="module")
def keyfile(tmp_path_factory):
    """A service-account JSON key (a real RSA key, so google-auth builds real credentials from it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path_factory.mktemp("gcp") / "key.json"
    path.write_text(json.dumps({"type": "service_account", "project_id": "adops-keys", "private_key_id": "k1",
                                "private_key": pem, "client_email": EMAIL, "client_id": "1",
                                "token_uri": "https://oauth2.googleapis.com/token"}))
    return path


@pytest.fixture
def bigquery(monkeypatch, tmp_path, keyfile):
    FakeBigQueryClient.reset()
    monkeypatch.setattr("google.cloud.bigquery.Client", FakeBigQueryClient)
    drop = tmp_path / "drop"
    drop.mkdir()
    return load({"ADOPS_HOME": str(tmp_path), "ADOPS_WAREHOUSE_DESTINATION": "bigquery",
                 "BIGQUERY_PROJECT": "adops-prod", "BIGQUERY_LOCATION": "EU", "BIGQUERY_KEYFILE": str(keyfile),
                 "ADOPS_SALES_DROP_DIR": str(drop)})


def jsonl(data: bytes) -> list[dict]:
    text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def merge_statement(table: str) -> str:
    found = [q for q in FakeBigQueryClient.queries if q.startswith(f"DELETE FROM `adops-prod`.`tiktok_ads`.`{table}`")]
    assert len(found) == 1, f"no single merge statement for {table}"
    return found[0]


def primary_key(settings, pipeline_name: str, table: str) -> list[str]:
    pipeline = dlt.attach(pipeline_name, pipelines_dir=str(settings.dlt_pipelines_dir))
    columns = pipeline.default_schema.get_table_columns(table)
    return [name for name, column in columns.items() if column.get("primary_key")]


def test_orders_reach_bigquery_in_the_configured_project_region_and_identity_as_a_merge(bigquery):
    (bigquery.sales_drop_dir / "orders.csv").write_text(
        "order_id,order_time,value,currency,ad_id\nA1,2026-10-30 01:00:00,10.5,USD,ad1\nA2,2026-10-30 02:00:00,5,EUR,\n")
    result = ingest_sales(datetime(2026, 10, 30, tzinfo=UTC), END, bigquery, ())

    assert result["rows"] == {"orders": 2}
    assert {(c.project, c.location, c.credentials.service_account_email) for c in FakeBigQueryClient.clients} \
        == {("adops-prod", "EU", EMAIL)}
    assert {name: ds.location for name, ds in FakeBigQueryClient.datasets.items()} \
        == {"tiktok_ads": "EU", "tiktok_ads_staging": "EU"}
    staged = [(config, data) for table, config, data in FakeBigQueryClient.loads
              if table == "adops-prod.tiktok_ads_staging.orders"]
    assert len(staged) == 1, [t for t, _, _ in FakeBigQueryClient.loads]
    config, data = staged[0]
    assert (config.source_format, config.write_disposition) == ("NEWLINE_DELIMITED_JSON", "WRITE_APPEND")
    assert sorted(row["order_id"] for row in jsonl(data)) == ["A1", "A2"]
    merge = merge_statement("orders")
    assert "WHERE d.`order_id` = s.`order_id`" in merge and "FROM `adops-prod`.`tiktok_ads_staging`.`orders`" in merge
    assert "INSERT INTO `adops-prod`.`tiktok_ads`.`orders`" in merge
    assert not any(q.startswith("INSERT INTO `adops-prod`.`tiktok_ads`.`orders`") for q in FakeBigQueryClient.queries)
    assert sorted(p.name for p in bigquery.home.iterdir()) == ["dlt", "drop"]  # no DuckDB file, no lock file


def test_every_tiktok_raw_table_merges_on_its_primary_key_in_bigquery(bigquery, shared_server):
    client, advertiser_id = client_for(shared_server)
    result = ingest_window(client, advertiser_id, END, bigquery)

    tables = sorted(result["rows"])
    assert {"advertiser", "campaign_history", "adgroup_history", "ad_history", "ad_report_daily"} <= set(tables)
    staged = {table.rsplit(".", 1)[1] for table, _, _ in FakeBigQueryClient.loads if ".tiktok_ads_staging." in table}
    assert staged >= set(tables)
    for table in tables:
        key = primary_key(bigquery, f"tiktok_{advertiser_id}", table)
        assert key, f"{table} declares no primary key"
        merge = merge_statement(table)
        for column in key:
            assert f"d.`{column}` = s.`{column}`" in merge, (table, column, merge[:400])


def test_bad_bigquery_settings_fail_naming_the_variable_and_the_fix(tmp_path):
    missing = load({"ADOPS_HOME": str(tmp_path), "ADOPS_WAREHOUSE_DESTINATION": "bigquery",
                    "BIGQUERY_KEYFILE": str(tmp_path / "nope.json")})
    with pytest.raises(ValueError, match=r"BIGQUERY_KEYFILE=.*nope\.json is not a file.*Application Default"):
        destination(missing)
    unknown = load({"ADOPS_HOME": str(tmp_path), "ADOPS_WAREHOUSE_DESTINATION": "snowflake"})
    with pytest.raises(ValueError, match="ADOPS_WAREHOUSE_DESTINATION='snowflake'.*duckdb.*bigquery"):
        destination(unknown)
