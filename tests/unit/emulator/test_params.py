"""Lenient parameter parsing: TikTok's JSON-in-query encoding and clear 40002s."""
from __future__ import annotations

import pytest

from tiktok_emulator import errors, params

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("raw", ['["a", "b"]', '["a","b"]', ["a", "b"], ' [ "a" , "b" ] '])
def test_lists_with_and_without_spaces_or_real_arrays(raw) -> None:
    assert params.as_list(raw, "ids") == ["a", "b"]


def test_scalar_becomes_single_item_list() -> None:
    assert params.as_list("P1", "pixel_ids") == ["P1"]


def test_non_json_value_is_returned_as_is() -> None:
    raw = '{"start_date":2026-12-28,"end_date":2026-11-29}'  # Airbyte's malformed date_range
    assert params.json_value(raw) == raw


def test_bad_object_names_field() -> None:
    with pytest.raises(errors.ApiError) as exc:
        params.as_dict("[1]", "filtering")
    assert exc.value.code == errors.PARAM_ERROR and "filtering" in exc.value.message


@pytest.mark.parametrize("raw,expected", [("true", True), ("false", False), ("1", True), (None, False)])
def test_bools(raw, expected) -> None:
    assert params.as_bool(raw, "query_lifetime") is expected


def test_page_size_over_limit_names_field() -> None:
    with pytest.raises(errors.ApiError, match="page_size: must be between 1 and 1000"):
        params.paginate(list(range(5)), {"page_size": "1001"})


def test_paginate_exact_and_complete_page_info() -> None:
    items = list(range(40))
    page, info = params.paginate(items, {"page": "6", "page_size": "7"})
    assert page == [35, 36, 37, 38, 39]
    assert info == {"page": 6, "page_size": 7, "total_number": 40, "total_page": 6}


def test_page_beyond_end_is_empty_not_error() -> None:
    page, info = params.paginate(list(range(3)), {"page": "3", "page_size": "2"})
    assert page == [] and info["total_page"] == 2


def test_integer_garbage_names_field() -> None:
    with pytest.raises(errors.ApiError, match="page: must be an integer"):
        params.as_int("two", "page", default=1)
