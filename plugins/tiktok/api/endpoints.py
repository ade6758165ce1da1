"""Logical endpoint names → TikTok paths (relative to ``/open_api/``, with TikTok's trailing slash).

Everything uses v1.3 except the few writes the requirements name under v1.2; the client resolves a
logical name here so a version move is one line, not a search through call sites.
"""
from __future__ import annotations

from dataclasses import dataclass

from tiktok.api.ratelimit_config import Priority

URGENT_WRITES = ("status/update/",)  # pausing stops spend: it must never queue behind anything


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    version: str = "v1.3"
    priority: Priority | None = None

    @property
    def lane(self) -> Priority:
        """The limiter lane: pauses, then budget/bid writes, other writes, reads, and report pulls last."""
        if self.priority is not None:
            return self.priority
        if self.path.endswith(URGENT_WRITES):
            return Priority.WRITE_URGENT
        if self.path.startswith("report/"):
            return Priority.REPORT
        return Priority.WRITE if self.is_write else Priority.READ

    @property
    def url_path(self) -> str:
        return f"{self.version}/{self.path}"

    @property
    def is_write(self) -> bool:
        return self.method == "POST"


def _v12(method: str, path: str) -> Endpoint:
    return Endpoint(method, path, "v1.2")


ENDPOINTS: dict[str, Endpoint] = {
    "oauth2.access_token": Endpoint("POST", "oauth2/access_token/"),
    "oauth2.advertiser.get": Endpoint("GET", "oauth2/advertiser/get/"),
    "advertiser.info": Endpoint("GET", "advertiser/info/"),
    "campaign.get": Endpoint("GET", "campaign/get/"),
    "campaign.create": _v12("POST", "campaign/create/"),
    "campaign.update": _v12("POST", "campaign/update/"),
    "campaign.delete": _v12("POST", "campaign/delete/"),
    "campaign.status.update": Endpoint("POST", "campaign/status/update/"),
    "adgroup.get": Endpoint("GET", "adgroup/get/"),
    "adgroup.create": _v12("POST", "adgroup/create/"),
    "adgroup.update": Endpoint("POST", "adgroup/update/"),
    "adgroup.budget.update": Endpoint("POST", "adgroup/budget/update/"),
    "adgroup.status.update": Endpoint("POST", "adgroup/status/update/"),
    "ad.get": Endpoint("GET", "ad/get/"),
    "ad.create": _v12("POST", "ad/create/"),
    "ad.update": Endpoint("POST", "ad/update/"),
    "ad.status.update": Endpoint("POST", "ad/status/update/"),
    "file.video.upload": _v12("POST", "file/video/upload/"),
    "file.video.info": Endpoint("GET", "file/video/ad/info/"),
    "file.image.upload": _v12("POST", "file/image/upload/"),
    "file.image.info": Endpoint("GET", "file/image/ad/info/"),
    "identity.get": Endpoint("GET", "identity/get/"),
    "report.integrated.get": Endpoint("GET", "report/integrated/get/"),
    "report.task.create": Endpoint("POST", "report/task/create/"),
    "report.task.check": Endpoint("GET", "report/task/check/"),
    "report.task.download": Endpoint("GET", "report/task/download/"),
    "event.track": Endpoint("POST", "event/track/"),
}


def endpoint(name: str) -> Endpoint:
    """The endpoint for a logical name; a KeyError names the unknown one."""
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KeyError(f"unknown TikTok endpoint {name!r}") from None
