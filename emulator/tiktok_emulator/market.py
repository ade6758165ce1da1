"""STUB (being replaced): the simulated ad market."""
from __future__ import annotations


class Market:
    def __init__(self, scenario, store, clock, seed):
        self.scenario, self.store, self.clock, self.seed = scenario, store, clock, seed
        self.on_event = None

    def bootstrap(self):
        for i, g in enumerate(self.store.adgroups.values()):
            g["index"] = i
        for i, a in enumerate(self.store.ads.values()):
            a["index"] = i

    def register_adgroup(self, adgroup):
        adgroup["index"] = len(self.store.adgroups) - 1

    def register_ad(self, ad):
        ad["index"] = len(self.store.ads) - 1

    def note_change(self, adgroup_id, field, old, new):
        pass

    def advance_to(self, now):
        pass

    def truth(self, at=None):
        return {}

    def sales(self, advertiser_id, start, end):
        return []
