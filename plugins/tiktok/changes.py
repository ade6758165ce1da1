"""TikTok as the write channel of the optimisation cycle: a Plan's changes, batched, through the outbox.

Per change an intent is recorded first (keyed once from plan/object/action/payload, so a re-run finds
the same rows), values already equal remotely are settled without a call, and the rest go out in as
few calls as TikTok's rules allow: all budgets in one ``adgroup/budget/update/`` call, bids and bid
modes through ``adgroup/update/`` (one ad group each: the endpoint takes one), statuses through
``adgroup/status/update/`` / ``ad/status/update/`` with at most 20 ids per call. Sends use a copy of
the client with retries off; an unclear answer is reconciled by reading the values back, and what is
still unclear stays UNKNOWN for the outbox worker's lookups — never re-sent blindly. The ledger moves
the intents of up to ``CALLS_PER_COMMIT`` calls per transaction (all SENDING before the first call,
the confirmed ones DONE after the last), not two transactions per call.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adops.automation import AutomationHalted, Gate
from adops.cycle_outbox import BatchLedger
from adops.outbox import DONE, FAILED, PENDING, Ambiguous, Deferred, Intent, InvalidIntent, OutboxStore
from ml.plan import AD, ADGROUP, BID, BID_MODE, BUDGET, COST_CAP, ENABLED, MAX_DELIVERY, PAUSED, STATUS, Change
from tiktok.api.batching import IDS_PER_STATUS_UPDATE, chunked, get_by_ids, update_budgets, update_status
from tiktok.api.cache import uncached
from tiktok.api.client import TikTokClient
from tiktok.api.errors import TikTokError
from tiktok.api.retry import RetryPolicy
from tiktok.automation import TikTokGate, gate_for_error
from tiktok.outbox.channel import classify
from tiktok.outbox.intents import bid_intent, bid_mode_intent, budget_intent, status_intent

CENT = 0.005
CALLS_PER_COMMIT = 50   # calls whose intents move to SENDING (and then DONE) in one transaction
TO_TIKTOK = {ENABLED: "ENABLE", PAUSED: "DISABLE"}
ADGROUP_FIELDS = ["adgroup_id", "budget", "bid_type", "conversion_bid_price", "operation_status"]
APPLIED, UNCHANGED, UNKNOWN, FAILED_OUT, DEFERRED = "applied", "unchanged", "unknown", "failed", "deferred"


@dataclass
class ChangeOutcome:
    outcome: str  # applied | unchanged | unknown | failed | deferred
    detail: dict[str, Any] = field(default_factory=dict)


Key = tuple[str, str, str]
Batch = tuple[str, list[tuple[Change, Intent]]]   # (how: budget | single | status, the changes of ONE call)


def remote_value(change: Change, adgroups: dict[str, dict], ads: dict[str, dict]) -> Any:
    """The platform's current value of the lever ``change`` sets, in the plan's terms (None: not found)."""
    row = (ads if change.level == AD else adgroups).get(str(change.entity_id))
    if row is None:
        return None
    if change.kind == BUDGET:
        return float(row.get("budget") or 0.0)
    if change.kind == BID:
        return float(row.get("conversion_bid_price") or 0.0)
    if change.kind == BID_MODE:
        return COST_CAP if row.get("bid_type") == "BID_TYPE_CUSTOM" else MAX_DELIVERY
    return ENABLED if row.get("operation_status") == "ENABLE" else PAUSED


def equal(change: Change, value: Any) -> bool:
    if value is None:
        return False
    if change.kind in (BUDGET, BID):
        return abs(float(value) - float(change.proposed)) < CENT
    return value == change.proposed


class TikTokChangeChannel:
    """``apply(account_id, plan_id, changes) -> {change key: ChangeOutcome}`` for ``adops.cycle``."""

    name = "tiktok"

    def __init__(self, client: TikTokClient, store: OutboxStore, *, token_store: Any = None,
                 tenant: str = "default") -> None:
        self.client, self.store, self.tenant = client, store, tenant
        self.reader = uncached(client)  # current values and read-backs must never come from a cache
        self.writer = copy.copy(client)
        self.writer.retry_policy = RetryPolicy.no_retry()  # a write's unclear answer is reconciled, not retried
        self.gate = TikTokGate(client, token_store=token_store)

    def automation_allowed(self, account_id: str) -> Gate:
        return self.gate(account_id)

    def read(self, account_id: str, changes: Sequence[Change]) -> dict[Key, Any]:
        """Current remote values of the levers ``changes`` set (ids batched 100 per read)."""
        group_ids = sorted({c.entity_id for c in changes if c.level == ADGROUP})
        ad_ids = sorted({c.entity_id for c in changes if c.level == AD})
        try:
            groups = {str(r["adgroup_id"]): r for r in get_by_ids(self.reader, "adgroup", account_id, group_ids,
                                                                 fields=ADGROUP_FIELDS)} if group_ids else {}
            ads = {str(r["ad_id"]): r for r in get_by_ids(self.reader, "ad", account_id, ad_ids,
                                                         fields=["ad_id", "operation_status"])} if ad_ids else {}
        except TikTokError as exc:
            _halt_on(exc)
            raise
        return {c.key: remote_value(c, groups, ads) for c in changes}

    def apply(self, account_id: str, plan_id: str, changes: Sequence[Change]) -> dict[Key, ChangeOutcome]:
        ledger = BatchLedger(self.store)
        out: dict[Key, ChangeOutcome] = {}
        intents = self._record(account_id, plan_id, changes, out)
        todo = [(c, i) for c, i in intents if i.state != DONE and i.state != FAILED]
        for c, i in intents:
            if i.state in (DONE, FAILED):
                out[c.key] = ChangeOutcome(APPLIED if i.state == DONE else FAILED_OUT, {"intent": i.id, "earlier": True})
        if not todo:
            return _mirror_covered(changes, out)
        current = self.read(account_id, [c for c, _ in todo])
        leased = {i.id: i for i in ledger.lease([i for _, i in todo])}
        sends: list[tuple[Change, Intent]] = []
        adopted = [i for c, i in todo if i.id in leased and equal(c, current[c.key])]
        ledger.done_many(adopted, {"skipped": True, "reason": "already at the target value"}, kind="adopted")
        for c, i in todo:
            if i.id not in leased:
                out[c.key] = ChangeOutcome(DEFERRED, {"intent": i.id, "reason": "another worker holds it"})
            elif equal(c, current[c.key]):
                out[c.key] = ChangeOutcome(UNCHANGED if i.state == PENDING else APPLIED,
                                           {"intent": i.id, "current": current[c.key]})
            elif i.state != PENDING:  # UNKNOWN / orphaned SENDING: looked up, not there yet; the worker decides
                ledger.unknown(leased[i.id], {"lookup": "not in effect yet", "current": current[c.key]})
                out[c.key] = ChangeOutcome(UNKNOWN, {"intent": i.id})
            else:
                sends.append((c, leased[i.id]))
        self._send_all(ledger, account_id, sends, out)
        return _mirror_covered(changes, out)

    # ---- recording ------------------------------------------------------------------------
    def _record(self, account_id: str, plan_id: str, changes: Sequence[Change],
                out: dict[Key, ChangeOutcome]) -> list[tuple[Change, Intent]]:
        bids = {c.entity_id: c.proposed for c in changes if c.kind == BID and c.level == ADGROUP}
        modes = {c.entity_id for c in changes if c.kind == BID_MODE and c.proposed == COST_CAP}
        specs = []
        for c in changes:
            if c.kind == BID and c.entity_id in modes:
                continue  # sent with its ad group's switch to Cost Cap
            try:
                specs.append((c, self._spec(account_id, plan_id, c, bids)))
            except (InvalidIntent, KeyError, TypeError, ValueError) as exc:
                out[c.key] = ChangeOutcome(FAILED_OUT, {"error": f"invalid change: {exc}"})
        intents = BatchLedger(self.store).record_many([spec for _, spec in specs])
        return [(c, i) for (c, _), i in zip(specs, intents, strict=True)]

    def _spec(self, adv: str, plan_id: str, c: Change, bids: dict[str, Any]):
        t = self.tenant
        if c.kind == BUDGET and c.level == ADGROUP:
            return budget_intent(t, adv, plan_id, c.entity_id, float(c.proposed))
        if c.kind == BID and c.level == ADGROUP:
            return bid_intent(t, adv, plan_id, c.entity_id, float(c.proposed), field="conversion_bid_price")
        if c.kind == BID_MODE and c.level == ADGROUP:
            bid = bids.get(c.entity_id) or (c.current if isinstance(c.current, (int, float)) else None)
            return bid_mode_intent(t, adv, plan_id, c.entity_id, c.proposed == COST_CAP, bid)
        if c.kind == STATUS and c.level in (ADGROUP, AD):
            if c.proposed not in TO_TIKTOK:
                raise InvalidIntent(f"status for {c.level} {c.entity_id}: expected {ENABLED!r} or {PAUSED!r}, "
                                    f"got {c.proposed!r}")
            return status_intent(t, adv, plan_id, c.level, c.entity_id, TO_TIKTOK[c.proposed])
        raise InvalidIntent(f"{c.kind} at {c.level} level: TikTok writes support budget/bid/bid_mode for ad "
                            f"groups and status for ad groups and ads")

    # ---- sending --------------------------------------------------------------------------
    def _send_all(self, ledger: BatchLedger, adv: str, sends: list[tuple[Change, Intent]],
                  out: dict[Key, ChangeOutcome]) -> None:
        budgets = [(c, i) for c, i in sends if c.kind == BUDGET]
        singles = [(c, i) for c, i in sends if c.kind in (BID, BID_MODE)]
        statuses = [(c, i) for c, i in sends if c.kind == STATUS]
        batches: list[Batch] = []
        if budgets:
            batches.append(("budget", budgets))
        batches += [("single", [pair]) for pair in singles]
        for level in (ADGROUP, AD):
            for value in (ENABLED, PAUSED):
                same = [(c, i) for c, i in statuses if c.level == level and c.proposed == value]
                batches += [("status", chunk) for chunk in chunked(same, IDS_PER_STATUS_UPDATE)]
        groups = chunked(batches, CALLS_PER_COMMIT)
        for index, group in enumerate(groups):
            try:
                self._send_group(ledger, adv, group, out)
            except AutomationHalted:
                self._release([b for rest in groups[index + 1:] for b in rest], ledger, out)
                raise

    def _send_group(self, ledger: BatchLedger, adv: str, group: list[Batch], out: dict[Key, ChangeOutcome]) -> None:
        """Up to ``CALLS_PER_COMMIT`` calls: every intent to SENDING in one transaction before the first
        call, each call's answer settled after it, the confirmed ones DONE together at the end.

        One transaction per call (two, with the settling) cost more than the call itself: on SQLite a
        commit waits for the disk, ~15 ms, while ``adgroup/update/`` — one call per ad group, hundreds
        per cycle — is paced at 20 ms (50 QPS). The rules are the same: nothing is sent before it is
        SENDING, and one that crashed in between is looked up, not re-sent.
        """
        ledger.sending_many([i for _, batch in group for _, i in batch])
        confirmed: list[tuple[Change, Intent, int]] = []
        made = 0
        try:
            for how, batch in group:
                made += 1
                try:
                    errors = self._call(adv, how, batch)
                except TikTokError as exc:
                    self._settle_error(ledger, adv, batch, exc, out)
                    continue
                for c, i in batch:
                    if str(c.entity_id) in errors:
                        ledger.failed(i, {"error": errors[str(c.entity_id)]})
                        out[c.key] = ChangeOutcome(FAILED_OUT, {"intent": i.id, "error": errors[str(c.entity_id)]})
                    else:
                        confirmed.append((c, i, len(batch)))
        except BaseException as exc:   # halted (or worse): the calls not made yet go back to PENDING
            reason = "automation halted mid-cycle" if isinstance(exc, AutomationHalted) else f"stopped: {exc!r}"
            self._release(group[made:], ledger, out, reason)
            raise
        finally:
            for size in sorted({n for _, _, n in confirmed}):
                done = [(c, i) for c, i, n in confirmed if n == size]
                ledger.done_many([i for _, i in done], {"batch": size})
                for c, i in done:
                    out[c.key] = ChangeOutcome(APPLIED, {"intent": i.id, "batch": size})

    @staticmethod
    def _release(batches: list[Batch], ledger: BatchLedger, out: dict[Key, ChangeOutcome],
                 reason: str = "automation halted mid-cycle") -> None:
        """Intents not sent (automation halted): back to PENDING for a later attempt."""
        for _, batch in batches:
            for c, i in batch:
                ledger.release(i, "halted", {"reason": reason})
                out[c.key] = ChangeOutcome(DEFERRED, {"intent": i.id, "reason": "halted"})

    def _call(self, adv: str, how: str, batch: list[tuple[Change, Intent]]) -> dict[str, str]:
        """One API call for the batch; answers per-id errors TikTok listed (status partial success)."""
        key = batch[0][1].idempotency_key if len(batch) == 1 else _batch_key(batch)
        if how == "budget":
            update_budgets(self.writer, adv, {c.entity_id: float(c.proposed) for c, _ in batch}, idempotency_key=key)
            return {}
        if how == "single":
            _, intent = batch[0]
            self.writer.call("adgroup.update", dict(intent.payload), idempotency_key=key)
            return {}
        level, status = batch[0][0].level, TO_TIKTOK[batch[0][0].proposed]
        result = update_status(self.writer, level, adv, [c.entity_id for c, _ in batch], status,
                               idempotency_key=key)
        errors: dict[str, str] = {}
        for err in result.errors:
            for ident in err.get("ids") or [err.get(f"{level}_id")]:
                errors[str(ident)] = str(err.get("error_message") or err.get("code"))
        return errors

    def _settle_error(self, ledger: BatchLedger, adv: str, batch: list[tuple[Change, Intent]], exc: TikTokError,
                      out: dict[Key, ChangeOutcome]) -> None:
        verdict = classify(exc)
        if isinstance(verdict, Ambiguous):
            after = self.read(adv, [c for c, _ in batch])
            for c, i in batch:
                if equal(c, after[c.key]):
                    ledger.done(i, "reconciled", c.entity_id, {"after": str(exc)})
                    out[c.key] = ChangeOutcome(APPLIED, {"intent": i.id, "reconciled": True})
                else:
                    ledger.unknown(i, verdict.detail)
                    out[c.key] = ChangeOutcome(UNKNOWN, {"intent": i.id, "error": str(exc)})
            return
        for c, i in batch:
            if isinstance(verdict, Deferred):
                ledger.release(i, "deferred", verdict.detail)
                out[c.key] = ChangeOutcome(DEFERRED, {"intent": i.id, "error": str(exc)})
            else:
                ledger.failed(i, verdict.detail)
                out[c.key] = ChangeOutcome(FAILED_OUT, {"intent": i.id, "error": str(exc)})
        _halt_on(exc)


def _halt_on(exc: BaseException) -> None:
    gate = gate_for_error(exc)
    if gate is not None:
        raise AutomationHalted(gate) from exc


def _mirror_covered(changes: Sequence[Change], out: dict[Key, ChangeOutcome]) -> dict[Key, ChangeOutcome]:
    """A bid sent inside its ad group's switch to Cost Cap shares that switch's outcome."""
    for c in changes:
        if c.key not in out and c.kind == BID:
            mode = out.get((c.level, c.entity_id, BID_MODE))
            if mode is not None:
                out[c.key] = ChangeOutcome(mode.outcome, {**mode.detail, "sent_with": BID_MODE})
    return out


def _batch_key(batch: list[tuple[Change, Intent]]) -> str:
    """The batch's key, derived from its intents' keys (stable: sorted), never a fresh random value."""
    import hashlib

    material = "|".join(sorted(i.idempotency_key for _, i in batch))
    return hashlib.sha256(material.encode()).hexdigest()[:32]
