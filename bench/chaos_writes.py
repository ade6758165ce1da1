"""Chaos for idempotent creates: faults on every create, workers killed with SIGKILL, zero duplicates.

    .venv/bin/python bench/chaos_writes.py [--quick] [--intents N] [--workers 4] [--no-request-id]

Records N ``campaign.create`` intents in a private PostgreSQL database, starts the emulator in this
process with HTTP 503 on 20 % of create calls (before applying) and applied-then-dropped on ~10 %
(rule rate 0.125; a call both rules hit gets the 503, so 0.8 × 0.125 = 10 % are dropped after
applying), and runs several worker PROCESSES that claim intents with ``FOR UPDATE SKIP LOCKED``.
A killer sends ``kill -9`` to a random worker every ~0.4 s and starts a replacement; each worker
sleeps after some sends *before* committing DONE (``CHAOS_SLEEP_AFTER_SEND``), so kills land between
send and commit too (counted as ``orphaned``: intents found SENDING under a dead worker's lease).
When every intent has settled, the emulator's ``campaign/get/`` is asked for every tagged campaign:
``duplicates`` = remote objects beyond one per intent, ``lost`` = intents not DONE, with no remote
object or with a remote id that is not the tagged object. Both must be 0.

The re-send spread (``--spread``, default 1 s) replaces the production 60 s: the emulator lists a
new object immediately, and a 60 s spread would only make the run wait. ``--no-request-id`` stops
sending TikTok's ``request_id`` (which the emulator dedupes), so the outbox alone must prevent
duplicates. The last output line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "emulator"), str(ROOT)]

from sqlalchemy import create_engine, text  # noqa: E402

from adops.db import make_engine, migrate  # noqa: E402
from adops.outbox import DONE, OutboxStore, OutboxWorker, WorkerPolicy  # noqa: E402
from tiktok.api.client import TikTokClient, static_token  # noqa: E402
from tiktok.api.retry import RetryPolicy  # noqa: E402
from tiktok.outbox import TikTokWriteChannel, create_intent, has_tag  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TENANT = "chaos"


def log(msg: str) -> None:
    print(msg, flush=True)


# ---- worker process ---------------------------------------------------------------------------
def worker_main(args: argparse.Namespace) -> None:
    """One worker process: claim, process, repeat until nothing is open; may be killed at any time."""
    store = OutboxStore(make_engine(args.db))
    policy = RetryPolicy(initial=0.01, maximum=0.1, max_attempts=8)
    client = TikTokClient(args.base_url, token_provider=static_token(args.token), retry_policy=policy, timeout=5.0)
    channel = TikTokWriteChannel(client, send_request_id=not args.no_request_id)
    p_sleep = float(os.environ.get("CHAOS_SLEEP_AFTER_SEND", "0"))

    def after_send(_intent) -> None:
        if random.random() < p_sleep:
            time.sleep(0.6)  # the window where a kill -9 leaves a sent-but-uncommitted intent

    wp = WorkerPolicy(lease_s=args.lease, empty_lookups_before_resend=3, resend_after_s=args.spread, defer_s=0.2)
    worker = OutboxWorker(store, {"tiktok": channel}, wp, after_send=after_send)
    while True:
        if not worker.step():
            if not any(store.counts().get(s) for s in ("PENDING", "SENDING", "UNKNOWN")):
                return
            time.sleep(0.05)


# ---- orchestrator -----------------------------------------------------------------------------
def private_db(base: str) -> tuple[str, str]:
    name = f"chaos_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = base.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    return url, name


def drop_db(base: str, name: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def start_emulator(seed: int):
    from datetime import UTC, datetime, timedelta

    from tests.conftest import make_server

    now = (datetime.now(UTC) + timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S")
    faults = [{"path": "campaign/create/", "http_status": 503, "rate": 0.2},
              {"path": "campaign/create/", "drop_after_apply": True, "rate": 0.125}]
    server = make_server(seed=seed, overrides={"now": now, "history_days": 1, "faults": faults})
    server.httpd.handle_error = lambda *_a: None  # a killed worker's reset socket is expected here
    return server


def spawn(args: argparse.Namespace, db: str, base_url: str, token: str) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--worker", "--db", db, "--base-url", base_url, "--token", token,
           "--lease", str(args.lease), "--spread", str(args.spread)]
    if args.no_request_id:
        cmd.append("--no-request-id")
    env = {**os.environ, "CHAOS_SLEEP_AFTER_SEND": str(args.sleep_p)}
    return subprocess.Popen(cmd, env=env)


def record_intents(store: OutboxStore, advertiser: str, n: int) -> None:
    for i in range(n):
        body = {"campaign_name": f"Chaos campaign {i}", "objective_type": "TRAFFIC",
                "budget_mode": "BUDGET_MODE_INFINITE"}
        store.record(create_intent(TENANT, advertiser, "chaos-plan", f"campaign-{i}", "campaign.create", body))


def open_count(store: OutboxStore) -> int:
    counts = store.counts()
    return sum(counts.get(s, 0) for s in ("PENDING", "SENDING", "UNKNOWN"))


def chaos_loop(args: argparse.Namespace, store: OutboxStore, db: str, base_url: str, token: str) -> tuple[int, float]:
    """Run workers, kill one at random every ~0.4 s (and restart it) until every intent settles."""
    rng = random.Random(args.seed)
    procs = [spawn(args, db, base_url, token) for _ in range(args.workers)]
    kills, start, last_note = 0, time.monotonic(), 0.0
    try:
        while open_count(store) and time.monotonic() - start < args.deadline:
            time.sleep(rng.uniform(0.3, 0.9))
            victim = rng.randrange(len(procs))
            if procs[victim].poll() is None and rng.random() < args.kill_p:
                os.kill(procs[victim].pid, signal.SIGKILL)
                procs[victim].wait()
                kills += 1
            if procs[victim].poll() is not None:
                procs[victim] = spawn(args, db, base_url, token)
            if time.monotonic() - last_note >= 2.0:
                last_note = time.monotonic()
                log(f"  t={last_note - start:5.1f}s states={dict(sorted(store.counts().items()))} kills={kills}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
            p.wait()
    return kills, time.monotonic() - start


def verify(store: OutboxStore, client: TikTokClient, advertiser: str) -> dict[str, int]:
    """Count remote campaigns per intent ref tag; compare with what the outbox recorded."""
    params = {"advertiser_id": advertiser, "fields": ["campaign_id", "campaign_name"],
              "filtering": {"campaign_name": "~x:", "primary_status": "STATUS_ALL"}}
    remote = list(client.paginate("campaign.get", params))
    intents = store.all()
    per_ref = Counter()
    ids_by_ref: dict[str, set[str]] = {}
    for row in remote:
        ref = str(row["campaign_name"]).rsplit("~x:", 1)[-1]
        per_ref[ref] += 1
        ids_by_ref.setdefault(ref, set()).add(str(row["campaign_id"]))
    refs = {i.external_ref for i in intents}
    duplicates = sum(n - 1 for ref, n in per_ref.items() if ref in refs) + sum(
        n for ref, n in per_ref.items() if ref not in refs)
    lost = sum(1 for i in intents if i.state != DONE or i.remote_id not in ids_by_ref.get(i.external_ref, set()))
    assert all(has_tag(r["campaign_name"], r["campaign_name"].rsplit("~x:", 1)[-1]) for r in remote)
    return {"remote_objects": len(remote), "duplicates": duplicates, "lost": lost}


def orphaned(store: OutboxStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM outbox_events WHERE kind = 'orphaned'")).scalar_one())


def main(args: argparse.Namespace) -> dict:
    n = args.intents or (200 if args.quick else 1000)
    server = start_emulator(args.seed)
    db, name = private_db(args.pg)
    try:
        import requests

        creds = requests.get(f"{server.url}/__emulator/credentials", timeout=10).json()["data"]
        token, advertiser = creds["access_token"], creds["advertiser_ids"][0]
        store = OutboxStore(make_engine(db))
        t0 = time.monotonic()
        record_intents(store, advertiser, n)
        log(f"recorded {n} intents in {time.monotonic() - t0:.1f}s; {args.workers} workers, "
            f"request_id {'off' if args.no_request_id else 'on'}")
        kills, settled_s = chaos_loop(args, store, db, server.base_url, token)
        client = TikTokClient(server.base_url, token_provider=static_token(token),
                              retry_policy=RetryPolicy(initial=0.01, maximum=0.1))
        result = verify(store, client, advertiser)
        fired = {("503" if f.get("http_status") else "drop_after_apply"): f["fired"]
                 for f in server.emulator.traffic.faults}
        log(f"faults fired: {fired}; states: {store.counts()}")
        return {"intents": n, "duplicates": result["duplicates"], "lost": result["lost"],
                "settled_s": round(settled_s, 1), "kills": kills, "workers": args.workers,
                "orphaned_mid_send": orphaned(store), "remote_objects": result["remote_objects"],
                "faults_fired": fired, "request_id": not args.no_request_id, "resend_spread_s": args.spread}
    finally:
        server.stop()
        if not args.keep_db:
            drop_db(args.pg, name)


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--intents", type=int, default=0)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--pg", default=os.environ.get("CHAOS_PG_URL", PG))
    ap.add_argument("--no-request-id", action="store_true")
    ap.add_argument("--spread", type=float, default=1.0, help="seconds the K=3 empty lookups must span")
    ap.add_argument("--lease", type=float, default=2.0)
    ap.add_argument("--kill-p", type=float, default=0.5, help="chance a chosen worker is killed per tick")
    ap.add_argument("--sleep-p", type=float, default=0.15, help="chance a worker pauses between send and commit")
    ap.add_argument("--deadline", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep-db", action="store_true")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--base-url", help=argparse.SUPPRESS)
    ap.add_argument("--token", help=argparse.SUPPRESS)
    return ap.parse_args()


if __name__ == "__main__":
    ARGS = parse()
    if ARGS.worker:
        worker_main(ARGS)
    else:
        print(json.dumps(main(ARGS)), flush=True)
