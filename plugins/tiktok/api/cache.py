"""A TTL cache in front of the client (requirements 23.12): fewer calls against a tight quota.

Advertiser info changes rarely (1 h), entity lists are read by every optimisation pass (15 min) and
metrics are never cached: a stale spend figure would steer budgets. Keys are (endpoint, canonical
params), so the same query asked with keys in another order is one entry. A write through the
wrapper drops the cached lists it can have changed for that advertiser (a campaign status change
also moves its ad groups' and ads' secondary status); it does so even when the write failed or
its outcome is unknown, since it may have been applied. The clock is injected so tests are instant.

The wrapper stands in for the client anywhere one is handed out, so it behaves like one: attribute
reads *and writes* (``retry_policy``, ``token_provider``, ``limiter``, ``breakers``…) reach the wrapped
client, and ``copy.copy`` copies the wrapped client too (the outbox turns retries off on its copy;
that must not turn them off for everyone else). Code that must see TikTok's current state, never a
cached answer (the outbox's look-up before a send), reads through ``uncached(client)``.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tiktok.api.batching import iter_pages
from tiktok.api.endpoints import endpoint
from tiktok.api.idempotency import canonical_json

HOUR, QUARTER_HOUR = 3600.0, 900.0
# Safe for every caller: advertiser info (name, currency, time zone) is not what a write depends on.
INFO_TTLS: dict[str, float] = {"advertiser.info": HOUR}
# Entity lists as well: only for read-only paths, a write's look-up must never see a stale list.
DEFAULT_TTLS: dict[str, float] = {
    **INFO_TTLS,
    "campaign.get": QUARTER_HOUR,
    "adgroup.get": QUARTER_HOUR,
    "ad.get": QUARTER_HOUR,
}
# First segment of a write's logical name → the cached reads it can change.
INVALIDATES: dict[str, tuple[str, ...]] = {
    "campaign": ("campaign.get", "adgroup.get", "ad.get"),
    "adgroup": ("adgroup.get", "ad.get"),
    "ad": ("ad.get",),
    "advertiser": ("advertiser.info",),
}
CacheKey = tuple[str, str]


def cache_key(name: str, params: dict[str, Any] | None) -> CacheKey:
    """(endpoint, canonical JSON of the params): key order and 200 vs 200.0 do not matter."""
    return name, canonical_json(params or {})


@dataclass
class _Entry:
    expires: float
    value: Any
    advertiser_id: str | None


class TTLCache:
    """Entries that expire ``ttl`` seconds after they were stored, by an injectable monotonic clock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[CacheKey, _Entry] = {}

    def get(self, key: CacheKey) -> tuple[bool, Any]:
        """(hit, value); expired entries are dropped on the way."""
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        if self.clock() >= entry.expires:
            self._entries.pop(key, None)  # pop: another thread may have dropped it already
            return False, None
        return True, copy.deepcopy(entry.value)

    def put(self, key: CacheKey, value: Any, ttl: float, advertiser_id: str | None = None) -> None:
        self._entries[key] = _Entry(self.clock() + ttl, copy.deepcopy(value), advertiser_id)

    def invalidate(self, names: tuple[str, ...] | None = None, advertiser_id: str | None = None) -> int:
        """Drop entries of the given endpoints (all when None) for one advertiser (all when None)."""
        doomed = [k for k, e in self._entries.items()
                  if (names is None or k[0] in names)
                  and (advertiser_id is None or e.advertiser_id in (None, advertiser_id))]
        for key in doomed:
            self._entries.pop(key, None)
        return len(doomed)

    def __len__(self) -> int:
        return len(self._entries)


class CachingClient:
    """Wraps a ``TikTokClient`` (composition, not an edit): cached reads, invalidating writes.

    Anything else (``advertiser_ids``, ``root``, ``calls``…) is read through from, and written
    through to, the wrapped client; only the wrapper's own fields (``OWN``) live on the wrapper.
    """

    OWN = frozenset({"client", "ttls", "cache", "hits", "misses"})

    def __init__(self, client: Any, *, clock: Callable[[], float] = time.monotonic,
                 ttls: dict[str, float] | None = None, cache: TTLCache | None = None) -> None:
        self.client = client
        self.ttls = dict(DEFAULT_TTLS if ttls is None else ttls)
        self.cache = cache if cache is not None else TTLCache(clock)  # an empty cache is falsy
        self.hits = self.misses = 0

    def call(self, name: str, params: dict[str, Any] | None = None, *,
             idempotency_key: str | None = None, **options: Any) -> Any:
        """Serve a cacheable read from the cache; pass everything else (and ``priority=``) through."""
        if endpoint(name).is_write:
            return self._write(name, params, idempotency_key, options)
        ttl = self.ttls.get(name)
        if not ttl:
            return self.client.call(name, params, idempotency_key=idempotency_key, **options)
        key = cache_key(name, params)
        hit, value = self.cache.get(key)
        if hit:
            self.hits += 1
            return value
        self.misses += 1
        value = self.client.call(name, params, idempotency_key=idempotency_key, **options)
        self.cache.put(key, value, ttl, _advertiser_of(params))
        return value

    def _write(self, name: str, params: dict[str, Any] | None, idempotency_key: str | None,
               options: dict[str, Any]) -> Any:
        try:
            return self.client.call(name, params, idempotency_key=idempotency_key, **options)
        finally:
            affected = INVALIDATES.get(name.split(".", 1)[0])
            if affected:
                self.cache.invalidate(affected, _advertiser_of(params))

    def paginate(self, name: str, params: dict[str, Any], *, page_size: int = 1000,
                 list_key: str = "list") -> Iterator[dict[str, Any]]:
        """Like ``TikTokClient.paginate`` but every page goes through the cache."""
        return iter_pages(self, name, params, page_size=page_size, list_key=list_key)

    def invalidate(self, names: tuple[str, ...] | None = None, advertiser_id: str | None = None) -> int:
        return self.cache.invalidate(names, advertiser_id)

    @property
    def uncached(self) -> Any:
        """The wrapped client itself (unwrapped all the way down): reads that must reach TikTok."""
        return uncached(self.client)

    def __copy__(self) -> CachingClient:
        """A wrapper around a copy of the wrapped client, sharing the cache.

        Settings changed on the copy (``retry_policy = no_retry()``) stay on the copy; the cache is
        shared so that a write through the copy still drops the entries the original would serve.
        """
        twin = object.__new__(type(self))
        for name in self.OWN:
            object.__setattr__(twin, name, getattr(self, name))
        object.__setattr__(twin, "client", copy.copy(self.client))
        object.__setattr__(twin, "ttls", dict(self.ttls))
        return twin

    def __getattr__(self, attr: str) -> Any:
        if attr in CachingClient.OWN:  # not set yet (copy/pickle): avoid recursing into ourselves
            raise AttributeError(attr)
        return getattr(self.client, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr in CachingClient.OWN:
            object.__setattr__(self, attr, value)
        else:
            setattr(self.client, attr, value)


def uncached(client: Any) -> Any:
    """``client`` without any caching wrapper around it (itself when it has none)."""
    while isinstance(client, CachingClient):
        client = client.client
    return client


def _advertiser_of(params: dict[str, Any] | None) -> str | None:
    """The advertiser an entry or write belongs to; ``advertiser_ids`` reads stay advertiser-less."""
    value = (params or {}).get("advertiser_id")
    return None if value is None else str(value)
