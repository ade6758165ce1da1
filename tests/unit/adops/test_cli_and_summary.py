from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from adops.cli import main
from adops.embedded import RunSummary, format_summary, quiet_output

pytestmark = pytest.mark.unit


def test_cli_lists_run_and_marks_later_groups_not_yet():
    out = CliRunner().invoke(main, ["--help"]).output
    for name in ("run", "auth", "approvals", "audit", "backtest"):
        assert name in out
    result = CliRunner().invoke(main, ["audit"])
    assert result.exit_code == 2 and "not implemented yet" in result.output


def test_run_without_emulator_needs_tiktok_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("ADOPS_HOME", str(tmp_path))
    for key in ("TIKTOK_BASE_URL", "TIKTOK_ACCESS_TOKEN", "TIKTOK_ADVERTISER_IDS"):
        monkeypatch.delenv(key, raising=False)
    result = CliRunner().invoke(main, ["run", "--no-emulator"])
    assert result.exit_code == 1 and "TIKTOK_BASE_URL" in result.output


def test_summary_names_totals_plans_and_files():
    summary = RunSummary(("2026-10-25", "2026-10-31"), "2026-11-01T00:00:00+00:00",
                         [{"advertiser_id": "7", "currency": "USD", "adgroups": 40, "spend": 1000.0,
                           "conversions": 40, "cpa": 25.0}],
                         [{"plan_id": "p1", "status": "applied", "already_applied": False,
                           "outcome": {"counts": {"applied": 20, "skipped_unchanged": 0}}},
                          {"plan_id": "p0", "status": "applied", "already_applied": True,
                           "outcome": {"counts": {"applied": 20}}}],
                         {"warehouse": "/x/warehouse.duckdb"}, 12.3)
    text = format_summary(summary)
    assert "spend 1,000.00" in text and "conversions 40" in text and "CPA 25.00" in text
    assert "applied: 20 budget changes applied" in text and "skipped: plan already applied" in text
    assert "/x/warehouse.duckdb" in text


def test_quiet_output_diverts_fd_output_to_the_log(tmp_path, capfd):
    log = tmp_path / "run.log"
    with quiet_output(log) as console:
        os.write(1, b"noisy airflow line\n")
        console.write("progress line\n")
    captured = capfd.readouterr()
    assert "progress line" in captured.out and "noisy" not in captured.out
    assert "noisy airflow line" in log.read_text()
