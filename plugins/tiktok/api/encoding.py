"""TikTok's wire conventions: JSON-encoded GET arrays/objects and ``"-"`` meaning "no data"."""
from __future__ import annotations

import json
from typing import Any

NO_DATA = "-"


def encode_get_params(params: dict[str, Any]) -> dict[str, str]:
    """Query parameters as TikTok expects them: lists and dicts become JSON strings, bools true/false.

    ``None`` values are dropped, so optional arguments can be passed through unconditionally.
    """
    encoded: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, dict)):
            encoded[key] = json.dumps(list(value) if isinstance(value, tuple) else value)
        elif isinstance(value, bool):
            encoded[key] = "true" if value else "false"
        else:
            encoded[key] = str(value)
    return encoded


def none_if_dash(value: Any) -> Any:
    """``"-"`` (TikTok's "no data") → None; everything else unchanged. Never turn it into zero."""
    if isinstance(value, str) and value.strip() == NO_DATA:
        return None
    return value


def to_float(value: Any) -> float | None:
    """A metric as float, or None for ``"-"``/empty. Strings like ``"31.56"`` are parsed."""
    value = none_if_dash(value)
    if value is None or value == "":
        return None
    return float(value)


def to_int(value: Any) -> int | None:
    """A count metric as int, or None for ``"-"``/empty (``"12.0"`` is accepted)."""
    number = to_float(value)
    return None if number is None else int(round(number))
