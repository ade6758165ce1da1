"""The same guardrails for every policy: ``adops.guardrails.check_plan`` with the default ``Policy``.

Only verdicts that apply (``allow``, not dry-run) are written. Independently of the checker, every
applied budget is re-checked against the default limits (minimum, per-step and per-day change,
cooldown); anything outside them counts as a guardrail violation.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

from ml.plan import ADGROUP, BUDGET, AccountState, Change, Plan

try:  # helper G1's guardrails; a local clamp to the same limits when they are missing
    from adops.guardrails import GuardContext, Policy, check_plan
    POLICY = Policy()
    SOURCE = "adops.guardrails.check_plan"
except ImportError:  # pragma: no cover - only before G1's module exists
    GuardContext = Policy = check_plan = None  # type: ignore[assignment,misc]
    POLICY = None
    SOURCE = "local clamp"

MIN_BUDGET, MAX_STEP, MAX_DAY, COOLDOWN_H = 20.0, 0.20, 0.50, 2.0


class Guard:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.source = SOURCE
        self.last: dict[str, datetime] = {}
        self.day_start: dict[str, float] = {}
        self.day: object = None
        self.violations = self.not_allowed = self.applied = self.ignored = 0
        self.reasons: dict[str, int] = {}

    def apply(self, state: AccountState, changes: list[Change]) -> dict[str, float]:
        """Budgets to write: the allowed BUDGET changes (other kinds are not applied by the backtest)."""
        self._roll_day(state)
        budgets = [c for c in changes if c.kind == BUDGET and c.level == ADGROUP]
        self.ignored += len(changes) - len(budgets)  # bids / pauses from ml.decide: not simulated here
        if check_plan is not None:
            keys = {(ADGROUP, gid, BUDGET): v for gid, v in self.day_start.items()}
            last = {(ADGROUP, gid, BUDGET): t for gid, t in self.last.items()}
            ctx = GuardContext.from_state(state, day_start=keys, last_applied=last, usd_rate=1.0)
            verdicts = check_plan(Plan(state.account_id, state.now, changes=tuple(budgets)), ctx, POLICY)
            allowed = [v.change for v in verdicts if v.applies]
            for v in verdicts:
                if not v.applies:
                    self.reasons[v.rules[0] if v.rules else v.decision] = self.reasons.get(
                        v.rules[0] if v.rules else v.decision, 0) + 1
            self.not_allowed += len(budgets) - len(allowed)
        else:
            allowed = [c for c in budgets if self._inside(c, state.now)]
            self.not_allowed += len(budgets) - len(allowed)
        out = {}
        for c in allowed:
            self.violations += not self._inside(c, state.now)
            self.last[c.entity_id] = state.now
            out[c.entity_id] = float(c.proposed)
        self.applied += len(out)
        return out

    def _roll_day(self, state: AccountState) -> None:
        today = state.now.astimezone(self.tz).date()
        if today != self.day:
            self.day = today
            self.day_start = {g.adgroup_id: g.budget for g in state.adgroups}

    def _inside(self, c: Change, now: datetime) -> bool:
        cur, new = float(c.current), float(c.proposed)
        start = self.day_start.get(c.entity_id, cur)
        recent = self.last.get(c.entity_id)
        return (new >= MIN_BUDGET - 1e-9 and abs(new - cur) <= MAX_STEP * cur + 0.011
                and abs(new - start) <= MAX_DAY * start + 0.011
                and (recent is None or (now - recent).total_seconds() >= COOLDOWN_H * 3600 - 1))
