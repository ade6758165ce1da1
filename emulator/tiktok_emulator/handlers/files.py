"""Creative files: video and image upload, info and search (tiktok-api.md §2.5).

Uploads are multipart. What clients get wrong, and TikTok rejects, is reproduced: an MD5 signature
that does not match the bytes (40900), a file name already used by the advertiser (40911), a wrong
file type (40908), a file too large (40907). A new video is not usable at once: it stays
``displayable: false`` for ``files.video_processing_seconds`` of real time, so clients learn to poll.
"""
from __future__ import annotations

import hashlib
import time
import weakref
from typing import Any
from urllib.parse import urlsplit

from .. import entities, errors
from ..params import as_dict, as_list, paginate
from ..routing import Ctx, route
from ..store import Store, serialize
from .media import image_size

FILE_TOO_LARGE, FILE_TYPE_ERROR = 40907, 40908
VIDEO_FORMATS = {"mp4": "mp4", "mov": "mov", "mpeg": "mpeg", "avi": "avi"}
IMAGE_FORMATS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png"}
MAX_VIDEO_BYTES, MAX_IMAGE_BYTES = 500 * 1024 * 1024, 10 * 1024 * 1024
VIDEO_UPLOAD_TYPES = ("UPLOAD_BY_FILE", "UPLOAD_BY_URL", "UPLOAD_BY_FILE_ID", "UPLOAD_BY_VIDEO_ID")
IMAGE_UPLOAD_TYPES = ("UPLOAD_BY_FILE", "UPLOAD_BY_URL", "UPLOAD_BY_FILE_ID")
MAX_VIDEO_IDS, MAX_IMAGE_IDS, MAX_SEARCH_PAGE = 60, 100, 100
# video_id -> monotonic time its processing ends, per store (kept off the entity so it never serializes)
_PROCESSING: weakref.WeakKeyDictionary[Store, dict[str, float]] = weakref.WeakKeyDictionary()


@route("POST", "file/video/ad/upload/", v12="file/video/upload/")
def upload_video(ctx: Ctx) -> list[dict[str, Any]]:
    adv = ctx.advertiser_id()
    upload_type = _upload_type(ctx, VIDEO_UPLOAD_TYPES)
    source_name, data, signature = _source(ctx, upload_type, "video")
    fmt = _format(source_name, VIDEO_FORMATS, "video", "mp4, mov, mpeg or avi")
    if data is not None and len(data) > MAX_VIDEO_BYTES:
        raise errors.ApiError(FILE_TOO_LARGE, "video_file: the file exceeds 500 MB.")
    store, now = ctx.emulator.store, ctx.emulator.clock.now()
    with store.lock:
        name = _file_name(ctx, store.videos, adv, source_name)
        video = entities.make_video(store, adv, name, now, ready=False, signature=signature,
                                    size=len(data) if data is not None else 1_048_576)
        video["format"] = fmt
        delay = float((ctx.emulator.scenario.get("files") or {}).get("video_processing_seconds", 1.0))
        _PROCESSING.setdefault(store, {})[video["video_id"]] = time.monotonic() + delay
    _settle(store, now)
    return [serialize(video, string_ids=ctx.string_ids)]


@route("POST", "file/image/ad/upload/", v12="file/image/upload/")
def upload_image(ctx: Ctx) -> dict[str, Any]:
    adv = ctx.advertiser_id()
    upload_type = _upload_type(ctx, IMAGE_UPLOAD_TYPES)
    source_name, data, signature = _source(ctx, upload_type, "image")
    fmt = _format(source_name, IMAGE_FORMATS, "image", "jpg, jpeg or png")
    if data is not None and len(data) > MAX_IMAGE_BYTES:
        raise errors.ApiError(FILE_TOO_LARGE, "image_file: the file exceeds 10 MB.")
    width, height = image_size(data) if data else (720, 1280)
    store, now = ctx.emulator.store, ctx.emulator.clock.now()
    with store.lock:
        name = _file_name(ctx, store.images, adv, source_name)
        image = entities.make_image(store, adv, name, now, signature=signature, width=width, height=height,
                                    size=len(data) if data is not None else 102_400)
        image["format"] = fmt
    return serialize(image, string_ids=ctx.string_ids)


def _upload_type(ctx: Ctx, allowed: tuple[str, ...]) -> str:
    value = str(ctx.get("upload_type") or "UPLOAD_BY_FILE")
    if value not in allowed:
        raise errors.param_error("upload_type", f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _source(ctx: Ctx, upload_type: str, kind: str) -> tuple[str, bytes | None, str | None]:
    """(name the format is judged by, the bytes if uploaded, their MD5) for each upload type."""
    if upload_type == "UPLOAD_BY_FILE":
        if f"{kind}_file" not in ctx.files:
            raise errors.missing(f"{kind}_file")
        filename, data = ctx.files[f"{kind}_file"]
        given = str(ctx.get(f"{kind}_signature") or "").strip().lower()
        if not given:
            raise errors.missing(f"{kind}_signature")
        actual = hashlib.md5(data).hexdigest()
        if given != actual:
            raise errors.ApiError(errors.SIGNATURE_ERROR,
                                  f"{kind}_signature: does not match the MD5 of {kind}_file (got {given}).")
        return filename or f"{kind}.bin", data, actual
    if upload_type == "UPLOAD_BY_URL":
        url = str(ctx.get(f"{kind}_url") or "")
        if not url:
            raise errors.missing(f"{kind}_url")
        if urlsplit(url).scheme not in ("http", "https"):
            raise errors.param_error(f"{kind}_url", f"must be an http(s) URL, got {url!r}")
        path = urlsplit(url).path.rsplit("/", 1)[-1]
        return path if "." in path else f"{path or kind}.{'mp4' if kind == 'video' else 'jpg'}", None, None
    if upload_type == "UPLOAD_BY_FILE_ID":
        file_id = str(ctx.get("file_id") or "")
        if not file_id:
            raise errors.missing("file_id")
        return f"{file_id}.{'mp4' if kind == 'video' else 'jpg'}", None, None
    return _existing_video(ctx)


def _existing_video(ctx: Ctx) -> tuple[str, bytes | None, str | None]:
    video_id = str(ctx.get("video_id") or "")
    if not video_id:
        raise errors.missing("video_id")
    source = ctx.emulator.store.videos.get(video_id)
    if source is None:
        raise errors.not_exist("video", video_id)
    return f"{source['file_name'].rsplit('.', 1)[0]}.{source['format']}", None, source["signature"]


def _format(name: str, formats: dict[str, str], kind: str, allowed: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in formats:
        raise errors.ApiError(FILE_TYPE_ERROR, f"{kind}_file: file type {ext or 'unknown'!r} is not supported; use {allowed}.")
    return formats[ext]


def _file_name(ctx: Ctx, table: dict[str, dict[str, Any]], adv: str, default: str) -> str:
    """An explicit ``file_name`` must be unused (40911); a default one is made unique with a suffix."""
    taken = {e["file_name"] for e in table.values() if e["advertiser_id"] == adv}
    given = ctx.get("file_name")
    if given not in (None, ""):
        name = str(given)
        if not 1 <= len(name) <= 100:
            raise errors.param_error("file_name", f"must be 1 to 100 characters, got {len(name)}")
        if name in taken:
            raise errors.ApiError(errors.DUPLICATED_MATERIAL_NAME,
                                  f"file_name: a material named {name!r} already exists (DUPLICATED_MATERIAL_NAME).")
        return name
    stem, _, ext = default[:90].rpartition(".")
    name, n = default[:100], 1
    while name in taken:
        n += 1
        name = f"{stem or default}_{n}.{ext}" if stem else f"{default}_{n}"
    return name


def _settle(store: Store, now: Any) -> None:
    """Finish processing of videos whose time is up (checked lazily, on every file call)."""
    pending = _PROCESSING.get(store)
    if not pending:
        return
    clock = time.monotonic()
    with store.lock:
        for video_id, ready_at in list(pending.items()):
            if ready_at <= clock:
                video = store.videos.get(video_id)
                if video is not None:
                    video["displayable"], video["modify_time"] = True, now
                del pending[video_id]


def _ids(ctx: Ctx, name: str, limit: int) -> list[str]:
    ids = [str(v) for v in as_list(ctx.get(name), name)]
    if not ids:
        raise errors.missing(name)
    if len(ids) > limit:
        raise errors.param_error(name, f"at most {limit} ids per request, got {len(ids)}")
    return ids


@route("GET", "file/video/ad/info/")
def video_info(ctx: Ctx) -> dict[str, Any]:
    adv = ctx.advertiser_id()
    ids = _ids(ctx, "video_ids", MAX_VIDEO_IDS)
    _settle(ctx.emulator.store, ctx.emulator.clock.now())
    videos = ctx.emulator.store.videos
    found = [videos[i] for i in ids if i in videos and videos[i]["advertiser_id"] == adv]
    return {"list": [serialize(v, string_ids=ctx.string_ids) for v in found]}


@route("GET", "file/image/ad/info/")
def image_info(ctx: Ctx) -> dict[str, Any]:
    adv = ctx.advertiser_id()
    ids = _ids(ctx, "image_ids", MAX_IMAGE_IDS)
    images = ctx.emulator.store.images
    found = [images[i] for i in ids if i in images and images[i]["advertiser_id"] == adv]
    return {"list": [serialize(i, string_ids=ctx.string_ids) for i in found]}


@route("GET", "file/video/ad/search/")
def video_search(ctx: Ctx) -> dict[str, Any]:
    _settle(ctx.emulator.store, ctx.emulator.clock.now())
    return _search(ctx, ctx.emulator.store.videos, "video_ids", "video_id")


@route("GET", "file/image/ad/search/")
def image_search(ctx: Ctx) -> dict[str, Any]:
    return _search(ctx, ctx.emulator.store.images, "image_ids", "image_id")


def _search(ctx: Ctx, table: dict[str, dict[str, Any]], ids_field: str, id_field: str) -> dict[str, Any]:
    adv = ctx.advertiser_id()
    filtering = as_dict(ctx.get("filtering"), "filtering")
    wanted_ids = {str(v) for v in as_list(filtering.get(ids_field), f"filtering.{ids_field}")}
    materials = {str(v) for v in as_list(filtering.get("material_ids"), "filtering.material_ids")}
    rows = []
    for item in list(table.values()):
        if item["advertiser_id"] != adv or (wanted_ids and item[id_field] not in wanted_ids):
            continue
        if materials and item["material_id"] not in materials:
            continue
        if any(k in filtering and filtering[k] is not None and item.get(k) != filtering[k]
               for k in ("displayable", "width", "height")):
            continue
        if filtering.get("file_name") and str(filtering["file_name"]) not in item["file_name"]:
            continue
        rows.append(item)
    page, info = paginate(rows, ctx.params, default_size=20, max_size=MAX_SEARCH_PAGE)
    return {"list": [serialize(r, string_ids=ctx.string_ids) for r in page], "page_info": info}
