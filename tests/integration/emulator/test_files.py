"""Creative uploads over multipart: signatures, names, formats, processing, info and search."""
from __future__ import annotations

import hashlib
import struct
import time
import zlib
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import Api
from tests.integration.emulator.webhook_support import api_for, tiny_server

pytestmark = pytest.mark.integration
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 2048


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with tiny_server(files={"video_processing_seconds": 0.4}) as server:
        yield api_for(server)


def _upload(api: Api, kind: str, data: bytes, filename: str, version: str = "v1.3", path: str | None = None,
            **fields: str) -> dict:
    form = {"advertiser_id": api.advertiser_id, f"{kind}_signature": hashlib.md5(data).hexdigest(), **fields}
    url = f"{api.server.url}/open_api/{version}/{path or f'file/{kind}/ad/upload/'}"
    r = requests.post(url, data=form, files={f"{kind}_file": (filename, data)},
                      headers={"Access-Token": api.token}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_video_upload_is_processing_then_displayable(api: Api) -> None:
    body = _upload(api, "video", VIDEO, "clip.mp4", file_name="launch-teaser.mp4")
    assert body["code"] == 0 and isinstance(body["data"], list) and len(body["data"]) == 1
    video = body["data"][0]
    assert video["displayable"] is False and video["signature"] == hashlib.md5(VIDEO).hexdigest()
    assert video["size"] == len(VIDEO) and video["file_name"] == "launch-teaser.mp4"
    info = api.get("file/video/ad/info/", advertiser_id=api.advertiser_id, video_ids=[video["video_id"]])
    assert info["data"]["list"][0]["displayable"] is False
    time.sleep(0.45)
    info = api.get("file/video/ad/info/", advertiser_id=api.advertiser_id, video_ids=[video["video_id"]])
    assert info["data"]["list"][0]["displayable"] is True
    found = api.get("file/video/ad/search/", advertiser_id=api.advertiser_id,
                    filtering={"video_ids": [video["video_id"]]})["data"]
    assert [v["video_id"] for v in found["list"]] == [video["video_id"]]


def test_video_signature_mismatch_is_40900(api: Api) -> None:
    body = _upload(api, "video", VIDEO, "clip.mp4", video_signature="0" * 32)
    assert body["code"] == 40900 and "video_signature" in body["message"]


def test_duplicate_file_name_is_40911_but_default_names_are_made_unique(api: Api) -> None:
    assert _upload(api, "video", VIDEO, "a.mp4", file_name="same-name")["code"] == 0
    assert _upload(api, "video", VIDEO, "a.mp4", file_name="same-name")["code"] == 40911
    names = {_upload(api, "video", VIDEO, "dup.mp4")["data"][0]["file_name"] for _ in range(2)}
    assert len(names) == 2


def test_video_format_and_parameter_checks(api: Api) -> None:
    assert _upload(api, "video", VIDEO, "clip.gif")["code"] == 40908
    too_many = api.get("file/video/ad/info/", advertiser_id=api.advertiser_id, video_ids=[str(i) for i in range(61)])
    assert too_many["code"] == 40002 and "video_ids" in too_many["message"]
    bad_page = api.get("file/video/ad/search/", advertiser_id=api.advertiser_id, page_size=101)
    assert bad_page["code"] == 40002
    page = api.get("file/video/ad/search/", advertiser_id=api.advertiser_id)["data"]
    assert page["page_info"]["page_size"] == 20


def test_v12_path_and_upload_by_url(api: Api) -> None:
    v12 = _upload(api, "video", VIDEO, "old.mp4", version="v1.2", path="file/video/upload/")
    assert v12["code"] == 0 and isinstance(v12["data"][0]["advertiser_id"], int)
    by_url = api.post("file/video/ad/upload/", {"advertiser_id": api.advertiser_id, "upload_type": "UPLOAD_BY_URL",
                                                "video_url": "https://cdn.example.com/v/spot.mov"})
    assert by_url["code"] == 0 and by_url["data"][0]["format"] == "mov"


def test_image_upload_info_and_search(api: Api) -> None:
    png = _png(640, 360)
    body = _upload(api, "image", png, "banner.png")
    assert body["code"] == 0 and isinstance(body["data"], dict)
    image = body["data"]
    assert (image["width"], image["height"], image["format"]) == (640, 360, "png")
    info = api.get("file/image/ad/info/", advertiser_id=api.advertiser_id, image_ids=[image["image_id"]])
    assert info["data"]["list"][0]["image_id"] == image["image_id"]
    found = api.get("file/image/ad/search/", advertiser_id=api.advertiser_id,
                    filtering={"image_ids": [image["image_id"]]})["data"]
    assert found["page_info"]["total_number"] == 1
    assert _upload(api, "image", png, "banner.bmp")["code"] == 40908
    assert _upload(api, "image", png, "x.png", image_signature="f" * 32)["code"] == 40900
    v12 = _upload(api, "image", png, "banner2.png", version="v1.2", path="file/image/upload/")
    assert v12["code"] == 0
