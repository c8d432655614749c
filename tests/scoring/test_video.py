import io
from datetime import date
from decimal import Decimal as D

import pytest

from core import clock
from core.errors import Conflict, DomainError, NotAllowed
from registration import services as reg
from registration.models import Group
from scoring import video
from tests.conftest import PASSWORD
from tests.registration.conftest import form_data, make_id, photo_bytes

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


@pytest.fixture
def staff_candidate(db, event, create_user, frozen_clock):
    from registration.models import EventKind

    event.kind, event.groups = EventKind.COMPETITION, ["student", "staff"]
    admin, staff = create_user("admin"), create_user("centre_staff")
    r = reg.save_registration(db.session, registration=None, event=event, centre=staff.centre, photo=photo_bytes(),
                              user=staff, now=clock.now(),
                              data=form_data(group="staff", id_number=make_id(date(1985, 4, 4), seq="61"),
                                             birth_date=date(1985, 4, 4)))
    for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
        reg.act(db.session, registration=r, action=action, user=user, now=clock.now())
    db.session.commit()
    assert r.group is Group.STAFF
    return {"r": r, "staff": staff, "admin": admin, "event": event}


def test_submission_checks_the_file_and_the_link(db, staff_candidate, frozen_clock):
    r, staff = staff_candidate["r"], staff_candidate["staff"]
    with pytest.raises(DomainError, match="MP4"):
        video.submit(db.session, registration=r, user=staff, data=b"plain text renamed .mp4", link="",
                     now=clock.now())
    with pytest.raises(DomainError, match="https"):
        video.submit(db.session, registration=r, user=staff, data=None, link="ftp://x", now=clock.now())
    item = video.submit(db.session, registration=r, user=staff, data=MP4, link="", now=clock.now())
    assert item.file.endswith(".mp4")


def test_experts_score_and_the_trimmed_mean(db, staff_candidate, create_user, frozen_clock):
    r, staff = staff_candidate["r"], staff_candidate["staff"]
    item = video.submit(db.session, registration=r, user=staff, data=None, link="https://pan.example.com/s/abc123",
                        now=clock.now())
    experts = [create_user("referee") for _ in range(5)]
    outsider = create_user("referee")
    for e in experts:
        video.assign_expert(db.session, event=staff_candidate["event"], user=e, actor=staff_candidate["admin"])
    totals = [60, 80, 82, 84, 99]
    for e, total in zip(experts, totals, strict=True):
        values = {"objectives": 15, "content": 20, "methods": 20, "process": 20, "media": 15, "evaluation": 10}
        surplus = 100 - total
        values["content"] -= min(surplus, 20)
        values["methods"] -= max(0, surplus - 20)
        video.score(db.session, video=item, expert=e, values={k: str(v) for k, v in values.items()}, now=clock.now())
    assert sorted(s.total for s in item.scores) == [D(t) for t in totals]
    assert video.mark(item) == D("82.00")  # 60 and 99 dropped
    with pytest.raises(NotAllowed):
        video.score(db.session, video=item, expert=outsider, values={}, now=clock.now())
    with pytest.raises(DomainError, match="0.5"):
        video.score(db.session, video=item, expert=experts[0], values={"objectives": "16"}, now=clock.now())


def test_expert_from_the_candidates_centre_is_refused(db, staff_candidate, create_user, frozen_clock):
    from accounts import services as accounts

    r, staff = staff_candidate["r"], staff_candidate["staff"]
    item = video.submit(db.session, registration=r, user=staff, data=MP4, link="", now=clock.now())
    expert = create_user("referee")
    accounts.update_user(db.session, user=expert, actor=expert, full_name=expert.full_name, email="",
                         role=expert.role, centre=staff.centre, active=True)
    video.assign_expert(db.session, event=staff_candidate["event"], user=expert, actor=staff_candidate["admin"])
    with pytest.raises(Conflict):
        video.score(db.session, video=item, expert=expert, values={}, now=clock.now())


def test_video_pages(client, db, staff_candidate, create_user, frozen_clock):
    r, staff = staff_candidate["r"], staff_candidate["staff"]
    client.submit("/login", {"username": staff.username, "password": PASSWORD})
    response = client.submit(f"/scoring/videos/submit/{r.public_id}",
                             {"video": (io.BytesIO(MP4), "lesson.mp4")}, content_type="multipart/form-data")
    assert response.status_code == 302
    client.submit("/logout")
    expert = create_user("referee")
    video.assign_expert(db.session, event=staff_candidate["event"], user=expert, actor=staff_candidate["admin"])
    db.session.commit()
    client.submit("/login", {"username": expert.username, "password": PASSWORD})
    page = client.get("/scoring/videos").get_data(as_text=True)
    assert r.candidate_number in page and r.full_name not in page
    from scoring.models import TeachingVideo

    item = db.session.query(TeachingVideo).one()
    with client.get(f"/scoring/videos/{item.public_id}/file") as file:
        assert file.status_code == 200 and file.data.startswith(MP4[:12])
