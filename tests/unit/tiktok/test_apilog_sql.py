"""The SQL sink writes redacted rows into ``api_log`` (migration 0004) on a migrated SQLite file."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from adops.db import make_engine, migrate, session_factory
from tiktok.api import RetryPolicy, TikTokClient, static_token
from tiktok.api.apilog import ApiLog
from tiktok.api.apilog_sql import ApiLogRow, SqlSink

from .fakes import FakeSession, response

pytestmark = pytest.mark.unit
TOKEN = "act.db-secret-token-999"


def test_sql_sink_stores_one_redacted_row_per_attempt(tmp_path):
    url = f"sqlite:///{tmp_path / 'control.db'}"
    migrate(url)
    engine = make_engine(url)
    assert "api_log" in inspect(engine).get_table_names()
    s = FakeSession(response(code=50002, message="timeout"), response(data={"ok": 1}))
    c = TikTokClient("http://emu:1/", session=s, token_provider=static_token(TOKEN),
                     api_log=ApiLog(SqlSink(engine), secrets=lambda: [TOKEN]),
                     retry_policy=RetryPolicy(sleep=lambda _: None))
    c.call("campaign.get", {"advertiser_id": "5", "filtering": {"email": "a.b@example.com"}, "token": TOKEN},
           idempotency_key="idem-9")
    with session_factory(engine)() as session:
        rows = session.scalars(select(ApiLogRow).order_by(ApiLogRow.id)).all()
    assert [(r.attempt, r.code) for r in rows] == [(1, 50002), (2, 0)]
    assert rows[1].request_id == "rid-1" and rows[1].idempotency_key == "idem-9" and rows[1].advertiser_id == "5"
    dumped = repr([(r.params, r.error) for r in rows])
    assert TOKEN not in dumped and "example.com" not in dumped
