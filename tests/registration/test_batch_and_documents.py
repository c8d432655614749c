import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from core import clock
from registration import batch, documents, services
from registration.models import Registration, State
from tests.registration.conftest import make_id, photo_bytes

HEADER = [h for _k, h in batch.COLUMNS]


def sheet(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def person(name, born, male, seq, **over):
    row = {"full_name": name, "gender": "男" if male else "女", "birth_date": born.isoformat(), "education": "高职",
           "title": "", "employer": "某职业学院", "phone": "13800138000", "address": "", "email": "a@example.com",
           "id_number": make_id(born, male=male, seq=seq), "resume": "", "training_history": "", "group": ""}
    row.update(over)
    return [row[k] for k, _h in batch.COLUMNS]


def photos_zip(numbers) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in numbers:
            z.writestr(f"photos/{n}.jpg", photo_bytes())
    return buf.getvalue()


def plan_for(db, event, rows, photo_numbers=()):
    photos, errors = batch.read_photos(photos_zip(photo_numbers) if photo_numbers else None)
    plan = batch.read_sheet(db.session, sheet(rows), event=event, photos=photos, today=clock.now().date())
    plan.errors.extend(errors)
    return plan


def test_good_sheet_with_photos_imports_every_row(db, event, staff, frozen_clock):
    rows = [person("甲", date(2000, 1, 2), True, "11"), person("乙", date(2001, 5, 6), False, "12")]
    numbers = [make_id(date(2000, 1, 2), male=True, seq="11"), make_id(date(2001, 5, 6), male=False, seq="12")]
    plan = plan_for(db, event, rows, numbers)
    assert plan.errors == [] and len(plan.valid) == 2 and all(r.has_photo for r in plan.rows)
    assert batch.apply(db.session, plan, event=event, user=staff, now=clock.now()) == 2
    db.session.commit()
    saved = db.session.scalars(select(Registration).order_by(Registration.full_name)).all()
    assert [r.photo is not None for r in saved] == [True, True] and saved[0].state is State.DRAFT


def test_bad_rows_are_reported_and_skipped(db, event, staff, frozen_clock):
    rows = [person("甲", date(2000, 1, 2), True, "11"),
            person("乙", date(2001, 5, 6), True, "12", gender="女"),          # gender disagrees with the ID
            person("丙", date(2001, 5, 6), False, "13", phone="123"),
            person("丁", date(2001, 5, 6), False, "14", birth_date="2001/13/40"),
            person("甲", date(2000, 1, 2), True, "11")]                       # the same ID twice
    plan = plan_for(db, event, rows)
    problems = {r.number: set(r.problems) for r in plan.rows}
    assert problems == {2: set(), 3: {"id_number"}, 4: {"phone"}, 5: {"birth_date"}, 6: {"id_number"}}
    assert batch.apply(db.session, plan, event=event, user=staff, now=clock.now()) == 1


def test_missing_photos_are_flagged_and_rows_still_import(db, event, staff, frozen_clock):
    rows = [person("甲", date(2000, 1, 2), True, "11"), person("乙", date(2001, 5, 6), False, "12")]
    plan = plan_for(db, event, rows, [make_id(date(2000, 1, 2), male=True, seq="11")])
    assert [r.has_photo for r in plan.rows] == [True, False] and len(plan.valid) == 2
    batch.apply(db.session, plan, event=event, user=staff, now=clock.now())
    db.session.commit()
    without = db.session.scalar(select(Registration).where(Registration.photo.is_(None)))
    with pytest.raises(Exception, match="照片|photo"):
        services.act(db.session, registration=without, action="submit", user=staff, now=clock.now())


def test_files_that_are_not_what_they_claim(db, event, frozen_clock):
    plan = batch.read_sheet(db.session, b"%PDF-1.4 not a sheet", event=event, photos={}, today=clock.now().date())
    assert plan.errors and not plan.rows
    photos, errors = batch.read_photos(b"not a zip")
    assert photos == {} and errors
    wrong = Workbook()
    wrong.active.append(["name", "id"])
    buf = io.BytesIO()
    wrong.save(buf)
    assert batch.read_sheet(db.session, buf.getvalue(), event=event, photos={}, today=clock.now().date()).errors


def enrolled(db, draft, staff, create_user):
    admin = create_user("admin")
    registration = draft()
    for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
        services.act(db.session, registration=registration, action=action, user=user, now=clock.now())
    db.session.commit()
    return registration


@pytest.mark.skipif(shutil.which("pdftoppm") is None and not os.environ.get("REQUIRE_PDF_TOOLS"),
                    reason="needs pdftoppm (Debian poppler-utils)")
def test_ticket_pdf_has_the_number_and_a_qr_code_to_the_check_in_link(app, db, draft, staff, create_user,
                                                                      tmp_path, frozen_clock):
    import zxingcpp
    from PIL import Image

    from core import uploads

    registration = enrolled(db, draft, staff, create_user)
    with app.test_request_context():
        url = services.check_in_url(registration)
        pdf = documents.admission_ticket(registration, check_in_url=url, sign_in_url=services.sign_in_url(),
                                         photo_folder=uploads.folder(services.PHOTO_FOLDER))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert registration.candidate_number in text and "准" in text and "黄小明" in text
    assert registration.user.username in text and "http://localhost/login" in text  # how to sign in
    (tmp_path / "ticket.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(tmp_path / "ticket.pdf"), str(tmp_path / "page")],
                   check=True)
    page = next(tmp_path.glob("page*.png"))
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(page, artifacts / "admission-ticket.png")  # for people to look at
    codes = zxingcpp.read_barcodes(Image.open(page))
    assert [c.text for c in codes] == [url]
    assert re.fullmatch(r"http://localhost/registration/check-in/[A-Za-z0-9_-]{20,}", url)


def test_form_pdf_carries_the_scores_once_they_exist(app, db, draft, staff, create_user, frozen_clock):
    from decimal import Decimal

    from core import uploads

    registration = enrolled(db, draft, staff, create_user)
    registration.theory_score, registration.practical_score = Decimal("86.50"), Decimal("78.00")
    with app.test_request_context():
        pdf = documents.registration_form(registration, photo_folder=uploads.folder(services.PHOTO_FOLDER))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "认证培训登记表" in text and "86.50" in text and "78.00" in text and registration.id_number in text
    if shutil.which("pdftoppm"):  # a picture for people to look at
        artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / "registration-form.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(artifacts / "registration-form.pdf"),
                        str(artifacts / "registration-form")], check=True)


def test_check_in_pages(client, login_as, db, draft, staff, create_user, frozen_clock):
    registration = enrolled(db, draft, staff, create_user)
    login_as("admin")
    response = client.submit("/registration/check-in", {"number": registration.candidate_number.lower()})
    assert response.headers["Location"].endswith(f"/registration/check-in/{registration.public_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "黄小明" in page
    client.submit(response.headers["Location"])
    db.session.expire_all()
    assert registration.checked_in_at is not None
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
