"""Typed errors for TikTok's envelope codes and HTTP failures.

TikTok answers HTTP 200 for application errors (success is ``code == 0`` in the body), so the
mapping below is keyed by body code first; HTTP statuses only signal gateway or server faults.
"""
from __future__ import annotations

RATE_LIMIT_CODES = frozenset({40100, 40016, 40133, 40132})
AUTH_CODES = frozenset({40001, 40101, 40102, 40104, 40105, 40106})
NOT_FOUND_CODES = frozenset({40007})


class TikTokError(Exception):
    """Base error: carries TikTok's body code, message and request id when there was a body."""

    retryable = False

    def __init__(self, message: str, *, code: int | None = None, request_id: str | None = None,
                 http_status: int | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        self.path = path

    def __str__(self) -> str:
        parts = [f"code={self.code}" if self.code is not None else None,
                 f"http={self.http_status}" if self.http_status else None,
                 self.path, f"request_id={self.request_id}" if self.request_id else None]
        detail = ", ".join(p for p in parts if p)
        return f"{self.message} ({detail})" if detail else self.message


class RateLimited(TikTokError):
    """Throttled (40100/40016/40133/40132 or HTTP 429): wait and retry."""

    retryable = True


class Transient(TikTokError):
    """A server-side or network fault (5xxxx, HTTP 5xx, connection error, read timeout): retry."""

    retryable = True


class AuthError(TikTokError):
    """The token is missing, expired, revoked or not allowed for this advertiser: re-authorise, never retry."""


class InvalidRequest(TikTokError):
    """Our request is wrong (40000, 40002, …): retrying cannot help."""


class NotFound(InvalidRequest):
    """The object does not exist (40007)."""


class UnknownOutcome(TikTokError):
    """A write whose result we cannot know (timeout or dropped connection after sending).

    Never resend blindly: reconcile by reading the object back first.
    """


def error_for_code(code: int, message: str, *, request_id: str | None = None, path: str | None = None) -> TikTokError:
    """Map a non-zero envelope code to the typed error that says how to handle it."""
    kwargs = {"code": code, "request_id": request_id, "http_status": 200, "path": path}
    if code in RATE_LIMIT_CODES:
        return RateLimited(message, **kwargs)
    if code in AUTH_CODES:
        return AuthError(message, **kwargs)
    if code in NOT_FOUND_CODES:
        return NotFound(message, **kwargs)
    if 50000 <= code < 60000 or code in (40200, 40201, 40202, 40700):
        return Transient(message, **kwargs)
    return InvalidRequest(message, **kwargs)


def error_for_http(status: int, body: str, *, path: str | None = None) -> TikTokError:
    """Map a non-200 HTTP status (gateway or server fault) to a typed error."""
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
