"""Uploads through the pages: files that lie about their type, files over a size limit and
decompression bombs get a clear message, and nothing is stored (no row, no file). Already covered
elsewhere and not repeated: a stem image that is SVG named .png, an import that is a PDF named
.xlsx or a .txt, the services' own checks of photos, sheets, zips and videos, and the 413 page
for a form without a file (tests/core/test_errors.py)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from core import clock
from registration import services as registration
from registration.models import EventKind
from scoring import services as scoring
from tests.question_bank.test_views import FORM
from tests.registration.conftest import form_data, make_id, photo_bytes
from tests.registration.test_batch_and_documents import person
from tests.registration.test_batch_and_documents import sheet as good_sheet
from tests.security.conftest import changed_tables, sign_in, snapshot

TEXT = b"just some text, renamed to look like something else\n" * 20
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buf.getvalue()


def _png(size=(400, 560)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 60, 200)).save(buf, format="PNG")
    return buf.getvalue()


def _bomb_png(side=20_000) -> bytes:
    """A few dozen bytes that declare a 20000 × 20000 image (400 million pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


def _files(app) -> set[str]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


class Stored:
    """What the database and the upload folder hold, to compare before and after a request."""

    def __init__(self, app, db):
        self.app, self.db = app, db
        self.rows, self.files = snapshot(db), _files(app)

    def unchanged(self, *, stash_ok: bool = False) -> None:
        assert changed_tables(self.rows, snapshot(self.db)) == []
        new = _files(self.app) - self.files
        if stash_ok:  # a dry run keeps the upload for a day under imports/, and nothing else
            new = {f for f in new if not f.startswith("imports/")}
        assert new == set(), new


def _apply_data(staff, photo: bytes, name: str) -> dict:
    data = {k: str(v) for k, v in form_data().items() if v is not None}
    return {**data, "centre": staff.centre.public_id, "photo": (io.BytesIO(photo), name)}


# --- files that lie about their type ------------------------------------------------------------


@pytest.mark.parametrize(
    "content,name",
    [(TEXT, "photo.jpg"), (PDF, "photo.png"), (_zip(), "photo.jpeg")],
    ids=["text as .jpg", "pdf as .png", "zip as .jpeg"],
)
def test_registration_photo_is_checked_by_content(app, client, db, event, staff, content, name):
    sign_in(client, staff)
    stored = Stored(app, db)
    response = client.submit(
        f"/registration/events/{event.public_id}/apply",
        _apply_data(staff, content, name),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "照片不是 JPEG 或 PNG 格式的图片" in response.get_data(as_text=True)
    stored.unchanged()


@pytest.mark.parametrize(
    "content,name",
    [(TEXT, "diagram.jpg"), (PDF, "diagram.png")],
    ids=["text as .jpg", "pdf as .png"],
)
def test_question_image_is_checked_by_content(app, client, db, login_as, content, name):
    login_as("admin")
    stored = Stored(app, db)
    response = client.submit(
        "/question-bank/new",
        {**FORM, "image": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "该文件不是 PNG 或 JPEG 图片" in response.get_data(as_text=True)
    stored.unchanged()


@pytest.mark.parametrize(
    "content,name,message",
    [
        (_zip(), "questions.xlsx", "这不是 Excel .xlsx 文件"),
        (_png(), "questions.xlsx", "这不是 Excel .xlsx 文件"),
        (_zip(), "questions.json", "这不是题库的 JSON 文件"),
    ],
    ids=["zip as .xlsx", "png as .xlsx", "zip as .json"],
)
def test_question_import_of_a_disguised_file_imports_nothing(
    app, client, db, login_as, content, name, message
):
    login_as("admin")
    stored = Stored(app, db)
    uploaded = client.submit(
        "/question-bank/import",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    preview = uploaded.headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    assert 'data-testid="file-errors"' in page and message in page
    client.submit(preview, {"mode": "all"})  # confirming anyway
    stored.unchanged(stash_ok=True)


@pytest.mark.parametrize(
    "sheet,photos,message",
    [
        ((_zip(), "sheet.xlsx"), None, "这不是 Excel .xlsx 文件"),
        ((PDF, "sheet.xlsx"), None, "这不是 Excel .xlsx 文件"),
        (None, (TEXT, "photos.zip"), "照片文件不是 zip 压缩包"),
    ],
    ids=["zip as .xlsx", "pdf as .xlsx", "text as .zip"],
)
def test_batch_registration_of_disguised_files_registers_nobody(
    app, client, db, event, staff, sheet, photos, message
):
    if sheet is None:
        sheet = (good_sheet([person("甲", date(2000, 1, 2), True, "11")]), "sheet.xlsx")
    data = {"sheet": (io.BytesIO(sheet[0]), sheet[1])}
    if photos is not None:
        data["photos"] = (io.BytesIO(photos[0]), photos[1])
    sign_in(client, staff)
    stored = Stored(app, db)
    uploaded = client.submit(
        f"/registration/events/{event.public_id}/batch", data, content_type="multipart/form-data"
    )
    assert uploaded.status_code == 302
    preview = uploaded.headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    assert 'data-testid="file-errors"' in page and message in page
    client.submit(preview)  # confirming anyway
    stored.unchanged(stash_ok=True)


def test_marking_scheme_import_of_a_disguised_file_changes_nothing(
    app, client, db, event, create_user
):
    admin = create_user("admin")
    scoring.create_scheme(db.session, event=event, actor=admin)
    db.session.commit()
    sign_in(client, admin)
    stored = Stored(app, db)
    for content in (_zip(), PDF, _png()):
        response = client.submit(
            f"/scoring/events/{event.public_id}/scheme.xlsx",
            {"sheet": (io.BytesIO(content), "scheme.xlsx")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert "这不是 Excel .xlsx 文件" in response.get_data(as_text=True)
    stored.unchanged()


@pytest.fixture
def staff_group_entry(db, event, staff, create_user, frozen_clock):
    """An enrolled candidate of the staff group (the one who submits a teaching video)."""
    admin = create_user("admin")
    event.kind, event.groups = EventKind.COMPETITION, ["student", "staff"]
    entry = registration.save_registration(
        db.session,
        registration=None,
        event=event,
        centre=staff.centre,
        photo=photo_bytes(),
        user=staff,
        now=clock.now(),
        data=form_data(
            group="staff",
            id_number=make_id(date(1985, 4, 4), seq="61"),
            birth_date=date(1985, 4, 4),
        ),
    )
    for action, user in (
        ("submit", staff),
        ("centre_approve", staff),
        ("approve", admin),
        ("enrol", admin),
    ):
        registration.act(db.session, registration=entry, action=action, user=user, now=clock.now())
    db.session.commit()
    return entry


@pytest.mark.parametrize(
    "content,name",
    [(TEXT, "lesson.mp4"), (PDF, "lesson.webm")],
    ids=["text as .mp4", "pdf as .webm"],
)
def test_teaching_video_is_checked_by_content(
    app, client, db, staff, staff_group_entry, content, name
):
    sign_in(client, staff)
    stored = Stored(app, db)
    response = client.submit(
        f"/scoring/videos/submit/{staff_group_entry.public_id}",
        {"video": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "该文件不是 MP4 或 WebM 视频" in response.get_data(as_text=True)
    stored.unchanged()


# --- size limits --------------------------------------------------------------------------------


def test_photo_over_its_own_limit_is_refused_with_a_message(app, client, db, event, staff):
    app.config["PHOTO_MAX_BYTES"] = 20_000
    photo = photo_bytes() + b"\x00" * 20_000  # a real JPEG, padded past the limit
    sign_in(client, staff)
    stored = Stored(app, db)
    response = client.submit(
        f"/registration/events/{event.public_id}/apply",
        _apply_data(staff, photo, "photo.png"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "照片超过" in response.get_data(as_text=True)
    stored.unchanged()


def test_question_image_over_2_mb_is_refused_with_a_message(app, client, db, login_as):
    login_as("admin")
    big = _png() + b"\x00" * (2 * 1024 * 1024)  # a real PNG, padded past the limit
    # Encoded here: the test client spools a body over 500 KB to a temporary file it never closes.
    fields = {
        **FORM,
        "csrf_token": client.csrf_token(),
        "image": FileStorage(io.BytesIO(big), filename="big.png", content_type="image/png"),
    }
    boundary, body = encode_multipart(fields)
    stored = Stored(app, db)
    response = client.post(
        "/question-bank/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200 and "图片超过 2 MB" in response.get_data(as_text=True)
    stored.unchanged()


def _upload_route(request, route: str):
    """(who, url, multipart data) of one upload form, with what it needs set up."""
    get = request.getfixturevalue
    big = b"\x00" * 100_000
    event, staff = get("event"), get("staff")
    if route == "registration photo":
        return (
            staff,
            f"/registration/events/{event.public_id}/apply",
            _apply_data(staff, big, "photo.jpg"),
        )
    if route == "batch registration":
        return (
            staff,
            f"/registration/events/{event.public_id}/batch",
            {"sheet": (io.BytesIO(big), "s.xlsx")},
        )
    admin = get("create_user")("admin")
    if route == "marking scheme import":
        scoring.create_scheme(get("db").session, event=event, actor=admin)
        get("db").session.commit()
        return (
            admin,
            f"/scoring/events/{event.public_id}/scheme.xlsx",
            {"sheet": (io.BytesIO(big), "s.xlsx")},
        )
    if route == "question image":
        return admin, "/question-bank/new", {**FORM, "image": (io.BytesIO(big), "a.png")}
    return admin, "/question-bank/import", {"file": (io.BytesIO(big), "q.xlsx")}


@pytest.mark.parametrize(
    "route",
    [
        "registration photo",
        "question image",
        "question import",
        "batch registration",
        "marking scheme import",
    ],
)
def test_upload_over_the_request_limit_is_413_and_stores_nothing(
    app, client, db, request, frozen_clock, route
):
    user, url, data = _upload_route(request, route)
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    sign_in(client, user)
    stored = Stored(app, db)
    response = client.submit(url, data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "上传的文件超过了平台允许的大小" in response.get_data(as_text=True)
    stored.unchanged()


def test_the_video_form_has_its_own_size_limit(app, client, db, staff, staff_group_entry):
    """The teaching video may be larger than other uploads (VIDEO_MAX_BYTES, not
    MAX_CONTENT_LENGTH), and no larger: over it, a message and nothing stored."""
    app.config["MAX_CONTENT_LENGTH"] = 20_000
    app.config["VIDEO_MAX_BYTES"] = 50_000
    mp4 = b"\x00\x00\x00\x18ftypmp42"
    url = f"/scoring/videos/submit/{staff_group_entry.public_id}"
    sign_in(client, staff)
    stored = Stored(app, db)
    too_big = {"video": (io.BytesIO(mp4 + b"\x00" * 100_000), "lesson.mp4")}
    response = client.submit(url, too_big, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "视频超过" in response.get_data(as_text=True)
    stored.unchanged()
    fits = {"video": (io.BytesIO(mp4 + b"\x00" * 30_000), "lesson.mp4")}  # over the usual limit
    assert client.submit(url, fits, content_type="multipart/form-data").status_code == 302


# --- decompression bombs ------------------------------------------------------------------------


def test_question_image_bomb_gets_a_message(app, client, db, login_as):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # what a user gets: a page, not a test crash
    login_as("admin")
    stored = Stored(app, db)
    response = client.submit(
        "/question-bank/new",
        {**FORM, "image": (io.BytesIO(_bomb_png()), "bomb.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "40,000,000" in response.get_data(as_text=True)  # too many pixels (issue 12 M2)
    stored.unchanged()


def test_registration_photo_bomb_gets_a_message(app, client, db, event, staff):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    sign_in(client, staff)
    stored = Stored(app, db)
    response = client.submit(
        f"/registration/events/{event.public_id}/apply",
        _apply_data(staff, _bomb_png(), "bomb.png"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "40,000,000" in response.get_data(as_text=True)  # too many pixels (issue 12 M2)
    stored.unchanged()


def test_batch_photo_bomb_gets_a_message(app, client, db, event, staff):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    born = date(2000, 1, 2)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"{make_id(born, seq='11')}.png", _bomb_png())
    sign_in(client, staff)
    stored = Stored(app, db)
    uploaded = client.submit(
        f"/registration/events/{event.public_id}/batch",
        {
            "sheet": (io.BytesIO(good_sheet([person("甲", born, True, "11")])), "sheet.xlsx"),
            "photos": (io.BytesIO(archive.getvalue()), "photos.zip"),
        },
        content_type="multipart/form-data",
    )
    page = client.get(uploaded.headers["Location"])
    assert page.status_code == 200
    assert "40,000,000" in page.get_data(as_text=True)  # too many pixels (issue 12 M2)
    stored.unchanged(stash_ok=True)
