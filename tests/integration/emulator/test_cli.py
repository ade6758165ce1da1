"""``python -m tiktok_emulator``: help text, one-line errors with exit 2, start-up line, clean SIGTERM exit."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tiktok_emulator", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT / "emulator")


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_help_documents_scenarios_faults_and_clock():
    out = run("--help").stdout
    for needle in ("--scenario", "default", "large", ".yaml", "--fault", "PATH:KIND[:RATE]", "40100", "http503",
                   "slow=MS", "drop", "simulated clock", "/__emulator/clock/advance", "/__emulator/credentials",
                   "--no-rate-limits", "--token-ttl-hours", "--list-scenarios"):
        assert needle in out, needle


def test_list_scenarios():
    proc = run("--list-scenarios")
    assert proc.returncode == 0 and proc.stdout.startswith("default") and "large" in proc.stdout


def test_unknown_scenario():
    assert "unknown scenario 'nope'" in one_line_error(run("--scenario", "nope"))


def test_malformed_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("advertisers: [1,\n")
    line = one_line_error(run("--scenario", str(bad)))
    assert str(bad) in line and "malformed YAML" in line


def test_bad_fault_flag():
    assert "--fault" in one_line_error(run("--fault", "campaign/get/:boom"))


def test_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(run("--port", str(port)))
    assert line.endswith(f"port {port} is already in use; pick another with --port")


def test_serves_then_exits_cleanly_on_sigterm():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tiktok_emulator", "--port", str(port), "--scenario", "default",
                             "--fault", "campaign/get/:40100:1", "--no-rate-limits"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT / "emulator")
    try:
        line = proc.stdout.readline().strip()
        assert line == (f"TikTok emulator on http://127.0.0.1:{port}/open_api/v1.3/ "
                        "(scenario default, seed 7, now 2026-11-01 00:00:00 UTC)")
        creds = requests.get(f"http://127.0.0.1:{port}/__emulator/credentials", timeout=10).json()["data"]
        body = requests.get(f"http://127.0.0.1:{port}/open_api/v1.3/campaign/get/", timeout=10,
                            params={"advertiser_id": creds["advertiser_ids"][0]},
                            headers={"Access-Token": creds["access_token"]}).json()
        assert body["code"] == 40100  # the --fault rule reached the traffic layer
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            time.sleep(0.1)
