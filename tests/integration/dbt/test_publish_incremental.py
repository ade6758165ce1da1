"""Publishing incremental marts copies only the rebuilt days; a failed build resets the side schema.

Plain DuckDB tables stand in for what dbt writes into ``analytics__wap`` (no dbt run needed): an
incremental mart has ``date_day`` and ``_built_at`` (the dbt run that wrote the row).
"""
from __future__ import annotations

import duckdb
import pytest

from adops.publish import build_schema, prepare_build, publish_built, record_failure
from adops.settings import load
from adops.transform import build_args
from adops.warehouse import last_build, record_build

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path):
    return load({"ADOPS_HOME": str(tmp_path)})


def sql(settings, *statements: str) -> list:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        out = []
        for statement in statements:
            out = con.execute(statement).fetchall()
        return out


def test_a_second_publish_replaces_only_the_days_the_build_rebuilt(settings):
    wap = build_schema(settings)
    sql(settings, f"create schema {wap}",
        f"create table {wap}.fct (date_day date, v int, _built_at timestamp)",
        f"insert into {wap}.fct values ('2026-10-01', 1, '2026-11-01 00:00'), ('2026-10-02', 2, '2026-11-01 00:00')",
        f"create table {wap}.dim (id int)", f"insert into {wap}.dim values (1)")
    assert publish_built(settings, "b1") == ["dim", "fct"]
    # the next build rebuilt 2026-10-02 only (a new value, a new _built_at) and added 2026-10-03
    sql(settings, f"delete from {wap}.fct where date_day = '2026-10-02'",
        f"insert into {wap}.fct values ('2026-10-02', 20, '2026-11-01 02:00'), ('2026-10-03', 3, '2026-11-01 02:00')",
        # a row the copy must keep although the build did not touch it: proves no full copy happened
        "update analytics.fct set v = 100 where date_day = '2026-10-01'")
    publish_built(settings, "b2")
    assert sql(settings, "select date_day::varchar, v from analytics.fct order by 1") == [
        ("2026-10-01", 100), ("2026-10-02", 20), ("2026-10-03", 3)]
    assert last_build(settings)["status"] == "published"


def test_a_failed_build_is_kept_for_inspection_and_the_next_build_starts_from_scratch(settings):
    wap = build_schema(settings)
    sql(settings, f"create schema {wap}", f"create table {wap}.fct (date_day date, _built_at timestamp)")
    assert not prepare_build(settings)  # never built: nothing to reset
    assert record_failure(settings, "b1", "a test failed")
    assert last_build(settings)["status"] == "tests_failed"
    schemas = f"select count(*) from information_schema.schemata where schema_name = '{wap}'"
    assert sql(settings, schemas) == [(1,)]  # the failed build stays in the side schema
    record_build(settings, "b2", "gate_failed", "the next load was bad too")
    assert prepare_build(settings)  # the last build that ran dbt failed: start afresh
    assert sql(settings, schemas) == [(0,)]
    record_build(settings, "b3", "published")
    assert not prepare_build(settings)


def test_a_build_stopped_at_the_raw_gate_is_not_recorded_as_a_dbt_failure(settings):
    record_build(settings, "b1", "gate_failed", "spend < 0")
    assert not record_failure(settings, "b1", "upstream failed")
    assert last_build(settings)["status"] == "gate_failed"


def test_scheduled_builds_leave_unit_tests_to_ci_and_can_force_a_full_refresh(settings):
    args = build_args(settings, full_refresh=True, unit_tests=False)
    assert "--full-refresh" in args and args[args.index("--exclude-resource-type") + 1] == "unit_test"
    assert "--full-refresh" not in build_args(settings) and "--exclude-resource-type" not in build_args(settings)
