"""Fixtures for outbox tests: a migrated control DB, an emulator whose clock reads real UTC, a channel.

The emulator's simulated clock stands still at the scenario's ``now``; creation-window lookups
compare it with our wall clock, so these servers start their clock a few minutes ahead of real time
(a remote clock slightly ahead of ours is the realistic, and the harmless, direction of skew).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import create_engine, text

from adops.db import make_engine, migrate
from adops.outbox import OutboxStore, OutboxWorker, WorkerPolicy
from tests.conftest import make_server
from tiktok.api.client import TikTokClient, static_token
from tiktok.api.retry import RetryPolicy
from tiktok.outbox import TikTokWriteChannel

TENANT = "acme"


def emulator_overrides(faults: list[dict] | None = None, ahead_s: float = 600) -> dict:
    now = (datetime.now(UTC) + timedelta(seconds=ahead_s)).strftime("%Y-%m-%d %H:%M:%S")
    return {"now": now, "history_days": 1, "faults": faults or []}


def start_emulator(faults: list[dict] | None = None, seed: int = 7):
    """A private emulator (rate limits off) with the given faults and a clock just ahead of ours."""
    return make_server(seed=seed, overrides=emulator_overrides(faults))


def build_client(server) -> TikTokClient:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=10).json()["data"]
    policy = RetryPolicy(initial=0.001, maximum=0.01, max_attempts=8, sleep=lambda _s: None)
    return TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]),
                        retry_policy=policy, timeout=5.0, advertiser_ids=creds["advertiser_ids"])


def advertiser_of(client: TikTokClient) -> str:
    return client.advertiser_ids[0]


class FakeClock:
    """UTC wall time that only moves when told: lets tests cross a 60 s reconcile spread instantly."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_store(tmp_path, clock: FakeClock) -> OutboxStore:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    migrate(url)
    return OutboxStore(make_engine(url), clock=clock)


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A private, migrated PostgreSQL database per test (dropped afterwards)."""
    name = f"outbox_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def make_worker(store: OutboxStore, client: TikTokClient, *, send_request_id: bool = True,
                policy: WorkerPolicy | None = None, **kwargs) -> OutboxWorker:
    channel = TikTokWriteChannel(client, send_request_id=send_request_id)
    policy = policy or WorkerPolicy(lease_s=30, empty_lookups_before_resend=3, resend_after_s=60, defer_s=1)
    return OutboxWorker(store, {"tiktok": channel}, policy, **kwargs)
