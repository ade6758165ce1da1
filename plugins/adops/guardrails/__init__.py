"""Guardrails as data (requirements §12, FR-3; DESIGN convention 9).

Policies are rows in the control-plane DB (``store``); checks are pure functions of (change or plan,
context, policy) returning a ``Verdict`` with human-readable reasons (``checks``, ``plan_checks``).
The cycle builds a ``GuardContext``, calls ``check_plan`` and applies only verdicts whose ``applies``
is true; ``feasible`` tells it to hold an account whose policy no budget can satisfy.
"""
from __future__ import annotations

from .checks import check_change
from .context import ALLOW, APPROVE, BLOCK, GuardContext, Verdict
from .fx import usd_rate
from .plan_checks import Feasibility, check_plan, daily_total, feasible
from .policy import Policy, PolicyError
from .store import StaleVersion, load_policy, policy_history, policy_record, save_policy, set_policy_values

__all__ = ["ALLOW", "APPROVE", "BLOCK", "Feasibility", "GuardContext", "Policy", "PolicyError", "StaleVersion",
           "Verdict", "check_change", "check_plan", "daily_total", "feasible", "load_policy", "policy_history",
           "policy_record", "save_policy", "set_policy_values", "usd_rate"]
