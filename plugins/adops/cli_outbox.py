"""``adops outbox``: run the write-outbox worker (which also reconciles UNKNOWN intents) and show its state.

    adops outbox work [--once] [--max-seconds N] [--worker-id ID]
    adops outbox status

Settings come from the environment (``adops.settings``): ADOPS_CONTROL_DB_URL for the intents (and
the OAuth token store), TIKTOK_BASE_URL / TIKTOK_ACCESS_TOKEN / TIKTOK_APP_ID / TIKTOK_APP_SECRET ...
for the channel. The medium's channel is built by its own factory (``tiktok.outbox.factory``),
imported only when ``work`` runs, so importing ``adops.cli`` stays cheap. Which token an advertiser's
writes use is the factory's choice (a stored, refreshing token first; the static one as fallback)
and ``work`` prints it at start-up. A missing setting is one line naming the variable, exit 2.
"""
from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click

from adops import settings as settings_mod
from adops.cli_common import config_errors, control_engine

IDLE_SLEEP_S = 1.0
PROGRESS_EVERY_S = 10.0
OUTCOMES = ("claimed", "sent", "adopted", "unknown", "deferred", "failed")


def _store(settings: settings_mod.Settings):
    """The migrated control database; one that cannot be opened is reported naming ADOPS_CONTROL_DB_URL."""
    from adops.outbox import OutboxStore

    return OutboxStore(control_engine(settings.control_db_url))


def _channels(settings: settings_mod.Settings, engine: Any) -> tuple[dict[str, Any], str]:
    """The channels this deployment writes through (TikTok for now) and a line saying which tokens they use."""
    from tiktok.outbox.factory import channels_from_settings, plan_tokens

    plan = plan_tokens(settings, engine)
    return channels_from_settings(settings, plan=plan), plan.describe()


@click.group(name="outbox")
def outbox() -> None:
    """The write outbox: process recorded intents and show where they stand."""


# ---- work ---------------------------------------------------------------------------------------
def _counting_worker(store: Any, channels: dict[str, Any], owner: str | None, tally: Counter):
    """An ``OutboxWorker`` whose ``process`` also tallies what became of each claimed intent."""
    from adops.outbox import DONE, FAILED, PENDING, UNKNOWN, OutboxWorker

    class CountingWorker(OutboxWorker):
        def process(self, intent):
            before = intent.attempts
            tally["claimed"] += 1
            result = super().process(intent)
            if result.state == DONE:
                tally["sent" if result.attempts > before else "adopted"] += 1
            elif result.state == UNKNOWN:
                tally["unknown"] += 1
            elif result.state == FAILED:
                tally["failed"] += 1
            elif result.state == PENDING:
                tally["deferred"] += 1
            return result

    return CountingWorker(store, channels, owner=owner)


def _line(tally: Counter, prefix: str) -> str:
    return prefix + " ".join(f"{k}={tally[k]}" for k in OUTCOMES)


@contextmanager
def _graceful_stop() -> Iterator[dict[str, bool]]:
    """SIGTERM / first Ctrl-C: finish the current intent, then stop. A second Ctrl-C interrupts."""
    flag = {"stop": False}

    def handler(signum: int, _frame: Any) -> None:
        if flag["stop"] and signum == signal.SIGINT:
            raise KeyboardInterrupt
        flag["stop"] = True

    previous: dict[int, Any] = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                previous[sig] = signal.signal(sig, handler)
            except ValueError:  # not the main thread: no handlers, stop only by --max-seconds
                pass
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@outbox.command("work")
@click.option("--once", is_flag=True, help="Process every due intent, then exit (instead of looping).")
@click.option("--max-seconds", type=click.FloatRange(min=0), default=None,
              help="Stop after this many seconds (finishing the intent in hand).")
@click.option("--worker-id", default=None, help="Lease owner name (default: host:pid:random).")
@config_errors
def work(once: bool, max_seconds: float | None, worker_id: str | None) -> None:
    """Claim intents, look up before sending, send once, reconcile UNKNOWN ones.

    \b
    Token per advertiser (the "tokens:" line at start-up says which are in use):
    - the token store's token, when the control DB (ADOPS_CONTROL_DB_URL) holds
      one for TIKTOK_APP_ID and that advertiser (`adops auth consent-url`),
      refreshed before it expires (TIKTOK_REFRESH_MARGIN_MINUTES, default 30),
      so TIKTOK_APP_SECRET is required;
    - otherwise the static, long-lived TIKTOK_ACCESS_TOKEN (the fallback);
    - neither: that advertiser's intents wait (skipped), nothing is sent.

    Progress lines count what happened to claimed intents: sent, adopted (found remotely, including
    reconciled UNKNOWN ones), unknown (outcome unclear, reconciled later), deferred, failed.
    SIGTERM or Ctrl-C stops cleanly after the intent in hand.
    """
    from tiktok.outbox.factory import check_base_url

    settings = settings_mod.load()
    check_base_url(settings)  # before the database is touched; the token choice needs the database
    store = _store(settings)
    channels, tokens = _channels(settings, store.engine)
    tally: Counter = Counter()
    worker = _counting_worker(store, channels, worker_id, tally)
    start = last_note = time.monotonic()
    noted = 0
    reason = "idle"
    with _graceful_stop() as flag:
        click.echo(f"outbox worker {worker.owner}: channels {', '.join(sorted(channels))}; "
                   f"{'until idle' if once else 'looping'}"
                   + (f", at most {max_seconds:g}s" if max_seconds is not None else ""))
        click.echo(tokens)
        while True:
            if flag["stop"]:
                reason = "signal"
                break
            if max_seconds is not None and time.monotonic() - start >= max_seconds:
                reason = "max-seconds"
                break
            busy = worker.step()
            now = time.monotonic()
            if tally["claimed"] != noted and (not busy or now - last_note >= PROGRESS_EVERY_S):
                click.echo(_line(tally, "progress: "))
                noted, last_note = tally["claimed"], now
            if busy:
                continue
            if once:
                break
            _sleep(IDLE_SLEEP_S, flag)
    open_n = sum(store.counts().get(s, 0) for s in ("PENDING", "SENDING", "UNKNOWN"))
    click.echo(_line(tally, f"stopped ({reason}): ") + f"; open intents left={open_n}")


def _sleep(seconds: float, flag: dict[str, bool]) -> None:
    end = time.monotonic() + seconds
    while not flag["stop"] and time.monotonic() < end:
        time.sleep(min(0.1, max(0.0, end - time.monotonic())))


# ---- status -------------------------------------------------------------------------------------
@outbox.command("status")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="At most this many UNKNOWN intents are listed.")
@config_errors
def status(limit: int) -> None:
    """Intents per state, the oldest PENDING intent's age, and UNKNOWN intents with their last error."""
    from sqlalchemy import func, select

    from adops.outbox import PENDING, UNKNOWN
    from adops.outbox.models import Intent, utc

    store = _store(settings_mod.load())
    t = Intent.__table__
    counts = store.counts()
    states = ("PENDING", "SENDING", "UNKNOWN", "DONE", "FAILED")
    click.echo("intents: " + " ".join(f"{s}={counts.get(s, 0)}" for s in states)
               + "".join(f" {s}={n}" for s, n in sorted(counts.items()) if s not in states))
    with store.engine.connect() as conn:
        oldest = conn.execute(select(func.min(t.c.created_at)).where(t.c.state == PENDING)).scalar()
        unknown = conn.execute(
            select(t.c.external_ref, t.c.action, t.c.account_id, t.c.unknown_since, t.c.empty_lookups,
                   t.c.last_error).where(t.c.state == UNKNOWN).order_by(t.c.unknown_since, t.c.id).limit(limit)
        ).all()
    now = store.clock()
    click.echo(f"oldest PENDING: {_age(now, utc(oldest)) if oldest is not None else 'none'}")
    for row in unknown:
        since = _age(now, utc(row.unknown_since)) if row.unknown_since else "?"
        click.echo(f"UNKNOWN {row.external_ref}  {row.action}  account {row.account_id}  for {since}  "
                   f"empty lookups {row.empty_lookups}  last error: {_error(row.last_error)}")
    if counts.get(UNKNOWN, 0) > len(unknown):
        click.echo(f"... and {counts[UNKNOWN] - len(unknown)} more UNKNOWN")


def _age(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d"


def _error(detail: Any) -> str:
    if not detail:
        return "-"
    text = str(detail.get("message") or detail) if isinstance(detail, dict) else str(detail)
    return " ".join(text.split())[:200]
