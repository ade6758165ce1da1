"""TikTok's automation gate: NEEDS_REAUTH → skipped, open write circuit → paused, defaults → allowed."""
from __future__ import annotations

import pytest

from adops.automation import NEEDS_REAUTH_REASON, PAUSED, SKIPPED, AutomationHalted
from tiktok.api.breaker import Breakers, CircuitOpen
from tiktok.api.client import TikTokClient, static_token
from tiktok.api.errors import AuthError, InvalidRequest, Transient
from tiktok.api.retry import RetryPolicy
from tiktok.automation import TikTokGate, gate_for_error
from tiktok.budgets import TikTokBudgetChannel
from tiktok.oauth import ReauthRequired

from .fakes import FakeSession, response

pytestmark = pytest.mark.unit


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Store:
    """The boundary the gate uses: ``is_automation_allowed(advertiser_id, app_id)``."""

    def __init__(self, blocked: set[str]) -> None:
        self.blocked, self.asked = blocked, []

    def is_automation_allowed(self, advertiser_id: str, app_id: str | None = None) -> bool:
        self.asked.append((advertiser_id, app_id))
        return advertiser_id not in self.blocked


class Provider:
    """Looks like a RefreshingTokenProvider to the gate: a store and an app id."""

    def __init__(self, store: Store) -> None:
        self.store, self.app_id = store, "app-1"

    def __call__(self) -> str:
        return "tok"


def client(session=None, **kwargs) -> TikTokClient:
    kwargs.setdefault("token_provider", static_token("tok"))
    return TikTokClient("http://tiktok.test", session=session or FakeSession(),
                        retry_policy=RetryPolicy(max_attempts=6, sleep=lambda _s: None), **kwargs)


def test_a_plain_client_is_always_allowed():
    assert TikTokGate(client())("adv-1")


def test_needs_reauth_in_the_store_skips_and_other_advertisers_proceed():
    store = Store({"adv-1"})
    gate = TikTokGate(client(token_provider=Provider(store)))
    verdict = gate("adv-1")
    assert not verdict and verdict.status == SKIPPED and verdict.reason == NEEDS_REAUTH_REASON
    assert gate("adv-2") and store.asked == [("adv-1", "app-1"), ("adv-2", "app-1")]


def test_an_explicit_store_works_with_a_static_token():
    assert TikTokGate(client(), token_store=Store({"adv-1"}))("adv-1").status == SKIPPED


def test_open_write_circuit_pauses_with_retry_in_and_other_families_do_not():
    clock = Clock()
    breakers = Breakers(clock=clock)
    gate = TikTokGate(client(breakers=breakers))
    for _ in range(5):
        with pytest.raises(Transient):
            breakers.call("report/integrated/get/", _raise(Transient("boom")))
    assert gate("adv-1")  # a sick report family does not stop budget writes
    for _ in range(5):
        with pytest.raises(Transient):
            breakers.call("adgroup/budget/update/", _raise(Transient("boom")))
    verdict = gate("adv-1")
    assert verdict.status == PAUSED and verdict.retry_in == 60.0 and "adgroup" in verdict.reason
    clock.now += 61
    assert gate("adv-1")  # half-open: one trial call may go


def test_errors_map_to_gate_verdicts():
    assert gate_for_error(CircuitOpen("adgroup", "adv", retry_in=12.0)).retry_in == 12.0
    assert gate_for_error(ReauthRequired("re-consent")).status == SKIPPED
    assert gate_for_error(AuthError("revoked", code=40105)).status == SKIPPED
    assert gate_for_error(AuthError("bad", code=40104)) is None
    assert gate_for_error(InvalidRequest("bad", code=40002)) is None


def test_breaker_opening_during_the_write_halts_the_channel_as_paused():
    ok_read = response(data={"list": [{"adgroup_id": "g1", "budget": 100.0}], "page_info": {"total_page": 1}})
    session = FakeSession(ok_read, *[response(status=503, text="bad gateway")] * 5)
    channel = TikTokBudgetChannel(client(session, breakers=Breakers(clock=Clock())))
    with pytest.raises(AutomationHalted) as info:
        channel.apply_budgets("adv-1", "plan-1", {"g1": 150.0})
    assert info.value.gate.status == PAUSED and info.value.gate.retry_in == 60.0
    assert len(session.sent) == 6 and not session.answers  # 5 writes, then the open circuit sent nothing


def test_a_revoked_token_met_while_reading_halts_the_channel_as_skipped():
    session = FakeSession(response(code=40105, message="revoked"))
    with pytest.raises(AutomationHalted) as info:
        TikTokBudgetChannel(client(session)).apply_budgets("adv-1", "plan-1", {"g1": 150.0})
    assert info.value.gate.status == SKIPPED and len(session.sent) == 1


def _raise(exc: Exception):
    def fn():
        raise exc
    return fn
