"""One outbox channel over many advertisers, each written with its own token.

Why: the outbox worker has one channel per medium, but a TikTok client carries one token provider,
and an OAuth token belongs to one (app, advertiser) grant. So the TikTok channel the worker sees
routes each intent, by ``account_id``, to a ``TikTokWriteChannel`` whose client refreshes that
advertiser's stored token, or to the shared channel on the static long-lived token. The choice is
made on an advertiser's first intent and kept for the life of the process (a consent given later is
picked up at the next start). An advertiser with no token at all is *skipped*, not failed: its
intents wait, unchanged, until a token is configured.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from adops.automation import Gate
from adops.outbox import Deferred, Found, Intent, Sent
from tiktok.outbox.channel import TikTokWriteChannel

NO_TOKEN = "no TikTok token for advertiser {account}: run `adops auth consent-url` or set TIKTOK_ACCESS_TOKEN"
ChannelFor = Callable[[str], "TikTokWriteChannel | None"]


class AccountChannels:
    """The outbox ``Channel`` protocol, delegated per advertiser to the channel ``build(account_id)`` returns.

    ``build`` may return the same channel for many advertisers (the static-token one) or ``None``
    when it has no token for that advertiser.
    """

    def __init__(self, build: ChannelFor) -> None:
        self._build = build
        self._channels: dict[str, TikTokWriteChannel | None] = {}
        self._lock = threading.Lock()

    def channel_for(self, account_id: str) -> TikTokWriteChannel | None:
        key = str(account_id)
        with self._lock:
            if key not in self._channels:
                self._channels[key] = self._build(key)
            return self._channels[key]

    def automation_allowed(self, account_id: str) -> Gate:
        channel = self.channel_for(account_id)
        if channel is None:
            return Gate.skipped(NO_TOKEN.format(account=account_id))
        return channel.automation_allowed(account_id)

    def lookup(self, intent: Intent) -> Found | None:
        return self._require(intent).lookup(intent)

    def send(self, intent: Intent) -> Sent:
        return self._require(intent).send(intent)

    def _require(self, intent: Intent) -> TikTokWriteChannel:
        channel = self.channel_for(intent.account_id)
        if channel is None:  # the worker asks the gate first; this guards direct callers
            raise Deferred(NO_TOKEN.format(account=intent.account_id), {"account_id": intent.account_id})
        return channel
