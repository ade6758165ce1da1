"""Recording intents: one transaction, the same operation twice is a no-op, another payload is refused."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from adops.outbox import PENDING, IntentConflict, InvalidIntent, OutboxStore
from tiktok.outbox import budget_intent, create_intent, tagged

pytestmark = pytest.mark.unit
BODY = {"campaign_name": "Spring sale", "objective_type": "TRAFFIC", "budget_mode": "BUDGET_MODE_INFINITE"}


def _rows(store: OutboxStore) -> tuple[int, int]:
    with store.engine.connect() as conn:
        return (conn.execute(text("SELECT count(*) FROM outbox_intents")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM outbox_events")).scalar_one())


def test_an_intent_is_recorded_pending_with_ref_key_and_fingerprint(sqlite_store: OutboxStore) -> None:
    spec = create_intent("acme", "42", "plan-1", "c1", "campaign.create", BODY)
    intent = sqlite_store.record(spec)
    assert intent.state == PENDING and intent.external_ref == spec.external_ref and len(intent.external_ref) == 16
    assert intent.idempotency_key == spec.idempotency_key and intent.fingerprint == spec.fingerprint
    assert _rows(sqlite_store) == (1, 1)


def test_recording_the_same_intent_again_returns_the_first_and_writes_nothing(sqlite_store: OutboxStore) -> None:
    first = sqlite_store.record(create_intent("acme", "42", "plan-1", "c1", "campaign.create", BODY))
    again = sqlite_store.record(create_intent("acme", "42", "plan-1", "c1", "campaign.create", dict(BODY)))
    assert again.id == first.id and _rows(sqlite_store) == (1, 1)


def test_the_same_operation_with_another_payload_is_refused_and_nothing_is_written(sqlite_store) -> None:
    sqlite_store.record(create_intent("acme", "42", "plan-1", "c1", "campaign.create", BODY))
    other = {**BODY, "campaign_name": "Summer sale"}
    with pytest.raises(IntentConflict):
        sqlite_store.record(create_intent("acme", "42", "plan-1", "c1", "campaign.create", other))
    assert _rows(sqlite_store) == (1, 1)


def test_numbers_are_canonical_so_200_and_200_0_are_the_same_intent(sqlite_store: OutboxStore) -> None:
    a = sqlite_store.record(budget_intent("acme", "42", "plan-1", "777", 200))
    b = sqlite_store.record(budget_intent("acme", "42", "plan-1", "777", 200.0))
    assert a.id == b.id


@pytest.mark.parametrize("action,body", [
    ("campaign.create", {"objective_type": "TRAFFIC"}),                    # no name
    ("adgroup.create", {"adgroup_name": "g"}),                             # no parent campaign
    ("ad.create", {"adgroup_id": "1", "creatives": [{"ad_name": "a"}, {"ad_name": "b"}]}),  # two ads
    ("campaign.delete", {"campaign_name": "x"}),                           # not an outbox create
])
def test_bad_intents_are_refused_before_anything_is_recorded(sqlite_store, action: str, body: dict) -> None:
    with pytest.raises(InvalidIntent):
        sqlite_store.record(create_intent("acme", "42", "plan-1", "x", action, body))
    assert _rows(sqlite_store) == (0, 0)


def test_a_tagged_name_stays_within_512_characters() -> None:
    name = tagged("n" * 600, "0123456789abcdef")
    assert len(name) == 512 and name.endswith(" ~x:0123456789abcdef")
