"""End to end: ``adops run`` twice (emulator → dag.test ingest, dbt, optimize → fct_decisions → summary)."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.dags
ROOT = Path(__file__).resolve().parents[2]


def adops_run(home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ADOPS_"))}
    env.update({"ADOPS_HOME": str(home), "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT / "emulator"),
                                                                       str(ROOT)])})
    return subprocess.run([sys.executable, "-m", "adops.cli", "run"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def counts(home: Path) -> dict[str, int]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("tiktok_ads.ad_report_daily", "tiktok_ads.adgroup_history",
                          "analytics.fct_adgroup_performance_daily", "analytics.fct_ad_performance_hourly",
                          "adops_platform.change_log", "analytics.fct_decisions")}


def builds(home: Path) -> list[str]:
    """Statuses of the marts builds (build_marts: Cosmos dbt group, then publish), oldest first."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return [r[0] for r in con.execute("select status from adops_audit.marts_builds order by recorded_at").fetchall()]


def test_make_run_twice_applies_once_and_duplicates_nothing(tmp_path):
    first = adops_run(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    for step in range(1, 7):
        assert f"[{step}/6]" in first.stdout
    assert "spend" in first.stdout and "CPA" in first.stdout
    applied = re.search(r"applied: (\d+) budget changes applied", first.stdout)
    assert applied and int(applied.group(1)) > 0, first.stdout
    assert "Task failed" not in first.stdout  # Airflow's log goes to the log file, not the console
    rows = counts(tmp_path)
    assert rows["tiktok_ads.adgroup_history"] == 40 and rows["analytics.fct_adgroup_performance_daily"] > 0
    # the cycle's changes reach fct_decisions in the same run: one row per change-log row
    with sqlite3.connect(tmp_path / "control.db") as control:
        logged = control.execute("select count(*) from change_log").fetchone()[0]
    assert rows["analytics.fct_decisions"] == rows["adops_platform.change_log"] == logged > 0
    assert f"decisions: {rows['analytics.fct_decisions']} changes in fct_decisions" in first.stdout
    assert builds(tmp_path) == ["published", "published"]  # the marts, then fct_decisions after the cycle

    second = adops_run(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "skipped: plan already applied" in second.stdout
    assert counts(tmp_path) == rows  # the second (incremental) build and publish duplicate nothing
    assert builds(tmp_path) == ["published"] * 4
