from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tiktok.hooks.tiktok import TikTokHook, client_from_connection

pytestmark = pytest.mark.unit


def conn(**kw):
    base = {"host": "http://127.0.0.1:8765", "port": None, "schema": None, "password": "tok",
            "extra_dejson": {"advertiser_ids": ["7001", 7002], "app_id": "app", "secret": "s"}}
    base.update(kw)
    return SimpleNamespace(**base)


def test_connection_becomes_a_configured_client():
    client = client_from_connection(conn())
    assert client.root == "http://127.0.0.1:8765/open_api/"
    assert client.token_provider() == "tok"
    assert client.advertiser_ids == ["7001", "7002"]
    assert (client.app_id, client.secret) == ("app", "s")


def test_host_without_scheme_uses_schema_and_port():
    client = client_from_connection(conn(host="emu.local", schema="http", port=9000, extra_dejson={}))
    assert client.root == "http://emu.local:9000/open_api/"


def test_missing_host_means_production_and_csv_ids_are_split():
    client = client_from_connection(conn(host=None, extra_dejson={"advertiser_ids": "1, 2"}))
    assert client.root == "https://business-api.tiktok.com/open_api/" and client.advertiser_ids == ["1", "2"]


def test_hook_reads_the_airflow_connection_from_env(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_TEST", json.dumps({
        "conn_type": "tiktok", "host": "http://127.0.0.1:1/open_api/v1.3/", "password": "secret-token",
        "extra": {"advertiser_ids": ["9"]}}))
    hook = TikTokHook("tiktok_test")
    assert hook.advertiser_ids == ["9"] and hook.client.token_provider() == "secret-token"


def test_secret_store_fills_what_the_connection_leaves_empty():
    asked = []

    def store(conn_id, field):
        asked.append((conn_id, field))
        return {"access_token": "from-store", "secret": "s2", "advertiser_ids": "5,6"}.get(field)

    client = client_from_connection(conn(password=None, extra_dejson={"app_id": "app"}), secret_store=store,
                                    conn_id="tiktok_x")
    assert client.token_provider() == "from-store" and client.secret == "s2" and client.app_id == "app"
    assert client.advertiser_ids == ["5", "6"] and {c for c, _ in asked} == {"tiktok_x"}


def test_connection_values_win_over_the_store_and_prefixed_extras_are_read():
    client = client_from_connection(conn(extra_dejson={"extra__tiktok__app_id": "a1", "advertiser_ids": ["1"]}),
                                    secret_store=lambda c, f: "store")
    assert client.token_provider() == "tok" and client.app_id == "a1" and client.secret == "store"


def test_an_injected_token_provider_wins():
    client = client_from_connection(conn(), token_provider=lambda: "fresh")
    assert client.token_provider() == "fresh"


def test_ui_field_behaviour_hides_unused_fields_and_relabels():
    from tiktok.hooks.tiktok import CONN_FIELDS

    behaviour = TikTokHook.get_ui_field_behaviour()
    assert set(behaviour["hidden_fields"]) == {"schema", "port", "login"}
    assert behaviour["relabeling"] == {"host": "Base URL", "password": "Access token"}
    assert CONN_FIELDS["secret"]["schema"]["format"] == "password"
    assert (TikTokHook.conn_type, TikTokHook.default_conn_name) == ("tiktok", "tiktok_default")


def test_test_connection_needs_advertiser_ids_and_never_raises(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_EMPTY", json.dumps({"conn_type": "tiktok", "host": "http://127.0.0.1:1"}))
    ok, message = TikTokHook("tiktok_empty").test_connection()
    assert not ok and "advertiser_ids" in message
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_DOWN", json.dumps({
        "conn_type": "tiktok", "host": "http://127.0.0.1:1", "password": "t", "extra": {"advertiser_ids": ["1"]}}))
    ok, message = TikTokHook("tiktok_down").test_connection()
    assert not ok and "Transient" in message


def test_hook_client_caches_advertiser_info_only_and_read_client_lists_too(monkeypatch):
    from tiktok.api.cache import HOUR, QUARTER_HOUR, CachingClient

    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_CACHE", json.dumps({
        "conn_type": "tiktok", "host": "http://127.0.0.1:1", "password": "t", "extra": {"advertiser_ids": ["9"]}}))
    hook = TikTokHook("tiktok_cache")
    assert isinstance(hook.client, CachingClient) and hook.get_conn() is hook.client
    assert hook.client.ttls == {"advertiser.info": HOUR}
    assert hook.read_client.ttls["campaign.get"] == QUARTER_HOUR and hook.read_client.ttls["advertiser.info"] == HOUR
    assert hook.read_client.client is hook.client.client and hook.read_client.cache is hook.client.cache
    assert TikTokHook("tiktok_cache", cache_lists=True).client.ttls == hook.read_client.ttls
    assert not any(name.startswith("report.") for name in hook.read_client.ttls)
