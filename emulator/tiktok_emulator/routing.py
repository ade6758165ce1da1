"""Route registry and the per-request context handlers receive.

Handlers register with ``@route("GET", "campaign/get/", v12="campaign/get/")`` and are called as
``handler(ctx) -> data``; they raise ``ApiError`` for TikTok's application errors. Paths are
relative to ``/open_api/<version>/`` and keep TikTok's trailing slash.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import errors
from .params import json_value

if TYPE_CHECKING:
    from .emulator import Emulator
    from .store import Token

Handler = Callable[["Ctx"], Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    auth: bool = True
    write: bool = False


ROUTES: dict[tuple[str, str, str], Route] = {}


def route(method: str, path: str, *, v12: str | None = None, auth: bool = True, write: bool | None = None):
    """Register a handler under v1.3 (and v1.2 at ``v12`` where the requirements name that path)."""

    def register(handler: Handler) -> Handler:
        is_write = method == "POST" if write is None else write
        ROUTES[("v1.3", method, path)] = Route(method, path, handler, auth, is_write)
        if v12:
            ROUTES[("v1.2", method, v12)] = Route(method, path, handler, auth, is_write)
        return handler

    return register


@dataclass
class Ctx:
    """One request: parsed parameters, the caller's token, and the emulator it runs against."""

    emulator: Emulator
    version: str
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    token: Token | None = None

    @property
    def string_ids(self) -> bool:
        """v1.3 serialises IDs as strings; v1.2 as integers."""
        return self.version != "v1.2"

    def get(self, name: str, default: Any = None) -> Any:
        """A parameter, JSON-decoded leniently when it came as a query string."""
        if name not in self.params:
            return default
        return json_value(self.params[name])

    def advertiser_id(self, name: str = "advertiser_id") -> str:
        """The advertiser the request is about, checked against the token (40106 if not its own)."""
        value = self.get(name)
        if value in (None, "", []):
            raise errors.missing(name)
        adv = str(value).strip()
        self.check_advertiser(adv, name)
        return adv

    def check_advertiser(self, adv: str, field_name: str = "advertiser_id") -> None:
        if not adv.isdigit():
            raise errors.param_error(field_name, f"must be a numeric string, got {adv!r}")
        if self.token is not None and adv not in self.token.advertiser_ids:
            raise errors.ApiError(
                errors.INVALID_CORE_USER,
                f"The access token does not have permission for advertiser_id {adv}.",
            )
        if adv not in self.emulator.store.advertisers:
            raise errors.ApiError(errors.NOT_EXIST, f"advertiser_id {adv} does not exist.")


@dataclass(frozen=True)
class Redirect:
    """A handler result that becomes an HTTP 302 (the OAuth consent page)."""

    location: str


RAW_ROUTES: dict[tuple[str, str], Route] = {}


def raw_route(method: str, full_path: str, *, auth: bool = False):
    """Register a route outside ``/open_api/`` (``/portal/auth``, ``/__emulator/…``, ``/v2/oauth/token/``)."""

    def register(handler: Handler) -> Handler:
        RAW_ROUTES[(method, full_path)] = Route(method, full_path, handler, auth, write=False)
        return handler

    return register
