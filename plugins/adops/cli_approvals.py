"""``adops approvals list|show|approve|reject``: the human side of changes outside policy.

``show`` prints the change, the guardrails' reasons and the what-if (predicted spend, conversions and
CPA with 90 % intervals under today's settings and under the plan). ``approve`` records who approved
and applies the change at once through the TikTok channel (settings: TIKTOK_BASE_URL and
TIKTOK_ACCESS_TOKEN); ``reject`` records who rejected it. Errors exit 2 with one line naming the fix.
"""
from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from adops import settings as settings_mod
from adops.cli_common import control_engine
from adops.crypto import ConfigError

PLAN_LINES = 20


def _errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from adops.approvals import ApprovalError

        try:
            return fn(*args, **kwargs)
        except (ApprovalError, ConfigError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper


def _engine(settings: settings_mod.Settings) -> Any:
    return control_engine(settings.control_db_url)


def _money(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):,.2f}"


def _what_if_lines(what_if: dict[str, Any] | None) -> list[str]:
    if not what_if:
        return ["  what-if: not available (the plan carried no prediction)"]
    lines = ["  what-if (per day)      spend        conversions (90 %)            CPA (90 %)"]
    for label in ("current", "predicted"):
        p = what_if.get(label)
        if p is None:
            lines.append(f"    {label:<10} n/a")
            continue
        lines.append(f"    {label:<10} {_money(p['spend']):>12}  {p['conversions']:>8.1f} "
                     f"[{p['conversions_low']:.1f}, {p['conversions_high']:.1f}]   {_money(p.get('cpa')):>9} "
                     f"[{_money(p.get('cpa_low'))}, {_money(p.get('cpa_high'))}]")
    return lines


def render(row: dict[str, Any]) -> str:
    """The request as a human reads it: the change, why it needs a human, the what-if, the decision."""
    change = row["change"]
    lines = [f"approval {row['id']} [{row['status']}]  advertiser {row['account_id']}  plan {row['plan_id']}",
             f"  change: {change['kind']} of {change['level']} {change['entity_id']}: "
             f"{change['current']} → {change['proposed']}",
             f"  why proposed: {change['reason']}",
             "  why it needs approval:", *[f"    - {r}" for r in row["reasons"]],
             *_what_if_lines(row.get("what_if")),
             f"  requested at {row['requested_at']}"]
    if row.get("decided_by"):
        lines.append(f"  decided by {row['decided_by']} at {row['decided_at']}" +
                     (f" ({row['note']})" if row.get("note") else ""))
    if row.get("outcome"):
        lines.append(f"  outcome: {json.dumps(row['outcome'], default=str, sort_keys=True)}")
    return "\n".join(lines)


@click.group(name="approvals")
def approvals() -> None:
    """Changes outside policy that wait for a human: list, show, approve (applies them), reject."""


@approvals.command(name="list")
@click.option("--status", default="pending", show_default=True, help="pending|approved|rejected|applied|failed|all")
@click.option("--account", default=None, help="Only this advertiser.")
@_errors
def list_(status: str, account: str | None) -> None:
    from adops import approvals as store

    rows = store.listing(_engine(settings_mod.load()), None if status == "all" else status, account)
    if not rows:
        click.echo(f"no {status} approval requests")
    for r in rows:
        c = r["change"]
        click.echo(f"{r['id']:>5}  {r['status']:<9} {r['account_id']}  {c['kind']} {c['level']} {c['entity_id']}: "
                   f"{c['current']} → {c['proposed']}  ({'; '.join(r['reasons'])[:80]})")


@approvals.command()
@click.argument("approval_id", type=int)
@_errors
def show(approval_id: int) -> None:
    from adops import approvals as store
    from adops import changelog

    engine = _engine(settings_mod.load())
    row = store.get(engine, approval_id)
    click.echo(render(row))
    plan = changelog.rows(engine, plan_id=row["plan_id"])
    click.echo(f"  the plan ({len(plan)} changes; the what-if above is for all of them):")
    for r in plan[:PLAN_LINES]:
        click.echo(f"    {r['kind']:<8} {r['level']:<7} {r['entity_id']}: {r['current']} → {r['proposed']}  "
                   f"[{r['verdict']}, {r['outcome']}]")
    if len(plan) > PLAN_LINES:
        click.echo(f"    … {len(plan) - PLAN_LINES} more (adops approvals list --status all)")


@approvals.command()
@click.argument("approval_id", type=int)
@click.option("--by", "actor", default=None, help="Who approves (default: the OS user).")
@click.option("--note", default=None)
@_errors
def approve(approval_id: int, actor: str | None, note: str | None) -> None:
    """Approve and apply now (through the outbox, like automatic changes)."""
    from adops.cycle_approvals import approve as do_approve
    from tiktok.optimize import change_channel
    from tiktok.outbox.factory import client_from_settings

    cfg = settings_mod.load()
    channel = change_channel(client_from_settings(cfg), cfg)
    click.echo(render(do_approve(cfg, channel, approval_id, actor or getpass.getuser(), note)))


@approvals.command()
@click.argument("approval_id", type=int)
@click.option("--by", "actor", default=None, help="Who rejects (default: the OS user).")
@click.option("--note", default=None)
@_errors
def reject(approval_id: int, actor: str | None, note: str | None) -> None:
    from adops.cycle_approvals import reject as do_reject

    click.echo(render(do_reject(settings_mod.load(), approval_id, actor or getpass.getuser(), note)))
