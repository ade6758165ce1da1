"""The TikTok Marketing API client and its parts (errors, retry policy, encoding, endpoints, keys)."""
from __future__ import annotations

from tiktok.api.client import TikTokClient, static_token
from tiktok.api.errors import (
    AuthError,
    ConfigurationError,
    InvalidRequest,
    NotFound,
    PartialSuccess,
    PermissionDenied,
    RateLimited,
    TaskNotReady,
    TikTokError,
    TokenExpired,
    Transient,
    UnknownOutcome,
    WriteConflict,
)
from tiktok.api.retry import RetryPolicy

__all__ = [
    "AuthError", "InvalidRequest", "NotFound", "RateLimited", "RetryPolicy", "TikTokClient",
    "TikTokError", "Transient", "UnknownOutcome", "static_token",
    "ConfigurationError", "PartialSuccess", "PermissionDenied", "TaskNotReady", "TokenExpired", "WriteConflict",
]
