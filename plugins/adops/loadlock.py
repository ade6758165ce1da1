"""One writer at a time into the DuckDB warehouse file, across processes.

DuckDB lets a single process open a database file for writing; a second writer fails at once with
"Could not set lock on file". Airflow runs ``tiktok_ingest``, ``sales_ingest`` and ``events_ingest``
in separate task processes, so two loads landing at the same moment would collide. Loads therefore
take an exclusive OS file lock on ``<warehouse>.lock`` around the steps that touch the file, and
queue instead of failing. The lock is released by the OS when its holder exits, so a crashed load
never leaves the warehouse locked (a leftover ``.lock`` file is harmless).

``filelock`` is used when installed (it also covers Windows); otherwise ``fcntl.flock`` (POSIX).
BigQuery takes concurrent load jobs, so callers lock only for the DuckDB destination.
"""
from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

try:
    import filelock
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    filelock = None

POLL_S = 0.05
log = logging.getLogger(__name__)


class WarehouseLockTimeout(TimeoutError):
    """Another process kept loading into the warehouse file for longer than the timeout."""


def lock_path(warehouse_path: Path) -> Path:
    return warehouse_path.with_name(warehouse_path.name + ".lock")


@contextlib.contextmanager
def warehouse_lock(warehouse_path: Path, timeout_s: float) -> Iterator[None]:
    """Hold the warehouse's write lock; wait up to ``timeout_s`` for it, then raise a clear error."""
    path = lock_path(warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if filelock is not None:
        lock = filelock.FileLock(str(path))
        acquired = _wait(lambda t: lock.acquire(timeout=t, poll_interval=POLL_S), filelock.Timeout, path, timeout_s)
        release: Callable[[], object] = lock.release
    else:
        handle = path.open("a+")
        acquired = _wait(lambda t: _flock(handle, t), BlockingIOError, path, timeout_s)
        release = handle.close  # closing the descriptor drops its flock
        if not acquired:
            handle.close()
    if not acquired:
        raise _timeout(warehouse_path, path, timeout_s)
    try:
        yield
    finally:
        release()


def _wait(acquire: Callable[[float], object], busy: type[BaseException], path: Path, timeout_s: float) -> bool:
    """Try once; if another process holds the lock, say so in the log and wait up to ``timeout_s``."""
    try:
        acquire(0)
        return True
    except busy:
        log.info("waiting up to %gs for the warehouse lock %s: another load is writing", timeout_s, path)
    try:
        acquire(timeout_s)
        return True
    except busy:
        return False


def _flock(handle: IO[str], timeout_s: float) -> None:
    """Poll a non-blocking exclusive ``flock`` until granted; ``BlockingIOError`` after ``timeout_s``."""
    import fcntl

    deadline = time.monotonic() + max(0.0, timeout_s)
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(POLL_S)


def _timeout(warehouse_path: Path, path: Path, timeout_s: float) -> WarehouseLockTimeout:
    return WarehouseLockTimeout(
        f"waited {timeout_s:g}s for another load into the DuckDB warehouse {warehouse_path} (lock file {path}); "
        "DuckDB allows one writer process at a time. Let the other load finish and re-run, raise "
        "ADOPS_WAREHOUSE_LOCK_TIMEOUT_S if loads are legitimately long, or use BigQuery "
        "(ADOPS_WAREHOUSE_DESTINATION=bigquery) for many concurrent writers.")
