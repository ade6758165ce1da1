"""Version abstraction (FR-9.1): every logical endpoint resolves to a path the API really serves.

The emulator's route table is our executable copy of spec/tiktok-api.md §2 (v1.3) plus the v1.2
paths the requirements name, so each row of ``ENDPOINTS`` is checked against it. Rows that are
known to be wrong are ``xfail(strict=True)``: fixing endpoints.py turns them into failures that
ask for the marker to be removed.
"""
from __future__ import annotations

import pytest

from tiktok.api.endpoints import ENDPOINTS
from tiktok_emulator import handlers  # noqa: F401  registers the routes
from tiktok_emulator.routing import ROUTES

pytestmark = pytest.mark.unit

# The v1.2 paths the requirements name (requirements-v2.0-ja.md, API section); everything else is v1.3.
REQUIREMENT_V12 = {
    "campaign.create": "campaign/create/", "campaign.update": "campaign/update/",
    "campaign.delete": "campaign/delete/", "adgroup.create": "adgroup/create/", "ad.create": "ad/create/",
    "file.video.upload": "file/video/upload/", "file.image.upload": "file/image/upload/",
}
KNOWN_WRONG: dict[str, str] = {}


def _marked(names):
    return [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_WRONG[n], strict=True)) if n in KNOWN_WRONG
            else n for n in names]


@pytest.mark.parametrize("name", _marked(sorted(ENDPOINTS)))
def test_the_path_the_client_sends_is_served(name):
    ep = ENDPOINTS[name]
    assert (ep.version, ep.method, ep.path) in ROUTES, f"{ep.method} /open_api/{ep.url_path}"


@pytest.mark.parametrize("name", _marked(sorted(REQUIREMENT_V12)))
def test_requirement_named_v12_endpoints_use_the_named_path(name):
    ep = ENDPOINTS[name]
    assert (ep.version, ep.path) == ("v1.2", REQUIREMENT_V12[name])


def test_everything_else_is_v13():
    assert {n for n, ep in ENDPOINTS.items() if ep.version != "v1.3"} <= set(REQUIREMENT_V12)
