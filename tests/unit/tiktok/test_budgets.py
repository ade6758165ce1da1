from __future__ import annotations

from typing import Any

import pytest

from tiktok.api import UnknownOutcome
from tiktok.budgets import apply_budgets, budget_payload

pytestmark = pytest.mark.unit


class FakeClient:
    """Holds budgets; ``adgroup.budget.update`` can be told to apply and then lose the answer."""

    def __init__(self, budgets: dict[str, float], drop_after_apply: bool = False) -> None:
        self.budgets = dict(budgets)
        self.writes: list[tuple[dict, str | None]] = []
        self.drop_after_apply = drop_after_apply

    def paginate(self, name: str, params: dict[str, Any]):
        assert name == "adgroup.get"
        for gid in params["filtering"]["adgroup_ids"]:
            if gid in self.budgets:
                yield {"adgroup_id": gid, "budget": self.budgets[gid]}

    def call(self, name: str, params: dict[str, Any], idempotency_key: str | None = None):
        if name == "adgroup.get":  # reads go through tiktok.api.batching (100 ids per page)
            return {"list": list(self.paginate(name, params)), "page_info": {"total_page": 1}}
        assert name == "adgroup.budget.update"
        self.writes.append((params, idempotency_key))
        for item in params["budget"]:
            self.budgets[item["adgroup_id"]] = item["budget"]
        if self.drop_after_apply:
            raise UnknownOutcome("connection dropped")
        return {}


def test_one_batched_absolute_write_skipping_groups_already_at_target():
    c = FakeClient({"a": 200.0, "b": 200.0, "c": 160.0})
    result = apply_budgets(c, "adv", "plan-1", {"a": 240.0, "b": 160.0, "c": 160.0})
    assert len(c.writes) == 1
    body, key = c.writes[0]
    assert body == {"advertiser_id": "adv", "budget": [{"adgroup_id": "a", "budget": 240.0},
                                                        {"adgroup_id": "b", "budget": 160.0}]}
    assert key == result.idempotency_key and key
    assert result.applied == {"a": 240.0, "b": 160.0} and result.skipped == {"c": 160.0}


def test_second_apply_of_the_same_plan_sends_nothing():
    c = FakeClient({"a": 200.0})
    apply_budgets(c, "adv", "plan-1", {"a": 240.0})
    again = apply_budgets(c, "adv", "plan-1", {"a": 240.0})
    assert len(c.writes) == 1 and again.applied == {} and again.skipped == {"a": 240.0}


def test_same_intent_same_key():
    k1 = apply_budgets(FakeClient({"a": 1.0}), "adv", "p", {"a": 240.0}).idempotency_key
    k2 = apply_budgets(FakeClient({"a": 2.0}), "adv", "p", {"a": 240.0}).idempotency_key
    assert k1 == k2


def test_unknown_outcome_is_reconciled_by_reading_back():
    c = FakeClient({"a": 200.0}, drop_after_apply=True)
    result = apply_budgets(c, "adv", "p", {"a": 240.0})
    assert result.reconciled and result.applied == {"a": 240.0} and len(c.writes) == 1


def test_payload_is_sorted_and_rounded():
    assert budget_payload("adv", {"b": 20.004, "a": 30.0})["budget"] == [
        {"adgroup_id": "a", "budget": 30.0}, {"adgroup_id": "b", "budget": 20.0}]
