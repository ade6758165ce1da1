"""Read an uploaded image's pixel size from its header, so the image object reports real dimensions.

Only PNG (IHDR) and baseline/progressive JPEG (SOFn) are understood; anything else falls back to the
emulator's default 720x1280 rather than failing an upload over metadata.
"""
from __future__ import annotations

import struct

DEFAULT_SIZE = (720, 1280)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or JPEG; the default when the header cannot be read."""
    if data.startswith(PNG_MAGIC) and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return DEFAULT_SIZE


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return DEFAULT_SIZE
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker in JPEG_SOF:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return DEFAULT_SIZE
