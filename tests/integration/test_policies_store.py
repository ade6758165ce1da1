"""Policies as rows: defaults ← global ← account, history of every save, refusals that keep what is stored.

The same tests run on SQLite and on the machine's PostgreSQL (a private database per test).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import Engine

from adops.db import make_engine, migrate
from adops.guardrails import (
    Policy,
    PolicyError,
    StaleVersion,
    load_policy,
    policy_history,
    policy_record,
    save_policy,
    set_policy_values,
)
from adops.guardrails.store import PolicyRow

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'control.db'}"
        migrate(url)
        yield make_engine(url)
        return
    base = request.getfixturevalue("postgres_url")
    name = f"policies_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_no_rows_means_the_requirement_defaults(engine):
    assert load_policy(engine, "123") == Policy()
    assert policy_record(engine, "123").version == 0


def test_round_trip_keeps_every_field(engine):
    policy = Policy(adgroup_min_budget=25.0, monthly_budget=30000.0, target_cpa=12.5, ng_words=("free", "無料"),
                    kill_switch=True, dry_run=True, auto_apply=frozenset({"budget", "status"}), bid_cooldown_h=36.0)
    record = save_policy(engine, "123", policy, "alice", at=T0)
    assert record.version == 1 and load_policy(engine, "123") == policy
    assert set(record.overrides) == {"adgroup_min_budget", "monthly_budget", "target_cpa", "ng_words", "kill_switch",
                                     "dry_run", "auto_apply", "bid_cooldown_h"}  # only what differs is stored


def test_accounts_inherit_the_global_row_unless_they_override(engine):
    set_policy_values(engine, "*", {"monthly_budget": "50000", "ng_words": "free"}, "ops")
    set_policy_values(engine, "123", {"monthly_budget": "9000"}, "alice")
    mine, other = policy_record(engine, "123"), policy_record(engine, "456")
    assert (mine.policy.monthly_budget, mine.policy.ng_words) == (9000.0, ("free",))
    assert (mine.source("monthly_budget"), mine.source("ng_words"), mine.source("bid_band")) == \
        ("account", "global", "default")
    assert other.policy.monthly_budget == 50000.0 and other.source("monthly_budget") == "global"
    set_policy_values(engine, "*", {"ng_words": "free,cure"}, "ops")  # a new global default reaches accounts
    assert load_policy(engine, "123").ng_words == ("cure", "free")
    set_policy_values(engine, "123", {}, "alice", unset=["monthly_budget"])
    assert load_policy(engine, "123").monthly_budget == 50000.0


def test_history_records_who_changed_what_when(engine):
    set_policy_values(engine, "123", {"adgroup_min_budget": "25"}, "alice", at=T0)
    set_policy_values(engine, "123", {"adgroup_min_budget": "30", "dry_run": "true"}, "bob",
                      at=T0.replace(hour=9))
    set_policy_values(engine, "123", {"adgroup_min_budget": "30"}, "carol")  # no change: no version, no history
    rows = policy_history(engine, "123")
    assert [(r["version"], r["actor"]) for r in rows] == [(2, "bob"), (1, "alice")]
    assert rows[0]["changes"] == {"adgroup_min_budget": [25.0, 30.0], "dry_run": [False, True]}
    assert rows[0]["at"] == T0.replace(hour=9) and rows[1]["changes"] == {"adgroup_min_budget": [20.0, 25.0]}
    assert policy_record(engine, "123").updated_by == "bob"


def test_bad_values_and_stale_versions_change_nothing(engine):
    set_policy_values(engine, "123", {"max_day_change": "0.4"}, "alice")
    with pytest.raises(PolicyError, match="max_step_change: 0.45 exceeds max_day_change 0.4"):
        set_policy_values(engine, "123", {"max_step_change": "0.45"}, "bob")
    with pytest.raises(PolicyError, match="unknown policy key"):
        set_policy_values(engine, "123", {"max_budget": "1"}, "bob")
    with pytest.raises(StaleVersion, match="version 1, not 0"):
        set_policy_values(engine, "123", {"dry_run": "true"}, "bob", expected_version=0)
    with pytest.raises(PolicyError, match="would make account '123'"):  # a global default that breaks an account
        set_policy_values(engine, "*", {"max_step_change": "0.45"}, "ops")
    record = policy_record(engine, "123")
    assert record.version == 1 and record.policy == Policy(max_day_change=0.4)
    assert load_policy(engine, "*") == Policy() and len(policy_history(engine)) == 1


def test_a_hand_edited_bad_row_fails_loudly_naming_account_and_key(engine):
    set_policy_values(engine, "123", {"bid_band": "0.2"}, "alice")
    with engine.begin() as conn:
        conn.execute(update(PolicyRow).where(PolicyRow.account_id == "123").values(overrides={"bid_band": -1}))
    with pytest.raises(PolicyError, match=r"bid_band: .*\(stored policy of account '123'; fix it with `adops policy"):
        load_policy(engine, "123")


def test_blank_account_is_refused(engine):
    with pytest.raises(PolicyError, match="account"):
        load_policy(engine, " ")
