"""Helpers for the raw-load tests: a client on an emulator, settings in a temp home, table snapshots."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb
import requests

from adops.settings import Settings, load
from tiktok.api import TikTokClient, static_token


def client_for(server: Any) -> tuple[TikTokClient, str]:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    return TikTokClient(server.base_url, token_provider=static_token(creds["access_token"])), creds["advertiser_ids"][0]


def settings_in(home: Path, **env: str) -> Settings:
    return load({"ADOPS_HOME": str(home), **env})


def snapshot(settings: Settings, table: str, where: str = "true") -> list[tuple]:
    """Every row (without dlt's bookkeeping columns), sorted: equal snapshots mean identical tables."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cols = [r[0] for r in con.execute(f"describe tiktok_ads.{table}").fetchall() if not r[0].startswith("_dlt")]
        return sorted(con.execute(f"select {', '.join(cols)} from tiktok_ads.{table} where {where}").fetchall(), key=repr)


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def checksums(settings: Settings) -> dict[str, tuple[int, str]]:
    """{raw table: (rows, sha256 of its sorted rows without dlt's bookkeeping columns)}."""
    out: dict[str, tuple[int, str]] = {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_name not like '\\_dlt%' escape '\\'", [settings.raw_dataset]).fetchall()]
        for table in sorted(tables):
            cols = [r[0] for r in con.execute(f"describe {settings.raw_dataset}.{table}").fetchall()
                    if not r[0].startswith("_dlt")]
            rows = sorted(map(repr, con.execute(f"select {', '.join(cols)} from {settings.raw_dataset}.{table}")
                              .fetchall()))
            out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out
