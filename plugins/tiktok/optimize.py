"""One optimisation cycle for a TikTok advertiser: ``adops.cycle`` with TikTok as the write channel.

The cycle asks the channel's gate first (token NEEDS_REAUTH → skipped, write circuit open → paused),
then reads the marts, decides, checks the guardrails and writes the allowed changes through
``tiktok.changes.TikTokChangeChannel`` (batched, through the outbox in the control-plane DB).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from adops.cycle import run_cycle
from adops.db import make_engine, migrate
from adops.executor import plan_id_for
from adops.outbox import OutboxStore
from adops.settings import Settings
from adops.settings import load as load_settings
from tiktok.api.client import TikTokClient
from tiktok.changes import TikTokChangeChannel


def change_channel(client: TikTokClient, settings: Settings, *, token_store: Any = None) -> TikTokChangeChannel:
    """The cycle's TikTok writer, its outbox in the control-plane DB named by ``settings``."""
    migrate(settings.control_db_url)
    return TikTokChangeChannel(client, OutboxStore(make_engine(settings.control_db_url)), token_store=token_store)


def optimize_advertiser(client: TikTokClient, advertiser_id: str, interval_end: datetime, *,
                        dag_id: str = "optimize", settings: Settings | None = None, token_store: Any = None,
                        decide: Callable[..., Any] | None = None, seed: int = 0) -> dict[str, Any]:
    """The cycle for the window ending at ``interval_end`` (its plan id), as a plain dict for XCom.

    ``token_store`` (a ``TokenStore``) enables the NEEDS_REAUTH gate for a client with a static token;
    a client with a ``RefreshingTokenProvider`` brings its own store.
    """
    settings = settings or load_settings()
    plan_id = plan_id_for(dag_id, advertiser_id, interval_end)
    now = datetime.fromtimestamp(interval_end.timestamp(), UTC)  # a plain datetime (Airflow passes pendulum)
    channel = change_channel(client, settings, token_store=token_store)
    try:
        result = run_cycle(settings, channel, str(advertiser_id), plan_id, now, decide=decide, seed=seed)
    finally:
        channel.store.engine.dispose()
    return asdict(result)
