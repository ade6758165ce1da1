"""Server-side conversion events (Events API 2.0 payloads) as the raw ``events`` table.

Rows are keyed like TikTok deduplicates them, ``(event_source_id, event, event_id)``, and merged,
so a batch re-sent after a timeout lands once. Only hashed identifiers are kept (SHA-256 hex
email/phone/external_id, plus the ``ttclid`` click id); IP and user agent never reach the warehouse.
Sources: a listing API shaped like the emulator's ``/__emulator/events``, or a folder of JSON/JSONL
files holding ``{event_source, event_source_id, data: [...]}`` batches or flat events.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import requests

from adops.rowcheck import BadInput, convert, require_currency, require_keys

TABLE = "events"
PRIMARY_KEY = ["event_source_id", "event", "event_id"]
HASHED = ("email", "phone", "external_id")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
COLUMNS = {"event_source": "text", "event_source_id": "text", "event": "text", "event_id": "text",
           "event_time": "timestamp", "value": "double", "currency": "text", "content_ids": "text",
           "ttclid": "text", "email_sha256": "text", "phone_sha256": "text", "external_id_sha256": "text",
           "test_event_code": "text", "event_id_derived": "bool"}


def event_row(raw: dict[str, Any], where: Any) -> dict[str, Any]:
    """One typed, PII-free event row; a plain (unhashed) identifier stops the load."""
    user = raw.get("user") or {}
    props = raw.get("properties") or {}
    row: dict[str, Any] = {"event_source": raw.get("event_source"), "event_source_id": _text(raw.get("event_source_id")),
                           "event": _text(raw.get("event")), "test_event_code": _text(raw.get("test_event_code")),
                           "ttclid": _text(user.get("ttclid") or raw.get("ttclid"))}
    row["event_time"] = convert(TABLE, "event_time", where, _from_unix, raw.get("event_time"))
    row["value"] = None if props.get("value") is None else convert(TABLE, "value", where, float, props["value"])
    row["currency"] = None if props.get("currency") is None else require_currency(TABLE, props["currency"], where)
    ids = [str(c.get("content_id")) for c in props.get("contents") or [] if isinstance(c, dict) and c.get("content_id")]
    row["content_ids"] = ",".join(ids) or None
    for name in HASHED:
        row[f"{name}_sha256"] = _hashed(user.get(name), f"{name}_sha256", where)
    row["event_id_derived"] = raw.get("event_id") in (None, "")
    row["event_id"] = _derived_id(row) if row["event_id_derived"] else str(raw["event_id"])
    require_keys(TABLE, row, PRIMARY_KEY, where)
    return row


def flatten_batches(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Events from batches (``data: [...]`` with the source on the batch) or already-flat events."""
    for record in records:
        if isinstance(record.get("data"), list):
            shared = {k: record.get(k) for k in ("event_source", "event_source_id", "test_event_code")}
            for event in record["data"]:
                yield {**shared, **event}
        else:
            yield record


def iter_feed(url: str, session: requests.Session | None = None) -> Iterator[dict[str, Any]]:
    """Every event a listing API reports (``{data: {events: [...]}}``)."""
    resp = (session or requests.Session()).get(url, timeout=60)
    resp.raise_for_status()
    for n, raw in enumerate(flatten_batches((resp.json().get("data") or {}).get("events") or [])):
        yield event_row(raw, f"feed #{n}")


def iter_drop_folder(folder: Path) -> Iterator[dict[str, Any]]:
    """Events from ``*.json`` (one batch, or a list) and ``*.jsonl`` (one batch or event a line)."""
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in {".json", ".jsonl"}):
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            loaded = json.loads(text)
            records = loaded if isinstance(loaded, list) else [loaded]
        for n, raw in enumerate(flatten_batches(records)):
            yield event_row(raw, f"{path.name} event {n + 1}")


@dlt.source(name="events", max_table_nesting=0)
def events(feed_url: str | None = None, drop_dir: Path | None = None) -> Any:
    """The ``events`` table, merged on (event_source_id, event, event_id)."""
    columns = {c: {"data_type": t} for c, t in COLUMNS.items()}

    @dlt.resource(name=TABLE, write_disposition="merge", primary_key=PRIMARY_KEY, columns=columns,
                  schema_contract={"columns": "freeze", "data_type": "freeze"})
    def rows() -> Iterator[dict[str, Any]]:
        if feed_url:
            yield from iter_feed(feed_url)
        if drop_dir is not None and drop_dir.is_dir():
            yield from iter_drop_folder(drop_dir)

    return rows


def ingest_events(settings: Any = None) -> dict[str, Any]:
    """One run of ``events_ingest``: everything the sources hold, merged (re-runs change nothing)."""
    from adops.settings import load
    from adops.warehouse import run_load

    settings = settings or load()
    summary = run_load(settings, events(settings.events_feed_url, settings.events_drop_dir), "events")
    return {"rows": summary.tables}


def _hashed(value: Any, column: str, where: Any) -> str | None:
    values = value if isinstance(value, list) else [value]
    values = [str(v).strip().lower() for v in values if v not in (None, "")]
    for v in values:
        if not SHA256_HEX.match(v):
            raise BadInput(TABLE, column, where, "identifiers must arrive SHA-256 hashed, got plain text")
    return ",".join(values) or None


def _derived_id(row: dict[str, Any]) -> str:
    """A stable id for events sent without one, so the same event re-read merges onto itself."""
    basis = json.dumps({k: row[k] for k in sorted(row) if k != "event_id_derived"}, default=str, sort_keys=True)
    return "derived:" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _from_unix(value: Any) -> datetime:
    if isinstance(value, bool) or value in (None, ""):
        raise ValueError("event_time must be unix seconds")
    return datetime.fromtimestamp(int(value), tz=UTC)


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
