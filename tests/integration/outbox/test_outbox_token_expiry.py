"""A Hypothesis state machine: outbox writes over an expiring OAuth token whose clock keeps moving.

The TikTok channel's client uses a ``RefreshingTokenProvider`` over a consented, 24-hour token from
the emulator; a rule jumps the emulator's simulated clock (near, onto or past the expiry). Invariants:

- no request with an expired token: the provider refreshes 30 minutes before expiry, so the emulator
  must never answer 40102 (counted by a response hook on the channel's session, which also sees the
  40102 the client would otherwise absorb by refreshing and retrying);
- at most one remote object per intent, and exactly one for every DONE intent.
"""
from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from adops.outbox import OutboxStore
from tests.conftest import make_server
from tests.integration.oauth_support import setup
from tests.integration.outbox.conftest import FakeClock, emulator_overrides
from tests.integration.outbox.machine import CreateIntentsMachine
from tiktok.api.client import TikTokClient, static_token
from tiktok.api.retry import RetryPolicy

pytestmark = pytest.mark.integration
EXPIRED = 40102
SOLO = {"advertisers": [{"name": "Solo", "campaigns": 1}]}
DROP = {"path": "campaign/create/", "drop_after_apply": True, "max_count": 1}


def expiring_emulator():
    return make_server(overrides={**emulator_overrides(), **SOLO, "oauth": {"token_ttl_hours": 24}})


class CodeCounter:
    """A ``requests`` response hook that tallies TikTok envelope codes (HTTP 200 carries errors too)."""

    def __init__(self) -> None:
        self.codes: dict[int, int] = {}

    def __call__(self, resp: requests.Response, *args, **kwargs) -> None:
        try:
            code = int((resp.json() or {}).get("code"))
        except (ValueError, TypeError, AttributeError):
            return
        self.codes[code] = self.codes.get(code, 0) + 1


def fast_client(server, token_provider, advertiser_id: str, attempts: int = 8) -> TikTokClient:
    policy = RetryPolicy(initial=0.001, maximum=0.01, max_attempts=attempts, sleep=lambda _s: None)
    return TikTokClient(server.base_url, token_provider=token_provider, retry_policy=policy, timeout=5.0,
                        advertiser_ids=[advertiser_id])


def advance(server, hours: float) -> None:
    requests.post(f"{server.url}/__emulator/clock/advance", json={"hours": hours}, timeout=30).raise_for_status()


class ExpiringTokenMachine(CreateIntentsMachine):
    NAME = "EXP"

    def __init__(self) -> None:
        super().__init__()
        self.server = expiring_emulator()
        home = Path(tempfile.mkdtemp(prefix="outbox-exp-"))
        self.oauth = setup(self.server, f"sqlite:///{home / 'c.db'}", home)  # one DB: tokens and outbox
        self.adv = self.oauth.advertiser_id
        client = fast_client(self.server, self.oauth.provider(), self.adv)
        self.counter = CodeCounter()
        client.session.hooks["response"].append(self.counter)
        creds = requests.get(f"{self.server.url}/__emulator/credentials", timeout=10).json()["data"]
        self.checker = fast_client(self.server, static_token(creds["access_token"]), self.adv)  # long-lived
        clock = FakeClock()
        self.wire(client, OutboxStore(self.oauth.store.engine, clock=clock), clock)

    @rule(minutes_left=st.sampled_from([120, 31, 29, 1, 0, -90]))
    def expire_token(self, minutes_left: int) -> None:
        """Move the emulator's clock to ``minutes_left`` before the stored token's expiry (negative: past it).

        31 and 29 straddle the 30-minute refresh margin; 0 lands on the expiry, -90 well past it.
        """
        state = self.oauth.store.state(self.oauth.emu.app_id, self.adv)
        target = state.expires_at - timedelta(minutes=minutes_left)
        hours = (target - self.oauth.emu.clock.now()).total_seconds() / 3600
        advance(self.server, hours if hours > 0 else 0.01)

    @rule()
    def drop_next_create_answer(self) -> None:
        requests.post(f"{self.server.url}/__emulator/faults", json={"faults": [DROP]}, timeout=10).raise_for_status()

    @invariant()
    def no_request_with_an_expired_token(self) -> None:
        assert self.counter.codes.get(EXPIRED, 0) == 0, self.counter.codes

    def settle(self) -> None:
        advance(self.server, 23.8)  # settle across one more expiry, too
        super().settle()
        self.no_request_with_an_expired_token()


ExpiringTokenMachine.TestCase.settings = settings(max_examples=8, stateful_step_count=12, deadline=None,
                                                  suppress_health_check=list(HealthCheck))
TestExpiringTokenMachine = ExpiringTokenMachine.TestCase


def test_the_counter_sees_a_request_with_an_expired_token():
    """Negative control: the same token handed out without refreshing is answered 40102, and counted."""
    server = expiring_emulator()
    try:
        home = Path(tempfile.mkdtemp(prefix="outbox-exp-"))
        oauth = setup(server, f"sqlite:///{home / 'c.db'}", home)
        _, token = oauth.store.access_token(oauth.emu.app_id, oauth.advertiser_id)
        client = fast_client(server, static_token(token), oauth.advertiser_id, attempts=1)
        counter = CodeCounter()
        client.session.hooks["response"].append(counter)
        advance(server, 24.0)
        with pytest.raises(Exception):  # noqa: B017  the typed error is not the point; the count is
            client.call("campaign.get", {"advertiser_id": oauth.advertiser_id})
        assert counter.codes == {EXPIRED: 1}
    finally:
        server.stop()
