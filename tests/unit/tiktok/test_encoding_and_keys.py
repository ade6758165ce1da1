from __future__ import annotations

import pytest

from tiktok.api.encoding import encode_get_params, none_if_dash, to_float, to_int
from tiktok.api.endpoints import ENDPOINTS, endpoint
from tiktok.api.idempotency import canonical_json, derive_key

pytestmark = pytest.mark.unit


def test_dash_means_no_data_not_zero():
    assert none_if_dash("-") is None and none_if_dash(" - ") is None
    assert none_if_dash("0") == "0" and none_if_dash(0) == 0
    assert to_float("-") is None and to_float("31.56") == 31.56 and to_float(2) == 2.0
    assert to_int("-") is None and to_int("6897") == 6897 and to_int("12.0") == 12


def test_get_encoding_json_for_collections_plain_for_scalars():
    out = encode_get_params({"a": ["1", "2"], "b": {"k": 1}, "c": 5, "d": True, "e": None, "f": ("x",)})
    assert out == {"a": '["1", "2"]', "b": '{"k": 1}', "c": "5", "d": "true", "f": '["x"]'}


def test_endpoint_table_uses_v13_except_the_named_v12_writes():
    v12 = {name for name, ep in ENDPOINTS.items() if ep.version == "v1.2"}
    assert v12 == {"campaign.create", "campaign.update", "campaign.delete", "adgroup.create", "ad.create",
                   "file.video.upload", "file.image.upload"}
    assert all(ep.path.endswith("/") for ep in ENDPOINTS.values())
    assert endpoint("adgroup.budget.update").url_path == "v1.3/adgroup/budget/update/"
    with pytest.raises(KeyError, match="nope"):
        endpoint("nope")


def test_idempotency_key_is_stable_across_order_and_number_spelling():
    a = derive_key("plan-1", "adv", "adgroup.budget.update", {"budget": [{"adgroup_id": "1", "budget": 200}]})
    b = derive_key("plan-1", "adv", "adgroup.budget.update", {"budget": [{"budget": 200.0, "adgroup_id": "1"}]})
    assert a == b and len(a) == 32


@pytest.mark.parametrize("change", [("plan-2", "adv", "x"), ("plan-1", "other", "x"), ("plan-1", "adv", "y")])
def test_idempotency_key_changes_with_the_intent(change):
    base = derive_key("plan-1", "adv", "x", {"v": 1})
    assert derive_key(*change, {"v": 1}) != base
    assert derive_key("plan-1", "adv", "x", {"v": 2}) != base


def test_canonical_json_sorts_and_strips_whitespace():
    assert canonical_json({"b": 1.50, "a": [True, None]}) == '{"a":[true,null],"b":"1.5"}'
