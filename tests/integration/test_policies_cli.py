"""``adops policy``: show, set, unset and history against a real control database."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from adops.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("ADOPS_HOME", str(tmp_path))
    monkeypatch.setenv("ADOPS_CONTROL_DB_URL", f"sqlite:///{tmp_path / 'control.db'}")

    def invoke(*args: str):
        return CliRunner().invoke(main, ["policy", *args])

    return invoke


def test_set_then_show_reports_values_and_their_source(run):
    assert run("set", "--account", "*", "monthly_budget=30000", "ng_words=free,cure", "--actor", "ops").exit_code == 0
    result = run("set", "--account", "123", "adgroup_min_budget=25", "dry_run=yes", "--actor", "alice")
    assert result.exit_code == 0 and "version 1" in result.output
    shown = json.loads(run("show", "--account", "123", "--json").output)
    assert shown["policy"]["adgroup_min_budget"] == 25.0 and shown["policy"]["dry_run"] is True
    assert shown["policy"]["ng_words"] == ["cure", "free"] and shown["sources"]["monthly_budget"] == "global"
    table = run("show", "--account", "123").output
    assert "adgroup_min_budget   25" in table and "[account]" in table and "by alice" in table


def test_bad_key_or_value_exits_2_naming_it_and_stores_nothing(run):
    result = run("set", "--account", "123", "max_step_change=0.9")
    assert result.exit_code == 2 and "max_step_change: 0.9 exceeds max_day_change 0.5" in result.output
    result = run("set", "--account", "123", "minimum=5")
    assert result.exit_code == 2 and "minimum: unknown policy key; known keys:" in result.output
    result = run("set", "--account", "123", "dry_run")
    assert result.exit_code == 2 and "expected key=value" in result.output
    result = run("set", "--account", "123", "auto_apply=budget,creative")
    assert result.exit_code == 2 and "unknown kinds ['creative']" in result.output
    assert json.loads(run("show", "--account", "123", "--json").output)["version"] == 0


def test_unset_and_history(run):
    run("set", "--account", "123", "kill_switch=true", "--actor", "alice")
    result = run("unset", "--account", "123", "kill_switch", "--actor", "bob")
    assert result.exit_code == 0 and "version 2" in result.output
    lines = run("history", "--account", "123").output.splitlines()
    assert "bob" in lines[0] and "kill_switch: true → false" in lines[0]
    assert "alice" in lines[1] and "kill_switch: false → true" in lines[1]


def test_stale_expected_version_is_refused(run):
    run("set", "--account", "123", "dry_run=true")
    result = run("set", "--account", "123", "dry_run=false", "--expected-version", "0")
    assert result.exit_code == 1 and "refused" in result.output
