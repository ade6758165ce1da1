"""``adops auth``: consent URL, code exchange, token status and key re-wrap.

The TikTok pieces are imported inside each command, so ``import adops.cli`` stays cheap and the
core does not depend on a medium at import time. Configuration errors exit 2 naming the field.
"""
from __future__ import annotations

import sys

import click

from adops.cli_common import config_errors
from adops.crypto import ConfigError


@click.group(name="auth")
def auth() -> None:
    """TikTok OAuth: authorise advertisers and manage the encrypted token store."""


@auth.command("consent-url")
@config_errors
def consent_url() -> None:
    """Print the consent URL (open it in a browser); its state is recorded for the callback."""
    from tiktok.oauth.service import build

    url, _state = build().flow.consent_url()
    click.echo(url)


@auth.command("exchange")
@click.option("--code", required=True, help="auth_code from the callback URL.")
@click.option("--state", required=True, help="state from the callback URL.")
@config_errors
def exchange(code: str, state: str) -> None:
    """Trade the callback's auth_code for tokens and store them encrypted."""
    from tiktok.api.errors import TikTokError
    from tiktok.oauth.flow import StateError
    from tiktok.oauth.service import build

    try:
        result = build().flow.exchange(code, state)
    except StateError as exc:
        click.echo(f"refused: {exc}", err=True)
        sys.exit(1)
    except TikTokError as exc:
        click.echo(f"TikTok refused the code: {exc}", err=True)
        sys.exit(1)
    expiry = result.expires_at.isoformat() if result.expires_at else "never (long-lived)"
    click.echo(f"authorised advertisers: {', '.join(result.advertiser_ids)}; token expires: {expiry}")


@auth.command("status")
@config_errors
def status() -> None:
    """One line per (app, advertiser): status, expiry, key version."""
    from tiktok.oauth.service import build

    states = build(need_app=False).store.list_states()
    if not states:
        click.echo("no tokens stored; run `adops auth consent-url`")
        return
    for st in states:
        expiry = st.expires_at.isoformat() if st.expires_at else "long-lived"
        note = f"  ({st.last_error})" if st.last_error else ""
        click.echo(f"app {st.app_id}  advertiser {st.advertiser_id}  {st.status}  expires {expiry}  "
                   f"key {st.key_version}{note}")


@auth.command("rewrap")
@click.option("--rotate-local-key", is_flag=True, help="First add a new local key version and make it current.")
@config_errors
def rewrap(rotate_local_key: bool) -> None:
    """Re-wrap every token's data keys under the current key version (tokens are not re-encrypted)."""
    from adops.crypto import LocalKeyFileProvider
    from tiktok.oauth.service import build

    svc = build(need_app=False)
    if rotate_local_key:
        if not isinstance(svc.key_provider, LocalKeyFileProvider):
            raise ConfigError("ADOPS_KEY_PROVIDER", "--rotate-local-key needs the local key provider")
        click.echo(f"new local key version {svc.key_provider.rotate()}")
    changed = svc.store.rewrap_all()
    click.echo(f"re-wrapped {changed} row(s) under key version {svc.key_provider.current_version()}")
