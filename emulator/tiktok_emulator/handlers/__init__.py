"""Endpoint handlers. Importing this package registers every route."""
from . import (  # noqa: F401
    accounts,
    adgroups,
    admin,
    ads,
    campaigns,
    events,
    faults_admin,
    files,
    market_admin,
    oauth,
    reports,
    subscriptions,
    webhooks_admin,
)
