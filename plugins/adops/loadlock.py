"""One writer or many readers at a time in the DuckDB warehouse file, across processes.

DuckDB lets a single process open a database file for writing, and while it does, any other process
that opens the file (to write OR to read) fails at once with "Could not set lock on file". Airflow runs
loads, the quality gate, dbt (Cosmos), publish, the Feast export and the cycle's mart reads in separate
task processes, and ``adops`` CLI commands run beside them, so every step that opens the file takes an
OS file lock on ``<warehouse>.lock`` first and queues instead of failing:

- writers (dlt loads, dbt builds, publish, status rows) hold it exclusively;
- readers hold it shared and open DuckDB read-only, so readers run side by side and wait for a writer.

The OS releases the lock when its holder exits, so a crashed step never leaves the warehouse locked (a
leftover ``.lock`` file is harmless). Holds nest within a thread (a write hold covers reads), so a helper
that locks can be called from a step that already holds the lock; other threads queue like processes.

Exclusive holds use ``filelock`` when installed (it also covers Windows), else ``fcntl.flock``; shared
holds use ``fcntl.flock(LOCK_SH)`` (``filelock`` has no shared mode on a plain file; both use ``flock``
on POSIX, so they exclude each other), and are exclusive where ``fcntl`` is missing. BigQuery takes
concurrent jobs, so callers lock only for the DuckDB destination (``lock_for``). Inside Airflow a pool
with one slot (``WAREHOUSE_POOL``) also keeps the warehouse tasks from occupying worker slots while they
queue; the file lock stays, because CLI runs outside Airflow know nothing of pools.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

try:
    import filelock
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    filelock = None

if TYPE_CHECKING:
    from adops.settings import Settings

POLL_S = 0.05
WAREHOUSE_POOL = "duckdb_warehouse"  # Airflow pool of the tasks that open the DuckDB file (1 slot)
DEFAULT_POOL = "default_pool"
log = logging.getLogger(__name__)
_holds = threading.local()  # lock path -> [mode, depth] for the holds of the current thread


class WarehouseLockTimeout(TimeoutError):
    """Another process kept the warehouse file busy for longer than the timeout."""


def lock_path(warehouse_path: Path) -> Path:
    return warehouse_path.with_name(warehouse_path.name + ".lock")


def warehouse_pool(settings: Settings | None = None) -> str:
    """The Airflow pool for tasks that open the warehouse: one slot for DuckDB, the default for BigQuery."""
    from adops.settings import load

    return WAREHOUSE_POOL if (settings or load()).warehouse_destination == "duckdb" else DEFAULT_POOL


def lock_for(settings: Settings, shared: bool = False) -> contextlib.AbstractContextManager[None]:
    """The warehouse lock for ``settings`` (DuckDB has one writer); no lock for BigQuery."""
    if settings.warehouse_destination != "duckdb":
        return contextlib.nullcontext()
    return warehouse_lock(settings.warehouse_path, settings.warehouse_lock_timeout_s, shared=shared)


@contextlib.contextmanager
def warehouse_lock(warehouse_path: Path, timeout_s: float, shared: bool = False) -> Iterator[None]:
    """Hold the warehouse's lock (exclusive, or ``shared`` for readers); wait up to ``timeout_s``, then
    raise ``WarehouseLockTimeout`` naming the file and the fix."""
    path = lock_path(warehouse_path)
    holds: dict[Path, list[Any]] = _holds.__dict__.setdefault("by_path", {})
    if path in holds:  # this thread holds it already: nest
        if not shared and holds[path][0] == "shared":
            raise RuntimeError(f"cannot take the write lock {path} while this thread holds it for reading; "
                               "take the write lock first (it covers reads)")
        holds[path][1] += 1
        try:
            yield
        finally:
            holds[path][1] -= 1
        return
    release = _acquire(warehouse_path, path, timeout_s, shared)
    holds[path] = ["shared" if shared else "exclusive", 1]
    try:
        yield
    finally:
        del holds[path]
        release()


@contextlib.contextmanager
def read_connection(warehouse_path: Path, timeout_s: float) -> Iterator[Any]:
    """A read-only DuckDB connection under the shared lock: waits for a writer, never blocks other readers.

    A warehouse not created yet reads as an empty in-memory catalog (no file is created by reading). If
    this process already has the file open read-write (an in-process dbt build keeps one open), DuckDB
    refuses a second configuration, so the connection shares the open one; the process holds the file
    then anyway.
    """
    import duckdb

    with warehouse_lock(warehouse_path, timeout_s, shared=True):
        if not warehouse_path.exists():
            con = duckdb.connect()
        else:
            try:
                con = duckdb.connect(str(warehouse_path), read_only=True)
            except duckdb.ConnectionException:
                con = duckdb.connect(str(warehouse_path))
        try:
            yield con
        finally:
            con.close()


def _acquire(warehouse_path: Path, path: Path, timeout_s: float, shared: bool) -> Callable[[], object]:
    """Take the OS lock (waiting up to ``timeout_s``); returns how to release it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fcntl = _fcntl()
    if filelock is not None and not (shared and fcntl is not None):
        lock = filelock.FileLock(str(path))
        if _wait(lambda t: lock.acquire(timeout=t, poll_interval=POLL_S), filelock.Timeout, path, timeout_s, shared):
            return lock.release
        raise _timeout(warehouse_path, path, timeout_s, shared)
    handle = path.open("a+")
    mode = fcntl.LOCK_SH if shared and fcntl is not None else None
    if _wait(lambda t: _flock(handle, t, mode), BlockingIOError, path, timeout_s, shared):
        return handle.close  # closing the descriptor drops its flock
    handle.close()
    raise _timeout(warehouse_path, path, timeout_s, shared)


def _fcntl() -> Any:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    return fcntl


def _wait(acquire: Callable[[float], object], busy: type[BaseException], path: Path, timeout_s: float,
          shared: bool) -> bool:
    """Try once; if another process holds the lock, say so in the log and wait up to ``timeout_s``."""
    try:
        acquire(0)
        return True
    except busy:
        log.info("waiting up to %gs for the warehouse lock %s: another process is %s the warehouse", timeout_s, path,
                 "writing" if shared else "using")
    try:
        acquire(timeout_s)
        return True
    except busy:
        return False


def _flock(handle: IO[str], timeout_s: float, mode: int | None = None) -> None:
    """Poll a non-blocking ``flock`` (exclusive unless ``mode``) until granted; ``BlockingIOError`` after
    ``timeout_s``."""
    import fcntl

    deadline = time.monotonic() + max(0.0, timeout_s)
    while True:
        try:
            fcntl.flock(handle.fileno(), (fcntl.LOCK_EX if mode is None else mode) | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(POLL_S)


def _timeout(warehouse_path: Path, path: Path, timeout_s: float, shared: bool) -> WarehouseLockTimeout:
    action = "to read" if shared else "to write"
    return WarehouseLockTimeout(
        f"waited {timeout_s:g}s {action} the DuckDB warehouse {warehouse_path} (lock file {path}) while another "
        "process used it; DuckDB allows one writer process at a time (or many readers). Let the other load, build "
        "or read finish and re-run, raise ADOPS_WAREHOUSE_LOCK_TIMEOUT_S if steps are legitimately long, or use "
        "BigQuery (ADOPS_WAREHOUSE_DESTINATION=bigquery) for many concurrent writers.")
