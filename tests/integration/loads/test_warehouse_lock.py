"""Loads into the DuckDB file queue behind each other across processes instead of failing on DuckDB's lock."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import adops.loadlock as loadlock
from adops.loadlock import WarehouseLockTimeout, warehouse_lock
from adops.warehouse import run_load
from tests.integration.loads.lock_worker import rows_source
from tests.integration.loads.support import query, settings_in

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def worker(home: Path, table: str, loads: int, rows: int, go: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("plugins", "emulator", ".")),
           "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "tests.integration.loads.lock_worker", str(home), table, str(loads), str(rows)]
    return subprocess.Popen([*args, *([str(go)] if go else [])], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen) -> None:
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]


def test_two_processes_loading_at_the_same_moment_both_land_everything(tmp_path):
    go = tmp_path / "go"
    procs = [worker(tmp_path, table, 3, 1000, go) for table in ("sales_like", "reports_like")]
    time.sleep(3)  # both interpreters started and waiting
    go.touch()
    for proc in procs:
        finish(proc)
    settings = settings_in(tmp_path)
    assert query(settings, "select count(*), count(distinct id) from tiktok_ads.sales_like")[0] == (3000, 3000)
    assert query(settings, "select count(*), count(distinct id) from tiktok_ads.reports_like")[0] == (3000, 3000)


def test_a_load_waits_while_another_process_holds_the_warehouse_then_lands(tmp_path):
    settings = settings_in(tmp_path)
    with warehouse_lock(settings.warehouse_path, 10):
        proc = worker(tmp_path, "queued", 1, 50)
        assert proc.stdout is not None
        seen: list[str] = []
        for line in proc.stdout:  # ends at EOF if the worker exits without ever waiting
            seen.append(line)
            if "waiting up to" in line and "warehouse lock" in line:
                break
        assert seen and "waiting up to" in seen[-1], "".join(seen)[-3000:]
        time.sleep(1)
        assert proc.poll() is None and not settings.warehouse_path.exists()
        released = datetime.now(UTC)
    finish(proc)
    assert query(settings, "select count(*) from tiktok_ads.queued")[0] == (50,)
    (loaded_at,) = query(settings, "select max(inserted_at) from tiktok_ads._dlt_loads")[0]
    assert loaded_at >= released


@pytest.mark.parametrize("use_filelock", [True, False], ids=["filelock", "fcntl"])
def test_a_load_that_cannot_get_the_lock_fails_naming_the_file_and_the_fix(tmp_path, monkeypatch, use_filelock):
    if use_filelock and loadlock.filelock is None:
        pytest.skip("filelock is not installed; the fcntl fallback is covered by the other case")
    if not use_filelock:
        monkeypatch.setattr(loadlock, "filelock", None)
    settings = settings_in(tmp_path, ADOPS_WAREHOUSE_LOCK_TIMEOUT_S="0.3")
    run_load(settings, rows_source("kept", 0, 10), "lock_test_kept")
    holder = worker_holding_lock(settings.warehouse_path)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLockTimeout) as caught:
            run_load(settings, rows_source("kept", 10, 10), "lock_test_kept")
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    message = str(caught.value)
    assert str(settings.warehouse_path) in message and "ADOPS_WAREHOUSE_LOCK_TIMEOUT_S" in message
    assert query(settings, "select count(*) from tiktok_ads.kept")[0] == (10,)  # nothing stored is lost
    run_load(settings, rows_source("kept", 10, 10), "lock_test_kept")  # the holder died: its lock went with it
    assert query(settings, "select count(*) from tiktok_ads.kept")[0] == (20,)


def worker_holding_lock(warehouse: Path) -> subprocess.Popen:
    """Another process holding the lock with the plain ``fcntl.flock`` (both implementations honour it)."""
    code = ("import fcntl, sys, time\n"
            f"h = open({str(loadlock.lock_path(warehouse))!r}, 'a+')\n"
            "fcntl.flock(h.fileno(), fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc
