"""The part the outbox's Hypothesis state machines share: create intents, step a worker, move the outbox
clock, and check after every step that no intent has more than one remote object (exactly one once DONE).

A subclass starts the emulator, builds its clients and store, then calls ``wire``; it adds its own rules
(faults, killed workers, an expiring token) and may extend ``settle``. ``request_id`` is NOT sent, so the
emulator's own dedupe cannot hide a duplicate: the outbox alone must keep the invariant.
"""
from __future__ import annotations

import requests
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from adops.outbox import DONE, OutboxStore, OutboxWorker, WorkerPolicy
from tests.integration.outbox.conftest import TENANT, FakeClock
from tiktok.api.client import TikTokClient
from tiktok.outbox import TikTokWriteChannel, create_intent

POLICY = WorkerPolicy(lease_s=10, empty_lookups_before_resend=3, resend_after_s=30, defer_s=1)


class CreateIntentsMachine(RuleBasedStateMachine):
    NAME = "SM"  # campaign names and operation ids of this machine's intents
    server: object
    adv: str
    checker: TikTokClient  # a client that outlasts injected faults, for counting remote objects

    def wire(self, client: TikTokClient, store: OutboxStore, clock: FakeClock) -> None:
        self.clock, self.store, self.n = clock, store, 0
        self.channels = {"tiktok": TikTokWriteChannel(client, send_request_id=False)}
        self.worker = OutboxWorker(self.store, self.channels, POLICY, owner="steady")

    def teardown(self) -> None:
        try:
            self.settle()
        finally:
            self.server.stop()

    # ---- rules ----------------------------------------------------------------------------
    @rule()
    def create_intent(self) -> None:
        self.n += 1
        body = {"campaign_name": f"{self.NAME} {self.n}", "objective_type": "TRAFFIC",
                "budget_mode": "BUDGET_MODE_INFINITE"}
        self.store.record(create_intent(TENANT, self.adv, self.NAME.lower(), f"c{self.n}", "campaign.create", body))

    @rule(steps=st.integers(1, 4))
    def worker_step(self, steps: int) -> None:
        for _ in range(steps):
            self.worker.step()

    @rule(seconds=st.sampled_from([1, 11, 31]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    # ---- invariant ------------------------------------------------------------------------
    @invariant()
    def at_most_one_remote_object_per_intent(self) -> None:
        per_ref = self.remote_per_ref()
        assert all(n <= 1 for n in per_ref.values()), per_ref
        for intent in self.store.all():
            if intent.state == DONE:
                assert per_ref.get(intent.external_ref) == 1

    def remote_per_ref(self) -> dict[str, int]:
        params = {"advertiser_id": self.adv, "filtering": {"campaign_name": "~x:", "primary_status": "STATUS_ALL"},
                  "fields": ["campaign_name"]}
        counts: dict[str, int] = {}
        for row in self.checker.paginate("campaign.get", params):
            ref = row["campaign_name"].rsplit("~x:", 1)[-1]
            counts[ref] = counts.get(ref, 0) + 1
        return counts

    def settle(self) -> None:
        """Faults off, then the worker runs until every intent is DONE with exactly one remote object."""
        requests.post(f"{self.server.url}/__emulator/faults", json={"faults": []}, timeout=10).raise_for_status()
        for _ in range(40):
            self.clock.advance(11)
            self.worker.run_until_idle()
            if all(i.state == DONE for i in self.store.all()):
                break
        assert all(i.state == DONE for i in self.store.all()), self.store.counts()
        per_ref = self.remote_per_ref()
        assert all(per_ref.get(i.external_ref) == 1 for i in self.store.all()), per_ref
