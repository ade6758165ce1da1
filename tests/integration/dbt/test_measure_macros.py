"""The measure and KPI macros (dbt/macros/measures.sql) every mart uses: the formulas, rendered and run
in DuckDB, and the compile-time guards (reach never summed, money never summed across currencies).

Each case compiles one inline query against the parsed project (``dbt compile --inline``), so a
macro's SQL is checked without building the marts.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from adops.transform import scoped_env

pytestmark = pytest.mark.integration
DBT_DIR = Path(__file__).resolve().parents[3] / "dbt"


class Compiler:
    """``dbt compile --inline`` on a project parsed once; returns the SQL or dbt's error lines."""

    def __init__(self, tmp: Path) -> None:
        self.args = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target", "duckdb",
                     "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"), "--quiet"]
        self.env = {"ADOPS_WAREHOUSE_PATH": str(tmp / "warehouse.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        self.messages: list[str] = []
        with scoped_env(self.env):
            parsed = dbtRunner().invoke(["parse", *self.args])
        assert parsed.success, parsed.exception
        self.runner = dbtRunner(manifest=parsed.result, callbacks=[lambda e: self.messages.append(e.info.msg)])

    def compile(self, sql: str) -> tuple[str | None, str]:
        self.messages.clear()
        with scoped_env(self.env):
            result = self.runner.invoke(["compile", "--inline", sql, "--vars", "{assume_sources_exist: true}",
                                         *self.args])
        code = result.result.results[0].node.compiled_code if result.success else None
        return code, "\n".join(str(m) for m in self.messages)


@pytest.fixture(scope="module")
def dbt(tmp_path_factory) -> Compiler:
    return Compiler(tmp_path_factory.mktemp("measures"))


def test_kpis_are_null_safe_ratios_of_the_same_rows_measures(dbt):
    sql, log = dbt.compile("select ad, {{ kpis(delivery_kpis()) }} from (values ('a', 2000, 30, 12.5, 3),"
                           " ('b', 0, 0, 0.0, 0)) as t(ad, impressions, clicks, spend, conversions) order by ad")
    assert sql is not None, log
    rows = duckdb.sql(sql).fetchall()
    assert rows[0] == ("a", 30 / 2000, 12.5 / 30, 12.5 * 1000 / 2000, 3 / 30, 12.5 / 3)
    assert rows[1] == ("b", None, None, None, None, None)  # nothing delivered: no ratio, not 0 or infinity


def test_windowed_kpis_use_the_suffixed_measures(dbt):
    sql, log = dbt.compile("select {{ kpis(['cpa', 'ctr'], suffix='_7d') }} from (select 40.0 as spend_7d,"
                           " 4 as conversions_7d, 10 as clicks_7d, 500 as impressions_7d)")
    assert sql is not None, log
    assert duckdb.sql(sql).fetchall() == [(10.0, 0.02)]
    assert [c[0] for c in duckdb.sql(sql).description] == ["cpa_7d", "ctr_7d"]


@pytest.mark.parametrize("measure", ["reach", "frequency"])
def test_summing_reach_or_frequency_does_not_compile(dbt, measure):
    sql, log = dbt.compile(f"select {{{{ sum_measures(['clicks', '{measure}'], ['ad_id', 'currency']) }}}}")
    assert sql is None
    assert f"sum_measures: {measure} is not additive" in log


def test_summing_money_over_a_grain_without_currency_does_not_compile(dbt):
    sql, log = dbt.compile("select {{ sum_measures(['clicks', 'spend'], ['campaign_id', 'date_day']) }}")
    assert sql is None
    assert "spend summed per campaign_id, date_day would add up different currencies" in log
    sql, log = dbt.compile("select {{ sum_measures(['clicks', 'spend'], ['campaign_id', 'currency']) }}")
    assert sql is not None, log
    assert "sum(clicks) as clicks" in sql and "sum(spend) as spend" in sql


def test_an_unknown_kpi_names_the_known_ones(dbt):
    sql, log = dbt.compile("select {{ kpis(['roi']) }}")
    assert sql is None
    assert "unknown KPI 'roi'; known: completion_rate, cpa, cpc, cpm, ctr, cvr, hook_rate, roas" in log
