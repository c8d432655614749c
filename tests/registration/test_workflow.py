from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditLog
from core.errors import DomainError, NotAllowed
from core.notify import Notification
from registration import services
from registration.models import Registration, State
from tests.registration.conftest import form_data, make_id, photo_bytes


def act(db, registration, action, user, **kwargs):
    services.act(db.session, registration=registration, action=action, user=user, now=clock.now(), **kwargs)
    db.session.commit()


def test_each_validation_message(db, event, staff, frozen_clock):
    cases = {
        "full_name": (form_data(full_name=""), "必填"),
        "phone": (form_data(phone="12345"), "手机"),
        "email": (form_data(email="not-an-email"), "电子邮箱"),
        "id_number": (form_data(id_number="440305200103141234"), "校验"),
        "birth_date": (form_data(birth_date=date(2001, 3, 15)), "出生日期"),
        "gender": (form_data(gender="female"), "性别"),
        "resume": (form_data(resume="长" * 4001), "4000"),
    }
    for field, (data, words) in cases.items():
        with pytest.raises(services.InvalidForm) as caught:
            services.save_registration(db.session, registration=None, event=event, centre=staff.centre, data=data,
                                       photo=None, user=staff, now=clock.now())
        key = "id_number" if field in ("birth_date", "gender") else field
        assert words in caught.value.problems[key], (field, caught.value.problems)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_photos_are_checked_by_content_and_cropped(app, db, event, staff, frozen_clock):
    from PIL import Image

    for bad, words in ((b"just some text renamed to photo.jpg", "不是 JPEG"), (photo_bytes(size=(50, 60)), "太小")):
        with pytest.raises(DomainError, match=words):
            services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                       data=form_data(), photo=bad, user=staff, now=clock.now())
        db.session.rollback()
    app.config["PHOTO_MAX_BYTES"] = 10_000
    with pytest.raises(DomainError, match="MB"):
        services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                   data=form_data(), photo=photo_bytes(size=(2000, 2000), fmt="PNG"), user=staff,
                                   now=clock.now())
    db.session.rollback()
    app.config["PHOTO_MAX_BYTES"] = 2 * 1024 * 1024
    registration = services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                              data=form_data(), photo=photo_bytes(size=(900, 600), fmt="PNG"),
                                              user=staff, now=clock.now())
    from core import uploads

    with Image.open(uploads.folder(services.PHOTO_FOLDER) / registration.photo) as saved:
        assert saved.format == "JPEG" and saved.size == (295, 413) and not saved.info.get("exif")


def test_one_registration_per_id_number_per_event(db, draft, event, staff, frozen_clock):
    draft()
    with pytest.raises(DomainError, match="已报名|already"):
        services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                   data=form_data(full_name="另一个人"), photo=None, user=staff, now=clock.now())


def test_full_journey_with_corrections(db, draft, staff, create_user, frozen_clock):
    admin = create_user("admin")
    registration = draft()
    act(db, registration, "submit", staff)
    act(db, registration, "centre_approve", staff, comment="同意报名")
    deadline = clock.now() + timedelta(days=3)
    act(db, registration, "return", admin, deadline=deadline,
        corrections=[("phone", "电话号码无法接通"), ("photo", "请换蓝底照片"), ("resume", "")])
    assert registration.state is State.RETURNED and len(registration.open_corrections) == 2
    note = db.session.scalars(select(Notification).order_by(Notification.id.desc())).first()
    assert "电话号码无法接通" in note.body and "请换蓝底照片" in note.body and note.email == "xiaoming@example.com"
    services.save_registration(db.session, registration=registration, event=registration.event,
                               centre=staff.centre, data=form_data(phone="13900139000"), photo=photo_bytes(),
                               user=staff, now=clock.now())
    act(db, registration, "resubmit", staff)
    assert registration.open_corrections == [] and registration.state is State.SUBMITTED
    act(db, registration, "centre_approve", staff)
    act(db, registration, "approve", admin, comment="审核通过")
    act(db, registration, "enrol", admin)
    assert registration.state is State.ENROLLED and registration.candidate_number == "2026GD0001"
    assert registration.user.username == "2026gd0001" and registration.user.must_change_password
    assert registration.session.name == "第一场" and registration.seat == 1
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_id == registration.public_id)).all()
    assert actions[-6:] == ["registration.return", "registration.update", "registration.resubmit",
                            "registration.centre_approve", "registration.approve", "registration.enrol"]


def test_transitions_are_refused_to_other_roles(db, draft, staff, create_user, frozen_clock):
    registration = draft()
    stranger_staff = create_user("centre_staff")  # another centre
    admin = create_user("admin")
    with pytest.raises(NotAllowed):
        act(db, registration, "submit", stranger_staff)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        act(db, registration, "approve", admin)  # not yet approved by the centre
    db.session.rollback()
    act(db, registration, "submit", staff)
    with pytest.raises(NotAllowed):
        act(db, registration, "approve", staff)  # the centre cannot give the project centre's opinion
    db.session.rollback()
    with pytest.raises(NotAllowed):
        act(db, registration, "centre_approve", admin)
    db.session.rollback()
    with pytest.raises(DomainError):
        act(db, registration, "reject", staff, comment="")  # a rejection needs a reason
    db.session.rollback()
    act(db, registration, "reject", staff, comment="不符合报名条件")
    assert registration.state is State.REJECTED


def test_submission_checks_eligibility_and_photo(db, event, staff, frozen_clock):
    registration = services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                              data=form_data(education="junior_high"), photo=None, user=staff,
                                              now=clock.now())
    with pytest.raises(DomainError, match="照片|photo"):
        act(db, registration, "submit", staff)
    db.session.rollback()
    registration.photo = "x.jpg"
    with pytest.raises(DomainError, match="高中|high school"):
        act(db, registration, "submit", staff)


def test_full_hours_required_before_approval(db, draft, event, staff, create_user, frozen_clock):
    event.require_full_hours = True
    admin = create_user("admin")
    registration = draft()
    act(db, registration, "submit", staff)
    act(db, registration, "centre_approve", staff)
    services.record_hours(db.session, registration=registration, hours={"I1": Decimal(10), "I2": Decimal(4)},
                          user=staff, now=clock.now())
    db.session.commit()
    with pytest.raises(DomainError, match="I3"):
        act(db, registration, "approve", admin)
    db.session.rollback()
    services.record_hours(db.session, registration=registration,
                          hours={c: Decimal(h) for c, h in (("I3", 6), ("I4", 6), ("I5", 4), ("I6", 10))},
                          user=staff, now=clock.now())
    act(db, registration, "approve", admin)
    with pytest.raises(NotAllowed):
        services.record_hours(db.session, registration=registration, hours={"I1": Decimal(1)}, user=admin,
                              now=clock.now())


def test_a_returned_form_is_withdrawn_by_the_job_after_its_deadline(app, db, draft, staff, frozen_clock):
    from core.extensions import scheduler

    registration = draft()
    act(db, registration, "submit", staff)
    act(db, registration, "return", staff, corrections=[("email", "邮箱无效")],
        deadline=clock.now() + timedelta(days=2))
    frozen_clock.advance(days=1)
    assert scheduler.run_job(app, "registration.expire_returned") == 0
    frozen_clock.advance(days=1, minutes=1)
    assert scheduler.run_job(app, "registration.expire_returned") == 1
    db.session.expire_all()
    assert registration.state is State.WITHDRAWN and "期限" in registration.closed_reason


def test_enrolment_links_an_existing_account_and_joins_the_event_exam(db, event, create_user, staff, frozen_clock):
    from exam.models import Exam, ExamStatus
    from question_bank.models import Level

    candidate = create_user("candidate")
    exam = Exam(title="中级理论", level=Level.INTERMEDIATE, event_id=event.id, opens_at=clock.now(),
                closes_at=clock.now() + timedelta(days=60), status=ExamStatus.DRAFT)
    db.session.add(exam)
    registration = services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                              data=form_data(id_number=make_id(seq="77")), photo=photo_bytes(),
                                              user=candidate, now=clock.now())
    admin = create_user("admin")
    act(db, registration, "submit", candidate)
    act(db, registration, "centre_approve", staff)
    act(db, registration, "approve", admin)
    act(db, registration, "enrol", admin)
    assert registration.user_id == candidate.id
    assert [e.user_id for e in exam.roster] == [candidate.id]


def test_check_in_once(db, draft, staff, create_user, frozen_clock):
    admin = create_user("admin")
    registration = draft()
    with pytest.raises(DomainError):
        services.check_in(db.session, registration=registration, user=admin, now=clock.now())
    for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
        act(db, registration, action, user)
    assert services.check_in(db.session, registration=registration, user=admin, now=clock.now()) is True
    assert services.check_in(db.session, registration=registration, user=admin, now=clock.now()) is False


def test_a_shared_email_never_joins_two_people(db, event, staff, create_user, frozen_clock):
    admin = create_user("admin")
    first = services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                       data=form_data(email="centre@example.com"), photo=photo_bytes(), user=staff,
                                       now=clock.now())
    for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
        act(db, first, action, user)
    second = services.save_registration(
        db.session, registration=None, event=event, centre=staff.centre, photo=photo_bytes(), user=staff,
        now=clock.now(), data=form_data(full_name="另一位", email="centre@example.com",
                                        id_number=make_id(date(2001, 3, 14), seq="99")))
    assert second.applicant_id is None  # the account is tied to the first person's ID number
