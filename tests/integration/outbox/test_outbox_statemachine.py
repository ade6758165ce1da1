"""A Hypothesis state machine over the outbox and the emulator: at most one remote object per intent.

Rules record create intents, run worker steps, inject faults (503 before applying, applied-then-
dropped, failing lookups), kill a worker before or after its send (it keeps its lease and the intent
stays SENDING), and move the clock. ``request_id`` is NOT sent here, so the emulator's own dedupe
cannot hide a duplicate: the outbox alone must keep the invariant. At the end everything settles.
"""
from __future__ import annotations

import tempfile

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from adops.db import make_engine, migrate
from adops.outbox import OutboxStore, OutboxWorker
from tests.integration.outbox.conftest import FakeClock, advertiser_of, build_client, start_emulator
from tests.integration.outbox.machine import POLICY, CreateIntentsMachine
from tiktok.api.retry import RetryPolicy

pytestmark = pytest.mark.integration
FAULTS = {
    "503_on_create": {"path": "campaign/create/", "http_status": 503, "max_count": 1},
    "drop_after_apply": {"path": "campaign/create/", "drop_after_apply": True, "max_count": 1},
    "503_on_lookup": {"path": "campaign/get/", "http_status": 503, "max_count": 9},
}


class Killed(BaseException):
    """The worker process dies here (a BaseException, so nothing in the worker catches it)."""


def _die(_intent) -> None:
    raise Killed


class OutboxMachine(CreateIntentsMachine):
    NAME = "SM"

    def __init__(self) -> None:
        super().__init__()
        self.server = start_emulator()
        client = build_client(self.server)
        self.checker = build_client(self.server)  # outlasts the injected lookup 503s (9 < 20 attempts)
        self.checker.retry_policy = RetryPolicy(initial=0.001, maximum=0.01, max_attempts=20, sleep=lambda _s: None)
        self.adv = advertiser_of(client)
        url = f"sqlite:///{tempfile.mkdtemp(prefix='outbox-sm-')}/c.db"
        migrate(url)
        clock = FakeClock()
        self.wire(client, OutboxStore(make_engine(url), clock=clock), clock)

    @rule(fault=st.sampled_from(sorted(FAULTS)))
    def inject_fault(self, fault: str) -> None:
        requests.post(f"{self.server.url}/__emulator/faults", json={"faults": [FAULTS[fault]]},
                      timeout=10).raise_for_status()

    @precondition(lambda self: self.n > 0)
    @rule(after=st.booleans())
    def kill_worker_mid_send(self, after: bool) -> None:
        hook = {"after_send": _die} if after else {"before_send": _die}
        doomed = OutboxWorker(self.store, self.channels, POLICY, owner=f"doomed-{self.n}", **hook)
        try:
            doomed.step()
        except Killed:
            pass


OutboxMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=15, deadline=None,
                                           suppress_health_check=list(HealthCheck))
TestOutboxMachine = OutboxMachine.TestCase
