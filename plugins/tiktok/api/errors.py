"""Typed errors for TikTok's envelope codes and HTTP failures, classified by ONE table.

TikTok answers HTTP 200 for application errors (success is ``code == 0`` in the body), so the
mapping is keyed by body code first; HTTP statuses only signal gateway or server faults. Every code
in spec/tiktok-api.md §1.5 has a row in ``CODE_TABLE`` saying which class it raises and why; a test
walks the table, so a new code is one row, not a new ``if``. Each class says how to handle it:
``retryable`` (the retry policy may send the same request again) and ``refreshable`` (refreshing the
access token and retrying can help).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class TikTokError(Exception):
    """Base error: carries TikTok's body code, message and request id when there was a body."""

    retryable = False
    refreshable = False

    def __init__(self, message: str, *, code: int | None = None, request_id: str | None = None,
                 http_status: int | None = None, path: str | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        self.path = path
        self.data = data
        self.retry_after: float | None = None  # seconds, from an HTTP Retry-After header (a floor for backoff)

    def __str__(self) -> str:
        parts = [f"code={self.code}" if self.code is not None else None,
                 f"http={self.http_status}" if self.http_status else None,
                 self.path, f"request_id={self.request_id}" if self.request_id else None]
        detail = ", ".join(p for p in parts if p)
        return f"{self.message} ({detail})" if detail else self.message


class PartialSuccess(TikTokError):
    """20001: part of a batch was applied. ``data`` says which part; resending would repeat the applied part."""


class RateLimited(TikTokError):
    """Throttled (40100/40016/40133/40132, 61000 or HTTP 429): wait and retry."""

    retryable = True


class Transient(TikTokError):
    """A server-side or network fault (5xxxx, HTTP 5xx, connection error, read timeout): retry."""

    retryable = True


class TaskNotReady(Transient):
    """40201: the async report task has not finished; asking again later is the whole remedy."""


class WriteConflict(Transient):
    """40202: a concurrent write won; TikTok rejected ours, so resending cannot double-apply it."""


class AuthError(TikTokError):
    """The token is missing, expired, revoked or not allowed for this advertiser: re-authorise, never retry."""


class TokenExpired(AuthError):
    """40102: the access token expired; refresh it (when a refresh token exists) and try once more."""

    refreshable = True


class PermissionDenied(AuthError):
    """40001/40106/40113/…: the token is valid but not allowed here; a human must grant access."""


class InvalidRequest(TikTokError):
    """Our request is wrong (40000, 40002, …): retrying cannot help."""


class NotFound(InvalidRequest):
    """The object does not exist (40007; 40300 for the advertiser)."""


class ConfigurationError(InvalidRequest):
    """Wrong base URL, API version or environment (sandbox limits, banned region): fix the connection."""


class UnknownOutcome(TikTokError):
    """A write whose result we cannot know (timeout or dropped connection after sending, 40050).

    Never resend blindly: reconcile by reading the object back first.
    """


@dataclass(frozen=True)
class CodeRule:
    """One row of §1.5: codes ``first..last`` raise ``error`` (``on_write`` instead for writes)."""

    first: int
    last: int
    error: type[TikTokError]
    name: str
    why: str
    on_write: type[TikTokError] | None = None

    def covers(self, code: int) -> bool:
        return self.first <= code <= self.last

    def error_for(self, is_write: bool) -> type[TikTokError]:
        return self.on_write if is_write and self.on_write is not None else self.error


def _row(codes: int | tuple[int, int], error: type[TikTokError], name: str, why: str,
         on_write: type[TikTokError] | None = None) -> CodeRule:
    first, last = (codes, codes) if isinstance(codes, int) else codes
    return CodeRule(first, last, error, name, why, on_write)


# Exact codes first, ranges after: the first covering row wins.
CODE_TABLE: tuple[CodeRule, ...] = (
    _row(20001, PartialSuccess, "PARTIAL_OK", "some items applied; the caller inspects data, never resends all"),
    _row(40000, InvalidRequest, "INVALID_PARAMS", "our parameters are wrong"),
    _row(40001, PermissionDenied, "PERMISSION_ERROR", "no permission for the operation: grant access"),
    _row(40002, InvalidRequest, "PARAM_ERROR", "detail in TikTok's message"),
    _row(40006, ConfigurationError, "VERSION_ERROR", "wrong API version"),
    _row(40007, NotFound, "NOT_EXIST", "object does not exist"),
    _row(40008, ConfigurationError, "NOT_IMPL", "endpoint not implemented / not in sandbox"),
    _row(40009, ConfigurationError, "UNSUPPORTED_IN_SANDBOX", "sandbox limitation"),
    _row(40010, ConfigurationError, "UNSUPPORTED_DOMAIN", "wrong base URL"),
    _row(40011, InvalidRequest, "ID_LIMIT_EXCEED", "too many ids: batching should have split them"),
    _row(40013, ConfigurationError, "SANDBOX_ADV_NOT_EXIST", "sandbox limitation"),
    _row(40014, ConfigurationError, "SANDBOX_LIMIT", "sandbox limitation"),
    _row(40016, RateLimited, "BIZ_FC_ERROR", "requests made too frequently (app, per endpoint)"),
    _row(40050, Transient, "DUPLICATED_REQUEST",
         "semantics unconfirmed: a read is safe to ask again; a write may have been applied by the "
         "first copy, so its outcome is unknown and must be reconciled", on_write=UnknownOutcome),
    _row(40051, ConfigurationError, "INVALID_API_VERSION", "incompatible API version"),
    _row(40100, RateLimited, "REQUEST_TOO_FREQUENT", "the main rate-limit code"),
    _row(40101, AuthError, "INVALID_PARTNER", "app id / secret / auth code mismatch"),
    _row(40102, TokenExpired, "ACCESS_TOKEN_EXPIRE", "refresh the access token"),
    _row(40103, AuthError, "REFRESH_TOKEN_EXPIRE", "the refresh token died too: re-authorise"),
    _row(40104, AuthError, "EMPTY_ACCESS_TOKEN", "no token was sent: the token store has none"),
    _row(40105, AuthError, "INVALID_ACCESS_TOKEN", "revoked or wrong token: re-authorise"),
    _row(40106, PermissionDenied, "INVALID_CORE_USER", "token does not own this advertiser"),
    _row(40107, AuthError, "INVALID_REFRESH_TOKEN", "Marketing API tokens have no refresh flow"),
    _row(40108, AuthError, "INVALID_GRANT_TYPE", "bad grant_type in the OAuth call"),
    _row(40109, InvalidRequest, "ERROR_AES_DECIPHER", "a decryption error, NOT the rate limit the requirements name"),
    _row(40110, AuthError, "AUTH_CODE_ERROR", "auth_code used, cancelled or older than 1 h"),
    _row(40113, PermissionDenied, "APP_FORBIDDEN", "the app is forbidden"),
    _row(40118, PermissionDenied, "NOT_IN_WHITELIST", "allowlist problem"),
    _row(40119, PermissionDenied, "NOT_SAME_IDENTITY", "identity mismatch"),
    _row(40125, PermissionDenied, "DEVELOPER_NO_PERMISSION", "developer lacks permission"),
    _row(40132, RateLimited, "REQUEST_FREQUENCY_LIMITED", "throttled per field value"),
    _row(40133, RateLimited, "ADVERTISER_QPS_LIMIT", "throttled per advertiser per path"),
    _row(40200, Transient, "GENERAL_TASK_ERROR",
         "TikTok-side async task failure, not a fault in our request; singer retries it, bounded by the policy"),
    _row(40201, TaskNotReady, "TASK_NOT_READY", "poll again later"),
    _row(40202, WriteConflict, "WRITE_CONFLICT",
         "rejected, not applied, so a resend is safe; budget/bid writes are absolute values anyway"),
    _row(40300, NotFound, "ADVERTISER_NOT_EXIST", "bad advertiser_id"),
    _row(40301, PermissionDenied, "ADVERTISER_ROLE_ERROR", "no role on this advertiser"),
    _row(40502, InvalidRequest, "AD_NUMBER_LIMIT", "max ads reached: a resend hits the same limit"),
    _row(40700, Transient, "RPC_VALIDATION_ERROR",
         "TikTok-internal RPC validation, not our parameters (those are 40000/40002); singer retries it"),
    _row((40900, 40916), InvalidRequest, "FILE_UPLOAD_ERRORS", "signature/size/type/name problems with the file"),
    _row(41000, ConfigurationError, "BLOCKED", "client IP in a banned region: change where we run"),
    _row(50000, Transient, "SYS_ERROR", "system error: retry"),
    _row(50002, Transient, "SYS_TIMEOUT", "TikTok-side processing timeout: retry"),
    _row((51000, 51099), Transient, "INTERNAL_RPC_ERRORS", "internal service errors (51021 included)"),
    _row((52000, 52999), Transient, "INTERNAL_SERVICE_ERRORS", "internal service errors"),
    _row((53000, 53999), Transient, "INTERNAL_SERVICE_ERRORS", "internal service errors"),
    _row(60001, Transient, "MAINTENANCE", "maintenance window: retry with backoff"),
    _row(61000, RateLimited, "TOO_MANY_REQUESTS_BL", "blocked for too many requests: back off"),
    # Fallbacks for codes §1.5 does not list: an unknown 4xxxx is our fault, 5xxxx/6xxxx theirs.
    _row((40000, 49999), InvalidRequest, "OTHER_4XXXX", "unknown client-side code: do not retry"),
    _row((50000, 69999), Transient, "OTHER_5XXXX_6XXXX", "unknown server-side code: retry"),
)

SUCCESS_CODES = frozenset({0})
RATE_LIMIT_CODES = frozenset(r.first for r in CODE_TABLE if r.error is RateLimited and r.first == r.last)
AUTH_CODES = frozenset(r.first for r in CODE_TABLE if issubclass(r.error, AuthError))
NOT_FOUND_CODES = frozenset(r.first for r in CODE_TABLE if r.error is NotFound)


def rule_for(code: int) -> CodeRule | None:
    """The first row covering ``code`` (None for 0 and codes outside every range)."""
    return next((rule for rule in CODE_TABLE if rule.covers(code)), None)


def classify(code: int, *, is_write: bool = False) -> type[TikTokError]:
    """The error class a non-zero code raises; unlisted codes are non-retryable requests."""
    rule = rule_for(code)
    return rule.error_for(is_write) if rule is not None else InvalidRequest


def error_for_code(code: int, message: str, *, request_id: str | None = None, path: str | None = None,
                   is_write: bool | None = None, data: Any = None) -> TikTokError:
    """Map a non-zero envelope code to the typed error that says how to handle it.

    ``is_write`` defaults to what the endpoint table says about ``path`` (a POST is a write), so
    callers that only know the path still get ``UnknownOutcome`` for an ambiguous write.
    """
    write = _is_write_path(path) if is_write is None else is_write
    cls = classify(code, is_write=write)
    return cls(message, code=code, request_id=request_id, http_status=200, path=path, data=data)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); ``None`` when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def error_for_http(status: int, body: str, *, path: str | None = None) -> TikTokError:
    """Map a non-200 HTTP status (gateway or server fault) to a typed error.

    429 is a gateway throttle; any 5xx (504 included) is transient, even with a non-JSON body.
    """
    message = f"HTTP {status}: {body[:200]}"
    if status == 429:
        return RateLimited(message, http_status=status, path=path)
    if status >= 500:
        return Transient(message, http_status=status, path=path)
    if status in (401, 403):
        return AuthError(message, http_status=status, path=path)
    if status == 404:
        return NotFound(message, http_status=status, path=path)
    return InvalidRequest(message, http_status=status, path=path)


def error_for_non_json(text: str, *, http_status: int = 200, path: str | None = None) -> TikTokError:
    """A body that is not JSON came from a proxy or an overloaded gateway, not from the API: retry."""
    if http_status != 200:
        return error_for_http(http_status, text, path=path)
    return Transient(f"non-JSON body: {text[:200]}", http_status=http_status, path=path)


def _is_write_path(path: str | None) -> bool:
    if not path:
        return False
    from tiktok.api.endpoints import ENDPOINTS  # late: endpoints stays importable on its own

    return any(ep.path == path and ep.is_write for ep in ENDPOINTS.values())
