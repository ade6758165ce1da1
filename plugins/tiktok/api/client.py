"""The TikTok Marketing API client: the outside world (session, token, retries, clock) is injected.

Emulator, sandbox and production differ only by ``base_url`` and credentials. The client decodes
TikTok's ``{code, message, request_id, data}`` envelope (errors arrive as HTTP 200), raises typed
errors, JSON-encodes GET arrays/objects and sends an ``Idempotency-Key`` derived before retrying.

Each attempt passes, in order: the endpoint family's circuit breaker (fail fast while TikTok is
sick), the rate limiter (per app/advertiser and path, by priority, ≤ N in flight), the HTTP call,
and the API log. A throttle TikTok still answers slows the limiter's key down (adaptive) and is
retried; a 40102 makes the token provider refresh once.
"""
from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from tiktok.api.apilog import ApiLogRecord
from tiktok.api.encoding import encode_get_params
from tiktok.api.endpoints import Endpoint, endpoint
from tiktok.api.errors import (
    AuthError,
    InvalidRequest,
    RateLimited,
    TikTokError,
    Transient,
    UnknownOutcome,
    error_for_code,
    error_for_http,
    parse_retry_after,
)
from tiktok.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from tiktok.api.retry import RetryPolicy

log = logging.getLogger(__name__)
TokenProvider = Callable[[], str]
MAX_PAGE_SIZE = 1000
PRODUCTION_BASE = "https://business-api.tiktok.com/open_api/v1.3/"
EXPIRED_TOKEN = 40102


@dataclass
class _Attempt:
    """What one logical call carries across its attempts."""

    ep: Endpoint
    params: dict[str, Any]
    idempotency_key: str | None
    priority: Any
    advertiser_id: str | None
    number: int = 0


def static_token(token: str) -> TokenProvider:
    """A token provider for long-lived Marketing API tokens (later: a refreshing token store)."""
    return lambda: token


def api_root(base_url: str) -> str:
    """``http://h:p``, ``…/open_api`` or ``…/open_api/v1.3/`` → ``…/open_api/`` (versions come from endpoints)."""
    parsed = urlsplit(base_url or "")
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ValueError(f"base_url: must be an http(s) URL such as {PRODUCTION_BASE}, got {base_url!r} "
                         "(set TIKTOK_BASE_URL or the tiktok_default connection's host)")
    root = base_url.rstrip("/")
    for suffix in ("/v1.3", "/v1.2"):
        if root.endswith(suffix):
            root = root[: -len(suffix)]
    if not root.endswith("/open_api"):
        root += "/open_api"
    return root + "/"


class TikTokClient:
    """A thin, typed caller of TikTok's API. One instance per connection; thread-compatible like Session.

    ``limiter`` needs ``acquire(path, advertiser_id=, priority=)`` (returning a permit with
    ``release()``) and optionally ``penalize(path, advertiser_id, code)``; ``breakers`` needs
    ``call(path, fn, advertiser_id)``; ``api_log`` needs ``write(ApiLogRecord)``. All are optional.
    """

    def __init__(self, base_url: str, session: requests.Session | None = None,
                 token_provider: TokenProvider | None = None, retry_policy: RetryPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic, limiter: Any = None,
                 timeout: float = 60.0, advertiser_ids: list[str] | None = None,
                 app_id: str | None = None, secret: str | None = None, *,
                 breakers: Any = None, api_log: Any = None) -> None:
        self.root = api_root(base_url)
        self.session = session or requests.Session()
        self.token_provider = token_provider
        self.retry_policy = retry_policy or RetryPolicy()
        self.clock = clock
        self.limiter = limiter
        self.breakers = breakers
        self.api_log = api_log
        self.timeout = timeout
        self.advertiser_ids = list(advertiser_ids or [])
        self.app_id, self.secret = app_id, secret
        self.calls = 0

    # ---- transport -------------------------------------------------------------------------
    def call(self, name: str, params: dict[str, Any] | None = None, *,
             idempotency_key: str | None = None, priority: Any = None) -> Any:
        """Call a logical endpoint under the retry policy and return the envelope's ``data``.

        On 40102 (token expired) a provider with ``on_expired()`` refreshes and the call runs once more.
        """
        ep = endpoint(name)
        params = params or {}
        attempt = _Attempt(ep, params, idempotency_key, priority if priority is not None else ep.lane,
                           _advertiser_of(params))
        try:
            return self.retry_policy.call(lambda: self._guarded(attempt))
        except AuthError as exc:
            if exc.code != EXPIRED_TOKEN or not hasattr(self.token_provider, "on_expired"):
                self._report_auth_error(exc)
                raise
            self.token_provider.on_expired()
            return self.retry_policy.call(lambda: self._guarded(attempt))

    def _report_auth_error(self, exc: AuthError) -> None:
        hook = getattr(self.token_provider, "on_auth_error", None)
        if hook is not None and exc.code is not None:
            hook(exc.code, exc.message)

    def _guarded(self, attempt: _Attempt) -> Any:
        if self.breakers is None:
            return self._once(attempt)
        return self.breakers.call(attempt.ep.path, lambda: self._once(attempt), attempt.advertiser_id)

    def _once(self, attempt: _Attempt) -> Any:
        attempt.number += 1
        ep = attempt.ep
        permit = self._admit(attempt)
        record = ApiLogRecord(endpoint=ep.path, method=ep.method, attempt=attempt.number,
                              advertiser_id=attempt.advertiser_id, idempotency_key=attempt.idempotency_key,
                              priority=getattr(attempt.priority, "name", str(attempt.priority)),
                              waited_ms=getattr(permit, "waited_ms", None),
                              tokens_left=getattr(permit, "tokens_left", None), params=attempt.params)
        started = self.clock()
        try:
            data, record.request_id, record.http_status = self._send(ep, attempt.params, attempt.idempotency_key)
            record.code = 0
            return data
        except TikTokError as exc:
            self._note_failure(record, exc, attempt)
            raise
        finally:
            record.latency_ms = round((self.clock() - started) * 1000.0, 3)
            if permit is not None and hasattr(permit, "release"):
                permit.release()
            if self.api_log is not None:
                self.api_log.write(record)

    def _admit(self, attempt: _Attempt) -> Any:
        if self.limiter is None:
            return None
        if not _takes_keywords(self.limiter.acquire):  # a minimal limiter with acquire(path) only
            return self.limiter.acquire(attempt.ep.path)
        return self.limiter.acquire(attempt.ep.path, advertiser_id=attempt.advertiser_id, priority=attempt.priority)

    def _note_failure(self, record: ApiLogRecord, exc: TikTokError, attempt: _Attempt) -> None:
        record.code, record.http_status, record.request_id = exc.code, exc.http_status, exc.request_id
        record.outcome, record.error = type(exc).__name__, exc.message
        if isinstance(exc, RateLimited) and hasattr(self.limiter, "penalize"):
            self.limiter.penalize(attempt.ep.path, attempt.advertiser_id, exc.code)

    def _send(self, ep: Endpoint, params: dict[str, Any],
              idempotency_key: str | None) -> tuple[Any, str | None, int]:
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
        body = self.envelope(resp, ep.path)
        return body.get("data") or {}, body.get("request_id"), resp.status_code

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

    @classmethod
    def decode(cls, resp: requests.Response, path: str | None = None) -> Any:
        """The envelope's ``data`` on ``code == 0``; a typed error otherwise (HTTP 200 included)."""
        return cls.envelope(resp, path).get("data") or {}

    @staticmethod
    def envelope(resp: requests.Response, path: str | None = None) -> dict[str, Any]:
        """The whole ``{code, message, request_id, data}`` body on ``code == 0``; a typed error otherwise."""
        if resp.status_code != 200:
            error = error_for_http(resp.status_code, resp.text, path=path)
            error.retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            raise error
        try:
            body = resp.json()
        except ValueError as exc:
            raise Transient(f"non-JSON body: {resp.text[:200]}", http_status=200, path=path) from exc
        if not isinstance(body, dict) or "code" not in body:
            raise InvalidRequest(f"not a TikTok envelope: {str(body)[:200]}", http_status=200, path=path)
        code = int(body["code"])
        if code != 0:
            raise error_for_code(code, str(body.get("message", "")), request_id=body.get("request_id"), path=path,
                                 data=body.get("data"))
        return body

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


def _advertiser_of(params: dict[str, Any]) -> str | None:
    """The advertiser a call acts for (its per-advertiser rate key and breaker scope), if it names one."""
    value = params.get("advertiser_id")
    if value is None:
        ids = params.get("advertiser_ids")
        value = ids[0] if isinstance(ids, (list, tuple)) and len(ids) == 1 else None
    return str(value) if isinstance(value, (str, int)) and str(value) else None


def _takes_keywords(fn: Callable[..., Any]) -> bool:
    try:
        names = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "priority" in names or any(p.kind is p.VAR_KEYWORD for p in names.values())
