"""A separate process that loads rows into the DuckDB warehouse through ``run_load`` (lock tests).

``python -m tests.integration.loads.lock_worker HOME TABLE LOADS ROWS [GO_FILE]``: waits for GO_FILE
(so two workers start together), then runs LOADS loads of ROWS new rows each into ``TABLE``.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import dlt

from adops.settings import load
from adops.warehouse import run_load


def rows_source(table: str, first: int, count: int) -> Any:
    @dlt.resource(name=table, write_disposition="merge", primary_key="id")
    def rows() -> Any:
        yield [{"id": i, "writer": table, "value": float(i)} for i in range(first, first + count)]

    return rows


def main(home: str, table: str, loads: int, rows: int, go_file: str | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout)
    logging.getLogger("adops.loadlock").setLevel(logging.INFO)  # "waiting ... for the warehouse lock"
    settings = load({"ADOPS_HOME": home, "ADOPS_WAREHOUSE_LOCK_TIMEOUT_S": "120"})  # a stuck test fails, not hangs
    while go_file and not Path(go_file).exists():
        time.sleep(0.01)
    for n in range(loads):
        run_load(settings, rows_source(table, n * rows, rows), f"lock_test_{table}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:6])
