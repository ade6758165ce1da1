"""The TikTok Marketing API client: the outside world (session, token, retries, clock) is injected.

Emulator, sandbox and production differ only by ``base_url`` and credentials. The client decodes
TikTok's ``{code, message, request_id, data}`` envelope (errors arrive as HTTP 200), raises typed
errors, JSON-encodes GET arrays/objects and sends an ``Idempotency-Key`` derived before retrying.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from tiktok.api.encoding import encode_get_params
from tiktok.api.endpoints import Endpoint, endpoint
from tiktok.api.errors import InvalidRequest, TikTokError, Transient, UnknownOutcome, error_for_code, error_for_http
from tiktok.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from tiktok.api.retry import RetryPolicy

log = logging.getLogger(__name__)
TokenProvider = Callable[[], str]
MAX_PAGE_SIZE = 1000


def static_token(token: str) -> TokenProvider:
    """A token provider for long-lived Marketing API tokens (later: a refreshing token store)."""
    return lambda: token


def api_root(base_url: str) -> str:
    """``http://h:p``, ``…/open_api`` or ``…/open_api/v1.3/`` → ``…/open_api/`` (versions come from endpoints)."""
    root = base_url.rstrip("/")
    for suffix in ("/v1.3", "/v1.2"):
        if root.endswith(suffix):
            root = root[: -len(suffix)]
    if not root.endswith("/open_api"):
        root += "/open_api"
    return root + "/"


class TikTokClient:
    """A thin, typed caller of TikTok's API. One instance per connection; thread-compatible like Session."""

    def __init__(self, base_url: str, session: requests.Session | None = None,
                 token_provider: TokenProvider | None = None, retry_policy: RetryPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic, limiter: Any = None,
                 timeout: float = 60.0, advertiser_ids: list[str] | None = None,
                 app_id: str | None = None, secret: str | None = None) -> None:
        self.root = api_root(base_url)
        self.session = session or requests.Session()
        self.token_provider = token_provider
        self.retry_policy = retry_policy or RetryPolicy()
        self.clock = clock
        self.limiter = limiter
        self.timeout = timeout
        self.advertiser_ids = list(advertiser_ids or [])
        self.app_id, self.secret = app_id, secret
        self.calls = 0

    # ---- transport -------------------------------------------------------------------------
    def call(self, name: str, params: dict[str, Any] | None = None, *,
             idempotency_key: str | None = None) -> Any:
        """Call a logical endpoint under the retry policy and return the envelope's ``data``."""
        ep = endpoint(name)
        return self.retry_policy.call(lambda: self._once(ep, params or {}, idempotency_key))

    def _once(self, ep: Endpoint, params: dict[str, Any], idempotency_key: str | None) -> Any:
        if self.limiter is not None:
            self.limiter.acquire(ep.path)
        headers = self._headers(idempotency_key)
        url = self.root + ep.url_path
        self.calls += 1
        try:
            if ep.method == "GET":
                resp = self.session.get(url, params=encode_get_params(params), headers=headers, timeout=self.timeout)
            else:
                resp = self.session.post(url, json=params, headers=headers, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise self._network_error(ep, exc) from exc
        return self.decode(resp, ep.path)

    def _headers(self, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token_provider is not None:
            headers["Access-Token"] = self.token_provider()
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        return headers

    @staticmethod
    def _network_error(ep: Endpoint, exc: Exception) -> TikTokError:
        """A read reaching no answer is transient; a write may have been applied, so it is unknown."""
        sent = not isinstance(exc, requests.ConnectTimeout) and not _is_refused(exc)
        if ep.is_write and sent:
            return UnknownOutcome(f"no answer to a write: {exc}", path=ep.path)
        return Transient(f"network error: {exc}", path=ep.path)

    @staticmethod
    def decode(resp: requests.Response, path: str | None = None) -> Any:
        """The envelope's ``data`` on ``code == 0``; a typed error otherwise (HTTP 200 included)."""
        if resp.status_code != 200:
            raise error_for_http(resp.status_code, resp.text, path=path)
        try:
            body = resp.json()
        except ValueError as exc:
            raise Transient(f"non-JSON body: {resp.text[:200]}", http_status=200, path=path) from exc
        if not isinstance(body, dict) or "code" not in body:
            raise InvalidRequest(f"not a TikTok envelope: {str(body)[:200]}", http_status=200, path=path)
        code = int(body["code"])
        if code != 0:
            raise error_for_code(code, str(body.get("message", "")), request_id=body.get("request_id"), path=path)
        return body.get("data") or {}

    # ---- helpers ---------------------------------------------------------------------------
    def paginate(self, name: str, params: dict[str, Any], *, page_size: int = MAX_PAGE_SIZE,
                 list_key: str = "list") -> Iterator[dict[str, Any]]:
        """Yield every row of a paged GET; stops on ``page_info.total_page`` or a short page."""
        page = 1
        while True:
            data = self.call(name, {**params, "page": page, "page_size": page_size})
            rows = data.get(list_key) or []
            yield from rows
            total_page = (data.get("page_info") or {}).get("total_page")
            if len(rows) < page_size or (total_page is not None and page >= int(total_page)):
                return
            page += 1


def _is_refused(exc: Exception) -> bool:
    text = str(exc).lower()
    return "refused" in text or "failed to establish" in text
