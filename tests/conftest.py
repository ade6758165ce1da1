"""Shared fixtures: an in-process emulator on a free port and a small TikTok-style API caller."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tiktok_emulator import scenario as scenarios
from tiktok_emulator.server import EmulatorServer, start_in_process

UNLIMITED = {"rate_limits": {"enabled": False}}


class Api:
    """Calls the emulator the way TikTok clients do: JSON-encoded GET params, JSON POST bodies."""

    def __init__(self, server: EmulatorServer, token: str | None = None) -> None:
        self.server = server
        self.session = requests.Session()
        creds = self.session.get(f"{server.url}/__emulator/credentials").json()["data"] if token is None else {}
        self.token = token or creds.get("access_token")
        self.advertiser_id = (creds.get("advertiser_ids") or [None])[0]

    def _headers(self, token: str | None) -> dict[str, str]:
        tok = self.token if token is None else token
        return {"Access-Token": tok} if tok else {}

    def get(self, path: str, token: str | None = None, version: str = "v1.3", **params: Any) -> dict:
        encoded = {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in params.items()}
        r = self.session.get(f"{self.server.url}/open_api/{version}/{path}", params=encoded,
                             headers=self._headers(token), timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: dict | None = None, token: str | None = None, version: str = "v1.3") -> dict:
        r = self.session.post(f"{self.server.url}/open_api/{version}/{path}", json=body or {},
                              headers=self._headers(token), timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def admin(self, method: str, path: str, **kwargs: Any) -> dict:
        r = self.session.request(method, f"{self.server.url}/__emulator/{path}", timeout=30, **kwargs)
        assert r.status_code == 200, r.text
        return r.json()


def make_server(scenario: str = "default", seed: int = 7, overrides: dict | None = None) -> EmulatorServer:
    merged = dict(UNLIMITED)
    merged.update(overrides or {})
    return start_in_process(scenarios.load(scenario, overrides=merged), seed=seed)


@pytest.fixture(scope="session")
def shared_server() -> Iterator[EmulatorServer]:
    """One emulator for read-only tests (rate limits off so tests never throttle each other)."""
    server = make_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def api(shared_server: EmulatorServer) -> Api:
    return Api(shared_server)


@pytest.fixture
def fresh_server() -> Iterator[EmulatorServer]:
    """A private emulator for tests that write or move the clock."""
    server = make_server()
    yield server
    server.stop()


@pytest.fixture
def fresh_api(fresh_server: EmulatorServer) -> Api:
    return Api(fresh_server)


def _answers(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The machine's PostgreSQL (trust auth, database `test`); skipped with a reason when it does not answer."""
    if not _answers("127.0.0.1", 5432):
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (CI starts it; locally: pg_ctlcluster ... start)")
    return "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis; skipped with a reason when it does not answer."""
    if not _answers("127.0.0.1", 6379):
        pytest.skip("Redis does not answer on 127.0.0.1:6379 (CI starts it; locally: redis-server --daemonize yes)")
    return "redis://127.0.0.1:6379/15"
