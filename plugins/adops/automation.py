"""The automation gate: may the platform act for an account right now, and if not, why not.

Media-agnostic on purpose: a channel knows why *its* medium cannot be touched (TikTok: a token that
needs re-authorisation, an open circuit breaker) and answers with a ``Gate``; the executor only
records the verdict. Two verdicts stop a cycle, and they differ in what a human must do:

- *skipped*: nothing will work until someone acts (re-consent); the next run is skipped again.
- *paused*: the remote side is sick; the next scheduled run tries again after ``retry_in`` seconds.
  Nothing is queued meanwhile, so a recovering API is not met by a wave of blind retries.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALLOWED, SKIPPED, PAUSED = "allowed", "skipped", "paused"
NEEDS_REAUTH_REASON = "needs re-authorisation"


@dataclass(frozen=True)
class Gate:
    """A channel's verdict for one account. ``bool(gate)`` is True when automation may proceed."""

    status: str = ALLOWED
    reason: str = ""
    retry_in: float | None = None

    def __bool__(self) -> bool:
        return self.status == ALLOWED

    @property
    def allowed(self) -> bool:
        return bool(self)

    @classmethod
    def ok(cls) -> Gate:
        return cls()

    @classmethod
    def skipped(cls, reason: str = NEEDS_REAUTH_REASON) -> Gate:
        return cls(SKIPPED, reason)

    @classmethod
    def paused(cls, reason: str, retry_in: float | None = None) -> Gate:
        return cls(PAUSED, reason, retry_in)

    def as_outcome(self) -> dict[str, Any]:
        """What the plan's outcome records, so an operator sees why nothing was sent."""
        out: dict[str, Any] = {"reason": self.reason}
        if self.retry_in is not None:
            out["retry_in"] = round(self.retry_in, 3)
        return out


class AutomationHalted(Exception):
    """A channel found mid-cycle that it must stop (token revoked, circuit opened): nothing more is sent."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(f"automation {gate.status}: {gate.reason}")
        self.gate = gate


def gate_for(channel: Any, account_id: str) -> Gate:
    """Ask the channel; a channel without a gate (or with no store configured) allows automation.

    ``automation_allowed`` may answer a ``Gate`` or a plain ``(allowed, reason)`` tuple; a refusal
    given as a tuple is treated as *skipped*, the conservative reading.
    """
    hook = getattr(channel, "automation_allowed", None)
    if hook is None:
        return Gate.ok()
    verdict = hook(account_id)
    if isinstance(verdict, Gate):
        return verdict
    allowed, reason = verdict
    return Gate.ok() if allowed else Gate.skipped(reason or NEEDS_REAUTH_REASON)
