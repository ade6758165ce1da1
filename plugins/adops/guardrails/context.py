"""What the checks read besides the plan and the policy, and what they answer.

``GuardContext`` is a plain snapshot (the cycle fills it from the account state and the change log),
so every check stays a pure function of (change or plan, context, policy). ``Verdict`` is the answer
for one change: a decision and the human-readable reasons behind it, ready for the change log.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ml.plan import AD, ADGROUP, BID, BID_MODE, BUDGET, CAMPAIGN, ENABLED, STATUS, AccountState, Change

from .fx import usd_rate as _usd_rate

ALLOW, APPROVE, BLOCK = "allow", "approve", "block"
_RANK = {ALLOW: 0, APPROVE: 1, BLOCK: 2}
Key = tuple[str, str, str]  # (level, entity id, kind), as ``Change.key``


@dataclass(frozen=True)
class GuardContext:
    """The account as the checks see it at ``now``.

    ``day_start`` and ``last_applied`` are keyed like ``Change.key``: the value the lever had at the
    start of the account's local day and when a change to it was last applied (both from the change
    log; a key missing from ``day_start`` means "unchanged today", i.e. its current value).
    ``budgets`` and ``statuses`` are keyed by (level, entity id). ``usd_rate`` converts the policy's
    USD minimums into the account currency (USD per unit of ``currency``).
    """

    now: datetime
    daily_budget: float | None = None
    day_start: Mapping[Key, Any] = field(default_factory=dict)
    last_applied: Mapping[Key, datetime] = field(default_factory=dict)
    campaign_of: Mapping[str, str] = field(default_factory=dict)
    budgets: Mapping[tuple[str, str], float] = field(default_factory=dict)
    statuses: Mapping[tuple[str, str], str] = field(default_factory=dict)
    target_cpa: float | None = None
    currency: str = "USD"
    usd_rate: float = 1.0

    @classmethod
    def from_state(cls, state: AccountState, *, day_start: Mapping[Key, Any] | None = None,
                   last_applied: Mapping[Key, datetime] | None = None, usd_rate: float | None = None) -> GuardContext:
        """The context for ``state``; an ad group's ``last_changed`` stands in for a missing change-log time."""
        budgets: dict[tuple[str, str], float] = {(CAMPAIGN, c): b for c, b in state.campaign_budgets.items()}
        statuses: dict[tuple[str, str], str] = {}
        applied: dict[Key, datetime] = {}
        for ag in state.adgroups:
            budgets[(ADGROUP, ag.adgroup_id)] = ag.budget
            statuses[(ADGROUP, ag.adgroup_id)] = ag.status
            for ad in ag.ads:
                statuses[(AD, ad.ad_id)] = ad.status
            if ag.last_changed is not None:
                applied[(ADGROUP, ag.adgroup_id, BUDGET)] = ag.last_changed
                applied[(ADGROUP, ag.adgroup_id, BID)] = ag.last_changed
        applied.update(last_applied or {})
        rate = usd_rate if usd_rate is not None else _usd_rate(state.currency)
        return cls(now=state.now, daily_budget=state.daily_budget, day_start=dict(day_start or {}),
                   last_applied=applied, campaign_of={ag.adgroup_id: ag.campaign_id for ag in state.adgroups},
                   budgets=budgets, statuses=statuses, target_cpa=state.target_cpa, currency=state.currency,
                   usd_rate=rate)


@dataclass(frozen=True)
class Verdict:
    """The decision for one change and why.

    ``decision`` is ``allow`` (inside policy: apply automatically), ``approve`` (outside policy: a
    human decides) or ``block`` (never: kill switch, below a minimum, NG words, bid outside the band,
    infeasible policy, invalid value). ``rules`` names the rule behind each reason, in the same order.
    ``dry_run`` marks an ``allow`` under a dry-run policy: the cycle records it (outcome ``dry_run``)
    and does not send it — ``applies`` is the one flag the cycle needs to look at.
    """

    change: Change
    decision: str
    reasons: tuple[str, ...]
    rules: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def applies(self) -> bool:
        """True when this change may be written to the platform now, without a human."""
        return self.decision == ALLOW and not self.dry_run


def worst(decisions: list[str]) -> str:
    """The strictest of ``decisions`` (block > approve > allow); allow when there are none."""
    return max(decisions, key=_RANK.__getitem__, default=ALLOW)


LEVERS = {BUDGET, BID, BID_MODE, STATUS}
LEVELS = {CAMPAIGN, ADGROUP, AD}
DEFAULT_STATUS = ENABLED
