"""Uploaded files: checked by content, never trusted by name, stored under UPLOAD_FOLDER."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from core.errors import DomainError
from core.extensions import scheduler

IMAGE_FORMATS = {"PNG", "JPEG"}

# An image is decoded only once its header says it has at most this many pixels (width × height):
# a PNG of a few hundred bytes can declare 177 million pixels and take gigabytes to decode. The same
# cap binds Pillow for everyone in the process (it warns above it and refuses above twice it).
MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError)
_TOO_MANY_PIXELS = (Image.DecompressionBombError, Image.DecompressionBombWarning)  # the warning: under -W error


class _TooLarge(Exception):
    pass


def _probe(data: bytes, *, max_pixels: int, field: str, not_an_image) -> str:
    """Check `data` from its header only (nothing is decoded): a PNG or JPEG of at most
    `max_pixels`, whose structure verifies. Returns the format; raises DomainError on `field`."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            if width * height > max_pixels:
                raise _TooLarge
            probe.verify()
    except (_TooLarge, *_TOO_MANY_PIXELS) as exc:
        raise DomainError(_l("The image is too large: at most %(pixels)s pixels.",
                             pixels=format_number(max_pixels)), field=field) from exc
    except _UNREADABLE as exc:
        raise DomainError(not_an_image, field=field) from exc
    if kind not in IMAGE_FORMATS:
        raise DomainError(not_an_image, field=field)
    return kind


def larger_uploads(config_key: str):
    """Mark a view that accepts uploads up to app.config[config_key] instead of MAX_CONTENT_LENGTH
    (the teaching video). The limit must be raised before the CSRF check reads the form."""

    def mark(view):
        view.upload_limit_key = config_key
        return view

    return mark


def init_app(app: Flask) -> None:
    """Call before CSRFProtect.init_app, so that this hook runs first."""

    @app.before_request
    def per_view_upload_limit():
        view = app.view_functions.get(request.endpoint or "")
        key = getattr(view, "upload_limit_key", None)
        if key:
            request.max_content_length = current_app.config[key] + 1024 * 1024  # the form's other fields


def folder(name: str) -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_image(data: bytes, *, subfolder: str, max_bytes: int = 2 * 1024 * 1024,
               max_side: int = 1600, max_pixels: int = MAX_PIXELS) -> str:
    """Check that `data` is a PNG or JPEG image, re-encode it as PNG without metadata (shrunk to
    `max_side`), store it under a name derived from its content, and return that name."""
    if len(data) > max_bytes:
        raise DomainError(_l("The image is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)), field="image")
    not_an_image = _l("The file is not a PNG or JPEG image.")
    _probe(data, max_pixels=max_pixels, field="image", not_an_image=not_an_image)
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.copy()
    except _UNREADABLE as exc:
        raise DomainError(not_an_image, field="image") from exc
    image.thumbnail((max_side, max_side))
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    blob = out.getvalue()
    name = hashlib.sha256(blob).hexdigest()[:32] + ".png"
    (folder(subfolder) / name).write_bytes(blob)
    return name


# A one-inch ID photo: 25 mm × 35 mm, kept at 300 dpi.
PORTRAIT_SIZE = (295, 413)


def save_portrait(data: bytes, *, subfolder: str, max_bytes: int, max_pixels: int = MAX_PIXELS) -> str:
    """Check a JPEG or PNG photo by its content, crop it to the one-inch portrait ratio around the
    centre (a little above it, where the face is), resize, and store it as a JPEG without metadata."""
    if not data:
        raise DomainError(_l("Choose a photo."), field="photo")
    if len(data) > max_bytes:
        raise DomainError(_l("The photo is larger than %(mb)s MB.", mb=round(max_bytes / 1024 / 1024, 1)),
                          field="photo")
    not_an_image = _l("The photo is not a JPEG or PNG image.")
    _probe(data, max_pixels=max_pixels, field="photo", not_an_image=not_an_image)
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
    except _UNREADABLE as exc:
        raise DomainError(not_an_image, field="photo") from exc
    width, height = image.size
    if width < 100 or height < 140:
        raise DomainError(_l("The photo is too small: at least 100 × 140 pixels."), field="photo")
    target = PORTRAIT_SIZE[0] / PORTRAIT_SIZE[1]
    if width / height > target:  # too wide: keep the middle
        new_width = round(height * target)
        left = (width - new_width) // 2
        image = image.crop((left, 0, left + new_width, height))
    else:  # too tall: keep the upper-middle part
        new_height = round(width / target)
        top = max(0, (height - new_height) // 3)
        image = image.crop((0, top, width, top + new_height))
    image = image.resize(PORTRAIT_SIZE, Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    blob = out.getvalue()
    name = hashlib.sha256(blob).hexdigest()[:32] + ".jpg"
    (folder(subfolder) / name).write_bytes(blob)
    return name


def image_problem(data: bytes, *, max_pixels: int = MAX_PIXELS) -> str | None:
    """Why `data` is not a usable JPEG or PNG photo (a message), or None. Decodes and writes nothing."""
    try:
        _probe(data, max_pixels=max_pixels, field="photo", not_an_image=_l("The photo is not a JPEG or PNG image."))
    except DomainError as exc:
        return str(exc.message)
    return None


# --- files waiting between a dry run and its confirmation -----------------------------------------

STASH = "imports"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(18)


def stash_path(user_id: int, token: str, suffix: str) -> Path | None:
    """Where an upload waits between its dry run and its confirmation. The user's id is part of the
    name, so nobody else can confirm it; None for a malformed token."""
    if not _TOKEN.match(token or ""):
        return None
    return folder(STASH) / f"{user_id}-{token}{suffix}"


def purge_stash(*, older_than: float) -> int:
    removed = 0
    for path in folder(STASH).iterdir():
        if path.is_file() and path.stat().st_mtime < older_than:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@scheduler.job("core.purge_stale_uploads", trigger="interval", hours=6)
def purge_stale_uploads(session, *, now) -> int:
    """Delete uploads that were checked (a dry run) but never imported, after a day."""
    return purge_stash(older_than=now.timestamp() - 24 * 3600)
