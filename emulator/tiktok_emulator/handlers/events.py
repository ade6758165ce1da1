"""Events API 2.0: ``POST event/track/`` (tiktok-api.md §2.8), plus an admin view of what arrived.

TikTok rejects a whole batch when one event is bad, so the client has to validate every row; the
emulator does the same and names the row and field (``data[3].user.email: must be SHA-256 hex``).
Personal data must arrive hashed; a plain email or phone is refused, which is how tests prove the
platform never sends raw PII. Times are checked against the simulated clock, since that is the
"now" the rest of the emulated account lives in.
"""
from __future__ import annotations

import re
import weakref
from typing import Any

from .. import errors
from ..routing import Ctx, raw_route, route
from ..store import Store

EVENT_SOURCES = frozenset({"web", "app", "offline", "crm"})
MAX_EVENTS = 1000
MAX_FUTURE_S = 5 * 60
MAX_AGE_S = 7 * 24 * 3600
HASHED_FIELDS = ("email", "phone", "external_id")
SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
# (event_source_id, event, event_id) already received, per store
_SEEN: weakref.WeakKeyDictionary[Store, set[tuple[str, str, str]]] = weakref.WeakKeyDictionary()


@route("POST", "event/track/")
def track(ctx: Ctx) -> dict[str, Any]:
    source = ctx.get("event_source")
    if source in (None, ""):
        raise errors.missing("event_source")
    if source not in EVENT_SOURCES:
        raise errors.param_error("event_source", f"must be one of web, app, offline, crm, got {source!r}")
    source_id = ctx.get("event_source_id")
    if source_id in (None, ""):
        raise errors.missing("event_source_id")
    events = _batch(ctx.get("data"))
    now = int(ctx.emulator.clock.now().timestamp())
    for i, event in enumerate(events):
        _check_event(event, f"data[{i}]", now)
    _store(ctx, str(source), str(source_id), events)
    return {}


def _batch(data: Any) -> list[dict[str, Any]]:
    if data is None:
        raise errors.missing("data")
    if not isinstance(data, list) or not data:
        raise errors.param_error("data", "must be a non-empty array of events")
    if len(data) > MAX_EVENTS:
        raise errors.param_error("data", f"at most {MAX_EVENTS} events per request, got {len(data)}")
    return data


def _check_event(event: Any, where: str, now: int) -> None:
    if not isinstance(event, dict):
        raise errors.param_error(where, "must be an event object")
    if not isinstance(event.get("event"), str) or not event["event"].strip():
        raise errors.param_error(f"{where}.event", "required, the event name")
    stamp = event.get("event_time")
    if isinstance(stamp, bool) or not isinstance(stamp, int):
        raise errors.param_error(f"{where}.event_time", f"must be unix seconds (an integer), got {stamp!r}")
    if stamp > now + MAX_FUTURE_S:
        raise errors.param_error(f"{where}.event_time", f"is in the future ({stamp} > now {now})")
    if stamp < now - MAX_AGE_S:
        raise errors.param_error(f"{where}.event_time", f"is more than 7 days old ({stamp} < {now - MAX_AGE_S})")
    if "event_id" in event and not isinstance(event["event_id"], (str, int)):
        raise errors.param_error(f"{where}.event_id", "must be a string")
    _check_user(event.get("user"), f"{where}.user")
    _check_properties(event.get("properties"), f"{where}.properties")


def _check_user(user: Any, where: str) -> None:
    if user is None:
        return
    if not isinstance(user, dict):
        raise errors.param_error(where, "must be an object")
    for name in HASHED_FIELDS:
        if name not in user or user[name] in (None, "", []):
            continue
        values = user[name] if isinstance(user[name], list) else [user[name]]
        if not all(isinstance(v, str) and SHA256_HEX.match(v) for v in values):
            raise errors.param_error(f"{where}.{name}", "must be SHA-256 hex")


def _check_properties(props: Any, where: str) -> None:
    if props is None:
        return
    if not isinstance(props, dict):
        raise errors.param_error(where, "must be an object")
    currency = props.get("currency")
    if currency is not None and not (isinstance(currency, str) and CURRENCY.match(currency)):
        raise errors.param_error(f"{where}.currency", f"must be an ISO 4217 code such as USD, got {currency!r}")
    value = props.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
        raise errors.param_error(f"{where}.value", f"must be a number >= 0, got {value!r}")


def _store(ctx: Ctx, source: str, source_id: str, events: list[dict[str, Any]]) -> None:
    """Keep the batch, skipping events whose (source id, event, event_id) was already received."""
    store = ctx.emulator.store
    received = ctx.emulator.clock.now()
    with store.lock:
        seen = _SEEN.setdefault(store, set())
        for event in events:
            if event.get("event_id") not in (None, ""):
                key = (source_id, event["event"], str(event["event_id"]))
                if key in seen:
                    continue
                seen.add(key)
            store.events.append({**event, "event_source": source, "event_source_id": source_id,
                                 "test_event_code": ctx.get("test_event_code"), "received_time": received})


@raw_route("GET", "/__emulator/events")
def received_events(ctx: Ctx) -> dict[str, Any]:
    """What the Events API has accepted, optionally for one ``event_source_id`` (for tests)."""
    wanted = ctx.params.get("event_source_id")
    with ctx.emulator.store.lock:
        rows = [e for e in ctx.emulator.store.events if not wanted or e["event_source_id"] == wanted]
    out = [{**e, "received_time": int(e["received_time"].timestamp())} for e in rows]
    return {"events": out, "total": len(out)}
