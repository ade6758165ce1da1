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
