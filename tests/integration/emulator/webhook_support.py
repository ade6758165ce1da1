"""Test support: a real local webhook receiver, and an API caller that needs no admin routes."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import Api, make_server  # noqa: F401  (re-exported for the emulator tests)
from tiktok_emulator.seed import token_for
from tiktok_emulator.server import EmulatorServer

TINY = {"history_days": 2, "advertisers": [{"name": "Tiny Shop", "currency": "USD", "timezone": "UTC", "campaigns": 1,
                                          "adgroups_per_campaign": 2, "ads_per_adgroup": 2}]}


def tiny_server(seed: int = 7, **overrides: Any) -> EmulatorServer:
    """A one-advertiser emulator that starts in milliseconds (rate limits off unless overridden)."""
    return make_server(seed=seed, overrides={**TINY, **overrides})


def api_for(server: EmulatorServer) -> Api:
    """An ``Api`` with the seeded token and first advertiser, read from the emulator itself."""
    emu = server.emulator
    api = Api(server, token=token_for(emu.seed, "default"))
    api.advertiser_id = next(iter(emu.store.advertisers))
    return api


class Receiver:
    """A stdlib HTTP server on a free port that records every POST and answers scripted statuses."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (stdlib name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "at": time.monotonic(),
                                              "status": status, "path": self.path})
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tiktok/webhook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until ``count`` requests arrived (or fail), returning all received so far."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} webhook requests, got {len(self.requests)}")
                self._cond.wait(left)
            return list(self.requests)

    def bodies(self) -> list[dict[str, Any]]:
        with self._cond:
            return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def subscribe(api: Api, url: str, entity: str = "LEAD", **detail: Any) -> dict[str, Any]:
    emu = api.server.emulator
    body = {"app_id": emu.app_id, "secret": emu.app_secret, "subscribe_entity": entity, "callback_url": url,
            "subscription_detail": {"access_token": api.token, "advertiser_id": api.advertiser_id, **detail}}
    return api.post("subscription/subscribe/", body)
