"""Issue 15: a 30-candidate event run through the cockpit. The centre registers by batch (an error
file downloaded and fixed), submits and approves in bulk; the project office approves in bulk,
enrols from the cockpit and the centre downloads the account slips; 29 candidates sit the exam
and the practical (one is absent); the cockpit computes and publishes the results, the publicity
ends and it issues the certificates. At each stage the cockpit's counts and blockers are checked
and screenshotted, and every page the journey renders is scanned, in both languages, for raw codes
(enum values, audit action codes, form field keys)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS, click
from tests.e2e.test_registration import signed_in

pytestmark = pytest.mark.e2e

CODE = "CKPT26"
N = 30
HEADERS = ["姓名", "性别", "出生日期", "文化程度", "职称/职务", "单位名称", "电话", "联系地址", "邮箱", "身份证号码",
           "个人简历", "培训情况", "组别"]


def _id(n: int) -> tuple[str, date]:
    from registration import rules

    born = date(1998, 1, 1) + timedelta(days=37 * n)
    body = f"320102{born:%Y%m%d}{n:02d}{'3' if n % 2 else '4'}"
    return body + rules.id_check_character(body), born


def _sheet(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rows(broken: bool) -> list[list]:
    rows = []
    for n in range(N):
        number, born = _id(n)
        phone = "13900139000"
        if broken and n == 7:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")  # a wrong check character
        if broken and n == 19:
            phone = "12345"
        rows.append([f"驾驶舱{n:02d}", "男" if n % 2 else "女", born.isoformat(), "高职", "学生", "南京工业职院",
                     phone, "南京市", f"ck{n}@example.com", number, "2020-2023 高职在读", "2025 年参加初级培训", ""])
    return rows


def _photos() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for n in range(N):
            image = io.BytesIO()
            Image.new("RGB", (300, 400), (20 + n * 5, 80, 160)).save(image, format="JPEG")
            archive.writestr(f"{_id(n)[0]}.jpg", image.getvalue())
    return buf.getvalue()


# --- the raw-code scan ---------------------------------------------------------------------------


def _raw_codes() -> re.Pattern:
    """Every enum value with an underscore, every audited action code, every form field key followed
    by a colon: none may reach a page as text."""
    import core.models
    from core import audit
    from registration.models import Registration

    values = set()
    stack = [core.models.LabelledEnum]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        values |= {m.value for m in cls if "_" in m.value} if cls is not core.models.LabelledEnum else set()
    actions = {a for a in audit._LABELS if "." in a}
    keys = {f"{k}:" for k in Registration.FORM_FIELDS} | {"photo:"}
    words = [re.escape(v) for v in sorted(values | actions, key=len, reverse=True)]
    return re.compile(r"(?<![\w./-])(?:" + "|".join(words) + r")(?![\w/-])|(?<![\w])(?:"
                      + "|".join(re.escape(k) for k in sorted(keys)) + ")")


class Scan:
    """Every page the journey renders, scanned as it is (Chinese) and again in English (a GET of the
    same address in a second tab of the same session)."""

    def __init__(self):
        self.pattern = _raw_codes()
        self.found: list[str] = []
        self.scanned = 0

    def _check(self, url: str, lang: str, text: str) -> None:
        self.scanned += 1
        for match in self.pattern.finditer(text):
            self.found.append(f"{url} [{lang}]: {match.group(0)!r}")

    def page(self, page) -> None:
        url = page.url.split("#")[0]
        self._check(url, "zh", page.locator("body").inner_text())
        other = page.context.new_page()
        response = other.goto(url + ("&" if "?" in url else "?") + "lang=en")
        if response is not None and response.status == 200 and "text/html" in response.headers.get("content-type", ""):
            self._check(url, "en", other.locator("body").inner_text())
        other.close()


def _cockpit(page, scan, shot: str) -> dict:
    page.goto(f"/events/{CODE}")
    scan.page(page)
    page.screenshot(path=str(ARTIFACTS / f"cockpit-{shot}.png"), full_page=True)
    stages = {s.get_attribute("data-step"): s.get_attribute("data-status")
              for s in page.get_by_test_id("stage").all()}
    counts = {}
    for stage in page.get_by_test_id("stage").all():
        step = stage.get_attribute("data-step")
        for cell in stage.locator("dd[data-count]").all():
            counts[f"{step}.{cell.get_attribute('data-count')}"] = int(cell.inner_text())
        for b in stage.locator("[data-blocker]").all():
            counts[f"{step}!{b.get_attribute('data-blocker')}"] = int(b.get_attribute("data-count"))
    return {"stages": stages, "counts": counts}


def test_thirty_candidates_through_the_cockpit(browser, live_server, live_app, tmp_path):
    from sqlalchemy import select

    from accounts import services as accounts
    from accounts.models import Role, User
    from certificates import results as result_services
    from certificates import services as certificate_services
    from core import clock
    from core.extensions import db
    from exam import admin as exam_admin
    from exam import services as exam_services
    from exam.models import Exam, MultipleRule, ReviewPolicy
    from question_bank.models import Level, QuestionType
    from registration import services
    from registration.models import Education, Event, EventKind, Registration
    from scoring import services as scoring

    ARTIFACTS.mkdir(exist_ok=True)
    scan = Scan()
    for raw in ("状态：centre_approved", "registration.approve", "employer: 请写全称", "in_progress"):
        assert scan.pattern.search(raw), raw  # the scan sees a raw code
    for fine in ("/registration/events/x", "已通过审核", "Approved by the centre", "ck1@example.com"):
        assert not scan.pattern.search(fine), fine
    with live_app.app_context():
        admin = db.session.scalar(select(User).filter_by(username="admin"))
        now = clock.now()
        event = services.save_event(db.session, event=None, actor=admin, fields={
            "code": CODE, "name": "驾驶舱演练 · 初级认证", "kind": EventKind.CERTIFICATION, "level": Level.JUNIOR,
            "groups": [], "registration_opens": now - timedelta(days=2), "registration_closes": now + timedelta(days=9),
            "minimum_education": Education.HIGH_SCHOOL, "require_full_hours": False, "correction_days": 5})
        services.add_session(db.session, event=event, name="第一场", starts_at=now + timedelta(days=1),
                             ends_at=now + timedelta(days=1, hours=1), site="南京实训基地", address="", seats=40,
                             actor=admin)
        exam = exam_admin.save_exam(db.session, exam=None, actor=admin, fields={
            "title": "驾驶舱演练理论考试", "event": event.name, "event_id": event.id, "level": Level.JUNIOR,
            "duration_minutes": 60, "opens_at": now - timedelta(minutes=30), "closes_at": now + timedelta(hours=3),
            "allow_overrun": False, "access_code": "", "shuffle_questions": True, "shuffle_options": True,
            "pass_score": Decimal("60"), "review_policy": ReviewPolicy.AFTER_RELEASE,
            "multiple_rule": MultipleRule.ALL_OR_NOTHING, "partial_fraction": Decimal("0.5"), "grace_seconds": 15})
        exam_admin.add_section(db.session, exam=exam, type=QuestionType.TRUE_FALSE, title="", points=Decimal(10),
                               quotas=[{"count": 10}], actor=admin)
        referees = [accounts.create_user(db.session, username=f"ckref{k}", full_name=f"驾驶舱裁判{k}",
                                         role=Role.REFEREE, password="Demo-pass-2026") for k in range(3)]
        db.session.commit()
        referees = [r.id for r in referees]
        event_id = event.public_id

    # 1. The centre's batch: two rows wrong; the checked file names them; fixed and imported.
    context, page = signed_in(browser, live_server, "centre")
    page.goto(f"/registration/events/{event_id}/batch")
    scan.page(page)
    (tmp_path / "batch.xlsx").write_bytes(_sheet(_rows(broken=True)))
    (tmp_path / "photos.zip").write_bytes(_photos())
    page.locator("input[name=sheet]").set_input_files(str(tmp_path / "batch.xlsx"))
    page.locator("input[name=photos]").set_input_files(str(tmp_path / "photos.zip"))
    click(page, page.get_by_role("button", name="检查文件"))
    scan.page(page)
    with page.expect_download() as download:
        page.get_by_test_id("checked-file").click()
    with open(download.value.path(), "rb") as fh:
        checked = load_workbook(io.BytesIO(fh.read())).active
    problems = {row[0]: row[len(HEADERS)] for row in checked.iter_rows(min_row=2, values_only=True)
                if row[len(HEADERS)]}  # the template's columns, then each row's problems, then its number
    assert set(problems) == {"驾驶舱07", "驾驶舱19"}, problems
    (tmp_path / "fixed.xlsx").write_bytes(_sheet(_rows(broken=False)))
    upload = page.get_by_test_id("upload-again")
    upload.locator("input[name=sheet]").set_input_files(str(tmp_path / "fixed.xlsx"))
    upload.locator("input[name=photos]").set_input_files(str(tmp_path / "photos.zip"))
    click(page, upload.get_by_role("button", name="检查文件"))
    assert f"{N}" in page.get_by_test_id("batch-summary").inner_text()
    click(page, page.get_by_role("button", name=re.compile("登记为草稿")))
    scan.page(page)

    # 2. Bulk submit, then the centre's approval, on the whole filtered list.
    for state, action in (("draft", "submit"), ("submitted", "approve")):
        page.goto(f"/registration/?event={event_id}&state={state}")
        scan.page(page)
        page.get_by_test_id("bulk-page").check()
        click(page, page.locator(f"button[name=action][value={action}]"))
        assert page.get_by_test_id("bulk-done").get_attribute("data-n") == str(N)
        scan.page(page)
    context.close()

    # 3. The project office: the cockpit names what waits, the link leads to the list, bulk approve.
    context, page = signed_in(browser, live_server, "admin")
    seen = _cockpit(page, scan, "1-review")
    assert seen["stages"]["review"] == "current"
    assert seen["counts"]["review!awaiting_project"] == N
    page.get_by_test_id("stage").filter(has=page.locator("[data-blocker=awaiting_project]")).locator(
        "[data-blocker=awaiting_project] > a").click()
    page.wait_for_load_state()
    page.get_by_test_id("bulk-page").check()
    click(page, page.locator("button[name=action][value=approve]"))
    assert page.get_by_test_id("bulk-done").get_attribute("data-n") == str(N)

    # 4. Enrolment from the cockpit, confirmed with its count; exams draft: a blocker.
    seen = _cockpit(page, scan, "2-enrolment")
    assert seen["stages"]["enrolment"] == "current" and seen["counts"]["enrolment!approved"] == N
    button = page.get_by_test_id("advance-enrol")
    assert f"{N}" in button.get_attribute("data-confirm")
    click(page, button)
    seen = _cockpit(page, scan, "3-exam")
    assert seen["counts"]["enrolment.enrolled"] == N and seen["counts"]["enrolment.slips"] == N
    assert seen["stages"]["exam"] == "current" and seen["counts"]["exam!exams_draft"] == 1
    context.close()

    # 5. The centre downloads the account slips once: every username and password, read back.
    context, page = signed_in(browser, live_server, "centre")
    page.goto(f"/registration/events/{event_id}/slips")
    scan.page(page)
    with page.expect_download() as download:
        button = page.get_by_test_id("slips-pdf")
        button.click()
        page.get_by_test_id("confirm-yes").click()
    text = "".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    with live_app.app_context():
        people = db.session.scalars(select(Registration).join(Event).where(Event.code == CODE)
                                    .order_by(Registration.candidate_number)).all()
        assert len(people) == N and all(r.user.username in text for r in people)
        assert len(PdfReader(download.value.path()).pages) == 4  # eight slips to a page
    page.goto(f"/registration/events/{event_id}/slips")
    assert page.get_by_test_id("slips-pdf").count() == 0  # downloaded once
    context.close()

    # 6. The exam (29 sit it, one is absent) and the practical (29 marked by three referees).
    with live_app.app_context(), live_app.test_request_context():
        admin = db.session.scalar(select(User).filter_by(username="admin"))
        exam = db.session.scalar(select(Exam).where(Exam.event_id == db.session.scalar(
            select(Event.id).filter_by(code=CODE))))
        exam_services.publish(db.session, exam=exam, actor=admin, now=clock.now())
        db.session.commit()
        people = db.session.scalars(select(Registration).join(Event).where(Event.code == CODE)
                                    .order_by(Registration.candidate_number)).all()
        for k, person in enumerate(people[:-1]):
            attempt = exam_services.start_attempt(db.session, exam=exam, user=person.user, now=clock.now(),
                                                  access_code="", device_token=f"device-{k}")
            saves = [{"item": item.id, "response": (k + i) % 3 != 0, "seq": i + 1, "flagged": False}
                     for i, item in enumerate(attempt.paper.items)]
            exam_services.save_answers(db.session, attempt=attempt, device_token=f"device-{k}", saves=saves,
                                       now=clock.now())
            exam_services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
            db.session.commit()
        event = db.session.scalar(select(Event).filter_by(code=CODE))
        scheme = scoring.create_scheme(db.session, event=event, actor=admin)
        scoring.lock_scheme(db.session, scheme=scheme, actor=admin, now=clock.now())
        scoring.draw_stations(db.session, scheme=scheme, actor=admin, seed="cockpit")
        db.session.commit()
    context, page = signed_in(browser, live_server, "admin")
    seen = _cockpit(page, scan, "4-practical")
    assert seen["counts"]["exam.submitted"] == N - 1
    assert seen["counts"]["exam!exams_open"] == 1  # the window is still open
    assert seen["counts"]["practical!marks_missing"] > 0
    context.close()

    with live_app.app_context(), live_app.test_request_context():
        admin = db.session.scalar(select(User).filter_by(username="admin"))
        event = db.session.scalar(select(Event).filter_by(code=CODE))
        scheme = scoring.current_scheme(db.session, event)
        refs = [db.session.get(User, r) for r in referees]
        people = db.session.scalars(select(Registration).join(Event).where(Event.code == CODE)
                                    .order_by(Registration.candidate_number)).all()
        # Every station but the absent candidate's, which nobody marks (the per-station form).
        for task in scheme.tasks:
            numbers = [scoring.station_of(db.session, task, p).number for p in people[:-1]]
            for referee in refs:
                scoring.assign(db.session, task=task, referee=referee, stations=numbers, actor=admin)
        db.session.commit()
        for k, person in enumerate(people[:-1]):
            for task in scheme.tasks[:5]:
                aspects = {a.code: a for a in task.aspects}
                n = task.number
                values = {aspects[f"{n}.1"].id: str(int(aspects[f"{n}.1"].max_points) - k % 3),
                          aspects[f"{n}.2"].id: str(aspects[f"{n}.2"].max_points)}
                for j, referee in enumerate(refs):
                    # the measurements are shared: each referee confirms them at the version they saw
                    seen = {m.aspect_id: m.version for m in scoring.marks_of(db.session, task, person) if m.slot == 0}
                    entries = {a: (v, seen.get(a)) for a, v in values.items()}
                    entries[aspects[f"{n}.3"].id] = (str(2 + j % 2), None)  # a judgement on the 0-3 scale
                    scoring.save_marks(db.session, task=task, registration=person, referee=referee, entries=entries,
                                       submit=True, now=clock.now())
            db.session.commit()
        chief = db.session.scalar(select(User).filter_by(username="chief"))
        for task in scheme.tasks:
            scoring.lock_task(db.session, task=task, chief=chief, now=clock.now())
        exam = db.session.scalar(select(Exam).where(Exam.event_id == event.id))
        exam.closes_at = clock.now() - timedelta(minutes=1)  # the window is over
        exam_services.release_results(db.session, exam=exam, actor=admin, now=clock.now())
        db.session.commit()

    # 7. Results: computed from the cockpit (one absentee), published, final, certificates.
    context, page = signed_in(browser, live_server, "admin")
    seen = _cockpit(page, scan, "5-results")
    assert seen["stages"]["practical"] == "done" and seen["stages"]["results"] == "current"
    button = page.get_by_test_id("advance-compute")
    assert "1 " in button.get_attribute("data-confirm") or "1 人" in button.get_attribute("data-confirm")
    click(page, button)
    seen = _cockpit(page, scan, "6-publicity")
    assert seen["counts"]["results.results"] == N and seen["counts"]["results.absent"] == 1
    assert seen["counts"]["results!lacking"] == 1 and seen["stages"]["publicity"] == "current"
    page.get_by_test_id("chart-totals").wait_for()
    click(page, page.get_by_test_id("advance-publish"))
    seen = _cockpit(page, scan, "7-published")
    assert seen["counts"]["publicity.published"] == N

    with live_app.app_context():
        event = db.session.scalar(select(Event).filter_by(code=CODE))
        publication = result_services.publication_of(db.session, event)
        result_services.finalise(db.session, now=publication.ends_at + timedelta(minutes=1))
        db.session.commit()
        passed = sum(1 for r in result_services.results_digest(db.session, event).rows if r.passed)
    seen = _cockpit(page, scan, "8-certificates")
    assert seen["stages"]["certificates"] == "current" and seen["counts"]["certificates.pending"] == passed > 0
    click(page, page.get_by_test_id("advance-issue"))
    with live_app.app_context(), live_app.test_request_context():
        certificate_services.run_batches(db.session, now=clock.now(), budget=120)
        db.session.commit()
    seen = _cockpit(page, scan, "9-done")
    assert seen["counts"]["certificates.certificates"] == passed
    assert all(status == "done" for status in seen["stages"].values()), seen["stages"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "cockpit-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # 8. Nothing raw on any page the journey rendered, in either language.
    context.close()
    assert scan.found == []
    assert scan.scanned >= 30
