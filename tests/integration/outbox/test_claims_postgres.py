"""Claims on real PostgreSQL: SKIP LOCKED hands each intent to one worker; a dead worker's lease expires."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from adops.db import make_engine
from adops.outbox import DONE, UNKNOWN, Found, IntentSpec, OutboxStore, OutboxWorker, Sent, WorkerPolicy

pytestmark = [pytest.mark.integration, pytest.mark.services]
ROOT = Path(__file__).resolve().parents[3]


def _spec(i: int) -> IntentSpec:
    return IntentSpec(tenant="t", channel="fake", account_id="a", plan_id="p", object_id=f"o{i}",
                      action="thing.create", payload={"n": i})


def test_concurrent_workers_never_claim_the_same_intent(pg_url: str) -> None:
    store = OutboxStore(make_engine(pg_url))
    for i in range(300):
        store.record(_spec(i))
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(8)

    def claimer(name: str) -> None:
        mine = claimed.setdefault(name, [])
        barrier.wait()
        while batch := store.claim(name, lease_s=300, limit=3):
            mine.extend(i.id for i in batch)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for mine in claimed.values() for i in mine]
    assert len(ids) == 300 and len(set(ids)) == 300
    assert sum(1 for mine in claimed.values() if mine) > 1  # really concurrent, not one greedy worker


HANGING_WORKER = textwrap.dedent("""
    import sys, time
    sys.path[:0] = [{plugins!r}, {root!r}]
    from adops.db import make_engine
    from adops.outbox import OutboxStore, OutboxWorker, WorkerPolicy

    class Hangs:
        def lookup(self, intent):
            return None
        def send(self, intent):
            print("SENT", flush=True)
            time.sleep(3600)  # killed here: sent, never committed

    store = OutboxStore(make_engine({url!r}))
    OutboxWorker(store, {{"fake": Hangs()}}, WorkerPolicy(lease_s=1.0), owner="doomed").step()
""")


class Remote:
    """The effect the dead worker's send produced, as a later lookup sees it."""

    def lookup(self, intent):
        return Found("remote-1")

    def send(self, intent):  # pragma: no cover - must not be called
        raise AssertionError("re-sent although the object exists")


def test_a_killed_workers_intent_is_taken_over_after_its_lease_and_reconciled(pg_url: str) -> None:
    store = OutboxStore(make_engine(pg_url))
    intent = store.record(_spec(1))
    code = HANGING_WORKER.format(plugins=str(ROOT / "plugins"), root=str(ROOT), url=pg_url)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "SENT"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    held = store.get(intent.id)
    assert held.state == "SENDING" and held.lease_owner == "doomed"
    rescuer = OutboxWorker(store, {"fake": Remote()}, WorkerPolicy(lease_s=5), owner="rescuer")
    assert rescuer.step() == 0  # the lease still holds
    time.sleep(1.1)
    assert rescuer.step() == 1
    done = store.get(intent.id)
    assert done.state == DONE and done.remote_id == "remote-1" and done.attempts == 1
    kinds = [(e["kind"], e["worker"]) for e in store.events(intent.id)]
    assert ("orphaned", "rescuer") in kinds and kinds[-1] == ("adopted", "rescuer")
    claims = [e for e in store.events(intent.id) if e["kind"] == "claimed"]
    assert claims[-1]["detail"] == {"took_over_from": "doomed"}


class Empty:
    def __init__(self) -> None:
        self.sent = 0

    def lookup(self, intent):
        return None

    def send(self, intent):
        self.sent += 1
        return Sent("remote-2")


def test_an_orphaned_send_becomes_unknown_not_pending(pg_url: str) -> None:
    """Without a lookup hit, an orphan waits for K empty lookups like any unclear send."""
    store = OutboxStore(make_engine(pg_url))
    intent = store.record(_spec(2))
    store.claim("doomed", lease_s=0.0)
    store.transition(intent, "doomed", "send", state="SENDING", attempts=1)
    channel = Empty()
    OutboxWorker(store, {"fake": channel}, WorkerPolicy(lease_s=5, resend_after_s=60)).step()
    assert store.get(intent.id).state == UNKNOWN and channel.sent == 0
