"""OB 3.0 baking: the credential's JSON in a PNG badge image, as an iTXt chunk with the keyword
"openbadgecredential" (uncompressed, no language tag), placed before IEND. The image itself
carries no text (the facts are in the credential): a seal-like emblem drawn once per level."""

from __future__ import annotations

import io
import json
import math
import struct
import zlib

from PIL import Image, ImageDraw

KEYWORD = b"openbadgecredential"
SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOURS = {"junior": (46, 125, 50), "intermediate": (21, 101, 192), "senior": (183, 28, 28), "award": (191, 144, 0)}


def emblem(tone: str, size: int = 256) -> bytes:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    colour = COLOURS.get(tone, COLOURS["intermediate"])
    draw.ellipse((4, 4, size - 4, size - 4), fill=colour + (255,))
    draw.ellipse((22, 22, size - 22, size - 22), outline=(255, 255, 255, 255), width=6)
    c = size / 2
    star = []
    for i in range(10):  # a five-pointed star in the middle
        r = size * (0.28 if i % 2 == 0 else 0.12)
        a = math.pi / 2 + i * math.pi / 5
        star.append((c + r * math.cos(a), c - r * math.sin(a)))
    draw.polygon(star, fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def chunks(png: bytes):
    """(type, data) of every chunk; ValueError when the bytes are not a well-formed PNG."""
    if not png.startswith(SIGNATURE):
        raise ValueError("not a PNG")
    pos = len(SIGNATURE)
    while pos < len(png):
        if pos + 8 > len(png):
            raise ValueError("truncated PNG")
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        data = png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        if len(data) != length or zlib.crc32(kind + data) & 0xFFFFFFFF != crc:
            raise ValueError("corrupt PNG chunk")
        yield kind, data
        pos += 12 + length


def bake(png: bytes, credential: dict) -> bytes:
    """The image with the credential baked in (any earlier credential chunk replaced)."""
    text = json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode()
    itxt = _chunk(b"iTXt", KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + text)
    out = [SIGNATURE]
    for kind, data in chunks(png):
        if kind == b"iTXt" and data.startswith(KEYWORD + b"\0"):
            continue
        if kind == b"IEND":
            out.append(itxt)
        out.append(_chunk(kind, data))
    return b"".join(out)


def unbake(png: bytes) -> dict | None:
    for kind, data in chunks(png):
        if kind == b"iTXt" and data.startswith(KEYWORD + b"\0"):
            rest = data[len(KEYWORD) + 1:]
            flag, _method = rest[0], rest[1]
            rest = rest[2:]
            _language, rest = rest.split(b"\0", 1)
            _translated, text = rest.split(b"\0", 1)
            return json.loads(zlib.decompress(text) if flag else text)
    return None
