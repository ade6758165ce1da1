"""Whose orders the sales feed is read for: the ids passed in (the DAG's TikTok connection), else the env var."""
from __future__ import annotations

import pytest

from adops.sales import feed_advertisers
from adops.settings import load

pytestmark = pytest.mark.unit
FEED = {"ADOPS_SALES_FEED_URL": "http://127.0.0.1:1/__emulator/sales"}


def test_ids_passed_in_win_over_the_env_var():
    settings = load({**FEED, "TIKTOK_ADVERTISER_IDS": "9,8"})
    assert feed_advertisers(settings, ["1", 2]) == ("1", "2")


@pytest.mark.parametrize("given", [None, []], ids=["none", "connection-without-ids"])
def test_the_env_var_is_the_fallback(given):
    assert feed_advertisers(load({**FEED, "TIKTOK_ADVERTISER_IDS": " 9, 8 "}), given) == ("9", "8")


def test_a_feed_without_any_known_advertiser_names_what_to_set():
    with pytest.raises(ValueError) as caught:
        feed_advertisers(load(FEED), None)
    message = str(caught.value)
    assert "ADOPS_SALES_FEED_URL" in message and "TIKTOK_ADVERTISER_IDS" in message
    assert "advertiser_ids" in message and "tiktok_default" in message


def test_a_drop_folder_alone_needs_no_advertisers():
    assert feed_advertisers(load({"ADOPS_SALES_DROP_DIR": "/tmp/drop"}), None) == ()
