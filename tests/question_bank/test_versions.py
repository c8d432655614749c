import pytest
from sqlalchemy import func, select

from core.audit import AuditLog
from question_bank import services
from question_bank.models import QuestionVersion


def test_editing_makes_a_new_version_and_keeps_the_old_one(db, create_question, question_data):
    question = create_question("single")
    used_by_paper = question.current_version.id  # what an exam paper stores
    edited = dict(question_data["single"], stem="交换机划分 VLAN 的主要作用是什么？", answer="B")
    edited["options"][3]["text"] = "对转发的数据进行压缩"
    new = services.revise_question(db.session, question=question, data=edited, actor=None)
    db.session.commit()
    db.session.expire_all()
    assert new.number == 2 and question.current_version.number == 2
    old = db.session.get(QuestionVersion, used_by_paper)
    assert old.stem == "工业以太网交换机上划分 VLAN 的主要目的是什么？"
    assert old.options[3]["text"] == "加密交换机转发的数据"
    assert [v.number for v in question.versions] == [1, 2]
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "question.revise")) == 1


def test_saving_the_same_content_makes_no_version(db, create_question, question_data):
    question = create_question("fill_blank")
    same = dict(question_data["fill_blank"], stem="  " + question_data["fill_blank"]["stem"] + " ")
    assert services.revise_question(db.session, question=question, data=same, actor=None) is None
    assert len(question.versions) == 1


def test_versions_cannot_be_changed_or_deleted(db, create_question):
    version = create_question("true_false").current_version
    version.stem = "改写历史"
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(version)
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.commit()
    db.session.rollback()


def test_invalid_content_is_refused(db, create_question, question_data):
    question = create_question("single")
    bad = dict(question_data["single"], answer="F")
    with pytest.raises(services.InvalidQuestion):
        services.revise_question(db.session, question=question, data=bad, actor=None)


def test_diff_lists_changed_fields(db, create_question, question_data):
    question = create_question("single")
    edited = dict(question_data["single"], difficulty=4, explanation="改过的解析。")
    new = services.revise_question(db.session, question=question, data=edited, actor=None)
    diff = services.version_diff(question.versions[0], new)
    assert [d.field for d in diff] == ["difficulty", "explanation"]
    assert ("ins", "4") in diff[0].segments and ("del", "2") in diff[0].segments


def test_codes_are_allocated_per_module_and_level(db, create_question):
    a = create_question("single")
    b = create_question("single", stem="另一道题：交换机的 MAC 地址表用来做什么？")
    c = create_question("fill_blank")
    assert (a.code, b.code, c.code) == ("M1-J-001", "M1-J-002", "M2-S-001")
