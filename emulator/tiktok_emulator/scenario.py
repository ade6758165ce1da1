"""Scenario files: YAML that describes the account, the hidden market, rate limits and faults.

A scenario is ``scenarios/<name>.yaml`` inside this package, or any path. It is deep-merged over
``scenarios/base.yaml`` (which documents every field), and each key and type is checked against it,
so a typo fails with the file and the field named instead of being silently ignored.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SCENARIO_DIR = Path(__file__).parent / "scenarios"
FREE_FORM = frozenset({"faults", "advertisers", "rate_limits.per_endpoint"})


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file and the field."""


def available() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml") if p.stem != "base")


def load(name_or_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load a scenario by name (``default``, ``large``) or path, merged over the base defaults."""
    path = _resolve(name_or_path)
    base = _read(SCENARIO_DIR / "base.yaml")
    user = _read(path)
    merged = _merge(copy.deepcopy(base), user, str(path), "")
    if overrides:
        merged = _merge(merged, overrides, "command line", "")
    merged["name"] = merged.get("name") or path.stem
    merged["source"] = str(path)
    _check_ranges(merged, str(path))
    return merged


def _resolve(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or "/" in name_or_path:
        if not candidate.is_file():
            raise ScenarioError(f"scenario file {name_or_path}: not found")
        return candidate
    path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.is_file() or name_or_path == "base":
        raise ScenarioError(
            f"unknown scenario {name_or_path!r}: choose one of {', '.join(available())} or give a path to a .yaml file"
        )
    return path


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ScenarioError(f"scenario file {path}{where}: malformed YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario file {path}: top level must be a mapping of fields")
    return data


def _merge(base: dict[str, Any], user: dict[str, Any], source: str, prefix: str) -> dict[str, Any]:
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if key not in base and prefix.rstrip(".") not in FREE_FORM:
            if key in {"name", "description", "seed"}:
                base[key] = value
                continue
            raise ScenarioError(f"scenario file {source}: unknown field {dotted!r}")
        default = base.get(key)
        if isinstance(default, dict) and dotted not in FREE_FORM:
            if not isinstance(value, dict):
                raise ScenarioError(f"scenario file {source}: field {dotted!r} must be a mapping")
            base[key] = _merge(default, value, source, dotted + ".")
        else:
            base[key] = _coerce(default, value, source, dotted)
    return base


def _coerce(default: Any, value: Any, source: str, dotted: str) -> Any:
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ScenarioError(
            f"scenario file {source}: field {dotted!r} must be {type(default).__name__}, got {value!r}"
        )
    return value


def _check_ranges(s: dict[str, Any], source: str) -> None:
    market = s["market"]
    lo, hi = market["exponent"]
    if not 0 < lo <= hi < 1:
        raise ScenarioError(f"scenario file {source}: field 'market.exponent' must satisfy 0 < low <= high < 1")
    if not s.get("advertisers"):
        raise ScenarioError(f"scenario file {source}: field 'advertisers' must list at least one advertiser")
    for i, fault in enumerate(s.get("faults") or []):
        if not isinstance(fault, dict) or "path" not in fault:
            raise ScenarioError(f"scenario file {source}: field 'faults[{i}].path' is required")
