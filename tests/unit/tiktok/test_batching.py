"""Batch limits: ≤100 ids per get (split + merge), ≤20 per status update, budgets in one call."""
from __future__ import annotations

from typing import Any

import pytest

from tiktok.api.batching import chunk_key, chunked, get_by_ids, unique_ids, update_budgets, update_status
from tiktok.api.errors import PartialSuccess

pytestmark = pytest.mark.unit


class Recorder:
    """A fake caller: answers gets from an id set, status updates by echoing the ids."""

    def __init__(self, existing: set[str] | None = None, partial: Any = None) -> None:
        self.existing = existing or set()
        self.partial = partial
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []

    def call(self, name: str, params: dict[str, Any] | None = None, *, idempotency_key: str | None = None) -> Any:
        params = params or {}
        self.calls.append((name, params, idempotency_key))
        if name.endswith(".get"):
            key = next(k for k in params["filtering"] if k.endswith("_ids"))
            assert len(params["filtering"][key]) <= 100
            rows = [{key[:-1]: i} for i in params["filtering"][key] if i in self.existing]
            return {"list": rows, "page_info": {"page": 1, "total_page": 1}}
        if name.endswith("status.update"):
            key = next(k for k in params if k.endswith("_ids"))
            assert len(params[key]) <= 20
            if self.partial is not None:
                raise PartialSuccess("Partial success.", code=20001, data=self.partial)
            return {key: params[key], "status": params["operation_status"]}
        return {}


def test_chunked_and_unique():
    assert chunked(list(range(5)), 2) == [[0, 1], [2, 3], [4]]
    assert chunked([], 3) == []
    assert unique_ids([3, "3", 1, 3]) == ["3", "1"]
    with pytest.raises(ValueError):
        chunked([1], 0)


def test_chunk_keys_are_stable_and_distinct():
    assert chunk_key("k", 0, 1) == "k" and chunk_key(None, 2, 3) is None
    assert [chunk_key("k", i, 3) for i in range(3)] == ["k-1of3", "k-2of3", "k-3of3"]


def test_get_of_250_ids_is_three_requests_merged_in_the_order_asked():
    ids = [str(1000 + i) for i in range(250)]
    fake = Recorder(existing=set(ids[::2]))
    rows = get_by_ids(fake, "ad", "adv", list(reversed(ids)) + ids[:10], fields=["ad_id"])
    assert len(fake.calls) == 3
    assert [len(c[1]["filtering"]["ad_ids"]) for c in fake.calls] == [100, 100, 50]
    assert all(c[1]["fields"] == ["ad_id"] and c[1]["page_size"] == 1000 for c in fake.calls)
    assert [r["ad_id"] for r in rows] == [i for i in reversed(ids) if i in fake.existing]


def test_get_keeps_other_filters_and_rejects_unknown_kinds():
    fake = Recorder(existing={"1"})
    get_by_ids(fake, "campaign", "adv", [1], filtering={"primary_status": "STATUS_ALL"})
    assert fake.calls[0][1]["filtering"] == {"primary_status": "STATUS_ALL", "campaign_ids": ["1"]}
    with pytest.raises(ValueError, match="unknown entity kind"):
        get_by_ids(fake, "creative", "adv", [1])


def test_status_update_of_45_ids_is_three_calls_with_derived_keys():
    fake = Recorder()
    result = update_status(fake, "adgroup", "adv", range(45), "DISABLE", idempotency_key="plan7")
    assert result.calls == 3 and len(result.ids) == 45 and result.errors == []
    assert [len(c[1]["adgroup_ids"]) for c in fake.calls] == [20, 20, 5]
    assert [c[2] for c in fake.calls] == ["plan7-1of3", "plan7-2of3", "plan7-3of3"]
    assert {c[0] for c in fake.calls} == {"adgroup.status.update"}


def test_partial_success_is_merged_not_raised():
    fake = Recorder(partial={"adgroup_ids": ["1"], "error_list": [{"adgroup_id": "2", "error_message": "x"}]})
    result = update_status(fake, "adgroup", "adv", ["1", "2"], "ENABLE", allow_partial_success=True)
    assert result.ids == ["1"] and result.errors[0]["adgroup_id"] == "2"
    assert fake.calls[0][1]["allow_partial_success"] is True


def test_partial_success_without_data_reports_the_chunk_unconfirmed():
    fake = Recorder(partial={})
    result = update_status(fake, "ad", "adv", ["1", "2"], "ENABLE")
    assert result.ids == [] and result.errors[0]["ids"] == ["1", "2"] and result.errors[0]["code"] == 20001


def test_budgets_for_40_adgroups_go_in_one_sorted_call():
    fake = Recorder()
    budgets = {str(900 - i): 20 + i * 1.005 for i in range(40)}
    assert update_budgets(fake, "adv", budgets, idempotency_key="k") == 1
    name, params, key = fake.calls[0]
    assert name == "adgroup.budget.update" and key == "k" and len(params["budget"]) == 40
    assert [e["adgroup_id"] for e in params["budget"]] == sorted(budgets)
    assert update_budgets(fake, "adv", {}) == 0 and len(fake.calls) == 1


def test_budgets_chunk_only_when_a_limit_is_set():
    fake = Recorder()
    assert update_budgets(fake, "adv", {str(i): 30.0 for i in range(5)}, max_per_call=2, idempotency_key="k") == 3
    assert [len(c[1]["budget"]) for c in fake.calls] == [2, 2, 1]
    assert [c[2] for c in fake.calls] == ["k-1of3", "k-2of3", "k-3of3"]
