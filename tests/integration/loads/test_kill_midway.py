"""A load SIGKILLed mid-way, then re-run over the same window, ends identical to one clean run.

The load runs in a subprocess (the real-time stage, then a 5-day finalising stage, as the DAGs do),
and is killed with SIGKILL at two points: while report pages are being extracted, and while dlt is
loading a package into DuckDB. The same window is then run again in this process into the same
warehouse and dlt working folder, and every raw table's checksum must equal the checksums of a
clean single run into a fresh warehouse.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from adops.settings import Settings
from tests.integration.loads.support import checksums, client_for, settings_in
from tiktok.ingest import ingest_finalize, ingest_realtime

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
END = datetime(2026, 10, 31, tzinfo=UTC)
ENV = {"ADOPS_FINALIZE_LOOKBACK_DAYS": "5"}
DEADLINE_S = 120.0
# Report calls after which the child is inside the finalize stage's extraction: the real-time stage
# takes 12 (2 days x 6 hourly pages), finalize 46 (5 days of hourly pages + the daily tables).
EXTRACTING_CALLS = 30
CHILD = """
import sys
from datetime import datetime
from tests.integration.loads.support import settings_in
from tiktok.api import TikTokClient, static_token
from tiktok.ingest import ingest_finalize, ingest_realtime

url, token, adv, home, end = sys.argv[1:6]
settings = settings_in(__import__("pathlib").Path(home), ADOPS_FINALIZE_LOOKBACK_DAYS="5")
client = TikTokClient(url, token_provider=static_token(token))
ingest_realtime(client, adv, datetime.fromisoformat(end), settings)
print("realtime done", flush=True)
ingest_finalize(client, adv, datetime.fromisoformat(end), settings)
print("finalize done", flush=True)
"""


def run_both(settings: Settings, server) -> None:
    client, adv = client_for(server)
    ingest_realtime(client, adv, END, settings)
    ingest_finalize(client, adv, END, settings)


def report_calls(server) -> int:
    """Report requests the emulator has answered so far (its own per-path counters)."""
    return sum(_ints(requests.get(f"{server.url}/__emulator/requests", timeout=30).json()["data"], "report"))


def _ints(value, needle: str, inside: bool = False):
    """Every integer under a key mentioning ``needle`` in the emulator's nested request counts."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _ints(sub, needle, inside or needle in str(key))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and needle in str(item.get("path") or item.get("key") or ""):
                yield int(item.get("count") or item.get("requests") or 0)
            else:
                yield from _ints(item, needle, inside)
    elif isinstance(value, int) and not isinstance(value, bool) and inside:
        yield value


def finalize_loading(home: Path, adv: str) -> bool:
    """True while dlt holds a normalized package of the finalize stage that is not loaded yet."""
    normalized = home / "dlt" / f"tiktok_{adv}_finalize" / "load" / "normalized"
    return normalized.is_dir() and any(normalized.iterdir())


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return
        time.sleep(0.005)
    proc.kill()
    out = proc.communicate(timeout=30)
    pytest.fail(f"the load ended (exit {proc.returncode}) before the kill point was reached: {out}")


@pytest.fixture(scope="module")
def clean(shared_server, tmp_path_factory) -> dict[str, tuple[int, str]]:
    settings = settings_in(tmp_path_factory.mktemp("clean"), **ENV)
    run_both(settings, shared_server)
    sums = checksums(settings)
    assert sums and all(n > 0 for n, _ in sums.values())
    return sums


@pytest.mark.parametrize("point", ["extracting", "loading"])
def test_killed_load_rerun_matches_a_clean_run(point, shared_server, tmp_path, clean):
    home = tmp_path / "killed"
    creds = requests.get(f"{shared_server.url}/__emulator/credentials", timeout=30).json()["data"]
    adv = str(creds["advertiser_ids"][0])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(REPO / p) for p in ("plugins", "emulator", "."))}
    before = report_calls(shared_server)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, shared_server.base_url, creds["access_token"], adv,
                             str(home), END.isoformat()], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if point == "extracting":  # the real-time stage is loaded; the finalizing one is mid-way through its pages
        def ready() -> bool:
            return report_calls(shared_server) - before >= EXTRACTING_CALLS
    else:  # dlt has normalized the finalize package and is writing it into DuckDB
        def ready() -> bool:
            return finalize_loading(home, adv)
    kill_when(proc, ready)
    assert proc.returncode == -signal.SIGKILL

    settings = settings_in(home, **ENV)
    interrupted = checksums(settings) if settings.warehouse_path.exists() else {}
    assert interrupted != clean  # the kill really left the warehouse unfinished

    run_both(settings, shared_server)
    assert checksums(settings) == clean
