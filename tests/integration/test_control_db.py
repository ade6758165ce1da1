"""The control-plane schema comes from Alembic, identically on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from adops.db import make_engine, migrate
from adops.db.engine import _migrated

pytestmark = pytest.mark.integration


def _tables(url: str) -> set[str]:
    return set(inspect(make_engine(url)).get_table_names())


def test_sqlite_migrates_to_head_and_is_idempotent(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    migrate(url)
    _migrated.discard(url)
    migrate(url)  # a second upgrade on an up-to-date database changes nothing
    assert {"plans", "alembic_version"} <= _tables(url)


@pytest.mark.services
def test_postgres_gets_the_same_schema(postgres_url: str, tmp_path) -> None:
    name = f"adops_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        sqlite_url = f"sqlite:///{tmp_path / 'c.db'}"
        migrate(sqlite_url)
        assert _tables(url) == _tables(sqlite_url)
    finally:
        make_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
