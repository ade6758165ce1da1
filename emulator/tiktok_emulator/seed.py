"""Fill the store from a scenario: advertisers, campaigns, ad groups, ads, creatives, the app and a token.

Names, texts and creatives are drawn from a seeded RNG, so the same scenario and seed give the same
account. Entity creation goes through ``entities.py`` factories shared with the create endpoints.
"""
from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from . import entities
from .store import Store, Token

THEMES = ["Glow Serum", "Night Cream", "Sun Shield", "Lip Tint", "Hair Oil", "Body Mist",
          "Eye Patch", "Clay Mask", "Toner Pads", "Gift Set"]
AUDIENCES = ["Broad 18-34", "Lookalike 1%", "Interest Beauty", "Retargeting 30d", "Broad 25-44"]
HOOKS = ["POV: your skin after 7 days", "Dermatologist reacts", "3 reasons I switched",
         "Unboxing the new drop", "Before / after in 10s", "Stop scrolling if you have dry skin"]


def token_for(seed: int, label: str) -> str:
    """A stable, opaque 40-hex access token."""
    return hashlib.sha1(f"{seed}:{label}".encode()).hexdigest()


def seed_store(store: Store, scenario: dict[str, Any], seed: int, now: datetime) -> None:
    rng = random.Random(seed)
    app = scenario["app"]
    store.apps[str(app["app_id"])] = {"app_id": str(app["app_id"]), "secret": str(app["secret"])}
    created = now - timedelta(days=int(scenario["history_days"]))
    advertiser_ids = []
    for number, spec in enumerate(scenario["advertisers"], start=1):
        adv = entities.make_advertiser(store, spec, number, created)
        advertiser_ids.append(adv["advertiser_id"])
        identity = entities.make_identity(store, adv["advertiser_id"], spec.get("name", "Brand"))
        _seed_campaigns(store, rng, adv, identity, spec, created)
    token = Token(access_token=token_for(seed, "default"), app_id=str(app["app_id"]),
                  advertiser_ids=advertiser_ids)
    store.tokens[token.access_token] = token


def _seed_campaigns(store: Store, rng: random.Random, adv: dict, identity: dict, spec: dict,
                    created: datetime) -> None:
    adv_id = adv["advertiser_id"]
    for c in range(int(spec.get("campaigns", 10))):
        theme = THEMES[c % len(THEMES)]
        campaign = entities.make_campaign(store, adv_id, {
            "campaign_name": f"{theme} | Conversions {c + 1:02d}",
            "objective_type": "WEB_CONVERSIONS",
            "budget_mode": "BUDGET_MODE_INFINITE",
        }, created)
        for g in range(int(spec.get("adgroups_per_campaign", 4))):
            adgroup = entities.make_adgroup(store, adv_id, campaign, {
                "adgroup_name": f"{theme} | {AUDIENCES[(c + g) % len(AUDIENCES)]} | {g + 1}",
                "budget_mode": "BUDGET_MODE_DAY",
                "budget": float(spec.get("adgroup_daily_budget", 200.0)),
            }, created)
            for a in range(int(spec.get("ads_per_adgroup", 4))):
                video = entities.make_video(store, adv_id, f"{theme}-{c + 1}-{g + 1}-{a + 1}.mp4", created,
                                            duration=float(rng.choice([9, 15, 21, 30])), ready=True)
                hook = rng.choice(HOOKS)
                entities.make_ad(store, adv_id, adgroup, {
                    "ad_name": f"{theme} | {hook[:24]} | v{a + 1}",
                    "ad_text": f"{hook} - {theme} by {spec.get('name', 'us')}"[:100],
                    "video_id": video["video_id"],
                    "identity_id": identity["identity_id"],
                    "identity_type": identity["identity_type"],
                }, created, approved=True)
