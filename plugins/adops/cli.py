"""``adops``: the operators' command line. ``adops run`` is what ``make run`` executes.

Later issues add ``auth``, ``approvals``, ``audit`` and ``backtest``; until then those groups
exist only to say so, rather than pretend.
"""
from __future__ import annotations

import sys

import click

from adops import settings as settings_mod
from adops.cli_approvals import approvals
from adops.cli_auth import auth
from adops.cli_outbox import outbox
from adops.cli_policy import policy


@click.group()
def main() -> None:
    """TikTok ad operations: ingest, marts, decisions and guarded write-back."""


@main.command()
@click.option("--scenario", default="default", show_default=True, help="Emulator scenario name or YAML path.")
@click.option("--seed", default=7, show_default=True, type=int, help="Emulator seed.")
@click.option("--emulator/--no-emulator", "use_emulator", default=True, show_default=True,
              help="Start the in-process emulator, or talk to the API named by TIKTOK_BASE_URL/TOKEN/ADVERTISER_IDS.")
def run(scenario: str, seed: int, use_emulator: bool) -> None:
    """Run the closed loop once (ingest → dbt → decide → apply) and print a summary.

    By default against the in-process TikTok emulator; files go under ADOPS_HOME (./var).
    """
    from adops.embedded import format_summary, run_closed_loop

    cfg = settings_mod.load()
    try:
        summary = run_closed_loop(cfg, scenario=scenario, seed=seed, use_emulator=use_emulator)
    except Exception as exc:  # noqa: BLE001  one readable line, full log in the Airflow log file
        click.echo(f"adops run failed: {exc}", err=True)
        click.echo(f"see {cfg.airflow_home / 'adops-run.log'}", err=True)
        sys.exit(1)
    click.echo(format_summary(summary))


def _not_yet(name: str, issue: str) -> click.Group:
    @click.group(name=name, invoke_without_command=True)
    @click.pass_context
    def group(ctx: click.Context) -> None:
        click.echo(f"`adops {name}` is not implemented yet ({issue}).", err=True)
        ctx.exit(2)

    group.help = f"Not yet implemented ({issue})."
    return group


main.add_command(auth)
main.add_command(outbox)
main.add_command(policy)
main.add_command(approvals)
main.add_command(_not_yet("audit", "audit chain: a later issue"))
main.add_command(_not_yet("backtest", "decision backtests against the emulator's truth: a later issue"))

if __name__ == "__main__":
    main()
