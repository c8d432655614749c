"""Issue 12: uploads that are small on the wire and huge once decoded are refused from their headers,
with a message, and change nothing (no row, no file).

- M2, pixel bombs: a PNG of a few kilobytes that declares tens or hundreds of millions of pixels,
  on the question image, the registration photo and the batch photos.
- M3, decompression bombs: zips and workbooks (an .xlsx is a zip) that inflate far beyond their
  size, hold too many members or lie about their sizes, on the batch photos, the batch sheet, the
  question bank import and the marking scheme import; and an upload is read once, not on every
  visit of its dry-run page.
- L6, XML entity expansion: a workbook whose sheet carries a billion-laughs DTD, on the three imports.

The pages are read in English: the messages are the code's own, whatever the catalog holds."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from datetime import date

import openpyxl.xml
import pytest
from openpyxl import Workbook
from PIL import Image, ImageFile
from sqlalchemy import select

from core import archives, uploads
from question_bank import transfer
from registration.models import Registration
from scoring import services as scoring
from scoring import transfer as scheme_transfer
from tests.question_bank.test_transfer import GOOD
from tests.question_bank.test_transfer import xlsx as question_sheet
from tests.question_bank.test_views import FORM
from tests.registration.conftest import make_id, photo_bytes
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


# --- M3: zips and workbooks ---------------------------------------------------------------------

MB = 1024 * 1024
BORN = date(2000, 1, 2)
NUMBER = make_id(BORN, seq="11")


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _declare_sizes(data: bytes, size: int) -> bytes:
    """`data` (a zip) with every member's uncompressed size, in both headers, changed to `size`."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset:at + offset + 4] = struct.pack("<I", size)
            at = out.find(signature, at + 4)
    return bytes(out)


@functools.cache
def deep_zeros() -> bytes:
    """A 2 MB member that deflates to about 2 KB (1,000 to 1)."""
    return _zip({f"photos/{NUMBER}.jpg": bytes(2 * MB)})


ZIP_BOMBS = {
    "ratio": (deep_zeros, "compressed more than 100 to 1"),
    "members": (lambda: _zip({f"{n}.txt": b"" for n in range(5001)}, zipfile.ZIP_STORED),
                "The archive holds more than 5000 files."),
    "declared total": (lambda: _declare_sizes(_zip({f"{n}.jpg": b"x" for n in range(2)}), 60 * MB),
                       "The archive would unpack to more than 64 MB."),
    "lying size": (lambda: _declare_sizes(_zip({f"photos/{NUMBER}.jpg": bytes(100_000)}), 10),
                   "The archive is damaged"),
    "encrypted": (lambda: _encrypted(_zip({f"photos/{NUMBER}.jpg": b"x"})), "password-protected"),
}


def _encrypted(data: bytes) -> bytes:
    """`data` (a zip) with the encryption flag set on its members (what zipfile would then ask a password for)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset] |= 0x1
            at = out.find(signature, at + 4)
    return bytes(out)


def _upload_batch(client, event, sheet: bytes, photos: bytes | None = None):
    data = {"sheet": (io.BytesIO(sheet), "sheet.xlsx")}
    if photos is not None:
        data["photos"] = (io.BytesIO(photos), "photos.zip")
    uploaded = client.submit(f"/registration/events/{event.public_id}/batch", data,
                             content_type="multipart/form-data")
    assert uploaded.status_code == 302
    return uploaded.headers["Location"]


@pytest.mark.parametrize("bomb", ZIP_BOMBS.values(), ids=ZIP_BOMBS.keys())
def test_batch_photo_zip_bomb_is_refused_with_a_message(app, client, db, event, staff, english, bomb):
    """Issue 12 M3: the batch photos zip (batch.read_photos through core.archives.check_zip)."""
    make, message = bomb
    sign_in(client, staff)
    stored = Stored(app, db)
    preview = _upload_batch(client, event, good_sheet([person("甲", BORN, True, "11")]), make())
    page = client.get(preview).get_data(as_text=True)
    assert 'data-testid="file-errors"' in page and message in page
    client.submit(preview)  # confirming anyway
    stored.unchanged(stash_ok=True)


def _replace(data: bytes, name: str, content: bytes) -> bytes:
    """The zip `data` with member `name` replaced by (or added as) `content`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {i.filename: source.read(i) for i in source.infolist()}
    members[name] = content
    return _zip(members)


SHEET = "xl/worksheets/sheet1.xml"
WORKSHEET = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>%s</t></is></c></row></sheetData></worksheet>')


def billion_laughs(encoding: str = "utf-8") -> bytes:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    text = (f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n<!DOCTYPE worksheet [{entities}]>\n'
            + (WORKSHEET % b"&a9;").decode())
    return text.encode(encoding)


def padded_sheet(size: int = 2 * MB) -> bytes:
    """A worksheet of `size` (a comment of spaces) that deflates about 1,000 to 1."""
    return WORKSHEET.replace(b"<sheetData>", b"<!--" + b" " * size + b"-->" + b"<sheetData>") % b"x"


def far_corner(header) -> bytes:
    """A workbook of `header` and one cell at XFD1048576: its rows read as a million rows 16,384 wide."""
    wb = Workbook()
    wb.active.append(list(header))
    wb.active.cell(row=1048576, column=16384, value="x")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


DTD = "declares an XML document type"
WORKBOOK_BOMBS = {
    "billion laughs": (lambda good: _replace(good, SHEET, billion_laughs()), DTD),
    "billion laughs, UTF-16": (lambda good: _replace(good, SHEET, billion_laughs("utf-16")), DTD),
    "inflated sheet": (lambda good: _replace(good, SHEET, padded_sheet()), "compressed more than 200 to 1"),
    "declared total": (lambda good: _declare_sizes(good, 6 * MB), "The archive would unpack to more than 50 MB."),
    "member count": (lambda good: _replace(_zip({**{f"x/{n}": b"" for n in range(300)}}), "[Content_Types].xml",
                                           b""), "The archive holds more than 300 files."),
    "broken sheet": (lambda good: _replace(good, SHEET, b"<worksheet><sheetData><row"), "not an Excel .xlsx file"),
}
WORKBOOK = pytest.mark.parametrize("bomb", WORKBOOK_BOMBS.values(), ids=WORKBOOK_BOMBS.keys())


@WORKBOOK
def test_batch_sheet_bomb_is_refused_with_a_message(app, client, db, event, staff, english, bomb):
    """Issue 12 M3 and L6: the batch registration sheet (batch.read_sheet through core.archives)."""
    make, message = bomb
    sign_in(client, staff)
    stored = Stored(app, db)
    preview = _upload_batch(client, event, make(good_sheet([person("甲", BORN, True, "11")])))
    response = client.get(preview)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="file-errors"' in page and message in page
    client.submit(preview)  # confirming anyway
    stored.unchanged(stash_ok=True)


@WORKBOOK
def test_question_import_bomb_is_refused_with_a_message(app, client, db, login_as, english, bomb):
    """Issue 12 M3 and L6: the question bank import (transfer.read_xlsx through core.archives)."""
    make, message = bomb
    login_as("admin")
    stored = Stored(app, db)
    uploaded = client.submit("/question-bank/import", {"file": (io.BytesIO(make(question_sheet(GOOD))), "q.xlsx")},
                             content_type="multipart/form-data")
    assert uploaded.status_code == 302
    response = client.get(uploaded.headers["Location"])
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="file-errors"' in page and message in page
    client.submit(uploaded.headers["Location"], {"mode": "all"})  # confirming anyway
    stored.unchanged(stash_ok=True)


@pytest.fixture
def open_scheme(db, event, create_user):
    admin = create_user("admin")
    scheme = scoring.create_scheme(db.session, event=event, actor=admin)
    db.session.commit()
    return admin, scheme


@WORKBOOK
def test_scheme_import_bomb_is_refused_with_a_message(app, client, db, event, open_scheme, english, bomb):
    """Issue 12 M3 and L6: the marking scheme import (scoring.transfer.import_scheme through core.archives)."""
    make, message = bomb
    admin, scheme = open_scheme
    good = scheme_transfer.export(scheme)
    sign_in(client, admin)
    stored = Stored(app, db)
    response = client.submit(f"/scoring/events/{event.public_id}/scheme.xlsx",
                             {"sheet": (io.BytesIO(make(good)), "scheme.xlsx")},
                             content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    stored.unchanged()


def test_a_cell_at_the_far_corner_is_not_a_million_rows(app, client, db, event, open_scheme, english):
    """Issue 12 M3: a sheet that declares a cell at XFD1048576 is read a bounded number of rows and
    columns wide: the marking scheme import used to read all 1,048,576 rows, 16,384 cells each (minutes
    of CPU); the question bank import read 5,000 rows of 16,384."""
    admin, scheme = open_scheme
    sign_in(client, admin)
    stored = Stored(app, db)
    response = client.submit(f"/scoring/events/{event.public_id}/scheme.xlsx",
                             {"sheet": (io.BytesIO(far_corner(scheme_transfer.HEADER)), "scheme.xlsx")},
                             content_type="multipart/form-data", follow_redirects=True)
    assert "The file has more than 500 rows; split it." in response.get_data(as_text=True)
    stored.unchanged()
    parsed = transfer.read_xlsx(far_corner([c.header for c in transfer.COLUMNS]))
    assert len(parsed.errors) == 1 and "5000" in parsed.errors[0] and not parsed.rows  # "more than 5000 rows"


def test_a_dtd_in_any_encoding_or_part_is_refused():
    """Issue 12 L6: core.archives.check_xlsx finds a DTD in UTF-8 and UTF-16, in any part, across chunks."""
    assert openpyxl.xml.DEFUSEDXML  # and behind this check, openpyxl parses through defusedxml
    good = question_sheet(GOOD)
    archives.check_xlsx(good)  # the template itself passes
    late = b" " * (archives.CHUNK - 4) + b"<!DOCTYPE x>"  # across a chunk boundary
    for bad in (_replace(good, "xl/styles.xml", late), _replace(good, SHEET, billion_laughs("utf-16-le"))):
        with pytest.raises(archives.ArchiveRefused):
            archives.check_xlsx(bad)


def test_uploads_are_read_once_not_on_every_visit(app, client, db, event, staff, login_as, monkeypatch):
    """Issue 12 M3: the dry-run pages show what was read on upload; a visit inflates nothing."""
    sign_in(client, staff)
    preview = _upload_batch(client, event, good_sheet([person("甲", BORN, True, "11")]),
                            _zip({f"photos/{NUMBER}.jpg": photo_bytes()}))

    def inflate(*args, **kwargs):
        raise AssertionError("the upload was read again")

    monkeypatch.setattr(archives.zipfile, "ZipFile", inflate)
    for _visit in range(2):
        assert 'data-row="2"' in client.get(preview).get_data(as_text=True)
    monkeypatch.undo()
    assert client.submit(preview).status_code == 302  # confirming reads the photos, once
    assert db.session.scalar(select(Registration.photo).filter_by(id_number=NUMBER))

    login_as("admin")
    uploaded = client.submit("/question-bank/import", {"file": (io.BytesIO(question_sheet(GOOD)), "q.xlsx")},
                             content_type="multipart/form-data")
    monkeypatch.setattr(archives.zipfile, "ZipFile", inflate)
    assert 'data-row="5"' in client.get(uploaded.headers["Location"]).get_data(as_text=True)


def test_a_json_import_nested_too_deep_is_refused(app):
    """Issue 12 M3 (beside it): a JSON question file of a few kilobytes nested 100,000 deep is refused
    with the usual message, not a RecursionError (500)."""
    parsed = transfer.read_json(b"[" * 100_000)
    assert len(parsed.errors) == 1 and not parsed.rows
