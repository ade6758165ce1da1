"""A local, faithful emulator of the TikTok Marketing API with a simulated ad market behind it.

Start it with ``python -m tiktok_emulator`` or, in tests, ``start_in_process()``.
"""
from __future__ import annotations

__all__ = ["Emulator", "EmulatorServer", "start_in_process"]


def __getattr__(name: str):
    if name == "Emulator":
        from .emulator import Emulator
        return Emulator
    if name in {"EmulatorServer", "start_in_process"}:
        from . import server
        return getattr(server, name)
    raise AttributeError(name)
