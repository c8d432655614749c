"""Issue 16: every question carries the work content it tests (seed 002 tables 1.2-1.4, or a
knowledge module of 1.1): validated against its level, edited, filtered, imported and exported,
and counted on the coverage page as level × work content."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.audit import AuditLog
from question_bank import rules, services, transfer
from question_bank.messages import problem_message
from question_bank.models import Pool, QuestionStatus
from question_bank.standard import MIN_EXAM_ITEMS
from tests.conftest import page_statements

# --- the rule ------------------------------------------------------------------------------------


def test_a_work_content_must_exist_and_fit_the_level(question_data, app):
    q = question_data["single"]  # junior
    assert rules.validate({**q, "work": "J-1.3"}) == []
    assert rules.validate({**q, "work": "M4"}) == []  # a knowledge module fits any level
    assert rules.validate({**q, "work": ""}) == [] and rules.validate(q) == []  # legacy data: not coded
    (unknown,) = rules.validate({**q, "work": "X-9.9"})
    assert (unknown.field, unknown.code) == ("work", "bad_work")
    (wrong,) = rules.validate({**q, "work": "S-2.1"})
    assert (wrong.field, wrong.code) == ("work", "work_level")
    with app.test_request_context("/?lang=en"):
        message = problem_message(wrong)
        assert "S-2.1" in message and "Senior" in message and "senior" not in message  # the level by its name
        assert "X-9.9" in problem_message(unknown)


# --- the model and the services -------------------------------------------------------------------


def test_the_work_content_is_stored_and_recoding_it_makes_no_version(db, question_data):
    question = services.create_question(db.session, data={**question_data["single"], "work": "J-2.4"}, actor=None)
    db.session.commit()
    assert question.work == "J-2.4" and question.current_version.number == 1
    new = services.revise_question(db.session, question=question, data={**question_data["single"], "work": "M1"},
                                   actor=None)
    db.session.commit()
    assert new is None and question.work == "M1" and len(question.versions) == 1
    logged = db.session.scalars(select(AuditLog).where(AuditLog.action == "question.work")).all()
    assert [(a.before, a.after) for a in logged] == [({"work": "J-2.4"}, {"work": "M1"})]
    # data without a work content leaves it as it is; a level change that no longer fits is refused
    services.revise_question(db.session, question=question, data={**question_data["single"], "difficulty": 3},
                             actor=None)
    assert question.work == "M1" and question.current_version.number == 2
    services.set_work(db.session, question=question, work="J-1.1", actor=None)
    with pytest.raises(services.InvalidQuestion):
        services.revise_question(db.session, question=question,
                                 data={**question_data["single"], "level": "senior"}, actor=None)
    with pytest.raises(services.InvalidQuestion):
        services.create_question(db.session, data={**question_data["single"], "work": "I-1.1"}, actor=None)


# --- import and export ----------------------------------------------------------------------------


def test_json_round_trip_carries_the_work_content(db, question_data, app):
    question = services.create_question(db.session, data={**question_data["fill_blank"], "work": "S-1.2"},
                                        actor=None, status=QuestionStatus.ACTIVE)
    db.session.commit()
    parsed = transfer.read_json(transfer.json_bytes([question]))
    (row,) = parsed.rows
    assert row.ok and row.data["work"] == "S-1.2"
    # an old export without the field: nothing to change; with another work content: an update
    old = transfer.read_json(transfer.json_bytes([question]).replace(b'"work": "S-1.2"', b'"source2": 1'))
    assert old.rows[0].data["work"] is None
    plan = services.plan_import(db.session, old, user=None)
    assert plan.rows[0].action is services.RowAction.UNCHANGED
    recoded = transfer.read_json(transfer.json_bytes([question]).replace(b'"S-1.2"', b'"S-2.2"'))
    plan = services.plan_import(db.session, recoded, user=None)
    assert plan.rows[0].action is services.RowAction.UPDATE
    services.apply_import(db.session, plan, user=None, all_or_nothing=True, include_duplicates=False)
    assert question.work == "S-2.2" and question.current_version.number == 1
    bad = transfer.read_json(transfer.json_bytes([question]).replace(b'"S-2.2"', b'"J-1.1"'))
    assert [p.column for p in bad.rows[0].problems] == ["工作内容"]  # the field by its name


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_carries_the_work_content_and_old_templates_still_import(db, question_data, app):
    question = services.create_question(db.session, data={**question_data["single"], "work": "J-2.1"},
                                        actor=None, status=QuestionStatus.ACTIVE)
    db.session.commit()
    exported = transfer.template_bytes([question])
    header = [c.value for c in next(_sheet(exported).iter_rows(max_row=1))]
    assert "工作内容 Work content" in header
    (row,) = transfer.read_xlsx(exported).rows
    assert row.ok and row.data["work"] == "J-2.1"
    assert services.plan_import(db.session, transfer.read_xlsx(exported), user=None).rows[0].action \
        is services.RowAction.UNCHANGED
    # the same sheet without the column (an old template): it imports, and keeps the work content
    values = [[c.value for c in r] for r in _sheet(exported).iter_rows()]
    at = header.index("工作内容 Work content")
    old = transfer.read_xlsx(_xlsx([r[:at] + r[at + 1:] for r in values]))
    assert not old.errors and old.rows[0].ok and old.rows[0].data["work"] is None
    # typed in lower case, or with its name after the code
    values[1][at] = "j-2.2 监控工业控制系统运行状态"
    assert transfer.read_xlsx(_xlsx(values)).rows[0].data["work"] == "J-2.2"
    values[1][at] = "S-1.1"  # a senior item on a junior question: the row says which column
    (problem,) = transfer.read_xlsx(_xlsx(values)).rows[0].problems
    assert "工作内容 Work content" in problem.column and "S-1.1" in problem.message


# --- the editor and the list ----------------------------------------------------------------------


def _form(question_data, **overrides) -> dict:
    q = question_data["single"]
    data = {"type": "single", "module": "1", "level": "junior", "difficulty": "2", "status": "active",
            "stem": q["stem"], "explanation": q["explanation"], "tags": "", "source": "",
            "option_A": "一", "option_B": "二", "option_C": "三", "correct_B": "y"}
    data.update(overrides)
    return data


def test_the_editor_offers_the_work_contents_and_checks_the_level(client, login_as, db, question_data):
    login_as("admin")
    page = client.get("/question-bank/new").get_data(as_text=True)
    assert "S-2.1 编写标识节点间数据共享建设方案" in page and 'name="work"' in page
    refused = client.submit("/question-bank/new", _form(question_data, work="S-2.1"))
    assert refused.status_code == 200 and "S-2.1" in refused.get_data(as_text=True)
    assert db.session.scalar(select(services.Question)) is None
    created = client.submit("/question-bank/new", _form(question_data, work="J-1.2"))
    assert created.status_code == 302
    question = db.session.scalar(select(services.Question))
    assert question.work == "J-1.2"
    edited = client.submit(f"/question-bank/{question.public_id}", _form(question_data, work="M2"),
                           follow_redirects=True).get_data(as_text=True)
    db.session.refresh(question)
    assert question.work == "M2" and len(question.versions) == 1
    assert '<option selected value="M2">M2 工业互联网平台集成' in edited and "alert-success" in edited
    english = client.get("/question-bank/new?lang=en").get_data(as_text=True)
    assert "S-2.1 Plan data sharing between identification nodes" in english


def test_the_list_filters_by_work_content(client, login_as, create_question):
    coded = create_question("single", work="J-1.1")
    other = create_question("true_false", work="M4")
    plain = create_question("multiple")
    login_as("admin")
    page = client.get("/question-bank/?work=J-1.1").get_data(as_text=True)
    assert coded.code in page and other.code not in page and plain.code not in page
    assert 'data-work="J-1.1"' in page
    page = client.get("/question-bank/?work=none").get_data(as_text=True)
    assert plain.code in page and coded.code not in page
    assert client.get("/question-bank/?work=bogus").status_code == 200  # a bad filter is ignored, not a 500


# --- coverage ---------------------------------------------------------------------------------------


def test_coverage_counts_level_by_work_content_in_one_query(client, login_as, create_question, question_data,
                                                             db):
    for n in range(3):
        create_question("single", work="J-1.1", stem=f"{question_data['single']['stem']}（{n}）甲乙丙丁"[: 60 + n])
    create_question("multiple", work="M5")  # intermediate
    create_question("true_false", status="draft", work="J-1.1")  # drafts are not counted
    practice = create_question("single", work="J-1.1", stem="完全不同的一道题：工业网关的作用是什么？")
    services.set_pool(db.session, questions=[practice], pool=Pool.PRACTICE, actor=None)  # not in the exam pool
    db.session.commit()
    login_as("admin")
    count, page = page_statements(client, "/question-bank/coverage")
    assert 'data-testid="work-coverage"' in page
    assert 'data-work="J-1.1" data-level="junior">3<' in page.replace('class="text-end thin" ', "")
    assert 'class="text-end thin" data-work="J-1.1" data-level="junior">3<' in page  # under the minimum
    assert 'data-work="M5" data-level="intermediate">1<' in page
    assert 'data-testid="coverage-pools"' in page  # the pool tabs stay
    practice = client.get("/question-bank/coverage?pool=practice").get_data(as_text=True)
    assert 'data-work="J-1.1" data-level="junior">4<' in practice and "thin" not in practice.split(
        'data-testid="work-coverage"')[1]
    for n in range(MIN_EXAM_ITEMS):
        create_question("single", work="J-2.5", stem=f"巡检第{n}题：采集系统巡检记录中应包含哪一项内容（{n * 7919}）？")
    again, page = page_statements(client, "/question-bank/coverage")
    assert again == count  # one bulk query, whatever the number of cells
    assert f'class="text-end " data-work="J-2.5" data-level="junior">{MIN_EXAM_ITEMS}<' in page
