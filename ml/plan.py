"""The seam between the decision code (``ml``) and the cycle that checks and applies it (``adops``).

``ml`` reads an ``AccountState`` (numbers from the marts, no API, no warehouse) and answers a
``Plan``: absolute target values per entity with the reason and the model's prediction. ``adops``
checks every ``Change`` against the guardrail policies, applies what passes, asks for approval for
the rest and records all of it. Nothing here knows TikTok: ids are strings, money is in the
account's currency, ``kind`` names a generic lever.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

BUDGET, BID, BID_MODE, STATUS = "budget", "bid", "bid_mode", "status"  # the levers a plan may pull
CAMPAIGN, ADGROUP, AD = "campaign", "adgroup", "ad"
COST_CAP, MAX_DELIVERY = "cost_cap", "max_delivery"  # bid modes (TikTok has no tROAS: CPA only)
ENABLED, PAUSED = "enabled", "paused"


@dataclass(frozen=True)
class DayObs:
    """One ad group (or ad) day from the marts; ``conversions`` may still grow (late conversions)."""

    day: date
    spend: float
    conversions: float
    impressions: float = 0.0
    clicks: float = 0.0
    budget: float | None = None


@dataclass(frozen=True)
class HourObs:
    """One ad group hour (UTC start) from ``fct_ad_performance_hourly`` summed to the ad group."""

    hour: datetime
    spend: float
    conversions: float
    impressions: float = 0.0


@dataclass(frozen=True)
class AdState:
    ad_id: str
    status: str = ENABLED
    days: tuple[DayObs, ...] = ()           # trailing days, oldest first
    impressions_total: float = 0.0           # lifetime impressions (creative fatigue)
    hook_rate: float | None = None           # 2-second views / impressions, from fct_creative_performance
    text: str = ""                           # ad text, for brand-safety checks of anything a plan writes


@dataclass(frozen=True)
class AdGroupState:
    adgroup_id: str
    campaign_id: str
    budget: float                            # current daily budget
    status: str = ENABLED
    bid_mode: str = MAX_DELIVERY
    bid: float | None = None                 # current Cost Cap (None under Maximum Delivery)
    created: datetime | None = None
    last_changed: datetime | None = None     # last budget/bid write the platform made (cooldowns, learning)
    bid_changed: datetime | None = None      # last bid / bid-mode write (bid cooldown; None: unknown)
    days: tuple[DayObs, ...] = ()            # trailing days, oldest first (fct_adgroup_features_daily)
    hours: tuple[HourObs, ...] = ()          # today's and yesterday's hours, oldest first
    ads: tuple[AdState, ...] = ()
    day_start_budget: float | None = None    # budget at the start of the local day (per-day change limits)


@dataclass(frozen=True)
class AccountState:
    """Everything one decision needs for one advertiser, as of ``now`` (the run's data interval end)."""

    account_id: str
    now: datetime
    timezone: str
    currency: str
    daily_budget: float                      # the advertiser's total daily budget to allocate
    target_cpa: float
    adgroups: tuple[AdGroupState, ...] = ()
    campaign_budgets: dict[str, float] = field(default_factory=dict)  # campaign id -> daily budget (if any)


@dataclass(frozen=True)
class Prediction:
    """What the fitted models expect per day under the plan: a central value and a 90 % interval."""

    spend: float
    conversions: float
    conversions_low: float
    conversions_high: float

    @property
    def cpa(self) -> float | None:
        return self.spend / self.conversions if self.conversions > 0 else None

    @property
    def cpa_interval(self) -> tuple[float | None, float | None]:
        low = self.spend / self.conversions_high if self.conversions_high > 0 else None
        high = self.spend / self.conversions_low if self.conversions_low > 0 else None
        return low, high


@dataclass(frozen=True)
class Change:
    """One lever set to an absolute value (never a delta: a repeated write is harmless)."""

    kind: str                                # BUDGET | BID | BID_MODE | STATUS
    level: str                               # CAMPAIGN | ADGROUP | AD
    entity_id: str
    current: Any
    proposed: Any
    reason: str
    campaign_id: str | None = None
    adgroup_id: str | None = None
    text: str = ""                           # any text the change would publish (names, ad text)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.level, self.entity_id, self.kind)


@dataclass(frozen=True)
class Plan:
    account_id: str
    now: datetime
    changes: tuple[Change, ...] = ()
    current: Prediction | None = None        # predicted outcome of keeping today's settings
    predicted: Prediction | None = None      # predicted outcome of the plan (the what-if)
    params: dict[str, Any] = field(default_factory=dict)   # model settings, for the MLflow run
    metrics: dict[str, float] = field(default_factory=dict)
    held: str = ""                           # non-empty: the account was held (no data, stale, infeasible)
