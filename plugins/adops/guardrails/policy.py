"""The guardrail policy: every limit the optimiser must respect, as one validated, immutable value.

Defaults come from requirements §12 and FR-3. Policies are data (rows in the control-plane DB, see
``store``), so they are built from plain mappings (JSON rows, ``key=value`` from the CLI) and checked
on construction: a bad value raises ``PolicyError`` naming the field and the fix, before anything is
stored or any change is judged by it.

Money: ``campaign_min_budget`` and ``adgroup_min_budget`` are in **USD** (the requirements state them
in dollars) and are converted to the account currency with the FX seed (``dbt/seeds/fx_rates.csv``,
see ``fx.usd_rate``); ``target_cpa`` and ``monthly_budget`` are per-account figures in the **account
currency**.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ml.plan import BID, BID_MODE, BUDGET, STATUS

KINDS = (BUDGET, BID, BID_MODE, STATUS)


class PolicyError(ValueError):
    """A policy value that cannot be used; the message names the field and how to fix it."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key, self.problem = key, problem


@dataclass(frozen=True)
class Policy:
    """Limits for one account (or the global default ``*``); see the module docstring for units."""

    campaign_min_budget: float = 50.0        # USD per day (§12 Campaign最低予算)
    adgroup_min_budget: float = 20.0         # USD per day (§12 AdGroup最低予算)
    daily_burn_share: float = 0.05           # total daily budget ≤ this share of monthly_budget (§12)
    monthly_budget: float | None = None      # account currency; None: no burn cap
    max_step_change: float = 0.20            # per change, vs the current value (TikTok re-learns at 30 %)
    max_day_change: float = 0.50             # per local day, vs the value at the start of the day
    bid_band: float = 0.30                   # Cost Cap within target CPA × (1 ± bid_band) (§12)
    target_cpa: float | None = None          # account currency; None: the account state's target
    budget_cooldown_h: float = 2.0           # hours between two budget changes of one entity
    bid_cooldown_h: float = 24.0             # hours between two bid / bid-mode changes of one entity
    status_cooldown_h: float = 0.0           # hours between two status changes (0: pausing is never delayed)
    ng_words: tuple[str, ...] = ()           # brand safety: no change may publish text containing these
    kill_switch: bool = False                # True: every change is blocked
    dry_run: bool = False                    # True: allowed changes are recorded, never sent
    auto_apply: frozenset[str] = field(default_factory=lambda: frozenset(KINDS))  # kinds applied without a human

    def __post_init__(self) -> None:
        # accept lists and sets from callers; store the hashable forms the frozen dataclass promises
        if isinstance(self.ng_words, list | set | frozenset):
            object.__setattr__(self, "ng_words", tuple(sorted(self.ng_words)))
        if isinstance(self.auto_apply, list | tuple | set):
            object.__setattr__(self, "auto_apply", frozenset(self.auto_apply))
        _validate(self)


# ---- validation ---------------------------------------------------------------------------------
def _finite(p: Policy, key: str, *, low: float = 0.0, high: float = math.inf, optional: bool = False) -> None:
    value = getattr(p, key)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PolicyError(key, f"{value!r} is not a number; give a finite number, e.g. {key}={_example(key)}")
    if not low <= value <= high:
        span = f"between {low:g} and {high:g}" if math.isfinite(high) else f"at least {low:g}"
        raise PolicyError(key, f"{value:g} is out of range; it must be {span}")


def _positive(p: Policy, key: str) -> None:
    value = getattr(p, key)
    if value is not None and value <= 0:
        raise PolicyError(key, f"{value:g} must be greater than 0 (or unset it to use the default)")


def _validate(p: Policy) -> None:
    for key in ("campaign_min_budget", "adgroup_min_budget", "budget_cooldown_h", "bid_cooldown_h",
                "status_cooldown_h"):
        _finite(p, key)
    for key in ("daily_burn_share", "max_step_change", "max_day_change"):
        _finite(p, key, high=1.0)
        _positive(p, key)
    _finite(p, "bid_band", high=0.99)
    for key in ("monthly_budget", "target_cpa"):
        _finite(p, key, optional=True)
        _positive(p, key)
    if p.max_step_change > p.max_day_change:
        raise PolicyError("max_step_change", f"{p.max_step_change:g} exceeds max_day_change {p.max_day_change:g}; "
                                             "a single step cannot be larger than the whole day's change")
    if not isinstance(p.ng_words, tuple) or not all(isinstance(w, str) and w.strip() for w in p.ng_words):
        raise PolicyError("ng_words", "must be a list of non-empty words, e.g. ng_words=free,guaranteed")
    for key in ("kill_switch", "dry_run"):
        if not isinstance(getattr(p, key), bool):
            raise PolicyError(key, f"{getattr(p, key)!r} is not true/false")
    unknown = set(p.auto_apply) - set(KINDS) if isinstance(p.auto_apply, frozenset) else {"?"}
    if unknown:
        raise PolicyError("auto_apply", f"unknown kinds {sorted(map(str, unknown))}; choose from {', '.join(KINDS)}, "
                                        "'all' or 'none'")


_EXAMPLES = {"campaign_min_budget": "50", "adgroup_min_budget": "20", "daily_burn_share": "0.05",
             "monthly_budget": "30000", "max_step_change": "0.2", "max_day_change": "0.5", "bid_band": "0.3",
             "target_cpa": "25", "budget_cooldown_h": "2", "bid_cooldown_h": "24", "status_cooldown_h": "0"}


def _example(key: str) -> str:
    return _EXAMPLES.get(key, "1")


# ---- plain values in and out (rows, CLI) ---------------------------------------------------------
FIELDS: dict[str, Any] = {f.name: f for f in fields(Policy)}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_NONE = {"", "none", "null", "unset"}


def coerce(key: str, value: Any) -> Any:
    """``value`` (a JSON value or a CLI string) as the Python type field ``key`` holds."""
    if key not in FIELDS:
        raise PolicyError(key, f"unknown policy key; known keys: {', '.join(FIELDS)}")
    if key in ("kill_switch", "dry_run"):
        return _bool(key, value)
    if key == "ng_words":
        return _words(value)
    if key == "auto_apply":
        return _kinds(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _NONE and key in ("monthly_budget", "target_cpa"):
            return None
        try:
            return float(text)
        except ValueError:
            raise PolicyError(key, f"{value!r} is not a number; e.g. {key}={_example(key)}") from None
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _bool(key: str, value: Any) -> Any:
    text = str(value).strip().lower()
    if isinstance(value, bool):
        return value
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise PolicyError(key, f"{value!r} is not true/false; use {key}=true or {key}=false")


def _words(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return tuple(sorted({str(w).strip() for w in items if str(w).strip()}))


def _kinds(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "all":
            return frozenset(KINDS)
        if text in _NONE:
            return frozenset()
        value = text.split(",")
    return frozenset(str(k).strip().lower() for k in value if str(k).strip())


def from_mapping(values: dict[str, Any], base: Policy | None = None) -> Policy:
    """``base`` (the defaults if None) with ``values`` applied; raises ``PolicyError`` on a bad key or value."""
    coerced = {key: coerce(key, value) for key, value in values.items()}
    return replace(base or Policy(), **coerced)


def to_plain(value: Any) -> Any:
    """A JSON-friendly form of one field's value (sets and tuples become sorted lists)."""
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def as_dict(policy: Policy) -> dict[str, Any]:
    return {key: to_plain(getattr(policy, key)) for key in FIELDS}


def differences(old: Policy, new: Policy) -> dict[str, list[Any]]:
    """``{key: [old, new]}`` for every field that differs (the history's record of a save)."""
    return {key: [to_plain(getattr(old, key)), to_plain(getattr(new, key))]
            for key in FIELDS if getattr(old, key) != getattr(new, key)}
