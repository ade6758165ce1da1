"""Policies as rows: a global default (account ``*``) plus per-account overrides, with full history.

Each row stores only the keys it overrides, so a change to the global default reaches every account
that did not set that key itself; ``load_policy`` resolves defaults ← ``*`` ← account. Every save bumps
the row's version and appends a ``policy_history`` row (who, when, which effective values moved), and
a caller that passes ``expected_version`` is refused instead of overwriting an edit it did not see.
Tables come from migration ``0005_policies``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from adops.db import Base

from .policy import FIELDS, Policy, PolicyError, coerce, differences, from_mapping, to_plain

GLOBAL = "*"
TS = DateTime(timezone=True)


class PolicyRow(Base):
    __tablename__ = "policies"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(TS)
    updated_by: Mapped[str] = mapped_column(String(200))


class PolicyHistoryRow(Base):
    __tablename__ = "policy_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(TS)
    actor: Mapped[str] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON)


class StaleVersion(RuntimeError):
    """The stored policy changed since the caller read it; re-read, re-apply the edit, save again."""


@dataclass(frozen=True)
class PolicyRecord:
    """An account's effective policy and where each value came from (for ``adops policy show``)."""

    account_id: str
    policy: Policy
    overrides: dict[str, Any] = field(default_factory=dict)         # this row's own keys
    inherited: dict[str, Any] = field(default_factory=dict)         # the global row's keys
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    def source(self, key: str) -> str:
        if key in self.overrides:
            return "account" if self.account_id != GLOBAL else "global"
        return "global" if key in self.inherited else "default"


def _check_account(account_id: str) -> str:
    account = str(account_id or "").strip()
    if not account or len(account) > 64:
        raise PolicyError("account", f"{account_id!r} is not an account id; give the advertiser id, or '*' for the "
                                     "global default")
    return account


def _resolve(account_id: str, own: dict[str, Any], inherited: dict[str, Any], *, stored: bool = True) -> Policy:
    try:
        return from_mapping(own, from_mapping(inherited))
    except PolicyError as exc:
        where = (f"stored policy of account {account_id!r}; fix it with `adops policy set --account {account_id} "
                 f"{exc.key}=...`") if stored else f"nothing saved for account {account_id!r}"
        raise PolicyError(exc.key, f"{exc.problem} ({where})") from exc


def _read(session: Session, account_id: str, *, lock: bool = False) -> tuple[PolicyRow | None, PolicyRow | None]:
    query = select(PolicyRow).where(PolicyRow.account_id.in_({GLOBAL, account_id}))
    rows = {r.account_id: r for r in session.scalars(query.with_for_update() if lock else query)}
    return rows.get(GLOBAL), (rows.get(account_id) if account_id != GLOBAL else None)


def _record(account_id: str, glob: PolicyRow | None, own: PolicyRow | None) -> PolicyRecord:
    inherited = dict(glob.overrides) if glob is not None else {}
    row = glob if account_id == GLOBAL else own
    mine = dict(row.overrides) if row is not None else {}
    policy = _resolve(account_id, mine, {} if account_id == GLOBAL else inherited)
    return PolicyRecord(account_id, policy, mine, {} if account_id == GLOBAL else inherited,
                        row.version if row is not None else 0, _utc(row.updated_at) if row else None,
                        row.updated_by if row else None)


def policy_record(engine: Engine, account_id: str) -> PolicyRecord:
    account = _check_account(account_id)
    with Session(engine) as session:
        return _record(account, *_read(session, account))


def load_policy(engine: Engine, account_id: str) -> Policy:
    """The effective policy for ``account_id``: defaults ← global row ← the account's row."""
    return policy_record(engine, account_id).policy


def save_policy(engine: Engine, account_id: str, policy: Policy, actor: str = "system", *,
                expected_version: int | None = None, at: datetime | None = None) -> PolicyRecord:
    """Store ``policy`` as the account's effective policy (only the keys that differ from what it inherits)."""
    account = _check_account(account_id)

    def edit(inherited: Policy, _own: dict[str, Any]) -> dict[str, Any]:
        return {k: to_plain(getattr(policy, k)) for k in FIELDS if getattr(policy, k) != getattr(inherited, k)}

    return _write(engine, account, edit, actor, expected_version, at)


def set_policy_values(engine: Engine, account_id: str, values: dict[str, Any], actor: str = "system", *,
                      unset: Iterable[str] = (), expected_version: int | None = None,
                      at: datetime | None = None) -> PolicyRecord:
    """Override ``values`` (CLI strings or JSON values) and drop ``unset`` keys for one account or ``*``."""
    account = _check_account(account_id)
    plain = {k: to_plain(coerce(k, v)) for k, v in values.items()}
    drop = list(unset)
    for key in drop:
        if key not in FIELDS:
            raise PolicyError(key, f"unknown policy key; known keys: {', '.join(FIELDS)}")

    def edit(_inherited: Policy, own: dict[str, Any]) -> dict[str, Any]:
        merged = {k: v for k, v in own.items() if k not in drop}
        merged.update(plain)
        return merged

    return _write(engine, account, edit, actor, expected_version, at)


def _write(engine: Engine, account: str, edit, actor: str, expected_version: int | None,
           at: datetime | None) -> PolicyRecord:
    when = at or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        glob, own = _read(session, account, lock=True)
        before = _record(account, glob, own)
        if expected_version is not None and expected_version != before.version:
            raise StaleVersion(f"policy of account {account!r} is at version {before.version}, not "
                               f"{expected_version}: someone saved it meanwhile; show it again and redo the edit")
        inherited = Policy() if account == GLOBAL else _resolve(GLOBAL, before.inherited, {})
        overrides = edit(inherited, dict(before.overrides))
        after = _resolve(account, overrides, {} if account == GLOBAL else before.inherited, stored=False)
        if overrides == before.overrides:
            return before
        if account == GLOBAL:
            _check_accounts(session, overrides)
        row = (glob if account == GLOBAL else own) or PolicyRow(account_id=account, version=0)
        row.version, row.overrides, row.updated_at, row.updated_by = before.version + 1, overrides, when, actor
        session.add(row)
        session.add(PolicyHistoryRow(account_id=account, version=row.version, at=when, actor=actor,
                                     changes=differences(before.policy, after), overrides=overrides))
        return PolicyRecord(account, after, overrides, before.inherited, row.version, when, actor)


def _check_accounts(session: Session, global_overrides: dict[str, Any]) -> None:
    """A new global default must leave every account's policy valid (else nothing is saved)."""
    for row in session.scalars(select(PolicyRow).where(PolicyRow.account_id != GLOBAL)):
        try:
            from_mapping(row.overrides, from_mapping(global_overrides))
        except PolicyError as exc:
            raise PolicyError(exc.key, f"{exc.problem}: this global value would make account {row.account_id!r}'s "
                                       "policy invalid; change that account first (nothing saved)") from exc


def policy_history(engine: Engine, account_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Saves, newest first: ``{account_id, version, at, actor, changes: {key: [old, new]}}``."""
    query = select(PolicyHistoryRow).order_by(PolicyHistoryRow.id.desc()).limit(limit)
    if account_id is not None:
        query = query.where(PolicyHistoryRow.account_id == account_id)
    with Session(engine) as session:
        return [{"account_id": r.account_id, "version": r.version, "at": _utc(r.at), "actor": r.actor,
                 "changes": dict(r.changes), "overrides": dict(r.overrides)} for r in session.scalars(query)]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
