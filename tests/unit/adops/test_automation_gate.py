"""The executor's automation gate with fake channels: a stopped account is recorded, never written to."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from adops.automation import NEEDS_REAUTH_REASON, AutomationHalted, Gate, gate_for
from adops.control import APPLIED, PAUSED, SKIPPED, ControlPlane
from adops.executor import run_cycle
from tests.unit.adops.test_control_and_executor import FakeChannel, settings  # noqa: F401  (fixture)

pytestmark = pytest.mark.unit
DAY = date(2026, 10, 31)


@dataclass
class GatedChannel(FakeChannel):
    gate: Gate = field(default_factory=Gate.ok)
    asked: list = field(default_factory=list)

    def automation_allowed(self, account_id):
        self.asked.append(account_id)
        return self.gate


def test_needs_reauth_skips_the_plan_with_its_reason_and_sends_nothing(settings):  # noqa: F811
    channel = GatedChannel(gate=Gate.skipped())
    result = run_cycle(settings, channel, "adv", "plan-R", DAY)
    assert result.status == SKIPPED and result.reason == NEEDS_REAUTH_REASON
    assert channel.calls == [] and channel.asked == ["adv"]
    record = ControlPlane(settings.control_db_url).get("plan-R")
    assert record.status == SKIPPED and record.outcome["reason"] == NEEDS_REAUTH_REASON


def test_open_circuit_pauses_the_plan_with_retry_in(settings):  # noqa: F811
    channel = GatedChannel(gate=Gate.paused("circuit open for TikTok 'adgroup' endpoints", 42.0))
    result = run_cycle(settings, channel, "adv", "plan-P", DAY)
    assert result.status == PAUSED and result.retry_in == 42.0 and channel.calls == []
    record = ControlPlane(settings.control_db_url).get("plan-P")
    assert record.status == PAUSED and record.outcome["retry_in"] == 42.0 and "circuit open" in record.outcome["reason"]


def test_the_gate_is_asked_before_the_day_is_resolved(settings):  # noqa: F811
    def day():
        raise AssertionError("the blocked advertiser's day must not be looked up")

    assert run_cycle(settings, GatedChannel(gate=Gate.skipped()), "adv", "plan-D", day).status == SKIPPED


def test_a_paused_plan_is_applied_by_a_later_run_once_the_gate_reopens(settings):  # noqa: F811
    channel = GatedChannel(gate=Gate.paused("circuit open", 5.0))
    assert run_cycle(settings, channel, "adv", "plan-L", DAY).status == PAUSED
    channel.gate = Gate.ok()
    result = run_cycle(settings, channel, "adv", "plan-L", lambda: DAY)
    assert result.status == APPLIED and len(channel.calls) == 1
    record = ControlPlane(settings.control_db_url).get("plan-L")
    assert record.status == APPLIED and record.payload["targets"]["g0"] == 240.0


def test_a_channel_halting_mid_apply_is_recorded_not_raised(settings):  # noqa: F811
    class Halting(GatedChannel):
        def apply_budgets(self, *args):
            raise AutomationHalted(Gate.paused("circuit open for TikTok 'adgroup' endpoints", 60.0))

    result = run_cycle(settings, Halting(), "adv", "plan-H", DAY)
    assert result.status == PAUSED and result.proposed == 4 and result.decisions
    record = ControlPlane(settings.control_db_url).get("plan-H")
    assert record.status == PAUSED and record.payload["targets"] and record.outcome["counts"]["applied"] == 0


def test_channels_without_a_gate_are_allowed_and_tuples_are_understood():
    assert gate_for(FakeChannel(), "adv")
    assert gate_for(type("T", (), {"automation_allowed": lambda self, a: (True, "")})(), "adv")
    refused = gate_for(type("T", (), {"automation_allowed": lambda self, a: (False, "")})(), "adv")
    assert not refused and refused.status == SKIPPED and refused.reason == NEEDS_REAUTH_REASON
