"""Fault rules: what can go wrong on a call, on which paths, how often.

A fault is a dict ``{path, methods?, rate?, max_count?}`` plus exactly one kind:

- ``code: 40100`` answers TikTok's envelope error (HTTP 200) instead of running the handler;
- ``http_status: 503`` answers a gateway error page (the request never reached the API);
- ``delay_ms: 1500`` runs the handler after a pause (a slow response);
- ``drop_after_apply: true`` runs a write, then closes the connection without answering, so the
  client cannot know the write landed (the case idempotent writers must reconcile);
- ``revoke_token: true`` revokes the caller's token first, so the call fails with 40105.

Rules come from the scenario, from ``POST /__emulator/faults`` or from the CLI's
``--fault PATH:KIND[:RATE]`` flags (``parse_fault_flag``).
"""
from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

KINDS = ("code", "http_status", "delay_ms", "drop_after_apply", "revoke_token")
HTTP_STATUSES = frozenset({500, 502, 503, 504})
METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
MESSAGES = {
    40016: "Requests made too frequently. Please retry later.",
    40100: "Request too frequent. Please retry later.",
    40133: "Advertiser ({advertiser_id})'s QPS reaches QPS limit. Please retry later.",
    40200: "Task error.",
    40201: "Task is not ready.",
    40202: "Write conflict. Please retry.",
    40700: "RPC validation error.",
    50000: "System error.",
    50002: "Service timeout. Please retry.",
}


def normalize(fault: Any, where: str = "fault") -> dict[str, Any]:
    """Check one rule and return it in canonical form; ``ValueError`` names the bad field."""
    if isinstance(fault, str):
        return parse_fault_flag(fault)
    if not isinstance(fault, dict):
        raise ValueError(f"{where}: must be an object like {{'path': 'campaign/get/', 'code': 40100}}")
    unknown = set(fault) - set(KINDS) - {"path", "methods", "rate", "max_count", "fired"}
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    path = fault.get("path")
    if not isinstance(path, str) or not path:
        raise ValueError(f"{where}.path: required, a path glob like 'campaign/get/' or '*'")
    out: dict[str, Any] = {"path": _strip_prefix(path)}
    kinds = [k for k in KINDS if fault.get(k) not in (None, False)]
    if len(kinds) != 1:
        raise ValueError(f"{where}: needs exactly one of {', '.join(KINDS)}, got {kinds or 'none'}")
    kind = kinds[0]
    out[kind] = _kind_value(kind, fault[kind], where)
    out["rate"] = _rate(fault.get("rate", 1.0), where)
    if fault.get("methods"):
        methods = fault["methods"]
        methods = [methods] if isinstance(methods, str) else methods
        if not isinstance(methods, list) or not {str(m).upper() for m in methods} <= METHODS:
            raise ValueError(f"{where}.methods: must be a list of GET/POST, got {methods!r}")
        out["methods"] = sorted({str(m).upper() for m in methods})
    if fault.get("max_count") is not None:
        out["max_count"] = _positive_int(fault["max_count"], f"{where}.max_count")
    return out


def _strip_prefix(path: str) -> str:
    """Accept ``/open_api/v1.3/campaign/get/`` too; rules match the path relative to the version."""
    parts = path.lstrip("/").split("/", 2)
    if len(parts) == 3 and parts[0] == "open_api" and parts[1].startswith("v"):
        return parts[2]
    return path.lstrip("/") or "*"


def _kind_value(kind: str, value: Any, where: str) -> Any:
    if kind == "code":
        code = _positive_int(value, f"{where}.code")
        if not 10000 <= code <= 99999:
            raise ValueError(f"{where}.code: must be a five-digit TikTok code such as 40100, got {value!r}")
        return code
    if kind == "http_status":
        status = _positive_int(value, f"{where}.http_status")
        if status not in HTTP_STATUSES:
            raise ValueError(f"{where}.http_status: must be one of 500, 502, 503, 504, got {value!r}")
        return status
    if kind == "delay_ms":
        return _positive_int(value, f"{where}.delay_ms")
    if value is not True:
        raise ValueError(f"{where}.{kind}: must be true, got {value!r}")
    return True


def _rate(value: Any, where: str) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = -1.0
    if isinstance(value, bool) or not 0.0 <= rate <= 1.0:
        raise ValueError(f"{where}.rate: must be a number from 0 to 1, got {value!r}")
    return rate


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{where}: must be a positive integer, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{where}: must be a positive integer, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"{where}: must be a positive integer, got {value!r}")
    return number


def parse_fault_flag(text: str) -> dict[str, Any]:
    """``PATH:KIND[:RATE]`` → a fault rule. KIND is a code (40100), httpNNN, drop, revoke or slow=MS.

    Examples: ``campaign/get/:40100:0.2``, ``adgroup/update/:drop``, ``*:http504:0.05``,
    ``report/integrated/get/:slow=1500``.
    """
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise ValueError(f"fault {text!r}: expected PATH:KIND[:RATE], e.g. campaign/get/:40100:0.2")
    path, kind = parts[0], parts[1].strip().lower()
    rule: dict[str, Any] = {"path": path}
    if kind.isdigit():
        rule["code"] = int(kind)
    elif kind.startswith("http") and kind[4:].isdigit():
        rule["http_status"] = int(kind[4:])
    elif kind == "drop":
        rule["drop_after_apply"] = True
    elif kind == "revoke":
        rule["revoke_token"] = True
    elif kind.startswith("slow="):
        rule["delay_ms"] = kind[5:]
    else:
        raise ValueError(f"fault {text!r}: kind {parts[1]!r} is not a code, httpNNN, drop, revoke or slow=MS")
    if len(parts) == 3:
        rule["rate"] = parts[2]
    return normalize(rule, f"fault {text!r}")


def matches(fault: dict[str, Any], path: str, method: str, write: bool) -> bool:
    """Whether a rule applies to this call (before its rate is drawn)."""
    if fault.get("methods") and method not in fault["methods"]:
        return False
    if fault.get("drop_after_apply") and not write:
        return False  # dropping a read after "applying" it is just a connection error; keep it a write fault
    if fault.get("max_count") is not None and fault.get("fired", 0) >= fault["max_count"]:
        return False
    return fnmatchcase(path, fault["path"])


def message_for(code: int, advertiser_id: str | None) -> str:
    template = MESSAGES.get(code, f"Injected fault {code}.")
    return template.replace("{advertiser_id}", advertiser_id or "0")
