"""Where rate-limit state lives: in this process (default) or in Redis (shared by every worker).

Both backends answer the same question atomically for a *set* of keys (app+path and
advertiser+path): "may one more request go now, and if not, how long until it may?". A request
consumes from every key or from none, so a refusal on the advertiser key never burns an app token.
Each key is a token bucket (smooths bursts) plus hard sliding windows (TikTok counts calls per second
and per minute, so a bucket alone could let 2x the QPS into one of TikTok's seconds).
A penalty (after TikTok still answered a throttle code) scales a key's limits down for a while.

The Redis backend also holds the shared in-flight cap (``shared_slots``): a counting semaphore whose
holders are members of one sorted set scored by lease expiry. Acquire (purge expired holders, then
add if fewer than the cap) and release are single Lua scripts, so the cap holds across every worker,
and a worker killed mid-request gives its slot back when the lease runs out instead of leaking it.
The in-process backend has no such thing: the limiter's own counter is the cap there.
"""
from __future__ import annotations

import bisect
import itertools
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from tiktok.api.ratelimit_config import KeyLimit

PREFIX = "adops:rl"
DEBOUNCE_S = 1.0
MIN_FACTOR = 0.05


@dataclass(frozen=True)
class Decision:
    """``ok``: the request was admitted (and counted). Otherwise ``wait`` seconds until it may be."""

    ok: bool
    wait: float = 0.0
    tokens_left: float = 0.0


def _scaled(limit: KeyLimit, factor: float) -> KeyLimit:
    if factor >= 1.0:
        return limit
    windows = tuple((length, max(1.0, float(int(cap * factor)))) for length, cap in limit.windows)
    return KeyLimit(limit.key, limit.rate * factor, max(1.0, limit.burst * factor), windows)


class _KeyState:
    __slots__ = ("tokens", "stamp", "log")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens, self.stamp, self.log = tokens, stamp, []

    def check(self, limit: KeyLimit, now: float) -> tuple[float, float]:
        """(seconds to wait, tokens available now) without consuming anything."""
        tokens = min(limit.burst, self.tokens + max(0.0, now - self.stamp) * limit.rate)
        wait = (1.0 - tokens) / limit.rate if tokens < 1.0 else 0.0
        longest = max((length for length, _ in limit.windows), default=0.0)
        del self.log[: bisect.bisect_right(self.log, now - longest)]
        for length, cap in limit.windows:
            start = bisect.bisect_right(self.log, now - length)
            if len(self.log) - start >= cap:
                oldest_needed = self.log[len(self.log) - int(cap)]
                wait = max(wait, oldest_needed + length - now)
        return wait, tokens

    def take(self, tokens: float, now: float) -> None:
        self.tokens, self.stamp = tokens - 1.0, now
        self.log.append(now)


class MemoryBackend:
    """Thread-safe state for one process (tests, ``make run``, a single worker)."""

    shared_slots = False  # the in-flight cap is the limiter's own per-process counter

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, _KeyState] = {}
        self._penalties: dict[str, tuple[float, float]] = {}  # key -> (factor, until)
        self._last_penalty: dict[str, float] = {}

    def try_acquire(self, limits: list[KeyLimit], now: float) -> Decision:
        with self._lock:
            checks = []
            for raw in limits:
                limit = _scaled(raw, self._factor(raw.key, now))
                state = self._keys.setdefault(raw.key, _KeyState(limit.burst, now))
                checks.append((state, *state.check(limit, now)))
            wait = max((w for _, w, _ in checks), default=0.0)
            if wait > 0:
                return Decision(False, wait)
            for state, _, tokens in checks:
                state.take(tokens, now)
            return Decision(True, 0.0, min((t - 1.0 for _, _, t in checks), default=0.0))

    def penalize(self, key: str, factor: float, seconds: float, now: float) -> None:
        """Scale ``key``'s limits by ``factor`` for ``seconds`` and empty its bucket.

        Penalties compound, but at most once per ``DEBOUNCE_S``: eight threads throttled in the same
        second are one signal, not eight halvings.
        """
        with self._lock:
            if now - self._last_penalty.get(key, float("-inf")) < DEBOUNCE_S:
                return
            self._last_penalty[key] = now
            current = self._factor(key, now)
            self._penalties[key] = (max(MIN_FACTOR, current * factor), now + seconds)
            if key in self._keys:
                self._keys[key].tokens, self._keys[key].stamp = 0.0, now

    def factor(self, key: str, now: float) -> float:
        with self._lock:
            return self._factor(key, now)

    def _factor(self, key: str, now: float) -> float:
        factor, until = self._penalties.get(key, (1.0, 0.0))
        return factor if now < until else 1.0


_LUA = """
local now = tonumber(ARGV[1]); local member = ARGV[2]; local ttl = tonumber(ARGV[3])
local n = #KEYS / 3
local wait = 0; local states = {}
for i = 0, n - 1 do
  local bk, lk, pk = KEYS[3*i+1], KEYS[3*i+2], KEYS[3*i+3]
  local a = 3 + 6*i
  local f = tonumber(redis.call('GET', pk) or '1')
  local rate = tonumber(ARGV[a+1]) * f
  local burst = math.max(1, tonumber(ARGV[a+2]) * f)
  local b = redis.call('HMGET', bk, 't', 'ts')
  local tokens = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  if tokens < 1 then wait = math.max(wait, (1 - tokens) / rate) end
  local longest = 0
  for w = 0, 1 do
    local len = tonumber(ARGV[a+3+2*w]); local cap = tonumber(ARGV[a+4+2*w])
    if cap > 0 then
      cap = math.max(1, math.floor(cap * f))
      if len > longest then longest = len end
      local cnt = redis.call('ZCOUNT', lk, '(' .. (now - len), '+inf')
      if cnt >= cap then
        local r = redis.call('ZRANGEBYSCORE', lk, '(' .. (now - len), '+inf', 'WITHSCORES', 'LIMIT', cnt - cap, 1)
        wait = math.max(wait, tonumber(r[2]) + len - now)
      end
    end
  end
  states[i+1] = {bk, lk, tokens, longest}
end
if wait > 0 then return {0, tostring(wait), '0'} end
local left = nil
for _, s in ipairs(states) do
  redis.call('HSET', s[1], 't', tostring(s[3] - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', s[1], ttl)
  redis.call('ZREMRANGEBYSCORE', s[2], '-inf', now - s[4])
  redis.call('ZADD', s[2], now, member)
  redis.call('PEXPIRE', s[2], ttl)
  if left == nil or s[3] - 1 < left then left = s[3] - 1 end
end
return {1, '0', tostring(left or 0)}
"""

_PENALIZE_LUA = """
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[5]) then return '' end
local f = tonumber(redis.call('GET', KEYS[1]) or '1') * tonumber(ARGV[1])
if f < 0.05 then f = 0.05 end
redis.call('SET', KEYS[1], tostring(f), 'PX', ARGV[2])
redis.call('HSET', KEYS[2], 't', '0', 'ts', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return tostring(f)
"""

_SLOT_ACQUIRE_LUA = """
local now = tonumber(ARGV[1]); local cap = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= cap then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[4]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

_SLOT_RELEASE_LUA = """
return redis.call('ZREM', KEYS[1], ARGV[1])
"""


class RedisBackend:
    """State in Redis, shared by every process that uses the same ``namespace``.

    One Lua script checks and consumes all keys atomically; keys are ``{prefix}:{namespace}:…`` and
    expire a little after the longest window, so an idle key costs nothing. Times come from the
    caller's wall clock (``time.time``), which every worker on the same hosts shares.

    ``{prefix}:{namespace}:slots`` is the shared in-flight semaphore; ``lease_s`` is how long a slot
    stays taken without a release (longer than any request: the client's HTTP timeout is 60 s).
    """

    shared_slots = True

    def __init__(self, client: Any, namespace: str = "default", prefix: str = PREFIX, ttl_s: float = 120.0,
                 lease_s: float = 120.0) -> None:
        if lease_s <= 0:
            raise ValueError(f"rate_limit.lease_s: must be > 0, got {lease_s}")
        self.redis = client
        self.prefix = f"{prefix}:{namespace}"
        self.ttl_ms = int(ttl_s * 1000)
        self.lease_s = float(lease_s)
        self.slots_key = f"{self.prefix}:slots"
        self._acquire = client.register_script(_LUA)
        self._penalize = client.register_script(_PENALIZE_LUA)
        self._slot_acquire = client.register_script(_SLOT_ACQUIRE_LUA)
        self._slot_release = client.register_script(_SLOT_RELEASE_LUA)
        self._ids = itertools.count()
        self._pid = f"{os.getpid()}-{id(self):x}"

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisBackend:
        import redis

        return cls(redis.Redis.from_url(url), **kwargs)

    def _keys(self, key: str) -> list[str]:
        return [f"{self.prefix}:b:{key}", f"{self.prefix}:w:{key}", f"{self.prefix}:p:{key}"]

    def try_acquire(self, limits: list[KeyLimit], now: float) -> Decision:
        keys: list[str] = []
        args: list[Any] = [repr(now), f"{self._pid}-{next(self._ids)}", self.ttl_ms]
        for limit in limits:
            keys += self._keys(limit.key)
            windows = list(limit.windows[:2]) + [(0.0, 0.0)] * (2 - len(limit.windows[:2]))
            args += [limit.rate, limit.burst] + [v for pair in windows for v in pair]
        ok, wait, left = self._acquire(keys=keys, args=args)
        return Decision(bool(int(ok)), float(wait), float(left))

    def penalize(self, key: str, factor: float, seconds: float, now: float) -> None:
        bucket, _, penalty = self._keys(key)
        self._penalize(keys=[penalty, bucket, penalty + ":debounce"],
                       args=[factor, int(seconds * 1000), repr(now), self.ttl_ms, int(DEBOUNCE_S * 1000)])

    def factor(self, key: str, now: float) -> float:
        value = self.redis.get(self._keys(key)[2])
        return float(value) if value is not None else 1.0

    # ---- shared in-flight semaphore -------------------------------------------------------------
    def new_holder(self) -> str:
        """A holder id unique across processes (and forks of this one)."""
        return f"{os.getpid()}-{uuid.uuid4().hex}"

    def acquire_slot(self, holder: str, cap: int, now: float) -> bool:
        """Take one of ``cap`` shared slots for ``holder`` until ``now + lease_s``; False when all are taken."""
        expiry = now + self.lease_s
        ok = self._slot_acquire(keys=[self.slots_key],
                                args=[repr(now), holder, int(cap), repr(expiry), int(self.lease_s * 1000) + 1000])
        return bool(int(ok))

    def release_slot(self, holder: str) -> None:
        self._slot_release(keys=[self.slots_key], args=[holder])

    def slots_in_use(self, now: float) -> int:
        """Holders whose lease has not run out (what an acquire at ``now`` would count)."""
        return int(self.redis.zcount(self.slots_key, f"({now!r}", "+inf"))
