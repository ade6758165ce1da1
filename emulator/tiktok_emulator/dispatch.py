"""From an HTTP request to TikTok's envelope: routing, parameters, auth, traffic rules, handler.

Application errors are HTTP 200 with ``{code, message, request_id, data: {}}``; only gateway-level
conditions (unknown path, injected 5xx) use other HTTP statuses. A malformed request never becomes
a 500: unexpected handler failures are logged and answered as TikTok's 50000.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import errors, handlers  # noqa: F401  (handlers register their routes on import)
from .routing import RAW_ROUTES, ROUTES, Ctx, Redirect, Route

if TYPE_CHECKING:
    from .emulator import Emulator

log = logging.getLogger("tiktok_emulator")
VERSIONS = ("v1.2", "v1.3")
try:  # orjson is several times faster on 1000-row report pages
    import orjson

    def dumps(obj: Any) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
except ImportError:  # pragma: no cover
    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    drop: bool = False


def request_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()


def envelope(code: int, message: str, data: Any) -> Reply:
    return Reply(body=dumps({"code": code, "message": message, "request_id": request_id(),
                             "data": {} if data is None else data}))


def not_found() -> Reply:
    return Reply(404, b"<html><body><h1>404</h1><p>page not found</p></body></html>", {"Content-Type": "text/html"})


def dispatch(emu: Emulator, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
    url = urlsplit(target)
    route, version = _find(method, url.path)
    if route is None:
        return not_found()
    emu.count(f"{method} {url.path}")
    try:
        params, files = _params(url.query, headers, body)
        ctx = Ctx(emu, version, method, route.path, params, headers, files)
        return _run(emu, ctx, route)
    except errors.ApiError as exc:
        return envelope(exc.code, exc.message, None)
    except Exception:  # noqa: BLE001  a bug must not look like TikTok's HTTP 500
        log.exception("handler failed for %s %s", method, target)
        return envelope(errors.SYS_ERROR, "System error.", None)


def _find(method: str, path: str) -> tuple[Route | None, str]:
    raw = RAW_ROUTES.get((method, path))
    if raw is not None:
        return raw, "raw"
    parts = path.split("/", 3)  # ['', 'open_api', 'v1.3', 'campaign/get/']
    if len(parts) == 4 and parts[1] == "open_api" and parts[2] in VERSIONS:
        return ROUTES.get((parts[2], method, parts[3])), parts[2]
    return None, ""


def _run(emu: Emulator, ctx: Ctx, route: Route) -> Reply:
    if route.auth:
        ctx.token = _authenticate(emu, ctx.headers)
    decision = emu.traffic.before(ctx, route, emu) if ctx.version != "raw" else None
    if decision is not None:
        if decision.delay_s:
            time.sleep(decision.delay_s)
        if decision.http_status:
            return Reply(decision.http_status, b"<html><body>gateway error</body></html>", {"Content-Type": "text/html"})
    result = route.handler(ctx)
    if isinstance(result, Redirect):
        return Reply(302, b"", {"Location": result.location})
    if isinstance(result, Reply):
        return result
    reply = envelope(errors.OK, "OK", result)
    reply.drop = bool(decision is not None and decision.drop and route.write)
    return reply


def _authenticate(emu: Emulator, headers: dict[str, str]):
    raw = headers.get("access-token", "").strip()
    if not raw:
        raise errors.ApiError(errors.EMPTY_ACCESS_TOKEN,
                              "Access token is null, you should set it in http header with key Access-Token.")
    token = emu.store.tokens.get(raw)
    if token is None or token.revoked:
        raise errors.ApiError(errors.INVALID_ACCESS_TOKEN, "Access token is incorrect or has been revoked.")
    if token.expires_at is not None and emu.clock.now() >= token.expires_at:
        raise errors.ApiError(errors.ACCESS_TOKEN_EXPIRE, "Access token has expired. Refresh it with the refresh token.")
    return token


def _params(query: str, headers: dict[str, str], body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    params: dict[str, Any] = {k: v[0] if len(v) == 1 else v
                              for k, v in parse_qs(query, keep_blank_values=True).items()}
    files: dict[str, tuple[str, bytes]] = {}
    ctype = headers.get("content-type", "")
    if not body:
        return params, files
    if ctype.startswith("multipart/form-data"):
        _multipart(ctype, body, params, files)
    elif ctype.startswith("application/x-www-form-urlencoded"):
        params.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
    else:
        try:
            data = json.loads(body)
        except ValueError:
            raise errors.ApiError(errors.PARAM_ERROR, "request body: malformed JSON") from None
        if not isinstance(data, dict):
            raise errors.ApiError(errors.PARAM_ERROR, "request body: must be a JSON object")
        params.update(data)
    return params, files


def _multipart(ctype: str, body: bytes, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> None:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise errors.ApiError(errors.PARAM_ERROR, "request body: malformed multipart/form-data")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files[name] = (filename, payload)
        elif name:
            params[name] = payload.decode("utf-8", "replace")
