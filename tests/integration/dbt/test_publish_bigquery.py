"""Write-audit-publish on BigQuery: copy jobs out of ``analytics__wap``, the status row last, optimize gated.

Google's client is the only thing replaced (``bigquery_wap_fake``: datasets are DuckDB schemas, copy
jobs copy rows, the status SQL runs). dbt is stubbed by a function that writes what ``dbt build`` would
into the side dataset, or raises ``DbtBuildFailed`` as a failing test does.
"""
from __future__ import annotations

import pytest

from adops import publish
from adops.publish import (
    MartsBlocked,
    MartsNotPublished,
    build_and_publish,
    prepare_build,
    publish_built,
    require_good_marts,
)
from adops.publish_bigquery import PublishFailed
from adops.settings import load
from adops.transform import DbtBuildFailed, DbtSummary
from adops.warehouse import last_build, record_build
from tests.integration.dbt.bigquery_wap_fake import FakeWapClient
from tests.integration.dbt.test_bigquery_sql import fake_keyfile

pytestmark = pytest.mark.integration
WAP = "analytics__wap"


@pytest.fixture
def bigquery(monkeypatch, tmp_path):
    FakeWapClient.reset()
    monkeypatch.setattr("google.cloud.bigquery.Client", FakeWapClient)
    return load({"ADOPS_HOME": str(tmp_path), "ADOPS_WAREHOUSE_DESTINATION": "bigquery",
                 "BIGQUERY_PROJECT": "adops-prod", "BIGQUERY_LOCATION": "EU",
                 "BIGQUERY_KEYFILE": str(fake_keyfile(tmp_path / "key.json"))})


def dbt_writes(value: int):
    """A stand-in for ``build_marts`` that builds two tables and a view in the dataset it is given."""
    built: list[str] = []

    def build_marts(settings, unit_tests=True):
        built.append(settings.marts_schema)
        ds = settings.marts_schema
        FakeWapClient.sql(f'create schema if not exists "{ds}"')
        FakeWapClient.sql(f'create or replace table "{ds}".fct_kpis as select {value} as spend')
        FakeWapClient.sql(f'create or replace table "{ds}".dim_ads as select \'a{value}\' as ad_id')
        FakeWapClient.sql(f'create or replace view "{ds}".stg_ads as select * from "{ds}".dim_ads')
        return DbtSummary(True, 3, 0, "target")
    build_marts.built = built
    return build_marts


def failing_dbt(settings, unit_tests=True):
    raise DbtBuildFailed("dbt build failed: ['relationships_fct_kpis_currency']")


def calls(kind: str) -> list[tuple]:
    return [c for c in FakeWapClient.calls if c[0] == kind]


def test_a_passing_build_copies_every_table_with_write_truncate_and_records_published_last(bigquery, monkeypatch):
    FakeWapClient.sql('create schema analytics; create table analytics.fct_kpis as select 1 as spend')  # last good
    stub = dbt_writes(7)
    monkeypatch.setattr(publish, "build_marts", stub)

    result = build_and_publish(bigquery, build_id="b1")

    assert stub.built == [WAP]  # dbt wrote the side dataset, never the marts
    assert result["published"] == ["dim_ads", "fct_kpis"]  # base tables only: the staging view stays behind
    assert [c[1:] for c in calls("copy_table")] == [(WAP, t, "analytics", t, "WRITE_TRUNCATE")
                                                     for t in ("dim_ads", "fct_kpis")]
    assert FakeWapClient.sql("select spend from analytics.fct_kpis") == [(7,)]
    assert FakeWapClient.sql("select table_name from information_schema.tables where table_schema = 'analytics' "
                             "order by 1") == [("dim_ads",), ("fct_kpis",)]
    last_copy = max(i for i, c in enumerate(FakeWapClient.calls) if c[0] == "copy_table")
    insert = next(i for i, c in enumerate(FakeWapClient.calls) if c[0] == "query" and c[1].startswith("insert"))
    assert last_copy < insert  # readers trust the marts only once this row exists
    assert "`adops-prod.adops_audit.marts_builds`" in FakeWapClient.calls[insert][1]
    assert FakeWapClient.locations == {"analytics": "EU", "adops_audit": "EU"}  # datasets made where BIGQUERY_LOCATION says
    assert {(c[1], c[2]) for c in calls("client")} == {("adops-prod", "EU")}
    assert {c[3].service_account_email for c in calls("client")} == {"dbt@offline-project.iam.gserviceaccount.com"}
    assert last_build(bigquery)["status"] == "published"
    assert require_good_marts(bigquery)["build_id"] == "b1"


def test_a_failing_dbt_build_copies_nothing_and_optimize_refuses(bigquery, monkeypatch):
    monkeypatch.setattr(publish, "build_marts", dbt_writes(1))
    build_and_publish(bigquery, build_id="good")
    monkeypatch.setattr(publish, "build_marts", failing_dbt)
    copies = len(calls("copy_table"))

    with pytest.raises(MartsNotPublished, match="relationships_fct_kpis_currency.*analytics still holds"):
        build_and_publish(bigquery, build_id="bad")

    assert len(calls("copy_table")) == copies  # nothing published
    assert FakeWapClient.sql("select spend from analytics.fct_kpis") == [(1,)]
    assert last_build(bigquery)["status"] == "tests_failed"
    with pytest.raises(MartsBlocked, match=r"\(bad\) ended tests_failed: dbt build failed"):
        require_good_marts(bigquery)
    # the next build starts from an empty side dataset (incremental marts may be half-updated)
    assert prepare_build(bigquery)
    assert calls("delete_dataset")[-1] == ("delete_dataset", WAP, True)
    assert FakeWapClient.sql(f"select count(*) from information_schema.schemata where schema_name = '{WAP}'") == [(0,)]
    monkeypatch.setattr(publish, "build_marts", dbt_writes(2))
    build_and_publish(bigquery, build_id="fixed")
    assert require_good_marts(bigquery)["build_id"] == "fixed" and not prepare_build(bigquery)


def test_a_failing_copy_names_the_table_and_blocks_optimize(bigquery, monkeypatch):
    monkeypatch.setattr(publish, "build_marts", dbt_writes(3))
    FakeWapClient.failing_copies.add("fct_kpis")

    with pytest.raises(PublishFailed, match=r"analytics__wap\.fct_kpis.*\['dim_ads'\]") as failed:
        build_and_publish(bigquery, build_id="b1")

    assert (failed.value.table, failed.value.copied) == ("fct_kpis", ["dim_ads"])
    assert last_build(bigquery)["status"] == "publish_failed"
    with pytest.raises(MartsBlocked, match="publish_failed"):
        require_good_marts(bigquery)
    FakeWapClient.failing_copies.clear()
    assert publish_built(bigquery, "b1-retry") == ["dim_ads", "fct_kpis"]
    assert require_good_marts(bigquery)["build_id"] == "b1-retry"


def test_no_status_table_yet_allows_optimize_and_a_raw_gate_failure_blocks_it(bigquery):
    assert last_build(bigquery) is None and require_good_marts(bigquery) is None
    record_build(bigquery, "b1", "gate_failed", "ad_report_daily.spend < 0")
    assert last_build(bigquery, statuses=("published", "tests_failed")) is None
    with pytest.raises(MartsBlocked, match="gate_failed"):
        require_good_marts(bigquery)


def test_publishing_a_side_dataset_dbt_never_built_says_so(bigquery):
    with pytest.raises(MartsNotPublished, match=f"adops-prod.{WAP} does not exist; run dbt build"):
        publish_built(bigquery, "b1")


def test_a_keyfile_that_is_not_a_service_account_key_is_named(bigquery, tmp_path):
    bigquery.bigquery_keyfile.write_text('{"type": "authorized_user"}')
    with pytest.raises(ValueError, match="BIGQUERY_KEYFILE=.*key.json is not a service-account JSON key"):
        last_build(bigquery)


def test_adops_run_publishes_its_decisions_through_the_side_dataset_too(bigquery, monkeypatch):
    from adops.platform_load import publish_decisions

    monkeypatch.setattr(publish, "build_marts", dbt_writes(1))
    build_and_publish(bigquery, build_id="marts")
    stub = dbt_writes(5)
    monkeypatch.setattr("adops.transform.build_marts", lambda settings, **kwargs: stub(settings))

    assert publish_decisions(bigquery, "cycle-1") == ["dim_ads", "fct_kpis"]
    assert stub.built == [WAP] and FakeWapClient.sql("select spend from analytics.fct_kpis") == [(5,)]
    assert last_build(bigquery)["build_id"] == "cycle-1"
