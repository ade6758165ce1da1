"""STUB (being replaced): rate limits and fault injection."""
from __future__ import annotations


class Traffic:
    def __init__(self, scenario, seed):
        self.scenario = scenario

    def before(self, ctx, route, emulator):
        return None
