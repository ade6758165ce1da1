"""The outbox worker asks the channel's automation gate before each intent (fakes at the boundary)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from adops.automation import Gate
from adops.outbox import DONE, PENDING, Deferred, IntentSpec, OutboxWorker, Sent, WorkerPolicy
from tiktok.api.breaker import CircuitOpen
from tiktok.outbox import classify

pytestmark = pytest.mark.integration


class GatedChannel:
    def __init__(self) -> None:
        self.gate, self.calls = Gate.ok(), []

    def automation_allowed(self, account_id):
        return self.gate

    def lookup(self, intent):
        self.calls.append("lookup")
        return None

    def send(self, intent):
        self.calls.append("send")
        return Sent("remote-1")


def spec() -> IntentSpec:
    return IntentSpec(tenant="acme", channel="fake", account_id="adv", plan_id="p", object_id="o",
                      action="budget.set", payload={"budget": 10})


def test_a_paused_account_waits_for_retry_in_without_lookup_or_send(sqlite_store, clock):
    channel = GatedChannel()
    channel.gate = Gate.paused("circuit open for TikTok 'adgroup' endpoints", 45.0)
    worker = OutboxWorker(sqlite_store, {"fake": channel}, WorkerPolicy(defer_s=1))
    intent = sqlite_store.record(spec())
    assert worker.step() == 1 and channel.calls == []
    held = sqlite_store.get(intent.id)
    assert held.state == PENDING and held.lease_owner is None
    assert held.next_attempt_at == clock.now + timedelta(seconds=45)
    assert sqlite_store.events(intent.id)[-1]["kind"] == "paused"
    clock.advance(30)
    assert worker.step() == 0  # not due yet: no blind retry in between
    channel.gate = Gate.ok()
    clock.advance(16)
    assert worker.step() == 1 and channel.calls == ["lookup", "send"]
    assert sqlite_store.get(intent.id).state == DONE


def test_needs_reauth_holds_intents_and_records_why(sqlite_store):
    channel = GatedChannel()
    channel.gate = Gate.skipped()
    intent = sqlite_store.record(spec())
    OutboxWorker(sqlite_store, {"fake": channel}, WorkerPolicy(defer_s=5)).step()
    event = sqlite_store.events(intent.id)[-1]
    assert channel.calls == [] and event["kind"] == "skipped" and event["detail"]["reason"] == "needs re-authorisation"


def test_an_open_circuit_met_while_sending_is_deferred_not_failed():
    outcome = classify(CircuitOpen("adgroup", "adv", retry_in=30.0, path="adgroup/budget/update/"))
    assert isinstance(outcome, Deferred) and outcome.detail["retry_in"] == 30.0
