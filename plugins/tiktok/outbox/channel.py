"""TikTok as an outbox channel: look the effect up before every send, send once, classify the answer.

Sends go through a copy of the client with retries off: the shared policy retries HTTP 5xx, which is
right for reads but, for a write, is exactly the blind re-send the outbox exists to prevent. An
unclear answer (no answer, 5xx, 5xxxx, 40050) becomes ``Ambiguous`` and the outbox reconciles it.

Look-ups read through ``uncached(client)``: a "not found" served from a 15-minute list cache (while
another worker's create already landed) would let the outbox send the create a second time. Writes
go through the copy of the client as handed in, so a caching wrapper still drops the lists a write
changes.
"""
from __future__ import annotations

import copy
import threading
from datetime import timedelta
from typing import Any

import requests

from adops.automation import Gate
from adops.outbox import Ambiguous, Deferred, Found, Intent, Refused, Sent
from tiktok.api.breaker import CircuitOpen
from tiktok.api.cache import uncached
from tiktok.api.client import TikTokClient
from tiktok.api.errors import AuthError, RateLimited, TikTokError, Transient, UnknownOutcome
from tiktok.api.retry import RetryPolicy, describe
from tiktok.automation import TikTokGate
from tiktok.budgets import CENT, budget_payload, read_budgets
from tiktok.outbox import kinds
from tiktok.outbox.kinds import BID_FIELDS, BID_SET, BUDGET_SET, CREATES, has_tag, tag
from tiktok.outbox.sets import OTHER_SETS, send_set, set_matches

DUPLICATED_REQUEST = 40050
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class TikTokWriteChannel:
    """Creates (campaign/ad group/ad) and absolute budget/bid sets for the outbox worker."""

    def __init__(self, client: TikTokClient, *, lookup_margin_s: float = 300.0, send_request_id: bool = True) -> None:
        self.client = client
        self.reader = uncached(client)  # look-ups must see TikTok's current state, never a cached list
        self.writer = copy.copy(client)
        self.writer.retry_policy = RetryPolicy.no_retry()
        self.lookup_margin_s = lookup_margin_s
        self.send_request_id = send_request_id
        self._seen = threading.local()
        self.writer.session.hooks.setdefault("response", []).append(self._remember_request_id)
        self.gate = TikTokGate(client)

    def automation_allowed(self, account_id: str) -> Gate:
        """The worker's gate: NEEDS_REAUTH or an open write circuit holds the advertiser's intents."""
        return self.gate(account_id)

    # ---- the Channel protocol -------------------------------------------------------------
    def lookup(self, intent: Intent) -> Found | None:
        try:
            if intent.action in CREATES:
                return self._find_created(intent)
            if intent.action == BUDGET_SET:
                return self._budget_matches(intent)
            if intent.action == BID_SET:
                return self._bid_matches(intent)
            if intent.action in OTHER_SETS:  # status / bid-mode sets left by the cycle (tiktok.outbox.sets)
                return set_matches(self.reader, intent)  # uncached, like every look-up
        except TikTokError as exc:
            raise Deferred(f"lookup failed: {exc}", describe(exc)) from exc
        raise Refused(f"unknown TikTok action {intent.action!r}")

    def send(self, intent: Intent) -> Sent:
        self._seen.request_id = None
        try:
            if intent.action in CREATES:
                return self._create(intent)
            if intent.action == BUDGET_SET:
                return self._set_budget(intent)
            if intent.action == BID_SET:
                return self._set_bid(intent)
            if intent.action in OTHER_SETS:
                return send_set(self.writer, intent)
        except TikTokError as exc:
            raise classify(exc) from exc
        raise Refused(f"unknown TikTok action {intent.action!r}")

    # ---- creates --------------------------------------------------------------------------
    def _create(self, intent: Intent) -> Sent:
        kind = CREATES[intent.action]
        name = kinds.tagged(_name_of(intent), intent.external_ref)
        body = kinds.with_name(intent.action, intent.payload, name)
        if self.send_request_id:
            body["request_id"] = kinds.request_id_for(intent.idempotency_key)
        data = self.writer.call(intent.action, body, idempotency_key=intent.idempotency_key)
        remote = (data.get("ad_ids") or [None])[0] if intent.action == "ad.create" else data.get(kind.id_field)
        if not remote:
            raise Ambiguous(f"{intent.action}: answer without {kind.id_field}", {"data": str(data)[:300]})
        return Sent(str(remote), self._seen.request_id)

    def _find_created(self, intent: Intent) -> Found | None:
        """``*/get/`` by name tag (or parent) and creation window; the oldest tagged object wins."""
        kind = CREATES[intent.action]
        since = intent.created_at - timedelta(seconds=self.lookup_margin_s)
        filtering: dict[str, Any] = {"creation_filter_start_time": since.strftime(TIME_FORMAT),
                                     "primary_status": "STATUS_ALL"}
        if kind.name_filter:
            filtering[kind.name_field] = tag(intent.external_ref).strip()
        if kind.parent_filter:
            field, key = kind.parent_filter
            filtering[key] = [str(intent.payload[field])]
        params = {"advertiser_id": intent.account_id, "filtering": filtering,
                  "fields": [kind.id_field, kind.name_field, "create_time"]}
        rows = [r for r in self.reader.paginate(kind.get, params) if has_tag(r.get(kind.name_field), intent.external_ref)]
        if not rows:
            return None
        rows.sort(key=lambda r: (str(r.get("create_time", "")), int(str(r[kind.id_field]))))
        return Found(str(rows[0][kind.id_field]), {"matches": len(rows)})

    # ---- absolute sets --------------------------------------------------------------------
    def _budget_matches(self, intent: Intent) -> Found | None:
        gid, target = intent.payload["adgroup_id"], float(intent.payload["budget"])
        current = read_budgets(self.reader, intent.account_id, [gid]).get(gid)
        if current is not None and abs(current - target) < CENT:
            return Found(gid, {"skipped": True, "current": current})
        return None

    def _set_budget(self, intent: Intent) -> Sent:
        gid = intent.payload["adgroup_id"]
        body = budget_payload(intent.account_id, {gid: float(intent.payload["budget"])})
        self.writer.call("adgroup.budget.update", body, idempotency_key=intent.idempotency_key)
        return Sent(gid, self._seen.request_id)

    def _bid_matches(self, intent: Intent) -> Found | None:
        gid = intent.payload["adgroup_id"]
        field = next(f for f in BID_FIELDS if f in intent.payload)
        params = {"advertiser_id": intent.account_id, "filtering": {"adgroup_ids": [gid]},
                  "fields": ["adgroup_id", field]}
        rows = list(self.reader.paginate("adgroup.get", params))
        current = float(rows[0].get(field) or 0.0) if rows else None
        if current is not None and abs(current - float(intent.payload[field])) < CENT:
            return Found(gid, {"skipped": True, "current": current})
        return None

    def _set_bid(self, intent: Intent) -> Sent:
        self.writer.call("adgroup.update", dict(intent.payload), idempotency_key=intent.idempotency_key)
        return Sent(intent.payload["adgroup_id"], self._seen.request_id)

    # ---- plumbing -------------------------------------------------------------------------
    def _remember_request_id(self, resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep TikTok's envelope ``request_id`` of the last write answer (the client returns only data)."""
        if resp.request is not None and resp.request.method == "POST":
            try:
                self._seen.request_id = (resp.json() or {}).get("request_id")
            except ValueError:
                self._seen.request_id = None


def _name_of(intent: Intent) -> str:
    return str(kinds.object_name(intent.action, intent.payload))


def classify(exc: TikTokError) -> Ambiguous | Deferred | Refused:
    """Map a write's error to what the outbox must do: reconcile, retry later, or give up."""
    detail = describe(exc)
    if isinstance(exc, CircuitOpen):  # failed fast: nothing was sent, try again once the circuit half-opens
        return Deferred(f"not sent: {exc}", {**detail, "retry_in": exc.retry_in})
    if isinstance(exc, (UnknownOutcome, Transient)) or exc.code == DUPLICATED_REQUEST:
        return Ambiguous(f"unclear outcome: {exc}", detail)
    if isinstance(exc, (RateLimited, AuthError)):
        return Deferred(f"not applied: {exc}", detail)
    return Refused(f"refused: {exc}", detail)
