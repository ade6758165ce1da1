"""What every ``adops`` sub-command shares: one-line errors with an exit code, and the control database.

A command never shows a traceback for a problem the operator can fix: the error is one line on stderr
naming what to change, and the exit code says which kind it was (2: configuration or bad input).
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from adops.crypto import ConfigError

ErrorTypes = type[BaseException] | tuple[type[BaseException], ...]


def exit_on(*rules: tuple[ErrorTypes, str, int]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: an exception matching a rule ``(types, prefix, code)`` prints ``prefix: message`` and exits."""
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                for types, prefix, code in rules:
                    if isinstance(exc, types):
                        click.echo(f"{prefix}: {exc}", err=True)
                        sys.exit(code)
                raise

        return wrapper

    return decorate


config_errors = exit_on((ConfigError, "configuration error", 2))


def control_engine(url: str) -> Any:
    """The migrated control database; one that cannot be opened is reported naming ADOPS_CONTROL_DB_URL."""
    from sqlalchemy.exc import SQLAlchemyError

    from adops.db import make_engine, migrate

    try:
        engine = make_engine(url)  # first: creates a SQLite file's folder
        migrate(url)
    except (SQLAlchemyError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError("ADOPS_CONTROL_DB_URL", f"cannot open the control database: {first}") from exc
    return engine
