"""The least API calls a cycle's work allows, and the least time TikTok's rate limits allow for the calls made.

Minimum calls (TikTok's batching rules, spec §2 and ``tiktok.api.batching``):
* report pulls: one call per 1,000-row page of each table pulled (page_size max 1000);
* reading the levers before writing them (the outbox's look-up-before-send): 100 ids per ``*/get/``,
  per level, for every change the channel handled (a change found already in place is read, not sent);
* budgets: every ad group in ONE ``adgroup/budget/update/`` call;
* bids / bid modes: ``adgroup/update/`` takes one ad group (TikTok has no batch bid endpoint), so one
  call per ad group whose bid or bid mode changes (a switch to Cost Cap carries its cap in the same call);
* statuses (creative pauses): 20 ids per ``*/status/update/`` call, per level and target status;
* the advertiser's info (time zone, currency): one call.

Rate-limit floor: TikTok limits each (app, path) per second (QPS) and per sliding minute (QPM), so
``n`` calls on one path take at least ``max(n / qps, 60 * floor((n - 1) / qpm))`` seconds at the
sustained rate (a burst inside one fixed second could squeeze a little under ``n / qps``; a client
must not count on it). A path with its own QPS limit (``per_endpoint``) is limited per second only
(its per-minute limit is 60x that). Paths run concurrently within a phase; the phases (pull → read →
write) depend on each other, so the floor is the sum over phases of the slowest path.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from ml.plan import AD, ADGROUP, BID, BID_MODE, BUDGET, CAMPAIGN, COST_CAP, PAUSED, STATUS, Change

TIERS = {"basic": (10, 600), "advanced": (20, 1200), "premium": (30, 1800), "ultimate": (50, 3000)}
PAGE_ROWS, IDS_PER_GET, IDS_PER_STATUS = 1000, 100, 20
PULL_PATHS = ("report/integrated/get/", "report/task/create/", "report/task/check/", "report/task/download/",
              "advertiser/info/")
READ_PATHS = ("adgroup/get/", "ad/get/", "campaign/get/")


def kind_label(level: str, kind: str, proposed: object) -> str:
    """A change's lever as the report names it: budget, bid, bid_mode, pause (ads), adgroup_pause, ..."""
    if kind != STATUS:
        return kind if level == ADGROUP else f"{level}_{kind}"
    action = "pause" if proposed == PAUSED else "enable"
    return action if level == AD else f"{level}_{action}"


def minimum_calls(report_rows: Mapping[str, int], applied: Iterable[Change],
                  looked_up: Iterable[Change] | None = None) -> dict[str, int]:
    """Least calls per path for pulling ``report_rows`` (table -> rows), looking up ``looked_up`` (default:
    ``applied``) before sending, and writing the ``applied`` changes."""
    changes = list(applied)
    read = changes if looked_up is None else list(looked_up)
    need: Counter[str] = Counter()
    need["advertiser/info/"] = 1
    need["report/integrated/get/"] = sum(math.ceil(rows / PAGE_ROWS) for rows in report_rows.values())
    for level, path in ((ADGROUP, "adgroup/get/"), (AD, "ad/get/"), (CAMPAIGN, "campaign/get/")):
        need[path] = math.ceil(len({c.entity_id for c in read if c.level == level}) / IDS_PER_GET)
    need["adgroup/budget/update/"] = int(any(c.kind == BUDGET and c.level == ADGROUP for c in changes))
    need["adgroup/update/"] = len({c.entity_id for c in changes if c.level == ADGROUP and c.kind in (BID, BID_MODE)})
    statuses = Counter((c.level, c.proposed) for c in changes if c.kind == STATUS)
    for (level, _), n in statuses.items():
        need[f"{level}/status/update/"] += math.ceil(n / IDS_PER_STATUS)
    return {path: n for path, n in need.items() if n}


def covered_bids(changes: Iterable[Change]) -> int:
    """Bids that travel inside their ad group's switch to Cost Cap (no call of their own)."""
    changes = list(changes)
    switching = {c.entity_id for c in changes if c.kind == BID_MODE and c.proposed == COST_CAP}
    return sum(1 for c in changes if c.kind == BID and c.entity_id in switching)


def path_floor_s(n: int, qps: float, qpm: float) -> float:
    """Least seconds ``n`` calls on one path take at the sustained QPS / QPM limits."""
    if n <= 0:
        return 0.0
    return float(max(n / qps, 60 * ((n - 1) // int(qpm))))


def rate_limit_floor_s(calls: Mapping[str, int], tier: str, endpoint_qps: Mapping[str, float]) -> float:
    """Sum over the phases pull → read → write of the slowest path's floor."""
    qps, qpm = TIERS[tier]
    phases: dict[str, float] = {"pull": 0.0, "read": 0.0, "write": 0.0}
    for path, n in calls.items():
        phase = "pull" if path in PULL_PATHS else "read" if path in READ_PATHS else "write"
        own = endpoint_qps.get(path)
        floor = path_floor_s(n, float(own), 60 * float(own)) if own else path_floor_s(n, qps, qpm)
        phases[phase] = max(phases[phase], floor)
    return sum(phases.values())


def api_paths(by_endpoint: Mapping[str, int]) -> Counter[str]:
    """The emulator's request counters (``"POST /open_api/v1.3/adgroup/update/"``) as API paths."""
    out: Counter[str] = Counter()
    for key, n in by_endpoint.items():
        _, _, url = key.partition(" ")
        if "/open_api/" in url:
            out[url.split("/open_api/", 1)[1].split("/", 1)[1]] += int(n)
    return out
