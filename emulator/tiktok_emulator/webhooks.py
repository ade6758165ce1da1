"""Webhook delivery as TikTok does it: signed, at least once, retried with backoff, sometimes twice.

``emit`` picks the active subscriptions an event concerns and queues one delivery per subscription;
a daemon worker POSTs them to the callback URLs. What a receiver must survive is configurable under
the scenario's ``webhooks``: failed attempts are retried after ``retry_base_seconds`` doubling up to
``max_attempts``; ``duplicate_rate`` sends a share of deliveries twice; ``out_of_order`` holds new
deliveries for a random moment so they leave in shuffled order. Every attempt is logged for
``GET /__emulator/webhooks``.

Signature: ``TikTok-Signature: t=<unix>,s=<hex HMAC_SHA256(app secret, f"{t}.{raw_body}")>``, the
documented TikTok-for-Developers scheme (which secret the Business API uses is unconfirmed; we use the
app secret). ``time`` and ``t`` are wall-clock seconds, because receivers check them against theirs.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .webhook_rules import OBJECT_CODES, subscription_matches

if TYPE_CHECKING:
    from .emulator import Emulator
    from .store import Token

log = logging.getLogger("tiktok_emulator.webhooks")
SIGNATURE_HEADER = "TikTok-Signature"
OUT_OF_ORDER_WINDOW_S = 0.25
HTTP_TIMEOUT_S = 5.0


def sign(secret: str, body: bytes, t: int) -> str:
    """The ``TikTok-Signature`` header value for ``body`` sent at unix time ``t``."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},s={mac}"


def verify_signature(secret: str, header: str | None, body: bytes | str, now: float,
                     tolerance_s: float = 300) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and ``t`` is within ``tolerance_s`` of ``now``.

    Checks skew in both directions and compares in constant time; any malformed input is False,
    never an exception, so a receiver can answer 401 without a try block. Several ``s=`` values
    are accepted (secret rotation).
    """
    if not secret or not header or body is None:
        return False
    raw = body.encode() if isinstance(body, str) else bytes(body)
    stamp, sigs = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            stamp = value
        elif key == "s" and value:
            sigs.append(value)
    if stamp is None or not stamp.isdigit() or not sigs or abs(now - int(stamp)) > tolerance_s:
        return False
    expected = sign(secret, raw, int(stamp)).split(",s=", 1)[1]
    return any(hmac.compare_digest(expected, s.lower()) for s in sigs)


@dataclass
class Delivery:
    """One queued POST of one event to one subscription (retries reuse it; a duplicate is a copy)."""

    seq: int
    due: float
    url: str
    secret: str
    body: bytes
    record: dict[str, Any] = field(default_factory=dict)


class WebhookDispatcher:
    """Queues and delivers webhook events for one emulator from a single background thread."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        cfg = emulator.scenario.get("webhooks") or {}
        self.retry_base = float(cfg.get("retry_base_seconds", 1.0))
        self.max_attempts = max(1, int(cfg.get("max_attempts", 8)))
        self.duplicate_rate = float(cfg.get("duplicate_rate", 0.0))
        self.out_of_order = bool(cfg.get("out_of_order", False))
        self.signing = bool(cfg.get("signing", True))
        self.leads: list[dict[str, Any]] = []
        self._rng = random.Random(f"webhooks:{emulator.seed}")
        self._seq = itertools.count(1)
        self._cond = threading.Condition()
        self._queue: list[Delivery] = []
        self._log: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def emit(self, event: str, advertiser_id: str, entry: dict[str, Any]) -> None:
        """Queue ``event`` for every active subscription it concerns; returns at once (thread-safe)."""
        store = self.emulator.store
        with store.lock:
            subs = [dict(s) for s in store.subscriptions.values()
                    if subscription_matches(s, event, str(advertiser_id), entry)]
        for sub in subs:
            self._enqueue(sub, event, str(advertiser_id), entry)
        if event == "authorization.removed":
            self._drop_revoked_subscriptions()

    def token_revoked(self, token: Token) -> None:
        """Tell the subscribers of the token's advertisers that the authorization is gone."""
        for adv in token.advertiser_ids:
            self.emit("authorization.removed", adv, {
                "advertiser_id": adv, "app_id": token.app_id, "reason": "ACCESS_TOKEN_REVOKED",
                "revoke_time": int(self.emulator.clock.now().timestamp()),
            })

    def _drop_revoked_subscriptions(self) -> None:
        """A subscription made with a now-revoked token stops, as TikTok documents (after its last notice)."""
        store = self.emulator.store
        with store.lock:
            for sub in store.subscriptions.values():
                token = store.tokens.get(str((sub.get("subscription_detail") or {}).get("access_token") or ""))
                if token is not None and token.revoked and sub.get("status") == "ACTIVE":
                    sub["status"] = "INACTIVE"

    def deliveries(self) -> list[dict[str, Any]]:
        """The delivery log: one record per delivery (duplicates included) with every attempt."""
        with self._cond:
            return json.loads(json.dumps(self._log))

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def close(self) -> None:
        """Stop the worker promptly; undelivered events are dropped with the emulator."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def _enqueue(self, sub: dict[str, Any], event: str, advertiser_id: str, entry: dict[str, Any]) -> None:
        request_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()
        body = json.dumps({
            "request_id": request_id, "event": event, "object": OBJECT_CODES.get(event, 0),
            "time": int(time.time()), "advertiser_id": advertiser_id,
            "subscription_id": sub["subscription_id"], "entry": [entry],
        }, separators=(",", ":")).encode()
        apps = self.emulator.store.apps
        secret = str((apps.get(str(sub.get("app_id"))) or {}).get("secret") or self.emulator.app_secret)
        with self._cond:
            copies = 2 if self.duplicate_rate > 0 and self._rng.random() < self.duplicate_rate else 1
            for copy in range(copies):
                record = {"event_id": request_id, "event": event, "subscription_id": sub["subscription_id"],
                          "callback_url": sub["callback_url"], "advertiser_id": advertiser_id,
                          "duplicate": copy > 0, "status": "pending", "attempts": []}
                hold = self._rng.uniform(0, OUT_OF_ORDER_WINDOW_S) if self.out_of_order else 0.0
                self._queue.append(Delivery(next(self._seq), time.monotonic() + hold, sub["callback_url"],
                                            secret, body, record))
                self._log.append(record)
            self._start()
            self._cond.notify_all()

    def _start(self) -> None:
        """Start the worker on first use (called under the condition's lock)."""
        if self._thread is None and not self._stop.is_set():
            self._thread = threading.Thread(target=self._run, name="tiktok-emulator-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                item = self._take_due()
                if item is None:
                    self._cond.wait(self._wait_time())
                    continue
            self._attempt(item)

    def _take_due(self) -> Delivery | None:
        now = time.monotonic()
        due = [d for d in self._queue if d.due <= now]
        if not due:
            return None
        item = min(due, key=lambda d: (d.due, d.seq))
        self._queue.remove(item)
        return item

    def _wait_time(self) -> float | None:
        if not self._queue:
            return None
        return max(0.0, min(d.due for d in self._queue) - time.monotonic())

    def _attempt(self, item: Delivery) -> None:
        status, error = self._post(item)
        ok = status is not None and 200 <= status < 300
        with self._cond:
            record = item.record
            record["attempts"].append({"at": time.time(), "status": status, "error": error})
            if ok:
                record["status"] = "delivered"
            elif len(record["attempts"]) >= self.max_attempts:
                record["status"] = "failed"
            else:
                item.due = time.monotonic() + self.retry_base * 2 ** (len(record["attempts"]) - 1)
                self._queue.append(item)

    def _post(self, item: Delivery) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json", "User-Agent": "TikTok-Webhook-Emulator"}
        if self.signing:
            headers[SIGNATURE_HEADER] = sign(item.secret, item.body, int(time.time()))
        request = urllib.request.Request(item.url, data=item.body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310
                response.read()
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except (urllib.error.URLError, OSError) as exc:
            log.debug("webhook delivery to %s failed: %s", item.url, exc)
            return None, str(exc)
