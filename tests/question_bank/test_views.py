import io
import re

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from accounts.models import Role
from question_bank.models import Question, QuestionStatus
from tests.question_bank.test_transfer import GOOD, xlsx

FORM = {
    "type": "single", "module": "1", "level": "junior", "difficulty": "2", "status": "active",
    "stem": "工业交换机的 STP 协议主要用来解决什么问题？",
    "option_A": "二层环路导致的广播风暴", "option_B": "IP 地址冲突", "option_C": "无线信号干扰",
    "option_D": "电源冗余", "correct_A": "y",
    "explanation": "生成树协议阻断冗余链路形成的二层环路，防止广播风暴；其余问题与 STP 无关。",
    "tags": "STP, 交换机", "source": "test",
}


def _count(db):
    return db.session.scalar(select(func.count()).select_from(Question))


def test_admin_creates_edits_and_sees_history_and_diff(client, login_as, db):
    login_as("admin")
    response = client.submit("/question-bank/new", FORM)
    assert response.status_code == 302
    question = db.session.scalar(select(Question))
    assert question.code == "M1-J-001" and question.status is QuestionStatus.ACTIVE
    assert question.current_version.answer == "A"
    edited = dict(FORM, stem="工业交换机运行 STP 协议主要是为了解决什么问题？")
    client.submit(f"/question-bank/{question.public_id}", edited)
    db.session.expire_all()
    assert question.current_version.number == 2
    page = client.get(f"/question-bank/{question.public_id}").get_data(as_text=True)
    assert "v1" in page and "v2" in page
    diff = client.get(f"/question-bank/{question.public_id}/versions/2").get_data(as_text=True)
    assert "<ins>运行</ins>" in diff and "<del>的</del>" in diff


def test_form_errors_are_shown_and_nothing_is_saved(client, login_as, db):
    login_as("admin")
    cases = [
        (dict(FORM, correct_A="", correct_B=""), "answer-error"),
        (dict(FORM, correct_B="y"), "answer-error"),
        (dict(FORM, stem=""), "is-invalid"),
        (dict(FORM, option_B=""), "option_key_order"),
        (dict(FORM, type="fill_blank", fill_answer="8883"), "answer-error"),
        (dict(FORM, stem="长" * 2001), "2000"),
    ]
    for data, marker in cases:
        response = client.submit("/question-bank/new", data)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, data
        assert marker in page or "is-invalid" in page or "text-danger" in page, marker
    assert _count(db) == 0


def test_filters_search_and_tags(client, login_as, create_question):
    login_as("admin")
    create_question("single")
    create_question("multiple")
    create_question("true_false", status="draft")
    page = client.get("/question-bank/?q=VLAN").get_data(as_text=True)
    assert "M1-J-001" in page and "M5-I-001" not in page
    page = client.get("/question-bank/?status=draft").get_data(as_text=True)
    assert "M4-J-001" in page and "M1-J-001" not in page
    page = client.get("/question-bank/?tag=勒索软件").get_data(as_text=True)
    assert "M5-I-001" in page and "M1-J-001" not in page
    page = client.get("/question-bank/?module=1&level=junior&type=single&difficulty=2").get_data(as_text=True)
    assert "M1-J-001" in page and "M5-I-001" not in page


def test_bulk_retire_and_activate(client, login_as, create_question, db):
    login_as("admin")
    a, b = create_question("single"), create_question("multiple")
    client.submit("/question-bank/bulk-status", {"status": "retired", "question": [a.public_id, b.public_id]})
    db.session.expire_all()
    assert a.status is QuestionStatus.RETIRED and b.status is QuestionStatus.RETIRED
    client.submit("/question-bank/bulk-status", {"status": "active", "question": [a.public_id]})
    db.session.expire_all()
    assert a.status is QuestionStatus.ACTIVE and b.status is QuestionStatus.RETIRED


def test_coverage_table(client, login_as, create_question):
    login_as("admin")
    create_question("single")
    create_question("single", stem="交换机端口镜像的作用是什么？")
    page = client.get("/question-bank/coverage").get_data(as_text=True)
    cell = re.search(r'data-module="1" data-level="junior" data-type="single">(\d+)', page)
    assert cell.group(1) == "2"
    assert 'data-total="2-senior">0' in page


def test_import_through_the_pages(client, login_as, db):
    login_as("admin")
    upload = {"file": (io.BytesIO(xlsx(GOOD)), "questions.xlsx")}
    response = client.submit("/question-bank/import", upload, content_type="multipart/form-data")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert 'data-row="5"' in page and _count(db) == 0  # the dry run wrote nothing
    response = client.submit(preview_url, {"mode": "all"})
    assert response.status_code == 302 and _count(db) == 4
    assert client.get(preview_url).status_code == 404  # the upload is gone once imported


def test_import_page_refuses_other_files_and_other_users_uploads(app, client, login_as, create_user):
    login_as("admin")
    upload = {"file": (io.BytesIO(b"hello"), "questions.txt")}
    page = client.submit("/question-bank/import", upload, content_type="multipart/form-data").get_data(as_text=True)
    assert "is-invalid" in page
    upload = {"file": (io.BytesIO(b"%PDF-1.7"), "questions.xlsx")}
    preview_url = client.submit("/question-bank/import", upload,
                                content_type="multipart/form-data").headers["Location"]
    assert "data-testid=\"file-errors\"" in client.get(preview_url).get_data(as_text=True)
    other = app.test_client()
    staff = create_user("centre_staff")
    other.submit("/login", {"username": staff.username, "password": "Correct-horse-42"})
    assert other.get(preview_url).status_code == 404


def test_template_and_exports(client, login_as, create_question):
    login_as("admin")
    create_question("single")
    template = client.get("/question-bank/template.xlsx")
    ws = load_workbook(io.BytesIO(template.data)).active
    assert ws["A1"].value == "编号 Code" and ws["F1"].value == "题干 Stem"
    assert client.get("/question-bank/?format=json").get_json()["questions"][0]["code"] == "M1-J-001"
    assert client.get("/question-bank/?format=moodle").data.startswith(b"<?xml")
    assert client.get("/question-bank/?format=xlsx").data[:2] == b"PK"


def test_centre_staff_contribute_drafts_and_see_only_their_own(client, login_as, create_question, db):
    other_question = create_question("multiple")
    staff = login_as("centre_staff")
    response = client.submit("/question-bank/new", FORM)  # asks for "active"
    assert response.status_code == 302
    mine = db.session.scalar(select(Question).where(Question.centre_id == staff.centre_id))
    assert mine.status is QuestionStatus.DRAFT
    page = client.get("/question-bank/").get_data(as_text=True)
    assert mine.code in page and other_question.code not in page
    assert client.get(f"/question-bank/{other_question.public_id}").status_code == 404
    assert client.get("/question-bank/?format=json").status_code == 403
    assert client.submit("/question-bank/bulk-status", {"status": "active",
                                                        "question": [mine.public_id]}).status_code == 403


def test_centre_staff_cannot_edit_a_reviewed_question(client, login_as, db):
    staff = login_as("centre_staff")
    client.submit("/question-bank/new", FORM)
    question = db.session.scalar(select(Question))
    question.status = QuestionStatus.ACTIVE
    db.session.commit()
    page = client.submit(f"/question-bank/{question.public_id}", dict(FORM, stem="改动后的题干：STP 解决什么？"))
    assert page.status_code == 200
    db.session.expire_all()
    assert question.current_version.number == 1 and staff.role is Role.CENTRE_STAFF


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buf, format="PNG")
    return buf.getvalue()


def test_stem_image_is_checked_by_content(client, login_as, db):
    login_as("admin")
    fake = {**FORM, "image": (io.BytesIO(b"<svg>not a png</svg>"), "diagram.png")}
    page = client.submit("/question-bank/new", fake, content_type="multipart/form-data").get_data(as_text=True)
    assert "is-invalid" in page and _count(db) == 0
    real = {**FORM, "image": (io.BytesIO(_png()), "diagram.png")}
    assert client.submit("/question-bank/new", real, content_type="multipart/form-data").status_code == 302
    question = db.session.scalar(select(Question))
    name = question.current_version.image
    assert re.fullmatch(r"[0-9a-f]{32}\.png", name)
    with client.get(f"/question-bank/images/{name}") as image:  # a file response: close it
        assert image.status_code == 200 and image.data[:4] == b"\x89PNG"
    assert client.get("/question-bank/images/..%2Fsecret.png").status_code == 404


def test_coverage_shows_the_exam_pool_and_the_practice_pool(client, db, login_as, create_question):
    """Issue 16: the exam pool counts what an exam may draw (exam items practice never showed),
    the practice pool what practice may show."""
    from core import clock
    from question_bank.models import Pool

    login_as("admin")
    exam_only = create_question("single")
    practice_only = create_question("single", stem="交换机端口镜像的作用是什么？")
    shown = create_question("single", stem="工业以太网环网的自愈时间通常要求在多少毫秒以内？")
    exam_only.pool, practice_only.pool, shown.practised_at = Pool.EXAM, Pool.PRACTICE, clock.now()
    db.session.commit()

    def cell(pool):
        page = client.get(f"/question-bank/coverage?pool={pool}").get_data(as_text=True)
        return int(re.search(r'data-module="1" data-level="junior" data-type="single">(\d+)', page).group(1))

    assert cell("exam") == 1  # the exam-only one; the practised one is out of every exam
    assert cell("practice") == 2  # the practice-only one, and the one for both
    assert cell("nonsense") == cell("exam")
