"""The dbt project is valid BigQuery SQL, checked offline.

``dbt compile --target bigquery`` runs with a throwaway service-account key (credentials are built
locally; no token is fetched because nothing is queried), ``assume_sources_exist`` (so the
staging macro does not introspect the warehouse) and ``compile_incremental`` (the incremental
marts render their incremental branch, a superset of the full-refresh SQL, without a lookup). Every compiled model and data test must then
parse with sqlglot's BigQuery dialect, and no DuckDB-only idiom may leak into it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
DBT_DIR = ROOT / "dbt"
DUCKDB_ONLY = ("::", "to_timestamp(", "timezone('utc'", "generate_series(", "arg_max(")


def fake_keyfile(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "offline-project", "private_key_id": "0", "private_key": pem,
        "client_email": "dbt@offline-project.iam.gserviceaccount.com", "client_id": "0",
        "token_uri": "https://oauth2.googleapis.com/token"}))
    return path


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("bq")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADOPS_", "BIGQUERY_", "GOOGLE_"))}
    env.update({"BIGQUERY_AUTH_METHOD": "service-account", "BIGQUERY_KEYFILE": str(fake_keyfile(tmp / "key.json")),
                "BIGQUERY_PROJECT": "offline-project", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "compile", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target", "bigquery",
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"), "--no-partial-parse",
         "--vars", "{assume_sources_exist: true, compile_incremental: true}", "--no-populate-cache",
         "--select", "resource_type:model resource_type:test"],
        cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return tmp / "target" / "compiled" / "adops"


def test_every_model_compiles_for_bigquery(compiled):
    expected = {p.stem for p in (DBT_DIR / "models").rglob("*.sql")}
    got = {p.stem for p in (compiled / "models").rglob("*.sql") if p.stem in expected}
    assert got == expected


def test_compiled_models_and_tests_parse_as_bigquery(compiled):
    files = sorted(compiled.rglob("*.sql"))
    assert len(files) > 50
    failures = {}
    for path in files:
        sql = path.read_text()
        try:
            sqlglot.parse(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as exc:
            failures[str(path.relative_to(compiled))] = str(exc)[:300]
        leaked = [idiom for idiom in DUCKDB_ONLY if idiom in sql.lower()]
        if leaked:
            failures[str(path.relative_to(compiled))] = f"DuckDB-only SQL: {leaked}"
    assert failures == {}


def test_cross_database_macros_render_bigquery_variants(compiled):
    attributed = (compiled / "models" / "intermediate" / "int_orders_attributed_to_ad_days.sql").read_text()
    kpis = (compiled / "models" / "marts" / "fct_campaign_kpis_daily.sql").read_text()
    assert "date(cast(orders.ordered_at as timestamp), ad_zones.advertiser_timezone)" in attributed
    assert "safe_divide(cast(" in kpis and "float64" in kpis


def test_incremental_branch_is_compiled_and_checked_too(compiled):
    """``compile_incremental`` renders the incremental filters (the SQL a scheduled build runs)."""
    hourly = (compiled / "models" / "marts" / "fct_ad_performance_hourly.sql").read_text()
    daily = (compiled / "models" / "marts" / "fct_adgroup_performance_daily.sql").read_text()
    assert "_dlt_load_id not in (select distinct _dlt_load_id from" in hourly
    assert "_built_at > coalesce((select max(_built_at) from" in daily
