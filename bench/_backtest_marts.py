"""The backtest's warehouse: raw report tables in DuckDB and the project's compiled dbt SQL over them.

``dbt compile`` runs once per backtest (not 84 builds per job); every model the optimiser reads,
with its staging ancestors, is then created as a DuckDB *view* from its compiled SQL, so each cycle
only merges new raw rows and queries the marts. Raw tables get exactly the columns and types the
compiled staging SQL casts, so the SQL runs unchanged.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
MARTS = ("fct_adgroup_performance_daily", "fct_ad_performance_hourly", "dim_adgroups")
CAST = re.compile(r"cast\((\w+) as ([\w(), ]+?)\) as (\w+)")
SOURCE = re.compile(r'from "warehouse"\."tiktok_ads"\."(\w+)"')


def compile_marts(target: Path) -> dict[str, Any]:
    """``dbt compile`` of the marts the optimiser reads; returns {models: [(name, sql)] in order, sources}."""
    env = {**os.environ, "ADOPS_WAREHOUSE_PATH": str(target / "warehouse.duckdb"), "ADOPS_MARTS_SCHEMA": "analytics",
           "ADOPS_DBT_SCHEMA": "analytics"}
    select = " ".join(f"+{m}" for m in MARTS)
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), "compile", "--project-dir", str(ROOT / "dbt"), "--profiles-dir", str(ROOT / "dbt"),
           "--target-path", str(target / "target"), "--log-path", str(target / "logs"), "--quiet",
           "--vars", "{assume_sources_exist: true}", "--select", *select.split()]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dbt compile failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    manifest = json.loads((target / "target" / "manifest.json").read_text())
    return _ordered(manifest, target / "target")


def _ordered(manifest: dict, target: Path) -> dict[str, Any]:
    nodes = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    wanted: list[str] = []

    def visit(key: str) -> None:
        if key in wanted or key not in nodes:
            return
        for dep in nodes[key]["depends_on"]["nodes"]:
            visit(dep)
        wanted.append(key)

    for m in MARTS:
        visit(f"model.adops.{m}")
    models, sources = [], {}
    for key in wanted:
        node = nodes[key]
        sql = (target / "compiled" / "adops" / node["original_file_path"]).read_text()
        models.append((node["name"], sql))
        for table in SOURCE.findall(sql):
            sources[table] = [(c, t) for c, t, alias in CAST.findall(sql) if c == alias]
    return {"models": models, "sources": sources}


def open_warehouse(compiled: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """An in-memory ``warehouse`` database with empty raw tables and the marts as views.

    One DuckDB thread: each cycle's queries touch a few thousand rows, where a second thread only
    adds hand-offs, and the backtest already runs one job per core.
    """
    con = duckdb.connect(config={"threads": 1})
    con.execute("attach ':memory:' as warehouse; use warehouse; create schema tiktok_ads; create schema analytics")
    for table, cols in compiled["sources"].items():
        body = ", ".join(f"{c} {t}" for c, t in cols)
        con.execute(f"create table tiktok_ads.{table} ({body})")
    for name, sql in compiled["models"]:
        con.execute(f'create view analytics."{name}" as {sql}')
    return con


def merge(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], key: list[str],
          replace_where: str | None = None, params: list[Any] | None = None) -> int:
    """Load rows like the platform's loads do: replace the pulled window, or insert keys not yet present.

    The columns the rows have become one Arrow table of text (``"-"``, TikTok's "no data", as null)
    that DuckDB casts in one statement; the table's other columns stay NULL.
    """
    types = _types(con, table)
    if replace_where:
        con.execute(f"delete from tiktok_ads.{table} where {replace_where}", params or [])
    if not rows:
        return 0
    present = set().union(*rows)
    cols = [c for c in types if c in present]
    incoming = pa.table({c: _column(rows, c, types[c]) for c in cols})  # noqa: F841  (DuckDB scans it by name)
    casts = ", ".join(f"cast(i.{c} as {types[c]})" for c in cols)
    into = f"tiktok_ads.{table} ({', '.join(cols)})"
    if replace_where:  # the window was just emptied: a plain insert
        con.execute(f"insert into {into} select {casts} from incoming i")
    else:
        on = " and ".join(f"t.{k} = cast(i.{k} as {types[k]})" for k in key)
        con.execute(f"insert into {into} select {casts} from incoming i where not exists "
                    f"(select 1 from tiktok_ads.{table} t where {on})")
    return len(rows)


def _column(rows: list[dict[str, Any]], name: str, sql_type: str) -> pa.Array:
    """One column as text: strings as they are (the common case, no per-value Python), else ``_text``."""
    values = [r.get(name) for r in rows]
    try:
        array = pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_text(v, sql_type) for v in values], type=pa.string())
    dash = pc.equal(array, "-")
    return pc.if_else(dash, None, array) if pc.any(dash).as_py() else array


def _text(value: Any, sql_type: str) -> str | None:
    """Every value as text for DuckDB to cast; epoch seconds (advertiser/info times) as timestamps."""
    if value is None or value == "-":
        return None
    if sql_type.startswith("TIMESTAMP") and isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return value if isinstance(value, str) else str(value)


_TYPES: dict[tuple[int, str], dict[str, str]] = {}


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    key = (id(con), table)
    if key not in _TYPES:
        _TYPES[key] = dict(con.execute("select column_name, data_type from information_schema.columns "
                                       "where table_schema = 'tiktok_ads' and table_name = ?", [table]).fetchall())
    return _TYPES[key]
