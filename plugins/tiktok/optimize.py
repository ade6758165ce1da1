"""One optimisation cycle for a TikTok advertiser: adops' executor with TikTok as the budget channel."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from adops.executor import plan_id_for, run_cycle
from adops.settings import Settings
from adops.settings import load as load_settings
from tiktok.api.client import TikTokClient
from tiktok.budgets import TikTokBudgetChannel
from tiktok.extract import fetch_advertiser, report_window


def optimize_advertiser(client: TikTokClient, advertiser_id: str, interval_end: datetime, *,
                        dag_id: str = "optimize", settings: Settings | None = None) -> dict[str, Any]:
    """Read the mart for the window ending at ``interval_end``, propose budgets, apply them once."""
    settings = settings or load_settings()
    advertiser = fetch_advertiser(client, advertiser_id)
    _, end_day = report_window(interval_end, 1, advertiser.get("timezone") or "UTC")
    plan_id = plan_id_for(dag_id, advertiser_id, interval_end)
    return asdict(run_cycle(settings, TikTokBudgetChannel(client), advertiser_id, plan_id, end_day))
