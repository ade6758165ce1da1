"""One way for the decision configs to refuse a value: the field, the value and where to read why."""
from __future__ import annotations

from collections.abc import Mapping


def require_in_range(config: object, checks: Mapping[str, bool], hint: str) -> None:
    """Raise ``ValueError`` naming the first field of ``config`` whose check is False, its value and ``hint``."""
    for name, ok in checks.items():
        if not ok:
            raise ValueError(f"{type(config).__name__}.{name}={getattr(config, name)!r} is out of range; {hint}")
