"""OAuth: consent page, auth-code exchange, refresh (requirements 23.9), revoke, authorised advertisers.

Marketing API tokens are long-lived by default, and refreshing one answers 40107 as TikTok does.
A scenario with ``oauth.token_ttl_hours`` switches to expiring tokens with rotating refresh tokens so
a client's refresh path can be exercised; expiry follows the simulated clock. Codes and tokens are
random (not seeded): they are secrets and nothing in the market depends on them.
"""
from __future__ import annotations

import html
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from .. import errors
from ..routing import Ctx, Redirect, raw_route, route
from ..store import Token, serialize
from . import validate

GRANT_TYPES = ("authorization_code", "refresh_token")


def _page(status: int, message: str) -> Any:
    """A plain HTML error page: the consent screen is a browser page, not an API."""
    from ..dispatch import Reply  # late import: dispatch imports the handlers package

    body = f"<html><body><h1>Authorization failed</h1><p>{html.escape(message)}</p></body></html>"
    return Reply(status, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


@raw_route("GET", "/portal/auth")
@raw_route("GET", "/marketing_api/auth")
def consent(ctx: Ctx) -> Any:
    """Auto-consent: every advertiser of the account is granted and the browser goes back with a code."""
    emu, params = ctx.emulator, ctx.params
    app_id = str(params.get("app_id") or "")
    redirect_uri = str(params.get("redirect_uri") or "")
    if app_id not in emu.store.apps:
        return _page(400, f"Unknown app_id {app_id!r}.")
    if not redirect_uri.startswith(("http://", "https://")):
        return _page(400, "redirect_uri is missing or is not an http(s) URL.")
    code = secrets.token_hex(20)
    ttl = timedelta(minutes=float(emu.scenario["oauth"]["auth_code_ttl_minutes"]))
    with emu.store.lock:
        emu.store.auth_codes[code] = {"app_id": app_id, "advertiser_ids": list(emu.store.advertisers),
                                      "expires_at": emu.clock.now() + ttl, "used": False}
    query = {"auth_code": code, **({"state": params["state"]} if params.get("state") is not None else {})}
    sep = "&" if "?" in redirect_uri else "?"
    return Redirect(f"{redirect_uri}{sep}{urlencode(query)}")


def _field(params: dict[str, Any], *names: str) -> str:
    """The first of ``names`` present (``client_id`` or ``app_id``); missing names the first."""
    for name in names:
        if params.get(name) not in (None, ""):
            return str(params[name])
    raise errors.missing(names[0])


def _check_app(ctx: Ctx, app_id: str, secret: str) -> None:
    app = ctx.emulator.store.apps.get(app_id)
    if app is None or not secrets.compare_digest(app["secret"], secret):
        raise errors.ApiError(errors.INVALID_PARTNER, "Invalid app_id or secret.")


def _issue(ctx: Ctx, app_id: str, advertiser_ids: list[str]) -> Token:
    """A new token (under the lock); expiring with a refresh token when the scenario says so."""
    emu, now = ctx.emulator, ctx.emulator.clock.now()
    token = Token(access_token=secrets.token_hex(20), app_id=app_id, advertiser_ids=list(advertiser_ids))
    ttl_hours = emu.scenario["oauth"]["token_ttl_hours"]
    if ttl_hours:
        token.expires_at = now + timedelta(hours=float(ttl_hours))
        token.refresh_token = secrets.token_hex(20)
        token.refresh_expires_at = now + timedelta(days=float(emu.scenario["oauth"]["refresh_ttl_days"]))
        emu.store.refresh_tokens[token.refresh_token] = token
    emu.store.tokens[token.access_token] = token
    return token


def _token_data(ctx: Ctx, token: Token) -> dict[str, Any]:
    now = ctx.emulator.clock.now()
    data: dict[str, Any] = {
        "access_token": token.access_token,
        "advertiser_ids": serialize({"advertiser_ids": token.advertiser_ids}, string_ids=ctx.string_ids)["advertiser_ids"],
        "scope": list(token.scope),
    }
    if token.expires_at is not None and token.refresh_expires_at is not None:
        data.update(token_type="Bearer", expires_in=int((token.expires_at - now).total_seconds()),
                    refresh_token=token.refresh_token,
                    refresh_token_expires_in=int((token.refresh_expires_at - now).total_seconds()))
    return data


def _redeem(ctx: Ctx, app_id: str, code: str) -> Token:
    """Exchange a consent code once, within its lifetime (40110 otherwise)."""
    store = ctx.emulator.store
    with store.lock:
        entry = store.auth_codes.get(code)
        if entry is None or entry["used"] or entry["app_id"] != app_id:
            raise errors.ApiError(errors.AUTH_CODE_ERROR, "Auth code is invalid, has been used or was cancelled.")
        if ctx.emulator.clock.now() >= entry["expires_at"]:
            raise errors.ApiError(errors.AUTH_CODE_ERROR, "Auth code has expired.")
        entry["used"] = True
        return _issue(ctx, app_id, entry["advertiser_ids"])


@route("POST", "oauth2/access_token/", v12="oauth2/access_token/", auth=False)
def access_token(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    app_id, secret = _field(params, "app_id"), _field(params, "secret")
    code = _field(params, "auth_code")
    _check_app(ctx, app_id, secret)
    data = _token_data(ctx, _redeem(ctx, app_id, code))
    if not validate.flag(params, "return_advertiser_ids", default=True):
        data.pop("advertiser_ids")
    return data


@route("POST", "oauth2/token/", auth=False)
@raw_route("POST", "/v2/oauth/token/")
def token_grant(ctx: Ctx) -> dict[str, Any]:
    """Refresh (rotating the refresh token) or code exchange, in the requirements' 23.9 form."""
    params = ctx.params
    app_id = _field(params, "client_id", "app_id")
    secret = _field(params, "client_secret", "secret")
    _check_app(ctx, app_id, secret)
    grant = _field(params, "grant_type")
    if grant not in GRANT_TYPES:
        raise errors.ApiError(errors.INVALID_GRANT_TYPE,
                              f"grant_type: invalid value {grant!r}; allowed: {', '.join(GRANT_TYPES)}")
    if grant == "authorization_code":
        token = _redeem(ctx, app_id, _field(params, "code", "auth_code"))
    else:
        token = _refresh(ctx, app_id, _field(params, "refresh_token"))
    return _token_data(ctx, token)


def _refresh(ctx: Ctx, app_id: str, refresh_token: str) -> Token:
    store = ctx.emulator.store
    with store.lock:
        old = store.refresh_tokens.get(refresh_token)
        if old is None or old.revoked or old.app_id != app_id:
            why = ("Marketing API access tokens are long-lived and cannot be refreshed."
                   if refresh_token in store.tokens else "Refresh token is invalid, revoked or already used.")
            raise errors.ApiError(errors.INVALID_REFRESH_TOKEN, why)
        if old.refresh_expires_at is not None and ctx.emulator.clock.now() >= old.refresh_expires_at:
            raise errors.ApiError(errors.REFRESH_TOKEN_EXPIRE, "Refresh token has expired; authorize again.")
        del store.refresh_tokens[refresh_token]
        return _issue(ctx, app_id, old.advertiser_ids)


def revoke(ctx: Ctx, raw_token: str, app_id: str | None = None) -> None:
    """Revoke a token and its refresh token, then tell webhook subscribers per advertiser."""
    emu = ctx.emulator
    with emu.store.lock:
        token = emu.store.tokens.get(raw_token)
        if token is None or token.revoked or (app_id is not None and token.app_id != app_id):
            raise errors.ApiError(errors.INVALID_ACCESS_TOKEN, "Access token is incorrect or has been revoked.")
        token.revoked = True
        if token.refresh_token:
            emu.store.refresh_tokens.pop(token.refresh_token, None)
    when = int(emu.clock.now().timestamp())
    for adv in token.advertiser_ids:
        emu.webhooks.emit("authorization.removed", adv,
                          {"advertiser_id": adv, "app_id": token.app_id, "revoke_time": when})


@route("POST", "oauth2/revoke_token/", auth=False)
def revoke_token(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    app_id, secret = _field(params, "app_id"), _field(params, "secret")
    raw_token = _field(params, "access_token")
    _check_app(ctx, app_id, secret)
    revoke(ctx, raw_token, app_id)
    return {}


@route("GET", "oauth2/advertiser/get/")
def authorized_advertisers(ctx: Ctx) -> dict[str, Any]:
    app_id = _field({k: ctx.get(k) for k in ("app_id",)}, "app_id")
    secret = _field({k: ctx.get(k) for k in ("secret",)}, "secret")
    _check_app(ctx, app_id, secret)
    token = ctx.token
    if token is None or token.app_id != app_id:
        raise errors.ApiError(errors.INVALID_PARTNER, "The access token was not issued to this app_id.")
    store = ctx.emulator.store
    with store.lock:
        listed = [{"advertiser_id": adv if ctx.string_ids else int(adv),
                   "advertiser_name": store.advertisers[adv]["name"]}
                  for adv in token.advertiser_ids if adv in store.advertisers]
    return {"list": listed}
