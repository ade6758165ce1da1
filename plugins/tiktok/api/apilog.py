"""The API log (requirements §10 APILog): one redacted record per HTTP attempt.

Why per attempt, not per call: a throttled first try and a successful retry are two requests TikTok
saw, and support (and our rate-limit tuning) needs both. Records carry what explains a call —
endpoint, method, code, HTTP status, latency, how long the limiter held it and the tokens left,
idempotency key, TikTok's request_id, advertiser and attempt number — and never what would leak:
tokens, secrets, the Access-Token header, emails, phone numbers or people's names. Redaction runs
before any sink sees the record, so a new sink cannot forget it.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

REDACTED = "[REDACTED]"
SECRET_KEYS = re.compile(r"(token|secret|password|passwd|authorization|auth_code|api_key|credential|signature)",
                         re.IGNORECASE)
PII_KEYS = re.compile(r"^(email|emails|phone|phones|phone_number|first_name|last_name|full_name|user_name|"
                      r"username|display_name|contact_name|person_name|name_of_person|address|ip|user_agent|"
                      r"external_id)$", re.IGNORECASE)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# "+81 90 1234 5678", "+14155550100", "(415) 555-0100", "090-1234-5678" — but not ids or dates.
PHONE = re.compile(r"(?<![\w.])(?:\+\d[\d\s().-]{6,}\d|\(?\d{2,4}\)?[\s-]\d{3,4}[\s-]\d{3,4})(?![\w.])")
BEARERISH = re.compile(r"(?i)(access[-_]?token|secret|bearer)([\"'=:\s]+)([A-Za-z0-9._~+/-]{8,})")
MAX_TEXT = 500


def redact_text(text: str) -> str:
    """Mask emails, phone-like digit runs and ``token=…``-style secrets inside free text."""
    text = BEARERISH.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = EMAIL.sub(REDACTED, text)
    return PHONE.sub(REDACTED, text)


def redact(value: Any, *, secrets: Iterable[str] = (), _key: str = "") -> Any:
    """A deep copy of ``value`` with secret/PII fields and any known secret values masked."""
    if _key and (SECRET_KEYS.search(_key) or PII_KEYS.match(_key)):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, secrets=secrets, _key=str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets=secrets, _key=_key) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret and len(secret) >= 4:
                value = value.replace(secret, REDACTED)
        return redact_text(value)[:MAX_TEXT]
    return value


@dataclass
class ApiLogRecord:
    """One HTTP attempt. ``code`` is TikTok's body code (None when there was no envelope)."""

    endpoint: str
    method: str
    attempt: int
    advertiser_id: str | None = None
    code: int | None = None
    http_status: int | None = None
    latency_ms: float | None = None
    waited_ms: float | None = None
    tokens_left: float | None = None
    priority: str | None = None
    idempotency_key: str | None = None
    request_id: str | None = None
    error: str | None = None
    outcome: str = "ok"
    params: Any = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def redacted(self, secrets: Iterable[str] = ()) -> ApiLogRecord:
        """The same record with params and error text scrubbed (the only free-form fields)."""
        secrets = tuple(s for s in secrets if s)
        params = redact(self.params, secrets=secrets) if self.params is not None else None
        error = redact(self.error, secrets=secrets) if self.error else self.error
        return ApiLogRecord(**{**asdict(self), "params": params, "error": error})

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


class ApiLogSink(Protocol):
    def write(self, record: ApiLogRecord) -> None: ...


class LoggingSink:
    """JSON lines through Python logging (the default sink; shipping logs is the platform's job)."""

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.logger = logger or logging.getLogger("tiktok.api.apilog")
        self.level = level

    def write(self, record: ApiLogRecord) -> None:
        if self.logger.isEnabledFor(self.level):
            self.logger.log(self.level, json.dumps(record.as_dict(), default=str, sort_keys=True))


class MemorySink:
    """Keeps records in a list (tests, the throughput bench)."""

    def __init__(self) -> None:
        self.records: list[ApiLogRecord] = []
        self._lock = threading.Lock()

    def write(self, record: ApiLogRecord) -> None:
        with self._lock:
            self.records.append(record)


class ApiLog:
    """Redacts each record once and fans it out; a failing sink is logged, never fails the API call."""

    def __init__(self, *sinks: ApiLogSink, secrets: Callable[[], Iterable[str]] | None = None) -> None:
        self.sinks = list(sinks) or [LoggingSink()]
        self.secrets = secrets or (lambda: ())

    def write(self, record: ApiLogRecord) -> None:
        clean = record.redacted(self.secrets())
        for sink in self.sinks:
            try:
                sink.write(clean)
            except Exception:  # noqa: BLE001 - the log must never break a money-moving call
                logging.getLogger(__name__).exception("api log sink %r failed", sink)
