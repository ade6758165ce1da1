"""Admin routes to change fault rules while the emulator runs (chaos tests, the CLI's --fault flags).

``POST /__emulator/faults`` replaces the rules with ``{"faults": [...]}``; each item is a rule object
or a ``PATH:KIND[:RATE]`` flag string. ``GET`` lists the current rules and how often each fired.
"""
from __future__ import annotations

from typing import Any

from .. import errors
from ..params import json_value
from ..routing import Ctx, raw_route


@raw_route("GET", "/__emulator/faults")
def list_faults(ctx: Ctx) -> dict[str, Any]:
    return {"faults": ctx.emulator.traffic.faults}


@raw_route("POST", "/__emulator/faults")
def set_faults(ctx: Ctx) -> dict[str, Any]:
    faults = json_value(ctx.params.get("faults"))
    if not isinstance(faults, list):
        raise errors.param_error("faults", "must be a list of fault rules (objects or PATH:KIND[:RATE] strings)")
    try:
        ctx.emulator.traffic.set_faults(faults)
    except ValueError as exc:
        raise errors.ApiError(errors.PARAM_ERROR, str(exc)) from None
    return {"faults": ctx.emulator.traffic.faults}
