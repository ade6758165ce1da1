"""TikTokHook: turns an Airflow Connection into a configured ``TikTokClient`` (and nothing else).

Connection fields: host = API base URL (emulator, sandbox or production), password = access token,
extra = ``{"advertiser_ids": [...], "app_id": "...", "secret": "..."}``. Secrets come only from the
Connection (or the secrets backend behind it) or from an injected secret store, never from hook
arguments: a value in the Connection wins, the store fills what the Connection leaves empty. A
token provider (e.g. the OAuth token store's refreshing provider) may be injected; it is an object
that fetches the token, not the token itself.

``client`` caches ``advertiser/info/`` for an hour (requirements 23.12) and nothing else: the same
client does writes and the look-ups that guard them, which must see current lists. Read-only code
(extraction, reporting) may ask for ``read_client`` (or build the hook with ``cache_lists=True``),
which also caches campaign/ad group/ad lists for 15 minutes. Both share one cache, so a write
through either drops the lists it changes. Report (metric) endpoints are never cached.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from tiktok.api.cache import DEFAULT_TTLS, INFO_TTLS, CachingClient, TTLCache
from tiktok.api.client import TikTokClient, TokenProvider, static_token
from tiktok.api.retry import RetryPolicy
from tiktok.api.wiring import reliability_kwargs

PRODUCTION_URL = "https://business-api.tiktok.com"
SANDBOX_URL = "https://sandbox-ads.tiktok.com"
# (conn_id, field) → value; fields: access_token, app_id, secret, advertiser_ids.
SecretLookup = Callable[[str, str], "str | None"]

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden_fields": ["schema", "port", "login"],
    "relabeling": {"host": "Base URL", "password": "Access token"},
    "placeholders": {
        "host": f"{PRODUCTION_URL} (sandbox: {SANDBOX_URL}; emulator: http://127.0.0.1:8765)",
        "password": "long-lived Marketing API access token (or leave empty to use the token store)",
        "extra": '{"advertiser_ids": ["7000000000000000000"], "app_id": "…", "secret": "…"}',
    },
}
# Airflow ≥ 3.2 reads connection fields declaratively (provider.yaml ``conn-fields``).
CONN_FIELDS: dict[str, dict[str, Any]] = {
    "app_id": {"label": "App ID", "schema": {"type": ["string", "null"]}},
    "secret": {"label": "App secret", "schema": {"type": ["string", "null"], "format": "password"}},
    "advertiser_ids": {"label": "Advertiser IDs (comma-separated)", "schema": {"type": ["string", "null"]}},
}


class TikTokHook(BaseHook):
    """Build the client for one TikTok connection (``tiktok_default`` unless told otherwise)."""

    conn_name_attr = "tiktok_conn_id"
    default_conn_name = "tiktok_default"
    conn_type = "tiktok"
    hook_name = "TikTok Marketing API"

    def __init__(self, conn_id: str = default_conn_name, retry_policy: RetryPolicy | None = None, *,
                 secret_store: SecretLookup | None = None, token_provider: TokenProvider | None = None,
                 cache_lists: bool = False) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.retry_policy = retry_policy
        self.secret_store = secret_store
        self.token_provider = token_provider
        self.cache_lists = cache_lists

    @cached_property
    def client(self) -> CachingClient:
        """The connection's client: advertiser info cached 1 h; entity lists too when ``cache_lists``."""
        return CachingClient(self._raw_client, ttls=DEFAULT_TTLS if self.cache_lists else INFO_TTLS,
                             cache=self._cache)

    @cached_property
    def read_client(self) -> CachingClient:
        """For read-only paths: advertiser info 1 h and entity lists 15 min (same HTTP client and cache)."""
        return CachingClient(self._raw_client, ttls=DEFAULT_TTLS, cache=self._cache)

    @cached_property
    def _raw_client(self) -> TikTokClient:
        return self._build_client(self.retry_policy)

    @cached_property
    def _cache(self) -> TTLCache:
        return TTLCache()

    def get_conn(self) -> CachingClient:
        return self.client

    @property
    def advertiser_ids(self) -> list[str]:
        return list(self.client.advertiser_ids)

    def _build_client(self, retry_policy: RetryPolicy | None) -> TikTokClient:
        return client_from_connection(self.get_connection(self.conn_id), retry_policy,
                                      secret_store=self.secret_store, conn_id=self.conn_id,
                                      token_provider=self.token_provider)

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated call (``advertiser/info/``), without retries so the UI answers fast."""
        try:
            client = self._build_client(RetryPolicy.no_retry())
            return check_client(client)
        except Exception as exc:  # noqa: BLE001  reported to the UI, not raised
            return False, f"{type(exc).__name__}: {exc}"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Hide the fields we do not use and say what host and password mean here."""
        return {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in UI_FIELD_BEHAVIOUR.items()}

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra form fields for Airflow < 3.2; wtforms is imported here so importing the hook stays cheap."""
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import PasswordField, StringField

        return {
            "app_id": StringField(lazy_gettext("App ID"), widget=BS3TextFieldWidget()),
            "secret": PasswordField(lazy_gettext("App secret"), widget=BS3PasswordFieldWidget()),
            "advertiser_ids": StringField(lazy_gettext("Advertiser IDs (comma-separated)"),
                                          widget=BS3TextFieldWidget()),
        }


def check_client(client: TikTokClient) -> tuple[bool, str]:
    """(ok, message) from ``advertiser/info/`` for the first advertiser the connection names."""
    ids = list(client.advertiser_ids)
    if not ids:
        return False, "the connection names no advertiser_ids (extra) to test advertiser/info/ with"
    data = client.call("advertiser.info", {"advertiser_ids": ids[:1]})
    rows = data.get("list") or []
    if not rows:
        return False, f"advertiser/info/ returned nothing for advertiser {ids[0]}"
    row = rows[0]
    return True, (f"ok: advertiser {row.get('advertiser_id', ids[0])} ({row.get('name', '?')}, "
                  f"{row.get('currency', '?')}); {len(ids)} advertiser(s) configured at {client.root}")


def client_from_connection(conn: Any, retry_policy: RetryPolicy | None = None, *,
                           secret_store: SecretLookup | None = None, conn_id: str | None = None,
                           token_provider: TokenProvider | None = None) -> TikTokClient:
    """Pure translation of a Connection-like object (host, port, schema, password, extra)."""
    extra = _extra(conn)
    lookup = _lookup(secret_store, conn_id or getattr(conn, "conn_id", None) or TikTokHook.default_conn_name)
    ids = extra.get("advertiser_ids") or lookup("advertiser_ids") or []
    if isinstance(ids, str):
        ids = [part.strip() for part in ids.split(",") if part.strip()]
    token = conn.password or lookup("access_token") or ""
    app_id = extra.get("app_id") or lookup("app_id")
    secret = extra.get("secret") or lookup("secret")
    # Limiter, breakers and the redacted API log: shared through Redis when REDIS_URL is set.
    reliability = reliability_kwargs(str(app_id or "default"), rate_limit=extra.get("rate_limit"),
                                     secrets=[token, secret or ""])
    return TikTokClient(_base_url(conn), token_provider=token_provider or static_token(token),
                        retry_policy=retry_policy, advertiser_ids=[str(i) for i in ids],
                        app_id=app_id, secret=secret, **reliability)


def _base_url(conn: Any) -> str:
    host = (conn.host or PRODUCTION_URL).rstrip("/")
    if "://" not in host:
        host = f"{conn.schema or 'https'}://{host}"
    if conn.port:
        host = f"{host}:{conn.port}"
    return host


def _lookup(store: SecretLookup | None, conn_id: str) -> Callable[[str], Any]:
    if store is None:
        return lambda field: None
    return lambda field: store(conn_id, field)


def _extra(conn: Any) -> dict[str, Any]:
    extra = getattr(conn, "extra_dejson", None)
    if extra is None:
        raw = getattr(conn, "extra", None) or "{}"
        extra = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return {_strip_prefix(k): v for k, v in dict(extra).items()}


def _strip_prefix(key: str) -> str:
    """Form fields arrive as ``extra__tiktok__app_id`` from older UIs; accept both spellings."""
    prefix = f"extra__{TikTokHook.conn_type}__"
    return key[len(prefix):] if key.startswith(prefix) else key
