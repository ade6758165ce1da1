"""The raw-data gate: GE suites from declarative specs; failures name table, column and a row key."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from adops.quality import QualityGateFailed, TableSpec, Verdict, check_frames
from tiktok.quality_specs import SPECS

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
SPEC = TableSpec("ad_report_daily", ("ad_id", "stat_time_day"), columns=("currency",), numeric=("spend",),
                 non_negative=("spend",), allowed={"currency": frozenset({"USD", "EUR"})},
                 fresh_column="stat_time_day", max_age_days=3)
AS_OF = date(2026, 11, 1)


def frame(**overrides) -> pd.DataFrame:
    rows = {"ad_id": ["a1", "a2"], "stat_time_day": ["2026-10-30 00:00:00", "2026-10-31 00:00:00"],
            "currency": ["USD", "EUR"], "spend": [1.5, 2.0], "_dlt_id": ["x1", "x2"]}
    rows.update(overrides)
    return pd.DataFrame(rows)


def test_good_rows_pass():
    verdict = check_frames({"ad_report_daily": frame()}, [SPEC], AS_OF)
    assert verdict.passed and verdict.tables == ("ad_report_daily",)


def test_negative_spend_names_table_column_and_row():
    verdict = check_frames({"ad_report_daily": frame(spend=[1.0, -3.0])}, [SPEC], AS_OF)
    (failure,) = verdict.failures
    assert (failure.table, failure.column) == ("ad_report_daily", "spend")
    assert failure.row == {"ad_id": "a2", "stat_time_day": "2026-10-31 00:00:00", "_dlt_id": "x2", "spend": -3.0}
    assert "ad_report_daily.spend" in str(QualityGateFailed(verdict)) and "a2" in str(QualityGateFailed(verdict))


def test_null_key_unknown_currency_missing_column_and_staleness_each_fail():
    bad = frame(ad_id=["a1", None], currency=["USD", "XXX"]).drop(columns=["spend"])
    verdict = check_frames({"ad_report_daily": bad}, [SPEC], date(2026, 11, 20))
    named = {(f.column, f.check) for f in verdict.failures}
    assert ("ad_id", "expect_column_values_to_not_be_null") in named
    assert ("currency", "expect_column_values_to_be_in_set") in named
    assert ("spend", "expect_column_to_exist") in named
    assert ("stat_time_day", "expect_column_max_to_be_between") in named
    null_key = next(f for f in verdict.failures if f.column == "ad_id")
    assert null_key.row is not None and null_key.row["_dlt_id"] == "x2"


def test_absent_tables_are_skipped_and_tiktok_specs_cover_every_raw_table():
    assert check_frames({}, SPECS, AS_OF) == Verdict((), ())
    assert {"ad_report_daily", "ad_report_hourly", "orders", "events", "ad_history"} <= {s.table for s in SPECS}
    daily = next(s for s in SPECS if s.table == "ad_report_daily")
    assert "spend" in daily.non_negative and "reach" in daily.non_negative and daily.max_age_days == 3


def test_importing_the_gate_does_not_import_great_expectations():
    code = (f"import sys; sys.path[:0] = {[str(ROOT / 'plugins')]!r}\n"
            "import adops.quality, adops.publish, tiktok.quality_specs\n"
            "sys.exit(1 if 'great_expectations' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
