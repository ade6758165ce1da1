"""TikTok's batch limits, applied around any client (requirements 23.12).

* reads by id: at most 100 ids per ``filtering.<kind>_ids`` (40011 beyond that), so longer lists are
  split and the pages merged, each object once, in the order asked for;
* status writes: at most 20 ids per ``*/status/update/`` call, so longer lists are split;
* ad-group budgets: ONE ``adgroup/budget/update/`` call for all ad groups. TikTok documents no limit
  on the ``budget`` array (spec §2.3; bububa models it as an unbounded slice), so we do not chunk
  unless a caller sets ``max_per_call`` (e.g. if production ever answers 40011).

The functions take anything with ``call(name, params, idempotency_key=…)`` (``TikTokClient``, the
caching wrapper, a fake), so they wrap the client instead of changing it.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from tiktok.api.errors import PartialSuccess

IDS_PER_GET = 100
IDS_PER_STATUS_UPDATE = 20
MAX_PAGE_SIZE = 1000
T = TypeVar("T")

# kind → (get endpoint, filtering key, id field, status endpoint, status body key)
KINDS: dict[str, tuple[str, str, str, str, str]] = {
    "campaign": ("campaign.get", "campaign_ids", "campaign_id", "campaign.status.update", "campaign_ids"),
    "adgroup": ("adgroup.get", "adgroup_ids", "adgroup_id", "adgroup.status.update", "adgroup_ids"),
    "ad": ("ad.get", "ad_ids", "ad_id", "ad.status.update", "ad_ids"),
}


class Caller(Protocol):
    def call(self, name: str, params: dict[str, Any] | None = None, *,
             idempotency_key: str | None = None) -> Any: ...


def chunked(items: Sequence[T], size: int) -> list[list[T]]:
    """Consecutive slices of at most ``size`` items (an empty input gives no slices)."""
    if size < 1:
        raise ValueError(f"chunk size must be ≥ 1, got {size}")
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def unique_ids(ids: Iterable[Any]) -> list[str]:
    """Ids as strings (v1.3 ids are strings), first occurrence kept, so no id is asked for twice."""
    return list(dict.fromkeys(str(i) for i in ids))


def chunk_key(idempotency_key: str | None, index: int, count: int) -> str | None:
    """One derived key per chunk: stable across retries and re-runs, and distinct between chunks."""
    if idempotency_key is None or count == 1:
        return idempotency_key
    return f"{idempotency_key}-{index + 1}of{count}"


def iter_pages(caller: Caller, name: str, params: dict[str, Any], *, page_size: int = MAX_PAGE_SIZE,
               list_key: str = "list") -> Iterator[dict[str, Any]]:
    """Every row of a paged GET through ``caller`` (stops on ``total_page`` or a short page)."""
    page = 1
    while True:
        data = caller.call(name, {**params, "page": page, "page_size": page_size}) or {}
        rows = data.get(list_key) or []
        yield from rows
        total_page = (data.get("page_info") or {}).get("total_page")
        if len(rows) < page_size or (total_page is not None and page >= int(total_page)):
            return
        page += 1


def get_by_ids(caller: Caller, kind: str, advertiser_id: str, ids: Iterable[Any], *,
               fields: list[str] | None = None, filtering: Mapping[str, Any] | None = None,
               batch_size: int = IDS_PER_GET) -> list[dict[str, Any]]:
    """Objects of ``kind`` with the given ids, 100 ids per request, merged in the order asked for."""
    get_name, filter_key, id_field, _, _ = _kind(kind)
    wanted = unique_ids(ids)
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunked(wanted, batch_size):
        params: dict[str, Any] = {"advertiser_id": advertiser_id,
                                  "filtering": {**(filtering or {}), filter_key: chunk}}
        if fields:
            params["fields"] = fields
        for row in iter_pages(caller, get_name, params):
            found.setdefault(str(row.get(id_field)), row)
    return [found[i] for i in wanted if i in found]


@dataclass
class StatusUpdateResult:
    """Which ids TikTok confirmed, the per-id errors it listed, and how many calls it took."""

    status: str
    ids: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0


def update_status(caller: Caller, kind: str, advertiser_id: str, ids: Iterable[Any], status: str, *,
                  idempotency_key: str | None = None, batch_size: int = IDS_PER_STATUS_UPDATE,
                  allow_partial_success: bool | None = None) -> StatusUpdateResult:
    """ENABLE/DISABLE/DELETE many objects, 20 ids per call.

    Statuses are absolute, so after a failure part-way re-running the whole list is harmless; the
    error propagates and the earlier chunks stay applied.
    """
    _, _, _, name, body_key = _kind(kind)
    chunks = chunked(unique_ids(ids), batch_size)
    result = StatusUpdateResult(status=status)
    for index, chunk in enumerate(chunks):
        params: dict[str, Any] = {"advertiser_id": advertiser_id, body_key: chunk, "operation_status": status}
        if allow_partial_success is not None:
            params["allow_partial_success"] = allow_partial_success
        data = _call_allowing_partial(caller, name, params, chunk, chunk_key(idempotency_key, index, len(chunks)))
        result.calls += 1
        result.ids.extend(str(i) for i in (data.get(body_key) or []))
        result.errors.extend(data.get("error_list") or [])
    return result


def update_budgets(caller: Caller, advertiser_id: str, budgets: Mapping[Any, float], *,
                   idempotency_key: str | None = None, max_per_call: int | None = None) -> int:
    """Absolute daily budgets for many ad groups in one ``adgroup/budget/update/`` call; returns calls made.

    Entries are sorted by ad-group id so the body (and any key derived from it) is stable.
    """
    entries = [{"adgroup_id": str(gid), "budget": round(float(budgets[gid]), 2)}
               for gid in sorted(budgets, key=str)]
    if not entries:
        return 0
    chunks = chunked(entries, max_per_call) if max_per_call else [entries]
    for index, chunk in enumerate(chunks):
        caller.call("adgroup.budget.update", {"advertiser_id": advertiser_id, "budget": chunk},
                    idempotency_key=chunk_key(idempotency_key, index, len(chunks)))
    return len(chunks)


def _call_allowing_partial(caller: Caller, name: str, params: dict[str, Any], chunk: list[str],
                           key: str | None) -> dict[str, Any]:
    """A 20001 partial success is not a failure: return its data (what applied, what did not).

    When the error carries no data (a client that drops it), the whole chunk is reported as
    unconfirmed so the caller reads the statuses back rather than assuming either way.
    """
    try:
        return caller.call(name, params, idempotency_key=key) or {}
    except PartialSuccess as exc:
        if isinstance(exc.data, dict) and exc.data:
            return exc.data
        return {"error_list": [{"ids": chunk, "code": exc.code, "error_message": exc.message,
                                "request_id": exc.request_id}]}


def _kind(kind: str) -> tuple[str, str, str, str, str]:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown entity kind {kind!r}; expected one of {sorted(KINDS)}") from None
