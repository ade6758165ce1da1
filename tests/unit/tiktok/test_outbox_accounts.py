"""AccountChannels: one outbox channel routing each intent to its advertiser's writer, built once."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from adops.automation import SKIPPED, Gate
from adops.outbox import Deferred, Sent
from tiktok.outbox.accounts import AccountChannels

pytestmark = pytest.mark.unit


class Writer:
    def __init__(self, name: str) -> None:
        self.name = name

    def automation_allowed(self, account_id: str) -> Gate:
        return Gate.paused(f"{self.name} paused {account_id}", 5.0)

    def lookup(self, intent):
        return None

    def send(self, intent) -> Sent:
        return Sent(f"{self.name}:{intent.account_id}", None)


def intent(account: str) -> SimpleNamespace:
    return SimpleNamespace(account_id=account)


@pytest.fixture
def routed():
    built: list[str] = []
    stored, static = Writer("stored"), Writer("static")

    def build(account_id: str):
        built.append(account_id)
        return {"1": stored, "2": static, "3": static}.get(account_id)

    return AccountChannels(build), built


def test_each_intent_goes_to_its_advertisers_writer_built_once(routed):
    channels, built = routed
    assert channels.send(intent("1")).remote_id == "stored:1"
    assert channels.send(intent("2")).remote_id == "static:2" and channels.send(intent("3")).remote_id == "static:3"
    assert channels.send(intent("1")).remote_id == "stored:1" and channels.lookup(intent("2")) is None
    assert built == ["1", "2", "3"]


def test_the_advertisers_own_gate_answers(routed):
    channels, _ = routed
    gate = channels.automation_allowed("1")
    assert gate.retry_in == 5.0 and "stored paused 1" in gate.reason


def test_an_advertiser_without_any_token_is_skipped_and_never_sent(routed):
    channels, built = routed
    gate = channels.automation_allowed("9")
    assert gate.status == SKIPPED and "advertiser 9" in gate.reason and "TIKTOK_ACCESS_TOKEN" in gate.reason
    for call in (channels.lookup, channels.send):
        with pytest.raises(Deferred, match="no TikTok token for advertiser 9"):
            call(intent("9"))
    assert built == ["9"]
