"""Token stampede: N worker processes ask for one about-to-expire token at the same instant.

    .venv/bin/python bench/refresh_stampede.py [--quick] [--workers N] [--pg postgresql+psycopg://…/test]

Setup: the in-process emulator issues expiring tokens (scenario ``oauth.token_ttl_hours: 24``, rotating
refresh tokens); the bench consents once, stores the token encrypted in a fresh PostgreSQL database,
then advances the emulator's simulated clock to 15 minutes before expiry (inside the 30-minute refresh
margin, still valid). N processes (20 with ``--quick``, 50 otherwise) each build their own store and
provider, wait on a barrier, ask for the token and make one ``advertiser/info/`` call with it.

Must show: ``refresh_calls`` == 1 (counted by the emulator: ``POST oauth2/token/``) and
``expired_token_requests`` == 0 (calls answered 40102). Baseline for comparison: without the row lock
every worker would refresh, and all but one would present an already-rotated refresh token.
The last output line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
for sub in ("plugins", "emulator", ""):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TOKEN_TTL_HOURS = 24
ADVANCE_HOURS = TOKEN_TTL_HOURS - 0.25  # 15 min left: inside the 30-min margin, not yet expired
OVERRIDES = {"rate_limits": {"enabled": False}, "history_days": 2,
             "advertisers": [{"name": "Stampede", "campaigns": 1}],
             "oauth": {"token_ttl_hours": TOKEN_TTL_HOURS}}


def _store(db_url: str, key_file: str, now: datetime):
    from adops.crypto import EnvelopeCipher, LocalKeyFileProvider
    from adops.db import make_engine
    from tiktok.oauth import TokenStore

    return TokenStore(make_engine(db_url), EnvelopeCipher(LocalKeyFileProvider(key_file)), clock=lambda: now)


def worker(args: dict[str, Any], barrier: Any, results: Any) -> None:
    """One process: own engine and provider; the emulator's clock stands still, so ``now`` is fixed."""
    from tiktok.api.client import TikTokClient
    from tiktok.api.errors import TikTokError
    from tiktok.oauth import OAuthApi, RefreshingTokenProvider

    now = datetime.fromisoformat(args["now"])
    store = _store(args["db_url"], args["key_file"], now)
    api = OAuthApi(args["base_url"], args["app_id"], args["secret"])
    provider = RefreshingTokenProvider(store, api, args["app_id"], args["advertiser_id"], clock=lambda: now)
    client = TikTokClient(args["base_url"], token_provider=provider)
    store.state(args["app_id"], args["advertiser_id"])  # warm the connection pool before the barrier
    barrier.wait()
    out: dict[str, Any] = {"code": 0}
    try:
        client.call("advertiser.info", {"advertiser_ids": [args["advertiser_id"]]})
    except TikTokError as exc:
        out = {"code": exc.code, "error": str(exc)[:200]}
    out["refreshes"] = provider.refreshes
    results.put(out)


def _fresh_database(pg_url: str) -> str:
    name = f"adops_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(pg_url: str, db_url: str) -> None:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {db_url.rsplit('/', 1)[1]} WITH (FORCE)"))
    admin.dispose()


def _consent(server: Any, db_url: str, key_file: str) -> dict[str, Any]:
    """Consent + exchange once (as an operator would), then move simulated time near expiry."""
    from tiktok.oauth import OAuthConfig, OAuthFlow

    emu = server.emulator
    store = _store(db_url, key_file, emu.clock.now())
    store.clock = emu.clock.now
    flow = OAuthFlow(OAuthConfig(app_id=emu.app_id, secret=emu.app_secret, base_url=server.url), store,
                     clock=emu.clock.now)
    url, _ = flow.consent_url()
    loc = requests.get(url, allow_redirects=False, timeout=30).headers["Location"]
    query = parse_qs(urlsplit(loc).query)
    result = flow.exchange(query["auth_code"][0], query["state"][0])
    requests.post(f"{server.url}/__emulator/clock/advance", json={"hours": ADVANCE_HOURS}, timeout=60).raise_for_status()
    store.engine.dispose()
    return {"db_url": db_url, "key_file": key_file, "base_url": server.url, "app_id": emu.app_id,
            "secret": emu.app_secret, "advertiser_id": result.advertiser_ids[0],
            "now": emu.clock.now().isoformat()}


def _stampede(args: dict[str, Any], workers: int) -> tuple[list[dict[str, Any]], float]:
    ctx = mp.get_context("spawn")  # the parent runs the emulator's threads: never fork them
    barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(args, barrier, results)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    outs = [results.get(timeout=120) for _ in procs]
    seconds = time.perf_counter() - started
    for proc in procs:
        proc.join(timeout=30)
    return outs, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 workers instead of 50")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--pg", default=DEFAULT_PG, help="admin URL of a PostgreSQL database")
    opts = parser.parse_args()
    workers = opts.workers or (20 if opts.quick else 50)

    from adops.db import migrate
    from tiktok_emulator import scenario as scenarios
    from tiktok_emulator.server import start_in_process

    total_started = time.perf_counter()
    server = start_in_process(scenarios.load("default", overrides=OVERRIDES), seed=7)
    db_url = _fresh_database(opts.pg)
    try:
        migrate(db_url)
        args = _consent(server, db_url, str(Path(tempfile.mkdtemp(prefix="stampede-keys-")) / "keys.json"))
        outs, seconds = _stampede(args, workers)
        counts = requests.get(f"{server.url}/__emulator/requests", timeout=30).json()["data"]["by_endpoint"]
    finally:
        server.stop()
        _drop_database(opts.pg, db_url)
    failures = [o for o in outs if o["code"] not in (0, 40102)]
    print(f"workers={workers} ok={sum(o['code'] == 0 for o in outs)} other_failures={len(failures)} "
          f"{failures[:1]}", file=sys.stderr)
    print(json.dumps({"workers": workers,
                      "refresh_calls": counts.get("POST /open_api/v1.3/oauth2/token/", 0),
                      "expired_token_requests": sum(o["code"] == 40102 for o in outs),
                      "failed_calls": len(failures),
                      "seconds": round(seconds, 3),
                      "total_seconds": round(time.perf_counter() - total_started, 3)}))


if __name__ == "__main__":
    main()
