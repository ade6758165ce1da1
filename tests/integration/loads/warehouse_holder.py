"""Another process using the DuckDB warehouse the way a load or a build does (lock + open file), for lock tests.

``python -m tests.integration.loads.warehouse_holder WAREHOUSE SECONDS MODE [SQL]``: takes the warehouse
lock (MODE ``write``: exclusive, the file opened read-write, SQL run in a transaction committed at the
end; MODE ``read``: shared, the file opened read-only), prints ``held``, keeps both for SECONDS, then
prints ``released <epoch seconds>`` as it lets go. With ``HOLDER_RELEASE_FILE`` set, a writer lets go
as soon as that file exists (SECONDS is then the longest hold).
While a writer holds the file, any other process that opens it without waiting for the lock fails
with DuckDB's "Could not set lock on file", so a test using this can fail.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def main(warehouse: str, seconds: float, mode: str, sql: str | None = None) -> None:
    from adops.loadlock import read_connection, warehouse_lock

    path = Path(warehouse)
    if mode == "read":
        with read_connection(path, 60) as con:
            con.execute("select 1").fetchall()
            print("held", flush=True)
            time.sleep(seconds)
            print(f"released {time.time()}", flush=True)
        return
    import duckdb

    with warehouse_lock(path, 60), duckdb.connect(str(path)) as con:
        con.execute("begin transaction")
        if sql:
            con.execute(sql)
        print("held", flush=True)
        _sleep(seconds, os.environ.get("HOLDER_RELEASE_FILE"))
        con.execute("commit")
        print(f"released {time.time()}", flush=True)


def _sleep(seconds: float, release_file: str | None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (release_file and Path(release_file).exists()):
        time.sleep(0.02)


def _popen(warehouse: Path, seconds: float, mode: str, sql: str | None, stdout: object,
           release: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("plugins", "emulator", ".")),
           "PYTHONUNBUFFERED": "1", **({"HOLDER_RELEASE_FILE": str(release)} if release else {})}
    args = [sys.executable, "-m", "tests.integration.loads.warehouse_holder", str(warehouse), str(seconds), mode]
    return subprocess.Popen([*args, *([sql] if sql else [])], cwd=ROOT, env=env, stdout=stdout,
                            stderr=subprocess.STDOUT, text=True)


def start(warehouse: Path, seconds: float, mode: str = "write", sql: str | None = None) -> subprocess.Popen:
    """Start a holder and return once it holds the lock (and the file)."""
    proc = _popen(warehouse, seconds, mode, sql, subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "held", line + proc.stdout.read()
    return proc


def start_logged(warehouse: Path, seconds: float, log: Path, release: Path) -> None:
    """Start a writer that outlives the caller (an Airflow task), its output in ``log``, holding until
    ``release`` exists (at most ``seconds``); return once it holds."""
    with log.open("w") as out:
        _popen(warehouse, seconds, "write", None, out, release)
    deadline = time.monotonic() + 60
    while "held" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)


def released_at(log: Path) -> float:
    """When a holder let go (epoch seconds), from its output; waits for it to finish."""
    deadline = time.monotonic() + 120
    while "released" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return float(log.read_text().split("released", 1)[1].split()[0])


def finish(proc: subprocess.Popen) -> None:
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
