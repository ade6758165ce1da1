"""Events API 2.0 (event/track/): batch limits, whole-batch rejection, hashed identifiers, dedupe."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from tests.conftest import Api
from tests.integration.emulator.webhook_support import api_for, tiny_server

pytestmark = pytest.mark.integration
EMAIL = hashlib.sha256(b"jane@example.com").hexdigest()
PHONE = hashlib.sha256(b"+14155550100").hexdigest()


@pytest.fixture
def api() -> Iterator[Api]:
    with tiny_server() as server:
        yield api_for(server)


def _now(api: Api) -> int:
    return int(api.server.emulator.clock.now().timestamp())


def _event(api: Api, i: int = 0, **extra) -> dict:
    event = {"event": "Purchase", "event_time": _now(api) - 60, "event_id": f"order-{i}",
             "user": {"email": [EMAIL], "phone": [PHONE], "external_id": [EMAIL]},
             "properties": {"currency": "USD", "value": 42.5}}
    event.update(extra)
    return event


def _track(api: Api, data: list, source_id: str = "PIXEL1") -> dict:
    return api.post("event/track/", {"event_source": "web", "event_source_id": source_id, "data": data})


def _received(api: Api) -> list[dict]:
    return api.admin("GET", "events")["data"]["events"]


def test_valid_batch_is_stored_with_its_source(api: Api) -> None:
    body = _track(api, [_event(api, i) for i in range(3)])
    assert body["code"] == 0 and body["data"] == {}
    events = _received(api)
    assert len(events) == 3 and {e["event_source_id"] for e in events} == {"PIXEL1"}


def test_more_than_1000_events_is_rejected(api: Api) -> None:
    body = _track(api, [_event(api, i) for i in range(1001)])
    assert body["code"] == 40002 and body["message"].startswith("data:")
    assert _received(api) == []


def test_one_bad_event_rejects_the_whole_batch_naming_it(api: Api) -> None:
    batch = [_event(api, i) for i in range(5)]
    batch[3]["user"]["email"] = ["jane@example.com"]
    body = _track(api, batch)
    assert body["code"] == 40002 and body["message"] == "data[3].user.email: must be SHA-256 hex"
    assert _received(api) == []


@pytest.mark.parametrize(("change", "field"), [
    ({"user": {"phone": ["+14155550100"]}}, "data[0].user.phone"),
    ({"user": {"external_id": "customer-7"}}, "data[0].user.external_id"),
    ({"properties": {"currency": "usd"}}, "data[0].properties.currency"),
    ({"properties": {"currency": "USD", "value": -1}}, "data[0].properties.value"),
    ({"event_time": 10**10}, "data[0].event_time"),
    ({"event_time": 1_600_000_000}, "data[0].event_time"),
    ({"event": ""}, "data[0].event"),
])
def test_invalid_fields_are_named(api: Api, change: dict, field: str) -> None:
    body = _track(api, [_event(api, **change)])
    assert body["code"] == 40002 and body["message"].startswith(field + ":")


def test_event_source_is_checked(api: Api) -> None:
    body = api.post("event/track/", {"event_source": "email", "event_source_id": "X", "data": [_event(api)]})
    assert body["code"] == 40002 and "event_source" in body["message"]


def test_duplicates_on_source_event_and_event_id_are_dropped(api: Api) -> None:
    assert _track(api, [_event(api, 1), _event(api, 1)])["code"] == 0
    assert _track(api, [_event(api, 1), _event(api, 1, event="AddToCart")])["code"] == 0
    assert _track(api, [_event(api, 1)], source_id="PIXEL2")["code"] == 0
    keys = [(e["event_source_id"], e["event"], e["event_id"]) for e in _received(api)]
    assert keys == [("PIXEL1", "Purchase", "order-1"), ("PIXEL1", "AddToCart", "order-1"),
                    ("PIXEL2", "Purchase", "order-1")]
