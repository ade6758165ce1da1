"""``adops outbox work`` / ``status`` through click's CliRunner, against the emulator and a SQLite control DB."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from adops.cli import main
from adops.db import make_engine, migrate
from adops.outbox import DONE, UNKNOWN, OutboxStore
from tests.integration.outbox.conftest import TENANT, start_emulator
from tiktok.api.client import TikTokClient, static_token
from tiktok.outbox import create_intent, tag

pytestmark = pytest.mark.integration
BODIES = [{"campaign_name": f"CLI campaign {i}", "objective_type": "TRAFFIC", "budget_mode": "BUDGET_MODE_INFINITE"}
          for i in range(2)]
# set so the developer's own environment (a real token, Redis) cannot leak into the run
CLEARED = ("TIKTOK_BASE_URL", "TIKTOK_ACCESS_TOKEN", "TIKTOK_ADVERTISER_IDS", "TIKTOK_APP_ID", "TIKTOK_APP_SECRET",
           "TIKTOK_SECRET", "REDIS_URL")


@pytest.fixture
def server():
    srv = start_emulator()
    yield srv
    srv.stop()


@pytest.fixture
def control_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    migrate(url)
    return url


def _env(control_url: str, tmp_path, **values: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = dict.fromkeys(CLEARED)
    env.update(ADOPS_HOME=str(tmp_path / "home"), ADOPS_CONTROL_DB_URL=control_url)
    env.update(values)
    return env


def _tagged(client: TikTokClient, adv: str, ref: str) -> list[dict]:
    params = {"advertiser_id": adv, "filtering": {"campaign_name": tag(ref).strip(), "primary_status": "STATUS_ALL"}}
    return list(client.paginate("campaign.get", params))


def test_work_once_settles_two_creates_and_status_shows_them(server, control_url, tmp_path) -> None:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=10).json()["data"]
    token, adv = creds["access_token"], creds["advertiser_ids"][0]
    store = OutboxStore(make_engine(control_url))
    intents = [store.record(create_intent(TENANT, adv, "cli-plan", f"campaign-{i}", "campaign.create", body))
               for i, body in enumerate(BODIES)]
    env = _env(control_url, tmp_path, TIKTOK_BASE_URL=server.base_url, TIKTOK_ACCESS_TOKEN=token,
               TIKTOK_APP_ID="cli-test")
    runner = CliRunner()

    before = runner.invoke(main, ["outbox", "status"], env=env)
    assert before.exit_code == 0, before.output
    assert "PENDING=2" in before.output and "DONE=0" in before.output
    assert "oldest PENDING: none" not in before.output

    result = runner.invoke(main, ["outbox", "work", "--once", "--worker-id", "cli-test-worker"], env=env)
    assert result.exit_code == 0, result.output
    assert "outbox worker cli-test-worker" in result.output
    assert "claimed=2 sent=2 adopted=0 unknown=0 deferred=0 failed=0" in result.output
    assert "stopped (idle)" in result.output and "open intents left=0" in result.output

    client = TikTokClient(server.base_url, token_provider=static_token(token))
    for intent in intents:
        done = store.get(intent.id)
        assert done.state == DONE and done.attempts == 1
        [remote] = _tagged(client, adv, intent.external_ref)
        assert str(remote["campaign_id"]) == done.remote_id

    after = runner.invoke(main, ["outbox", "status"], env=env)
    assert after.exit_code == 0, after.output
    assert "DONE=2" in after.output and "PENDING=0" in after.output and "UNKNOWN=0" in after.output
    assert "oldest PENDING: none" in after.output

    again = runner.invoke(main, ["outbox", "work", "--once"], env=env)  # nothing due: no second object
    assert again.exit_code == 0 and "claimed=0" in again.output
    assert all(len(_tagged(client, adv, i.external_ref)) == 1 for i in intents)


def test_status_lists_unknown_intents_with_ref_and_last_error(control_url, tmp_path) -> None:
    store = OutboxStore(make_engine(control_url))
    intent = store.record(create_intent(TENANT, "7000000000000000001", "cli-plan", "c9", "campaign.create", BODIES[0]))
    [claimed] = store.claim("test-owner", 30)
    store.transition(claimed, "test-owner", "unknown", release=True, state=UNKNOWN, unknown_since=store.clock(),
                     last_error={"message": "unclear outcome: read timed out"})
    result = CliRunner().invoke(main, ["outbox", "status"], env=_env(control_url, tmp_path))
    assert result.exit_code == 0, result.output
    assert "UNKNOWN=1" in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("UNKNOWN "))
    assert intent.external_ref in line and "campaign.create" in line
    assert "last error: unclear outcome: read timed out" in line


@pytest.mark.parametrize(("missing", "values"), [
    ("TIKTOK_BASE_URL", {"TIKTOK_ACCESS_TOKEN": "tok"}),
    ("TIKTOK_ACCESS_TOKEN", {"TIKTOK_BASE_URL": "http://127.0.0.1:9"}),
])
def test_work_without_configuration_exits_2_naming_the_variable(control_url, tmp_path, missing: str,
                                                                values: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["outbox", "work", "--once"], env=_env(control_url, tmp_path, **values))
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and missing in lines[0], result.output


def test_work_stops_after_max_seconds_when_looping(server, control_url, tmp_path) -> None:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=10).json()["data"]
    env = _env(control_url, tmp_path, TIKTOK_BASE_URL=server.base_url, TIKTOK_ACCESS_TOKEN=creds["access_token"])
    result = CliRunner().invoke(main, ["outbox", "work", "--max-seconds", "0.3"], env=env)
    assert result.exit_code == 0, result.output
    assert "stopped (max-seconds)" in result.output


def test_work_exits_cleanly_on_sigterm(server, control_url, tmp_path) -> None:
    """A looping worker (a real process, so a real signal) stops at SIGTERM with exit 0 and a summary."""
    root = Path(__file__).resolve().parents[3]
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=10).json()["data"]
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update({k: v for k, v in _env(control_url, tmp_path, TIKTOK_BASE_URL=server.base_url,
                                      TIKTOK_ACCESS_TOKEN=creds["access_token"]).items() if v is not None})
    env["PYTHONPATH"] = os.pathsep.join(str(root / p) for p in ("plugins", "emulator", "."))
    proc = subprocess.Popen([sys.executable, "-m", "adops.cli", "outbox", "work", "--max-seconds", "60"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("outbox worker"), first
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "stopped (signal)" in out
