"""``adops policy``: show and edit the guardrail policies (rows in the control-plane DB).

    adops policy show [--account ID] [--json]
    adops policy set --account ID key=value [key=value ...] [--actor NAME] [--expected-version N]
    adops policy unset --account ID key [key ...]
    adops policy history [--account ID] [--limit N]

``--account '*'`` is the global default every account inherits. Every edit is validated before it
is stored (a bad key or value exits 2 naming the key and the fix; nothing is changed) and recorded
in the history with who made it.
"""
from __future__ import annotations

import getpass
import json
from typing import Any

import click

from adops import settings as settings_mod
from adops.cli_common import control_engine, exit_on
from adops.crypto import ConfigError
from adops.guardrails.policy import FIELDS, PolicyError, to_plain
from adops.guardrails.store import GLOBAL, StaleVersion

_errors = exit_on((PolicyError, "policy error", 2), (ConfigError, "configuration error", 2),
                  (StaleVersion, "refused", 1))


def _engine():
    return control_engine(settings_mod.load().control_db_url)


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _pairs(assignments: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise PolicyError(item or "?", "expected key=value, e.g. adgroup_min_budget=25 "
                                           f"(keys: {', '.join(FIELDS)})")
        values[key.strip()] = value
    return values


@click.group(name="policy")
def policy() -> None:
    """Guardrail policies: minimum budgets, change limits, bid band, cooldowns, NG words, kill switch, dry-run."""


@policy.command("show")
@click.option("--account", default=GLOBAL, show_default=True, help="Advertiser id, or '*' for the global default.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@_errors
def show(account: str, as_json: bool) -> None:
    """Print the effective policy and where each value comes from (default, global or account)."""
    from adops.guardrails.store import policy_record

    record = policy_record(_engine(), account)
    values = {key: to_plain(getattr(record.policy, key)) for key in FIELDS}
    if as_json:
        click.echo(json.dumps({"account": record.account_id, "version": record.version, "policy": values,
                               "sources": {k: record.source(k) for k in FIELDS}}, sort_keys=True))
        return
    who = f", by {record.updated_by} at {record.updated_at:%Y-%m-%d %H:%M:%S}Z" if record.updated_at else ""
    click.echo(f"policy of account {record.account_id} (version {record.version}{who})")
    for key, value in values.items():
        click.echo(f"  {key:<20} {_fmt(value):<24} [{record.source(key)}]")


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "-"
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


@policy.command("set")
@click.option("--account", required=True, help="Advertiser id, or '*' for the global default.")
@click.argument("assignments", nargs=-1, required=True)
@click.option("--actor", default=None, help="Who makes the change (recorded in the history; default cli:$USER).")
@click.option("--expected-version", type=int, default=None, help="Refuse if the stored version differs.")
@_errors
def set_(account: str, assignments: tuple[str, ...], actor: str | None, expected_version: int | None) -> None:
    """Override keys for one account (or '*'): adops policy set --account 123 adgroup_min_budget=25 dry_run=true."""
    from adops.guardrails.store import set_policy_values

    record = set_policy_values(_engine(), account, _pairs(assignments), _actor(actor),
                               expected_version=expected_version)
    click.echo(f"policy of account {record.account_id} is at version {record.version}")



@policy.command("unset")
@click.option("--account", required=True, help="Advertiser id, or '*' for the global default.")
@click.argument("keys", nargs=-1, required=True)
@click.option("--actor", default=None, help="Who makes the change (recorded in the history).")
@_errors
def unset(account: str, keys: tuple[str, ...], actor: str | None) -> None:
    """Drop overrides so the keys inherit again (account → global → built-in default)."""
    from adops.guardrails.store import set_policy_values

    record = set_policy_values(_engine(), account, {}, _actor(actor), unset=keys)
    click.echo(f"policy of account {record.account_id} is at version {record.version}")


@policy.command("history")
@click.option("--account", default=None, help="Only this account ('*' for the global default).")
@click.option("--limit", default=20, show_default=True, type=int)
@_errors
def history(account: str | None, limit: int) -> None:
    """Who changed which policy values, when (newest first)."""
    from adops.guardrails.store import policy_history

    for row in policy_history(_engine(), account, limit):
        moved = "; ".join(f"{k}: {_fmt(old)} → {_fmt(new)}" for k, (old, new) in sorted(row["changes"].items()))
        click.echo(f"{row['at']:%Y-%m-%d %H:%M:%S}Z  {row['account_id']}  v{row['version']}  {row['actor']}  "
                   f"{moved or '(no effective change)'}")
