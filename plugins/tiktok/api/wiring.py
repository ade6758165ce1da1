"""One place that builds the reliability parts a production client needs from the environment.

The hook and CLI should not each decide how a limiter, breakers and the API log are assembled:
with ``REDIS_URL`` set the limiter and breakers share state across workers, otherwise they live in
this process; the API log goes to JSON logging unless a SQL engine is given.
"""
from __future__ import annotations

import os
from typing import Any

from tiktok.api.apilog import ApiLog, LoggingSink
from tiktok.api.breaker import Breakers
from tiktok.api.ratelimit import RateLimiter
from tiktok.api.ratelimit_config import config_from_mapping


def reliability_kwargs(app_id: str, *, rate_limit: dict[str, Any] | None = None, max_in_flight: int = 10,
                       engine: Any = None, secrets: list[str] | None = None,
                       env: dict[str, str] | None = None) -> dict[str, Any]:
    """``limiter``, ``breakers`` and ``api_log`` keyword arguments for ``TikTokClient``."""
    env = dict(os.environ) if env is None else env
    limiter = RateLimiter.from_env(config_from_mapping(rate_limit), namespace=app_id, env=env,
                                   app_id=app_id, max_in_flight=max_in_flight)
    breakers = Breakers.from_env(env=env, namespace=app_id)
    sinks: list[Any] = [LoggingSink()]
    if engine is not None:
        from tiktok.api.apilog_sql import SqlSink

        sinks.append(SqlSink(engine))
    kept = [s for s in (secrets or []) if s]
    return {"limiter": limiter, "breakers": breakers, "api_log": ApiLog(*sinks, secrets=lambda: kept)}
