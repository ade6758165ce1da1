"""Endpoint handlers. Importing this package registers every route."""
from . import (  # noqa: F401
    accounts,
    admin,
    ads,
    events,
    files,
    market_admin,
    oauth,
    reports,
    subscriptions,
)
