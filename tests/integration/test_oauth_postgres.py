"""Single-flight refresh on PostgreSQL: many processes and threads, one expiring token, one refresh call."""
from __future__ import annotations

import multiprocessing as mp
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from tests.integration.oauth_support import expiring_server, setup

pytestmark = [pytest.mark.integration, pytest.mark.services]


@pytest.fixture
def pg_db(postgres_url: str) -> Iterator[str]:
    name = f"adops_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def env(pg_db, tmp_path):
    srv = expiring_server(24)
    out = setup(srv, pg_db, tmp_path)
    out.emu.clock.advance(23.75)  # inside the 30-minute margin, still valid
    yield out
    out.store.engine.dispose()
    srv.stop()


def _worker(args: dict, barrier, results) -> None:
    """A separate process: its own engine, key provider and provider; the simulated clock is fixed."""
    from adops.crypto import EnvelopeCipher, LocalKeyFileProvider
    from adops.db import make_engine
    from tiktok.api.client import TikTokClient
    from tiktok.oauth import OAuthApi, RefreshingTokenProvider, TokenStore

    now = datetime.fromisoformat(args["now"])
    store = TokenStore(make_engine(args["db"]), EnvelopeCipher(LocalKeyFileProvider(args["keys"])), clock=lambda: now)
    provider = RefreshingTokenProvider(store, OAuthApi(args["url"], args["app"], args["secret"]), args["app"],
                                       args["adv"], clock=lambda: now)
    barrier.wait()
    try:
        TikTokClient(args["url"], token_provider=provider).call("advertiser.info", {"advertiser_ids": [args["adv"]]})
        results.put(("ok", provider()))
    except Exception as exc:  # noqa: BLE001  reported to the parent
        results.put(("error", repr(exc)))


def test_processes_on_postgres_refresh_exactly_once(env, pg_db):
    args = {"db": pg_db, "keys": str(env.keys.path), "url": env.server.url, "app": env.emu.app_id,
            "secret": env.emu.app_secret, "adv": env.advertiser_id, "now": env.emu.clock.now().isoformat()}
    ctx = mp.get_context("spawn")
    n = 8
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(args, barrier, results)) for _ in range(n)]
    for p in procs:
        p.start()
    outs = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert all(kind == "ok" for kind, _ in outs), outs
    assert len({token for _, token in outs}) == 1
    assert env.refresh_calls() == 1


def test_threads_on_postgres_refresh_exactly_once(env):
    barrier, tokens, errors = threading.Barrier(16), [], []

    def work() -> None:
        provider = env.provider()
        barrier.wait()
        try:
            tokens.append(provider())
        except Exception as exc:  # noqa: BLE001  asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(set(tokens)) == 1 and env.refresh_calls() == 1


def test_revocation_report_on_postgres_stops_automation(env):
    provider = env.provider()
    provider()
    provider.on_auth_error(40001, "No permission to perform the related operation")
    assert not env.store.is_automation_allowed(env.advertiser_id)
