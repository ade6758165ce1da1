"""Scenario files: defaults, validation errors that name the file and field."""
from __future__ import annotations

import pytest

from tiktok_emulator import scenario

pytestmark = pytest.mark.unit


def test_default_scenario_shape() -> None:
    s = scenario.load("default")
    adv = s["advertisers"][0]
    assert (adv["campaigns"], adv["adgroups_per_campaign"], adv["ads_per_adgroup"]) == (10, 4, 4)
    assert s["history_days"] == 60 and adv["currency"] and adv["timezone"]
    assert s["faults"] == []  # the default scenario has only the real rate limits
    assert s["rate_limits"]["enabled"] is True


def test_large_scenario_counts() -> None:
    adv = scenario.load("large")["advertisers"][0]
    assert adv["campaigns"] * adv["adgroups_per_campaign"] == 5000
    assert adv["campaigns"] * adv["adgroups_per_campaign"] * adv["ads_per_adgroup"] == 10000


def test_unknown_scenario_lists_choices() -> None:
    with pytest.raises(scenario.ScenarioError, match="unknown scenario 'nope'.*default.*large"):
        scenario.load("nope")


def test_missing_file_named(tmp_path) -> None:
    with pytest.raises(scenario.ScenarioError, match="missing.yaml: not found"):
        scenario.load(str(tmp_path / "missing.yaml"))


def test_malformed_yaml_names_file_and_line(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("market:\n  target_cpa: [1,\n")
    with pytest.raises(scenario.ScenarioError, match=r"bad.yaml line \d+: malformed YAML"):
        scenario.load(str(bad))


def test_unknown_field_is_named(tmp_path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("advertisers: [{name: x}]\nmarket:\n  target_cap: 3\n")
    with pytest.raises(scenario.ScenarioError, match="unknown field 'market.target_cap'"):
        scenario.load(str(bad))


def test_wrong_type_is_named(tmp_path) -> None:
    bad = tmp_path / "type.yaml"
    bad.write_text("advertisers: [{name: x}]\nhistory_days: many\n")
    with pytest.raises(scenario.ScenarioError, match="field 'history_days' must be int"):
        scenario.load(str(bad))


def test_exponent_range_checked(tmp_path) -> None:
    bad = tmp_path / "exp.yaml"
    bad.write_text("advertisers: [{name: x}]\nmarket:\n  exponent: [0.9, 1.2]\n")
    with pytest.raises(scenario.ScenarioError, match="market.exponent"):
        scenario.load(str(bad))


def test_overrides_merge_over_file() -> None:
    s = scenario.load("default", overrides={"rate_limits": {"enabled": False}, "seed": 11})
    assert s["rate_limits"]["enabled"] is False and s["seed"] == 11
    assert s["rate_limits"]["tier"] == "basic"  # untouched siblings keep their defaults
