"""Cross-process single-flight for one grant's refresh, per database dialect.

PostgreSQL: ``SELECT … FOR UPDATE`` on the grant's rows (ordered by id, so two lockers never
deadlock); a second process blocks there until the first commits, then re-reads the fresh row.
SQLite: ``BEGIN IMMEDIATE`` takes the database's single write lock up front, which serialises the
same way (SQLite has no row locks; the busy timeout makes waiters queue instead of failing).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tiktok.oauth.models import OAuthToken


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction already holds the write lock on SQLite; commits on success."""
    session = Session(engine, expire_on_commit=False)
    try:
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def lock_grant(session: Session, grant_id: str) -> list[OAuthToken]:
    """Lock every row of ``grant_id`` (a refresh rotates the token they share) and return them fresh."""
    query = select(OAuthToken).where(OAuthToken.grant_id == grant_id).order_by(OAuthToken.id)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))
