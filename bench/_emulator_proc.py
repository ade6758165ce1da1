"""The emulator as its own process (``python -m tiktok_emulator``), for benchmarks that measure a client.

In-process, the emulator's request handling shares the client's interpreter lock: every page the
emulator renders is time the client cannot parse, so a benchmark would measure the two serialised
on one core. TikTok's API is never inside our process; a separate process on the same machine keeps
the emulator's cost on the benchmark's 2 cores (it is "included") without that artificial lock.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 120.0


class EmulatorProcess:
    """``url`` / ``base_url`` / ``stop()`` like ``EmulatorServer``; the scenario and seed as on the CLI."""

    def __init__(self, scenario: str = "default", seed: int = 7, rate_limits: bool = True) -> None:
        self.port = _free_port()
        args = [sys.executable, "-m", "tiktok_emulator", "--scenario", scenario, "--seed", str(seed),
                "--port", str(self.port), *([] if rate_limits else ["--no-rate-limits"])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "emulator"), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/open_api/v1.3/"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"emulator exited {self.proc.returncode}: {self.proc.stderr.read()[-2000:]}")
            try:
                requests.get(f"{self.url}/__emulator/clock", timeout=2).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"emulator did not answer on port {self.port} within {START_TIMEOUT_S:.0f} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
