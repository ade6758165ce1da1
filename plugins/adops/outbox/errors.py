"""Typed outcomes a channel reports to the outbox, and the outbox's own refusals.

A channel (TikTok, later others) maps its API errors onto these four so the state machine stays
media-agnostic: *ambiguous* (may have been applied → UNKNOWN, reconcile), *deferred* (certainly not
applied, try later), *refused* (certainly not applied and never will be → FAILED).
"""
from __future__ import annotations

from typing import Any


class OutboxError(Exception):
    """Base class for everything the outbox raises."""


class IntentConflict(OutboxError):
    """The logical operation was already recorded with another payload (the draft standard's 422)."""

    def __init__(self, external_ref: str, recorded: str, offered: str) -> None:
        super().__init__(f"intent {external_ref} already recorded with payload fingerprint {recorded[:12]}…, "
                         f"refusing a different payload ({offered[:12]}…)")
        self.external_ref, self.recorded, self.offered = external_ref, recorded, offered


class InvalidIntent(OutboxError, ValueError):
    """The intent cannot be recorded as given (unknown action, missing field, name too long)."""


class LeaseLost(OutboxError):
    """Another worker owns the intent now (our lease expired): stop touching it."""


class ChannelOutcome(OutboxError):
    """Base of the outcomes a channel's ``send``/``lookup`` may raise; ``detail`` goes to the audit."""

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = {"message": message, **(detail or {})}


class Ambiguous(ChannelOutcome):
    """The write may or may not have been applied (timeout, dropped connection, 5xx, duplicate code)."""


class Deferred(ChannelOutcome):
    """Certainly not applied, worth retrying later (throttled, token being refreshed, lookup failed)."""


class Refused(ChannelOutcome):
    """Certainly not applied and retrying cannot help (invalid request, missing parent object)."""
