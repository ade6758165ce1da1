"""The TikTok client and budget writer against the real in-process emulator."""
from __future__ import annotations

import pytest
import requests

from tiktok.api import AuthError, InvalidRequest, RetryPolicy, TikTokClient, static_token
from tiktok.budgets import apply_budgets, read_budgets
from tiktok.extract import fetch_advertiser, iter_ad_report_rows, iter_entities

pytestmark = pytest.mark.integration


def make_client(server, token: str | None = None) -> tuple[TikTokClient, str]:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    client = TikTokClient(server.base_url, token_provider=static_token(token or creds["access_token"]),
                          retry_policy=RetryPolicy(max_attempts=3, sleep=lambda s: None))
    return client, creds["advertiser_ids"][0]


def test_advertiser_info_carries_currency_and_timezone(shared_server):
    client, adv = make_client(shared_server)
    info = fetch_advertiser(client, adv)
    assert info["advertiser_id"] == adv and info["currency"] and info["timezone"]


def test_pagination_reads_every_adgroup_once_with_small_pages(shared_server):
    client, adv = make_client(shared_server)
    ids = [row["adgroup_id"] for row in client.paginate("adgroup.get", {"advertiser_id": adv}, page_size=7)]
    assert len(ids) == len(set(ids)) == 40
    assert all(isinstance(i, str) for i in ids)
    assert len(list(iter_entities(client, adv, "ad"))) == 160


def test_report_rows_are_flat_with_string_ids(shared_server):
    from datetime import date

    client, adv = make_client(shared_server)
    advertiser = fetch_advertiser(client, adv)
    rows = list(iter_ad_report_rows(client, advertiser, date(2026, 10, 30), date(2026, 10, 31)))
    assert rows and {r["stat_time_day"][:10] for r in rows} <= {"2026-10-30", "2026-10-31"}
    assert all(isinstance(r["ad_id"], str) and r["currency"] == advertiser["currency"] for r in rows)
    assert all(r["spend"] is None or isinstance(r["spend"], float) for r in rows)


def test_bad_token_is_an_auth_error_and_bad_params_an_invalid_request(shared_server):
    client, adv = make_client(shared_server, token="not-a-token")
    with pytest.raises(AuthError) as info:
        client.call("advertiser.info", {"advertiser_ids": [adv]})
    assert info.value.code == 40105
    good, adv = make_client(shared_server)
    with pytest.raises(InvalidRequest) as info:
        good.call("adgroup.budget.update", {"advertiser_id": adv, "budget": [{"adgroup_id": "x", "budget": 1}]})
    assert info.value.code in (40002, 40007)


def test_budget_write_round_trip_and_second_apply_is_a_noop(fresh_server):
    client, adv = make_client(fresh_server)
    ids = sorted(read_budgets(client, adv, [r["adgroup_id"] for r in iter_entities(client, adv, "adgroup")]))[:2]
    targets = {ids[0]: 240.0, ids[1]: 160.0}
    first = apply_budgets(client, adv, "it-plan", targets)
    assert first.applied == targets and first.idempotency_key
    assert read_budgets(client, adv, ids) == targets
    again = apply_budgets(client, adv, "it-plan", targets)
    assert again.applied == {} and again.skipped == targets
