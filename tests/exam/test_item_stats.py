"""Issue 16: each question version keeps its facility and discrimination from every released exam;
the bank's list shows them pooled (weighted by n) and flags the items to review."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import clock
from exam import services
from question_bank import analysis
from question_bank import services as bank
from question_bank.models import QuestionStat, QuestionStatus


def _sit(db, exam, users):
    """Each candidate answers the single-choice and true/false items of the first 2 + 3n items with
    the key (the others blank), then submits."""
    for n, user in enumerate(users):
        attempt = services.start_attempt(db.session, exam=exam, user=user, now=clock.now(), access_code="",
                                         device_token="d")
        saves = [{"item": item.id, "response": item.version.answer, "seq": 1}
                 for item in attempt.paper.items[: 2 + 3 * n] if item.version.type.value in ("single", "true_false")]
        services.save_answers(db.session, attempt=attempt, device_token="d", saves=saves, now=clock.now())
        services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    db.session.commit()


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionStat))


@pytest.fixture
def released(db, make_exam, create_user, frozen_clock):
    users = [create_user("candidate") for _ in range(4)]
    exam = make_exam(users)
    _sit(db, exam, users)
    services.release_results(db.session, exam=exam, actor=None, now=clock.now())
    bank.create_question(db.session, actor=None, status=QuestionStatus.ACTIVE, data={  # on no paper
        "type": "true_false", "module": 2, "level": "junior", "difficulty": 2, "options": [], "answer": True,
        "stem": "工业网关可以在现场设备与平台之间转换通信协议。", "explanation": "网关负责协议转换。", "tags": [],
        "source": "test"})
    db.session.commit()
    return exam


def test_release_keeps_each_versions_figures_once(db, released, runner):
    rows, _stats = services.item_analysis(db.session, released)
    stored = {s.question_version_id: s for s in db.session.scalars(select(QuestionStat))}
    assert len(stored) == len(rows) > 0
    for version, figures in rows:
        kept = stored[version.id]
        assert (kept.n, kept.exam_id, kept.exam_title) == (figures.n, released.id, released.title)
        assert kept.facility == pytest.approx(figures.facility) and kept.flags == list(figures.flags)
        assert kept.discrimination == (pytest.approx(figures.discrimination) if figures.discrimination is not None
                                       else None)
    # releasing again, recording again and the backfill replace the figures, never add to them
    services.release_results(db.session, exam=released, actor=None, now=clock.now())
    services.record_item_stats(db.session, released)
    db.session.commit()
    assert _count(db) == len(rows)
    result = runner.invoke(args=["exam", "item-stats"])
    assert result.exit_code == 0 and "1 released exam(s)" in result.output
    assert _count(db) == len(rows)


def test_the_backfill_records_exams_released_before_the_bank_kept_figures(db, released, runner):
    db.session.execute(QuestionStat.__table__.delete())
    db.session.commit()
    assert _count(db) == 0
    assert runner.invoke(args=["exam", "item-stats"]).exit_code == 0
    assert _count(db) == len(services.item_analysis(db.session, released)[0])


def test_figures_pool_across_exams_weighted_by_n(db, make_exam, create_user, frozen_clock):
    first, second = make_exam(), make_exam()
    version = bank.question_query(bank.Filters(type="single"), session=db.session)
    version_id = db.session.scalars(version).first().current_version_id
    bank.record_exam_stats(db.session, exam_id=first.id, exam_title=first.title, released_at=clock.now(),
                           figures=[bank.ItemFigure(version_id, 30, 0.5, 0.4, ())])
    bank.record_exam_stats(db.session, exam_id=second.id, exam_title="第二场", released_at=clock.now(),
                           figures=[bank.ItemFigure(version_id, 10, 0.98, None, ("too_easy",))])
    pooled = bank.pooled_stats(db.session, [version_id])[version_id]
    assert (pooled.n, pooled.exams) == (40, 2)
    assert pooled.facility == pytest.approx((30 * 0.5 + 10 * 0.98) / 40)
    assert pooled.discrimination == pytest.approx(0.4)  # over the exams that had one
    assert pooled.flags == ()  # 0.62 and 0.40: nothing to review when pooled
    assert bank.flagged_versions(db.session) == []
    bank.record_exam_stats(db.session, exam_id=first.id, exam_title=first.title, released_at=clock.now(),
                           figures=[bank.ItemFigure(version_id, 30, 0.95, 0.1, ("too_easy",))])
    pooled = bank.pooled_stats(db.session, [version_id])[version_id]
    assert pooled.n == 40 and pooled.flags == ("too_easy", "poor_discrimination")
    assert bank.flagged_versions(db.session) == [version_id]
    assert bank.pooled_stats(db.session, []) == {}


def test_pooling_is_a_pure_rule():
    assert analysis.pool([]) is None
    pooled = analysis.pool([(3, 1.0, None), (1, 0.0, -0.5)])
    assert pooled.facility == 0.75 and pooled.discrimination == -0.5
    assert pooled.flags == ("negative_discrimination",)


def _row(page: str, code: str) -> str:
    row = page[page.index(f">{code}</a>"):]
    return row[: row.index("</tr>")]


def test_the_bank_list_shows_the_figures_and_filters_the_items_to_review(db, released, client, login_as):
    login_as("admin")
    pooled = bank.pooled_stats(db.session, [s.question_version_id for s in db.session.scalars(select(QuestionStat))])
    questions = {q.current_version_id: q for q in db.session.scalars(select(bank.Question))}
    flagged = {vid for vid, p in pooled.items() if p.flags}
    calm = {vid for vid, p in pooled.items() if not p.flags}
    assert flagged and len(questions) < 50  # the fixture's answers make some too easy or too hard; one page
    page = client.get("/question-bank/").get_data(as_text=True)
    for vid, figures in pooled.items():
        row = _row(page, questions[vid].code)
        assert "data-facility><span title=" in row and f"{figures.facility:.2f}</span>" in row
        expected = "—" if figures.discrimination is None else f"{figures.discrimination:.2f}"
        assert f"data-discrimination>{expected}<" in row
        assert ('data-testid="to-review"' in row) == bool(figures.flags)
    never = next(q for vid, q in questions.items() if vid not in pooled)
    assert "data-facility>—<" in _row(page, never.code) and "data-discrimination>—<" in _row(page, never.code)
    review = client.get("/question-bank/?review=y").get_data(as_text=True)
    assert all(f">{questions[vid].code}</a>" in review for vid in flagged)
    assert not any(f">{questions[vid].code}</a>" in review for vid in calm)
    assert f">{never.code}</a>" not in review


def test_the_question_page_lists_its_figures_per_exam(db, released, client, login_as):
    login_as("admin")
    stat = db.session.scalars(select(QuestionStat)).first()
    question = stat.version.question
    page = client.get(f"/question-bank/{question.public_id}").get_data(as_text=True)
    table = page[page.index('data-testid="question-stats"'):]
    table = table[: table.index("</table>")]
    assert released.title in table and f"{stat.facility:.2f}" in table and f"v{stat.version.number}" in table
    unused = db.session.scalars(select(bank.Question).where(
        ~bank.Question.current_version_id.in_(select(QuestionStat.question_version_id)))).first()
    page = client.get(f"/question-bank/{unused.public_id}").get_data(as_text=True)
    assert 'data-testid="question-stats"' in page and "<table class=\"table table-sm small" not in page


def test_the_bank_imports_nothing_from_the_exam_package():
    """Boundaries: the exam package writes the figures through a question_bank service with plain
    data; the bank never reaches for exam models."""
    folder = Path(__file__).resolve().parents[2] / "question_bank"
    for path in folder.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) exam\b", text, re.M), path


def test_the_demo_shows_figures_on_the_bank_list(db, runner, client, login_as):
    """`make run`'s demo has a released exam, so the bank's figures can be seen at once."""
    assert runner.invoke(args=["core", "load-demo"]).exit_code == 0
    assert _count(db) > 0
    login_as("admin")
    review = client.get("/question-bank/?review=y").get_data(as_text=True)
    assert 'data-testid="to-review"' in review
    sat = db.session.scalars(select(QuestionStat)).first()
    page = client.get(f"/question-bank/?q={sat.version.question.code}").get_data(as_text=True)
    assert f"{bank.pooled_stats(db.session, [sat.question_version_id])[sat.question_version_id].facility:.2f}" in page


def test_the_lists_statement_count_does_not_grow_with_its_rows(db, released, client, login_as):
    from tests.conftest import page_statements

    login_as("admin")
    few, page = page_statements(client, "/question-bank/?type=fill_blank")
    assert page.count("data-facility>") < 10
    many, page = page_statements(client, "/question-bank/")
    assert page.count("data-facility>") > 20 and many == few
