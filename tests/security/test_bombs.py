"""Issue 12: uploads that are small on the wire and huge once decoded are refused from their headers,
with a message, and change nothing (no row, no file).

- M2, pixel bombs: a PNG of a few kilobytes that declares tens or hundreds of millions of pixels,
  on the question image, the registration photo and the batch photos.

The pages are read in English: the messages are the code's own, whatever the catalog holds."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from datetime import date

import pytest
from PIL import Image, ImageFile

from core import uploads
from tests.question_bank.test_views import FORM
from tests.registration.conftest import make_id
from tests.registration.test_batch_and_documents import person
from tests.registration.test_batch_and_documents import sheet as good_sheet
from tests.security.conftest import sign_in
from tests.security.test_uploads import Stored, _apply_data

TOO_MANY_PIXELS = "The image is too large: at most 40,000,000 pixels."


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@functools.cache
def huge_png(width: int = 8000, height: int = 6000) -> bytes:
    """A complete, valid black-and-white PNG of width × height (48 million pixels by default: over
    the platform's limit, under Pillow's own), a few kilobytes of zlib over rows of zeros."""
    rows = bytes((1 + (width + 7) // 8) * height)  # a filter byte and 1-bit pixels per row
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9))
            + _chunk(b"IEND", b""))


def declared_png(side: int = 20_000) -> bytes:
    """A PNG header declaring side × side pixels (400 million) over a token IDAT."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\x00"))
            + _chunk(b"IEND", b""))


BOMBS = pytest.mark.parametrize("bomb", [huge_png, declared_png], ids=["48 Mpx", "400 Mpx"])


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image is decoded."""

    def load(self):
        raise AssertionError(f"an image of {self.size} was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def test_pillow_is_capped_for_the_whole_process():
    """Issue 12 M2: importing core.uploads caps Pillow, so any other Image.open refuses a bomb too."""
    assert Image.MAX_IMAGE_PIXELS == uploads.MAX_PIXELS == 40_000_000
    assert len(huge_png()) < 20_000 and len(declared_png()) < 200


@BOMBS
def test_question_image_bomb_is_refused_before_decoding(app, client, db, login_as, english, no_decoding, bomb):
    """Issue 12 M2: the question image (uploads.save_image)."""
    login_as("admin")
    stored = Stored(app, db)
    response = client.submit("/question-bank/new", {**FORM, "image": (io.BytesIO(bomb()), "diagram.png")},
                             content_type="multipart/form-data")
    assert response.status_code == 200 and TOO_MANY_PIXELS in response.get_data(as_text=True)
    stored.unchanged()


@BOMBS
def test_registration_photo_bomb_is_refused_before_decoding(app, client, db, event, staff, english, no_decoding,
                                                            bomb):
    """Issue 12 M2: the registration form's photo (uploads.save_portrait)."""
    sign_in(client, staff)
    stored = Stored(app, db)
    response = client.submit(f"/registration/events/{event.public_id}/apply",
                             _apply_data(staff, bomb(), "photo.png"), content_type="multipart/form-data")
    assert response.status_code == 200 and TOO_MANY_PIXELS in response.get_data(as_text=True)
    stored.unchanged()


@BOMBS
def test_batch_photo_bomb_is_refused_before_decoding(app, client, db, event, staff, english, no_decoding, bomb):
    """Issue 12 M2: a photo in the batch registration's zip (uploads.image_problem, then
    save_portrait on import): the row says why, and confirming registers nobody."""
    born = date(2000, 1, 2)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{make_id(born, seq='11')}.png", bomb())
    sign_in(client, staff)
    stored = Stored(app, db)
    uploaded = client.submit(
        f"/registration/events/{event.public_id}/batch",
        {"sheet": (io.BytesIO(good_sheet([person("甲", born, True, "11")])), "sheet.xlsx"),
         "photos": (io.BytesIO(archive.getvalue()), "photos.zip")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert TOO_MANY_PIXELS in page and 'data-row="2"' in page
    client.submit(uploaded.headers["Location"])  # confirming anyway
    stored.unchanged(stash_ok=True)
