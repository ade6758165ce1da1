"""The control-plane database: one SQLAlchemy 2 ``Base``, engines, and Alembic migrations.

SQLite by default (a file under ``ADOPS_HOME``), PostgreSQL in production; the same models and the
same migrations serve both. Tables are created only by ``migrate()`` (Alembic ``upgrade head``),
never by ``create_all``, so a production database and a fresh test database have the same schema.
"""
from __future__ import annotations

from .engine import Base, make_engine, migrate, session_factory

__all__ = ["Base", "make_engine", "migrate", "session_factory"]
