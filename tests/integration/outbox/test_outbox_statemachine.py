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
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from adops.db import make_engine, migrate
from adops.outbox import DONE, OutboxStore, OutboxWorker, WorkerPolicy
from tests.integration.outbox.conftest import TENANT, FakeClock, advertiser_of, build_client, start_emulator
from tiktok.api.retry import RetryPolicy
from tiktok.outbox import TikTokWriteChannel, create_intent

pytestmark = pytest.mark.integration
POLICY = WorkerPolicy(lease_s=10, empty_lookups_before_resend=3, resend_after_s=30, defer_s=1)
FAULTS = {
    "503_on_create": {"path": "campaign/create/", "http_status": 503, "max_count": 1},
    "drop_after_apply": {"path": "campaign/create/", "drop_after_apply": True, "max_count": 1},
    "503_on_lookup": {"path": "campaign/get/", "http_status": 503, "max_count": 9},
}


class Killed(BaseException):
    """The worker process dies here (a BaseException, so nothing in the worker catches it)."""


def _die(_intent) -> None:
    raise Killed


class OutboxMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.server = start_emulator()
        self.client = build_client(self.server)
        self.checker = build_client(self.server)  # outlasts the injected lookup 503s (9 < 20 attempts)
        self.checker.retry_policy = RetryPolicy(initial=0.001, maximum=0.01, max_attempts=20, sleep=lambda _s: None)
        self.adv = advertiser_of(self.client)
        url = f"sqlite:///{tempfile.mkdtemp(prefix='outbox-sm-')}/c.db"
        migrate(url)
        self.clock = FakeClock()
        self.store = OutboxStore(make_engine(url), clock=self.clock)
        self.channels = {"tiktok": TikTokWriteChannel(self.client, send_request_id=False)}
        self.worker = OutboxWorker(self.store, self.channels, POLICY, owner="steady")
        self.n = 0

    def teardown(self) -> None:
        try:
            self._settle_everything()
        finally:
            self.server.stop()

    # ---- rules ----------------------------------------------------------------------------
    @rule()
    def create_intent(self) -> None:
        self.n += 1
        body = {"campaign_name": f"SM {self.n}", "objective_type": "TRAFFIC", "budget_mode": "BUDGET_MODE_INFINITE"}
        self.store.record(create_intent(TENANT, self.adv, "sm", f"c{self.n}", "campaign.create", body))

    @rule(steps=st.integers(1, 4))
    def worker_step(self, steps: int) -> None:
        for _ in range(steps):
            self.worker.step()

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

    @rule(seconds=st.sampled_from([1, 11, 31]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    # ---- invariant ------------------------------------------------------------------------
    @invariant()
    def at_most_one_remote_object_per_intent(self) -> None:
        per_ref = self._remote_per_ref()
        assert all(n <= 1 for n in per_ref.values()), per_ref
        for intent in self.store.all():
            if intent.state == DONE:
                assert per_ref.get(intent.external_ref) == 1

    def _remote_per_ref(self) -> dict[str, int]:
        params = {"advertiser_id": self.adv, "filtering": {"campaign_name": "~x:", "primary_status": "STATUS_ALL"},
                  "fields": ["campaign_name"]}
        counts: dict[str, int] = {}
        for row in self.checker.paginate("campaign.get", params):
            ref = row["campaign_name"].rsplit("~x:", 1)[-1]
            counts[ref] = counts.get(ref, 0) + 1
        return counts

    def _settle_everything(self) -> None:
        requests.post(f"{self.server.url}/__emulator/faults", json={"faults": []}, timeout=10).raise_for_status()
        for _ in range(40):
            self.clock.advance(11)
            self.worker.run_until_idle()
            if all(i.state == DONE for i in self.store.all()):
                break
        assert all(i.state == DONE for i in self.store.all()), self.store.counts()
        per_ref = self._remote_per_ref()
        assert all(per_ref.get(i.external_ref) == 1 for i in self.store.all()), per_ref


OutboxMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=15, deadline=None,
                                           suppress_health_check=list(HealthCheck))
TestOutboxMachine = OutboxMachine.TestCase
