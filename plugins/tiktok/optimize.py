"""One optimisation cycle for a TikTok advertiser: adops' executor with TikTok as the budget channel.

The executor asks the channel's gate first (token NEEDS_REAUTH → skipped, write circuit open →
paused), so the advertiser's local day is resolved lazily: looking it up is itself an API call that
must not be made for an advertiser whose automation is stopped.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from adops.executor import plan_id_for, run_cycle
from adops.settings import Settings
from adops.settings import load as load_settings
from tiktok.api.client import TikTokClient
from tiktok.automation import halting
from tiktok.budgets import TikTokBudgetChannel
from tiktok.extract import fetch_advertiser, report_window


def optimize_advertiser(client: TikTokClient, advertiser_id: str, interval_end: datetime, *,
                        dag_id: str = "optimize", settings: Settings | None = None,
                        token_store: Any = None) -> dict[str, Any]:
    """Read the mart for the window ending at ``interval_end``, propose budgets, apply them once.

    ``token_store`` (a ``TokenStore``) enables the NEEDS_REAUTH gate for a client with a static token;
    a client with a ``RefreshingTokenProvider`` brings its own store.
    """
    settings = settings or load_settings()

    def end_day() -> date:
        with halting():
            advertiser = fetch_advertiser(client, advertiser_id)
        return report_window(interval_end, 1, advertiser.get("timezone") or "UTC")[1]

    plan_id = plan_id_for(dag_id, advertiser_id, interval_end)
    channel = TikTokBudgetChannel(client, token_store=token_store)
    return asdict(run_cycle(settings, channel, advertiser_id, plan_id, end_day))
