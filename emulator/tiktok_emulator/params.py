"""Lenient parameter parsing, as TikTok's gateway does it.

GET parameters carry arrays and objects as JSON strings, with or without spaces; clients also send
real arrays (repeated keys), Airbyte's v1.2-era ``filters``/``lifetime`` names, and a few values that
are not JSON at all. Everything here accepts those and reports a bad value as 40002 naming the field.
"""
from __future__ import annotations

import json
from typing import Any

from . import errors

MAX_PAGE_SIZE = 1000


def json_value(raw: Any) -> Any:
    """Decode a JSON-looking string; anything else comes back unchanged."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text[:1] in "[{\"" or text in {"true", "false", "null"}:
        try:
            return json.loads(text)
        except ValueError:
            return raw
    return raw


def as_list(value: Any, field: str) -> list[Any]:
    """A list from a JSON array, a real array, or a single scalar."""
    value = json_value(value)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, (str, int, float)):
        return [value]
    raise errors.param_error(field, "must be an array")


def as_dict(value: Any, field: str) -> dict[str, Any]:
    value = json_value(value)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise errors.param_error(field, "must be a JSON object")
    return value


def as_bool(value: Any, field: str, default: bool = False) -> bool:
    value = json_value(value)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
        return value.lower() in {"true", "1"}
    raise errors.param_error(field, f"must be true or false, got {value!r}")


def as_int(value: Any, field: str, default: int | None = None, lo: int | None = None, hi: int | None = None) -> int:
    value = json_value(value)
    if value is None or value == "":
        if default is None:
            raise errors.missing(field)
        return default
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool):
        raise errors.param_error(field, f"must be an integer, got {value!r}")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise errors.param_error(field, f"must be between {lo} and {hi}, got {number}")
    return number


def as_number(value: Any, field: str) -> float:
    value = json_value(value)
    try:
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise errors.param_error(field, f"must be a number, got {value!r}") from None


def paginate(items: list[Any], params: dict[str, Any], default_size: int = 10,
             max_size: int = MAX_PAGE_SIZE) -> tuple[list[Any], dict[str, int]]:
    """Slice one page exactly as asked and describe it in a complete ``page_info``."""
    page = as_int(params.get("page"), "page", default=1, lo=1)
    size = as_int(params.get("page_size"), "page_size", default=default_size, lo=1, hi=max_size)
    total = len(items)
    start = (page - 1) * size
    info = {"page": page, "page_size": size, "total_number": total, "total_page": -(-total // size)}
    return items[start:start + size], info
