"""STUB (being replaced): webhook delivery."""
from __future__ import annotations


class WebhookDispatcher:
    def __init__(self, emulator):
        self.emulator = emulator

    def emit(self, event, advertiser_id, entry):
        pass

    def close(self):
        pass
