"""The OAuth redirect target: a pure ``handle_callback`` plus a stdlib WSGI app to serve it.

The governance issue can mount ``make_wsgi_app(flow)`` (or call ``handle_callback``) in the HTTP
service; ``serve()`` runs it alone for a one-off consent on an operator's machine.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIServer, make_server

from tiktok.api.errors import TikTokError
from tiktok.oauth.config import CALLBACK_PATH
from tiktok.oauth.flow import OAuthFlow, StateError


def _first(params: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = params.get(name)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if value:
            return str(value)
    return None


def handle_callback(query_params: Mapping[str, Any], flow: OAuthFlow) -> tuple[int, str]:
    """``(HTTP status, plain-text body)`` for TikTok's redirect ``?auth_code=…&state=…``.

    400 for a bad or replayed state / missing code, 502 when TikTok refuses the code, 200 on success.
    Bodies never echo the code or any token.
    """
    if _first(query_params, "error"):
        return 400, f"authorisation was denied: {_first(query_params, 'error_description', 'error')}"
    code = _first(query_params, "auth_code", "code")
    if not code:
        return 400, "missing auth_code"
    try:
        result = flow.exchange(code, _first(query_params, "state"))
    except StateError as exc:
        return 400, f"invalid state: {exc}"
    except TikTokError as exc:
        return 502, f"TikTok refused the authorisation code (code {exc.code}): {exc.message}"
    return 200, f"authorised advertisers: {', '.join(result.advertiser_ids) or '(none)'}"


def make_wsgi_app(flow: OAuthFlow, path: str = CALLBACK_PATH) -> Callable[..., Iterable[bytes]]:
    """A WSGI app answering ``GET path`` with ``handle_callback``; 404 elsewhere."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != path or environ.get("REQUEST_METHOD") != "GET":
            status, body = 404, "not found"
        else:
            status, body = handle_callback(parse_qs(environ.get("QUERY_STRING", "")), flow)
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 502: "Bad Gateway"}[status]
        payload = f"<html><body><p>{html.escape(body)}</p></body></html>".encode()
        start_response(f"{status} {reason}", [("Content-Type", "text/html; charset=utf-8"),
                                              ("Content-Length", str(len(payload))),
                                              ("Cache-Control", "no-store")])
        return [payload]

    return app


def serve(flow: OAuthFlow, host: str = "127.0.0.1", port: int = 8765) -> WSGIServer:
    """A WSGI server for the callback (call ``serve_forever()`` or ``handle_request()`` on it)."""
    return make_server(host, port, make_wsgi_app(flow))
