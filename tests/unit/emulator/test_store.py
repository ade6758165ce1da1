"""Wire form of entities: string IDs in v1.3, integer IDs in v1.2, TikTok's time format."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tiktok_emulator.store import Store, serialize

pytestmark = pytest.mark.unit


def _campaign() -> dict:
    when = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    return {"campaign_id": "1700000000000000001", "advertiser_id": "7000000000000000001", "index": 3,
            "campaign_name": "x", "create_time": when, "image_ids": ["ad-site/abc", "123"]}


def test_v13_ids_are_strings_and_times_formatted() -> None:
    out = serialize(_campaign())
    assert out["campaign_id"] == "1700000000000000001" and out["create_time"] == "2026-11-01 09:30:00"
    assert "index" not in out  # the market column never leaves the emulator


def test_v12_ids_are_integers_where_numeric() -> None:
    out = serialize(_campaign(), string_ids=False)
    assert out["campaign_id"] == 1700000000000000001 and out["image_ids"] == ["ad-site/abc", 123]


def test_fields_selection() -> None:
    assert set(serialize(_campaign(), ["campaign_id", "campaign_name"])) == {"campaign_id", "campaign_name"}


def test_new_ids_are_unique_19_digit_strings() -> None:
    store = Store()
    ids = {store.new_id() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 19 and i.isdigit() for i in ids)
