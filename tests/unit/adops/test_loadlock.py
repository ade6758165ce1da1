"""The warehouse lock nests within a thread, excludes other threads, and picks the pool per destination."""
from __future__ import annotations

import threading

import pytest

from adops.loadlock import DEFAULT_POOL, WAREHOUSE_POOL, WarehouseLockTimeout, warehouse_lock, warehouse_pool
from adops.settings import load

pytestmark = pytest.mark.unit


def other_thread_gets(path, shared: bool) -> BaseException | None:
    """Try the lock from another thread with a short timeout; the error it got, or None."""
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            with warehouse_lock(path, 0.2, shared=shared):
                outcome.append(None)
        except WarehouseLockTimeout as exc:
            outcome.append(exc)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(10)
    return outcome[0]


def test_a_write_hold_covers_nested_reads_and_writes_in_the_same_thread(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with warehouse_lock(path, 0.2), warehouse_lock(path, 0.2, shared=True), warehouse_lock(path, 0.2):
        assert isinstance(other_thread_gets(path, shared=True), WarehouseLockTimeout)
    assert other_thread_gets(path, shared=False) is None  # every nested hold was released


def test_readers_share_but_a_writer_waits_for_them(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with warehouse_lock(path, 0.2, shared=True):
        assert other_thread_gets(path, shared=True) is None
        error = other_thread_gets(path, shared=False)
    assert isinstance(error, WarehouseLockTimeout)
    assert "to write" in str(error) and "ADOPS_WAREHOUSE_LOCK_TIMEOUT_S" in str(error)


def test_a_read_hold_cannot_be_upgraded_in_place(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with warehouse_lock(path, 0.2, shared=True), pytest.raises(RuntimeError, match="take the write lock first"):
        with warehouse_lock(path, 0.2):
            pass
    assert other_thread_gets(path, shared=False) is None


@pytest.mark.parametrize(("destination", "pool"), [("duckdb", WAREHOUSE_POOL), ("bigquery", DEFAULT_POOL)])
def test_the_warehouse_pool_serialises_duckdb_only(destination, pool):
    assert warehouse_pool(load({"ADOPS_WAREHOUSE_DESTINATION": destination})) == pool
