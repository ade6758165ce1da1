"""TikTokHook: turns an Airflow Connection into a configured ``TikTokClient`` (and nothing else).

Connection fields: host = API base URL (emulator, sandbox or production), password = access token,
extra = ``{"advertiser_ids": [...], "app_id": "...", "secret": "..."}``. Secrets come only from the
Connection (or the secrets backend behind it), never from hook arguments.
"""
from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from tiktok.api.client import TikTokClient, static_token
from tiktok.api.retry import RetryPolicy

PRODUCTION_URL = "https://business-api.tiktok.com"


class TikTokHook(BaseHook):
    conn_name_attr = "tiktok_conn_id"
    default_conn_name = "tiktok_default"
    conn_type = "tiktok"
    hook_name = "TikTok Marketing API"

    def __init__(self, conn_id: str = default_conn_name, retry_policy: RetryPolicy | None = None) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.retry_policy = retry_policy

    @cached_property
    def client(self) -> TikTokClient:
        return client_from_connection(self.get_connection(self.conn_id), self.retry_policy)

    def get_conn(self) -> TikTokClient:
        return self.client

    @property
    def advertiser_ids(self) -> list[str]:
        return list(self.client.advertiser_ids)

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated call."""
        try:
            ids = self.advertiser_ids
            if ids:
                self.client.call("advertiser.info", {"advertiser_ids": ids[:1]})
            return True, f"ok ({len(ids)} advertisers)"
        except Exception as exc:  # noqa: BLE001  reported to the UI, not raised
            return False, str(exc)


def client_from_connection(conn: Any, retry_policy: RetryPolicy | None = None) -> TikTokClient:
    """Pure translation of a Connection-like object (host, port, schema, password, extra)."""
    extra = _extra(conn)
    host = (conn.host or PRODUCTION_URL).rstrip("/")
    if "://" not in host:
        host = f"{conn.schema or 'https'}://{host}"
    if conn.port:
        host = f"{host}:{conn.port}"
    ids = extra.get("advertiser_ids") or []
    if isinstance(ids, str):
        ids = [part.strip() for part in ids.split(",") if part.strip()]
    return TikTokClient(host, token_provider=static_token(conn.password or ""), retry_policy=retry_policy,
                        advertiser_ids=[str(i) for i in ids], app_id=extra.get("app_id"),
                        secret=extra.get("secret"))


def _extra(conn: Any) -> dict[str, Any]:
    extra = getattr(conn, "extra_dejson", None)
    if extra is None:
        raw = getattr(conn, "extra", None) or "{}"
        extra = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return dict(extra)
