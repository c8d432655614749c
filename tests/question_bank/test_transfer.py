"""Excel template, JSON round trip and Moodle XML."""

import io
import json
from xml.etree import ElementTree as ET

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.errors import DomainError
from question_bank import services, transfer
from question_bank.models import Question, QuestionStatus, QuestionVersion

HEADERS = [c.header for c in transfer.COLUMNS]


def xlsx(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(key, "") for key in (c.key for c in transfer.COLUMNS)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = [
    {"type": "单选", "module": 1, "level": "初级", "difficulty": 1, "stem": "Modbus TCP 默认使用哪个端口？",
     "option_A": "102", "option_B": "502", "option_C": "1883", "option_D": "4840", "answer": "B",
     "explanation": "Modbus TCP 默认端口为 502。", "tags": "Modbus, 端口", "status": "启用"},
    {"type": "多选", "module": 4, "level": "中级", "difficulty": 3, "stem": "下列哪些属于 IEC 61131-3 规定的编程语言？",
     "option_A": "梯形图 LD", "option_B": "结构化文本 ST", "option_C": "Python", "option_D": "顺序功能图 SFC",
     "answer": "ABD", "explanation": "IEC 61131-3 定义了 LD、FBD、ST、IL 和 SFC；Python 不在其中。"},
    {"type": "判断", "module": 5, "level": "初级", "difficulty": 1, "stem": "在带电设备上作业前应先执行上锁挂牌程序。",
     "answer": "对", "explanation": "上锁挂牌可防止设备被意外通电。"},
    {"type": "填空", "module": 3, "level": "高级", "difficulty": 4,
     "stem": "设备综合效率 OEE 等于可用率、性能率和 ____ 三者的乘积。",
     "answer": "质量合格率 | 合格率 | 良品率", "explanation": "OEE = 可用率 × 性能率 × 质量合格率。"},
]


def count(db, model=Question):
    return db.session.scalar(select(func.count()).select_from(model))


def plan(db, data: bytes, user=None):
    return services.plan_import(db.session, transfer.read_xlsx(data), user=user)


def test_template_downloads_and_its_example_row_is_valid():
    parsed = transfer.read_xlsx(transfer.template_bytes())
    assert parsed.errors == [] and len(parsed.rows) == 1 and parsed.rows[0].ok


def test_good_file_imports_every_row(db):
    result = services.apply_import(db.session, plan(db, xlsx(GOOD)), user=None, all_or_nothing=True,
                                   include_duplicates=False)
    db.session.commit()
    assert result.created == 4 and count(db) == 4
    fill = db.session.scalar(select(Question).where(Question.code == "M3-S-001"))
    assert fill.current_version.answer == [["质量合格率", "合格率", "良品率"]]
    assert fill.status is QuestionStatus.DRAFT  # no status given: a draft
    modbus = db.session.scalar(select(Question).where(Question.code == "M1-J-001"))
    assert modbus.status is QuestionStatus.ACTIVE and modbus.current_version.tags == ["Modbus", "端口"]


BAD_ROWS = [
    ({"type": "问答"}, "题型", "未知的题型"),
    ({"answer": ""}, "答案", "必填"),
    ({"answer": "E"}, "答案", "不是选项之一"),
    ({"stem": ""}, "题干", "必填"),
    ({"stem": "长" * 2001}, "题干", "2000"),
    ({"difficulty": "很难"}, "难度", "1 到 5"),
]


@pytest.mark.parametrize("change,column,message", BAD_ROWS)
def test_each_bad_row_is_reported_with_row_column_and_message(db, change, column, message):
    rows = [GOOD[0], {**GOOD[0], "stem": "S7 协议默认使用哪个端口？", "answer": "A", **change}]
    p = plan(db, xlsx(rows))
    bad = p.rows[1]
    assert bad.action is services.RowAction.ERROR and bad.row.number == 3
    text = " ".join(bad.problems)
    assert column in text and message in text, text
    assert p.rows[0].action is services.RowAction.NEW


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(db):
    rows = [*GOOD, dict(GOOD[0], stem="另一题", answer="Z")]
    p = plan(db, xlsx(rows))
    with pytest.raises(DomainError, match="1"):
        services.apply_import(db.session, p, user=None, all_or_nothing=True, include_duplicates=False)
    db.session.rollback()
    assert count(db) == 0 and count(db, QuestionVersion) == 0


def test_valid_rows_only_skips_the_bad_ones(db):
    rows = [*GOOD, dict(GOOD[0], stem="另一题", answer="Z")]
    result = services.apply_import(db.session, plan(db, xlsx(rows)), user=None, all_or_nothing=False,
                                   include_duplicates=False)
    assert (result.created, result.skipped) == (4, 1)


@pytest.mark.parametrize("data,message", [
    (b"", "文件为空"),
    (b"PK\x03\x04 not really a zip", "不是 Excel"),
    (b"%PDF-1.7 a pdf renamed to .xlsx", "不是 Excel"),
])
def test_files_that_are_not_xlsx(app, data, message):
    with app.test_request_context():
        parsed = transfer.read_xlsx(data)
    assert parsed.rows == [] and message in " ".join(parsed.errors)


def test_header_only_file_and_wrong_headers(app):
    with app.test_request_context():
        assert "没有题目" in " ".join(transfer.read_xlsx(xlsx([])).errors)
        wrong = [HEADERS[0], "题目类型", *HEADERS[2:]]
        errors = " ".join(transfer.read_xlsx(xlsx(GOOD, headers=wrong)).errors)
        assert "B 列" in errors and "题目类型" in errors  # the unknown header, where it is
        assert "缺少必填列“题型 Type”" in errors  # and the required column it should have been


def test_near_duplicates_are_reported_and_skipped_unless_asked(db):
    services.apply_import(db.session, plan(db, xlsx(GOOD[:1])), user=None, all_or_nothing=True,
                          include_duplicates=False)
    twin = dict(GOOD[0], stem="Modbus TCP 默认使用哪一个端口？")
    p = plan(db, xlsx([twin]))
    assert p.rows[0].action is services.RowAction.DUPLICATE and p.rows[0].similar[0][0] == "M1-J-001"
    with pytest.raises(DomainError):  # nothing else to import
        services.apply_import(db.session, p, user=None, all_or_nothing=False, include_duplicates=False)
    result = services.apply_import(db.session, p, user=None, all_or_nothing=False, include_duplicates=True)
    assert result.created == 1


def test_an_existing_code_revises_the_question(db, create_question):
    question = create_question("single")
    row = dict(GOOD[0], code=question.code)
    p = plan(db, xlsx([row]))
    assert p.rows[0].action is services.RowAction.UPDATE
    services.apply_import(db.session, p, user=None, all_or_nothing=True, include_duplicates=False)
    assert question.current_version.number == 2 and question.current_version.stem == GOOD[0]["stem"]


def test_excel_export_imports_back_unchanged(db, create_question):
    for kind in ("single", "multiple", "true_false", "fill_blank"):
        create_question(kind)
    questions = db.session.scalars(services.question_query(services.Filters())).unique().all()
    p = plan(db, transfer.template_bytes(questions))
    assert [r.action for r in p.rows] == [services.RowAction.UNCHANGED] * 4


def _bank(db):
    """The bank as comparable data: code, status and the current version's content."""
    return sorted(
        (q.code, q.status.value, json.dumps(q.current_version.content(), sort_keys=True, ensure_ascii=False))
        for q in db.session.scalars(select(Question))
    )


def test_json_export_into_an_empty_database_gives_the_same_bank(app, db, create_question, schema, tmp_path):
    for kind in ("single", "multiple", "true_false", "fill_blank"):
        create_question(kind, status="active")
    create_question("single", status="retired", stem="已停用的题目：交换机的背板带宽指什么？")
    before = _bank(db)
    exported = transfer.json_bytes(db.session.scalars(select(Question)).all())
    # An empty database with the same schema.
    from flask_migrate import upgrade

    from app import create_app
    from core.extensions import db as ext_db

    other = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    with other.app_context():
        upgrade()
        assert _bank(ext_db) == []
        parsed = transfer.read_json(exported)
        services.apply_import(ext_db.session, services.plan_import(ext_db.session, parsed, user=None),
                              user=None, all_or_nothing=True, include_duplicates=False)
        ext_db.session.commit()
        assert _bank(ext_db) == before
        ext_db.session.remove()
        ext_db.engine.dispose()


def test_bad_json_files(app):
    with app.test_request_context():
        assert transfer.read_json(b"")
        assert "不是题库" in " ".join(transfer.read_json(b"{not json").errors)
        assert "不是题库" in " ".join(transfer.read_json(b'{"questions": 3}').errors)
        parsed = transfer.read_json(json.dumps({"questions": [{"type": "single"}]}).encode())
        assert parsed.rows[0].problems


def test_moodle_xml_is_well_formed_moodle_quiz_format(db, create_question):
    for kind in ("single", "multiple", "true_false", "fill_blank"):
        create_question(kind)
    create_question("fill_blank", stem="PROFINET 属于 ____。", answer=[["工业以太网"]], module=1, level="junior")
    questions = db.session.scalars(select(Question).order_by(Question.code)).all()
    root = ET.fromstring(transfer.moodle_xml_bytes(questions))
    assert root.tag == "quiz"
    by_name = {q.findtext("name/text"): q for q in root.findall("question") if q.get("type") != "category"}
    categories = [q.findtext("category/text") for q in root.findall("question[@type='category']")]
    assert all(c.startswith("$course$/IIOM/") for c in categories)
    single = by_name["M1-J-001"]
    assert single.get("type") == "multichoice" and single.findtext("single") == "true"
    assert sorted(a.get("fraction") for a in single.findall("answer")) == ["0", "0", "0", "100"]
    multiple = by_name["M5-I-001"]
    fractions = [float(a.get("fraction")) for a in multiple.findall("answer")]
    assert multiple.findtext("single") == "false" and sum(f for f in fractions if f > 0) == pytest.approx(100, abs=0.01)
    tf = by_name["M4-J-001"]
    assert tf.get("type") == "truefalse"
    assert {a.findtext("text"): a.get("fraction") for a in tf.findall("answer")} == {"true": "100", "false": "0"}
    cloze = by_name["M2-S-001"]
    assert cloze.get("type") == "cloze" and cloze.findtext("questiontext/text").count("{1:SHORTANSWER:=") == 2
    short = by_name["M1-J-002"]
    assert short.get("type") == "shortanswer" and short.findtext("answer/text") == "工业以太网"
    assert single.findtext("generalfeedback/text").startswith("<p>VLAN")
